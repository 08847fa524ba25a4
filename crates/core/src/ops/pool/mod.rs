//! Pooling over the last one or two axes (`[N, C, L]` / `[C, L]`, `[N, C, H, W]` /
//! `[C, H, W]`, PyTorch's layouts): max pooling, average pooling and its adaptive form, with
//! their window parameters ([`PoolParams`]). The kernels live in `tensor/pool.rs`
//! (and its fast path for tiling windows, `tensor/pool/tiles.rs`).
//!
//! Max pooling's VJP sends the cotangent to the argmax positions with [`MaxPoolScatter`],
//! whose own VJP is a gather at the same positions ([`MaxPoolGather`]); average pooling's
//! VJP is its transpose [`AvgPoolTranspose`], whose VJP is the average again. Both pairs
//! are closed, so every order of derivative works.

mod adaptive_avg_pool;
mod avg_pool;
mod max_pool;

pub use avg_pool::{AvgPool, AvgPoolTranspose};
pub use max_pool::{MaxPool, MaxPoolGather, MaxPoolScatter};

use crate::error::ErrorKind;
use crate::tensor::pool::{AxisWindows, PoolGeometry, WindowError};
use crate::TensorError;

/// A size per spatial axis: one number for every axis (`2`) or one each (`[2, 3]`), as
/// PyTorch takes an `int` or a tuple.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dims<const D: usize>(pub [usize; D]);

impl<const D: usize> From<usize> for Dims<D> {
    fn from(n: usize) -> Self {
        Dims([n; D])
    }
}

impl<const D: usize> From<[usize; D]> for Dims<D> {
    fn from(dims: [usize; D]) -> Self {
        Dims(dims)
    }
}

/// The window of a pooling over `D` spatial axes, with PyTorch's arguments and defaults:
/// `kernel`, `stride` (default: the kernel), `padding` (0), `dilation` (1, max pooling
/// only), `ceil_mode` (false) and `count_include_pad` (true, average pooling only).
///
/// Along an axis of length `L` the output has `⌊(L + 2p − d(k − 1) − 1)/s⌋ + 1` positions
/// (`⌈⌉` with `ceil_mode`, where a last window must still start inside the input or its
/// left padding); window `o` covers `o·s − p + j·d`, `j < k`. Refused, as PyTorch refuses
/// them: a zero kernel, stride or dilation, padding over half the kernel, an output
/// shorter than 1.
///
/// ```
/// use tapegrad_core::ops::pool::Pool2d;
/// let p = Pool2d::new(3).stride(2).padding([1, 0]);
/// assert_eq!((p.kernel, p.stride, p.padding, p.dilation), ([3, 3], [2, 2], [1, 0], [1, 1]));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolParams<const D: usize> {
    /// The window's extent along each axis.
    pub kernel: [usize; D],
    /// How far consecutive windows move.
    pub stride: [usize; D],
    /// Implicit padding on both sides of each axis (`-inf` for max, zeros for average).
    pub padding: [usize; D],
    /// Distance between a window's taps (1: adjacent).
    pub dilation: [usize; D],
    /// Round the output length up instead of down.
    pub ceil_mode: bool,
    /// Whether an average divides by the window's length with its padding (PyTorch's
    /// default) or without.
    pub count_include_pad: bool,
}

/// The window of a 1-d pooling: `Pool1d::new(3).stride(2)`.
pub type Pool1d = PoolParams<1>;
/// The window of a 2-d pooling: `Pool2d::new(2)`, `Pool2d::new([3, 2]).padding(1)`.
pub type Pool2d = PoolParams<2>;

impl<const D: usize> PoolParams<D> {
    /// A window of `kernel`, stride equal to it, no padding, no dilation.
    pub fn new(kernel: impl Into<Dims<D>>) -> Self {
        let kernel = kernel.into().0;
        PoolParams {
            kernel,
            stride: kernel,
            padding: [0; D],
            dilation: [1; D],
            ceil_mode: false,
            count_include_pad: true,
        }
    }

