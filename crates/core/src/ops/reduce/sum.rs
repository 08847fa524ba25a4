//! `sum` and `sum_axes`: sums over chosen axes or over everything; `mean` composes them.

use super::{forward_axes, reduced_axes, to_kept};
use crate::ops::batch_axes;
use crate::structure::{Curvature, Sources, Structure};
use crate::tensor::joined;
use crate::tensor::resolve_axes;
use crate::{tensor::TensorError, Error, Float, InputGrads, Op, Tensor, Var};
use smallvec::SmallVec;
use std::panic::Location;

/// `y = Σ x` over `axes` (all axes when `None`), keeping them as size 1 when `keepdim`.
/// `dx = broadcast_to(dy with the reduced axes restored as size 1, shape(x))`.
pub struct SumAxes {
    /// Axes to reduce (negative counts from the end); `None` reduces all.
    pub axes: Option<SmallVec<[isize; 4]>>,
    /// Keep reduced axes as size 1.
    pub keepdim: bool,
}

/// `shape` with the `axes` set to 1: the keep-dim shape of a reduction.
pub(crate) fn keepdim_shape(shape: &[usize], axes: &[usize]) -> SmallVec<[usize; 4]> {
    shape
        .iter()
        .enumerate()
        .map(|(i, &d)| if axes.contains(&i) { 1 } else { d })
        .collect()
}

impl<T: Float> Op<T> for SumAxes {
    fn name(&self) -> &str {
        "sum"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        let axes = reduced_axes(self.axes.as_deref(), xs[0].shape())?;
        xs[0].sum_axes(&axes, self.keepdim)
    }
    fn forward_into(&self, xs: &[&Tensor<T>], out: &mut Tensor<T>) -> Result<(), TensorError> {
        let axes = reduced_axes(self.axes.as_deref(), xs[0].shape())?;
        xs[0].sum_axes_into(&axes, self.keepdim, out)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let (lead, shape) = (batch_axes(dy, y), xs[0].shape());
        let axes = forward_axes(self.axes.as_deref(), shape.len());
        let kept = joined(&lead, &keepdim_shape(&shape, &axes));
        let dx = to_kept(dy, &kept).broadcast_to(&joined(&lead, &shape));
        [Some(dx)].into()
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn label(&self) -> String {
        match &self.axes {
            None => "sum".into(),
            Some(a) => format!("sum(axes={:?}, keepdim={})", a.as_slice(), self.keepdim),
        }
    }
    fn structure(&self, inputs: &[&[usize]], _output: &[usize]) -> Structure {
        match reduced_axes(self.axes.as_deref(), inputs[0]) {
            Ok(axes) => {
                Structure::listed(Sources::reduced(inputs[0], &axes, false), Curvature::Linear)
            }
            Err(_) => Structure::dense(),
        }
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// The sum of all elements, as a rank-0 value.
    #[track_caller]
    pub fn sum(self) -> Self {
        self.tape.apply(
            SumAxes {
                axes: None,
                keepdim: false,
            },
            &[self],
        )
    }

    /// Sums over `axes` (negative counts from the end), or the error for a bad axis.
    #[track_caller]
    pub fn try_sum_axes(self, axes: &[isize], keepdim: bool) -> Result<Self, Error> {
        self.tape.try_apply(
            SumAxes {
                axes: Some(axes.into()),
                keepdim,
            },
            &[self],
        )
    }

    /// Sums over `axes` (negative counts from the end), keeping them as size 1 if `keepdim`.
    #[track_caller]
    pub fn sum_axes(self, axes: &[isize], keepdim: bool) -> Self {
        self.try_sum_axes(axes, keepdim)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The mean of all elements, as a rank-0 value.
    #[track_caller]
    pub fn mean(self) -> Self {
        // in f64: the extents of an empty tensor may multiply past usize::MAX before the 0
        let n: f64 = self.shape().iter().map(|&d| d as f64).product();
        self.sum() / T::from_f64(n)
    }

    /// Means over `axes`, or the error for a bad axis.
    #[track_caller]
    pub fn try_mean_axes(self, axes: &[isize], keepdim: bool) -> Result<Self, Error> {
        // Captured here: `Error::new` inside a `map_err` closure would name this file.
        let site = Location::caller();
        let shape = self.shape();
        let resolved = resolve_axes(axes.iter().copied(), &shape)
            .map_err(|e| Error::from_tensor("mean", e, site))?;
        // in f64: the reduced extents of an empty tensor may multiply past usize::MAX
        let n: f64 = resolved.iter().map(|&a| shape[a] as f64).product();
        Ok(self.try_sum_axes(axes, keepdim)? / T::from_f64(n))
    }

    /// Means over `axes` (negative counts from the end), keeping them as size 1 if `keepdim`.
    #[track_caller]
    pub fn mean_axes(self, axes: &[isize], keepdim: bool) -> Self {
        self.try_mean_axes(axes, keepdim)
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
