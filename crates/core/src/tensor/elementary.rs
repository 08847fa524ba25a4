//! `exp` and `tanh` for `f32`, branch-free so that loops over them vectorise.
//!
//! glibc's `expf` and `tanhf` are scalar calls: a map of `tanh` over a tensor made one
//! call per element (29% of the `rnn_step` benchmark's instructions). These evaluate in
//! `f64` with a polynomial exponential and selects instead of branches, then round once to
//! `f32`: within 1 ulp of the standard library's `f64` function rounded to `f32`, over
//! every `f32` input (an exhaustive test, `#[ignore]`d for its length, and a dense sample
//! in the default run), with `±0`, `±∞`, NaN and subnormals as the standard library gives
//! them.
//!
//! `f64` keeps the standard library's functions: its `f64` evaluation has no wider type
//! to hide its rounding in.

/// `1.5 · 2⁵²`: adding it rounds an `f64` of magnitude below `2⁵¹` to an integer, which
/// is then in the low bits of the sum (as in fdlibm and SLEEF).
const ROUNDER: f64 = 6_755_399_441_055_744.0;
/// `ln 2` in two parts, fdlibm's: `LN2_HI` has 32 trailing zero bits, so `k · LN2_HI`
/// is exact for `|k| < 2²⁰`.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);

/// `eᶻ` for `z` in `[−1000, 700]` (finite, no NaN): `z = k·ln 2 + r` with `|r| ≤ ln 2 / 2`,
/// `eʳ` by its Taylor polynomial to degree 13 (truncation below `2⁻⁵²` relative there),
/// then scaled by `2ᵏ` built from its bits. About 2 ulp of `f64`, far below `f32`'s.
///
/// `FUSED` evaluates the polynomial with fused multiply-adds (the AVX2 + FMA kernels);
/// both forms are within the bound.
#[inline(always)]
fn exp_in_range<const FUSED: bool>(z: f64) -> f64 {
    let shifted = z * std::f64::consts::LOG2_E + ROUNDER;
    let k = shifted - ROUNDER;
    let r = (z - k * LN2_HI) - k * LN2_LO;
    // Horner over 1/j! for j = 13 down to 0.
    let mut p = 1.0 / 6_227_020_800.0;
    p = madd::<FUSED>(p, r, 1.0 / 479_001_600.0);
    p = madd::<FUSED>(p, r, 1.0 / 39_916_800.0);
    p = madd::<FUSED>(p, r, 1.0 / 3_628_800.0);
    p = madd::<FUSED>(p, r, 1.0 / 362_880.0);
    p = madd::<FUSED>(p, r, 1.0 / 40_320.0);
    p = madd::<FUSED>(p, r, 1.0 / 5_040.0);
    p = madd::<FUSED>(p, r, 1.0 / 720.0);
    p = madd::<FUSED>(p, r, 1.0 / 120.0);
    p = madd::<FUSED>(p, r, 1.0 / 24.0);
    p = madd::<FUSED>(p, r, 1.0 / 6.0);
    p = madd::<FUSED>(p, r, 0.5);
    p = madd::<FUSED>(p, r, 1.0);
    p = madd::<FUSED>(p, r, 1.0);
    // k is the integer in the low bits of `shifted`; 2ᵏ is normal for k in [−1022, 1023].
    let k_bits = shifted.to_bits().wrapping_sub(ROUNDER.to_bits());
    let scale = f64::from_bits(k_bits.wrapping_add(1023) << 52);
    p * scale
}

