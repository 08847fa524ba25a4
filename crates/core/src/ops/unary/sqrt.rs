//! `sqrt`: element-wise square root.

use crate::structure::{Curvature, Structure};
use crate::{Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = √x`. `dx = dy / (2y)`.
///
/// Edges (`CONVENTIONS.md`): `sqrt'(0) = +inf`, the limit from the right; the op reports a
/// kink there, since a central difference at 0 reaches into `x < 0`. For `x < 0` value
/// and gradient are NaN. As in every chain-rule engine, `sqrt(x·x)` has gradient NaN at
/// 0 (`inf · 0`); write `abs(x)` for that.
pub struct Sqrt;

impl<T: Float> Op<T> for Sqrt {
    fn name(&self) -> &str {
        "sqrt"
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn scalar_forward(&self, xs: &[T]) -> Option<T> {
        Some(T::sqrt(xs[0]))
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].map(T::sqrt))
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(dy / (y * T::from_f64(2.0)))].into()
    }
    fn is_at_kink(&self, xs: &[&Tensor<T>]) -> bool {
        xs[0].as_slice().contains(&T::ZERO)
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Nonlinear)
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Element-wise square root `√x`.
    #[track_caller]
    pub fn sqrt(self) -> Self {
        self.tape.apply(Sqrt, &[self])
    }
}
