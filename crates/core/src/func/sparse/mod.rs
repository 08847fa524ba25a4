//! Sparse Jacobians and Hessians: the sparsity pattern detected from the recorded graph
//! (each op states its [`Structure`](crate::Structure)), coloured, then computed in one
//! sweep per colour, as (row, column, value) triplets.
//!
//! | transform | sweeps (after recording `f` once) | memory |
//! |---|---|---|
//! | [`jacobian_sparsity`], [`hessian_sparsity`] | none: one pass over the recording | the dependency sets |
//! | [`sparse_jacobian`] | 1 reverse per row colour, or 1 recorded reverse + 1 reverse per column colour, the fewer | the graph (twice by columns) + the sets + the triplets |
//! | [`sparse_hessian`] | 1 recorded reverse + 1 reverse per colour | the graph about twice + the sets + the triplets |
//!
//! A band of width `w` needs `w` colours whatever `n`: the Hessian of the extended
//! Rosenbrock function (tridiagonal) takes 3 sweeps at any size.

mod colouring;
mod pattern;

pub use colouring::Colouring;
pub use pattern::Sparsity;

use super::inputs::Site;
use super::linearization::Linearization;
use crate::tensor::numel;
use crate::{Error, Float, Tensor, Var};
use std::panic::Location;

/// A sparse matrix as (row, column, value) triplets, row-major, with the number of
/// sweeps that computed it. Rows and columns are flat indices (see [`Sparsity`]).
#[derive(Clone, Debug, PartialEq)]
pub struct SparseMatrix<T> {
    /// Rows and columns of the matrix.
    pub shape: [usize; 2],
    /// The row of each entry.
    pub rows: Vec<usize>,
    /// The column of each entry.
    pub cols: Vec<usize>,
    /// The value of each entry (it may be zero at this point: the pattern holds at
    /// every point).
    pub values: Vec<T>,
    /// The reverse sweeps that computed the values: one per colour.
    pub sweeps: usize,
}

impl<T: Float> SparseMatrix<T> {
    /// The number of stored entries.
    pub fn nnz(&self) -> usize {
        self.values.len()
    }

    /// The matrix as a dense `[rows, cols]` tensor.
    pub fn to_dense(&self) -> Tensor<T> {
        let [r, c] = self.shape;
        let mut data = vec![T::ZERO; r * c];
        for ((&i, &j), &v) in self.rows.iter().zip(&self.cols).zip(&self.values) {
            data[i * c + j] = v;
        }
        Tensor::from_vec(data, &[r, c])
    }

    /// The entries as (row, column, value) triplets.
    pub fn triplets(&self) -> impl Iterator<Item = (usize, usize, T)> + '_ {
        (self.rows.iter().zip(&self.cols).zip(&self.values)).map(|((&i, &j), &v)| (i, j, v))
    }
}

/// Which entries of `f`'s Jacobian can be nonzero: rows are `f`'s elements, columns the
/// inputs' elements (one input after another), from one pass over the recording.
///
/// ```
/// use tapegrad_core::{func, Tensor, Var};
/// // y = x²: diagonal
/// let p = func::jacobian_sparsity(|xs: &[Var<'_, f64>]| xs[0] * xs[0],
///     &[Tensor::vector(vec![1.0, 2.0, 3.0])]).unwrap();
/// assert_eq!((p.rows, p.cols), (vec![0, 1, 2], vec![0, 1, 2]));
/// ```
#[track_caller]
pub fn jacobian_sparsity<T, F>(f: F, xs: &[Tensor<T>]) -> Result<Sparsity, Error>
where
    T: Float,
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    let site = Location::caller();
    let lin = Linearization::record("jacobian_sparsity", site, xs, |l| Ok(f(l)))?;
    Ok(jacobian_pattern(&lin))
}

/// Which entries of the Hessian of a one-element `f` can be nonzero (symmetric; rows and
/// columns are the inputs' elements, one input after another), from one pass over the
/// recording. [`ErrorKind::NonScalarRoot`](crate::ErrorKind::NonScalarRoot) if `f` has
/// more than one element.
#[track_caller]
pub fn hessian_sparsity<T, F>(f: F, xs: &[Tensor<T>]) -> Result<Sparsity, Error>
where
    T: Float,
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    let site = Location::caller();
    let lin = Linearization::record("hessian_sparsity", site, xs, |l| Ok(f(l)))?;
    hessian_pattern(&lin, "hessian_sparsity", site)
}

