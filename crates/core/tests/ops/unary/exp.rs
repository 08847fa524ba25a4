//! Tests of `src/ops/unary/exp.rs`.

use proptest::prelude::*;
use tapegrad_check::testing::{any_tensor, assert_gradients};
use tapegrad_core::{Tape, Tensor};

#[test]
fn exp_matches_literal() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![0.0, 1.0]));
    let y = x.exp();
    assert_eq!(y.value().as_slice(), &[1.0, std::f64::consts::E]);
    // d/dx eˣ = eˣ
    assert_eq!(
        y.sum().backward().wrt(x).as_slice(),
        &[1.0, std::f64::consts::E]
    );
}

#[test]
fn exp_second_derivative_is_itself() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::scalar(0.5));
    let d1 = tape.grad(x.exp(), &[x])[0];
    let d2 = tape.grad(d1, &[x])[0];
    assert!((d2.item() - 0.5f64.exp()).abs() < 1e-15);
}

#[test]
fn exp_gradcheck_order2() {
    assert_gradients(|x| x[0].exp(), &[Tensor::vector(vec![0.3, -1.2, 2.0])], 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn exp_gradients_match_finite_differences(x in any_tensor(-2.0, 2.0)) {
        assert_gradients(|x| x[0].exp() * x[0], &[x], 2);
    }
}
