//! Tests of `src/ops/unary/sqrt.rs`.

use crate::support::{assert_close, derivatives};
use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, shape, tensor_in};
use tapegrad_core::ops::unary::Sqrt;
use tapegrad_core::{Op, Tape, Tensor};

#[test]
fn sqrt_matches_literal() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![4.0, 0.25]));
    let y = x.sqrt();
    assert_eq!(y.value().as_slice(), &[2.0, 0.5]);
    // d/dx √x = 1/(2√x)
    assert_eq!(y.sum().backward().wrt(x).as_slice(), &[0.25, 1.0]);
}

#[test]
fn sqrt_gradient_at_zero_is_infinite() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::scalar(0.0));
    let y = x.sqrt();
    assert_eq!(y.item(), 0.0);
    assert_eq!(y.backward().wrt(x).item(), f64::INFINITY);
    assert_eq!(tape.grad(y, &[x])[0].item(), f64::INFINITY);
}

#[test]
fn sqrt_of_square_has_nan_gradient_at_zero() {
    // documented chain-rule artefact: sqrt'(0) · 2x = inf · 0
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::scalar(0.0));
    assert!((x * x).sqrt().backward().wrt(x).item().is_nan());
}

#[test]
fn sqrt_of_negative_is_nan_with_nan_gradient() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::scalar(-1.0));
    let y = x.sqrt();
    assert!(y.item().is_nan());
    assert!(y.backward().wrt(x).item().is_nan());
}

#[test]
fn sqrt_reports_kink_at_zero() {
    let at = |v: Vec<f64>| Op::<f64>::is_at_kink(&Sqrt, &[&Tensor::vector(v)]);
    assert!(at(vec![1.0, 0.0]));
    assert!(at(vec![-0.0]));
    assert!(!at(vec![1e-300, 2.0]));
}

#[test]
fn sqrt_second_derivative_is_minus_quarter_x_to_three_halves() {
    let xs = [0.25, 1.0, 7.0];
    let [y, d1, d2] = derivatives(|x| x.sqrt(), &xs);
    assert_close(&y, &xs.map(f64::sqrt), 1e-15);
    assert_close(&d1, &xs.map(|x| 0.5 / x.sqrt()), 1e-15);
    assert_close(&d2, &xs.map(|x| -0.25 * x.powf(-1.5)), 1e-14);
}

#[test]
fn sqrt_gradcheck_order2() {
    assert_gradients(|x| x[0].sqrt(), &[Tensor::vector(vec![0.3, 1.7, 2.5])], 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn sqrt_gradients_match_finite_differences(
        x in shape(4).prop_flat_map(|s| tensor_in(s, 0.2, 3.0))
    ) {
        assert_gradients(|x| x[0].sqrt() * x[0], &[x], 2);
    }
}
