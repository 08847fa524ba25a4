//! `tanh`, `sigmoid` and `softplus` for `f32` and `f64`: the functions built on `e^{−|x|}`
//! (or `e^{2|x|} − 1`), so that they never overflow. The exponential itself is in `exp.rs`.

use super::exp::{exp_in_range, exp_m1_parts, exp_neg_f64_parts};
use super::log::{ln_1p_parts, ln_normal};
use super::{fast_two_sum, madd, slice_kernel, two_prod};

/// `tanh x` for `f32`, within 1 ulp of the correctly rounded result: `1 − 2/(e²ᵃ + 1)` for
/// `a = |x|` (clamped at 20, where `tanh` is 1 in `f64`), `a − a³/3` below `2⁻¹²` (where the
/// first form cancels), the sign of `x` (so `tanh(−0) = −0`); NaN stays NaN. The quotient
/// is an `f32` reciprocal refined in `f64` ([`reciprocal`]): even where `1 − q` cancels
/// (a factor of at most `2¹²`) its error stays below `2⁻³⁰` relative.
#[inline]
pub(crate) fn tanh_f32(x: f32) -> f32 {
    tanh_f32_with::<false>(x)
}

#[inline(always)]
pub(super) fn tanh_f32_with<const FUSED: bool>(x: f32) -> f32 {
    let d = x as f64;
    let a = d.abs().min(20.0);
    let large = 1.0 - 2.0 * reciprocal::<FUSED>(exp_in_range::<FUSED>(2.0 * a) + 1.0);
    let small = a - a * a * a / 3.0;
    let y = if a < 1.0 / 4096.0 { small } else { large };
    let y = y.copysign(d) as f32;
    if x.is_nan() {
        x
    } else {
        y
    }
}

/// `1/d` for `d` in `[1, 2¹²⁰]` to about `2⁻⁴⁶` relative: the `f32` quotient (a quarter of
/// the cost of an `f64` division in vector code), refined by one Newton step in `f64`.
/// For the `f32` functions, whose `f64` results need only `2⁻³⁰` or so.
#[inline(always)]
fn reciprocal<const FUSED: bool>(d: f64) -> f64 {
    let r = (1.0 / (d as f32)) as f64;
    // r·(2 − d·r): the error of `r` squared
    r * madd::<FUSED>(-d, r, 2.0)
}

/// `tanh x` for `f64`: `t/(t + 2)` with `t = e²ᵃ − 1` for `a = |x|` (clamped at 22, where
/// `tanh` rounds to 1), which does not cancel for small `a`; `t` comes as a double-double,
/// `t + 2` is summed exactly and the quotient corrected by its exact remainder (the plain
/// quotient of rounded values was measured at 2.2 ulp). The sign of `x`, so
/// `tanh(−0) = −0`, and subnormals come back unchanged; NaN stays NaN.
#[inline(always)]
pub(super) fn tanh_f64_with<const FUSED: bool>(x: f64) -> f64 {
    // (`min` takes 22 for a NaN, passed on below)
    let (th, tl) = exp_m1_parts::<FUSED>(2.0 * x.abs().min(22.0));
    let y = quotient::<FUSED>((th, tl), two_sum(2.0, th, tl));
    let y = y.copysign(x);
    if x.is_nan() {
        x
    } else {
        y
    }
}

/// `a + b + c` for `a, b ≥ 0` and a small `c`, as a sum and its error (the rounding error
/// of `a + b` exactly, plus `c`).
#[inline(always)]
fn two_sum(a: f64, b: f64, c: f64) -> (f64, f64) {
    let (s, e) = fast_two_sum(a.max(b), a.min(b));
    (s, e + c)
}

/// `n/d` for double-doubles `n = (nh, nl)` and `d = (dh, dl)`, `nh/dh` corrected by its
/// exact remainder: one rounding besides the inputs' own errors.
#[inline(always)]
fn quotient<const FUSED: bool>((nh, nl): (f64, f64), (dh, dl): (f64, f64)) -> f64 {
    let q = nh / dh;
    let (p, pe) = two_prod::<FUSED>(q, dh);
    // (`nh − p` is exact: p is within an ulp of nh)
    q + (((nh - p) - pe) + nl - q * dl) / dh
}

