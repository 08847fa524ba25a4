//! The one float trait every tensor, tape and op is generic over.
//! Implemented for `f32` and `f64`; nothing else is planned.

use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Rem, Sub, SubAssign};

/// A floating-point element type: `f32` or `f64`.
///
/// The trait is sealed: it cannot be implemented outside this crate. Code generic over
/// `T: Float` may rely on `T` being one of the two IEEE types (the conventions at kinks
/// and edges, the finite-difference defaults and the matrix kernels are written for
/// them), and the engine may add methods without breaking anyone.
///
/// # Design
/// A trait of our own instead of `num-traits`: the engine needs a couple of dozen methods,
/// all of which map one-to-one onto the inherent methods of `f32`/`f64`.
pub trait Float:
    sealed::Sealed
    + Copy
    + Default
    + Debug
    + Display
    + PartialOrd
    + PartialEq
    + Send
    + Sync
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Rem<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Sum
{
    /// The type's name: `"f32"` or `"f64"`.
    const NAME: &'static str;
    /// Additive identity.
    const ZERO: Self;
    /// Multiplicative identity.
    const ONE: Self;
    /// Positive infinity.
    const INFINITY: Self;
    /// Negative infinity.
    const NEG_INFINITY: Self;
    /// Not a number.
    const NAN: Self;
    /// Machine epsilon.
    const EPSILON: Self;

    /// Converts from `f64`, rounding to nearest.
    fn from_f64(x: f64) -> Self;
    /// Converts to `f64` exactly.
    fn to_f64(self) -> f64;
    /// `e^x`.
    fn exp(self) -> Self;
    /// `dst[i] = src[i].exp()` over slices of one length: the kernel of the `exp` op
    /// (vectorised).
    #[doc(hidden)]
    fn exp_slice(src: &[Self], dst: &mut [Self]);
    /// `dst[i] = src[i].tanh()` over slices of one length: the kernel of the `tanh` op
    /// (vectorised).
    #[doc(hidden)]
    fn tanh_slice(src: &[Self], dst: &mut [Self]);
    /// `dst[i] = src[i].ln()` over slices of one length: the kernel of the `log` op
    /// (vectorised).
    #[doc(hidden)]
    fn ln_slice(src: &[Self], dst: &mut [Self]);
    /// `dst[i] = src[i].ln_1p()` over slices of one length: the kernel of the `log1p` op
    /// (vectorised).
    #[doc(hidden)]
    fn ln_1p_slice(src: &[Self], dst: &mut [Self]);
    /// `dst[i] = src[i].exp_m1()` over slices of one length: the kernel of the `expm1` op
    /// (vectorised).
    #[doc(hidden)]
    fn exp_m1_slice(src: &[Self], dst: &mut [Self]);
    /// `dst[i] = 1 / (1 + e^-src[i])` over slices of one length, stable for any input: the
    /// kernel of the `sigmoid` op (vectorised).
    #[doc(hidden)]
    fn sigmoid_slice(src: &[Self], dst: &mut [Self]);
    /// `dst[i] = ln(1 + e^src[i])` as `max(x, 0) + ln(1 + e^-|x|)` over slices of one
    /// length: the kernel of the `softplus` op (vectorised).
    #[doc(hidden)]
    fn softplus_slice(src: &[Self], dst: &mut [Self]);
    /// Natural logarithm.
    fn ln(self) -> Self;
    /// `ln(1 + x)`, accurate near 0.
    fn ln_1p(self) -> Self;
    /// `e^x - 1`, accurate near 0.
    fn exp_m1(self) -> Self;
    /// Square root.
    fn sqrt(self) -> Self;
    /// Sine.
    fn sin(self) -> Self;
    /// Cosine.
    fn cos(self) -> Self;
    /// Tangent.
    fn tan(self) -> Self;
    /// Hyperbolic tangent.
    fn tanh(self) -> Self;
    /// Absolute value.
    fn abs(self) -> Self;
    /// `self^e` for a float exponent.
    fn powf(self, e: Self) -> Self;
    /// `self^n` for an integer exponent.
    fn powi(self, n: i32) -> Self;
    /// The larger of two values (NaN-ignoring, as `f64::max`).
    fn max(self, other: Self) -> Self;
    /// The smaller of two values (NaN-ignoring, as `f64::min`).
    fn min(self, other: Self) -> Self;
    /// `+1`, `-1` (or `±0`/NaN as `f64::signum`).
    fn signum(self) -> Self;
    /// True for NaN.
    fn is_nan(self) -> bool;
    /// True unless infinite or NaN.
    fn is_finite(self) -> bool;

    /// `C = A·B` for strided views (the GEMM of `tensor/gemm`): `a` holds the `m×k`
    /// matrix with element `(i, p)` at `i·rsa + p·csa`, `b` the `k×n` one likewise, and the
    /// `m×n` result overwrites `c` in row-major order, split over at most `threads` worker
    /// threads when it is large enough to pay.
    ///
    /// # Panics
    /// When `c` is not `m·n` long or a stride reaches past the end of its slice: the
    /// extents are checked before any unsafe kernel runs, so no caller can make it read
    /// or write out of bounds.
    #[doc(hidden)]
    #[allow(clippy::too_many_arguments)]
    #[track_caller]
    fn gemm(
        m: usize,
        k: usize,
        n: usize,
        a: &[Self],
        a_strides: (usize, usize),
        b: &[Self],
        b_strides: (usize, usize),
        c: &mut [Self],
        threads: usize,
    ) {
        let then = crate::tensor::gemm::Epilogue::NONE;
        Self::gemm_then(m, k, n, a, a_strides, b, b_strides, c, threads, then)
    }

    /// [`gemm`](Self::gemm), then `then` (a bias per column, `relu`) on each value of the
    /// result as it is stored, while it is in registers.
    ///
    /// # Panics
    /// As [`gemm`](Self::gemm), and when the bias is not `n` long.
    #[doc(hidden)]
    #[allow(clippy::too_many_arguments)]
    fn gemm_then(
        m: usize,
        k: usize,
        n: usize,
        a: &[Self],
        a_strides: (usize, usize),
        b: &[Self],
        b_strides: (usize, usize),
        c: &mut [Self],
        threads: usize,
        then: crate::tensor::gemm::Epilogue<'_, Self>,
    );
}

