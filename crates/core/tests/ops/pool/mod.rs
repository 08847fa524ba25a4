//! Tests of `src/ops/pool/`, one file per op file, plus what they share: the inputs of
//! the PyTorch reference cases (`torch_reference.py`, values in `torch_values.rs`), a
//! direct reference implementation of sliding windows, and the proptest strategy of
//! window parameters.

mod adaptive_avg_pool;
mod avg_pool;
mod max_pool;
mod torch_values;

use crate::support::assert_close;
use proptest::prelude::*;
use tapegrad_core::ops::pool::Pool2d;
use tapegrad_core::tensor::numel;
use tapegrad_core::{Tape, Tensor, Var};
use torch_values::Case;

/// The input of the reference cases: `x[i] = ((37i + 11) mod 101) / 10 − 5`.
pub fn ramp(shape: &[usize]) -> Tensor<f64> {
    Tensor::from_fn(shape, |i| ((i * 37 + 11) % 101) as f64 / 10.0 - 5.0)
}

/// The weights of the reference cases' loss `Σ y·w`: `w[i] = ((13i + 5) mod 17) / 8 − 1`.
pub fn weights(shape: &[usize]) -> Tensor<f64> {
    Tensor::from_fn(shape, |i| ((i * 13 + 5) % 17) as f64 / 8.0 - 1.0)
}

/// `y = pool(x)` and `d(Σ y·w)/dx` against a PyTorch case, to 1e-12.
pub fn assert_matches_torch(
    case: &Case,
    x: Tensor<f64>,
    pool: impl for<'t> Fn(Var<'t, f64>) -> Var<'t, f64>,
) {
    let tape = Tape::new();
    let x = tape.leaf(x);
    let y = pool(x);
    assert_eq!(y.shape().as_slice(), case.shape);
    assert_close(y.value().as_slice(), case.y, 1e-12);
    let w = tape.constant(weights(case.shape));
    let dx = (y * w).sum().backward().wrt(x);
    assert_close(dx.as_slice(), case.dx, 1e-12);
}

/// Max or average of the sliding windows over the last two axes of a 4-d `x`, computed
/// directly from the definition, one output element at a time: `None` when PyTorch would
/// refuse the parameters or a window holds only padding.
pub fn reference(x: &Tensor<f64>, p: &Pool2d, max: bool) -> Option<Tensor<f64>> {
    let s = x.shape();
    let mut out_len = [0usize; 2];
    for a in 0..2 {
        let (l, k, st, pd, d) = (
            s[2 + a] as i64,
            p.kernel[a] as i64,
            p.stride[a] as i64,
            p.padding[a] as i64,
            p.dilation[a] as i64,
        );
        if k == 0 || st == 0 || d == 0 || 2 * pd > k {
            return None;
        }
        let num = l + 2 * pd - d * (k - 1) - 1 + if p.ceil_mode { st - 1 } else { 0 };
        let mut n = num.div_euclid(st) + 1;
        if p.ceil_mode && (n - 1) * st >= l + pd {
            n -= 1;
        }
        if n < 1 {
            return None;
        }
        out_len[a] = n as usize;
    }
    let shape = [s[0], s[1], out_len[0], out_len[1]];
    let mut y = Vec::with_capacity(numel(&shape));
    for n in 0..s[0] {
        for c in 0..s[1] {
            for i in 0..out_len[0] {
                for j in 0..out_len[1] {
                    let mut best = f64::NEG_INFINITY;
                    let (mut sum, mut real, mut padded) = (0.0, 0usize, [0i64; 2]);
                    let h0 = (i * p.stride[0]) as i64 - p.padding[0] as i64;
                    let w0 = (j * p.stride[1]) as i64 - p.padding[1] as i64;
                    for a in 0..2 {
                        // the window clipped to the padded input (PyTorch's pool_size)
                        let (start, l) = ([h0, w0][a], s[2 + a] as i64);
                        padded[a] =
                            (start + p.kernel[a] as i64).min(l + p.padding[a] as i64) - start;
                    }
                    for ki in 0..p.kernel[0] {
                        for kj in 0..p.kernel[1] {
                            let h = h0 + (ki * p.dilation[0]) as i64;
                            let w = w0 + (kj * p.dilation[1]) as i64;
                            if h < 0 || w < 0 || h >= s[2] as i64 || w >= s[3] as i64 {
                                continue;
                            }
                            let v = x.at(&[n, c, h as usize, w as usize]);
                            best = best.max(v);
                            sum += v;
                            real += 1;
                        }
                    }
                    if real == 0 {
                        return None;
                    }
                    y.push(if max {
                        best
                    } else if p.count_include_pad {
                        sum / (padded[0] * padded[1]) as f64
                    } else {
                        sum / real as f64
                    });
                }
            }
        }
    }
    Some(Tensor::from_vec(y, &shape))
}

/// Window parameters PyTorch accepts (padding at most half the kernel), and a 4-d input
/// shape long enough for them: `(shape, params)`, with or without dilation.
pub fn pool_case(dilated: bool) -> impl Strategy<Value = (Vec<usize>, Pool2d)> {
    let max_d = if dilated { 2 } else { 1 };
    (
        [1usize..=3, 1usize..=3],
        [1usize..=3, 1usize..=3],
        [1usize..=max_d, 1usize..=max_d],
        any::<bool>(),
        (1usize..=2, 1usize..=2),
        [0usize..=3, 0usize..=3],
        [0usize..=1, 0usize..=1],
    )
        .prop_map(|(k, s, d, ceil, (n, c), extra, pad)| {
            let padding = [pad[0] * k[0] / 2, pad[1] * k[1] / 2];
            let params = Pool2d::new(k)
                .stride(s)
                .dilation(d)
                .padding(padding)
                .ceil_mode(ceil);
            // just long enough for one window, plus a few positions
            let len = |a: usize| {
                (d[a] * (k[a] - 1) + 1)
                    .saturating_sub(2 * padding[a])
                    .max(1)
                    + extra[a]
            };
            (vec![n, c, len(0), len(1)], params)
        })
}
