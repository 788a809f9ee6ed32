//! `cache_info(f)`, `cache_clear([f])`.

use crate::error::{MemoError, Result};
use crate::interp::Interp;
use crate::natives::{arity, Builtin};
use crate::value::Value;
use std::sync::atomic::Ordering;
use std::sync::Arc;

pub const NATIVES: &[(&str, Builtin)] = &[("cache_info", cache_info), ("cache_clear", cache_clear)];

fn cached_fn(name: &str, v: &Value) -> Result<Arc<crate::interp::CachedFn>> {
    match v {
        Value::Func(c) if c.cached.is_some() => Ok(c.cached.clone().unwrap()),
        other => Err(MemoError::new(
            "TypeError",
            format!("{name}() expects a cached fn, got {}", crate::value::repr_prefix(other, 200)),
        )),
    }
}

fn cache_info(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("cache_info", args, 1, 1)?;
    let cf = cached_fn("cache_info", &args[0])?;
    interp.flush_hits();
    let entries = crate::cache::session(interp).map(|s| s.cache.entries_of(&cf.name)).unwrap_or(0);
    let mut m = crate::value::ValueMap::new();
    m.insert(Value::str("entries"), Value::Int(entries as i64));
    m.insert(Value::str("hits"), Value::Int(cf.hits.load(Ordering::Relaxed) as i64));
    m.insert(Value::str("misses"), Value::Int(cf.misses.load(Ordering::Relaxed) as i64));
    Ok(Value::map(m))
}

fn cache_clear(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("cache_clear", args, 0, 1)?;
    let name = match args.first() {
        None => None,
        Some(f) => Some(cached_fn("cache_clear", f)?.name.clone()),
    };
    if let Some(s) = crate::cache::session(interp) {
        s.clear(name.as_deref());
    }
    Ok(Value::None)
}
