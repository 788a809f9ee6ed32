//! The hit memo: an interpreter's shortcut for a cached call it has just
//! seen hit.
//!
//! A slot remembers one call that hit: the closure, its arguments, the
//! state epoch its code hash was valid at (`Interp::state_writes`: global
//! assignments and writes to cells and objects, whose content the code
//! hash of a function reading them covers), the key, and the value found,
//! with the store's generation at the time. The same call again is a hit
//! without computing the key or taking the store's lock when
//!
//! - it is the same closure (the slot holds an `Arc`, so the address cannot
//!   be reused by another closure);
//! - every argument is the same: equal scalars, or the very same immutable
//!   heap value (pointer-equal, so its hash is the memoized one);
//! - the code hash is unchanged: no global, cell or object was assigned
//!   since (or, if one was, the transitive code hash is still the same);
//! - no entry of the cache was removed or replaced since (the generation).
//!
//! Only functions without `ttl`, `max_entries` and `hash_funcs` use it (they
//! need the clock, the LRU order or user code on every call, `CachedFn::simple`),
//! only for entries that recorded no facts (files, params, cached callees are
//! verified on every call), never under `--explain` and never inside a miss
//! (every call there is recorded in the miss's trace); `fast_hit` checks the
//! last two, since a remembered hit outlives them. The hit is checked for
//! output mutation exactly like any other hit. It is counted in the slot and added to the function's shared
//! counters (`CachedFn::hits`, `saved_nanos`, atomics) by `flush_hits`: when
//! the slot is replaced, before `cache_info` reads them, and when any entry
//! of an `Engine` (a run, a call from the host) returns, which is the only
//! way memo code runs. Two atomic additions per hit were a sixth of its cost.

use super::session::{sess, Session};
use super::{CachedFn, Hit};
use crate::interp::Interp;
use crate::value::{Closure, Hash32, Value};
use std::sync::Arc;
use std::time::Duration;

/// Number of slots (a power of two); calls map to one by a hash.
const SLOTS: usize = 64;
/// Calls with more arguments than this are not remembered.
const MAX_ARGS: usize = 4;

struct Slot {
    clo: Arc<Closure>,
    args: [Value; MAX_ARGS],
    nargs: usize,
    epoch: u64,
    code: Hash32,
    generation: u64,
    value: Value,
    output_hash: Option<Hash32>,
    compute: Duration,
    /// Hits taken from this slot and not yet added to the function's
    /// counters, and the compute time they saved.
    pending_hits: u64,
    pending_nanos: u64,
    /// Hits served from this slot in all (never reset; the tests read it).
    served: u64,
}

impl Slot {
    /// Adds the pending counts to the function's shared counters.
    fn flush(&mut self) {
        if self.pending_hits == 0 {
            return;
        }
        if let Some(cf) = self.clo.cached.as_deref() {
            cf.hits.fetch_add(self.pending_hits, std::sync::atomic::Ordering::Relaxed);
            cf.saved_nanos.fetch_add(self.pending_nanos, std::sync::atomic::Ordering::Relaxed);
        }
        self.pending_hits = 0;
        self.pending_nanos = 0;
    }
}

/// The slots of one interpreter.
#[derive(Default)]
pub(crate) struct HitMemo {
    slots: Vec<Option<Box<Slot>>>,
}

impl HitMemo {
    fn flush(&mut self) {
        for slot in self.slots.iter_mut().flatten() {
            slot.flush();
        }
    }
}

/// Can `v` be compared by identity (scalar, or immutable heap value)?
#[inline]
fn rememberable(v: &Value) -> bool {
    match v {
        Value::None | Value::Bool(_) | Value::Int(_) | Value::Float(_) => true,
        Value::Str(_) | Value::Range(_) => true,
        Value::List(_) | Value::Map(_) | Value::Struct(_) => !v.may_mutate(),
        _ => false,
    }
}

/// Same argument for the key: equal scalars (floats by the bits the key
/// hashes) or the same heap value.
#[inline(always)]
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::None, Value::None) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => {
            crate::hashing::value_hash::float_bits(x.get()) == crate::hashing::value_hash::float_bits(y.get())
        }
        (Value::Str(x), Value::Str(y)) => crate::value::UArc::ptr_eq(x, y),
        (Value::List(x), Value::List(y)) => crate::value::UArc::ptr_eq(x, y),
        (Value::Map(x), Value::Map(y)) => crate::value::UArc::ptr_eq(x, y),
        (Value::Struct(x), Value::Struct(y)) => crate::value::UArc::ptr_eq(x, y),
        (Value::Range(x), Value::Range(y)) => Arc::ptr_eq(x, y),
        _ => false,
    }
}

