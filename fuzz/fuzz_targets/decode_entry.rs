//! The cache entry decoder on arbitrary payloads, sealed so that they get
//! past the checksum (a crafted entry in a shared cache directory or Redis
//! has a valid one): every input is refused or decodes to a value the
//! language can create, which encodes and decodes again to an equal value.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    memo_fuzz::decode_entry(data);
});
