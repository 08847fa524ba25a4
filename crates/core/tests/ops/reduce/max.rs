//! Tests of `src/ops/reduce/max.rs`.

use crate::support::distinct_tensor;
use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, shape};
use tapegrad_core::ops::reduce::MaxAxes;
use tapegrad_core::{Op, Tape, Tensor};

#[test]
fn max_axes_matches_literal() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::from_vec(vec![1., 5., 3., 4., 2., 6.], &[2, 3]));
    assert_eq!(x.max().item(), 6.0);
    assert_eq!(x.max_axes(&[1], false).value().as_slice(), &[5.0, 6.0]);
    let k = x.max_axes(&[-2], true);
    assert_eq!(k.shape().as_slice(), &[1, 3]);
    assert_eq!(k.value().as_slice(), &[4.0, 5.0, 6.0]);
    // d/dx max = 1 at the maximum, 0 elsewhere
    assert_eq!(
        x.max_axes(&[1], false).sum().backward().wrt(x).as_slice(),
        &[0., 1., 0., 0., 0., 1.]
    );
    assert_eq!(
        x.max().backward().wrt(x).as_slice(),
        &[0., 0., 0., 0., 0., 1.]
    );
}

#[test]
fn max_ties_split_the_gradient_evenly() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![3.0, 1.0, 3.0, 3.0]));
    let g = x.max().backward().wrt(x);
    assert_eq!(g.as_slice(), &[1. / 3., 0., 1. / 3., 1. / 3.]);
    let x = tape.leaf(Tensor::from_vec(vec![2.0, 2.0, 1.0, 0.0], &[2, 2]));
    let y = x.max_axes(&[1], true);
    let g = (y * y).sum().backward().wrt(x); // 2y split over the ties
    assert_eq!(g.as_slice(), &[2.0, 2.0, 2.0, 0.0]);
    // recorded sweep agrees
    let dx = tape.grad((y * y).sum(), &[x])[0];
    assert_eq!(dx.value().as_slice(), &[2.0, 2.0, 2.0, 0.0]);
}

#[test]
fn max_reports_ties_as_kinks() {
    let all = MaxAxes {
        axes: None,
        keepdim: false,
    };
    let rows = MaxAxes {
        axes: Some(smallvec::smallvec![1]),
        keepdim: false,
    };
    let x = Tensor::<f64>::from_vec(vec![2.0, 2.0, 1.0, 3.0], &[2, 2]);
    assert!(Op::<f64>::is_at_kink(&rows, &[&x]));
    assert!(!Op::<f64>::is_at_kink(&all, &[&x])); // the overall maximum 3 is unique
    let x = Tensor::<f64>::from_vec(vec![2.0, 1.0, 1.0, 3.0], &[2, 2]);
    assert!(!Op::<f64>::is_at_kink(&rows, &[&x])); // a tie below the maximum
}

#[test]
fn max_propagates_nan() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::from_vec(vec![1.0, f64::NAN, 2.0, 0.0], &[2, 2]));
    let y = x.max_axes(&[1], false);
    assert!(y.value().as_slice()[0].is_nan());
    assert_eq!(y.value().as_slice()[1], 2.0);
    let g = y.sum().backward().wrt(x);
    assert!(g.as_slice()[..2].iter().all(|v| v.is_nan()), "{g:?}");
    assert_eq!(&g.as_slice()[2..], &[1.0, 0.0]);
}

#[test]
fn max_axes_rejects_bad_axis() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::zeros(&[2, 3]));
    let e = x.try_max_axes(&[2], false).unwrap_err();
    assert_eq!(e.op, "max");
    assert!(
        e.message.contains("axis 2") && e.message.contains("[2, 3]"),
        "{e}"
    );
    assert!(e.location.file().ends_with("max.rs"), "{e}");
    let e = tape
        .leaf(Tensor::zeros(&[2, 0]))
        .try_max_axes(&[1], false)
        .unwrap_err();
    assert!(
        e.message.contains("empty axis") && e.message.contains("[2, 0]"),
        "{e}"
    );
    // reducing a non-empty axis of an empty tensor is fine: nothing to reduce
    let y = tape.leaf(Tensor::zeros(&[0, 2])).max_axes(&[1], false);
    assert_eq!(y.shape().as_slice(), &[0]);
}

#[test]
fn max_axes_gradcheck_order2() {
    let x = Tensor::from_vec(vec![0.1, -0.4, 0.9, 1.3, -2.0, 0.5], &[2, 3]);
    assert_gradients(
        |x| {
            let m = x[0].max_axes(&[1], true);
            m * m * x[0]
        },
        std::slice::from_ref(&x),
        2,
    );
    assert_gradients(|x| x[0].max() * x[0], &[x], 2);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn max_gradients_match_finite_differences(
        (x, axis, keep) in shape(4)
            .prop_filter("rank ≥ 1", |s| !s.is_empty())
            .prop_flat_map(|s| { let r = s.len(); (distinct_tensor(s), 0..r, any::<bool>()) })
    ) {
        let a = axis as isize;
        assert_gradients(move |x| { let m = x[0].max_axes(&[a], keep); m * m }, std::slice::from_ref(&x), 2);
        assert_gradients(|x| x[0].max() * x[0], &[x], 2);
    }
}
