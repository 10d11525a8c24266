//! Process-wide memory settings for the binaries (both use mimalloc as the global allocator).
//!
//! Encoding allocates and frees the same large buffers for every Parquet column chunk (zstd
//! contexts, page buffers, dictionaries). Measured with `benches/compare`: returning them to the
//! OS at once, or zeroing fresh 2 MiB huge pages for them, cost more than the encoding itself.

/// mimalloc option index of `purge_delay` (v3 `mi_option_e`).
const MI_OPTION_PURGE_DELAY: i32 = 15;

/// Call first thing in `main`, before any other thread exists.
pub fn tune_allocator() {
    // Keep freed pages for a second before returning them (the default is 10 ms), unless
    // `MIMALLOC_PURGE_DELAY` in the environment says otherwise (mimalloc reads it at start).
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: no other thread exists yet; the option is a plain integer.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 1000) };
    }
    #[cfg(target_os = "linux")]
    // SAFETY: prctl and mallopt take plain integers and touch no memory of ours; no other
    // thread exists yet. Failure leaves the defaults, which are only slower.
    unsafe {
        // Transparent huge pages turn every fresh page into a 2 MiB zeroing.
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
        // zstd (C) allocates its contexts with the C allocator, a pair per column chunk: keep
        // those blocks in the heap instead of an mmap/munmap and TLB shootdown each time.
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 128 << 20);
    }
}
