//! Timings of the reductions (sum, mean, sum over an inner or an outer axis, logsumexp,
//! the broadcast-undoing `sum_to` of the backward sweep, and max for comparison) in f32
//! and f64 at 10³, 10⁶ and 10⁷ elements, printed as TSV: the median of many repeats.
//!
//! ```sh
//! cargo run --release --example reduce_bench
//! REDUCE_BENCH_ROWS=sum,sum_to REDUCE_BENCH_SIZES=1000000 cargo run --release --example reduce_bench
//! ```
//!
//! Env: `REDUCE_BENCH_ROWS` (comma list of row names), `REDUCE_BENCH_SIZES` (comma list
//! of element counts), `REDUCE_BENCH_SECONDS` (time budget per row, default 0.3).
//! Columns: dtype, row, elements, shape, median µs, min µs, repeats.

use std::hint::black_box;
use std::time::Instant;
use tapegrad::prelude::*;

/// Width of the matrices the axis reductions work on: `[n / COLS, COLS]`.
const COLS: usize = 100;
const MIN_REPEATS: usize = 7;
const MAX_REPEATS: usize = 1001;

fn list(var: &str) -> Option<Vec<String>> {
    let s = std::env::var(var).ok().filter(|s| !s.trim().is_empty())?;
    Some(s.split(',').map(|x| x.trim().to_string()).collect())
}

fn budget() -> f64 {
    std::env::var("REDUCE_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.3)
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

/// One row per reduction for element type `T` and `n` elements.
fn run<T: Float>(n: usize, rows: &Option<Vec<String>>) {
    let wanted = |name: &str| rows.as_ref().is_none_or(|r| r.iter().any(|x| x == name));
    let flat = Tensor::<T>::rand_uniform(&[n], T::ZERO, T::ONE, 7);
    let wide = flat
        .reshape(&[n / COLS, COLS])
        .expect("n is a multiple of COLS");
    let emit = |name: &str, shape: &[usize], f: &mut dyn FnMut()| {
        if wanted(name) {
            let (median, min, reps) = time(f);
            println!(
                "{}\t{name}\t{n}\t{shape:?}\t{median:.1}\t{min:.1}\t{reps}",
                T::NAME
            );
        }
    };
    // Through the tape, as a user calls them: the op's forward is the kernel under test.
    let on_tape = |x: &Tensor<T>, f: &dyn Fn(Var<'_, T>) -> Var<'_, T>| {
        let tape = Tape::new();
        let y = f(tape.leaf(x.clone()));
        black_box(y.value());
    };
    emit("sum", &[n], &mut || on_tape(&flat, &|x| x.sum()));
    emit("mean", &[n], &mut || on_tape(&flat, &|x| x.mean()));
    emit("sum_axes_inner", wide.shape(), &mut || {
        on_tape(&wide, &|x| x.sum_axes(&[1], false))
    });
    emit("sum_axes_outer", wide.shape(), &mut || {
        on_tape(&wide, &|x| x.sum_axes(&[0], false))
    });
    // Short rows: per-row overhead shows, and the outer sum runs on 4 columns only.
    let narrow = flat.reshape(&[n / 4, 4]).expect("n is a multiple of 4");
    emit("sum_axes_inner_narrow", narrow.shape(), &mut || {
        on_tape(&narrow, &|x| x.sum_axes(&[1], false))
    });
    emit("sum_axes_outer_narrow", narrow.shape(), &mut || {
        on_tape(&narrow, &|x| x.sum_axes(&[0], false))
    });
    let cube = flat
        .reshape(&[n / (10 * COLS), 10, COLS])
        .expect("n is a multiple of 10 COLS");
    emit("sum_axes_middle", cube.shape(), &mut || {
        on_tape(&cube, &|x| x.sum_axes(&[1], false))
    });
    emit("mean_axes_outer", wide.shape(), &mut || {
        on_tape(&wide, &|x| x.mean_axes(&[0], false))
    });
    emit("logsumexp", &[n], &mut || {
        on_tape(&flat, &|x| x.logsumexp())
    });
    emit("logsumexp_rows", wide.shape(), &mut || {
        on_tape(&wide, &|x| x.logsumexp_axes(&[1], false))
    });
    emit("max", &[n], &mut || on_tape(&flat, &|x| x.max()));
    emit("max_axes_outer", wide.shape(), &mut || {
        on_tape(&wide, &|x| x.max_axes(&[0], false))
    });
    // The backward sweep's un-broadcasting, alone: a bias gradient from [n / COLS, COLS].
    emit("sum_to", wide.shape(), &mut || {
        black_box(wide.sum_to(&[COLS]).expect("broadcastable"));
    });
    // And inside a whole backward pass of `Σ (x + b)` with `b` of shape [COLS].
    let bias = Tensor::<T>::zeros(&[COLS]);
    emit("bias_backward", wide.shape(), &mut || {
        let tape = Tape::new();
        let (x, b) = (tape.constant(wide.clone()), tape.leaf(bias.clone()));
        black_box((x + b).sum().backward().wrt(b));
    });
}

fn main() {
    let rows = list("REDUCE_BENCH_ROWS");
    let sizes: Vec<usize> = list("REDUCE_BENCH_SIZES")
        .map(|s| s.iter().map(|x| x.parse().expect("a size")).collect())
        .unwrap_or_else(|| vec![1_000, 1_000_000, 10_000_000]);
    println!("dtype\trow\telements\tshape\tmedian_us\tmin_us\trepeats");
    for &n in &sizes {
        assert!(
            n % (10 * COLS) == 0,
            "sizes must be multiples of {}",
            10 * COLS
        );
        run::<f32>(n, &rows);
        run::<f64>(n, &rows);
    }
}
