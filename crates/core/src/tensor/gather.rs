//! `IndexTensor` (an n-d array of indices) and the gather / scatter-add kernels that read
//! and write a tensor at positions it names. The ops on top live in `ops/shape/gather.rs`.

use super::shape::signed;
use super::{contiguous_strides, filled_buffer, for_each_offset, output_buffer, shape_of};
use super::{resolve_axis, try_numel, Shape, Tensor, TensorError};
use crate::error::{tensor_error, ErrorKind};
use crate::Float;
use std::panic::Location;
use std::sync::Arc;

/// An n-d array of indices in row-major order: the `index` argument of
/// [`Var::gather`](crate::Var::gather).
///
/// Cheap to clone (the indices are shared), since the gather op and its adjoint both keep
/// a copy for their VJPs.
///
/// ```
/// use tapegrad_core::ops::shape::IndexTensor;
/// let labels = IndexTensor::from_classes(&[2, 0, 1]);
/// assert_eq!(labels.shape(), &[3, 1]);
/// assert_eq!(labels.as_slice(), &[2, 0, 1]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexTensor {
    shape: Shape,
    data: Arc<[usize]>,
}

impl IndexTensor {
    /// Indices in row-major order with a shape, or an error if the lengths disagree or the
    /// shape's element count overflows.
    pub fn try_from_vec(data: Vec<usize>, shape: &[usize]) -> Result<Self, TensorError> {
        let n = try_numel(shape)?;
        if data.len() != n {
            return Err(tensor_error!(
                ErrorKind::ShapeMismatch {
                    shapes: vec![vec![data.len()], shape.to_vec()]
                },
                "index data has {} elements but shape {:?} needs {}",
                data.len(),
                shape,
                n
            ));
        }
        Ok(IndexTensor {
            shape: shape_of(shape),
            data: data.into(),
        })
    }

    /// Indices in row-major order with a shape; panics (naming the caller's line) if the
    /// lengths disagree.
    #[track_caller]
    pub fn from_vec(data: Vec<usize>, shape: &[usize]) -> Self {
        // a `match`, not `unwrap_or_else`: a closure would not see the caller's location
        match Self::try_from_vec(data, shape) {
            Ok(index) => index,
            Err(e) => panic!("IndexTensor::from_vec: {e} (at {})", Location::caller()),
        }
    }

    /// A column `[n, 1]` holding one class per row: `logp.gather(1, &from_classes(labels))`
    /// picks `logp[i][labels[i]]` for every row `i`.
    pub fn from_classes(classes: &[usize]) -> Self {
        IndexTensor {
            shape: shape_of(&[classes.len(), 1]),
            data: classes.into(),
        }
    }

    /// The shape.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The indices in row-major order.
    pub fn as_slice(&self) -> &[usize] {
        &self.data
    }
}

impl<T: Float> Tensor<T> {
    /// PyTorch's `gather`: the result has `index`'s shape and, for `axis = 1` of a matrix,
    /// `out[i][j] = self[i][index[i][j]]`. `index` has the same rank as `self` and no axis
    /// longer than `self`'s except along `axis`.
    ///
    /// ```
    /// use tapegrad_core::{ops::shape::IndexTensor, Tensor};
    /// let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    /// let y = x.gather(1, &IndexTensor::from_classes(&[2, 0])).unwrap();
    /// assert_eq!(y.as_slice(), &[3.0, 4.0]);
    /// ```
    pub fn gather(&self, axis: usize, index: &IndexTensor) -> Result<Self, TensorError> {
        let (base, step) = gather_strides(self.shape(), axis, index)?;
        let Some(mut data) = output_buffer(index.shape())? else {
            return Ok(Self::empty(index.shape.clone()));
        };
        let src = self.as_slice();
        let idx = index.as_slice();
        for_each_offset(index.shape(), [&base], |k, [off]| {
            data.push(src[off + idx[k] * step])
        });
        Ok(Self::from_parts(index.shape.clone(), data))
    }

    /// A zero tensor of `shape` into which `self` (shaped like `index`) is added at the
    /// positions [`gather`](Self::gather) reads from: its adjoint, repeated indices summing.
    pub fn scatter_add_into(
        &self,
        shape: &[usize],
        axis: usize,
        index: &IndexTensor,
    ) -> Result<Self, TensorError> {
        if self.shape() != index.shape() {
            return Err(tensor_error!(
                ErrorKind::ShapeMismatch {
                    shapes: vec![self.shape().to_vec(), index.shape().to_vec()]
                },
                "source of shape {:?} does not match index of shape {:?}",
                self.shape(),
                index.shape()
            ));
        }
        let (base, step) = gather_strides(shape, axis, index)?;
        let src = self.as_slice();
        let idx = index.as_slice();
        let mut data = filled_buffer(try_numel(shape)?, T::ZERO)?;
        for_each_offset(index.shape(), [&base], |k, [off]| {
            data[off + idx[k] * step] += src[k]
        });
        Ok(Self::from_parts(shape_of(shape), data))
    }
}

