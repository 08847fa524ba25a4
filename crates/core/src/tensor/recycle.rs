//! Reuse of element buffers, so that a training step that makes the same tensors every
//! time does not hand them back to malloc, or to the operating system, and get them again.
//!
//! # Why
//! A buffer of more than malloc's threshold (128 KiB in glibc, raised as large buffers are
//! freed) comes from `mmap` and goes back with `munmap`, or from the heap's top, which is
//! trimmed when enough of it is free: either way the next step's buffer of the same size
//! arrives as fresh pages, and each first touch of a page is a page fault (about a
//! microsecond on this project's VMs; 1 MiB is 256 of them). `mlp_step` and `grad_matmul`
//! spent 1.5 ms of a 5 ms step that way.
//!
//! Smaller buffers (a 64 × 32 activation is 8 KiB) are above the sizes malloc keeps in
//! its per-thread cache (about 1 KiB in glibc), so each goes through its shared heap;
//! once a process has started a second thread (the worker pool), glibc takes a lock for
//! each of those calls. A small eager step (two 64 × 32 layers, 11 such buffers) ran 1–3%
//! slower after a thread had been started and joined, in the same process (4 of 4
//! processes; controls ±1%), and 8% slower than with these buffers reused here.
//!
//! # What
//! When a tensor's buffer of at least [`SMALL_MIN_BYTES`] is dropped, it goes into a
//! per-thread cache instead of back to malloc: buffers of at least [`MIN_BYTES`] into the
//! large one (at most [`MAX_COUNT`] buffers and [`MAX_BYTES`] per element type and thread),
//! smaller ones into the small one ([`SMALL_MAX_COUNT`], [`SMALL_MAX_BYTES`]), the oldest
//! evicted first, so that many small buffers never push the large ones out. A kernel
//! asking for a buffer ([`alloc_buffer`](super::alloc_buffer)) takes, from the large
//! cache, the smallest one that holds what it needs and is at most twice that; from the
//! small one, the most recently given such buffer (still in the CPU's caches, and found
//! near the end). The elements of a reused buffer are never read: every kernel writes its
//! buffer before it is a tensor.

use super::typed_local::with_typed_local;
use crate::Float;
use std::cell::RefCell;

/// Buffers smaller than this go to the small cache.
const MIN_BYTES: usize = 128 << 10;
/// The most bytes one thread keeps of one element type in the large cache.
const MAX_BYTES: usize = 32 << 20;
/// The most buffers one thread keeps of one element type in the large cache.
const MAX_COUNT: usize = 32;
/// Buffers smaller than this are left to malloc, whose per-thread cache serves them.
const SMALL_MIN_BYTES: usize = 1 << 10;
/// The most bytes one thread keeps of one element type in the small cache.
const SMALL_MAX_BYTES: usize = 1 << 20;
/// The most buffers one thread keeps of one element type in the small cache.
const SMALL_MAX_COUNT: usize = 64;
/// The sizes of buffer, in bytes, that the caches keep.
const KEPT: std::ops::RangeInclusive<usize> = SMALL_MIN_BYTES..=MAX_BYTES;

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

/// One thread's two caches of one element type: buffers of at least [`MIN_BYTES`], and
/// smaller ones.
struct Caches<T> {
    large: Cache<T>,
    small: Cache<T>,
}

impl<T> Caches<T> {
    const fn new() -> Self {
        Caches {
            large: Cache::new(),
            small: Cache::new(),
        }
    }

    /// The cache for buffers of `bytes` (callers keep to [`KEPT`]) and its bounds
    /// (count, bytes).
    fn for_bytes(&mut self, bytes: usize) -> (&mut Cache<T>, usize, usize) {
        if bytes < MIN_BYTES {
            (&mut self.small, SMALL_MAX_COUNT, SMALL_MAX_BYTES)
        } else {
            (&mut self.large, MAX_COUNT, MAX_BYTES)
        }
    }
}

thread_local! {
    static F32: RefCell<Caches<f32>> = const { RefCell::new(Caches::new()) };
    static F64: RefCell<Caches<f64>> = const { RefCell::new(Caches::new()) };
}

