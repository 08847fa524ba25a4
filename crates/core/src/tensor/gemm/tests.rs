//! Every kernel this CPU has, against an `f64` reference: odd sizes (edge tiles in both
//! directions, several `KC` blocks), transposed and strided operands, and the threaded
//! split; errors within a small multiple of `eps·√k` of the sums of magnitudes.

use super::*;
use proptest::prelude::*;

/// The levels this CPU can run.
fn levels() -> Vec<Simd> {
    [Simd::Portable, Simd::Avx2, Simd::Avx512]
        .into_iter()
        .filter(|&l| l <= Simd::detected())
        .collect()
}

/// A pseudo-random value in [-1, 1) from an index (no state, so every layout of one
/// matrix holds the same numbers).
fn value(seed: usize, i: usize) -> f64 {
    let x = (i as u64 ^ (seed as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_mul(0xD1B5_4A32_D192_ED03);
    let x = (x ^ (x >> 31)).wrapping_mul(0x94D0_49BB_1331_11EB);
    ((x >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
}

/// An `r × c` matrix stored with the given layout: row-major, column-major (a transposed
/// operand), spread out (strides `4c` and 2), or row-major inside a wider buffer (row
/// stride `c + pad`); returns the
/// storage, the strides and the values in row-major order.
fn matrix(seed: usize, r: usize, c: usize, layout: u8) -> (Vec<f64>, (usize, usize), Vec<f64>) {
    let vals: Vec<f64> = (0..r * c).map(|i| value(seed, i)).collect();
    match layout {
        0 => (vals.clone(), (c, 1), vals),
        1 => {
            let mut t = vec![0.0; r * c];
            for i in 0..r {
                for j in 0..c {
                    t[j * r + i] = vals[i * c + j];
                }
            }
            (t, (1, r.max(1)), vals)
        }
        3 => {
            // every other element of every other row: neither stride is 1
            let mut s = vec![f64::NAN; 4 * r * c.max(1)];
            for i in 0..r {
                for j in 0..c {
                    s[i * 4 * c + 2 * j] = vals[i * c + j];
                }
            }
            (s, (4 * c.max(1), 2), vals)
        }
        _ => {
            let pad = 3;
            let mut s = vec![f64::NAN; r * (c + pad)];
            for i in 0..r {
                s[i * (c + pad)..i * (c + pad) + c].copy_from_slice(&vals[i * c..(i + 1) * c]);
            }
            (s, (c + pad, 1), vals)
        }
    }
}

/// Checks one product at one level against the `f64` sums, for `T`; with `then`, with a
/// bias and that activation as its epilogue.
#[allow(clippy::too_many_arguments)]
fn check<T: Element + Into<f64>>(
    level: Simd,
    (m, k, n): (usize, usize, usize),
    layouts: (u8, u8),
    threads: usize,
    packing: Packing,
    then: Option<Activation>,
    cast: fn(f64) -> T,
    eps: f64,
) {
    let (a, sa, av) = matrix(1, m, k, layouts.0);
    let (b, sb, bv) = matrix(2, k, n, layouts.1);
    let (a, b): (Vec<T>, Vec<T>) = (
        a.into_iter().map(cast).collect(),
        b.into_iter().map(cast).collect(),
    );
    // NaN in `c` first: a product must overwrite, never read, what was there.
    let mut c = vec![cast(f64::NAN); m * n];
    let a_view = View {
        data: &a,
        rs: sa.0,
        cs: sa.1,
    };
    let b_view = View {
        data: &b,
        rs: sb.0,
        cs: sb.1,
    };
    let bias: Vec<T> = (0..n).map(|j| cast(value(3, j))).collect();
    let epilogue = Epilogue {
        bias: Some(&bias[..]).filter(|_| then.is_some()),
        then,
    };
    T::product(
        level,
        (m, k, n),
        a_view,
        b_view,
        &mut c,
        threads,
        packing,
        epilogue,
    );
    for i in 0..m {
        for j in 0..n {
            let (mut want, mut mag) = (0.0, 0.0);
            for p in 0..k {
                let (x, y) = (cast(av[i * k + p]).into(), cast(bv[p * n + j]).into());
                want += x * y;
                mag += (x * y).abs();
            }
            if then.is_some() {
                let b: f64 = bias[j].into();
                want += b;
                mag += b.abs();
            }
            // `relu` and `tanh` move no two values further apart, `gelu` at most 1.13
            // times: the sum's bound holds, so scaled, plus the function's own rounding
            let gelu = |x: f64| {
                let u = (2.0 / std::f64::consts::PI).sqrt() * (x + 0.044715 * x * x * x);
                0.5 * x * (1.0 + u.tanh())
            };
            want = match then {
                Some(Activation::Relu) => want.max(0.0),
                Some(Activation::Tanh) => want.tanh(),
                Some(Activation::Gelu) => gelu(want),
                None => want,
            };
            let (slope, own) = match then {
                Some(Activation::Tanh) => (1.0, 2.0 * eps),
                Some(Activation::Gelu) => (1.2, 8.0 * eps * want.abs().max(1.0)),
                _ => (1.0, 0.0),
            };
            let got: f64 = c[i * n + j].into();
            let tol =
                slope * 4.0 * eps * (k as f64).sqrt().max(1.0) * mag.max(f64::MIN_POSITIVE) + own;
            assert!(
                (got - want).abs() <= tol,
                "{level:?} {}: ({m}, {k}, {n}) layouts {layouts:?} threads {threads} {packing:?} \
                 epilogue {then:?}: c[{i}, {j}] = {got}, want {want}",
                std::any::type_name::<T>()
            );
        }
    }
}

/// Checks `f32` and `f64`, packed, read in place, and as chosen by size (where thin
/// products take their own loops); the packed products with a bias and `relu` as their
/// epilogue, the by-size ones with a bias and `tanh` (one thread) or `gelu` (more) (the
/// same tiles store for every packing).
fn check_both(level: Simd, dims: (usize, usize, usize), layouts: (u8, u8), threads: usize) {
    for packing in [Packing::Always, Packing::Never, Packing::BySize] {
        let eps32 = f32::EPSILON as f64;
        let then = match (packing, threads) {
            (Packing::Always, _) => Some(Activation::Relu),
            (Packing::Never, _) => None,
            (Packing::BySize, 1) => Some(Activation::Tanh),
            (Packing::BySize, _) => Some(Activation::Gelu),
        };
        check::<f32>(
            level,
            dims,
            layouts,
            threads,
            packing,
            then,
            |x| x as f32,
            eps32,
        );
        check::<f64>(
            level,
            dims,
            layouts,
            threads,
            packing,
            then,
            |x| x,
            f64::EPSILON,
        );
    }
}

#[test]
fn every_level_matches_the_reference_on_odd_sizes_and_layouts() {
    for level in levels() {
        // (2100, 3, 5) crosses a block of rows (`A_BLOCK_BYTES`), (3, 5, 1100) an `NC`
        // block of columns, (33, 513, 9) and (20, 1100, 40) `KC` blocks of either type; (17, 1, 65), (9, 2, 40), (40, 4, 31) and (70, 70, 3) take the thin loops
        for dims in [
            (1, 1, 1),
            (7, 5, 3),
            (13, 300, 37),
            (17, 1, 65),
            (9, 2, 40),
            (40, 4, 31),
            (70, 70, 3),
            (33, 513, 9),
            (20, 1100, 40),
            (70, 70, 70),
            (2100, 3, 5),
            (3, 5, 1100),
        ] {
            for layouts in [
                (0, 0),
                (1, 0),
                (0, 1),
                (1, 1),
                (2, 2),
                (2, 1),
                (3, 3),
                (3, 1),
            ] {
                check_both(level, dims, layouts, 1);
            }
        }
    }
}

#[test]
fn the_threaded_split_matches_by_rows_and_by_columns() {
    for level in levels() {
        // more column slivers than row slivers, then the other way round; each above the
        // split threshold
        for dims in [(40, 300, 400), (400, 300, 40)] {
            for threads in [2, 3] {
                check_both(level, dims, (0, 1), threads);
            }
        }
    }
}

#[test]
fn an_empty_inner_dimension_gives_zeros_and_empty_products_do_nothing() {
    for level in levels() {
        let mut c = vec![f32::NAN; 6];
        let (a, b) = ([0f32; 0], [0f32; 0]);
        let v = |d| View {
            data: d,
            rs: 0,
            cs: 1,
        };
        // 2 × 0 by 0 × 3, with an epilogue or none
        let empty = |c: &mut [f32], then| {
            let (a, b) = (v(&a), v(&b));
            f32::product(level, (2, 0, 3), a, b, c, 2, Packing::BySize, then)
        };
        empty(&mut c, Epilogue::NONE);
        assert_eq!(c, [0.0; 6]);
        // with an epilogue: the bias, relu'd
        let then = Epilogue {
            bias: Some(&[1.0, -2.0, 3.0]),
            then: Some(Activation::Relu),
        };
        empty(&mut c, then);
        assert_eq!(c, [1.0, 0.0, 3.0, 1.0, 0.0, 3.0]);
        f32::product(
            level,
            (0, 4, 3),
            v(&a),
            View {
                data: &[1.0; 12],
                rs: 3,
                cs: 1,
            },
            &mut [],
            2,
            Packing::BySize,
            Epilogue::NONE,
        );
    }
}

#[test]
#[should_panic(expected = "out of bounds")]
fn a_view_too_short_is_refused_before_any_kernel_runs() {
    let a = [1.0f64; 5];
    let v = View {
        data: &a,
        rs: 3,
        cs: 1,
    };
    f64::product(
        Simd::Portable,
        (2, 3, 1),
        v,
        View {
            data: &[1.0; 3],
            rs: 1,
            cs: 1,
        },
        &mut [0.0; 2],
        1,
        Packing::BySize,
        Epilogue::NONE,
    );
}

#[test]
fn the_epilogues_relu_keeps_nan_and_zeroes_negatives_and_negative_zero_on_every_path() {
    // A 9 × 33 product by tiles (an edge in both directions) and a thin one (k = 2): row
    // 0 of A is NaN, the others give sums of either sign; the bias makes one column's
    // sums exactly -0 + -0.
    for level in levels() {
        for (k, packing) in [
            (40, Packing::Always),
            (40, Packing::Never),
            (2, Packing::BySize),
        ] {
            let (m, n) = (9, 33);
            let a: Vec<f64> = (0..m * k)
                .map(|i| if i < k { f64::NAN } else { value(4, i) })
                .collect();
            let mut b: Vec<f64> = (0..k * n).map(|i| value(5, i)).collect();
            for p in 0..k {
                b[p * n + 7] = 0.0; // column 7: sums of +0
            }
            let mut bias: Vec<f64> = (0..n).map(|j| value(6, j)).collect();
            bias[7] = -0.0;
            let mut c = vec![0.0; m * n];
            let then = Epilogue {
                bias: Some(&bias),
                then: Some(Activation::Relu),
            };
            let (av, bv) = (
                View {
                    data: &a,
                    rs: k,
                    cs: 1,
                },
                View {
                    data: &b,
                    rs: n,
                    cs: 1,
                },
            );
            f64::product(level, (m, k, n), av, bv, &mut c, 1, packing, then);
            for i in 0..m {
                for j in 0..n {
                    let got = c[i * n + j];
                    if i == 0 {
                        assert!(got.is_nan(), "{level:?} {packing:?}: c[0, {j}] = {got}");
                    } else {
                        assert!(
                            got >= 0.0 && got.is_sign_positive(),
                            "{level:?} {packing:?}: c[{i}, {j}] = {got}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn the_epilogues_tanh_and_gelu_are_their_ops_slice_functions_to_the_bit_on_every_path() {
    // tiles with edges and several `KC` blocks, read in place or packed, on one or two
    // threads, and a thin product; saturated, small, zero and NaN sums among them
    fn bits<T: Element + Default>(cast: fn(f64) -> T, to_bits: fn(T) -> u64) {
        for level in levels() {
            for ((m, k, n), packing, threads) in [
                ((9, 600, 37), Packing::Always, 1),
                ((9, 40, 37), Packing::Never, 1),
                ((64, 300, 130), Packing::BySize, 2),
                ((17, 2, 65), Packing::BySize, 1),
            ] {
                let mut a: Vec<T> = (0..m * k).map(|i| cast(8.0 * value(7, i))).collect();
                a[k] = cast(f64::NAN); // row 1: NaN
                a[2 * k..3 * k].iter_mut().for_each(|x| *x = T::default()); // row 2: zeros
                let b: Vec<T> = (0..k * n).map(|i| cast(value(8, i) / 64.0)).collect();
                let bias: Vec<T> = (0..n).map(|j| cast(value(9, j) / 1024.0)).collect();
                let (av, bv) = (
                    View {
                        data: &a,
                        rs: k,
                        cs: 1,
                    },
                    View {
                        data: &b,
                        rs: n,
                        cs: 1,
                    },
                );
                let product = |then| {
                    let mut c = vec![T::default(); m * n];
                    let then = Epilogue {
                        bias: Some(&bias[..]),
                        then,
                    };
                    T::product(level, (m, k, n), av, bv, &mut c, threads, packing, then);
                    c
                };
                let sums = product(None);
                type Slices<T> = fn(&[T], &mut [T]);
                let kernels: [(Activation, Slices<T>); 2] = [
                    (Activation::Tanh, T::tanh_slice),
                    (Activation::Gelu, crate::float::gelu_slice),
                ];
                for (act, kernel) in kernels {
                    let mut want = vec![T::default(); m * n];
                    kernel(&sums, &mut want);
                    let got = product(Some(act));
                    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                        assert_eq!(
                            to_bits(*g),
                            to_bits(*w),
                            "{act:?} {level:?} {packing:?} ({m}, {k}, {n}) threads {threads}: \
                             c[{i}]"
                        );
                    }
                }
            }
        }
    }
    bits::<f32>(|x| x as f32, |x| x.to_bits() as u64);
    bits::<f64>(|x| x, f64::to_bits);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn random_products_match_the_reference(
        m in 1usize..40, k in 1usize..300, n in 1usize..70,
        la in 0u8..4, lb in 0u8..4, threads in 1usize..3,
    ) {
        for level in levels() {
            check_both(level, (m, k, n), (la, lb), threads);
        }
    }
}
