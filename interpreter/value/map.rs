//! The entries of a map, in key order (`Value`'s total order, see
//! `compare.rs`).
//!
//! A map has one of three forms, and which one never shows: iteration,
//! equality, order, hashing, printing and the cache codec all see the same
//! sorted entries.
//!
//! - **Small**: up to `SMALL` entries, a sorted vector: one allocation,
//!   searched in place, cheap to copy. A record such as
//!   `{"id": 1, "region": "north", "qty": 3}` is the common map in data
//!   scripts, and imbl's B-tree gives every map, however small, a 16-entry
//!   node (~550 bytes) plus its bookkeeping.
//! - **Shaped**: a small map whose keys are strings shared with other maps
//!   of the same keys (a `Shape`): the rows of a CSV file or of a decoded
//!   cache entry, the maps one record literal makes. Each map holds only
//!   its values; its keys are one shared allocation, so making such a map
//!   touches no key's reference count and takes half the memory. Any
//!   change of its keys makes it small.
//! - **Hash**: a bigger map whose keys are all ints and strings (an index by
//!   id or by name: nearly every big map) is a hash table (`index_table`), so a
//!   lookup or insert is one hash and a probe instead of a B-tree descent
//!   with ~20 key comparisons. Its key order is sorted when first needed and
//!   kept until a key is added or removed.
//! - **Tree**: imbl's persistent B-tree, for the other big maps and for
//!   copies. Copying a hash-form map (copy-on-write of a shared one) makes
//!   the tree, once, kept beside the table (`shadow`), so any number of
//!   copies cost what they cost on a tree. So no operation is slower, in O()
//!   terms, than on the tree alone.

use super::index_table::IndexTable;
use super::Value;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::OnceLock;

/// The most entries a map keeps as a sorted vector.
pub const SMALL: usize = 16;

type Tree = imbl::OrdMap<Value, Value>;

/// A map's entries. The form is private: only this module touches it.
#[derive(Clone)]
pub struct ValueMap(Repr);

enum Repr {
    Small(Vec<(Value, Value)>),
    /// The values, one per key of the shape, in its order.
    Shaped(Shape, Box<[Value]>),
    Hash(Box<HashForm>),
    Tree(Tree),
}

/// The keys that maps of one shape share: strings, sorted, no two equal,
/// 1 to `SMALL` of them, in one allocation.
#[derive(Clone)]
pub struct Shape(triomphe::ThinArc<(), Value>);

impl Shape {
    /// The shape of these keys, if they are 1 to `SMALL` strings in
    /// strictly increasing order.
    pub fn new(keys: &[Value]) -> Option<Shape> {
        let ok = (1..=SMALL).contains(&keys.len())
            && keys.iter().all(|k| matches!(k, Value::Str(_)))
            && keys.windows(2).all(|w| w[0] < w[1]);
        ok.then(|| Shape(triomphe::ThinArc::from_header_and_iter((), keys.iter().cloned())))
    }

    #[inline]
    pub(crate) fn keys(&self) -> &[Value] {
        &self.0.slice
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.0.slice.len()
    }

    /// Identifies this shape while it lives (the maps of one shape share it).
    #[inline]
    pub(crate) fn addr(&self) -> usize {
        self.keys().as_ptr() as usize
    }

    /// Where the string key `name` is.
    #[inline(always)]
    fn position(&self, name: &str) -> Option<usize> {
        self.keys().iter().position(|k| is_str_key(k, name))
    }

    /// Where the key `k` is: only a string can equal a shape's key.
    #[inline]
    fn find(&self, k: &Value) -> Option<usize> {
        match k {
            Value::Str(q) => self.position(&q.s),
            _ => None,
        }
    }
}

const _: () = assert!(std::mem::size_of::<ValueMap>() == 32);

/// A big map with int and string keys only.
struct HashForm {
    /// Keys are ints and strings only (`hashable`), hashed and compared as
    /// the `Query` they are.
    entries: IndexTable<Value, Value>,
    hasher: hashbrown::DefaultHashBuilder,
    /// Positions in `entries`, in key order; cleared when a key is added or
    /// removed.
    order: OnceLock<Box<[u32]>>,
    /// The same entries as a tree; cleared by every change.
    shadow: OnceLock<Box<Tree>>,
}

/// What a hash-form map is searched by: the int or string a key equals.
#[derive(Clone, Copy)]
enum Query<'a> {
    Int(i64),
    Str(&'a str),
}

