//! Products too thin for the register tiles: at most [`THIN`] columns (the weight gradient
//! of a layer with one or two inputs, a layer with a few outputs).
//!
//! # Design
//! A tile kernel computes `MR × NR` results (6 × 16 for AVX2 `f32`): with two columns it
//! computes eight times the work it keeps, into an edge buffer copied out element by
//! element (a 32 × 64 by 64 × 2 product took about as long as a 64 × 32 by 32 × 32 one,
//! which has sixteen times the multiply-adds). These loops run along whole rows or
//! columns of `A`, which vectorise: the matrix-vector product the matrix products of one
//! column or row (`tensor/linalg.rs`) also use. A small inner dimension stays with the tiles: there
//! they do little work each, and simple loops (without the kernels' FMA and wide
//! vectors) measured slower.

use super::pack::View;
use super::Element;
use std::ops::{Add, Mul};

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

/// `n ≤ THIN`: each column of `C` is `A` times a column of `B` ([`matrix_vector`]).
fn few_columns<T: Element>(
    m: usize,
    k: usize,
    n: usize,
    a: View<'_, T>,
    b: View<'_, T>,
    c: &mut [T],
) {
    let mut column = vec![T::default(); m];
    for j in 0..n {
        let b_j = (&b.data[j * b.cs..], b.rs);
        matrix_vector(m, k, (a.data, (a.rs, a.cs)), b_j, &mut column);
        for (i, &x) in column.iter().enumerate() {
            c[i * n + j] = x;
        }
    }
}

/// `c = A·v` for an `m × k` matrix `A` (element `(i, p)` at `i·rs + p·cs` of `a`) and a
/// `k`-vector `v` (element `p` at `p·vs`), reading `A` in its storage order: one dot
/// product per row when rows are contiguous (a strided `v` gathered first), else one
/// scaled column added per `p`, in order, from zero.
pub(crate) fn matrix_vector<T>(
    m: usize,
    k: usize,
    (a, (rs, cs)): (&[T], (usize, usize)),
    (v, vs): (&[T], usize),
    c: &mut [T],
) where
    T: Copy + Default + Add<Output = T> + Mul<Output = T>,
{
    if cs == 1 {
        let gathered: Vec<T>;
        let v = if vs == 1 {
            &v[..k]
        } else {
            gathered = (0..k).map(|p| v[p * vs]).collect();
            &gathered
        };
        for (i, ci) in c.iter_mut().enumerate().take(m) {
            *ci = dot(&a[i * rs..i * rs + k], v);
        }
    } else {
        c[..m].fill(T::default());
        for p in 0..k {
            let vp = v[p * vs];
            if rs == 1 {
                // a contiguous column (a transposed operand): slices, so it vectorises
                let column = &a[p * cs..p * cs + m];
                for (ci, &x) in c[..m].iter_mut().zip(column) {
                    *ci = *ci + x * vp;
                }
            } else {
                for (i, ci) in c.iter_mut().enumerate().take(m) {
                    *ci = *ci + a[i * rs + p * cs] * vp;
                }
            }
        }
    }
}

/// `Σ xᵢ·yᵢ` over equal-length slices, in eight interleaved sums so that it vectorises.
fn dot<T>(x: &[T], y: &[T]) -> T
where
    T: Copy + Default + Add<Output = T> + Mul<Output = T>,
{
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
