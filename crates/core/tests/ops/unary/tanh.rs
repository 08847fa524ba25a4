//! Tests of `src/ops/unary/tanh.rs`.

use crate::support::{assert_close, derivatives};
use proptest::prelude::*;
use tapegrad_check::testing::{any_tensor, assert_gradients, check_op};
use tapegrad_core::ops::unary::TanhGrad;
use tapegrad_core::{Tape, Tensor};

#[test]
fn tanh_matches_literal() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![0.0, 0.5f64.atanh()]));
    let y = x.tanh();
    assert_close(y.value().as_slice(), &[0.0, 0.5], 1e-15);
    // d/dx tanh x = 1 - tanh² x: 1 at 0, 0.75 where tanh x = 0.5
    let dx = y.sum().backward().wrt(x);
    assert_close(dx.as_slice(), &[1.0, 0.75], 1e-15);
    assert_eq!(dx.as_slice()[0], 1.0);
}

#[test]
fn tanh_saturated_gradient_is_zero() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![-1000.0, 1000.0]));
    let y = x.tanh();
    assert_eq!(y.value().as_slice(), &[-1.0, 1.0]);
    assert_eq!(y.sum().backward().wrt(x).as_slice(), &[0.0, 0.0]);
    let [_, d1, d2] = derivatives(|x| x.tanh(), &[-1000.0, 1000.0]);
    assert_eq!((d1, d2), (vec![0.0, 0.0], vec![0.0, 0.0]));
}

#[test]
fn tanh_saturates_in_f32() {
    let tape = Tape::<f32>::new();
    let x = tape.leaf(Tensor::vector(vec![-1000.0, 0.0, 1000.0]));
    let y = x.tanh();
    assert_eq!(y.value().as_slice(), &[-1.0, 0.0, 1.0]);
    assert_eq!(y.sum().backward().wrt(x).as_slice(), &[0.0, 1.0, 0.0]);
}

#[test]
fn tanh_second_derivative_is_minus_two_tanh_sech_squared() {
    let xs = [-2.0, 0.3, 1.4];
    let [y, d1, d2] = derivatives(|x| x.tanh(), &xs);
    let t = xs.map(f64::tanh);
    assert_close(&y, &t, 1e-15);
    assert_close(&d1, &t.map(|t| 1.0 - t * t), 1e-15);
    assert_close(&d2, &t.map(|t| -2.0 * t * (1.0 - t * t)), 1e-15);
}

#[test]
fn tanh_gradcheck_order2() {
    assert_gradients(|x| x[0].tanh(), &[Tensor::vector(vec![0.3, -1.2, 2.0])], 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn tanh_gradients_match_finite_differences(x in any_tensor(-3.0, 3.0)) {
        assert_gradients(|x| x[0].tanh() * x[0], &[x], 2);
    }
}

/// `tanh`'s VJP is one op, `tanh_grad`, with the roundings of `dy · (1 − y²)` written out:
/// the same numbers, bit for bit.
#[test]
fn tanh_gradient_is_dy_times_one_minus_y_squared_bit_for_bit() {
    let tape = Tape::<f32>::new();
    let x = tape.leaf(Tensor::from_fn(&[7, 9], |i| i as f32 * 0.37 - 11.0));
    let seed = Tensor::from_fn(&[7, 9], |i| 1.0 + i as f32 * 0.01);
    let y = x.tanh();
    let dx = y.backward_with(seed.clone()).wrt(x);
    let want = y.value().zip_map(&seed, |y, d| d * (1.0 - y * y)).unwrap();
    assert_eq!(dx.as_slice(), want.as_slice());
}

/// The op-author's kit on `tanh_grad` itself (operands `y`, `dy`): gradients of first and
/// second order against finite differences over broadcasting shapes, the batched VJP,
/// the structure.
#[test]
fn tanh_grad_passes_the_op_kit() {
    check_op(2, || TanhGrad).assert();
}
