//! Tests of `src/ops/pool/adaptive_avg_pool.rs`.

use super::torch_values as torch;
use super::{assert_matches_torch, ramp};
use crate::support::assert_close;
use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, check_op, tensor_in, Shapes};
use tapegrad_core::ops::pool::AvgPool;
use tapegrad_core::{Tape, Tensor};

#[test]
fn adaptive_avg_pool_matches_literal() {
    // L = 5 into 3 bins: [0, 2), [1, 4), [3, 5)
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::from_vec(vec![1., 2., 3., 4., 5.], &[1, 5]));
    let y = x.adaptive_avg_pool1d(3);
    assert_eq!(y.value().as_slice(), &[1.5, 3., 4.5]);
    // x[1] is in bins 0 and 1: 1/2 + 1/3; x[3] in bins 1 and 2: 1/3 + 1/2
    let dx = y.sum().backward().wrt(x);
    assert_close(dx.as_slice(), &[0.5, 5. / 6., 1. / 3., 5. / 6., 0.5], 1e-15);
    // more bins than elements: each one repeated
    assert_eq!(
        x.adaptive_avg_pool1d(10).value().as_slice(),
        &[1., 1., 2., 2., 3., 3., 4., 4., 5., 5.]
    );
}

#[test]
fn adaptive_avg_pool_matches_torch() {
    assert_matches_torch(&torch::ADAPTIVE2D, ramp(&[2, 3, 7, 6]), |x| {
        x.adaptive_avg_pool2d([3, 4])
    });
    assert_matches_torch(&torch::ADAPTIVE2D_UP, ramp(&[1, 2, 3, 5]), |x| {
        x.adaptive_avg_pool2d([5, 2])
    });
    assert_matches_torch(&torch::ADAPTIVE1D, ramp(&[2, 3, 11]), |x| {
        x.adaptive_avg_pool1d(4)
    });
}

#[test]
fn global_avg_pool_is_adaptive_to_one() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(ramp(&[2, 3, 4, 5]));
    let g = x.global_avg_pool2d();
    assert_eq!(g.shape().as_slice(), &[2, 3, 1, 1]);
    assert!(g
        .value()
        .approx_eq(&x.adaptive_avg_pool2d(1).value(), 1e-14, 0.0));
    let e = tape
        .leaf(Tensor::zeros(&[3]))
        .try_global_avg_pool2d()
        .unwrap_err();
    assert!(e.message.contains("-2"), "{e}");
}

#[test]
fn adaptive_avg_pool_gradcheck_order2() {
    let x = Tensor::from_fn(&[1, 2, 5, 3], |i| (i as f64 * 0.71).cos());
    assert_gradients(
        |x| {
            let y = x[0].adaptive_avg_pool2d([3, 2]);
            y * y
        },
        std::slice::from_ref(&x),
        2,
    );
    assert_gradients(|x| x[0].global_avg_pool2d().exp(), &[x], 2);
}

#[test]
fn adaptive_avg_pool_passes_the_op_kit() {
    let shapes = (1usize..=2, 1usize..=4, 1usize..=4)
        .prop_map(|(c, h, w)| vec![vec![c, h, w]])
        .boxed();
    check_op(1, || AvgPool::adaptive2d([2, 3]))
        .shapes(Shapes::Custom(shapes))
        .rejects(&[&[4, 4]])
        .rejects(&[&[1, 0, 3]])
        .cases(12)
        .assert();
}

#[test]
fn adaptive_avg_pool_rejects_bad_input_with_callers_line() {
    let tape = Tape::<f32>::new();
    let x = tape.leaf(Tensor::zeros(&[2, 3, 4]));
    let here = line!() + 1;
    let e = x.try_adaptive_avg_pool2d([0, 2]).unwrap_err();
    assert_eq!(e.op, "adaptive_avg_pool2d");
    assert!(
        e.message.contains("output size [0, 2]") && e.message.contains("[2, 3, 4]"),
        "{e}"
    );
    assert_eq!((e.location.file(), e.location.line()), (file!(), here));
    let e = tape
        .leaf(Tensor::zeros(&[1, 2, 3, 4]))
        .try_adaptive_avg_pool1d(2)
        .unwrap_err();
    assert_eq!(e.op, "adaptive_avg_pool1d");
    assert!(e.message.contains("[C, L] or [N, C, L]"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn adaptive_avg_pool_matches_the_bins_and_finite_differences(
        (x, out) in ((1usize..=6, 1usize..=6), (1usize..=7, 1usize..=7))
            .prop_flat_map(|((h, w), out)| (tensor_in(vec![1, 2, h, w], -2.0, 2.0), Just(out)))
    ) {
        let (oh, ow) = out;
        let y = Tape::new().leaf(x.clone()).adaptive_avg_pool2d([oh, ow]).value();
        let (h, w) = (x.shape()[2], x.shape()[3]);
        for c in 0..2 {
            for i in 0..oh {
                for j in 0..ow {
                    let (h0, h1) = (i * h / oh, ((i + 1) * h).div_ceil(oh));
                    let (w0, w1) = (j * w / ow, ((j + 1) * w).div_ceil(ow));
                    let mut sum = 0.0;
                    for a in h0..h1 {
                        for b in w0..w1 {
                            sum += x.at(&[0, c, a, b]);
                        }
                    }
                    let want = sum / ((h1 - h0) * (w1 - w0)) as f64;
                    prop_assert!((y.at(&[0, c, i, j]) - want).abs() < 1e-12);
                }
            }
        }
        assert_gradients(move |x| { let y = x[0].adaptive_avg_pool2d([oh, ow]); y * y }, &[x], 2);
    }
}