/// Checks `index` against a tensor of `shape` gathered along `axis`, and returns the
/// strides that walk that tensor over `index`'s positions with the `axis` coordinate left
/// out, plus the stride of `axis` (by which the index value is multiplied).
fn gather_strides(
    shape: &[usize],
    axis: usize,
    index: &IndexTensor,
) -> Result<(Shape, usize), TensorError> {
    let rank = shape.len();
    resolve_axis(signed(axis), shape)?;
    let fits = index
        .shape()
        .iter()
        .zip(shape)
        .enumerate()
        .all(|(d, (&i, &s))| d == axis || i <= s);
    if index.shape().len() != rank || !fits {
        return Err(tensor_error!(
            ErrorKind::ShapeMismatch {
                shapes: vec![index.shape().to_vec(), shape.to_vec()]
            },
            "index of shape {:?} does not fit shape {shape:?} along axis {axis} \
             (same rank, no longer on the other axes)",
            index.shape()
        ));
    }
    let size = shape[axis];
    if let Some(&bad) = index.as_slice().iter().find(|&&i| i >= size) {
        return Err(tensor_error!(
            ErrorKind::IndexOutOfRange { index: bad, size },
            "index {bad} out of range for axis {axis} of size {size} (shape {shape:?})"
        ));
    }
    let mut base = contiguous_strides(shape);
    let step = std::mem::replace(&mut base[axis], 0);
    Ok((base, step))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_tensor_checks_length() {
        let err = IndexTensor::try_from_vec(vec![0, 1], &[3]).unwrap_err();
        assert!(err.message().contains("[3]"), "{err}");
        assert_eq!(IndexTensor::from_vec(vec![0, 1], &[2, 1]).shape(), &[2, 1]);
    }

    #[test]
    fn gather_reads_along_axis_zero_with_a_shorter_index() {
        // x = [[0, 1, 2], [3, 4, 5]]; out[i][j] = x[index[i][j]][j], index narrower than x
        let x = Tensor::<f64>::arange(6).reshape(&[2, 3]).unwrap();
        let index = IndexTensor::from_vec(vec![1, 0, 1, 1], &[2, 2]);
        let y = x.gather(0, &index).unwrap();
        assert_eq!(y.as_slice(), &[3.0, 1.0, 3.0, 4.0]);
    }

    #[test]
    fn scatter_add_into_is_the_adjoint_of_gather() {
        // ⟨gather(x), v⟩ = ⟨x, scatter_add(v)⟩ for any x, v
        let x = Tensor::<f64>::from_fn(&[2, 3, 2], |i| (i as f64).sin());
        let index = IndexTensor::from_vec(vec![2, 0, 0, 0, 1, 2, 2, 2], &[2, 2, 2]);
        let v = Tensor::<f64>::from_fn(&[2, 2, 2], |i| (i as f64 * 0.7).cos());
        let gx = x.gather(1, &index).unwrap();
        let sv = v.scatter_add_into(x.shape(), 1, &index).unwrap();
        let lhs: f64 = gx
            .as_slice()
            .iter()
            .zip(v.as_slice())
            .map(|(a, b)| a * b)
            .sum();
        let rhs: f64 = x
            .as_slice()
            .iter()
            .zip(sv.as_slice())
            .map(|(a, b)| a * b)
            .sum();
        assert!((lhs - rhs).abs() < 1e-12, "{lhs} vs {rhs}");
    }

    #[test]
    fn gather_rejects_bad_index() {
        let x = Tensor::<f64>::zeros(&[2, 3]);
        let e = x
            .gather(1, &IndexTensor::from_classes(&[3, 0]))
            .unwrap_err();
        assert!(
            e.message().contains("index 3") && e.message().contains("[2, 3]"),
            "{e}"
        );
        let e = x
            .gather(1, &IndexTensor::from_classes(&[0, 0, 0]))
            .unwrap_err();
        assert!(
            e.message().contains("[3, 1]") && e.message().contains("[2, 3]"),
            "{e}"
        );
        let e = x.gather(2, &IndexTensor::from_classes(&[0])).unwrap_err();
        assert!(e.message().contains("axis 2"), "{e}");
        let e = Tensor::<f64>::zeros(&[2])
            .scatter_add_into(&[2, 3], 1, &IndexTensor::from_classes(&[0, 0]))
            .unwrap_err();
        assert!(
            e.message().contains("[2]") && e.message().contains("[2, 1]"),
            "{e}"
        );
    }
}
