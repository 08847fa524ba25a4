//! Jacobians: [`jacrev`] (one reverse sweep per output element), [`jacfwd`] (one per
//! input element, through the transposed backward), and [`jacobian`], which picks the
//! one with fewer sweeps. Both push their seeds in batches (see
//! [`Linearization::vjp_batch`]).

use super::linearization::Linearization;
use crate::tensor::{joined, numel};
use crate::{Error, Float, Tensor, Var};
use std::panic::Location;

/// The Jacobian `∂f/∂xᵢ` for each input, of shape `f`'s shape followed by `xᵢ`'s, by
/// [`jacfwd`] when the inputs have fewer elements in all than the output, else by
/// [`jacrev`]: the fewer sweeps.
///
/// ```
/// use tapegrad_core::{func, Tensor, Var};
/// // y = A x: the Jacobian is A
/// let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 2]);
/// let f = func::function(|xs: &[Var<'_, f64>]| xs[0].constant(a.clone()).matmul(xs[0]));
/// let j = func::jacobian(f, &[Tensor::from_vec(vec![0.5, -1.0], &[2, 1])]).unwrap();
/// assert_eq!(j[0].shape(), &[3, 1, 2, 1]);
/// assert_eq!(j[0].as_slice(), a.as_slice());
/// ```
#[track_caller]
pub fn jacobian<T, F>(f: F, xs: &[Tensor<T>]) -> Result<Vec<Tensor<T>>, Error>
where
    T: Float,
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    let site = Location::caller();
    let lin = Linearization::record("jacobian", site, xs, |leaves| Ok(f(leaves)))?;
    if lin.input_len() < numel(&lin.output_shape()) {
        by_columns(&lin)
    } else {
        by_rows(&lin)
    }
}

/// The Jacobian by reverse mode: `f` recorded once, then one reverse sweep per output
/// element (a row of the Jacobian each). Shapes as in [`jacobian`].
///
/// Cost: `m` reverse sweeps for an output of `m` elements, pushed in batches (see
/// [`Linearization::vjp_batch`]); memory: the graph, a batch's gradients and the result.
///
/// ```
/// use tapegrad_core::{func, Tensor, Var};
/// // y = x² elementwise: diag(2x)
/// let j = func::jacrev(|xs: &[Var<'_, f32>]| xs[0] * xs[0], &[Tensor::vector(vec![1.0, 3.0])])
///     .unwrap();
/// assert_eq!(j[0].as_slice(), &[2.0, 0.0, 0.0, 6.0]);
/// ```
#[track_caller]
pub fn jacrev<T, F>(f: F, xs: &[Tensor<T>]) -> Result<Vec<Tensor<T>>, Error>
where
    T: Float,
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    let lin = Linearization::record("jacrev", Location::caller(), xs, |leaves| Ok(f(leaves)))?;
    by_rows(&lin)
}

/// The Jacobian by forward mode: `f` and its backward recorded once, then one reverse
/// sweep of that transposed backward per input element (a column each). Shapes as in
/// [`jacobian`].
///
/// Cost: one recorded reverse sweep, then `n` reverse sweeps for inputs of `n` elements
/// in all, pushed in batches (see [`Linearization::jvp_batch`]); memory: the graph about
/// twice, a batch's gradients and the result.
///
/// ```
/// use tapegrad_core::{func, Tensor, Var};
/// // y = Σ x0·x1: the Jacobians are x1 and x0
/// let x = [Tensor::vector(vec![1.0, 2.0]), Tensor::vector(vec![3.0, 4.0])];
/// let j = func::jacfwd(|xs: &[Var<'_, f64>]| (xs[0] * xs[1]).sum(), &x).unwrap();
/// assert_eq!((j[0].as_slice(), j[1].as_slice()), (&[3.0, 4.0][..], &[1.0, 2.0][..]));
/// ```
#[track_caller]
pub fn jacfwd<T, F>(f: F, xs: &[Tensor<T>]) -> Result<Vec<Tensor<T>>, Error>
where
    T: Float,
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    let lin = Linearization::record("jacfwd", Location::caller(), xs, |leaves| Ok(f(leaves)))?;
    by_columns(&lin)
}

