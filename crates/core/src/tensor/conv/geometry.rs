//! `ConvGeometry`: the stride, dilation, padding and groups that a convolution, its
//! transpose and its weight gradient share, and the checks of shapes and parameters.

use crate::error::{tensor_error, ErrorKind};
use crate::tensor::{Shape, TensorError};

/// The geometry of a 2-d convolution (cross-correlation, as PyTorch's) along its two
/// spatial axes (H then W): one linear map from an input grid to an output grid that the
/// forward convolution, the transposed convolution and the weight gradient all share.
///
/// Output position `o` of a kernel tap `k` reads input position `i = o·stride + k·dilation
/// − pad_begin`; positions outside `0..size` read zero. The output length along an axis of
/// input length `n` for a kernel of `k` taps is
/// `⌊(n + pad_begin + pad_end − dilation·(k − 1) − 1) / stride⌋ + 1`.
///
/// # Design
/// `pad_end` is signed: a transposed convolution's `output_padding` is a negative end
/// padding of the convolution it is the adjoint of (the trailing rows it adds are ones no
/// window of that convolution reaches). With it the three kernels, and so the three ops and
/// their VJPs, share one geometry and never need a fourth parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ConvGeometry {
    /// Step between windows (≥ 1).
    pub stride: [usize; 2],
    /// Spacing between kernel taps (≥ 1).
    pub dilation: [usize; 2],
    /// Zeros before the input (top, left).
    pub pad_begin: [usize; 2],
    /// Zeros after the input (bottom, right); negative: trailing input rows left out.
    pub pad_end: [isize; 2],
    /// Channel groups (≥ 1): group `g` of the output sees only group `g` of the input.
    pub groups: usize,
}

impl Default for ConvGeometry {
    fn default() -> Self {
        ConvGeometry {
            stride: [1, 1],
            dilation: [1, 1],
            pad_begin: [0, 0],
            pad_end: [0, 0],
            groups: 1,
        }
    }
}

impl ConvGeometry {
    /// The parameters as text for error messages, for `spatial` (1 or 2) trailing axes.
    pub fn describe(&self, spatial: usize) -> String {
        let last = |a: [usize; 2]| -> String {
            if spatial == 1 {
                format!("{}", a[1])
            } else {
                format!("{a:?}")
            }
        };
        let pads: Vec<String> = (2 - spatial..2)
            .map(|a| {
                if self.pad_end[a] == self.pad_begin[a] as isize {
                    format!("{}", self.pad_begin[a])
                } else {
                    format!("({}, {})", self.pad_begin[a], self.pad_end[a])
                }
            })
            .collect();
        let pads = if spatial == 1 {
            pads[0].clone()
        } else {
            format!("[{}]", pads.join(", "))
        };
        format!(
            "stride={}, padding={pads}, dilation={}, groups={}",
            last(self.stride),
            last(self.dilation),
            self.groups
        )
    }

    /// The output length along axis `a` for an input of length `n` and a kernel of `k`
    /// taps; `None` when the padded input is shorter than the dilated kernel.
    pub fn output_len(&self, a: usize, n: usize, k: usize) -> Option<usize> {
        let padded = n as i128 + self.pad_begin[a] as i128 + self.pad_end[a] as i128;
        let span = self.dilation[a] as i128 * (k as i128 - 1) + 1;
        (k >= 1 && self.stride[a] >= 1 && padded >= span)
            .then(|| ((padded - span) / self.stride[a] as i128 + 1) as usize)
    }

    /// The input length along axis `a` that a transposed convolution produces from `n`
    /// positions and a kernel of `k` taps: `(n − 1)·stride − pad_begin − pad_end +
    /// dilation·(k − 1) + 1`; `None` when it is below 1 (or `n` is 0).
    pub fn transposed_len(&self, a: usize, n: usize, k: usize) -> Option<usize> {
        let len = (n as i128 - 1) * self.stride[a] as i128
            - self.pad_begin[a] as i128
            - self.pad_end[a] as i128
            + self.dilation[a] as i128 * (k as i128 - 1)
            + 1;
        (n >= 1 && k >= 1 && len >= 1).then_some(len as usize)
    }

