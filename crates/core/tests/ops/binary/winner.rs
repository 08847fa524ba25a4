//! Tests of `src/ops/binary/winner.rs`.

use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, broadcast_tensors, check_op};
use tapegrad_core::ops::binary::Winner;
use tapegrad_core::{Tape, Tensor};

#[test]
fn winner_matches_literal() {
    let tape = Tape::<f64>::new();
    let a = tape.leaf(Tensor::vector(vec![3.0, 1.0, 2.0, f64::NAN, f64::INFINITY]));
    let b = tape.leaf(Tensor::vector(vec![1.0, 3.0, 2.0, 0.0, f64::INFINITY]));
    let max = a.winner(b, true).value().to_vec();
    let min = a.winner(b, false).value().to_vec();
    assert_eq!((&max[..3], max[4]), (&[1.0, 0.0, 0.5][..], 0.5)); // a tie of infinities too
    assert_eq!((&min[..3], min[4]), (&[0.0, 1.0, 0.5][..], 0.5));
    assert!(max[3].is_nan() && min[3].is_nan());
    // no gradient reaches either side
    let g = tape.grad(a.winner(b, true).sum(), &[a, b]);
    assert_eq!(g[0].value().to_vec(), vec![0.0; 5]);
}

#[test]
fn winner_broadcasts_and_refuses_other_shapes() {
    let tape = Tape::<f64>::new();
    let a = tape.leaf(Tensor::from_vec(vec![1.0, 5.0, 3.0, 0.0], &[2, 2]));
    let b = tape.leaf(Tensor::scalar(2.0));
    assert_eq!(a.winner(b, true).value().as_slice(), &[0.0, 1.0, 1.0, 0.0]);
    let c = tape.leaf(Tensor::zeros(&[3]));
    let err = tape
        .try_apply(Winner { larger: true }, &[a, c])
        .unwrap_err();
    assert!(err.to_string().starts_with("winner: "), "{err}");
    assert!(err.to_string().contains("[2, 2]") && err.to_string().contains("[3]"));
}

#[test]
fn winner_gradcheck_order2() {
    // a·winner(a, b) is a where a > b, else 0, away from ties
    let a = Tensor::vector(vec![0.5, -1.0, 2.0]);
    let b = Tensor::vector(vec![0.0, 1.0, 1.0]);
    assert_gradients(|x| x[0].winner(x[1], true) * x[0] * x[1], &[a, b], 2);
}

#[test]
fn winner_passes_the_op_kit() {
    check_op(2, || Winner { larger: false })
        .cases(16)
        .same_variable_twice(false)
        .assert();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn winner_gradients_match_finite_differences((a, b) in broadcast_tensors(-2.0, 2.0)) {
        assert_gradients(|x| x[0].winner(x[1], true) * x[0].exp(), &[a, b], 2);
    }
}