/// One word standing for an argument, for choosing a slot.
#[inline(always)]
fn word(v: &Value) -> u64 {
    match v {
        Value::Int(i) => *i as u64,
        Value::Float(f) => f.get().to_bits(),
        Value::Bool(b) => b.get() as u64,
        Value::Str(s) => crate::value::UArc::as_ptr(s) as usize as u64,
        Value::List(l) => crate::value::UArc::as_ptr(l) as usize as u64,
        Value::Map(m) => crate::value::UArc::as_ptr(m) as usize as u64,
        Value::Struct(s) => crate::value::UArc::as_ptr(s) as usize as u64,
        Value::Range(r) => Arc::as_ptr(r) as usize as u64,
        // `none`, and values never remembered.
        _ => 0,
    }
}

#[inline(always)]
fn slot_of(clo: &Arc<Closure>, args: &[Value]) -> usize {
    let mut h = Arc::as_ptr(clo) as usize as u64;
    for a in args {
        h = (h ^ word(a)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    h = h.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (h >> (64 - SLOTS.trailing_zeros())) as usize
}

impl Interp {
    /// The remembered hit for calling `clo` with the arguments at `base`, if
    /// still valid: counted (see the module comment), the arguments popped
    /// and the value returned. The session is looked up once: this is the
    /// hottest path of the cache.
    #[inline]
    pub(crate) fn fast_hit(&mut self, clo: &Arc<Closure>, cf: &CachedFn, base: usize) -> Option<Value> {
        let nargs = self.stack.len() - base;
        if nargs > MAX_ARGS {
            return None;
        }
        let epoch = self.state_writes();
        let s = self.memo_state.downcast_mut::<Session>()?;
        // Under --explain every call is explained; inside a miss every
        // call is recorded in its trace, with its key.
        if s.explain || s.traces.len() > s.barrier {
            return None;
        }
        let args = &self.stack[base..];
        let i = slot_of(clo, args);
        let generation = s.cache.generation();
        let slot = s.hit_memo.slots.get_mut(i)?.as_deref_mut()?;
        if !Arc::ptr_eq(&slot.clo, clo)
            || slot.nargs != nargs
            || slot.generation != generation
            || !slot.args.iter().zip(args).all(|(a, b)| same(a, b))
        {
            return None;
        }
        if slot.epoch != epoch {
            return self.fast_hit_after_global_change(clo, cf, base, i);
        }
        slot.pending_hits += 1;
        slot.served += 1;
        slot.pending_nanos += slot.compute.as_nanos() as u64;
        let (value, output_hash) = (slot.value.clone(), slot.output_hash);
        s.run_stats.hits += 1;
        Some(self.finish_fast_hit(cf, base, value, output_hash))
    }

    /// A remembered hit after some global changed: still valid if the
    /// function's code hash did not.
    #[cold]
    #[inline(never)]
    fn fast_hit_after_global_change(&mut self, clo: &Arc<Closure>, cf: &CachedFn, base: usize, i: usize) -> Option<Value> {
        let epoch = self.state_writes();
        let code = sess!(self).hit_memo.slots[i].as_deref()?.code;
        if self.closure_code_hash(clo).ok()? != code {
            return None;
        }
        let s = sess!(self);
        let slot = s.hit_memo.slots[i].as_deref_mut()?;
        slot.epoch = epoch;
        slot.pending_hits += 1;
        slot.served += 1;
        slot.pending_nanos += slot.compute.as_nanos() as u64;
        let (value, output_hash) = (slot.value.clone(), slot.output_hash);
        s.run_stats.hits += 1;
        Some(self.finish_fast_hit(cf, base, value, output_hash))
    }

    #[inline(always)]
    fn finish_fast_hit(&mut self, cf: &CachedFn, base: usize, value: Value, output_hash: Option<Hash32>) -> Value {
        self.pop_frame(base);
        if let Some(stored) = output_hash {
            if value.may_mutate() {
                self.check_output(&cf.name, &value, stored);
            }
        }
        value
    }

    /// Remembers a hit found by a full lookup. `generation` must have been
    /// read before that lookup.
    pub(crate) fn remember_hit(&mut self, clo: &Arc<Closure>, args: &[Value], generation: u64, hit: &Hit) {
        if args.len() > MAX_ARGS || !args.iter().all(rememberable) {
            return;
        }
        let Ok(code) = self.closure_code_hash(clo) else { return };
        let mut kept: [Value; MAX_ARGS] = Default::default();
        for (k, a) in kept.iter_mut().zip(args) {
            *k = a.clone();
        }
        let slot = Slot {
            clo: clo.clone(),
            args: kept,
            nargs: args.len(),
            epoch: self.state_writes(),
            code,
            generation,
            value: hit.value.clone(),
            output_hash: hit.output_hash,
            compute: hit.compute,
            pending_hits: 0,
            pending_nanos: 0,
            served: 0,
        };
        let memo = &mut sess!(self).hit_memo;
        if memo.slots.is_empty() {
            memo.slots.resize_with(SLOTS, || None);
        }
        let i = slot_of(clo, args);
        // Replacing a slot can free a large value: do it after the update.
        let old = memo.slots[i].replace(Box::new(slot));
        if let Some(mut old) = old {
            old.flush();
        }
    }

    /// Adds the hits counted in the slots to the functions' counters.
    pub fn flush_hits(&mut self) {
        if let Some(s) = super::session(self) {
            s.hit_memo.flush();
        }
    }

    /// Forgets every remembered hit (a new cache, a new run).
    pub(crate) fn forget_hits(&mut self) {
        if let Some(s) = super::session(self) {
            s.hit_memo.flush();
            s.hit_memo.slots.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Engine, OutputBuffer};

    /// Runs `src` and returns what it printed and the calls and hits the
    /// hit memo holds (arguments of each remembered call, the fn's hits,
    /// the hits served from the slot).
    fn remembered(src: &str) -> (String, Vec<(String, u64, u64)>) {
        let out = OutputBuffer::new();
        let mut engine = Engine::builder().output(out.clone()).error_output(std::io::sink()).run_on_current_thread().build();
        engine.run(src).expect("the script runs");
        let s = super::super::session(engine.interp_mut()).expect("a cache session");
        let mut slots: Vec<(String, u64, u64)> = s
            .hit_memo
            .slots
            .iter()
            .flatten()
            .map(|slot| {
                let hits = slot.clo.cached.as_ref().unwrap().hits.load(std::sync::atomic::Ordering::Relaxed);
                (format!("{:?}", &slot.args[..slot.nargs]), hits, slot.served)
            })
            .collect();
        slots.sort();
        (out.take(), slots)
    }

    #[test]
    fn a_repeated_hit_is_remembered_and_served_from_the_slot() {
        let (out, slots) = remembered("cached fn f(x) { x * 2 }\nfor _ in 0..5 { print(f(21)) }\nprint(f(\"a\" + \"b\"))");
        assert_eq!(out, "42\n42\n42\n42\n42\nabab\n");
        // The second call hit through the full lookup and was remembered;
        // the string was a miss, never remembered.
        assert_eq!(slots.len(), 1, "{slots:?}");
        assert!(slots[0].0.contains("21"), "{slots:?}");
        assert_eq!(slots[0].1, 4, "four hits, counted once the run ended");
        assert_eq!(slots[0].2, 3, "the last three served from the slot");
    }

    #[test]
    fn every_kind_of_rememberable_argument_is_served_from_the_slot() {
        for (v, setup) in [
            ("none", ""),
            ("false", ""),
            ("7", ""),
            ("-0.0", ""),
            ("s", "let s = \"a\" + str(1)"),
            ("r", "let r = 0..3"),
            ("xs", "let xs = [1, [2]]"),
            ("m", "let m = {\"k\": 1}"),
            ("p", "struct P { x }\nlet p = P(1)"),
        ] {
            let (_, slots) = remembered(&format!("{setup}\ncached fn f(v) {{ v }}\nfor _ in 0..5 {{ f({v}) }}"));
            assert_eq!(slots.iter().map(|s| (s.1, s.2)).collect::<Vec<_>>(), [(4, 3)], "{v}: {slots:?}");
        }
        // Up to four arguments are remembered; five are not.
        let (_, slots) = remembered("cached fn h(a, b, c, d) { a }\nfor _ in 0..5 { h(1, 2, 3, 4) }");
        assert_eq!(slots.iter().map(|s| (s.1, s.2)).collect::<Vec<_>>(), [(4, 3)], "{slots:?}");
        let (_, slots) = remembered("cached fn h(a, b, c, d, e) { a }\nfor _ in 0..5 { h(1, 2, 3, 4, 5) }");
        assert!(slots.is_empty(), "{slots:?}");
        // Two arguments, each compared; another value is another call.
        let (_, slots) = remembered("cached fn g(a, b) { a }\nfor _ in 0..5 { g(1, 2) }\nfor _ in 0..5 { g(1, 3) }");
        assert_eq!(slots.iter().map(|s| s.2).sum::<u64>(), 6, "{slots:?}");
    }

    #[test]
    fn values_that_can_change_are_never_remembered() {
        // A list holding a cell, a map holding a fn, a cell, a fn: their
        // hash is what they hold now, so identity proves nothing.
        let (out, slots) = remembered(
            "let c = cell(1)\nlet xs = [c]\nlet m = {\"f\": fn(x) { x }}\n\
             cached fn f(v) { 1 }\n\
             for _ in 0..3 { f(xs)\nf(m)\nf(c)\nf(fn() { 0 }) }\nprint(\"ok\")",
        );
        assert_eq!(out, "ok\n");
        assert!(slots.is_empty(), "{slots:?}");
    }

    #[test]
    fn hits_of_entries_with_facts_or_options_are_not_remembered() {
        let (_, slots) = remembered(
            "cached fn p() { param(\"k\", 1) }\n\
             cached(max_entries: 5) fn m(x) { x }\n\
             cached(ttl: 60) fn t(x) { x }\n\
             cached fn inner(x) { x }\ncached fn outer(x) { inner(x) }\n\
             for _ in 0..3 { p()\nm(1)\nt(1)\nouter(1) }",
        );
        // `p` and `outer` recorded facts (a param, a cached callee), `m`
        // and `t` have options, `inner` ran only inside `outer`'s miss.
        assert!(slots.is_empty(), "{slots:?}");
    }

    #[test]
    fn distinct_arguments_stand_for_distinct_words() {
        // Calls alternating between two arguments must not fight over one
        // slot: each kind of value chooses its slot by what it is.
        use super::word;
        use crate::Value;
        let mut engine = Engine::builder().run_on_current_thread().build();
        let mut two = |src: &str| (engine.run(src).unwrap(), engine.run(src).unwrap());
        let pairs = [
            (Value::Int(1), Value::Int(2)),
            (Value::float(1.5), Value::float(2.5)),
            (Value::bool(false), Value::bool(true)),
            (Value::str("a"), Value::str("a")),
            two("[1]"),
            two("{1: 2}"),
            two("struct P { x }\nP(1)"),
            two("0..3"),
        ];
        for (a, b) in &pairs {
            assert_ne!(word(a), word(b), "{a:?} and {b:?}");
        }
    }

    #[test]
    fn hits_from_the_slot_count_like_any_hit() {
        // Five calls (a miss, a hit by lookup, three from the slot), then
        // three after writes to a global the fn does not read (the slot
        // checks the code hash again and serves).
        let out = OutputBuffer::new();
        let mut engine = Engine::builder().output(out.clone()).run_on_current_thread().build();
        let src = "cached fn f(x) { x * 2 }\nlet g = 0\nfor _ in 0..5 { f(21) }\nfor _ in 0..3 {\n  g += 1\n  f(21)\n}\nprint(g)";
        engine.run(src).unwrap();
        assert_eq!(out.take(), "3\n");
        assert_eq!(engine.run_stats().hits, 7);
        let s = super::super::session(engine.interp_mut()).unwrap();
        let slot = s.hit_memo.slots.iter().flatten().next().expect("a remembered hit");
        assert_eq!(slot.served, 6);
        let cf = slot.clo.cached.as_ref().unwrap();
        let hits = cf.hits.load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(hits, 7);
        // Each hit saved the time the entry took to compute.
        let saved = cf.saved_nanos.load(std::sync::atomic::Ordering::Relaxed);
        assert_eq!(saved, hits * slot.compute.as_nanos() as u64);
    }

    #[test]
    fn a_reset_forgets_remembered_hits() {
        // What the last run remembered (its values can be big) goes with it.
        let mut engine = Engine::builder().run_on_current_thread().build();
        engine.run("cached fn f(x) { [x] }\nfor _ in 0..3 { f(1) }").unwrap();
        assert_eq!(super::super::session(engine.interp_mut()).unwrap().hit_memo.slots.iter().flatten().count(), 1);
        engine.reset();
        assert_eq!(super::super::session(engine.interp_mut()).unwrap().hit_memo.slots.iter().flatten().count(), 0);
    }

    #[test]
    fn small_keys_are_remembered_with_their_digest() {
        let mut engine = Engine::builder().run_on_current_thread().build();
        engine.run("cached fn f(x) { x }\nfor i in 0..3 { f(i) }").unwrap();
        assert_eq!(super::super::session(engine.interp_mut()).unwrap().key_memo.len(), 3);
    }
}
