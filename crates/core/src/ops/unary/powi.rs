//! `powi`: element-wise power with a constant integer exponent.

use crate::structure::{Curvature, Structure};
use crate::{Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = xⁿ` for a constant integer `n`. `dx = dy · n · xⁿ⁻¹`.
///
/// Defined for every real `x`, negative bases included. Edges (`CONVENTIONS.md`): for
/// `n = 0`, `y = 1` everywhere (`0⁰` included) and `dx = 0`, guarded rather than computed
/// as `0 · 0⁻¹ = NaN`; the guard also makes the second derivative of `x¹` at 0 come out as
/// 0. For `n < 0`, `x = 0` is a pole: `y` and `dx` are infinite, as for `recip`.
pub struct Powi {
    /// The exponent.
    pub n: i32,
}

impl<T: Float> Op<T> for Powi {
    fn name(&self) -> &str {
        "powi"
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn scalar_forward(&self, xs: &[T]) -> Option<T> {
        Some(xs[0].powi(self.n))
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].map(|x| x.powi(self.n)))
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let x = xs[0];
        let n = self.n;
        if n == 0 {
            return [Some(x.constant(Tensor::zeros(&x.shape())))].into();
        }
        // `n - 1` overflows for `i32::MIN` only; `y / x` is the same power there (n < 0,
        // so no 0/0).
        let x_to_n_minus_1 = match n.checked_sub(1) {
            Some(m) => x.powi(m),
            None => y / x,
        };
        [Some(dy * x_to_n_minus_1 * T::from_f64(n as f64))].into()
    }
    fn label(&self) -> String {
        format!("powi({})", self.n)
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Nonlinear)
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Element-wise `xⁿ` for a constant integer exponent `n` (any sign, any base).
    #[track_caller]
    pub fn powi(self, n: i32) -> Self {
        self.tape.apply(Powi { n }, &[self])
    }
}
