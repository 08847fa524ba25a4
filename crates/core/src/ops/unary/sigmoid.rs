//! `sigmoid`: element-wise logistic function.

use crate::structure::{Curvature, Structure};
use crate::{Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = 1 / (1 + e⁻ˣ)`. `dx = dy · y · (1 - y)`.
///
/// Computed as `1/(1 + e⁻ˣ)` for `x ≥ 0` and `eˣ/(1 + eˣ)` for `x < 0` (a branch-free
/// kernel, `Float::sigmoid_slice`), so the exponential never overflows: `sigmoid(1000) = 1` and `sigmoid(-1000) = 0` exactly. The
/// derivative is computed from the output (`CONVENTIONS.md`), so it is exactly 0 there,
/// never NaN.
pub struct Sigmoid;

impl<T: Float> Op<T> for Sigmoid {
    fn name(&self) -> &str {
        "sigmoid"
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn scalar_forward(&self, xs: &[T]) -> Option<T> {
        Some(super::at_one(T::sigmoid_slice, xs[0]))
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].map_slices(T::sigmoid_slice))
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(dy * y * (y.scalar(T::ONE) - y))].into()
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Nonlinear)
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Element-wise logistic sigmoid `1 / (1 + e⁻ˣ)`, stable for inputs of any size.
    #[track_caller]
    pub fn sigmoid(self) -> Self {
        self.tape.apply(Sigmoid, &[self])
    }
}
