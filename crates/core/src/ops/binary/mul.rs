//! `mul`: element-wise `a · b` with broadcasting.

use crate::structure::{Curvature, Structure};
use crate::{Error, Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = a · b` (broadcasting). `da = dy · b`, `db = dy · a` (one product for a square
/// `a · a`; none for a constant operand).
pub struct Mul;

impl<T: Float> Op<T> for Mul {
    fn name(&self) -> &str {
        "mul"
    }
    fn scalar_partials(&self, xs: &[T], _y: T) -> Option<[T; 2]> {
        Some([xs[1], xs[0]])
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn scalar_forward(&self, xs: &[T]) -> Option<T> {
        Some(xs[0] * xs[1])
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0].zip_map(xs[1], |a, b| a * b)
    }
    fn forward_into(&self, xs: &[&Tensor<T>], out: &mut Tensor<T>) -> Result<(), TensorError> {
        xs[0].zip_map_into(xs[1], out, |a, b| a * b)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let (a, b) = (xs[0], xs[1]);
        if a.id == b.id {
            // A square: both gradients are `dy · a`, computed once.
            let g = a.needs_grad().then(|| dy * a);
            return [g, g].into();
        }
        // A constant operand's gradient would be dropped by the sweep: not computed.
        [
            a.needs_grad().then(|| dy * b),
            b.needs_grad().then(|| dy * a),
        ]
        .into()
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Bilinear)
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// `self · rhs` with broadcasting, or the error when the shapes do not broadcast.
    #[track_caller]
    pub fn try_mul(self, rhs: Self) -> Result<Self, Error> {
        self.tape.try_apply(Mul, &[self, rhs])
    }
}

impl<'t, T: Float> std::ops::Mul for Var<'t, T> {
    type Output = Self;
    /// `a · b` with broadcasting; panics (naming the shapes and the line) if they do not
    /// broadcast.
    #[track_caller]
    fn mul(self, rhs: Self) -> Self {
        self.tape.apply(Mul, &[self, rhs])
    }
}
