//! The cycle collector: frees cycles of mutable objects (objects that hold,
//! directly or through lists, maps, structs and closures, a reference back
//! to themselves), which reference counting alone never frees.
//!
//! Every object and cell an interpreter makes is registered here (a weak
//! reference). Every `threshold` registrations, and when a run ends, the
//! collector runs CPython's trial deletion on the objects this interpreter
//! still owns (`value::object`: shared objects are never candidates):
//!
//! 1. the candidates, and every container reachable from them that may
//!    hold an object (lists, maps and structs with `may_mutate`, closures),
//!    become the nodes of a graph, each with its strong count;
//! 2. every reference from a node to a node is subtracted from the target's
//!    count; what is left are references from outside the graph (variables,
//!    the value stack, globals, the cache, Rust code holding a value);
//! 3. everything reachable from a node with outside references is alive;
//!    candidates left unreached are garbage: their content is taken out,
//!    which breaks their cycles, and reference counting frees the rest.
//!
//! Only references a node owns by itself count as edges: elements of a
//! flat list and of a small or hashed map, fields, captures. A tree-form
//! list or map (imbl) shares its nodes with other lists, so it is a leaf:
//! what it holds looks referenced from outside and stays alive, a cycle
//! through it is not collected (a leak, never a wrong free). Nothing is
//! ever freed that a counted reference outside the graph can reach, so
//! references the collector cannot see (a native holding a value on the
//! Rust stack, a lent copy whose original is counted elsewhere) only keep
//! things alive. Candidates are upgraded (a strong reference each, taken
//! off again) for the duration, so no other thread can free one midway;
//! nothing else changes them while this interpreter is collecting.

use super::Interp;
use crate::value::{CellObj, MutObj, Reader, StructType, Value};
use std::collections::HashMap;
use std::sync::{Arc, Weak};

/// Registrations between collections, at least.
const MIN_THRESHOLD: usize = 10_000;

/// An object or cell this interpreter made.
enum Tracked {
    Obj(Weak<MutObj>),
    Cell(Weak<CellObj>),
}

/// The interpreter's mutable objects, for the collector.
pub(crate) struct Registry {
    tracked: Vec<Tracked>,
    /// Registrations since the last collection.
    since: usize,
    /// Collect when `since` reaches this.
    threshold: usize,
    /// Collections run and objects freed so far (tests, `--stats`).
    pub(crate) collections: u64,
    pub(crate) freed: u64,
}

impl Default for Registry {
    fn default() -> Self {
        Registry { tracked: Vec::new(), since: 0, threshold: MIN_THRESHOLD, collections: 0, freed: 0 }
    }
}

/// A node of the graph: a candidate or a container reachable from one.
struct Node {
    /// The strong count, less every reference from another node (and the
    /// collector's own, for candidates).
    outside: isize,
    alive: bool,
}

/// A candidate held for the duration of a collection.
enum Held {
    Obj(Arc<MutObj>),
    Cell(Arc<CellObj>),
}

impl Interp {
    /// Who this interpreter is when it reads mutable objects.
    #[inline(always)]
    pub(crate) fn reader(&self) -> Reader {
        Reader::of(self.id)
    }

    /// A new `mut struct` instance, owned by this interpreter.
    pub(crate) fn new_obj(&mut self, ty: Arc<StructType>, fields: Box<[Value]>) -> Value {
        let o = Arc::new(MutObj::new(ty, fields, self.reader()));
        self.objects.tracked.push(Tracked::Obj(Arc::downgrade(&o)));
        self.registered();
        Value::Obj(o)
    }

    /// A new cell, owned by this interpreter.
    pub(crate) fn new_cell(&mut self, v: Value) -> Value {
        let c = Arc::new(CellObj::new(v, self.reader()));
        self.objects.tracked.push(Tracked::Cell(Arc::downgrade(&c)));
        self.registered();
        Value::Cell(c)
    }

    #[inline]
    fn registered(&mut self) {
        self.objects.since += 1;
        if self.objects.since >= self.objects.threshold {
            self.collect();
        }
    }

    /// Shares what `v` holds of this interpreter's objects: `v` is about
    /// to be seen by the cache, the host or another thread.
    pub(crate) fn share(&self, v: &Value) {
        crate::value::object::share(v, self.reader());
    }

