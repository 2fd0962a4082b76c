//! Thin entry point: run the CLI, map its outcome to the exit status.

/// mimalloc: the scan allocates per file on every thread; measured 9% faster than glibc's
/// allocator on the benchmark tree (fewer page faults and arena trims).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut out = anstream::stdout();
    let mut err = anstream::stderr();
    let code = prodready::run(std::env::args_os(), &mut out, &mut err);
    std::process::exit(code);
}
