//! `neg`: element-wise `-x`.

use crate::structure::{Curvature, Structure};
use crate::{Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = -x`. `dx = -dy`.
pub struct Neg;

impl<T: Float> Op<T> for Neg {
    fn name(&self) -> &str {
        "neg"
    }
    fn scalar_partials(&self, _xs: &[T], _y: T) -> Option<[T; 2]> {
        Some([-T::ONE, T::ZERO])
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn scalar_forward(&self, xs: &[T]) -> Option<T> {
        Some(-xs[0])
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].map(|x| -x))
    }
    fn forward_into(&self, xs: &[&Tensor<T>], out: &mut Tensor<T>) -> Result<(), TensorError> {
        xs[0].map_into(out, |x| -x);
        Ok(())
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(-dy)].into()
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Linear)
    }
}

impl<'t, T: Float> std::ops::Neg for Var<'t, T> {
    type Output = Self;
    /// Element-wise `-x`.
    #[track_caller]
    fn neg(self) -> Self {
        self.tape.apply(Neg, &[self])
    }
}