    /// Checks the parameters and the shapes of a convolution's input `x` `[N, C, …]` and
    /// weight `w` `[O, C/groups, …]` with `spatial` (1 or 2) trailing axes, and returns the
    /// output shape `[N, O, …]`. `op` names the operation in the message, which names the
    /// shapes and the parameters.
    pub fn check_conv(
        &self,
        x: &[usize],
        w: &[usize],
        spatial: usize,
    ) -> Result<Shape, TensorError> {
        self.check_common(x, w, spatial)?;
        let fail = |what: String| self.error(what, x, w, spatial);
        let (c, o) = (x[1], w[0]);
        let g = self.groups;
        if w[1].checked_mul(g) != Some(c) {
            return Err(fail(format!(
                "input has {c} channels but the weight expects {} per group x groups {g}",
                w[1]
            )));
        }
        if o % g != 0 {
            return Err(fail(format!(
                "groups {g} does not divide the {o} output channels"
            )));
        }
        let mut shape: Shape = [x[0], o].into_iter().collect();
        for s in 0..spatial {
            let a = 2 - spatial + s;
            let (n, k) = (x[2 + s], w[2 + s]);
            match self.output_len(a, n, k) {
                Some(len) => shape.push(len),
                None => {
                    let span = self.dilation[a] * (k - 1) + 1;
                    let padded = n as isize + self.pad_begin[a] as isize + self.pad_end[a];
                    return Err(fail(format!(
                        "the kernel (spanning {span} with dilation) is larger than the padded \
                         input ({padded}) along spatial axis {s}, so the output would be empty"
                    )));
                }
            }
        }
        Ok(shape)
    }

    /// Checks a transposed convolution's input `x` `[N, C_in, …]` and weight `w`
    /// `[C_in, C_out/groups, …]` (PyTorch's layout) and returns the output shape
    /// `[N, C_out, …]`.
    pub fn check_transposed(
        &self,
        x: &[usize],
        w: &[usize],
        spatial: usize,
    ) -> Result<Shape, TensorError> {
        self.check_common(x, w, spatial)?;
        let fail = |what: String| self.error(what, x, w, spatial);
        let g = self.groups;
        if x[1] != w[0] {
            return Err(fail(format!(
                "input has {} channels but the weight expects {}",
                x[1], w[0]
            )));
        }
        if !x[1].is_multiple_of(g) {
            return Err(fail(format!(
                "groups {g} does not divide the {} input channels",
                x[1]
            )));
        }
        let cout = w[1]
            .checked_mul(g)
            .ok_or_else(|| fail("the output channel count overflows".into()))?;
        let mut shape: Shape = [x[0], cout].into_iter().collect();
        for s in 0..spatial {
            let a = 2 - spatial + s;
            match self.transposed_len(a, x[2 + s], w[2 + s]) {
                Some(len) => shape.push(len),
                None => {
                    return Err(fail(format!(
                        "the output size along spatial axis {s} would be below 1"
                    )))
                }
            }
        }
        Ok(shape)
    }

    /// Ranks, strides, dilations, groups and kernel sizes: what both forms check alike.
    fn check_common(&self, x: &[usize], w: &[usize], spatial: usize) -> Result<(), TensorError> {
        let fail = |what: String| self.error(what, x, w, spatial);
        let refuse = |what: &str| {
            let e = self.error(what.into(), x, w, spatial);
            TensorError::new(ErrorKind::InvalidArgument, e.message())
        };
        let rank = spatial + 2;
        if x.len() != rank || w.len() != rank {
            let layout = if spatial == 1 {
                "N, C, L"
            } else {
                "N, C, H, W"
            };
            return Err(fail(format!(
                "input and weight must have rank {rank} (input [{layout}])"
            )));
        }
        let axes = 2 - spatial..2;
        if axes.clone().any(|a| self.stride[a] == 0) {
            return Err(refuse("stride must be at least 1"));
        }
        if axes.clone().any(|a| self.dilation[a] == 0) {
            return Err(refuse("dilation must be at least 1"));
        }
        if self.groups == 0 {
            return Err(refuse("groups must be at least 1"));
        }
        if w[2..].contains(&0) {
            return Err(fail("the kernel has an empty spatial axis".into()));
        }
        Ok(())
    }

    fn error(&self, what: String, x: &[usize], w: &[usize], spatial: usize) -> TensorError {
        tensor_error!(
            ErrorKind::ShapeMismatch {
                shapes: vec![x.to_vec(), w.to_vec()]
            },
            "{what}: input {x:?}, weight {w:?}, {}",
            self.describe(spatial)
        )
    }
}