impl Hash for Query<'_> {
    #[inline]
    fn hash<H: Hasher>(&self, h: &mut H) {
        match self {
            Query::Int(i) => {
                h.write_u8(0);
                h.write_i64(*i)
            }
            Query::Str(s) => {
                h.write_u8(1);
                h.write(s.as_bytes())
            }
        }
    }
}

impl Query<'_> {
    /// Is the key `k` this int or string?
    #[inline]
    fn matches(&self, k: &Value) -> bool {
        match (self, k) {
            (Query::Int(a), Value::Int(b)) => a == b,
            (Query::Str(a), Value::Str(b)) => *a == b.s,
            _ => false,
        }
    }
}

impl Query<'_> {
    /// The int or string that `k` equals, if any: only such a key can be in
    /// a hash-form map. A float equals an int when it is integral and in
    /// range (`1.0 == 1`, as `compare.rs` orders them).
    #[inline]
    fn of(k: &Value) -> Option<Query<'_>> {
        match k {
            Value::Int(i) => Some(Query::Int(*i)),
            Value::Str(s) => Some(Query::Str(&s.s)),
            Value::Float(f) => {
                let f = f.get();
                // -2^63 <= f < 2^63: `f as i64` is exact for an integral f.
                let two_63 = -(i64::MIN as f64);
                (f.fract() == 0.0 && (-two_63..two_63).contains(&f)).then_some(Query::Int(f as i64))
            }
            _ => None,
        }
    }
}

/// Is `k` the string `name`?
#[inline(always)]
fn is_str_key(k: &Value, name: &str) -> bool {
    matches!(k, Value::Str(s) if s.s == name)
}

fn hashable(k: &Value) -> bool {
    matches!(k, Value::Int(_) | Value::Str(_))
}

impl HashForm {
    fn with_capacity(n: usize) -> HashForm {
        HashForm {
            entries: IndexTable::with_capacity(n),
            hasher: Default::default(),
            order: OnceLock::new(),
            shadow: OnceLock::new(),
        }
    }

    #[inline]
    fn hash(&self, q: &Query) -> u64 {
        self.hasher.hash_one(q)
    }

    #[inline]
    fn get(&self, q: &Query) -> Option<&Value> {
        self.entries.get(self.hash(q), |k| q.matches(k))
    }

    #[inline]
    fn get_mut(&mut self, q: &Query) -> Option<&mut Value> {
        let h = self.hash(q);
        self.entries.get_mut(h, |k| q.matches(k))
    }

    #[inline]
    fn contains_key(&self, q: &Query) -> bool {
        self.get(q).is_some()
    }

    /// `k` is an int or a string (`hashable`).
    #[inline]
    fn insert(&mut self, k: Value, v: Value) -> Option<Value> {
        let h = match Query::of(&k) {
            Some(q) => self.hash(&q),
            None => unreachable!("a hash-form map's keys are ints and strings"),
        };
        self.entries.insert(h, k, v, |a, b| match (a, b) {
            (Value::Int(x), Value::Int(y)) => x == y,
            (Value::Str(x), Value::Str(y)) => x.s == y.s,
            _ => false,
        })
    }

    fn swap_remove(&mut self, q: &Query) -> Option<Value> {
        let h = self.hash(q);
        self.entries.swap_remove(h, |k| q.matches(k)).map(|(_, v)| v)
    }

    /// After a key was added or removed (`settle` ran first, so there is
    /// no shadow).
    fn changed_keys(&mut self) {
        self.order.take();
        self.shadow.take();
    }

    fn order(&self) -> &[u32] {
        self.order.get_or_init(|| {
            let mut o: Vec<u32> = (0..self.entries.len() as u32).collect();
            o.sort_unstable_by(|&a, &b| {
                let (ka, kb) = (&self.entries.get_index(a as usize), &self.entries.get_index(b as usize));
                match (ka, kb) {
                    (Some((x, _)), Some((y, _))) => x.cmp(y),
                    _ => std::cmp::Ordering::Equal,
                }
            });
            o.into_boxed_slice()
        })
    }

    fn tree(&self) -> &Tree {
        self.shadow.get_or_init(|| Box::new(self.entries.iter().map(|(k, v)| (k.clone(), v.clone())).collect()))
    }

    fn into_tree(self) -> Tree {
        match self.shadow.into_inner() {
            Some(t) => *t,
            None => self.entries.into_entries().collect(),
        }
    }
}

