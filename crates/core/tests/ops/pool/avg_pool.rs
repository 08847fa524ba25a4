//! Tests of `src/ops/pool/avg_pool.rs`.

use super::torch_values as torch;
use super::{assert_matches_torch, pool_case, ramp, reference};
use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, check_op, tensor_in, Shapes};
use tapegrad_core::ops::pool::{AvgPool, Pool1d, Pool2d};
use tapegrad_core::{Tape, Tensor};

#[test]
fn avg_pool2d_matches_literal() {
    // x = [[1, 2, 3], [4, 5, 6]], 2x2 windows, stride 1, padding [0, 1]:
    // [pad 1 | pad 4] = 5/4, [1 2 4 5] = 3, [2 3 5 6] = 4, [3 pad 6 pad] = 9/4
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::from_vec(
        vec![1., 2., 3., 4., 5., 6.],
        &[1, 1, 2, 3],
    ));
    let p = Pool2d::new(2).stride(1).padding([0, 1]);
    let y = x.avg_pool2d(p);
    assert_eq!(y.value().as_slice(), &[1.25, 3., 4., 2.25]);
    // every element is in two windows of weight 1/4
    assert_eq!(y.sum().backward().wrt(x).as_slice(), &[0.5; 6]);
    // padding left out of the divisor: [1 4] / 2, …, [3 6] / 2
    let y = x.avg_pool2d(p.count_include_pad(false));
    assert_eq!(y.value().as_slice(), &[2.5, 3., 4., 4.5]);
}

#[test]
fn avg_pool_matches_torch() {
    let p = Pool2d::new(3).stride(2).padding(1).ceil_mode(true);
    assert_matches_torch(&torch::AVG2D_PAD_CEIL, ramp(&[2, 3, 7, 6]), |x| {
        x.avg_pool2d(p)
    });
    let p = Pool2d::new([3, 2])
        .stride([2, 3])
        .padding(1)
        .ceil_mode(true)
        .count_include_pad(false);
    assert_matches_torch(&torch::AVG2D_EXCLUDE_PAD, ramp(&[2, 3, 7, 6]), |x| {
        x.avg_pool2d(p)
    });
    let p = Pool1d::new(4).stride(3).padding(2).ceil_mode(true);
    assert_matches_torch(&torch::AVG1D, ramp(&[2, 3, 11]), |x| x.avg_pool1d(p));
}

#[test]
fn avg_pool_gradcheck_order2() {
    let x = Tensor::from_fn(&[2, 1, 5, 4], |i| (i as f64 * 0.37).sin());
    let p = Pool2d::new([3, 2])
        .stride([2, 1])
        .padding(1)
        .ceil_mode(true);
    assert_gradients(
        |x| {
            let y = x[0].avg_pool2d(p);
            y * y
        },
        std::slice::from_ref(&x),
        2,
    );
    // the transpose's own VJP is the pool again: a third order through both
    assert_gradients(|x| x[0].avg_pool2d(p).powi(3), &[x], 3);
}

#[test]
fn avg_pool_passes_the_op_kit() {
    let shapes = (1usize..=2, 1usize..=2, 3usize..=5, 3usize..=5)
        .prop_map(|(n, c, h, w)| vec![vec![n, c, h, w]])
        .boxed();
    let p = Pool2d::new(3).stride(2).padding(1).count_include_pad(false);
    check_op(1, move || AvgPool::new2d(p))
        .shapes(Shapes::Custom(shapes))
        .rejects(&[&[5]])
        .rejects(&[&[1, 1, 1, 1, 1]])
        .cases(12)
        .assert();
    let shapes = (1usize..=3, 2usize..=6)
        .prop_map(|(c, l)| vec![vec![c, l]])
        .boxed();
    check_op(1, || AvgPool::new1d(Pool1d::new(2).ceil_mode(true)))
        .shapes(Shapes::Custom(shapes))
        .rejects(&[&[4]])
        .cases(12)
        .assert();
}

#[test]
fn avg_pool_rejects_bad_parameters_with_callers_line() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::zeros(&[2, 3, 3]));
    let cases: [(Pool2d, &str); 4] = [
        (Pool2d::new([2, 4]), "output size [1, 0] is too small"),
        (Pool2d::new(2).stride(0), "stride must be positive"),
        (
            Pool2d::new(2).dilation(2),
            "average pooling has no dilation",
        ),
        (Pool2d::new(2).padding(2), "padding must be at most half"),
    ];
    for (p, why) in cases {
        let here = line!() + 1;
        let e = x.try_avg_pool2d(p).unwrap_err();
        assert_eq!(e.op, "avg_pool2d");
        assert!(
            e.message.contains(why) && e.message.contains("[2, 3, 3]"),
            "{e}"
        );
        assert_eq!((e.location.file(), e.location.line()), (file!(), here));
    }
    let e = x.try_avg_pool1d(Pool1d::new(4)).unwrap_err();
    assert_eq!(e.op, "avg_pool1d");
    assert!(
        e.message.contains("output size [0]") && e.message.contains("kernel [4]"),
        "{e}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn avg_pool_matches_the_definition_and_finite_differences(
        ((x, p), include) in pool_case(false)
            .prop_flat_map(|(s, p)| (tensor_in(s, -2.0, 2.0), Just(p)))
            .prop_flat_map(|c| (Just(c), any::<bool>()))
    ) {
        let p = p.count_include_pad(include);
        let want = reference(&x, &p, false).expect("accepted parameters");
        let y = Tape::new().leaf(x.clone()).avg_pool2d(p).value();
        prop_assert!(y.approx_eq(&want, 1e-12, 1e-12), "{:?} vs {:?}", y, want);
        assert_gradients(move |x| { let y = x[0].avg_pool2d(p); y * y }, &[x], 2);
    }
}
