//! The `f64` functions' reference: double-double arithmetic (an unevaluated sum `hi + lo`,
//! about 104 bits) and the seven functions in it, and the distance in ulps to it.
//!
//! # Design
//! Each function reduces its argument exactly and sums a series whose truncation is below
//! `2⁻¹⁰⁰` relative; nothing here uses the functions under test or the standard library's
//! (a test holds the standard library's `f64` functions to this reference instead, as a
//! check on both). Values that would leave the normal range carry a power of two beside
//! them (`Ref::scale`), so subnormal and overflowing results are measured exactly too.

use std::ops::{Add, Div, Mul, Neg, Sub};

/// `hi + lo` with `|lo| ≤ ulp(hi)/2`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Dd {
    pub(super) hi: f64,
    pub(super) lo: f64,
}

fn two_sum(a: f64, b: f64) -> Dd {
    let s = a + b;
    let bb = s - a;
    Dd {
        hi: s,
        lo: (a - (s - bb)) + (b - bb),
    }
}

/// `a + b` exactly, for `|a| ≥ |b|` (or `a` zero).
fn quick_two_sum(a: f64, b: f64) -> Dd {
    let s = a + b;
    Dd {
        hi: s,
        lo: b - (s - a),
    }
}

fn two_prod(a: f64, b: f64) -> Dd {
    let p = a * b;
    Dd {
        hi: p,
        lo: a.mul_add(b, -p),
    }
}

impl From<f64> for Dd {
    fn from(x: f64) -> Dd {
        Dd { hi: x, lo: 0.0 }
    }
}

impl Add for Dd {
    type Output = Dd;
    fn add(self, o: Dd) -> Dd {
        let s = two_sum(self.hi, o.hi);
        let t = two_sum(self.lo, o.lo);
        let s = quick_two_sum(s.hi, s.lo + t.hi);
        quick_two_sum(s.hi, s.lo + t.lo)
    }
}

impl Neg for Dd {
    type Output = Dd;
    fn neg(self) -> Dd {
        Dd {
            hi: -self.hi,
            lo: -self.lo,
        }
    }
}

impl Sub for Dd {
    type Output = Dd;
    fn sub(self, o: Dd) -> Dd {
        self + -o
    }
}

impl Mul for Dd {
    type Output = Dd;
    fn mul(self, o: Dd) -> Dd {
        let p = two_prod(self.hi, o.hi);
        quick_two_sum(p.hi, p.lo + (self.hi * o.lo + self.lo * o.hi))
    }
}

impl Div for Dd {
    type Output = Dd;
    fn div(self, o: Dd) -> Dd {
        let q1 = self.hi / o.hi;
        let r = self - o * Dd::from(q1);
        let q2 = r.hi / o.hi;
        let r = r - o * Dd::from(q2);
        let q3 = r.hi / o.hi;
        quick_two_sum(q1, q2) + Dd::from(q3)
    }
}

/// `x · 2ⁿ`, in steps that stay in range (exact unless the result leaves the normal range).
fn ldexp(mut x: f64, mut n: i32) -> f64 {
    while n != 0 {
        let step = n.clamp(-1000, 1000);
        x *= f64::from_bits(((step + 1023) as u64) << 52);
        n -= step;
    }
    x
}

impl Dd {
    fn ldexp(self, n: i32) -> Dd {
        Dd {
            hi: ldexp(self.hi, n),
            lo: ldexp(self.lo, n),
        }
    }

    /// `⌊log₂ |self|⌋` for a nonzero normal value.
    fn exponent(self) -> i32 {
        let e = ((self.hi.to_bits() >> 52) & 0x7ff) as i32 - 1023;
        let power_of_two = self.hi.to_bits() & 0x000f_ffff_ffff_ffff == 0;
        if power_of_two && self.lo != 0.0 && (self.lo < 0.0) != (self.hi < 0.0) {
            e - 1
        } else {
            e
        }
    }
}

/// `ln 2 = 0x1.62e42fefa39efp-1 + 0x1.abc9e3b39803fp-56` (a test sums its series).
pub(super) const LN2: Dd = Dd {
    hi: f64::from_bits(0x3fe6_2e42_fefa_39ef),
    lo: f64::from_bits(0x3c7a_bc9e_3b39_803f),
};

