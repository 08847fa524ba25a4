//! `neg`: element-wise `-x`.

use crate::{Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = -x`. `dx = -dy`.
pub struct Neg;

impl<T: Float> Op<T> for Neg {
    fn name(&self) -> &str {
        "neg"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].map(|x| -x))
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(-dy)].into()
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

#[cfg(test)]
mod tests {
    use crate::testing::{any_tensor, assert_gradients};
    use crate::{Tape, Tensor};
    use proptest::prelude::*;

    #[test]
    fn neg_matches_literal() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::vector(vec![1.5, -2.0]));
        let y = -x;
        assert_eq!(y.value().as_slice(), &[-1.5, 2.0]);
        assert_eq!(y.sum().backward().wrt(x).as_slice(), &[-1.0, -1.0]);
    }

    #[test]
    fn neg_gradcheck_order2() {
        let x = Tensor::vector(vec![0.3, -0.8]);
        assert_gradients(|x| -(x[0] * x[0]), &[x], 2);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn neg_gradients_match_finite_differences(x in any_tensor(-2.0, 2.0)) {
            assert_gradients(|x| -x[0] * x[0], &[x], 2);
        }
    }
}
