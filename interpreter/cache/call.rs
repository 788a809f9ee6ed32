//! The cached-call protocol (spec §5, §6):
//!
//! 1. compute the key (code hash memoized; argument hashes memoized on values);
//! 2. look it up (memory, then the byte tiers); an entry with recorded facts (files,
//!    params, cached callees: see `trace`) is verified first; on a hit
//!    return the stored value, after the output-mutation check for values
//!    with a mutable part;
//! 3. on a miss, claim the key (a second thread, or process, missing the
//!    same key waits),
//!    run the body with a trace open, hash the output (unless
//!    `allow_output_mutation`), store the entry with the trace's facts;
//! 4. when the call itself runs inside another miss, record it in that
//!    miss's trace (a call fact: how to get this result again).

use super::explain::{call_label, call_label_values, miss_reasons};
use super::session::{sess, Stamp};
use super::trace::{self, CallFact, OpenTrace, Verdict};
use super::{key, Entry, Key, Lookup, MissReason};
use crate::error::{ErrorKind, MemoError};
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
            let (reason, prev) = match found {
                Lookup::Hit(hit) => match self.valid_variant(&key, hit, cf) {
                    Ok((hit, cutoff)) => {
                        // Remembered for the hit shortcut (`fast`), which
                        // itself declines under --explain and inside a miss.
                        if cf.simple && hit.trace.is_none() {
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
                    // No variant's facts hold: the new result keeps them as
                    // its earlier ones (a file edited back and forth hits again).
                    Err(why) => (MissReason::Stale(why), sess!(self).cache.peek(&key)),
                },
                Lookup::Miss(reason) => (reason, None),
            };
            if sess!(self).cache.claim_shared(&key, &cf.name, opts.persist).is_some() {
                continue; // another thread or process computed it meanwhile: look again
            }
            let r = self.compute_miss(clo, cf, base, span, key, reason, prev);
            sess!(self).cache.finish(&key);
            return r;
        }
    }

    /// The first of an entry's results whose facts hold (the entry's own,
    /// then its earlier ones), with the callees that changed without
    /// changing their results; `Err` with why the newest does not hold.
    fn valid_variant(&mut self, key: &Key, hit: super::Hit, cf: &CachedFn) -> Result<(super::Hit, Vec<String>), String> {
        let Some(facts) = hit.trace.clone() else { return Ok((hit, Vec::new())) };
        // Verifying may call other cached fns, whose stores may evict this
        // entry (max_entries, the byte budget): the hit then stores it back,
        // as the most recently used.
        let generation = sess!(self).cache.generation();
        let held = sess!(self).cache.peek(key);
        let why = match self.verify_entry(key, &facts, hit.deep.as_deref()) {
            Verdict::Valid { cutoff, refreshed } => {
                let cache = sess!(self).cache.clone();
                let evicted = cache.generation() != generation && cache.peek(key).is_none();
                if let (Some(mut e), true) = (held, evicted || refreshed.is_some()) {
                    if let Some((facts, deep)) = refreshed {
                        // Stored with the facts as they hold now, so that the
                        // next check of this entry needs no replay; the facts
                        // it had are kept as an earlier result (what it read
                        // may flip back).
                        let wrote = e.wrote_state;
                        let before = e.clone();
                        e = e.with_trace(facts, deep, wrote).with_older(Some(before));
                    }
                    let persist = cf.options.persist && super::disk::persistable(&e.value);
                    cache.store(*key, e, cf.options.max_entries, persist);
                    let stamp = self.stamp();
                    sess!(self).verified.insert(*key, stamp);
                }
                return Ok((hit, cutoff));
            }
            Verdict::Invalid(why) => why,
        };
        for (i, e) in hit.older.iter().flat_map(|o| o.iter()).enumerate() {
            let Some(facts) = e.trace.clone() else { continue };
            let memo_key = older_memo_key(key, i);
            if let Verdict::Valid { cutoff, .. } = self.verify_entry(&memo_key, &facts, e.deep.as_deref()) {
                if let Some(held) = &held {
                    sess!(self).cache.promote_older(key, held, i);
                }
                let found = super::Hit {
                    value: e.value.clone(),
                    output_hash: e.output_hash,
                    compute: e.compute,
                    trace: e.trace.clone(),
                    deep: e.deep.clone(),
                    wrote_state: e.wrote_state,
                    older: None,
                };
                return Ok((found, cutoff));
            }
        }
        Err(why)
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
            return Verdict::Valid { cutoff: Vec::new(), refreshed: None };
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

    #[allow(clippy::too_many_arguments)]
    fn compute_miss(
        &mut self,
        clo: &Arc<Closure>,
        cf: &CachedFn,
        base: usize,
        span: Span,
        key: Key,
        reason: MissReason,
        prev: Option<Entry>,
    ) -> R {
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
                Err(e) if e.kind == ErrorKind::UnhashableTypeError => {
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
        let entry = Entry::new(v.clone(), output_hash, cf.name.clone(), took, parts)
            .with_trace(facts, deep, wrote_state)
            .with_older(prev);
        let (facts, deep) = (entry.trace.clone(), entry.deep.clone());
        // Only when there is a tier to write to; the walk is metered (a
        // result that shares its parts can be huge: see `persistable_in`).
        let tiers = sess!(self).cache.has_tiers();
        let persist =
            cf.options.persist && tiers && super::value_codec::persistable_in(&v, self).map_err(|e| Ctrl::from(e.or_at(span)))?;
        sess!(self).cache.store(key, entry, cf.options.max_entries, persist);
        // A tier that failed (in the lookup that missed, or this store)
        // says so now, once.
        if sess!(self).cache.has_warnings() {
            super::session::report_tier_warnings(self);
        }
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

/// Where the verification of an entry's earlier result `i` is remembered.
fn older_memo_key(key: &Key, i: usize) -> Key {
    let mut h = blake3::Hasher::new();
    h.update(b"memo earlier result");
    h.update(key);
    h.update(&(i as u64).to_le_bytes());
    *h.finalize().as_bytes()
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
        // (Only a message: cells and objects, and their cycles, are not
        // looked into.)
        _ => None,
    }
}

/// Called by `print`: warns (once per function per run) when a cached fn
/// prints during a miss, since its output will not appear on hits. The
/// first warning of a session is the full one; later ones (more runs of a
/// REPL or of `memo watch`) are one short line.
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
        let s = sess!(interp);
        s.warned_print.insert(name.clone());
        let short = std::mem::replace(&mut s.explained_print, true);
        if short {
            interp.warn(&format!("warning: cached fn `{name}` called print() (its output appears only on misses)"));
        } else {
            interp.warn(&format!(
                "warning: cached fn `{name}` called print(); its output appears only on cache misses (cached(suppress_warning: true) silences this)"
            ));
        }
    }
}
