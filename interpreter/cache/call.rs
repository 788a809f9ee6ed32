//! The cached-call protocol (spec §5, §6):
//!
//! 1. compute the key (code hash memoized; argument hashes memoized on values);
//! 2. look it up (memory, then disk); an entry with recorded facts (files,
//!    params, cached callees: see `trace`) is verified first; on a hit
//!    return the stored value, after the output-mutation check for values
//!    with a mutable part;
//! 3. on a miss, claim the key (a second thread missing the same key waits),
//!    run the body with a trace open, hash the output (unless
//!    `allow_output_mutation`), store the entry with the trace's facts;
//! 4. when the call itself runs inside another miss, record it in that
//!    miss's trace (a call fact: how to get this result again).

use super::explain::{call_label, call_label_values, miss_reasons};
use super::session::{sess, Stamp};
use super::trace::{self, CallFact, OpenTrace, Verdict};
use super::{key, Entry, Key, Lookup, MissReason};
use crate::error::MemoError;
use crate::hashing::value_hash::{self, HashCx};
use crate::interp::{CachedFn, Ctrl, Interp, R};
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
        let cf: &CachedFn = clo.cached.as_deref().expect("call_cached on a cached closure");
        if cf.simple {
            if let Some(v) = self.fast_hit(clo, cf, base) {
                return Ok(v);
            }
        }
        let fast = super::fast::eligible(self, cf);
        let generation = sess!(self).cache.generation();
        let key = if cf.options.hash_funcs.is_empty() {
            // No user code runs while hashing.
            self.with_args(base, |i, args| key::compute(i, clo, cf, args))
        } else {
            // `hash_funcs` run user code: what they read is part of the key,
            // not of an open trace.
            let args: Vec<Value> = self.stack[base..].to_vec();
            trace::quietly(self, |i| key::compute(i, clo, cf, &args))
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
            let found = sess!(self).cache.lookup(&key, &cf.name, opts.ttl, opts.max_entries, opts.persist);
            let reason = match found {
                Lookup::Hit(hit) => {
                    let cutoff = match &hit.trace {
                        None => Vec::new(),
                        Some(facts) => match self.verify_entry(&key, facts, hit.deep.as_deref()) {
                            Verdict::Valid { cutoff } => cutoff,
                            Verdict::Invalid(why) => {
                                self.note_stale(clo, cf, base, &key, why);
                                continue;
                            }
                        },
                    };
                    if fast && hit.trace.is_none() {
                        self.with_args(base, |i, args| i.remember_hit(clo, args, generation, &hit));
                    }
                    let s = sess!(self);
                    if s.explain && s.verifying == 0 {
                        let label = call_label_values(&cf.name, &self.stack[base..]);
                        let why = if cutoff.is_empty() {
                            String::new()
                        } else {
                            format!(
                                " ({} changed, {} did not)",
                                cutoff.join(", "),
                                if cutoff.len() == 1 { "its result" } else { "their results" }
                            )
                        };
                        self.warn(&format!("explain: hit  {label}{why}"));
                    }
                    if trace::any_open(self) {
                        let args: Arc<[Value]> = self.stack[base..].into();
                        let (facts, deep) = (hit.trace.clone(), hit.deep.clone());
                        let callee = Callee { facts: facts.as_deref(), deep: deep.as_deref(), wrote_state: hit.wrote_state };
                        self.record_call(clo, cf, args, key, &hit.value, callee);
                    }
                    return Ok(self.take_hit(cf, hit, base));
                }
                Lookup::Miss(reason) => reason,
            };
            let reason = sess!(self).stale.take().map(MissReason::Stale).unwrap_or(reason);
            if sess!(self).cache.claim(&key).is_some() {
                continue; // another thread computed it meanwhile: look again
            }
            let r = self.compute_miss(clo, cf, base, span, key, reason);
            sess!(self).cache.finish(&key);
            return r;
        }
    }

    /// An entry whose facts no longer hold: it is removed, and the reason
    /// kept for the explanation of the miss that follows.
    fn note_stale(&mut self, _clo: &Arc<Closure>, cf: &CachedFn, _base: usize, key: &Key, why: String) {
        let s = sess!(self);
        s.cache.remove_entry(key, &cf.name);
        s.verified.remove(key);
        s.stale = Some(why);
    }

    /// The moment an entry's facts are checked against: while the global
    /// epoch, this session's file epoch and the cache's generation stay the
    /// same, a verified entry stays verified.
    fn stamp(&mut self) -> Stamp {
        // Writes to cells and objects count: a callee's code hash covers
        // what the globals it reads hold, objects' content included.
        let global_epoch = self.state_writes();
        let s = sess!(self);
        Stamp { global_epoch, fs_epoch: s.fs_epoch, generation: s.cache.generation() }
    }

    /// Verifies an entry's facts, unless they were verified (or the entry
    /// stored by this session) since nothing changed.
    fn verify_entry(&mut self, key: &Key, facts: &[trace::Fact], deep: Option<&[trace::Fact]>) -> Verdict {
        let now = self.stamp();
        if sess!(self).verified.get(key) == Some(&now) {
            return Verdict::Valid { cutoff: Vec::new() };
        }
        let v = trace::verify(self, facts, deep);
        if let Verdict::Valid { .. } = v {
            let after = self.stamp();
            sess!(self).verified.insert(*key, after);
        }
        v
    }

    /// The global a cached closure is called through: its own name, when
    /// the global of that name holds this very closure.
    fn callee_global(&self, clo: &Arc<Closure>, cf: &CachedFn) -> Option<Arc<str>> {
        let id = crate::names::lookup(&cf.name)?;
        match self.globals.get(id as usize) {
            Some(Some(Value::Func(g))) if Arc::ptr_eq(g, clo) => Some(cf.name.clone()),
            _ => None,
        }
    }

    /// Records this call (a hit, or a miss just computed) in the caller's
    /// open trace.
    fn record_call(&mut self, clo: &Arc<Closure>, cf: &CachedFn, args: Arc<[Value]>, key: Key, result: &Value, callee: Callee) {
        // The arguments go into the caller's entry, seen by every thread.
        for a in args.iter() {
            self.share(a);
        }
        let Ok(code) = trace::quietly(self, |i| i.closure_code_hash(clo)) else { return };
        let result = trace::quietly(self, |i| trace::result_digest(i, result));
        let fact = CallFact {
            global: self.callee_global(clo, cf),
            name: cf.name.clone(),
            key,
            code,
            args: Some(args),
            label: None,
            result,
            wrote_state: callee.wrote_state,
            ttl: cf.options.ttl,
        };
        trace::note_call(self, fact, callee.facts, callee.deep);
    }

    /// Counts a hit, drops the arguments and returns the value (after the
    /// output-mutation check).
    #[inline]
    fn take_hit(&mut self, cf: &CachedFn, hit: super::Hit, base: usize) -> Value {
        cf.count_hit();
        cf.saved_nanos.fetch_add(hit.compute.as_nanos() as u64, Ordering::Relaxed);
        self.take_counted_hit(cf, hit, base)
    }

    /// A hit already counted in the function's counters (or in the hit
    /// memo, see `cache::fast`).
    #[inline]
    fn take_counted_hit(&mut self, cf: &CachedFn, hit: super::Hit, base: usize) -> Value {
        sess!(self).run_stats.hits += 1;
        self.pop_frame(base);
        if let Some(stored) = hit.output_hash {
            if hit.value.may_mutate() {
                self.check_output(&cf.name, &hit.value, stored);
            }
        }
        hit.value
    }

    /// Assignments of globals and cells so far (to tell whether a miss
    /// changed state its caller could read).
    #[inline(always)]
    pub(crate) fn state_writes(&self) -> u64 {
        self.global_epoch.wrapping_add(self.cell_writes)
    }

    fn compute_miss(&mut self, clo: &Arc<Closure>, cf: &CachedFn, base: usize, span: Span, key: Key, reason: MissReason) -> R {
        let args: Vec<Value> = self.stack[base..].to_vec();
        let parts = match trace::quietly(self, |i| key::parts(i, clo, cf, &args)) {
            Ok(p) => Arc::new(p),
            Err(e) => {
                self.stack.truncate(base);
                return Err(e.or_at(span).into());
            }
        };
        if sess!(self).explain {
            let why = miss_reasons(&reason, &parts, cf.options.ttl);
            self.warn(&format!("explain: miss {}: {why}", call_label(&cf.name, &parts)));
        }
        cf.count_miss();
        let writes_at_start = self.state_writes();
        let s = sess!(self);
        s.run_stats.misses += 1;
        s.missing.push((cf.name.clone(), cf.options.suppress_warning, cf.options.ttl.is_some()));
        s.traces.push(OpenTrace::default());
        let spinner = if self.config.spinner && cf.options.show_spinner {
            Some(super::spinner::Spinner::start(call_label(&cf.name, &parts)))
        } else {
            None
        };
        let t0 = Instant::now();
        let r = self.call_plain(clo, base, span);
        let took = t0.elapsed();
        drop(spinner);
        let wrote_state = self.state_writes() != writes_at_start;
        let s = sess!(self);
        s.missing.pop();
        let (facts, deep) = s.traces.pop().map(OpenTrace::finish).unwrap_or_default();
        cf.miss_nanos.fetch_add(took.as_nanos() as u64, Ordering::Relaxed);
        let v = match r {
            Ok(v) => v,
            Err(c) => {
                // A `try` in the caller may use the failure: what the
                // callee read becomes the caller's.
                trace::adopt(self, deep.unwrap_or(facts));
                if let Some(g) = self.callee_global(clo, cf) {
                    if let Ok(code) = trace::quietly(self, |i| i.closure_code_hash(clo)) {
                        trace::note_code(self, g, code);
                    }
                }
                return Err(c);
            }
        };
        let output_hash = if !cf.options.allow_output_mutation && v.may_mutate() {
            let what = || format!("the value returned by cached fn `{}`", cf.name);
            let cx = HashCx { hash_funcs: &[], what: &what, shallow_fns: false };
            match value_hash::output_digest(self, &v, &cx) {
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
        // The cache is seen by every thread: what it keeps is shared.
        self.share(&v);
        let entry = Entry::new(v.clone(), output_hash, cf.name.clone(), took, parts).with_trace(facts, deep, wrote_state);
        let (facts, deep) = (entry.trace.clone(), entry.deep.clone());
        let persist = cf.options.persist && super::disk::persistable(&v);
        sess!(self).cache.store(key, entry, cf.options.max_entries, persist);
        let stamp = self.stamp();
        sess!(self).verified.insert(key, stamp);
        if trace::any_open(self) {
            let callee = Callee { facts: facts.as_deref(), deep: deep.as_deref(), wrote_state };
            self.record_call(clo, cf, args.into(), key, &v, callee);
        }
        Ok(v)
    }

    /// The output-mutation check of a hit (spec §6).
    pub(crate) fn check_output(&mut self, name: &str, v: &Value, stored: crate::value::Hash32) {
        let what = || format!("the value cached by `{name}`");
        let cx = HashCx { hash_funcs: &[], what: &what, shallow_fns: false };
        if let Ok(now) = value_hash::output_digest(self, v, &cx) {
            if now != stored {
                self.warn(&format!(
                    "warning: the value cached by `{name}` was mutated after it was cached; cached results are shared by every caller (copy it, or pass cached(allow_output_mutation: true))"
                ));
            }
        }
    }
}

/// What the entry of a recorded call says about it.
struct Callee<'a> {
    facts: Option<&'a [trace::Fact]>,
    deep: Option<&'a [trace::Fact]>,
    wrote_state: bool,
}

