//! `abs`: element-wise absolute value.

use crate::structure::{Curvature, Structure};
use crate::{Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = |x|`. `dx = dy · sign(x)` with `sign(0) = 0`.
///
/// Edges (`CONVENTIONS.md`): `abs'(0) = 0`, the minimum-norm subgradient (JAX gives +1),
/// and the op reports a kink there. A NaN input gives a NaN gradient.
///
/// # Design
/// The sign is the op [`Sign`](super::Sign), which has no gradient: `abs'' = 0` wherever
/// it exists. Being an op, not a constant built from `x`'s value, a
/// [`Plan`](crate::Plan) recomputes it at every replay.
pub struct Abs;

impl<T: Float> Op<T> for Abs {
    fn name(&self) -> &str {
        "abs"
    }
    fn scalar_partials(&self, xs: &[T], _y: T) -> Option<[T; 2]> {
        Some([super::sign::sign(xs[0]), T::ZERO])
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn scalar_forward(&self, xs: &[T]) -> Option<T> {
        Some(T::abs(xs[0]))
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].map(T::abs))
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        // the sign, 0 at ±0 and NaN at NaN, is an op (with no gradient) rather than a
        // constant made from x's value, so a plan recomputes it at every replay
        [Some(dy * xs[0].sign())].into()
    }
    fn is_at_kink(&self, xs: &[&Tensor<T>]) -> bool {
        xs[0].as_slice().contains(&T::ZERO)
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Linear)
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Element-wise absolute value `|x|`.
    #[track_caller]
    pub fn abs(self) -> Self {
        self.tape.apply(Abs, &[self])
    }
}
