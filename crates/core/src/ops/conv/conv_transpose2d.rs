//! `conv_transpose2d`: the transposed 2-d convolution (the adjoint of `conv2d`, PyTorch's
//! weight layout `[C_in, C_out/groups, KH, KW]`), with `output_padding` and a bias.

use super::{add_bias, zeros_like, Conv2d, Conv2dWeight, ConvOptions};
use crate::tensor::ConvGeometry;
use crate::{Error, Float, InputGrads, Op, Tensor, TensorError, Var};
use std::panic::Location;

/// `y = conv2dᵀ(x; w) + b`: each input position stamps the kernel, scaled, onto the output
/// at stride spacing, `y[n, g·C'/G + c, i·s₀ + p·d₀ − pad₀, j·s₁ + q·d₁ − pad₁] +=
/// x[n, k, i, j] · w[k, c, p, q]` for input channel `k` of group `g`, positions outside the
/// output dropped, then `b[c]` added. `x: [N, C_in, H, W]`, `w: [C_in, C'/G, KH, KW]`,
/// output `[N, C', H', W']`, `H' = (H − 1)·s₀ − pad₀ − pad₀' + d₀·(KH − 1) + 1` (PyTorch's
/// `output_padding` is a negative `pad₀'`, see [`ConvGeometry`]).
///
/// It is the adjoint of [`Conv2d`] with the same geometry and weight: `⟨conv2d(u, w), v⟩ =
/// ⟨u, conv2dᵀ(v, w)⟩`. Hence `dx = conv2d(dy, w)`, `dw = conv2d_weight(dy, x)` (the
/// weight gradient of that convolution, with `dy` as its input and `x` as its output
/// cotangent) and `db = Σ_{n, i, j} dy`.
pub struct ConvTranspose2d {
    /// The geometry of the convolution this is the adjoint of.
    pub geometry: ConvGeometry,
}

impl<T: Float> Op<T> for ConvTranspose2d {
    fn name(&self) -> &str {
        "conv_transpose2d"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        let y = xs[0].conv_transpose2d(xs[1], &self.geometry)?;
        if xs.len() == 3 {
            add_bias(y, xs)
        } else {
            Ok(y)
        }
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let (x, w) = (xs[0], xs[1]);
        let empty = x.shape().contains(&0) || dy.shape().contains(&0);
        let dx = x.needs_grad().then(|| match empty {
            true => zeros_like(dy, x),
            false => dy.tape.apply(
                Conv2d {
                    geometry: self.geometry,
                },
                &[dy, w],
            ),
        });
        let dw = w.needs_grad().then(|| {
            if empty {
                return zeros_like(dy, w);
            }
            let ws = w.shape();
            let weight = Conv2dWeight {
                geometry: self.geometry,
                kernel: [ws[2], ws[3]],
            };
            dy.tape.apply(weight, &[dy, x])
        });
        let mut grads = vec![dx, dw];
        if xs.len() == 3 {
            grads.push(Some(dy.sum_axes(&[0, 2, 3], false)));
        }
        grads.into()
    }
    fn label(&self) -> String {
        format!("conv_transpose2d({})", self.geometry.describe(2))
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// The transposed 2-d convolution of `self` (`[N, C_in, H, W]`) with `w`
    /// (`[C_in, C_out/groups, KH, KW]`, PyTorch's layout) plus the optional bias `b`
    /// (`[C_out]`), PyTorch's `conv_transpose2d`: output side `(H − 1)·stride − 2·padding +
    /// dilation·(KH − 1) + output_padding + 1`. See [`ConvTranspose2d`]. Or the error
    /// naming the op, shapes, parameters and caller's line (a channel mismatch, groups not
    /// dividing the channels, a zero stride or dilation, an output below 1, an
    /// `output_padding` not below the stride or the dilation, `Same` padding).
    ///
    /// ```
    /// use tapegrad_core::ops::conv::ConvOptions;
    /// use tapegrad_core::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.leaf(Tensor::ones(&[1, 1, 2, 2]));
    /// let w = tape.leaf(Tensor::ones(&[1, 3, 2, 2]));
    /// let y = x.conv_transpose2d(w, None, ConvOptions::default().stride(2).output_padding(1));
    /// assert_eq!(y.shape().as_slice(), &[1, 3, 5, 5]); // (2 − 1)·2 + 2 + 1
    /// ```
    #[track_caller]
    pub fn try_conv_transpose2d(
        self,
        w: Self,
        b: Option<Self>,
        opts: ConvOptions,
    ) -> Result<Self, Error> {
        let site = Location::caller();
        let op = "conv_transpose2d";
        let geometry = opts
            .geometry(2, true, &self.shape(), &w.shape())
            .map_err(|e| Error::from_tensor(op, e, site))?;
        let op = ConvTranspose2d { geometry };
        match b {
            Some(b) => self.tape.try_apply(op, &[self, w, b]),
            None => self.tape.try_apply(op, &[self, w]),
        }
    }

    /// The transposed 2-d convolution (see
    /// [`try_conv_transpose2d`](Self::try_conv_transpose2d)); panics with the error.
    #[track_caller]
    pub fn conv_transpose2d(self, w: Self, b: Option<Self>, opts: ConvOptions) -> Self {
        self.try_conv_transpose2d(w, b, opts)
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
