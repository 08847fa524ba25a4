//! `linear`: `x·Wᵀ + b` as one op, so a layer keeps one activation instead of two and
//! the bias is added while the product is still in cache.

use super::MatMul;
use crate::tensor::try_numel;
use crate::{Error, Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = x·Wᵀ (+ b)` for `x: [..., in]`, `W: [out, in]`, `b: [out]`.
///
/// `dx = dy·W`, `dW = dyᵀ·x` (summed over batch axes by the sweep), `db = dy` (summed down
/// to `[out]` by the sweep). The products are `MatMul`s reading their operands transposed
/// in place.
pub struct Linear;

impl<T: Float> Op<T> for Linear {
    fn name(&self) -> &str {
        "linear"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        let (x, w) = (xs[0], xs[1]);
        if x.ndim() < 2 || w.ndim() != 2 {
            return Err(TensorError(format!(
                "needs x of rank >= 2 and a 2-d weight: {:?}, {:?}",
                x.shape(),
                w.shape()
            )));
        }
        let y = x.matmul_t(w, false, true)?;
        match xs.get(2) {
            None => Ok(y),
            Some(b) if b.shape() == [w.shape()[0]] => y.zip_map(b, |v, b| v + b),
            Some(b) => Err(TensorError(format!(
                "bias of shape {:?} for a weight of shape {:?}",
                b.shape(),
                w.shape()
            ))),
        }
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let (x, w) = (xs[0], xs[1]);
        let tape = x.tape();
        let dx = tape.apply(
            MatMul {
                ta: false,
                tb: false,
            },
            &[dy, w],
        );
        // dW = dyᵀ·x over the flattened batch: reshape both to 2-d
        // The batch axes multiply past usize::MAX only when `dy`'s last axis is 0, and then
        // so is `x`'s (both tensors exist): the product has no rows, and `dw` is `[0, 0]`.
        let rows = try_numel(&dy.shape()[..dy.shape().len() - 1]).unwrap_or(0);
        let dy2 = dy.reshape(&[rows, w.shape()[0]]);
        let x2 = x.reshape(&[rows, w.shape()[1]]);
        let dw = tape.apply(
            MatMul {
                ta: true,
                tb: false,
            },
            &[dy2, x2],
        );
        let mut grads = vec![Some(dx), Some(dw)];
        if xs.len() == 3 {
            grads.push(Some(dy));
        }
        grads.into()
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// `x·Wᵀ + b`, PyTorch's `linear`: `x` is `[..., in]`, `W` is `[out, in]`, `b` is
    /// `[out]`. `Wᵀ` is read in place, never copied.
    ///
    /// ```
    /// use tapegrad_core::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.constant(Tensor::from_vec(vec![1., 2.], &[1, 2]));
    /// let w = tape.leaf(Tensor::from_vec(vec![1., 0., 0., 1., 1., 1.], &[3, 2]));
    /// let b = tape.leaf(Tensor::vector(vec![0.5, 0.5, 0.5]));
    /// assert_eq!(x.linear(w, Some(b)).value().as_slice(), &[1.5, 2.5, 3.5]);
    /// ```
    #[track_caller]
    pub fn try_linear(self, w: Self, b: Option<Self>) -> Result<Self, Error> {
        match b {
            Some(b) => self.tape.try_apply(Linear, &[self, w, b]),
            None => self.tape.try_apply(Linear, &[self, w]),
        }
    }

    /// `x·Wᵀ + b` (see [`try_linear`](Self::try_linear)); panics with the shapes on mismatch.
    #[track_caller]
    pub fn linear(self, w: Self, b: Option<Self>) -> Self {
        self.try_linear(w, b).unwrap_or_else(|e| panic!("{e}"))
    }
}
