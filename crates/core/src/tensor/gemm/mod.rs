//! The matrix product `C = A·B` for `f32` and `f64`: strided operands (a transposed one
//! is read in place), row-major `C`, BLIS-style blocking around register-tile
//! micro-kernels for AVX-512F, AVX2 + FMA and portable Rust, chosen at run time
//! ([`simd`]), and split over the worker threads when the product is large enough to pay.
//!
//! # Blocking
//! For each block of rows of `A` (at most [`A_BLOCK_BYTES`] packed) and `KC` ([`kc`])
//! of the inner dimension, the block of `A` is packed into `MR`-row slivers; then for each
//! block of `NC` columns of `B` (sized so the packed `KC × NC` block stays in the L2
//! cache), that block is packed into `NR`-column slivers, and the micro-kernel runs over
//! every (`A` sliver, `B` sliver) pair, the `A` sliver (`KC·MR` values) staying in L1
//! while the `B` slivers stream from L2. The first `KC` block overwrites `C` and the rest
//! add to it, so `C` need not be initialised.

mod kernel;
mod pack;
#[cfg(test)]
mod tests;
mod thin;
mod transpose;

use super::simd::{simd, with_widest, Simd};
use crate::float::{relu, Activation};
use kernel::{Kernel, Sliver, Store};
pub(crate) use pack::View;
use pack::{pack_a, pack_b};
pub(crate) use thin::matrix_vector;

/// The inner-dimension block for elements of `T`: a packed `A` sliver of `KC·MR` values
/// stays in L1 (8–16 KB). 512 for `f32` (its sliver of 8 rows is 16 KB): fewer passes over
/// `C`, 1–2% faster at n = 1024 on one thread (AVX-512 AMD EPYC, alternated 8 times);
/// 256 for `f64`, where 512 was 1.5% slower.
const fn kc<T>() -> usize {
    if std::mem::size_of::<T>() <= 4 {
        512
    } else {
        256
    }
}

/// Bytes of `A` packed at once, at most. The block is read one sliver at a time (each
/// stays in L1 while the `B` slivers pass), so its size bounds only the buffer; but every
/// block of rows packs `B` again, so a product of up to this many bytes of rows packs `B`
/// once (`m = 1024` as one block of 960 rows and one of 64 packed `B` twice: 3–5% of an
/// `n = 1024` product).
const A_BLOCK_BYTES: usize = 2 << 20;

/// Multiply-adds from which a product packs its operands (about 25 µs of one core's work);
/// below, it reads them in place (see [`run_serial`]).
const PACK_MIN_MACS: usize = 1 << 22;

/// Multiply-adds from which a product is split over the worker threads (about 10 µs of
/// one core's work at the AVX2 peak; below it the hand-off costs more than it saves).
const PARALLEL_MIN_MACS: usize = 1 << 20;

/// The largest `MR × NR` of the kernels (AVX-512 `f32`, 8 × 32).
const MAX_TILE: usize = 8 * 32;

/// What a product does to each value of `C` after its last sum: add a bias per column,
/// then apply an activation (`linear`, and `linear` then `relu`, `tanh` or `gelu` in a
/// plan). The bias and `relu` are applied while the tile is still in registers, `tanh` and
/// `gelu` to each block of rows of `C` just written (in L1), as the slice functions their
/// ops map. Same values as a second pass over `C` would give, to the bit.
#[derive(Clone, Copy)]
pub struct Epilogue<'a, T> {
    /// `n` values, one per column of `C`.
    pub bias: Option<&'a [T]>,
    /// The activation after the bias.
    pub then: Option<Activation>,
}

impl<T: crate::Float> Epilogue<'_, T> {
    /// Nothing: the sums as they are.
    pub const NONE: Self = Epilogue {
        bias: None,
        then: None,
    };

    /// The epilogue as a pass over `c`, rows of `n` values: for the products that do not
    /// run the tiles (thin ones, no inner dimension, matrix-vector products).
    pub(crate) fn apply(&self, c: &mut [T], n: usize) {
        if let Some(bias) = self.bias {
            with_widest(
                #[inline(always)]
                || add_to_rows(c, &bias[..n]),
            );
        }
        if let Some(then) = self.then {
            then.apply_in_place(c);
        }
    }
}

