//! `minimum`: element-wise `min(a, b)` with broadcasting; the mirror of `maximum`, whose
//! tie rule it shares.

use super::maximum::{any_tie, pick, winner_vjp};
use crate::structure::{Curvature, Structure};
use crate::{Error, Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = min(a, b)` (broadcasting; NaN if either is NaN).
/// `da = dy · [a < b]`, `db = dy · [b < a]`, and at a tie `a == b` half of `dy` to each side
/// (CONVENTIONS.md), so `x.minimum(x)` has gradient 1 and `min(x, 0)` has slope 0.5 at 0.
pub struct Minimum;

impl<T: Float> Op<T> for Minimum {
    fn name(&self) -> &str {
        "minimum"
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn scalar_forward(&self, xs: &[T]) -> Option<T> {
        Some(pick(xs[0], xs[1], xs[0] < xs[1]))
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0].zip_map(xs[1], |a, b| pick(a, b, a < b))
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        winner_vjp(xs, dy, false)
    }
    fn is_at_kink(&self, xs: &[&Tensor<T>]) -> bool {
        any_tie(xs[0], xs[1])
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Linear)
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Element-wise `min(self, rhs)` with broadcasting, or the error when the shapes do
    /// not broadcast.
    #[track_caller]
    pub fn try_minimum(self, rhs: Self) -> Result<Self, Error> {
        self.tape.try_apply(Minimum, &[self, rhs])
    }

    /// Element-wise `min(self, rhs)` with broadcasting; at a tie each side gets half the
    /// gradient. NaN in either operand gives NaN.
    #[track_caller]
    pub fn minimum(self, rhs: Self) -> Self {
        self.try_minimum(rhs).unwrap_or_else(|e| panic!("{e}"))
    }
}
