//! The options every convolution takes (`ConvOptions`, with its `Padding`), and how they
//! become the kernel layer's [`ConvGeometry`]. No op lives here.

use crate::tensor::ConvGeometry;
use crate::{ErrorKind, TensorError};

/// A size along the two spatial axes (H, W), given as one number for both or as a pair.
/// The 1-d convolutions read the second (the length axis).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Size2(pub [usize; 2]);

impl From<usize> for Size2 {
    fn from(n: usize) -> Self {
        Size2([n, n])
    }
}

impl From<[usize; 2]> for Size2 {
    fn from(hw: [usize; 2]) -> Self {
        Size2(hw)
    }
}

impl From<(usize, usize)> for Size2 {
    fn from((h, w): (usize, usize)) -> Self {
        Size2([h, w])
    }
}

/// Zeros around the input of a convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Padding {
    /// The same number of zeros before and after each spatial axis (H, W).
    Explicit([usize; 2]),
    /// PyTorch's `padding="same"`: the output is as large as the input. Needs stride 1;
    /// `dilation·(k − 1)` zeros per axis, half before and the odd one after, as PyTorch.
    Same,
}

impl From<usize> for Padding {
    fn from(n: usize) -> Self {
        Padding::Explicit([n, n])
    }
}

impl From<[usize; 2]> for Padding {
    fn from(hw: [usize; 2]) -> Self {
        Padding::Explicit(hw)
    }
}

/// The parameters of a convolution or a transposed convolution, as PyTorch's
/// `conv2d`/`conv_transpose2d` take them; `Default` is PyTorch's defaults (stride 1, no
/// padding, dilation 1, one group, no output padding). The 1-d forms read the second
/// component of each pair.
///
/// ```
/// use tapegrad_core::ops::conv::{ConvOptions, Padding};
/// let opts = ConvOptions::default().stride(2).padding(1).groups(4);
/// assert_eq!(opts.stride, [2, 2]);
/// assert_eq!(opts.padding, Padding::Explicit([1, 1]));
/// let same = ConvOptions::default().padding(Padding::Same).dilation([1, 2]);
/// assert_eq!(same.dilation, [1, 2]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvOptions {
    /// Step between windows (H, W), each ≥ 1.
    pub stride: [usize; 2],
    /// Zeros around the input.
    pub padding: Padding,
    /// Spacing between kernel taps (H, W), each ≥ 1.
    pub dilation: [usize; 2],
    /// Channel groups: both channel counts must be multiples (`groups = C` is depthwise).
    pub groups: usize,
    /// Transposed convolutions only: extra rows and columns at the end of the output, each
    /// below the stride or the dilation (PyTorch's rule).
    pub output_padding: [usize; 2],
}

impl Default for ConvOptions {
    fn default() -> Self {
        ConvOptions {
            stride: [1, 1],
            padding: Padding::Explicit([0, 0]),
            dilation: [1, 1],
            groups: 1,
            output_padding: [0, 0],
        }
    }
}

impl ConvOptions {
    /// The same options with this stride.
    pub fn stride(mut self, stride: impl Into<Size2>) -> Self {
        self.stride = stride.into().0;
        self
    }

    /// The same options with this padding (a number, a pair or [`Padding::Same`]).
    pub fn padding(mut self, padding: impl Into<Padding>) -> Self {
        self.padding = padding.into();
        self
    }

    /// The same options with this dilation.
    pub fn dilation(mut self, dilation: impl Into<Size2>) -> Self {
        self.dilation = dilation.into().0;
        self
    }

    /// The same options with this many channel groups.
    pub fn groups(mut self, groups: usize) -> Self {
        self.groups = groups;
        self
    }

    /// The same options with this output padding (transposed convolutions).
    pub fn output_padding(mut self, output_padding: impl Into<Size2>) -> Self {
        self.output_padding = output_padding.into().0;
        self
    }

    /// The options as the 2-d geometry of a convolution with `spatial` (1 or 2) trailing
    /// axes and kernel `w` (its shape, to resolve `Same`); a 1-d convolution gets an H axis
    /// of length 1 that the kernel does not move along. `transposed` selects the rules of
    /// the transposed forms (no `Same`; `output_padding` allowed).
    pub(crate) fn geometry(
        &self,
        spatial: usize,
        transposed: bool,
        x: &[usize],
        w: &[usize],
    ) -> Result<ConvGeometry, TensorError> {
        let axes = 2 - spatial..2;
        let mut g = ConvGeometry {
            stride: self.stride,
            dilation: self.dilation,
            groups: self.groups,
            ..ConvGeometry::default()
        };
        let refuse = |what: String| {
            TensorError::new(
                ErrorKind::InvalidArgument,
                format!("{what}: input {x:?}, weight {w:?}, {self:?}"),
            )
        };
        match self.padding {
            Padding::Explicit(p) => {
                g.pad_begin = p;
                g.pad_end = p.map(|p| p as isize);
            }
            Padding::Same if transposed => {
                return Err(refuse(
                    "padding Same is for convolutions, not transposed ones".into(),
                ))
            }
            Padding::Same => {
                if axes.clone().any(|a| self.stride[a] != 1) {
                    return Err(refuse(format!(
                        "padding Same needs stride 1, got stride {:?}",
                        self.stride
                    )));
                }
                for a in axes.clone() {
                    // the kernel's extent along this axis (rank errors are reported later)
                    let k = w.get(w.len().wrapping_sub(2 - a)).copied().unwrap_or(1);
                    let total = self.dilation[a].saturating_mul(k.saturating_sub(1));
                    g.pad_begin[a] = total / 2;
                    g.pad_end[a] = (total - total / 2) as isize;
                }
            }
        }
        if transposed {
            for a in axes.clone() {
                let op_ = self.output_padding[a];
                if op_ > 0 && op_ >= self.stride[a] && op_ >= self.dilation[a] {
                    return Err(refuse(format!(
                        "output_padding {:?} must be smaller than the stride or the dilation",
                        self.output_padding
                    )));
                }
                g.pad_end[a] -= op_ as isize;
            }
        } else if self.output_padding != [0, 0] {
            return Err(refuse(
                "output_padding applies to transposed convolutions only".into(),
            ));
        }
        if spatial == 1 {
            // the H axis of a 1-d convolution: length 1, kernel 1, nothing to move
            g.stride[0] = 1;
            g.dilation[0] = 1;
            g.pad_begin[0] = 0;
            g.pad_end[0] = 0;
        }
        Ok(g)
    }
}
