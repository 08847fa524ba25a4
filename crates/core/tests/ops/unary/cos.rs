//! Tests of `src/ops/unary/cos.rs`.

use crate::support::{assert_close, derivatives};
use proptest::prelude::*;
use std::f64::consts::FRAC_PI_2;
use tapegrad_check::testing::{any_tensor, assert_gradients};
use tapegrad_core::{Tape, Tensor};

#[test]
fn cos_matches_literal() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![0.0, FRAC_PI_2]));
    let y = x.cos();
    assert_eq!(y.value().as_slice(), &[1.0, FRAC_PI_2.cos()]);
    // d/dx cos x = -sin x: -sin 0 = -0, -sin π/2 = -1
    assert_eq!(y.sum().backward().wrt(x).as_slice(), &[-0.0, -1.0]);
}

#[test]
fn cos_second_derivative_is_minus_cos() {
    let xs = [-2.0, 0.3, 1.4];
    let [y, d1, d2] = derivatives(|x| x.cos(), &xs);
    assert_close(&y, &xs.map(f64::cos), 1e-15);
    assert_close(&d1, &xs.map(|x| -x.sin()), 1e-15);
    assert_close(&d2, &xs.map(|x| -x.cos()), 1e-15);
}

#[test]
fn cos_gradcheck_order2() {
    assert_gradients(|x| x[0].cos(), &[Tensor::vector(vec![0.3, -1.2, 2.0])], 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn cos_gradients_match_finite_differences(x in any_tensor(-4.0, 4.0)) {
        assert_gradients(|x| x[0].cos() * x[0], &[x], 2);
    }
}
