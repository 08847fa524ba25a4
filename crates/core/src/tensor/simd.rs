//! Which instruction set the hand-written kernels use (the GEMM's micro-kernels and the
//! element-wise functions of `elementary/`): the widest this CPU has, capped by
//! `TAPEGRAD_SIMD` so that a machine with AVX-512 can also run and test the narrower paths.

/// An instruction-set level, ordered from narrowest to widest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Simd {
    /// Plain Rust, vectorised by the compiler for the build's baseline target.
    Portable,
    /// x86-64 AVX2 with FMA (256-bit vectors).
    Avx2,
    /// x86-64 AVX-512F (512-bit vectors).
    Avx512,
}

impl Simd {
    /// The widest level this CPU supports.
    pub(crate) fn detected() -> Simd {
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx512f") {
                return Simd::Avx512;
            }
            if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                return Simd::Avx2;
            }
        }
        Simd::Portable
    }

    /// The level a `TAPEGRAD_SIMD` value asks for at most (`portable`, `avx2`, `avx512`);
    /// `None` for anything else, which leaves the CPU's own level.
    fn parse(name: &str) -> Option<Simd> {
        match name.trim().to_ascii_lowercase().as_str() {
            "portable" => Some(Simd::Portable),
            "avx2" => Some(Simd::Avx2),
            "avx512" | "avx-512" => Some(Simd::Avx512),
            _ => None,
        }
    }
}

/// The level the kernels use: [`Simd::detected`], lowered to `TAPEGRAD_SIMD` when that is
/// set (`TAPEGRAD_SIMD=avx2` on an AVX-512 machine runs the AVX2 kernels; it never raises
/// the level above what the CPU has). Read once.
pub(crate) fn simd() -> Simd {
    static LEVEL: std::sync::OnceLock<Simd> = std::sync::OnceLock::new();
    *LEVEL.get_or_init(|| {
        let cap = std::env::var("TAPEGRAD_SIMD")
            .ok()
            .and_then(|v| Simd::parse(&v));
        let has = Simd::detected();
        cap.map_or(has, |cap| cap.min(has))
    })
}

/// `f()`, called from a function compiled for the instruction set of [`simd`]'s level, so
/// that the loops of `f` (inlined there, with the `#[inline(always)]` functions it calls)
/// are vectorised for this CPU's widest vectors, not only the build's baseline (SSE2 on
/// x86-64). For small loops that a hand-written kernel would not repay: the arithmetic is
/// what the code says at every level (Rust never fuses a multiply and an add, nor
/// reorders a sum), so the results are the same bits. Mark the closure
/// `#[inline(always)]`: without it the closure was compiled as a function of its own, for
/// the baseline, and ran slower than before (measured on the thin matrix products).
///
/// ```ignore
/// let products = with_widest(#[inline(always)] || {
///     xs.iter().zip(ys).map(|(x, y)| x * y).collect::<Vec<f32>>()
/// });
/// ```
#[inline(always)]
pub(crate) fn with_widest<R>(f: impl FnOnce() -> R) -> R {
    with_level(simd(), f)
}

/// [`with_widest`] at `level`, capped at what this CPU has: what a test that runs every
/// level calls.
#[inline(always)]
pub(crate) fn with_level<R>(level: Simd, f: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    match level.min(Simd::detected()) {
        // SAFETY: `detected` found AVX-512F, AVX2 and FMA on this CPU.
        Simd::Avx512 => return unsafe { avx512(f) },
        // SAFETY: `detected` found AVX2 and FMA on this CPU.
        Simd::Avx2 => return unsafe { avx2(f) },
        Simd::Portable => {}
    }
    let _ = level;
    f()
}

/// `f()` with AVX-512F enabled (see [`with_widest`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx2,fma")]
unsafe fn avx512<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// `f()` with AVX2 and FMA enabled (see [`with_widest`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_order_and_parse() {
        assert!(Simd::Portable < Simd::Avx2 && Simd::Avx2 < Simd::Avx512);
        assert_eq!(Simd::parse(" AVX2 "), Some(Simd::Avx2));
        assert_eq!(Simd::parse("avx-512"), Some(Simd::Avx512));
        assert_eq!(Simd::parse("sse9"), None);
        assert!(simd() <= Simd::detected());
    }
}
