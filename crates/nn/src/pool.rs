//! Pooling layers (`MaxPool2d`, `AvgPool2d`, `AdaptiveAvgPool2d`) and `Flatten`: modules
//! without parameters over the core's pooling and reshape ops.

use crate::caller::fail;
use crate::{Module, Pass};
use std::panic::Location;
use tapegrad_core::ops::pool::{Dims, Pool2d};
use tapegrad_core::{Float, Var};

/// PyTorch's `nn.MaxPool2d`: [`Var::max_pool2d`] over `[N, C, H, W]` or `[C, H, W]`
/// inputs, with the window in `params` (kernel, stride defaulting to it, padding,
/// dilation, ceil mode). Ties send the gradient to the first maximum in scan order.
///
/// ```
/// use tapegrad_core::{Tape, Tensor};
/// use tapegrad_nn::{MaxPool2d, Module};
/// let pool = MaxPool2d::new(2);
/// let y = pool.predict(&Tensor::<f64>::from_vec((0..16).map(f64::from).collect(), &[1, 1, 4, 4]));
/// assert_eq!(y.as_slice(), &[5.0, 7.0, 13.0, 15.0]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MaxPool2d {
    /// The window.
    pub params: Pool2d,
}

impl MaxPool2d {
    /// Windows of `kernel` with stride `kernel`, no padding (`nn.MaxPool2d(kernel)`).
    pub fn new(kernel: impl Into<Dims<2>>) -> Self {
        Self::with(Pool2d::new(kernel))
    }

    /// Any window: `MaxPool2d::with(Pool2d::new(3).stride(2).padding(1))`.
    pub fn with(params: Pool2d) -> Self {
        MaxPool2d { params }
    }
}

impl<T: Float> Module<T> for MaxPool2d {
    #[track_caller]
    fn forward<'t>(&self, _pass: &Pass<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
        x.max_pool2d(self.params)
    }
}

/// PyTorch's `nn.AvgPool2d`: [`Var::avg_pool2d`] with the window in `params` (kernel,
/// stride defaulting to it, padding, ceil mode, `count_include_pad`).
///
/// ```
/// use tapegrad_core::Tensor;
/// use tapegrad_nn::{AvgPool2d, Module};
/// let y = AvgPool2d::new(2).predict(&Tensor::<f64>::ones(&[2, 3, 4, 6]));
/// assert_eq!(y.shape(), &[2, 3, 2, 3]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AvgPool2d {
    /// The window.
    pub params: Pool2d,
}

impl AvgPool2d {
    /// Windows of `kernel` with stride `kernel`, no padding (`nn.AvgPool2d(kernel)`).
    pub fn new(kernel: impl Into<Dims<2>>) -> Self {
        Self::with(Pool2d::new(kernel))
    }

    /// Any window: `AvgPool2d::with(Pool2d::new(3).stride(1).padding(1))`.
    pub fn with(params: Pool2d) -> Self {
        AvgPool2d { params }
    }
}

impl<T: Float> Module<T> for AvgPool2d {
    #[track_caller]
    fn forward<'t>(&self, _pass: &Pass<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
        x.avg_pool2d(self.params)
    }
}

/// PyTorch's `nn.AdaptiveAvgPool2d`: [`Var::adaptive_avg_pool2d`] to a fixed `[OH, OW]`
/// whatever the input's size (`AdaptiveAvgPool2d::new(1)` is global average pooling).
///
/// ```
/// use tapegrad_core::Tensor;
/// use tapegrad_nn::{AdaptiveAvgPool2d, Module};
/// let y = AdaptiveAvgPool2d::new([2, 1]).predict(&Tensor::<f64>::ones(&[1, 3, 5, 7]));
/// assert_eq!(y.shape(), &[1, 3, 2, 1]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdaptiveAvgPool2d {
    /// The output's spatial size `[OH, OW]`.
    pub output: [usize; 2],
}

impl AdaptiveAvgPool2d {
    /// Pools to `output` (one size for both axes, or `[OH, OW]`).
    pub fn new(output: impl Into<Dims<2>>) -> Self {
        AdaptiveAvgPool2d {
            output: output.into().0,
        }
    }
}

impl<T: Float> Module<T> for AdaptiveAvgPool2d {
    #[track_caller]
    fn forward<'t>(&self, _pass: &Pass<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
        x.adaptive_avg_pool2d(self.output)
    }
}

/// PyTorch's `nn.Flatten`: axes `start..=end` merged into one (default `1..=-1`, so
/// `[N, C, H, W] → [N, C·H·W]`); negative axes count from the end.
///
/// ```
/// use tapegrad_core::Tensor;
/// use tapegrad_nn::{Flatten, Module};
/// assert_eq!(Flatten::new().predict(&Tensor::<f32>::zeros(&[2, 3, 4, 5])).shape(), &[2, 60]);
/// assert_eq!(Flatten::axes(0, 1).predict(&Tensor::<f32>::zeros(&[2, 3, 4])).shape(), &[6, 4]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flatten {
    /// First axis merged.
    pub start: isize,
    /// Last axis merged (included).
    pub end: isize,
}

impl Default for Flatten {
    fn default() -> Self {
        Self::new()
    }
}

impl Flatten {
    /// Merges every axis but the first (the batch).
    pub fn new() -> Self {
        Self::axes(1, -1)
    }

    /// Merges axes `start..=end`.
    pub fn axes(start: isize, end: isize) -> Self {
        Flatten { start, end }
    }
}

impl<T: Float> Module<T> for Flatten {
    #[track_caller]
    fn forward<'t>(&self, _pass: &Pass<'t, T>, x: Var<'t, T>) -> Var<'t, T> {
        let shape = x.shape();
        // PyTorch treats a scalar as one axis of length 1
        let rank = shape.len().max(1) as isize;
        let resolve = |a: isize| if a < 0 { a + rank } else { a };
        let (start, end) = (resolve(self.start), resolve(self.end));
        if !(0..rank).contains(&start) || !(0..rank).contains(&end) || start > end {
            fail(
                "Flatten",
                format!(
                    "axes {}..={} do not fit an input of shape {:?}",
                    self.start,
                    self.end,
                    shape.as_slice()
                ),
                Location::caller(),
            );
        }
        if shape.is_empty() {
            return x.reshape(&[1]);
        }
        let (start, end) = (start as usize, end as usize);
        let mut out: Vec<usize> = shape[..start].to_vec();
        out.push(shape[start..=end].iter().product());
        out.extend_from_slice(&shape[end + 1..]);
        x.reshape(&out)
    }
}
