//! Tests of the element-wise functions: `f32` against the standard library's `f64`
//! functions rounded to `f32`, `f64` against a double-double reference (`reference.rs`),
//! special values against the standard library, and the slice kernels (portable and
//! AVX2 + FMA loops) against the element functions.

mod reference;

use super::exp::*;
use super::log::*;
use super::logistic::*;
use reference::{ulp_error, Dd, Ref};

type F32 = fn(f32) -> f32;
type F64 = fn(f64) -> f64;

/// The logistic function in plain `f64` arithmetic, the `f32` functions' reference.
fn sigmoid_f64(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// `softplus` in plain `f64` arithmetic, the `f32` functions' reference.
fn softplus_f64(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

/// Each `f32` function: its name, its portable and fused forms, and its reference.
fn f32_functions() -> [(&'static str, F32, F32, F64); 7] {
    [
        ("exp", exp_f32_with::<false>, exp_f32_with::<true>, f64::exp),
        (
            "exp_m1",
            exp_m1_f32_with::<false>,
            exp_m1_f32_with::<true>,
            f64::exp_m1,
        ),
        ("ln", ln_f32_with::<false>, ln_f32_with::<true>, f64::ln),
        (
            "ln_1p",
            ln_1p_f32_with::<false>,
            ln_1p_f32_with::<true>,
            f64::ln_1p,
        ),
        (
            "tanh",
            tanh_f32_with::<false>,
            tanh_f32_with::<true>,
            f64::tanh,
        ),
        (
            "sigmoid",
            sigmoid_f32_with::<false>,
            sigmoid_f32_with::<true>,
            sigmoid_f64,
        ),
        (
            "softplus",
            softplus_f32_with::<false>,
            softplus_f32_with::<true>,
            softplus_f64,
        ),
    ]
}

/// Each `f64` function: its name, its portable and fused forms, its reference, the
/// largest error (ulp) the tests allow, and the ranges sampled densely besides the bit
/// patterns.
type F64Case = (&'static str, F64, F64, fn(f64) -> Ref, f64, [(f64, f64); 2]);
fn f64_functions() -> [F64Case; 7] {
    [
        (
            "exp",
            exp_f64_with::<false>,
            exp_f64_with::<true>,
            reference::exp,
            1.0,
            [(-746.0, 710.0), (-1.0, 1.0)],
        ),
        (
            "exp_m1",
            exp_m1_f64_with::<false>,
            exp_m1_f64_with::<true>,
            reference::exp_m1,
            1.0,
            [(-40.0, 710.0), (-1.0, 1.0)],
        ),
        (
            "ln",
            ln_f64_with::<false>,
            ln_f64_with::<true>,
            reference::ln,
            1.0,
            [(0.0, 4.0), (0.5, 2.0)],
        ),
        (
            "ln_1p",
            ln_1p_f64_with::<false>,
            ln_1p_f64_with::<true>,
            reference::ln_1p,
            1.0,
            [(-1.0, 4.0), (-0.5, 0.5)],
        ),
        (
            "tanh",
            tanh_f64_with::<false>,
            tanh_f64_with::<true>,
            reference::tanh,
            1.0,
            [(-20.0, 20.0), (-1.0, 1.0)],
        ),
        (
            "sigmoid",
            sigmoid_f64_with::<false>,
            sigmoid_f64_with::<true>,
            reference::sigmoid,
            1.0,
            [(-746.0, 40.0), (-5.0, 5.0)],
        ),
        (
            "softplus",
            softplus_f64_with::<false>,
            softplus_f64_with::<true>,
            reference::softplus,
            1.5,
            [(-746.0, 40.0), (-5.0, 5.0)],
        ),
    ]
}

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

/// The worst distance to the reference (the `f64` function rounded to `f32`) over every
/// `step`-th bit pattern, and where.
fn worst_f32(step: u32, ours: F32, reference: F64) -> (u32, f32) {
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

fn assert_f32_within_one_ulp(name: &str, step: u32) {
    let (_, portable, fused, reference) = f32_functions()
        .into_iter()
        .find(|f| f.0 == name)
        .expect("a function");
    for (form, ours) in [("portable", portable), ("fused", fused)] {
        let (d, x) = worst_f32(step, ours, reference);
        assert!(d <= 1, "{name} ({form}): {d} ulp at {x:e}");
    }
}

// every 997th bit pattern: 4.3 million inputs of every sign, binade and class; the fused
// forms (the AVX2 kernels' arithmetic) too, on any CPU. One test per function, so that
// they run in parallel.
#[test]
fn f32_exp_within_one_ulp_on_a_dense_sample() {
    assert_f32_within_one_ulp("exp", 997);
}
#[test]
fn f32_exp_m1_within_one_ulp_on_a_dense_sample() {
    assert_f32_within_one_ulp("exp_m1", 997);
}
#[test]
fn f32_ln_within_one_ulp_on_a_dense_sample() {
    assert_f32_within_one_ulp("ln", 997);
}
#[test]
fn f32_ln_1p_within_one_ulp_on_a_dense_sample() {
    assert_f32_within_one_ulp("ln_1p", 997);
}
#[test]
fn f32_tanh_within_one_ulp_on_a_dense_sample() {
    assert_f32_within_one_ulp("tanh", 997);
}
#[test]
fn f32_sigmoid_within_one_ulp_on_a_dense_sample() {
    assert_f32_within_one_ulp("sigmoid", 997);
}
#[test]
fn f32_softplus_within_one_ulp_on_a_dense_sample() {
    assert_f32_within_one_ulp("softplus", 997);
}

#[test]
#[ignore = "every f32 input, 7 functions in 2 forms: about half an hour in release \
            (cargo test --release -p tapegrad-core -- --ignored f32_exhaustive)"]
fn f32_exhaustive_within_one_ulp() {
    for (name, ..) in f32_functions() {
        assert_f32_within_one_ulp(name, 1);
    }
}

const F32_SPECIALS: [f32; 22] = [
    0.0,
    -0.0,
    f32::INFINITY,
    f32::NEG_INFINITY,
    f32::NAN,
    -f32::NAN,
    f32::MIN_POSITIVE,
    -f32::MIN_POSITIVE / 8.0,
    f32::from_bits(1),
    -f32::from_bits(1),
    f32::MAX,
    f32::MIN,
    1.0,
    -1.0,
    -2.0,
    88.72283,
    88.72284,
    -103.97,
    -104.0,
    1000.0,
    -1000.0,
    1e-30,
];

#[test]
fn f32_special_values_are_the_references() {
    for (name, portable, fused, reference) in f32_functions() {
        for x in F32_SPECIALS {
            let want = reference(x as f64) as f32;
            for ours in [portable, fused] {
                let y = ours(x);
                assert!(
                    (y.is_nan() && want.is_nan())
                        || y.to_bits() == want.to_bits()
                        || ulps(y, want) <= 1,
                    "{name}({x:e}) = {y:e}, not {want:e}"
                );
            }
        }
    }
    assert_eq!(tanh_f32(-0.0).to_bits(), (-0.0f32).to_bits());
    assert_eq!(tanh_f32(1e-40), 1e-40);
    assert_eq!(exp_f32(f32::NEG_INFINITY), 0.0);
    assert_eq!(exp_f32(f32::INFINITY), f32::INFINITY);
    assert_eq!(
        exp_m1_f32_with::<false>(-0.0).to_bits(),
        (-0.0f32).to_bits()
    );
    assert_eq!(ln_1p_f32_with::<false>(-0.0).to_bits(), (-0.0f32).to_bits());
    assert_eq!(ln_f32_with::<false>(0.0), f32::NEG_INFINITY);
    assert!(ln_f32_with::<false>(-1.0).is_nan());
    assert_eq!(ln_1p_f32_with::<false>(-1.0), f32::NEG_INFINITY);
    assert!(ln_1p_f32_with::<false>(-1.5).is_nan());
    assert_eq!(sigmoid_f32_with::<false>(1000.0), 1.0);
    assert_eq!(sigmoid_f32_with::<false>(-1000.0), 0.0);
    assert_eq!(softplus_f32_with::<false>(1000.0), 1000.0);
    assert_eq!(softplus_f32_with::<false>(-1000.0), 0.0);
}

/// Inputs for an `f64` function: every `2⁶⁴/n`-th bit pattern (every sign, binade and
/// class; NaNs left out) and `n` evenly spaced points in each range.
fn f64_sample(n: u64, ranges: [(f64, f64); 2]) -> Vec<f64> {
    let step = u64::MAX / n;
    let patterns = (0..n)
        .map(|i| f64::from_bits(i * step))
        .filter(|x| !x.is_nan());
    let grid = ranges.into_iter().flat_map(move |(lo, hi)| {
        (0..n).map(move |i| lo + (hi - lo) * ((i as f64 + 0.5) / n as f64))
    });
    patterns.chain(grid).collect()
}

/// Whether `x` is in the function's domain with a finite result (the reference's
/// domain); the rest are special values, tested against the standard library.
fn in_domain(name: &str, x: f64) -> bool {
    x.is_finite()
        && match name {
            "ln" => x > 0.0,
            "ln_1p" => x > -1.0,
            _ => true,
        }
}

/// The largest error (ulp) of each form over the sample, and where.
fn worst_f64(name: &str, forms: &[F64], reference: fn(f64) -> Ref, xs: &[f64]) -> Vec<(f64, f64)> {
    let mut worst = vec![(0.0, 0.0); forms.len()];
    for &x in xs.iter().filter(|&&x| in_domain(name, x)) {
        let exact = reference(x);
        for (w, f) in worst.iter_mut().zip(forms) {
            let e = ulp_error(f(x), exact);
            if e > w.0 {
                *w = (e, x);
            }
        }
    }
    worst
}

fn assert_f64_within_bound(name: &str, n: u64) {
    let (_, portable, fused, reference, bound, ranges) = f64_functions()
        .into_iter()
        .find(|f| f.0 == name)
        .expect("a function");
    let xs = f64_sample(n, ranges);
    let worst = worst_f64(name, &[portable, fused], reference, &xs);
    for ((e, x), form) in worst.into_iter().zip(["portable", "fused"]) {
        eprintln!(
            "{name} ({form}): at most {e:.3} ulp (at {x:e}), {} inputs",
            xs.len()
        );
        assert!(e <= bound, "{name} ({form}): {e} ulp at {x:e}");
    }
}

// 2¹⁷ bit patterns and 2·2¹⁷ points in the ranges, both forms, one test per function.
#[test]
fn f64_exp_within_bound_of_the_reference() {
    assert_f64_within_bound("exp", 1 << 17);
}
#[test]
fn f64_exp_m1_within_bound_of_the_reference() {
    assert_f64_within_bound("exp_m1", 1 << 17);
}
#[test]
fn f64_ln_within_bound_of_the_reference() {
    assert_f64_within_bound("ln", 1 << 17);
}
#[test]
fn f64_ln_1p_within_bound_of_the_reference() {
    assert_f64_within_bound("ln_1p", 1 << 17);
}
#[test]
fn f64_tanh_within_bound_of_the_reference() {
    assert_f64_within_bound("tanh", 1 << 17);
}
#[test]
fn f64_sigmoid_within_bound_of_the_reference() {
    assert_f64_within_bound("sigmoid", 1 << 17);
}
#[test]
fn f64_softplus_within_bound_of_the_reference() {
    assert_f64_within_bound("softplus", 1 << 17);
}

#[test]
#[ignore = "2²⁴ bit patterns and 2·2²⁴ points per function: about 5 minutes in release \
            (cargo test --release -p tapegrad-core -- --ignored f64_dense --nocapture)"]
fn f64_dense_within_bound_of_the_reference() {
    for (name, ..) in f64_functions() {
        assert_f64_within_bound(name, 1 << 24);
    }
}

#[test]
fn reference_agrees_with_the_standard_library() {
    // glibc's exp, log, log1p and expm1 are within 1 ulp, its tanh within 2: a reference
    // off by more somewhere would show here
    let std_functions: [(&str, F64, f64); 5] = [
        ("exp", f64::exp, 1.0),
        ("exp_m1", f64::exp_m1, 1.0),
        ("ln", f64::ln, 1.0),
        ("ln_1p", f64::ln_1p, 1.0),
        ("tanh", f64::tanh, 2.0),
    ];
    for (name, std, bound) in std_functions {
        let (_, _, _, reference, _, ranges) = f64_functions()
            .into_iter()
            .find(|f| f.0 == name)
            .expect("a function");
        let xs = f64_sample(1 << 14, ranges);
        let (e, x) = worst_f64(name, &[std], reference, &xs)[0];
        assert!(e <= bound, "std's {name}: {e} ulp at {x:e}");
    }
}

#[test]
fn reference_ln2_is_its_series() {
    // ln 2 = 2 atanh(1/3)
    let series = reference::atanh_series(Dd::from(1.0) / Dd::from(3.0)) * Dd::from(2.0);
    let d = (series - reference::LN2).hi.abs();
    assert!(d < 1e-31, "{d:e}");
}

const F64_SPECIALS: [f64; 24] = [
    0.0,
    -0.0,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    -f64::NAN,
    f64::MIN_POSITIVE,
    -f64::MIN_POSITIVE / 8.0,
    f64::from_bits(1),
    -f64::from_bits(1),
    f64::MAX,
    f64::MIN,
    1.0,
    -1.0,
    -2.0,
    709.782712893384,
    709.7827128933841,
    -745.1332191019411,
    -745.1332191019412,
    -708.4,
    1000.0,
    -1000.0,
    1e-300,
    -1e-300,
];

#[test]
fn f64_special_values_are_the_standard_librarys() {
    let std_functions: [(&str, F64); 5] = [
        ("exp", f64::exp),
        ("exp_m1", f64::exp_m1),
        ("ln", f64::ln),
        ("ln_1p", f64::ln_1p),
        ("tanh", f64::tanh),
    ];
    for (name, std) in std_functions {
        let (_, portable, fused, ..) = f64_functions()
            .into_iter()
            .find(|f| f.0 == name)
            .expect("a function");
        for x in F64_SPECIALS {
            let want = std(x);
            for ours in [portable, fused] {
                let y = ours(x);
                let same = (y.is_nan() && want.is_nan()) || y.to_bits() == want.to_bits();
                // finite values in range: the error bound, measured on the reference
                let close = in_domain(name, x) && want.is_finite() && want != 0.0 && {
                    let (.., reference, bound, _) = f64_functions()
                        .into_iter()
                        .find(|f| f.0 == name)
                        .expect("a function");
                    ulp_error(y, reference(x)) <= bound
                };
                assert!(same || close, "{name}({x:e}) = {y:e}, not {want:e}");
            }
        }
    }
    let sigmoid = sigmoid_f64_with::<false>;
    let softplus = softplus_f64_with::<false>;
    assert_eq!((sigmoid(1000.0), sigmoid(-1000.0)), (1.0, 0.0));
    assert_eq!(
        (sigmoid(f64::INFINITY), sigmoid(f64::NEG_INFINITY)),
        (1.0, 0.0)
    );
    assert_eq!((sigmoid(0.0), sigmoid(-0.0)), (0.5, 0.5));
    assert!(sigmoid(f64::NAN).is_nan() && softplus(f64::NAN).is_nan());
    assert_eq!((softplus(1000.0), softplus(-1000.0)), (1000.0, 0.0));
    assert_eq!(
        (softplus(f64::INFINITY), softplus(f64::NEG_INFINITY)),
        (f64::INFINITY, 0.0)
    );
    // the tails follow eˣ into the subnormals
    assert_eq!(sigmoid(-740.0), (-740f64).exp());
    assert_eq!(softplus(-740.0), (-740f64).exp());
    assert_eq!(tanh_f64_with::<false>(-0.0).to_bits(), (-0.0f64).to_bits());
    assert_eq!(tanh_f64_with::<false>(-1e-310), -1e-310);
}

/// Bit patterns of every class, a length that is no multiple of any vector width, and
/// the special values.
fn slice_inputs<T: Copy>(from_bits: impl Fn(u64) -> T, specials: &[T]) -> Vec<T> {
    (0..10_007u64)
        .map(|i| from_bits(i.wrapping_mul(0x9e37_79b9_7f4a_7c15)))
        .chain(specials.iter().copied())
        .collect()
}

/// A slice kernel: its dispatching function or one of its loops.
#[cfg(target_arch = "x86_64")]
type Kernel<T> = unsafe fn(&[T], &mut [T]);

/// An element function.
#[cfg(target_arch = "x86_64")]
type Element<T> = fn(T) -> T;

/// One function's kernels (dispatching, portable, AVX2, AVX-512) on `src`, bit for bit
/// (`same`) against the element functions they vectorise: the portable loop against the
/// plain form, the AVX2 and AVX-512 loops (where this CPU has them, whatever
/// `TAPEGRAD_SIMD` says) against the fused form, the dispatching function against either.
#[cfg(target_arch = "x86_64")]
fn check_kernels<T: Copy + Default + std::fmt::LowerExp>(
    name: &str,
    src: &[T],
    (dispatch, portable, vector, wide): (Kernel<T>, Kernel<T>, Kernel<T>, Kernel<T>),
    (element, fused): (Element<T>, Element<T>),
    same: fn(T, T) -> bool,
) {
    let avx2 = is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma");
    let avx512 = avx2 && is_x86_feature_detected!("avx512f");
    let mut dst = vec![T::default(); src.len()];
    let mut paths: Vec<(Kernel<T>, Element<T>)> = vec![(portable, element)];
    if avx2 {
        paths.push((vector, fused));
    }
    if avx512 {
        paths.push((wide, fused));
    }
    for (kernel, f) in paths {
        // SAFETY: the AVX2 (AVX-512) loops only where this CPU has AVX2 and FMA
        // (AVX-512F)
        unsafe { kernel(src, &mut dst) };
        for (&x, &y) in src.iter().zip(&dst) {
            assert!(same(y, f(x)), "{name}({x:e}): {y:e}, not {:e}", f(x));
        }
    }
    // SAFETY: the dispatching kernel is a safe function
    unsafe { dispatch(src, &mut dst) };
    for (&x, &y) in src.iter().zip(&dst) {
        assert!(
            same(y, element(x)) || same(y, fused(x)),
            "{name}({x:e}): {y:e}"
        );
    }
}

#[test]
#[cfg(target_arch = "x86_64")]
fn slice_kernels_are_the_element_functions() {
    type K32 = Kernel<f32>;
    type K64 = Kernel<f64>;
    let same32 = |a: f32, b: f32| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
    let same64 = |a: f64, b: f64| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());

    let src = slice_inputs(|b| f32::from_bits((b >> 32) as u32), &F32_SPECIALS);
    let kernels32: [(K32, K32, K32, K32); 7] = [
        (
            exp_f32_slice,
            exp_f32_portable,
            exp_f32_avx2,
            exp_f32_avx512,
        ),
        (
            exp_m1_f32_slice,
            exp_m1_f32_portable,
            exp_m1_f32_avx2,
            exp_m1_f32_avx512,
        ),
        (ln_f32_slice, ln_f32_portable, ln_f32_avx2, ln_f32_avx512),
        (
            ln_1p_f32_slice,
            ln_1p_f32_portable,
            ln_1p_f32_avx2,
            ln_1p_f32_avx512,
        ),
        (
            tanh_f32_slice,
            tanh_f32_portable,
            tanh_f32_avx2,
            tanh_f32_avx512,
        ),
        (
            sigmoid_f32_slice,
            sigmoid_f32_portable,
            sigmoid_f32_avx2,
            sigmoid_f32_avx512,
        ),
        (
            softplus_f32_slice,
            softplus_f32_portable,
            softplus_f32_avx2,
            softplus_f32_avx512,
        ),
    ];
    for (kernels, (name, element, fused, _)) in kernels32.into_iter().zip(f32_functions()) {
        check_kernels(name, &src, kernels, (element, fused), same32);
    }

    let src = slice_inputs(f64::from_bits, &F64_SPECIALS);
    let kernels64: [(K64, K64, K64, K64); 7] = [
        (
            exp_f64_slice,
            exp_f64_portable,
            exp_f64_avx2,
            exp_f64_avx512,
        ),
        (
            exp_m1_f64_slice,
            exp_m1_f64_portable,
            exp_m1_f64_avx2,
            exp_m1_f64_avx512,
        ),
        (ln_f64_slice, ln_f64_portable, ln_f64_avx2, ln_f64_avx512),
        (
            ln_1p_f64_slice,
            ln_1p_f64_portable,
            ln_1p_f64_avx2,
            ln_1p_f64_avx512,
        ),
        (
            tanh_f64_slice,
            tanh_f64_portable,
            tanh_f64_avx2,
            tanh_f64_avx512,
        ),
        (
            sigmoid_f64_slice,
            sigmoid_f64_portable,
            sigmoid_f64_avx2,
            sigmoid_f64_avx512,
        ),
        (
            softplus_f64_slice,
            softplus_f64_portable,
            softplus_f64_avx2,
            softplus_f64_avx512,
        ),
    ];
    for (kernels, (name, element, fused, ..)) in kernels64.into_iter().zip(f64_functions()) {
        check_kernels(name, &src, kernels, (element, fused), same64);
    }
}
