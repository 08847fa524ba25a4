//! `maximum`: element-wise `max(a, b)` with broadcasting. The tie rule it shares with
//! `minimum` (half the cotangent to each side) lives here too.

use crate::tensor::accepted;
use crate::{Error, Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = max(a, b)` (broadcasting; NaN if either is NaN).
/// `da = dy · [a > b]`, `db = dy · [b > a]`, and at a tie `a == b` half of `dy` to each side.
///
/// The tie rule is PyTorch's (CONVENTIONS.md): it makes `x.maximum(x)` have gradient 1 and
/// gives `max(x, 0)` the slope 0.5 at 0, where `relu'(0)` is 0. The weights are constants,
/// so the VJP is linear in `dy` and its own derivative with respect to `a`, `b` is 0, as it
/// is almost everywhere.
pub struct Maximum;

impl<T: Float> Op<T> for Maximum {
    fn name(&self) -> &str {
        "maximum"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0].zip_map(xs[1], |a, b| pick(a, b, a > b))
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        winner_vjp(xs, dy, |a, b| a > b)
    }
    fn is_at_kink(&self, xs: &[&Tensor<T>]) -> bool {
        any_tie(xs[0], xs[1])
    }
}

/// `a` if `a_wins`, `b` if `b` wins, either at a tie, NaN if either is NaN.
pub(super) fn pick<T: Float>(a: T, b: T, a_wins: bool) -> T {
    if a.is_nan() || b.is_nan() {
        T::NAN
    } else if a_wins {
        a
    } else {
        b
    }
}

/// True when some broadcast pair of elements is equal.
pub(super) fn any_tie<T: Float>(a: &Tensor<T>, b: &Tensor<T>) -> bool {
    a.zip_map(b, |a, b| if a == b { T::ONE } else { T::ZERO })
        .is_ok_and(|t| t.as_slice().iter().any(|&t| t != T::ZERO))
}

/// The VJP of a two-way pick: `a`'s weight is 1 where `a_wins(a, b)`, ½ at a tie, 0 where
/// `b` wins and NaN where either is NaN; `b`'s weight is one minus it.
pub(super) fn winner_vjp<'t, T: Float>(
    xs: &[Var<'t, T>],
    dy: Var<'t, T>,
    a_wins: impl Fn(T, T) -> bool,
) -> InputGrads<'t, T> {
    let half = T::from_f64(0.5);
    let weight_a = accepted(xs[0].value().zip_map(&xs[1].value(), |a, b| {
        if a == b {
            half
        } else if a_wins(a, b) {
            T::ONE
        } else if a_wins(b, a) {
            T::ZERO
        } else {
            T::NAN
        }
    }));
    let weight_b = weight_a.map(|w| T::ONE - w);
    let da = dy * dy.constant(weight_a);
    let db = dy * dy.constant(weight_b);
    [Some(da), Some(db)].into()
}

impl<'t, T: Float> Var<'t, T> {
    /// Element-wise `max(self, rhs)` with broadcasting, or the error when the shapes do
    /// not broadcast.
    #[track_caller]
    pub fn try_maximum(self, rhs: Self) -> Result<Self, Error> {
        self.tape.try_apply(Maximum, &[self, rhs])
    }

