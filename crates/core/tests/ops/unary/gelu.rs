//! Tests of `src/ops/unary/gelu.rs`.

use crate::support::{assert_close, derivatives};
use proptest::prelude::*;
use tapegrad_check::testing::{any_tensor, assert_gradients, check_op};
use tapegrad_core::ops::unary::{Gelu, GeluGrad};
use tapegrad_core::{Tape, Tensor, Var};

/// PyTorch 2.15, `gelu(x, approximate="tanh")` in float64, its gradient and second
/// derivative (`autograd.grad` with `create_graph`).
const XS: [f64; 9] = [-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 30.0, -30.0];
const TORCH_Y: [f64; 9] = [
    -0.0036373920817729943,
    -0.15880800939172324,
    -0.15428599017485606,
    0.0,
    0.34571400982514394,
    0.8411919906082768,
    1.954597694087775,
    30.0,
    -0.0,
];
const TORCH_D1: [f64; 9] = [
    -0.011584166630969648,
    -0.08296408384578252,
    0.13263009646535764,
    0.5,
    0.8673699035346424,
    1.0829640838457826,
    1.0860992566236183,
    1.0,
    0.0,
];
const TORCH_D2: [f64; 9] = [
    -0.03176765888607492,
    0.24214819798377296,
    0.615506895115985,
    0.7978845608028654,
    0.615506895115985,
    0.24214819798377296,
    -0.10787507995107845,
    0.0,
    0.0,
];

#[test]
fn gelu_matches_pytorch_with_two_derivatives() {
    let [y, d1, d2] = derivatives(|x| x.gelu(), &XS);
    assert_close(&y, &TORCH_Y, 1e-15);
    assert_close(&d1, &TORCH_D1, 1e-15);
    assert_close(&d2, &TORCH_D2, 1e-14);
    assert!(
        y[8] == 0.0 && y[8].is_sign_negative(),
        "gelu(-30) = {}",
        y[8]
    );
}

#[test]
fn gelu_is_the_composed_formula_to_the_bit_in_f32_and_f64() {
    fn composed<'t, T: tapegrad_core::Float>(x: Var<'t, T>) -> Var<'t, T> {
        let c = T::from_f64((2.0 / std::f64::consts::PI).sqrt());
        let inner = (x + x * x * x * T::from_f64(0.044715)) * c;
        x * T::from_f64(0.5) * (inner.tanh() + T::ONE)
    }
    let xs: Vec<f64> = (0..2000).map(|i| (i as f64 - 1000.0) / 97.0).collect();
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(xs.clone()));
    assert_eq!(x.gelu().value().as_slice(), composed(x).value().as_slice());
    let tape = Tape::<f32>::new();
    let x = tape.leaf(Tensor::vector(xs).cast::<f32>());
    assert_eq!(x.gelu().value().as_slice(), composed(x).value().as_slice());
}

#[test]
fn gelu_large_and_special_inputs() {
    // huge inputs: exact values and gradients 0 and 1 (no 0·∞ in the polynomial's
    // derivative, whose square overflows past 1e154); ±∞ and NaN give NaN gradients, as
    // PyTorch's
    let xs = [
        -1e300,
        1e300,
        -0.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NAN,
    ];
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(xs.to_vec()));
    let y = x.gelu();
    let v = y.value();
    assert_eq!(&v.as_slice()[..2], &[0.0, 1e300]);
    assert!(v.as_slice()[0].is_sign_negative() && v.as_slice()[2].is_sign_negative());
    assert_eq!(v.as_slice()[3], f64::INFINITY);
    assert!(v.as_slice()[4].is_nan() && v.as_slice()[5].is_nan());
    let g = y.sum().backward().wrt(x);
    assert_eq!(&g.as_slice()[..3], &[0.0, 1.0, 0.5]);
    assert!(g.as_slice()[3..].iter().all(|d| d.is_nan()), "{g:?}");
    let [_, d1, d2] = derivatives(|x| x.gelu(), &[-1e30, 1e30]);
    assert_eq!((d1, d2), (vec![0.0, 1.0], vec![0.0, 0.0]));
}

#[test]
fn gelu_gradcheck_order2() {
    assert_gradients(
        |x| x[0].gelu(),
        &[Tensor::vector(vec![0.3, -1.2, 2.0, -4.0])],
        2,
    );
}

#[test]
fn gelu_and_its_vjp_pass_the_op_authors_kit() {
    check_op(1, || Gelu).assert();
    // two inputs, broadcasting; gradients of order 1 and 2: gelu's third derivative
    check_op(2, || GeluGrad).assert();
}

#[test]
fn gelu_grad_is_dy_times_the_derivative_and_batches() {
    // a batch of two cotangents against one x: the derivative broadcast
    let tape = Tape::<f64>::new();
    let x = tape.leaf(Tensor::vector(XS.to_vec()));
    let dy = tape.leaf(Tensor::from_fn(&[2, XS.len()], |i| {
        if i < XS.len() {
            1.0
        } else {
            -2.0
        }
    }));
    let dx = tape.apply(GeluGrad, &[x, dy]).value();
    let want: Vec<f64> = TORCH_D1
        .into_iter()
        .chain(TORCH_D1.map(|d| -2.0 * d))
        .collect();
    assert_close(dx.as_slice(), &want, 1e-15);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]
    #[test]
    fn gelu_gradients_match_finite_differences(x in any_tensor(-5.0, 5.0)) {
        assert_gradients(|x| x[0].gelu() * x[0], &[x], 2);
    }
}
