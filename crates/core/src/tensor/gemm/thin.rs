//! Products too thin for the register tiles: at most [`THIN`] columns (the weight gradient
//! of a layer with one or two inputs, a layer with a few outputs), or an inner dimension
//! of at most [`THIN`] (a layer with one or two inputs, an outer product).
//!
//! # Design
//! A tile kernel computes `MR × NR` results (8 × 32 for AVX-512 `f32`): with two columns it
//! computes sixteen times the work it keeps, into an edge buffer copied out element by
//! element (a 32 × 64 by 64 × 2 product took about as long as a 64 × 32 by 32 × 32 one,
//! which has sixteen times the multiply-adds); with an inner dimension of one or two, its
//! loop overhead and the blocking around it cost more than the multiply-adds. These loops
//! run along whole rows or columns, in blocks of [`BLOCK`] sums kept in registers, and are
//! compiled for the CPU's widest vectors ([`with_widest`]): the matrix-vector product the
//! matrix products of one column or row (`tensor/linalg.rs`) also use. Measured on an
//! AVX-512 AMD EPYC (`f32`, whole `matmul_t_into` calls, medians): 32 × 64 by 64 × 2 from
//! 670 to 355 ns, 64 × 2 by 2 × 32 from 243 to 173, 64 × 1 by 1 × 32 from 203 to 170,
//! 1 × 64 by 64 × 32 from 302 to 168.

use super::pack::View;
use super::Element;
use crate::tensor::simd::with_widest;
use std::ops::{Add, Mul};

/// The most columns, or the largest inner dimension, this path takes.
const THIN: usize = 4;

/// Sums computed together, in registers: 32 values are two AVX-512 vectors of `f32`.
const BLOCK: usize = 32;

/// `C = A·B` (`A` is `m × k`, `B` is `k × n`, `C` row-major `m × n`, overwritten) when the
/// product is thin and small enough for one thread; `false`, with `C` untouched, when it is
/// not (the caller then runs the tiles).
pub(super) fn product<T: Element>(
    (m, k, n): (usize, usize, usize),
    a: View<'_, T>,
    b: View<'_, T>,
    c: &mut [T],
) -> bool {
    let macs = m.saturating_mul(k).saturating_mul(n);
    if m == 0 || n == 0 || k == 0 {
        return false;
    }
    if n <= THIN && k > THIN && macs < super::PACK_MIN_MACS {
        with_widest(
            #[inline(always)]
            || few_columns(m, k, n, a, b, c),
        );
        true
    } else if k <= THIN && macs < super::PARALLEL_MIN_MACS {
        with_widest(
            #[inline(always)]
            || few_inner(m, k, n, a, b, c),
        );
        true
    } else {
        false
    }
}

/// `k ≤ THIN`: [`BLOCK`] columns of `C` at a time, each row the combination of the `k`
/// rows of `B`'s block (held in registers) with that row of `A`.
#[inline(always)]
fn few_inner<T: Element>(
    m: usize,
    k: usize,
    n: usize,
    a: View<'_, T>,
    b: View<'_, T>,
    c: &mut [T],
) {
    match k {
        1 => few_inner_k::<T, 1>(m, n, a, b, c),
        2 => few_inner_k::<T, 2>(m, n, a, b, c),
        3 => few_inner_k::<T, 3>(m, n, a, b, c),
        _ => few_inner_k::<T, THIN>(m, n, a, b, c),
    }
}

/// [`few_inner`] for an inner dimension of `K`, known at compile time so that its loops
/// unroll.
#[inline(always)]
fn few_inner_k<T: Element, const K: usize>(
    m: usize,
    n: usize,
    a: View<'_, T>,
    b: View<'_, T>,
    c: &mut [T],
) {
    let full = n - n % BLOCK;
    for j0 in (0..full).step_by(BLOCK) {
        let mut rows = [[T::default(); BLOCK]; K];
        for (p, row) in rows.iter_mut().enumerate() {
            for (l, x) in row.iter_mut().enumerate() {
                *x = b.data[p * b.rs + (j0 + l) * b.cs];
            }
        }
        for i in 0..m {
            let mut acc = [T::default(); BLOCK];
            for (p, row) in rows.iter().enumerate() {
                let x = a.data[i * a.rs + p * a.cs];
                for l in 0..BLOCK {
                    acc[l] += x * row[l];
                }
            }
            let out: &mut [T; BLOCK] = (&mut c[i * n + j0..][..BLOCK]).try_into().unwrap();
            *out = acc;
        }
    }
    if full < n {
        for i in 0..m {
            let out = &mut c[i * n + full..(i + 1) * n];
            out.fill(T::default());
            for p in 0..K {
                let x = a.data[i * a.rs + p * a.cs];
                for (l, cj) in out.iter_mut().enumerate() {
                    *cj += x * b.data[p * b.rs + (full + l) * b.cs];
                }
            }
        }
    }
}

/// `n ≤ THIN`: each column of `C` is `A` times a column of `B` ([`matrix_vector`]).
#[inline(always)]
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
        matrix_vector_here(m, k, (a.data, (a.rs, a.cs)), b_j, &mut column);
        for (i, &x) in column.iter().enumerate() {
            c[i * n + j] = x;
        }
    }
}

/// `c = A·v` for an `m × k` matrix `A` (element `(i, p)` at `i·rs + p·cs` of `a`) and a
/// `k`-vector `v` (element `p` at `p·vs`), reading `A` in its storage order: one dot
/// product per row when rows are contiguous (a strided `v` gathered first), else one
/// scaled column added per `p`, in order, from zero; compiled for the CPU's widest vectors.
pub(crate) fn matrix_vector<T>(
    m: usize,
    k: usize,
    a: (&[T], (usize, usize)),
    v: (&[T], usize),
    c: &mut [T],
) where
    T: Copy + Default + Add<Output = T> + Mul<Output = T>,
{
    with_widest(
        #[inline(always)]
        || matrix_vector_here(m, k, a, v, c),
    )
}

/// [`matrix_vector`], inlined into its caller (and so compiled for its caller's vectors).
#[inline(always)]
fn matrix_vector_here<T>(
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
    } else if rs == 1 {
        // Contiguous columns (a transposed operand): BLOCK rows at a time, summed in
        // registers over every column.
        let mut blocks = c[..m].chunks_exact_mut(BLOCK);
        for (q, block) in (&mut blocks).enumerate() {
            let mut acc = [T::default(); BLOCK];
            for p in 0..k {
                let (vp, column) = (v[p * vs], &a[p * cs + q * BLOCK..][..BLOCK]);
                for l in 0..BLOCK {
                    acc[l] = acc[l] + column[l] * vp;
                }
            }
            block.copy_from_slice(&acc);
        }
        let tail = blocks.into_remainder();
        let i0 = m - tail.len();
        tail.fill(T::default());
        for p in 0..k {
            let (vp, column) = (v[p * vs], &a[p * cs + i0..p * cs + m]);
            for (ci, &x) in tail.iter_mut().zip(column) {
                *ci = *ci + x * vp;
            }
        }
    } else {
        c[..m].fill(T::default());
        for p in 0..k {
            let vp = v[p * vs];
            for (i, ci) in c.iter_mut().enumerate().take(m) {
                *ci = *ci + a[i * rs + p * cs] * vp;
            }
        }
    }
}

/// `Σ xᵢ·yᵢ` over equal-length slices, in eight interleaved sums so that it vectorises.
#[inline(always)]
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
