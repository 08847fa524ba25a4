//! `exp` and `exp_m1` (`eˣ − 1`) for `f32` and `f64`, and the exponential core the
//! logistic family builds on. Logarithms are in `log.rs`.

use super::{fast_two_sum, madd, pow2, slice_kernel, LN2_HI, LN2_LO, ROUNDER};

/// `x = k·ln 2 + r + c` with `k` integral (held as an `f64`), `|r| ≤ ln 2 / 2` (a hair more
/// where `x·log₂e` rounds), and `c` the rounding error of `r`, for `|x| < 2²⁰·ln 2`.
struct Reduced {
    k: f64,
    r: f64,
    c: f64,
}

#[inline(always)]
fn reduce(x: f64) -> Reduced {
    let k = (x * std::f64::consts::LOG2_E + ROUNDER) - ROUNDER;
    // exact: `k·LN2_HI` is, and it is within a factor 2 of `x` or `x − k·LN2_HI` is small
    let hi = x - k * LN2_HI;
    let lo = k * LN2_LO;
    let r = hi - lo;
    Reduced {
        k,
        r,
        c: (hi - r) - lo,
    }
}

/// `1/j!` for `j = 0..=13`: the Taylor coefficients of the exponential.
const INV_FACTORIAL: [f64; 14] = [
    1.0,
    1.0,
    0.5,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5_040.0,
    1.0 / 40_320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
    1.0 / 6_227_020_800.0,
];

/// `eʳ − 1 − r` for `|r| ≤ 0.35`, as `r²·q(r)` with `q` the Taylor series of
/// `(eʳ − 1 − r)/r²`, the exponential's to degree `DEGREE` (Horner over `1/j!` for
/// `j = DEGREE` down to 2). `eʳ − 1 = r + tail(r)`, without a `1 +`, keeps its accuracy
/// for tiny `r`. Degree 13 ([`FULL`]) truncates below `2⁻⁵⁶` relative there: the `f64`
/// functions' accuracy. Degree 8 ([`SHORT`]) truncates below `0.35⁹/9! < 2⁻³¹` relative
/// to `eʳ − 1` (and `r⁹/9!` for small `r`): far inside half an `f32` ulp, what the `f32`
/// functions need.
///
/// `FUSED` evaluates the polynomial with fused multiply-adds (the AVX2 + FMA kernels);
/// both forms are within the bounds the tests assert.
#[inline(always)]
fn expm1_tail<const FUSED: bool, const DEGREE: usize>(r: f64) -> f64 {
    let mut q = INV_FACTORIAL[DEGREE];
    for j in (2..DEGREE).rev() {
        q = madd::<FUSED>(q, r, INV_FACTORIAL[j]);
    }
    r * r * q
}

/// [`expm1_tail`]'s degree for the `f64` functions.
const FULL: usize = 13;
/// [`expm1_tail`]'s degree for the `f32` functions (which evaluate in `f64`).
const SHORT: usize = 8;

/// `eᶻ` for `z` in `[−708, 709]` (finite, no NaN; `2ᵏ` stays normal there): the `f32`
/// functions' core, within `2⁻³⁰` relative, far below `f32`'s `2⁻²⁴`.
#[inline(always)]
pub(super) fn exp_in_range<const FUSED: bool>(z: f64) -> f64 {
    let Reduced { k, r, .. } = reduce(z);
    (1.0 + (r + expm1_tail::<FUSED, SHORT>(r))) * pow2(k)
}

/// `e·2ᵏ` for `e` near 1 and an integral `k` in `[−1100, 1024]`, rounded once: `2ᵏ` in two
/// normal factors, the first of which scales exactly, so the result may round into the
/// subnormals or overflow to `+∞` as the exact product would.
#[inline(always)]
fn scale(e: f64, k: f64) -> f64 {
    let half = (k * 0.5 + ROUNDER) - ROUNDER;
    e * pow2(half) * pow2(k - half)
}

/// `e^(r + c) − 1` for a reduced argument, as `r` plus the rest (`tail(r) + c·eʳ`).
#[inline(always)]
fn expm1_reduced<const FUSED: bool>(r: f64, c: f64) -> (f64, f64) {
    let t = expm1_tail::<FUSED, FULL>(r);
    (r, t + madd::<FUSED>(c, r + t, c))
}

/// `eˣ` for `x` in `[−746, 710]` as `(hi + lo)·2ᵏ`: `(k, hi, lo)` with `hi + lo` near 1
/// and within about half an ulp of the exact `e^(x − k·ln 2)`; `hi` alone is the rounded
/// value.
#[inline(always)]
fn exp_parts<const FUSED: bool>(x: f64) -> (f64, f64, f64) {
    let Reduced { k, r, c } = reduce(x);
    let (r, rest) = expm1_reduced::<FUSED>(r, c);
    let p = r + rest;
    let (hi, lo) = fast_two_sum(1.0, p);
    (k, hi, lo + ((r - p) + rest))
}

