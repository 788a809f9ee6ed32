//! memo: a small embeddable scripting language with native memoization.
//!
//! See `ARCHITECTURE.md` at the repository root for a map of the modules.

pub mod ast;
pub mod error;
pub mod source;
