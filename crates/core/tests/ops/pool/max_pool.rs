//! Tests of `src/ops/pool/max_pool.rs`.

use super::torch_values::{self as torch, Case};
use super::{assert_matches_torch, pool_case, ramp, reference};
use crate::support::distinct_tensor;
use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, check_op, Shapes};
use tapegrad_core::ops::pool::{MaxPool, MaxPoolGather, MaxPoolScatter, Pool1d, Pool2d};
use tapegrad_core::{ErrorKind, Tape, Tensor};

#[test]
fn max_pool2d_matches_literal() {
    // x = [[1, 5, 2], [4, 3, 0], [7, 6, 8]], windows 2x2 with stride 1
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::from_vec(
        vec![1., 5., 2., 4., 3., 0., 7., 6., 8.],
        &[1, 3, 3],
    ));
    let y = x.max_pool2d(Pool2d::new(2).stride(1));
    assert_eq!(y.shape().as_slice(), &[1, 2, 2]);
    assert_eq!(y.value().as_slice(), &[5., 5., 7., 8.]);
    // 5 is the maximum of two windows: its gradient is the sum of both cotangents
    let dx = y.sum().backward().wrt(x);
    assert_eq!(dx.as_slice(), &[0., 2., 0., 0., 0., 0., 1., 0., 1.]);
}

#[test]
fn max_pool_matches_torch() {
    let cases: [(&Case, &[usize], Pool2d); 2] = [
        (
            &torch::MAX2D_PAD,
            &[2, 3, 7, 6],
            Pool2d::new(3).stride(2).padding(1),
        ),
        (
            &torch::MAX2D_DILATED_CEIL,
            &[1, 2, 9, 8],
            Pool2d::new([3, 2])
                .stride([2, 1])
                .padding(1)
                .dilation([2, 3])
                .ceil_mode(true),
        ),
    ];
    for (case, shape, p) in cases {
        assert_matches_torch(case, ramp(shape), |x| x.max_pool2d(p));
    }
    let p = Pool2d::new([2, 3]).stride([1, 2]);
    assert_matches_torch(&torch::MAX2D_UNBATCHED, ramp(&[3, 5, 6]), |x| {
        x.max_pool2d(p)
    });
    let p = Pool1d::new(4)
        .stride(3)
        .padding(2)
        .dilation(2)
        .ceil_mode(true);
    assert_matches_torch(&torch::MAX1D, ramp(&[2, 3, 11]), |x| x.max_pool1d(p));
}

#[test]
fn max_pool_ties_send_the_gradient_to_the_first_in_scan_order() {
    // all four equal: only the top-left one gets the cotangent
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::full(&[1, 1, 2, 2], 3.0));
    let y = x.max_pool2d(Pool2d::new(2));
    assert_eq!(y.value().as_slice(), &[3.0]);
    assert_eq!(y.sum().backward().wrt(x).as_slice(), &[1., 0., 0., 0.]);
    // a tie within a row and between rows: [[0, 2, 2], [2, 1, 0]] pooled 2x3 → first 2
    let x = tape.leaf(Tensor::from_vec(
        vec![0., 2., 2., 2., 1., 0.],
        &[1, 1, 2, 3],
    ));
    let dx = x.max_pool2d(Pool2d::new([2, 3])).sum().backward().wrt(x);
    assert_eq!(dx.as_slice(), &[0., 1., 0., 0., 0., 0.]);
    // 1-d, and the kink flag the gradient checker reads
    let x = tape.leaf(Tensor::from_vec(vec![1., 4., 4.], &[1, 1, 3]));
    let y = x.max_pool1d(Pool1d::new(3));
    assert_eq!(y.sum().backward().wrt(x).as_slice(), &[0., 1., 0.]);
    assert!(tape.node(y.id()).unwrap().is_at_kink());
    // PyTorch on a periodic input full of ties, gradients included
    let x = Tensor::from_fn(&[1, 1, 4, 5], |i| (i % 3) as f64);
    let p = Pool2d::new(2).stride(1);
    assert_matches_torch(&torch::MAX2D_TIES, x, |x| x.max_pool2d(p));
}

