//! The `memo` binary: see `memo --help`.

// Scripts allocate and free many small strings, map nodes and list chunks;
// mimalloc serves those faster than the system allocator (the library leaves
// the choice of allocator to its embedder). Its transparent-huge-page
// advice stays on: a script that builds big lists or many records otherwise
// spends a fifth to a third of its time in the kernel's 4 KiB page faults
// (docs/performance.md, item 22).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(memo::cli::main());
}
