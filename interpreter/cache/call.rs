//! The cached-call protocol (spec §5, §6):
//!
//! 1. compute the key (code hash memoized; argument hashes memoized on values);
//! 2. look it up (memory, then disk); on a hit return the stored value, after
//!    the output-mutation check for values with a mutable part;
//! 3. on a miss, claim the key (a second thread missing the same key waits),
//!    run the body, hash the output (unless `allow_output_mutation`), store.

use super::explain::{call_label, call_label_values, miss_reasons};
use super::{key, Entry, Lookup};
use crate::error::MemoError;
use crate::hashing::value_hash::{self, HashCx};
use crate::interp::{Ctrl, Interp, R};
use crate::source::Span;
use crate::value::{Closure, Value};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

impl Interp {
    /// Runs `f` with the arguments at `base`, read where they lie: the
    /// stack is lent out for the duration, so `f` must not run user code.
    /// It is held in `ManuallyDrop`: should a panic unwind through here, the
    /// frames' lent copies (see `Interp::call_plain`) must leak, not drop.
    #[inline(always)]
    fn with_args<T>(&mut self, base: usize, f: impl FnOnce(&mut Interp, &[Value]) -> T) -> T {
        let stack = std::mem::ManuallyDrop::new(std::mem::take(&mut self.stack));
        let r = f(self, &stack[base..]);
        self.stack = std::mem::ManuallyDrop::into_inner(stack);
        r
    }

    pub(crate) fn call_cached(&mut self, clo: &Arc<Closure>, base: usize, span: Span) -> R {
        let cf: &super::CachedFn = clo.cached.as_deref().expect("call_cached on a cached closure");
        let fast = super::fast::eligible(self, cf);
        if fast {
            // `with_args`, written out: through the closure this path, the
            // hottest in the cache, measured ~5 ns slower per hit.
            let stack = std::mem::ManuallyDrop::new(std::mem::take(&mut self.stack));
            let hit = self.fast_hit(clo, &stack[base..]);
            self.stack = std::mem::ManuallyDrop::into_inner(stack);
            if let Some(hit) = hit {
                // Counted in the hit memo's slot.
                return Ok(self.take_counted_hit(cf, hit, base));
            }
        }
        let generation = self.cache.generation();
        let key = if cf.options.hash_funcs.is_empty() {
            // No user code runs while hashing.
            self.with_args(base, |i, args| key::compute(i, clo, cf, args))
        } else {
            let args: Vec<Value> = self.stack[base..].to_vec();
            key::compute(self, clo, cf, &args)
        };
        let key = match key {
            Ok(k) => k,
            Err(e) => {
                self.stack.truncate(base);
                return Err(e.or_at(span).into());
            }
        };
        let opts = &cf.options;
        loop {
            match self.cache.lookup(&key, &cf.name, opts.ttl, opts.max_entries.is_some(), opts.persist) {
                Lookup::Hit(hit) => {
                    if fast {
                        self.with_args(base, |i, args| i.remember_hit(clo, args, generation, &hit));
                    }
                    if self.config.explain {
                        let label = call_label_values(&cf.name, &self.stack[base..]);
                        self.warn(&format!("explain: hit  {label}"));
                    }
                    return Ok(self.take_hit(cf, hit, base));
                }
                Lookup::Miss(reason) => {
                    if self.cache.claim(&key).is_some() {
                        continue; // another thread computed it meanwhile: look again
                    }
                    let r = self.compute_miss(clo, cf, base, span, key, reason);
                    self.cache.finish(&key);
                    return r;
                }
            }
        }
    }

    /// Counts a hit, drops the arguments and returns the value (after the
    /// output-mutation check).
    #[inline]
    fn take_hit(&mut self, cf: &super::CachedFn, hit: super::Hit, base: usize) -> Value {
        cf.count_hit();
        cf.saved_nanos.fetch_add(hit.compute.as_nanos() as u64, Ordering::Relaxed);
        self.take_counted_hit(cf, hit, base)
    }

    /// A hit already counted in the function's counters (or in the hit
    /// memo, see `cache::fast`).
    #[inline]
    fn take_counted_hit(&mut self, cf: &super::CachedFn, hit: super::Hit, base: usize) -> Value {
        self.run_stats.hits += 1;
        self.pop_frame(base);
        if let Some(stored) = hit.output_hash {
            if hit.value.may_mutate() {
                self.check_output(&cf.name, &hit.value, stored);
            }
        }
        hit.value
    }