#[test]
fn max_pool_propagates_nan_and_infinities() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::from_vec(
        vec![1., f64::NAN, 2., f64::NEG_INFINITY, f64::NEG_INFINITY, 3.],
        &[1, 1, 6],
    ));
    let y = x.max_pool1d(Pool1d::new(3));
    assert!(y.value().as_slice()[0].is_nan());
    assert_eq!(y.value().as_slice()[1], 3.0);
    assert_eq!(
        y.sum().backward().wrt(x).as_slice(),
        &[0., 1., 0., 0., 0., 1.]
    );
    // two NaNs: PyTorch's scan lets each NaN replace the best, so the last one gets it
    let nan = f64::NAN;
    let x = tape.leaf(Tensor::from_vec(vec![1., nan, 5., nan, 2.], &[1, 5]));
    let y = x.max_pool1d(Pool1d::new(5));
    assert!(y.value().item().is_nan());
    assert_eq!(y.sum().backward().wrt(x).as_slice(), &[0., 0., 0., 1., 0.]);
    // a window of -inf only: the value is -inf and the first element gets the gradient
    let x = tape.leaf(Tensor::from_vec(vec![f64::NEG_INFINITY; 2], &[1, 1, 2]));
    let y = x.max_pool1d(Pool1d::new(2));
    assert_eq!(y.value().item(), f64::NEG_INFINITY);
    assert_eq!(y.sum().backward().wrt(x).as_slice(), &[1., 0.]);
}

#[test]
fn max_pool_gradcheck_order2() {
    // no ties: a shuffled ramp; y² makes the second derivative nonzero
    let x = Tensor::from_fn(&[1, 2, 5, 4], |i| ((i * 7) % 40) as f64 * 0.1 - 2.0);
    assert_gradients(
        |x| {
            let y = x[0].max_pool2d(Pool2d::new(3).stride(2).padding(1));
            y * y
        },
        std::slice::from_ref(&x),
        2,
    );
    let x = Tensor::from_fn(&[2, 7], |i| ((i * 5) % 14) as f64 * 0.3 - 2.0);
    assert_gradients(
        |x| {
            x[0].max_pool1d(Pool1d::new(2).dilation(3).ceil_mode(true))
                .exp()
        },
        &[x],
        2,
    );
}

#[test]
fn max_pool_scatter_and_gather_are_adjoint_and_close_the_vjp() {
    // ⟨scatter(v), w⟩ = ⟨v, gather(w)⟩ at the argmax positions of x, overlapping windows
    let tape = Tape::<f64>::new();
    let p = Pool2d::new(3).stride(1).padding(1);
    let x = tape.leaf(Tensor::from_fn(&[2, 1, 4, 5], |i| ((i * 7) % 40) as f64));
    let y = x.max_pool2d(p);
    let v = tape.leaf(Tensor::from_fn(&y.shape(), |i| (i as f64 * 0.3).sin()));
    let w = tape.leaf(Tensor::from_fn(&x.shape(), |i| (i as f64 * 0.7).cos()));
    let scattered = tape.apply(MaxPoolScatter::new2d(p), &[v, x, y]);
    let gathered = tape.apply(MaxPoolGather::new2d(p), &[w, x, y]);
    let lhs = (scattered * w).sum().item();
    let rhs = (v * gathered).sum().item();
    assert!((lhs - rhs).abs() < 1e-12, "{lhs} vs {rhs}");
    // the scatter is max pooling's VJP: d(Σ y·v)/dx
    assert_eq!(scattered.value(), (y * v.detach()).sum().backward().wrt(x));
    // third order runs the gather's own VJP, the scatter again
    let x = Tensor::from_fn(&[1, 2, 4, 4], |i| ((i * 5) % 32) as f64 * 0.1 - 1.5);
    assert_gradients(|x| x[0].max_pool2d(p).powi(3), &[x], 3);
    // shapes that do not fit are refused with the op's name
    let e = tape
        .try_apply(MaxPoolScatter::new2d(p), &[w, x_of(&tape), y])
        .unwrap_err();
    assert_eq!(e.op, "max_pool_scatter");
}

/// A leaf of another shape than the pooled input above.
fn x_of(tape: &Tape<f64>) -> tapegrad_core::Var<'_, f64> {
    tape.leaf(Tensor::zeros(&[2, 1, 4, 4]))
}