/// A reference value `dd · 2^scale`.
#[derive(Clone, Copy, Debug)]
pub(super) struct Ref {
    pub(super) dd: Dd,
    pub(super) scale: i32,
}

impl From<Dd> for Ref {
    fn from(dd: Dd) -> Ref {
        Ref { dd, scale: 0 }
    }
}

impl Ref {
    /// The value as a double-double (its low part, or all of it, may underflow).
    pub(super) fn plain(self) -> Dd {
        self.dd.ldexp(self.scale)
    }
}

/// `|ours − exact|` in units in the last place of the exact value (`2⁻¹⁰⁷⁴` in the
/// subnormal range): 0 when both round to the same infinity or are zero, `∞` when one is
/// infinite or NaN and the other is not.
pub(super) fn ulp_error(ours: f64, exact: Ref) -> f64 {
    if exact.dd.hi == 0.0 {
        return if ours == 0.0 { 0.0 } else { f64::INFINITY };
    }
    let rounded = ldexp(exact.dd.hi + exact.dd.lo, exact.scale);
    if rounded.is_infinite() || !ours.is_finite() {
        return if ours == rounded { 0.0 } else { f64::INFINITY };
    }
    let e = exact.dd.exponent() + exact.scale;
    let ulp = (e - 52).max(-1074);
    // both scaled so that an ulp is 1: `ours` exactly (it has no bits below an ulp)
    let a = ldexp(ours, -ulp);
    let b = exact.dd.ldexp(exact.scale - ulp);
    ((a - b.hi) - b.lo).abs()
}

/// `atanh s = s + s³/3 + s⁵/5 + …` for `|s| ≤ 1/3`, summed until the terms fall below
/// `2⁻¹¹⁰·|s|`.
pub(super) fn atanh_series(s: Dd) -> Dd {
    let z = s * s;
    let mut power = s;
    let mut sum = s;
    for n in 1.. {
        power = power * z;
        let term = power / Dd::from((2 * n + 1) as f64);
        sum = sum + term;
        if term.hi.abs() <= s.hi.abs() * 1e-33 {
            break;
        }
    }
    sum
}

/// `ln u` for a positive normal double-double: `u = m·2ᵏ` with `m` in `[√2/2, √2)`,
/// `ln m = 2 atanh((m − 1)/(m + 1))`.
fn ln_dd(u: Dd) -> Dd {
    let mut k = ((u.hi.to_bits() >> 52) & 0x7ff) as i32 - 1023;
    let mut m = u.ldexp(-k);
    if m.hi > std::f64::consts::SQRT_2 {
        m = m.ldexp(-1);
        k += 1;
    }
    let f = m - Dd::from(1.0);
    let s = f / (f + Dd::from(2.0));
    LN2 * Dd::from(k as f64) + atanh_series(s) * Dd::from(2.0)
}

/// `ln x` for a positive finite `x`.
pub(super) fn ln(x: f64) -> Ref {
    // subnormals scaled up exactly
    let (x, k) = if x < f64::MIN_POSITIVE {
        (x * 2f64.powi(60), -60)
    } else {
        (x, 0)
    };
    (ln_dd(Dd::from(x)) + LN2 * Dd::from(k as f64)).into()
}

/// `ln(1 + x)` for `x > −1`: its series below `2⁻⁴⁰` (relative truncation `2⁻¹⁶⁰`), else
/// `ln` of the exact sum `1 + x`.
fn ln_1p_dd(x: Dd) -> Dd {
    if x.hi.abs() < 2f64.powi(-40) {
        let x2 = x * x;
        return x - x2 * Dd::from(0.5) + x2 * x / Dd::from(3.0) - x2 * x2 * Dd::from(0.25);
    }
    ln_dd(Dd::from(1.0) + x)
}

/// `ln(1 + x)` for a finite `x > −1`.
pub(super) fn ln_1p(x: f64) -> Ref {
    ln_1p_dd(Dd::from(x)).into()
}

/// `eʳ − 1` for `|r| ≤ 1`: the Taylor series of `r/2¹⁰` to degree 11, then ten doublings
/// `m ↦ m·(m + 2)` (`e²ʳ − 1 = (eʳ − 1)(eʳ + 1)`), which keep the relative accuracy.
fn expm1_dd(r: Dd) -> Dd {
    let x = r.ldexp(-10);
    let mut term = x;
    let mut sum = x;
    for n in 2..=11 {
        term = term * x / Dd::from(n as f64);
        sum = sum + term;
    }
    for _ in 0..10 {
        sum = sum * (sum + Dd::from(2.0));
    }
    sum
}

