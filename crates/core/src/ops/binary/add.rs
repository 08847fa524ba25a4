//! `add`: element-wise `a + b` with broadcasting.

use crate::{Error, Float, InputGrads, Op, Tensor, TensorError, Var};

/// `y = a + b` (broadcasting). `da = dy`, `db = dy`.
pub struct Add;

impl<T: Float> Op<T> for Add {
    fn name(&self) -> &str {
        "add"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0].zip_map(xs[1], |a, b| a + b)
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        [Some(dy), Some(dy)].into()
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// `self + rhs` with broadcasting, or the error when the shapes do not broadcast.
    #[track_caller]
    pub fn try_add(self, rhs: Self) -> Result<Self, Error> {
        self.tape.try_apply(Add, &[self, rhs])
    }
}

impl<'t, T: Float> std::ops::Add for Var<'t, T> {
    type Output = Self;
    /// `a + b` with broadcasting; panics (naming the shapes and the line) if they do not
    /// broadcast.
    #[track_caller]
    fn add(self, rhs: Self) -> Self {
        self.tape.apply(Add, &[self, rhs])
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{assert_gradients, broadcast_tensors};
    use crate::{Tape, Tensor};
    use proptest::prelude::*;

    #[test]
    fn add_matches_literal() {
        let tape = Tape::<f64>::new();
        let a = tape.leaf(Tensor::vector(vec![1.0, 2.0]));
        let b = tape.leaf(Tensor::scalar(10.0));
        let y = a + b;
        assert_eq!(y.value().as_slice(), &[11.0, 12.0]);
        // d/db Σ(a + b) = number of elements b was broadcast over
        let g = y.sum().backward();
        assert_eq!(g.wrt(a).as_slice(), &[1.0, 1.0]);
        assert_eq!(g.wrt(b).item(), 2.0);
    }

    #[test]
    fn add_rejects_incompatible_shapes() {
        let tape = Tape::<f32>::new();
        let a = tape.leaf(Tensor::zeros(&[2, 3]));
        let b = tape.leaf(Tensor::zeros(&[4]));
        let e = a.try_add(b).unwrap_err();
        assert_eq!(e.op, "add");
        assert!(e.message.contains("[2, 3] and [4]"), "{e}");
        assert!(e.location.file().ends_with("add.rs"), "{e}");
    }

    #[test]
    fn add_gradcheck_order2() {
        let a = Tensor::from_vec(vec![0.1, -0.4, 0.9, 1.3, -2.0, 0.5], &[2, 3]);
        let b = Tensor::vector(vec![0.3, 0.7, -1.1]);
        assert_gradients(|x| (x[0] + x[1]) * (x[0] + x[1]), &[a, b], 2);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn add_gradients_match_finite_differences((a, b) in broadcast_tensors(-2.0, 2.0)) {
            assert_gradients(|x| (x[0] + x[1]) * x[1], &[a.clone(), b], 2);
            assert_gradients(|x| x[0] + x[0], &[a], 1);
        }
    }
}
