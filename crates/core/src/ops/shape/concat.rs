//! `concat`: join variables along an existing axis; `stack` composes it to join them
//! along a new one.

use super::narrow::Narrow;
use crate::ops::{batch_axes, resolve_axis_for};
use crate::structure::Structure;
use crate::{Error, ErrorKind, Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = [x₀ x₁ … xₙ₋₁]` along `axis`: the parts one after another, all other axes equal.
/// `dxᵢ = narrow(dy, axis, oᵢ, len(xᵢ))` with `oᵢ` the summed lengths of the parts before.
pub struct Concat {
    /// The axis the parts are joined along.
    pub axis: usize,
}

impl<T: Float> Op<T> for Concat {
    fn name(&self) -> &str {
        "concat"
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Tensor::concat(xs, self.axis)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let axis = batch_axes(dy, y).len() + self.axis;
        let mut start = 0;
        let mut dxs = Vec::with_capacity(xs.len());
        for x in xs {
            let len = x.shape()[self.axis];
            let narrow = Narrow { axis, start, len };
            dxs.push(Some(dy.tape.apply(narrow, &[dy])));
            start += len;
        }
        dxs.into()
    }
    fn label(&self) -> String {
        format!("concat(axis={})", self.axis)
    }
    fn structure(&self, inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::moved(inputs, |xs| Tensor::concat(xs, self.axis))
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// The parts joined along `axis` (negative counts from the end), or the error when
    /// there are no parts, the axis is out of range or the shapes differ on another axis.
    #[track_caller]
    pub fn try_concat(parts: &[Self], axis: isize) -> Result<Self, Error> {
        let Some(first) = parts.first() else {
            return Err(Error::new("concat", "no parts to join"));
        };
        let axis = resolve_axis_for("concat", axis, &first.shape())?;
        first.tape.try_apply(Concat { axis }, parts)
    }

    /// The parts joined along `axis` (negative counts from the end); all other axes must
    /// agree.
    #[track_caller]
    pub fn concat(parts: &[Self], axis: isize) -> Self {
        Self::try_concat(parts, axis).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The parts, all of one shape, joined along a new axis at position `axis` of the
    /// result (negative counts from the end of the result's axes), or the error when
    /// there are no parts, the shapes differ or the axis is out of range.
    #[track_caller]
    pub fn try_stack(parts: &[Self], axis: isize) -> Result<Self, Error> {
        let Some(first) = parts.first() else {
            return Err(Error::new("stack", "no parts to join"));
        };
        let shape = first.shape();
        let shapes: Vec<_> = parts.iter().map(|p| p.shape().to_vec()).collect();
        if shapes.iter().any(|s| s.as_slice() != shape.as_slice()) {
            let message = format!("shapes {shapes:?} differ");
            return Err(Error::of_kind(
                ErrorKind::ShapeMismatch { shapes },
                "stack",
                message,
            ));
        }
        let mut grown = shape.to_vec();
        grown.push(1);
        let axis = resolve_axis_for("stack", axis, &grown)?;
        grown.pop();
        grown.insert(axis, 1);
        let mut columns = Vec::with_capacity(parts.len());
        for p in parts {
            columns.push(p.try_reshape(&grown)?);
        }
        Self::try_concat(&columns, axis as isize)
    }

    /// The parts, all of one shape, joined along a new axis at position `axis` of the
    /// result (negative counts from the end of the result's axes).
    #[track_caller]
    pub fn stack(parts: &[Self], axis: isize) -> Self {
        Self::try_stack(parts, axis).unwrap_or_else(|e| panic!("{e}"))
    }
}
