//! The GEMM's micro-kernels: each multiplies one `MR × kc` sliver of `A` by one `kc × NR`
//! sliver of `B` into an `MR × NR` tile of `C` held in registers.
//!
//! A sliver is read where it lies ([`Sliver`]): packed (see `pack.rs`: the `A` sliver
//! stores, for each `p < kc`, its `MR` values of column `p` together, `a[p·MR + i]`; the
//! `B` sliver its `NR` values of row `p`, `b[p·NR + j]`) or straight from the operand when
//! the product is too small for packing to pay. Each step of `p` loads the `B` row as
//! vectors (its columns must be contiguous), broadcasts each `A` value, and adds their
//! products into the `MR × NR/lanes` accumulator vectors: one fused multiply-add per
//! accumulator, no shuffles.

/// Where a kernel reads a sliver: element `(i, p)` of an `A` sliver (or `(p, j)` of a `B`
/// sliver) at `ptr[i·rs + p·cs]` (`ptr[p·rs + j]`, `cs` unused, for `B`).
#[derive(Clone, Copy)]
pub(crate) struct Sliver<T> {
    pub ptr: *const T,
    pub rs: usize,
    pub cs: usize,
}

impl<T> Sliver<T> {
    /// A packed `A` sliver starting at `packed[0]`: `mr` values per column.
    pub(crate) fn packed_a(packed: &[T], mr: usize) -> Self {
        Sliver {
            ptr: packed.as_ptr(),
            rs: 1,
            cs: mr,
        }
    }

    /// A packed `B` sliver starting at `packed[0]`: `nr` values per row.
    pub(crate) fn packed_b(packed: &[T], nr: usize) -> Self {
        Sliver {
            ptr: packed.as_ptr(),
            rs: nr,
            cs: 0,
        }
    }
}

/// How a kernel stores its tile: added to `C` or over it, and, after the last block of the
/// inner dimension, with a bias per column and `relu` applied while the sums are still in
/// registers (`linear`'s epilogue: no second pass over `C`).
#[derive(Clone, Copy)]
pub(crate) struct Store<T> {
    /// Add the sums to `C` (a later block of the inner dimension) instead of overwriting
    /// it (whose old contents are then never read).
    pub accumulate: bool,
    /// `NR` values added to each row of the tile, after the sums.
    pub bias: Option<*const T>,
    /// `relu` after the bias: `x` where `x > 0` or `x` is NaN, else `+0`.
    pub relu: bool,
}

impl<T> Store<T> {
    /// The sums as they are, over `C` or added to it.
    pub(crate) fn sums(accumulate: bool) -> Self {
        Store {
            accumulate,
            bias: None,
            relu: false,
        }
    }
}

/// A micro-kernel of `MR × NR` for element type `T`.
pub(crate) trait Kernel<T> {
    /// Rows of the tile (values of `A` broadcast per step).
    const MR: usize;
    /// Columns of the tile (a whole number of vectors).
    const NR: usize;

    /// `C[i, j] (+)= Σ_p A[i, p] · B[p, j]` for `i < MR`, `j < NR`, where `C[i, j]` is
    /// `c[i·rsc + j]`, stored as `store` says ([`Store`]).
    ///
    /// # Safety
    /// Every element of the `MR × kc` sliver `a` and the `kc × NR` sliver `b` must be
    /// valid for reads, and so must `store.bias`'s `NR` values; every `c[i·rsc + j]` of
    /// the tile valid for reads and writes and not aliased; and the CPU must have the
    /// kernel's instruction set (the caller checked [`simd`](super::super::simd::simd)).
    unsafe fn tile(kc: usize, a: Sliver<T>, b: Sliver<T>, c: *mut T, rsc: usize, store: Store<T>);
}

/// The portable kernel: plain arrays the compiler keeps in registers and vectorises for
/// the baseline target (4 × 8).
pub(crate) struct Portable;