/// `row += bias` for each row of `c` (rows of `bias.len()` values), in fixed chunks of 16
/// values: a plain loop over a row of 32 is shorter than the compiler's vectorised body
/// (4 vectors of 16) and ran as its scalar remainder.
#[inline(always)]
fn add_to_rows<T>(c: &mut [T], bias: &[T])
where
    T: Copy + std::ops::Add<Output = T>,
{
    const LANES: usize = 16;
    if let [b] = *bias {
        c.iter_mut().for_each(|v| *v = *v + b);
        return;
    }
    for row in c.chunks_exact_mut(bias.len()) {
        let mut row = row.chunks_exact_mut(LANES);
        let mut bias = bias.chunks_exact(LANES);
        for (v, b) in (&mut row).zip(&mut bias) {
            let (mut sum, b): ([T; LANES], [T; LANES]) = (
                v.try_into().expect("16 values"),
                b.try_into().expect("16 values"),
            );
            for (s, b) in sum.iter_mut().zip(b) {
                *s = *s + b;
            }
            v.copy_from_slice(&sum);
        }
        for (v, &b) in row.into_remainder().iter_mut().zip(bias.remainder()) {
            *v = *v + b;
        }
    }
}

/// Bytes of the L2 cache of one core (from sysfs on Linux; 1 MiB where unknown).
fn l2_bytes() -> usize {
    static L2: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *L2.get_or_init(|| {
        let read = |i: usize| -> Option<(usize, usize)> {
            let dir = format!("/sys/devices/system/cpu/cpu0/cache/index{i}");
            let level = std::fs::read_to_string(format!("{dir}/level")).ok()?;
            let size = std::fs::read_to_string(format!("{dir}/size")).ok()?;
            let size = size.trim();
            let bytes = match size.strip_suffix('K') {
                Some(k) => k.parse::<usize>().ok()? << 10,
                None => match size.strip_suffix('M') {
                    Some(m) => m.parse::<usize>().ok()? << 20,
                    None => size.parse().ok()?,
                },
            };
            Some((level.trim().parse().ok()?, bytes))
        };
        (0..8)
            .filter_map(read)
            .find(|&(level, _)| level == 2)
            .map_or(1 << 20, |(_, bytes)| bytes)
    })
}

/// Rows of `A` packed at once for kernel `K`, out of `m`: as few blocks as
/// [`A_BLOCK_BYTES`] allows, of even size in whole slivers.
fn mc_for<T, K: Kernel<T>>(m: usize) -> usize {
    let most = (A_BLOCK_BYTES / (kc::<T>() * std::mem::size_of::<T>()) / K::MR * K::MR).max(K::MR);
    m.div_ceil(m.div_ceil(most).max(1)).next_multiple_of(K::MR)
}

/// Columns of `B` packed at once for kernel `K`: the packed `KC × NC` block fills about
/// half of L2, in whole slivers, from 4 slivers to 4096 columns.
fn nc_for<T, K: Kernel<T>>() -> usize {
    let fit = l2_bytes() / 2 / (kc::<T>() * std::mem::size_of::<T>());
    (fit / K::NR * K::NR).clamp(4 * K::NR, 4096)
}

/// Packing buffers of one thread, reused from call to call: cache-line aligned, grown on
/// demand, never shrunk.
#[repr(C, align(64))]
#[derive(Clone, Copy)]
struct Line([u8; 64]);

