//! `conv2d`: the 2-d convolution (cross-correlation, as PyTorch's) of an NCHW input with
//! an OIHW weight, and an optional bias. Its adjoint and weight gradient are in the
//! sibling files; the kernel is `Tensor::conv2d`.

use super::{add_bias, fitted, zeros_like, Conv2dWeight, ConvOptions, ConvTranspose2d};
use crate::tensor::ConvGeometry;
use crate::{Error, Float, InputGrads, Op, Tensor, TensorError, Var};
use std::panic::Location;

/// `y[n, o, i, j] = b[o] + Σ_{c, p, q} x[n, g·C/G + c, i·s₀ + p·d₀ − pad₀, j·s₁ + q·d₁ −
/// pad₁] · w[o, c, p, q]` for `x: [N, C, H, W]`, `w: [O, C/G, KH, KW]`, the optional
/// `b: [O]`, `G` groups and `o` in group `g`; positions in the padding read zero.
/// Output `[N, O, OH, OW]`, `OH = ⌊(H + pad₀ + pad₀' − d₀·(KH − 1) − 1)/s₀⌋ + 1`.
///
/// Derivatives (each bilinear, with no kinks):
/// - `dx = conv_transpose2d(dy, w)` with the same geometry, fitted to `x`'s size
///   ([`ConvTranspose2d`]);
/// - `dw = conv2d_weight(x, dy)`, the correlation of `x` with `dy` ([`Conv2dWeight`]);
/// - `db = Σ_{n, i, j} dy[n, o, i, j]`.
///
/// These three ops' VJPs are again these three ops, so every order works.
pub struct Conv2d {
    /// Stride, dilation, padding and groups.
    pub geometry: ConvGeometry,
}

impl<T: Float> Op<T> for Conv2d {
    fn name(&self) -> &str {
        "conv2d"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        let y = xs[0].conv2d(xs[1], &self.geometry)?;
        if xs.len() == 3 {
            add_bias(y, xs)
        } else {
            Ok(y)
        }
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let (x, w) = (xs[0], xs[1]);
        let (sx, sw, sd) = (x.shape(), w.shape(), dy.shape());
        let empty = sx.contains(&0) || sd.contains(&0);
        // a constant input gets no gradient: the sweep would drop it, so skip its kernel
        let dx = x.needs_grad().then(|| {
            if empty {
                return zeros_like(dy, x);
            }
            let geometry = fitted(&self.geometry, &sx[2..], &sd[2..], &sw[2..]);
            dy.tape.apply(ConvTranspose2d { geometry }, &[dy, w])
        });
        let dw = w.needs_grad().then(|| {
            if empty {
                return zeros_like(dy, w);
            }
            let op = Conv2dWeight {
                geometry: self.geometry,
                kernel: [sw[2], sw[3]],
            };
            dy.tape.apply(op, &[x, dy])
        });
        let mut grads = vec![dx, dw];
        if xs.len() == 3 {
            grads.push(Some(dy.sum_axes(&[0, 2, 3], false)));
        }
        grads.into()
    }
    fn label(&self) -> String {
        format!("conv2d({})", self.geometry.describe(2))
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// The 2-d convolution of `self` (`[N, C, H, W]`) with `w` (`[O, C/groups, KH, KW]`)
    /// plus the optional bias `b` (`[O]`), PyTorch's `conv2d`; see [`Conv2d`] for the
    /// formula. Or the error naming the op, the shapes, the parameters and the caller's
    /// line: ranks other than 4, a channel mismatch, groups not dividing the channels, a
    /// zero stride or dilation, a kernel larger than the padded input, `Same` padding with
    /// a stride, an output padding, a bias not `[O]`.
    ///
    /// ```
    /// use tapegrad_core::ops::conv::{ConvOptions, Padding};
    /// use tapegrad_core::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.leaf(Tensor::ones(&[1, 1, 3, 3]));
    /// let w = tape.leaf(Tensor::ones(&[2, 1, 3, 3]));
    /// let y = x.conv2d(w, None, ConvOptions::default().padding(Padding::Same));
    /// assert_eq!(y.shape().as_slice(), &[1, 2, 3, 3]);
    /// assert_eq!(y.value().at(&[0, 1, 1, 1]), 9.0); // the centre sees the whole input
    /// assert_eq!(y.value().at(&[0, 0, 0, 0]), 4.0); // a corner sees 2×2 of it
    /// ```
    #[track_caller]
    pub fn try_conv2d(self, w: Self, b: Option<Self>, opts: ConvOptions) -> Result<Self, Error> {
        let site = Location::caller();
        let geometry = opts
            .geometry(2, false, &self.shape(), &w.shape())
            .map_err(|e| Error::from_tensor("conv2d", e, site))?;
        let op = Conv2d { geometry };
        match b {
            Some(b) => self.tape.try_apply(op, &[self, w, b]),
            None => self.tape.try_apply(op, &[self, w]),
        }
    }

    /// The 2-d convolution (see [`try_conv2d`](Self::try_conv2d)); panics with the error.
    #[track_caller]
    pub fn conv2d(self, w: Self, b: Option<Self>, opts: ConvOptions) -> Self {
        self.try_conv2d(w, b, opts)
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
