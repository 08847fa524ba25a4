//! Tests of `src/ops/binary/pow.rs`.

use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, broadcast_pair, tensor_in};
use tapegrad_core::{Tape, Tensor};

#[test]
fn pow_matches_literal() {
    let tape = Tape::<f64>::new();
    let a = tape.leaf(Tensor::vector(vec![2.0, 9.0]));
    let b = tape.leaf(Tensor::vector(vec![3.0, 0.5]));
    let y = a.pow(b);
    assert_eq!(y.value().as_slice(), &[8.0, 3.0]);
    let g = y.sum().backward();
    // da = b·a^(b-1): 3·2² = 12, 0.5·9^-0.5 = 1/6
    assert_eq!(g.wrt(a).as_slice(), &[12.0, 0.5 / 3.0]);
    // db = y·ln a: 8·ln 2, 3·ln 9
    assert_eq!(g.wrt(b).as_slice(), &[8.0 * 2f64.ln(), 3.0 * 9f64.ln()]);
}

#[test]
fn pow_negative_base_integer_exponent() {
    let tape = Tape::<f64>::new();
    let a = tape.leaf(Tensor::scalar(-2.0));
    let b = tape.leaf(Tensor::scalar(3.0));
    let y = a.pow(b);
    assert_eq!(y.item(), -8.0);
    let g = y.backward();
    assert_eq!(g.wrt(a).item(), 12.0); // 3·(-2)²
    assert!(g.wrt(b).item().is_nan()); // ln(-2) is undefined
}

#[test]
fn pow_zero_exponent_gives_base_gradient_zero() {
    // x^0 = 1 for every x, 0 included; d/dx = 0, not 0·0^-1 = NaN
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![0.0, 3.0, -2.0]));
    let e = tape.leaf(Tensor::scalar(0.0));
    let y = x.pow(e);
    assert_eq!(y.value().as_slice(), &[1.0, 1.0, 1.0]);
    let g = y.sum().backward();
    assert_eq!(g.wrt(x).as_slice(), &[0.0, 0.0, 0.0]);
    // db = Σ ln x over the positions with x ≠ 0 (0 at x = 0 by the zero-base rule)
    assert!(g.wrt(e).item().is_nan()); // ln(-2) makes the total NaN…
    let x = tape.leaf(Tensor::vector(vec![0.0, 3.0]));
    let g = x.pow(e).sum().backward();
    assert_eq!(g.wrt(x).as_slice(), &[0.0, 0.0]);
    // …and without it, ln 3 + 0 (the engine's `log`, within 1 ulp of std's)
    assert_eq!(g.wrt(e).item(), tape.leaf(Tensor::scalar(3.0)).log().item());
    // the same through the recorded sweep
    let dx = tape.grad(x.pow(e).sum(), &[x])[0];
    assert_eq!(dx.value().as_slice(), &[0.0, 0.0]);
}

#[test]
fn pow_zero_base_nonnegative_exponent_gives_exponent_gradient_zero() {
    // d/db 0^b = 0 for b ≥ 0, not 0·ln 0 = NaN (b > 0) or 1·ln 0 = -inf (b = 0)
    let tape = Tape::<f64>::new();
    let a = tape.leaf(Tensor::scalar(0.0));
    let b = tape.leaf(Tensor::vector(vec![0.0, 0.5, 2.0]));
    let y = a.pow(b);
    assert_eq!(y.value().as_slice(), &[1.0, 0.0, 0.0]);
    let g = y.sum().backward();
    assert_eq!(g.wrt(b).as_slice(), &[0.0, 0.0, 0.0]);
    // da: 0 (exponent 0), 0.5·0^-0.5 = +inf, 2·0 = 0
    assert_eq!(g.wrt(a).item(), f64::INFINITY);
}

#[test]
fn pow_zero_base_exponent_minus_one_gives_minus_infinity() {
    let tape = Tape::<f64>::new();
    let a = tape.leaf(Tensor::scalar(0.0));
    let b = tape.leaf(Tensor::scalar(-1.0));
    let y = a.pow(b);
    assert_eq!(y.item(), f64::INFINITY);
    let g = y.backward();
    assert_eq!(g.wrt(b).item(), f64::NEG_INFINITY); // inf · ln 0
    assert_eq!(g.wrt(a).item(), f64::NEG_INFINITY); // -1 · 0^-2
}

#[test]
fn pow_guards_stay_differentiable() {
    // At the guarded point (0, 0) the second derivatives are finite (0): the guards
    // sanitise what they discard.
    let tape = Tape::<f64>::new();
    let a = tape.leaf(Tensor::scalar(0.0));
    let b = tape.leaf(Tensor::scalar(0.0));
    let g = tape.grad(a.pow(b), &[a, b]);
    for gi in &g {
        for h in tape.grad(*gi, &[a, b]) {
            assert_eq!(h.item(), 0.0);
        }
    }
    // At b = 0, a ≠ 0 nothing is guarded and the mixed derivative is exact:
    // ∂²(a^b)/∂a∂b = a^(b-1)(1 + b ln a) = 1/a = 0.5 at a = 2.
    let a = tape.leaf(Tensor::scalar(2.0));
    let da = tape.grad(a.pow(b), &[a])[0];
    assert_eq!(da.item(), 0.0);
    assert_eq!(tape.grad(da, &[b])[0].item(), 0.5);
}

#[test]
fn pow_rejects_incompatible_shapes() {
    let tape = Tape::<f64>::new();
    let e = tape
        .leaf(Tensor::zeros(&[2, 3]))
        .try_pow(tape.leaf(Tensor::zeros(&[4])))
        .unwrap_err();
    assert_eq!(e.op, "pow");
    assert!(e.message.contains("[2, 3] and [4]"), "{e}");
    assert!(e.location.file().ends_with("pow.rs"), "{e}");
}

#[test]
fn pow_gradcheck_order2() {
    let a = Tensor::from_vec(vec![0.6, 1.4, 0.9, 1.3, 2.0, 0.5], &[2, 3]);
    let b = Tensor::vector(vec![0.3, -1.7, 2.5]);
    assert_gradients(|x| x[0].pow(x[1]), &[a.clone(), b], 2);
    assert_gradients(|x| x[0].pow(x[0]), &[a], 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn pow_gradients_match_finite_differences(
        (a, b) in broadcast_pair(4).prop_flat_map(|(sa, sb)| {
            (tensor_in(sa, 0.5, 2.0), tensor_in(sb, -2.0, 2.0))
        })
    ) {
        assert_gradients(|x| x[0].pow(x[1]) * x[1], &[a.clone(), b], 2);
        assert_gradients(|x| x[0].pow(x[0]), &[a], 2);
    }
}