thread_local! {
    static BUFFERS: std::cell::RefCell<(Vec<Line>, Vec<Line>)> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

/// `f(a_pack, b_pack)` with this thread's packing buffers of at least `a_len` and `b_len`
/// elements (fresh ones if the thread's are in use).
fn with_buffers<T: Element, R>(
    a_len: usize,
    b_len: usize,
    f: impl FnOnce(&mut [T], &mut [T]) -> R,
) -> R {
    let lines = |len: usize| (len * std::mem::size_of::<T>()).div_ceil(64);
    let run = |a: &mut Vec<Line>, b: &mut Vec<Line>| {
        for (v, len) in [(&mut *a, a_len), (&mut *b, b_len)] {
            if v.len() < lines(len) {
                v.resize(lines(len), Line([0; 64]));
            }
        }
        // SAFETY: `T` is `f32` or `f64` (the `Element`s): every bit pattern is a
        // value, and 64-byte aligned storage of `lines(len)·64` bytes holds `len` of them.
        let (a, b) = unsafe {
            (
                std::slice::from_raw_parts_mut(a.as_mut_ptr().cast::<T>(), a_len),
                std::slice::from_raw_parts_mut(b.as_mut_ptr().cast::<T>(), b_len),
            )
        };
        f(a, b)
    };
    BUFFERS.with(|cell| match cell.try_borrow_mut() {
        Ok(mut bufs) => {
            let (a, b) = &mut *bufs;
            run(a, b)
        }
        Err(_) => run(&mut Vec::new(), &mut Vec::new()),
    })
}

/// `C = A·B` on the calling thread, kernel `K`: `A` is `m × k`, `B` is `k × n`, and `C`
/// row-major with row stride `ldc` at `c`.
///
/// A product of fewer than [`PACK_MIN_MACS`] multiply-adds reads its operands where they
/// lie (`B` only if its rows are contiguous), packing only the slivers at the edges,
/// where a kernel would read past the matrix: at those sizes a packed element is used
/// too few times to repay its copy (`rnn_step`'s 32 × 128 by 128 × 128 spent more
/// instructions packing than multiplying).
///
/// # Safety
/// The views must hold every element of their matrices, `c[i·ldc + j]` must be valid and
/// unaliased for `i < m`, `j < n`, and the CPU must have `K`'s instruction set.
unsafe fn run_serial<T: Element, K: Kernel<T>>(
    (m, k, n): (usize, usize, usize),
    a: View<'_, T>,
    b: View<'_, T>,
    c: *mut T,
    ldc: usize,
    packing: Packing,
    then: Epilogue<'_, T>,
) {
    let (mr, nr) = (K::MR, K::NR);
    let small = match packing {
        Packing::BySize => m.saturating_mul(k).saturating_mul(n) < PACK_MIN_MACS,
        Packing::Always => false,
        Packing::Never => true,
    };
    let (pack_all_a, pack_all_b) = (!small, !small || b.cs != 1);
    let nc = nc_for::<T, K>();
    let mc = mc_for::<T, K>(m);
    let kc_max = kc::<T>().min(k);
    let a_len = if pack_all_a {
        kc_max * mc.min(m.next_multiple_of(mr))
    } else {
        kc_max * mr
    };
    let b_len = if pack_all_b {
        kc_max * nc.min(n.next_multiple_of(nr))
    } else {
        kc_max * nr
    };
    with_buffers::<T, _>(a_len, b_len, |a_pack, b_pack| {
        let mut edge = [T::default(); MAX_TILE];
        for ic in (0..m).step_by(mc) {
            let mb = mc.min(m - ic);
            for pc in (0..k).step_by(kc::<T>()) {
                let kb = kc::<T>().min(k - pc);
                // the last block of the inner dimension, after which the epilogue runs
                let last = pc + kb == k;
                if pack_all_a {
                    pack_a(a, ic..ic + mb, pc..pc + kb, mr, a_pack);
                } else if mb % mr != 0 {
                    // only the last, partial sliver
                    pack_a(a, ic + mb / mr * mr..ic + mb, pc..pc + kb, mr, a_pack);
                }
                for jc in (0..n).step_by(nc) {
                    let nb = nc.min(n - jc);
                    if pack_all_b {
                        pack_b(b, pc..pc + kb, jc..jc + nb, nr, b_pack);
                    } else if nb % nr != 0 {
                        pack_b(b, pc..pc + kb, jc + nb / nr * nr..jc + nb, nr, b_pack);
                    }
                    for ir in (0..mb).step_by(mr) {
                        let rows = mr.min(mb - ir);
                        let ap = if pack_all_a {
                            Sliver::packed_a(&a_pack[ir * kb..], mr)
                        } else if rows < mr {
                            Sliver::packed_a(a_pack, mr)
                        } else {
                            let at = (ic + ir) * a.rs + pc * a.cs;
                            Sliver {
                                ptr: a.data[at..].as_ptr(),
                                rs: a.rs,
                                cs: a.cs,
                            }
                        };
                        for jr in (0..nb).step_by(nr) {
                            let cols = nr.min(nb - jr);
                            let bp = if pack_all_b {
                                Sliver::packed_b(&b_pack[jr * kb..], nr)
                            } else if cols < nr {
                                Sliver::packed_b(b_pack, nr)
                            } else {
                                let at = pc * b.rs + jc + jr;
                                Sliver {
                                    ptr: b.data[at..].as_ptr(),
                                    rs: b.rs,
                                    cs: 0,
                                }
                            };
                            // SAFETY: the tile of `C` at (ic + ir, jc + jr) is in the
                            // caller's `m × n`; a sliver read in place is a whole one
                            // (`rows == mr`, `cols == nr`) inside its view, a packed one
                            // holds `kb·mr` (`kb·nr`) values.
                            unsafe {
                                let ct = c.add((ic + ir) * ldc + jc + jr);
                                let bias = then.bias.filter(|_| last).map(|b| &b[jc + jr..]);
                                let relu_here = last && then.then == Some(Activation::Relu);
                                if rows == mr && cols == nr {
                                    let store = Store {
                                        accumulate: pc > 0,
                                        bias: bias.map(<[T]>::as_ptr),
                                        relu: relu_here,
                                    };
                                    K::tile(kb, ap, bp, ct, ldc, store);
                                } else {
                                    // An edge tile: the whole tile into `edge`, then the part
                                    // inside `C`.
                                    let store = Store::sums(false);
                                    K::tile(kb, ap, bp, edge.as_mut_ptr(), nr, store);
                                    for i in 0..rows {
                                        for j in 0..cols {
                                            let (x, cij) = (edge[i * nr + j], ct.add(i * ldc + j));
                                            let x = if pc > 0 { *cij + x } else { x };
                                            let x = bias.map_or(x, |b| x + b[j]);
                                            *cij = if relu_here { relu(x) } else { x };
                                        }
                                    }
                                }
                            }
                        }
                        if let Some(act) = then.then.filter(|&a| last && a != Activation::Relu) {
                            // the activation the tiles could not apply in registers, to
                            // these rows of `C` while they are in L1: as one slice when
                            // the rows are whole (fewer calls on small products)
                            let (first, len, count) = if nb == ldc {
                                ((ic + ir) * ldc, rows * nb, 1)
                            } else {
                                ((ic + ir) * ldc + jc, nb, rows)
                            };
                            for r in 0..count {
                                // SAFETY: rows `ic + ir..ic + ir + rows`, columns
                                // `jc..jc + nb`, are in the caller's `m × n`, written by
                                // the tiles above and borrowed by nothing else.
                                let values = unsafe {
                                    std::slice::from_raw_parts_mut(c.add(first + r * ldc), len)
                                };
                                act.apply_in_place(values);
                            }
                        }
                    }
                }
            }
        }
    });
}

/// Whether a product packs its operands: by its size (what [`gemm`] does), or always or
/// never (to test both ways on any size).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Packing {
    /// Pack from [`PACK_MIN_MACS`] multiply-adds on.
    BySize,
    /// Pack both operands.
    #[cfg_attr(not(test), allow(dead_code))]
    Always,
    /// Pack only the edge slivers (and `B` when its rows are not contiguous).
    #[cfg_attr(not(test), allow(dead_code))]
    Never,
}

