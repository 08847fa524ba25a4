//! `index_select`: whole slices along one axis picked by a list of indices, and
//! `IndexAdd`, its adjoint, which adds slices back into zeros. Each one's VJP is the other.

use crate::ops::resolve_axis_for;
use crate::structure::Structure;
use crate::{Error, Float, InputGrads, Op, Tensor, TensorError, Var};
use std::sync::Arc;

/// `y[…, k, …] = x[…, indices[k], …]` along `axis` (repeats allowed, any order).
/// `dx = index_add(dy)`: zeros of `x`'s shape with slice `k` of `dy` added at
/// `indices[k]`, so a repeated index sums its cotangents.
pub struct IndexSelect {
    /// The axis slices are picked along.
    pub axis: usize,
    /// Which slices, in output order (shared with the VJP's op, not copied).
    pub indices: Arc<[usize]>,
}

impl<T: Float> Op<T> for IndexSelect {
    fn name(&self) -> &str {
        "index_select"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0].index_select(self.axis, &self.indices)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let add = IndexAdd {
            axis: self.axis,
            size: xs[0].shape()[self.axis],
            indices: self.indices.clone(),
        };
        [Some(dy.tape.apply(add, &[dy]))].into()
    }
    fn label(&self) -> String {
        format!(
            "index_select(axis={}, {} indices)",
            self.axis,
            self.indices.len()
        )
    }
    fn structure(&self, inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::moved(inputs, |xs| xs[0].index_select(self.axis, &self.indices))
    }
}

/// `y` = zeros with `axis` of length `size`, plus `x[…, k, …]` added at
/// `y[…, indices[k], …]` for every `k` (repeats sum): the adjoint of [`IndexSelect`].
/// `dx = index_select(dy, axis, indices)`.
pub struct IndexAdd {
    /// The axis slices are added along.
    pub axis: usize,
    /// The length of `axis` in the result.
    pub size: usize,
    /// Where slice `k` of the input goes.
    pub indices: Arc<[usize]>,
}

impl<T: Float> Op<T> for IndexAdd {
    fn name(&self) -> &str {
        "index_add"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        let mut shape = xs[0].shape().to_vec();
        if let Some(d) = shape.get_mut(self.axis) {
            *d = self.size;
        }
        xs[0].index_add_into(&shape, self.axis, &self.indices)
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let select = IndexSelect {
            axis: self.axis,
            indices: self.indices.clone(),
        };
        [Some(dy.tape.apply(select, &[dy]))].into()
    }
    fn label(&self) -> String {
        format!(
            "index_add(axis={}, size={}, {} indices)",
            self.axis,
            self.size,
            self.indices.len()
        )
    }
    fn structure(&self, _inputs: &[&[usize]], output: &[usize]) -> Structure {
        Structure::adjoint_of_moved(output, |xs| xs[0].index_select(self.axis, &self.indices))
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// The slices at `indices` along `axis` (negative counts from the end), or the error
    /// for an axis or an index out of range.
    #[track_caller]
    pub fn try_index_select(self, axis: isize, indices: &[usize]) -> Result<Self, Error> {
        let axis = resolve_axis_for("index_select", axis, &self.shape())?;
        let indices = indices.into();
        self.tape.try_apply(IndexSelect { axis, indices }, &[self])
    }

    /// The slices at `indices` along `axis` (negative counts from the end), in that order;
    /// repeats allowed.
    #[track_caller]
    pub fn index_select(self, axis: isize, indices: &[usize]) -> Self {
        self.try_index_select(axis, indices)
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
