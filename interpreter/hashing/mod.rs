//! Hashing for the cache: the structural hash of values (`value_hash`) and
//! the transitive code identity of a function with its free variables
//! (`deps`). The hash of one function body is the compiler's
//! (`crate::compiler::code_hash`). The cache key (`crate::cache::key`) is
//! built from these.

pub mod deps;
pub mod value_hash;
