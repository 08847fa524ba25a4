//! `div`: element-wise `a / b` with broadcasting.

use crate::structure::{Curvature, Structure};
use crate::{Error, Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = a / b` (broadcasting). `da = dy / b`, `db = -dy · y / b` (`= -dy·a/b²`).
///
/// At `b = 0`: `da = ±inf` and `db = ∓inf` by IEEE arithmetic; `0/0` gives NaN.
pub struct Div;

impl<T: Float> Op<T> for Div {
    fn name(&self) -> &str {
        "div"
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn scalar_forward(&self, xs: &[T]) -> Option<T> {
        Some(xs[0] / xs[1])
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0].zip_map(xs[1], |a, b| a / b)
    }
    fn forward_into(&self, xs: &[&Tensor<T>], out: &mut Tensor<T>) -> Result<(), TensorError> {
        xs[0].zip_map_into(xs[1], out, |a, b| a / b)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let (a, b) = (xs[0], xs[1]);
        let da = dy / b;
        // A constant operand's gradient would be dropped by the sweep: not computed.
        [
            a.needs_grad().then_some(da),
            b.needs_grad().then(|| -(da * y)),
        ]
        .into()
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Nonlinear)
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// `self / rhs` with broadcasting, or the error when the shapes do not broadcast.
    #[track_caller]
    pub fn try_div(self, rhs: Self) -> Result<Self, Error> {
        self.tape.try_apply(Div, &[self, rhs])
    }
}

impl<'t, T: Float> std::ops::Div for Var<'t, T> {
    type Output = Self;
    /// `a / b` with broadcasting; panics (naming the shapes and the line) if they do not
    /// broadcast.
    #[track_caller]
    fn div(self, rhs: Self) -> Self {
        self.tape.apply(Div, &[self, rhs])
    }
}
