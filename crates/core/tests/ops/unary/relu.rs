//! Tests of `src/ops/unary/relu.rs`.

use crate::support::derivatives;
use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, shape, tensor_away_from_zero};
use tapegrad_core::ops::unary::Relu;
use tapegrad_core::{Op, Tape, Tensor};

#[test]
fn relu_matches_literal() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![-1.5, 2.0]));
    let y = x.relu();
    assert_eq!(y.value().as_slice(), &[0.0, 2.0]);
    // relu' = 0 for x < 0, 1 for x > 0
    assert_eq!(y.sum().backward().wrt(x).as_slice(), &[0.0, 1.0]);
}

#[test]
fn relu_gradient_at_zero_is_zero() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![0.0, -0.0]));
    let y = x.relu();
    assert_eq!(y.value().as_slice(), &[0.0, 0.0]);
    assert_eq!(y.sum().backward().wrt(x).as_slice(), &[0.0, 0.0]);
    assert_eq!(tape.grad(y.sum(), &[x])[0].value().as_slice(), &[0.0, 0.0]);
}

#[test]
fn relu_reports_kink_at_zero() {
    let at = |v: Vec<f64>| Op::<f64>::is_at_kink(&Relu, &[&Tensor::vector(v)]);
    assert!(at(vec![1.0, 0.0]));
    assert!(at(vec![-0.0]));
    assert!(!at(vec![-1e-300, 1e-300]));
}

#[test]
fn relu_propagates_nan() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::scalar(f64::NAN));
    let y = x.relu();
    assert!(y.item().is_nan());
    assert!(y.backward().wrt(x).item().is_nan());
}

#[test]
fn relu_second_derivative_is_zero() {
    // and relu(x)·x = x² on the right has second derivative 2 through the mask
    let xs = [-1.0, 0.5, 2.0];
    let [_, d1, d2] = derivatives(|x| x.relu(), &xs);
    assert_eq!((d1, d2), (vec![0.0, 1.0, 1.0], vec![0.0, 0.0, 0.0]));
    let [_, d1, d2] = derivatives(|x| x.relu() * x, &xs);
    assert_eq!((d1, d2), (vec![0.0, 1.0, 4.0], vec![0.0, 2.0, 2.0]));
}

#[test]
fn relu_works_in_f32() {
    let tape = Tape::<f32>::new();
    let x = tape.leaf(Tensor::vector(vec![-1.0, 0.0, 3.0]));
    let y = x.relu();
    assert_eq!(y.value().as_slice(), &[0.0, 0.0, 3.0]);
    assert_eq!(y.sum().backward().wrt(x).as_slice(), &[0.0, 0.0, 1.0]);
}

#[test]
fn relu_gradcheck_order2() {
    let x = Tensor::vector(vec![0.3, -1.2, 2.0]);
    assert_gradients(|x| x[0].relu() * x[0], &[x], 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn relu_gradients_match_finite_differences(
        x in shape(4).prop_flat_map(|s| tensor_away_from_zero(s, 0.1, 2.0))
    ) {
        assert_gradients(|x| x[0].relu() * x[0], &[x], 2);
    }
}
