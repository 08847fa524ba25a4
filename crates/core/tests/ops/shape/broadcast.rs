//! Tests of `src/ops/shape/broadcast.rs`.

use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, broadcast_pair, tensor_in};
use tapegrad_core::{Tape, Tensor};

#[test]
fn broadcast_to_matches_literal() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![1.0, 2.0]));
    let y = x.broadcast_to(&[3, 2]);
    assert_eq!(y.value().as_slice(), &[1.0, 2.0, 1.0, 2.0, 1.0, 2.0]);
    assert_eq!(y.sum().backward().wrt(x).as_slice(), &[3.0, 3.0]);
}

#[test]
fn sum_to_matches_literal() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]));
    let y = x.sum_to(&[1, 2]);
    assert_eq!(y.value().as_slice(), &[4.0, 6.0]);
    assert_eq!(y.sum().backward().wrt(x).as_slice(), &[1.0; 4]);
}

#[test]
fn broadcast_to_rejects_incompatible_shape() {
    let tape = Tape::<f64>::new();
    let e = tape
        .leaf(Tensor::zeros(&[3]))
        .try_broadcast_to(&[2, 2])
        .unwrap_err();
    assert_eq!(e.op, "broadcast_to");
    assert!(
        e.message.contains("[3]") && e.message.contains("[2, 2]"),
        "{e}"
    );
    let e = tape.leaf(Tensor::zeros(&[3])).try_sum_to(&[2]).unwrap_err();
    assert_eq!(e.op, "sum_to");
}

#[test]
fn broadcast_and_sum_to_gradcheck_order2() {
    let x = Tensor::from_vec(vec![0.5, -1.0], &[2, 1]);
    assert_gradients(
        |x| {
            let b = x[0].broadcast_to(&[3, 2, 4]);
            b * b
        },
        std::slice::from_ref(&x),
        2,
    );
    assert_gradients(
        |x| {
            let s = (x[0] * x[0]).sum_to(&[1, 1]);
            s * s
        },
        &[x],
        2,
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn broadcast_sum_to_gradients_match_finite_differences(
        (small, big) in broadcast_pair(4).prop_filter_map("ordered pair", |(a, b)| {
            if tapegrad_core::tensor::broadcasts_to(&a, &b) { Some((a, b)) }
            else if tapegrad_core::tensor::broadcasts_to(&b, &a) { Some((b, a)) }
            else { None }
        }).prop_flat_map(|(s, b)| (tensor_in(s, -2.0, 2.0), Just(b)))
    ) {
        let shape = big.clone();
        assert_gradients(move |x| { let b = x[0].broadcast_to(&shape); b * b }, std::slice::from_ref(&small), 2);
        let small_shape = small.shape().to_vec();
        let wide = Tensor::rand_normal(&big, 0.0, 1.0, 3);
        assert_gradients(move |x| { let s = (x[0] * x[0]).sum_to(&small_shape); s * s }, &[wide], 2);
    }
}
