//! Tests of `src/ops/reduce/sum.rs`.

use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, shape, tensor_in};
use tapegrad_core::{Float, Tape, Tensor};

#[test]
fn sum_axes_matches_literal() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::from_vec(vec![1., 2., 3., 4., 5., 6.], &[2, 3]));
    assert_eq!(x.sum().item(), 21.0);
    assert_eq!(x.sum_axes(&[1], false).value().as_slice(), &[6.0, 15.0]);
    let k = x.sum_axes(&[-2], true);
    assert_eq!(k.shape().as_slice(), &[1, 3]);
    assert_eq!(k.value().as_slice(), &[5.0, 7.0, 9.0]);
    assert_eq!(x.mean().item(), 3.5);
    assert_eq!(
        x.mean_axes(&[0], false).value().as_slice(),
        &[2.5, 3.5, 4.5]
    );
    // d/dx Σ x = 1 everywhere
    assert_eq!(x.sum().backward().wrt(x).as_slice(), &[1.0; 6]);
    // d/dx mean = 1/n
    assert_eq!(x.mean().backward().wrt(x).as_slice(), &[1.0 / 6.0; 6]);
}

#[test]
fn sum_axes_rejects_bad_axis() {
    let tape = Tape::<f64>::new();
    let e = tape
        .leaf(Tensor::zeros(&[2, 3]))
        .try_sum_axes(&[2], false)
        .unwrap_err();
    assert_eq!(e.op, "sum");
    assert!(
        e.message.contains("axis 2") && e.message.contains("[2, 3]"),
        "{e}"
    );
    let e = tape
        .leaf(Tensor::zeros(&[2, 3]))
        .try_sum_axes(&[1, -1], false)
        .unwrap_err();
    assert!(e.message.contains("twice"), "{e}");
}

#[test]
fn sum_axes_gradcheck_order2() {
    let x = Tensor::from_vec(vec![0.1, -0.4, 0.9, 1.3, -2.0, 0.5], &[2, 3]);
    assert_gradients(
        |x| {
            let s = x[0].sum_axes(&[0], false);
            s * s
        },
        std::slice::from_ref(&x),
        2,
    );
    assert_gradients(
        |x| {
            let s = x[0].mean_axes(&[1], true);
            s * s * x[0]
        },
        &[x],
        2,
    );
}

/// Relative error allowed for a long sum: ~1e-6 in f32 (the target), as many
/// ε in f64. One running total misses by 1% (f32) and 1e-11 (f64) below.
fn tol<T: Float>() -> f64 {
    8.0 * T::EPSILON.to_f64()
}

fn assert_close<T: Float>(got: &[T], want: f64) {
    for &g in got {
        let err = (g.to_f64() - want).abs() / want.abs();
        assert!(err <= tol::<T>(), "{g} vs {want}: relative error {err:e}");
    }
}

fn long_sums_and_means_are_accurate<T: Float>() {
    let (n, tenth) = (1_000_000, T::from_f64(0.1));
    let want = n as f64 * tenth.to_f64();
    let tape = Tape::<T>::new();
    let x = tape.leaf(Tensor::full(&[n], tenth));
    assert_close(&[x.sum().item()], want);
    assert_close(&[x.mean().item()], want / n as f64);
    // inner and outer axes of n
    let x = tape.leaf(Tensor::full(&[2, n], tenth));
    assert_close(x.sum_axes(&[1], false).value().as_slice(), want);
    assert_close(x.mean_axes(&[-1], true).value().as_slice(), tenth.to_f64());
    let x = tape.leaf(Tensor::full(&[n, 3], tenth));
    assert_close(x.sum_axes(&[0], false).value().as_slice(), want);
    assert_close(x.mean_axes(&[0], false).value().as_slice(), tenth.to_f64());
}

#[test]
fn long_sums_and_means_are_accurate_f32() {
    long_sums_and_means_are_accurate::<f32>();
}

#[test]
fn long_sums_and_means_are_accurate_f64() {
    long_sums_and_means_are_accurate::<f64>();
}

fn bias_gradient_over_a_million_rows_is_accurate<T: Float>() {
    // y = Σ (x + b) ⊙ w with b: [3] broadcast over n rows: db = Σ over rows of w,
    // formed by the backward sweep's sum_to
    let (n, tenth) = (1_000_000, T::from_f64(0.1));
    let tape = Tape::<T>::new();
    let x = tape.constant(Tensor::zeros(&[n, 3]));
    let w = tape.constant(Tensor::full(&[n, 3], tenth));
    let b = tape.leaf(Tensor::zeros(&[3]));
    let db = ((x + b) * w).sum().backward().wrt(b);
    assert_close(db.as_slice(), n as f64 * tenth.to_f64());
}

#[test]
fn bias_gradient_over_a_million_rows_is_accurate_f32() {
    bias_gradient_over_a_million_rows_is_accurate::<f32>();
}

#[test]
fn bias_gradient_over_a_million_rows_is_accurate_f64() {
    bias_gradient_over_a_million_rows_is_accurate::<f64>();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn sum_gradients_match_finite_differences(
        (x, axis, keep) in shape(4)
            .prop_filter("rank ≥ 1", |s| !s.is_empty())
            .prop_flat_map(|s| { let r = s.len(); (tensor_in(s, -2.0, 2.0), 0..r, any::<bool>()) })
    ) {
        let a = axis as isize;
        assert_gradients(move |x| { let s = x[0].sum_axes(&[a], keep); s * s }, std::slice::from_ref(&x), 2);
        assert_gradients(|x| { let s = x[0].sum(); s * x[0] }, &[x], 2);
    }
}