/// `eˣ` for `f64`, within 1 ulp of the correctly rounded result (the tests measure it).
/// The argument is clamped to `[−746, 710]`, beyond which the result is `+0` or `+∞`;
/// NaN stays NaN.
#[inline(always)]
pub(super) fn exp_f64_with<const FUSED: bool>(x: f64) -> f64 {
    // (a NaN passes the clamp and is passed on below)
    let (k, hi, _) = exp_parts::<FUSED>(x.clamp(-746.0, 710.0));
    let y = scale(hi, k);
    if x.is_nan() {
        x
    } else {
        y
    }
}

/// `eˣ` for `x ≤ 0` (no NaN) as a double-double `hi + lo`, `hi` the rounded `eˣ`: the
/// logistic functions use the low part to stay within their bounds. Below −745 both are
/// `+0`; in the subnormal range `lo` is mostly lost, and not needed there.
#[inline(always)]
pub(super) fn exp_neg_f64_parts<const FUSED: bool>(x: f64) -> (f64, f64) {
    let (k, hi, lo) = exp_parts::<FUSED>(x.max(-746.0));
    (scale(hi, k), scale(lo, k))
}

/// `eˣ − 1` for `x` in `[−60, 710]` (no NaN) as a double-double `hi + lo`, `hi` the
/// rounded result: `(2ᵏ − 1) + 2ᵏ·r` exactly as a sum and its error, to which `2ᵏ·(the
/// rest of e^(r + c) − 1)` is added, so the result rounds once and `2ᵏ − 1` cancelling
/// against `2ᵏ·r` (`k = ±1`) costs nothing. From `k = 53` on `2ᵏ − 1` is inexact and the
/// `− 1` joins the low part; for `k > 60` it is below half an ulp and the result is `eˣ`
/// rounded (then less 1, which changes nothing), with no low part.
#[inline(always)]
pub(super) fn exp_m1_parts<const FUSED: bool>(x: f64) -> (f64, f64) {
    let Reduced { k, r, c } = reduce(x);
    let (r, rest) = expm1_reduced::<FUSED>(r, c);
    // `k = 1024` just below the overflow threshold: `2ᵏ` itself is not an f64
    let s = pow2(k.min(1023.0));
    let big = k >= 53.0;
    let (hi, lo) = fast_two_sum(if big { s } else { s - 1.0 }, s * r);
    let lo = madd::<FUSED>(s, rest, if big { lo - 1.0 } else { lo });
    let near = fast_two_sum(hi, lo);
    let far = (scale(1.0 + (r + rest), k) - 1.0, 0.0);
    if k > 60.0 {
        far
    } else {
        near
    }
}

/// `eˣ − 1` for `f64`, within 1 ulp of the correctly rounded result (the tests measure
/// it; see [`exp_m1_parts`]). The argument is clamped to `[−60, 710]` (`−1` and `+∞`
/// beyond); `±0` and NaN are returned as they are.
#[inline(always)]
pub(super) fn exp_m1_f64_with<const FUSED: bool>(x: f64) -> f64 {
    let (y, _) = exp_m1_parts::<FUSED>(x.clamp(-60.0, 710.0));
    // (`r + tail` turns −0 into +0)
    if x == 0.0 || x.is_nan() {
        x
    } else {
        y
    }
}

/// `eˣ` for `f32`, within 1 ulp of the correctly rounded result: `e⁻¹¹⁰` already rounds
/// to `+0` and `e⁹⁰` to `+∞` in `f32`, so the argument is clamped there; NaN stays NaN.
#[inline]
pub(crate) fn exp_f32(x: f32) -> f32 {
    exp_f32_with::<false>(x)
}

#[inline(always)]
pub(super) fn exp_f32_with<const FUSED: bool>(x: f32) -> f32 {
    // (a NaN stays NaN through the clamp and is passed on below)
    let z = (x as f64).clamp(-110.0, 90.0);
    let y = exp_in_range::<FUSED>(z) as f32;
    if x.is_nan() {
        x
    } else {
        y
    }
}

/// `eˣ − 1` for `f32`: the `f64` function rounded once.
#[inline(always)]
pub(super) fn exp_m1_f32_with<const FUSED: bool>(x: f32) -> f32 {
    exp_m1_f64_with::<FUSED>(x as f64) as f32
}

slice_kernel!(
    /// `dst[i] = eˢʳᶜ⁽ⁱ⁾` over slices of one length.
    f32,
    exp_f32_slice,
    exp_f32_portable,
    exp_f32_avx2,
    exp_f32_avx512,
    exp_f32_with
);
slice_kernel!(
    /// `dst[i] = eˢʳᶜ⁽ⁱ⁾` over slices of one length.
    f64,
    exp_f64_slice,
    exp_f64_portable,
    exp_f64_avx2,
    exp_f64_avx512,
    exp_f64_with
);
slice_kernel!(
    /// `dst[i] = eˢʳᶜ⁽ⁱ⁾ − 1` over slices of one length.
    f32,
    exp_m1_f32_slice,
    exp_m1_f32_portable,
    exp_m1_f32_avx2,
    exp_m1_f32_avx512,
    exp_m1_f32_with
);
slice_kernel!(
    /// `dst[i] = eˢʳᶜ⁽ⁱ⁾ − 1` over slices of one length.
    f64,
    exp_m1_f64_slice,
    exp_m1_f64_portable,
    exp_m1_f64_avx2,
    exp_m1_f64_avx512,
    exp_m1_f64_with
);
