//! `equal`: element-wise `[a == b]` as 1 or 0, with no gradient (the mask the `max` and
//! `min` reductions differentiate with, recomputed by a plan at every replay).

use crate::structure::{Curvature, Structure};
use crate::{Error, Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = 1` where `a == b`, else `0` (broadcasting; NaN equals nothing, so gives 0).
/// `da = db = 0`: the VJP returns no gradient.
///
/// # Design
/// The `max` reduction's VJP weighs each element by `equal(x, y) / Σ equal(x, y)` (the
/// even split among tied maxima of `CONVENTIONS.md`): ops of the recording, not constants
/// made from values, so a [`Plan`](crate::Plan) recomputes them from the new inputs.
pub struct Equal;

impl<T: Float> Op<T> for Equal {
    fn name(&self) -> &str {
        "equal"
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0].zip_map(xs[1], |a, b| if a == b { T::ONE } else { T::ZERO })
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], _y: Var<'t, T>, _dy: Var<'t, T>) -> InputGrads<'t, T> {
        [None, None].into()
    }
    fn is_at_kink(&self, xs: &[&Tensor<T>]) -> bool {
        super::maximum::any_tie(xs[0], xs[1])
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Linear)
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// `[self == rhs]` element-wise as 1 or 0 (broadcasting), with no gradient, or the
    /// error when the shapes do not broadcast.
    #[track_caller]
    pub fn try_equal(self, rhs: Self) -> Result<Self, Error> {
        self.tape.try_apply(Equal, &[self, rhs])
    }

    /// `[self == rhs]` element-wise as 1 or 0 (broadcasting), with no gradient; panics
    /// (naming the shapes and the line) if the shapes do not broadcast.
    #[track_caller]
    pub fn equal(self, rhs: Self) -> Self {
        self.try_equal(rhs).unwrap_or_else(|e| panic!("{e}"))
    }
}