    /// The stride.
    pub fn stride(mut self, stride: impl Into<Dims<D>>) -> Self {
        self.stride = stride.into().0;
        self
    }

    /// The padding on both sides.
    pub fn padding(mut self, padding: impl Into<Dims<D>>) -> Self {
        self.padding = padding.into().0;
        self
    }

    /// The dilation.
    pub fn dilation(mut self, dilation: impl Into<Dims<D>>) -> Self {
        self.dilation = dilation.into().0;
        self
    }

    /// Rounds output lengths up.
    pub fn ceil_mode(mut self, on: bool) -> Self {
        self.ceil_mode = on;
        self
    }

    /// Whether averages count the padding.
    pub fn count_include_pad(mut self, on: bool) -> Self {
        self.count_include_pad = on;
        self
    }

    /// The same window over two axes, a 1-d one as a single row.
    fn to_2d(self) -> PoolParams<2> {
        let lift = |a: [usize; D], fill: usize| {
            let mut out = [fill; 2];
            out[2 - D..].copy_from_slice(&a);
            out
        };
        PoolParams {
            kernel: lift(self.kernel, 1),
            stride: lift(self.stride, 1),
            padding: lift(self.padding, 0),
            dilation: lift(self.dilation, 1),
            ceil_mode: self.ceil_mode,
            count_include_pad: self.count_include_pad,
        }
    }
}

/// Which pooling, with its windows: the part of an op that turns an input shape into a
/// [`PoolGeometry`] or a refusal naming the parameters and the shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Windows {
    /// Sliding windows over the last `spatial` axes (a 1-d window lifted to 2-d).
    Sliding {
        spatial: usize,
        max: bool,
        params: PoolParams<2>,
    },
    /// PyTorch's adaptive bins to an output of `output` (lifted to 2-d likewise).
    Adaptive { spatial: usize, output: [usize; 2] },
}

impl Windows {
    /// Max pooling with `params`.
    pub fn max<const D: usize>(params: PoolParams<D>) -> Self {
        Windows::Sliding {
            spatial: D,
            max: true,
            params: params.to_2d(),
        }
    }

    /// Average pooling with `params`.
    pub fn avg<const D: usize>(params: PoolParams<D>) -> Self {
        Windows::Sliding {
            spatial: D,
            max: false,
            params: params.to_2d(),
        }
    }

    /// Adaptive average pooling to `output`.
    pub fn adaptive<const D: usize>(output: Dims<D>) -> Self {
        let mut lifted = [1; 2];
        lifted[2 - D..].copy_from_slice(&output.0);
        Windows::Adaptive {
            spatial: D,
            output: lifted,
        }
    }

