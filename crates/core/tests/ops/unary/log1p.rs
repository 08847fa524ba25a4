//! Tests of `src/ops/unary/log1p.rs`.

use crate::support::{assert_close, derivatives};
use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, shape, tensor_in};
use tapegrad_core::{Tape, Tensor};

#[test]
fn log1p_matches_literal() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![0.0, 1.0, 3.0, -0.5]));
    let y = x.log1p();
    let ln2 = std::f64::consts::LN_2;
    assert_close(y.value().as_slice(), &[0.0, ln2, 2.0 * ln2, -ln2], 1e-16);
    // d/dx ln(1 + x) = 1/(1 + x)
    assert_eq!(y.sum().backward().wrt(x).as_slice(), &[1.0, 0.5, 0.25, 2.0]);
}

#[test]
fn log1p_is_accurate_near_zero() {
    // ln(1 + x) = x − x²/2 + …: `(1 + x).log()` gives 0 and 1.00000008e-10 here
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![1e-20, 1e-10, -0.0]));
    let y = x.log1p().value();
    assert_eq!(y.as_slice()[0], 1e-20);
    assert_eq!(y.as_slice()[1], 1e-10 - 5e-21);
    assert_eq!(y.as_slice()[2].to_bits(), (-0.0f64).to_bits());
}

#[test]
fn log1p_of_minus_one_is_minus_infinity_with_infinite_gradient() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::scalar(-1.0));
    let y = x.log1p();
    assert_eq!(y.item(), f64::NEG_INFINITY);
    assert_eq!(y.backward().wrt(x).item(), f64::INFINITY);
    assert_eq!(tape.grad(y, &[x])[0].item(), f64::INFINITY);
}

#[test]
fn log1p_below_minus_one_is_nan_with_nan_gradient() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![-2.0, 1.0]));
    let y = x.log1p();
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
fn log1p_second_derivative_is_minus_inverse_square() {
    let xs = [-0.7, 0.0, 4.5];
    let [y, d1, d2] = derivatives(|x| x.log1p(), &xs);
    assert_close(&y, &xs.map(f64::ln_1p), 1e-15);
    assert_close(&d1, &xs.map(|x| 1.0 / (1.0 + x)), 1e-15);
    assert_close(&d2, &xs.map(|x| -1.0 / ((1.0 + x) * (1.0 + x))), 1e-14);
}

#[test]
fn log1p_gradcheck_order2() {
    assert_gradients(|x| x[0].log1p(), &[Tensor::vector(vec![-0.6, 0.3, 2.5])], 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn log1p_gradients_match_finite_differences(
        x in shape(4).prop_flat_map(|s| tensor_in(s, -0.8, 3.0))
    ) {
        assert_gradients(|x| x[0].log1p() * x[0], &[x], 2);
    }
}
