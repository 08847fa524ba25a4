//! Kernels that write into an existing tensor's buffer when it is free to reuse (what a
//! plan's replay does with a dead slot): element-wise maps here, products and sums
//! through [`Tensor::buffer_for`]; nothing of tapes here.

use super::simd::with_widest;
use super::{broadcast_shapes, Storage, Tensor, TensorError};
use crate::Float;
use std::sync::Arc;

/// A buffer of `n` elements to overwrite: a recycled one, which keeps its old values as a
/// reused one does, or a new one.
fn spare_buffer<T: Float>(n: usize) -> Result<Vec<T>, TensorError> {
    match super::recycle::take_unzeroed(n) {
        Some(v) => Ok(v),
        None => super::filled_buffer(n, T::ZERO),
    }
}

impl<T: Float> Tensor<T> {
    /// The buffer of `self` to overwrite with `len` elements, if `self` holds the only
    /// reference to a buffer of exactly that length.
    fn reusable(&mut self, len: usize) -> Option<&mut Vec<T>> {
        match &mut self.data {
            Storage::Many(v) => Arc::get_mut(v).map(|b| &mut b.0).filter(|v| v.len() == len),
            Storage::One(_) => None,
        }
    }

    /// `self += other` element by element, for tensors of one shape: in `self`'s buffer
    /// when it holds the only reference to it, else in `other`'s, else into a new one,
    /// so a shared buffer is never copied first. What a sweep's gradient sum does.
    pub(crate) fn add_assign_owned(&mut self, mut other: Self) {
        debug_assert_eq!(self.shape(), other.shape());
        let n = self.len();
        if n == 1 {
            let sum = self.as_slice()[0] + other.as_slice()[0];
            self.as_mut_slice()[0] = sum;
        } else if let Some(a) = self.reusable(n) {
            for (a, &b) in a.iter_mut().zip(other.as_slice()) {
                *a += b;
            }
        } else if let Some(b) = other.reusable(n) {
            for (b, &a) in b.iter_mut().zip(self.as_slice()) {
                *b = a + *b;
            }
            *self = other;
        } else {
            *self = (self.zip_map(&other, |a, b| a + b)).expect("operands of one shape");
        }
    }

    /// Makes `self` a tensor of `shape` whose buffer it alone holds and returns that
    /// buffer to overwrite: its own when it holds the only reference to a buffer of the
    /// right length, else a recycled or new one. The contents are unspecified values
    /// (old ones, or zeros): every caller writes every element.
    ///
    /// One atomic operation when the buffer is reused (`Arc::get_mut`'s), none for a new
    /// one: each was a `lock cmpxchg` on a plan replay's hot path (`perf`), and this asked
    /// `get_mut` twice.
    pub(crate) fn buffer_for(&mut self, shape: &[usize]) -> Result<&mut [T], TensorError> {
        let n = super::try_numel(shape)?;
        self.shape = super::shape_of(shape);
        if n == 1 {
            if !matches!(self.data, Storage::One(_)) {
                self.data = Storage::One(T::ZERO);
            }
            let Storage::One(x) = &mut self.data else {
                unreachable!("set just above")
            };
            return Ok(std::slice::from_mut(x));
        }
        if let Some(own) = self.reusable(n) {
            let values = own.as_mut_ptr();
            // SAFETY: `reusable` found `self` the only holder of this buffer of `n`
            // values; the slice borrows `self` mutably for as long as it lives, so nothing
            // else can reach the buffer meanwhile.
            return Ok(unsafe { std::slice::from_raw_parts_mut(values, n) });
        }
        let mut buffer = super::recycle::Buffer(spare_buffer(n)?);
        let values = buffer.as_mut_ptr();
        self.data = Storage::Many(Arc::new(buffer));
        // SAFETY: the `Arc` was made just above and only `self` holds it, borrowed mutably
        // for as long as the slice lives; moving the `Vec` into it did not move its `n`
        // elements.
        Ok(unsafe { std::slice::from_raw_parts_mut(values, n) })
    }

    /// Makes `self` a tensor of `shape` whose buffer is `values` (of `shape`'s size, at
    /// least 2), and leaves in `values` a buffer of that length to overwrite: `self`'s
    /// old one when it held the only reference to one of that length, else a recycled or
    /// new one (its contents unspecified). A fused kernel's register handed out this way
    /// is not copied.
    pub(crate) fn swap_buffer(&mut self, shape: &[usize], values: &mut Vec<T>) {
        let n = values.len();
        debug_assert!(n > 1 && super::numel(shape) == n);
        self.shape = super::shape_of(shape);
        if let Some(own) = self.reusable(n) {
            std::mem::swap(own, values);
        } else {
            let spare = spare_buffer(n).expect("the size of a buffer already held");
            let mine = std::mem::replace(values, spare);
            self.data = Storage::Many(Arc::new(super::recycle::Buffer(mine)));
        }
    }