/// `eˣ` for a finite `x`; beyond `±2000` a stand-in of the right side of the range (the
/// result is `+0` or `+∞` in `f64` by thousands of binades).
pub(super) fn exp(x: f64) -> Ref {
    if x.abs() > 2000.0 {
        let scale = if x > 0.0 { 3000 } else { -3000 };
        return Ref {
            dd: Dd::from(1.0),
            scale,
        };
    }
    let k = (x / LN2.hi).round();
    let r = Dd::from(x) - LN2 * Dd::from(k);
    Ref {
        dd: Dd::from(1.0) + expm1_dd(r),
        scale: k as i32,
    }
}

/// The series `x + x²/2 + x³/6 + x⁴/24` for `|x| < 2⁻⁴⁰`.
fn expm1_tiny(x: f64) -> Dd {
    let x = Dd::from(x);
    let x2 = x * x;
    x + x2 * Dd::from(0.5) + x2 * x / Dd::from(6.0) + x2 * x2 / Dd::from(24.0)
}

/// `eˣ − 1` for a finite `x`.
pub(super) fn exp_m1(x: f64) -> Ref {
    if x.abs() < 2f64.powi(-40) {
        return expm1_tiny(x).into();
    }
    if x.abs() <= 0.5 {
        return expm1_dd(Dd::from(x)).into();
    }
    if x < -800.0 {
        // −1 + eˣ with eˣ below 2⁻¹¹⁵⁰
        return Dd::from(-1.0).into();
    }
    let e = exp(x);
    Ref {
        dd: e.dd - Dd::from(1.0).ldexp(-e.scale),
        scale: e.scale,
    }
}

/// `tanh x` for a finite `x`: `t/(t + 2)` with `t = e²ᵃ − 1` for `a = |x|` up to ½,
/// `(1 − e)/(1 + e)` with `e = e⁻²ᵃ` above, the sign of `x`.
pub(super) fn tanh(x: f64) -> Ref {
    let a = x.abs();
    let y = if a < 2f64.powi(-40) {
        let a = Dd::from(a);
        let a2 = a * a;
        a - a2 * a / Dd::from(3.0) + a2 * a2 * a * Dd::from(2.0) / Dd::from(15.0)
    } else if a <= 0.5 {
        let t = exp_m1(2.0 * a).plain();
        t / (t + Dd::from(2.0))
    } else {
        let e = exp(-2.0 * a).plain();
        (Dd::from(1.0) - e) / (Dd::from(1.0) + e)
    };
    (if x < 0.0 { -y } else { y }).into()
}

/// `1/(1 + e⁻ˣ)` for a finite `x`: `1/(1 + e⁻ˣ)` for `x ≥ 0`, `eˣ/(1 + eˣ)` below, the
/// power of two of `eˣ` kept.
pub(super) fn sigmoid(x: f64) -> Ref {
    if x >= 0.0 {
        let e = exp(-x).plain();
        return (Dd::from(1.0) / (Dd::from(1.0) + e)).into();
    }
    let e = exp(x);
    Ref {
        dd: e.dd / (Dd::from(1.0) + e.plain()),
        scale: e.scale,
    }
}

/// `ln(1 + eˣ)` for a finite `x`: `max(x, 0) + ln(1 + e^{−|x|})`, with the series of `ln_1p`
/// and the power of two of `eˣ` kept where `eˣ < 2⁻⁴⁰`.
pub(super) fn softplus(x: f64) -> Ref {
    if x >= 0.0 {
        return (Dd::from(x) + ln_1p_dd(exp(-x).plain())).into();
    }
    let e = exp(x);
    if e.scale > -40 {
        return ln_1p_dd(e.plain()).into();
    }
    // e − e²/2 + e³/3 = 2ˢ·(d − d²·2ˢ/2 + d³·2²ˢ/3) for e = d·2ˢ
    let d = e.dd;
    let d2 = (d * d).ldexp(e.scale);
    Ref {
        dd: d - d2 * Dd::from(0.5) + (d2 * d).ldexp(e.scale) / Dd::from(3.0),
        scale: e.scale,
    }
}
