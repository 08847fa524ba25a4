//! Element-wise, broadcasting, reduction and layout kernels on plain tensors.
//! Matrix products live in `linalg.rs`; nothing here records anything.

use super::{
    alloc_buffer, broadcast_shapes, broadcast_strides, broadcasts_to, contiguous_strides,
    filled_buffer, for_each_offset, numel, output_buffer, shape_of, tensor_error, try_numel, Shape,
    Tensor, TensorError,
};
use crate::Float;
use smallvec::SmallVec;

impl<T: Float> Tensor<T> {
    /// `f(a, b)` element by element, with NumPy broadcasting of the two shapes.
    ///
    /// ```
    /// use tapegrad_core::Tensor;
    /// let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]);
    /// let b = Tensor::vector(vec![10.0, 20.0]);
    /// let c = a.zip_map(&b, |x, y| x + y).unwrap();
    /// assert_eq!(c.as_slice(), &[11.0, 22.0, 13.0, 24.0]);
    /// ```
    pub fn zip_map(&self, other: &Self, f: impl Fn(T, T) -> T) -> Result<Self, TensorError> {
        let (a, b) = (self.as_slice(), other.as_slice());
        if a.len() == 1 && b.len() == 1 && self.shape() == other.shape() {
            // the scalar fast path: no buffer at all
            return Ok(Self::full(self.shape(), f(a[0], b[0])));
        }
        if self.shape() == other.shape() {
            let mut data = alloc_buffer(a.len())?;
            data.extend(a.iter().zip(b).map(|(&x, &y)| f(x, y)));
            return Ok(Self::from_parts(Shape::from_slice(&self.shape), data));
        }
        let shape = broadcast_shapes(self.shape(), other.shape()).ok_or_else(|| {
            tensor_error!(
                "shapes {:?} and {:?} do not broadcast",
                self.shape(),
                other.shape()
            )
        })?;
        let Some(mut data) = output_buffer(&shape)? else {
            return Ok(Self::empty(shape));
        };
        if b.len() == 1 && shape.as_slice() == self.shape() {
            let y = b[0];
            data.extend(a.iter().map(|&x| f(x, y)));
        } else if a.len() == 1 && shape.as_slice() == other.shape() {
            let x = a[0];
            data.extend(b.iter().map(|&y| f(x, y)));
        } else if shape.as_slice() == self.shape() && is_trailing_block(other.shape(), &shape) {
            // A bias-like operand (its shape a trailing block of the other's): whole rows
            // against it, no index arithmetic per element. Both are non-empty here.
            data.extend(
                a.chunks_exact(b.len())
                    .flat_map(|row| row.iter().zip(b).map(|(&x, &y)| f(x, y))),
            );
        } else if shape.as_slice() == other.shape() && is_trailing_block(self.shape(), &shape) {
            data.extend(
                b.chunks_exact(a.len())
                    .flat_map(|row| a.iter().zip(row).map(|(&x, &y)| f(x, y))),
            );
        } else {
            let sa = broadcast_strides(self.shape(), &shape);
            let sb = broadcast_strides(other.shape(), &shape);
            for_each_offset(&shape, [&sa, &sb], |_, [i, j]| data.push(f(a[i], b[j])));
        }
        Ok(Self::from_parts(shape, data))
    }

    /// `f(a, b, c)` element by element with broadcasting of all three shapes.
    pub fn zip3_map(
        &self,
        b: &Self,
        c: &Self,
        f: impl Fn(T, T, T) -> T,
    ) -> Result<Self, TensorError> {
        let shape = broadcast_shapes(self.shape(), b.shape())
            .and_then(|s| broadcast_shapes(&s, c.shape()))
            .ok_or_else(|| {
                tensor_error!(
                    "shapes {:?}, {:?} and {:?} do not broadcast",
                    self.shape(),
                    b.shape(),
                    c.shape()
                )
            })?;
        let Some(mut data) = output_buffer(&shape)? else {
            return Ok(Self::empty(shape));
        };
        let (sa, sb, sc) = (
            broadcast_strides(self.shape(), &shape),
            broadcast_strides(b.shape(), &shape),
            broadcast_strides(c.shape(), &shape),
        );
        let (xa, xb, xc) = (self.as_slice(), b.as_slice(), c.as_slice());
        for_each_offset(&shape, [&sa, &sb, &sc], |_, [i, j, k]| {
            data.push(f(xa[i], xb[j], xc[k]))
        });
        Ok(Self::from_parts(shape, data))
    }