/// The name of the first native type without a hash inside a value.
fn unhashable_type(v: &Value) -> Option<String> {
    match v {
        Value::Object(o) if o.ty.hash.is_none() => Some(o.ty.name.clone()),
        Value::List(l) => l.iter().find_map(unhashable_type),
        Value::Map(m) => m.map.iter().find_map(|(k, v)| unhashable_type(k).or_else(|| unhashable_type(v))),
        Value::Struct(s) => s.fields.iter().find_map(unhashable_type),
        // (Only a message: objects, and their cycles, are not looked into.)
        Value::Cell(_) | Value::Obj(_) => None,
        _ => None,
    }
}

/// Called by `print`: warns (once per function per run) when a cached fn
/// prints during a miss, since its output will not appear on hits.
pub fn note_print(interp: &mut Interp) {
    let Some(s) = super::session(interp) else { return };
    if s.missing.is_empty() {
        return;
    }
    let pending: Vec<Arc<str>> = s
        .missing
        .iter()
        .filter(|(name, suppress, _)| !suppress && !s.warned_print.contains(name))
        .map(|(n, _, _)| n.clone())
        .collect();
    for name in pending {
        sess!(interp).warned_print.insert(name.clone());
        interp.warn(&format!(
            "warning: cached fn `{name}` called print(); its output appears only on cache misses (cached(suppress_warning: true) silences this)"
        ));
    }
}