macro_rules! portable_kernel {
    ($t:ty) => {
        impl Kernel<$t> for Portable {
            const MR: usize = 4;
            const NR: usize = 8;

            unsafe fn tile(
                kc: usize,
                a: Sliver<$t>,
                b: Sliver<$t>,
                c: *mut $t,
                rsc: usize,
                store: Store<$t>,
            ) {
                const MR: usize = 4;
                const NR: usize = 8;
                let mut acc = [[0.0 as $t; NR]; MR];
                for p in 0..kc {
                    let (mut ap, mut bp) = ([0.0 as $t; MR], [0.0 as $t; NR]);
                    // SAFETY: `p < kc`, inside the slivers the caller made valid.
                    unsafe {
                        for (i, x) in ap.iter_mut().enumerate() {
                            *x = *a.ptr.add(i * a.rs + p * a.cs);
                        }
                        for (j, x) in bp.iter_mut().enumerate() {
                            *x = *b.ptr.add(p * b.rs + j);
                        }
                    }
                    for i in 0..MR {
                        for j in 0..NR {
                            acc[i][j] += ap[i] * bp[j];
                        }
                    }
                }
                for (i, row) in acc.iter().enumerate() {
                    for (j, &x) in row.iter().enumerate() {
                        // SAFETY: inside the tile and the bias the caller made valid.
                        unsafe {
                            let cij = c.add(i * rsc + j);
                            let x = if store.accumulate { *cij + x } else { x };
                            let x = match store.bias {
                                Some(bias) => x + *bias.add(j),
                                None => x,
                            };
                            *cij = if store.relu { crate::float::relu(x) } else { x };
                        }
                    }
                }
            }
        }
    };
}
portable_kernel!(f32);
portable_kernel!(f64);

/// Steps of the inner dimension before its end at which an x86-64 kernel prefetches its
/// tile of `C` (20 steps are 160–240 cycles, about a load from L3). With the prefetch of
/// `B`'s rows while packing (`pack.rs`): +1% on an `n = 1024` product on one thread, +3–5%
/// on two and on the AVX2 kernels (AVX-512 AMD EPYC, medians of rounds alternated in one
/// process).
#[cfg(target_arch = "x86_64")]
const C_PREFETCH_STEPS: usize = 20;

