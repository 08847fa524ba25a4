//! Tests of `src/ops/binary/minimum.rs`.

use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, broadcast_tensors};
use tapegrad_core::ops::binary::Minimum;
use tapegrad_core::{Op, Tape, Tensor};

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
