//! Second order: [`hessian`] (the Jacobian of the recorded gradient) and [`hvp`].

use super::inputs::check_shapes;
use super::jacobian::by_rows;
use super::linearization::gradient_of;
use crate::tensor::{joined, numel};
use crate::{Error, Float, Tensor, Var};
use std::panic::Location;

/// The Hessian of a one-element `f`: block `[i][j]` is `∂²f/∂xᵢ∂xⱼ`, of shape `xᵢ`'s
/// followed by `xⱼ`'s. [`ErrorKind::NonScalarRoot`](crate::ErrorKind::NonScalarRoot) if
/// `f` has more than one element.
///
/// # Design
/// Reverse-over-reverse: the gradient is recorded (`Tape::grad`), then its Jacobian is
/// taken by rows, one reverse sweep per input element, pushed in batches of rows (see
/// [`Linearization::vjp_batch`](super::Linearization::vjp_batch)). Forward-over-reverse
/// would give the same matrix (a Hessian is symmetric) but, with forward mode built on
/// transposed reverse sweeps here, it would cost one more recorded sweep for nothing.
///
/// Cost: recording `f` and its gradient (one recorded reverse sweep), then `n` rows for
/// inputs of `n` elements in all, in batches that keep a node's gradient within 64 KiB:
/// through element-wise ops and `matmul` a batch of rows costs one VJP, so a row costs
/// much less than a gradient on small graphs. Memory: the graph about twice, a batch's
/// gradients, and the `n²` result.
///
/// ```
/// use tapegrad_core::{func, Tensor, Var};
/// // f = x0³ + x0·x1 at (1, 2): [[6 x0, 1], [1, 0]]
/// let f = func::function(|xs: &[Var<'_, f64>]| (xs[0] * xs[0] * xs[0] + xs[0] * xs[1]).sum());
/// let h = func::hessian(f, &[Tensor::scalar(1.0), Tensor::scalar(2.0)]).unwrap();
/// assert_eq!([h[0][0].item(), h[0][1].item(), h[1][0].item(), h[1][1].item()], [6.0, 1.0, 1.0, 0.0]);
/// ```
#[track_caller]
pub fn hessian<T, F>(f: F, xs: &[Tensor<T>]) -> Result<Vec<Vec<Tensor<T>>>, Error>
where
    T: Float,
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    let lin = gradient_of("hessian", Location::caller(), f, xs)?;
    // One Jacobian per input j, of shape [n] ++ xⱼ: its rows are the flat gradient's.
    let columns = by_rows(&lin)?;
    let shapes = lin.input_shapes();
    if let ([shape], [column]) = (shapes, columns.as_slice()) {
        // one input: its one Jacobian is the one block (no copy)
        let block = column.reshape(&joined(shape, shape)).expect("same count");
        return Ok(vec![vec![block]]);
    }
    let mut blocks = Vec::with_capacity(shapes.len());
    let mut offset = 0;
    for row_shape in shapes {
        let rows = numel(row_shape);
        let block = columns
            .iter()
            .zip(shapes)
            .map(|(column, col_shape)| {
                let width = numel(col_shape);
                let data = column.as_slice()[offset * width..(offset + rows) * width].to_vec();
                Tensor::from_vec(data, &joined(row_shape, col_shape))
            })
            .collect();
        blocks.push(block);
        offset += rows;
    }
    Ok(blocks)
}

/// The Hessian-vector product `Σⱼ ∂²f/∂xᵢ∂xⱼ·vⱼ` for each input `i` (shaped like it), for
/// a one-element `f`; one `v` per input, of its shape.
///
/// Reverse-over-reverse: `∂⟨∇f, v⟩/∂x` on the recorded gradient.
/// Cost: recording `f` and its gradient (one recorded reverse sweep), then one reverse
/// sweep; memory: the graph about twice. The Hessian is never formed.
///
/// ```
/// use tapegrad_core::{func, Tensor, Var};
/// // f = Σ x³: H = diag(6x)
/// let hv = func::hvp(|xs: &[Var<'_, f64>]| (xs[0] * xs[0] * xs[0]).sum(),
///     &[Tensor::vector(vec![1.0, 2.0])], &[Tensor::vector(vec![1.0, 1.0])]).unwrap();
/// assert_eq!(hv[0].as_slice(), &[6.0, 12.0]);
/// ```
#[track_caller]
pub fn hvp<T, F>(f: F, xs: &[Tensor<T>], v: &[Tensor<T>]) -> Result<Vec<Tensor<T>>, Error>
where
    T: Float,
    F: for<'t> Fn(&[Var<'t, T>]) -> Var<'t, T>,
{
    let site = Location::caller();
    check_shapes("hvp", "vectors", v, &shapes_of(xs), site)?;
    let lin = gradient_of("hvp", site, f, xs)?;
    let flat = v
        .iter()
        .flat_map(|v| v.as_slice().iter().copied())
        .collect();
    lin.pull(Tensor::vector(flat))
}

/// The shapes of `xs`.
fn shapes_of<T: Float>(xs: &[Tensor<T>]) -> Vec<Vec<usize>> {
    xs.iter().map(|x| x.shape().to_vec()).collect()
}
