//! `tan`: element-wise tangent.

use crate::structure::{Curvature, Structure};
use crate::{Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = tan x`. `dx = dy · (1 + y²)` (`= dy / cos² x`).
pub struct Tan;

impl<T: Float> Op<T> for Tan {
    fn name(&self) -> &str {
        "tan"
    }
    fn scalar_partials(&self, _xs: &[T], y: T) -> Option<[T; 2]> {
        Some([y * y + T::ONE, T::ZERO])
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn scalar_forward(&self, xs: &[T]) -> Option<T> {
        Some(T::tan(xs[0]))
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].map(T::tan))
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        // `1 + y²` reuses the output instead of computing `cos x` again; it differentiates
        // through `y` to the second derivative `2y(1 + y²)`.
        [Some(dy * (y * y + T::ONE))].into()
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Nonlinear)
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Element-wise tangent (radians).
    #[track_caller]
    pub fn tan(self) -> Self {
        self.tape.apply(Tan, &[self])
    }
}
