//! Tests of `src/ops/unary/sin.rs`.

use crate::support::{assert_close, derivatives};
use proptest::prelude::*;
use std::f64::consts::FRAC_PI_2;
use tapegrad_check::testing::{any_tensor, assert_gradients};
use tapegrad_core::{Tape, Tensor};

#[test]
fn sin_matches_literal() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![0.0, FRAC_PI_2]));
    let y = x.sin();
    assert_eq!(y.value().as_slice(), &[0.0, 1.0]);
    // d/dx sin x = cos x: cos 0 = 1, cos π/2 = 6.1e-17 (π/2 is rounded)
    assert_eq!(
        y.sum().backward().wrt(x).as_slice(),
        &[1.0, FRAC_PI_2.cos()]
    );
}

#[test]
fn sin_second_derivative_is_minus_sin() {
    let xs = [-2.0, 0.3, 1.4];
    let [y, d1, d2] = derivatives(|x| x.sin(), &xs);
    assert_close(&y, &xs.map(f64::sin), 1e-15);
    assert_close(&d1, &xs.map(f64::cos), 1e-15);
    assert_close(&d2, &xs.map(|x| -x.sin()), 1e-15);
}

#[test]
fn sin_gradcheck_order2() {
    assert_gradients(|x| x[0].sin(), &[Tensor::vector(vec![0.3, -1.2, 2.0])], 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn sin_gradients_match_finite_differences(x in any_tensor(-4.0, 4.0)) {
        assert_gradients(|x| x[0].sin() * x[0], &[x], 2);
    }
}
