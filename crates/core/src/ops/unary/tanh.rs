//! `tanh`: element-wise hyperbolic tangent, and `tanh_grad`, its VJP as one op.

use crate::structure::{Curvature, Structure};
use crate::{Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = tanh x`. `dx = dy · (1 - y²)`.
///
/// The derivative is computed from the output (`CONVENTIONS.md`): for saturated inputs
/// (`|x| ≳ 19` in f64) `y = ±1` exactly and the gradient is exactly 0, never NaN.
///
/// This is the op that [`Var::tanh`](crate::Var::tanh) records. `tapegrad_nn::Tanh`, of the same
/// name, is a layer (a `Module`) that applies it. They live in different crates, and the
/// prelude exports only the layer.
pub struct Tanh;

impl<T: Float> Op<T> for Tanh {
    fn name(&self) -> &str {
        "tanh"
    }
    fn scalar_partials(&self, _xs: &[T], y: T) -> Option<[T; 2]> {
        Some([T::ONE - y * y, T::ZERO])
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn scalar_forward(&self, xs: &[T]) -> Option<T> {
        Some(super::at_one(T::tanh_slice, xs[0]))
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].map_slices(T::tanh_slice))
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(y.tape.apply(TanhGrad, &[y, dy]))].into()
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Nonlinear)
    }
}

/// `dx = dy · (1 − y²)` from `tanh`'s output `y` and a cotangent `dy` (broadcasting): the
/// VJP of [`Tanh`] as one op, PyTorch's `tanh_backward`.
///
/// # Design
/// Written as `dy * (1 - y * y)`, the VJP made three tensors of the input's size in a
/// first-order sweep, each a pass over memory; this is one pass, with the same roundings
/// in the same order (the same numbers, bit for bit). Its own VJP is written with ops,
/// itself among them, so `tanh` still differentiates to any order:
/// `ȳ = −2 · y · dy · g` and `d̄y = tanh_grad(y, g)`.
///
/// ```
/// use tapegrad_core::ops::unary::TanhGrad;
/// use tapegrad_core::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let y = tape.leaf(Tensor::vector(vec![0.5, -1.0]));
/// let dy = tape.leaf(Tensor::vector(vec![2.0, 3.0]));
/// assert_eq!(tape.apply(TanhGrad, &[y, dy]).value().as_slice(), &[1.5, 0.0]);
/// ```
pub struct TanhGrad;

impl<T: Float> Op<T> for TanhGrad {
    fn name(&self) -> &str {
        "tanh_grad"
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn scalar_forward(&self, xs: &[T]) -> Option<T> {
        Some(xs[1] * (T::ONE - xs[0] * xs[0]))
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0].zip_map(xs[1], |y, dy| dy * (T::ONE - y * y))
    }
    fn forward_into(&self, xs: &[&Tensor<T>], out: &mut Tensor<T>) -> Result<(), TensorError> {
        xs[0].zip_map_into(xs[1], out, |y, dy| dy * (T::ONE - y * y))
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _dx: Var<'t, T>, g: Var<'t, T>) -> InputGrads<'t, T> {
        let (y, dy) = (xs[0], xs[1]);
        [
            y.needs_grad().then(|| g * dy * y * T::from_f64(-2.0)),
            dy.needs_grad().then(|| g.tape.apply(TanhGrad, &[y, g])),
        ]
        .into()
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Nonlinear)
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Element-wise hyperbolic tangent.
    #[track_caller]
    pub fn tanh(self) -> Self {
        self.tape.apply(Tanh, &[self])
    }
}
