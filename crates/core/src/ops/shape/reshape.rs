//! `reshape`: the same elements under a new shape.

use crate::tensor::shape_of;
use crate::{Error, Float, InputGrads, Op, Shape, Tensor, TensorError, Var};

/// `y = x` viewed with `shape` (same element count, row-major order kept).
/// `dx = reshape(dy, shape(x))`.
pub struct Reshape {
    /// The new shape.
    pub shape: Shape,
}

impl<T: Float> Op<T> for Reshape {
    fn name(&self) -> &str {
        "reshape"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0].reshape(&self.shape)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(dy.reshape(&xs[0].shape()))].into()
    }
    fn label(&self) -> String {
        format!("reshape({:?})", self.shape.as_slice())
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// The same elements under `shape`, or the error when the element counts differ.
    #[track_caller]
    pub fn try_reshape(self, shape: &[usize]) -> Result<Self, Error> {
        self.tape.try_apply(
            Reshape {
                shape: shape_of(shape),
            },
            &[self],
        )
    }

    /// The same elements under `shape` (same element count).
    #[track_caller]
    pub fn reshape(self, shape: &[usize]) -> Self {
        self.try_reshape(shape).unwrap_or_else(|e| panic!("{e}"))
    }

    /// All elements as a 1-d vector.
    #[track_caller]
    pub fn flatten(self) -> Self {
        let n = crate::tensor::numel(&self.shape());
        self.reshape(&[n])
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{any_tensor, assert_gradients};
    use crate::{Tape, Tensor};
    use proptest::prelude::*;

    #[test]
    fn reshape_matches_literal() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::arange(6));
        let y = x.reshape(&[2, 3]);
        assert_eq!(y.shape().as_slice(), &[2, 3]);
        assert_eq!(y.value().at(&[1, 0]), 3.0);
        let w = tape.constant(Tensor::from_vec(vec![1., 2., 3., 4., 5., 6.], &[2, 3]));
        assert_eq!(
            (y * w).sum().backward().wrt(x).as_slice(),
            &[1., 2., 3., 4., 5., 6.]
        );
    }

    #[test]
    fn reshape_rejects_wrong_count() {
        let tape = Tape::<f64>::new();
        let e = tape.leaf(Tensor::arange(6)).try_reshape(&[4]).unwrap_err();
        assert_eq!(e.op, "reshape");
        assert!(
            e.message.contains("[6]") && e.message.contains("[4]"),
            "{e}"
        );
    }

    #[test]
    fn reshape_gradcheck_order2() {
        let x = Tensor::from_vec(vec![0.5, -1.0, 2.0, 0.1], &[4]);
        assert_gradients(
            |x| {
                let r = x[0].reshape(&[2, 2]);
                r * r
            },
            &[x],
            2,
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn reshape_gradients_match_finite_differences(x in any_tensor(-2.0, 2.0)) {
            assert_gradients(|x| { let f = x[0].flatten(); f * f }, &[x], 2);
        }
    }
}
