//! `conv_transpose1d`: the transposed 1-d convolution, as `conv_transpose2d` on a grid of
//! height 1 (two reshapes around the 2-d op). No op of its own.

use super::conv1d::check_1d;
use super::{ConvOptions, ConvTranspose2d};
use crate::{Error, Float, Var};
use std::panic::Location;

impl<'t, T: Float> Var<'t, T> {
    /// The transposed 1-d convolution of `self` (`[N, C_in, L]`) with `w`
    /// (`[C_in, C_out/groups, K]`) plus the optional bias `b` (`[C_out]`), PyTorch's
    /// `conv_transpose1d`: output length `(L − 1)·s − 2·pad + d·(K − 1) + output_padding + 1`.
    /// The options' second components apply. It is [`ConvTranspose2d`] on a grid of
    /// height 1, the adjoint of [`conv1d`](Self::conv1d). Or the error naming
    /// `conv_transpose1d`, the shapes, the parameters and the caller's line.
    ///
    /// ```
    /// use tapegrad_core::ops::conv::ConvOptions;
    /// use tapegrad_core::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.leaf(Tensor::from_vec(vec![1., 2.], &[1, 1, 2]));
    /// let w = tape.leaf(Tensor::from_vec(vec![1., 10.], &[1, 1, 2]));
    /// let y = x.conv_transpose1d(w, None, ConvOptions::default().stride(2));
    /// assert_eq!(y.value().as_slice(), &[1., 10., 2., 20.]);
    /// ```
    #[track_caller]
    pub fn try_conv_transpose1d(
        self,
        w: Self,
        b: Option<Self>,
        opts: ConvOptions,
    ) -> Result<Self, Error> {
        let site = Location::caller();
        let (geometry, out) = check_1d("conv_transpose1d", true, self, w, b, opts, site)?;
        let (xs, ws) = (self.shape(), w.shape());
        let x4 = self.try_reshape(&[xs[0], xs[1], 1, xs[2]])?;
        let w4 = w.try_reshape(&[ws[0], ws[1], 1, ws[2]])?;
        let op = ConvTranspose2d { geometry };
        let y = match b {
            Some(b) => self.tape.try_apply(op, &[x4, w4, b])?,
            None => self.tape.try_apply(op, &[x4, w4])?,
        };
        y.try_reshape(&out)
    }

    /// The transposed 1-d convolution (see
    /// [`try_conv_transpose1d`](Self::try_conv_transpose1d)); panics with the error.
    #[track_caller]
    pub fn conv_transpose1d(self, w: Self, b: Option<Self>, opts: ConvOptions) -> Self {
        self.try_conv_transpose1d(w, b, opts)
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
