//! The transitive code hash of a closure: its `ast_hash`, its `hash_funcs`,
//! the values it captured, and for every global it reads, the global's name
//! and the hash of its current value, where a user function's value hash is
//! its own transitive code hash (so editing `inner_func` changes the code hash
//! of every cached fn that calls it). Natives hash by name and version.
//!
//! Cycles (recursion, mutual recursion) are cut: a function already being
//! hashed contributes `("rec", name)`. The result depends only on the code
//! graph reachable from the closure, never on call order.
//!
//! A cached fn that a function only *calls* through the global of its own
//! name (`b(x)`, never `b` as a value) contributes `("callee", name)`, not
//! its code: its calls are recorded in the caller's trace and verified
//! there (`cache::trace`), so editing it re-runs it, and the caller only
//! when its result changed (early cutoff).
//!
//! A cached fn's `hash_funcs` apply to every free variable of the walk too
//! (spec §5: "anywhere in an argument or free variable"); such a walk runs
//! user code, so it is never memoized.
//!
//! Cost: the result is memoized per closure with the version of every global
//! it visited. While no global changed (one epoch compare) or none of *those*
//! changed (a short version scan), the memo is returned: O(1) in hot loops.

use super::value_hash::{self, HashCx};
use crate::cache::session::{sess, CodeMemo};
use crate::error::Result;
use crate::interp::Interp;
use crate::names;
use crate::value::{Closure, Hash32, Value};
use hashbrown::HashMap;
use std::sync::Arc;

/// One dependency recorded for `--explain`: a function's own code, or a
/// free variable's value.
#[derive(Clone, Debug, PartialEq)]
pub struct Dep {
    /// `code` or `var`
    pub kind: DepKind,
    pub name: String,
    pub digest: Hash32,
    /// A short rendering of a variable's value (empty for code).
    pub shown: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DepKind {
    Code,
    Var,
}

/// How many closures' code hashes an interpreter remembers.
const CODE_MEMO_MAX: usize = 4096;

#[derive(Default)]
struct Walk {
    /// The `hash_funcs` of the cached fn the walk started from.
    hash_funcs: Vec<(String, Value)>,
    /// (global, version) of every global visited.
    versions: Vec<(u32, u64)>,
    /// False when a visited value may change without a version bump (a cell).
    memoizable: bool,
    /// Context-free results of this walk, by closure address.
    done: HashMap<usize, Hash32>,
    /// Recorded dependencies, when explaining.
    record: Option<Vec<Dep>>,
}

/// Shortens a value's repr for explanations.
pub fn short(v: &Value) -> String {
    // A struct type prints as its name: show its fields, which is what can change.
    if let Value::Type(t) = v {
        if let crate::value::TypeValue::Struct(st) = &**t {
            let s = format!("struct {} {{ {} }}", st.name, st.fields.join(", "));
            if s.chars().count() <= 40 {
                return s;
            }
        }
    }
    // 160 bytes hold at least 41 characters: enough to tell whether to cut.
    let s = crate::value::repr_prefix(v, 160);
    if s.chars().count() > 40 {
        let head: String = s.chars().take(37).collect();
        format!("{head}...")
    } else {
        s
    }
}

impl Interp {
    /// The transitive code hash of a closure (memoized).
    pub fn closure_code_hash(&mut self, clo: &Arc<Closure>) -> Result<Hash32> {
        let key = Arc::as_ptr(clo) as usize;
        if !sess!(self).hash_stack.is_empty() {
            // Nested inside another function's walk: handled by `walk`.
            return self.nested_code_hash(clo);
        }
        let hash_funcs = hash_funcs_of(clo);
        if hash_funcs.is_empty() {
            if let Some(m) = sess!(self).code_memo.get_mut(&key) {
                if m.epoch == self.global_epoch {
                    return Ok(m.hash);
                }
                let versions = &self.global_versions;
                if m.deps.iter().all(|(g, v)| versions.get(*g as usize) == Some(v)) {
                    m.epoch = self.global_epoch;
                    return Ok(m.hash);
                }
            }
        }
        let memoizable = hash_funcs.is_empty();
        let mut w = Walk { memoizable, hash_funcs, ..Default::default() };
        let (h, _) = self.walk(clo, &root_name(clo), &mut w)?;
        if w.memoizable {
            if sess!(self).code_memo.len() >= CODE_MEMO_MAX {
                // Closures made in a loop would otherwise pile up here.
                sess!(self).code_memo.clear();
            }
            sess!(self)
                .code_memo
                .insert(key, CodeMemo { _keep: clo.clone(), epoch: self.global_epoch, deps: w.versions, hash: h });
        }
        Ok(h)
    }