    fn compute_miss(
        &mut self,
        clo: &Arc<Closure>,
        cf: &super::CachedFn,
        base: usize,
        span: Span,
        key: super::Key,
        reason: super::MissReason,
    ) -> R {
        let args: Vec<Value> = self.stack[base..].to_vec();
        let parts = match key::parts(self, clo, cf, &args) {
            Ok(p) => Arc::new(p),
            Err(e) => {
                self.stack.truncate(base);
                return Err(e.or_at(span).into());
            }
        };
        if self.config.explain {
            let why = miss_reasons(&reason, &parts, cf.options.ttl);
            self.warn(&format!("explain: miss {}: {why}", call_label(&cf.name, &parts)));
        }
        cf.count_miss();
        self.run_stats.misses += 1;
        self.missing.push((cf.name.to_string(), cf.options.suppress_warning));
        let spinner = if self.config.spinner && cf.options.show_spinner {
            Some(super::spinner::Spinner::start(call_label(&cf.name, &parts)))
        } else {
            None
        };
        let t0 = Instant::now();
        let r = self.call_plain(clo, base, span);
        let took = t0.elapsed();
        drop(spinner);
        self.missing.pop();
        cf.miss_nanos.fetch_add(took.as_nanos() as u64, Ordering::Relaxed);
        let v = r?;
        let output_hash = if !cf.options.allow_output_mutation && v.may_mutate() {
            let what = || format!("the value returned by cached fn `{}`", cf.name);
            let cx = HashCx { hash_funcs: &[], what: &what };
            match value_hash::digest(self, &v, &cx) {
                Ok(h) => Some(h),
                Err(e) if e.kind == "UnhashableTypeError" => {
                    let tname = unhashable_type(&v).unwrap_or_else(|| "?".into());
                    return Err(Ctrl::from(MemoError::at(
                        "UnhashableTypeError",
                        format!(
                            "cached fn `{}` returned a `{tname}`, which has no hash, so memo cannot check it for mutation; \
                             declare it cached(allow_output_mutation: true) to cache it as a shared object",
                            cf.name
                        ),
                        span,
                    )));
                }
                Err(e) => return Err(e.or_at(span).into()),
            }
        } else {
            None
        };
        let entry = Entry::new(v.clone(), output_hash, cf.name.clone(), took, parts);
        // Only when there is a disk to write to; the walk is metered (a
        // result that shares its parts can be huge: see `persistable_in`).
        let disk = self.cache.with_disk_store(|_| ()).is_some();
        let persist =
            cf.options.persist && disk && super::codec::persistable_in(&v, self).map_err(|e| Ctrl::from(e.or_at(span)))?;
        self.cache.store(key, entry, cf.options.max_entries, persist);
        Ok(v)
    }

    /// The output-mutation check of a hit (spec §6).
    fn check_output(&mut self, name: &str, v: &Value, stored: crate::value::Hash32) {
        let what = || format!("the value cached by `{name}`");
        let cx = HashCx { hash_funcs: &[], what: &what };
        if let Ok(now) = value_hash::digest(self, v, &cx) {
            if now != stored {
                self.warn(&format!(
                    "warning: the value cached by `{name}` was mutated after it was cached; cached results are shared by every caller (copy it, or pass cached(allow_output_mutation: true))"
                ));
            }
        }
    }
}

/// The name of the first native type without a hash inside a value.
fn unhashable_type(v: &Value) -> Option<String> {
    match v {
        Value::Object(o) if o.ty.hash.is_none() => Some(o.ty.name.clone()),
        Value::List(l) => l.iter().find_map(unhashable_type),
        Value::Map(m) => m.map.iter().find_map(|(k, v)| unhashable_type(k).or_else(|| unhashable_type(v))),
        Value::Struct(s) => s.fields.iter().find_map(unhashable_type),
        Value::Cell(c) => unhashable_type(&c.get()),
        _ => None,
    }
}

/// Called by `print`: warns (once per function per run) when a cached fn
/// prints during a miss, since its output will not appear on hits.
pub fn note_print(interp: &mut Interp) {
    if interp.missing.is_empty() {
        return;
    }
    let pending: Vec<String> = interp
        .missing
        .iter()
        .filter(|(name, suppress)| !suppress && !interp.warned_print.contains(name))
        .map(|(n, _)| n.clone())
        .collect();
    for name in pending {
        interp.warned_print.insert(name.clone());
        interp.warn(&format!(
            "warning: cached fn `{name}` called print(); its output appears only on cache misses (cached(suppress_warning: true) silences this)"
        ));
    }
}
