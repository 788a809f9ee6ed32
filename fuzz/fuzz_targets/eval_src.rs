//! The evaluator on arbitrary source text under tight limits (seeded with
//! the repository's scripts, so mutations stay close to real programs).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(src) = std::str::from_utf8(data) {
        memo_fuzz::run(src);
    }
});
