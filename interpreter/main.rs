//! The `memo` binary: see `memo --help`.
fn main() {
    std::process::exit(memo::cli::main());
}
