//! Sparse Jacobians and Hessians: the detected patterns, the number of sweeps, and the
//! values against the dense transforms and closed forms.

use super::support::{assert_close, wavy};
use proptest::prelude::*;
use tapegrad_core::func::{self, SparseMatrix};
use tapegrad_core::{Float, IndexTensor, InputGrads, Op, Tensor, TensorError, Var};

/// The chained (extended) Rosenbrock function `Σᵢ 100 (xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)²` over
/// `i < n − 1`, on whole vectors: its Hessian is tridiagonal.
fn rosenbrock<'t>(xs: &[Var<'t, f64>]) -> Var<'t, f64> {
    let x = xs[0];
    let n = x.shape()[0];
    let (head, tail) = (x.narrow(0, 0, n - 1), x.narrow(0, 1, n - 1));
    let a = tail - head * head;
    let b = -head + 1.0;
    (a * a * 100.0 + b * b).sum()
}

/// The dense Hessian of `f` as one `[n, n]` matrix over all inputs' elements.
fn dense_hessian(
    f: impl for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
    xs: &[Tensor<f64>],
) -> Tensor<f64> {
    let blocks = func::hessian(f, xs).unwrap();
    let widths: Vec<usize> = xs.iter().map(|x| x.len()).collect();
    let n: usize = widths.iter().sum();
    let mut data = Vec::with_capacity(n * n);
    for (i, &wi) in widths.iter().enumerate() {
        for r in 0..wi {
            for (j, &wj) in widths.iter().enumerate() {
                data.extend_from_slice(&blocks[i][j].as_slice()[r * wj..(r + 1) * wj]);
            }
        }
    }
    Tensor::from_vec(data, &[n, n])
}

/// The dense Jacobian of `f` as one `[m, n]` matrix over all inputs' elements.
fn dense_jacobian(
    f: impl for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64>,
    xs: &[Tensor<f64>],
) -> Tensor<f64> {
    let blocks = func::jacrev(f, xs).unwrap();
    let widths: Vec<usize> = xs.iter().map(|x| x.len()).collect();
    let n: usize = widths.iter().sum();
    let m = blocks[0].len() / widths[0].max(1);
    let mut data = Vec::with_capacity(m * n);
    for r in 0..m {
        for (block, &w) in blocks.iter().zip(&widths) {
            data.extend_from_slice(&block.as_slice()[r * w..(r + 1) * w]);
        }
    }
    Tensor::from_vec(data, &[m, n])
}

/// Every entry the pattern leaves out is exactly zero in `dense`.
#[track_caller]
fn assert_covers(sparse: &SparseMatrix<f64>, dense: &Tensor<f64>) {
    let c = sparse.shape[1];
    let mut inside = vec![false; dense.len()];
    for (&i, &j) in sparse.rows.iter().zip(&sparse.cols) {
        inside[i * c + j] = true;
    }
    for (k, &v) in dense.as_slice().iter().enumerate() {
        assert!(
            inside[k] || v == 0.0,
            "entry ({}, {}) = {v} is outside the pattern",
            k / c,
            k % c
        );
    }
}

#[track_caller]
fn assert_sparse_hessian(
    f: impl for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64> + Copy,
    xs: &[Tensor<f64>],
) -> SparseMatrix<f64> {
    let sparse = func::sparse_hessian(f, xs).unwrap();
    let dense = dense_hessian(f, xs);
    assert_covers(&sparse, &dense);
    assert_close(&sparse.to_dense(), &dense, 1e-12);
    sparse
}

#[track_caller]
fn assert_sparse_jacobian(
    f: impl for<'t> Fn(&[Var<'t, f64>]) -> Var<'t, f64> + Copy,
    xs: &[Tensor<f64>],
) -> SparseMatrix<f64> {
    let sparse = func::sparse_jacobian(f, xs).unwrap();
    let dense = dense_jacobian(f, xs);
    assert_covers(&sparse, &dense);
    assert_close(&sparse.to_dense(), &dense, 1e-12);
    sparse
}

fn point(n: usize) -> Tensor<f64> {
    Tensor::from_fn(&[n], |i| 0.5 + 0.3 * (0.7 * i as f64).sin())
}