/// The Jacobian of `lin`'s output with respect to each input, a VJP per row, pushed in
/// batches of rows (see [`Linearization::vjp_batch`]).
pub(crate) fn by_rows<T: Float>(lin: &Linearization<T>) -> Result<Vec<Tensor<T>>, Error> {
    let out = lin.output_shape();
    let rows = numel(&out);
    let mut jacobians: Vec<Vec<T>> = lin
        .input_shapes()
        .iter()
        .map(|s| Vec::with_capacity(rows * numel(s)))
        .collect();
    let batch = lin.batch_rows(rows);
    if batch >= rows {
        // one sweep: its gradients are the Jacobians, reshaped (no copy)
        let blocks = lin.pull_batch(units(&out, 0, rows))?;
        let shapes = lin.input_shapes().iter();
        return Ok((blocks.into_iter().zip(shapes))
            .map(|(block, shape)| block.reshape(&joined(&out, shape)).expect("same count"))
            .collect());
    }
    for first in (0..rows).step_by(batch) {
        let k = batch.min(rows - first);
        // rows first..first + k of the identity, each of the output's shape
        for (jacobian, block) in jacobians
            .iter_mut()
            .zip(lin.pull_batch(units(&out, first, k))?)
        {
            jacobian.extend_from_slice(block.as_slice());
        }
    }
    Ok(shaped(jacobians, &out, lin.input_shapes()))
}

/// The Jacobian of `lin`'s output with respect to each input, a JVP per column, pushed in
/// batches of columns (see [`Linearization::jvp_batch`]).
fn by_columns<T: Float>(lin: &Linearization<T>) -> Result<Vec<Tensor<T>>, Error> {
    let out = lin.output_shape();
    let rows = numel(&out);
    let n = lin.input_len();
    let mut flat = vec![T::ZERO; rows * n]; // row-major [rows, n]: all inputs side by side
    let batch = lin.batch_rows(n);
    for first in (0..n).step_by(batch) {
        let k = batch.min(n - first);
        // the JVPs of unit tangents first..first + k: columns of the Jacobian, as rows
        let columns = lin.push_batch(units(&[n], first, k))?;
        for (j, column) in columns.as_slice().chunks_exact(rows.max(1)).enumerate() {
            for (r, &d) in column.iter().enumerate() {
                flat[r * n + first + j] = d;
            }
        }
    }
    // split the columns by input
    let mut jacobians = Vec::with_capacity(lin.input_shapes().len());
    let mut offset = 0;
    for shape in lin.input_shapes() {
        let cols = numel(shape);
        let mut jacobian = Vec::with_capacity(rows * cols);
        for row in flat.chunks_exact(n.max(1)).take(rows) {
            jacobian.extend_from_slice(&row[offset..offset + cols]);
        }
        jacobians.push(jacobian);
        offset += cols;
    }
    Ok(shaped(jacobians, &out, lin.input_shapes()))
}

/// Rows `first..first + k` of the identity on `shape`'s elements: `[k] ++ shape`.
fn units<T: Float>(shape: &[usize], first: usize, k: usize) -> Tensor<T> {
    let m = numel(shape);
    let mut data = vec![T::ZERO; k * m];
    for j in 0..k {
        data[j * m + first + j] = T::ONE;
    }
    Tensor::from_vec(data, &joined(&[k], shape))
}

/// Row-major Jacobian data, one per input, as tensors of shape `out` followed by the
/// input's.
fn shaped<T: Float>(data: Vec<Vec<T>>, out: &[usize], inputs: &[Vec<usize>]) -> Vec<Tensor<T>> {
    data.into_iter()
        .zip(inputs)
        .map(|(d, shape)| Tensor::from_vec(d, &joined(out, shape)))
        .collect()
}
