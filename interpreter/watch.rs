//! `memo watch` (in progress).
use crate::cli::RunOpts;
use std::path::Path;
pub fn run(_file: &Path, _opts: &RunOpts) -> i32 {
    eprintln!("error: memo watch is not available in this build yet");
    2
}
