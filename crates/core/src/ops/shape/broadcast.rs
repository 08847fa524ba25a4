//! `broadcast_to` and `sum_to`: repeat along broadcast axes, and its adjoint.
//! The backward sweep uses `sum_to` to return a broadcast gradient to its input's shape.

use super::super::batch_axes;
use crate::structure::Structure;
use crate::tensor::joined;
use crate::tensor::shape_of;
use crate::{Error, Float, InputGrads, Op, Shape, Tensor, TensorError, Var};

/// `y = x` repeated to `shape` (NumPy broadcasting). `dx = sum_to(dy, shape(x))`.
pub struct BroadcastTo {
    /// The target shape.
    pub shape: Shape,
}

impl<T: Float> Op<T> for BroadcastTo {
    fn name(&self) -> &str {
        "broadcast_to"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0].broadcast_to(&self.shape)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let (lead, x) = (batch_axes(dy, y), xs[0].shape());
        if lead.is_empty() {
            return [Some(dy.sum_to(&x))].into();
        }
        // a batch: summed to [k, 1, …, x], the batch axis kept in front, then [k] ++ x
        let ones = vec![1; self.shape.len() - x.len()];
        let kept = joined(&lead, &joined(&ones, &x));
        [Some(dy.sum_to(&kept).reshape(&joined(&lead, &x)))].into()
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn label(&self) -> String {
        format!("broadcast_to({:?})", self.shape.as_slice())
    }
    fn structure(&self, inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::moved(inputs, |xs| xs[0].broadcast_to(&self.shape))
    }
}

/// `y` = `x` summed over the axes along which `shape` broadcasts to `shape(x)`.
/// `dx = broadcast_to(dy, shape(x))`.
pub struct SumTo {
    /// The target shape; it must broadcast to the input's shape.
    pub shape: Shape,
}

impl<T: Float> Op<T> for SumTo {
    fn name(&self) -> &str {
        "sum_to"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0].sum_to(&self.shape)
    }
    fn forward_into(&self, xs: &[&Tensor<T>], out: &mut Tensor<T>) -> Result<(), TensorError> {
        xs[0].sum_to_into(&self.shape, out)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let (lead, x) = (batch_axes(dy, y), xs[0].shape());
        if lead.is_empty() {
            return [Some(dy.broadcast_to(&x))].into();
        }
        // a batch: [k] ++ y made [k, 1, …, y] so that it broadcasts to [k] ++ x
        let ones = vec![1; x.len() - self.shape.len()];
        let aligned = joined(&lead, &joined(&ones, &self.shape));
        [Some(dy.reshape(&aligned).broadcast_to(&joined(&lead, &x)))].into()
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn label(&self) -> String {
        format!("sum_to({:?})", self.shape.as_slice())
    }
    fn structure(&self, inputs: &[&[usize]], output: &[usize]) -> Structure {
        Structure::adjoint_of_moved(output, |xs| xs[0].broadcast_to(inputs[0]))
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Repeats along broadcast axes to `shape`; the error names both shapes.
    #[track_caller]
    pub fn try_broadcast_to(self, shape: &[usize]) -> Result<Self, Error> {
        if crate::tensor::same_shape(&self.shape(), shape) {
            return Ok(self);
        }
        self.tape.try_apply(
            BroadcastTo {
                shape: shape_of(shape),
            },
            &[self],
        )
    }

    /// Repeats along broadcast axes to `shape`.
    #[track_caller]
    pub fn broadcast_to(self, shape: &[usize]) -> Self {
        self.try_broadcast_to(shape)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Sums the axes along which `shape` was broadcast, giving a value of `shape`.
    #[track_caller]
    pub fn try_sum_to(self, shape: &[usize]) -> Result<Self, Error> {
        if crate::tensor::same_shape(&self.shape(), shape) {
            return Ok(self);
        }
        self.tape.try_apply(
            SumTo {
                shape: shape_of(shape),
            },
            &[self],
        )
    }

    /// Sums the axes along which `shape` was broadcast, giving a value of `shape`.
    #[track_caller]
    pub fn sum_to(self, shape: &[usize]) -> Self {
        self.try_sum_to(shape).unwrap_or_else(|e| panic!("{e}"))
    }
}
