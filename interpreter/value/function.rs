//! Function values: closures over compiled code, and natives.

use super::Value;
use crate::codegen::FnProto;
use crate::error::Result;
use crate::interp::CachedFn;
use crate::interp::Interp;
use std::sync::Arc;

/// A user function: compiled code plus the values it captured when created.
pub struct Closure {
    pub proto: Arc<FnProto>,
    pub captures: Box<[Value]>,
    /// `Some` for a `cached fn`: its options, statistics and memoized code hash.
    pub cached: Option<Arc<CachedFn>>,
}

impl Closure {
    pub fn name(&self) -> &str {
        &self.proto.name
    }
}

/// The Rust side of a native function.
/// Arguments arrive as a mutable slice so a native may take (move) them,
/// which lets `push(xs, v)` update an unshared list in place.
pub type NativeImpl = Arc<dyn Fn(&mut Interp, &mut [Value]) -> Result<Value> + Send + Sync>;

/// A function implemented in Rust (the standard library or a host's).
pub struct NativeFn {
    pub name: String,
    pub func: NativeImpl,
}
