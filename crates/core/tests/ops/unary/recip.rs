//! Tests of `src/ops/unary/recip.rs`.

use crate::support::{assert_close, derivatives};
use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, shape, tensor_away_from_zero};
use tapegrad_core::{Tape, Tensor};

#[test]
fn recip_matches_literal() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![2.0, -0.5]));
    let y = x.recip();
    assert_eq!(y.value().as_slice(), &[0.5, -2.0]);
    // d/dx 1/x = -1/x²
    assert_eq!(y.sum().backward().wrt(x).as_slice(), &[-0.25, -4.0]);
}

#[test]
fn recip_of_zero_is_infinite_with_minus_infinite_gradient() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![0.0, -0.0]));
    let y = x.recip();
    assert_eq!(y.value().as_slice(), &[f64::INFINITY, f64::NEG_INFINITY]);
    assert_eq!(
        y.sum().backward().wrt(x).as_slice(),
        &[f64::NEG_INFINITY, f64::NEG_INFINITY]
    );
}

#[test]
fn recip_second_derivative_is_two_over_cube() {
    let xs = [-1.5, 0.4, 3.0];
    let [y, d1, d2] = derivatives(|x| x.recip(), &xs);
    assert_close(&y, &xs.map(|x| 1.0 / x), 1e-15);
    assert_close(&d1, &xs.map(|x| -1.0 / (x * x)), 1e-14);
    assert_close(&d2, &xs.map(|x| 2.0 / (x * x * x)), 1e-14);
}

#[test]
fn recip_gradcheck_order2() {
    assert_gradients(|x| x[0].recip(), &[Tensor::vector(vec![0.7, -1.3, 2.0])], 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn recip_gradients_match_finite_differences(
        x in shape(4).prop_flat_map(|s| tensor_away_from_zero(s, 0.5, 2.0))
    ) {
        assert_gradients(|x| x[0].recip() * x[0].recip(), &[x], 2);
    }
}
