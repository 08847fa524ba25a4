//! Tests of `src/ops/linalg/matmul.rs`.

use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, tensor_in};
use tapegrad_core::{Tape, Tensor};

#[test]
fn matmul_matches_literal() {
    let tape = Tape::<f64>::new();
    let a = tape.leaf(Tensor::from_vec(vec![1., 2., 3., 4.], &[2, 2]));
    let b = tape.leaf(Tensor::from_vec(vec![5., 6., 7., 8.], &[2, 2]));
    let c = a.matmul(b);
    assert_eq!(c.value().as_slice(), &[19., 22., 43., 50.]);
    // d Σ(AB)/dA = 1·Bᵀ: row sums of B; d/dB = Aᵀ·1: column sums of A
    let g = c.sum().backward();
    assert_eq!(g.wrt(a).as_slice(), &[11., 15., 11., 15.]);
    assert_eq!(g.wrt(b).as_slice(), &[4., 4., 6., 6.]);
}

#[test]
fn vector_cases_drop_the_vector_axis() {
    let tape = Tape::<f64>::new();
    let v = tape.leaf(Tensor::vector(vec![1., 2., 3.]));
    assert_eq!(v.matmul(v).shape().as_slice(), &[] as &[usize]);
    assert_eq!(v.matmul(v).item(), 14.0);
    let m = tape.leaf(Tensor::ones(&[4, 3, 2]));
    assert_eq!(v.matmul(m).shape().as_slice(), &[4, 2]);
}

#[test]
fn matmul_rejects_inner_mismatch_with_callers_line() {
    let tape = Tape::<f32>::new();
    let a = tape.leaf(Tensor::zeros(&[2, 3]));
    let b = tape.leaf(Tensor::zeros(&[4, 5]));
    let e = a.try_matmul(b).unwrap_err();
    let line = line!() - 1;
    assert_eq!(
        e.to_string(),
        format!(
            "matmul: inner dimensions differ: [2, 3] x [4, 5] (at {}:{line}:15)",
            file!()
        )
    );
    let v = tape.leaf(Tensor::zeros(&[4]));
    assert_eq!(
        a.try_matmul(v).unwrap_err().message,
        "inner dimensions differ: [2, 3] x [4]"
    );
}

#[test]
fn matmul_gradcheck_order2() {
    let a = Tensor::rand_normal(&[2, 3], 0.0, 1.0, 1);
    let b = Tensor::rand_normal(&[3, 2], 0.0, 1.0, 2);
    assert_gradients(
        |x| {
            let c = x[0].matmul(x[1]);
            c * c
        },
        &[a.clone(), b],
        2,
    );
    // the same variable on both sides
    let sq = Tensor::rand_normal(&[3, 3], 0.0, 1.0, 3);
    assert_gradients(|x| x[0].matmul(x[0]), &[sq], 2);
    let v = Tensor::rand_normal(&[3], 0.0, 1.0, 4);
    assert_gradients(
        |x| {
            let c = x[0].matmul(x[1]);
            c * c
        },
        &[a, v],
        2,
    );
}

#[test]
fn hessian_vector_product_of_quadratic_form_is_a_v() {
    // f(x) = ½ xᵀAx with A symmetric: ∇f = Ax, and ∇(∇f·v) = Av.
    let tape = Tape::<f64>::new();
    let a = tape.constant(Tensor::from_vec(
        vec![2., 1., 0., 1., 3., -1., 0., -1., 4.],
        &[3, 3],
    ));
    let x = tape.leaf(Tensor::vector(vec![0.5, -1.0, 2.0]));
    let v = tape.constant(Tensor::vector(vec![1.0, 0.0, -2.0]));
    let f = x.matmul(a.matmul(x)) * 0.5;
    let g = tape.grad(f, &[x])[0];
    let hv = tape.grad((g * v).sum(), &[x])[0];
    assert_eq!(hv.value().as_slice(), &[2.0, 3.0, -8.0]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20))]
    #[test]
    fn matmul_gradients_match_finite_differences(
        (a, b) in (1usize..=3, 1usize..=3, 1usize..=3, 0usize..=2, any::<bool>())
            .prop_flat_map(|(m, k, n, batch, bcast)| {
                let mut sa = vec![2; batch];
                let mut sb = vec![if bcast { 1 } else { 2 }; batch];
                sa.extend([m, k]);
                sb.extend([k, n]);
                (tensor_in(sa, -1.5, 1.5), tensor_in(sb, -1.5, 1.5))
            })
    ) {
        assert_gradients(|x| { let c = x[0].matmul(x[1]); c * c }, &[a, b], 2);
    }
}

/// The matrix products `tape.grad` records for `Σ A·B` with `A` a constant or a leaf.
fn products_recorded(a_is_constant: bool) -> usize {
    let tape = Tape::<f64>::new();
    let a = Tensor::from_vec(vec![1., 2., 3., 4.], &[2, 2]);
    let a = if a_is_constant {
        tape.constant(a)
    } else {
        tape.leaf(a)
    };
    let b = tape.leaf(Tensor::from_vec(vec![5., 6., 7., 8.], &[2, 2]));
    let y = a.matmul(b).sum();
    let before = tape.nodes().len();
    let db = tape.grad(y, &[b])[0];
    assert_eq!(db.value().as_slice(), &[4., 4., 6., 6.]);
    tape.nodes()
        .skip(before)
        .filter(|n| n.name() == "matmul")
        .count()
}

#[test]
fn a_constant_operands_gradient_is_not_computed() {
    // With A a leaf, the backward records dA = 1·Bᵀ and dB = Aᵀ·1. With A constant, dA
    // (which involves the leaf B, so it would be recorded) is skipped, and dB = Aᵀ·1
    // involves no leaf: a constant value, not a recorded product.
    assert_eq!((products_recorded(false), products_recorded(true)), (2, 0));
}
