//! The checks every transform makes of what it is given (how many tensors, which shapes,
//! a one-element output), as errors naming the transform and the caller's line.

use crate::tensor::numel;
use crate::{Error, ErrorKind, Float, Tensor};
use std::panic::Location;

/// The caller's site, captured before any closure runs (closures lose `#[track_caller]`).
pub(crate) type Site = &'static Location<'static>;

/// The error unless `got` tensors were given where `want` are expected (`what` names them).
pub(crate) fn check_count(
    entry: &str,
    what: &str,
    got: usize,
    want: usize,
    site: Site,
) -> Result<(), Error> {
    if got == want {
        return Ok(());
    }
    Err(Error::at(
        ErrorKind::InvalidArgument,
        entry,
        format!("{got} {what} for {want} inputs"),
        site,
    ))
}

/// The error unless each of `given` has the shape of the matching `expected`.
pub(crate) fn check_shapes<T: Float>(
    entry: &str,
    what: &str,
    given: &[Tensor<T>],
    expected: &[Vec<usize>],
    site: Site,
) -> Result<(), Error> {
    check_count(entry, what, given.len(), expected.len(), site)?;
    for (i, (g, e)) in given.iter().zip(expected).enumerate() {
        if g.shape() != e.as_slice() {
            return Err(Error::at(
                ErrorKind::ShapeMismatch {
                    shapes: vec![g.shape().to_vec(), e.clone()],
                },
                entry,
                format!(
                    "{what} {i} has shape {:?}, its input has shape {e:?}",
                    g.shape()
                ),
                site,
            ));
        }
    }
    Ok(())
}

/// The error unless `batch` has shape `[k] ++ shape` for some `k` (a batch of `k`
/// cotangents or tangents, stacked along a new first axis).
pub(crate) fn check_batch<T: Float>(
    entry: &str,
    what: &str,
    batch: &Tensor<T>,
    shape: &[usize],
    site: Site,
) -> Result<(), Error> {
    if batch.shape().get(1..) == Some(shape) {
        return Ok(());
    }
    Err(Error::at(
        ErrorKind::ShapeMismatch {
            shapes: vec![batch.shape().to_vec(), shape.to_vec()],
        },
        entry,
        format!(
            "{what} of shape {:?}: expected [k] followed by {shape:?} (k {what}, stacked)",
            batch.shape()
        ),
        site,
    ))
}

/// The error unless `shape` has one element (a gradient or a Hessian needs a scalar).
pub(crate) fn check_scalar(entry: &str, shape: &[usize], site: Site) -> Result<(), Error> {
    if numel(shape) == 1 {
        return Ok(());
    }
    Err(Error::at(
        ErrorKind::NonScalarRoot {
            shape: shape.to_vec(),
        },
        entry,
        format!("f returned shape {shape:?}, not one element; reduce it (e.g. `.sum()`)"),
        site,
    ))
}