#[test]
fn max_pool_passes_the_op_kit() {
    let shapes = (1usize..=2, 1usize..=2, 2usize..=5, 2usize..=5)
        .prop_map(|(n, c, h, w)| vec![vec![n, c, h, w]])
        .boxed();
    let summary = check_op(1, || MaxPool::new2d(Pool2d::new(2).stride(1).padding(1)))
        .shapes(Shapes::Custom(shapes))
        .rejects(&[&[2, 3]])
        .rejects(&[&[1, 1, 1, 1, 4]])
        .cases(12)
        .assert();
    assert_eq!(summary.rejected, 2);
    let shapes = (1usize..=3, 5usize..=8)
        .prop_map(|(c, l)| vec![vec![c, l]])
        .boxed();
    check_op(1, || MaxPool::new1d(Pool1d::new(3).stride(2).dilation(2)))
        .shapes(Shapes::Custom(shapes))
        .rejects(&[&[1, 1, 4]])
        .cases(12)
        .assert();
}

#[test]
fn max_pool_rejects_bad_parameters_with_callers_line() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::zeros(&[1, 2, 4, 4]));
    let cases: [(Pool2d, &str); 5] = [
        (Pool2d::new(5), "output size [0, 0] is too small"),
        (Pool2d::new(2).stride([1, 0]), "stride must be positive"),
        (Pool2d::new(3).dilation([0, 1]), "dilation must be positive"),
        (Pool2d::new(0), "kernel size must be positive"),
        (
            Pool2d::new(3).padding([2, 1]),
            "padding must be at most half",
        ),
    ];
    for (p, why) in cases {
        let here = line!() + 1;
        let e = x.try_max_pool2d(p).unwrap_err();
        assert_eq!(e.op, "max_pool2d");
        assert!(e.message.contains(why), "{e}");
        assert!(e.message.contains("[1, 2, 4, 4]"), "{e}");
        assert!(e.message.contains(&format!("kernel {:?}", p.kernel)), "{e}");
        assert_eq!((e.location.file(), e.location.line()), (file!(), here));
    }
    // dilation 3 of a 3-wide kernel spans 7 > 4 + 2·1
    let e = x
        .try_max_pool2d(Pool2d::new(3).padding(1).dilation(3))
        .unwrap_err();
    assert!(
        e.message.contains("too small") && e.message.contains("dilation [3, 3]"),
        "{e}"
    );
    assert!(matches!(e.kind(), ErrorKind::ShapeMismatch { .. }));
    // taps -1 and 2 of an input of length 2: PyTorch gives -inf and no gradient; refused
    let short = tape.leaf(Tensor::from_vec(vec![1., 2.], &[1, 1, 2]));
    let e = short
        .try_max_pool1d(Pool1d::new(2).padding(1).dilation(3))
        .unwrap_err();
    assert!(e.message.contains("window 0 holds only padding"), "{e}");
    let e = x.try_max_pool1d(Pool1d::new(2)).unwrap_err();
    assert_eq!(e.op, "max_pool1d");
    assert!(
        e.message.contains("[N, C, L]") && e.message.contains("[1, 2, 4, 4]"),
        "{e}"
    );
    let e = tape
        .leaf(Tensor::zeros(&[3, 0]))
        .try_max_pool1d(Pool1d::new(1))
        .unwrap_err();
    assert!(e.message.contains("empty spatial axis"), "{e}");
    let caught = std::panic::catch_unwind(|| {
        let tape = Tape::<f32>::new();
        tape.leaf(Tensor::zeros(&[1, 1, 3]))
            .max_pool1d(Pool1d::new(4));
    });
    let msg = *caught.unwrap_err().downcast::<String>().unwrap();
    assert!(
        msg.starts_with("max_pool1d: ") && msg.contains(file!()),
        "{msg}"
    );
}

#[test]
fn max_pool_of_an_empty_batch_is_empty() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::zeros(&[0, 3, 4, 4]));
    let y = x.max_pool2d(Pool2d::new(2));
    assert_eq!(y.shape().as_slice(), &[0, 3, 2, 2]);
    assert_eq!(y.sum().backward().wrt(x).shape(), &[0, 3, 4, 4]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn max_pool_matches_the_definition_and_finite_differences(
        (x, p) in pool_case(true).prop_flat_map(|(s, p)| (distinct_tensor(s), Just(p)))
    ) {
        let tape = Tape::new();
        let got = tape.leaf(x.clone()).try_max_pool2d(p);
        match (reference(&x, &p, true), got) {
            (Some(want), Ok(y)) => {
                prop_assert_eq!(y.value(), want);
                assert_gradients(move |x| { let y = x[0].max_pool2d(p); y * y }, &[x], 2);
            }
            (None, Err(e)) => prop_assert!(e.message.contains("only padding"), "{}", e),
            (want, got) => prop_assert!(false, "reference {:?}, op {:?}", want, got.map(|y| y.value())),
        }
    }
}
