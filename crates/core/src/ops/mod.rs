//! Built-in ops, one primitive per file: the op struct (its doc gives the formula and the
//! derivative), its [`Op`](crate::Op) impl, the `Var` method that applies it, and its tests.
//! Functions that compose existing ops are plain methods next to the op they build on.

pub mod binary;
pub mod conv;
pub mod linalg;
pub mod pool;
pub mod reduce;
pub mod shape;
pub mod unary;

use crate::tensor::resolve_axis;
use crate::Error;
use std::panic::Location;

/// [`resolve_axis`] for a `Var` method that takes an axis before it applies its op: the
/// error names the op `op` and the caller's line.
#[track_caller]
pub(crate) fn resolve_axis_for(op: &str, axis: isize, shape: &[usize]) -> Result<usize, Error> {
    let site = Location::caller();
    resolve_axis(axis, shape).map_err(|e| Error::from_tensor(op, e, site))
}

/// The axes `dy` has in front of `y`'s: none in a plain sweep, the batch axis in a
/// batched one (see [`Op::vjp_batches`](crate::Op::vjp_batches)). A VJP that reshapes,
/// reduces or moves axes of `dy` puts these in front of every shape it names (and counts
/// its axes past them), so that it batches; in a plain sweep that changes nothing.
pub(crate) fn batch_axes<T: crate::Float>(
    dy: crate::Var<'_, T>,
    y: crate::Var<'_, T>,
) -> smallvec::SmallVec<[usize; 1]> {
    let (dy, y) = (dy.shape(), y.shape());
    dy[..dy.len() - y.len()].iter().copied().collect()
}
