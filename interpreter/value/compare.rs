//! Equality and the total order used for map keys, `sort`, `min` and `max`.
//!
//! Values of different types order by type rank (none < bool < numbers < str <
//! list < map < struct < type < range < others); ints and floats compare
//! numerically, so `1 == 1.0`. Mutable objects (cells, `mut struct`
//! instances) are equal only to themselves and order by identity. `==` on floats follows IEEE (NaN != NaN); the
//! total order puts NaN after every other number so maps stay well formed.

use super::meter::{unfailing, Meter, Unmetered};
use super::{TypeValue, Value};
use std::cmp::Ordering;
use std::sync::Arc;

/// The position of a value's type in the cross-type order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TypeRank {
    None,
    Bool,
    Number,
    Str,
    List,
    Map,
    Struct,
    Type,
    Range,
    Func,
    Cell,
    MutObj,
    Object,
}

pub(crate) fn rank(v: &Value) -> TypeRank {
    match v {
        Value::None => TypeRank::None,
        Value::Bool(_) => TypeRank::Bool,
        Value::Int(_) | Value::Float(_) => TypeRank::Number,
        Value::Str(_) => TypeRank::Str,
        Value::List(_) => TypeRank::List,
        Value::Map(_) => TypeRank::Map,
        Value::Struct(_) => TypeRank::Struct,
        Value::Type(_) => TypeRank::Type,
        Value::Range(_) => TypeRank::Range,
        Value::Func(_) | Value::Native(_) => TypeRank::Func,
        Value::Cell(_) => TypeRank::Cell,
        Value::Obj(_) => TypeRank::MutObj,
        Value::Object(_) => TypeRank::Object,
    }
}

/// `a == b` in the language: deep structural equality (unmetered: for
/// values a script cannot make big; scripts' `==` runs [`equal_in`]).
#[inline]
pub fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        // The commonest case, without the call (`x % 2 == 0`).
        (Value::Int(x), Value::Int(y)) => x == y,
        _ => unfailing(equal_in(a, b, &mut Unmetered)),
    }
}

