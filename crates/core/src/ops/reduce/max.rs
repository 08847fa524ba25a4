//! `max` and `max_axes`: the largest element over chosen axes or over everything. The
//! forward, VJP and tie rule are shared with `min` and live here.

use super::sum::keepdim_shape;
use super::{forward_axes, reduced_axes};
use crate::error::ErrorKind;
use crate::structure::{Curvature, Sources, Structure};
use crate::tensor::{accepted, try_numel};
use crate::{tensor::TensorError, Error, Float, InputGrads, Op, Tensor, Var};
use smallvec::SmallVec;

/// `y = max x` over `axes` (all axes when `None`), keeping them as size 1 when `keepdim`;
/// NaN if the slice holds a NaN. `dx = dy` at the maximum and 0 elsewhere; when several
/// elements tie for the maximum, `dy` is split evenly among them (CONVENTIONS.md).
///
/// The weights (1/number of tied maxima) are made by ops with no gradient
/// ([`Equal`](crate::ops::binary::Equal)), so the VJP is linear in `dy` and
/// its own derivative with respect to `x` is 0, as it is almost everywhere. Reducing an
/// empty axis is an error: the maximum of nothing has no value.
pub struct MaxAxes {
    /// Axes to reduce (negative counts from the end); `None` reduces all.
    pub axes: Option<SmallVec<[isize; 4]>>,
    /// Keep reduced axes as size 1.
    pub keepdim: bool,
}

impl<T: Float> Op<T> for MaxAxes {
    fn name(&self) -> &str {
        "max"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        extremum(
            xs[0],
            self.axes.as_deref(),
            self.keepdim,
            T::NEG_INFINITY,
            |v, best| v > best,
        )
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(extremum_vjp(self.axes.as_deref(), xs[0], y, dy))].into()
    }
    fn is_at_kink(&self, xs: &[&Tensor<T>]) -> bool {
        let y = self.forward(xs).ok();
        y.is_some_and(|y| any_tied(self.axes.as_deref(), xs[0], &y))
    }
    fn label(&self) -> String {
        match &self.axes {
            None => "max".into(),
            Some(a) => format!("max(axes={:?}, keepdim={})", a.as_slice(), self.keepdim),
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

/// Folds `x` over `axes` keeping the element for which `better(element, best so far)`,
/// starting from `init`; a NaN anywhere in a slice makes its result NaN.
pub(super) fn extremum<T: Float>(
    x: &Tensor<T>,
    axes: Option<&[isize]>,
    keepdim: bool,
    init: T,
    better: impl Fn(T, T) -> bool,
) -> Result<Tensor<T>, TensorError> {
    let shape = x.shape();
    let axes = reduced_axes(axes, shape)?;
    // (an output too large to count cannot be built either)
    if axes.iter().any(|&a| shape[a] == 0) && try_numel(&keepdim_shape(shape, &axes)) != Ok(0) {
        return Err(TensorError::new(
            ErrorKind::InvalidArgument,
            format!(
                "reduction over an empty axis: shape {shape:?}, axes {:?}",
                axes.as_slice()
            ),
        ));
    }
    x.reduce_axes(&axes, keepdim, init, |best, v| {
        if best.is_nan() || v.is_nan() {
            T::NAN
        } else if better(v, best) {
            v
        } else {
            best
        }
    })
}

/// Which elements of `x` equal their slice's extremum `y` (any shape with the reduced
/// axes kept or dropped), as 1/0, and how many per slice (keep-dim shape). `forward`
/// computed `y` from `x` and these `axes`, so the kernels below accept them.
fn hits<T: Float>(
    axes: Option<&[isize]>,
    x: &Tensor<T>,
    y: &Tensor<T>,
) -> (Tensor<T>, Tensor<T>, SmallVec<[usize; 4]>) {
    let axes = forward_axes(axes, x.ndim());
    let kept = keepdim_shape(x.shape(), &axes);
    let y = accepted(y.reshape(&kept));
    let hit = accepted(x.zip_map(&y, |x, m| if x == m { T::ONE } else { T::ZERO }));
    let count = accepted(hit.sum_axes(&axes, true));
    (hit, count, kept)
}

/// True when some slice has its extremum `y` more than once.
fn any_tied<T: Float>(axes: Option<&[isize]>, x: &Tensor<T>, y: &Tensor<T>) -> bool {
    let (_, count, _) = hits(axes, x, y);
    count.as_slice().iter().any(|&c| c > T::ONE)
}

/// `dx = dy` (restored to keep-dim shape) times a weight: `1/k` on each of the `k`
/// elements equal to their slice's extremum, 0 elsewhere (NaN for a NaN slice, where no
/// element equals the result). The weight is `equal(x, y) / Σ equal(x, y)`, ops with no
/// gradient, so a plan recomputes it at every replay.
pub(super) fn extremum_vjp<'t, T: Float>(
    axes: Option<&[isize]>,
    x: Var<'t, T>,
    y: Var<'t, T>,
    dy: Var<'t, T>,
) -> Var<'t, T> {
    let shape = x.shape();
    let reduced = forward_axes(axes, shape.len());
    let kept = keepdim_shape(&shape, &reduced);
    let hit = x.equal(y.reshape(&kept));
    let all: SmallVec<[isize; 4]> = reduced.iter().map(|&a| a as isize).collect();
    let weight = hit / hit.sum_axes(&all, true);
    dy.reshape(&kept) * weight
}

impl<'t, T: Float> Var<'t, T> {
    /// The largest element, as a rank-0 value (NaN if any element is NaN); tied maxima
    /// share the gradient evenly. Panics on an empty tensor.
    #[track_caller]
    pub fn max(self) -> Self {
        self.tape.apply(
            MaxAxes {
                axes: None,
                keepdim: false,
            },
            &[self],
        )
    }

    /// Maxima over `axes` (negative counts from the end), or the error for a bad or
    /// empty axis.
    #[track_caller]
    pub fn try_max_axes(self, axes: &[isize], keepdim: bool) -> Result<Self, Error> {
        self.tape.try_apply(
            MaxAxes {
                axes: Some(axes.into()),
                keepdim,
            },
            &[self],
        )
    }

    /// Maxima over `axes` (negative counts from the end), keeping them as size 1 if
    /// `keepdim`; tied maxima share the gradient evenly.
    #[track_caller]
    pub fn max_axes(self, axes: &[isize], keepdim: bool) -> Self {
        self.try_max_axes(axes, keepdim)
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
