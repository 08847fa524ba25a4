//! `max_pool1d` and `max_pool2d`: the largest element of each window, with the closed
//! pair its VJP uses: [`MaxPoolScatter`] (the cotangent to the argmax positions) and
//! [`MaxPoolGather`] (a read at those positions), each one's VJP the other.

use super::{Pool1d, Pool2d, Windows};
use crate::{Error, Float, InputGrads, Op, Tensor, TensorError, Var};

/// Max pooling over the last one or two axes (PyTorch's `max_pool1d` / `max_pool2d`, with
/// kernel, stride, padding, dilation and ceil mode; see [`PoolParams`](super::PoolParams)):
/// `y[n, c, i, j] = max over the window's real elements of x`, padding never chosen.
///
/// Derivative: `dx = Σ` over the outputs of `dy[n, c, i, j]` at the window's argmax, zero
/// elsewhere; an element that is the argmax of several overlapping windows gets the sum.
///
/// Edge rules (`CONVENTIONS.md`):
/// - **ties**: the cotangent goes to ONE argmax, the first in scan order (row by row, then
///   along the row), as PyTorch does. (The `max` reduction splits it evenly instead; a
///   pooling follows its own peer.) The gradient checker sees the tie as a kink.
/// - NaN in a window: the output is NaN and the cotangent goes to the last NaN in scan
///   order (PyTorch's scan lets every NaN replace the best so far).
/// - a window of padding only (possible with dilation): refused, it has no maximum
///   (PyTorch returns `-inf` there and no gradient).
///
/// The VJP is [`MaxPoolScatter`]: `dy` added at the argmax positions, found by comparing
/// `x` with `y` (no indices are kept). Its own VJP is [`MaxPoolGather`], a read at the same
/// positions, and that one's is the scatter again: the second derivative of max pooling is
/// zero, as it should be for a piecewise-linear function, and every order works.
pub struct MaxPool {
    windows: Windows,
}

impl MaxPool {
    /// The op for a 1-d pooling (`[N, C, L]` or `[C, L]` inputs).
    pub fn new1d(params: Pool1d) -> Self {
        MaxPool {
            windows: Windows::max(params),
        }
    }

    /// The op for a 2-d pooling (`[N, C, H, W]` or `[C, H, W]` inputs).
    pub fn new2d(params: Pool2d) -> Self {
        MaxPool {
            windows: Windows::max(params),
        }
    }
}

impl<T: Float> Op<T> for MaxPool {
    fn name(&self) -> &str {
        self.windows.name()
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        let g = self.windows.geometry(xs[0].shape())?;
        xs[0].max_pool(&g)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let scatter = MaxPoolScatter {
            windows: self.windows,
        };
        [Some(dy.tape.apply(scatter, &[dy, xs[0], y]))].into()
    }
    fn is_at_kink(&self, xs: &[&Tensor<T>]) -> bool {
        match self.windows.geometry(xs[0].shape()) {
            Ok(g) => xs[0].max_pool_has_tie(&g),
            Err(_) => false,
        }
    }
    fn label(&self) -> String {
        format!("{}({})", self.windows.name(), self.windows.describe())
    }
}

/// The cotangent of [`MaxPool`]: inputs `(v, x, y)` with `v` and `y` shaped like the
/// pooled output of `x`; the result has `x`'s shape, zero except `v[o]` added at the
/// argmax of window `o` (where `x` equals `y[o]`, first in scan order; the last NaN for a
/// NaN maximum). Linear in `v`: `dv = max_pool_gather(dy, x, y)`; `x` and `y` only say
/// where, so they get no gradient (the positions are piecewise constant).
pub struct MaxPoolScatter {
    windows: Windows,
}

impl<T: Float> Op<T> for MaxPoolScatter {
    fn name(&self) -> &str {
        "max_pool_scatter"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        let g = self.windows.geometry(xs[1].shape())?;
        xs[0].max_pool_scatter(xs[1], xs[2], &g)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let gather = MaxPoolGather {
            windows: self.windows,
        };
        [Some(dy.tape.apply(gather, &[dy, xs[1], xs[2]])), None, None].into()
    }
    fn label(&self) -> String {
        format!("max_pool_scatter({})", self.windows.describe())
    }
}

