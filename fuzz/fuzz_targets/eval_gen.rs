//! The evaluator on programs generated from the input (`memo_fuzz::Gen`:
//! the bytes choose statements, expressions, natives and the snippets that
//! reach the limits), run under tight limits.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let src = memo_fuzz::Gen::new(data).program();
    memo_fuzz::run(&src);
});