/// `f` on this thread's caches for `T`; `None` when the thread is exiting or the caches
/// are in use.
fn with_cache<T: Float, R>(f: impl FnOnce(&mut Caches<T>) -> R) -> Option<R> {
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
    let bytes = n.saturating_mul(std::mem::size_of::<T>());
    if !KEPT.contains(&bytes) {
        return None; // before the thread-local: most requests of scalar code are here
    }
    with_cache::<T, _>(|caches| {
        let small = bytes < MIN_BYTES;
        let (cache, ..) = caches.for_bytes(bytes);
        let fits = |(v, held): &(Vec<T>, usize)| {
            v.capacity() >= n && v.capacity() / 2 <= n && (!keep || *held >= n)
        };
        let i = if small {
            // the most recently given: still in the CPU's caches
            cache.buffers.iter().rposition(fits)?
        } else {
            let (i, _) = cache
                .buffers
                .iter()
                .enumerate()
                .filter(|(_, entry)| fits(entry))
                .min_by_key(|(_, (v, _))| v.capacity())?;
            i
        };
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

/// Frees every buffer this thread's caches hold for `T`.
pub(crate) fn release<T: Float>() {
    let _ = with_cache::<T, _>(|caches| {
        for cache in [&mut caches.large, &mut caches.small] {
            cache.buffers.clear();
            cache.bytes = 0;
        }
    });
}

/// Bytes this thread's caches hold for `T` (for tests of the layers above).
#[cfg(test)]
pub(crate) fn cached_bytes<T: Float>() -> usize {
    with_cache::<T, _>(|caches| caches.large.bytes + caches.small.bytes).unwrap_or(0)
}

/// Keeps `v`'s allocation in this thread's caches if its size is one they keep;
/// otherwise frees it.
pub(crate) fn give<T: Float>(mut v: Vec<T>) {
    let bytes = v.capacity() * std::mem::size_of::<T>();
    if !KEPT.contains(&bytes) {
        return;
    }
    let held = v.len();
    v.clear();
    let _ = with_cache::<T, _>(move |caches| {
        let (cache, max_count, max_bytes) = caches.for_bytes(bytes);
        while cache.buffers.len() >= max_count || cache.bytes + bytes > max_bytes {
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
    fn a_dropped_small_buffer_is_reused_the_newest_first_and_tiny_ones_are_not_kept() {
        let n = 2 * SMALL_MIN_BYTES / 4;
        let (a, b): (Vec<f32>, Vec<f32>) = (vec![1.0; n], vec![2.0; n]);
        let pb = b.as_ptr();
        drop(Buffer(a));
        drop(Buffer(b));
        let again = take_unzeroed::<f32>(n).expect("a cached buffer");
        assert_eq!((again.as_ptr(), again[0]), (pb, 2.0));
        // a buffer of under SMALL_MIN_BYTES goes back to malloc
        drop(Buffer(vec![0.0f64; SMALL_MIN_BYTES / 16]));
        assert!(take::<f64>(SMALL_MIN_BYTES / 16).is_none());
        release::<f32>();
        assert_eq!(cached_bytes::<f32>(), 0);
    }

    #[test]
    fn small_buffers_never_evict_large_ones() {
        let large = MIN_BYTES / 8 + 1;
        let v = vec![0.0f64; large];
        let ptr = v.as_ptr();
        drop(Buffer(v));
        for _ in 0..4 * SMALL_MAX_COUNT {
            give(vec![0.0f64; SMALL_MIN_BYTES / 8 * 2]);
        }
        let again = take::<f64>(large).expect("the large buffer");
        assert_eq!(again.as_ptr(), ptr);
        release::<f64>();
    }

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
        release::<f64>();
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
    fn the_caches_stay_within_their_bounds() {
        for _ in 0..2 * MAX_COUNT {
            give(vec![0.0f64; MIN_BYTES / 8]);
        }
        for _ in 0..2 * SMALL_MAX_COUNT {
            give(vec![0.0f64; MIN_BYTES / 16]);
        }
        let ((count, bytes), (small_count, small_bytes)) = with_cache::<f64, _>(|c| {
            (
                (c.large.buffers.len(), c.large.bytes),
                (c.small.buffers.len(), c.small.bytes),
            )
        })
        .unwrap();
        assert!(count <= MAX_COUNT && bytes <= MAX_BYTES);
        assert!(small_count <= SMALL_MAX_COUNT && small_bytes <= SMALL_MAX_BYTES);
        assert!(small_count > 0);
    }
}
