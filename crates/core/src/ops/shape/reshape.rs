//! `reshape`: the same elements under a new shape.

use super::super::batch_axes;
use crate::structure::Structure;
use crate::tensor::joined;
use crate::tensor::shape_of;
use crate::{Error, Float, InputGrads, Op, Shape, Tensor, TensorError, Var};

/// `y = x` viewed with `shape` (same element count, row-major order kept).
/// `dx = reshape(dy, shape(x))`.
pub struct Reshape {
    /// The new shape.
    pub shape: Shape,
}

impl<T: Float> Op<T> for Reshape {
    fn name(&self) -> &str {
        "reshape"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0].reshape(&self.shape)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let lead = batch_axes(dy, y);
        [Some(dy.reshape(&joined(&lead, &xs[0].shape())))].into()
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn label(&self) -> String {
        format!("reshape({:?})", self.shape.as_slice())
    }
    fn structure(&self, inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::moved(inputs, |xs| xs[0].reshape(&self.shape))
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// The same elements under `shape`, or the error when the element counts differ.
    #[track_caller]
    pub fn try_reshape(self, shape: &[usize]) -> Result<Self, Error> {
        self.tape.try_apply(
            Reshape {
                shape: shape_of(shape),
            },
            &[self],
        )
    }

    /// The same elements under `shape` (same element count).
    #[track_caller]
    pub fn reshape(self, shape: &[usize]) -> Self {
        self.try_reshape(shape).unwrap_or_else(|e| panic!("{e}"))
    }

    /// All elements as a 1-d vector.
    #[track_caller]
    pub fn flatten(self) -> Self {
        let n = crate::tensor::numel(&self.shape());
        self.reshape(&[n])
    }
}
