//! `min` and `min_axes`: the smallest element over chosen axes or over everything; the
//! mirror of `max`, whose forward, VJP and tie rule it shares.

use super::max::{extremum, extremum_vjp, MaxAxes};
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

#[cfg(test)]
mod tests {
    use super::super::max::distinct_tensor;
    use super::MinAxes;
    use crate::testing::{assert_gradients, shape};
    use crate::{Op, Tape, Tensor};
    use proptest::prelude::*;

    #[test]
    fn min_axes_matches_literal() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::from_vec(vec![1., 5., 3., 4., 2., 6.], &[2, 3]));
        assert_eq!(x.min().item(), 1.0);
        assert_eq!(x.min_axes(&[1], false).value().as_slice(), &[1.0, 2.0]);
        let k = x.min_axes(&[0], true);
        assert_eq!(k.shape().as_slice(), &[1, 3]);
        assert_eq!(k.value().as_slice(), &[1.0, 2.0, 3.0]);
        // d/dx min = 1 at the minimum, 0 elsewhere
        assert_eq!(
            x.min_axes(&[-1], false).sum().backward().wrt(x).as_slice(),
            &[1., 0., 0., 0., 1., 0.]
        );
    }

    #[test]
    fn min_ties_split_the_gradient_evenly() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::vector(vec![-1.0, 4.0, -1.0]));
        assert_eq!(x.min().backward().wrt(x).as_slice(), &[0.5, 0.0, 0.5]);
        let dx = tape.grad(x.min(), &[x])[0];
        assert_eq!(dx.value().as_slice(), &[0.5, 0.0, 0.5]);
    }

    #[test]
    fn min_reports_ties_as_kinks() {
        let all = MinAxes {
            axes: None,
            keepdim: true,
        };
        let tied = Tensor::<f64>::vector(vec![0.0, 2.0, 0.0]);
        let tied_above = Tensor::<f64>::vector(vec![2.0, 0.0, 2.0]);
        assert!(Op::<f64>::is_at_kink(&all, &[&tied]));
        assert!(!Op::<f64>::is_at_kink(&all, &[&tied_above]));
    }

    #[test]
    fn min_propagates_nan() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::vector(vec![1.0, f64::NAN]));
        assert!(x.min().item().is_nan());
        assert!(x.min().backward().wrt(x).as_slice()[0].is_nan());
    }

    #[test]
    fn min_axes_rejects_bad_axis() {
        let tape = Tape::<f64>::new();
        let e = tape
            .leaf(Tensor::zeros(&[2, 3]))
            .try_min_axes(&[-3], false)
            .unwrap_err();
        assert_eq!(e.op, "min");
        assert!(
            e.message.contains("axis -3") && e.message.contains("[2, 3]"),
            "{e}"
        );
        let e = tape
            .leaf(Tensor::zeros(&[0]))
            .try_min_axes(&[0], true)
            .unwrap_err();
        assert!(e.message.contains("empty axis"), "{e}");
    }

    #[test]
    fn min_axes_gradcheck_order2() {
        let x = Tensor::from_vec(vec![0.1, -0.4, 0.9, 1.3, -2.0, 0.5], &[3, 2]);
        assert_gradients(
            |x| {
                let m = x[0].min_axes(&[0], false);
                m * m * x[0]
            },
            std::slice::from_ref(&x),
            2,
        );
        assert_gradients(|x| x[0].min() * x[0], &[x], 2);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn min_gradients_match_finite_differences(
            (x, axis, keep) in shape(4)
                .prop_filter("rank ≥ 1", |s| !s.is_empty())
                .prop_flat_map(|s| { let r = s.len(); (distinct_tensor(s), 0..r, any::<bool>()) })
        ) {
            let a = axis as isize - x.ndim() as isize; // negative axes too
            assert_gradients(move |x| { let m = x[0].min_axes(&[a], keep); m * m }, std::slice::from_ref(&x), 2);
            assert_gradients(|x| x[0].min() * x[0], &[x], 2);
        }
    }
}
