//! Tests of `src/ops/shape/gather.rs`.

use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, shape, tensor_in};
use tapegrad_core::ops::shape::{IndexTensor, ScatterAdd};
use tapegrad_core::{Tape, Tensor};

#[test]
fn gather_matches_literal() {
    let tape = Tape::<f64>::new();
    // x = [[1, 2, 3], [4, 5, 6]]
    let x = tape.leaf(Tensor::from_vec(vec![1., 2., 3., 4., 5., 6.], &[2, 3]));
    let index = IndexTensor::from_vec(vec![2, 2, 0, 1], &[2, 2]);
    let y = x.gather(1, &index);
    // y[i][j] = x[i][index[i][j]]
    assert_eq!(y.value().as_slice(), &[3., 3., 4., 5.]);
    // d/dx Σ y²: x[0][2] read twice gives 2·2·3, x[1][0] gives 2·4, x[1][1] gives 2·5
    let dx = (y * y).sum().backward().wrt(x);
    assert_eq!(dx.as_slice(), &[0., 0., 12., 8., 10., 0.]);
    // one class per row, the cross-entropy pattern
    let picked = x.gather(-1, &IndexTensor::from_classes(&[1, 2]));
    assert_eq!(picked.shape().as_slice(), &[2, 1]);
    assert_eq!(picked.value().as_slice(), &[2., 6.]);
    // along axis 0: y[i][j] = x[index[i][j]][j]
    let down = x.gather(0, &IndexTensor::from_vec(vec![1, 0, 1], &[1, 3]));
    assert_eq!(down.value().as_slice(), &[4., 2., 6.]);
}

#[test]
fn scatter_add_matches_literal() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::from_vec(vec![1., 2., 3.], &[1, 3]));
    let index = IndexTensor::from_vec(vec![1, 1, 0], &[1, 3]);
    let y = tape.apply(ScatterAdd::new(&[2, 3], 0, index), &[x]);
    // y[index[0][j]][j] += x[0][j]
    assert_eq!(y.value().as_slice(), &[0., 0., 3., 1., 2., 0.]);
    // d/dx Σ w ⊙ y reads w where each x went: w[1][0], w[1][1], w[0][2]
    let w = tape.constant(Tensor::arange(6).reshape(&[2, 3]).unwrap());
    assert_eq!((y * w).sum().backward().wrt(x).as_slice(), &[3., 4., 2.]);
}

#[test]
fn gather_rejects_bad_index() {
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::zeros(&[2, 3]));
    let e = x
        .try_gather(1, &IndexTensor::from_classes(&[0, 3]))
        .unwrap_err();
    assert_eq!(e.op, "gather");
    assert!(
        e.message.contains("index 3") && e.message.contains("[2, 3]"),
        "{e}"
    );
    let e = x
        .try_gather(2, &IndexTensor::from_classes(&[0, 0]))
        .unwrap_err();
    assert_eq!(e.op, "gather");
    assert!(
        e.message.contains("axis 2") && e.message.contains("[2, 3]"),
        "{e}"
    );
    // more rows in the index than in x
    let e = x
        .try_gather(1, &IndexTensor::from_classes(&[0, 0, 0]))
        .unwrap_err();
    assert!(
        e.message.contains("[3, 1]") && e.message.contains("[2, 3]"),
        "{e}"
    );
    // rank mismatch
    let e = x
        .try_gather(0, &IndexTensor::from_vec(vec![0], &[1]))
        .unwrap_err();
    assert!(
        e.message.contains("[1]") && e.message.contains("[2, 3]"),
        "{e}"
    );
    let scatter = ScatterAdd::new(&[2, 3], 1, IndexTensor::from_classes(&[0, 0]));
    let e = tape.try_apply(scatter, &[x]).unwrap_err();
    assert_eq!(e.op, "scatter_add");
    assert!(
        e.message.contains("[2, 3]") && e.message.contains("[2, 1]"),
        "{e}"
    );
}

#[test]
fn gather_gradcheck_order2() {
    let x = Tensor::from_vec(vec![0.5, -1.0, 2.0, 0.1, 0.7, -0.3], &[2, 3]);
    let index = IndexTensor::from_vec(vec![2, 2, 0, 1, 0, 0], &[2, 3]);
    assert_gradients(
        |x| {
            let g = x[0].gather(1, &index);
            g * g
        },
        std::slice::from_ref(&x),
        2,
    );
    let classes = IndexTensor::from_classes(&[1, 0]);
    assert_gradients(|x| x[0].gather(1, &classes) * x[0], &[x], 2);
}

/// A tensor, an axis, and an index of the tensor's rank that fits it along that axis.
fn gather_case() -> impl Strategy<Value = (Tensor<f64>, usize, IndexTensor)> {
    shape(4)
        .prop_filter("rank ≥ 1", |s| !s.is_empty())
        .prop_flat_map(|s| {
            let r = s.len();
            let index_shape: Vec<_> = s.iter().map(|&d| 1..=d).collect();
            (Just(s), 0..r, index_shape, 1usize..=4)
        })
        .prop_flat_map(|(s, axis, mut index_shape, along)| {
            index_shape[axis] = along;
            let n: usize = index_shape.iter().product();
            let d = s[axis];
            (
                tensor_in(s, -2.0, 2.0),
                Just(axis),
                proptest::collection::vec(0..d, n)
                    .prop_map(move |v| IndexTensor::from_vec(v, &index_shape)),
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20))]
    #[test]
    fn gather_gradients_match_finite_differences((x, axis, index) in gather_case()) {
        let y = Tape::new().leaf(x.clone()).gather(axis as isize, &index).value();
        prop_assert_eq!(y.shape(), index.shape());
        // the element read at each position, by explicit multi-index arithmetic
        for (k, &v) in y.as_slice().iter().enumerate() {
            let mut rest = k;
            let mut at = vec![0; index.shape().len()];
            for d in (0..at.len()).rev() {
                at[d] = rest % index.shape()[d];
                rest /= index.shape()[d];
            }
            at[axis] = index.as_slice()[k];
            prop_assert_eq!(v, x.at(&at));
        }
        assert_gradients(move |x| { let g = x[0].gather(axis as isize, &index); g * g }, &[x], 2);
    }
}
