//! Tests of `src/ops/reduce/min.rs`.

use crate::support::distinct_tensor;
use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, shape};
use tapegrad_core::ops::reduce::MinAxes;
use tapegrad_core::{Op, Tape, Tensor};

#[test]
fn min_axes_matches_literal() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::from_vec(vec![1., 5., 3., 4., 2., 6.], &[2, 3]));
    assert_eq!(x.min().item(), 1.0);
    assert_eq!(x.min_axes(&[1], false).value().as_slice(), &[1.0, 2.0]);
    let k = x.min_axes(&[0], true);
    assert_eq!(k.shape().as_slice(), &[1, 3]);
    assert_eq!(k.value().as_slice(), &[1.0, 2.0, 3.0]);
    // d/dx min = 1 at the minimum, 0 elsewhere
    assert_eq!(
        x.min_axes(&[-1], false).sum().backward().wrt(x).as_slice(),
        &[1., 0., 0., 0., 1., 0.]
    );
}

#[test]
fn min_ties_split_the_gradient_evenly() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![-1.0, 4.0, -1.0]));
    assert_eq!(x.min().backward().wrt(x).as_slice(), &[0.5, 0.0, 0.5]);
    let dx = tape.grad(x.min(), &[x])[0];
    assert_eq!(dx.value().as_slice(), &[0.5, 0.0, 0.5]);
}

#[test]
fn min_reports_ties_as_kinks() {
    let all = MinAxes {
        axes: None,
        keepdim: true,
    };
    let tied = Tensor::<f64>::vector(vec![0.0, 2.0, 0.0]);
    let tied_above = Tensor::<f64>::vector(vec![2.0, 0.0, 2.0]);
    assert!(Op::<f64>::is_at_kink(&all, &[&tied]));
    assert!(!Op::<f64>::is_at_kink(&all, &[&tied_above]));
}

#[test]
fn min_propagates_nan() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![1.0, f64::NAN]));
    assert!(x.min().item().is_nan());
    assert!(x.min().backward().wrt(x).as_slice()[0].is_nan());
}

#[test]
fn min_axes_rejects_bad_axis() {
    let tape = Tape::<f64>::new();
    let e = tape
        .leaf(Tensor::zeros(&[2, 3]))
        .try_min_axes(&[-3], false)
        .unwrap_err();
    assert_eq!(e.op, "min");
    assert!(
        e.message.contains("axis -3") && e.message.contains("[2, 3]"),
        "{e}"
    );
    let e = tape
        .leaf(Tensor::zeros(&[0]))
        .try_min_axes(&[0], true)
        .unwrap_err();
    assert!(e.message.contains("empty axis"), "{e}");
}

#[test]
fn min_axes_gradcheck_order2() {
    let x = Tensor::from_vec(vec![0.1, -0.4, 0.9, 1.3, -2.0, 0.5], &[3, 2]);
    assert_gradients(
        |x| {
            let m = x[0].min_axes(&[0], false);
            m * m * x[0]
        },
        std::slice::from_ref(&x),
        2,
    );
    assert_gradients(|x| x[0].min() * x[0], &[x], 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn min_gradients_match_finite_differences(
        (x, axis, keep) in shape(4)
            .prop_filter("rank ≥ 1", |s| !s.is_empty())
            .prop_flat_map(|s| { let r = s.len(); (distinct_tensor(s), 0..r, any::<bool>()) })
    ) {
        let a = axis as isize - x.ndim() as isize; // negative axes too
        assert_gradients(move |x| { let m = x[0].min_axes(&[a], keep); m * m }, std::slice::from_ref(&x), 2);
        assert_gradients(|x| x[0].min() * x[0], &[x], 2);
    }
}
