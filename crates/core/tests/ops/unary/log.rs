//! Tests of `src/ops/unary/log.rs`.

use crate::support::{assert_close, derivatives};
use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, shape, tensor_in};
use tapegrad_core::{Tape, Tensor};

#[test]
fn log_matches_literal() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![1.0, 2.0, 0.25]));
    let y = x.log();
    let ln2 = std::f64::consts::LN_2;
    assert_eq!(y.value().as_slice(), &[0.0, ln2, -2.0 * ln2]);
    // d/dx ln x = 1/x
    assert_eq!(y.sum().backward().wrt(x).as_slice(), &[1.0, 0.5, 4.0]);
}

#[test]
fn log_of_zero_is_minus_infinity_with_infinite_gradient() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::scalar(0.0));
    let y = x.log();
    assert_eq!(y.item(), f64::NEG_INFINITY);
    assert_eq!(y.backward().wrt(x).item(), f64::INFINITY);
    assert_eq!(tape.grad(y, &[x])[0].item(), f64::INFINITY);
}

#[test]
fn log_of_negative_is_nan_with_nan_gradient() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![-1.0, 2.0]));
    let y = x.log();
    assert!(y.value().as_slice()[0].is_nan());
    assert_eq!(y.value().as_slice()[1], std::f64::consts::LN_2);
    for dx in [
        y.sum().backward().wrt(x),
        tape.grad(y.sum(), &[x])[0].value(),
    ] {
        assert!(dx.as_slice()[0].is_nan(), "{dx:?}");
        assert_eq!(dx.as_slice()[1], 0.5);
    }
}

#[test]
fn log_second_derivative_is_minus_inverse_square() {
    let xs = [0.3, 1.0, 4.5];
    let [y, d1, d2] = derivatives(|x| x.log(), &xs);
    assert_close(&y, &xs.map(f64::ln), 1e-15);
    assert_close(&d1, &xs.map(|x| 1.0 / x), 1e-15);
    assert_close(&d2, &xs.map(|x| -1.0 / (x * x)), 1e-14);
}

#[test]
fn log_gradcheck_order2() {
    assert_gradients(|x| x[0].log(), &[Tensor::vector(vec![0.3, 1.7, 2.5])], 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn log_gradients_match_finite_differences(
        x in shape(4).prop_flat_map(|s| tensor_in(s, 0.2, 3.0))
    ) {
        assert_gradients(|x| x[0].log() * x[0], &[x], 2);
    }
}
