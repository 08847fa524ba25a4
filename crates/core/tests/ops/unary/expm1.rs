//! Tests of `src/ops/unary/expm1.rs`.

use crate::support::{assert_close, derivatives};
use proptest::prelude::*;
use tapegrad_check::testing::{any_tensor, assert_gradients};
use tapegrad_core::{Tape, Tensor};

#[test]
fn expm1_matches_literal() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![
        0.0,
        std::f64::consts::LN_2,
        -std::f64::consts::LN_2,
    ]));
    let y = x.expm1();
    assert_close(y.value().as_slice(), &[0.0, 1.0, -0.5], 1e-16);
    // d/dx (eˣ − 1) = eˣ = y + 1
    assert_close(
        y.sum().backward().wrt(x).as_slice(),
        &[1.0, 2.0, 0.5],
        1e-16,
    );
}

#[test]
fn expm1_is_accurate_near_zero() {
    // eˣ − 1 = x + x²/2 + …: `x.exp() - 1` gives 0 and 1.000000082740371e-10 here
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![1e-20, 1e-10, -0.0]));
    let y = x.expm1().value();
    assert_eq!(y.as_slice()[0], 1e-20);
    assert_eq!(y.as_slice()[1], 1e-10 + 5e-21);
    assert_eq!(y.as_slice()[2].to_bits(), (-0.0f64).to_bits());
}

#[test]
fn expm1_saturates_at_minus_one_and_overflows_with_exp() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![-1000.0, 1000.0]));
    let y = x.expm1();
    assert_eq!(y.value().as_slice(), &[-1.0, f64::INFINITY]);
    assert_eq!(y.sum().backward().wrt(x).as_slice(), &[0.0, f64::INFINITY]);
    let tape = Tape::<f32>::new();
    let x = tape.leaf(Tensor::vector(vec![-100.0, 100.0]));
    assert_eq!(x.expm1().value().as_slice(), &[-1.0, f32::INFINITY]);
}

#[test]
fn expm1_second_derivative_is_exp() {
    let xs = [-2.0, 0.0, 1.5];
    let [y, d1, d2] = derivatives(|x| x.expm1(), &xs);
    assert_close(&y, &xs.map(f64::exp_m1), 1e-15);
    assert_close(&d1, &xs.map(f64::exp), 1e-15);
    assert_close(&d2, &xs.map(f64::exp), 1e-15);
}

#[test]
fn expm1_gradcheck_order2() {
    assert_gradients(|x| x[0].expm1(), &[Tensor::vector(vec![0.3, -1.2, 2.0])], 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn expm1_gradients_match_finite_differences(x in any_tensor(-2.0, 2.0)) {
        assert_gradients(|x| x[0].expm1() * x[0], &[x], 2);
    }
}
