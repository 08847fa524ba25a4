//! Tests of `src/ops/unary/sign.rs`.

use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, check_op, shape, tensor_away_from_zero};
use tapegrad_core::ops::unary::Sign;
use tapegrad_core::{Op, Tape, Tensor};

#[test]
fn sign_matches_literal() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![-2.5, -0.0, 0.0, 3.0, f64::NAN]));
    let y = x.sign();
    let got = y.value().to_vec();
    assert_eq!(&got[..4], &[-1.0, 0.0, 0.0, 1.0]);
    assert!(got[4].is_nan());
    // a step: its gradient is zero (no gradient at all reaches x)
    assert_eq!(
        (y * x).sum().backward().wrt(x).to_vec()[..4],
        [-1.0, 0.0, 0.0, 1.0]
    );
    assert_eq!(tape.grad(y.sum(), &[x])[0].value().to_vec(), vec![0.0; 5]);
}

#[test]
fn sign_reports_kink_at_zero() {
    let at = |v: Vec<f64>| Op::<f64>::is_at_kink(&Sign, &[&Tensor::vector(v)]);
    assert!(at(vec![1.0, 0.0]));
    assert!(!at(vec![-1.0, 1e-300]));
}

#[test]
fn sign_gradcheck_order2() {
    // x·sign(x) = |x| away from 0: derivative sign(x), second derivative 0
    let x = Tensor::vector(vec![0.3, -1.2, 2.0]);
    assert_gradients(|x| x[0].sign() * x[0] * x[0], &[x], 2);
}

#[test]
fn sign_passes_the_op_kit() {
    check_op(1, || Sign).away_from_zero(0.1).cases(16).assert();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn sign_gradients_match_finite_differences(
        x in shape(4).prop_flat_map(|s| tensor_away_from_zero(s, 0.1, 2.0))
    ) {
        assert_gradients(|x| x[0].sign() * x[0].exp(), &[x], 2);
    }
}
