//! Tests of `src/ops/shape/reshape.rs`.

use proptest::prelude::*;
use tapegrad_check::testing::{any_tensor, assert_gradients};
use tapegrad_core::{Tape, Tensor};

#[test]
fn reshape_matches_literal() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::arange(6));
    let y = x.reshape(&[2, 3]);
    assert_eq!(y.shape().as_slice(), &[2, 3]);
    assert_eq!(y.value().at(&[1, 0]), 3.0);
    let w = tape.constant(Tensor::from_vec(vec![1., 2., 3., 4., 5., 6.], &[2, 3]));
    assert_eq!(
        (y * w).sum().backward().wrt(x).as_slice(),
        &[1., 2., 3., 4., 5., 6.]
    );
}

#[test]
fn reshape_rejects_wrong_count() {
    let tape = Tape::<f64>::new();
    let e = tape.leaf(Tensor::arange(6)).try_reshape(&[4]).unwrap_err();
    assert_eq!(e.op, "reshape");
    assert!(
        e.message.contains("[6]") && e.message.contains("[4]"),
        "{e}"
    );
}

#[test]
fn reshape_gradcheck_order2() {
    let x = Tensor::from_vec(vec![0.5, -1.0, 2.0, 0.1], &[4]);
    assert_gradients(
        |x| {
            let r = x[0].reshape(&[2, 2]);
            r * r
        },
        &[x],
        2,
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn reshape_gradients_match_finite_differences(x in any_tensor(-2.0, 2.0)) {
        assert_gradients(|x| { let f = x[0].flatten(); f * f }, &[x], 2);
    }
}