impl Clone for Repr {
    /// A copy, to be changed (copy-on-write): a hash-form map's copy is (a
    /// share of) its tree.
    fn clone(&self) -> Self {
        match self {
            Repr::Small(v) => Repr::Small(v.clone()),
            Repr::Shaped(s, v) => Repr::Shaped(s.clone(), v.clone()),
            Repr::Hash(h) => Repr::Tree(h.tree().clone()),
            Repr::Tree(t) => Repr::Tree(t.clone()),
        }
    }
}

impl Default for ValueMap {
    fn default() -> Self {
        ValueMap(Repr::Small(Vec::new()))
    }
}

impl ValueMap {
    pub fn new() -> ValueMap {
        ValueMap::default()
    }

    /// A map of `shape` whose values, in the shape's key order, are
    /// `values` (exactly one per key).
    pub(crate) fn shaped(shape: Shape, values: Box<[Value]>) -> ValueMap {
        assert_eq!(shape.len(), values.len(), "a shaped map has one value per key");
        ValueMap(Repr::Shaped(shape, values))
    }

    /// The keys this map shares with others, if it is shaped.
    #[inline]
    pub(crate) fn shape(&self) -> Option<&Shape> {
        match &self.0 {
            Repr::Shaped(s, _) => Some(s),
            _ => None,
        }
    }

    /// A shaped map made small, before its keys change.
    fn unshape(&mut self) {
        if let Repr::Shaped(s, v) = &mut self.0 {
            let keys = s.keys().iter().cloned();
            let small = keys.zip(std::mem::take(v).into_vec()).collect();
            self.0 = Repr::Small(small);
        }
    }

    /// An empty map with room for `n` entries without reallocating (a map
    /// literal knows its size).
    pub fn with_capacity(n: usize) -> ValueMap {
        ValueMap(Repr::Small(Vec::with_capacity(n.min(SMALL))))
    }

