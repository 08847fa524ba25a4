//! The two convolutions of `conv_step` (harness workload 7) alone, forward and
//! forward + backward, in f32: the kernel side of that workload without its pooling and
//! loss. `examples/conv_kernels_torch.py` times the same calls in PyTorch.
//!
//! ```sh
//! cargo run --release --example conv_kernels               # all threads
//! RAYON_NUM_THREADS=1 cargo run --release --example conv_kernels
//! ```
//!
//! Prints one line per case: the median and the range of `REPS` timed calls in ms.

use std::time::Instant;
use tapegrad::prelude::*;

const REPS: usize = 50;

/// Median, min and max of `f`'s wall time in ms over `REPS` calls after 5 warm-ups.
fn time(mut f: impl FnMut()) -> (f64, f64, f64) {
    for _ in 0..5 {
        f();
    }
    let mut ts: Vec<f64> = (0..REPS)
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    ts.sort_by(f64::total_cmp);
    (ts[REPS / 2], ts[0], ts[REPS - 1])
}

fn main() {
    if std::env::var_os("MATMUL_NUM_THREADS").is_none() {
        if let Some(t) = std::env::var_os("RAYON_NUM_THREADS") {
            std::env::set_var("MATMUL_NUM_THREADS", t);
        }
    }
    let same = ConvOptions::default().padding(1);
    // (name, input shape, weight shape, input needs a gradient)
    let cases: [(&str, [usize; 4], [usize; 4], bool); 2] = [
        (
            "conv1 [64,1,28,28]*[16,1,3,3]",
            [64, 1, 28, 28],
            [16, 1, 3, 3],
            false,
        ),
        (
            "conv2 [64,16,14,14]*[32,16,3,3]",
            [64, 16, 14, 14],
            [32, 16, 3, 3],
            true,
        ),
    ];
    println!("threads {}", tapegrad::core::tensor::worker_threads());
    for (name, xs, ws, needs_dx) in cases {
        let x = Tensor::<f32>::rand_normal(&xs, 0.0, 1.0, 1);
        let w = Tensor::<f32>::rand_normal(&ws, 0.0, 0.3, 2);
        let b = Tensor::<f32>::rand_normal(&[ws[0]], 0.0, 0.3, 3);
        let (m, lo, hi) = time(|| {
            let tape = Tape::new();
            let y = tape.constant(x.clone()).conv2d(
                tape.constant(w.clone()),
                Some(tape.constant(b.clone())),
                same,
            );
            std::hint::black_box(y.value());
        });
        println!("{name} forward: {m:.3} ms (min {lo:.3}, max {hi:.3})");
        let mut seed = None;
        let (m, lo, hi) = time(|| {
            let tape = Tape::new();
            let xv = if needs_dx {
                tape.leaf(x.clone())
            } else {
                tape.constant(x.clone())
            };
            let (wv, bv) = (tape.leaf(w.clone()), tape.leaf(b.clone()));
            let y = xv.conv2d(wv, Some(bv), same);
            let dy = seed
                .get_or_insert_with(|| Tensor::<f32>::rand_normal(&y.shape(), 0.0, 1.0, 4))
                .clone();
            let g = y.backward_with(dy);
            std::hint::black_box((g.wrt(wv), g.wrt(bv), needs_dx.then(|| g.wrt(xv))));
        });
        println!("{name} forward+backward: {m:.3} ms (min {lo:.3}, max {hi:.3})");
    }
}
