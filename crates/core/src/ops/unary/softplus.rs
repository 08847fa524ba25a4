//! `softplus`: element-wise `ln(1 + eˣ)`, a smooth `relu`.

use crate::structure::{Curvature, Structure};
use crate::{Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = ln(1 + eˣ)`. `dx = dy · sigmoid(x)`.
///
/// Computed as `max(x, 0) + ln(1 + e^{-|x|})`, which never overflows: `softplus(1000)`
/// is exactly 1000 and `softplus(-1000)` is `e⁻¹⁰⁰⁰`, which rounds to 0; the gradients
/// there are exactly 1 and 0. The derivative is the stable [`Sigmoid`](super::Sigmoid)
/// of `x`, whose own VJP gives the second derivative `σ(1 - σ)`.
pub struct Softplus;

impl<T: Float> Op<T> for Softplus {
    fn name(&self) -> &str {
        "softplus"
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn scalar_forward(&self, xs: &[T]) -> Option<T> {
        Some(super::at_one(T::softplus_slice, xs[0]))
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].map_slices(T::softplus_slice))
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(dy * xs[0].sigmoid())].into()
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Nonlinear)
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Element-wise `ln(1 + eˣ)`, stable for inputs of any size.
    #[track_caller]
    pub fn softplus(self) -> Self {
        self.tape.apply(Softplus, &[self])
    }
}
