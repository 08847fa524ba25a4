//! The worker threads that the GEMM, the long element-wise maps, the convolutions and the
//! poolings split their work over.
//!
//! # Design
//! A split hands out parts `0..n` of a job: the calling thread publishes the job, then
//! takes parts itself while the workers take the others, and returns when every part is
//! done. There are [`worker_threads`]` − 1` workers (the caller is the last thread), started
//! on first use.
//!
//! An idle worker spins for [`SPIN`] before it sleeps. A step of a network splits its
//! work many times with serial code in between (the element-wise ops, the optimizer), and
//! waking a sleeping thread costs from tens of microseconds to milliseconds on a VM. With
//! `rayon`'s pool, whose workers sleep almost at once, `conv_step` gained nothing from a
//! second core (8.5–10.4 ms against 9.8–10.4 on one; 6.6–8.5 with these workers). 200 µs
//! of spinning was not enough either: zeroing a 4 MiB output between two products outlasts
//! it, and `matmul` f32 n = 1024 on two threads ran at 155 GFLOP/s, against 290–335 with
//! 1 ms (OpenMP runtimes spin from 0.2 to 200 ms by default). A part the workers have not
//! taken when the caller is done with its own, the caller takes too, so a slow wake-up
//! costs a split no more than running it serially.
//!
//! A split from inside a part (a product inside a convolution's image loop), or while
//! another thread's split is running, runs its parts on the calling thread.
//!
//! A worker that finds itself on its caller's CPU when it takes a job moves off it
//! (`placement.rs`): woken there, it would share that CPU while another idles.

use super::placement::{current_cpu, Home};
use super::worker_threads;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering::SeqCst};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long an idle worker spins, waiting for the next split, before it sleeps.
const SPIN: Duration = Duration::from_millis(1);

/// One split: the parts, the next one to hand out, and how many are unfinished.
struct Job<'a> {
    f: &'a (dyn Fn(usize) + Sync),
    parts: usize,
    next: AtomicUsize,
    left: AtomicUsize,
    /// The payload of the first part that panicked.
    panic: Mutex<Option<Box<dyn std::any::Any + Send>>>,
    /// The CPU the caller was on when it published the job: a worker woken there moves
    /// off it (`placement.rs`).
    caller_cpu: Option<usize>,
}

impl Job<'_> {
    /// Takes parts until none is left to hand out.
    fn run_parts(&self) {
        loop {
            let i = self.next.fetch_add(1, SeqCst);
            if i >= self.parts {
                return;
            }
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| (self.f)(i))) {
                let mut slot = self.panic.lock().unwrap_or_else(|e| e.into_inner());
                slot.get_or_insert(payload);
            }
            self.left.fetch_sub(1, SeqCst);
        }
    }
}

/// What the caller and the workers share.
struct Pool {
    /// The running job (a `*const Job`), or null.
    job: AtomicPtr<()>,
    /// Workers between deciding to look at `job` and being done with it.
    active: AtomicUsize,
    /// Bumped for every job, under `lock`, so a worker about to sleep sees it.
    epoch: AtomicUsize,
    lock: Mutex<()>,
    wake: Condvar,
    /// Held by the thread whose job is running.
    busy: AtomicBool,
}

thread_local! {
    /// True on the workers, and on a caller while its job runs.
    static IN_SPLIT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The pool, its workers started on first use.
fn pool() -> &'static Pool {
    static POOL: OnceLock<&'static Pool> = OnceLock::new();
    POOL.get_or_init(|| {
        let pool: &'static Pool = Box::leak(Box::new(Pool {
            job: AtomicPtr::new(std::ptr::null_mut()),
            active: AtomicUsize::new(0),
            epoch: AtomicUsize::new(0),
            lock: Mutex::new(()),
            wake: Condvar::new(),
            busy: AtomicBool::new(false),
        }));
        for i in 1..worker_threads() {
            // A worker that cannot start leaves its parts to the caller.
            let _ = std::thread::Builder::new()
                .name(format!("tapegrad-worker-{i}"))
                .spawn(move || work(pool));
        }
        pool
    })
}

/// A worker: waits for each new job (spinning, then sleeping) and takes its parts.
fn work(pool: &'static Pool) {
    IN_SPLIT.with(|s| s.set(true));
    let home = Home::current();
    let mut seen = pool.epoch.load(SeqCst);
    loop {
        let start = Instant::now();
        let mut spins = 0u32;
        while pool.epoch.load(SeqCst) == seen {
            std::hint::spin_loop();
            spins = spins.wrapping_add(1);
            if spins.is_multiple_of(256) && start.elapsed() > SPIN {
                let mut guard = pool.lock.lock().unwrap_or_else(|e| e.into_inner());
                while pool.epoch.load(SeqCst) == seen {
                    guard = pool.wake.wait(guard).unwrap_or_else(|e| e.into_inner());
                }
            }
        }
        seen = pool.epoch.load(SeqCst);
        pool.active.fetch_add(1, SeqCst);
        let job = pool.job.load(SeqCst).cast_const().cast::<Job<'_>>();
        // SAFETY: the caller clears `job` before it lets its `Job` go, then waits until
        // `active` is 0; this worker counted itself in `active` before loading the
        // pointer, so a non-null one points at a live `Job`.
        if let Some(job) = unsafe { job.as_ref() } {
            if let Some(cpu) = current_cpu().filter(|&cpu| Some(cpu) == job.caller_cpu) {
                home.move_off(cpu);
            }
            job.run_parts();
        }
        pool.active.fetch_sub(1, SeqCst);
    }
}

