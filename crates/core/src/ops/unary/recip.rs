//! `recip`: element-wise `1/x`.

use crate::structure::{Curvature, Structure};
use crate::{Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = 1/x`. `dx = -dy · y²` (`= -dy/x²`).
///
/// At `x = ±0`: `y = ±inf` and `dx = -inf`, the same answer as `1/x` through
/// [`Div`](crate::ops::binary::Div).
pub struct Recip;

impl<T: Float> Op<T> for Recip {
    fn name(&self) -> &str {
        "recip"
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn scalar_forward(&self, xs: &[T]) -> Option<T> {
        Some(T::ONE / xs[0])
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].map(|x| T::ONE / x))
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        // In terms of `y`: no division, and `y` is recorded as a function of `x`, so the
        // second derivative (`2y³`) comes out of this same VJP.
        [Some(-(dy * y * y))].into()
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Nonlinear)
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Element-wise `1/x`.
    #[track_caller]
    pub fn recip(self) -> Self {
        self.tape.apply(Recip, &[self])
    }
}
