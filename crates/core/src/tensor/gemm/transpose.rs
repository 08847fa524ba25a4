//! Copying a block transposed, the inner step of packing a sliver from an operand whose
//! rows run the other way (`B` read transposed, or a row-major `A`): in 8 × 8 (`f32`) or
//! 4 × 4 (`f64`) register blocks with AVX, element by element at the edges. Element by
//! element throughout, a 128 × 128 `B` took longer to pack than to multiply by 32 rows.

use super::super::simd::{simd, Simd};

/// Types whose blocks can be copied transposed.
pub(crate) trait Transpose: Copy {
    /// `dst[j·ds + i] = src[i·ss + j]` for `i < rows`, `j < cols`.
    ///
    /// # Panics
    /// When a slice is too short for the block.
    fn transpose(src: &[Self], ss: usize, rows: usize, cols: usize, dst: &mut [Self], ds: usize);
}

/// The element-by-element copy (also the edges of the blocked ones).
fn scalar<T: Copy>(src: &[T], ss: usize, (rows, cols): (usize, usize), dst: &mut [T], ds: usize) {
    for i in 0..rows {
        for (j, &x) in src[i * ss..i * ss + cols].iter().enumerate() {
            dst[j * ds + i] = x;
        }
    }
}

/// Panics unless both slices hold the `rows × cols` block.
fn check<T>(src: &[T], ss: usize, (rows, cols): (usize, usize), dst: &[T], ds: usize) {
    if rows > 0 && cols > 0 {
        assert!(
            (rows - 1) * ss + cols <= src.len() && (cols - 1) * ds + rows <= dst.len(),
            "transpose: a {rows}×{cols} block does not fit"
        );
    }
}

macro_rules! transpose_impl {
    ($t:ty, $block:literal, $avx:ident) => {
        impl Transpose for $t {
            fn transpose(
                src: &[Self],
                ss: usize,
                rows: usize,
                cols: usize,
                dst: &mut [Self],
                ds: usize,
            ) {
                check(src, ss, (rows, cols), dst, ds);
                let (rb, cb) = (rows / $block * $block, cols / $block * $block);
                #[cfg(target_arch = "x86_64")]
                if simd() >= Simd::Avx2 && rb > 0 && cb > 0 {
                    // SAFETY: `check` made both slices hold the block, and the CPU has AVX
                    // (it has AVX2).
                    unsafe { $avx(src.as_ptr(), ss, (rb, cb), dst.as_mut_ptr(), ds) };
                    // the edges: the columns right of the blocks, then the rows below
                    if cols > cb {
                        scalar(&src[cb..], ss, (rb, cols - cb), &mut dst[cb * ds..], ds);
                    }
                    if rows > rb {
                        scalar(&src[rb * ss..], ss, (rows - rb, cols), &mut dst[rb..], ds);
                    }
                    return;
                }
                let _ = (rb, cb);
                scalar(src, ss, (rows, cols), dst, ds);
            }
        }
    };
}
transpose_impl!(f32, 8, transpose_f32_avx);
transpose_impl!(f64, 4, transpose_f64_avx);

