//! Timings of the element-wise functions' forward passes (`exp`, `expm1`, `log`, `log1p`,
//! `tanh`, `sigmoid`, `softplus`) in f32 and f64 over 2²⁰ elements, beside the same map
//! with the standard library's scalar functions (what `log`, `sigmoid`, `softplus` and the
//! f64 `exp`/`tanh` ran before the vectorised kernels), printed as TSV: the median of many
//! repeats.
//!
//! ```sh
//! RAYON_NUM_THREADS=1 cargo run --release --example elementwise_bench
//! ```
//!
//! Env: `ELEMENTWISE_BENCH_SIZE` (elements, default 2²⁰), `ELEMENTWISE_BENCH_SECONDS`
//! (time budget per row, default 0.3); `RAYON_NUM_THREADS=1` keeps both columns on one
//! thread. Columns: dtype, function, elements, std map median µs, op forward median µs,
//! speed-up.

use std::hint::black_box;
use std::time::Instant;
use tapegrad::core::ops::unary::{Exp, Expm1, Log, Log1p, Sigmoid, Softplus, Tanh};
use tapegrad::prelude::*;

const MIN_REPEATS: usize = 7;
const MAX_REPEATS: usize = 1001;

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(default)
}

/// Runs `f` once to warm up, then until the time budget is spent (within the repeat
/// bounds); returns the median in µs.
fn median_us(mut f: impl FnMut()) -> f64 {
    f();
    let budget = env("ELEMENTWISE_BENCH_SECONDS", 0.3);
    let start = Instant::now();
    let mut samples = Vec::new();
    while samples.len() < MIN_REPEATS
        || (samples.len() < MAX_REPEATS && start.elapsed().as_secs_f64() < budget)
    {
        let t = Instant::now();
        f();
        samples.push(t.elapsed().as_secs_f64() * 1e6);
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    samples[samples.len() / 2]
}

/// One row: `Tensor::map` with a scalar function (a static call, as the ops' old forward
/// passes made) against the op's forward pass (the vectorised slice kernel).
macro_rules! row {
    ($t:ident, $name:expr, $x:expr, $scalar:expr, $op:expr) => {{
        let x: Tensor<$t> = $x;
        let before = median_us(|| {
            black_box(x.map($scalar));
        });
        let after = median_us(|| {
            black_box(Op::<$t>::forward(&$op, &[&x]).expect("an element-wise op"));
        });
        println!(
            "{}\t{}\t{}\t{before:.0}\t{after:.0}\t{:.1}x",
            stringify!($t),
            $name,
            x.len(),
            before / after
        );
    }};
}

/// The seven rows for one element type.
macro_rules! rows {
    ($t:ident, $n:expr) => {{
        let n: usize = $n;
        let uniform = |lo: $t, hi: $t| Tensor::<$t>::rand_uniform(&[n], lo, hi, 7);
        row!($t, "exp", uniform(-10.0, 10.0), $t::exp, Exp);
        row!($t, "expm1", uniform(-10.0, 10.0), $t::exp_m1, Expm1);
        row!($t, "log", uniform(0.01, 100.0), $t::ln, Log);
        row!($t, "log1p", uniform(-0.9, 10.0), $t::ln_1p, Log1p);
        row!($t, "tanh", uniform(-10.0, 10.0), $t::tanh, Tanh);
        let sigmoid = |x: $t| {
            if x >= 0.0 {
                1.0 / (1.0 + (-x).exp())
            } else {
                let e = x.exp();
                e / (1.0 + e)
            }
        };
        row!($t, "sigmoid", uniform(-10.0, 10.0), sigmoid, Sigmoid);
        let softplus = |x: $t| x.max(0.0) + (-x.abs()).exp().ln_1p();
        row!($t, "softplus", uniform(-10.0, 10.0), softplus, Softplus);
    }};
}

fn main() {
    let n = env("ELEMENTWISE_BENCH_SIZE", 1 << 20);
    println!("dtype\tfunction\telements\tstd_map_us\top_forward_us\tspeedup");
    rows!(f32, n);
    rows!(f64, n);
}
