//! `gather`: one element per index position, read along one axis (PyTorch's `gather`),
//! and `ScatterAdd`, its adjoint. Each one's VJP is the other. `IndexTensor` and the
//! kernels live in `tensor/gather.rs`.

use crate::ops::resolve_axis_for;
use crate::structure::Structure;
use crate::tensor::gather::IndexTensor;
use crate::tensor::shape_of;
use crate::{Error, Float, InputGrads, Op, Shape, Tensor, TensorError, Var};

/// `y` has `index`'s shape and `y[p] = x[p with its axis coordinate replaced by index[p]]`;
/// for a matrix and `axis = 1`, `y[i][j] = x[i][index[i][j]]`. `index` has `x`'s rank and
/// is no longer than `x` on the other axes.
/// `dx = scatter_add(dy)`: zeros of `x`'s shape with `dy[p]` added where `y[p]` was read,
/// so an element read twice gets both cotangents.
pub struct Gather {
    /// The axis the indices point along.
    pub axis: usize,
    /// Which element to read at each output position.
    pub index: IndexTensor,
}

impl<T: Float> Op<T> for Gather {
    fn name(&self) -> &str {
        "gather"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0].gather(self.axis, &self.index)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let scatter = ScatterAdd {
            axis: self.axis,
            shape: xs[0].shape(),
            index: self.index.clone(),
        };
        [Some(dy.tape.apply(scatter, &[dy]))].into()
    }
    fn label(&self) -> String {
        format!("gather(axis={}, index {:?})", self.axis, self.index.shape())
    }
    fn structure(&self, inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::moved(inputs, |xs| xs[0].gather(self.axis, &self.index))
    }
}

/// `y` = zeros of `shape`, plus `x[p]` added at `p with its axis coordinate replaced by
/// index[p]` for every position `p` of `index` (`x` has `index`'s shape; repeats sum):
/// the adjoint of [`Gather`]. `dx = gather(dy, axis, index)`.
pub struct ScatterAdd {
    /// The axis the indices point along.
    pub axis: usize,
    /// The shape of the result.
    pub shape: Shape,
    /// Where each element of the input goes.
    pub index: IndexTensor,
}

impl<T: Float> Op<T> for ScatterAdd {
    fn name(&self) -> &str {
        "scatter_add"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0].scatter_add_into(&self.shape, self.axis, &self.index)
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let gather = Gather {
            axis: self.axis,
            index: self.index.clone(),
        };
        [Some(dy.tape.apply(gather, &[dy]))].into()
    }
    fn label(&self) -> String {
        format!(
            "scatter_add(axis={}, shape {:?})",
            self.axis,
            self.shape.as_slice()
        )
    }
    fn structure(&self, _inputs: &[&[usize]], output: &[usize]) -> Structure {
        Structure::adjoint_of_moved(output, |xs| xs[0].gather(self.axis, &self.index))
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// PyTorch's `gather` along `axis` (negative counts from the end), or the error when
    /// the axis is out of range, `index` does not fit this variable's shape, or an index
    /// is out of range.
    #[track_caller]
    pub fn try_gather(self, axis: isize, index: &IndexTensor) -> Result<Self, Error> {
        let axis = resolve_axis_for("gather", axis, &self.shape())?;
        let index = index.clone();
        self.tape.try_apply(Gather { axis, index }, &[self])
    }

    /// PyTorch's `gather`: a result of `index`'s shape with, for `axis = 1` of a matrix,
    /// `y[i][j] = self[i][index[i][j]]`.
    ///
    /// Picking one entry per row, as a classification loss does:
    ///
    /// ```
    /// use tapegrad_core::{ops::shape::IndexTensor, Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let logp = tape.leaf(Tensor::from_vec(vec![-0.1, -2.0, -3.0, -1.5, -0.4, -2.5], &[2, 3]));
    /// let picked = logp.gather(1, &IndexTensor::from_classes(&[0, 1]));
    /// assert_eq!(picked.value().as_slice(), &[-0.1, -0.4]);
    /// let grads = (-picked.mean()).backward();
    /// assert_eq!(grads.wrt(logp).as_slice(), &[-0.5, 0.0, 0.0, 0.0, -0.5, 0.0]);
    /// ```
    #[track_caller]
    pub fn gather(self, axis: isize, index: &IndexTensor) -> Self {
        self.try_gather(axis, index)
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

impl ScatterAdd {
    /// The adjoint of gathering from a tensor of `shape` along `axis` with `index`.
    pub fn new(shape: &[usize], axis: usize, index: IndexTensor) -> Self {
        ScatterAdd {
            axis,
            shape: shape_of(shape),
            index,
        }
    }
}
