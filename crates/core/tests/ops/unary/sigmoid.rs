//! Tests of `src/ops/unary/sigmoid.rs`.

use crate::support::{assert_close, derivatives};
use proptest::prelude::*;
use tapegrad_check::testing::{any_tensor, assert_gradients};
use tapegrad_core::{Tape, Tensor};

#[test]
fn sigmoid_matches_literal() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![0.0, 3f64.ln(), -(3f64.ln())]));
    let y = x.sigmoid();
    // σ(ln 3) = 1/(1 + 1/3) = 3/4, σ(-ln 3) = 1/4
    assert_close(y.value().as_slice(), &[0.5, 0.75, 0.25], 1e-15);
    // σ' = σ(1 - σ): 1/4 at 0, 3/16 at ±ln 3
    let dx = y.sum().backward().wrt(x);
    assert_close(dx.as_slice(), &[0.25, 0.1875, 0.1875], 1e-15);
    assert_eq!(dx.as_slice()[0], 0.25);
}

#[test]
fn sigmoid_saturates_exactly_without_nan() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![-1000.0, 1000.0]));
    let y = x.sigmoid();
    assert_eq!(y.value().as_slice(), &[0.0, 1.0]);
    assert_eq!(y.sum().backward().wrt(x).as_slice(), &[0.0, 0.0]);
    let [_, d1, d2] = derivatives(|x| x.sigmoid(), &[-1000.0, 1000.0]);
    assert_eq!((d1, d2), (vec![0.0, 0.0], vec![0.0, 0.0]));
}

#[test]
fn sigmoid_saturates_in_f32() {
    let tape = Tape::<f32>::new();
    let x = tape.leaf(Tensor::vector(vec![-1000.0, 0.0, 1000.0]));
    let y = x.sigmoid();
    assert_eq!(y.value().as_slice(), &[0.0, 0.5, 1.0]);
    assert_eq!(y.sum().backward().wrt(x).as_slice(), &[0.0, 0.25, 0.0]);
}

#[test]
fn sigmoid_second_derivative_is_s_one_minus_s_one_minus_two_s() {
    let xs = [-2.0, 0.3, 1.4];
    let [y, d1, d2] = derivatives(|x| x.sigmoid(), &xs);
    let s = xs.map(|x| 1.0 / (1.0 + (-x).exp()));
    assert_close(&y, &s, 1e-15);
    assert_close(&d1, &s.map(|s| s * (1.0 - s)), 1e-15);
    assert_close(&d2, &s.map(|s| s * (1.0 - s) * (1.0 - 2.0 * s)), 1e-15);
}

#[test]
fn sigmoid_gradcheck_order2() {
    assert_gradients(
        |x| x[0].sigmoid(),
        &[Tensor::vector(vec![0.3, -1.2, 2.0])],
        2,
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn sigmoid_gradients_match_finite_differences(x in any_tensor(-4.0, 4.0)) {
        assert_gradients(|x| x[0].sigmoid() * x[0], &[x], 2);
    }
}
