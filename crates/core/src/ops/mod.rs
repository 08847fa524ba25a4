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