/// `a == b`, ticking `m` once per element visited (see `meter.rs`).
/// Shared (pointer-equal) parts are equal without a visit.
pub fn equal_in<M: Meter>(a: &Value, b: &Value, m: &mut M) -> Result<bool, M::Error> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Ok(x == y),
        (Value::Bool(x), Value::Bool(y)) => Ok(x == y),
        (Value::None, Value::None) => Ok(true),
        (Value::Float(x), Value::Float(y)) => Ok(x.get() == y.get()),
        (Value::Int(x), Value::Float(y)) | (Value::Float(y), Value::Int(x)) => {
            Ok(int_float_cmp(*x, y.get()) == Some(Ordering::Equal))
        }
        (Value::Str(x), Value::Str(y)) => {
            if x.s.len() != y.s.len() {
                return Ok(false);
            }
            m.bytes(x.s.len())?;
            Ok(x.s == y.s)
        }
        (Value::List(x), Value::List(y)) => {
            if crate::value::UArc::ptr_eq(x, y) {
                return Ok(true);
            }
            if x.items.len() != y.items.len() {
                return Ok(false);
            }
            m.descend()?;
            for (p, q) in x.iter().zip(y.iter()) {
                m.tick()?;
                if !equal_in(p, q, m)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        (Value::Map(x), Value::Map(y)) => {
            if crate::value::UArc::ptr_eq(x, y) {
                return Ok(true);
            }
            if x.map.len() != y.map.len() {
                return Ok(false);
            }
            m.descend()?;
            for ((k1, v1), (k2, v2)) in x.map.iter().zip(y.map.iter()) {
                m.tick()?;
                if !equal_in(k1, k2, m)? || !equal_in(v1, v2, m)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        (Value::Struct(x), Value::Struct(y)) => {
            if crate::value::UArc::ptr_eq(x, y) {
                return Ok(true);
            }
            if x.ty != y.ty {
                return Ok(false);
            }
            m.descend()?;
            for (p, q) in x.fields.iter().zip(y.fields.iter()) {
                m.tick()?;
                if !equal_in(p, q, m)? {
                    return Ok(false);
                }
            }
            Ok(true)
        }
        // Mutable objects are equal only to themselves (their identity):
        // what they hold can change, and may hold them again.
        (Value::Cell(x), Value::Cell(y)) => Ok(Arc::ptr_eq(x, y)),
        (Value::Obj(x), Value::Obj(y)) => Ok(Arc::ptr_eq(x, y)),
        (Value::Type(x), Value::Type(y)) => Ok(Arc::ptr_eq(x, y) || x == y),
        _ => Ok(cmp_in(a, b, m)? == Ordering::Equal),
    }
}

fn int_float_cmp(i: i64, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    // Exact for |i| < 2^53; beyond that compare through i128 when f is integral.
    let fi = i as f64;
    match fi.partial_cmp(&f) {
        Some(Ordering::Equal) if f.fract() == 0.0 && f.abs() < 1e19 => Some((i as i128).cmp(&(f as i128))),
        o => o,
    }
}

fn float_total(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

fn type_cmp(a: &TypeValue, b: &TypeValue) -> Ordering {
    a.name().cmp(b.name()).then_with(|| match (a, b) {
        (TypeValue::Struct(x), TypeValue::Struct(y)) => x.fields.cmp(&y.fields).then(x.mutable.cmp(&y.mutable)),
        _ => Ordering::Equal,
    })
}

/// Byte-wise (= code point) order of two strings; short keys are compared
/// without a call to `memcmp`.
#[inline(always)]
fn cmp_bytes(a: &[u8], b: &[u8]) -> Ordering {
    let n = a.len().min(b.len());
    if n < 16 {
        for k in 0..n {
            if a[k] != b[k] {
                return a[k].cmp(&b[k]);
            }
        }
        return a.len().cmp(&b.len());
    }
    a.cmp(b)
}

impl Ord for Value {
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        // Fast paths for the usual map keys, inlined into map searches.
        match (self, other) {
            (Value::Str(a), Value::Str(b)) => cmp_bytes(a.s.as_bytes(), b.s.as_bytes()),
            (Value::Int(a), Value::Int(b)) => a.cmp(b),
            _ => cmp_general(self, other),
        }
    }
}

#[inline(never)]
fn cmp_general(this: &Value, other: &Value) -> Ordering {
    unfailing(cmp_in(this, other, &mut Unmetered))
}

/// Lexicographic order of two sequences, each pair compared by `cmp_in`.
fn cmp_seq<'a, M: Meter>(
    mut a: impl Iterator<Item = &'a Value>,
    mut b: impl Iterator<Item = &'a Value>,
    m: &mut M,
) -> Result<Ordering, M::Error> {
    loop {
        match (a.next(), b.next()) {
            (None, None) => return Ok(Ordering::Equal),
            (None, Some(_)) => return Ok(Ordering::Less),
            (Some(_), None) => return Ok(Ordering::Greater),
            (Some(x), Some(y)) => {
                m.tick()?;
                match cmp_in(x, y, m)? {
                    Ordering::Equal => {}
                    o => return Ok(o),
                }
            }
        }
    }
}

/// The total order (`Ord for Value`), ticking `m` once per element visited.
pub fn cmp_in<M: Meter>(this: &Value, other: &Value, m: &mut M) -> Result<Ordering, M::Error> {
    let (ra, rb) = (rank(this), rank(other));
    if ra != rb {
        return Ok(ra.cmp(&rb));
    }
    Ok(match (this, other) {
        (Value::None, Value::None) => Ordering::Equal,
        (Value::Bool(a), Value::Bool(b)) => a.get().cmp(&b.get()),
        (Value::Int(a), Value::Int(b)) => a.cmp(b),
        (Value::Float(a), Value::Float(b)) => float_total(a.get(), b.get()),
        (Value::Int(a), Value::Float(b)) => int_float_cmp(*a, b.get()).unwrap_or(Ordering::Less),
        (Value::Float(a), Value::Int(b)) => int_float_cmp(*b, a.get()).map(Ordering::reverse).unwrap_or(Ordering::Greater),
        (Value::Str(a), Value::Str(b)) => {
            m.bytes(a.s.len().min(b.s.len()))?;
            cmp_bytes(a.s.as_bytes(), b.s.as_bytes())
        }
        (Value::List(a), Value::List(b)) => {
            if crate::value::UArc::ptr_eq(a, b) {
                return Ok(Ordering::Equal);
            }
            m.descend()?;
            return cmp_seq(a.iter(), b.iter(), m);
        }
        (Value::Map(a), Value::Map(b)) => {
            if crate::value::UArc::ptr_eq(a, b) {
                return Ok(Ordering::Equal);
            }
            m.descend()?;
            // Entry by entry: the key, then the value (tuple order).
            return cmp_seq(a.map.iter().flat_map(|(k, v)| [k, v]), b.map.iter().flat_map(|(k, v)| [k, v]), m);
        }
        (Value::Struct(a), Value::Struct(b)) => {
            let o = a.ty.name.cmp(&b.ty.name).then_with(|| a.ty.fields.cmp(&b.ty.fields));
            if o != Ordering::Equal || crate::value::UArc::ptr_eq(a, b) {
                return Ok(o);
            }
            m.descend()?;
            return cmp_seq(a.fields.iter(), b.fields.iter(), m);
        }
        (Value::Type(a), Value::Type(b)) => type_cmp(a, b),
        (Value::Range(a), Value::Range(b)) => (a.start, a.end, a.inclusive).cmp(&(b.start, b.end, b.inclusive)),
        (Value::Func(a), Value::Func(b)) => (Arc::as_ptr(a) as usize).cmp(&(Arc::as_ptr(b) as usize)),
        (Value::Native(a), Value::Native(b)) => a.name.cmp(&b.name),
        (Value::Func(_), Value::Native(_)) => Ordering::Less,
        (Value::Native(_), Value::Func(_)) => Ordering::Greater,
        (Value::Cell(a), Value::Cell(b)) => (Arc::as_ptr(a) as usize).cmp(&(Arc::as_ptr(b) as usize)),
        (Value::Obj(a), Value::Obj(b)) => {
            a.ty.name.cmp(&b.ty.name).then_with(|| (Arc::as_ptr(a) as usize).cmp(&(Arc::as_ptr(b) as usize)))
        }
        (Value::Object(a), Value::Object(b)) => {
            (Arc::as_ptr(a) as *const u8 as usize).cmp(&(Arc::as_ptr(b) as *const u8 as usize))
        }
        _ => Ordering::Equal,
    })
}

impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Value {}