/// The blocked `f32` copy over the whole 8 × 8 blocks of a `rows × cols` block.
///
/// # Safety
/// As [`Transpose::transpose`]'s checks, with the CPU having AVX.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn transpose_f32_avx(
    src: *const f32,
    ss: usize,
    (rows, cols): (usize, usize),
    dst: *mut f32,
    ds: usize,
) {
    use std::arch::x86_64::*;
    for i0 in (0..rows).step_by(8) {
        for j0 in (0..cols).step_by(8) {
            // SAFETY: inside the block the caller made valid.
            unsafe {
                macro_rules! r {
                    ($t:literal) => {
                        _mm256_loadu_ps(src.add((i0 + $t) * ss + j0))
                    };
                }
                let (r0, r1, r2, r3) = (r!(0), r!(1), r!(2), r!(3));
                let (r4, r5, r6, r7) = (r!(4), r!(5), r!(6), r!(7));
                let (t0, t1) = (_mm256_unpacklo_ps(r0, r1), _mm256_unpackhi_ps(r0, r1));
                let (t2, t3) = (_mm256_unpacklo_ps(r2, r3), _mm256_unpackhi_ps(r2, r3));
                let (t4, t5) = (_mm256_unpacklo_ps(r4, r5), _mm256_unpackhi_ps(r4, r5));
                let (t6, t7) = (_mm256_unpacklo_ps(r6, r7), _mm256_unpackhi_ps(r6, r7));
                let s0 = _mm256_shuffle_ps::<0x44>(t0, t2);
                let s1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
                let s2 = _mm256_shuffle_ps::<0x44>(t1, t3);
                let s3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
                let s4 = _mm256_shuffle_ps::<0x44>(t4, t6);
                let s5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
                let s6 = _mm256_shuffle_ps::<0x44>(t5, t7);
                let s7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
                macro_rules! w {
                    ($u:literal, $x:expr) => {
                        _mm256_storeu_ps(dst.add((j0 + $u) * ds + i0), $x)
                    };
                }
                w!(0, _mm256_permute2f128_ps::<0x20>(s0, s4));
                w!(1, _mm256_permute2f128_ps::<0x20>(s1, s5));
                w!(2, _mm256_permute2f128_ps::<0x20>(s2, s6));
                w!(3, _mm256_permute2f128_ps::<0x20>(s3, s7));
                w!(4, _mm256_permute2f128_ps::<0x31>(s0, s4));
                w!(5, _mm256_permute2f128_ps::<0x31>(s1, s5));
                w!(6, _mm256_permute2f128_ps::<0x31>(s2, s6));
                w!(7, _mm256_permute2f128_ps::<0x31>(s3, s7));
            }
        }
    }
}

/// The blocked `f64` copy over the whole 4 × 4 blocks of a `rows × cols` block.
///
/// # Safety
/// As [`Transpose::transpose`]'s checks, with the CPU having AVX.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn transpose_f64_avx(
    src: *const f64,
    ss: usize,
    (rows, cols): (usize, usize),
    dst: *mut f64,
    ds: usize,
) {
    use std::arch::x86_64::*;
    for i0 in (0..rows).step_by(4) {
        for j0 in (0..cols).step_by(4) {
            // SAFETY: inside the block the caller made valid.
            unsafe {
                macro_rules! r {
                    ($t:literal) => {
                        _mm256_loadu_pd(src.add((i0 + $t) * ss + j0))
                    };
                }
                let (r0, r1, r2, r3) = (r!(0), r!(1), r!(2), r!(3));
                let (t0, t1) = (_mm256_unpacklo_pd(r0, r1), _mm256_unpackhi_pd(r0, r1));
                let (t2, t3) = (_mm256_unpacklo_pd(r2, r3), _mm256_unpackhi_pd(r2, r3));
                macro_rules! w {
                    ($u:literal, $x:expr) => {
                        _mm256_storeu_pd(dst.add((j0 + $u) * ds + i0), $x)
                    };
                }
                w!(0, _mm256_permute2f128_pd::<0x20>(t0, t2));
                w!(1, _mm256_permute2f128_pd::<0x20>(t1, t3));
                w!(2, _mm256_permute2f128_pd::<0x31>(t0, t2));
                w!(3, _mm256_permute2f128_pd::<0x31>(t1, t3));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocked_copies_match_the_element_copy_with_edges() {
        for (rows, cols, pad) in [
            (0, 5, 2),
            (1, 1, 0),
            (8, 8, 0),
            (9, 17, 2),
            (16, 3, 1),
            (4, 4, 0),
            (13, 29, 5),
            (8, 9, 3),
        ] {
            // the last row ends at its last column, not at its stride
            let ss = cols + pad;
            let ds = rows + 3;
            let len = if rows == 0 { 0 } else { (rows - 1) * ss + cols };
            let src: Vec<f64> = (0..len).map(|i| i as f64).collect();
            let mut want = vec![-1.0; cols * ds];
            scalar(&src, ss, (rows, cols), &mut want, ds);
            let mut got = vec![-1.0; cols * ds];
            f64::transpose(&src, ss, rows, cols, &mut got, ds);
            assert_eq!(got, want, "f64 {rows}×{cols}");
            let src32: Vec<f32> = src.iter().map(|&x| x as f32).collect();
            let mut got32 = vec![-1.0f32; cols * ds];
            f32::transpose(&src32, ss, rows, cols, &mut got32, ds);
            let want32: Vec<f32> = want.iter().map(|&x| x as f32).collect();
            assert_eq!(got32, want32, "f32 {rows}×{cols}");
        }
    }
}
