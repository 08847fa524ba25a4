//! Packing: copying a block of an operand, whatever its strides, into the contiguous
//! slivers the micro-kernels read (`kernel.rs` gives the layouts), padded with zeros to a
//! whole sliver. A transposed operand is packed straight from its storage, never copied
//! into a transposed matrix first.

use super::transpose::Transpose;

/// A strided matrix view: element `(i, j)` at `data[i·rs + j·cs]`.
#[derive(Clone, Copy)]
pub(crate) struct View<'a, T> {
    pub data: &'a [T],
    pub rs: usize,
    pub cs: usize,
}

impl<T: Copy> View<'_, T> {
    /// The view from element `(i, j)` on.
    fn at(&self, i: usize, j: usize) -> &[T] {
        &self.data[i * self.rs + j * self.cs..]
    }
}

/// Packs rows `rows` and columns `cols` of `a` into slivers of `mr` rows: sliver `q` at
/// `dst[q·mr·kc..]` holds, for each column `p`, its `mr` rows together (`kc = cols.len()`).
pub(crate) fn pack_a<T: Transpose + Default>(
    a: View<'_, T>,
    rows: std::ops::Range<usize>,
    cols: std::ops::Range<usize>,
    mr: usize,
    dst: &mut [T],
) {
    let kc = cols.len();
    let rows_len = rows.len();
    for (q, sliver) in dst
        .chunks_exact_mut(mr * kc)
        .take(rows_len.div_ceil(mr))
        .enumerate()
    {
        let first = rows.start + q * mr;
        let live = mr.min(rows_len - q * mr);
        if a.cs == 1 {
            // Rows are contiguous: the block copied transposed.
            T::transpose(a.at(first, cols.start), a.rs, live, kc, sliver, mr);
        } else {
            // Columns are contiguous (a transposed operand) or neither: one `p` at a time.
            for p in 0..kc {
                let dst = &mut sliver[p * mr..p * mr + live];
                if a.rs == 1 {
                    dst.copy_from_slice(&a.at(first, cols.start + p)[..live]);
                } else {
                    for (i, d) in dst.iter_mut().enumerate() {
                        *d = a.at(first + i, cols.start + p)[0];
                    }
                }
            }
        }
        if live < mr {
            for p in 0..kc {
                sliver[p * mr + live..(p + 1) * mr].fill(T::default());
            }
        }
    }
}

/// Packs rows `rows` and columns `cols` of `b` into slivers of `nr` columns: sliver `q` at
/// `dst[q·nr·kc..]` holds, for each row `p`, its `nr` columns together (`kc = rows.len()`).
pub(crate) fn pack_b<T: Transpose + Default>(
    b: View<'_, T>,
    rows: std::ops::Range<usize>,
    cols: std::ops::Range<usize>,
    nr: usize,
    dst: &mut [T],
) {
    let kc = rows.len();
    let cols_len = cols.len();
    if b.cs == 1 {
        // Rows are contiguous: each row read once, front to back, in copies of a
        // constant length for the kernels' widths (a `memmove` call per 64 or 128 bytes
        // was 4.5% of an n = 1024 product). Other widths (none of the kernels') take the
        // element loop below.
        let row = |p: usize| &b.at(p, cols.start)[..cols_len];
        let rows = rows.clone().map(|p| {
            // Each row is a short run (an `NC`-column block of a long row, 1 KiB of a
            // 4 KiB one at n = 1024) that the hardware prefetcher has no time to follow.
            if p + PREFETCH_ROWS < rows.end {
                prefetch(row(p + PREFETCH_ROWS));
            }
            row(p)
        });
        match nr {
            32 => return scatter_rows::<T, 32>(rows, kc, dst),
            16 => return scatter_rows::<T, 16>(rows, kc, dst),
            8 => return scatter_rows::<T, 8>(rows, kc, dst),
            _ => {}
        }
    }
    for (q, sliver) in dst
        .chunks_exact_mut(nr * kc)
        .take(cols_len.div_ceil(nr))
        .enumerate()
    {
        let first = cols.start + q * nr;
        let live = nr.min(cols_len - q * nr);
        if b.rs == 1 {
            // Columns are contiguous (a transposed operand): the block copied transposed.
            T::transpose(b.at(rows.start, first), b.cs, live, kc, sliver, nr);
        } else {
            for p in 0..kc {
                for j in 0..live {
                    sliver[p * nr + j] = b.at(rows.start + p, first + j)[0];
                }
            }
        }
        if live < nr {
            for p in 0..kc {
                sliver[p * nr + live..(p + 1) * nr].fill(T::default());
            }
        }
    }
}

/// Rows of `B` ahead of the one being packed whose lines are asked for ([`prefetch`]): +1%
/// on an `n = 1024` product, whose packing of `B` fell from 3.9% to 2.6% of its time (one
/// thread, AVX-512 AMD EPYC, `perf`).
const PREFETCH_ROWS: usize = 6;

/// Asks the CPU to bring the cache lines of `values` into L1: a hint, nothing is read.
#[inline(always)]
fn prefetch<T>(values: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let per_line = (64 / std::mem::size_of::<T>()).max(1);
        for line in values.chunks(per_line) {
            // SAFETY: a prefetch is a hint: it reads nothing and cannot fault.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(line.as_ptr().cast()) }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = values;
}

/// Packs `kc` rows of equal length into slivers of `N` columns, one row at a time: value
/// `j` of row `p` goes to `dst[(j / N)·N·kc + p·N + j % N]`, and a last partial sliver is
/// padded with zeros.
fn scatter_rows<'a, T: Copy + Default + 'a, const N: usize>(
    rows: impl Iterator<Item = &'a [T]>,
    kc: usize,
    dst: &mut [T],
) {
    for (p, row) in rows.enumerate() {
        let mut slivers = dst.chunks_exact_mut(N * kc);
        let mut chunks = row.chunks_exact(N);
        for (chunk, sliver) in (&mut chunks).zip(&mut slivers) {
            let chunk: &[T; N] = chunk.try_into().expect("N values");
            sliver[p * N..(p + 1) * N].copy_from_slice(chunk);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let d = &mut slivers.next().expect("a sliver for the last columns")[p * N..];
            d[..rest.len()].copy_from_slice(rest);
            d[rest.len()..N].fill(T::default());
        }
    }
}
