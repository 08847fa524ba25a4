//! Tests of `src/ops/unary/powf.rs`.

use crate::support::{assert_close, derivatives};
use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, shape, tensor_in};
use tapegrad_core::ops::unary::Powf;
use tapegrad_core::{Op, Tape, Tensor};

#[test]
fn powf_matches_literal() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![4.0, 9.0]));
    let y = x.powf(1.5);
    assert_eq!(y.value().as_slice(), &[8.0, 27.0]);
    // d/dx x^1.5 = 1.5·√x
    assert_eq!(y.sum().backward().wrt(x).as_slice(), &[3.0, 4.5]);
}

#[test]
fn powf_zero_exponent_has_zero_gradient() {
    let xs = [0.0, -2.0, 5.0];
    let [y, d1, d2] = derivatives(|x| x.powf(0.0), &xs);
    assert_eq!(y, vec![1.0; 3]);
    assert_eq!((d1, d2), (vec![0.0; 3], vec![0.0; 3]));
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(xs.to_vec()));
    assert_eq!(x.powf(0.0).sum().backward().wrt(x).as_slice(), &[0.0; 3]);
}

#[test]
fn powf_exponent_one_has_zero_second_derivative_at_zero() {
    // d²/dx² x¹ goes through the guarded x⁰: 0, not 1·0·0⁻¹ = NaN
    let [y, d1, d2] = derivatives(|x| x.powf(1.0), &[0.0]);
    assert_eq!((y, d1, d2), (vec![0.0], vec![1.0], vec![0.0]));
}

#[test]
fn powf_half_at_zero_has_infinite_gradient_like_sqrt() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::scalar(0.0));
    let y = x.powf(0.5);
    assert_eq!(y.item(), 0.0);
    assert_eq!(y.backward().wrt(x).item(), f64::INFINITY);
}

#[test]
fn powf_of_negative_base_with_fractional_exponent_is_nan() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![-2.0, -2.0]));
    let y = x.powf(1.5);
    assert!(y.value().as_slice().iter().all(|v| v.is_nan()));
    assert!(y.sum().backward().wrt(x).as_slice()[0].is_nan());
    // an integral exponent is fine on negative bases: d/dx x² = 2x
    let y = x.powf(2.0);
    assert_eq!(y.value().as_slice(), &[4.0, 4.0]);
    assert_eq!(y.sum().backward().wrt(x).as_slice(), &[-4.0, -4.0]);
}

#[test]
fn powf_reports_kink_at_zero_for_fractional_exponent() {
    let at = |p: f64, v: Vec<f64>| Op::<f64>::is_at_kink(&Powf { p }, &[&Tensor::vector(v)]);
    assert!(at(0.5, vec![1.0, 0.0]));
    assert!(at(2.5, vec![0.0]));
    assert!(!at(0.5, vec![1.0, 2.0]));
    assert!(!at(2.0, vec![0.0]));
}

#[test]
fn powf_second_derivative_is_p_p_minus_one_x_to_p_minus_two() {
    let xs = [0.3, 1.0, 2.5];
    for p in [-1.5, 0.5, 2.5] {
        let [y, d1, d2] = derivatives(|x| x.powf(p), &xs);
        assert_close(&y, &xs.map(|x| x.powf(p)), 1e-15);
        assert_close(&d1, &xs.map(|x| p * x.powf(p - 1.0)), 1e-14);
        assert_close(&d2, &xs.map(|x| p * (p - 1.0) * x.powf(p - 2.0)), 1e-14);
    }
}

#[test]
fn powf_labels_its_exponent() {
    assert_eq!(Op::<f64>::label(&Powf { p: 2.5 }), "powf(2.5)");
}

#[test]
fn powf_gradcheck_order2() {
    let xs = [Tensor::vector(vec![0.3, 1.7, 2.5])];
    assert_gradients(|x| x[0].powf(2.5), &xs, 2);
    assert_gradients(|x| x[0].powf(-0.7), &xs, 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn powf_gradients_match_finite_differences(
        x in shape(4).prop_flat_map(|s| tensor_in(s, 0.2, 3.0)),
        p in -2.0f64..3.0,
    ) {
        assert_gradients(|x| x[0].powf(p) * x[0], &[x], 2);
    }
}
