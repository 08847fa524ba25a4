//! `narrow`: a contiguous range along one axis, and `PadNarrow`, its adjoint, which puts
//! a range back into zeros. Each one's VJP is the other, so both differentiate to any order.

use crate::ops::{batch_axes, resolve_axis_for};
use crate::structure::Structure;
use crate::{Error, Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = x[…, start..start + len, …]` along `axis` (PyTorch's `narrow`).
/// `dx = pad_narrow(dy)`: `dy` in positions `start..start + len` of `axis`, zeros elsewhere.
pub struct Narrow {
    /// The axis to cut.
    pub axis: usize,
    /// First position kept.
    pub start: usize,
    /// Number of positions kept.
    pub len: usize,
}

impl<T: Float> Op<T> for Narrow {
    fn name(&self) -> &str {
        "narrow"
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0].narrow(self.axis, self.start, self.len)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let pad = PadNarrow {
            axis: batch_axes(dy, y).len() + self.axis,
            start: self.start,
            size: xs[0].shape()[self.axis],
        };
        [Some(dy.tape.apply(pad, &[dy]))].into()
    }
    fn label(&self) -> String {
        format!(
            "narrow(axis={}, {}..{})",
            self.axis,
            self.start,
            self.start + self.len
        )
    }
    fn structure(&self, inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::moved(inputs, |xs| xs[0].narrow(self.axis, self.start, self.len))
    }
}

/// `y` = zeros with `axis` of length `size`, holding `x` at positions
/// `start..start + len(x)` of that axis: the adjoint of [`Narrow`].
/// `dx = narrow(dy, axis, start, len(x))`.
pub struct PadNarrow {
    /// The axis along which `x` is placed.
    pub axis: usize,
    /// Where `x` starts along `axis`.
    pub start: usize,
    /// The length of `axis` in the result.
    pub size: usize,
}

impl<T: Float> Op<T> for PadNarrow {
    fn name(&self) -> &str {
        "pad_narrow"
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0].pad_narrow(self.axis, self.start, self.size)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let narrow = Narrow {
            axis: batch_axes(dy, y).len() + self.axis,
            start: self.start,
            len: xs[0].shape()[self.axis],
        };
        [Some(dy.tape.apply(narrow, &[dy]))].into()
    }
    fn label(&self) -> String {
        format!(
            "pad_narrow(axis={}, start={}, size={})",
            self.axis, self.start, self.size
        )
    }
    fn structure(&self, inputs: &[&[usize]], output: &[usize]) -> Structure {
        Structure::adjoint_of_moved(output, |xs| {
            xs[0].narrow(self.axis, self.start, inputs[0][self.axis])
        })
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Positions `start..start + len` along `axis` (negative counts from the end), or the
    /// error when the axis or the range is out of bounds.
    #[track_caller]
    pub fn try_narrow(self, axis: isize, start: usize, len: usize) -> Result<Self, Error> {
        let axis = resolve_axis_for("narrow", axis, &self.shape())?;
        self.tape.try_apply(Narrow { axis, start, len }, &[self])
    }

    /// Positions `start..start + len` along `axis` (negative counts from the end).
    #[track_caller]
    pub fn narrow(self, axis: isize, start: usize, len: usize) -> Self {
        self.try_narrow(axis, start, len)
            .unwrap_or_else(|e| panic!("{e}"))
    }
}
