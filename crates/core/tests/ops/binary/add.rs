//! Tests of `src/ops/binary/add.rs`.

use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, broadcast_tensors};
use tapegrad_core::{Tape, Tensor};

#[test]
fn add_matches_literal() {
    let tape = Tape::<f64>::new();
    let a = tape.leaf(Tensor::vector(vec![1.0, 2.0]));
    let b = tape.leaf(Tensor::scalar(10.0));
    let y = a + b;
    assert_eq!(y.value().as_slice(), &[11.0, 12.0]);
    // d/db Σ(a + b) = number of elements b was broadcast over
    let g = y.sum().backward();
    assert_eq!(g.wrt(a).as_slice(), &[1.0, 1.0]);
    assert_eq!(g.wrt(b).item(), 2.0);
}

#[test]
fn add_rejects_incompatible_shapes() {
    let tape = Tape::<f32>::new();
    let a = tape.leaf(Tensor::zeros(&[2, 3]));
    let b = tape.leaf(Tensor::zeros(&[4]));
    let e = a.try_add(b).unwrap_err();
    assert_eq!(e.op, "add");
    assert!(e.message.contains("[2, 3] and [4]"), "{e}");
    assert!(e.location.file().ends_with("add.rs"), "{e}");
}

#[test]
fn add_gradcheck_order2() {
    let a = Tensor::from_vec(vec![0.1, -0.4, 0.9, 1.3, -2.0, 0.5], &[2, 3]);
    let b = Tensor::vector(vec![0.3, 0.7, -1.1]);
    assert_gradients(|x| (x[0] + x[1]) * (x[0] + x[1]), &[a, b], 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn add_gradients_match_finite_differences((a, b) in broadcast_tensors(-2.0, 2.0)) {
        assert_gradients(|x| (x[0] + x[1]) * x[1], &[a.clone(), b], 2);
        assert_gradients(|x| x[0] + x[0], &[a], 1);
    }
}
