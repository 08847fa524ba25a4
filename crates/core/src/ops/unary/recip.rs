//! `recip`: element-wise `1/x`.

use crate::{Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = 1/x`. `dx = -dy · y²` (`= -dy/x²`).
///
/// At `x = ±0`: `y = ±inf` and `dx = -inf`, the same answer as `1/x` through
/// [`Div`](crate::ops::binary::Div).
pub struct Recip;

impl<T: Float> Op<T> for Recip {
    fn name(&self) -> &str {
        "recip"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].map(|x| T::ONE / x))
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        // In terms of `y`: no division, and `y` is recorded as a function of `x`, so the
        // second derivative (`2y³`) comes out of this same VJP.
        [Some(-(dy * y * y))].into()
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Element-wise `1/x`.
    #[track_caller]
    pub fn recip(self) -> Self {
        self.tape.apply(Recip, &[self])
    }
}

#[cfg(test)]
mod tests {
    use crate::ops::unary::support::{assert_close, derivatives};
    use crate::testing::{assert_gradients, shape, tensor_away_from_zero};
    use crate::{Tape, Tensor};
    use proptest::prelude::*;

    #[test]
    fn recip_matches_literal() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::vector(vec![2.0, -0.5]));
        let y = x.recip();
        assert_eq!(y.value().as_slice(), &[0.5, -2.0]);
        // d/dx 1/x = -1/x²
        assert_eq!(y.sum().backward().wrt(x).as_slice(), &[-0.25, -4.0]);
    }

    #[test]
    fn recip_of_zero_is_infinite_with_minus_infinite_gradient() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::vector(vec![0.0, -0.0]));
        let y = x.recip();
        assert_eq!(y.value().as_slice(), &[f64::INFINITY, f64::NEG_INFINITY]);
        assert_eq!(
            y.sum().backward().wrt(x).as_slice(),
            &[f64::NEG_INFINITY, f64::NEG_INFINITY]
        );
    }

    #[test]
    fn recip_second_derivative_is_two_over_cube() {
        let xs = [-1.5, 0.4, 3.0];
        let [y, d1, d2] = derivatives(|x| x.recip(), &xs);
        assert_close(&y, &xs.map(|x| 1.0 / x), 1e-15);
        assert_close(&d1, &xs.map(|x| -1.0 / (x * x)), 1e-14);
        assert_close(&d2, &xs.map(|x| 2.0 / (x * x * x)), 1e-14);
    }

    #[test]
    fn recip_gradcheck_order2() {
        assert_gradients(|x| x[0].recip(), &[Tensor::vector(vec![0.7, -1.3, 2.0])], 2);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        #[test]
        fn recip_gradients_match_finite_differences(
            x in shape(4).prop_flat_map(|s| tensor_away_from_zero(s, 0.5, 2.0))
        ) {
            assert_gradients(|x| x[0].recip() * x[0].recip(), &[x], 2);
        }
    }
}