    /// The op's name (`"max_pool2d"`, `"adaptive_avg_pool1d"`).
    pub fn name(&self) -> &'static str {
        match *self {
            Windows::Sliding {
                spatial: 1,
                max: true,
                ..
            } => "max_pool1d",
            Windows::Sliding { max: true, .. } => "max_pool2d",
            Windows::Sliding { spatial: 1, .. } => "avg_pool1d",
            Windows::Sliding { .. } => "avg_pool2d",
            Windows::Adaptive { spatial: 1, .. } => "adaptive_avg_pool1d",
            Windows::Adaptive { .. } => "adaptive_avg_pool2d",
        }
    }

    fn spatial(&self) -> usize {
        match *self {
            Windows::Sliding { spatial, .. } | Windows::Adaptive { spatial, .. } => spatial,
        }
    }

    /// The parameters as the caller gave them (`kernel [3], stride [2], …`).
    pub fn describe(&self) -> String {
        let s = self.spatial();
        match self {
            Windows::Sliding { max, params: p, .. } => {
                let mut d = format!(
                    "kernel {:?}, stride {:?}, padding {:?}",
                    &p.kernel[2 - s..],
                    &p.stride[2 - s..],
                    &p.padding[2 - s..]
                );
                if *max {
                    d += &format!(", dilation {:?}", &p.dilation[2 - s..]);
                } else if !p.count_include_pad {
                    d += ", count_include_pad false";
                }
                if p.ceil_mode {
                    d += ", ceil_mode";
                }
                d
            }
            Windows::Adaptive { output, .. } => format!("output size {:?}", &output[2 - s..]),
        }
    }

    /// The windows over an input of `shape`, or why there are none.
    pub fn geometry(&self, shape: &[usize]) -> Result<PoolGeometry, TensorError> {
        let s = self.spatial();
        let refuse = |kind: ErrorKind, why: String| {
            TensorError::new(
                kind,
                format!("{why} ({}, input of shape {shape:?})", self.describe()),
            )
        };
        let invalid = |why: String| refuse(ErrorKind::InvalidArgument, why);
        if let Windows::Sliding { max, params: p, .. } = self {
            let axes = 2 - s..2;
            if p.kernel[axes.clone()].contains(&0) {
                return Err(invalid("the kernel size must be positive".into()));
            }
            if p.stride[axes.clone()].contains(&0) {
                return Err(invalid("the stride must be positive".into()));
            }
            if p.dilation[axes.clone()].contains(&0) {
                return Err(invalid("the dilation must be positive".into()));
            }
            if !max && p.dilation != [1, 1] {
                return Err(invalid("average pooling has no dilation".into()));
            }
            if axes.clone().any(|a| p.padding[a] > p.kernel[a] / 2) {
                return Err(invalid(
                    "the padding must be at most half the kernel size".into(),
                ));
            }
        }
        if let Windows::Adaptive { output, .. } = self {
            if output.contains(&0) {
                return Err(invalid("the output size must be positive".into()));
            }
        }
        let rank = shape.len();
        if rank != s + 1 && rank != s + 2 {
            let want = if s == 1 {
                "[C, L] or [N, C, L]"
            } else {
                "[C, H, W] or [N, C, H, W]"
            };
            return Err(refuse(
                ErrorKind::ShapeMismatch {
                    shapes: vec![shape.to_vec()],
                },
                format!("expects a {}-d or {}-d input {want}", s + 1, s + 2),
            ));
        }
        let len = |a: usize| if a + s < 2 { 1 } else { shape[rank + a - 2] };
        if (2 - s..2).any(|a| len(a) == 0) {
            return Err(refuse(
                ErrorKind::ShapeMismatch {
                    shapes: vec![shape.to_vec()],
                },
                "the input has an empty spatial axis".into(),
            ));
        }
        let axis = |a: usize| -> Result<AxisWindows, WindowError> {
            match self {
                _ if a + s < 2 => Ok(AxisWindows::single()),
                Windows::Sliding { params: p, .. } => AxisWindows::sliding(
                    len(a),
                    p.kernel[a],
                    p.stride[a],
                    p.padding[a],
                    p.dilation[a],
                    p.ceil_mode,
                    p.count_include_pad,
                ),
                Windows::Adaptive { output, .. } => Ok(AxisWindows::adaptive(len(a), output[a])),
            }
        };
        match (axis(0), axis(1)) {
            (Ok(h), Ok(w)) => Ok(PoolGeometry::new(shape, s, h, w)),
            (Err(e), _) | (_, Err(e)) => {
                let lens: Vec<i64> = (2 - s..2)
                    .map(|a| match axis(a) {
                        Ok(t) => t.output() as i64,
                        Err(WindowError::TooSmall { output }) => output,
                        Err(WindowError::AllPadding { .. }) => -1,
                    })
                    .collect();
                let why = match e {
                    WindowError::TooSmall { .. } => format!(
                        "the output size {lens:?} is too small: the kernel does not fit \
                         in the padded input"
                    ),
                    WindowError::AllPadding { at } => {
                        format!("window {at} holds only padding, so has no maximum")
                    }
                };
                Err(refuse(
                    ErrorKind::ShapeMismatch {
                        shapes: vec![shape.to_vec()],
                    },
                    why,
                ))
            }
        }
    }
}