    /// This tensor repeated along broadcast axes to `shape`.
    pub fn broadcast_to(&self, shape: &[usize]) -> Result<Self, TensorError> {
        if self.shape() == shape {
            return Ok(self.clone());
        }
        if !broadcasts_to(self.shape(), shape) {
            return Err(tensor_error!(
                "cannot broadcast {:?} to {:?}",
                self.shape(),
                shape
            ));
        }
        if self.len() == 1 {
            return Self::try_full(shape, self.as_slice()[0]);
        }
        let Some(mut data) = output_buffer(shape)? else {
            return Ok(Self::empty(shape_of(shape)));
        };
        let src = self.as_slice();
        let strides = broadcast_strides(self.shape(), shape);
        for_each_offset(shape, [&strides], |_, [i]| data.push(src[i]));
        Ok(Self::from_parts(shape_of(shape), data))
    }

    /// Sums the broadcast axes away so the result has `shape`: the inverse of
    /// [`broadcast_to`](Self::broadcast_to), and how a broadcast input's gradient is formed.
    pub fn sum_to(&self, shape: &[usize]) -> Result<Self, TensorError> {
        if self.shape() == shape {
            return Ok(self.clone());
        }
        if !broadcasts_to(shape, self.shape()) {
            return Err(tensor_error!(
                "cannot sum {:?} down to {:?}: {:?} does not broadcast to {:?}",
                self.shape(),
                shape,
                shape,
                self.shape()
            ));
        }
        if self.is_empty() {
            // A sum of nothing is 0 (and `shape` is empty too unless it has 1s where
            // `self` has 0s); the loops below would split rows of length 0.
            return Self::try_zeros(shape);
        }
        let src = self.as_slice();
        if numel(shape) == 1 {
            return Ok(Self::full(shape, src.iter().copied().sum()));
        }
        let mut data = vec![T::ZERO; numel(shape)];
        if is_trailing_block(shape, self.shape()) {
            // a bias gradient: add up whole rows
            for row in src.chunks_exact(data.len()) {
                for (d, &x) in data.iter_mut().zip(row) {
                    *d += x;
                }
            }
        } else {
            let strides = broadcast_strides(shape, self.shape());
            for_each_offset(self.shape(), [&strides], |i, [o]| data[o] += src[i]);
        }
        Ok(Self::from_parts(shape_of(shape), data))
    }

    /// Folds the listed axes with `f`, starting from `init`; the reduced axes stay as size 1
    /// when `keepdim`, and disappear otherwise. Axes must be distinct and in range.
    pub fn reduce_axes(
        &self,
        axes: &[usize],
        keepdim: bool,
        init: T,
        f: impl Fn(T, T) -> T,
    ) -> Result<Self, TensorError> {
        let rank = self.ndim();
        for (k, &a) in axes.iter().enumerate() {
            if a >= rank {
                return Err(tensor_error!(
                    "axis {a} out of range for shape {:?}",
                    self.shape()
                ));
            }
            if axes[..k].contains(&a) {
                return Err(tensor_error!("axis {a} listed twice in {:?}", axes));
            }
        }
        if self.is_empty() {
            // Nothing to fold: every output element is `init`, and the loop below would
            // walk the (possibly 2⁶² long) outer axes for nothing.
            let shape: Shape = (self.shape().iter().enumerate())
                .filter_map(|(i, &d)| match axes.contains(&i) {
                    true => keepdim.then_some(1),
                    false => Some(d),
                })
                .collect();
            return Self::try_full(&shape, init);
        }
        if axes.len() == rank {
            // everything: one fold over the buffer
            let total = self.as_slice().iter().fold(init, |acc, &x| f(acc, x));
            let shape: Shape = if keepdim {
                SmallVec::from_elem(1, rank)
            } else {
                Shape::new()
            };
            return Ok(Self::full(&shape, total));
        }
        let kept: Shape = self
            .shape()
            .iter()
            .enumerate()
            .map(|(i, &d)| if axes.contains(&i) { 1 } else { d })
            .collect();
        let strides = broadcast_strides(&kept, self.shape());
        let src = self.as_slice();
        let mut data = vec![init; numel(&kept)];
        for_each_offset(self.shape(), [&strides], |i, [o]| {
            data[o] = f(data[o], src[i])
        });
        let out_shape: Shape = if keepdim {
            kept
        } else {
            self.shape()
                .iter()
                .enumerate()
                .filter(|(i, _)| !axes.contains(i))
                .map(|(_, &d)| d)
                .collect()
        };
        Ok(Self::from_parts(out_shape, data))
    }

