//! `exp`: element-wise natural exponential.

use crate::{Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = eˣ`. `dx = dy · y`.
pub struct Exp;

impl<T: Float> Op<T> for Exp {
    fn name(&self) -> &str {
        "exp"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].map(T::exp))
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(dy * y)].into()
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Element-wise `eˣ`.
    #[track_caller]
    pub fn exp(self) -> Self {
        self.tape.apply(Exp, &[self])
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{any_tensor, assert_gradients};
    use crate::{Tape, Tensor};
    use proptest::prelude::*;

    #[test]
    fn exp_matches_literal() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::vector(vec![0.0, 1.0]));
        let y = x.exp();
        assert_eq!(y.value().as_slice(), &[1.0, std::f64::consts::E]);
        // d/dx eˣ = eˣ
        assert_eq!(
            y.sum().backward().wrt(x).as_slice(),
            &[1.0, std::f64::consts::E]
        );
    }

    #[test]
    fn exp_second_derivative_is_itself() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::scalar(0.5));
        let d1 = tape.grad(x.exp(), &[x])[0];
        let d2 = tape.grad(d1, &[x])[0];
        assert!((d2.item() - 0.5f64.exp()).abs() < 1e-15);
    }

    #[test]
    fn exp_gradcheck_order2() {
        assert_gradients(|x| x[0].exp(), &[Tensor::vector(vec![0.3, -1.2, 2.0])], 2);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn exp_gradients_match_finite_differences(x in any_tensor(-2.0, 2.0)) {
            assert_gradients(|x| x[0].exp() * x[0], &[x], 2);
        }
    }
}
