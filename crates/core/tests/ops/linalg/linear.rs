//! Tests of `src/ops/linalg/linear.rs`.

use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, check_op, tensor_in, Shapes};
use tapegrad_core::ops::linalg::Linear;
use tapegrad_core::{Tape, Tensor};

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

#[test]
fn a_constant_inputs_gradient_is_not_computed() {
    // x·Wᵀ with x a constant batch (a first layer): dx = dy·W (which involves the leaf W,
    // so it would be recorded) is skipped; dW = dyᵀ·x involves no leaf: a constant value.
    let tape = Tape::<f64>::new();
    let x = tape.constant(Tensor::from_vec(vec![1., 2., 3., 4.], &[2, 2]));
    let w = tape.leaf(Tensor::from_vec(vec![1., 0., 0., 1., 1., 1.], &[3, 2]));
    let y = x.linear(w, None).sum();
    let before = tape.nodes().len();
    let dw = tape.grad(y, &[w])[0];
    assert_eq!(dw.value().as_slice(), &[4., 6., 4., 6., 4., 6.]);
    let products = tape
        .nodes()
        .skip(before)
        .filter(|n| n.name() == "matmul")
        .count();
    assert_eq!(products, 0);
}

#[test]
fn linear_passes_the_op_authors_kit_with_its_fused_relu() {
    // the kit also checks `forward_into_then`: the relu applied in the product's tiles
    // must be forward's values relu'd, to the bit
    let shapes = (1usize..6, 1usize..5, 1usize..6)
        .prop_map(|(rows, k, outs)| vec![vec![rows, k], vec![outs, k], vec![outs]])
        .boxed();
    check_op(3, || Linear)
        .shapes(Shapes::Custom(shapes))
        .cases(12)
        .rejects(&[&[2, 3], &[4, 3], &[5]]) // a bias of 5 for 4 outputs
        .rejects(&[&[2, 3], &[4, 2], &[4]]) // inner dimensions 3 and 2
        .assert();
}
