//! Timings of the pooling ops on the shapes of the peer harness's `conv_step` (a 2x2 max
//! pool after each convolution: `[64, 16, 28, 28]` and `[64, 32, 14, 14]`), plus a 3x3
//! average pool and an adaptive one, in f32: forward alone, and forward + backward of the
//! sum (which runs the VJP). Printed as TSV, the median of many repeats.
//!
//! ```sh
//! cargo run --release --example pool_bench
//! POOL_BENCH_SECONDS=1 cargo run --release --example pool_bench
//! ```
//!
//! Columns: row, input shape, median µs, min µs, repeats, input GB/s at the median.

use std::hint::black_box;
use std::time::Instant;
use tapegrad::prelude::*;

const MIN_REPEATS: usize = 7;
const MAX_REPEATS: usize = 1001;

fn budget() -> f64 {
    std::env::var("POOL_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.5)
}

/// Runs `f` once to warm up, then until the time budget is spent (within the repeat
/// bounds); returns the median and the minimum in µs, and the number of repeats.
fn time(mut f: impl FnMut()) -> (f64, f64, usize) {
    f();
    let start = Instant::now();
    let mut samples = Vec::new();
    while samples.len() < MIN_REPEATS
        || (samples.len() < MAX_REPEATS && start.elapsed().as_secs_f64() < budget())
    {
        let t = Instant::now();
        f();
        samples.push(t.elapsed().as_secs_f64() * 1e6);
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    let n = samples.len();
    (samples[n / 2], samples[0], n)
}

fn row(name: &str, x: &Tensor<f32>, pool: &dyn for<'t> Fn(Var<'t, f32>) -> Var<'t, f32>) {
    let bytes = (x.len() * 4) as f64;
    let (med, min, n) = time(|| {
        let tape = Tape::new();
        let _paused = tape.pause_recording();
        black_box(pool(tape.constant(x.clone())).value());
    });
    println!(
        "{name} forward\t{:?}\t{med:.1}\t{min:.1}\t{n}\t{:.2}",
        x.shape(),
        bytes / med / 1e3
    );
    let (med, min, n) = time(|| {
        let tape = Tape::new();
        let v = tape.leaf(x.clone());
        black_box(pool(v).sum().backward().wrt(v));
    });
    println!(
        "{name} forward+backward\t{:?}\t{med:.1}\t{min:.1}\t{n}\t{:.2}",
        x.shape(),
        bytes / med / 1e3
    );
}

fn main() {
    println!("row\tshape\tmedian_us\tmin_us\trepeats\tinput_GB/s");
    let a = Tensor::<f32>::rand_normal(&[64, 16, 28, 28], 0.0, 1.0, 1);
    let b = Tensor::<f32>::rand_normal(&[64, 32, 14, 14], 0.0, 1.0, 2);
    row("max_pool2d 2x2", &a, &|x| x.max_pool2d(Pool2d::new(2)));
    row("max_pool2d 2x2", &b, &|x| x.max_pool2d(Pool2d::new(2)));
    let p = Pool2d::new(3).stride(1).padding(1);
    row("max_pool2d 3x3 s1 p1", &b, &|x| x.max_pool2d(p));
    row("avg_pool2d 2x2", &a, &|x| x.avg_pool2d(Pool2d::new(2)));
    row("avg_pool2d 3x3 s1 p1", &b, &|x| x.avg_pool2d(p));
    row("adaptive_avg_pool2d 5x5", &b, &|x| x.adaptive_avg_pool2d(5));
}
