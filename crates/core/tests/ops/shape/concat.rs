//! Tests of `src/ops/shape/concat.rs`.

use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, shape, tensor_in};
use tapegrad_core::{Tape, Tensor, Var};

#[test]
fn concat_matches_literal() {
    let tape = Tape::<f64>::new();
    let a = tape.leaf(Tensor::from_vec(vec![1., 2., 3., 4.], &[2, 2]));
    let b = tape.leaf(Tensor::from_vec(vec![5., 6.], &[2, 1]));
    let y = Var::concat(&[a, b, a], -1);
    assert_eq!(y.shape().as_slice(), &[2, 5]);
    assert_eq!(
        y.value().as_slice(),
        &[1., 2., 5., 1., 2., 3., 4., 6., 3., 4.]
    );
    // d/d· Σ w ⊙ y with w[i][j] = j: a appears at columns 0,1 and 3,4, b at column 2
    let w = tape.constant(Tensor::from_fn(&[2, 5], |k| (k % 5) as f64));
    let g = (y * w).sum().backward();
    assert_eq!(g.wrt(a).as_slice(), &[3., 5., 3., 5.]);
    assert_eq!(g.wrt(b).as_slice(), &[2., 2.]);
}

#[test]
fn stack_matches_literal() {
    let tape = Tape::<f64>::new();
    let a = tape.leaf(Tensor::vector(vec![1., 2.]));
    let b = tape.leaf(Tensor::vector(vec![3., 4.]));
    let rows = Var::stack(&[a, b], 0);
    assert_eq!(rows.shape().as_slice(), &[2, 2]);
    assert_eq!(rows.value().as_slice(), &[1., 2., 3., 4.]);
    let cols = Var::stack(&[a, b, a], -1);
    assert_eq!(cols.shape().as_slice(), &[2, 3]);
    assert_eq!(cols.value().as_slice(), &[1., 3., 1., 2., 4., 2.]);
    // d/da Σ cols² = 2a twice (a is stacked twice)
    let g = (cols * cols).sum().backward();
    assert_eq!(g.wrt(a).as_slice(), &[4., 8.]);
    assert_eq!(g.wrt(b).as_slice(), &[6., 8.]);
    // scalars stack into a vector
    let s = Var::stack(&[tape.leaf(Tensor::scalar(7.0)), a.sum()], 0);
    assert_eq!(s.value().as_slice(), &[7., 3.]);
}

#[test]
fn concat_rejects_mismatched_shapes() {
    let tape = Tape::<f64>::new();
    let a = tape.leaf(Tensor::zeros(&[2, 3]));
    let b = tape.leaf(Tensor::zeros(&[3, 3]));
    let e = Var::try_concat(&[a, b], 1).unwrap_err();
    assert_eq!(e.op, "concat");
    assert!(
        e.message.contains("[2, 3]") && e.message.contains("[3, 3]"),
        "{e}"
    );
    assert!(Var::try_concat(&[a, b], 0).is_ok());
    let e = Var::try_concat(&[a, b], 2).unwrap_err();
    assert!(
        e.message.contains("axis 2") && e.message.contains("[2, 3]"),
        "{e}"
    );
    let e = Var::try_concat(&[a, tape.leaf(Tensor::zeros(&[2]))], 0).unwrap_err();
    assert!(e.message.contains("[2]"), "{e}");
    assert_eq!(Var::<f64>::try_concat(&[], 0).unwrap_err().op, "concat");
    let e = Var::try_stack(&[a, b], 0).unwrap_err();
    assert_eq!(e.op, "stack");
    assert!(
        e.message.contains("[2, 3]") && e.message.contains("[3, 3]"),
        "{e}"
    );
    let e = Var::try_stack(&[a, a], 3).unwrap_err();
    assert_eq!(e.op, "stack");
    assert!(e.message.contains("axis 3"), "{e}");
    assert_eq!(
        Var::try_stack(&[a, a], -3).unwrap().shape().as_slice(),
        &[2, 2, 3]
    );
}

#[test]
fn stack_error_points_at_the_callers_line() {
    // stack is composed of resolve/reshape/concat; the error must still name this line
    let tape = Tape::<f64>::new();
    let a = tape.leaf(Tensor::zeros(&[2]));
    let (e, here) = (Var::try_stack(&[a, a], 2).unwrap_err(), line!());
    assert_eq!((e.location.file(), e.location.line()), (file!(), here));
    let (e, here) = (a.try_transpose(0, 1).unwrap_err(), line!());
    assert_eq!(e.location.line(), here);
}

#[test]
fn concat_gradcheck_order2() {
    let a = Tensor::from_vec(vec![0.5, -1.0, 2.0, 0.1, 0.7, -0.3], &[2, 3]);
    let b = Tensor::from_vec(vec![1.5, -0.2, 0.4], &[1, 3]);
    assert_gradients(
        |x| {
            let c = Var::concat(&[x[0], x[1], x[0]], 0);
            c * c
        },
        &[a.clone(), b],
        2,
    );
    assert_gradients(
        |x| {
            let s = Var::stack(&[x[0], x[0] * x[0]], 1);
            s * s
        },
        &[a],
        2,
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20))]
    #[test]
    fn concat_gradients_match_finite_differences(
        (a, b, axis) in shape(4)
            .prop_filter("rank ≥ 1", |s| !s.is_empty())
            .prop_flat_map(|s| { let r = s.len(); (Just(s), 0..r, 1usize..=3) })
            .prop_flat_map(|(s, axis, len_b)| {
                let mut sb = s.clone();
                sb[axis] = len_b;
                (tensor_in(s, -2.0, 2.0), tensor_in(sb, -2.0, 2.0), Just(axis))
            })
    ) {
        let ax = axis as isize;
        let y = {
            let tape = Tape::new();
            Var::concat(&[tape.leaf(a.clone()), tape.leaf(b.clone())], ax).value()
        };
        prop_assert_eq!(y, Tensor::concat(&[&a, &b], axis).unwrap());
        assert_gradients(move |x| { let c = Var::concat(&[x[0], x[1], x[0]], ax); c * c }, &[a.clone(), b], 2);
        assert_gradients(move |x| { let s = Var::stack(&[x[0], x[0]], ax); s * s }, &[a], 2);
    }
}
