//! `weir`: see `weir --help`.

// mimalloc: measured faster than glibc malloc for the proxy's many small,
// short-lived allocations (see docs/performance.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    weir::cli::main()
}