    #[inline]
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Small(v) => v.len(),
            Repr::Shaped(_, v) => v.len(),
            Repr::Hash(h) => h.entries.len(),
            Repr::Tree(t) => t.len(),
        }
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The position of `k` in a small map, or where it would go.
    #[inline]
    fn search(v: &[(Value, Value)], k: &Value) -> Result<usize, usize> {
        // A string equals only a string: a scan comparing lengths and bytes
        // finds it sooner than a binary search by the total order (whose
        // comparisons go through the type ranks). callgrind, data_pipeline
        // (`r.qty`, `groups[k]["count"] += 1` on records of 3-5 keys): the
        // binary search was ~9 % of its instructions.
        if let Value::Str(q) = k {
            if let Some(i) = v.iter().position(|(x, _)| is_str_key(x, &q.s)) {
                return Ok(i);
            }
        }
        v.binary_search_by(|(x, _)| x.cmp(k))
    }

    #[inline]
    pub fn get(&self, k: &Value) -> Option<&Value> {
        match &self.0 {
            Repr::Small(v) => Self::search(v, k).ok().map(|i| &v[i].1),
            Repr::Shaped(s, v) => s.find(k).map(|i| &v[i]),
            Repr::Hash(h) => h.get(&Query::of(k)?),
            Repr::Tree(t) => t.get(k),
        }
    }

    /// The value of the string key `name`, without building a key value
    /// for a small or hash-form map (`record.field`).
    #[inline(always)]
    pub fn get_str(&self, name: &str) -> Option<&Value> {
        match &self.0 {
            Repr::Small(v) => v.iter().find(|(k, _)| is_str_key(k, name)).map(|(_, x)| x),
            Repr::Shaped(s, v) => s.position(name).map(|i| &v[i]),
            Repr::Hash(h) => h.get(&Query::Str(name)),
            Repr::Tree(t) => t.get(&Value::str(name)),
        }
    }

    /// Before an edit of a hash-form map. If it was copied (its tree, the
    /// shadow, exists), it becomes that tree and keeps sharing with its
    /// copies; discarding the tree would rebuild it, O(n), at every copy of
    /// a map that is copied and edited in turn. If its key order was sorted
    /// and the edit adds or removes a key, it becomes a tree too: a map
    /// iterated between key changes (a queue taking its smallest key) would
    /// otherwise sort again for every iteration.
    fn settle(&mut self, changes_keys: impl FnOnce(&HashForm) -> bool) {
        if let Repr::Hash(h) = &self.0 {
            if h.shadow.get().is_some() || (h.order.get().is_some() && changes_keys(h)) {
                if let Repr::Hash(h) = std::mem::replace(&mut self.0, Repr::Small(Vec::new())) {
                    self.0 = Repr::Tree(h.into_tree());
                }
            }
        }
    }

    #[inline]
    pub fn get_mut(&mut self, k: &Value) -> Option<&mut Value> {
        self.settle(|_| false);
        match &mut self.0 {
            Repr::Small(v) => match Self::search(v, k) {
                Ok(i) => Some(&mut v[i].1),
                Err(_) => None,
            },
            Repr::Shaped(s, v) => s.find(k).map(|i| &mut v[i]),
            // No shadow now (settled), and the key order stays.
            Repr::Hash(h) => h.get_mut(&Query::of(k)?),
            Repr::Tree(t) => t.get_mut(k),
        }
    }

    #[inline]
    pub fn contains_key(&self, k: &Value) -> bool {
        self.get(k).is_some()
    }

    /// Inserts `k: v`; an existing equal key is replaced by `k` (as imbl
    /// does) and its old value returned.
    pub fn insert(&mut self, k: Value, val: Value) -> Option<Value> {
        self.settle(|h| match Query::of(&k) {
            Some(q) => !h.contains_key(&q),
            None => true,
        });
        match &mut self.0 {
            // An equal key is the same string: only the value changes.
            Repr::Shaped(s, v) => match s.find(&k) {
                Some(i) => Some(std::mem::replace(&mut v[i], val)),
                None => {
                    self.unshape();
                    self.insert(k, val)
                }
            },
            Repr::Small(v) => match Self::search(v, &k) {
                Ok(i) => Some(std::mem::replace(&mut v[i], (k, val)).1),
                Err(i) if v.len() < SMALL => {
                    v.insert(i, (k, val));
                    None
                }
                Err(_) => {
                    let v = std::mem::take(v);
                    self.0 = if hashable(&k) && v.iter().all(|(k, _)| hashable(k)) {
                        let mut h = HashForm::with_capacity(2 * SMALL);
                        for (k, v) in v {
                            h.insert(k, v);
                        }
                        h.insert(k, val);
                        Repr::Hash(Box::new(h))
                    } else {
                        let mut t: Tree = v.into_iter().collect();
                        t.insert(k, val);
                        Repr::Tree(t)
                    };
                    None
                }
            },
            Repr::Hash(h) if hashable(&k) => {
                let old = h.insert(k, val);
                if old.is_none() {
                    h.changed_keys();
                }
                old
            }
            Repr::Hash(_) => {
                // A key of another kind: the map becomes a tree.
                let Repr::Hash(h) = std::mem::replace(&mut self.0, Repr::Small(Vec::new())) else {
                    unreachable!("matched above")
                };
                let mut t = h.into_tree();
                let old = t.insert(k, val);
                self.0 = Repr::Tree(t);
                old
            }
            Repr::Tree(t) => t.insert(k, val),
        }
    }

    pub fn remove(&mut self, k: &Value) -> Option<Value> {
        self.settle(|h| match Query::of(k) {
            Some(q) => h.contains_key(&q),
            None => false,
        });
        match &mut self.0 {
            Repr::Shaped(s, _) => {
                s.find(k)?;
                self.unshape();
                self.remove(k)
            }
            Repr::Small(v) => Self::search(v, k).ok().map(|i| v.remove(i).1),
            Repr::Hash(h) => {
                let old = h.swap_remove(&Query::of(k)?);
                if old.is_some() {
                    h.changed_keys();
                }
                old
            }
            Repr::Tree(t) => t.remove(k),
        }
    }

    /// The entries in key order.
    #[inline]
    pub fn iter(&self) -> Iter<'_> {
        match &self.0 {
            Repr::Small(v) => Iter(IterRepr::Small(v.iter())),
            Repr::Shaped(s, v) => Iter(IterRepr::Shaped(s.keys().iter().zip(v.iter()))),
            Repr::Hash(h) => Iter(IterRepr::Hash(&h.entries, h.order().iter())),
            Repr::Tree(t) => Iter(IterRepr::Tree(t.iter())),
        }
    }

    /// Calls `f` on every value this map owns by itself (the small and the
    /// hash form; a tree shares its nodes with other maps): the collector
    /// counts them as references. Keys never hold a mutable object.
    pub(crate) fn for_each_owned_value(&self, f: &mut dyn FnMut(&Value)) {
        match &self.0 {
            Repr::Small(v) => v.iter().for_each(|(_, x)| f(x)),
            Repr::Shaped(_, v) => v.iter().for_each(f),
            Repr::Hash(h) => h.entries.iter().for_each(|(_, x)| f(x)),
            Repr::Tree(_) => {}
        }
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &Value> + ExactSizeIterator + '_ {
        self.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Value> + ExactSizeIterator + '_ {
        self.iter().map(|(_, v)| v)
    }
}