/// `relu` of one value, `max(x, 0)` with NaN kept (not `T::max`, which would turn NaN into
/// 0) and `-0` to `+0`: the one definition, which the `relu` op, [`Activation::Relu`], the
/// plans' scalar steps and the GEMM's epilogue all use.
#[inline(always)]
pub(crate) fn relu<T: Float>(x: T) -> T {
    if x > T::ZERO || x.is_nan() {
        x
    } else {
        T::ZERO
    }
}

/// An element-wise function an op may apply to its output as it writes it
/// ([`Op::forward_into_then`](crate::Op::forward_into_then)): what a [`Plan`](crate::Plan)
/// fuses into the op before it (`linear` applies it in its matrix product's tiles).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Activation {
    /// `relu`: `x` where `x > 0` or `x` is NaN, else `+0`.
    Relu,
    /// `tanh`, as the `tanh` op computes it.
    Tanh,
    /// GELU, tanh approximation, as the `gelu` op computes it ([`Var::gelu`](crate::Var::gelu)).
    Gelu,
}

impl Activation {
    /// Every activation, in declaration order (what the op-author's kit checks an op's
    /// [`forward_into_then`](crate::Op::forward_into_then) with).
    pub const ALL: [Activation; 3] = [Activation::Relu, Activation::Tanh, Activation::Gelu];

    /// The function at one value: what an op that applies it must give, to the bit.
    ///
    /// ```
    /// use tapegrad_core::{Activation, Tape, Tensor};
    /// assert_eq!(Activation::Relu.apply(-2.0f64), 0.0);
    /// assert!(Activation::Relu.apply(-0.0f32).is_sign_positive());
    /// assert!(Activation::Relu.apply(f64::NAN).is_nan());
    /// // the `tanh` op's value, to the bit
    /// let tape = Tape::<f32>::new();
    /// let y = tape.leaf(Tensor::scalar(0.7f32)).tanh();
    /// assert_eq!(Activation::Tanh.apply(0.7f32).to_bits(), y.item().to_bits());
    /// ```
    pub fn apply<T: Float>(self, x: T) -> T {
        match self {
            Activation::Relu => relu(x),
            Activation::Tanh => at_one(T::tanh_slice, x),
            Activation::Gelu => at_one(gelu_slice, x),
        }
    }

    /// [`apply`](Self::apply) to every value of `xs`, in place, with the CPU's vectors.
    pub(crate) fn apply_in_place<T: Float>(self, xs: &mut [T]) {
        match self {
            Activation::Relu => crate::tensor::simd::with_widest(
                #[inline(always)]
                || xs.iter_mut().for_each(|x| *x = relu(*x)),
            ),
            Activation::Tanh => in_place(xs, T::tanh_slice),
            Activation::Gelu => in_place(xs, gelu_slice),
        }
    }
}

