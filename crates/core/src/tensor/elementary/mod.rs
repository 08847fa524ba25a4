//! Element-wise `exp`, `ln`, `ln_1p`, `exp_m1`, `tanh`, `sigmoid` and `softplus` for `f32`
//! and `f64`, branch-free so that loops over them vectorise, and their slice kernels.
//! The ops that call them live in `ops/unary/`; the functions live in one file per family.
//!
//! glibc's `expf`, `tanhf`, `log`, … are scalar calls: a map of `tanh` over a tensor made
//! one call per element (29% of the `rnn_step` benchmark's instructions). These use
//! polynomials and selects instead of branches, so that LLVM vectorises the slice loops:
//! 4 `f64` lanes under AVX2 + FMA, 8 under AVX-512 (the `f32` functions work in `f64`).
//!
//! # Accuracy
//! The `f32` functions evaluate in `f64` and round once: within 1 ulp of the standard
//! library's (or the textbook formula's) `f64` value rounded to `f32`. The `f64` functions
//! have no wider type to hide their rounding in; they reduce their arguments carefully
//! (fdlibm's splits and polynomials, correction terms for `ln_1p`/`exp_m1`) and stay
//! within 2 ulp of the correctly rounded result, measured against a double-double
//! reference in the tests (each function's measured bound is in its doc). `±0`, `±∞`,
//! NaN, subnormal inputs and outputs and huge arguments give what the standard library
//! gives.

mod exp;
mod log;
mod logistic;
#[cfg(test)]
mod tests;

pub(crate) use exp::{exp_f32, exp_f32_slice, exp_f64_slice, exp_m1_f32_slice, exp_m1_f64_slice};
pub(crate) use log::{ln_1p_f32_slice, ln_1p_f64_slice, ln_f32_slice, ln_f64_slice};
pub(crate) use logistic::{
    sigmoid_f32_slice, sigmoid_f64_slice, softplus_f32_slice, softplus_f64_slice, tanh_f32,
    tanh_f32_slice, tanh_f64_slice,
};

/// `1.5 · 2⁵²`: adding it rounds an `f64` of magnitude below `2⁵¹` to an integer, which
/// is then in the low bits of the sum (as in fdlibm and SLEEF).
const ROUNDER: f64 = 6_755_399_441_055_744.0;
/// `ln 2` in two parts, fdlibm's: `LN2_HI` has 32 trailing zero bits, so `k · LN2_HI`
/// is exact for `|k| < 2²⁰`.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);

/// `a·b + c`, fused into one rounding when `FUSED` (compiled to one instruction where the
/// caller enables FMA; the portable kernels never ask for it, where it would be a call).
#[inline(always)]
fn madd<const FUSED: bool>(a: f64, b: f64, c: f64) -> f64 {
    if FUSED {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// `a·b` exactly, as `p + e` with `p` the rounded product: a fused multiply-add gives `e`;
/// the portable form splits both factors in halves of 26 bits (Veltkamp and Dekker), so
/// it needs no `fma` call. For products well inside the normal range.
#[inline(always)]
fn two_prod<const FUSED: bool>(a: f64, b: f64) -> (f64, f64) {
    let p = a * b;
    if FUSED {
        (p, a.mul_add(b, -p))
    } else {
        let halves = |x: f64| {
            let t = 134_217_729.0 * x;
            let high = t - (t - x);
            (high, x - high)
        };
        let ((ah, al), (bh, bl)) = (halves(a), halves(b));
        (p, ((ah * bh - p) + ah * bl + al * bh) + al * bl)
    }
}

/// `a + b` exactly, as the rounded sum and its error, for `|a| ≥ |b|` (or `a = 0`).
#[inline(always)]
fn fast_two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    (s, b - (s - a))
}

/// `2ᵏ` for an integral `k` in `[−1022, 1023]`, built from its bits: the low bits of
/// `k + 1023 + 1.5·2⁵²` are `k + 1023`, which the shift moves into the exponent field.
#[inline(always)]
fn pow2(k: f64) -> f64 {
    f64::from_bits((k + (ROUNDER + 1023.0)).to_bits() << 52)
}

/// Which element-wise kernels run: the widest form this CPU has (AVX-512, else AVX2 +
/// FMA), unless `TAPEGRAD_SIMD` caps it (`portable`, `avx2`; see
/// [`simd`](super::simd::simd)), so a machine with AVX-512 can test every path.
fn level() -> super::simd::Simd {
    super::simd::simd()
}

/// A slice kernel from an element function `$element::<FUSED>`: the dispatching function
/// `$name`, its portable loop `$portable`, its AVX2 + FMA loop `$avx2` and its AVX-512
/// loop `$avx512` (the last three named so that the tests can run each on a CPU that has
/// it). The AVX2 and AVX-512 loops run the same fused element function, 4 or 8 `f64`
/// lanes at a time: their results are the same, bit for bit.
macro_rules! slice_kernel {
    ($(#[$doc:meta])* $t:ty, $name:ident, $portable:ident, $avx2:ident, $avx512:ident, $element:ident) => {
        $(#[$doc])*
        pub(crate) fn $name(src: &[$t], dst: &mut [$t]) {
            #[cfg(target_arch = "x86_64")]
            match super::level() {
                super::super::simd::Simd::Avx512 => {
                    // SAFETY: `level` found AVX-512F (and so AVX2 and FMA) on this CPU.
                    unsafe { $avx512(src, dst) };
                    return;
                }
                super::super::simd::Simd::Avx2 => {
                    // SAFETY: `level` found AVX2 and FMA on this CPU.
                    unsafe { $avx2(src, dst) };
                    return;
                }
                super::super::simd::Simd::Portable => {}
            }
            $portable(src, dst)
        }

        pub(super) fn $portable(src: &[$t], dst: &mut [$t]) {
            for (d, &s) in dst.iter_mut().zip(src) {
                *d = $element::<false>(s);
            }
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        pub(super) fn $avx2(src: &[$t], dst: &mut [$t]) {
            for (d, &s) in dst.iter_mut().zip(src) {
                *d = $element::<true>(s);
            }
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx512f,avx2,fma")]
        pub(super) fn $avx512(src: &[$t], dst: &mut [$t]) {
            for (d, &s) in dst.iter_mut().zip(src) {
                *d = $element::<true>(s);
            }
        }
    };
}
use slice_kernel;
