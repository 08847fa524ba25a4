//! What a dense Hessian costs against one gradient (issue 14's bound: at most (n + 2)
//! gradients for n variables), for two functions of a vector of n variables, f64: the
//! chained Rosenbrock function (few operations per variable) and `logsumexp(A x)` (a
//! product with an n × n matrix, a dense Hessian). Prints TSV: the function, n, the median
//! times of `func::grad` and `func::hessian` in µs, their ratio and the bound n + 2.
//!
//! ```sh
//! cargo run --release --example hessian_cost
//! HESSIAN_COST_SIZES=10,100 HESSIAN_COST_FUNCTIONS=rosenbrock cargo run --release --example hessian_cost
//! ```
//!
//! The Hessian is the Jacobian of the recorded gradient: recording `f` and its gradient
//! once, then its rows pushed in batches through values-only reverse sweeps over that
//! recording (see `tapegrad::core::func`). A batch of rows goes through an element-wise
//! op or a `matmul` in one VJP, so a row costs much less than a gradient and the ratio
//! stays well below n + 2 (`BENCHMARKS.md` has the figures).

use std::hint::black_box;
use std::time::Instant;
use tapegrad::core::func;
use tapegrad::prelude::*;

/// `Σᵢ 100 (xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)²` over `i < n − 1`, written on whole vectors.
fn rosenbrock<'t>(xs: &[Var<'t, f64>]) -> Var<'t, f64> {
    let x = xs[0];
    let n = x.shape()[0];
    let head = x.narrow(0, 0, n - 1);
    let tail = x.narrow(0, 1, n - 1);
    let a = tail - head * head;
    let b = -head + 1.0;
    (a * a * 100.0 + b * b).sum()
}

/// The fixed `n × n` matrix of `logsumexp(A x)`, made once (not in every call of `f`).
fn matrix(n: usize) -> Tensor<f64> {
    Tensor::from_fn(&[n, n], |k| ((k * 7919) % 23) as f64 / 23.0 - 0.5)
}

/// The median of `repeats` timed runs of `f`, in µs, after one warm-up run.
fn median_us(repeats: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut samples: Vec<f64> = (0..repeats)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn main() {
    let sizes: Vec<usize> = std::env::var("HESSIAN_COST_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10, 30, 100, 300]);
    println!("function\tn\tgrad_us\thessian_us\tratio\tbound_n_plus_2");
    let names: Vec<String> = std::env::var("HESSIAN_COST_FUNCTIONS")
        .map(|s| s.split(',').map(|f| f.trim().to_string()).collect())
        .unwrap_or_else(|_| vec!["rosenbrock".into(), "logsumexp_ax".into()]);
    for name in names.iter().map(String::as_str) {
        for &n in sizes.iter().filter(|&&n| n >= 2) {
            let x = [Tensor::from_fn(&[n], |i| 0.5 + 0.1 * (i as f64).sin())];
            // `logsumexp(A x)`: every pair of variables interacts, a dense Hessian.
            let a = matrix(n);
            let log_sum_exp = func::function(|xs: &[Var<'_, f64>]| {
                let x = xs[0].reshape(&[n, 1]);
                x.constant(a.clone()).matmul(x).logsumexp()
            });
            let f = func::function(|xs: &[Var<'_, f64>]| {
                if name == "rosenbrock" {
                    rosenbrock(xs)
                } else {
                    log_sum_exp(xs)
                }
            });
            let grad_us = median_us(101, || {
                black_box(func::grad(f, &x).unwrap());
            });
            let repeats = if n > 100 { 7 } else { 31 };
            let hessian_us = median_us(repeats, || {
                black_box(func::hessian(f, &x).unwrap());
            });
            let ratio = hessian_us / grad_us;
            println!(
                "{name}\t{n}\t{grad_us:.1}\t{hessian_us:.1}\t{ratio:.1}\t{}",
                n + 2
            );
        }
    }
}
