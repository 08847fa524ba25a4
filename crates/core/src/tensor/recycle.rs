//! Reuse of large element buffers, so that a training step that makes the same tensors
//! every time does not hand them back to the operating system and fault them in again.
//!
//! # Why
//! A buffer of more than malloc's threshold (128 KiB in glibc, raised as large buffers are
//! freed) comes from `mmap` and goes back with `munmap`, or from the heap's top, which is
//! trimmed when enough of it is free: either way the next step's buffer of the same size
//! arrives as fresh pages, and each first touch of a page is a page fault (about a
//! microsecond on this project's VMs; 1 MiB is 256 of them). `mlp_step` and `grad_matmul`
//! spent 1.5 ms of a 5 ms step that way.
//!
//! # What
//! When a tensor's buffer of at least [`MIN_BYTES`] is dropped, it goes into a small
//! per-thread cache (at most [`MAX_COUNT`] buffers and [`MAX_BYTES`] per element type and
//! thread, the oldest evicted first) instead of back to malloc; a kernel asking for a
//! buffer ([`alloc_buffer`](super::alloc_buffer)) takes the smallest cached one that holds
//! what it needs and is at most twice that. The elements of a reused buffer are never
//! read: every kernel writes its buffer before it is a tensor.

use super::typed_local::with_typed_local;
use crate::Float;
use std::cell::RefCell;

/// Buffers smaller than this are left to malloc, which serves them from its heap.
const MIN_BYTES: usize = 128 << 10;
/// The most bytes one thread keeps of one element type.
const MAX_BYTES: usize = 32 << 20;
/// The most buffers one thread keeps of one element type.
const MAX_COUNT: usize = 32;

/// One thread's buffers of one element type, oldest first, each empty (length 0) and
/// paired with the length it had: how many of its elements hold values.
struct Cache<T> {
    buffers: Vec<(Vec<T>, usize)>,
    bytes: usize,
}

impl<T> Cache<T> {
    const fn new() -> Self {
        Cache {
            buffers: Vec::new(),
            bytes: 0,
        }
    }
}

thread_local! {
    static F32: RefCell<Cache<f32>> = const { RefCell::new(Cache::new()) };
    static F64: RefCell<Cache<f64>> = const { RefCell::new(Cache::new()) };
}

/// `f` on this thread's cache for `T`; `None` when the thread is exiting or the cache is
/// in use.
fn with_cache<T: Float, R>(f: impl FnOnce(&mut Cache<T>) -> R) -> Option<R> {
    with_typed_local(&F32, &F64, f)
}

/// An empty buffer with room for at least `n` elements from this thread's cache, if it
/// holds one of at most twice that.
pub(crate) fn take<T: Float>(n: usize) -> Option<Vec<T>> {
    take_with::<T>(n, false)
}

/// A buffer of `n` elements whose values are whatever it held before (a kernel that
/// writes every element needs no zeros first), from this thread's cache, if it holds one
/// that held at least `n` values and has room for at most twice that.
pub(crate) fn take_unzeroed<T: Float>(n: usize) -> Option<Vec<T>> {
    take_with::<T>(n, true)
}

/// [`take`], or with `keep` [`take_unzeroed`].
fn take_with<T: Float>(n: usize, keep: bool) -> Option<Vec<T>> {
    if n.saturating_mul(std::mem::size_of::<T>()) < MIN_BYTES {
        return None;
    }
    with_cache::<T, _>(|cache| {
        let fits = |(v, held): &(Vec<T>, usize)| {
            v.capacity() >= n && v.capacity() / 2 <= n && (!keep || *held >= n)
        };
        let (i, _) = cache
            .buffers
            .iter()
            .enumerate()
            .filter(|(_, entry)| fits(entry))
            .min_by_key(|(_, (v, _))| v.capacity())?;
        let (mut v, _) = cache.buffers.remove(i);
        cache.bytes -= v.capacity() * std::mem::size_of::<T>();
        if keep {
            // SAFETY: `fits` checked that the buffer held at least `n` values when it was
            // cleared; clearing a `Vec` of floats leaves those bytes as they were, so its
            // first `n` elements are initialised values.
            unsafe { v.set_len(n) };
        }
        Some(v)
    })
    .flatten()
}

