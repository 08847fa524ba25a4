//! Tests of `src/ops/reduce/softmax.rs`.

use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, shape, tensor_in};
use tapegrad_core::{Float, Tape, Tensor};

#[test]
fn softmax_matches_literal() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![0.0, 3f64.ln()]));
    let s = x.softmax(0);
    // e⁰ / (1 + 3), 3 / (1 + 3)
    assert!(s
        .value()
        .approx_eq(&Tensor::vector(vec![0.25, 0.75]), 1e-15, 0.0));
    let l = x.log_softmax(-1);
    let want = Tensor::vector(vec![-4f64.ln(), 0.75f64.ln()]);
    assert!(l.value().approx_eq(&want, 1e-15, 0.0));
    // d/dx s₀ = s₀(e₀ - s) = [s₀ - s₀², -s₀s₁] = [3/16, -3/16]
    let g = s.backward_with(Tensor::vector(vec![1.0, 0.0])).wrt(x);
    assert!(
        g.approx_eq(&Tensor::vector(vec![0.1875, -0.1875]), 1e-15, 0.0),
        "{g:?}"
    );
    // d/dx log_softmax₀ = e₀ - s = [3/4, -3/4]
    let g = l.backward_with(Tensor::vector(vec![1.0, 0.0])).wrt(x);
    assert!(
        g.approx_eq(&Tensor::vector(vec![0.75, -0.75]), 1e-15, 0.0),
        "{g:?}"
    );
}

#[test]
fn softmax_slices_sum_to_one() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::rand_normal(&[3, 4, 2], 0.0, 3.0, 7));
    for axis in [0, 1, 2, -1] {
        let s = x.softmax(axis);
        assert_eq!(s.shape(), x.shape());
        let sums = s.sum_axes(&[axis], false).value();
        assert!(
            sums.as_slice().iter().all(|&v| (v - 1.0).abs() < 1e-14),
            "{sums:?}"
        );
        assert!(s.value().as_slice().iter().all(|&v| v > 0.0));
    }
}

#[test]
fn softmax_and_log_softmax_are_exact_at_plus_minus_1000() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::from_vec(
        vec![1000.0, -1000.0, -1000.0, 1000.0],
        &[2, 2],
    ));
    let s = x.softmax(1);
    assert_eq!(s.value().as_slice(), &[1.0, 0.0, 0.0, 1.0]);
    let l = x.log_softmax(1);
    assert_eq!(l.value().as_slice(), &[0.0, -2000.0, -2000.0, 0.0]);
    // d/dx Σ w ⊙ log_softmax = w - s · Σ w, with w = [0, 1] per row: [-1, 1], [0, 0]
    let w = Tensor::from_vec(vec![0.0, 1.0, 0.0, 1.0], &[2, 2]);
    let g = l.backward_with(w.clone()).wrt(x);
    assert_eq!(g.as_slice(), &[-1.0, 1.0, 0.0, 0.0]);
    // softmax saturated at 1 and 0 has zero gradient, exactly
    assert_eq!(s.backward_with(w).wrt(x).as_slice(), &[0.0; 4]);
    // a two-way tie at +1000: s = [½, ½, 0], d/dx s₀ = s₀(e₀ - s) = [¼, -¼, 0]
    let x = tape.leaf(Tensor::vector(vec![1000.0, 1000.0, -1000.0]));
    let s = x.softmax(0);
    assert!(s
        .value()
        .approx_eq(&Tensor::vector(vec![0.5, 0.5, 0.0]), 1e-12, 0.0));
    let g = s.backward_with(Tensor::vector(vec![1.0, 0.0, 0.0])).wrt(x);
    assert!(
        g.approx_eq(&Tensor::vector(vec![0.25, -0.25, 0.0]), 1e-12, 0.0),
        "{g:?}"
    );
    assert!(g.as_slice().iter().all(|v| v.is_finite()));
}

#[test]
fn softmax_rejects_bad_axis() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::zeros(&[2, 3]));
    let e = x.try_softmax(2).unwrap_err();
    assert_eq!(e.op, "softmax");
    assert!(
        e.message.contains("axis 2") && e.message.contains("[2, 3]"),
        "{e}"
    );
    assert!(e.location.file().ends_with("softmax.rs"), "{e}");
    let e = x.try_log_softmax(-3).unwrap_err();
    assert_eq!(e.op, "log_softmax");
    assert!(e.message.contains("axis -3"), "{e}");
}

#[test]
fn softmax_gradcheck_order2() {
    let x = Tensor::from_vec(vec![0.1, -0.4, 0.9, 1.3, -2.0, 0.5], &[2, 3]);
    assert_gradients(|x| x[0].softmax(1), std::slice::from_ref(&x), 2);
    assert_gradients(|x| x[0].log_softmax(0) * x[0], &[x], 2);
}

fn softmax_of_a_long_vector_sums_to_one<T: Float>() {
    // the denominator is logsumexp's pairwise sum; one running total of the
    // exponentials has an error bound of n·ε instead
    let l = T::from_f64(0.1).ln();
    let n = 1_000_000;
    let tape = Tape::<T>::new();
    let x = tape.leaf(Tensor::from_fn(
        &[n],
        |i| if i % 2 == 0 { T::ZERO } else { l },
    ));
    let s = x.softmax(0).value();
    // (summed pairwise: a running total of 10⁶ f64 values is itself off by 1e-11)
    let total = s.sum().to_f64();
    assert!(
        (total - 1.0).abs() <= 16.0 * T::EPSILON.to_f64(),
        "Σ = {total}"
    );
}

#[test]
fn softmax_of_a_long_vector_sums_to_one_f32() {
    softmax_of_a_long_vector_sums_to_one::<f32>();
}

#[test]
fn softmax_of_a_long_vector_sums_to_one_f64() {
    softmax_of_a_long_vector_sums_to_one::<f64>();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn softmax_gradients_match_finite_differences(
        (x, axis) in shape(4)
            .prop_filter("rank ≥ 1", |s| !s.is_empty())
            .prop_flat_map(|s| { let r = s.len(); (tensor_in(s, -2.0, 2.0), 0..r) })
    ) {
        let a = axis as isize;
        assert_gradients(move |x| x[0].softmax(a) * x[0], std::slice::from_ref(&x), 2);
        assert_gradients(move |x| x[0].log_softmax(a), &[x], 2);
    }
}
