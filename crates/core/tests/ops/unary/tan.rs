//! Tests of `src/ops/unary/tan.rs`.

use crate::support::{assert_close, derivatives};
use proptest::prelude::*;
use std::f64::consts::FRAC_PI_4;
use tapegrad_check::testing::{any_tensor, assert_gradients};
use tapegrad_core::{Tape, Tensor};

#[test]
fn tan_matches_literal() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![0.0, FRAC_PI_4]));
    let y = x.tan();
    let t = FRAC_PI_4.tan(); // 1 - 1.1e-16
    assert_eq!(y.value().as_slice(), &[0.0, t]);
    assert!((t - 1.0).abs() < 1e-15);
    // d/dx tan x = 1 + tan² x: 1 at 0, 2 at π/4
    let dx = y.sum().backward().wrt(x);
    assert_eq!(dx.as_slice(), &[1.0, 1.0 + t * t]);
    assert!((dx.as_slice()[1] - 2.0).abs() < 1e-15);
}

#[test]
fn tan_second_derivative_is_two_tan_over_cos_squared() {
    let xs = [-1.2, 0.3, 1.0];
    let [y, d1, d2] = derivatives(|x| x.tan(), &xs);
    let sec2 = |x: f64| 1.0 / (x.cos() * x.cos());
    assert_close(&y, &xs.map(f64::tan), 1e-15);
    assert_close(&d1, &xs.map(sec2), 1e-14);
    assert_close(&d2, &xs.map(|x| 2.0 * x.tan() * sec2(x)), 1e-14);
}

#[test]
fn tan_gradcheck_order2() {
    assert_gradients(|x| x[0].tan(), &[Tensor::vector(vec![0.3, -1.2, 1.0])], 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn tan_gradients_match_finite_differences(x in any_tensor(-1.2, 1.2)) {
        assert_gradients(|x| x[0].tan() * x[0], &[x], 2);
    }
}
