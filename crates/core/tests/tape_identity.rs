//! Gradients remember the tape (and the recording of it) they were computed on: kept past
//! the tape's end or a `clear()`, they refuse to answer for another computation.

use std::panic::{catch_unwind, AssertUnwindSafe};
use tapegrad_check::diagnostics::Diagnostics;
use tapegrad_core::{Float, Grads, Tape, Tensor};

/// The panic message of `f`, which must panic.
fn panic_message(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(p) => p
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .unwrap_or_default(),
    }
}

/// `d(x²)/dx` at 3 on a tape that is dropped at once: the gradients outlive it.
fn gradients_of_a_dropped_tape<T: Float>() -> Grads<T> {
    let tape = Tape::<T>::new();
    let x = tape.leaf(Tensor::scalar(T::from_f64(3.0)));
    let grads = (x * x).backward();
    assert_eq!(grads.wrt(x).item(), T::from_f64(6.0));
    grads
}

fn kept_grads_refuse_a_new_tape<T: Float>() {
    // A tape on the stack in a loop sits at the same address every time round, and a
    // boxed one gets the freed block back: the address is no identity.
    let mut kept: Option<Grads<T>> = None;
    for round in 0..3 {
        let tape = Tape::<T>::new();
        let y = tape.leaf(Tensor::scalar(T::from_f64(-1.0)));
        if let Some(old) = &kept {
            let err = old.try_wrt(y).unwrap_err();
            assert!(err.message.contains("belongs to another tape"), "{err}");
            let err = old.try_get(y).unwrap_err();
            assert!(err.message.contains("another tape"), "{err}");
            let msg = panic_message(|| {
                let _ = old.wrt(y);
            });
            assert!(msg.contains("another tape"), "{msg}");
        }
        let x = tape.leaf(Tensor::scalar(T::from_f64(round as f64)));
        kept = Some((x * x).backward());
    }
    let old = gradients_of_a_dropped_tape::<T>();
    let tape = Box::new(Tape::<T>::new());
    let fresh = tape.leaf(Tensor::scalar(T::from_f64(7.0)));
    assert!(old.try_wrt(fresh).is_err(), "stale gradients answered");
}

#[test]
fn kept_grads_refuse_a_variable_of_a_new_tape_f64() {
    kept_grads_refuse_a_new_tape::<f64>();
}

#[test]
fn kept_grads_refuse_a_variable_of_a_new_tape_f32() {
    kept_grads_refuse_a_new_tape::<f32>();
}

fn grads_refuse_a_cleared_tape<T: Float>() {
    let mut tape = Tape::<T>::new();
    let grads = {
        let x = tape.leaf(Tensor::scalar(T::from_f64(3.0)));
        (x * x).backward()
    };
    tape.clear();
    let y = tape.leaf(Tensor::scalar(T::from_f64(5.0))); // the same node id as x
    let err = grads.try_wrt(y).unwrap_err();
    assert!(err.message.contains("belong to a cleared tape"), "{err}");
    let msg = panic_message(|| {
        let _ = tape.graph().with_grads(&grads).to_text();
    });
    assert!(msg.contains("cleared tape"), "{msg}");
    // fresh gradients of the cleared tape answer
    assert_eq!((y * y).backward().wrt(y).item(), T::from_f64(10.0));
}

#[test]
fn grads_refuse_a_variable_after_clear_f64() {
    grads_refuse_a_cleared_tape::<f64>();
}

#[test]
fn grads_refuse_a_variable_after_clear_f32() {
    grads_refuse_a_cleared_tape::<f32>();
}

#[test]
fn graph_of_a_variable_of_another_tape_is_refused() {
    let (a, b) = (Tape::<f64>::new(), Tape::<f64>::new());
    let x = a.leaf(Tensor::scalar(1.0));
    let _ = x.exp();
    let y = b.leaf(Tensor::scalar(2.0));
    let line = line!() + 2;
    let msg = panic_message(|| {
        let _ = a.graph().of(&[y]).to_text();
    });
    assert!(msg.contains("belongs to another tape"), "{msg}");
    assert!(msg.contains(&format!("{}:{line}", file!())), "{msg}");
    // gradients of tape b shown on tape a's graph
    let grads = (y * y).backward();
    let msg = panic_message(|| {
        let _ = a.graph().with_grads(&grads).to_dot();
    });
    assert!(msg.contains("another tape"), "{msg}");
}

#[test]
fn why_zero_and_kind_refuse_a_variable_of_another_tape() {
    let (a, b) = (Tape::<f32>::new(), Tape::<f32>::new());
    let x = a.leaf(Tensor::scalar(1.0));
    let y = b.leaf(Tensor::scalar(2.0));
    let msg = panic_message(|| {
        let _ = a.why_zero(x, y);
    });
    assert!(msg.contains("belongs to another tape"), "{msg}");
    let msg = panic_message(|| {
        let _ = a.kind(y);
    });
    assert!(msg.contains("belongs to another tape"), "{msg}");
}

#[test]
fn vector_matmul_of_two_tapes_names_the_foreign_tape() {
    let (a, b) = (Tape::<f64>::new(), Tape::<f64>::new());
    let u = a.leaf(Tensor::vector(vec![1.0, 2.0]));
    let v = b.leaf(Tensor::vector(vec![3.0, 4.0]));
    let err = u.try_matmul(v).unwrap_err();
    assert!(err.message.contains("another tape"), "{err}");
    assert!(!err.message.contains("inner dimensions"), "{err}");
    let m = b.leaf(Tensor::zeros(&[2, 2]));
    let err = u.try_matmul(m).unwrap_err();
    assert!(err.message.contains("another tape"), "{err}");
}
