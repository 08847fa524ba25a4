//! Moving a worker thread off the CPU of the thread that handed it work (Linux; elsewhere
//! nothing is done).
//!
//! # Why
//! A worker that has just started, or slept through a long serial stretch, can be woken on
//! the CPU its caller runs on. The two then share that CPU while the other idles: the
//! caller runs its part and, the worker not having started its own, runs that too, at one
//! thread's speed, until the kernel's load balancing separates them. On this project's
//! 2-vCPU VMs that took tens of milliseconds: in a harness run, every product of
//! `matmul` f32 at n = 256 and 512 after `scalar_chain` (seconds without a split) ran at
//! one thread's speed (217 and 221 GFLOP/s, against 441 and 444 in a run where the
//! worker woke elsewhere), and a trace of each split showed caller and worker on CPU 0
//! for the first 65 products.
//!
//! # What
//! The caller says which CPU it is on when it publishes a split; a worker that finds
//! itself on the same one narrows its own affinity to the CPUs it started with, less
//! that one, which moves it at once. The set is always taken from the one it started with,
//! so a later collision on another CPU moves it back.

/// The CPU the calling thread is running on, if the platform says.
pub(crate) fn current_cpu() -> Option<usize> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: `sched_getcpu` takes nothing and reads the calling thread's state.
        usize::try_from(unsafe { libc::sched_getcpu() }).ok()
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// The CPUs a thread was allowed to run on when it started.
pub(crate) struct Home {
    #[cfg(target_os = "linux")]
    set: Option<libc::cpu_set_t>,
}

impl Home {
    /// The calling thread's CPUs now.
    pub(crate) fn current() -> Self {
        #[cfg(target_os = "linux")]
        {
            // SAFETY: a zeroed `cpu_set_t` is an empty set, and `sched_getaffinity` writes
            // at most `size_of::<cpu_set_t>()` bytes into it.
            let set = unsafe {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                let size = std::mem::size_of::<libc::cpu_set_t>();
                (libc::sched_getaffinity(0, size, &mut set) == 0).then_some(set)
            };
            Home { set }
        }
        #[cfg(not(target_os = "linux"))]
        {
            Home {}
        }
    }

    /// Restricts the calling thread to its home CPUs but `cpu`, which moves it off `cpu`
    /// at once; does nothing when `cpu` is its only one (or the platform cannot).
    pub(crate) fn move_off(&self, cpu: usize) {
        #[cfg(target_os = "linux")]
        if let Some(mut set) = self.set {
            // SAFETY: `cpu` is checked against the set's capacity before `CPU_CLR`, and
            // `sched_setaffinity` reads the set it is given.
            unsafe {
                if cpu < 8 * std::mem::size_of::<libc::cpu_set_t>() {
                    libc::CPU_CLR(cpu, &mut set);
                }
                if libc::CPU_COUNT(&set) > 0 {
                    let size = std::mem::size_of::<libc::cpu_set_t>();
                    libc::sched_setaffinity(0, size, &set);
                }
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = cpu;
    }

    /// How many CPUs are home.
    #[cfg(test)]
    fn count(&self) -> usize {
        #[cfg(target_os = "linux")]
        {
            // SAFETY: reads a set `sched_getaffinity` filled.
            self.set
                .map_or(0, |set| unsafe { libc::CPU_COUNT(&set) } as usize)
        }
        #[cfg(not(target_os = "linux"))]
        {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_moved_off_its_cpu_runs_elsewhere() {
        std::thread::spawn(|| {
            let home = Home::current();
            let Some(cpu) = current_cpu() else { return };
            if home.count() < 2 {
                return; // one CPU: nowhere to go
            }
            home.move_off(cpu);
            std::thread::yield_now();
            assert_ne!(current_cpu(), Some(cpu));
            // and back: off another CPU, the first is allowed again
            let now = current_cpu().expect("a CPU");
            home.move_off(now);
            std::thread::yield_now();
            assert_ne!(current_cpu(), Some(now));
        })
        .join()
        .unwrap();
    }
}
