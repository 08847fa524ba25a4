//! `ln` and `ln_1p` (`ln(1 + x)`) for `f32` and `f64`: fdlibm's argument split and
//! polynomial, with selects where fdlibm branches. Exponentials are in `exp.rs`.

use super::{madd, slice_kernel, LN2_HI, LN2_LO};

const ONE_BITS: u64 = 0x3ff0_0000_0000_0000;
/// The bits of `√2/2` (rounded down): the split below puts mantissas in `[√2/2, √2)`.
const SQRT_HALF_BITS: u64 = 0x3fe6_a09e_667f_3bcd;
/// `2⁵⁴`: scales a subnormal into the normal range.
const TWO54: f64 = 18_014_398_509_481_984.0;
/// fdlibm's `Lg1` … `Lg7`: `ln((1 + s)/(1 − s)) = 2s + s·R(s²)` with `R` to degree 7,
/// `|R(z) − the series| < 2⁻⁵⁸·⁴⁵` for `s ≤ 0.1716` (`e_log.c`).
const LG: [f64; 7] = [
    f64::from_bits(0x3fe5_5555_5555_5593),
    f64::from_bits(0x3fd9_9999_9997_fa04),
    f64::from_bits(0x3fd2_4924_9422_9359),
    f64::from_bits(0x3fcc_71c5_1d8e_78af),
    f64::from_bits(0x3fc7_4664_96cb_03de),
    f64::from_bits(0x3fc3_9a09_d078_c69f),
    f64::from_bits(0x3fc2_f112_df3e_5244),
];

/// `u = m·2ᵏ` with `m` in `[√2/2, √2)`, for a positive normal finite `u`: `(k, m)`, `k`
/// held as an `f64`. Integer adds and shifts only (AVX2 has no 64-bit integer to float
/// conversion): adding `1 − √2/2` in the bits carries into the exponent exactly when the
/// mantissa is at least `√2/2`'s.
#[inline(always)]
fn split(u: f64) -> (f64, f64) {
    let bits = u.to_bits().wrapping_add(ONE_BITS - SQRT_HALF_BITS);
    // the biased exponent `k + 1023` joins 2⁵²'s bits: 2⁵² + k + 1023 as an f64
    let k =
        f64::from_bits((bits >> 52) | 0x4330_0000_0000_0000) - (4_503_599_627_370_496.0 + 1023.0);
    let m = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) + SQRT_HALF_BITS);
    (k, m)
}

/// `k·ln 2 + ln(1 + f) + c` for `1 + f` in `[√2/2, √2)` and a small correction `c`,
/// fdlibm's evaluation (`e_log.c`, `s_log1p.c`): `s = f/(2 + f)`, `ln(1 + f) = f − f²/2 +
/// s·(f²/2 + R(s²))`, the terms added smallest first, below 1 ulp.
#[inline(always)]
fn log_core<const FUSED: bool>(f: f64, k: f64, c: f64) -> f64 {
    let hfsq = 0.5 * f * f;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    let t1 = w * madd::<FUSED>(w, madd::<FUSED>(w, LG[5], LG[3]), LG[1]);
    let t2 = z * madd::<FUSED>(
        w,
        madd::<FUSED>(w, madd::<FUSED>(w, LG[6], LG[4]), LG[2]),
        LG[0],
    );
    let r = t2 + t1;
    let small = madd::<FUSED>(s, hfsq + r, madd::<FUSED>(k, LN2_LO, c));
    ((small - hfsq) + f) + k * LN2_HI
}

/// `ln u` for a positive normal finite `u`, no special values: the `f32` functions' core.
#[inline(always)]
pub(super) fn ln_normal<const FUSED: bool>(u: f64) -> f64 {
    let (k, m) = split(u);
    log_core::<FUSED>(m - 1.0, k, 0.0)
}

