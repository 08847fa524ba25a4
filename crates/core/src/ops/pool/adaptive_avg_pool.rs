//! `adaptive_avg_pool1d` / `adaptive_avg_pool2d` (the [`AvgPool`] op with PyTorch's
//! adaptive bins) and `global_avg_pool2d` (a plain mean over the spatial axes).

use super::{AvgPool, Dims, Windows};
use crate::{Error, Float, Var};

impl AvgPool {
    /// The op for a 1-d adaptive average pooling to `output` positions.
    pub fn adaptive1d(output: usize) -> Self {
        AvgPool {
            windows: Windows::adaptive(Dims([output])),
        }
    }

    /// The op for a 2-d adaptive average pooling to `output` (`[OH, OW]`).
    pub fn adaptive2d(output: impl Into<Dims<2>>) -> Self {
        AvgPool {
            windows: Windows::adaptive(output.into()),
        }
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// [`adaptive_avg_pool1d`](Self::adaptive_avg_pool1d), or the error naming the output
    /// size, the shape and the caller's line.
    #[track_caller]
    pub fn try_adaptive_avg_pool1d(self, output: usize) -> Result<Self, Error> {
        self.tape.try_apply(AvgPool::adaptive1d(output), &[self])
    }

    /// PyTorch's `adaptive_avg_pool1d`: the last axis of length `L` averaged into `output`
    /// bins, bin `o` covering `⌊o·L/output⌋ .. ⌈(o + 1)·L/output⌉` (bins may overlap).
    /// Derivative: each bin's cotangent spread evenly over it (see [`AvgPool`]).
    #[track_caller]
    pub fn adaptive_avg_pool1d(self, output: usize) -> Self {
        match self.try_adaptive_avg_pool1d(output) {
            Ok(y) => y,
            Err(e) => panic!("{e}"),
        }
    }

    /// [`adaptive_avg_pool2d`](Self::adaptive_avg_pool2d), or the error naming the output
    /// size, the shape and the caller's line.
    #[track_caller]
    pub fn try_adaptive_avg_pool2d(self, output: impl Into<Dims<2>>) -> Result<Self, Error> {
        self.tape.try_apply(AvgPool::adaptive2d(output), &[self])
    }

    /// PyTorch's `adaptive_avg_pool2d`: the last two axes averaged into an `[OH, OW]` grid
    /// of bins, each axis split as in [`adaptive_avg_pool1d`](Self::adaptive_avg_pool1d).
    ///
    /// ```
    /// use tapegrad_core::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.leaf(Tensor::from_vec((0..6).map(f64::from).collect(), &[1, 2, 3]));
    /// // rows as they are; columns [0, 2) and [1, 3)
    /// let y = x.adaptive_avg_pool2d([2, 2]);
    /// assert_eq!(y.value().as_slice(), &[0.5, 1.5, 3.5, 4.5]);
    /// ```
    #[track_caller]
    pub fn adaptive_avg_pool2d(self, output: impl Into<Dims<2>>) -> Self {
        match self.try_adaptive_avg_pool2d(output) {
            Ok(y) => y,
            Err(e) => panic!("{e}"),
        }
    }

    /// [`global_avg_pool2d`](Self::global_avg_pool2d), or the error for an input of rank
    /// below 2.
    #[track_caller]
    pub fn try_global_avg_pool2d(self) -> Result<Self, Error> {
        self.try_mean_axes(&[-2, -1], true)
    }

    /// Global average pooling: the mean over the last two axes, kept as size 1
    /// (`[N, C, H, W] → [N, C, 1, 1]`, as `adaptive_avg_pool2d(1)`). A plain mean, so its
    /// derivative is the mean's.
    #[track_caller]
    pub fn global_avg_pool2d(self) -> Self {
        match self.try_global_avg_pool2d() {
            Ok(y) => y,
            Err(e) => panic!("{e}"),
        }
    }
}