    /// The axes reordered: axis `i` of the result is axis `axes[i]` of `self`.
    pub fn permute(&self, axes: &[usize]) -> Result<Self, TensorError> {
        let rank = self.ndim();
        let mut seen = vec![false; rank];
        if axes.len() != rank
            || axes
                .iter()
                .any(|&a| a >= rank || std::mem::replace(&mut seen[a], true))
        {
            return Err(tensor_error!(
                "{:?} is not a permutation of the {} axes of {:?}",
                axes,
                rank,
                self.shape()
            ));
        }
        let own = contiguous_strides(self.shape());
        let shape: Shape = axes.iter().map(|&a| self.shape()[a]).collect();
        let strides: Shape = axes.iter().map(|&a| own[a]).collect();
        let Some(mut data) = output_buffer(&shape)? else {
            return Ok(Self::empty(shape));
        };
        let src = self.as_slice();
        for_each_offset(&shape, [&strides], |_, [i]| data.push(src[i]));
        Ok(Self::from_parts(shape, data))
    }

    /// Elements `start..start + len` along `axis` (PyTorch's `narrow`).
    pub fn narrow(&self, axis: usize, start: usize, len: usize) -> Result<Self, TensorError> {
        let end = start.checked_add(len);
        if axis >= self.ndim() || !matches!(end, Some(end) if end <= self.shape()[axis]) {
            let end = end.map_or_else(|| format!("{start}+{len}"), |end| end.to_string());
            return Err(tensor_error!(
                "range {start}..{end} on axis {axis} out of bounds for shape {:?}",
                self.shape()
            ));
        }
        let mut shape = Shape::from_slice(&self.shape);
        shape[axis] = len;
        let Some(mut data) = output_buffer(&shape)? else {
            return Ok(Self::empty(shape));
        };
        let (outer, inner) = split_at_axis(self.shape(), axis);
        let d = self.shape()[axis];
        let src = self.as_slice();
        for o in 0..outer {
            let base = (o * d + start) * inner;
            data.extend_from_slice(&src[base..base + len * inner]);
        }
        Ok(Self::from_parts(shape, data))
    }

    /// Joins tensors along an existing axis; all other axes must agree.
    pub fn concat(parts: &[&Self], axis: usize) -> Result<Self, TensorError> {
        let first = parts
            .first()
            .ok_or_else(|| tensor_error!("nothing to concatenate"))?;
        if axis >= first.ndim() {
            return Err(tensor_error!(
                "axis {axis} out of range for shape {:?}",
                first.shape()
            ));
        }
        for p in parts {
            let same_rank = p.ndim() == first.ndim();
            if !same_rank
                || p.shape()
                    .iter()
                    .zip(first.shape())
                    .enumerate()
                    .any(|(i, (a, b))| i != axis && a != b)
            {
                let shapes: Vec<_> = parts.iter().map(|p| p.shape().to_vec()).collect();
                return Err(tensor_error!(
                    "shapes {:?} differ outside axis {axis}",
                    shapes
                ));
            }
        }
        let total = (parts.iter())
            .try_fold(0usize, |sum, p| sum.checked_add(p.shape()[axis]))
            .ok_or_else(|| tensor_error!("the lengths of axis {axis} add up past usize::MAX"))?;
        let mut shape = Shape::from_slice(&first.shape);
        shape[axis] = total;
        let Some(mut data) = output_buffer(&shape)? else {
            return Ok(Self::empty(shape));
        };
        let (outer, inner) = split_at_axis(first.shape(), axis);
        for o in 0..outer {
            for p in parts {
                let chunk = p.shape()[axis] * inner;
                data.extend_from_slice(&p.as_slice()[o * chunk..(o + 1) * chunk]);
            }
        }
        Ok(Self::from_parts(shape, data))
    }

