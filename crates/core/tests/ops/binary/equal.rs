//! Tests of `src/ops/binary/equal.rs`.

use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, broadcast_tensors, check_op};
use tapegrad_core::ops::binary::Equal;
use tapegrad_core::{ErrorKind, Tape, Tensor};

#[test]
fn equal_matches_literal() {
    let tape = Tape::<f64>::new();
    let a = tape.leaf(Tensor::vector(vec![1.0, 2.0, f64::NAN, -0.0]));
    let b = tape.leaf(Tensor::vector(vec![1.0, 3.0, f64::NAN, 0.0]));
    assert_eq!(a.equal(b).value().as_slice(), &[1.0, 0.0, 0.0, 1.0]);
    let g = tape.grad((a.equal(b) * a).sum(), &[a, b]);
    assert_eq!(g[1].value().to_vec(), vec![0.0; 4]); // no gradient through the mask
}

#[test]
fn equal_refuses_shapes_that_do_not_broadcast() {
    let tape = Tape::<f64>::new();
    let a = tape.leaf(Tensor::zeros(&[2, 3]));
    let b = tape.leaf(Tensor::zeros(&[4]));
    let err = a.try_equal(b).unwrap_err();
    assert_eq!(
        err.kind(),
        &ErrorKind::ShapeMismatch {
            shapes: vec![vec![2, 3], vec![4]]
        }
    );
    assert!(err.to_string().starts_with("equal: "), "{err}");
}

#[test]
fn equal_gradcheck_order2() {
    let a = Tensor::vector(vec![0.5, -1.0, 2.0]);
    let b = Tensor::vector(vec![0.0, 1.0, 1.5]);
    assert_gradients(|x| (x[0].equal(x[1]) + 1.0) * x[0] * x[1], &[a, b], 2);
}

#[test]
fn equal_passes_the_op_kit() {
    check_op(2, || Equal)
        .cases(16)
        .same_variable_twice(false)
        .assert();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn equal_gradients_match_finite_differences((a, b) in broadcast_tensors(-2.0, 2.0)) {
        assert_gradients(|x| (x[0].equal(x[1]) + 2.0) * x[0].sin(), &[a, b], 2);
    }
}
