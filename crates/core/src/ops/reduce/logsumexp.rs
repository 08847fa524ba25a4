//! `logsumexp` and `logsumexp_axes`: `ln Σ eˣ` over chosen axes or over everything,
//! computed without overflow. `softmax` and `log_softmax` are built on it (`softmax.rs`).

use super::sum::keepdim_shape;
use super::{forward_axes, reduced_axes, to_kept};
use crate::ops::batch_axes;
use crate::structure::{Curvature, Sources, Structure};
use crate::tensor::joined;
use crate::{tensor::TensorError, Error, Float, InputGrads, Op, Tensor, Var};
use smallvec::SmallVec;

/// `y = ln Σ eˣ` over `axes` (all axes when `None`), keeping them as size 1 when `keepdim`.
/// `dx = dy · e^(x - y)` (the softmax of `x` along the axes).
///
/// The forward shifts by the slice's maximum `m`: `y = m + ln Σ e^(x - m)`, so every
/// exponent is ≤ 0 and one of them is 0: inputs of ±1000 give exact values, where the
/// naive `ln Σ eˣ` gives `inf` or `-inf`. An infinite `m` is not subtracted (`inf - inf`
/// would be NaN): a slice holding `+inf` gives `+inf`, one of only `-inf` gives `-inf`, an
/// empty slice gives `-inf` (`ln 0`). The VJP reuses `y`, so `e^(x - y) ≤ 1` never overflows
/// either.
pub struct LogSumExp {
    /// Axes to reduce (negative counts from the end); `None` reduces all.
    pub axes: Option<SmallVec<[isize; 4]>>,
    /// Keep reduced axes as size 1.
    pub keepdim: bool,
}

impl<T: Float> Op<T> for LogSumExp {
    fn name(&self) -> &str {
        "logsumexp"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        let x = xs[0];
        let axes = reduced_axes(self.axes.as_deref(), x.shape())?;
        let shift = x
            .reduce_axes(&axes, true, T::NEG_INFINITY, T::max)?
            .map(|m| if m.is_finite() { m } else { T::ZERO });
        let y = x
            .zip_map(&shift, |x, m| (x - m).exp())?
            .sum_axes(&axes, true)?
            .zip_map(&shift, |s, m| s.ln() + m)?;
        if self.keepdim {
            return Ok(y);
        }
        let dropped: SmallVec<[usize; 4]> = (x.shape().iter().enumerate())
            .filter(|(i, _)| !axes.contains(i))
            .map(|(_, &d)| d)
            .collect();
        y.reshape(&dropped)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let x = xs[0];
        let shape = x.shape();
        let axes = forward_axes(self.axes.as_deref(), shape.len());
        let kept = keepdim_shape(&shape, &axes);
        let dy = to_kept(dy, &joined(&batch_axes(dy, y), &kept));
        [Some(dy * (x - to_kept(y, &kept)).exp())].into()
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn label(&self) -> String {
        match &self.axes {
            None => "logsumexp".into(),
            Some(a) => format!(
                "logsumexp(axes={:?}, keepdim={})",
                a.as_slice(),
                self.keepdim
            ),
        }
    }
    fn structure(&self, inputs: &[&[usize]], _output: &[usize]) -> Structure {
        match reduced_axes(self.axes.as_deref(), inputs[0]) {
            Ok(axes) => Structure::listed(
                Sources::reduced(inputs[0], &axes, false),
                Curvature::Nonlinear,
            ),
            Err(_) => Structure::dense(),
        }
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// `ln Σ eˣ` over all elements, as a rank-0 value, computed without overflow.
    #[track_caller]
    pub fn logsumexp(self) -> Self {
        self.tape.apply(
            LogSumExp {
                axes: None,
                keepdim: false,
            },
            &[self],
        )
    }

    /// `ln Σ eˣ` over `axes` (negative counts from the end), or the error for a bad axis.
    #[track_caller]
    pub fn try_logsumexp_axes(self, axes: &[isize], keepdim: bool) -> Result<Self, Error> {
        self.tape.try_apply(
            LogSumExp {
                axes: Some(axes.into()),
                keepdim,
            },
            &[self],
        )
    }

    /// `ln Σ eˣ` over `axes` (negative counts from the end), keeping them as size 1 if
    /// `keepdim`; computed without overflow.
    #[track_caller]
    pub fn logsumexp_axes(self, axes: &[isize], keepdim: bool) -> Self {
        self.try_logsumexp_axes(axes, keepdim)
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
