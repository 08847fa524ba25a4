//! `sign`: element-wise sign, a step with no gradient (the mask `relu` and `abs`
//! differentiate with, recomputed by a plan at every replay).

use crate::structure::{Curvature, Structure};
use crate::{Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = sign(x)`: `-1` for `x < 0`, `0` at `±0`, `1` for `x > 0`, NaN for NaN (as
/// `torch.sign`). `dx = 0` everywhere (PyTorch's convention at the jump, 0, too): the VJP
/// returns no gradient.
///
/// # Design
/// `relu`'s VJP is `dy · sign(y)` and `abs`'s `dy · sign(x)`: the mask is an op of the
/// recording, not a constant computed from a value, so a [`Plan`](crate::Plan) replaying
/// a traced gradient recomputes it from the new inputs.
pub struct Sign;

impl<T: Float> Op<T> for Sign {
    fn name(&self) -> &str {
        "sign"
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn scalar_forward(&self, xs: &[T]) -> Option<T> {
        Some(sign(xs[0]))
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].map(sign))
    }
    fn forward_into(&self, xs: &[&Tensor<T>], out: &mut Tensor<T>) -> Result<(), TensorError> {
        xs[0].map_into(out, sign);
        Ok(())
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], _y: Var<'t, T>, _dy: Var<'t, T>) -> InputGrads<'t, T> {
        [None].into()
    }
    fn is_at_kink(&self, xs: &[&Tensor<T>]) -> bool {
        xs[0].as_slice().contains(&T::ZERO)
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Linear)
    }
}

/// `-1`, `0` (at `±0`), `1` or NaN.
pub(super) fn sign<T: Float>(x: T) -> T {
    if x == T::ZERO {
        T::ZERO
    } else {
        x.signum()
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Element-wise sign (`-1`, `0` or `1`; NaN stays NaN), with zero gradient.
    #[track_caller]
    pub fn sign(self) -> Self {
        self.tape.apply(Sign, &[self])
    }
}
