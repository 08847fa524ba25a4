//! `relu`: element-wise `max(x, 0)`.

use crate::float::relu;
use crate::structure::{Curvature, Structure};
use crate::{Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = max(x, 0)`. `dx = dy · [x > 0]`.
///
/// Edges (`CONVENTIONS.md`): `relu'(0) = 0` (the minimum-norm subgradient), and the op
/// reports a kink there. A NaN input gives a NaN value and a NaN gradient.
///
/// # Design
/// The 0/1 mask is `sign(y)`, an op with no gradient: `relu'' = 0` wherever it exists.
/// It is recorded as an op rather than built as a constant from `x`'s value, so a
/// [`Plan`](crate::Plan) recomputes it at every replay.
///
/// This is the op that [`Var::relu`](crate::Var::relu) records. `tapegrad_nn::Relu`, of the same
/// name, is a layer (a `Module`) that applies it. They live in different crates, and the
/// prelude exports only the layer.
pub struct Relu;

impl<T: Float> Op<T> for Relu {
    fn name(&self) -> &str {
        "relu"
    }
    fn scalar_partials(&self, _xs: &[T], y: T) -> Option<[T; 2]> {
        Some([super::sign::sign(y), T::ZERO])
    }
    fn scalar_forward(&self, xs: &[T]) -> Option<T> {
        Some(relu(xs[0]))
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].map(relu))
    }
    fn forward_into(&self, xs: &[&Tensor<T>], out: &mut Tensor<T>) -> Result<(), TensorError> {
        xs[0].map_into(out, relu);
        Ok(())
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        // sign(y) is 1 where x > 0, 0 where x ≤ 0 (y = +0 there), NaN where x is NaN
        [Some(dy * y.sign())].into()
    }
    fn is_at_kink(&self, xs: &[&Tensor<T>]) -> bool {
        xs[0].as_slice().contains(&T::ZERO)
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Linear)
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Element-wise rectified linear unit `max(x, 0)`.
    #[track_caller]
    pub fn relu(self) -> Self {
        self.tape.apply(Relu, &[self])
    }
}
