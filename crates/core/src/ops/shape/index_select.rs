//! `index_select`: whole slices along one axis picked by a list of indices, and
//! `IndexAdd`, its adjoint, which adds slices back into zeros. Each one's VJP is the other.

use crate::ops::resolve_axis_for;
use crate::{Error, Float, InputGrads, Op, Tensor, TensorError, Var};
use std::sync::Arc;

/// `y[…, k, …] = x[…, indices[k], …]` along `axis` (repeats allowed, any order).
/// `dx = index_add(dy)`: zeros of `x`'s shape with slice `k` of `dy` added at
/// `indices[k]`, so a repeated index sums its cotangents.
pub struct IndexSelect {
    /// The axis slices are picked along.
    pub axis: usize,
    /// Which slices, in output order (shared with the VJP's op, not copied).
    pub indices: Arc<[usize]>,
}

impl<T: Float> Op<T> for IndexSelect {
    fn name(&self) -> &str {
        "index_select"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        xs[0].index_select(self.axis, &self.indices)
    }
    fn vjp<'t>(&self, xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let add = IndexAdd {
            axis: self.axis,
            size: xs[0].shape()[self.axis],
            indices: self.indices.clone(),
        };
        [Some(dy.tape.apply(add, &[dy]))].into()
    }
    fn label(&self) -> String {
        format!(
            "index_select(axis={}, {} indices)",
            self.axis,
            self.indices.len()
        )
    }
}

/// `y` = zeros with `axis` of length `size`, plus `x[…, k, …]` added at
/// `y[…, indices[k], …]` for every `k` (repeats sum): the adjoint of [`IndexSelect`].
/// `dx = index_select(dy, axis, indices)`.
pub struct IndexAdd {
    /// The axis slices are added along.
    pub axis: usize,
    /// The length of `axis` in the result.
    pub size: usize,
    /// Where slice `k` of the input goes.
    pub indices: Arc<[usize]>,
}

impl<T: Float> Op<T> for IndexAdd {
    fn name(&self) -> &str {
        "index_add"
    }
    fn forward(&self, xs: &[&Tensor<T>]) -> Result<Tensor<T>, TensorError> {
        let mut shape = xs[0].shape().to_vec();
        if let Some(d) = shape.get_mut(self.axis) {
            *d = self.size;
        }
        xs[0].index_add_into(&shape, self.axis, &self.indices)
    }
    fn vjp<'t>(&self, _xs: &[Var<'t, T>], _y: Var<'t, T>, dy: Var<'t, T>) -> InputGrads<'t, T> {
        let select = IndexSelect {
            axis: self.axis,
            indices: self.indices.clone(),
        };
        [Some(dy.tape.apply(select, &[dy]))].into()
    }
    fn label(&self) -> String {
        format!(
            "index_add(axis={}, size={}, {} indices)",
            self.axis,
            self.size,
            self.indices.len()
        )
    }
}

impl<'t, T: Float> Var<'t, T> {
    /// The slices at `indices` along `axis` (negative counts from the end), or the error
    /// for an axis or an index out of range.
    #[track_caller]
    pub fn try_index_select(self, axis: isize, indices: &[usize]) -> Result<Self, Error> {
        let axis = resolve_axis_for("index_select", axis, &self.shape())?;
        let indices = indices.into();
        self.tape.try_apply(IndexSelect { axis, indices }, &[self])
    }

    /// The slices at `indices` along `axis` (negative counts from the end), in that order;
    /// repeats allowed.
    #[track_caller]
    pub fn index_select(self, axis: isize, indices: &[usize]) -> Self {
        self.try_index_select(axis, indices)
            .unwrap_or_else(|e| panic!("{e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::IndexAdd;
    use crate::testing::{assert_gradients, shape, tensor_in};
    use crate::{Tape, Tensor};
    use proptest::prelude::*;

    #[test]
    fn index_select_matches_literal() {
        let tape = Tape::<f64>::new();
        // x = [[0, 1], [2, 3], [4, 5]]
        let x = tape.leaf(Tensor::arange(6).reshape(&[3, 2]).unwrap());
        let y = x.index_select(0, &[2, 0, 2]);
        assert_eq!(y.value().as_slice(), &[4., 5., 0., 1., 4., 5.]);
        assert_eq!(x.index_select(-1, &[1]).value().as_slice(), &[1., 3., 5.]);
        // d/dx Σ y²: row 2 picked twice gives 2·2x, row 0 once gives 2x, row 1 none
        let dx = (y * y).sum().backward().wrt(x);
        assert_eq!(dx.as_slice(), &[0., 2., 0., 0., 16., 20.]);
    }

    #[test]
    fn index_add_matches_literal() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::from_vec(vec![1., 2., 3.], &[1, 3]));
        let add = IndexAdd {
            axis: 1,
            size: 2,
            indices: vec![1, 0, 1].into(),
        };
        let y = tape.apply(add, &[x]);
        assert_eq!(y.value().as_slice(), &[2., 4.]);
        // d/dx Σ w ⊙ y = w at each index: w = [10, 20] read at [1, 0, 1]
        let w = tape.constant(Tensor::from_vec(vec![10., 20.], &[1, 2]));
        assert_eq!((y * w).sum().backward().wrt(x).as_slice(), &[20., 10., 20.]);
    }

    #[test]
    fn index_select_rejects_bad_index() {
        let tape = Tape::<f64>::new();
        let x = tape.leaf(Tensor::zeros(&[3, 2]));
        let e = x.try_index_select(0, &[0, 3]).unwrap_err();
        assert_eq!(e.op, "index_select");
        assert!(
            e.message.contains("index 3") && e.message.contains("[3, 2]"),
            "{e}"
        );
        let e = x.try_index_select(2, &[0]).unwrap_err();
        assert_eq!(e.op, "index_select");
        assert!(
            e.message.contains("axis 2") && e.message.contains("[3, 2]"),
            "{e}"
        );
        let add = IndexAdd {
            axis: 0,
            size: 2,
            indices: vec![0, 2, 1].into(),
        };
        let e = tape.try_apply(add, &[x]).unwrap_err();
        assert_eq!(e.op, "index_add");
        assert!(e.message.contains("index 2"), "{e}");
    }

    #[test]
    fn index_select_gradcheck_order2() {
        let x = Tensor::from_vec(vec![0.5, -1.0, 2.0, 0.1, 0.7, -0.3], &[3, 2]);
        assert_gradients(
            |x| {
                let s = x[0].index_select(0, &[2, 0, 2, 1]);
                s * s
            },
            std::slice::from_ref(&x),
            2,
        );
        assert_gradients(|x| x[0].index_select(1, &[1, 0]) * x[0], &[x], 2);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20))]
        #[test]
        fn index_select_gradients_match_finite_differences(
            (x, axis, indices) in shape(4)
                .prop_filter("rank ≥ 1", |s| !s.is_empty())
                .prop_flat_map(|s| { let r = s.len(); (Just(s), 0..r) })
                .prop_flat_map(|(s, axis)| {
                    let d = s[axis];
                    (tensor_in(s, -2.0, 2.0), Just(axis), proptest::collection::vec(0..d, 0..=4))
                })
        ) {
            let y = Tape::new().leaf(x.clone()).index_select(axis as isize, &indices).value();
            prop_assert_eq!(y, x.index_select(axis, &indices).unwrap());
            assert_gradients(move |x| { let s = x[0].index_select(axis as isize, &indices); s * s }, &[x], 2);
        }
    }
}
