//! Ops that move or repeat elements without arithmetic on them (except the sums that are
//! the adjoints of repeats).

mod broadcast;
mod concat;
mod gather;
mod index_select;
mod narrow;
mod permute;
mod reshape;

pub use crate::tensor::gather::IndexTensor;
pub use broadcast::{BroadcastTo, SumTo};
pub use concat::Concat;
pub use gather::{Gather, ScatterAdd};
pub use index_select::{IndexAdd, IndexSelect};
pub use narrow::{Narrow, PadNarrow};
pub use permute::Permute;
pub use reshape::Reshape;

use crate::tensor::resolve_axis;
use crate::Error;

/// Resolves a possibly negative `axis` against `shape` for the op `op`, or the error that
/// names the op, the axis and the shape (attributed to the caller's line).
#[track_caller]
pub(crate) fn resolve_axis_for(op: &str, axis: isize, shape: &[usize]) -> Result<usize, Error> {
    match resolve_axis(axis, shape.len()) {
        Some(a) => Ok(a),
        None => Err(Error::new(
            op,
            format!("axis {axis} out of range for shape {shape:?}"),
        )),
    }
}