/// `kernel` (which reads one slice and writes another) over `xs` in place, through a
/// copy of each chunk on the stack.
fn in_place<T: Float>(xs: &mut [T], kernel: impl Fn(&[T], &mut [T])) {
    const CHUNK: usize = 256;
    let mut copy = [T::ZERO; CHUNK];
    for chunk in xs.chunks_mut(CHUNK) {
        let copy = &mut copy[..chunk.len()];
        copy.copy_from_slice(chunk);
        kernel(copy, chunk);
    }
}

/// GELU with the tanh approximation (Hendrycks & Gimpel 2016; PyTorch's
/// `approximate="tanh"`) of each value of `src` into `dst`:
/// `x·½·(tanh(√(2/π)·(x + 0.044715·x³)) + 1)`, with exactly the roundings of those
/// operations in that order (so the same numbers as the composed ops), `tanh` the
/// vectorised one of the `tanh` op. The one definition, which the `gelu` op,
/// [`Activation::Gelu`] and the GEMM's epilogue use.
pub(crate) fn gelu_slice<T: Float>(src: &[T], dst: &mut [T]) {
    let (a, c, half) = gelu_constants::<T>();
    const CHUNK: usize = 256;
    let mut t = [T::ZERO; CHUNK];
    for (d, x) in dst.chunks_mut(CHUNK).zip(src.chunks(CHUNK)) {
        let t = &mut t[..d.len()];
        crate::tensor::simd::with_widest(
            #[inline(always)]
            || {
                for (u, &x) in t.iter_mut().zip(x) {
                    *u = (x + x * x * x * a) * c;
                }
            },
        );
        T::tanh_slice(t, d);
        crate::tensor::simd::with_widest(
            #[inline(always)]
            || {
                for (y, &x) in d.iter_mut().zip(x) {
                    *y = x * half * (*y + T::ONE);
                }
            },
        );
    }
}

/// GELU's derivative (tanh approximation) at each value of `src`, into `dst`:
/// `½·(t + 1) + x·½·(1 − t²)·√(2/π)·(3·0.044715·x̂² + 1)` with `t` as in [`gelu_slice`]
/// and `x̂` the value clamped to ±10 (beyond, `1 − t²` is exactly 0 and `x²` could
/// overflow: `0·∞`).
pub(crate) fn gelu_grad_slice<T: Float>(src: &[T], dst: &mut [T]) {
    let (a, c, half) = gelu_constants::<T>();
    let (three_a, ten) = (a * T::from_f64(3.0), T::from_f64(10.0));
    const CHUNK: usize = 256;
    let mut t = [T::ZERO; CHUNK];
    for (d, x) in dst.chunks_mut(CHUNK).zip(src.chunks(CHUNK)) {
        let t = &mut t[..d.len()];
        crate::tensor::simd::with_widest(
            #[inline(always)]
            || {
                for (u, &x) in t.iter_mut().zip(x) {
                    *u = (x + x * x * x * a) * c;
                }
            },
        );
        T::tanh_slice(t, d);
        crate::tensor::simd::with_widest(
            #[inline(always)]
            || {
                for (y, &x) in d.iter_mut().zip(x) {
                    let t = *y;
                    let xc = if x > ten {
                        ten
                    } else if x < -ten {
                        -ten
                    } else {
                        x
                    };
                    let slope = (xc * xc * three_a + T::ONE) * c;
                    *y = (t + T::ONE) * half + x * half * (T::ONE - t * t) * slope;
                }
            },
        );
    }
}

/// A slice kernel (`tanh_slice`, [`gelu_slice`], …) at one number: what a map of the
/// kernel gives that element, to the bit (so an op's `scalar_forward` is its `forward`).
#[inline]
pub(crate) fn at_one<T: Float>(kernel: impl Fn(&[T], &mut [T]), x: T) -> T {
    let mut y = [T::ZERO];
    kernel(&[x], &mut y);
    y[0]
}

/// GELU's constants: `0.044715`, `√(2/π)` and `½`, rounded to `T`.
pub(crate) fn gelu_constants<T: Float>() -> (T, T, T) {
    (
        T::from_f64(0.044715),
        T::from_f64((2.0 / std::f64::consts::PI).sqrt()),
        T::from_f64(0.5),
    )
}

mod sealed {
    /// The seal on [`Float`](super::Float): only this crate can name it.
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for f64 {}
}