    /// Collects when objects were made since the last collection (a run
    /// ended).
    pub(crate) fn collect_if_needed(&mut self) {
        if self.objects.since > 0 {
            self.collect();
        }
    }

    /// Runs the collector; returns how many objects it freed.
    pub fn collect(&mut self) -> usize {
        let me = self.reader();
        let mut held: Vec<Held> = Vec::new();
        self.objects.tracked.retain(|t| {
            let h = match t {
                Tracked::Obj(w) => w.upgrade().filter(|o| o.owned_by(me)).map(Held::Obj),
                Tracked::Cell(w) => w.upgrade().filter(|c| c.owned_by(me)).map(Held::Cell),
            };
            let keep = h.is_some();
            held.extend(h);
            keep
        });
        let freed = trial_deletion(&held, me);
        let work = held.len();
        drop(held);
        let r = &mut self.objects;
        r.collections += 1;
        r.freed += freed as u64;
        r.since = 0;
        // The next collection after as many registrations as this one had
        // to look at: amortized O(1) per object made.
        r.threshold = MIN_THRESHOLD.max(work);
        freed
    }

    /// Objects this interpreter made that are still registered (alive,
    /// or freed since the last collection), and collections run.
    pub fn object_counts(&self) -> (usize, u64, u64) {
        let live = self
            .objects
            .tracked
            .iter()
            .filter(|t| match t {
                Tracked::Obj(w) => w.strong_count() > 0,
                Tracked::Cell(w) => w.strong_count() > 0,
            })
            .count();
        (live, self.objects.collections, self.objects.freed)
    }
}

/// The address of `v` when it is a node: an object or cell `me` owns, or a
/// container that may lead to one.
fn is_node(v: &Value, me: Reader) -> Option<usize> {
    match v {
        Value::Obj(o) if o.owned_by(me) => Some(Arc::as_ptr(o) as *const u8 as usize),
        Value::Cell(c) if c.owned_by(me) => Some(Arc::as_ptr(c) as *const u8 as usize),
        Value::List(l) if l.may_mutate => Some(crate::value::UArc::as_ptr(l) as *const u8 as usize),
        Value::Map(m) if m.may_mutate => Some(crate::value::UArc::as_ptr(m) as *const u8 as usize),
        Value::Struct(s) if s.may_mutate => Some(crate::value::UArc::as_ptr(s) as *const u8 as usize),
        Value::Func(f) if f.captures.iter().any(Value::may_mutate) => Some(Arc::as_ptr(f) as *const u8 as usize),
        _ => None,
    }
}

/// The strong count of a node value.
fn strong(v: &Value) -> usize {
    match v {
        Value::Obj(o) => Arc::strong_count(o),
        Value::Cell(c) => Arc::strong_count(c),
        Value::List(l) => crate::value::UArc::strong_count(l),
        Value::Map(m) => crate::value::UArc::strong_count(m),
        Value::Struct(s) => crate::value::UArc::strong_count(s),
        Value::Func(f) => Arc::strong_count(f),
        _ => 0,
    }
}

/// Calls `f` on every reference node `v` owns by itself (see the module
/// comment: tree-form lists and maps are leaves).
///
/// # Safety
/// Objects and cells among the nodes are owned by `me`, and nothing
/// changes them during the collection (their content is read in place).
unsafe fn children(v: &Value, me: Reader, f: &mut dyn FnMut(&Value)) {
    match v {
        Value::Obj(o) if o.owned_by(me) => {
            // SAFETY: the caller's promise.
            unsafe { o.peek() }.iter().for_each(f)
        }
        Value::Cell(c) if c.owned_by(me) => {
            // SAFETY: the caller's promise.
            f(unsafe { c.peek() })
        }
        Value::List(l) => {
            if let Some(items) = l.items.owned() {
                items.iter().for_each(f)
            }
        }
        Value::Map(m) => m.map.for_each_owned_value(f),
        Value::Struct(s) => s.fields.iter().for_each(f),
        Value::Func(c) => c.captures.iter().for_each(f),
        _ => {}
    }
}

