//! `linear`: `x·Wᵀ + b` as one op, so a layer keeps one activation instead of two and
//! the bias is added while the product is still in cache.

use super::MatMul;
use crate::tensor::try_numel;
use crate::{Error, ErrorKind, Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = x·Wᵀ (+ b)` for `x: [..., in]`, `W: [out, in]`, `b: [out]`.
///
/// `dx = dy·W`, `dW = dyᵀ·x` (summed over batch axes by the sweep), `db = dy` (summed down
/// to `[out]` by the sweep). The products are `MatMul`s reading their operands transposed
/// in place.
pub struct Linear;

impl<T: Float> Op<T> for Linear {
    fn name(&self) -> &str {
        "linear"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
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
        let y = x.matmul_t(w, false, true)?;
        match xs.get(2) {
            None => Ok(y),
            Some(b) if b.shape() == [w.shape()[0]] => y.zip_map(b, |v, b| v + b),
            Some(b) => Err(TensorError::new(
                ErrorKind::ShapeMismatch {
                    shapes: vec![b.shape().to_vec(), w.shape().to_vec()],
                },
                format!(
                    "bias of shape {:?} for a weight of shape {:?}",
                    b.shape(),
                    w.shape()
                ),
            )),
        }
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let (x, w) = (xs[0], xs[1]);
        let tape = x.tape();
        let dx = tape.apply(
            MatMul {
                ta: false,
                tb: false,
            },
            &[dy, w],
        );
        // dW = dyᵀ·x over the flattened batch: reshape both to 2-d
        // The batch axes multiply past usize::MAX only when `dy`'s last axis is 0, and then
        // so is `x`'s (both tensors exist): the product has no rows, and `dw` is `[0, 0]`.
        let rows = try_numel(&dy.shape()[..dy.shape().len() - 1]).unwrap_or(0);
        let dy2 = dy.reshape(&[rows, w.shape()[0]]);
        let x2 = x.reshape(&[rows, w.shape()[1]]);
        let dw = tape.apply(
            MatMul {
                ta: true,
                tb: false,
            },
            &[dy2, x2],
        );
        let mut grads = vec![Some(dx), Some(dw)];
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

#[cfg(test)]
mod tests {
    use crate::testing::{assert_gradients, tensor_in};
    use crate::{Tape, Tensor};
    use proptest::prelude::*;

    #[test]
    fn linear_matches_literal() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::from_vec(vec![1., 2., 3., 4.], &[2, 2]));
        let w = tape.leaf(Tensor::from_vec(vec![1., 1., 0., 2.], &[2, 2]));
        let b = tape.leaf(Tensor::vector(vec![10., 20.]));
        let y = x.linear(w, Some(b));
        // rows: [1+2+10, 4+20], [3+4+10, 8+20]
        assert_eq!(y.value().as_slice(), &[13., 24., 17., 28.]);
        let g = y.sum().backward();
        // dx = 1·W: column sums of W per input feature; dW = 1ᵀ·x; db = batch size
        assert_eq!(g.wrt(x).as_slice(), &[1., 3., 1., 3.]);
        assert_eq!(g.wrt(w).as_slice(), &[4., 6., 4., 6.]);
        assert_eq!(g.wrt(b).as_slice(), &[2., 2.]);
    }

    #[test]
    fn linear_rejects_bad_shapes() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::zeros(&[4, 3]));
        let e = x
            .try_linear(tape.leaf(Tensor::zeros(&[2, 4])), None)
            .unwrap_err();
        assert_eq!(e.op, "linear");
        assert!(e.message.contains("[4, 3] x [2, 4]ᵀ"), "{e}");
        let e = x
            .try_linear(
                tape.leaf(Tensor::zeros(&[2, 3])),
                Some(tape.leaf(Tensor::zeros(&[3]))),
            )
            .unwrap_err();
        assert!(e.message.contains("bias of shape [3]"), "{e}");
        let v = tape.leaf(Tensor::zeros(&[3]));
        assert!(v
            .try_linear(tape.leaf(Tensor::zeros(&[2, 3])), None)
            .is_err());
    }

    #[test]
    fn linear_matches_matmul_with_transpose_and_checks_gradients() {
        let x = Tensor::rand_normal(&[4, 3], 0.0, 1.0, 5);
        let w = Tensor::rand_normal(&[2, 3], 0.0, 1.0, 6);
        let b = Tensor::rand_normal(&[2], 0.0, 1.0, 7);
        let tape = Tape::<f64>::new();
        let (xv, wv, bv) = (
            tape.leaf(x.clone()),
            tape.leaf(w.clone()),
            tape.leaf(b.clone()),
        );
        let wt = tape.constant(w.permute(&[1, 0]).unwrap());
        let want = xv.matmul(wt) + bv;
        assert!(xv
            .linear(wv, Some(bv))
            .value()
            .approx_eq(&want.value(), 1e-12, 0.0));
        assert_gradients(
            |v| {
                let y = v[0].linear(v[1], Some(v[2]));
                y * y
            },
            &[x, w, b],
            2,
        );
        let e = xv
            .try_linear(tape.leaf(Tensor::zeros(&[2, 4])), None)
            .unwrap_err();
        assert!(e.message.contains("[4, 3] x [2, 4]ᵀ"), "{e}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        #[test]
        fn linear_gradients_match_finite_differences(
            (x, w, b) in (1usize..=3, 1usize..=3, 1usize..=3, 0usize..=2).prop_flat_map(|(n, i, o, batch)| {
                let mut sx = vec![2; batch];
                sx.extend([n, i]);
                (tensor_in(sx, -1.5, 1.5), tensor_in(vec![o, i], -1.5, 1.5), tensor_in(vec![o], -1.5, 1.5))
            })
        ) {
            assert_gradients(|v| { let y = v[0].linear(v[1], Some(v[2])); y * y }, &[x.clone(), w.clone(), b], 2);
            assert_gradients(|v| { let y = v[0].linear(v[1], None); y * y }, &[x, w], 2);
        }
    }
}
