//! The worker pool that the GEMM, the long element-wise maps, the convolutions and the
//! poolings split their work over.
//!
//! # Design
//! The calling thread always takes a part itself, so the pool holds one thread fewer than
//! [`worker_threads`]: on two cores, the caller and one worker. A pool as large as the
//! machine (rayon's global one) left a worker spinning for work beside the caller while
//! the caller ran the serial code between two splits: three threads on two cores, and
//! `conv_step` on two threads was slower than on one. The pool is tapegrad's own, so it
//! neither takes nor resizes a program's global rayon pool.

use super::worker_threads;

/// The pool: `worker_threads() − 1` threads (at least one), started on first use.
fn pool() -> &'static rayon::ThreadPool {
    static POOL: std::sync::OnceLock<rayon::ThreadPool> = std::sync::OnceLock::new();
    POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(worker_threads().saturating_sub(1).max(1))
            .thread_name(|i| format!("tapegrad-worker-{i}"))
            .build()
            .expect("cannot start tapegrad's worker threads")
    })
}

/// Runs `op` on the calling thread with a scope whose spawned jobs run on the pool (or
/// on the caller, if it finishes its own part first); returns when all of them are done.
pub(crate) fn scope<'s, R>(op: impl FnOnce(&rayon::Scope<'s>) -> R) -> R {
    pool().in_place_scope(op)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spawned_part_runs_before_the_scope_returns() {
        let done = std::sync::atomic::AtomicUsize::new(0);
        scope(|s| {
            for _ in 0..5 {
                s.spawn(|_| {
                    done.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                });
            }
        });
        assert_eq!(done.into_inner(), 5);
    }
}
