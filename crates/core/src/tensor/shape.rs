//! Shapes, strides and NumPy broadcasting rules.
//! Pure index arithmetic: no element data lives here.

use super::TensorError;
use crate::error::{tensor_error, ErrorKind};
use smallvec::SmallVec;

/// The extent of each axis, outermost first. Rank 0 (`[]`) is a scalar.
///
/// Inline for up to four axes, so building and cloning a shape does not allocate.
pub type Shape = SmallVec<[usize; 4]>;

/// Makes a [`Shape`] from a slice.
pub fn shape_of(dims: &[usize]) -> Shape {
    SmallVec::from_slice(dims)
}

/// Number of elements of a shape (1 for a scalar), or an error naming the shape when the
/// count does not fit in `usize`. A shape with a 0 axis has 0 elements, however long its
/// other axes are (an empty batch of `[0, 1 << 62]` is a valid tensor).
///
/// ```
/// use tapegrad_core::tensor::try_numel;
/// assert_eq!(try_numel(&[2, 3]), Ok(6));
/// assert_eq!(try_numel(&[1 << 62, 0, 1 << 62]), Ok(0));
/// assert!(try_numel(&[1 << 32, 1 << 32]).is_err());
/// ```
pub fn try_numel(shape: &[usize]) -> Result<usize, TensorError> {
    if shape.contains(&0) {
        return Ok(0);
    }
    shape
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .ok_or_else(|| {
            tensor_error!(
                ErrorKind::TooLarge,
                "shape {shape:?} has more than usize::MAX elements"
            )
        })
}

/// Number of elements of a shape (1 for a scalar).
///
/// Every tensor's shape was checked with [`try_numel`] when it was built, so this cannot
/// fail for one; for a shape of unknown origin it panics (at the caller's line) on overflow.
#[track_caller]
pub fn numel(shape: &[usize]) -> usize {
    match try_numel(shape) {
        Ok(n) => n,
        Err(e) => panic!("{e}"),
    }
}

/// `a == b` for two shapes, without a `memcmp` when both are empty (rank 0): `==` on
/// slices of integers calls `memcmp` even for zero bytes, on the slices' dangling
/// pointers, and glibc's EVEX `memcmp` reads them under a zero mask, which an AVX-512
/// AMD EPYC took ~80 ns to resolve (half of a `linreg` plan replay).
#[inline]
pub(crate) fn same_shape(a: &[usize], b: &[usize]) -> bool {
    a.len() == b.len() && (a.is_empty() || a == b)
}

/// The shape `outer` followed by `inner`: a Jacobian's (the output's, then the input's), or
/// a batch's (`[k]`, then one seed's).
pub(crate) fn joined(outer: &[usize], inner: &[usize]) -> Vec<usize> {
    outer.iter().chain(inner).copied().collect()
}

/// Row-major (C order) strides of a contiguous tensor of this shape.
///
/// The products saturate: they can only overflow behind a 0 axis (a valid shape's element
/// count fits in `usize`), where no element is ever read through them.
pub fn contiguous_strides(shape: &[usize]) -> Shape {
    let mut strides: Shape = SmallVec::from_elem(0, shape.len());
    let mut acc = 1usize;
    for (s, &d) in strides.iter_mut().zip(shape).rev() {
        *s = acc;
        acc = acc.saturating_mul(d);
    }
    strides
}

/// The NumPy broadcast of two shapes, or `None` when they are incompatible.
///
/// Shapes are aligned at their last axis; a missing or size-1 axis stretches.
///
/// ```
/// use tapegrad_core::tensor::broadcast_shapes;
/// assert_eq!(broadcast_shapes(&[2, 1, 3], &[4, 1]).unwrap().as_slice(), &[2, 4, 3]);
/// assert!(broadcast_shapes(&[2, 3], &[4]).is_none());
/// ```
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Option<Shape> {
    let rank = a.len().max(b.len());
    let mut out: Shape = SmallVec::from_elem(0, rank);
    for i in 0..rank {
        let da = if i < rank - a.len() {
            1
        } else {
            a[i - (rank - a.len())]
        };
        let db = if i < rank - b.len() {
            1
        } else {
            b[i - (rank - b.len())]
        };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return None,
        };
    }
    Some(out)
}

/// True when `from` broadcasts to `to` (every axis equal or 1, `from` no longer than `to`).
pub fn broadcasts_to(from: &[usize], to: &[usize]) -> bool {
    from.len() <= to.len()
        && from
            .iter()
            .rev()
            .zip(to.iter().rev())
            .all(|(&f, &t)| f == t || f == 1)
}

/// Strides that read a contiguous tensor of shape `from` as if it had shape `to`:
/// broadcast axes get stride 0. `from` must broadcast to `to`.
pub fn broadcast_strides(from: &[usize], to: &[usize]) -> Shape {
    let own = contiguous_strides(from);
    let offset = to.len() - from.len();
    let mut strides: Shape = SmallVec::from_elem(0, to.len());
    for i in 0..from.len() {
        if from[i] != 1 || to[offset + i] == 1 {
            strides[offset + i] = own[i];
        }
    }
    strides
}

