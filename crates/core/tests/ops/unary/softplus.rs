//! Tests of `src/ops/unary/softplus.rs`.

use crate::support::{assert_close, derivatives};
use proptest::prelude::*;
use tapegrad_check::testing::{any_tensor, assert_gradients};
use tapegrad_core::{Tape, Tensor};

#[test]
fn softplus_matches_literal() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![0.0, 3f64.ln()]));
    let y = x.softplus();
    // ln(1 + 1) = ln 2, ln(1 + 3) = ln 4
    let ln2 = std::f64::consts::LN_2;
    assert_close(y.value().as_slice(), &[ln2, 2.0 * ln2], 1e-15);
    // softplus' = sigmoid: 1/2 at 0, 3/4 at ln 3
    assert_close(y.sum().backward().wrt(x).as_slice(), &[0.5, 0.75], 1e-15);
}

#[test]
fn softplus_large_inputs_are_exact_with_finite_gradients() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![-1000.0, 1000.0]));
    let y = x.softplus();
    assert_eq!(y.value().as_slice(), &[0.0, 1000.0]);
    assert_eq!(y.sum().backward().wrt(x).as_slice(), &[0.0, 1.0]);
    let [_, d1, d2] = derivatives(|x| x.softplus(), &[-1000.0, 1000.0]);
    assert_eq!((d1, d2), (vec![0.0, 1.0], vec![0.0, 0.0]));
}

#[test]
fn softplus_is_accurate_in_the_tails() {
    // softplus(-40) = ln(1 + e⁻⁴⁰) ≈ e⁻⁴⁰ ≈ 4.2e-18, which the naive formula rounds to
    // 0 (1 + 4.2e-18 == 1); softplus(40) = 40 + 4.2e-18 rounds to 40
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![-40.0, 40.0]));
    let y = x.softplus().value();
    let tiny = (-40f64).exp();
    assert!((y.as_slice()[0] / tiny - 1.0).abs() < 1e-15, "{y:?}");
    assert_eq!(y.as_slice()[1], 40.0);
}

#[test]
fn softplus_saturates_in_f32() {
    let tape = Tape::<f32>::new();
    let x = tape.leaf(Tensor::vector(vec![-1000.0, 1000.0]));
    let y = x.softplus();
    assert_eq!(y.value().as_slice(), &[0.0, 1000.0]);
    assert_eq!(y.sum().backward().wrt(x).as_slice(), &[0.0, 1.0]);
}

#[test]
fn softplus_second_derivative_is_sigmoid_derivative() {
    let xs = [-2.0, 0.3, 1.4];
    let [y, d1, d2] = derivatives(|x| x.softplus(), &xs);
    let s = xs.map(|x| 1.0 / (1.0 + (-x).exp()));
    assert_close(&y, &xs.map(|x| x.exp().ln_1p()), 1e-15);
    assert_close(&d1, &s, 1e-15);
    assert_close(&d2, &s.map(|s| s * (1.0 - s)), 1e-15);
}

#[test]
fn softplus_gradcheck_order2() {
    assert_gradients(
        |x| x[0].softplus(),
        &[Tensor::vector(vec![0.3, -1.2, 2.0])],
        2,
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn softplus_gradients_match_finite_differences(x in any_tensor(-4.0, 4.0)) {
        assert_gradients(|x| x[0].softplus() * x[0], &[x], 2);
    }
}
