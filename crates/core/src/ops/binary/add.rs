//! `add`: element-wise `a + b` with broadcasting.

use crate::structure::{Curvature, Structure};
use crate::{Error, Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = a + b` (broadcasting). `da = dy`, `db = dy`.
pub struct Add;

impl<T: Float> Op<T> for Add {
    fn name(&self) -> &str {
        "add"
    }
    fn scalar_partials(&self, _xs: &[T], _y: T) -> Option<[T; 2]> {
        Some([T::ONE, T::ONE])
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn scalar_forward(&self, xs: &[T]) -> Option<T> {
        Some(xs[0] + xs[1])
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0].zip_map(xs[1], |a, b| a + b)
    }
    fn forward_into(&self, xs: &[&Tensor<T>], out: &mut Tensor<T>) -> Result<(), TensorError> {
        xs[0].zip_map_into(xs[1], out, |a, b| a + b)
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(dy), Some(dy)].into()
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Linear)
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// `self + rhs` with broadcasting, or the error when the shapes do not broadcast.
    #[track_caller]
    pub fn try_add(self, rhs: Self) -> Result<Self, Error> {
        self.tape.try_apply(Add, &[self, rhs])
    }
}

impl<'t, T: Float> std::ops::Add for Var<'t, T> {
    type Output = Self;
    /// `a + b` with broadcasting; panics (naming the shapes and the line) if they do not
    /// broadcast.
    #[track_caller]
    fn add(self, rhs: Self) -> Self {
        self.tape.apply(Add, &[self, rhs])
    }
}
