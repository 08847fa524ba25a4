//! What a dense Hessian costs against one gradient (issue 14's bound: at most (n + 2)
//! gradients for n variables), for the extended Rosenbrock function of a vector of n
//! variables, f64. Prints TSV: n, the median times of `func::grad` and `func::hessian` in
//! µs, their ratio and the bound n + 2.
//!
//! ```sh
//! cargo run --release --example hessian_cost
//! HESSIAN_COST_SIZES=10,100 cargo run --release --example hessian_cost
//! ```
//!
//! The Hessian is the Jacobian of the recorded gradient: recording `f` and its gradient
//! once, then one values-only reverse sweep per variable over that recording (see
//! `tapegrad::core::func`), so the ratio should stay below n + 2.

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
    println!("n\tgrad_us\thessian_us\tratio\tbound_n_plus_2");
    for n in sizes.into_iter().filter(|&n| n >= 2) {
        let x = [Tensor::from_fn(&[n], |i| 0.5 + 0.1 * (i as f64).sin())];
        let grad_us = median_us(101, || {
            black_box(func::grad(rosenbrock, &x).unwrap());
        });
        let repeats = if n > 100 { 7 } else { 31 };
        let hessian_us = median_us(repeats, || {
            black_box(func::hessian(rosenbrock, &x).unwrap());
        });
        let ratio = hessian_us / grad_us;
        println!("{n}\t{grad_us:.1}\t{hessian_us:.1}\t{ratio:.1}\t{}", n + 2);
    }
}
