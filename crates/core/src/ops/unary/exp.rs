//! `exp`: element-wise natural exponential.

use crate::structure::{Curvature, Structure};
use crate::{Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = eˣ`. `dx = dy · y`.
pub struct Exp;

impl<T: Float> Op<T> for Exp {
    fn name(&self) -> &str {
        "exp"
    }
    fn scalar_partials(&self, _xs: &[T], y: T) -> Option<[T; 2]> {
        Some([y, T::ZERO])
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn scalar_forward(&self, xs: &[T]) -> Option<T> {
        Some(super::at_one(T::exp_slice, xs[0]))
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].map_slices(T::exp_slice))
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(dy * y)].into()
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Nonlinear)
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Element-wise `eˣ`.
    #[track_caller]
    pub fn exp(self) -> Self {
        self.tape.apply(Exp, &[self])
    }
}
