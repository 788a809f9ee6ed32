//! `memo repl` (in progress).
use crate::cli::RunOpts;
use std::path::PathBuf;
pub fn run(_file: Option<PathBuf>, _opts: &RunOpts) -> i32 {
    eprintln!("error: memo repl is not available in this build yet");
    2
}