#[test]
fn rosenbrock_at_50_is_tridiagonal_in_3_sweeps_and_equals_the_dense_hessian() {
    let h = assert_sparse_hessian(rosenbrock, &[point(50)]);
    assert_eq!((h.nnz(), h.sweeps), (3 * 50 - 2, 3));
    assert!(h
        .rows
        .iter()
        .zip(&h.cols)
        .all(|(&i, &j)| i.abs_diff(j) <= 1));
}

#[test]
fn rosenbrock_at_10000_in_3_sweeps_matches_its_closed_form() {
    let n = 10_000;
    let x = point(n);
    let h = func::sparse_hessian(rosenbrock, std::slice::from_ref(&x)).unwrap();
    assert_eq!((h.shape, h.nnz(), h.sweeps), ([n, n], 3 * n - 2, 3));
    let x = x.as_slice();
    for (i, j, v) in h.triplets() {
        let want = if i == j {
            let inner = if i + 1 < n {
                1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0
            } else {
                0.0
            };
            inner + if i > 0 { 200.0 } else { 0.0 }
        } else {
            -400.0 * x[i.min(j)]
        };
        assert!(
            (v - want).abs() <= 1e-10 * want.abs().max(1.0),
            "({i}, {j}): {v} vs {want}"
        );
    }
}

#[test]
fn a_band_of_products_needs_as_many_row_sweeps_as_its_width() {
    // yᵢ = xᵢ xᵢ₊₁ + sin xᵢ: rows i and i + 2 share no column.
    let f = func::function(|xs: &[Var<'_, f64>]| {
        let n = xs[0].shape()[0];
        let (head, tail) = (xs[0].narrow(0, 0, n - 1), xs[0].narrow(0, 1, n - 1));
        head * tail + head.sin()
    });
    let j = assert_sparse_jacobian(f, &[point(12)]);
    assert_eq!((j.shape, j.nnz(), j.sweeps), ([11, 12], 22, 2));
}

