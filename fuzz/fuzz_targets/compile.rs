//! Lexer, layout pass, parser and compiler on arbitrary bytes (as UTF-8,
//! invalid sequences replaced): every input is a program or an error.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    memo_fuzz::compile(&String::from_utf8_lossy(data));
});