    /// The code hash with every dependency recorded (for `--explain`).
    pub fn closure_deps(&mut self, clo: &Arc<Closure>) -> Result<(Hash32, Vec<Dep>)> {
        let hash_funcs = hash_funcs_of(clo);
        let mut w = Walk { record: Some(Vec::new()), hash_funcs, ..Default::default() };
        let (h, _) = self.walk(clo, &root_name(clo), &mut w)?;
        Ok((h, w.record.unwrap_or_default()))
    }

    fn nested_code_hash(&mut self, clo: &Arc<Closure>) -> Result<Hash32> {
        // Only reached through value hashing of a function held in a data
        // structure during a walk; hash it standalone with a fresh walk.
        let saved = std::mem::take(&mut sess!(self).hash_stack);
        let r = self.closure_code_hash(clo);
        sess!(self).hash_stack = saved;
        r
    }

    /// Hashes `clo`, reached as `name` (the global or captured variable
    /// holding it, or its own name at the root); returns the hash and the
    /// lowest hash-stack index that a cycle inside it pointed at
    /// (usize::MAX: none, the result is context free).
    fn walk(&mut self, clo: &Arc<Closure>, name: &str, w: &mut Walk) -> Result<(Hash32, usize)> {
        let ptr = Arc::as_ptr(clo) as usize;
        if let Some(pos) = sess!(self).hash_stack.iter().position(|p| *p == ptr) {
            let mut h = blake3::Hasher::new();
            h.update(b"rec");
            h.update(clo.proto.name.as_bytes());
            return Ok((*h.finalize().as_bytes(), pos));
        }
        if let Some(h) = w.done.get(&ptr) {
            return Ok((*h, usize::MAX));
        }
        if clo.proto.library {
            // Standard library written in memo: identified like a native.
            let mut h = blake3::Hasher::new();
            h.update(b"lib");
            h.update(clo.proto.name.as_bytes());
            h.update(crate::VERSION.as_bytes());
            return Ok((*h.finalize().as_bytes(), usize::MAX));
        }
        if crate::stack::near_overflow() {
            return Err(crate::error::MemoError::new("RecursionError", "functions nested too deeply to hash"));
        }
        let my_index = sess!(self).hash_stack.len();
        sess!(self).hash_stack.push(ptr);
        let r = self.walk_inner(clo, name, w);
        sess!(self).hash_stack.pop();
        let (h, min_rec) = r?;
        if min_rec >= my_index {
            w.done.insert(ptr, h);
        }
        Ok((h, min_rec))
    }

    fn walk_inner(&mut self, clo: &Arc<Closure>, name: &str, w: &mut Walk) -> Result<(Hash32, usize)> {
        let proto = clo.proto.clone();
        let mut min_rec = usize::MAX;
        let mut h = blake3::Hasher::new();
        h.update(b"memo-code-v2");
        h.update(&proto.ast_hash);
        if let Some(c) = &clo.cached {
            h.update(&self.hash_funcs_digest(c)?);
            h.update(&(c.name.len() as u64).to_le_bytes());
            h.update(c.name.as_bytes());
        }
        if let Some(rec) = &mut w.record {
            if !rec.iter().any(|d| d.kind == DepKind::Code && d.name == name) {
                rec.push(Dep { kind: DepKind::Code, name: name.to_string(), digest: proto.ast_hash, shown: String::new() });
            }
        }
        for (i, v) in clo.captures.iter().enumerate() {
            let cname = proto.capture_names.get(i).cloned().unwrap_or_default();
            let d = self.dep_value(&cname, v, w, &mut min_rec)?;
            h.update(&d);
        }
        for (i, &g) in proto.globals_read.iter().enumerate() {
            let gname = names::name_of(g);
            h.update(&(gname.len() as u64).to_le_bytes());
            h.update(gname.as_bytes());
            w.versions.push((g, self.global_versions.get(g as usize).copied().unwrap_or(0)));
            match self.global_by_id(g) {
                None => {
                    h.update(b"undefined");
                }
                Some(Value::Func(f)) if proto.globals_call_only.get(i) == Some(&true) && is_own_callee(&f, &gname) => {
                    // A cached callee: its calls are verified through the trace.
                    h.update(b"callee");
                }
                Some(v) => {
                    let d = self.dep_value(&gname, &v, w, &mut min_rec)?;
                    h.update(&d);
                }
            }
        }
        Ok((*h.finalize().as_bytes(), min_rec))
    }