/// The Jacobian of `f` as triplets: the pattern detected, its rows or its columns
/// coloured (whichever needs fewer colours; rows on a tie, as a reverse sweep is the
/// cheaper), then one sweep per colour.
///
/// ```
/// use tapegrad_core::{func, Tensor, Var};
/// // y = x ⊙ x: diag(2x), in 1 sweep
/// let j = func::sparse_jacobian(|xs: &[Var<'_, f64>]| xs[0] * xs[0],
///     &[Tensor::vector(vec![1.0, 2.0, 3.0])]).unwrap();
/// assert_eq!((j.values.as_slice(), j.sweeps), (&[2.0, 4.0, 6.0][..], 1));
/// ```
#[track_caller]
pub fn sparse_jacobian<T, F>(f: F, xs: &[Tensor<T>]) -> Result<SparseMatrix<T>, Error>
where
    T: Float,
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    let site = Location::caller();
    let lin = Linearization::record("sparse_jacobian", site, xs, |l| Ok(f(l)))?;
    let pattern = jacobian_pattern(&lin);
    let (by_rows, by_cols) = (pattern.colour_rows(), pattern.colour_columns());
    let output_shape = lin.output_shape();
    let mut values = vec![T::ZERO; pattern.nnz()];
    if by_rows.count <= by_cols.count {
        for c in 0..by_rows.count {
            let seed = Tensor::from_vec(indicator(&by_rows, c), &output_shape);
            let row_sums = flat(lin.pull(seed)?);
            for (k, (&i, &j)) in pattern.rows.iter().zip(&pattern.cols).enumerate() {
                if by_rows.colours[i] == c {
                    values[k] = row_sums[j];
                }
            }
        }
        Ok(filled(pattern, values, by_rows.count))
    } else {
        for c in 0..by_cols.count {
            let column_sums = lin.push(Tensor::vector(indicator(&by_cols, c)))?;
            let column_sums = column_sums.as_slice();
            for (k, (&i, &j)) in pattern.rows.iter().zip(&pattern.cols).enumerate() {
                if by_cols.colours[j] == c {
                    values[k] = column_sums[i];
                }
            }
        }
        Ok(filled(pattern, values, by_cols.count))
    }
}

/// The Hessian of a one-element `f` as triplets: the pattern detected, its columns
/// coloured, then one Hessian-vector product (a reverse sweep over the recorded gradient)
/// per colour. [`ErrorKind::NonScalarRoot`](crate::ErrorKind::NonScalarRoot) if `f` has
/// more than one element.
///
/// ```
/// use tapegrad_core::{func, Tensor, Var};
/// // f = Σᵢ xᵢ² xᵢ₊₁: the Hessian is tridiagonal.
/// let f = func::function(|xs: &[Var<'_, f64>]| {
///     let n = xs[0].shape()[0];
///     let (head, tail) = (xs[0].narrow(0, 0, n - 1), xs[0].narrow(0, 1, n - 1));
///     (head * head * tail).sum()
/// });
/// let x = [Tensor::vector(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0])];
/// let h = func::sparse_hessian(f, &x).unwrap();
/// // Tridiagonal, but for the last diagonal entry: x₅ enters linearly.
/// assert_eq!((h.nnz(), h.sweeps), (15, 3));
/// // It is the dense Hessian.
/// let dense = func::hessian(f, &x).unwrap();
/// assert_eq!(h.to_dense().as_slice(), dense[0][0].as_slice());
/// ```
#[track_caller]
pub fn sparse_hessian<T, F>(f: F, xs: &[Tensor<T>]) -> Result<SparseMatrix<T>, Error>
where
    T: Float,
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    let site = Location::caller();
    let lin = Linearization::record("sparse_hessian", site, xs, |l| Ok(f(l)))?;
    let pattern = hessian_pattern(&lin, "sparse_hessian", site)?;
    let gradient = lin.into_gradient("sparse_hessian", site)?;
    let colouring = pattern.colour_columns();
    let products = (0..colouring.count)
        .map(|c| {
            Ok(flat(
                gradient.pull(Tensor::vector(indicator(&colouring, c)))?,
            ))
        })
        .collect::<Result<Vec<_>, Error>>()?;
    let values = (pattern.rows.iter().zip(&pattern.cols))
        .map(|(&i, &j)| products[colouring.colours[j]][i])
        .collect();
    Ok(filled(pattern, values, colouring.count))
}

/// The Jacobian pattern of a recording.
fn jacobian_pattern<T: Float>(lin: &Linearization<T>) -> Sparsity {
    let (tape, inputs, output) = lin.graph();
    let rows = numel(&lin.output_shape());
    pattern::detect(tape, inputs, output, false).jacobian(output, rows)
}

/// The Hessian pattern of a recording whose output has one element.
fn hessian_pattern<T: Float>(
    lin: &Linearization<T>,
    entry: &str,
    site: Site,
) -> Result<Sparsity, Error> {
    super::inputs::check_scalar(entry, &lin.output_shape(), site)?;
    let (tape, inputs, output) = lin.graph();
    Ok(pattern::detect(tape, inputs, output, true).hessian())
}

/// The 0/1 seed of colour `c`, as values.
fn indicator<T: Float>(colouring: &Colouring, c: usize) -> Vec<T> {
    colouring
        .seed(c)
        .map(|on| if on { T::ONE } else { T::ZERO })
        .collect()
}

/// Tensors' elements one after another.
fn flat<T: Float>(tensors: Vec<Tensor<T>>) -> Vec<T> {
    tensors
        .iter()
        .flat_map(|t| t.as_slice().iter().copied())
        .collect()
}

/// A pattern with its values.
fn filled<T>(pattern: Sparsity, values: Vec<T>, sweeps: usize) -> SparseMatrix<T> {
    SparseMatrix {
        shape: pattern.shape,
        rows: pattern.rows,
        cols: pattern.cols,
        values,
        sweeps,
    }
}