    /// Element-wise `max(self, rhs)` with broadcasting; at a tie each side gets half the
    /// gradient. NaN in either operand gives NaN.
    #[track_caller]
    pub fn maximum(self, rhs: Self) -> Self {
        self.try_maximum(rhs).unwrap_or_else(|e| panic!("{e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::Maximum;
    use crate::testing::{assert_gradients, broadcast_tensors};
    use crate::{Op, Tape, Tensor};
    use proptest::prelude::*;

    #[test]
    fn maximum_matches_literal() {
        let tape = Tape::<f64>::new();
        let a = tape.leaf(Tensor::vector(vec![1.0, 5.0, -2.0]));
        let b = tape.leaf(Tensor::vector(vec![3.0, 4.0, -7.0]));
        let y = a.maximum(b);
        assert_eq!(y.value().as_slice(), &[3.0, 5.0, -2.0]);
        // the larger side gets the whole cotangent
        let g = (y * y).sum().backward(); // d/dy y² = 2y
        assert_eq!(g.wrt(a).as_slice(), &[0.0, 10.0, -4.0]);
        assert_eq!(g.wrt(b).as_slice(), &[6.0, 0.0, 0.0]);
    }

    #[test]
    fn maximum_of_a_variable_with_itself_has_gradient_one() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::vector(vec![-1.0, 0.0, 2.5]));
        let y = x.maximum(x);
        assert_eq!(y.value().as_slice(), &[-1.0, 0.0, 2.5]);
        assert_eq!(y.sum().backward().wrt(x).as_slice(), &[1.0, 1.0, 1.0]);
    }

    #[test]
    fn maximum_tie_splits_the_cotangent() {
        // max(x, 0) at x = 0: half to x, half to the zero (relu'(0) would be 0)
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::vector(vec![0.0, 1.0, -1.0]));
        let z = tape.leaf(Tensor::scalar(0.0));
        let g = x.maximum(z).sum().backward();
        assert_eq!(g.wrt(x).as_slice(), &[0.5, 1.0, 0.0]);
        assert_eq!(g.wrt(z).item(), 1.5); // 0.5 from the tie + 1 from x = -1
        let dx = tape.grad(x.maximum(z).sum(), &[x])[0];
        assert_eq!(dx.value().as_slice(), &[0.5, 1.0, 0.0]);
    }

    #[test]
    fn maximum_reports_ties_as_kinks() {
        let a = Tensor::vector(vec![1.0, 2.0]);
        assert!(Op::<f64>::is_at_kink(
            &Maximum,
            &[&a, &Tensor::vector(vec![0.0, 2.0])]
        ));
        assert!(Op::<f64>::is_at_kink(&Maximum, &[&a, &Tensor::scalar(1.0)]));
        assert!(!Op::<f64>::is_at_kink(
            &Maximum,
            &[&a, &Tensor::scalar(1.5)]
        ));
    }

    #[test]
    fn maximum_propagates_nan() {
        let tape = Tape::<f64>::new();
        let a = tape.leaf(Tensor::vector(vec![f64::NAN, 1.0]));
        let b = tape.leaf(Tensor::vector(vec![0.0, f64::NAN]));
        let y = a.maximum(b);
        assert!(y.value().as_slice().iter().all(|v| v.is_nan()));
        let g = y.sum().backward();
        assert!(g.wrt(a).as_slice().iter().all(|v| v.is_nan()));
        assert!(g.wrt(b).as_slice().iter().all(|v| v.is_nan()));
    }

    #[test]
    fn maximum_rejects_incompatible_shapes() {
        let tape = Tape::<f64>::new();
        let e = tape
            .leaf(Tensor::zeros(&[2, 3]))
            .try_maximum(tape.leaf(Tensor::zeros(&[2])))
            .unwrap_err();
        assert_eq!(e.op, "maximum");
        assert!(e.message.contains("[2, 3] and [2]"), "{e}");
        assert!(e.location.file().ends_with("maximum.rs"), "{e}");
    }

    #[test]
    fn maximum_gradcheck_order2() {
        let a = Tensor::from_vec(vec![0.1, -0.4, 0.9, 1.3, -2.0, 0.5], &[2, 3]);
        let b = Tensor::vector(vec![0.3, 0.7, -1.1]);
        assert_gradients(|x| x[0].maximum(x[1]) * x[0] * x[1], &[a, b], 2);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn maximum_gradients_match_finite_differences((a, b) in broadcast_tensors(-2.0, 2.0)) {
            // continuous random values: ties (and near-ties within the step) have
            // probability ~1e-6 per pair
            assert_gradients(|x| x[0].maximum(x[1]) * x[1], &[a.clone(), b], 2);
            assert_gradients(|x| x[0].maximum(x[0]) * x[0], &[a], 2);
        }
    }
}