#[test]
fn a_dense_column_is_coloured_by_columns_through_forward_sweeps() {
    // y = x · x₀: every row depends on x₀, so rows all conflict; columns need 2 colours.
    let f = func::function(|xs: &[Var<'_, f64>]| xs[0] * xs[0].narrow(0, 0, 1));
    let j = assert_sparse_jacobian(f, &[point(9)]);
    assert_eq!((j.nnz(), j.sweeps), (9 + 8, 2));
}

#[test]
fn products_across_inputs_pair_only_their_elements() {
    // Σ xᵢ yᵢ: the Hessian pairs xᵢ with yᵢ and nothing else; a linear f has none.
    let dot = func::function(|xs: &[Var<'_, f64>]| (xs[0] * xs[1]).sum());
    let xs = [point(5), wavy(&[5], 0.3)];
    let h = assert_sparse_hessian(dot, &xs);
    // Column xᵢ meets only row yᵢ and column yᵢ only row xᵢ: one colour for all.
    assert_eq!((h.nnz(), h.sweeps), (10, 1));
    assert!(h.triplets().all(|(i, j, v)| i.abs_diff(j) == 5 && v == 1.0));
    let linear = func::function(|xs: &[Var<'_, f64>]| (xs[0] * 3.0 - xs[1]).sum());
    let h = assert_sparse_hessian(linear, &xs);
    assert_eq!((h.nnz(), h.sweeps), (0, 0));
    // A product with a constant tensor is linear too; a square is not.
    let scaled = func::function(|xs: &[Var<'_, f64>]| {
        (xs[0] * xs[0].constant(wavy(&[5], 0.9)) + xs[1] * xs[1]).sum()
    });
    let h = assert_sparse_hessian(scaled, &xs);
    assert_eq!(
        (h.rows.clone(), h.cols.clone()),
        ((5..10).collect(), (5..10).collect())
    );
}

#[test]
fn every_op_family_gives_a_pattern_that_holds_the_dense_derivatives() {
    let a = wavy::<f64>(&[3, 4], 0.1);
    let b = wavy::<f64>(&[4, 2], 0.7).map(|v| v + 1.5);
    let shaped = func::function(|xs: &[Var<'_, f64>]| {
        let (a, b) = (xs[0], xs[1]);
        let m = a.matmul(b).tanh(); // [3, 2]
        let l = a.linear(b.permute(&[1, 0]), Some(b.narrow(0, 0, 1).reshape(&[2])));
        let s = a.sum_axes(&[1], true).exp().broadcast_to(&[3, 2]); // [3, 2]
        let soft = a.softmax(1).narrow(1, 0, 2) * a.logsumexp_axes(&[1], true);
        let g = a.gather(1, &IndexTensor::from_vec(vec![2, 0, 1, 1, 3, 0], &[3, 2]));
        let picked = a.index_select(1, &[3, 1]).maximum(g)
            / (b.narrow(0, 1, 2).permute(&[1, 0]).sum() + 10.0);
        let joined = Var::concat(
            &[
                m * l,
                s + soft,
                picked.pow(b.narrow(0, 0, 1).abs().reshape(&[1, 2])),
            ],
            0,
        );
        joined.sqrt().reshape(&[3, 6]).max_axes(&[0], false) + joined.sum() * 0.01
    });
    let xs = [a.map(|v| v.abs() + 0.5), b];
    let j = assert_sparse_jacobian(shaped, &xs);
    assert_eq!(j.shape, [6, 20]);
    let scalar = func::function(|xs: &[Var<'_, f64>]| (shaped(xs) * shaped(xs)).sum());
    assert_sparse_hessian(scalar, &xs);
}

#[test]
fn sparse_results_in_f32_match_f64() {
    let f32_rosen = func::function(|xs: &[Var<'_, f32>]| {
        let x = xs[0];
        let n = x.shape()[0];
        let (head, tail) = (x.narrow(0, 0, n - 1), x.narrow(0, 1, n - 1));
        let a = tail - head * head;
        (a * a * 100.0 + (-head + 1.0) * (-head + 1.0)).sum()
    });
    let x = point(20);
    let h32 = func::sparse_hessian(f32_rosen, &[x.cast::<f32>()]).unwrap();
    let h64 = func::sparse_hessian(rosenbrock, &[x]).unwrap();
    assert_eq!(
        (h32.rows.clone(), h32.cols.clone(), h32.sweeps),
        (h64.rows.clone(), h64.cols.clone(), 3)
    );
    for (a, b) in h32.values.iter().zip(&h64.values) {
        assert!((a.to_f64() - b).abs() <= 1e-4 * b.abs().max(1.0));
    }
}

/// `y = x³` with no stated structure: the safe default, a dense pattern.
struct CubeUnstated;

impl<T: Float> Op<T> for CubeUnstated {
    fn name(&self) -> &str {
        "cube_unstated"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].map(|x| x * x * x))
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(dy * xs[0] * xs[0] * T::from_f64(3.0))].into()
    }
}

#[test]
fn an_op_that_states_no_structure_is_dense_and_still_right() {
    let f = func::function(|xs: &[Var<'_, f64>]| xs[0].tape().apply(CubeUnstated, xs).sum());
    let h = assert_sparse_hessian(f, &[point(4)]);
    assert_eq!((h.nnz(), h.sweeps), (16, 4));
    let p = func::jacobian_sparsity(
        |xs: &[Var<'_, f64>]| xs[0].tape().apply(CubeUnstated, xs),
        &[point(4)],
    )
    .unwrap();
    assert_eq!(p.nnz(), 16);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    /// Broadcasting element-wise functions of two inputs of random shapes: the sparse
    /// Jacobian and Hessian equal the dense ones.
    #[test]
    fn sparse_equals_dense_over_broadcast_shapes(
        (a, b) in (1usize..4, 1usize..4).prop_flat_map(|(r, c)| {
            let shapes = prop_oneof![Just(vec![r, c]), Just(vec![c]), Just(vec![1, c]), Just(vec![r, 1])];
            (Just(vec![r, c]), shapes)
        }),
        phase in -1.0f64..1.0,
    ) {
        let xs = [wavy(&a, phase), wavy(&b, phase + 0.5)];
        let f = func::function(|xs: &[Var<'_, f64>]| (xs[0] * xs[1]).sin() + xs[0].exp() * xs[1]);
        assert_sparse_jacobian(f, &xs);
        let g = func::function(|xs: &[Var<'_, f64>]| f(xs).sum_axes(&[0], false).tanh().sum());
        assert_sparse_hessian(g, &xs);
    }
}
