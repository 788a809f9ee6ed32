//! The entries of a map, in key order (`Value`'s total order, see
//! `compare.rs`).
//!
//! A map of up to `SMALL` entries is a sorted vector: one allocation,
//! searched in place, cheap to copy. A record such as
//! `{"id": 1, "region": "north", "qty": 3}` is the common map in data
//! scripts, and imbl's B-tree gives every map, however small, a 16-entry
//! node (~550 bytes) plus its bookkeeping. A map that grows past `SMALL`
//! becomes imbl's persistent B-tree, whose copies share structure, and stays
//! one. Which form a map has is invisible: iteration, equality, order,
//! hashing and the cache codec all see the same sorted entries.

use super::Value;

/// The most entries a map keeps as a sorted vector.
pub const SMALL: usize = 16;

type Tree = imbl::OrdMap<Value, Value>;

#[derive(Clone)]
pub enum ValueMap {
    Small(Vec<(Value, Value)>),
    Tree(Tree),
}

impl Default for ValueMap {
    fn default() -> Self {
        ValueMap::Small(Vec::new())
    }
}

impl ValueMap {
    pub fn new() -> ValueMap {
        ValueMap::default()
    }

    /// An empty map with room for `n` entries without reallocating (a map
    /// literal knows its size).
    pub fn with_capacity(n: usize) -> ValueMap {
        ValueMap::Small(Vec::with_capacity(n.min(SMALL)))
    }

    #[inline]
    pub fn len(&self) -> usize {
        match self {
            ValueMap::Small(v) => v.len(),
            ValueMap::Tree(t) => t.len(),
        }
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    fn search(v: &[(Value, Value)], k: &Value) -> Result<usize, usize> {
        v.binary_search_by(|(x, _)| x.cmp(k))
    }

    #[inline]
    pub fn get(&self, k: &Value) -> Option<&Value> {
        match self {
            ValueMap::Small(v) => Self::search(v, k).ok().map(|i| &v[i].1),
            ValueMap::Tree(t) => t.get(k),
        }
    }

    /// The value of the string key `name`, without building a key value
    /// for a small map (`record.field`).
    #[inline]
    pub fn get_str(&self, name: &str) -> Option<&Value> {
        match self {
            ValueMap::Small(v) => v.iter().find(|(k, _)| matches!(k, Value::Str(s) if s.s == name)).map(|(_, x)| x),
            ValueMap::Tree(t) => t.get(&Value::str(name)),
        }
    }

    #[inline]
    pub fn get_mut(&mut self, k: &Value) -> Option<&mut Value> {
        match self {
            ValueMap::Small(v) => match Self::search(v, k) {
                Ok(i) => Some(&mut v[i].1),
                Err(_) => None,
            },
            ValueMap::Tree(t) => t.get_mut(k),
        }
    }

    #[inline]
    pub fn contains_key(&self, k: &Value) -> bool {
        self.get(k).is_some()
    }

    /// Inserts `k: v`; an existing equal key is replaced by `k` (as imbl
    /// does) and its old value returned.
    pub fn insert(&mut self, k: Value, val: Value) -> Option<Value> {
        match self {
            ValueMap::Small(v) => match Self::search(v, &k) {
                Ok(i) => Some(std::mem::replace(&mut v[i], (k, val)).1),
                Err(i) if v.len() < SMALL => {
                    v.insert(i, (k, val));
                    None
                }
                Err(_) => {
                    let mut t: Tree = std::mem::take(v).into_iter().collect();
                    t.insert(k, val);
                    *self = ValueMap::Tree(t);
                    None
                }
            },
            ValueMap::Tree(t) => t.insert(k, val),
        }
    }

    pub fn remove(&mut self, k: &Value) -> Option<Value> {
        match self {
            ValueMap::Small(v) => Self::search(v, k).ok().map(|i| v.remove(i).1),
            ValueMap::Tree(t) => t.remove(k),
        }
    }

    /// The entries in key order.
    #[inline]
    pub fn iter(&self) -> Iter<'_> {
        match self {
            ValueMap::Small(v) => Iter::Small(v.iter()),
            ValueMap::Tree(t) => Iter::Tree(t.iter()),
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
pub enum Iter<'a> {
    Small(std::slice::Iter<'a, (Value, Value)>),
    Tree(imbl::ordmap::Iter<'a, Value, Value, imbl::shared_ptr::DefaultSharedPtr>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a Value, &'a Value);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Small(it) => it.next().map(|(k, v)| (k, v)),
            Iter::Tree(it) => it.next(),
        }
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Iter::Small(it) => it.size_hint(),
            Iter::Tree(it) => it.size_hint(),
        }
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Small(it) => it.next_back().map(|(k, v)| (k, v)),
            Iter::Tree(it) => it.next_back(),
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

    #[test]
    fn stays_sorted_and_grows_into_a_tree() {
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
        assert!(matches!(m, ValueMap::Tree(_)));
        assert_eq!(m.len(), ks.len());
    }

    #[test]
    fn small_and_tree_agree() {
        let mut small = ValueMap::new();
        let mut tree = ValueMap::Tree(Tree::new());
        for i in [5, 1, 9, 1, 3, 7, 5] {
            let a = small.insert(Value::Int(i), Value::Int(i * 10));
            let b = tree.insert(Value::Int(i), Value::Int(i * 10));
            assert_eq!(a.is_some(), b.is_some());
        }
        assert!(matches!(small, ValueMap::Small(_)));
        assert_eq!(keys(&small), keys(&tree));
        assert_eq!(keys(&small), vec![1, 3, 5, 7, 9]);
        assert!(small.remove(&Value::Int(3)).is_some());
        assert!(small.remove(&Value::Int(3)).is_none());
        assert_eq!(keys(&small), vec![1, 5, 7, 9]);
        assert!(small.get(&Value::Int(9)).is_some() && small.get(&Value::Int(4)).is_none());
        assert_eq!(small.iter().rev().map(|(k, _)| k.clone()).next().map(|k| matches!(k, Value::Int(9))), Some(true));
    }

    #[test]
    fn get_str_finds_string_keys_in_both_forms() {
        let mut m: ValueMap = [(Value::str("b"), Value::Int(2)), (Value::str("a"), Value::Int(1))].into_iter().collect();
        assert!(matches!(m.get_str("a"), Some(Value::Int(1))));
        assert!(m.get_str("c").is_none());
        for i in 0..(SMALL as i64) {
            m.insert(Value::Int(i), Value::None);
        }
        assert!(matches!(m, ValueMap::Tree(_)));
        assert!(matches!(m.get_str("b"), Some(Value::Int(2))));
    }
}
