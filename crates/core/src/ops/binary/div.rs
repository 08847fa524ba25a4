//! `div`: element-wise `a / b` with broadcasting.

use crate::{Error, Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = a / b` (broadcasting). `da = dy / b`, `db = -dy · y / b` (`= -dy·a/b²`).
///
/// At `b = 0`: `da = ±inf` and `db = ∓inf` by IEEE arithmetic; `0/0` gives NaN.
pub struct Div;

impl<T: Float> Op<T> for Div {
    fn name(&self) -> &str {
        "div"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0].zip_map(xs[1], |a, b| a / b)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let b = xs[1];
        let da = dy / b;
        [Some(da), Some(-(da * y))].into()
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

#[cfg(test)]
mod tests {
    use crate::testing::{assert_gradients, broadcast_pair, tensor_away_from_zero, tensor_in};
    use crate::{Tape, Tensor};
    use proptest::prelude::*;

    #[test]
    fn div_matches_literal() {
        let tape = Tape::<f64>::new();
        let a = tape.leaf(Tensor::scalar(3.0));
        let b = tape.leaf(Tensor::scalar(2.0));
        let y = a / b;
        assert_eq!(y.item(), 1.5);
        let g = y.backward();
        assert_eq!(g.wrt(a).item(), 0.5); // 1/b
        assert_eq!(g.wrt(b).item(), -0.75); // -a/b²
    }

    #[test]
    fn div_by_zero_gives_signed_infinities() {
        let tape = Tape::<f64>::new();
        let a = tape.leaf(Tensor::scalar(1.0));
        let b = tape.leaf(Tensor::scalar(0.0));
        let g = (a / b).backward();
        assert_eq!(g.wrt(a).item(), f64::INFINITY);
        assert_eq!(g.wrt(b).item(), f64::NEG_INFINITY);
        let z = tape.leaf(Tensor::scalar(0.0));
        assert!((z / b).item().is_nan());
    }

    #[test]
    fn div_rejects_incompatible_shapes() {
        let tape = Tape::<f64>::new();
        let e = (tape.leaf(Tensor::zeros(&[3])))
            .try_div(tape.leaf(Tensor::zeros(&[4])))
            .unwrap_err();
        assert_eq!(e.op, "div");
    }

    #[test]
    fn div_gradcheck_order2() {
        let a = Tensor::from_vec(vec![0.1, -0.4, 0.9, 1.3], &[2, 2]);
        let b = Tensor::from_vec(vec![0.8, -1.5], &[2]);
        assert_gradients(|x| x[0] / x[1], &[a, b], 2);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn div_gradients_match_finite_differences(
            (a, b) in broadcast_pair(4).prop_flat_map(|(sa, sb)| {
                (tensor_in(sa, -2.0, 2.0), tensor_away_from_zero(sb, 0.5, 2.0))
            })
        ) {
            assert_gradients(|x| x[0] / x[1], &[a, b.clone()], 2);
            assert_gradients(|x| x[0] / x[0], &[b], 1);
        }
    }
}