/// Frees every buffer this thread's cache holds for `T`.
pub(crate) fn release<T: Float>() {
    let _ = with_cache::<T, _>(|cache| {
        cache.buffers.clear();
        cache.bytes = 0;
    });
}

/// Bytes this thread's cache holds for `T` (for tests of the layers above).
#[cfg(test)]
pub(crate) fn cached_bytes<T: Float>() -> usize {
    with_cache::<T, _>(|cache| cache.bytes).unwrap_or(0)
}

/// Keeps `v`'s allocation in this thread's cache if it is large enough to be worth it;
/// otherwise frees it.
pub(crate) fn give<T: Float>(mut v: Vec<T>) {
    let bytes = v.capacity() * std::mem::size_of::<T>();
    if !(MIN_BYTES..=MAX_BYTES).contains(&bytes) {
        return;
    }
    let held = v.len();
    v.clear();
    let _ = with_cache::<T, _>(move |cache| {
        while cache.buffers.len() >= MAX_COUNT || cache.bytes + bytes > MAX_BYTES {
            let (old, _) = cache.buffers.remove(0);
            cache.bytes -= old.capacity() * std::mem::size_of::<T>();
        }
        cache.bytes += bytes;
        cache.buffers.push((v, held));
    });
}

/// A tensor's buffer: a `Vec` whose allocation goes back to the cache when dropped.
#[derive(Debug)]
pub(crate) struct Buffer<T: Float>(pub Vec<T>);

impl<T: Float> Drop for Buffer<T> {
    fn drop(&mut self) {
        give(std::mem::take(&mut self.0));
    }
}

impl<T: Float> Clone for Buffer<T> {
    fn clone(&self) -> Self {
        let mut v = take(self.0.len()).unwrap_or_else(|| Vec::with_capacity(self.0.len()));
        v.extend_from_slice(&self.0);
        Buffer(v)
    }
}

impl<T: Float> std::ops::Deref for Buffer<T> {
    type Target = Vec<T>;
    fn deref(&self) -> &Vec<T> {
        &self.0
    }
}

impl<T: Float> std::ops::DerefMut for Buffer<T> {
    fn deref_mut(&mut self) -> &mut Vec<T> {
        &mut self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_large_buffer_is_reused_and_small_ones_are_not_kept() {
        let n = MIN_BYTES / 4 + 10;
        let v: Vec<f32> = vec![1.0; n];
        let ptr = v.as_ptr();
        drop(Buffer(v));
        // too large a request for it (more than its capacity), then one it fits
        assert!(take::<f32>(2 * n).is_none());
        let again = take::<f32>(n - 5).expect("the cached buffer");
        assert_eq!((again.as_ptr(), again.len()), (ptr, 0));
        // not for the other type, nor under the threshold
        drop(Buffer(again));
        assert!(take::<f64>(n / 2).is_none());
        drop(Buffer(vec![0.0f64; 8]));
        assert!(take::<f64>(8).is_none());
        // a request of under half its capacity leaves it in the cache
        assert!(take::<f32>(n / 4).is_none());
        assert!(take::<f32>(n).is_some());
    }

    #[test]
    fn an_unzeroed_buffer_keeps_only_values_it_held() {
        let n = MIN_BYTES / 8 + 3;
        let mut v: Vec<f64> = Vec::with_capacity(2 * n);
        v.extend((0..n).map(|i| i as f64));
        drop(Buffer(v));
        // it held n values: a request for more gets nothing, for n its old values
        assert!(take_unzeroed::<f64>(n + 1).is_none());
        let again = take_unzeroed::<f64>(n).expect("the cached buffer");
        assert_eq!(again.len(), n);
        assert_eq!(again[n - 1], (n - 1) as f64);
    }

    #[test]
    fn the_cache_stays_within_its_bounds() {
        for _ in 0..2 * MAX_COUNT {
            give(vec![0.0f64; MIN_BYTES / 8]);
        }
        let (count, bytes) = with_cache::<f64, _>(|c| (c.buffers.len(), c.bytes)).unwrap();
        assert!(count <= MAX_COUNT && bytes <= MAX_BYTES);
    }
}