/// Runs `f(i)` for every `i < parts`, on the calling thread and the workers; returns when
/// all are done. A panic in a part is raised again here, after every part has finished.
pub(crate) fn for_each_part(parts: usize, f: &(dyn Fn(usize) + Sync)) {
    let nested = IN_SPLIT.with(|s| s.get());
    if parts <= 1 || worker_threads() <= 1 || nested {
        (0..parts).for_each(f);
        return;
    }
    let pool = pool();
    if pool.busy.swap(true, SeqCst) {
        // another thread's split is running
        (0..parts).for_each(f);
        return;
    }
    IN_SPLIT.with(|s| s.set(true));
    let job = Job {
        f,
        parts,
        next: AtomicUsize::new(0),
        left: AtomicUsize::new(parts),
        panic: Mutex::new(None),
        caller_cpu: current_cpu(),
    };
    pool.job
        .store(std::ptr::from_ref(&job).cast_mut().cast(), SeqCst);
    {
        let _guard = pool.lock.lock().unwrap_or_else(|e| e.into_inner());
        pool.epoch.fetch_add(1, SeqCst);
    }
    pool.wake.notify_all();
    job.run_parts();
    while job.left.load(SeqCst) != 0 {
        std::hint::spin_loop();
    }
    pool.job.store(std::ptr::null_mut(), SeqCst);
    while pool.active.load(SeqCst) != 0 {
        std::hint::spin_loop();
    }
    IN_SPLIT.with(|s| s.set(false));
    pool.busy.store(false, SeqCst);
    if let Some(payload) = job.panic.into_inner().unwrap_or_else(|e| e.into_inner()) {
        resume_unwind(payload);
    }
}

/// A pointer into one buffer shared by the parts of a split, each part touching only
/// its own elements (chunks of a slice here, blocks of columns in the GEMM).
pub(crate) struct Disjoint<U>(pub(crate) *mut U);

// (not derived: a derive would ask `U: Copy`)
impl<U> Clone for Disjoint<U> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<U> Copy for Disjoint<U> {}

impl<U> Disjoint<U> {
    /// The pointer `offset` elements on.
    ///
    /// # Safety
    /// As `pointer::add`: the result must stay inside the buffer.
    pub(crate) unsafe fn at(self, offset: usize) -> *mut U {
        // SAFETY: the caller's.
        unsafe { self.0.add(offset) }
    }
}

// SAFETY: the parts that share it touch disjoint elements (see its users).
unsafe impl<U: Send> Send for Disjoint<U> {}
// SAFETY: as above.
unsafe impl<U: Send> Sync for Disjoint<U> {}

/// Runs `f(i, chunk)` for the chunks of `chunk` elements of `data` (the last may be
/// shorter), split over the threads as [`for_each_part`].
pub(crate) fn for_each_chunk_mut<U: Send>(
    data: &mut [U],
    chunk: usize,
    f: &(dyn Fn(usize, &mut [U]) + Sync),
) {
    if data.is_empty() || chunk == 0 {
        return;
    }
    let len = data.len();
    let base = Disjoint(data.as_mut_ptr());
    for_each_part(len.div_ceil(chunk), &|i| {
        let start = i * chunk;
        let end = (start + chunk).min(len);
        // SAFETY: `start..end` lies inside `data`, which this call borrows mutably, and
        // each part `i` makes the only slice of its own range.
        let part = unsafe { std::slice::from_raw_parts_mut(base.at(start), end - start) };
        f(i, part)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_part_runs_once_and_chunks_cover_the_slice() {
        let hits: Vec<AtomicUsize> = (0..37).map(|_| AtomicUsize::new(0)).collect();
        for_each_part(hits.len(), &|i| {
            hits[i].fetch_add(1, SeqCst);
        });
        assert!(hits.iter().all(|h| h.load(SeqCst) == 1));
        let mut v = vec![0usize; 103];
        for_each_chunk_mut(&mut v, 10, &|i, part| {
            for (j, x) in part.iter_mut().enumerate() {
                *x = i * 10 + j;
            }
        });
        assert!(v.iter().enumerate().all(|(i, &x)| x == i));
    }

    #[test]
    fn nested_and_concurrent_splits_finish() {
        let total = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..3 {
                s.spawn(|| {
                    for _ in 0..50 {
                        for_each_part(4, &|_| {
                            for_each_part(3, &|_| {
                                total.fetch_add(1, SeqCst);
                            });
                        });
                    }
                });
            }
        });
        assert_eq!(total.into_inner(), 3 * 50 * 4 * 3);
    }

    #[test]
    fn a_panicking_part_is_raised_on_the_caller_after_the_others() {
        let done = AtomicUsize::new(0);
        let r = catch_unwind(AssertUnwindSafe(|| {
            for_each_part(8, &|i| {
                if i == 3 {
                    panic!("part 3");
                }
                done.fetch_add(1, SeqCst);
            })
        }));
        assert!(r.is_err());
        assert_eq!(done.into_inner(), 7);
        // and the pool still works
        let again = AtomicUsize::new(0);
        for_each_part(5, &|_| {
            again.fetch_add(1, SeqCst);
        });
        assert_eq!(again.into_inner(), 5);
    }
}
