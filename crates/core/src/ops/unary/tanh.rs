//! `tanh`: element-wise hyperbolic tangent.

use crate::structure::{Curvature, Structure};
use crate::{Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = tanh x`. `dx = dy · (1 - y²)`.
///
/// The derivative is computed from the output (`CONVENTIONS.md`): for saturated inputs
/// (`|x| ≳ 19` in f64) `y = ±1` exactly and the gradient is exactly 0, never NaN.
///
/// This is the op that [`Var::tanh`](crate::Var::tanh) records. `tapegrad_nn::Tanh`, of the same
/// name, is a layer (a `Module`) that applies it. They live in different crates, and the
/// prelude exports only the layer.
pub struct Tanh;

impl<T: Float> Op<T> for Tanh {
    fn name(&self) -> &str {
        "tanh"
    }
    fn scalar_partials(&self, _xs: &[T], y: T) -> Option<[T; 2]> {
        Some([T::ONE - y * y, T::ZERO])
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].map_slices(T::tanh_slice))
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(dy * (y.scalar(T::ONE) - y * y))].into()
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Nonlinear)
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Element-wise hyperbolic tangent.
    #[track_caller]
    pub fn tanh(self) -> Self {
        self.tape.apply(Tanh, &[self])
    }
}