    /// `*out = self.zip_map(other, f)`, writing into `out`'s buffer when it holds the
    /// only reference to a buffer of the result's size and the operands are of the
    /// result's shape or one element (the cases that need no index arithmetic);
    /// otherwise allocating as [`zip_map`](Self::zip_map). Same values either way.
    pub fn zip_map_into(
        &self,
        other: &Self,
        out: &mut Self,
        f: impl Fn(T, T) -> T,
    ) -> Result<(), TensorError> {
        let (a, b) = (self.as_slice(), other.as_slice());
        // which operand has the result's shape: both, `self` (`other` one element) or
        // `other` (`self` one element); other broadcasts take the allocating kernel
        let same = super::same_shape(self.shape(), other.shape());
        let shape = if same {
            Some(self.shape())
        } else if a.len() == 1 || b.len() == 1 {
            // one operand of one element: the result has the other's shape when that
            // one's rank is at least as large
            let result = broadcast_shapes(self.shape(), other.shape());
            match result.as_deref() {
                Some(s) if b.len() == 1 && s == self.shape() => Some(self.shape()),
                Some(s) if a.len() == 1 && s == other.shape() => Some(other.shape()),
                _ => None,
            }
        } else {
            None
        };
        let n = shape.map_or(0, |s| s.iter().product::<usize>());
        if let (Some(shape), Some(buf)) = (shape.filter(|_| n > 1), out.reusable(n)) {
            // index loops over slices of one length: no bounds checks, vectorised for
            // the CPU's widest vectors
            let buf = &mut buf[..n];
            with_widest(
                #[inline(always)]
                || {
                    if same {
                        let (a, b) = (&a[..n], &b[..n]);
                        for i in 0..n {
                            buf[i] = f(a[i], b[i]);
                        }
                    } else if b.len() == 1 {
                        let (a, y) = (&a[..n], b[0]);
                        for i in 0..n {
                            buf[i] = f(a[i], y);
                        }
                    } else {
                        let (x, b) = (a[0], &b[..n]);
                        for i in 0..n {
                            buf[i] = f(x, b[i]);
                        }
                    }
                },
            );
            out.shape = super::shape_of(shape);
            return Ok(());
        }
        *out = self.zip_map(other, f)?;
        Ok(())
    }

    /// `*out = self.map(f)`, writing into `out`'s buffer when it holds the only
    /// reference to a buffer of `self`'s size; otherwise as [`map`](Self::map).
    pub fn map_into(&self, out: &mut Self, f: impl Fn(T) -> T + Sync) {
        let a = self.as_slice();
        if a.len() > 1 {
            if let Some(buf) = out.reusable(a.len()) {
                let n = a.len();
                let buf = &mut buf[..n];
                with_widest(
                    #[inline(always)]
                    || {
                        for i in 0..n {
                            buf[i] = f(a[i]);
                        }
                    },
                );
                out.shape = super::shape_of(self.shape());
                return;
            }
        }
        *out = self.map(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn into_kernels_reuse_a_free_buffer_and_agree_with_the_allocating_ones() {
        let a = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
        let b = Tensor::scalar(10.0);
        let mut out = Tensor::from_vec(vec![0.0; 6], &[6]);
        let before = out.as_slice().as_ptr();
        a.zip_map_into(&b, &mut out, |x, y| x * y).unwrap();
        assert_eq!(out.as_slice().as_ptr(), before); // written in place
        assert_eq!(out, a.zip_map(&b, |x, y| x * y).unwrap());
        b.zip_map_into(&a, &mut out, |x, y| x - y).unwrap();
        assert_eq!(out, b.zip_map(&a, |x, y| x - y).unwrap());
        a.map_into(&mut out, |x| -x);
        assert_eq!(
            (out.as_slice().as_ptr(), out.clone()),
            (before, a.map(|x| -x))
        );
    }

    #[test]
    fn buffer_for_reuses_a_free_buffer_of_the_right_length_only() {
        let mut t = Tensor::<f64>::from_vec(vec![1.0; 6], &[2, 3]);
        let before = t.as_slice().as_ptr();
        assert_eq!(t.buffer_for(&[3, 2]).unwrap().as_ptr(), before);
        assert_eq!(t.shape(), &[3, 2]);
        let keep = t.clone();
        t.buffer_for(&[6]).unwrap().fill(2.0); // shared: a new buffer
        assert_eq!(
            (keep.as_slice(), t.as_slice()),
            (&[1.0; 6][..], &[2.0; 6][..])
        );
        t.buffer_for(&[]).unwrap()[0] = 5.0;
        assert_eq!(t, Tensor::scalar(5.0));
        assert!(t.buffer_for(&[0, 3]).unwrap().is_empty());
    }

    #[test]
    fn into_kernels_allocate_when_the_buffer_is_shared_or_of_another_size() {
        let a = Tensor::vector(vec![1.0, 2.0, 3.0]);
        let mut shared = Tensor::vector(vec![0.0; 3]);
        let keep = shared.clone();
        a.zip_map_into(&a, &mut shared, |x, y| x + y).unwrap();
        assert_eq!(keep.as_slice(), &[0.0; 3]); // the other holder's values untouched
        assert_eq!(shared.as_slice(), &[2.0, 4.0, 6.0]);
        let mut small = Tensor::vector(vec![0.0; 2]);
        a.map_into(&mut small, |x| x * 2.0);
        assert_eq!(small.as_slice(), &[2.0, 4.0, 6.0]);
        // broadcasting beyond one element: the allocating kernel, same answer
        let col = Tensor::from_vec(vec![1.0, 2.0], &[2, 1]);
        let mut out = Tensor::from_vec(vec![0.0; 6], &[2, 3]);
        col.zip_map_into(&a, &mut out, |x, y| x * y).unwrap();
        assert_eq!(out, col.zip_map(&a, |x, y| x * y).unwrap());
        // and a refusal is the same refusal
        let err = a.zip_map_into(&col.reshape(&[1, 2]).unwrap(), &mut out, |x, _| x);
        assert!(err.is_err());
    }
}
