//! memo: a small embeddable scripting language with native memoization.
//!
//! See `ARCHITECTURE.md` at the repository root for a map of the modules.

pub mod alloc;
pub mod ast;
pub mod cache;
pub mod cli;
pub mod compiler;
pub mod engine;
pub mod error;
pub mod hashing;
pub mod interp;
pub mod lexer;
pub mod names;
pub mod natives;
pub mod parser;
pub mod repl;
pub mod source;
pub mod stack;
pub mod value;
pub mod watch;

/// The interpreter version (part of cache keys for natives and of disk entries).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub use cache::disk::DiskStore;
pub use cache::Cache;
pub use engine::{CacheInfo, Engine, EngineBuilder, Error, FromValue, HostType, InterruptHandle, IntoArgs, Limits, OutputBuffer};
pub use error::MemoError;
pub use interp::Interp;
pub use value::{BoolWord, FloatWord, Value};
