//! `max` and `max_axes`: the largest element over chosen axes or over everything. The
//! forward, VJP and tie rule are shared with `min` and live here.

use super::sum::keepdim_shape;
use super::{forward_axes, reduced_axes};
use crate::error::ErrorKind;
use crate::tensor::{accepted, try_numel};
use crate::{tensor::TensorError, Error, Float, InputGrads, Op, Tensor, Var};
use smallvec::SmallVec;

/// `y = max x` over `axes` (all axes when `None`), keeping them as size 1 when `keepdim`;
/// NaN if the slice holds a NaN. `dx = dy` at the maximum and 0 elsewhere; when several
/// elements tie for the maximum, `dy` is split evenly among them (CONVENTIONS.md).
///
/// The weights (1/number of tied maxima) are constants, so the VJP is linear in `dy` and
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

/// `dx = dy` (restored to keep-dim shape) times a constant weight: `1/k` on each of the `k`
/// elements equal to their slice's extremum, 0 elsewhere (NaN for a NaN slice, where no
/// element equals the result).
pub(super) fn extremum_vjp<'t, T: Float>(
    axes: Option<&[isize]>,
    x: Var<'t, T>,
    y: Var<'t, T>,
    dy: Var<'t, T>,
) -> Var<'t, T> {
    let (hit, count, kept) = hits(axes, &x.value(), &y.value());
    let weight = accepted(hit.zip_map(&count, |h, c| h / c));
    dy.reshape(&kept) * dy.constant(weight)
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

/// Tensors of `shape` whose elements are distinct and at least 0.25 apart: no ties, so a
/// gradient check of a max or min reduction never straddles a kink.
#[cfg(test)]
pub(super) fn distinct_tensor(
    shape: Vec<usize>,
) -> impl proptest::strategy::Strategy<Value = Tensor<f64>> {
    use proptest::prelude::*;
    let n = crate::tensor::numel(&shape);
    Just((0..n).collect::<Vec<_>>())
        .prop_shuffle()
        .prop_map(move |order| {
            let centre = n as f64 / 2.0;
            let data = order
                .iter()
                .map(|&k| (k as f64 - centre) * 0.25 + 0.1)
                .collect();
            Tensor::from_vec(data, &shape)
        })
}

#[cfg(test)]
mod tests {
    use super::{distinct_tensor, MaxAxes};
    use crate::testing::{assert_gradients, shape};
    use crate::{Op, Tape, Tensor};
    use proptest::prelude::*;

    #[test]
    fn max_axes_matches_literal() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::from_vec(vec![1., 5., 3., 4., 2., 6.], &[2, 3]));
        assert_eq!(x.max().item(), 6.0);
        assert_eq!(x.max_axes(&[1], false).value().as_slice(), &[5.0, 6.0]);
        let k = x.max_axes(&[-2], true);
        assert_eq!(k.shape().as_slice(), &[1, 3]);
        assert_eq!(k.value().as_slice(), &[4.0, 5.0, 6.0]);
        // d/dx max = 1 at the maximum, 0 elsewhere
        assert_eq!(
            x.max_axes(&[1], false).sum().backward().wrt(x).as_slice(),
            &[0., 1., 0., 0., 0., 1.]
        );
        assert_eq!(
            x.max().backward().wrt(x).as_slice(),
            &[0., 0., 0., 0., 0., 1.]
        );
    }

    #[test]
    fn max_ties_split_the_gradient_evenly() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::vector(vec![3.0, 1.0, 3.0, 3.0]));
        let g = x.max().backward().wrt(x);
        assert_eq!(g.as_slice(), &[1. / 3., 0., 1. / 3., 1. / 3.]);
        let x = tape.leaf(Tensor::from_vec(vec![2.0, 2.0, 1.0, 0.0], &[2, 2]));
        let y = x.max_axes(&[1], true);
        let g = (y * y).sum().backward().wrt(x); // 2y split over the ties
        assert_eq!(g.as_slice(), &[2.0, 2.0, 2.0, 0.0]);
        // recorded door agrees
        let dx = tape.grad((y * y).sum(), &[x])[0];
        assert_eq!(dx.value().as_slice(), &[2.0, 2.0, 2.0, 0.0]);
    }

    #[test]
    fn max_reports_ties_as_kinks() {
        let all = MaxAxes {
            axes: None,
            keepdim: false,
        };
        let rows = MaxAxes {
            axes: Some(smallvec::smallvec![1]),
            keepdim: false,
        };
        let x = Tensor::<f64>::from_vec(vec![2.0, 2.0, 1.0, 3.0], &[2, 2]);
        assert!(Op::<f64>::is_at_kink(&rows, &[&x]));
        assert!(!Op::<f64>::is_at_kink(&all, &[&x])); // the overall maximum 3 is unique
        let x = Tensor::<f64>::from_vec(vec![2.0, 1.0, 1.0, 3.0], &[2, 2]);
        assert!(!Op::<f64>::is_at_kink(&rows, &[&x])); // a tie below the maximum
    }

    #[test]
    fn max_propagates_nan() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::from_vec(vec![1.0, f64::NAN, 2.0, 0.0], &[2, 2]));
        let y = x.max_axes(&[1], false);
        assert!(y.value().as_slice()[0].is_nan());
        assert_eq!(y.value().as_slice()[1], 2.0);
        let g = y.sum().backward().wrt(x);
        assert!(g.as_slice()[..2].iter().all(|v| v.is_nan()), "{g:?}");
        assert_eq!(&g.as_slice()[2..], &[1.0, 0.0]);
    }

    #[test]
    fn max_axes_rejects_bad_axis() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::zeros(&[2, 3]));
        let e = x.try_max_axes(&[2], false).unwrap_err();
        assert_eq!(e.op, "max");
        assert!(
            e.message.contains("axis 2") && e.message.contains("[2, 3]"),
            "{e}"
        );
        assert!(e.location.file().ends_with("max.rs"), "{e}");
        let e = tape
            .leaf(Tensor::zeros(&[2, 0]))
            .try_max_axes(&[1], false)
            .unwrap_err();
        assert!(
            e.message.contains("empty axis") && e.message.contains("[2, 0]"),
            "{e}"
        );
        // reducing a non-empty axis of an empty tensor is fine: nothing to reduce
        let y = tape.leaf(Tensor::zeros(&[0, 2])).max_axes(&[1], false);
        assert_eq!(y.shape().as_slice(), &[0]);
    }

    #[test]
    fn max_axes_gradcheck_order2() {
        let x = Tensor::from_vec(vec![0.1, -0.4, 0.9, 1.3, -2.0, 0.5], &[2, 3]);
        assert_gradients(
            |x| {
                let m = x[0].max_axes(&[1], true);
                m * m * x[0]
            },
            std::slice::from_ref(&x),
            2,
        );
        assert_gradients(|x| x[0].max() * x[0], &[x], 2);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn max_gradients_match_finite_differences(
            (x, axis, keep) in shape(4)
                .prop_filter("rank ≥ 1", |s| !s.is_empty())
                .prop_flat_map(|s| { let r = s.len(); (distinct_tensor(s), 0..r, any::<bool>()) })
        ) {
            let a = axis as isize;
            assert_gradients(move |x| { let m = x[0].max_axes(&[a], keep); m * m }, std::slice::from_ref(&x), 2);
            assert_gradients(|x| x[0].max() * x[0], &[x], 2);
        }
    }
}
