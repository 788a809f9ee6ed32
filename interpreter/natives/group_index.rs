//! `GroupIndex`: finds the group of a key for `group_by`, `count_by`,
//! `sum_by` and `unique`, in insertion order. Keys made of none, bools,
//! numbers, strings and lists of them (the usual keys: a field, a list of
//! fields) go through a hash table keyed by a cheap hash that agrees with
//! `==` (an integral float hashes as its int, so `1` and `1.0` meet);
//! anything else (NaN, maps, structs) falls back to a `ValueMap`, memo's
//! own total order. A map with list keys is a B-tree, whose lookups
//! compare lists element by element: that was most of `sum_by`'s time.

use crate::error::Result;
use crate::interp::ops::check_key;
use crate::value::{check_child, values_equal, Value, ValueMap};
use std::hash::{BuildHasher, Hasher};

#[derive(Default)]
pub struct GroupIndex {
    hasher: hashbrown::DefaultHashBuilder,
    /// (hash, group) of the keys with a cheap hash.
    table: hashbrown::HashTable<(u64, usize)>,
    /// The key of each group, in order of first appearance.
    pub keys: Vec<Value>,
    /// Keys without a cheap hash: key -> group.
    other: ValueMap,
}

/// Feeds a key to the hasher; false when it has no cheap hash.
fn feed(v: &Value, h: &mut impl Hasher, depth: u32) -> bool {
    match v {
        Value::None => h.write_u8(0),
        Value::Bool(b) => {
            h.write_u8(1);
            h.write_u8(b.get() as u8);
        }
        Value::Int(i) => {
            h.write_u8(2);
            h.write_i64(*i);
        }
        Value::Float(f) => {
            let x = f.get();
            if x.is_nan() {
                return false;
            }
            // Exactly an int (-2^63 <= x < 2^63): hash as that int.
            if x.trunc() == x && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&x) {
                h.write_u8(2);
                h.write_i64(x as i64);
            } else {
                h.write_u8(3);
                h.write_u64(x.to_bits());
            }
        }
        Value::Str(s) => {
            h.write_u8(4);
            h.write(s.s.as_bytes());
            h.write_u8(0xff);
        }
        Value::List(l) if depth < 4 => {
            h.write_u8(5);
            h.write_usize(l.items.len());
            for x in l.iter() {
                if !feed(x, h, depth + 1) {
                    return false;
                }
            }
        }
        _ => return false,
    }
    true
}

impl GroupIndex {
    /// The group of `k`, and whether it is new (then it is the next group).
    pub fn group(&mut self, k: Value) -> Result<(usize, bool)> {
        let mut h = self.hasher.build_hasher();
        if feed(&k, &mut h, 0) {
            let hash = h.finish();
            let keys = &self.keys;
            if let Some((_, g)) = self.table.find(hash, |(hh, g)| *hh == hash && values_equal(&keys[*g], &k)) {
                return Ok((*g, false));
            }
            check_child(&k)?;
            let g = self.keys.len();
            self.table.insert_unique(hash, (hash, g), |(hh, _)| *hh);
            self.keys.push(k);
            return Ok((g, true));
        }
        if let Some(Value::Int(g)) = self.other.get(&k) {
            return Ok((*g as usize, false));
        }
        check_key(&k)?;
        check_child(&k)?;
        let g = self.keys.len();
        self.other.insert(k.clone(), Value::Int(g as i64));
        self.keys.push(k);
        Ok((g, true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_keys_meet() {
        let mut ix = GroupIndex::default();
        let pairs = [
            (Value::Int(1), Value::float(1.0)),
            (Value::float(-0.0), Value::Int(0)),
            (Value::list_from(vec![Value::str("a"), Value::Int(2)]), Value::list_from(vec![Value::str("a"), Value::float(2.0)])),
            (Value::float(f64::NAN), Value::float(f64::NAN)),
            (Value::float(2.5), Value::float(2.5)),
            (Value::float(-9.223_372_036_854_776e18), Value::Int(i64::MIN)),
        ];
        for (a, b) in pairs {
            let (ga, new_a) = ix.group(a.clone()).unwrap();
            let (gb, new_b) = ix.group(b.clone()).unwrap();
            assert!(new_a && !new_b && ga == gb, "{} and {}", crate::value::repr(&a), crate::value::repr(&b));
        }
        // Different keys stay apart: a str is not a list of its characters.
        let (g1, _) = ix.group(Value::str("ab")).unwrap();
        let (g2, _) = ix.group(Value::list_from(vec![Value::str("a"), Value::str("b")])).unwrap();
        let (g3, _) = ix.group(Value::float(9.223_372_036_854_776e18)).unwrap();
        assert!(g1 != g2 && g3 != g1);
        assert!(ix.group(Value::cell(Value::Int(1))).is_err());
    }
}
