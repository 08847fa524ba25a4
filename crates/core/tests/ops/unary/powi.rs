//! Tests of `src/ops/unary/powi.rs`.

use crate::support::{assert_close, derivatives};
use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, shape, tensor_away_from_zero};
use tapegrad_core::ops::unary::Powi;
use tapegrad_core::{Op, Tape, Tensor};

#[test]
fn powi_matches_literal() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![2.0, -3.0]));
    let y = x.powi(3);
    assert_eq!(y.value().as_slice(), &[8.0, -27.0]);
    // d/dx x³ = 3x²
    assert_eq!(y.sum().backward().wrt(x).as_slice(), &[12.0, 27.0]);
    let y = x.powi(-2);
    assert_eq!(y.value().as_slice(), &[0.25, 1.0 / 9.0]);
    // d/dx x⁻² = -2x⁻³
    assert_eq!(y.sum().backward().wrt(x).as_slice(), &[-0.25, 2.0 / 27.0]);
}

#[test]
fn powi_zero_exponent_has_zero_gradient() {
    let xs = [0.0, -2.0, 5.0];
    let [y, d1, d2] = derivatives(|x| x.powi(0), &xs);
    assert_eq!(y, vec![1.0; 3]);
    assert_eq!((d1, d2), (vec![0.0; 3], vec![0.0; 3]));
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(xs.to_vec()));
    assert_eq!(x.powi(0).sum().backward().wrt(x).as_slice(), &[0.0; 3]);
}

#[test]
fn powi_exponent_one_has_zero_second_derivative_at_zero() {
    // d²/dx² x¹ goes through the guarded x⁰: 0, not 1·0·0⁻¹ = NaN
    let [y, d1, d2] = derivatives(|x| x.powi(1), &[0.0]);
    assert_eq!((y, d1, d2), (vec![0.0], vec![1.0], vec![0.0]));
}

#[test]
fn powi_negative_exponent_at_zero_is_a_pole() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::scalar(0.0));
    let y = x.powi(-1);
    assert_eq!(y.item(), f64::INFINITY);
    assert_eq!(y.backward().wrt(x).item(), f64::NEG_INFINITY); // -1·0⁻²
}

#[test]
fn powi_of_min_exponent_does_not_overflow() {
    let [y, d1, _] = derivatives(|x| x.powi(i32::MIN), &[-1.0, 1.0]);
    assert_eq!(y, vec![1.0, 1.0]);
    // n·xⁿ⁻¹ with n - 1 odd
    assert_eq!(d1, vec![-(i32::MIN as f64), i32::MIN as f64]);
}

#[test]
fn powi_second_derivative_is_n_n_minus_one_x_to_n_minus_two() {
    let xs = [-1.7, -0.4, 0.3, 2.5];
    for n in -3..=4 {
        let [y, d1, d2] = derivatives(|x| x.powi(n), &xs);
        let nf = n as f64;
        assert_close(&y, &xs.map(|x| x.powi(n)), 1e-15);
        assert_close(&d1, &xs.map(|x| nf * x.powi(n - 1)), 1e-14);
        assert_close(&d2, &xs.map(|x| nf * (nf - 1.0) * x.powi(n - 2)), 1e-14);
    }
}

#[test]
fn powi_works_in_f32() {
    let tape = Tape::<f32>::new();
    let x = tape.leaf(Tensor::vector(vec![-2.0, 0.0, 3.0]));
    let y = x.powi(2);
    assert_eq!(y.value().as_slice(), &[4.0, 0.0, 9.0]);
    assert_eq!(y.sum().backward().wrt(x).as_slice(), &[-4.0, 0.0, 6.0]);
}

#[test]
fn powi_labels_its_exponent() {
    assert_eq!(Op::<f64>::label(&Powi { n: -3 }), "powi(-3)");
}

#[test]
fn powi_gradcheck_order2() {
    let xs = [Tensor::vector(vec![0.3, -1.7, 2.5])];
    assert_gradients(|x| x[0].powi(3), &xs, 2);
    assert_gradients(|x| x[0].powi(-2), &xs, 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn powi_gradients_match_finite_differences(
        x in shape(4).prop_flat_map(|s| tensor_away_from_zero(s, 0.3, 2.0)),
        n in -3i32..=4,
    ) {
        assert_gradients(|x| x[0].powi(n) * x[0], &[x], 2);
    }
}
