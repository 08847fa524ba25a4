//! `broadcast_to` and `sum_to`: repeat along broadcast axes, and its adjoint.
//! The backward sweep uses `sum_to` to return a broadcast gradient to its input's shape.

use crate::tensor::shape_of;
use crate::{Error, Float, InputGrads, Op, Shape, Tensor, TensorError, Var};

/// `y = x` repeated to `shape` (NumPy broadcasting). `dx = sum_to(dy, shape(x))`.
pub struct BroadcastTo {
    /// The target shape.
    pub shape: Shape,
}

impl<T: Float> Op<T> for BroadcastTo {
    fn name(&self) -> &str {
        "broadcast_to"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0].broadcast_to(&self.shape)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(dy.sum_to(&xs[0].shape()))].into()
    }
    fn label(&self) -> String {
        format!("broadcast_to({:?})", self.shape.as_slice())
    }
}

/// `y` = `x` summed over the axes along which `shape` broadcasts to `shape(x)`.
/// `dx = broadcast_to(dy, shape(x))`.
pub struct SumTo {
    /// The target shape; it must broadcast to the input's shape.
    pub shape: Shape,
}

impl<T: Float> Op<T> for SumTo {
    fn name(&self) -> &str {
        "sum_to"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0].sum_to(&self.shape)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(dy.broadcast_to(&xs[0].shape()))].into()
    }
    fn label(&self) -> String {
        format!("sum_to({:?})", self.shape.as_slice())
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// Repeats along broadcast axes to `shape`; the error names both shapes.
    #[track_caller]
    pub fn try_broadcast_to(self, shape: &[usize]) -> Result<Self, Error> {
        if self.shape().as_slice() == shape {
            return Ok(self);
        }
        self.tape.try_apply(
            BroadcastTo {
                shape: shape_of(shape),
            },
            &[self],
        )
    }

    /// Repeats along broadcast axes to `shape`.
    #[track_caller]
    pub fn broadcast_to(self, shape: &[usize]) -> Self {
        self.try_broadcast_to(shape)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// Sums the axes along which `shape` was broadcast, giving a value of `shape`.
    #[track_caller]
    pub fn try_sum_to(self, shape: &[usize]) -> Result<Self, Error> {
        if self.shape().as_slice() == shape {
            return Ok(self);
        }
        self.tape.try_apply(
            SumTo {
                shape: shape_of(shape),
            },
            &[self],
        )
    }

    /// Sums the axes along which `shape` was broadcast, giving a value of `shape`.
    #[track_caller]
    pub fn sum_to(self, shape: &[usize]) -> Self {
        self.try_sum_to(shape).unwrap_or_else(|e| panic!("{e}"))
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{assert_gradients, broadcast_pair, tensor_in};
    use crate::{Tape, Tensor};
    use proptest::prelude::*;

    #[test]
    fn broadcast_to_matches_literal() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::vector(vec![1.0, 2.0]));
        let y = x.broadcast_to(&[3, 2]);
        assert_eq!(y.value().as_slice(), &[1.0, 2.0, 1.0, 2.0, 1.0, 2.0]);
        assert_eq!(y.sum().backward().wrt(x).as_slice(), &[3.0, 3.0]);
    }

    #[test]
    fn sum_to_matches_literal() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]));
        let y = x.sum_to(&[1, 2]);
        assert_eq!(y.value().as_slice(), &[4.0, 6.0]);
        assert_eq!(y.sum().backward().wrt(x).as_slice(), &[1.0; 4]);
    }

    #[test]
    fn broadcast_to_rejects_incompatible_shape() {
        let tape = Tape::<f64>::new();
        let e = tape
            .leaf(Tensor::zeros(&[3]))
            .try_broadcast_to(&[2, 2])
            .unwrap_err();
        assert_eq!(e.op, "broadcast_to");
        assert!(
            e.message.contains("[3]") && e.message.contains("[2, 2]"),
            "{e}"
        );
        let e = tape.leaf(Tensor::zeros(&[3])).try_sum_to(&[2]).unwrap_err();
        assert_eq!(e.op, "sum_to");
    }

    #[test]
    fn broadcast_and_sum_to_gradcheck_order2() {
        let x = Tensor::from_vec(vec![0.5, -1.0], &[2, 1]);
        assert_gradients(
            |x| {
                let b = x[0].broadcast_to(&[3, 2, 4]);
                b * b
            },
            std::slice::from_ref(&x),
            2,
        );
        assert_gradients(
            |x| {
                let s = (x[0] * x[0]).sum_to(&[1, 1]);
                s * s
            },
            &[x],
            2,
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn broadcast_sum_to_gradients_match_finite_differences(
            (small, big) in broadcast_pair(4).prop_filter_map("ordered pair", |(a, b)| {
                if crate::tensor::broadcasts_to(&a, &b) { Some((a, b)) }
                else if crate::tensor::broadcasts_to(&b, &a) { Some((b, a)) }
                else { None }
            }).prop_flat_map(|(s, b)| (tensor_in(s, -2.0, 2.0), Just(b)))
        ) {
            let shape = big.clone();
            assert_gradients(move |x| { let b = x[0].broadcast_to(&shape); b * b }, std::slice::from_ref(&small), 2);
            let small_shape = small.shape().to_vec();
            let wide = Tensor::rand_normal(&big, 0.0, 1.0, 3);
            assert_gradients(move |x| { let s = (x[0] * x[0]).sum_to(&small_shape); s * s }, &[wide], 2);
        }
    }
}