/// The element types the GEMM serves, each choosing its kernel for an instruction-set
/// level.
pub(crate) trait Element: transpose::Transpose + crate::Float {
    /// `C = A·B` (`A` is `m × k`, `B` is `k × n`, `C` row-major `m × n`) with the kernels
    /// of `level` and the given packing, over at most `threads` threads, then `then`.
    ///
    /// # Panics
    /// When `level` is above what this CPU has, or the views, `c` or the bias are too
    /// short (see [`gemm`]).
    #[allow(clippy::too_many_arguments)]
    fn product(
        level: Simd,
        dims: (usize, usize, usize),
        a: View<'_, Self>,
        b: View<'_, Self>,
        c: &mut [Self],
        threads: usize,
        packing: Packing,
        then: Epilogue<'_, Self>,
    );
}

macro_rules! element {
    ($t:ty, $avx512:ident, $avx2:ident) => {
        impl Element for $t {
            fn product(
                level: Simd,
                dims: (usize, usize, usize),
                a: View<'_, Self>,
                b: View<'_, Self>,
                c: &mut [Self],
                threads: usize,
                packing: Packing,
                then: Epilogue<'_, Self>,
            ) {
                assert!(level <= Simd::detected(), "this CPU has no {level:?}");
                check_extents(dims, &a, &b, c.len());
                assert!(
                    then.bias.is_none_or(|b| b.len() == dims.2),
                    "gemm: a bias of {} values for {} columns",
                    then.bias.map_or(0, <[_]>::len),
                    dims.2
                );
                if packing == Packing::BySize && thin::product(dims, a, b, c) {
                    then.apply(c, dims.2);
                    return;
                }
                let run = match level {
                    #[cfg(target_arch = "x86_64")]
                    Simd::Avx512 => run::<$t, kernel::$avx512>,
                    #[cfg(target_arch = "x86_64")]
                    Simd::Avx2 => run::<$t, kernel::$avx2>,
                    _ => run::<$t, kernel::Portable>,
                };
                run(dims, a, b, c, threads, packing, then)
            }
        }
    };
}
element!(f32, Avx512F32, Avx2F32);
element!(f64, Avx512F64, Avx2F64);

