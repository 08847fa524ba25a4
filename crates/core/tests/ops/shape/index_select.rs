//! Tests of `src/ops/shape/index_select.rs`.

use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, shape, tensor_in};
use tapegrad_core::ops::shape::IndexAdd;
use tapegrad_core::{Tape, Tensor};

#[test]
fn index_select_matches_literal() {
    let tape = Tape::<f64>::new();
    // x = [[0, 1], [2, 3], [4, 5]]
    let x = tape.leaf(Tensor::arange(6).reshape(&[3, 2]).unwrap());
    let y = x.index_select(0, &[2, 0, 2]);
    assert_eq!(y.value().as_slice(), &[4., 5., 0., 1., 4., 5.]);
    assert_eq!(x.index_select(-1, &[1]).value().as_slice(), &[1., 3., 5.]);
    // d/dx Σ y²: row 2 picked twice gives 2·2x, row 0 once gives 2x, row 1 none
    let dx = (y * y).sum().backward().wrt(x);
    assert_eq!(dx.as_slice(), &[0., 2., 0., 0., 16., 20.]);
}

#[test]
fn index_add_matches_literal() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::from_vec(vec![1., 2., 3.], &[1, 3]));
    let add = IndexAdd {
        axis: 1,
        size: 2,
        indices: vec![1, 0, 1].into(),
    };
    let y = tape.apply(add, &[x]);
    assert_eq!(y.value().as_slice(), &[2., 4.]);
    // d/dx Σ w ⊙ y = w at each index: w = [10, 20] read at [1, 0, 1]
    let w = tape.constant(Tensor::from_vec(vec![10., 20.], &[1, 2]));
    assert_eq!((y * w).sum().backward().wrt(x).as_slice(), &[20., 10., 20.]);
}

#[test]
fn index_select_rejects_bad_index() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::zeros(&[3, 2]));
    let e = x.try_index_select(0, &[0, 3]).unwrap_err();
    assert_eq!(e.op, "index_select");
    assert!(
        e.message.contains("index 3") && e.message.contains("[3, 2]"),
        "{e}"
    );
    let e = x.try_index_select(2, &[0]).unwrap_err();
    assert_eq!(e.op, "index_select");
    assert!(
        e.message.contains("axis 2") && e.message.contains("[3, 2]"),
        "{e}"
    );
    let add = IndexAdd {
        axis: 0,
        size: 2,
        indices: vec![0, 2, 1].into(),
    };
    let e = tape.try_apply(add, &[x]).unwrap_err();
    assert_eq!(e.op, "index_add");
    assert!(e.message.contains("index 2"), "{e}");
}

#[test]
fn index_select_gradcheck_order2() {
    let x = Tensor::from_vec(vec![0.5, -1.0, 2.0, 0.1, 0.7, -0.3], &[3, 2]);
    assert_gradients(
        |x| {
            let s = x[0].index_select(0, &[2, 0, 2, 1]);
            s * s
        },
        std::slice::from_ref(&x),
        2,
    );
    assert_gradients(|x| x[0].index_select(1, &[1, 0]) * x[0], &[x], 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20))]
    #[test]
    fn index_select_gradients_match_finite_differences(
        (x, axis, indices) in shape(4)
            .prop_filter("rank ≥ 1", |s| !s.is_empty())
            .prop_flat_map(|s| { let r = s.len(); (Just(s), 0..r) })
            .prop_flat_map(|(s, axis)| {
                let d = s[axis];
                (tensor_in(s, -2.0, 2.0), Just(axis), proptest::collection::vec(0..d, 0..=4))
            })
    ) {
        let y = Tape::new().leaf(x.clone()).index_select(axis as isize, &indices).value();
        prop_assert_eq!(y, x.index_select(axis, &indices).unwrap());
        assert_gradients(move |x| { let s = x[0].index_select(axis as isize, &indices); s * s }, &[x], 2);
    }
}
