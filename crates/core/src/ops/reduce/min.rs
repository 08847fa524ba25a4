//! `min` and `min_axes`: the smallest element over chosen axes or over everything; the
//! mirror of `max`, whose forward, VJP and tie rule it shares.

use super::max::{extremum, extremum_vjp, MaxAxes};
use super::reduced_axes;
use crate::structure::{Curvature, Sources, Structure};
use crate::{tensor::TensorError, Error, Float, InputGrads, Op, Tensor, Var};
use smallvec::SmallVec;

/// `y = min x` over `axes` (all axes when `None`), keeping them as size 1 when `keepdim`;
/// NaN if the slice holds a NaN. `dx = dy` at the minimum and 0 elsewhere; when several
/// elements tie for the minimum, `dy` is split evenly among them (CONVENTIONS.md).
/// Reducing an empty axis is an error.
pub struct MinAxes {
    /// Axes to reduce (negative counts from the end); `None` reduces all.
    pub axes: Option<SmallVec<[isize; 4]>>,
    /// Keep reduced axes as size 1.
    pub keepdim: bool,
}

impl<T: Float> Op<T> for MinAxes {
    fn name(&self) -> &str {
        "min"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        extremum(
            xs[0],
            self.axes.as_deref(),
            self.keepdim,
            T::INFINITY,
            |v, best| v < best,
        )
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(extremum_vjp(self.axes.as_deref(), xs[0], y, dy))].into()
    }
    fn is_at_kink(&self, xs: &[&Tensor<T>]) -> bool {
        // a tie for the minimum of x is a tie for the maximum of -x
        let negated = xs[0].map(|v| -v);
        let max = MaxAxes {
            axes: self.axes.clone(),
            keepdim: self.keepdim,
        };
        Op::<T>::is_at_kink(&max, &[&negated])
    }
    fn label(&self) -> String {
        match &self.axes {
            None => "min".into(),
            Some(a) => format!("min(axes={:?}, keepdim={})", a.as_slice(), self.keepdim),
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
    /// The smallest element, as a rank-0 value (NaN if any element is NaN); tied minima
    /// share the gradient evenly. Panics on an empty tensor.
    #[track_caller]
    pub fn min(self) -> Self {
        self.tape.apply(
            MinAxes {
                axes: None,
                keepdim: false,
            },
            &[self],
        )
    }

    /// Minima over `axes` (negative counts from the end), or the error for a bad or
    /// empty axis.
    #[track_caller]
    pub fn try_min_axes(self, axes: &[isize], keepdim: bool) -> Result<Self, Error> {
        self.tape.try_apply(
            MinAxes {
                axes: Some(axes.into()),
                keepdim,
            },
            &[self],
        )
    }

    /// Minima over `axes` (negative counts from the end), keeping them as size 1 if
    /// `keepdim`; tied minima share the gradient evenly.
    #[track_caller]
    pub fn min_axes(self, axes: &[isize], keepdim: bool) -> Self {
        self.try_min_axes(axes, keepdim)
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
