//! Hashing: the structural hash of values (`value_hash`), of code
//! (`code_hash`), and the transitive code identity of a function with its
//! free variables (`deps`). The cache key (`crate::cache::key`) is built from
//! these.

pub mod code_hash;
pub mod deps;
pub mod value_hash;
