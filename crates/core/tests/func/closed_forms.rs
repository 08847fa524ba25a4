//! Each transform against a closed form: a linear map's Jacobian is its matrix, a
//! quadratic form's Hessian is `A + Aᵀ`, Rosenbrock's Hessian, and literal values.

use crate::support::{assert_close, wavy};
use tapegrad_core::{func, Float, Tensor, Var};

fn matrix<T: Float>() -> Tensor<T> {
    Tensor::from_vec(
        [1.0, -2.0, 0.5, 3.0, 0.0, 4.0].map(T::from_f64).to_vec(),
        &[3, 2],
    )
}

fn linear_map_jacobian_is_its_matrix_for<T: Float>() {
    let a = matrix::<T>();
    let f = func::function(|xs: &[Var<'_, T>]| xs[0].constant(a.clone()).matmul(xs[0]));
    let x = [wavy::<T>(&[2], 0.3)];
    for j in [
        func::jacobian(f, &x).unwrap(),
        func::jacrev(f, &x).unwrap(),
        func::jacfwd(f, &x).unwrap(),
    ] {
        assert_eq!(j[0].shape(), &[3, 2]);
        assert_eq!(j[0].as_slice(), a.as_slice());
    }
}

#[test]
fn linear_map_jacobian_is_its_matrix() {
    linear_map_jacobian_is_its_matrix_for::<f32>();
    linear_map_jacobian_is_its_matrix_for::<f64>();
}

fn quadratic_form_hessian_is_a_plus_transpose_for<T: Float>() {
    // x'Ax with a non-symmetric A: ∇ = (A + A')x, H = A + A'
    let a = Tensor::from_vec(
        [1.0, 2.0, -1.0, 0.5, 3.0, 4.0, 0.0, -2.0, 1.5]
            .map(T::from_f64)
            .to_vec(),
        &[3, 3],
    );
    let f = func::function(|xs: &[Var<'_, T>]| {
        let x = xs[0].reshape(&[3, 1]);
        x.t().matmul(x.constant(a.clone()).matmul(x)).sum()
    });
    let h = func::hessian(f, &[wavy::<T>(&[3], 1.0)]).unwrap();
    let want = Tensor::from_fn(&[3, 3], |k| {
        a.as_slice()[k] + a.as_slice()[(k % 3) * 3 + k / 3]
    });
    assert_close(&h[0][0], &want, 1e-6);
}

#[test]
fn quadratic_form_hessian_is_a_plus_transpose() {
    quadratic_form_hessian_is_a_plus_transpose_for::<f32>();
    quadratic_form_hessian_is_a_plus_transpose_for::<f64>();
}

/// Rosenbrock's `(1 - x)² + 100 (y - x²)²` on a vector `[x, y]`.
fn rosenbrock<'t, T: Float>(xs: &[Var<'t, T>]) -> Var<'t, T> {
    let (x, y) = (xs[0].narrow(0, 0, 1), xs[0].narrow(0, 1, 1));
    let one_minus_x = x * T::from_f64(-1.0) + T::ONE;
    let bend = y - x * x;
    (one_minus_x * one_minus_x + bend * bend * T::from_f64(100.0)).sum()
}

#[test]
fn rosenbrock_gradient_and_hessian_match_closed_forms() {
    let (x, y) = (-1.2, 1.0);
    let at = [Tensor::vector(vec![x, y])];
    let (value, grad) = func::value_and_grad(rosenbrock::<f64>, &at).unwrap();
    assert_close(
        &value,
        &Tensor::scalar((1.0 - x) * (1.0 - x) + 100.0 * (y - x * x).powi(2)),
        1e-12,
    );
    let dx = -2.0 * (1.0 - x) - 400.0 * x * (y - x * x);
    assert_close(
        &grad[0],
        &Tensor::vector(vec![dx, 200.0 * (y - x * x)]),
        1e-12,
    );
    let h = func::hessian(rosenbrock::<f64>, &at).unwrap();
    let want = vec![
        2.0 - 400.0 * (y - x * x) + 800.0 * x * x,
        -400.0 * x,
        -400.0 * x,
        200.0,
    ];
    assert_close(&h[0][0], &Tensor::from_vec(want, &[2, 2]), 1e-12);
}

#[test]
fn vjp_and_jvp_match_literals() {
    // y = x0 · x1 elementwise: vjp(u) = (u x1, u x0), jvp(v0, v1) = x1 v0 + x0 v1
    let x = [
        Tensor::vector(vec![1.0, 2.0]),
        Tensor::vector(vec![3.0, -4.0]),
    ];
    let f = func::function(|xs: &[Var<'_, f64>]| xs[0] * xs[1]);
    let (y, v) = func::vjp(f, &x, &Tensor::vector(vec![0.5, 2.0])).unwrap();
    assert_eq!(y.as_slice(), &[3.0, -8.0]);
    assert_eq!(
        (v[0].as_slice(), v[1].as_slice()),
        (&[1.5, -8.0][..], &[0.5, 4.0][..])
    );
    let t = [
        Tensor::vector(vec![1.0, 1.0]),
        Tensor::vector(vec![2.0, 0.0]),
    ];
    let (_, jv) = func::jvp(f, &x, &t).unwrap();
    assert_eq!(jv.as_slice(), &[3.0 + 2.0, -4.0]);
}

#[test]
fn grad_of_a_scalar_input_is_a_scalar() {
    // f = x³ at 2: 12; H = 6x = 12; shapes [] and [] + [] = []
    let f = func::function(|xs: &[Var<'_, f64>]| xs[0] * xs[0] * xs[0]);
    let x = [Tensor::scalar(2.0)];
    assert_eq!(func::grad(f, &x).unwrap()[0], Tensor::scalar(12.0));
    let h = func::hessian(f, &x).unwrap();
    assert_eq!((h[0][0].shape(), h[0][0].item()), (&[][..], 12.0));
}

#[test]
fn function_independent_of_an_input_has_zero_derivatives() {
    let f = func::function(|xs: &[Var<'_, f64>]| (xs[0] * xs[0]).sum());
    let x = [Tensor::vector(vec![1.0, 2.0]), Tensor::zeros(&[2, 2])];
    let j = func::jacfwd(f, &x).unwrap();
    assert_eq!(
        (j[1].shape(), j[1].as_slice()),
        (&[2, 2][..], &[0.0; 4][..])
    );
    let h = func::hessian(f, &x).unwrap();
    assert_eq!(h[0][1].shape(), &[2, 2, 2]);
    assert!(h[1][1].as_slice().iter().all(|&v| v == 0.0));
    // and a function of none of its inputs
    let c = func::function(|xs: &[Var<'_, f64>]| xs[0].constant(Tensor::vector(vec![1.0, 2.0])));
    assert_eq!(func::jacrev(c, &x).unwrap()[1].as_slice(), &[0.0; 8]);
    assert_eq!(func::jacfwd(c, &x).unwrap()[0].as_slice(), &[0.0; 4]);
}
