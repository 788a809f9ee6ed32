//! The differential cache check (issue 14's `tests/differential.rs`) on
//! programs and edit sequences the bytes choose: with the cache, every run
//! prints exactly what it prints without one.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    memo_fuzz::diff_cache(data);
});
