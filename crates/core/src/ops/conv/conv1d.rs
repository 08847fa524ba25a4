//! `conv1d`: the 1-d convolution of an NCL input with an OIL weight, as `conv2d` on a grid
//! of height 1 (two reshapes around the 2-d op). No op of its own.

use super::{Conv2d, ConvOptions};
use crate::tensor::ConvGeometry;
use crate::{Error, ErrorKind, Float, Var};
use std::panic::Location;

/// Checks a 1-d (transposed) convolution's operands and returns the 2-d geometry and the
/// output shape, every error naming `op` and the caller's 3-d shapes.
pub(super) fn check_1d<T: Float>(
    op: &str,
    transposed: bool,
    x: Var<'_, T>,
    w: Var<'_, T>,
    b: Option<Var<'_, T>>,
    opts: ConvOptions,
    site: &'static Location<'static>,
) -> Result<(ConvGeometry, Vec<usize>), Error> {
    for v in [Some(w), b].into_iter().flatten() {
        x.tape.check_owns(op, v, site)?;
    }
    let (xs, ws) = (x.shape(), w.shape());
    let tensor_err = |e| Error::from_tensor(op, e, site);
    let geometry = opts.geometry(1, transposed, &xs, &ws).map_err(tensor_err)?;
    let out = if transposed {
        geometry.check_transposed(&xs, &ws, 1)
    } else {
        geometry.check_conv(&xs, &ws, 1)
    }
    .map_err(tensor_err)?;
    if let Some(b) = b {
        if b.shape().as_slice() != [out[1]] {
            let shapes = vec![b.shape().to_vec(), out.to_vec()];
            return Err(Error::at(
                ErrorKind::ShapeMismatch { shapes },
                op,
                format!(
                    "bias {:?} for an output of {} channels {:?}: input {xs:?}, weight {ws:?}",
                    b.shape(),
                    out[1],
                    out
                ),
                site,
            ));
        }
    }
    Ok((geometry, out.to_vec()))
}

impl<'t, T: Float> Var<'t, T> {
    /// The 1-d convolution of `self` (`[N, C, L]`) with `w` (`[O, C/groups, K]`) plus the
    /// optional bias `b` (`[O]`), PyTorch's `conv1d`: `y[n, o, i] = b[o] + Σ_{c, p}
    /// x[n, g·C/G + c, i·s + p·d − pad] · w[o, c, p]`, output length
    /// `⌊(L + 2·pad − d·(K − 1) − 1)/s⌋ + 1`. The options' second components apply. It is
    /// [`Conv2d`] on a grid of height 1, with the same derivatives. Or the error naming
    /// `conv1d`, the shapes, the parameters and the caller's line.
    ///
    /// ```
    /// use tapegrad_core::ops::conv::ConvOptions;
    /// use tapegrad_core::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.leaf(Tensor::from_vec(vec![1., 2., 3., 4.], &[1, 1, 4]));
    /// let w = tape.leaf(Tensor::from_vec(vec![1., -1.], &[1, 1, 2]));
    /// let y = x.conv1d(w, None, ConvOptions::default());
    /// assert_eq!(y.value().as_slice(), &[-1., -1., -1.]); // x[i] − x[i + 1]
    /// ```
    #[track_caller]
    pub fn try_conv1d(self, w: Self, b: Option<Self>, opts: ConvOptions) -> Result<Self, Error> {
        let site = Location::caller();
        let (geometry, out) = check_1d("conv1d", false, self, w, b, opts, site)?;
        let (xs, ws) = (self.shape(), w.shape());
        let x4 = self.try_reshape(&[xs[0], xs[1], 1, xs[2]])?;
        let w4 = w.try_reshape(&[ws[0], ws[1], 1, ws[2]])?;
        let op = Conv2d { geometry };
        let y = match b {
            Some(b) => self.tape.try_apply(op, &[x4, w4, b])?,
            None => self.tape.try_apply(op, &[x4, w4])?,
        };
        y.try_reshape(&out)
    }

    /// The 1-d convolution (see [`try_conv1d`](Self::try_conv1d)); panics with the error.
    #[track_caller]
    pub fn conv1d(self, w: Self, b: Option<Self>, opts: ConvOptions) -> Self {
        self.try_conv1d(w, b, opts)
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
