//! Helpers shared by the op tests: derivatives of element-wise functions, tolerant
//! comparison, and tensors without ties for the max and min reductions.

use proptest::prelude::*;
use tapegrad_core::{Tape, Tensor, Var};

/// `[f(x), f'(x), f''(x)]` at each of `xs`, both derivatives taken with `tape.grad`, so
/// the second one differentiates the recorded VJP. `f` is element-wise, so the gradient
/// of `Σ f(x)` is `f'` element by element, and the gradient of `Σ f'(x)` is `f''`.
pub fn derivatives(f: impl for<'t> Fn(Var<'t, f64>) -> Var<'t, f64>, xs: &[f64]) -> [Vec<f64>; 3] {
    let tape = Tape::new();
    let x = tape.leaf(Tensor::vector(xs.to_vec()));
    let y = f(x);
    let d1 = tape.grad(y.sum(), &[x])[0];
    let d2 = tape.grad(d1.sum(), &[x])[0];
    [y, d1, d2].map(|v| v.value().to_vec())
}

/// True when `|got - want| <= tol · max(1, |want|)` element by element; infinities
/// must match exactly and NaN matches only NaN.
pub fn close(got: &[f64], want: &[f64], tol: f64) -> bool {
    got.len() == want.len()
        && got.iter().zip(want).all(|(&g, &w)| {
            (g.is_nan() && w.is_nan()) || g == w || (g - w).abs() <= tol * w.abs().max(1.0)
        })
}

/// Panics unless [`close`].
#[track_caller]
pub fn assert_close(got: &[f64], want: &[f64], tol: f64) {
    assert!(close(got, want, tol), "got {got:?}, want {want:?}");
}

/// Tensors of `shape` whose elements are distinct and at least 0.25 apart: no ties, so a
/// gradient check of a max or min reduction never straddles a kink.
pub fn distinct_tensor(shape: Vec<usize>) -> impl Strategy<Value = Tensor<f64>> {
    let n = tapegrad_core::tensor::numel(&shape);
    Just((0..n).collect::<Vec<_>>())
        .prop_shuffle()
        .prop_map(move |order| {
            let centre = n as f64 / 2.0;
            let data = order
                .iter()
                .map(|&k| (k as f64 - centre) * 0.25 + 0.1)
                .collect();
            Tensor::from_vec(data, &shape)
        })
}