/// The logistic function `1/(1 + e⁻ˣ)` for `f64`, written with `e = e^{−|x|}` (in
/// `(0, 1]`, or `+0` below −745): `1/(1 + e)` for `x ≥ 0`, `e/(1 + e)` below, so
/// `sigmoid(1000) = 1` and `sigmoid(−1000) = 0` exactly and the tail follows `eˣ` into the
/// subnormals; NaN stays NaN.
///
/// `e` comes as a double-double, `1 + e` is summed exactly, and the quotient is corrected
/// by its exact remainder: one rounding at the end besides `e`'s own error, where the
/// plain quotient of rounded values was measured at 2.3 ulp.
#[inline(always)]
pub(super) fn sigmoid_f64_with<const FUSED: bool>(x: f64) -> f64 {
    let (eh, el) = exp_neg_f64_parts::<FUSED>(-x.abs());
    let numerator = if x >= 0.0 { (1.0, 0.0) } else { (eh, el) };
    let y = quotient::<FUSED>(numerator, two_sum(1.0, eh, el));
    if x.is_nan() {
        x
    } else {
        y
    }
}

/// `ln(1 + eˣ)` for `f64`, as `max(x, 0) + ln_1p(e^{−|x|})`: `softplus(1000) = 1000` and
/// `softplus(−1000) = 0` exactly, `softplus(∞) = ∞`, `softplus(−∞) = 0`; NaN stays NaN.
#[inline(always)]
pub(super) fn softplus_f64_with<const FUSED: bool>(x: f64) -> f64 {
    let (eh, el) = exp_neg_f64_parts::<FUSED>(-x.abs());
    let y = x.max(0.0) + ln_1p_parts::<FUSED>(eh, el);
    if x.is_nan() {
        x
    } else {
        y
    }
}

/// The logistic function for `f32`, evaluated in `f64` (`e = e^{−|x|}` clamped at `e⁻¹²⁰`,
/// which rounds to 0 in `f32`; `q = 1/(1 + e)`, `e·q` below 0) and rounded once: the
/// `f64` function's double-double care is not needed for `f32`'s precision.
#[inline(always)]
pub(super) fn sigmoid_f32_with<const FUSED: bool>(x: f32) -> f32 {
    let d = x as f64;
    let e = exp_in_range::<FUSED>((-d.abs()).max(-120.0));
    let q = 1.0 / (1.0 + e);
    let y = if d >= 0.0 { q } else { e * q } as f32;
    if x.is_nan() {
        x
    } else {
        y
    }
}

/// `ln(1 + eˣ)` for `f32`, evaluated in `f64` as `max(x, 0) + ln(1 + e)` with
/// `e = e^{−|x|}` (clamped at `e⁻¹²⁰`) and rounded once; below `e = 2⁻²⁰`, where rounding
/// `1 + e` would cost `f32` bits, `ln(1 + e) = e − e²/2`.
#[inline(always)]
pub(super) fn softplus_f32_with<const FUSED: bool>(x: f32) -> f32 {
    let d = x as f64;
    let e = exp_in_range::<FUSED>((-d.abs()).max(-120.0));
    let tiny = 1.0 / 1_048_576.0;
    let l = if e < tiny {
        e - 0.5 * e * e
    } else {
        ln_normal::<FUSED>(1.0 + e)
    };
    let y = (d.max(0.0) + l) as f32;
    if x.is_nan() {
        x
    } else {
        y
    }
}

slice_kernel!(
    /// `dst[i] = tanh src[i]` over slices of one length.
    f32,
    tanh_f32_slice,
    tanh_f32_portable,
    tanh_f32_avx2,
    tanh_f32_avx512,
    tanh_f32_with
);
slice_kernel!(
    /// `dst[i] = tanh src[i]` over slices of one length.
    f64,
    tanh_f64_slice,
    tanh_f64_portable,
    tanh_f64_avx2,
    tanh_f64_avx512,
    tanh_f64_with
);
slice_kernel!(
    /// `dst[i] = 1/(1 + e^{−src[i]})` over slices of one length.
    f32,
    sigmoid_f32_slice,
    sigmoid_f32_portable,
    sigmoid_f32_avx2,
    sigmoid_f32_avx512,
    sigmoid_f32_with
);
slice_kernel!(
    /// `dst[i] = 1/(1 + e^{−src[i]})` over slices of one length.
    f64,
    sigmoid_f64_slice,
    sigmoid_f64_portable,
    sigmoid_f64_avx2,
    sigmoid_f64_avx512,
    sigmoid_f64_with
);
slice_kernel!(
    /// `dst[i] = ln(1 + e^{src[i]})` over slices of one length.
    f32,
    softplus_f32_slice,
    softplus_f32_portable,
    softplus_f32_avx2,
    softplus_f32_avx512,
    softplus_f32_with
);
slice_kernel!(
    /// `dst[i] = ln(1 + e^{src[i]})` over slices of one length.
    f64,
    softplus_f64_slice,
    softplus_f64_portable,
    softplus_f64_avx2,
    softplus_f64_avx512,
    softplus_f64_with
);
