//! The table behind a hash-form map (`map.rs`): entries in a vector, in
//! insertion order, and their positions in a `hashbrown::HashTable<u32>`.
//!
//! This is the layout of `indexmap` (and of CPython's dict) with 32-bit
//! positions instead of `usize` ones: the part of the table a lookup probes
//! at random is 5 bytes a slot instead of 9. perf on `maps` (200,000 keys)
//! put ~60 % of a lookup's time on the one load of the position from the
//! table, a cache miss; at half the size the table stays in L2 longer.
//! Each entry keeps its key's hash, so a probe compares hashes before keys
//! and growing the table rehashes nothing.
//!
//! The table knows nothing of keys: callers pass the hash and an equality
//! test (`map.rs` hashes and compares the int or string a key is).

use hashbrown::hash_table::Entry as Slot;
use hashbrown::HashTable;

pub(crate) struct IndexTable<K, V> {
    slots: HashTable<u32>,
    entries: Vec<Entry<K, V>>,
}

struct Entry<K, V> {
    hash: u64,
    key: K,
    value: V,
}

impl<K, V> IndexTable<K, V> {
    pub(crate) fn with_capacity(n: usize) -> Self {
        IndexTable { slots: HashTable::with_capacity(n), entries: Vec::with_capacity(n) }
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// The position of the entry whose key has `hash` and passes `eq`.
    #[inline]
    pub(crate) fn find(&self, hash: u64, eq: impl Fn(&K) -> bool) -> Option<usize> {
        let entries = &self.entries;
        self.slots
            .find(hash, |&i| {
                let e = &entries[i as usize];
                e.hash == hash && eq(&e.key)
            })
            .map(|&i| i as usize)
    }

    #[inline]
    pub(crate) fn get(&self, hash: u64, eq: impl Fn(&K) -> bool) -> Option<&V> {
        self.find(hash, eq).map(|i| &self.entries[i].value)
    }

    #[inline]
    pub(crate) fn get_mut(&mut self, hash: u64, eq: impl Fn(&K) -> bool) -> Option<&mut V> {
        self.find(hash, eq).map(|i| &mut self.entries[i].value)
    }

    /// Sets the value of `key` (`eq(existing, &key)` finds it); the old
    /// value, or `None` when the key is new (it goes last). One probe
    /// either way.
    #[inline]
    pub(crate) fn insert(&mut self, hash: u64, key: K, value: V, eq: impl Fn(&K, &K) -> bool) -> Option<V> {
        let entries = &self.entries;
        let slot = self.slots.entry(
            hash,
            |&i| {
                let e = &entries[i as usize];
                e.hash == hash && eq(&e.key, &key)
            },
            |&i| entries[i as usize].hash,
        );
        match slot {
            Slot::Occupied(o) => {
                let i = *o.get() as usize;
                Some(std::mem::replace(&mut self.entries[i].value, value))
            }
            Slot::Vacant(v) => {
                // A map holds at most `max_collection_len` entries (2^28 by
                // default); 2^32 entries would be 160 GB of entries alone.
                let i = u32::try_from(self.entries.len()).expect("fewer than 2^32 map entries");
                v.insert(i);
                self.entries.push(Entry { hash, key, value });
                None
            }
        }
    }

    /// Removes the key's entry; the last entry takes its place.
    pub(crate) fn swap_remove(&mut self, hash: u64, eq: impl Fn(&K) -> bool) -> Option<(K, V)> {
        let entries = &self.entries;
        let found = self.slots.find_entry(hash, |&i| {
            let e = &entries[i as usize];
            e.hash == hash && eq(&e.key)
        });
        let (i, _) = found.ok()?.remove();
        let (i, last) = (i as usize, self.entries.len() - 1);
        if i != last {
            let moved = self.entries[last].hash;
            if let Some(slot) = self.slots.find_mut(moved, |&j| j as usize == last) {
                *slot = i as u32;
            }
        }
        let e = self.entries.swap_remove(i);
        Some((e.key, e.value))
    }

    /// The entry at a position (insertion order, as moved by removals).
    #[inline]
    pub(crate) fn get_index(&self, i: usize) -> Option<(&K, &V)> {
        self.entries.get(i).map(|e| (&e.key, &e.value))
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|e| (&e.key, &e.value))
    }

    pub(crate) fn into_entries(self) -> impl Iterator<Item = (K, V)> {
        self.entries.into_iter().map(|e| (e.key, e.value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hashes with many collisions (`k % 7`), so probes compare keys.
    fn h(k: u64) -> u64 {
        (k % 7).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    /// Random inserts, replacements and removals against a `BTreeMap`.
    #[test]
    fn matches_a_model() {
        let mut rng = crate::value::test_rng(7);
        let mut rng = move |n: u64| rng(n as usize) as u64;
        let mut t: IndexTable<u64, u64> = IndexTable::with_capacity(0);
        let mut model = std::collections::BTreeMap::new();
        for step in 0..20_000u64 {
            let k = rng(300);
            match rng(3) {
                0 | 1 => assert_eq!(t.insert(h(k), k, step, |a, b| a == b), model.insert(k, step), "insert {k}"),
                _ => assert_eq!(t.swap_remove(h(k), |&x| x == k).map(|(_, v)| v), model.remove(&k), "remove {k}"),
            }
            assert_eq!(t.len(), model.len());
            if step % 997 == 0 {
                for k in 0..300 {
                    assert_eq!(t.get(h(k), |&x| x == k), model.get(&k));
                }
                let mut all: Vec<(u64, u64)> = t.iter().map(|(k, v)| (*k, *v)).collect();
                all.sort();
                assert_eq!(all, model.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>());
                for i in 0..t.len() {
                    let (k, _) = t.get_index(i).expect("in range");
                    assert_eq!(t.find(h(*k), |x| x == k), Some(i), "position of {k}");
                }
            }
        }
        if let Some(v) = t.get_mut(h(5), |&x| x == 5) {
            *v = 99;
            assert_eq!(t.get(h(5), |&x| x == 5), Some(&99));
        }
        assert_eq!(t.into_entries().count(), model.len());
    }
}
