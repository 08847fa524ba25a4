//! `abs`: element-wise absolute value.

use crate::structure::{Curvature, Structure};
use crate::{Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = |x|`. `dx = dy · sign(x)` with `sign(0) = 0`.
///
/// Edges (`CONVENTIONS.md`): `abs'(0) = 0`, the minimum-norm subgradient (JAX gives +1),
/// and the op reports a kink there. A NaN input gives a NaN gradient.
///
/// # Design
/// The sign is a constant built from `x`'s value: `abs'' = 0` wherever it exists, so the
/// sign has no derivative to record.
pub struct Abs;

impl<T: Float> Op<T> for Abs {
    fn name(&self) -> &str {
        "abs"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].map(T::abs))
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let x = xs[0];
        // `signum` is ±1 at ±0; NaN stays NaN
        let sign = x
            .value()
            .map(|v| if v == T::ZERO { T::ZERO } else { v.signum() });
        [Some(dy * x.constant(sign))].into()
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
