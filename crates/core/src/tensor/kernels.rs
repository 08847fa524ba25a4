//! Element-wise, broadcasting, reduction and layout kernels on plain tensors.
//! Matrix products live in `linalg.rs`; nothing here records anything.

use super::shape::signed;
use super::simd::with_widest;
use super::{
    alloc_buffer, broadcast_shapes, broadcast_strides, broadcasts_to, contiguous_strides,
    filled_buffer, for_each_offset, numel, output_buffer, resolve_axes, resolve_axis, same_shape,
    shape_of, try_numel, Shape, Storage, Tensor, TensorError,
};
use crate::error::{tensor_error, ErrorKind};
use crate::Float;
use smallvec::SmallVec;
use std::borrow::Cow;

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
        if let (Storage::One(x), Storage::One(y)) = (&self.data, &other.data) {
            // rank 0 is told apart without a `memcmp` (see `same_shape`)
            if same_shape(&self.shape, &other.shape) {
                // the scalar fast path: no buffer, no shape arithmetic
                return Ok(Tensor {
                    shape: self.shape_copy(),
                    data: Storage::One(f(*x, *y)),
                });
            }
        }
        let (a, b) = (self.as_slice(), other.as_slice());
        if same_shape(self.shape(), other.shape()) {
            let mut data = alloc_buffer(a.len())?;
            data.extend(a.iter().zip(b).map(|(&x, &y)| f(x, y)));
            return Ok(Self::from_parts(Shape::from_slice(&self.shape), data));
        }
        let shape = broadcast_shapes(self.shape(), other.shape()).ok_or_else(|| {
            tensor_error!(
                ErrorKind::ShapeMismatch {
                    shapes: vec![self.shape().to_vec(), other.shape().to_vec()]
                },
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
            // row by row: each row's `zip` has an exact length, so `extend` writes it in
            // one vectorised loop (a `flat_map` over the rows pushes element by element)
            for row in a.chunks_exact(b.len()) {
                data.extend(row.iter().zip(b).map(|(&x, &y)| f(x, y)));
            }
        } else if shape.as_slice() == other.shape() && is_trailing_block(self.shape(), &shape) {
            for row in b.chunks_exact(a.len()) {
                data.extend(a.iter().zip(row).map(|(&x, &y)| f(x, y)));
            }
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
                    ErrorKind::ShapeMismatch {
                        shapes: vec![
                            self.shape().to_vec(),
                            b.shape().to_vec(),
                            c.shape().to_vec()
                        ]
                    },
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
        if same_shape(self.shape(), shape) {
            return Ok(self.clone());
        }
        if !broadcasts_to(self.shape(), shape) {
            return Err(tensor_error!(
                ErrorKind::ShapeMismatch {
                    shapes: vec![self.shape().to_vec(), shape.to_vec()]
                },
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
    /// Summed pairwise, as [`sum_axes`](Self::sum_axes).
    pub fn sum_to(&self, shape: &[usize]) -> Result<Self, TensorError> {
        let mut out = Self::scalar(T::ZERO);
        self.sum_to_into(shape, &mut out)?;
        Ok(out)
    }

    /// [`sum_to`](Self::sum_to) written into `out`'s buffer when it holds the only
    /// reference to one of the result's size (a plan's dead slot); same values.
    pub fn sum_to_into(&self, shape: &[usize], out: &mut Self) -> Result<(), TensorError> {
        if same_shape(self.shape(), shape) {
            *out = self.clone();
            return Ok(());
        }
        if !broadcasts_to(shape, self.shape()) {
            return Err(tensor_error!(
                ErrorKind::ShapeMismatch {
                    shapes: vec![self.shape().to_vec(), shape.to_vec()]
                },
                "cannot sum {:?} down to {:?}: {:?} does not broadcast to {:?}",
                self.shape(),
                shape,
                shape,
                self.shape()
            ));
        }
        let buf = out.buffer_for(shape)?;
        if self.is_empty() {
            // A sum of nothing is 0 (and `shape` is empty too unless it has 1s where
            // `self` has 0s); the loops below would walk empty rows.
            buf.fill(T::ZERO);
            return Ok(());
        }
        // the leading axes `shape` lacks, and those where it has a 1
        let lead = self.ndim() - shape.len();
        sum_kept_into(
            self.as_slice(),
            self.shape(),
            |i| i < lead || shape[i - lead] == 1,
            buf,
        );
        Ok(())
    }

    /// The sum of all elements (0 when empty), by blocked pairwise summation (see
    /// [`sum_axes`](Self::sum_axes)): its error grows like `log n`, not like `n`. In f32,
    /// 10⁷ values in [0, 1) or 10⁶ copies of 0.1 come out within a relative 1e-6 of the
    /// exact sum (one running total is 1% off for the latter: 100958.34).
    ///
    /// ```
    /// use tapegrad_core::Tensor;
    /// let x = Tensor::<f32>::full(&[1_000_000], 0.1);
    /// assert!((x.sum() - 100_000.0).abs() <= 0.1);
    /// ```
    pub fn sum(&self) -> T {
        pairwise_sum(self.as_slice())
    }

    /// Sums the listed axes; they stay as size 1 when `keepdim`, and disappear otherwise.
    /// Axes must be distinct and in range.
    ///
    /// # Design
    /// Blocked pairwise summation, for every axis layout. A contiguous run of `n` values
    /// (an inner axis, or everything) is added in leaves of 256 values, each into 16
    /// independent accumulators (a fixed-size array, so the compiler emits vector adds
    /// and no add waits for the one before); leaves are combined lane by lane by
    /// recursive halving, and the 16 lanes pairwise at the end. An outer axis (`[n, c]`
    /// summed over `n`) is added row by row (two at a time in f32) into a partial row, 32
    /// rows per leaf, and the partial rows are combined by recursive halving again; rows narrower than 32 values
    /// are first grouped into wider ones. A value thus goes through `O(log n)` rounded
    /// additions instead of up to `n` in one running total: the error bound drops from
    /// `n·ε` to about `(32 + log₂ n)·ε`, and the loops still vectorise. Mixed layouts sum
    /// one run of adjacent reduced axes away per pass, innermost first.
    pub fn sum_axes(&self, axes: &[usize], keepdim: bool) -> Result<Self, TensorError> {
        let mut out = Self::scalar(T::ZERO);
        self.sum_axes_into(axes, keepdim, &mut out)?;
        Ok(out)
    }

    /// [`sum_axes`](Self::sum_axes) written into `out`'s buffer when it holds the only
    /// reference to one of the result's size (a plan's dead slot); same values.
    pub fn sum_axes_into(
        &self,
        axes: &[usize],
        keepdim: bool,
        out: &mut Self,
    ) -> Result<(), TensorError> {
        check_axes(self.shape(), axes)?;
        let buf = out.buffer_for(&reduced_shape(self.shape(), axes, keepdim))?;
        if self.is_empty() {
            // a sum of nothing is 0, without walking empty rows
            buf.fill(T::ZERO);
            return Ok(());
        }
        sum_kept_into(self.as_slice(), self.shape(), |i| axes.contains(&i), buf);
        Ok(())
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
        check_axes(self.shape(), axes)?;
        if self.is_empty() {
            // Nothing to fold: every output element is `init`, and the loop below would
            // walk the (possibly 2⁶² long) outer axes for nothing.
            return Self::try_full(&reduced_shape(self.shape(), axes, keepdim), init);
        }
        if axes.len() == self.ndim() {
            // everything: one fold over the buffer
            let total = self.as_slice().iter().fold(init, |acc, &x| f(acc, x));
            return Ok(Self::full(
                &reduced_shape(self.shape(), axes, keepdim),
                total,
            ));
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
        Ok(Self::from_parts(
            reduced_shape(self.shape(), axes, keepdim),
            data,
        ))
    }

    /// The axes reordered: axis `i` of the result is axis `axes[i]` of `self`.
    pub fn permute(&self, axes: &[usize]) -> Result<Self, TensorError> {
        let rank = self.ndim();
        let not_a_permutation = |kind| {
            tensor_error!(
                kind,
                "{:?} is not a permutation of the {} axes of {:?}",
                axes,
                rank,
                self.shape()
            )
        };
        check_axes(self.shape(), axes).map_err(|e| not_a_permutation(e.kind().clone()))?;
        if axes.len() != rank {
            return Err(not_a_permutation(ErrorKind::InvalidArgument));
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
            let kind = match self.shape().get(axis) {
                None => ErrorKind::AxisOutOfRange {
                    axis: signed(axis),
                    rank: self.ndim(),
                },
                Some(&size) => ErrorKind::IndexOutOfRange {
                    index: end.unwrap_or(usize::MAX),
                    size,
                },
            };
            let end = end.map_or_else(|| format!("{start}+{len}"), |end| end.to_string());
            return Err(tensor_error!(
                kind,
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

    /// Zeros of `self`'s shape with `axis` of length `size`, holding `self` at positions
    /// `start..start + len` of that axis (the adjoint of [`narrow`](Self::narrow)); the
    /// error when the axis is out of range or `self` does not fit there.
    ///
    /// ```
    /// use tapegrad_core::Tensor;
    /// let x = Tensor::from_slice(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    /// let y = x.pad_narrow(1, 1, 4).unwrap();
    /// assert_eq!(y.as_slice(), &[0.0, 1.0, 2.0, 0.0, 0.0, 3.0, 4.0, 0.0]);
    /// ```
    pub fn pad_narrow(&self, axis: usize, start: usize, size: usize) -> Result<Self, TensorError> {
        let len = self.shape().get(axis).copied();
        let fits = |len: usize| start.checked_add(len).is_some_and(|end| end <= size);
        let Some(len) = len.filter(|&len| fits(len)) else {
            let kind = match len {
                None => ErrorKind::AxisOutOfRange {
                    axis: signed(axis),
                    rank: self.ndim(),
                },
                Some(len) => ErrorKind::IndexOutOfRange {
                    index: start.saturating_add(len),
                    size,
                },
            };
            return Err(tensor_error!(
                kind,
                "cannot place {:?} at {start}.. on axis {axis} of length {size}",
                self.shape()
            ));
        };
        let mut shape = Shape::from_slice(&self.shape);
        shape[axis] = size;
        let Some(mut data) = output_buffer(&shape)? else {
            return Ok(Self::empty(shape));
        };
        // one pass over the result: zeros, the block, zeros, for each outer index
        let (outer, inner) = split_at_axis(self.shape(), axis);
        let (before, after) = (start * inner, (size - start - len) * inner);
        if len * inner == 0 {
            data.resize(numel(&shape), T::ZERO);
        } else {
            for block in self.as_slice().chunks_exact(len * inner).take(outer) {
                data.resize(data.len() + before, T::ZERO);
                data.extend_from_slice(block);
                data.resize(data.len() + after, T::ZERO);
            }
        }
        Ok(Self::from_parts(shape, data))
    }

    /// Joins tensors along an existing axis; all other axes must agree.
    pub fn concat(parts: &[&Self], axis: usize) -> Result<Self, TensorError> {
        let first = parts
            .first()
            .ok_or_else(|| tensor_error!(ErrorKind::InvalidArgument, "nothing to concatenate"))?;
        resolve_axis(signed(axis), first.shape())?;
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
                    ErrorKind::ShapeMismatch {
                        shapes: shapes.clone()
                    },
                    "shapes {:?} differ outside axis {axis}",
                    shapes
                ));
            }
        }
        let total = (parts.iter())
            .try_fold(0usize, |sum, p| sum.checked_add(p.shape()[axis]))
            .ok_or_else(|| {
                tensor_error!(
                    ErrorKind::TooLarge,
                    "the lengths of axis {axis} add up past usize::MAX"
                )
            })?;
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
        resolve_axis(signed(axis), self.shape())?;
        let d = self.shape()[axis];
        if let Some(&bad) = indices.iter().find(|&&i| i >= d) {
            return Err(tensor_error!(
                ErrorKind::IndexOutOfRange {
                    index: bad,
                    size: d
                },
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
            let kind = if axis >= shape.len() {
                ErrorKind::AxisOutOfRange {
                    axis: signed(axis),
                    rank: shape.len(),
                }
            } else {
                ErrorKind::ShapeMismatch {
                    shapes: vec![self.shape().to_vec(), shape.to_vec()],
                }
            };
            return Err(tensor_error!(
                kind,
                "cannot scatter {:?} into {:?} along axis {axis} with {} indices",
                self.shape(),
                shape,
                indices.len()
            ));
        }
        let d = shape[axis];
        if let Some(&bad) = indices.iter().find(|&&i| i >= d) {
            return Err(tensor_error!(
                ErrorKind::IndexOutOfRange {
                    index: bad,
                    size: d
                },
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

/// The error for an axis out of range or listed twice (the resolver's).
fn check_axes(shape: &[usize], axes: &[usize]) -> Result<(), TensorError> {
    resolve_axes(axes.iter().map(|&a| signed(a)), shape).map(|_| ())
}

/// `shape` after reducing `axes`: kept as size 1 when `keepdim`, dropped otherwise.
fn reduced_shape(shape: &[usize], axes: &[usize], keepdim: bool) -> Shape {
    let kept = shape.iter().enumerate();
    if keepdim {
        kept.map(|(i, &d)| if axes.contains(&i) { 1 } else { d })
            .collect()
    } else {
        kept.filter(|(i, _)| !axes.contains(i))
            .map(|(_, &d)| d)
            .collect()
    }
}

/// Values per leaf of the pairwise tree over a contiguous run: each lane adds
/// `SUM_BLOCK / SUM_LANES` = 16 of them in a row.
pub(crate) const SUM_BLOCK: usize = 256;
/// Independent accumulators in a leaf: 4 SSE vectors of f32 or 8 of f64, enough to keep
/// the adder busy while earlier adds finish.
pub(crate) const SUM_LANES: usize = 16;
/// Rows per leaf of the pairwise tree over rows, added into one partial row: at most 32
/// additions in a row, and a merge of partial rows per 32 rows only.
const ROW_BLOCK: usize = 32;

/// Rows of at most this many values, a whole number of [`LANES`], are summed 16 columns
/// at a time (see [`sum_row_block`]).
const NARROW_ROW: usize = 256;

/// Columns summed together in a narrow row.
const LANES: usize = 16;
/// Rows narrower than this are grouped into wider rows first: adding a row of 2 values at
/// a time is all loop overhead.
const MIN_ROW_WIDTH: usize = 32;

/// `Σ xs` by blocked pairwise summation (the design is at [`Tensor::sum_axes`]).
pub(crate) fn pairwise_sum<T: Float>(xs: &[T]) -> T {
    if xs.len() < SUM_LANES {
        // a short run: a plain loop is as accurate and skips the lane set-up
        return xs.iter().fold(T::ZERO, |acc, &x| acc + x);
    }
    lanes_total(pairwise_lanes(xs))
}

/// The lane-wise sums of `xs`: leaves of `SUM_BLOCK`, combined by recursive halving.
fn pairwise_lanes<T: Float>(xs: &[T]) -> [T; SUM_LANES] {
    if xs.len() <= SUM_BLOCK {
        return leaf_lanes(xs);
    }
    // split at a whole number of leaves, so only the last leaf is partial
    let (a, b) = xs.split_at(split_point(xs.len(), SUM_BLOCK));
    let (mut lanes, other) = (pairwise_lanes(a), pairwise_lanes(b));
    for (acc, x) in lanes.iter_mut().zip(other) {
        *acc += x;
    }
    lanes
}

/// The lanes of one leaf (at most `SUM_BLOCK` values).
pub(crate) fn leaf_lanes<T: Float>(xs: &[T]) -> [T; SUM_LANES] {
    let mut lanes = [T::ZERO; SUM_LANES];
    let mut chunks = xs.chunks_exact(SUM_LANES);
    for chunk in &mut chunks {
        for (acc, &x) in lanes.iter_mut().zip(chunk) {
            *acc += x;
        }
    }
    for (acc, &x) in lanes.iter_mut().zip(chunks.remainder()) {
        *acc += x;
    }
    lanes
}

/// [`pairwise_lanes`] of `n ≥ SUM_LANES` values from the lanes of their leaves (each
/// `SUM_BLOCK` values but the last), combined in the same tree: with [`lanes_total`],
/// the same sum to the bit as [`pairwise_sum`], for a caller that produces the values
/// one leaf at a time (a plan's fused loop) and keeps only their lanes.
pub(crate) fn tree_lanes<T: Float>(leaves: &[[T; SUM_LANES]], n: usize) -> [T; SUM_LANES] {
    if n <= SUM_BLOCK {
        return leaves[0];
    }
    let split = split_point(n, SUM_BLOCK);
    let (a, b) = leaves.split_at(split / SUM_BLOCK);
    let (mut lanes, other) = (tree_lanes(a, split), tree_lanes(b, n - split));
    for (acc, x) in lanes.iter_mut().zip(other) {
        *acc += x;
    }
    lanes
}

/// The 16 lanes added pairwise into one total.
pub(crate) fn lanes_total<T: Float>(mut lanes: [T; SUM_LANES]) -> T {
    let mut width = SUM_LANES;
    while width > 1 {
        width /= 2;
        for i in 0..width {
            lanes[i] += lanes[i + width];
        }
    }
    lanes[0]
}

/// Where recursive halving splits `n` items: half of them rounded up to whole leaves of
/// `leaf` (for `n > leaf`, both sides are non-empty and the first is the larger).
fn split_point(n: usize, leaf: usize) -> usize {
    (n / 2).div_ceil(leaf) * leaf
}

/// `out[j] = Σᵢ src[i·c + j]` with `c = out.len()`: the column sums of the rows of `src`,
/// pairwise over blocks of rows (see [`Tensor::sum_axes`]).
fn sum_columns<T: Float>(src: &[T], out: &mut [T]) {
    let c = out.len();
    let rows = src.len() / c;
    let group = MIN_ROW_WIDTH.div_ceil(c);
    if group > 1 && rows >= 2 * group {
        // narrow rows: sum groups of `group` rows as one wide row, then fold the partial
        // rows of the wide sum and the rows left over
        let whole = rows / group * group * c;
        let mut wide = vec![T::ZERO; group * c];
        sum_rows_pairwise(&src[..whole], &mut wide);
        wide.extend_from_slice(&src[whole..]);
        sum_rows_pairwise(&wide, out);
    } else {
        sum_rows_pairwise(src, out);
    }
}

/// The column sums of `src` into `out` by recursive halving over blocks of `ROW_BLOCK`
/// rows, with one partial row per level of the recursion.
fn sum_rows_pairwise<T: Float>(src: &[T], out: &mut [T]) {
    let c = out.len();
    let mut levels = 0;
    let mut rows = src.len() / c;
    while rows > ROW_BLOCK {
        rows = split_point(rows, ROW_BLOCK);
        levels += 1;
    }
    // on the stack for the narrow column sums of a bias gradient (an array: a `SmallVec`
    // of 64 was moved by `memmove`, 7% of a 64 × 32 `sum_to`)
    let need = levels * c;
    if need <= 64 {
        let mut scratch = [T::ZERO; 64];
        sum_rows_into(src, out, &mut scratch[..need]);
    } else {
        sum_rows_into(src, out, &mut vec![T::ZERO; need]);
    }
}

/// The recursion of [`sum_rows_pairwise`]; `scratch` holds a partial row per level left.
fn sum_rows_into<T: Float>(src: &[T], out: &mut [T], scratch: &mut [T]) {
    let c = out.len();
    let rows = src.len() / c;
    if rows <= ROW_BLOCK {
        with_widest(
            #[inline(always)]
            || sum_row_block(src, out),
        );
        return;
    }
    let (a, b) = src.split_at(split_point(rows, ROW_BLOCK) * c);
    let (partial, scratch) = scratch.split_at_mut(c);
    sum_rows_into(a, out, scratch);
    sum_rows_into(b, partial, scratch);
    for (acc, &x) in out.iter_mut().zip(partial.iter()) {
        *acc += x;
    }
}

/// `out` = the sum of the at most [`ROW_BLOCK`] rows of `src`, in order: the leaves of
/// [`sum_rows_into`], inlined into a function for the CPU's widest vectors.
#[inline(always)]
fn sum_row_block<T: Float>(src: &[T], out: &mut [T]) {
    let c = out.len();
    // Measured with `reduce_bench` (`sum_to`, 10⁶-10⁷ elements): in f32 the one-row
    // loop is bound by its stores to `out`, and two rows per pass are 20% faster; in
    // f64 the two-row loop is 40% slower (memory-bound, and one stream is what the
    // prefetcher likes), so f64 adds one row per pass.
    let step = if std::mem::size_of::<T>() < 8 { 2 } else { 1 };
    if c <= NARROW_ROW && c.is_multiple_of(LANES) {
        // Narrow rows (a bias gradient's 32 columns): a loop over one row is shorter than
        // the compiler's vectorised body and ran as its scalar remainder, so the sums of
        // each 16 columns are kept in a fixed array over all rows (same additions, in the
        // same order: the same bits). A 64 × 32 `f32` `sum_to` in a plan: 165 → 105 ns.
        for (j0, out) in (0..c).step_by(LANES).zip(out.chunks_exact_mut(LANES)) {
            let mut acc = [T::ZERO; LANES];
            let mut passes = src.chunks_exact(step * c);
            for pass in &mut passes {
                let r0: &[T; LANES] = pass[j0..j0 + LANES].try_into().expect("16 values");
                if step == 1 {
                    for (acc, &a) in acc.iter_mut().zip(r0) {
                        *acc += a;
                    }
                } else {
                    let r1: &[T; LANES] =
                        pass[c + j0..c + j0 + LANES].try_into().expect("16 values");
                    for (acc, (&a, &b)) in acc.iter_mut().zip(r0.iter().zip(r1)) {
                        *acc += a + b;
                    }
                }
            }
            if let Some(last) = passes.remainder().get(j0..j0 + LANES) {
                for (acc, &x) in acc.iter_mut().zip(last) {
                    *acc += x;
                }
            }
            out.copy_from_slice(&acc);
        }
        return;
    }
    out.fill(T::ZERO);
    let mut passes = src.chunks_exact(step * c);
    for pass in &mut passes {
        let (r0, r1) = pass.split_at(c);
        if r1.is_empty() {
            for (acc, &a) in out.iter_mut().zip(r0) {
                *acc += a;
            }
        } else {
            for (acc, (&a, &b)) in out.iter_mut().zip(r0.iter().zip(r1)) {
                *acc += a + b;
            }
        }
    }
    for (acc, &x) in out.iter_mut().zip(passes.remainder()) {
        *acc += x;
    }
}

/// The sums of `src` (row-major, of shape `shape`) over the axes for which
/// `reduced(axis)`, in row-major order of the other axes, written into `out` (of the kept
/// axes' size). The last pass writes into `out` directly: one reduced run (a sum over
/// everything, or over inner or outer axes) needs no other buffer.
fn sum_kept_into<T: Float>(
    src: &[T],
    shape: &[usize],
    reduced: impl Fn(usize) -> bool,
    out: &mut [T],
) {
    // Adjacent axes of one kind act as one axis, and size-1 axes change nothing: what is
    // left alternates between runs of kept and of reduced values.
    let mut runs: SmallVec<[(usize, bool); 8]> = SmallVec::new();
    for (i, &d) in shape.iter().enumerate().filter(|&(_, &d)| d != 1) {
        match runs.last_mut() {
            Some((n, r)) if *r == reduced(i) => *n *= d,
            _ => runs.push((d, reduced(i))),
        }
    }
    let mut data = Cow::Borrowed(src);
    // Each pass sums the innermost reduced run away: a contiguous run when it is the
    // innermost of all, else the rows of each [reduced, inner] slab.
    while let Some(pos) = runs.iter().rposition(|r| r.1) {
        let n = runs[pos].0;
        let inner: usize = runs[pos + 1..].iter().map(|r| r.0).product();
        let last = !runs[..pos].iter().any(|r| r.1);
        let mut next = if last {
            Vec::new()
        } else {
            vec![T::ZERO; data.len() / n]
        };
        let target: &mut [T] = if last { &mut *out } else { &mut next };
        if inner == 1 {
            for (o, run) in target.iter_mut().zip(data.chunks_exact(n)) {
                *o = pairwise_sum(run);
            }
        } else {
            for (slab, o) in data
                .chunks_exact(n * inner)
                .zip(target.chunks_exact_mut(inner))
            {
                sum_columns(slab, o);
            }
        }
        if last {
            return;
        }
        data = Cow::Owned(next);
        runs.remove(pos);
        if pos > 0 && pos < runs.len() {
            // the kept runs on either side are now adjacent
            runs[pos - 1].0 *= runs.remove(pos).0;
        }
    }
    // nothing to sum (only size-1 axes reduced): the values themselves
    out.copy_from_slice(&data);
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
    fn pad_narrow_is_concat_with_zeros_and_undone_by_narrow() {
        // every axis of a rank-3 tensor, every start, and empty blocks (a zero-length axis)
        for dims in [[2, 3, 4], [1, 0, 3], [2, 2, 0]] {
            let x = Tensor::<f64>::rand_normal(&dims, 0.0, 1.0, 7);
            for axis in 0..3 {
                let size = dims[axis] + 3;
                for start in 0..=3 {
                    let y = x.pad_narrow(axis, start, size).unwrap();
                    let mut before = dims.to_vec();
                    before[axis] = start;
                    let mut after = dims.to_vec();
                    after[axis] = size - start - dims[axis];
                    let (b, a) = (Tensor::zeros(&before), Tensor::zeros(&after));
                    assert_eq!(y, Tensor::concat(&[&b, &x, &a], axis).unwrap());
                    assert_eq!(y.narrow(axis, start, dims[axis]).unwrap(), x);
                }
                assert!(x.pad_narrow(axis, 4, size).is_err());
            }
            assert!(x.pad_narrow(3, 0, 1).is_err());
        }
    }

    #[test]
    fn zip_map_broadcasts_column_against_row() {
        let c = t(&[1., 2.], &[2, 1]).zip_map(&t(&[10., 20., 30.], &[3]), |a, b| a * b);
        assert_eq!(c.unwrap(), t(&[10., 20., 30., 20., 40., 60.], &[2, 3]));
    }

    #[test]
    fn zip_map_rejects_incompatible_shapes() {
        let err = t(&[1., 2.], &[2]).zip_map(&t(&[1., 2., 3.], &[3]), |a, _| a);
        assert!(err.unwrap_err().message().contains("[2] and [3]"));
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

    /// The rows of `src` summed one row after another (two at a time, paired, in
    /// `f32`): what [`sum_row_block`] computes, in its plain form.
    fn rows_in_order<T: Float>(src: &[T], c: usize) -> Vec<T> {
        let step = if std::mem::size_of::<T>() < 8 { 2 } else { 1 };
        let mut out = vec![T::ZERO; c];
        let mut passes = src.chunks_exact(step * c);
        for pass in &mut passes {
            for (j, acc) in out.iter_mut().enumerate() {
                *acc += if step == 2 {
                    pass[j] + pass[c + j]
                } else {
                    pass[j]
                };
            }
        }
        for (acc, &x) in out.iter_mut().zip(passes.remainder()) {
            *acc += x;
        }
        out
    }

    fn narrow_rows_sum_in_order<T: Float>() {
        for c in [16, 32, 48, 256, 8, 40] {
            for rows in [1, 2, 3, 31, 32] {
                let src: Vec<T> = (0..rows * c)
                    .map(|i| T::from_f64(((i * 7919) % 1013) as f64 * 0.37 - 91.1))
                    .collect();
                let mut out = vec![T::ZERO; c];
                sum_row_block(&src, &mut out);
                let want = rows_in_order(&src, c);
                let bits = |v: &[T]| v.iter().map(|x| x.to_f64().to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&out), bits(&want), "c = {c}, rows = {rows}");
            }
        }
    }

    #[test]
    fn narrow_rows_sum_in_order_to_the_bit() {
        narrow_rows_sum_in_order::<f32>();
        narrow_rows_sum_in_order::<f64>();
    }

    #[test]
    fn sums_by_leaves_are_the_pairwise_sum_to_the_bit() {
        for n in [16, 17, 255, 256, 257, 700, 1024, 1500, 4099] {
            let xs: Vec<f64> = (0..n)
                .map(|i| ((i * 7919) % 1013) as f64 * 0.37 - 91.1)
                .collect();
            let leaves: Vec<_> = xs.chunks(SUM_BLOCK).map(leaf_lanes).collect();
            let by_leaves = lanes_total(tree_lanes(&leaves, n));
            assert_eq!(by_leaves.to_bits(), pairwise_sum(&xs).to_bits(), "n = {n}");
        }
    }

    /// `Σ xs` with Neumaier's compensation in f64: good to about one rounding, the
    /// reference the engine's sums are held against.
    fn reference_sum(xs: impl IntoIterator<Item = f64>) -> f64 {
        let (mut sum, mut carry) = (0.0f64, 0.0f64);
        for x in xs {
            let t = sum + x;
            carry += if sum.abs() >= x.abs() {
                (sum - t) + x
            } else {
                (x - t) + sum
            };
            sum = t;
        }
        sum + carry
    }

    fn rel_err<T: Float>(got: T, want: f64) -> f64 {
        (got.to_f64() - want).abs() / want.abs()
    }

    /// The relative error allowed for a long sum: 1e-6 in f32 (the issue's target), and
    /// as many ε in f64 (a running total of 10⁷ values is off by ~1e-13 there).
    fn tol<T: Float>() -> f64 {
        8.0 * T::EPSILON.to_f64()
    }

    fn sum_of_a_million_tenths_is_accurate<T: Float>() {
        let x = Tensor::<T>::full(&[1_000_000], T::from_f64(0.1));
        // one running total gives 100958.34 in f32, 100000.0000013 in f64
        let want = 1e6 * T::from_f64(0.1).to_f64();
        assert!(rel_err(x.sum(), want) <= tol::<T>(), "{}", x.sum());
        let s = x.sum_axes(&[0], false).unwrap();
        assert!(rel_err(s.item(), want) <= tol::<T>(), "{s:?}");
        assert!(rel_err(x.sum_to(&[]).unwrap().item(), want) <= tol::<T>());
    }

    #[test]
    fn sum_of_a_million_tenths_is_accurate_f32() {
        sum_of_a_million_tenths_is_accurate::<f32>();
    }

    #[test]
    fn sum_of_a_million_tenths_is_accurate_f64() {
        sum_of_a_million_tenths_is_accurate::<f64>();
    }

    fn sum_of_ten_million_uniforms_is_accurate<T: Float>() {
        let x = Tensor::<T>::rand_uniform(&[10_000_000], T::ZERO, T::ONE, 3);
        let want = reference_sum(x.as_slice().iter().map(|v| v.to_f64()));
        let err = rel_err(x.sum(), want);
        assert!(err <= tol::<T>(), "relative error {err:e}");
    }

    #[test]
    fn sum_of_ten_million_uniforms_is_accurate_f32() {
        sum_of_ten_million_uniforms_is_accurate::<f32>();
    }

    #[test]
    fn sum_of_ten_million_uniforms_is_accurate_f64() {
        sum_of_ten_million_uniforms_is_accurate::<f64>();
    }

    /// Every column (or row) of `got` against the f64 reference sum of the same values.
    fn assert_sums_accurate<T: Float>(got: &Tensor<T>, want: impl Fn(usize) -> f64) {
        for (j, &g) in got.as_slice().iter().enumerate() {
            let err = rel_err(g, want(j));
            assert!(err <= tol::<T>(), "sum {j}: {g}, relative error {err:e}");
        }
    }

    fn sums_along_a_long_axis_are_accurate<T: Float>() {
        let n = 1_000_000;
        // inner: 3 rows of n
        let x = Tensor::<T>::rand_uniform(&[3, n], T::ZERO, T::ONE, 5);
        let xs = x.as_slice();
        let rows = |i: usize| reference_sum(xs[i * n..(i + 1) * n].iter().map(|v| v.to_f64()));
        assert_sums_accurate(&x.sum_axes(&[1], false).unwrap(), rows);
        // outer: n rows of 3 (grouped into wider rows) and of 40 columns
        for c in [3, 40] {
            let x = Tensor::<T>::rand_uniform(&[n, c], T::ZERO, T::ONE, 6);
            let xs = x.as_slice();
            let col = |j: usize| reference_sum((0..n).map(|i| xs[i * c + j].to_f64()));
            assert_sums_accurate(&x.sum_axes(&[0], false).unwrap(), col);
            // the backward sweep's bias gradient is the same column sum
            assert_sums_accurate(&x.sum_to(&[1, c]).unwrap(), col);
        }
        // a middle axis: [2, n / 2, 3] over axis 1
        let x = Tensor::<T>::rand_uniform(&[2, n / 2, 3], T::ZERO, T::ONE, 7);
        let xs = x.as_slice();
        let mid = |k: usize| {
            let (o, j) = (k / 3, k % 3);
            reference_sum((0..n / 2).map(|i| xs[(o * n / 2 + i) * 3 + j].to_f64()))
        };
        assert_sums_accurate(&x.sum_axes(&[1], false).unwrap(), mid);
        assert_sums_accurate(&x.sum_to(&[2, 1, 3]).unwrap(), mid);
    }

    #[test]
    fn sums_along_a_long_axis_are_accurate_f32() {
        sums_along_a_long_axis_are_accurate::<f32>();
    }

    #[test]
    fn sums_along_a_long_axis_are_accurate_f64() {
        sums_along_a_long_axis_are_accurate::<f64>();
    }

    #[test]
    fn sum_axes_agrees_with_a_fold_for_every_layout() {
        // integers, so every order of addition gives the same, exact sum
        for shape in [
            &[37, 3, 5][..],
            &[2, 300, 1, 7],
            &[1000, 2],
            &[3, 1, 600],
            &[20, 17, 33],
            &[0, 4],
            &[4, 0, 2],
            &[5],
            &[],
        ] {
            let n = numel(shape);
            let x = Tensor::<f32>::from_fn(shape, |i| ((i * 7919) % 13) as f32 - 6.0);
            for mask in 0u32..1 << shape.len() {
                let axes: Vec<usize> = (0..shape.len()).filter(|a| mask >> a & 1 == 1).collect();
                for keepdim in [false, true] {
                    let fold = x.reduce_axes(&axes, keepdim, 0.0, |a, b| a + b).unwrap();
                    let sum = x.sum_axes(&axes, keepdim).unwrap();
                    assert_eq!(sum, fold, "shape {shape:?} ({n}), axes {axes:?}");
                }
                let kept = keepdim_of(shape, &axes);
                let strides = broadcast_strides(&kept, shape);
                let mut slow = vec![0.0; numel(&kept)];
                for_each_offset(shape, [&strides], |i, [o]| slow[o] += x.as_slice()[i]);
                assert_eq!(x.sum_to(&kept).unwrap().as_slice(), &slow[..]);
            }
        }
        assert_eq!(Tensor::<f64>::zeros(&[0]).sum(), 0.0);
    }

    fn keepdim_of(shape: &[usize], axes: &[usize]) -> Vec<usize> {
        (0..shape.len())
            .map(|i| if axes.contains(&i) { 1 } else { shape[i] })
            .collect()
    }

    #[test]
    fn sum_axes_rejects_bad_axes() {
        let x = Tensor::<f64>::zeros(&[2, 3]);
        assert!(x
            .sum_axes(&[2], false)
            .unwrap_err()
            .message()
            .contains("axis 2"));
        assert!(x
            .sum_axes(&[1, 1], true)
            .unwrap_err()
            .message()
            .contains("twice"));
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
