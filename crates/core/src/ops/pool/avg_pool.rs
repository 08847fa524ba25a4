//! `avg_pool1d` and `avg_pool2d`: the mean of each window, and [`AvgPoolTranspose`], its
//! adjoint. Each one's VJP is the other. The adaptive form (same ops, other windows) is in
//! `adaptive_avg_pool.rs`.

use super::{Pool1d, Pool2d, Windows};
use crate::{Error, Float, InputGrads, Op, Shape, Tensor, TensorError, Var};

/// Average pooling over the last one or two axes (PyTorch's `avg_pool1d` / `avg_pool2d`
/// with kernel, stride, padding, ceil mode and `count_include_pad`, see
/// [`PoolParams`](super::PoolParams); also the adaptive pools):
/// `y[n, c, i, j] = (Σ over the window's real elements of x) / (D_i · D_j)`.
///
/// The divisor along an axis is PyTorch's: the window's length clipped to the padded input
/// (`count_include_pad`, the default: zero padding counts, but not a ceil-mode window's
/// overhang past it), or its number of real elements. Adaptive bins divide by their size.
///
/// Linear in `x`, so `dx = Aᵀ·dy`: [`AvgPoolTranspose`] spreads each `dy[n, c, i, j] /
/// (D_i · D_j)` over its window. That op's VJP is this one, so every order works.
pub struct AvgPool {
    pub(crate) windows: Windows,
}

impl AvgPool {
    /// The op for a 1-d average pooling (`[N, C, L]` or `[C, L]` inputs).
    pub fn new1d(params: Pool1d) -> Self {
        AvgPool {
            windows: Windows::avg(params),
        }
    }

    /// The op for a 2-d average pooling (`[N, C, H, W]` or `[C, H, W]` inputs).
    pub fn new2d(params: Pool2d) -> Self {
        AvgPool {
            windows: Windows::avg(params),
        }
    }
}

impl<T: Float> Op<T> for AvgPool {
    fn name(&self) -> &str {
        self.windows.name()
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        let g = self.windows.geometry(xs[0].shape())?;
        xs[0].avg_pool(&g)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let transpose = AvgPoolTranspose {
            windows: self.windows,
            input: xs[0].shape(),
        };
        [Some(dy.tape.apply(transpose, &[dy]))].into()
    }
    fn label(&self) -> String {
        format!("{}({})", self.windows.name(), self.windows.describe())
    }
}

/// The adjoint of [`AvgPool`]: `y` = zeros of the pooled input's shape, plus each
/// `x[n, c, i, j] / (D_i · D_j)` added to every element of window `(i, j)`.
/// `dx = avg_pool(dy)` with the same windows.
pub struct AvgPoolTranspose {
    windows: Windows,
    input: Shape,
}

impl<T: Float> Op<T> for AvgPoolTranspose {
    fn name(&self) -> &str {
        "avg_pool_transpose"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        let g = self.windows.geometry(&self.input)?;
        xs[0].avg_pool_transpose(&g)
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let pool = AvgPool {
            windows: self.windows,
        };
        [Some(dy.tape.apply(pool, &[dy]))].into()
    }
    fn label(&self) -> String {
        format!(
            "avg_pool_transpose({}, {}, to {:?})",
            self.windows.name(),
            self.windows.describe(),
            self.input.as_slice()
        )
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// [`avg_pool1d`](Self::avg_pool1d), or the error naming the parameters, the shape
    /// and the caller's line.
    #[track_caller]
    pub fn try_avg_pool1d(self, params: Pool1d) -> Result<Self, Error> {
        self.tape.try_apply(AvgPool::new1d(params), &[self])
    }

    /// Average pooling along the last axis of a `[N, C, L]` or `[C, L]` input (PyTorch's
    /// `avg_pool1d`); see [`AvgPool`].
    ///
    /// ```
    /// use tapegrad_core::{ops::pool::Pool1d, Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.leaf(Tensor::from_vec(vec![1.0, 3.0, 2.0, 6.0], &[1, 1, 4]));
    /// // windows [pad, 1, 3] and [3, 2, 6]: the zero padding counts in the divisor
    /// let y = x.avg_pool1d(Pool1d::new(3).stride(2).padding(1));
    /// assert_eq!(y.value().as_slice(), &[4.0 / 3.0, 11.0 / 3.0]);
    /// let y = x.avg_pool1d(Pool1d::new(3).stride(2).padding(1).count_include_pad(false));
    /// assert_eq!(y.value().as_slice(), &[2.0, 11.0 / 3.0]);
    /// ```
    #[track_caller]
    pub fn avg_pool1d(self, params: Pool1d) -> Self {
        match self.try_avg_pool1d(params) {
            Ok(y) => y,
            Err(e) => panic!("{e}"),
        }
    }

    /// [`avg_pool2d`](Self::avg_pool2d), or the error naming the parameters, the shape
    /// and the caller's line.
    #[track_caller]
    pub fn try_avg_pool2d(self, params: Pool2d) -> Result<Self, Error> {
        self.tape.try_apply(AvgPool::new2d(params), &[self])
    }

    /// Average pooling over the last two axes of a `[N, C, H, W]` or `[C, H, W]` input
    /// (PyTorch's `avg_pool2d`); see [`AvgPool`].
    ///
    /// ```
    /// use tapegrad_core::{ops::pool::Pool2d, Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.leaf(Tensor::from_vec((0..16).map(f64::from).collect(), &[1, 1, 4, 4]));
    /// let y = x.avg_pool2d(Pool2d::new(2));
    /// assert_eq!(y.value().as_slice(), &[2.5, 4.5, 10.5, 12.5]);
    /// assert_eq!(y.sum().backward().wrt(x).as_slice(), &[0.25; 16]);
    /// ```
    #[track_caller]
    pub fn avg_pool2d(self, params: Pool2d) -> Self {
        match self.try_avg_pool2d(params) {
            Ok(y) => y,
            Err(e) => panic!("{e}"),
        }
    }
}
