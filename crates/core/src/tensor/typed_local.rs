//! Thread-local state kept apart per element type: a pair of `thread_local!` keys, one
//! for `f32` and one for `f64`, reached from code generic over the element type. The
//! buffer cache (`recycle.rs`) and the tape's kept arrays (`tape/reuse.rs`) both keep
//! theirs so.

use std::any::Any;
use std::cell::RefCell;
use std::thread::LocalKey;

/// `f` on this thread's value of type `S`: the `f32` key's or the `f64` key's, whichever
/// holds an `S`. `None` when the thread is exiting, the value is in use, or neither key
/// holds an `S`.
pub(crate) fn with_typed_local<S: 'static, A: 'static, B: 'static, R>(
    f32_key: &'static LocalKey<RefCell<A>>,
    f64_key: &'static LocalKey<RefCell<B>>,
    f: impl FnOnce(&mut S) -> R,
) -> Option<R> {
    let mut f = Some(f);
    let mut run = |state: &mut dyn Any| {
        let state = state.downcast_mut::<S>()?;
        Some((f.take()?)(state))
    };
    f32_key
        .try_with(|c| run(&mut *c.try_borrow_mut().ok()?))
        .ok()
        .flatten()
        .or_else(|| {
            f64_key
                .try_with(|c| run(&mut *c.try_borrow_mut().ok()?))
                .ok()
                .flatten()
        })
}
