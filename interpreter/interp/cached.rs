//! What the runtime knows of a `cached fn`: its `cached(...)` options,
//! evaluated once when the declaration runs, and its counters. How calls
//! are cached is the cache layer's business (`crate::interp::memo`).

use crate::error::{MemoError, Result};
use crate::source::Span;
use crate::value::{Hash32, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

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
    /// Hash of the `hash_funcs` option (part of the code hash), computed by
    /// the cache when it first needs it.
    pub hash_funcs_digest: OnceLock<Hash32>,
    /// True when no option needs the full lookup on every call (`ttl`
    /// reads the clock, `max_entries` the LRU order, `hash_funcs` runs user
    /// code): only then may a hit be taken from the cache's hit memo.
    /// Decided here, beside the options, so a new option cannot be missed.
    pub simple: bool,
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
    /// The options of the cached fn named `name` (empty for an anonymous one).
    pub fn new(name: &str, opts: Vec<(String, Value, Span)>) -> Result<CachedFn> {
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
        let name: Arc<str> = if name.is_empty() { Arc::from("<anonymous cached fn>") } else { Arc::from(name) };
        let simple = o.ttl.is_none() && o.max_entries.is_none() && o.hash_funcs.is_empty();
        Ok(CachedFn {
            name,
            options: o,
            simple,
            hash_funcs_digest: OnceLock::new(),
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
