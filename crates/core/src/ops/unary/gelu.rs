//! `gelu`: the Gaussian error linear unit, tanh approximation, as one op, and
//! `gelu_grad`, its VJP as one op.

use crate::float::{gelu_constants, gelu_grad_slice, gelu_slice};
use crate::structure::{Curvature, Structure};
use crate::{Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = x·½·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`, PyTorch's
/// `gelu(x, approximate="tanh")`; `dx = dy·(½·(1 + t) + x·½·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²))`
/// with `t` the tanh above.
///
/// The same numbers as the composed ops (the same roundings in the same order), in one
/// pass: `tanh` is the vectorised one of the `tanh` op, and a [`Plan`](crate::Plan) hands
/// a `gelu` after `linear` to the product's tiles. Edges (`CONVENTIONS.md`): `gelu(−0) =
/// −0`; large negative inputs give `−0` with gradient `0`, large positive ones `x` with
/// gradient `1` (the polynomial in the gradient is taken at `x` clamped to `±10`, where
/// `1 − t²` is already exactly 0, so `0·∞` never happens); `±∞` and NaN give NaN.
///
/// This is the op that [`Var::gelu`](crate::Var::gelu) records.
pub struct Gelu;

impl<T: Float> Op<T> for Gelu {
    fn name(&self) -> &str {
        "gelu"
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn scalar_forward(&self, xs: &[T]) -> Option<T> {
        Some(super::at_one(gelu_slice, xs[0]))
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        Ok(xs[0].map_slices(gelu_slice))
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(dy.tape.apply(GeluGrad, &[xs[0], dy]))].into()
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Nonlinear)
    }
}

/// `dx = dy · gelu'(x)` from `gelu`'s input `x` and a cotangent `dy` (broadcasting): the
/// VJP of [`Gelu`] as one op, PyTorch's `gelu_backward`.
///
/// # Design
/// Written with ops, the VJP recomputed `tanh` and its polynomial as a dozen tensors of
/// the input's size (an eager step with `gelu` was 10–20% slower than with the composed
/// ops); this is one pass for `gelu'` and one for the product. Its own VJP is written
/// with ops, itself among them, so `gelu` still differentiates to any order:
/// `x̄ = g · dy · gelu''(x)` and `d̄y = gelu_grad(x, g)`, where
/// `gelu''(x) = 2·½·T' + x·½·(−2t·T'·s + (1 − t²)·s')`, `T' = (1 − t²)·s`, `s` the
/// polynomial's slope `√(2/π)·(1 + 3·0.044715·x²)` and `s' = 6·0.044715·√(2/π)·x`,
/// both at `x` clamped to ±10 as in the forward.
///
/// ```
/// use tapegrad_core::ops::unary::GeluGrad;
/// use tapegrad_core::{Tape, Tensor};
/// let tape = Tape::<f64>::new();
/// let x = tape.leaf(Tensor::vector(vec![0.0, 1.0]));
/// let dy = tape.leaf(Tensor::vector(vec![2.0, 1.0]));
/// let dx = tape.apply(GeluGrad, &[x, dy]).value();
/// assert_eq!(dx.as_slice()[0], 1.0); // gelu'(0) = 1/2
/// assert!((dx.as_slice()[1] - 1.0829640838457826).abs() < 1e-15);
/// ```
pub struct GeluGrad;

impl<T: Float> Op<T> for GeluGrad {
    fn name(&self) -> &str {
        "gelu_grad"
    }
    fn vjp_batches(&self) -> bool {
        true
    }
    fn scalar_forward(&self, xs: &[T]) -> Option<T> {
        Some(xs[1] * super::at_one(gelu_grad_slice, xs[0]))
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0]
            .map_slices(gelu_grad_slice)
            .zip_map(xs[1], |d, dy| dy * d)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _dx: Var<'t, T>, g: Var<'t, T>) -> InputGrads<'t, T> {
        let (x, dy) = (xs[0], xs[1]);
        [
            x.needs_grad().then(|| g * dy * gelu_second(x)),
            dy.needs_grad().then(|| g.tape.apply(GeluGrad, &[x, g])),
        ]
        .into()
    }
    fn structure(&self, _inputs: &[&[usize]], _output: &[usize]) -> Structure {
        Structure::elementwise(Curvature::Nonlinear)
    }
}

/// `gelu''(x)`, written with ops (see [`GeluGrad`]).
fn gelu_second<'t, T: Float>(x: Var<'t, T>) -> Var<'t, T> {
    let (a, c, half) = gelu_constants::<T>();
    let t = ((x + x * x * x * a) * c).tanh();
    let ten = |v: f64| x.constant(Tensor::scalar(T::from_f64(v)));
    let xc = x.maximum(ten(-10.0)).minimum(ten(10.0));
    let s = (xc * xc * (a * T::from_f64(3.0)) + T::ONE) * c;
    let ds = xc * (a * c * T::from_f64(6.0));
    let sech2 = -(t * t) + T::ONE;
    let tp = sech2 * s;
    tp * (half * T::from_f64(2.0)) + x * half * (t * tp * s * T::from_f64(-2.0) + sech2 * ds)
}

impl<'t, T: Float> Var<'t, T> {
    /// GELU, tanh approximation (PyTorch's `gelu(x, approximate="tanh")`), element-wise.
    ///
    /// ```
    /// use tapegrad_core::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.leaf(Tensor::vector(vec![0.0, 1.0]));
    /// let y = x.gelu();
    /// assert_eq!(y.value().as_slice()[0], 0.0);
    /// assert!((y.value().as_slice()[1] - 0.8411919906082768).abs() < 1e-15);
    /// ```
    #[track_caller]
    pub fn gelu(self) -> Self {
        self.tape.apply(Gelu, &[self])
    }
}