/// `Float` for `$t`: `$exp`/`$tanh` the scalar functions, `$kernels` the module's slice
/// kernels `<name>_$t_slice` passed as `[exp, tanh, ln, ln_1p, exp_m1, sigmoid, softplus]`.
macro_rules! impl_float {
    ($t:ident, $exp:path, $tanh:path,
     [$exp_slice:path, $tanh_slice:path, $ln_slice:path, $ln_1p_slice:path,
      $exp_m1_slice:path, $sigmoid_slice:path, $softplus_slice:path]) => {
        impl Float for $t {
            const NAME: &'static str = stringify!($t);
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const INFINITY: Self = $t::INFINITY;
            const NEG_INFINITY: Self = $t::NEG_INFINITY;
            const NAN: Self = $t::NAN;
            const EPSILON: Self = $t::EPSILON;

            #[inline]
            fn from_f64(x: f64) -> Self {
                x as $t
            }
            #[inline]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline]
            fn exp(self) -> Self {
                $exp(self)
            }
            fn exp_slice(src: &[Self], dst: &mut [Self]) {
                $exp_slice(src, dst)
            }
            fn tanh_slice(src: &[Self], dst: &mut [Self]) {
                $tanh_slice(src, dst)
            }
            fn ln_slice(src: &[Self], dst: &mut [Self]) {
                $ln_slice(src, dst)
            }
            fn ln_1p_slice(src: &[Self], dst: &mut [Self]) {
                $ln_1p_slice(src, dst)
            }
            fn exp_m1_slice(src: &[Self], dst: &mut [Self]) {
                $exp_m1_slice(src, dst)
            }
            fn sigmoid_slice(src: &[Self], dst: &mut [Self]) {
                $sigmoid_slice(src, dst)
            }
            fn softplus_slice(src: &[Self], dst: &mut [Self]) {
                $softplus_slice(src, dst)
            }
            #[inline]
            fn ln(self) -> Self {
                $t::ln(self)
            }
            #[inline]
            fn ln_1p(self) -> Self {
                $t::ln_1p(self)
            }
            #[inline]
            fn exp_m1(self) -> Self {
                $t::exp_m1(self)
            }
            #[inline]
            fn sqrt(self) -> Self {
                $t::sqrt(self)
            }
            #[inline]
            fn sin(self) -> Self {
                $t::sin(self)
            }
            #[inline]
            fn cos(self) -> Self {
                $t::cos(self)
            }
            #[inline]
            fn tan(self) -> Self {
                $t::tan(self)
            }
            #[inline]
            fn tanh(self) -> Self {
                $tanh(self)
            }
            #[inline]
            fn abs(self) -> Self {
                $t::abs(self)
            }
            #[inline]
            fn powf(self, e: Self) -> Self {
                $t::powf(self, e)
            }
            #[inline]
            fn powi(self, n: i32) -> Self {
                $t::powi(self, n)
            }
            #[inline]
            fn max(self, other: Self) -> Self {
                $t::max(self, other)
            }
            #[inline]
            fn min(self, other: Self) -> Self {
                $t::min(self, other)
            }
            #[inline]
            fn signum(self) -> Self {
                $t::signum(self)
            }
            #[inline]
            fn is_nan(self) -> bool {
                $t::is_nan(self)
            }
            #[inline]
            fn is_finite(self) -> bool {
                $t::is_finite(self)
            }
            #[track_caller]
            fn gemm_then(
                m: usize,
                k: usize,
                n: usize,
                a: &[Self],
                (rs, cs): (usize, usize),
                b: &[Self],
                (rsb, csb): (usize, usize),
                c: &mut [Self],
                threads: usize,
                then: crate::tensor::gemm::Epilogue<'_, Self>,
            ) {
                use crate::tensor::gemm::{gemm, View};
                let a = View { data: a, rs, cs };
                let b = View {
                    data: b,
                    rs: rsb,
                    cs: csb,
                };
                gemm((m, k, n), a, b, c, threads, then)
            }
        }
    };
}

// The slice kernels are branch-free for both types (`tensor/elementary/`) so that maps over
// them vectorise; so are f32's scalar `exp` and `tanh`. f64's scalar functions are the
// standard library's.
use crate::tensor::elementary as el;
impl_float!(
    f32,
    el::exp_f32,
    el::tanh_f32,
    [
        el::exp_f32_slice,
        el::tanh_f32_slice,
        el::ln_f32_slice,
        el::ln_1p_f32_slice,
        el::exp_m1_f32_slice,
        el::sigmoid_f32_slice,
        el::softplus_f32_slice
    ]
);
impl_float!(
    f64,
    f64::exp,
    f64::tanh,
    [
        el::exp_f64_slice,
        el::tanh_f64_slice,
        el::ln_f64_slice,
        el::ln_1p_f64_slice,
        el::exp_m1_f64_slice,
        el::sigmoid_f64_slice,
        el::softplus_f64_slice
    ]
);
