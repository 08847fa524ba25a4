//! Products too thin for the register tiles: at most [`THIN`] columns (the weight gradient
//! of a layer with one or two inputs, a layer with a few outputs).
//!
//! # Design
//! A tile kernel computes `MR × NR` results (6 × 16 for AVX2 `f32`): with two columns it
//! computes eight times the work it keeps, into an edge buffer copied out element by
//! element (a 32 × 64 by 64 × 2 product took about as long as a 64 × 32 by 32 × 32 one,
//! which has sixteen times the multiply-adds). These loops run along whole rows or
//! columns of `A`, which vectorise. A small inner dimension stays with the tiles: there
//! they do little work each, and simple loops (without the kernels' FMA and wide
//! vectors) measured slower.

use super::pack::View;
use super::Element;

/// The most columns this path takes (with an inner dimension above it).
const THIN: usize = 4;

/// `C = A·B` (`A` is `m × k`, `B` is `k × n`, `C` row-major `m × n`, overwritten) when the
/// product is thin and small enough for one thread; `false`, with `C` untouched, when it is
/// not (the caller then runs the tiles).
pub(super) fn product<T: Element>(
    (m, k, n): (usize, usize, usize),
    a: View<'_, T>,
    b: View<'_, T>,
    c: &mut [T],
) -> bool {
    let small = m.saturating_mul(k).saturating_mul(n) < super::PACK_MIN_MACS;
    if !small || m == 0 || n == 0 || k == 0 {
        return false;
    }
    if n <= THIN && k > THIN {
        few_columns(m, k, n, a, b, c);
        true
    } else {
        false
    }
}

/// `n ≤ THIN`: each column of `C` is `A` times a column of `B`, summed over the inner
/// dimension in order: along `A`'s rows when they are contiguous, else as scaled columns of
/// `A` added up (a transposed `A`, whose columns are contiguous).
fn few_columns<T: Element>(
    m: usize,
    k: usize,
    n: usize,
    a: View<'_, T>,
    b: View<'_, T>,
    c: &mut [T],
) {
    let column = |j: usize| -> Vec<T> { (0..k).map(|p| b.data[p * b.rs + j * b.cs]).collect() };
    if a.cs == 1 {
        for j in 0..n {
            let v = column(j);
            for i in 0..m {
                let row = &a.data[i * a.rs..i * a.rs + k];
                c[i * n + j] = dot(row, &v);
            }
        }
    } else {
        let mut sums = vec![T::default(); m];
        for j in 0..n {
            sums.fill(T::default());
            for (p, &y) in column(j).iter().enumerate() {
                if a.rs == 1 {
                    let col = &a.data[p * a.cs..p * a.cs + m];
                    for (s, &x) in sums.iter_mut().zip(col) {
                        *s = *s + x * y;
                    }
                } else {
                    for (i, s) in sums.iter_mut().enumerate() {
                        *s = *s + a.data[i * a.rs + p * a.cs] * y;
                    }
                }
            }
            for (i, &s) in sums.iter().enumerate() {
                c[i * n + j] = s;
            }
        }
    }
}

/// `Σ xᵢ·yᵢ` in eight interleaved sums, so that it vectorises.
fn dot<T: Element>(x: &[T], y: &[T]) -> T {
    let mut lanes = [T::default(); 8];
    let (xc, yc) = (x.chunks_exact(8), y.chunks_exact(8));
    let (xr, yr) = (xc.remainder(), yc.remainder());
    for (xs, ys) in xc.zip(yc) {
        for l in 0..8 {
            lanes[l] = lanes[l] + xs[l] * ys[l];
        }
    }
    let tail = xr
        .iter()
        .zip(yr)
        .fold(T::default(), |s, (&p, &q)| s + p * q);
    lanes.iter().fold(tail, |s, &l| s + l)
}
