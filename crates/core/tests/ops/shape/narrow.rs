//! Tests of `src/ops/shape/narrow.rs`.

use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, shape, tensor_in};
use tapegrad_core::ops::shape::PadNarrow;
use tapegrad_core::{Tape, Tensor};

#[test]
fn narrow_matches_literal() {
    let tape = Tape::<f64>::new();
    // x = [[0, 1, 2, 3], [4, 5, 6, 7]]
    let x = tape.leaf(Tensor::arange(8).reshape(&[2, 4]).unwrap());
    let y = x.narrow(-1, 1, 2);
    assert_eq!(y.shape().as_slice(), &[2, 2]);
    assert_eq!(y.value().as_slice(), &[1., 2., 5., 6.]);
    // d/dx Σ y² = 2y inside the range, 0 outside
    let dx = (y * y).sum().backward().wrt(x);
    assert_eq!(dx.as_slice(), &[0., 2., 4., 0., 0., 10., 12., 0.]);
    // an empty range is allowed and has a zero gradient
    let e = x.narrow(0, 2, 0);
    assert_eq!(e.shape().as_slice(), &[0, 4]);
    assert_eq!(e.sum().backward().wrt(x).as_slice(), &[0.; 8]);
}

#[test]
fn pad_narrow_matches_literal() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::from_vec(vec![1., 2., 3., 4.], &[2, 2]));
    let pad = PadNarrow {
        axis: 1,
        start: 1,
        size: 4,
    };
    let y = tape.apply(pad, &[x]);
    assert_eq!(y.value().as_slice(), &[0., 1., 2., 0., 0., 3., 4., 0.]);
    // d/dx Σ w ⊙ y picks w where x was placed
    let w = tape.constant(Tensor::arange(8).reshape(&[2, 4]).unwrap());
    assert_eq!(
        (y * w).sum().backward().wrt(x).as_slice(),
        &[1., 2., 5., 6.]
    );
}

#[test]
fn narrow_rejects_out_of_bounds() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::zeros(&[2, 4]));
    let e = x.try_narrow(1, 3, 2).unwrap_err();
    assert_eq!(e.op, "narrow");
    assert!(
        e.message.contains("3..5") && e.message.contains("[2, 4]"),
        "{e}"
    );
    let e = x.try_narrow(-3, 0, 1).unwrap_err();
    assert_eq!(e.op, "narrow");
    assert!(
        e.message.contains("axis -3") && e.message.contains("[2, 4]"),
        "{e}"
    );
    let pad = PadNarrow {
        axis: 1,
        start: 3,
        size: 4,
    };
    let e = tape.try_apply(pad, &[x]).unwrap_err();
    assert_eq!(e.op, "pad_narrow");
    assert!(e.message.contains("[2, 4]"), "{e}");
}

#[test]
fn narrow_gradcheck_order2() {
    let x = Tensor::from_vec(vec![0.5, -1.0, 2.0, 0.1, 0.7, -0.3], &[2, 3]);
    assert_gradients(
        |x| {
            let n = x[0].narrow(1, 1, 2);
            n * n
        },
        std::slice::from_ref(&x),
        2,
    );
    // two overlapping ranges of the same variable multiplied together
    assert_gradients(|x| x[0].narrow(1, 0, 2) * x[0].narrow(1, 1, 2), &[x], 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20))]
    #[test]
    fn narrow_gradients_match_finite_differences(
        (x, axis, start, len) in shape(4)
            .prop_filter("rank ≥ 1", |s| !s.is_empty())
            .prop_flat_map(|s| {
                let r = s.len();
                (Just(s), 0..r)
            })
            .prop_flat_map(|(s, axis)| {
                let d = s[axis];
                (tensor_in(s, -2.0, 2.0), Just(axis), 0..d)
            })
            .prop_flat_map(|(x, axis, start)| {
                let d = x.shape()[axis];
                (Just(x), Just(axis), Just(start), 1..=d - start)
            })
    ) {
        let a = axis as isize - x.ndim() as isize; // negative form of the same axis
        let y = Tape::new().leaf(x.clone()).narrow(a, start, len).value();
        prop_assert_eq!(y, x.narrow(axis, start, len).unwrap());
        assert_gradients(move |x| { let n = x[0].narrow(a, start, len); n * n }, &[x], 2);
    }
}
