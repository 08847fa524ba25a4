//! Tests of `src/ops/binary/sub.rs`.

use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, broadcast_tensors};
use tapegrad_core::{Tape, Tensor};

#[test]
fn sub_matches_literal() {
    let tape = Tape::<f64>::new();
    let a = tape.leaf(Tensor::vector(vec![5.0, 7.0]));
    let b = tape.leaf(Tensor::vector(vec![1.0, 2.0]));
    let y = a - b;
    assert_eq!(y.value().as_slice(), &[4.0, 5.0]);
    let g = y.sum().backward();
    assert_eq!(g.wrt(a).as_slice(), &[1.0, 1.0]);
    assert_eq!(g.wrt(b).as_slice(), &[-1.0, -1.0]);
}

#[test]
fn sub_rejects_incompatible_shapes() {
    let tape = Tape::<f64>::new();
    let e = (tape.leaf(Tensor::zeros(&[3])))
        .try_sub(tape.leaf(Tensor::zeros(&[2])))
        .unwrap_err();
    assert_eq!(e.op, "sub");
}

#[test]
fn sub_gradcheck_order2() {
    let a = Tensor::from_vec(vec![0.1, -0.4, 0.9, 1.3], &[2, 2]);
    let b = Tensor::from_vec(vec![0.3, -1.1], &[2, 1]);
    assert_gradients(|x| (x[0] - x[1]) * (x[1] - x[0]), &[a, b], 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn sub_gradients_match_finite_differences((a, b) in broadcast_tensors(-2.0, 2.0)) {
        assert_gradients(|x| (x[0] - x[1]) * x[0], &[a.clone(), b], 2);
        assert_gradients(|x| x[0] - x[0], &[a], 1);
    }
}
