//! A sparse Hessian in three sweeps: the chained Rosenbrock function
//! `f(x) = Σᵢ 100 (xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)²` in n = 10,000 variables, whose Hessian is
//! tridiagonal. `func::sparse_hessian` reads the pattern off the recorded graph (each op
//! states its structure), colours its columns (3 colours for a band of width 3) and takes
//! one Hessian-vector product per colour; the result is (row, column, value) triplets.
//!
//! It prints the pattern, the sweeps, the first triplets, a check against the dense
//! Hessian at n = 50, and the cost against one gradient (median of repeated runs).
//!
//! ```text
//! cargo run --release --example sparse_hessian
//! SPARSE_HESSIAN_N=100000 cargo run --release --example sparse_hessian
//! ```

use std::hint::black_box;
use std::time::Instant;
use tapegrad::core::func;
use tapegrad::prelude::*;

/// The chained Rosenbrock function, on whole vectors.
fn rosenbrock<'t>(xs: &[Var<'t, f64>]) -> Var<'t, f64> {
    let x = xs[0];
    let n = x.shape()[0];
    let (head, tail) = (x.narrow(0, 0, n - 1), x.narrow(0, 1, n - 1));
    let a = tail - head * head;
    let b = -head + 1.0;
    (a * a * 100.0 + b * b).sum()
}

/// A point away from the minimum, so that no entry vanishes by accident.
fn point(n: usize) -> Tensor<f64> {
    Tensor::from_fn(&[n], |i| 0.5 + 0.3 * (0.7 * i as f64).sin())
}

/// The median of `repeats` timed runs of `f`, in ms, after one warm-up run.
fn median_ms(repeats: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut samples: Vec<f64> = (0..repeats)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn main() -> Result<(), tapegrad::core::Error> {
    let n: usize = std::env::var("SPARSE_HESSIAN_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let x = [point(n)];

    let pattern = func::hessian_sparsity(rosenbrock, &x)?;
    let colouring = pattern.colour_columns();
    println!(
        "chained Rosenbrock, n = {n}: {} entries can be nonzero (3n − 2 = {}), {} colours",
        pattern.nnz(),
        3 * n - 2,
        colouring.count
    );

    let h = func::sparse_hessian(rosenbrock, &x)?;
    println!(
        "sparse Hessian: {} triplets in {} sweeps; the first rows:",
        h.nnz(),
        h.sweeps
    );
    for (i, j, v) in h.triplets().take(7) {
        println!("  ({i}, {j})  {v:>10.4}");
    }

    // The same at n = 50, against the dense Hessian (n reverse sweeps).
    let small = [point(50)];
    let sparse = func::sparse_hessian(rosenbrock, &small)?.to_dense();
    let dense = &func::hessian(rosenbrock, &small)?[0][0];
    let gap = (sparse.as_slice().iter().zip(dense.as_slice()))
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    println!("n = 50: largest difference from the dense Hessian {gap:.1e}");

    let grad_ms = median_ms(51, || {
        black_box(func::grad(rosenbrock, &x).unwrap());
    });
    let sparse_ms = median_ms(21, || {
        black_box(func::sparse_hessian(rosenbrock, &x).unwrap());
    });
    println!(
        "cost (medians): gradient {grad_ms:.3} ms, sparse Hessian {sparse_ms:.3} ms = {:.1} gradients",
        sparse_ms / grad_ms
    );
    Ok(())
}
