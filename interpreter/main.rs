//! The `memo` binary: see `memo --help`.

// Scripts allocate and free many small strings, map nodes and list chunks;
// mimalloc serves those faster than the system allocator (the library leaves
// the choice of allocator to its embedder).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(memo::cli::main());
}
