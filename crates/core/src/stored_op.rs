//! How a node keeps its op: inline when the op is small, boxed otherwise.
//!
//! # Design
//! Most ops are zero-sized (`Exp`) or hold one or two numbers (`MulScalar(c)`,
//! `MatMul { ta, tb }`). Boxing those costs a heap allocation per node, which profiles of
//! scalar code showed as a sixth of all instructions. Ops of up to 16 bytes are stored in
//! the node itself; a monomorphised function turns the buffer back into a `&dyn Op`.

use crate::{Float, Op};
use std::mem::{align_of, size_of, MaybeUninit};

/// Bytes available inline.
type Buf = MaybeUninit<[u64; 2]>;

/// An op owned by a node.
pub(crate) enum StoredOp<T: Float> {
    Inline {
        buf: Buf,
        /// Views `buf` as the concrete op type it was written with.
        view: unsafe fn(*const Buf) -> *const dyn Op<T>,
        /// Whether the op has a destructor to run (most ops are plain numbers, and a tape
        /// of a hundred thousand nodes then drops without an indirect call per node).
        drops: bool,
    },
    Boxed(Box<dyn Op<T>>),
}

/// Whether an `O` is stored inline: it fits the buffer in size and alignment.
const fn fits<O>() -> bool {
    size_of::<O>() <= size_of::<Buf>() && align_of::<O>() <= align_of::<Buf>()
}

/// # Safety
/// `buf` must hold a valid, initialised `O` (written by [`StoredOp::new`]).
unsafe fn view<T: Float, O: Op<T>>(buf: *const Buf) -> *const dyn Op<T> {
    buf as *const O as *const dyn Op<T>
}

impl<T: Float> StoredOp<T> {
    /// Writes `Some(op)`, stored, to `dst` in place: the op is written straight into the
    /// inline buffer there. A `StoredOp` built and then moved was assembled on the stack
    /// with narrow stores and read back in 16-byte pieces, which the processor stalls on.
    ///
    /// # Safety
    /// `dst` must be valid for writes and aligned; what it held is overwritten without
    /// being dropped.
    #[inline(always)]
    pub(crate) unsafe fn write_some<O: Op<T>>(dst: *mut Option<Self>, op: O) {
        if fits::<O>() {
            // SAFETY: `dst` is valid for writes (the caller's promise). The record is
            // written with its buffer uninitialised, then `O` (which fits in the buffer in
            // size and alignment, checked above) is written into the buffer in place:
            // exactly the bytes `view::<T, O>` will read.
            unsafe {
                dst.write(Some(StoredOp::Inline {
                    buf: Buf::uninit(),
                    view: view::<T, O>,
                    drops: std::mem::needs_drop::<O>(),
                }));
                if let Some(StoredOp::Inline { buf, .. }) = &mut *dst {
                    (buf.as_mut_ptr() as *mut O).write(op);
                }
            }
        } else {
            // SAFETY: as above.
            unsafe { dst.write(Some(StoredOp::Boxed(Box::new(op)))) };
        }
    }

    /// Whether an `O`, stored, has nothing to free when dropped: inline, with no
    /// destructor.
    pub(crate) const fn drops_nothing<O: Op<T>>() -> bool {
        fits::<O>() && !std::mem::needs_drop::<O>()
    }

    pub(crate) fn new<O: Op<T>>(op: O) -> Self {
        if fits::<O>() {
            let mut buf = Buf::uninit();
            // SAFETY: `O` fits in `buf` in size and alignment (checked above), and the
            // write initialises exactly the bytes `view::<T, O>` will read.
            unsafe { (buf.as_mut_ptr() as *mut O).write(op) };
            StoredOp::Inline {
                buf,
                view: view::<T, O>,
                drops: std::mem::needs_drop::<O>(),
            }
        } else {
            StoredOp::Boxed(Box::new(op))
        }
    }

    /// Heap bytes held beyond the node itself (0 for an inline op).
    pub(crate) fn heap_bytes(&self) -> usize {
        match self {
            StoredOp::Inline { .. } => 0,
            StoredOp::Boxed(op) => std::mem::size_of_val(&**op),
        }
    }

