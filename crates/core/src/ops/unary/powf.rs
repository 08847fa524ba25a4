//! `powf`: element-wise power with a constant float exponent. (Both operands variables:
//! not here.)

use crate::structure::{Curvature, Structure};
use crate::{Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = xᵖ` for a constant `p`. `dx = dy · p · xᵖ⁻¹`.
///
/// Edges (`CONVENTIONS.md`): for `p = 0`, `y = 1` everywhere (`0⁰` included) and
/// `dx = 0`, guarded rather than computed as `0 · 0⁻¹ = NaN`; the guard also makes the
/// second derivative of `x¹` at 0 come out as 0. For `x < 0` and a non-integer `p`, value
/// and gradient are NaN. At `x = 0` with a non-integer `p` the op reports a kink (the
/// left side is NaN): the gradient is the limit from the right, `+inf` for `0 < p < 1`
/// (as `sqrt`) and 0 for `p > 1`.
pub struct Powf<T> {
    /// The exponent.
    pub p: T,
}

impl<T: Float> Op<T> for Powf<T> {
    fn name(&self) -> &str {
        "powf"
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn scalar_forward(&self, xs: &[T]) -> Option<T> {
        Some(xs[0].powf(self.p))
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].map(|x| x.powf(self.p)))
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let x = xs[0];
        if self.p == T::ZERO {
            return [Some(x.constant(Tensor::zeros(&x.shape())))].into();
        }
        [Some(dy * x.powf(self.p - T::ONE) * self.p)].into()
    }
    fn is_at_kink(&self, xs: &[&Tensor<T>]) -> bool {
        self.p % T::ONE != T::ZERO && xs[0].as_slice().contains(&T::ZERO)
    }
    fn label(&self) -> String {
        format!("powf({})", self.p)
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Nonlinear)
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Element-wise `xᵖ` for a constant float exponent `p`.
    #[track_caller]
    pub fn powf(self, p: T) -> Self {
        self.tape.apply(Powf { p }, &[self])
    }
}
