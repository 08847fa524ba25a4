//! Reuse of a dropped tape's arrays, so that a loop that records a fresh tape every time
//! (a training step, the `scalar_chain` benchmark) does not grow two arrays from nothing
//! and fault their pages in again each time round.
//!
//! # Why
//! A tape of 100,000 nodes holds about 11 MB in its node and value arrays. Grown by
//! doubling, they are copied about once more in all; freed, glibc hands arrays that
//! large back to the operating system, and the next tape's first touch of each page is a
//! page fault. On the deep `scalar_chain` that was about 70 of the 120 ns per op of
//! recording (measured by keeping malloc from returning memory, `GLIBC_TUNABLES`).
//!
//! # What
//! When a tape is dropped, its two arrays are emptied (their elements dropped as before)
//! and kept, one pair per thread and element type, if each holds at most [`MAX_BYTES`];
//! the next tape made on that thread starts with them. A tape made while the pair is out
//! starts empty, as before.

use super::Node;
use crate::tensor::with_typed_local;
use crate::{Float, Tensor};
use std::cell::RefCell;

/// The largest array kept (per array, thread and element type): a tape of about 600,000
/// nodes. A larger tape's arrays go back to malloc.
const MAX_BYTES: usize = 32 << 20;

/// A tape's node and value arrays, both empty.
pub(super) type Arrays<T> = (Vec<Node<T>>, Vec<Tensor<T>>);

thread_local! {
    static F32: RefCell<Option<Arrays<f32>>> = const { RefCell::new(None) };
    static F64: RefCell<Option<Arrays<f64>>> = const { RefCell::new(None) };
}

/// `f` on this thread's slot for `T`; `None` when the thread is exiting.
fn with_slot<T: Float, R>(f: impl FnOnce(&mut Option<Arrays<T>>) -> R) -> Option<R> {
    with_typed_local(&F32, &F64, f)
}

/// The arrays a dropped tape left on this thread, if any.
pub(super) fn take<T: Float>() -> Option<Arrays<T>> {
    with_slot::<T, _>(Option::take).flatten()
}

/// Keeps a dropped tape's arrays (emptied here) for the next tape, if they are not too
/// large and the slot is free (a larger pair stays, being worth more).
pub(super) fn give<T: Float>((mut nodes, mut values): Arrays<T>) {
    nodes.clear();
    values.clear();
    let bytes = |cap: usize, size: usize| cap.saturating_mul(size);
    let size = bytes(nodes.capacity(), std::mem::size_of::<Node<T>>())
        .max(bytes(values.capacity(), std::mem::size_of::<Tensor<T>>()));
    if size > MAX_BYTES {
        return;
    }
    let _ = with_slot::<T, _>(move |slot| {
        let kept = slot.as_ref().map_or(0, |(n, _)| n.capacity());
        if kept < nodes.capacity() {
            *slot = Some((nodes, values));
        }
    });
}

#[cfg(test)]
mod tests {
    use crate::stored_op::tests::Counted;
    use crate::{Tape, Tensor};
    use std::rc::Rc;

    #[test]
    fn only_tapes_of_plain_numbers_and_ops_are_forgotten_without_drops() {
        let plain = Tape::<f64>::new();
        let x = plain.leaf(Tensor::scalar(2.0));
        let _ = (x * x + 1.0).exp();
        assert!(!plain.holds_owned.get());

        let shared = Rc::new(());
        let mut owning = Tape::<f64>::new();
        let x = owning.leaf(Tensor::scalar(2.0));
        let _ = owning.apply(Counted(shared.clone()), &[x]);
        assert!(owning.holds_owned.get());
        owning.clear();
        assert_eq!(Rc::strong_count(&shared), 1, "clear dropped the op");
        assert!(!owning.holds_owned.get());
        let x = owning.leaf(Tensor::scalar(2.0));
        let _ = owning.apply(Counted(shared.clone()), &[x]);
        drop(owning);
        assert_eq!(Rc::strong_count(&shared), 1, "drop dropped the op");

        let tensors = Tape::<f64>::new();
        let v = tensors.leaf(Tensor::vector(vec![1.0, 2.0]));
        assert!(tensors.holds_owned.get());
        let _ = v * 2.0;
    }

    #[test]
    fn a_new_tape_starts_with_the_arrays_of_the_last_one_dropped() {
        let big = Tape::<f64>::new();
        let x = big.leaf(Tensor::scalar(1.0));
        let mut y = x;
        for _ in 0..1000 {
            y = y * 1.5;
        }
        let room = big.nodes.borrow().capacity();
        assert!(room > 1000);
        drop(big);
        let next = Tape::<f64>::new();
        assert!(next.nodes.borrow().is_empty() && next.values.borrow().is_empty());
        assert_eq!(next.nodes.borrow().capacity(), room);
        // a tape made while the pair is out starts with its own
        let other = Tape::<f64>::new();
        assert!(other.nodes.borrow().capacity() < room);
        // and the new tape works as a fresh one: its own identity, its own numbering
        let a = next.leaf(Tensor::scalar(2.0));
        let g = (a * a).backward();
        assert_eq!(g.wrt(a).item(), 4.0);
        let b = other.leaf(Tensor::scalar(0.0));
        assert!(g.try_wrt(b).is_err());
    }
}