/// `ln x` for `f64`, within 1 ulp of the correctly rounded result (the tests measure it).
/// Subnormals are scaled into the normal range first; `ln(±0) = −∞`, `ln x = NaN` for
/// `x < 0`, `ln ∞ = ∞`, NaN stays NaN.
#[inline(always)]
pub(super) fn ln_f64_with<const FUSED: bool>(x: f64) -> f64 {
    let subnormal = x < f64::MIN_POSITIVE;
    let (k, m) = split(if subnormal { x * TWO54 } else { x });
    let k = if subnormal { k - 54.0 } else { k };
    let y = log_core::<FUSED>(m - 1.0, k, 0.0);
    let y = if x == f64::INFINITY { x } else { y };
    let y = if x == 0.0 { f64::NEG_INFINITY } else { y };
    let y = if x < 0.0 { f64::NAN } else { y };
    if x.is_nan() {
        x
    } else {
        y
    }
}

/// `ln(1 + x + xl)` for `x > −1` finite and a small `xl` (the low part of a double-double
/// argument): `u = 1 + x` is split as for `ln`, and the rounding error of `u` and `xl`
/// enter as `c = ((1 + x) − u + xl)/u` (fdlibm's two exact forms for the first); where `u`
/// is in `[√2/2, √2)` the argument is `x` itself, with no rounding error to correct.
#[inline(always)]
pub(super) fn ln_1p_parts<const FUSED: bool>(x: f64, xl: f64) -> f64 {
    let u = 1.0 + x;
    let (k, m) = split(u);
    let near_zero = k == 0.0;
    let error = if k >= 2.0 {
        1.0 - (u - x)
    } else {
        x - (u - 1.0)
    };
    // (from k = 54 on, the rounding error is below the result's ulp)
    let error = if near_zero || k >= 54.0 { 0.0 } else { error };
    let f = if near_zero { x } else { m - 1.0 };
    log_core::<FUSED>(f, k, (error + xl) / u)
}

/// `ln(1 + x)` for `f64`, within 1 ulp of the correctly rounded result (the tests measure
/// it; see [`ln_1p_parts`]). `ln_1p(−1) = −∞`, NaN below `−1`, `ln_1p(∞) = ∞`, `±0` and
/// NaN are returned as they are.
#[inline(always)]
pub(super) fn ln_1p_f64_with<const FUSED: bool>(x: f64) -> f64 {
    let y = ln_1p_parts::<FUSED>(x, 0.0);
    let y = if x == f64::INFINITY || x == 0.0 { x } else { y };
    let y = if x == -1.0 { f64::NEG_INFINITY } else { y };
    let y = if x < -1.0 { f64::NAN } else { y };
    if x.is_nan() {
        x
    } else {
        y
    }
}

/// `ln x` for `f32`: the `f64` function rounded once.
#[inline(always)]
pub(super) fn ln_f32_with<const FUSED: bool>(x: f32) -> f32 {
    ln_f64_with::<FUSED>(x as f64) as f32
}

/// `ln(1 + x)` for `f32`: the `f64` function rounded once.
#[inline(always)]
pub(super) fn ln_1p_f32_with<const FUSED: bool>(x: f32) -> f32 {
    ln_1p_f64_with::<FUSED>(x as f64) as f32
}

slice_kernel!(
    /// `dst[i] = ln src[i]` over slices of one length.
    f32,
    ln_f32_slice,
    ln_f32_portable,
    ln_f32_avx2,
    ln_f32_avx512,
    ln_f32_with
);
slice_kernel!(
    /// `dst[i] = ln src[i]` over slices of one length.
    f64,
    ln_f64_slice,
    ln_f64_portable,
    ln_f64_avx2,
    ln_f64_avx512,
    ln_f64_with
);
slice_kernel!(
    /// `dst[i] = ln(1 + src[i])` over slices of one length.
    f32,
    ln_1p_f32_slice,
    ln_1p_f32_portable,
    ln_1p_f32_avx2,
    ln_1p_f32_avx512,
    ln_1p_f32_with
);
slice_kernel!(
    /// `dst[i] = ln(1 + src[i])` over slices of one length.
    f64,
    ln_1p_f64_slice,
    ln_1p_f64_portable,
    ln_1p_f64_avx2,
    ln_1p_f64_avx512,
    ln_1p_f64_with
);
