//! `sin`: element-wise sine.

use crate::structure::{Curvature, Structure};
use crate::{Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = sin x`. `dx = dy · cos x`.
pub struct Sin;

impl<T: Float> Op<T> for Sin {
    fn name(&self) -> &str {
        "sin"
    }
    fn scalar_partials(&self, xs: &[T], _y: T) -> Option<[T; 2]> {
        Some([xs[0].cos(), T::ZERO])
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn scalar_forward(&self, xs: &[T]) -> Option<T> {
        Some(T::sin(xs[0]))
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].map(T::sin))
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(dy * xs[0].cos())].into()
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Nonlinear)
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Element-wise sine (radians).
    #[track_caller]
    pub fn sin(self) -> Self {
        self.tape.apply(Sin, &[self])
    }
}
