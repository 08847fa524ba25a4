//! `permute`: reorder the axes; `transpose` and `t` are permutations that swap two axes.

use crate::ops::resolve_axis_for;
use crate::structure::Structure;
use crate::tensor::shape_of;
use crate::{Error, ErrorKind, Float, InputGrads, Op, Shape, Tensor, TensorError, Var};

/// `y = x` with its axes reordered: axis `i` of `y` is axis `axes[i]` of `x`, so
/// `y[j₀, …, jₙ] = x[i]` where `i[axes[k]] = jₖ`.
/// `dx = permute(dy, axes⁻¹)`, the inverse permutation (`axes⁻¹[axes[k]] = k`).
pub struct Permute {
    /// A permutation of `0..rank`.
    pub axes: Shape,
}

impl<T: Float> Op<T> for Permute {
    fn name(&self) -> &str {
        "permute"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0].permute(&self.axes)
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let mut inverse: Shape = shape_of(&self.axes);
        for (k, &a) in self.axes.iter().enumerate() {
            inverse[a] = k;
        }
        [Some(dy.tape.apply(Permute { axes: inverse }, &[dy]))].into()
    }
    fn label(&self) -> String {
        format!("permute({:?})", self.axes.as_slice())
    }
    fn structure(&self, inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::moved(inputs, |xs| xs[0].permute(&self.axes))
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// The axes reordered (axis `i` of the result is axis `axes[i]`), or the error when
    /// `axes` is not a permutation of this variable's axes.
    #[track_caller]
    pub fn try_permute(self, axes: &[usize]) -> Result<Self, Error> {
        self.tape.try_apply(
            Permute {
                axes: shape_of(axes),
            },
            &[self],
        )
    }

    /// The axes reordered: axis `i` of the result is axis `axes[i]` of `self`.
    #[track_caller]
    pub fn permute(self, axes: &[usize]) -> Self {
        self.try_permute(axes).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Axes `a0` and `a1` swapped (negative counts from the end), or the error for an axis
    /// out of range.
    #[track_caller]
    pub fn try_transpose(self, a0: isize, a1: isize) -> Result<Self, Error> {
        let shape = self.shape();
        let i = resolve_axis_for("transpose", a0, &shape)?;
        let j = resolve_axis_for("transpose", a1, &shape)?;
        let mut axes: Shape = (0..shape.len()).collect();
        axes.swap(i, j);
        self.try_permute(&axes)
    }

    /// Axes `a0` and `a1` swapped (negative counts from the end).
    #[track_caller]
    pub fn transpose(self, a0: isize, a1: isize) -> Self {
        self.try_transpose(a0, a1).unwrap_or_else(|e| panic!("{e}"))
    }

    /// The last two axes swapped (a matrix transpose, batched over leading axes), or the
    /// error for rank 0 or 1.
    #[track_caller]
    pub fn try_t(self) -> Result<Self, Error> {
        let shape = self.shape();
        if shape.len() < 2 {
            return Err(Error::of_kind(
                ErrorKind::ShapeMismatch {
                    shapes: vec![shape.to_vec()],
                },
                "t",
                format!("needs rank >= 2 to swap the last two axes, got shape {shape:?}"),
            ));
        }
        self.try_transpose(-2, -1)
    }

    /// The last two axes swapped; panics (naming the shape) below rank 2.
    #[track_caller]
    pub fn t(self) -> Self {
        self.try_t().unwrap_or_else(|e| panic!("{e}"))
    }
}
