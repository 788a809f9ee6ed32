//! memo: a small embeddable scripting language with native memoization.
//!
//! See `ARCHITECTURE.md` at the repository root for a map of the modules.

// Every `unsafe` block says why it is sound; the reference-count lending
// the evaluator relies on lives in `value::lend`, with its rules.
#![deny(clippy::undocumented_unsafe_blocks)]
#![deny(unsafe_op_in_unsafe_fn)]

pub mod alloc;
pub mod ast;
pub mod cache;
pub mod codegen;
pub mod compiler;
pub mod engine;
pub mod error;
pub mod hashing;
pub mod interp;
pub mod lexer;
pub mod names;
pub mod natives;
pub mod parser;
pub mod source;
pub mod stack;
pub mod value;

/// The interpreter version (part of cache keys for natives and of disk entries).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub use cache::disk::DiskStore;
pub use cache::{Cache, CacheConfig};
pub use engine::{
    new_interp, CacheInfo, Effect, Engine, EngineBuilder, Error, FnStats, FromValue, HostType, InterruptHandle, IntoArgs, Limits,
    OutputBuffer,
};
pub use error::{ErrorKind, MemoError};
pub use interp::Interp;
pub use value::{BoolWord, FloatWord, Value};
