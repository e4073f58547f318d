//! `weir`: see `weir --help`.

// mimalloc: measured faster than glibc malloc for the proxy's many small,
// short-lived allocations (see docs/performance.md). Optional (default
// feature `mimalloc`) so the heap can be profiled with malloc-based tools.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // Transparent huge pages off for this process, before it serves: with
    // THP, khugepaged eventually collapses the allocator's sparsely used
    // 4 KiB pages into 2 MiB pages, and RSS jumped by 3 to 6 MiB at a time
    // (once about 23 minutes into every soak run, when khugepaged's scan
    // reached the process) with no more memory in use: the live heap, seen by
    // heaptrack, stayed flat. A gateway's memory must follow its load, and its
    // heap is too small for huge pages to save TLB misses. Failure (an old
    // kernel) changes nothing else.
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    weir::cli::main()
}
