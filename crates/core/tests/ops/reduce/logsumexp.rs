//! Tests of `src/ops/reduce/logsumexp.rs`.

use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, shape, tensor_in};
use tapegrad_core::{Float, Tape, Tensor};

#[test]
fn logsumexp_matches_literal() {
    let tape = Tape::<f64>::new();
    // rows [0, ln 3] and [ln 2, ln 2]: ln(1 + 3) = ln 4 and ln(2 + 2) = ln 4
    let (l2, l3) = (2f64.ln(), 3f64.ln());
    let x = tape.leaf(Tensor::from_vec(vec![0.0, l3, l2, l2], &[2, 2]));
    let y = x.logsumexp_axes(&[1], false);
    assert!(y
        .value()
        .approx_eq(&Tensor::vector(vec![4f64.ln(); 2]), 1e-15, 0.0));
    // dx = softmax of each row: [1/4, 3/4] and [1/2, 1/2]
    let g = y.sum().backward().wrt(x);
    let want = Tensor::from_vec(vec![0.25, 0.75, 0.5, 0.5], &[2, 2]);
    assert!(g.approx_eq(&want, 1e-15, 0.0), "{g:?}");
    let k = x.logsumexp_axes(&[0], true);
    assert_eq!(k.shape().as_slice(), &[1, 2]);
    // over everything: ln(1 + 3 + 2 + 2) = ln 8
    assert!((x.logsumexp().item() - 8f64.ln()).abs() < 1e-15);
}

#[test]
fn logsumexp_is_exact_at_plus_minus_1000() {
    let tape = Tape::<f64>::new();
    // ln(e¹⁰⁰⁰ + e⁻¹⁰⁰⁰) = 1000 + ln(1 + e⁻²⁰⁰⁰) = 1000 exactly in f64
    let x = tape.leaf(Tensor::vector(vec![1000.0, -1000.0]));
    let y = x.logsumexp();
    assert_eq!(y.item(), 1000.0);
    assert_eq!(y.backward().wrt(x).as_slice(), &[1.0, 0.0]);
    // ln(2·e⁻¹⁰⁰⁰) = ln 2 - 1000: the naive form gives ln 0 = -inf
    let x = tape.leaf(Tensor::vector(vec![-1000.0, -1000.0]));
    let y = x.logsumexp();
    assert_eq!(y.item(), 2f64.ln() - 1000.0);
    let g = y.backward().wrt(x);
    assert!(
        g.approx_eq(&Tensor::vector(vec![0.5, 0.5]), 1e-12, 0.0),
        "{g:?}"
    );
    // and in f32, where e⁸⁹ already overflows
    let tape = Tape::<f32>::new();
    let x = tape.leaf(Tensor::vector(vec![1000.0f32, -1000.0, 1000.0]));
    let y = x.logsumexp();
    assert_eq!(y.item(), 1000.0 + 2f32.ln());
    let g = y.backward().wrt(x);
    assert!(
        g.approx_eq(&Tensor::vector(vec![0.5, 0.0, 0.5]), 1e-4, 0.0),
        "{g:?}"
    );
}

#[test]
fn logsumexp_of_infinities() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![f64::NEG_INFINITY, f64::NEG_INFINITY]));
    assert_eq!(x.logsumexp().item(), f64::NEG_INFINITY);
    let x = tape.leaf(Tensor::vector(vec![f64::INFINITY, 0.0]));
    assert_eq!(x.logsumexp().item(), f64::INFINITY);
    // -inf entries next to finite ones simply contribute e⁻ⁱⁿᶠ = 0
    let x = tape.leaf(Tensor::vector(vec![f64::NEG_INFINITY, 0.0]));
    let y = x.logsumexp();
    assert_eq!(y.item(), 0.0);
    assert_eq!(y.backward().wrt(x).as_slice(), &[0.0, 1.0]);
}

#[test]
fn logsumexp_axes_rejects_bad_axis() {
    let tape = Tape::<f64>::new();
    let e = tape
        .leaf(Tensor::zeros(&[2, 3]))
        .try_logsumexp_axes(&[2], false)
        .unwrap_err();
    assert_eq!(e.op, "logsumexp");
    assert!(
        e.message.contains("axis 2") && e.message.contains("[2, 3]"),
        "{e}"
    );
    assert!(e.location.file().ends_with("logsumexp.rs"), "{e}");
}

#[test]
fn logsumexp_gradcheck_order2() {
    let x = Tensor::from_vec(vec![0.1, -0.4, 0.9, 1.3, -2.0, 0.5], &[2, 3]);
    assert_gradients(
        |x| x[0].logsumexp_axes(&[1], true) * x[0],
        std::slice::from_ref(&x),
        2,
    );
    assert_gradients(|x| x[0].logsumexp(), &[x], 2);
}

/// `n` values alternating 0 and ln 0.1 (in `T`), and `ln Σ eˣ` of them in f64 from the
/// exponentials as `T` rounds them: `ln(n/2 · (1 + e^(ln 0.1)))`.
fn tenths<T: Float>(n: usize) -> (Tensor<T>, f64) {
    let l = T::from_f64(0.1).ln();
    let x = Tensor::from_fn(&[n], |i| if i % 2 == 0 { T::ZERO } else { l });
    (x, (n as f64 / 2.0 * (1.0 + l.exp().to_f64())).ln())
}

fn logsumexp_of_a_long_vector_is_accurate<T: Float>() {
    let (x, want) = tenths::<T>(1_000_000);
    let tape = Tape::<T>::new();
    let x = tape.leaf(x);
    // the error of ln Σ is the relative error of Σ: n·ε for one running total
    let tol = 8.0 * T::EPSILON.to_f64() * want;
    let y = x.logsumexp().item().to_f64();
    assert!((y - want).abs() <= tol, "{y} vs {want}");
    let y = x.reshape(&[1, 1_000_000]).logsumexp_axes(&[1], false);
    assert!((y.item().to_f64() - want).abs() <= tol, "{y:?} vs {want}");
}

#[test]
fn logsumexp_of_a_long_vector_is_accurate_f32() {
    logsumexp_of_a_long_vector_is_accurate::<f32>();
}

#[test]
fn logsumexp_of_a_long_vector_is_accurate_f64() {
    logsumexp_of_a_long_vector_is_accurate::<f64>();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn logsumexp_gradients_match_finite_differences(
        (x, axis, keep) in shape(4)
            .prop_filter("rank ≥ 1", |s| !s.is_empty())
            .prop_flat_map(|s| { let r = s.len(); (tensor_in(s, -2.0, 2.0), 0..r, any::<bool>()) })
    ) {
        let a = axis as isize;
        assert_gradients(move |x| { let l = x[0].logsumexp_axes(&[a], keep); l * l }, std::slice::from_ref(&x), 2);
        assert_gradients(|x| x[0].logsumexp() * x[0], &[x], 2);
    }
}
