//! Tests of `src/ops/binary/div.rs`.

use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, broadcast_pair, tensor_away_from_zero, tensor_in};
use tapegrad_core::{Tape, Tensor};

#[test]
fn div_matches_literal() {
    let tape = Tape::<f64>::new();
    let a = tape.leaf(Tensor::scalar(3.0));
    let b = tape.leaf(Tensor::scalar(2.0));
    let y = a / b;
    assert_eq!(y.item(), 1.5);
    let g = y.backward();
    assert_eq!(g.wrt(a).item(), 0.5); // 1/b
    assert_eq!(g.wrt(b).item(), -0.75); // -a/b²
}

#[test]
fn div_by_zero_gives_signed_infinities() {
    let tape = Tape::<f64>::new();
    let a = tape.leaf(Tensor::scalar(1.0));
    let b = tape.leaf(Tensor::scalar(0.0));
    let g = (a / b).backward();
    assert_eq!(g.wrt(a).item(), f64::INFINITY);
    assert_eq!(g.wrt(b).item(), f64::NEG_INFINITY);
    let z = tape.leaf(Tensor::scalar(0.0));
    assert!((z / b).item().is_nan());
}

#[test]
fn div_rejects_incompatible_shapes() {
    let tape = Tape::<f64>::new();
    let e = (tape.leaf(Tensor::zeros(&[3])))
        .try_div(tape.leaf(Tensor::zeros(&[4])))
        .unwrap_err();
    assert_eq!(e.op, "div");
}

#[test]
fn div_gradcheck_order2() {
    let a = Tensor::from_vec(vec![0.1, -0.4, 0.9, 1.3], &[2, 2]);
    let b = Tensor::from_vec(vec![0.8, -1.5], &[2]);
    assert_gradients(|x| x[0] / x[1], &[a, b], 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn div_gradients_match_finite_differences(
        (a, b) in broadcast_pair(4).prop_flat_map(|(sa, sb)| {
            (tensor_in(sa, -2.0, 2.0), tensor_away_from_zero(sb, 0.5, 2.0))
        })
    ) {
        assert_gradients(|x| x[0] / x[1], &[a, b.clone()], 2);
        assert_gradients(|x| x[0] / x[0], &[b], 1);
    }
}