    /// The slices at `indices` along `axis`, in that order (repeats allowed).
    pub fn index_select(&self, axis: usize, indices: &[usize]) -> Result<Self, TensorError> {
        if axis >= self.ndim() {
            return Err(tensor_error!(
                "axis {axis} out of range for shape {:?}",
                self.shape()
            ));
        }
        let d = self.shape()[axis];
        if let Some(&bad) = indices.iter().find(|&&i| i >= d) {
            return Err(tensor_error!(
                "index {bad} out of range for axis {axis} of size {d} (shape {:?})",
                self.shape()
            ));
        }
        let mut shape = Shape::from_slice(&self.shape);
        shape[axis] = indices.len();
        let Some(mut data) = output_buffer(&shape)? else {
            return Ok(Self::empty(shape));
        };
        let (outer, inner) = split_at_axis(self.shape(), axis);
        let src = self.as_slice();
        for o in 0..outer {
            for &i in indices {
                let base = (o * d + i) * inner;
                data.extend_from_slice(&src[base..base + inner]);
            }
        }
        Ok(Self::from_parts(shape, data))
    }

    /// A zero tensor of shape `shape` with the slices of `self` added at `indices` along
    /// `axis`: the adjoint of [`index_select`](Self::index_select), repeats summing up.
    pub fn index_add_into(
        &self,
        shape: &[usize],
        axis: usize,
        indices: &[usize],
    ) -> Result<Self, TensorError> {
        let mut expect = shape_of(shape);
        if axis < expect.len() {
            expect[axis] = indices.len();
        }
        if axis >= shape.len() || self.shape() != expect.as_slice() {
            return Err(tensor_error!(
                "cannot scatter {:?} into {:?} along axis {axis} with {} indices",
                self.shape(),
                shape,
                indices.len()
            ));
        }
        let d = shape[axis];
        if let Some(&bad) = indices.iter().find(|&&i| i >= d) {
            return Err(tensor_error!(
                "index {bad} out of range for axis {axis} of size {d}"
            ));
        }
        let mut data = filled_buffer(try_numel(shape)?, T::ZERO)?;
        if self.is_empty() {
            // nothing to add (and `outer` may be 2⁶² rows of nothing)
            return Ok(Self::from_parts(shape_of(shape), data));
        }
        let (outer, inner) = split_at_axis(shape, axis);
        let src = self.as_slice();
        for o in 0..outer {
            for (k, &i) in indices.iter().enumerate() {
                let from = (o * indices.len() + k) * inner;
                let to = (o * d + i) * inner;
                for j in 0..inner {
                    data[to + j] += src[from + j];
                }
            }
        }
        Ok(Self::from_parts(shape_of(shape), data))
    }
}

/// True when `part`, with leading 1s ignored, equals the last axes of `whole`: then `whole`
/// is a stack of copies of `part`'s elements in row-major order.
fn is_trailing_block(part: &[usize], whole: &[usize]) -> bool {
    let first = part.iter().position(|&d| d != 1).unwrap_or(part.len());
    let part = &part[first..];
    part.len() <= whole.len() && whole[whole.len() - part.len()..] == *part
}

