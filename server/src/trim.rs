//! Giving freed memory back to the system. glibc's allocator keeps what
//! the process frees for its own reuse, so resident memory stays at its
//! peak after a reset has dropped the journal and the armed overrides;
//! trimming after such a bulk free returns the free pages.

/// Returns the allocator's free pages to the system (a no-op where the
/// allocator is not glibc's).
pub fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim takes no pointers; it only walks the allocator's
    // own free lists, under the allocator's locks.
    unsafe {
        libc::malloc_trim(0);
    }
}