    /// The hash of a cached fn's `hash_funcs` option (type names and fns),
    /// computed once per declaration.
    pub(crate) fn hash_funcs_digest(&mut self, cf: &crate::interp::CachedFn) -> Result<Hash32> {
        if let Some(d) = cf.hash_funcs_digest.get() {
            return Ok(*d);
        }
        let mut h = blake3::Hasher::new();
        h.update(b"hash_funcs");
        for (t, f) in &cf.options.hash_funcs {
            h.update(&(t.len() as u64).to_le_bytes());
            h.update(t.as_bytes());
            let what = || format!("the `hash_funcs` entry for `{t}`");
            let cx = HashCx { hash_funcs: &[], what: &what, shallow_fns: false };
            value_hash::feed(self, &mut h, f, &cx)?;
        }
        let d = *h.finalize().as_bytes();
        let _ = cf.hash_funcs_digest.set(d);
        Ok(d)
    }

    /// Hash of a free variable's value: functions by their code hash, other
    /// values by their value hash with the walk's `hash_funcs` applied.
    fn dep_value(&mut self, name: &str, v: &Value, w: &mut Walk, min_rec: &mut usize) -> Result<Hash32> {
        if let Value::Func(f) = v {
            let (h, m) = self.walk(f, name, w)?;
            *min_rec = (*min_rec).min(m);
            return Ok(h);
        }
        if v.may_mutate() {
            w.memoizable = false;
        }
        let what = || format!("free variable `{name}`");
        let hash_funcs = std::mem::take(&mut w.hash_funcs);
        let cx = HashCx { hash_funcs: &hash_funcs, what: &what, shallow_fns: false };
        let d = value_hash::digest(self, v, &cx);
        w.hash_funcs = hash_funcs;
        let d = d?;
        if let Some(rec) = &mut w.record {
            if !matches!(v, Value::Native(_)) && !rec.iter().any(|x| x.kind == DepKind::Var && x.name == name) {
                rec.push(Dep { kind: DepKind::Var, name: name.to_string(), digest: d, shown: short(v) });
            }
        }
        Ok(d)
    }
}

/// A cached fn's `hash_funcs` (empty for other functions).
fn hash_funcs_of(clo: &Closure) -> Vec<(String, Value)> {
    clo.cached.as_ref().map(|cf| cf.options.hash_funcs.clone()).unwrap_or_default()
}

/// The name a walk's root is shown as.
fn root_name(clo: &Closure) -> String {
    if clo.proto.name.is_empty() {
        "<anonymous fn>".to_string()
    } else {
        clo.proto.name.clone()
    }
}

/// Is `f` a cached fn filed under `global`, the name it is called by?
fn is_own_callee(f: &Closure, global: &str) -> bool {
    f.cached.as_ref().is_some_and(|cf| &*cf.name == global)
}

#[cfg(test)]
mod tests {
    use super::short;
    use crate::Value;

    #[test]
    fn short_keeps_forty_characters_and_cuts_more() {
        let forty = "a".repeat(38); // with its quotes: 40 characters
        assert_eq!(short(&Value::str(forty.clone())), format!("\"{forty}\""));
        let more = Value::str("b".repeat(39));
        assert_eq!(short(&more), format!("\"{}...", "b".repeat(36)));
        assert_eq!(short(&Value::Int(7)), "7");
    }

    #[test]
    fn code_hashes_are_memoized_per_closure() {
        let mut engine = crate::Engine::builder().run_on_current_thread().build();
        engine.run("let k = 2\nfn helper(x) { x * k }\ncached fn f(x) { helper(x) }\ncached fn g(x) { x }\nf(1)\ng(1)").unwrap();
        let s = crate::cache::session(engine.interp_mut()).unwrap();
        assert_eq!(s.code_memo.len(), 2, "f's and g's code hashes are remembered");
    }
}
