//! `cos`: element-wise cosine.

use crate::structure::{Curvature, Structure};
use crate::{Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = cos x`. `dx = -dy · sin x`.
pub struct Cos;

impl<T: Float> Op<T> for Cos {
    fn name(&self) -> &str {
        "cos"
    }
    fn scalar_partials(&self, xs: &[T], _y: T) -> Option<[T; 2]> {
        Some([-xs[0].sin(), T::ZERO])
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn scalar_forward(&self, xs: &[T]) -> Option<T> {
        Some(T::cos(xs[0]))
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].map(T::cos))
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(-(dy * xs[0].sin()))].into()
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Nonlinear)
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Element-wise cosine (radians).
    #[track_caller]
    pub fn cos(self) -> Self {
        self.tape.apply(Cos, &[self])
    }
}