/// Sizes of the block of axes before `axis` and the block after it.
fn split_at_axis(shape: &[usize], axis: usize) -> (usize, usize) {
    (numel(&shape[..axis]), numel(&shape[axis + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(data: &[f64], shape: &[usize]) -> Tensor<f64> {
        Tensor::from_slice(data, shape)
    }

    #[test]
    fn zip_map_broadcasts_column_against_row() {
        let c = t(&[1., 2.], &[2, 1]).zip_map(&t(&[10., 20., 30.], &[3]), |a, b| a * b);
        assert_eq!(c.unwrap(), t(&[10., 20., 30., 20., 40., 60.], &[2, 3]));
    }

    #[test]
    fn zip_map_rejects_incompatible_shapes() {
        let err = t(&[1., 2.], &[2]).zip_map(&t(&[1., 2., 3.], &[3]), |a, _| a);
        assert!(err.unwrap_err().0.contains("[2] and [3]"));
    }

    #[test]
    fn trailing_block_fast_paths_agree_with_the_general_path() {
        let a = Tensor::<f64>::arange(24).reshape(&[2, 3, 4]).unwrap();
        for bshape in [&[4][..], &[3, 4], &[1, 3, 4], &[1, 1, 4]] {
            let b = Tensor::<f64>::rand_normal(bshape, 0.0, 1.0, 1);
            let fast = a.zip_map(&b, |x, y| x - y).unwrap();
            let full = b.broadcast_to(&[2, 3, 4]).unwrap();
            let want = Tensor::from_fn(&[2, 3, 4], |i| a.as_slice()[i] - full.as_slice()[i]);
            assert_eq!(fast, want);
            let flipped = b.zip_map(&a, |y, x| x - y).unwrap();
            assert_eq!(flipped, want);
            let summed = a.sum_to(bshape).unwrap();
            let strides = broadcast_strides(bshape, &[2, 3, 4]);
            let mut slow = vec![0.0; b.len()];
            for_each_offset(&[2, 3, 4], [&strides], |i, [o]| slow[o] += a.as_slice()[i]);
            assert_eq!(summed.as_slice(), &slow[..]);
        }
    }

    #[test]
    fn sum_to_undoes_broadcast() {
        let g = Tensor::<f64>::ones(&[2, 3]);
        assert_eq!(g.sum_to(&[3]).unwrap(), t(&[2., 2., 2.], &[3]));
        assert_eq!(g.sum_to(&[2, 1]).unwrap(), t(&[3., 3.], &[2, 1]));
        assert_eq!(g.sum_to(&[]).unwrap(), Tensor::scalar(6.0));
    }

    #[test]
    fn reduce_axes_keepdim_and_drop() {
        let x = Tensor::<f64>::arange(6).reshape(&[2, 3]).unwrap();
        let s = x.reduce_axes(&[1], false, 0.0, |a, b| a + b).unwrap();
        assert_eq!(s, t(&[3., 12.], &[2]));
        let m = x
            .reduce_axes(&[0], true, f64::NEG_INFINITY, f64::max)
            .unwrap();
        assert_eq!(m, t(&[3., 4., 5.], &[1, 3]));
    }

    #[test]
    fn permute_transposes() {
        let x = Tensor::<f64>::arange(6).reshape(&[2, 3]).unwrap();
        assert_eq!(
            x.permute(&[1, 0]).unwrap(),
            t(&[0., 3., 1., 4., 2., 5.], &[3, 2])
        );
        assert!(x.permute(&[0, 0]).is_err());
    }

    #[test]
    fn narrow_concat_roundtrip() {
        let x = Tensor::<f64>::arange(12).reshape(&[3, 4]).unwrap();
        let a = x.narrow(1, 0, 1).unwrap();
        let b = x.narrow(1, 1, 3).unwrap();
        assert_eq!(Tensor::concat(&[&a, &b], 1).unwrap(), x);
    }

    #[test]
    fn index_select_and_its_adjoint() {
        let x = Tensor::<f64>::arange(6).reshape(&[3, 2]).unwrap();
        let s = x.index_select(0, &[2, 0, 2]).unwrap();
        assert_eq!(s, t(&[4., 5., 0., 1., 4., 5.], &[3, 2]));
        let back = Tensor::<f64>::ones(&[3, 2])
            .index_add_into(&[3, 2], 0, &[2, 0, 2])
            .unwrap();
        assert_eq!(back, t(&[1., 1., 0., 0., 2., 2.], &[3, 2]));
    }
}
