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
