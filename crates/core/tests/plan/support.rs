//! Comparison of a plan's outputs with the eager engine's.

use tapegrad_core::Tensor;

/// Panics unless `got` and `want` have the same shapes and every element agrees to
/// `rel` relative to the larger of itself and the output's largest magnitude (so a
/// gradient entry that cancels to ~0 is judged at the scale of its tensor).
#[track_caller]
pub fn assert_same(got: &[Tensor<f64>], want: &[Tensor<f64>], rel: f64) {
    assert_eq!(got.len(), want.len(), "number of outputs");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.shape(), w.shape(), "output {k}: shape");
        let scale = w.as_slice().iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (i, (&a, &b)) in g.as_slice().iter().zip(w.as_slice()).enumerate() {
            let ok = a == b
                || (a.is_nan() && b.is_nan())
                || (a - b).abs() <= rel * b.abs().max(scale).max(f64::MIN_POSITIVE);
            assert!(ok, "output {k}, element {i}: plan {a}, eager {b}");
        }
    }
}
