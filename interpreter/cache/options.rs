//! `cached(...)` options, evaluated once when the declaration runs, and the
//! per-function state a cached closure carries (options, counters).

use crate::compiler::FnProto;
use crate::error::{MemoError, Result};
use crate::interp::Interp;
use crate::source::Span;
use crate::value::{Hash32, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The option names `cached(...)` accepts.
pub const KNOWN: &[&str] =
    &["hash_funcs", "allow_output_mutation", "suppress_warning", "max_entries", "ttl", "persist", "show_spinner"];

/// Evaluated options of one cached function.
#[derive(Clone, Debug)]
pub struct CachedOptions {
    /// `(type name, fn)`: values of that type are replaced by `fn(value)` before hashing.
    pub hash_funcs: Vec<(String, Value)>,
    pub allow_output_mutation: bool,
    pub suppress_warning: bool,
    pub max_entries: Option<usize>,
    pub ttl: Option<Duration>,
    pub persist: bool,
    pub show_spinner: bool,
}

impl Default for CachedOptions {
    fn default() -> Self {
        CachedOptions {
            hash_funcs: Vec::new(),
            allow_output_mutation: false,
            suppress_warning: false,
            max_entries: None,
            ttl: None,
            persist: true,
            show_spinner: true,
        }
    }
}

/// What a `cached fn` value carries besides its code.
pub struct CachedFn {
    /// The name entries are filed under (`cache_info`, `--stats`, `memo cache stats`).
    pub name: Arc<str>,
    pub options: CachedOptions,
    /// Hash of the `hash_funcs` option (part of the code hash).
    pub hash_funcs_digest: Hash32,
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    /// Nanoseconds spent computing misses / saved by hits.
    pub miss_nanos: AtomicU64,
    pub saved_nanos: AtomicU64,
}

fn bool_opt(name: &str, v: &Value, span: Span) -> Result<bool> {
    match v {
        Value::Bool(b) => Ok(b.get()),
        other => {
            Err(MemoError::at("TypeError", format!("cached option `{name}` must be a bool, got {}", other.type_name()), span))
        }
    }
}

impl CachedFn {
    pub fn new(interp: &mut Interp, proto: &Arc<FnProto>, opts: Vec<(String, Value, Span)>) -> Result<CachedFn> {
        let mut o = CachedOptions::default();
        for (name, v, span) in &opts {
            match name.as_str() {
                "hash_funcs" => {
                    let Value::Map(m) = v else {
                        return Err(MemoError::at(
                            "TypeError",
                            format!("`hash_funcs` must be a map from types to fns, got {}", v.type_name()),
                            *span,
                        ));
                    };
                    for (k, f) in m.map.iter() {
                        let tname = match k {
                            Value::Type(t) => t.name().to_string(),
                            Value::Str(s) => s.s.clone(),
                            other => {
                                return Err(MemoError::at(
                                    "TypeError",
                                    format!("`hash_funcs` keys must be types (or type names), got {}", other.type_name()),
                                    *span,
                                ))
                            }
                        };
                        if !matches!(f, Value::Func(_) | Value::Native(_) | Value::Type(_)) {
                            return Err(MemoError::at(
                                "TypeError",
                                format!("`hash_funcs` entry for `{tname}` must be a fn, got {}", f.type_name()),
                                *span,
                            ));
                        }
                        o.hash_funcs.push((tname, f.clone()));
                    }
                }
                "allow_output_mutation" => o.allow_output_mutation = bool_opt(name, v, *span)?,
                "suppress_warning" => o.suppress_warning = bool_opt(name, v, *span)?,
                "persist" => o.persist = bool_opt(name, v, *span)?,
                "show_spinner" => o.show_spinner = bool_opt(name, v, *span)?,
                "max_entries" => match v {
                    Value::Int(n) if *n >= 1 => o.max_entries = Some(*n as usize),
                    Value::None => o.max_entries = None,
                    other => {
                        return Err(MemoError::at(
                            "TypeError",
                            format!("`max_entries` must be an int >= 1, got {}", crate::value::repr_prefix(other, 200)),
                            *span,
                        ))
                    }
                },
                "ttl" => match v {
                    Value::Int(n) if *n >= 0 => o.ttl = Some(Duration::from_secs(*n as u64)),
                    Value::Float(f) if f.get() >= 0.0 && f.get().is_finite() => match Duration::try_from_secs_f64(f.get()) {
                        Ok(d) => o.ttl = Some(d),
                        // Past ~5.8e11 years (u64 seconds): no `Duration` holds it.
                        Err(_) => {
                            return Err(MemoError::at(
                                "ValueError",
                                format!("`ttl` of {} seconds is too long (at most {} seconds)", crate::value::repr(v), u64::MAX),
                                *span,
                            ))
                        }
                    },
                    Value::None => o.ttl = None,
                    other => {
                        return Err(MemoError::at(
                            "TypeError",
                            format!("`ttl` must be a number of seconds >= 0, got {}", crate::value::repr_prefix(other, 200)),
                            *span,
                        ))
                    }
                },
                _ => unreachable!("the compiler checks option names"),
            }
        }
        // The hash_funcs are part of the function's identity: hash type names and fns.
        let mut h = blake3::Hasher::new();
        h.update(b"hash_funcs");
        for (t, f) in &o.hash_funcs {
            h.update(&(t.len() as u64).to_le_bytes());
            h.update(t.as_bytes());
            let what = || format!("the `hash_funcs` entry for `{t}`");
            let cx = crate::hashing::value_hash::HashCx { hash_funcs: &[], what: &what };
            crate::hashing::value_hash::feed(interp, &mut h, f, &cx)?;
        }
        let name: Arc<str> =
            if proto.name.is_empty() { Arc::from("<anonymous cached fn>") } else { Arc::from(proto.name.as_str()) };
        Ok(CachedFn {
            name,
            options: o,
            hash_funcs_digest: *h.finalize().as_bytes(),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            miss_nanos: AtomicU64::new(0),
            saved_nanos: AtomicU64::new(0),
        })
    }

    pub fn count_hit(&self) {
        self.hits.fetch_add(1, Ordering::Relaxed);
    }
    pub fn count_miss(&self) {
        self.misses.fetch_add(1, Ordering::Relaxed);
    }
}
