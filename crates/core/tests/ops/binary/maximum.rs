//! Tests of `src/ops/binary/maximum.rs`.

use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, broadcast_tensors};
use tapegrad_core::ops::binary::Maximum;
use tapegrad_core::{Op, Tape, Tensor};

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