/// The adjoint of [`MaxPoolScatter`]: inputs `(v, x, y)` with `v` shaped like `x`; the
/// result has `y`'s shape, `v` read at the argmax of each window. Its VJP is the scatter;
/// `x` and `y` get no gradient.
pub struct MaxPoolGather {
    windows: Windows,
}

impl<T: Float> Op<T> for MaxPoolGather {
    fn name(&self) -> &str {
        "max_pool_gather"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        let g = self.windows.geometry(xs[1].shape())?;
        xs[0].max_pool_gather(xs[1], xs[2], &g)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let scatter = MaxPoolScatter {
            windows: self.windows,
        };
        [
            Some(dy.tape.apply(scatter, &[dy, xs[1], xs[2]])),
            None,
            None,
        ]
        .into()
    }
    fn label(&self) -> String {
        format!("max_pool_gather({})", self.windows.describe())
    }
}

impl MaxPoolScatter {
    /// The scatter of a 1-d max pooling with `params`.
    pub fn new1d(params: Pool1d) -> Self {
        MaxPoolScatter {
            windows: Windows::max(params),
        }
    }

    /// The scatter of a 2-d max pooling with `params`.
    pub fn new2d(params: Pool2d) -> Self {
        MaxPoolScatter {
            windows: Windows::max(params),
        }
    }
}

impl MaxPoolGather {
    /// The gather of a 1-d max pooling with `params`.
    pub fn new1d(params: Pool1d) -> Self {
        MaxPoolGather {
            windows: Windows::max(params),
        }
    }

    /// The gather of a 2-d max pooling with `params`.
    pub fn new2d(params: Pool2d) -> Self {
        MaxPoolGather {
            windows: Windows::max(params),
        }
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// [`max_pool1d`](Self::max_pool1d), or the error naming the parameters, the shape and
    /// the caller's line.
    #[track_caller]
    pub fn try_max_pool1d(self, params: Pool1d) -> Result<Self, Error> {
        self.tape.try_apply(MaxPool::new1d(params), &[self])
    }

    /// Max pooling along the last axis of a `[N, C, L]` or `[C, L]` input (PyTorch's
    /// `max_pool1d`); see [`MaxPool`] for the derivative and the rule for ties.
    ///
    /// ```
    /// use tapegrad_core::{ops::pool::Pool1d, Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.leaf(Tensor::from_vec(vec![1.0, 3.0, 2.0, 0.0, 5.0], &[1, 1, 5]));
    /// let y = x.max_pool1d(Pool1d::new(2).ceil_mode(true));
    /// assert_eq!(y.value().as_slice(), &[3.0, 2.0, 5.0]);
    /// assert_eq!(y.sum().backward().wrt(x).as_slice(), &[0.0, 1.0, 1.0, 0.0, 1.0]);
    /// ```
    #[track_caller]
    pub fn max_pool1d(self, params: Pool1d) -> Self {
        match self.try_max_pool1d(params) {
            Ok(y) => y,
            Err(e) => panic!("{e}"),
        }
    }

    /// [`max_pool2d`](Self::max_pool2d), or the error naming the parameters, the shape and
    /// the caller's line.
    #[track_caller]
    pub fn try_max_pool2d(self, params: Pool2d) -> Result<Self, Error> {
        self.tape.try_apply(MaxPool::new2d(params), &[self])
    }

    /// Max pooling over the last two axes of a `[N, C, H, W]` or `[C, H, W]` input
    /// (PyTorch's `max_pool2d`); see [`MaxPool`] for the derivative and the rule for ties.
    ///
    /// ```
    /// use tapegrad_core::{ops::pool::Pool2d, Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.leaf(Tensor::from_vec((0..16).map(f64::from).collect(), &[1, 1, 4, 4]));
    /// let y = x.max_pool2d(Pool2d::new(2));
    /// assert_eq!(y.value().as_slice(), &[5.0, 7.0, 13.0, 15.0]);
    /// ```
    #[track_caller]
    pub fn max_pool2d(self, params: Pool2d) -> Self {
        match self.try_max_pool2d(params) {
            Ok(y) => y,
            Err(e) => panic!("{e}"),
        }
    }
}