/// An x86-64 kernel of `$mr` rows by `$nv` vectors of `$lanes` lanes, compiled for
/// `$feature`, from that instruction set's load, store, broadcast, add and FMA.
#[cfg(target_arch = "x86_64")]
macro_rules! fma_kernel {
    (
        $(#[$doc:meta])*
        $name:ident, $module:ident, $t:ty, $feature:literal, $mr:literal x $nv:literal x $lanes:literal,
        $zero:ident, $set1:ident, $load:ident, $store:ident, $add:ident, $fma:ident,
        $relu:expr
    ) => {
        $(#[$doc])*
        pub(crate) struct $name;

        impl Kernel<$t> for $name {
            const MR: usize = $mr;
            const NR: usize = $nv * $lanes;

            unsafe fn tile(
                kc: usize,
                a: Sliver<$t>,
                b: Sliver<$t>,
                c: *mut $t,
                rsc: usize,
                store: Store<$t>,
            ) {
                // SAFETY: the caller's contract is this function's. A packed `A` sliver
                // gets the copy whose strides are constants.
                unsafe {
                    if a.rs == 1 && a.cs == $mr {
                        $module::tile::<true>(kc, a, b, c, rsc, store)
                    } else {
                        $module::tile::<false>(kc, a, b, c, rsc, store)
                    }
                }
            }
        }

        mod $module {
            use super::{Sliver, Store, C_PREFETCH_STEPS};
            use std::arch::x86_64::*;

            /// The kernel; `PACKED` when `a` is a packed sliver (strides 1 and `MR`).
            #[target_feature(enable = $feature)]
            pub(super) unsafe fn tile<const PACKED: bool>(
                kc: usize,
                a: Sliver<$t>,
                b: Sliver<$t>,
                c: *mut $t,
                rsc: usize,
                store: Store<$t>,
            ) {
                let (rsa, csa) = if PACKED { (1, $mr) } else { (a.rs, a.cs) };
                let mut acc = [[$zero(); $nv]; $mr];
                // one step of the inner dimension: a row of the `B` sliver times a column
                // of the `A` sliver into the accumulators
                macro_rules! step {
                    ($p:expr) => {
                        // SAFETY: `p < kc`, inside the slivers the caller made valid.
                        unsafe {
                            let bp = b.ptr.add($p * b.rs);
                            let mut bv = [$zero(); $nv];
                            for (v, x) in bv.iter_mut().enumerate() {
                                *x = $load(bp.add(v * $lanes));
                            }
                            let ap = a.ptr.add($p * csa);
                            for (i, row) in acc.iter_mut().enumerate() {
                                let ai = $set1(*ap.add(i * rsa));
                                for (x, &bx) in row.iter_mut().zip(&bv) {
                                    *x = $fma(ai, bx, *x);
                                }
                            }
                        }
                    };
                }
                let tail = kc.saturating_sub(C_PREFETCH_STEPS);
                for p in 0..tail {
                    step!(p);
                }
                // The tile of `C` is read or written next: ask for its lines now, so that
                // they arrive while the last steps run (the tile was last touched a whole
                // block of `C` ago, and is in L3 or memory).
                for i in 0..$mr {
                    let row = c.wrapping_add(i * rsc).cast::<i8>();
                    let last = row.wrapping_add($nv * $lanes * std::mem::size_of::<$t>() - 1);
                    // a hint: it reads nothing and cannot fault
                    _mm_prefetch::<_MM_HINT_T0>(row);
                    _mm_prefetch::<_MM_HINT_T0>(last);
                }
                for p in tail..kc {
                    step!(p);
                }
                let zero = $zero();
                for (i, row) in acc.iter().enumerate() {
                    for (v, &x) in row.iter().enumerate() {
                        // SAFETY: inside the tile and the bias the caller made valid.
                        unsafe {
                            let cp = c.add(i * rsc + v * $lanes);
                            let mut x = if store.accumulate { $add($load(cp), x) } else { x };
                            if let Some(bias) = store.bias {
                                x = $add(x, $load(bias.add(v * $lanes)));
                            }
                            if store.relu {
                                // `x` where `x > 0` or unordered (NaN), else +0
                                x = $relu(x, zero);
                            }
                            $store(cp, x);
                        }
                    }
                }
            }
        }
    };
}

#[cfg(target_arch = "x86_64")]
fma_kernel!(
    /// AVX-512F, `f32`: 8 rows × two 16-lane vectors (16 accumulators of 32 registers).
    Avx512F32, avx512_f32, f32, "avx512f", 8 x 2 x 16,
    _mm512_setzero_ps, _mm512_set1_ps, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_add_ps,
    _mm512_fmadd_ps, |x, zero| _mm512_maskz_mov_ps(_mm512_cmp_ps_mask::<_CMP_NLE_UQ>(x, zero), x)
);
#[cfg(target_arch = "x86_64")]
fma_kernel!(
    /// AVX-512F, `f64`: 8 rows × two 8-lane vectors.
    Avx512F64, avx512_f64, f64, "avx512f", 8 x 2 x 8,
    _mm512_setzero_pd, _mm512_set1_pd, _mm512_loadu_pd, _mm512_storeu_pd, _mm512_add_pd,
    _mm512_fmadd_pd, |x, zero| _mm512_maskz_mov_pd(_mm512_cmp_pd_mask::<_CMP_NLE_UQ>(x, zero), x)
);
#[cfg(target_arch = "x86_64")]
fma_kernel!(
    /// AVX2 + FMA, `f32`: 6 rows × two 8-lane vectors (12 accumulators of 16 registers).
    Avx2F32, avx2_f32, f32, "avx2,fma", 6 x 2 x 8,
    _mm256_setzero_ps, _mm256_set1_ps, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_add_ps,
    _mm256_fmadd_ps, |x, zero| _mm256_and_ps(_mm256_cmp_ps::<_CMP_NLE_UQ>(x, zero), x)
);
#[cfg(target_arch = "x86_64")]
fma_kernel!(
    /// AVX2 + FMA, `f64`: 6 rows × two 4-lane vectors.
    Avx2F64, avx2_f64, f64, "avx2,fma", 6 x 2 x 4,
    _mm256_setzero_pd, _mm256_set1_pd, _mm256_loadu_pd, _mm256_storeu_pd, _mm256_add_pd,
    _mm256_fmadd_pd, |x, zero| _mm256_and_pd(_mm256_cmp_pd::<_CMP_NLE_UQ>(x, zero), x)
);
