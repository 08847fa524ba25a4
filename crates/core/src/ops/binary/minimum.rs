//! `minimum`: element-wise `min(a, b)` with broadcasting; the mirror of `maximum`, whose
//! tie rule it shares.

use super::maximum::{any_tie, pick, winner_vjp};
use crate::{Error, Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = min(a, b)` (broadcasting; NaN if either is NaN).
/// `da = dy · [a < b]`, `db = dy · [b < a]`, and at a tie `a == b` half of `dy` to each side
/// (CONVENTIONS.md), so `x.minimum(x)` has gradient 1 and `min(x, 0)` has slope 0.5 at 0.
pub struct Minimum;

impl<T: Float> Op<T> for Minimum {
    fn name(&self) -> &str {
        "minimum"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0].zip_map(xs[1], |a, b| pick(a, b, a < b))
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        winner_vjp(xs, dy, |a, b| a < b)
    }
    fn is_at_kink(&self, xs: &[&Tensor<T>]) -> bool {
        any_tie(xs[0], xs[1])
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Element-wise `min(self, rhs)` with broadcasting, or the error when the shapes do
    /// not broadcast.
    #[track_caller]
    pub fn try_minimum(self, rhs: Self) -> Result<Self, Error> {
        self.tape.try_apply(Minimum, &[self, rhs])
    }

    /// Element-wise `min(self, rhs)` with broadcasting; at a tie each side gets half the
    /// gradient. NaN in either operand gives NaN.
    #[track_caller]
    pub fn minimum(self, rhs: Self) -> Self {
        self.try_minimum(rhs).unwrap_or_else(|e| panic!("{e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::Minimum;
    use crate::testing::{assert_gradients, broadcast_tensors};
    use crate::{Op, Tape, Tensor};
    use proptest::prelude::*;

    #[test]
    fn minimum_matches_literal() {
        let tape = Tape::<f64>::new();
        let a = tape.leaf(Tensor::vector(vec![1.0, 5.0, -2.0]));
        let b = tape.leaf(Tensor::vector(vec![3.0, 4.0, -7.0]));
        let y = a.minimum(b);
        assert_eq!(y.value().as_slice(), &[1.0, 4.0, -7.0]);
        // the smaller side gets the whole cotangent
        let g = (y * y).sum().backward(); // d/dy y² = 2y
        assert_eq!(g.wrt(a).as_slice(), &[2.0, 0.0, 0.0]);
        assert_eq!(g.wrt(b).as_slice(), &[0.0, 8.0, -14.0]);
    }

    #[test]
    fn minimum_of_a_variable_with_itself_has_gradient_one() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::vector(vec![-1.0, 0.0, 2.5]));
        let y = x.minimum(x);
        assert_eq!(y.value().as_slice(), &[-1.0, 0.0, 2.5]);
        assert_eq!(y.sum().backward().wrt(x).as_slice(), &[1.0, 1.0, 1.0]);
    }

    #[test]
    fn minimum_tie_splits_the_cotangent() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::vector(vec![0.0, 1.0, -1.0]));
        let z = tape.leaf(Tensor::scalar(0.0));
        let g = x.minimum(z).sum().backward();
        assert_eq!(g.wrt(x).as_slice(), &[0.5, 0.0, 1.0]);
        assert_eq!(g.wrt(z).item(), 1.5); // 0.5 from the tie + 1 from x = 1
    }

    #[test]
    fn minimum_reports_ties_as_kinks() {
        let a = Tensor::vector(vec![1.0, 2.0]);
        assert!(Op::<f64>::is_at_kink(&Minimum, &[&a, &Tensor::scalar(2.0)]));
        assert!(!Op::<f64>::is_at_kink(
            &Minimum,
            &[&a, &Tensor::scalar(0.0)]
        ));
    }

    #[test]
    fn minimum_propagates_nan() {
        let tape = Tape::<f64>::new();
        let a = tape.leaf(Tensor::vector(vec![f64::NAN, 1.0]));
        let b = tape.leaf(Tensor::scalar(0.0));
        let y = a.minimum(b);
        assert!(y.value().as_slice()[0].is_nan());
        assert_eq!(y.value().as_slice()[1], 0.0);
        let g = y.sum().backward();
        assert!(g.wrt(a).as_slice()[0].is_nan());
        assert_eq!(g.wrt(a).as_slice()[1], 0.0);
    }

    #[test]
    fn minimum_rejects_incompatible_shapes() {
        let tape = Tape::<f64>::new();
        let e = tape
            .leaf(Tensor::zeros(&[3]))
            .try_minimum(tape.leaf(Tensor::zeros(&[2, 2])))
            .unwrap_err();
        assert_eq!(e.op, "minimum");
        assert!(e.message.contains("[3] and [2, 2]"), "{e}");
    }

    #[test]
    fn minimum_gradcheck_order2() {
        let a = Tensor::from_vec(vec![0.1, -0.4, 0.9, 1.3, -2.0, 0.5], &[2, 3]);
        let b = Tensor::from_vec(vec![0.3, -1.1], &[2, 1]);
        assert_gradients(|x| x[0].minimum(x[1]) * x[0] * x[1], &[a, b], 2);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn minimum_gradients_match_finite_differences((a, b) in broadcast_tensors(-2.0, 2.0)) {
            assert_gradients(|x| x[0].minimum(x[1]) * x[0], &[a.clone(), b], 2);
            assert_gradients(|x| x[0].minimum(x[0]) * x[0], &[a], 2);
        }
    }
}
