//! `linear`: `x·Wᵀ + b` as one op, so a layer keeps one activation instead of two and
//! the bias is added while the product is still in cache.

use super::MatMul;
use crate::structure::{Curvature, Source, Sources, Structure};
use crate::tensor::gemm::Epilogue;
use crate::tensor::numel;
use crate::tensor::try_numel;
use crate::{Activation, Error, ErrorKind, Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = x·Wᵀ (+ b)` for `x: [..., in]`, `W: [out, in]`, `b: [out]`.
///
/// `dx = dy·W`, `dW = dyᵀ·x` (summed over batch axes by the sweep), `db = dy` (summed down
/// to `[out]` by the sweep). The products are `MatMul`s reading their operands transposed
/// in place.
///
/// This is the op that [`Var::linear`](crate::Var::linear) records. `tapegrad_nn::Linear`, of the same
/// name, is a layer (a `Module`) that applies it. They live in different crates, and the
/// prelude exports only the layer.
pub struct Linear;

impl<T: Float> Op<T> for Linear {
    fn name(&self) -> &str {
        "linear"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        let mut y = Tensor::scalar(T::ZERO);
        self.forward_into(xs, &mut y)?;
        Ok(y)
    }
    fn forward_into(&self, xs: &[&Tensor<T>], y: &mut Tensor<T>) -> Result<(), TensorError> {
        linear_into(xs, y, None)
    }
    fn forward_into_then(
        &self,
        xs: &[&Tensor<T>],
        y: &mut Tensor<T>,
        then: Activation,
    ) -> Result<bool, TensorError> {
        // in the product's tiles, after the bias (`relu` in registers, the others on
        // each block of rows as it is written): every activation
        linear_into(xs, y, Some(then)).map(|()| true)
    }
    fn structure(&self, inputs: &[&[usize]], output: &[usize]) -> Structure {
        // y[r, o] = Σₗ x[r, l]·w[o, l] + b[o]: a product of x and w, linear in b.
        let (outs, k) = (inputs[1][0], inputs[1][1]);
        let rows = numel(output).checked_div(outs).unwrap_or(0);
        let mut sources = Sources::new();
        for r in 0..rows {
            for o in 0..outs {
                let x = (0..k).map(|l| Source {
                    input: 0,
                    element: r * k + l,
                });
                let w = (0..k).map(|l| Source {
                    input: 1,
                    element: o * k + l,
                });
                let b = (inputs.len() > 2).then_some(Source {
                    input: 2,
                    element: o,
                });
                sources.push(x.chain(w).chain(b));
            }
        }
        Structure::listed(sources, Curvature::Bilinear)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let (x, w) = (xs[0], xs[1]);
        let tape = x.tape();
        // A constant operand's gradient would be dropped: it is not computed (the input
        // batch of a first layer, typically).
        let dx = x.needs_grad().then(|| {
            tape.apply(
                MatMul {
                    ta: false,
                    tb: false,
                },
                &[dy, w],
            )
        });
        // dW = dyᵀ·x over the flattened batch: reshape both to 2-d
        // The batch axes multiply past usize::MAX only when `dy`'s last axis is 0, and then
        // so is `x`'s (both tensors exist): the product has no rows, and `dw` is `[0, 0]`.
        let dw = w.needs_grad().then(|| {
            let rows = try_numel(&dy.shape()[..dy.shape().len() - 1]).unwrap_or(0);
            let dy2 = dy.reshape(&[rows, w.shape()[0]]);
            let x2 = x.reshape(&[rows, w.shape()[1]]);
            tape.apply(
                MatMul {
                    ta: true,
                    tb: false,
                },
                &[dy2, x2],
            )
        });
        let mut grads = vec![dx, dw];
        if xs.len() == 3 {
            grads.push(Some(dy));
        }
        grads.into()
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// `x·Wᵀ + b`, PyTorch's `linear`: `x` is `[..., in]`, `W` is `[out, in]`, `b` is
    /// `[out]`. `Wᵀ` is read in place, never copied.
    ///
    /// ```
    /// use tapegrad_core::{Tape, Tensor};
    /// let tape = Tape::<f64>::new();
    /// let x = tape.constant(Tensor::from_vec(vec![1., 2.], &[1, 2]));
    /// let w = tape.leaf(Tensor::from_vec(vec![1., 0., 0., 1., 1., 1.], &[3, 2]));
    /// let b = tape.leaf(Tensor::vector(vec![0.5, 0.5, 0.5]));
    /// assert_eq!(x.linear(w, Some(b)).value().as_slice(), &[1.5, 2.5, 3.5]);
    /// ```
    #[track_caller]
    pub fn try_linear(self, w: Self, b: Option<Self>) -> Result<Self, Error> {
        match b {
            Some(b) => self.tape.try_apply(Linear, &[self, w, b]),
            None => self.tape.try_apply(Linear, &[self, w]),
        }
    }

    /// `x·Wᵀ + b` (see [`try_linear`](Self::try_linear)); panics with the shapes on mismatch.
    #[track_caller]
    pub fn linear(self, w: Self, b: Option<Self>) -> Self {
        self.try_linear(w, b).unwrap_or_else(|e| panic!("{e}"))
    }
}

/// `y = x·Wᵀ (+ b)`, with `then` applied after the bias, both as the product's tiles are
/// stored (see [`Epilogue`]).
fn linear_into<T: Float>(
    xs: &[&Tensor<T>],
    y: &mut Tensor<T>,
    then: Option<Activation>,
) -> Result<(), TensorError> {
    let (x, w) = (xs[0], xs[1]);
    if x.ndim() < 2 || w.ndim() != 2 {
        return Err(TensorError::new(
            ErrorKind::ShapeMismatch {
                shapes: vec![x.shape().to_vec(), w.shape().to_vec()],
            },
            format!(
                "needs x of rank >= 2 and a 2-d weight: {:?}, {:?}",
                x.shape(),
                w.shape()
            ),
        ));
    }
    if x.shape()[x.ndim() - 1] != w.shape()[1] {
        let bias = xs.get(2).map(|b| format!(" + bias {:?}", b.shape()));
        return Err(TensorError::new(
            ErrorKind::ShapeMismatch {
                shapes: xs.iter().map(|t| t.shape().to_vec()).collect(),
            },
            format!(
                "inner dimensions differ: {:?} x {:?}ᵀ{}",
                x.shape(),
                w.shape(),
                bias.unwrap_or_default()
            ),
        ));
    }
    if let Some(b) = xs.get(2).filter(|b| b.shape() != [w.shape()[0]]) {
        return Err(TensorError::new(
            ErrorKind::ShapeMismatch {
                shapes: vec![x.shape().to_vec(), w.shape().to_vec(), b.shape().to_vec()],
            },
            format!(
                "bias of shape {:?} for x of shape {:?} and a weight of shape {:?}",
                b.shape(),
                x.shape(),
                w.shape()
            ),
        ));
    }
    // the bias added to each value as the product's tiles are stored
    let then = Epilogue {
        bias: xs.get(2).map(|b| b.as_slice()),
        then,
    };
    x.matmul_t_then_into(w, (false, true), y, then)?;
    Ok(())
}
