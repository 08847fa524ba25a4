//! Tests of `src/ops/binary/scalar.rs`.

use proptest::prelude::*;
use tapegrad_check::testing::{any_tensor, assert_gradients, shape, tensor_away_from_zero};
use tapegrad_core::{Tape, Tensor};

#[test]
fn float_operands_match_literal() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::scalar(4.0));
    let ys = [
        x + 1.0,
        1.0 + x,
        x - 1.0,
        1.0 - x,
        x * 3.0,
        3.0 * x,
        x / 2.0,
        2.0 / x,
    ];
    let want = [5.0, 5.0, 3.0, -3.0, 12.0, 12.0, 2.0, 0.5];
    // derivatives: 1, 1, 1, -1, 3, 3, 1/2, -2/x² = -1/8
    let dwant = [1.0, 1.0, 1.0, -1.0, 3.0, 3.0, 0.5, -0.125];
    for ((y, w), d) in ys.iter().zip(want).zip(dwant) {
        assert_eq!(y.item(), w);
        assert_eq!(y.backward().wrt(x).item(), d);
    }
    // one node per float operation
    let before = tape.len();
    let _ = x * 2.0;
    assert_eq!(tape.len(), before + 1);
}

#[test]
fn scalar_ops_gradcheck_order2() {
    let x = Tensor::vector(vec![0.7, -1.3]);
    assert_gradients(
        |x| (x[0] * 3.0 + 1.0) * (2.0 - x[0]) / 4.0,
        std::slice::from_ref(&x),
        2,
    );
    assert_gradients(|x| 2.0 / x[0], &[x], 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20))]
    #[test]
    fn scalar_ops_gradients_match_finite_differences(
        x in any_tensor(-2.0, 2.0),
        z in shape(4).prop_flat_map(|s| tensor_away_from_zero(s, 0.5, 2.0)),
    ) {
        assert_gradients(|x| (x[0] * 1.5 - 0.5) * x[0] / 3.0, &[x], 2);
        assert_gradients(|x| 1.0 / x[0], &[z], 2);
    }
}