/// `C = A·B` with the kernels of this CPU (capped by `TAPEGRAD_SIMD`): `A` is `m × k`,
/// `B` is `k × n` (strided views), and the `m × n` result overwrites `c` in row-major
/// order (its old contents are never read), with `then` applied to each value as it is
/// stored ([`Epilogue::NONE`] for the sums as they are). Split over at most `threads`
/// threads when it is large enough to pay.
///
/// # Panics
/// When `c` is not `m·n` long or a view's strides reach past its slice (checked here,
/// before any unsafe kernel runs, so no caller can make one read or write out of bounds),
/// and when the bias is not `n` long.
#[track_caller]
pub(crate) fn gemm<T: Element>(
    dims: (usize, usize, usize),
    a: View<'_, T>,
    b: View<'_, T>,
    c: &mut [T],
    threads: usize,
    then: Epilogue<'_, T>,
) {
    T::product(simd(), dims, a, b, c, threads, Packing::BySize, then)
}

/// Panics unless `a` holds an `m × k` matrix, `b` a `k × n` one and `c` is `m·n` long.
#[track_caller]
fn check_extents<T>(
    (m, k, n): (usize, usize, usize),
    a: &View<'_, T>,
    b: &View<'_, T>,
    c_len: usize,
) {
    // The offset of the last element of a `rows×cols` view, if it is inside its slice.
    let fits = |rows: usize, cols: usize, v: &View<'_, T>| {
        rows == 0
            || cols == 0
            || (rows - 1)
                .checked_mul(v.rs)
                .and_then(|r| r.checked_add((cols - 1).checked_mul(v.cs)?))
                .is_some_and(|last| last < v.data.len())
    };
    assert!(
        m.checked_mul(n) == Some(c_len) && fits(m, k, a) && fits(k, n, b),
        "gemm: {m}×{k} (strides {}, {}) in {} elements times {k}×{n} (strides {}, {}) in {} \
         elements into {c_len} elements is out of bounds",
        a.rs,
        a.cs,
        a.data.len(),
        b.rs,
        b.cs,
        b.data.len()
    );
}

/// `C = A·B` with kernel `K`, its columns (or rows, whichever has more slivers) split into
/// one contiguous run per thread when the product has at least [`PARALLEL_MIN_MACS`]
/// multiply-adds; the calling thread runs the first run, the worker pool the others.
fn run<T: Element, K: Kernel<T>>(
    (m, k, n): (usize, usize, usize),
    a: View<'_, T>,
    b: View<'_, T>,
    c: &mut [T],
    threads: usize,
    packing: Packing,
    then: Epilogue<'_, T>,
) {
    const { assert!(K::MR * K::NR <= MAX_TILE) };
    if m == 0 || n == 0 {
        return;
    }
    if k == 0 {
        c.fill(T::default());
        then.apply(c, n);
        return;
    }
    // each part writes its own columns (or rows) of `C`
    let out = super::workers::Disjoint(c.as_mut_ptr());
    let macs = m.saturating_mul(k).saturating_mul(n);
    let by_cols = n.div_ceil(K::NR) >= m.div_ceil(K::MR);
    let (len, unit) = if by_cols { (n, K::NR) } else { (m, K::MR) };
    let parts = if macs >= PARALLEL_MIN_MACS {
        threads.min(len.div_ceil(unit))
    } else {
        1
    };
    let chunk = len.div_ceil(unit).div_ceil(parts.max(1)) * unit;
    let run_part = move |start: usize| {
        let end = (start + chunk).min(len);
        // SAFETY: `check_extents` made the views and `c` hold the whole product; each
        // part writes only its own columns `start..end` (or rows), so no two alias, and
        // `run`'s caller chose a kernel this CPU has.
        unsafe {
            if by_cols {
                let b = View {
                    data: &b.data[start * b.cs..],
                    ..b
                };
                let then = Epilogue {
                    bias: then.bias.map(|bias| &bias[start..]),
                    ..then
                };
                let (dims, c) = ((m, k, end - start), out.at(start));
                run_serial::<T, K>(dims, a, b, c, n, packing, then);
            } else {
                let a = View {
                    data: &a.data[start * a.rs..],
                    ..a
                };
                let (dims, c) = ((end - start, k, n), out.at(start * n));
                run_serial::<T, K>(dims, a, b, c, n, packing, then);
            }
        }
    };
    super::workers::for_each_part(len.div_ceil(chunk), &|i| run_part(i * chunk));
}
