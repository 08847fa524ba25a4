//! Reductions over chosen axes (with keep-dim) and over everything, and the softmax family
//! built on `logsumexp`.

mod logsumexp;
mod max;
mod min;
mod softmax;
mod sum;

pub use logsumexp::LogSumExp;
pub use max::MaxAxes;
pub use min::MinAxes;
pub use sum::SumAxes;

use crate::tensor::{resolve_axes, TensorError};
use smallvec::SmallVec;

/// The axes a reduction's `forward` reduces: `axes` resolved against `shape`, every axis
/// for `None`.
fn reduced_axes(
    axes: Option<&[isize]>,
    shape: &[usize],
) -> Result<SmallVec<[usize; 4]>, TensorError> {
    match axes {
        None => Ok((0..shape.len()).collect()),
        Some(axes) => resolve_axes(axes.iter().copied(), shape),
    }
}

/// The same axes for the VJP, whose `forward` resolved them against an input of this rank:
/// each is in `-rank..rank`, so a negative one just counts from the end.
fn forward_axes(axes: Option<&[isize]>, rank: usize) -> SmallVec<[usize; 4]> {
    match axes {
        None => (0..rank).collect(),
        Some(axes) => (axes.iter())
            .map(|&a| a.rem_euclid(rank as isize) as usize)
            .collect(),
    }
}

/// `v` (a reduction's output or its cotangent) shaped to broadcast against the reduced
/// input: reshaped to `kept` (the input's shape with the reduced axes of length 1) unless
/// it has that shape already or is a scalar, which broadcasts as it is. A VJP's reshape
/// node is then only there when needed: every later sweep over the recorded gradient
/// skips it too.
fn to_kept<'t, T: crate::Float>(v: crate::Var<'t, T>, kept: &[usize]) -> crate::Var<'t, T> {
    let shape = v.shape();
    if shape.is_empty() || shape.as_slice() == kept {
        v
    } else {
        v.reshape(kept)
    }
}