    pub(crate) fn get(&self) -> &dyn Op<T> {
        match self {
            // SAFETY: `buf` was initialised with the op type `view` was instantiated for,
            // and the returned reference borrows `self`, so the buffer outlives it.
            StoredOp::Inline { buf, view, .. } => unsafe { &*view(buf) },
            StoredOp::Boxed(op) => op.as_ref(),
        }
    }
}

impl<T: Float> Drop for StoredOp<T> {
    fn drop(&mut self) {
        if let StoredOp::Inline {
            buf,
            view,
            drops: true,
        } = self
        {
            // SAFETY: the buffer holds a live op (see `new`); it is dropped exactly once,
            // here, and never read again.
            unsafe { std::ptr::drop_in_place(view(buf) as *mut dyn Op<T>) }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::{InputGrads, Tensor, TensorError, Var};
    use std::rc::Rc;

    /// An op with a destructor, to see that inline ops (and the tapes that hold them) drop
    /// it exactly once.
    pub(crate) struct Counted(#[allow(dead_code)] pub(crate) Rc<()>);

    impl Op<f64> for Counted {
        fn name(&self) -> &str {
            "counted"
        }
        fn forward(&self, xs: &[&Tensor<f64>]) -> Result<Tensor<f64>, TensorError> {
            Ok(xs[0].clone())
        }
        fn vjp<'t>(
            &self,
            _xs: &[Var<'t, f64>],
            _y: Var<'t, f64>,
            dy: Var<'t, f64>,
        ) -> InputGrads<'t, f64> {
            [Some(dy)].into()
        }
    }

    struct Big([f64; 8]);

    impl Op<f64> for Big {
        fn name(&self) -> &str {
            "big"
        }
        fn forward(&self, _xs: &[&Tensor<f64>]) -> Result<Tensor<f64>, TensorError> {
            Ok(Tensor::scalar(self.0.iter().sum()))
        }
        fn vjp<'t>(
            &self,
            _xs: &[Var<'t, f64>],
            _y: Var<'t, f64>,
            _dy: Var<'t, f64>,
        ) -> InputGrads<'t, f64> {
            [None].into()
        }
    }

    #[test]
    fn small_ops_are_inline_and_dropped_once() {
        let rc = Rc::new(());
        let stored = StoredOp::new(Counted(rc.clone()));
        assert!(matches!(stored, StoredOp::Inline { .. }));
        assert_eq!(stored.get().name(), "counted");
        let moved = stored; // moving the node's op keeps it usable
        assert_eq!(moved.get().name(), "counted");
        assert_eq!(Rc::strong_count(&rc), 2);
        drop(moved);
        assert_eq!(Rc::strong_count(&rc), 1);
    }

    #[test]
    fn ops_written_in_place_are_usable_and_dropped_once() {
        let rc = Rc::new(());
        let mut slots = [MaybeUninit::uninit(), MaybeUninit::uninit()];
        // SAFETY: each slot is valid for writes, aligned and uninitialised; both are read
        // only after the writes, and taken out of the array once each.
        let (small, big) = unsafe {
            StoredOp::write_some(slots[0].as_mut_ptr(), Counted(rc.clone()));
            StoredOp::write_some(slots[1].as_mut_ptr(), Big([0.5; 8]));
            let [small, big] = slots;
            (small.assume_init(), big.assume_init())
        };
        let (small, big) = (small.expect("written"), big.expect("written"));
        assert!(matches!(small, StoredOp::Inline { .. }));
        assert!(matches!(big, StoredOp::Boxed(_)));
        assert_eq!(small.get().name(), "counted");
        assert_eq!(big.get().forward(&[]).unwrap().item(), 4.0);
        assert_eq!(Rc::strong_count(&rc), 2);
        drop(small);
        assert_eq!(Rc::strong_count(&rc), 1);
    }

    #[test]
    fn the_drop_flag_keeps_the_record_small() {
        assert!(!std::mem::needs_drop::<crate::ops::unary::Exp>());
        assert_eq!(size_of::<Option<StoredOp<f64>>>(), 32);
    }

    #[test]
    fn large_ops_are_boxed() {
        let stored = StoredOp::<f64>::new(Big([1.0; 8]));
        assert!(matches!(stored, StoredOp::Boxed(_)));
        let y = stored.get().forward(&[]).unwrap();
        assert_eq!(y.item(), 8.0);
    }
}
