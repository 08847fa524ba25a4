//! Every refusal points at the caller's own line, never into the library: one test per API
//! family, for the `try_` form (`err.location`) and the panicking form (the message).

use std::panic::{catch_unwind, AssertUnwindSafe};
use tapegrad_core::ops::unary::Exp;
use tapegrad_core::{Error, Float, IndexTensor, Tape, Tensor, Var};

/// Asserts that `e` was attributed to `line` of this file.
#[track_caller]
fn at_line(e: &Error, line: u32) {
    assert_eq!(
        (e.location.file(), e.location.line()),
        (file!(), line),
        "{e}"
    );
}

/// Runs `f`, which must panic, and asserts that the message names `line` of this file.
#[track_caller]
fn panics_at_line<R>(line: u32, f: impl FnOnce() -> R) {
    let p = catch_unwind(AssertUnwindSafe(f))
        .err()
        .expect("expected a panic");
    let msg = p
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default();
    let here = format!("{}:{line}:", file!());
    assert!(msg.contains(&here), "{here} not in {msg}");
}

fn tensor_constructors_for<T: Float>() {
    panics_at_line(line!(), || Tensor::<T>::from_vec(vec![T::ONE], &[2]));
    panics_at_line(line!(), || Tensor::<T>::zeros(&[1 << 62, 4]));
    panics_at_line(line!(), || Tensor::<T>::full(&[usize::MAX, 2], T::ONE));
    panics_at_line(line!(), || Tensor::<T>::arange(usize::MAX));
    panics_at_line(line!(), || IndexTensor::from_vec(vec![0], &[3]));
}

#[test]
fn tensor_constructors_panic_at_the_callers_line() {
    tensor_constructors_for::<f32>();
    tensor_constructors_for::<f64>();
}

fn unary_for<T: Float>() {
    let (t1, t2) = (Tape::<T>::new(), Tape::<T>::new());
    let x = t1.leaf(Tensor::ones(&[2]));
    let (e, line) = (t2.try_apply(Exp, &[x]).unwrap_err(), line!());
    at_line(&e, line);
    panics_at_line(line!(), || t2.apply(Exp, &[x]));
}

#[test]
fn unary_errors_name_the_callers_line() {
    unary_for::<f32>();
    unary_for::<f64>();
}

fn binary_for<T: Float>() {
    let tape = Tape::<T>::new();
    let a = tape.leaf(Tensor::zeros(&[2, 3]));
    let b = tape.leaf(Tensor::zeros(&[4]));
    let (e, line) = (a.try_add(b).unwrap_err(), line!());
    at_line(&e, line);
    let (e, line) = (a.try_pow(b).unwrap_err(), line!());
    at_line(&e, line);
    panics_at_line(line!(), || a * b);
    panics_at_line(line!(), || a.maximum(b));
}

#[test]
fn binary_errors_name_the_callers_line() {
    binary_for::<f32>();
    binary_for::<f64>();
}

fn reduce_for<T: Float>() {
    let tape = Tape::<T>::new();
    let x = tape.leaf(Tensor::zeros(&[2, 3]));
    let (e, line) = (x.try_mean_axes(&[5], false).unwrap_err(), line!());
    at_line(&e, line);
    let (e, line) = (x.try_sum_axes(&[-3], true).unwrap_err(), line!());
    at_line(&e, line);
    let (e, line) = (x.try_softmax(2).unwrap_err(), line!());
    at_line(&e, line);
    let empty = tape.leaf(Tensor::zeros(&[0, 3]));
    let (e, line) = (empty.try_max_axes(&[0], false).unwrap_err(), line!());
    at_line(&e, line);
    panics_at_line(line!(), || x.mean_axes(&[2], true));
    panics_at_line(line!(), || x.logsumexp_axes(&[7], true));
}

#[test]
fn reduce_errors_name_the_callers_line() {
    reduce_for::<f32>();
    reduce_for::<f64>();
}

fn shape_for<T: Float>() {
    let tape = Tape::<T>::new();
    let x = tape.leaf(Tensor::zeros(&[2, 3]));
    let (e, line) = (x.try_narrow(1, usize::MAX, 2).unwrap_err(), line!());
    at_line(&e, line);
    let (e, line) = (x.try_reshape(&[4, (1 << 62) + 1]).unwrap_err(), line!());
    at_line(&e, line);
    let (e, line) = (x.try_broadcast_to(&[1 << 62, 2, 3]).unwrap_err(), line!());
    at_line(&e, line);
    let (e, line) = (Var::try_concat(&[x, x], 3).unwrap_err(), line!());
    at_line(&e, line);
    let (e, line) = (x.try_permute(&[0, 0]).unwrap_err(), line!());
    at_line(&e, line);
    panics_at_line(line!(), || x.narrow(0, 1, 2));
    panics_at_line(line!(), || x.t().t().reshape(&[5]));
}

#[test]
fn shape_errors_name_the_callers_line() {
    shape_for::<f32>();
    shape_for::<f64>();
}

fn linalg_for<T: Float>() {
    let tape = Tape::<T>::new();
    let a = tape.leaf(Tensor::zeros(&[2, 3]));
    let b = tape.leaf(Tensor::zeros(&[4, 5]));
    let (e, line) = (a.try_matmul(b).unwrap_err(), line!());
    at_line(&e, line);
    let (e, line) = (a.try_linear(b, None).unwrap_err(), line!());
    at_line(&e, line);
    panics_at_line(line!(), || a.matmul(b));
}

#[test]
fn linalg_errors_name_the_callers_line() {
    linalg_for::<f32>();
    linalg_for::<f64>();
}

fn index_for<T: Float>() {
    let tape = Tape::<T>::new();
    let x = tape.leaf(Tensor::zeros(&[2, 3]));
    let index = IndexTensor::from_classes(&[3, 0]);
    let (e, line) = (x.try_gather(1, &index).unwrap_err(), line!());
    at_line(&e, line);
    let (e, line) = (x.try_index_select(0, &[0, 2]).unwrap_err(), line!());
    at_line(&e, line);
    panics_at_line(line!(), || x.gather(-1, &index));
    panics_at_line(line!(), || x.index_select(1, &[usize::MAX]));
}

#[test]
fn index_errors_name_the_callers_line() {
    index_for::<f32>();
    index_for::<f64>();
}
