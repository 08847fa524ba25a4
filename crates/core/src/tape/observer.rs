//! The observer hook: a tool watches ops being applied and VJPs being evaluated without
//! the tape or the sweep knowing anything about it. Tools themselves live elsewhere.

use crate::{Float, Op, Tape, Tensor, Var};
use std::any::Any;
use std::rc::Rc;

/// Watches a tape: called after an op's value exists, and around each VJP of a backward
/// sweep (either entry point). Every method does nothing by default.
///
/// Observers take `&self`: they keep what they learn behind a `Cell` or `RefCell`. They
/// may read the tape (see [`Tape::node`]) but should not record on it.
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use tapegrad_core::{Observer, Op, Tape, Tensor, Var};
///
/// /// Counts the ops applied.
/// #[derive(Default)]
/// struct Count(Cell<usize>);
///
/// impl Observer<f64> for Count {
///     fn applied(&self, _op: &dyn Op<f64>, _xs: &[Var<'_, f64>], _y: Var<'_, f64>) {
///         self.0.set(self.0.get() + 1);
///     }
/// }
///
/// let tape = Tape::<f64>::new();
/// let count = Rc::new(Count::default());
/// let x = tape.leaf(Tensor::scalar(2.0));
/// {
///     let _watching = tape.observe(count.clone());
///     let _ = (x * x).exp();
/// }
/// let _ = x * x; // no longer observed
/// assert_eq!(count.0.get(), 2);
/// ```
pub trait Observer<T: Float>: 'static {
    /// An op was applied: `y` (already on the tape, with its value) is `op` of `xs`.
    /// Called for every op applied outside [`Var::backward`]'s own VJP evaluations,
    /// recorded or not (a constant output included).
    fn applied(&self, _op: &dyn Op<T>, _xs: &[Var<'_, T>], _y: Var<'_, T>) {}

    /// The VJP of op node `node` is about to run with cotangent `dy`.
    fn vjp_started(&self, _tape: &Tape<T>, _node: usize, _dy: &Tensor<T>) {}

    /// The VJP of op node `node` returned `dxs` (one per input, already summed to the
    /// input's shape; `None`: no gradient) for cotangent `dy`.
    fn vjp_finished(
        &self,
        _tape: &Tape<T>,
        _node: usize,
        _dy: &Tensor<T>,
        _dxs: &[Option<Tensor<T>>],
    ) {
    }
}

/// The installed observer, twice: once to call, once to hand back by its type.
pub(crate) type Installed<T> = (Rc<dyn Observer<T>>, Rc<dyn Any>);

/// The previous observer comes back when this is dropped: see [`Tape::observe`].
#[must_use = "the observer is removed as soon as the guard is dropped"]
pub struct Observing<'a, T: Float> {
    tape: &'a Tape<T>,
    previous: Option<Installed<T>>,
}

impl<T: Float> Drop for Observing<'_, T> {
    fn drop(&mut self) {
        self.tape.install(self.previous.take());
    }
}

impl<T: Float> Tape<T> {
    /// Installs `observer` until the returned guard is dropped; the observer installed
    /// before (if any) then comes back. See [`Observer`] for an example.
    pub fn observe<O: Observer<T>>(&self, observer: Rc<O>) -> Observing<'_, T> {
        Observing {
            tape: self,
            previous: self.install(Some((observer.clone(), observer))),
        }
    }

    /// Installs `observer` for good (until [`remove_observer`](Self::remove_observer)),
    /// replacing any other.
    pub fn set_observer<O: Observer<T>>(&self, observer: Rc<O>) {
        self.install(Some((observer.clone(), observer)));
    }

    /// Removes the observer, if any.
    pub fn remove_observer(&self) {
        self.install(None);
    }

    /// The installed observer, if there is one and it is an `O`.
    pub fn observer<O: Observer<T>>(&self) -> Option<Rc<O>> {
        let any = self.observer.borrow().as_ref()?.1.clone();
        any.downcast().ok()
    }

    /// Replaces the observer, returning the one before.
    fn install(&self, observer: Option<Installed<T>>) -> Option<Installed<T>> {
        self.observed.set(observer.is_some());
        self.observer.replace(observer)
    }

    /// The observer to call, if any. When none is installed this is one flag read, the
    /// whole cost of the hooks.
    #[inline]
    pub(crate) fn watcher(&self) -> Option<Rc<dyn Observer<T>>> {
        if !self.observed.get() {
            return None;
        }
        self.observer.borrow().as_ref().map(|(o, _)| o.clone())
    }
}