/// Resolves a possibly negative axis (`-1` = last) against `shape`, or the
/// [`ErrorKind::AxisOutOfRange`] error naming the axis and the shape.
///
/// This and [`resolve_axes`] are the one place axes are checked, for the kernels and the ops.
///
/// ```
/// use tapegrad_core::{tensor::resolve_axis, ErrorKind};
/// assert_eq!(resolve_axis(-1, &[2, 3]), Ok(1));
/// let err = resolve_axis(2, &[2, 3]).unwrap_err();
/// assert_eq!(err.kind(), &ErrorKind::AxisOutOfRange { axis: 2, rank: 2 });
/// assert_eq!(err.to_string(), "axis 2 out of range for shape [2, 3]");
/// ```
pub fn resolve_axis(axis: isize, shape: &[usize]) -> Result<usize, TensorError> {
    let rank = shape.len();
    let r = rank as isize;
    let a = if axis < 0 { axis + r } else { axis };
    if (0..r).contains(&a) {
        return Ok(a as usize);
    }
    Err(tensor_error!(
        ErrorKind::AxisOutOfRange { axis, rank },
        "axis {axis} out of range for shape {shape:?}"
    ))
}

/// Resolves every axis with [`resolve_axis`], then refuses one listed twice
/// ([`ErrorKind::DuplicateAxis`]).
///
/// ```
/// use tapegrad_core::{tensor::resolve_axes, ErrorKind};
/// assert_eq!(resolve_axes([0, -1], &[2, 3]).unwrap().as_slice(), &[0, 1]);
/// let err = resolve_axes([1, -1], &[2, 3]).unwrap_err();
/// assert_eq!(err.kind(), &ErrorKind::DuplicateAxis { axis: 1 });
/// assert_eq!(err.to_string(), "axis 1 listed twice in [1, 1]");
/// ```
pub fn resolve_axes(
    axes: impl IntoIterator<Item = isize>,
    shape: &[usize],
) -> Result<SmallVec<[usize; 4]>, TensorError> {
    let resolved = (axes.into_iter())
        .map(|a| resolve_axis(a, shape))
        .collect::<Result<SmallVec<[usize; 4]>, _>>()?;
    match (1..resolved.len()).find(|&k| resolved[..k].contains(&resolved[k])) {
        None => Ok(resolved),
        Some(k) => Err(tensor_error!(
            ErrorKind::DuplicateAxis { axis: resolved[k] },
            "axis {} listed twice in {:?}",
            resolved[k],
            resolved.as_slice()
        )),
    }
}

/// An axis counted from the front, as the resolver takes it. One past `isize::MAX` is out
/// of range for any tensor, and stays so saturated.
pub(super) fn signed(axis: usize) -> isize {
    isize::try_from(axis).unwrap_or(isize::MAX)
}

/// Calls `f(dst_index, offsets)` for every element of a tensor of shape `shape`, in
/// row-major order, where `offsets[k]` walks the `k`-th set of strides (stride 0 repeats
/// an element, which is how broadcasting reads its inputs).
///
/// The innermost axis runs as a tight loop; outer axes advance like an odometer.
#[inline]
pub fn for_each_offset<const K: usize>(
    shape: &[usize],
    strides: [&[usize]; K],
    mut f: impl FnMut(usize, [usize; K]),
) {
    // Nothing to visit: return before walking the outer axes (which may be 2⁶² long).
    if shape.contains(&0) {
        return;
    }
    let rank = shape.len();
    if rank == 0 {
        f(0, [0; K]);
        return;
    }
    let inner = shape[rank - 1];
    let inner_strides: [usize; K] = std::array::from_fn(|k| strides[k][rank - 1]);
    let mut index: Shape = SmallVec::from_elem(0, rank);
    let mut base = [0usize; K];
    let mut dst = 0usize;
    loop {
        let mut off = base;
        for _ in 0..inner {
            f(dst, off);
            dst += 1;
            for k in 0..K {
                off[k] += inner_strides[k];
            }
        }
        // advance the odometer over the outer axes
        let mut axis = rank - 1;
        loop {
            if axis == 0 {
                return;
            }
            axis -= 1;
            index[axis] += 1;
            for k in 0..K {
                base[k] += strides[k][axis];
            }
            if index[axis] < shape[axis] {
                break;
            }
            for k in 0..K {
                base[k] -= strides[k][axis] * shape[axis];
            }
            index[axis] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_shape_is_slice_equality() {
        let shapes: [&[usize]; 5] = [&[], &[1], &[2, 3], &[3, 2], &[2, 3, 1]];
        for a in shapes {
            for b in shapes {
                assert_eq!(same_shape(a, b), a == b, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn broadcast_shapes_follow_numpy() {
        assert_eq!(broadcast_shapes(&[], &[3]).unwrap().as_slice(), &[3]);
        assert_eq!(
            broadcast_shapes(&[5, 1], &[1, 6]).unwrap().as_slice(),
            &[5, 6]
        );
        assert!(broadcast_shapes(&[2], &[3]).is_none());
    }

    #[test]
    fn broadcast_strides_zero_stretched_axes() {
        assert_eq!(broadcast_strides(&[3], &[2, 3]).as_slice(), &[0, 1]);
        assert_eq!(broadcast_strides(&[2, 1], &[2, 3]).as_slice(), &[1, 0]);
    }

    #[test]
    fn for_each_offset_visits_in_row_major_order() {
        let mut seen = vec![];
        for_each_offset(&[2, 3], [&[1, 2]], |d, [s]| seen.push((d, s)));
        assert_eq!(seen, vec![(0, 0), (1, 2), (2, 4), (3, 1), (4, 3), (5, 5)]);
    }
}
