//! Tests of `src/ops/unary/neg.rs`.

use proptest::prelude::*;
use tapegrad_check::testing::{any_tensor, assert_gradients};
use tapegrad_core::{Tape, Tensor};

#[test]
fn neg_matches_literal() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![1.5, -2.0]));
    let y = -x;
    assert_eq!(y.value().as_slice(), &[-1.5, 2.0]);
    assert_eq!(y.sum().backward().wrt(x).as_slice(), &[-1.0, -1.0]);
}

#[test]
fn neg_gradcheck_order2() {
    let x = Tensor::vector(vec![0.3, -0.8]);
    assert_gradients(|x| -(x[0] * x[0]), &[x], 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn neg_gradients_match_finite_differences(x in any_tensor(-2.0, 2.0)) {
        assert_gradients(|x| -x[0] * x[0], &[x], 2);
    }
}
