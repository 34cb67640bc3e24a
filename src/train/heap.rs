//! Keeping freed tensor buffers in the process instead of returning them to the kernel.
//!
//! A training step allocates its activations and gradients afresh (burn's backends own their
//! outputs), frees them, and allocates the same sizes again on the next step. glibc's `malloc`
//! serves any block above its mmap threshold (at most 32 MiB, glibc's
//! `DEFAULT_MMAP_THRESHOLD_MAX`) with its own `mmap` and unmaps it on `free`, and trims the heap's
//! top once more than `M_TRIM_THRESHOLD` bytes are free there; either way the next step's buffer
//! is fresh pages, each zeroed by the kernel on first touch. The seed-000 MLP's 3136 × 3136 weight
//! gradient alone is 39 MB, so every step page-faults on it. [`keep_freed_memory`] tells glibc to
//! serve every block from the heap and never to trim it: freed buffers are reused, the process
//! keeps its peak footprint until it exits. A thread other than the main one would otherwise
//! allocate from an arena of its own, whose heaps hold at most 64 MiB (`HEAP_MAX_SIZE`): a larger
//! block from such a thread is mapped and unmapped whatever `M_MMAP_MAX` says. burn-ndarray runs
//! its parallel operations (the matrix product among them) inside `rayon::scope`, which, called
//! from outside rayon's pool, runs its closure on a pool thread — so the product's output, 200 MB
//! for a hidden activation of the benchmark's wide workload, is allocated there. The call
//! therefore also limits glibc to one arena (`M_ARENA_MAX = 1`): every thread allocates from the
//! main heap, whose freed blocks are kept. The wide step ran 1.28× faster with it (median of four
//! alternations; the other three workloads 0.99–1.04×; README, benchmark).
//! It is process-wide state, so only executables call it (the `inputgrad` binary at start, the
//! benchmark's Rust side); the library never does.
//!
//! A user who sets glibc's own variables (`MALLOC_MMAP_MAX_`, `MALLOC_TRIM_THRESHOLD_`,
//! `MALLOC_MMAP_THRESHOLD_`, `MALLOC_TOP_PAD_`, or a `GLIBC_TUNABLES` naming `glibc.malloc`) keeps
//! them: the call then changes nothing. Where the C library is not glibc it does nothing.

/// What [`keep_freed_memory`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeapPolicy {
    /// glibc now keeps freed blocks (no mmap-served blocks, no trimming, one arena).
    Kept,
    /// The environment already configures glibc's allocator; left as it is.
    UserSettings,
    /// Not glibc: nothing to do.
    Unsupported,
}

/// glibc's environment variables that configure what [`keep_freed_memory`] would set.
const GLIBC_MALLOC_VARS: [&str; 6] = [
    "MALLOC_MMAP_MAX_",
    "MALLOC_TRIM_THRESHOLD_",
    "MALLOC_MMAP_THRESHOLD_",
    "MALLOC_TOP_PAD_",
    "MALLOC_ARENA_MAX",
    "MALLOC_ARENA_TEST",
];

/// Whether the environment `get` already configures glibc's allocator.
fn user_configured(get: impl Fn(&str) -> Option<String>) -> bool {
    GLIBC_MALLOC_VARS.iter().any(|v| get(v).is_some()) || get("GLIBC_TUNABLES").is_some_and(|t| t.contains("glibc.malloc"))
}

/// Whether this process's environment already configures glibc's allocator (then
/// [`keep_freed_memory`] leaves it alone).
pub fn configured_by_environment() -> bool {
    user_configured(|v| std::env::var(v).ok())
}

/// Makes glibc keep freed memory for reuse (see the module documentation); call it once, at the
/// start of `main`, before threads are started (a thread that has already allocated keeps the
/// arena it has).
pub fn keep_freed_memory() -> HeapPolicy {
    if configured_by_environment() {
        return HeapPolicy::UserSettings;
    }
    set_glibc()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn set_glibc() -> HeapPolicy {
    // SAFETY: mallopt only changes allocator parameters; every value is within glibc's
    // documented ranges (M_MMAP_MAX ≥ 0; M_TRIM_THRESHOLD any non-negative int; M_ARENA_MAX ≥ 1).
    let ok = unsafe {
        libc::mallopt(libc::M_MMAP_MAX, 0) == 1
            && libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX) == 1
            && libc::mallopt(libc::M_ARENA_MAX, 1) == 1
    };
    if ok {
        HeapPolicy::Kept
    } else {
        HeapPolicy::Unsupported
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn set_glibc() -> HeapPolicy {
    HeapPolicy::Unsupported
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn user_settings_are_detected() {
        assert!(!user_configured(env(&[])));
        assert!(!user_configured(env(&[("GLIBC_TUNABLES", "glibc.pthread.rseq=0")])));
        assert!(user_configured(env(&[("GLIBC_TUNABLES", "glibc.malloc.trim_threshold=1")])));
        for v in GLIBC_MALLOC_VARS {
            assert!(user_configured(env(&[(v, "0")])), "{v}");
        }
    }

    #[test]
    fn large_blocks_come_from_the_heap_once_kept() {
        let policy = keep_freed_memory();
        if configured_by_environment() {
            assert_eq!(policy, HeapPolicy::UserSettings);
        } else if cfg!(all(target_os = "linux", target_env = "gnu")) {
            assert_eq!(policy, HeapPolicy::Kept, "mallopt refused M_MMAP_MAX = 0, M_TRIM_THRESHOLD or M_ARENA_MAX = 1");
        } else {
            assert_eq!(policy, HeapPolicy::Unsupported);
        }
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        if policy == HeapPolicy::Kept {
            // glibc maps any block above its largest mmap threshold (32 MiB) by default; kept, it
            // comes from a heap, so the bytes held in mapped blocks do not grow by its size
            // (other threads can only free mapped blocks now, not map new ones of this size).
            // Below the 64 MiB of a thread arena's heap: tests run off the main thread, which
            // may hold an arena of its own from before the call (tests/heap_arena.rs checks a
            // larger block from a thread started after it).
            const BIG: usize = 48 << 20;
            // SAFETY: mallinfo2 only reads the allocator's statistics.
            let mapped = || unsafe { libc::mallinfo2() }.hblkhd;
            let before = mapped();
            let block = std::hint::black_box(vec![1u8; BIG]);
            let after = mapped();
            drop(block);
            assert!(after < before + BIG, "a {BIG}-byte block was mmapped: {before} -> {after} bytes in mapped blocks");
        }
    }
}
