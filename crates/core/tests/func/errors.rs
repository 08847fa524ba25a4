//! Refusals name the transform and the caller's line: no inputs, a non-scalar output for
//! a gradient or a Hessian, tangents and cotangents of the wrong number or shape.

use tapegrad_core::{func, Error, ErrorKind, Tensor, Var};

/// Asserts that `e` names `op` and was attributed to `line` of this file.
#[track_caller]
fn at_line(e: &Error, op: &str, line: u32) {
    assert_eq!(
        (e.op.as_str(), e.location.file(), e.location.line()),
        (op, file!(), line),
        "{e}"
    );
}

fn vector_out<'t>(xs: &[Var<'t, f64>]) -> Var<'t, f64> {
    xs[0] * 2.0
}

#[test]
fn no_inputs_is_refused() {
    let (e, line) = (func::jacobian(vector_out, &[]).unwrap_err(), line!());
    at_line(&e, "jacobian", line);
    assert_eq!(e.kind(), &ErrorKind::InvalidArgument);
}

#[test]
fn gradient_and_hessian_of_a_non_scalar_output_are_refused() {
    let x = [Tensor::<f64>::zeros(&[2, 3])];
    let non_scalar = ErrorKind::NonScalarRoot { shape: vec![2, 3] };
    let (e, line) = (func::grad(vector_out, &x).unwrap_err(), line!());
    at_line(&e, "grad", line);
    assert_eq!(e.kind(), &non_scalar);
    let (e, line) = (func::value_and_grad(vector_out, &x).unwrap_err(), line!());
    at_line(&e, "value_and_grad", line);
    let (e, line) = (func::hessian(vector_out, &x).unwrap_err(), line!());
    at_line(&e, "hessian", line);
    assert_eq!(e.kind(), &non_scalar);
    assert!(e.message.contains("[2, 3]"), "{e}");
    let (e, line) = (func::hvp(vector_out, &x, &x).unwrap_err(), line!());
    at_line(&e, "hvp", line);
}

#[test]
fn mis_shaped_cotangents_and_tangents_are_refused() {
    let x = [Tensor::<f64>::zeros(&[2, 3])];
    let wrong = Tensor::zeros(&[3, 2]);
    let mismatch = ErrorKind::ShapeMismatch {
        shapes: vec![vec![3, 2], vec![2, 3]],
    };
    let (e, line) = (func::vjp(vector_out, &x, &wrong).unwrap_err(), line!());
    at_line(&e, "vjp", line);
    assert_eq!(e.kind(), &mismatch);
    let tangents = [wrong.clone()];
    let (e, line) = (func::jvp(vector_out, &x, &tangents).unwrap_err(), line!());
    at_line(&e, "jvp", line);
    assert_eq!(e.kind(), &mismatch);
    let scalar_out = func::function(|xs: &[Var<'_, f64>]| xs[0].sum());
    let (e, line) = (func::hvp(scalar_out, &x, &tangents).unwrap_err(), line!());
    at_line(&e, "hvp", line);
    assert_eq!(e.kind(), &mismatch);
    let lin = func::linearize(vector_out, &x).unwrap();
    let (e, line) = (lin.vjp(&wrong).unwrap_err(), line!());
    at_line(&e, "vjp", line);
    let (e, line) = (lin.jvp(&[wrong]).unwrap_err(), line!());
    at_line(&e, "jvp", line);
}

#[test]
fn a_wrong_number_of_tangents_is_refused() {
    let x = [Tensor::<f64>::zeros(&[2])];
    let two = [x[0].clone(), x[0].clone()];
    let (e, line) = (func::jvp(vector_out, &x, &two).unwrap_err(), line!());
    at_line(&e, "jvp", line);
    assert_eq!(e.kind(), &ErrorKind::InvalidArgument);
    assert!(e.message.contains("2 tangents for 1 inputs"), "{e}");
}

#[test]
fn sparse_hessians_of_a_non_scalar_output_are_refused() {
    let x = [Tensor::<f64>::zeros(&[2, 3])];
    let non_scalar = ErrorKind::NonScalarRoot { shape: vec![2, 3] };
    let (e, line) = (func::sparse_hessian(vector_out, &x).unwrap_err(), line!());
    at_line(&e, "sparse_hessian", line);
    assert_eq!(e.kind(), &non_scalar);
    let (e, line) = (func::hessian_sparsity(vector_out, &x).unwrap_err(), line!());
    at_line(&e, "hessian_sparsity", line);
    assert_eq!(e.kind(), &non_scalar);
    let (e, line) = (func::sparse_jacobian(vector_out, &[]).unwrap_err(), line!());
    at_line(&e, "sparse_jacobian", line);
}