/// `a·b + c`, fused into one rounding when `FUSED` (compiled to one instruction where the
/// caller enables FMA).
#[inline(always)]
fn madd<const FUSED: bool>(a: f64, b: f64, c: f64) -> f64 {
    if FUSED {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

/// `eˣ` for `f32`, within 1 ulp of the correctly rounded result: `e⁻¹¹⁰` already rounds
/// to `+0` and `e⁹⁰` to `+∞` in `f32`, so the argument is clamped there; NaN stays NaN.
#[inline]
pub(crate) fn exp_f32(x: f32) -> f32 {
    exp_f32_with::<false>(x)
}

#[inline(always)]
fn exp_f32_with<const FUSED: bool>(x: f32) -> f32 {
    // (a NaN stays NaN through the clamp and is passed on below)
    let z = (x as f64).clamp(-110.0, 90.0);
    let y = exp_in_range::<FUSED>(z) as f32;
    if x.is_nan() {
        x
    } else {
        y
    }
}

/// `tanh x` for `f32`, within 1 ulp of the correctly rounded result: `1 − 2/(e²ᵃ + 1)` for
/// `a = |x|` (clamped at 20, where `tanh` is 1 in `f64`), `a − a³/3` below `2⁻¹²` (where the
/// first form cancels), the sign of `x` (so `tanh(−0) = −0`); NaN stays NaN.
#[inline]
pub(crate) fn tanh_f32(x: f32) -> f32 {
    tanh_f32_with::<false>(x)
}

#[inline(always)]
fn tanh_f32_with<const FUSED: bool>(x: f32) -> f32 {
    let d = x as f64;
    let a = d.abs().min(20.0);
    let large = 1.0 - 2.0 / (exp_in_range::<FUSED>(2.0 * a) + 1.0);
    let small = a - a * a * a / 3.0;
    let y = if a < 1.0 / 4096.0 { small } else { large };
    let y = y.copysign(d) as f32;
    if x.is_nan() {
        x
    } else {
        y
    }
}

/// Which element-wise kernels run: the AVX2 + FMA ones where the CPU has both, unless
/// `TAPEGRAD_SIMD=portable` asks for the portable ones (so a machine with AVX2 can test
/// both paths; see [`simd`](super::simd::simd)).
fn use_avx2() -> bool {
    super::simd::simd() >= super::simd::Simd::Avx2
}

/// A slice kernel over `f32` from an element function, portable and AVX2 + FMA forms.
macro_rules! f32_slice_kernel {
    ($(#[$doc:meta])* $name:ident, $avx2:ident, $element:ident) => {
        $(#[$doc])*
        pub(crate) fn $name(src: &[f32], dst: &mut [f32]) {
            #[cfg(target_arch = "x86_64")]
            if use_avx2() {
                // SAFETY: `use_avx2` checked that this CPU has AVX2 and FMA.
                unsafe { $avx2(src, dst) };
                return;
            }
            for (d, &s) in dst.iter_mut().zip(src) {
                *d = $element::<false>(s);
            }
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2,fma")]
        fn $avx2(src: &[f32], dst: &mut [f32]) {
            for (d, &s) in dst.iter_mut().zip(src) {
                *d = $element::<true>(s);
            }
        }
    };
}

f32_slice_kernel!(
    /// `dst[i] = eˢʳᶜ⁽ⁱ⁾` over slices of one length.
    exp_f32_slice,
    exp_f32_avx2,
    exp_f32_with
);
f32_slice_kernel!(
    /// `dst[i] = tanh src[i]` over slices of one length.
    tanh_f32_slice,
    tanh_f32_avx2,
    tanh_f32_with
);

/// `dst[i] = src[i].exp()` for `f64`, the standard library's.
pub(crate) fn exp_f64_slice(src: &[f64], dst: &mut [f64]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = s.exp();
    }
}

/// `dst[i] = src[i].tanh()` for `f64`, the standard library's.
pub(crate) fn tanh_f64_slice(src: &[f64], dst: &mut [f64]) {
    for (d, &s) in dst.iter_mut().zip(src) {
        *d = s.tanh();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The distance in units in the last place between two `f32` of the same sign class;
    /// 0 for equal values (incl. two NaNs and `+0`/`−0` only when both are equal).
    fn ulps(a: f32, b: f32) -> u32 {
        if a.is_nan() && b.is_nan() {
            return 0;
        }
        if a == b {
            return if a.to_bits() == b.to_bits() {
                0
            } else {
                u32::MAX
            };
        }
        // map the bit patterns onto a line ordered like the values
        let line = |x: f32| {
            let bits = x.to_bits() as i64;
            if bits < 0x8000_0000 {
                bits
            } else {
                0x8000_0000 - bits
            }
        };
        (line(a) - line(b)).unsigned_abs().min(u32::MAX as u64) as u32
    }

    /// The reference: the standard library's `f64` function (within an ulp of `f64`),
    /// rounded to `f32`.
    fn worst(step: u32, ours: fn(f32) -> f32, reference: fn(f64) -> f64) -> (u32, f32) {
        let mut worst = (0, 0.0);
        let mut bits: u32 = 0;
        loop {
            let x = f32::from_bits(bits);
            let d = ulps(ours(x), reference(x as f64) as f32);
            if d > worst.0 {
                worst = (d, x);
            }
            match bits.checked_add(step) {
                Some(b) => bits = b,
                None => break,
            }
        }
        worst
    }

    #[test]
    fn special_values_are_the_standard_librarys() {
        for x in [
            0.0f32,
            -0.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            -f32::NAN,
            f32::MIN_POSITIVE,
            -f32::MIN_POSITIVE / 8.0,
            f32::from_bits(1),
            f32::MAX,
            f32::MIN,
            88.72283,
            88.72284,
            -103.97,
            -104.0,
        ] {
            for (ours, std) in [
                (exp_f32 as fn(f32) -> f32, f32::exp as fn(f32) -> f32),
                (tanh_f32, f32::tanh),
            ] {
                let (a, b) = (ours(x), std(x));
                assert!(
                    (a.is_nan() && b.is_nan()) || a.to_bits() == b.to_bits() || ulps(a, b) <= 1,
                    "{x:e}: {a:e} against {b:e}"
                );
            }
        }
        assert_eq!(tanh_f32(-0.0).to_bits(), (-0.0f32).to_bits());
        assert_eq!(tanh_f32(1e-40), 1e-40);
        assert_eq!(exp_f32(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp_f32(f32::INFINITY), f32::INFINITY);
    }

    #[test]
    fn within_one_ulp_on_a_dense_sample_of_all_f32() {
        // every 997th bit pattern: 4.3 million inputs of every sign, binade and class;
        // the fused forms (the AVX2 kernels' arithmetic) too, on any CPU
        for (name, ours, reference) in [
            (
                "exp",
                exp_f32_with::<false> as fn(f32) -> f32,
                f64::exp as fn(f64) -> f64,
            ),
            ("exp fused", exp_f32_with::<true>, f64::exp),
            ("tanh", tanh_f32_with::<false>, f64::tanh),
            ("tanh fused", tanh_f32_with::<true>, f64::tanh),
        ] {
            let (d, x) = worst(997, ours, reference);
            assert!(d <= 1, "{name}: {d} ulp at {x:e}");
        }
    }

    #[test]
    fn slice_kernels_agree_with_the_element_functions() {
        // whichever path this CPU takes (AVX2 + FMA or portable): within 1 ulp of the
        // portable element function, bit for bit on the specials
        let src: Vec<f32> = (0..10_007)
            .map(|i| f32::from_bits((i as u32).wrapping_mul(429_497)))
            .chain([0.0, -0.0, f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1e-40])
            .collect();
        let mut dst = vec![0.0; src.len()];
        for (kernel, element) in [
            (
                exp_f32_slice as fn(&[f32], &mut [f32]),
                exp_f32 as fn(f32) -> f32,
            ),
            (tanh_f32_slice, tanh_f32),
        ] {
            kernel(&src, &mut dst);
            for (&x, &y) in src.iter().zip(&dst) {
                assert!(ulps(y, element(x)) <= 1, "{x:e}: {y:e}");
            }
        }
    }

    #[test]
    #[ignore = "every f32 input: about 8 minutes in release (cargo test --release -- --ignored exhaustive)"]
    fn exhaustive_within_one_ulp() {
        for (name, ours, reference) in [
            (
                "exp",
                exp_f32_with::<false> as fn(f32) -> f32,
                f64::exp as fn(f64) -> f64,
            ),
            ("exp fused", exp_f32_with::<true>, f64::exp),
            ("tanh", tanh_f32_with::<false>, f64::tanh),
            ("tanh fused", tanh_f32_with::<true>, f64::tanh),
        ] {
            let (d, x) = worst(1, ours, reference);
            assert!(d <= 1, "{name}: {d} ulp at {x:e}");
        }
    }
}