/// Trial deletion over the candidates (see the module comment); returns
/// how many were garbage (their content is taken out).
fn trial_deletion(held: &[Held], me: Reader) -> usize {
    if held.is_empty() {
        return 0;
    }
    let mut index: HashMap<usize, usize> = HashMap::with_capacity(held.len() * 2);
    let mut nodes: Vec<Node> = Vec::with_capacity(held.len() * 2);
    // The values of the nodes (clones would change the counts: these are
    // bitwise views, never dropped).
    let mut values: Vec<std::mem::ManuallyDrop<Value>> = Vec::with_capacity(held.len() * 2);
    let view = |v: &Value| {
        // SAFETY: a bitwise copy that is never dropped (`ManuallyDrop`):
        // the counts stay as they are, and the original outlives the
        // collection (candidates are held; containers are held by their
        // parents, which nothing changes meanwhile).
        std::mem::ManuallyDrop::new(unsafe { std::ptr::read(v) })
    };
    for h in held {
        // SAFETY: a lent copy of the candidate, never dropped; `held`
        // keeps the original for the whole collection.
        let v = std::mem::ManuallyDrop::new(unsafe {
            match h {
                Held::Obj(o) => Value::Obj(Arc::from_raw(Arc::as_ptr(o))),
                Held::Cell(c) => Value::Cell(Arc::from_raw(Arc::as_ptr(c))),
            }
        });
        let at = is_node(&v, me).expect("a candidate is a node");
        // `- 1`: the collector's own handle in `held`.
        index.insert(at, nodes.len());
        nodes.push(Node { outside: strong(&v) as isize - 1, alive: false });
        values.push(v);
    }
    // 1-2: discover the nodes, discount the references between them.
    let mut k = 0;
    while k < values.len() {
        let v: &Value = &values[k];
        let mut found: Vec<std::mem::ManuallyDrop<Value>> = Vec::new();
        // SAFETY: nodes that are objects or cells are `me`'s (`is_node`),
        // and nothing runs meanwhile.
        unsafe {
            children(v, me, &mut |c| {
                if let Some(at) = is_node(c, me) {
                    match index.get(&at) {
                        Some(&j) => nodes[j].outside -= 1,
                        None => {
                            index.insert(at, nodes.len());
                            nodes.push(Node { outside: strong(c) as isize - 1, alive: false });
                            found.push(view(c));
                        }
                    }
                }
            })
        };
        values.extend(found);
        k += 1;
    }
    // 3: everything reachable from a node referenced from outside lives.
    let mut todo: Vec<usize> = (0..nodes.len()).filter(|&j| nodes[j].outside > 0).collect();
    for &j in &todo {
        nodes[j].alive = true;
    }
    while let Some(j) = todo.pop() {
        let v: &Value = &values[j];
        // SAFETY: as above.
        unsafe {
            children(v, me, &mut |c| {
                if let Some(at) = is_node(c, me) {
                    if let Some(&t) = index.get(&at) {
                        if !nodes[t].alive {
                            nodes[t].alive = true;
                            todo.push(t);
                        }
                    }
                }
            })
        };
    }
    // The garbage: candidates not reached. Their content is taken out
    // first and dropped after, when no node is looked at any more.
    let mut taken: Vec<Value> = Vec::new();
    let mut freed = 0;
    for (j, h) in held.iter().enumerate() {
        if nodes[j].alive {
            continue;
        }
        freed += 1;
        match h {
            Held::Obj(o) => taken.extend(o.clear(me).unwrap_or_default()),
            Held::Cell(c) => taken.extend(c.clear(me)),
        }
    }
    drop(values);
    drop(taken);
    freed
}

impl Drop for Interp {
    /// The objects this interpreter still owns can only be reached through
    /// its own state, which is going away: their content is taken out, so
    /// that cycles among them are freed too.
    fn drop(&mut self) {
        let me = self.reader();
        let mut taken: Vec<Value> = Vec::new();
        for t in std::mem::take(&mut self.objects.tracked) {
            match t {
                Tracked::Obj(w) => {
                    if let Some(o) = w.upgrade() {
                        taken.extend(o.clear(me).unwrap_or_default());
                    }
                }
                Tracked::Cell(w) => {
                    if let Some(c) = w.upgrade() {
                        taken.extend(c.clear(me));
                    }
                }
            }
        }
        drop(taken);
    }
}
