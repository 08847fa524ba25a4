//! `abs`: element-wise absolute value.

use crate::{Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = |x|`. `dx = dy · sign(x)` with `sign(0) = 0`.
///
/// Edges (`CONVENTIONS.md`): `abs'(0) = 0`, the minimum-norm subgradient (JAX gives +1),
/// and the op reports a kink there. A NaN input gives a NaN gradient.
///
/// # Design
/// The sign is a constant built from `x`'s value: `abs'' = 0` wherever it exists, so the
/// sign has no derivative to record.
pub struct Abs;

impl<T: Float> Op<T> for Abs {
    fn name(&self) -> &str {
        "abs"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].map(T::abs))
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let x = xs[0];
        // `signum` is ±1 at ±0; NaN stays NaN
        let sign = x
            .value()
            .map(|v| if v == T::ZERO { T::ZERO } else { v.signum() });
        [Some(dy * x.constant(sign))].into()
    }
    fn is_at_kink(&self, xs: &[&Tensor<T>]) -> bool {
        xs[0].as_slice().contains(&T::ZERO)
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Element-wise absolute value `|x|`.
    #[track_caller]
    pub fn abs(self) -> Self {
        self.tape.apply(Abs, &[self])
    }
}

#[cfg(test)]
mod tests {
    use super::Abs;
    use crate::ops::unary::support::derivatives;
    use crate::testing::{assert_gradients, shape, tensor_away_from_zero};
    use crate::{Op, Tape, Tensor};
    use proptest::prelude::*;

    #[test]
    fn abs_matches_literal() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::vector(vec![-1.5, 2.0]));
        let y = x.abs();
        assert_eq!(y.value().as_slice(), &[1.5, 2.0]);
        // abs' = sign(x)
        assert_eq!(y.sum().backward().wrt(x).as_slice(), &[-1.0, 1.0]);
    }

    #[test]
    fn abs_gradient_at_zero_is_zero() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::vector(vec![0.0, -0.0]));
        let y = x.abs();
        assert_eq!(y.value().as_slice(), &[0.0, 0.0]);
        assert_eq!(y.sum().backward().wrt(x).as_slice(), &[0.0, 0.0]);
        assert_eq!(tape.grad(y.sum(), &[x])[0].value().as_slice(), &[0.0, 0.0]);
    }

    #[test]
    fn abs_reports_kink_at_zero() {
        let at = |v: Vec<f64>| Op::<f64>::is_at_kink(&Abs, &[&Tensor::vector(v)]);
        assert!(at(vec![1.0, 0.0]));
        assert!(at(vec![-0.0]));
        assert!(!at(vec![-1e-300, 1e-300]));
    }

    #[test]
    fn abs_propagates_nan() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::scalar(f64::NAN));
        let y = x.abs();
        assert!(y.item().is_nan());
        assert!(y.backward().wrt(x).item().is_nan());
    }

    #[test]
    fn abs_second_derivative_is_zero() {
        // and |x|·x has second derivative 2·sign(x) through the sign
        let xs = [-1.0, 0.5, 2.0];
        let [_, d1, d2] = derivatives(|x| x.abs(), &xs);
        assert_eq!((d1, d2), (vec![-1.0, 1.0, 1.0], vec![0.0, 0.0, 0.0]));
        let [_, d1, d2] = derivatives(|x| x.abs() * x, &xs);
        assert_eq!((d1, d2), (vec![2.0, 1.0, 4.0], vec![-2.0, 2.0, 2.0]));
    }

    #[test]
    fn abs_works_in_f32() {
        let tape = Tape::<f32>::new();
        let x = tape.leaf(Tensor::vector(vec![-1.0, 0.0, 3.0]));
        let y = x.abs();
        assert_eq!(y.value().as_slice(), &[1.0, 0.0, 3.0]);
        assert_eq!(y.sum().backward().wrt(x).as_slice(), &[-1.0, 0.0, 1.0]);
    }

    #[test]
    fn abs_gradcheck_order2() {
        let x = Tensor::vector(vec![0.3, -1.2, 2.0]);
        assert_gradients(|x| x[0].abs() * x[0], &[x], 2);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        #[test]
        fn abs_gradients_match_finite_differences(
            x in shape(4).prop_flat_map(|s| tensor_away_from_zero(s, 0.1, 2.0))
        ) {
            assert_gradients(|x| x[0].abs() * x[0], &[x], 2);
        }
    }
}
