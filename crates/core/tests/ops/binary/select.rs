//! Tests of `src/ops/binary/select.rs`.

use proptest::prelude::*;
use tapegrad_check::testing::{assert_gradients, broadcast_pair, tensor_in};
use tapegrad_core::{Tape, Tensor, Var};

#[test]
fn select_matches_literal() {
    let tape = Tape::<f64>::new();
    let a = tape.leaf(Tensor::vector(vec![1.0, 2.0, 3.0]));
    let b = tape.leaf(Tensor::scalar(10.0));
    let cond = Tensor::vector(vec![1.0, 0.0, -2.0]);
    let y = Var::select(&cond, a * a, b);
    assert_eq!(y.value().as_slice(), &[1.0, 10.0, 9.0]);
    // d/da = 2a where taken, 0 elsewhere; d/db = number of positions that took b
    let g = y.sum().backward();
    assert_eq!(g.wrt(a).as_slice(), &[2.0, 0.0, 6.0]);
    assert_eq!(g.wrt(b).item(), 1.0);
}

#[test]
fn select_mask_broadcasts_against_both_branches() {
    let tape = Tape::<f64>::new();
    let a = tape.leaf(Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], &[2, 2]));
    let b = tape.leaf(Tensor::vector(vec![-1.0, -2.0]));
    let cond = Tensor::from_vec(vec![1.0, 0.0], &[2, 1]); // row 0 from a, row 1 from b
    let y = Var::select(&cond, a, b);
    assert_eq!(y.value().as_slice(), &[1.0, 2.0, -1.0, -2.0]);
    let g = y.sum().backward();
    assert_eq!(g.wrt(a).as_slice(), &[1.0, 1.0, 0.0, 0.0]);
    assert_eq!(g.wrt(b).as_slice(), &[1.0, 1.0]);
}

#[test]
fn select_dead_branch_with_infinite_derivative_gives_nan() {
    // CONVENTIONS.md: the branch not taken still gets a zero cotangent, and
    // 0 · (d/dx 1/x at 0 = -inf) is NaN.
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![0.0, 2.0]));
    let live = Tensor::vector(vec![0.0, 1.0]);
    let one = tape.constant(Tensor::scalar(1.0));
    let zero = tape.constant(Tensor::scalar(0.0));
    let y = Var::select(&live, one / x, zero);
    assert_eq!(y.value().as_slice(), &[0.0, 0.5]);
    let g = y.sum().backward().wrt(x);
    assert!(g.as_slice()[0].is_nan(), "{g:?}");
    assert_eq!(g.as_slice()[1], -0.25);
}

#[test]
fn select_double_where_remedy_gives_finite_gradients() {
    // Sanitise the dead branch's input: 1/x is evaluated at 1 where it is not taken.
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(vec![0.0, 2.0]));
    let live = Tensor::vector(vec![0.0, 1.0]);
    let one = tape.constant(Tensor::scalar(1.0));
    let zero = tape.constant(Tensor::scalar(0.0));
    let y = Var::select(&live, one / Var::select(&live, x, one), zero);
    assert_eq!(y.value().as_slice(), &[0.0, 0.5]);
    assert_eq!(y.sum().backward().wrt(x).as_slice(), &[0.0, -0.25]);
    // and to second order: d²/dx² 1/x = 2/x³ = 0.25 at 2, 0 in the dead position
    let dx = tape.grad(y.sum(), &[x])[0];
    let ddx = tape.grad(dx.sum(), &[x])[0];
    assert_eq!(ddx.value().as_slice(), &[0.0, 0.25]);
}

#[test]
fn select_keeps_nan_cotangent_out_of_the_branch_not_taken() {
    // y = select(c, a, b) · w, with w = inf where b was taken: the cotangent there is
    // inf·… and must not reach `a` as 0·inf.
    let tape = Tape::<f64>::new();
    let a = tape.leaf(Tensor::vector(vec![1.0, 2.0]));
    let b = tape.leaf(Tensor::vector(vec![0.0, 0.0]));
    let w = tape.constant(Tensor::vector(vec![3.0, f64::INFINITY]));
    let y = Var::select(&Tensor::vector(vec![1.0, 0.0]), a, b) * w;
    let g = y.sum().backward();
    assert_eq!(g.wrt(a).as_slice(), &[3.0, 0.0]);
    assert_eq!(g.wrt(b).as_slice(), &[0.0, f64::INFINITY]);
}

#[test]
fn select_rejects_incompatible_shapes() {
    let tape = Tape::<f64>::new();
    let a = tape.leaf(Tensor::zeros(&[2, 3]));
    let b = tape.leaf(Tensor::zeros(&[3]));
    let e = Var::try_select(&Tensor::zeros(&[4]), a, b).unwrap_err();
    assert_eq!(e.op, "select");
    assert!(
        e.message.contains("[4]") && e.message.contains("[2, 3]") && e.message.contains("[3]"),
        "{e}"
    );
    assert!(e.location.file().ends_with("select.rs"), "{e}");
    let e = Var::try_select(&Tensor::zeros(&[3]), a, tape.leaf(Tensor::zeros(&[2])));
    assert!(e.is_err());
}

#[test]
fn select_gradcheck_order2() {
    let a = Tensor::from_vec(vec![0.1, -0.4, 0.9, 1.3, -2.0, 0.5], &[2, 3]);
    let b = Tensor::vector(vec![0.3, 0.7, -1.1]);
    let cond = Tensor::from_vec(vec![1.0, 0.0, 0.0, 1.0, 1.0, 0.0], &[2, 3]);
    assert_gradients(
        move |x| Var::select(&cond, x[0] * x[1], x[1] * x[1] * x[0]),
        &[a, b],
        2,
    );
}

/// Three shapes that broadcast together: a pair for the branches and, for the mask,
/// one of them or their common shape.
fn mask_and_branches() -> impl Strategy<Value = (Tensor<f64>, Tensor<f64>, Tensor<f64>)> {
    broadcast_pair(4).prop_flat_map(|(sa, sb)| {
        let full = tapegrad_core::tensor::broadcast_shapes(&sa, &sb)
            .unwrap()
            .to_vec();
        let mask_shape = prop_oneof![Just(sa.clone()), Just(sb.clone()), Just(full)];
        let mask = mask_shape.prop_flat_map(|s| {
            let n = tapegrad_core::tensor::numel(&s);
            proptest::collection::vec(any::<bool>(), n).prop_map(move |bits| {
                Tensor::from_vec(bits.into_iter().map(f64::from).collect(), &s)
            })
        });
        (mask, tensor_in(sa, -2.0, 2.0), tensor_in(sb, -2.0, 2.0))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn select_gradients_match_finite_differences((cond, a, b) in mask_and_branches()) {
        let c = cond.clone();
        assert_gradients(move |x| Var::select(&c, x[0] * x[1], x[1]) * x[0], &[a.clone(), b], 2);
        // the same variable in both branches
        let c = cond.clone();
        assert_gradients(move |x| Var::select(&c, x[0] * x[0], x[0]), &[a], 2);
    }
}
