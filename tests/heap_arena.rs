//! `train::heap::keep_freed_memory` (src/train/heap.rs) called first in `main`, as the `inputgrad`
//! binary does: a block larger than a thread arena's 64 MiB heap, allocated by a thread started
//! afterwards, comes from the main heap instead of a mapping of its own, so freeing it keeps it
//! for the next allocation. Its own binary without the test harness, whose threads would have
//! taken arenas of their own before the call.

use inputgrad::train::heap::{configured_by_environment, keep_freed_memory, HeapPolicy};

/// Above glibc's `HEAP_MAX_SIZE` (64 MiB on 64-bit targets), the most a thread arena's heap holds.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const BIG: usize = 96 << 20;

fn main() {
    let policy = keep_freed_memory();
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        if configured_by_environment() {
            assert_eq!(policy, HeapPolicy::UserSettings);
            println!("heap_arena: the environment configures glibc's allocator; nothing to check");
            return;
        }
        assert_eq!(policy, HeapPolicy::Kept, "mallopt refused a setting");
        // SAFETY: mallinfo2 only reads the allocator's statistics.
        let mapped = || unsafe { libc::mallinfo2() }.hblkhd;
        let (before, after) = std::thread::spawn(move || {
            let before = mapped();
            let block = std::hint::black_box(vec![1u8; BIG]);
            let after = mapped();
            drop(block);
            (before, after)
        })
        .join()
        .expect("the allocating thread panicked");
        assert!(
            after < before + BIG,
            "a {BIG}-byte block allocated off the main thread was mmapped: {before} -> {after} bytes in mapped blocks"
        );
        println!("heap_arena: a {BIG}-byte block from a new thread came from the main heap ({before} -> {after} bytes mapped)");
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    assert_eq!(policy, HeapPolicy::Unsupported);
}