impl FromIterator<(Value, Value)> for ValueMap {
    fn from_iter<I: IntoIterator<Item = (Value, Value)>>(it: I) -> Self {
        let mut m = ValueMap::new();
        for (k, v) in it {
            m.insert(k, v);
        }
        m
    }
}

/// The entries of a `ValueMap` in key order.
pub struct Iter<'a>(IterRepr<'a>);

enum IterRepr<'a> {
    Small(std::slice::Iter<'a, (Value, Value)>),
    Shaped(std::iter::Zip<std::slice::Iter<'a, Value>, std::slice::Iter<'a, Value>>),
    Hash(&'a IndexTable<Value, Value>, std::slice::Iter<'a, u32>),
    Tree(imbl::ordmap::Iter<'a, Value, Value, imbl::shared_ptr::DefaultSharedPtr>),
}

fn at<'a>(entries: &'a IndexTable<Value, Value>, i: &u32) -> Option<(&'a Value, &'a Value)> {
    entries.get_index(*i as usize)
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a Value, &'a Value);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            IterRepr::Small(it) => it.next().map(|(k, v)| (k, v)),
            IterRepr::Shaped(it) => it.next(),
            IterRepr::Hash(entries, it) => at(entries, it.next()?),
            IterRepr::Tree(it) => it.next(),
        }
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.0 {
            IterRepr::Small(it) => it.size_hint(),
            IterRepr::Shaped(it) => it.size_hint(),
            IterRepr::Hash(_, it) => it.size_hint(),
            IterRepr::Tree(it) => it.size_hint(),
        }
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            IterRepr::Small(it) => it.next_back().map(|(k, v)| (k, v)),
            IterRepr::Shaped(it) => it.next_back(),
            IterRepr::Hash(entries, it) => at(entries, it.next_back()?),
            IterRepr::Tree(it) => it.next_back(),
        }
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(m: &ValueMap) -> Vec<i64> {
        m.keys().map(|k| if let Value::Int(i) = k { *i } else { -1 }).collect()
    }

    fn form(m: &ValueMap) -> &'static str {
        match &m.0 {
            Repr::Small(_) => "small",
            Repr::Shaped(..) => "shaped",
            Repr::Hash(_) => "hash",
            Repr::Tree(_) => "tree",
        }
    }

    #[test]
    fn stays_sorted_and_grows_into_a_hash_table() {
        let mut m = ValueMap::new();
        // Inserted out of order, past the small limit.
        for i in (0..(SMALL as i64 * 2)).rev() {
            let k = Value::Int(i * 3 % 50);
            let existed = m.contains_key(&k);
            assert_eq!(m.insert(k, Value::Int(i)).is_some(), existed);
        }
        let ks = keys(&m);
        let mut sorted = ks.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(ks, sorted);
        assert_eq!(form(&m), "hash");
        assert_eq!(m.len(), ks.len());
    }

    #[test]
    fn small_hash_and_tree_agree() {
        let mut small = ValueMap::new();
        let mut tree = ValueMap(Repr::Tree(Tree::new()));
        let mut hash = ValueMap::new();
        for i in 100..100 + SMALL as i64 {
            hash.insert(Value::Int(i), Value::None);
        }
        hash.insert(Value::str("s"), Value::None);
        assert_eq!(form(&hash), "hash");
        for i in [5, 1, 9, 1, 3, 7, 5] {
            let a = small.insert(Value::Int(i), Value::Int(i * 10));
            let b = tree.insert(Value::Int(i), Value::Int(i * 10));
            let c = hash.insert(Value::Int(i), Value::Int(i * 10));
            assert_eq!(a.is_some(), b.is_some());
            assert_eq!(a.is_some(), c.is_some());
        }
        assert_eq!(form(&small), "small");
        assert_eq!(keys(&small), keys(&tree));
        assert_eq!(keys(&small), vec![1, 3, 5, 7, 9]);
        assert_eq!(keys(&hash)[..5], [1, 3, 5, 7, 9]);
        assert_eq!(keys(&hash)[5], 100);
        assert_eq!(keys(&hash).last(), Some(&-1)); // "s": strings after ints
        for m in [&mut small, &mut hash] {
            assert!(m.remove(&Value::Int(3)).is_some());
            assert!(m.remove(&Value::Int(3)).is_none());
            assert_eq!(keys(m)[..4], [1, 5, 7, 9]);
            assert!(m.get(&Value::Int(9)).is_some() && m.get(&Value::Int(4)).is_none());
        }
        assert_eq!(small.iter().rev().map(|(k, _)| k.clone()).next().map(|k| matches!(k, Value::Int(9))), Some(true));
        assert!(matches!(hash.iter().next_back(), Some((Value::Str(_), _))));
    }

    #[test]
    fn floats_find_equal_int_keys_and_other_keys_make_a_tree() {
        let mut m = ValueMap::new();
        for i in 0..40 {
            m.insert(Value::Int(i), Value::Int(i));
        }
        assert_eq!(form(&m), "hash");
        assert!(matches!(m.get(&Value::float(7.0)), Some(Value::Int(7))));
        assert!(m.get(&Value::float(7.5)).is_none());
        assert!(m.get(&Value::float(f64::NAN)).is_none());
        assert!(m.get(&Value::float(9.3e18)).is_none());
        assert!(m.get(&Value::None).is_none());
        *m.get_mut(&Value::float(8.0)).unwrap() = Value::Int(-8);
        assert!(matches!(m.get(&Value::Int(8)), Some(Value::Int(-8))));
        // A float key (equal to the int 3) replaces the key, as imbl does: a tree.
        assert!(m.insert(Value::float(3.0), Value::None).is_some());
        assert_eq!(form(&m), "tree");
        assert_eq!(m.len(), 40);
        assert!(matches!(m.keys().nth(3), Some(Value::Float(_))));
        assert!(matches!(m.get(&Value::Int(8)), Some(Value::Int(-8))));
    }

    #[test]
    fn copies_of_a_hash_map_are_trees_and_edits_clear_the_caches() {
        let mut m = ValueMap::new();
        for i in (0..100).rev() {
            m.insert(Value::str(format!("k{i:03}")), Value::Int(i));
        }
        let first: Vec<Value> = m.keys().take(2).cloned().collect();
        assert_eq!(first.iter().map(|k| k.to_string()).collect::<Vec<_>>(), ["k000", "k001"]);
        let copy = m.clone();
        assert_eq!(form(&copy), "tree");
        assert!(copy.iter().map(|(k, _)| k).eq(m.keys()));
        // Changes after the order and the shadow were built.
        m.insert(Value::str("a"), Value::Int(-1));
        *m.get_mut(&Value::str("k050")).unwrap() = Value::Int(500);
        m.remove(&Value::str("k000"));
        assert_eq!(m.keys().next().map(|k| k.to_string()), Some("a".into()));
        assert_eq!(m.len(), 100);
        let copy2 = m.clone();
        assert!(matches!(copy2.get_str("k050"), Some(Value::Int(500))));
        assert!(copy2.get_str("k000").is_none());
        assert!(copy2.iter().map(|(k, _)| k).eq(m.keys()));
        assert!(matches!(copy.get_str("k050"), Some(Value::Int(50))));
    }

    /// Every edit of a hash-form map whose shadow (and order) were built
    /// leaves the next copy, and the next iteration, equal to the map.
    #[test]
    fn every_edit_after_a_copy_reaches_the_next_copy() {
        type Edit = fn(&mut ValueMap);
        let edits: [(&str, Edit); 5] = [
            ("get_mut", |m| *m.get_mut(&Value::Int(5)).expect("present") = Value::Int(-5)),
            ("insert existing", |m| {
                m.insert(Value::Int(6), Value::Int(-6));
            }),
            ("insert new", |m| {
                m.insert(Value::str("new"), Value::Int(0));
            }),
            ("remove", |m| {
                m.remove(&Value::Int(7));
            }),
            ("insert other kind", |m| {
                m.insert(Value::None, Value::Int(1));
            }),
        ];
        let dump = |m: &ValueMap| m.iter().map(|(k, v)| format!("{k:?}={v:?}")).collect::<Vec<_>>();
        for (name, edit) in edits {
            let mut m: ValueMap = (0..50).map(|i| (Value::Int(i), Value::Int(i))).collect();
            assert_eq!(form(&m), "hash");
            let _ = m.clone(); // builds the shadow
            let _ = m.iter().count(); // and the order
            edit(&mut m);
            let copy = m.clone();
            assert_eq!(dump(&copy), dump(&m), "{name}");
            assert!(m.keys().zip(m.keys().skip(1)).all(|(a, b)| a < b), "{name}: in key order");
        }
    }

    /// A copied hash-form map becomes its tree at its next edit; so does
    /// one whose key order was sorted when a key is added or removed. Each
    /// stays a tree, which copies and iterates without rebuilding anything.
    #[test]
    fn copied_or_iterated_maps_settle_into_a_tree() {
        let big = || (0..50).map(|i| (Value::Int(i), Value::Int(i))).collect::<ValueMap>();
        let mut m = big();
        let snap = m.clone();
        *m.get_mut(&Value::Int(1)).expect("present") = Value::Int(-1);
        assert_eq!((form(&m), form(&snap)), ("tree", "tree"));
        assert!(matches!(snap.get(&Value::Int(1)), Some(Value::Int(1))));
        let mut m = big();
        let _ = m.iter().next();
        m.insert(Value::Int(3), Value::Int(-3)); // an existing key: order kept
        assert_eq!(form(&m), "hash");
        m.insert(Value::Int(99), Value::Int(99)); // a new key after sorting
        assert_eq!(form(&m), "tree");
        assert_eq!(m.keys().last().map(|k| format!("{k:?}")), Some("99".into()));
        let mut m = big();
        m.insert(Value::Int(99), Value::Int(99)); // never sorted: stays a table
        m.remove(&Value::Int(0));
        assert_eq!(form(&m), "hash");
    }

    /// A shaped map reads, updates and iterates like the small map of the
    /// same entries, without copying its keys; a change of keys makes it
    /// small; its copies keep the shape and are independent.
    #[test]
    fn shaped_maps_share_their_keys_until_a_key_changes() {
        let keys = ["id", "name", "score"].map(Value::str);
        let shape = Shape::new(&keys).expect("sorted strings");
        assert!(Shape::new(&["b", "a"].map(Value::str)).is_none(), "out of order");
        assert!(Shape::new(&["a", "a"].map(Value::str)).is_none(), "two equal keys");
        assert!(Shape::new(&[Value::Int(1)]).is_none(), "not a string");
        assert!(Shape::new(&[]).is_none(), "no keys");
        let row = |id: i64| {
            ValueMap::shaped(shape.clone(), vec![Value::Int(id), Value::str("ann"), Value::float(1.5)].into_boxed_slice())
        };
        let mut m = row(7);
        assert_eq!(form(&m), "shaped");
        assert!(matches!(m.get_str("id"), Some(Value::Int(7))));
        assert!(matches!(m.get(&Value::str("name")), Some(Value::Str(s)) if s.s == "ann"));
        assert!(m.get(&Value::Int(0)).is_none() && m.get_str("nope").is_none());
        let small: ValueMap = m.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        assert!(m.iter().zip(small.iter()).all(|(a, b)| a.0 == b.0 && crate::value::values_equal(a.1, b.1)));
        assert_eq!(m.iter().rev().map(|(k, _)| k.to_string()).collect::<Vec<_>>(), ["score", "name", "id"]);
        // Values change in place: still shaped; the copy made before keeps its own.
        let copy = m.clone();
        *m.get_mut(&Value::str("id")).expect("present") = Value::Int(8);
        assert!(m.insert(Value::str("score"), Value::float(2.5)).is_some());
        assert!(m.remove(&Value::str("absent")).is_none());
        assert_eq!((form(&m), form(&copy)), ("shaped", "shaped"));
        assert!(matches!(copy.get_str("id"), Some(Value::Int(7))));
        assert!(matches!(m.get_str("id"), Some(Value::Int(8))));
        // A new key, or one removed: small, with the same entries otherwise.
        let mut added = m.clone();
        assert!(added.insert(Value::str("age"), Value::Int(40)).is_none());
        assert_eq!(form(&added), "small");
        assert_eq!(added.keys().map(|k| k.to_string()).collect::<Vec<_>>(), ["age", "id", "name", "score"]);
        let mut removed = m.clone();
        assert!(matches!(removed.remove(&Value::str("name")), Some(Value::Str(_))));
        assert_eq!(form(&removed), "small");
        assert_eq!(removed.len(), 2);
        assert!(matches!(removed.get_str("id"), Some(Value::Int(8))));
    }

    #[test]
    fn get_str_finds_string_keys_in_every_form() {
        let mut m: ValueMap = [(Value::str("b"), Value::Int(2)), (Value::str("a"), Value::Int(1))].into_iter().collect();
        assert!(matches!(m.get_str("a"), Some(Value::Int(1))));
        assert!(m.get_str("c").is_none());
        for i in 0..(SMALL as i64) {
            m.insert(Value::Int(i), Value::None);
        }
        assert_eq!(form(&m), "hash");
        assert!(matches!(m.get_str("b"), Some(Value::Int(2))));
        m.insert(Value::None, Value::None);
        assert_eq!(form(&m), "tree");
        assert!(matches!(m.get_str("b"), Some(Value::Int(2))));
    }

    /// Random inserts, updates and removals with int, string, float and
    /// other keys on maps of every form, and on copies of them, checked
    /// against a `BTreeMap` of `Value`s (whose order is the language's)
    /// after every step.
    #[test]
    // A `Value`'s interior mutability (its memoized hash) never changes its order.
    #[allow(clippy::mutable_key_type)]
    fn random_operations_agree_with_an_ordered_model() {
        use std::collections::BTreeMap;
        let mut next = super::super::test_rng(0x2545_f491_4f6c_dd1d);
        let key = |n: &mut dyn FnMut(usize) -> usize| match n(20) {
            0 => Value::float(n(60) as f64),
            1 => Value::float(n(60) as f64 + 0.5),
            2 => Value::None,
            3..=10 => Value::Int(n(60) as i64 - 10),
            _ => Value::str(format!("k{}", n(60))),
        };
        // An empty map, and a shaped one (keys the generator makes too).
        let shape = Shape::new(&["k1", "k2", "k30"].map(Value::str)).expect("sorted strings");
        let shaped = ValueMap::shaped(shape, vec![Value::Int(1), Value::Int(2), Value::Int(30)].into_boxed_slice());
        let model = [("k1", 1), ("k2", 2), ("k30", 30)].into_iter().map(|(k, v)| (Value::str(k), v)).collect();
        let mut maps: Vec<(ValueMap, BTreeMap<Value, i64>)> = vec![(ValueMap::new(), BTreeMap::new()), (shaped, model)];
        let mut seen: std::collections::BTreeSet<&str> = maps.iter().map(|(m, _)| form(m)).collect();
        for step in 0..6000i64 {
            let which = next(maps.len());
            let k = key(&mut next);
            let op = next(10);
            let (m, model) = &mut maps[which];
            match op {
                0..=4 => {
                    // Plain ints and strings mostly, so maps grow big in the hash form.
                    let k = if matches!(k, Value::Int(_) | Value::Str(_)) || next(8) == 0 { k } else { Value::Int(step % 97) };
                    let a = m.insert(k.clone(), Value::Int(step)).is_some();
                    // imbl's rule: an equal key is replaced by the new one.
                    let b = model.remove(&k).is_some();
                    model.insert(k, step);
                    assert_eq!(a, b);
                }
                5 => {
                    let a = m.remove(&k).is_some();
                    assert_eq!(a, model.remove(&k).is_some());
                }
                6 => {
                    if let Some(slot) = m.get_mut(&k) {
                        *slot = Value::Int(-step);
                        *model.get_mut(&k).expect("the model has it too") = -step;
                    } else {
                        assert!(!model.contains_key(&k));
                    }
                }
                7 => {
                    let copy = (m.clone(), model.clone());
                    maps.push(copy);
                }
                _ => {
                    let got = m.get(&k).map(|v| if let Value::Int(i) = v { *i } else { i64::MIN });
                    assert_eq!(got, model.get(&k).copied(), "step {step}: get {k}");
                }
            }
            let copy_of_touched = maps.get(which).map(|(m, model)| (m.clone(), model.clone()));
            for (m, model) in maps
                .iter()
                .filter(|_| step % 25 == 0)
                .chain(std::iter::once(&maps[which.min(maps.len() - 1)]))
                .chain(copy_of_touched.iter())
            {
                assert_eq!(m.len(), model.len());
                let got: Vec<(String, String)> = m.iter().map(|(k, v)| (format!("{k:?}"), format!("{v:?}"))).collect();
                let want: Vec<(String, String)> = model.iter().map(|(k, v)| (format!("{k:?}"), v.to_string())).collect();
                assert_eq!(got, want, "step {step}");
                if let Some((Value::Str(s), _)) = model.iter().next() {
                    assert!(m.get_str(&s.s).is_some());
                }
            }
            for (m, _) in &maps {
                seen.insert(form(m));
            }
            if maps.len() > 10 {
                maps.remove(next(maps.len()));
            }
        }
        assert!(["hash", "tree", "small", "shaped"].iter().all(|f| seen.contains(f)), "{seen:?}");
    }
}
