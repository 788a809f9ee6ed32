//! The binary encoding of cached values (docs/cache-format.md, "Values").
//!
//! Compact where big values are repetitive: a table (`read_csv`) is a list
//! of maps with the same keys, so
//!
//! - short strings that occur more than once (map keys, struct names and
//!   field names, repeated values such as a category column) are written
//!   once per value and then referred to by number, and the decoder hands
//!   out clones of one string (as `read_csv` shares its header keys between
//!   rows); a counting pass over the value finds them, so a string that
//!   occurs once costs the decoder nothing to remember;
//! - a small map whose keys are all strings names its *shape* (its key
//!   list), written once, then only its values follow;
//! - ints in `-64..=175` are one byte, other ints a zigzag varint, lengths
//!   varints.
//!
//! Decoding never trusts its input: it allocates only as it reads (no
//! capacity is taken from a length in the input), every length is checked
//! against what remains, nesting is bounded, maps must come in strictly
//! increasing key order, and values the language cannot make (a struct
//! type with an empty name, a builtin type's name, a name that is not an
//! identifier, two fields of one name) are refused. Any problem is an `Err`.

use super::codec::{DecodeResult, Reader};
use crate::value::map::Shape;
use crate::value::{BuiltinType, ListObj, MapObj, StrObj, StructType, TypeValue, Value, ValueMap};
use hashbrown::HashMap;
use std::sync::Arc;

const NONE: u8 = 0;
const FALSE: u8 = 1;
const TRUE: u8 = 2;
const INT: u8 = 3;
const FLOAT: u8 = 4;
/// A string that is not remembered (long, or occurring once).
const STR: u8 = 5;
const LIST: u8 = 6;
const MAP: u8 = 7;
const RANGE: u8 = 8;
/// A struct: its type (a type reference), then its fields.
const STRUCT: u8 = 9;
const TYPE_BUILTIN: u8 = 10;
const TYPE_STRUCT: u8 = 11;
/// A short string, remembered under the next string number.
const STR_NEW: u8 = 12;
/// A string remembered before: its number.
const STR_REF: u8 = 13;
/// A small map with string keys whose shape is new: n, n keys, n values.
const SHAPE_NEW: u8 = 14;
/// A small map of a shape seen before: its number, then its values.
const SHAPE_REF: u8 = 15;
/// Tags from here on are ints: `tag - SMALL_INT_TAG + SMALL_INT_MIN`.
const SMALL_INT_TAG: u8 = 16;
const SMALL_INT_MIN: i64 = -64;
const SMALL_INT_MAX: i64 = SMALL_INT_MIN + (255 - SMALL_INT_TAG as i64);

/// Strings up to this many bytes that occur twice or more are remembered
/// (and shared on decode).
const SHORT: usize = 64;
/// The most keys a map written by shape has (a map that big or smaller is
/// one sorted vector in memory: `value::map::SMALL`).
const SHAPE_MAX: usize = crate::value::map::SMALL;
/// The deepest nesting written or read.
pub const MAX_DEPTH: usize = 2_000;

/// Can this value be written to a tier? (fns, cells and native objects,
/// and values nested deeper than `MAX_DEPTH`, cannot.)
pub fn persistable(v: &Value) -> bool {
    fn go(v: &Value, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        match v {
            Value::None | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Str(_) | Value::Range(_) => true,
            Value::List(l) => !l.may_mutate && l.iter().all(|x| go(x, depth + 1)),
            Value::Map(m) => !m.may_mutate && m.map.iter().all(|(k, x)| go(k, depth + 1) && go(x, depth + 1)),
            Value::Struct(s) => !s.may_mutate && s.fields.iter().all(|x| go(x, depth + 1)),
            Value::Type(t) => match &**t {
                TypeValue::Native(_) => false,
                // (The encoding of a struct type has no room for `mut`.)
                TypeValue::Struct(st) => !st.mutable,
                TypeValue::Builtin(_) => true,
            },
            Value::Func(_) | Value::Native(_) | Value::Cell(_) | Value::Object(_) | Value::Obj(_) => false,
        }
    }
    go(v, 0)
}

/// Elements `persistable_in` visits at most: a value with more (counting
/// shared parts as often as they appear) is not written to a tier.
pub const MAX_PERSIST_ELEMENTS: u64 = 1 << 26;

/// `persistable`, ticking `m` once per element visited, and `false` for a
/// value with more than `MAX_PERSIST_ELEMENTS` elements: a value that
/// shares its parts can have far more elements than memory (`x = [x, x]`
/// forty times), and the walk (and the encoding after it) must end inside
/// the run's budget.
pub fn persistable_in<M: crate::value::meter::Meter>(v: &Value, m: &mut M) -> Result<bool, M::Error> {
    fn go<M: crate::value::meter::Meter>(v: &Value, depth: usize, left: &mut u64, m: &mut M) -> Result<bool, M::Error> {
        if depth > MAX_DEPTH || *left == 0 {
            return Ok(false);
        }
        *left -= 1;
        m.tick()?;
        Ok(match v {
            Value::List(l) => {
                if l.may_mutate {
                    return Ok(false);
                }
                for x in l.iter() {
                    if !go(x, depth + 1, left, m)? {
                        return Ok(false);
                    }
                }
                true
            }
            Value::Map(mo) => {
                if mo.may_mutate {
                    return Ok(false);
                }
                for (k, x) in mo.map.iter() {
                    if !go(k, depth + 1, left, m)? || !go(x, depth + 1, left, m)? {
                        return Ok(false);
                    }
                }
                true
            }
            Value::Struct(s) => {
                if s.may_mutate {
                    return Ok(false);
                }
                for x in s.fields.iter() {
                    if !go(x, depth + 1, left, m)? {
                        return Ok(false);
                    }
                }
                true
            }
            other => persistable(other),
        })
    }
    let mut left = MAX_PERSIST_ELEMENTS;
    go(v, 0, &mut left, m)
}

// ----- writing -----

pub fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn zigzag(i: i64) -> u64 {
    ((i << 1) ^ (i >> 63)) as u64
}

fn unzigzag(n: u64) -> i64 {
    ((n >> 1) as i64) ^ -((n & 1) as i64)
}

/// A cheap hash of a map's string keys, to find its shape.
fn shape_hash(keys: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for k in keys {
        for &b in k.as_bytes() {
            h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
        h = (h ^ 0xff).wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// Writes one value (and everything in it), remembering strings, shapes
/// and struct types across the whole value.
struct Encoder<'v> {
    out: Vec<u8>,
    /// Short strings: how often they occur (counting pass), then their
    /// number once written (`u32::MAX`: not written yet; occurring once: left out).
    counts: HashMap<&'v str, u32>,
    strings: HashMap<&'v str, u32>,
    /// Shapes by `shape_hash`: (number, keys).
    shapes: HashMap<u64, Vec<(u32, Vec<&'v str>)>>,
    shape_count: u32,
    /// Shared shapes (`ValueMap::shape`) by address: their number once
    /// written; in the counting pass, their keys and how many maps have them.
    shape_ids: HashMap<usize, u32>,
    shape_uses: HashMap<usize, (&'v [Value], u32)>,
    types: HashMap<(&'v str, &'v [String]), u32>,
}

impl<'v> Encoder<'v> {
    /// Counts the short strings of a value (in every place `value` writes one).
    fn count(&mut self, v: &'v Value) {
        let mut note = |s: &'v str| {
            if s.len() <= SHORT {
                *self.counts.entry(s).or_insert(0) += 1;
            }
        };
        match v {
            Value::Str(s) => note(&s.s),
            Value::List(l) => {
                for x in l.iter() {
                    self.count(x);
                }
            }
            Value::Map(m) => {
                // A shared shape's keys are counted per map, as any map's
                // (the counts decide the bytes, which must not depend on
                // which maps share a shape), but added up at the end.
                if let Some(sh) = m.map.shape() {
                    self.shape_uses.entry(sh.addr()).or_insert((sh.keys(), 0)).1 += 1;
                    for x in m.map.values() {
                        self.count(x);
                    }
                } else {
                    for (k, x) in m.map.iter() {
                        self.count(k);
                        self.count(x);
                    }
                }
            }
            Value::Struct(s) => {
                self.count_type(&s.ty);
                for x in s.fields.iter() {
                    self.count(x);
                }
            }
            Value::Type(t) => match &**t {
                TypeValue::Builtin(b) => note(b.name()),
                TypeValue::Struct(st) => self.count_type(st),
                TypeValue::Native(_) => {}
            },
            _ => {}
        }
    }

    /// Adds the keys of the shared shapes counted, once per map.
    fn count_shape_keys(&mut self) {
        for (keys, uses) in std::mem::take(&mut self.shape_uses).into_values() {
            for k in keys {
                if let Value::Str(s) = k {
                    if s.s.len() <= SHORT {
                        *self.counts.entry(&s.s).or_insert(0) += uses;
                    }
                }
            }
        }
    }

    fn count_type(&mut self, st: &'v StructType) {
        for s in std::iter::once(&st.name).chain(&st.fields) {
            if s.len() <= SHORT {
                *self.counts.entry(s).or_insert(0) += 1;
            }
        }
    }

    fn string(&mut self, s: &'v str) {
        if s.len() > SHORT || self.counts.get(s).is_some_and(|&n| n < 2) {
            self.out.push(STR);
            put_varint(&mut self.out, s.len() as u64);
            self.out.extend_from_slice(s.as_bytes());
            return;
        }
        match self.strings.get(s) {
            Some(&n) => {
                self.out.push(STR_REF);
                put_varint(&mut self.out, n as u64);
            }
            None => {
                let n = self.strings.len() as u32;
                self.strings.insert(s, n);
                self.out.push(STR_NEW);
                put_varint(&mut self.out, s.len() as u64);
                self.out.extend_from_slice(s.as_bytes());
            }
        }
    }

    fn int(&mut self, i: i64) {
        if (SMALL_INT_MIN..=SMALL_INT_MAX).contains(&i) {
            self.out.push((i - SMALL_INT_MIN) as u8 + SMALL_INT_TAG);
        } else {
            self.out.push(INT);
            put_varint(&mut self.out, zigzag(i));
        }
    }

    fn struct_type(&mut self, st: &'v StructType) {
        let id = (st.name.as_str(), st.fields.as_slice());
        if let Some(&n) = self.types.get(&id) {
            put_varint(&mut self.out, n as u64 + 1);
            return;
        }
        let n = self.types.len() as u32;
        self.types.insert(id, n);
        put_varint(&mut self.out, 0);
        self.string(&st.name);
        put_varint(&mut self.out, st.fields.len() as u64);
        for f in &st.fields {
            self.string(f);
        }
    }

    /// A map by shape, when it has 1..=SHAPE_MAX keys, all strings.
    fn shaped_map(&mut self, m: &'v ValueMap) -> bool {
        // A shared shape written before is known by its address, without
        // collecting and hashing its keys.
        let known = m.shape().and_then(|sh| self.shape_ids.get(&sh.addr()).copied());
        match known {
            Some(id) => {
                self.out.push(SHAPE_REF);
                put_varint(&mut self.out, id as u64);
            }
            None => {
                let Some(id) = self.shape_of_keys(m) else { return false };
                if let Some(sh) = m.shape() {
                    self.shape_ids.insert(sh.addr(), id);
                }
            }
        }
        for v in m.values() {
            self.value(v);
        }
        true
    }

    /// Writes the shape of `m`'s keys (a reference to an equal one written
    /// before, or its definition) and returns its number; `None`, writing
    /// nothing, unless they are 1..=SHAPE_MAX strings.
    fn shape_of_keys(&mut self, m: &'v ValueMap) -> Option<u32> {
        let n = m.len();
        if n == 0 || n > SHAPE_MAX {
            return None;
        }
        let mut keys: [&str; SHAPE_MAX] = [""; SHAPE_MAX];
        for (slot, (k, _)) in keys.iter_mut().zip(m.iter()) {
            match k {
                Value::Str(s) => *slot = s.s.as_str(),
                _ => return None,
            }
        }
        let keys = &keys[..n];
        let h = shape_hash(keys);
        let found = self.shapes.get(&h).and_then(|v| v.iter().find(|(_, ks)| ks.as_slice() == keys)).map(|(n, _)| *n);
        if let Some(id) = found {
            self.out.push(SHAPE_REF);
            put_varint(&mut self.out, id as u64);
            return Some(id);
        }
        let id = self.shape_count;
        self.shape_count += 1;
        self.shapes.entry(h).or_default().push((id, keys.to_vec()));
        self.out.push(SHAPE_NEW);
        put_varint(&mut self.out, n as u64);
        for k in keys {
            self.string(k);
        }
        Some(id)
    }

    fn value(&mut self, v: &'v Value) {
        match v {
            Value::None => self.out.push(NONE),
            Value::Bool(b) => self.out.push(if b.get() { TRUE } else { FALSE }),
            Value::Int(i) => self.int(*i),
            Value::Float(f) => {
                self.out.push(FLOAT);
                self.out.extend_from_slice(&f.get().to_bits().to_le_bytes());
            }
            Value::Str(s) => self.string(&s.s),
            Value::List(l) => {
                self.out.push(LIST);
                put_varint(&mut self.out, l.items.len() as u64);
                for x in l.iter() {
                    self.value(x);
                }
            }
            Value::Map(m) => {
                if self.shaped_map(&m.map) {
                    return;
                }
                self.out.push(MAP);
                put_varint(&mut self.out, m.map.len() as u64);
                for (k, x) in m.map.iter() {
                    self.value(k);
                    self.value(x);
                }
            }
            Value::Range(r) => {
                self.out.push(RANGE);
                put_varint(&mut self.out, zigzag(r.start));
                put_varint(&mut self.out, zigzag(r.end));
                self.out.push(r.inclusive as u8);
            }
            Value::Struct(s) => {
                self.out.push(STRUCT);
                self.struct_type(&s.ty);
                for x in s.fields.iter() {
                    self.value(x);
                }
            }
            Value::Type(t) => match &**t {
                TypeValue::Builtin(b) => {
                    self.out.push(TYPE_BUILTIN);
                    self.string(b.name());
                }
                TypeValue::Struct(st) => {
                    self.out.push(TYPE_STRUCT);
                    self.struct_type(st);
                }
                TypeValue::Native(_) => self.out.push(NONE),
            },
            // Not persistable: callers check `persistable` first.
            Value::Func(_) | Value::Native(_) | Value::Cell(_) | Value::Object(_) | Value::Obj(_) => self.out.push(NONE),
        }
    }
}

/// Appends the encoding of a persistable value.
pub fn encode_value(out: &mut Vec<u8>, v: &Value) {
    encode_values(out, || std::iter::once(v));
}

/// Appends the encodings of values, one after the other, sharing their
/// strings, shapes and types (one counting pass over all of them).
fn encode_values<'v, I: Iterator<Item = &'v Value>>(out: &mut Vec<u8>, vs: impl Fn() -> I) {
    let mut e = Encoder {
        out: std::mem::take(out),
        counts: HashMap::new(),
        strings: HashMap::new(),
        shapes: HashMap::new(),
        shape_count: 0,
        shape_ids: HashMap::new(),
        shape_uses: HashMap::new(),
        types: HashMap::new(),
    };
    for v in vs() {
        e.count(v);
    }
    e.count_shape_keys();
    for v in vs() {
        e.value(v);
    }
    *out = e.out;
}

/// A list with at least `2 * PART_ITEMS` elements is written in parts of
/// at least `PART_ITEMS` each (at most `MAX_PARTS`), so that a hit of a
/// big table decodes on several threads.
const PART_ITEMS: usize = 4096;
const MAX_PARTS: usize = 8;

/// Appends the encoding of an entry's value (its result, and each earlier
/// result): a byte saying in how many parts, then the value, or, for a
/// long list, its length and its parts. Each part is a count of elements,
/// a byte length and the elements, written on their own (their own
/// strings, shapes and types), so that the parts decode independently.
pub fn encode_entry_value(out: &mut Vec<u8>, v: &Value) {
    let Value::List(l) = v else {
        out.push(0);
        return encode_value(out, v);
    };
    let n = l.items.len();
    let parts = (n / PART_ITEMS).min(MAX_PARTS);
    if parts < 2 {
        out.push(0);
        return encode_value(out, v);
    }
    out.push(parts as u8);
    put_varint(out, n as u64);
    let mut part = Vec::new();
    for p in 0..parts {
        let (a, b) = (n * p / parts, n * (p + 1) / parts);
        part.clear();
        encode_values(&mut part, || l.iter().skip(a).take(b - a));
        put_varint(out, (b - a) as u64);
        put_varint(out, part.len() as u64);
        out.extend_from_slice(&part);
    }
}

// ----- reading -----

/// Why decoding failed, in one word: `Result<Value, Bad>` is 16 bytes (the
/// error sits beside `Value`'s tag), so the decoder's results travel in
/// registers. (With a `String` error they were 24 and went through memory.)
#[allow(clippy::box_collection)] // one word on purpose, see above
struct Bad(Box<String>);

const _: () = assert!(std::mem::size_of::<Result<Value, Bad>>() == 16);

impl From<String> for Bad {
    #[cold]
    fn from(s: String) -> Bad {
        Bad(Box::new(s))
    }
}

impl From<&str> for Bad {
    #[cold]
    fn from(s: &str) -> Bad {
        Bad(Box::new(s.to_string()))
    }
}

type Dr<T> = Result<T, Bad>;

/// Reads one value, with the strings, shapes and types defined so far.
struct Decoder<'r, 'a> {
    r: &'r mut Reader<'a>,
    strings: Vec<Value>,
    /// The shapes defined so far: the maps of each share its keys.
    shapes: Vec<Shape>,
    types: Vec<Arc<StructType>>,
    /// List slots that may still be reserved up front: as many as the
    /// input has bytes (each element takes one at least), over all lists,
    /// so a claimed length reserves no more than the input could fill.
    reserve_left: usize,
}

/// Is `s` a name the language can give a struct or a field?
fn is_identifier(s: &str) -> bool {
    let mut cs = s.chars();
    matches!(cs.next(), Some(c) if c.is_ascii_alphabetic() || c == '_') && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Decoder<'_, '_> {
    fn varint(&mut self) -> DecodeResult<u64> {
        self.r.varint()
    }

    /// A count of items that each take at least one byte.
    fn count(&mut self) -> DecodeResult<usize> {
        let n = self.varint()?;
        if n > self.r.remaining() as u64 {
            return Err("length exceeds data".into());
        }
        Ok(n as usize)
    }

    /// A string value of the next `count` bytes.
    #[inline]
    fn raw_str(&mut self) -> Dr<Value> {
        let n = self.count()?;
        let b = self.r.bytes(n)?;
        let ascii = b.is_ascii();
        let s = if ascii {
            // SAFETY: ASCII bytes are valid UTF-8.
            unsafe { std::str::from_utf8_unchecked(b) }
        } else {
            std::str::from_utf8(b).map_err(|_| "invalid UTF-8".to_string())?
        };
        Ok(Value::Str(crate::value::UArc::new(StrObj { s: s.to_owned(), ascii, hash: crate::value::HashMemo::new() })))
    }

    /// A string written by `Encoder::string`, after its tag.
    #[inline]
    fn string_tagged(&mut self, tag: u8) -> Dr<Value> {
        match tag {
            STR => self.raw_str(),
            STR_NEW => {
                let v = self.raw_str()?;
                if v.as_str().is_some_and(|s| s.len() > SHORT) {
                    return Err("a long string written as a short one".into());
                }
                self.strings.push(v.clone());
                Ok(v)
            }
            STR_REF => {
                let n = self.varint()?;
                self.strings.get(n as usize).cloned().ok_or_else(|| "unknown string number".into())
            }
            t => Err(format!("expected a string, found tag {t}").into()),
        }
    }

    fn string(&mut self) -> DecodeResult<String> {
        let tag = self.r.u8()?;
        match self.string_tagged(tag).map_err(|b| *b.0)? {
            Value::Str(s) => Ok(s.s.clone()),
            _ => Err("expected a string".into()),
        }
    }

    fn struct_type(&mut self) -> DecodeResult<Arc<StructType>> {
        let n = self.varint()?;
        if n > 0 {
            return self.types.get(n as usize - 1).cloned().ok_or_else(|| "unknown struct type number".to_string());
        }
        let name = self.string()?;
        if !is_identifier(&name) {
            return Err(format!("a struct type named {name:?}"));
        }
        if BuiltinType::from_name(&name).is_some() {
            return Err(format!("a struct type named like the builtin type `{name}`"));
        }
        let count = self.count()?;
        let mut fields: Vec<String> = Vec::new();
        for _ in 0..count {
            let f = self.string()?;
            if !is_identifier(&f) {
                return Err(format!("a struct field named {f:?}"));
            }
            if fields.contains(&f) {
                return Err(format!("struct `{name}` has two fields named `{f}`"));
            }
            fields.push(f);
        }
        let ty = Arc::new(StructType::new(name, fields, false));
        self.types.push(ty.clone());
        Ok(ty)
    }

    /// A map of the shape numbered `shape` (defined before): its values.
    fn shaped_map(&mut self, shape: usize, depth: usize) -> Dr<Value> {
        let shape = self.shapes[shape].clone();
        let mut values = Vec::with_capacity(shape.len());
        let mut nesting = 0;
        for _ in 0..shape.len() {
            let v = self.value(depth + 1)?;
            nesting = nesting.max(v.nesting());
            values.push(v);
        }
        Ok(map_value(ValueMap::shaped(shape, values.into_boxed_slice()), nesting))
    }

    /// One value: scalars inline, containers (which recurse) apart.
    #[inline]
    fn value(&mut self, depth: usize) -> Dr<Value> {
        let tag = self.r.u8()?;
        Ok(match tag {
            t if t >= SMALL_INT_TAG => Value::Int((t - SMALL_INT_TAG) as i64 + SMALL_INT_MIN),
            STR | STR_NEW | STR_REF => self.string_tagged(tag)?,
            FLOAT => Value::float(f64::from_bits(self.r.u64()?)),
            INT => {
                let i = unzigzag(self.varint()?);
                if (SMALL_INT_MIN..=SMALL_INT_MAX).contains(&i) {
                    return Err("a small int written long".into());
                }
                Value::Int(i)
            }
            NONE => Value::None,
            FALSE => Value::bool(false),
            TRUE => Value::bool(true),
            _ => self.container(tag, depth)?,
        })
    }

    #[inline(never)]
    fn container(&mut self, tag: u8, depth: usize) -> Dr<Value> {
        if depth > MAX_DEPTH || crate::stack::near_overflow() {
            return Err("nested too deeply".into());
        }
        Ok(match tag {
            LIST => {
                let n = self.count()?;
                let cap = n.min(self.reserve_left);
                self.reserve_left -= cap;
                let mut v = Vec::with_capacity(cap);
                let mut nesting = 0;
                for _ in 0..n {
                    let x = self.value(depth + 1)?;
                    nesting = nesting.max(x.nesting());
                    v.push(x);
                }
                if v.capacity() > v.len() + v.len() / 4 {
                    v.shrink_to_fit();
                }
                Value::List(crate::value::UArc::new(ListObj {
                    items: v.into(),
                    may_mutate: false,
                    depth: nesting + 1,
                    hash: crate::value::HashMemo::new(),
                }))
            }
            MAP => {
                let n = self.count()?;
                let mut m = ValueMap::new();
                let mut prev: Option<Value> = None;
                let mut nesting = 0;
                for _ in 0..n {
                    let k = self.value(depth + 1)?;
                    if prev.as_ref().is_some_and(|p| p >= &k) {
                        return Err("map keys out of order".into());
                    }
                    let x = self.value(depth + 1)?;
                    nesting = nesting.max(k.nesting()).max(x.nesting());
                    m.insert(k.clone(), x);
                    prev = Some(k);
                }
                map_value(m, nesting)
            }
            SHAPE_NEW => {
                let n = self.count()?;
                if n == 0 || n > SHAPE_MAX {
                    return Err("bad map shape".into());
                }
                let mut keys: Vec<Value> = Vec::new();
                for _ in 0..n {
                    let t = self.r.u8()?;
                    let k = self.string_tagged(t)?;
                    if keys.last().is_some_and(|p| p >= &k) {
                        return Err("map keys out of order".into());
                    }
                    keys.push(k);
                }
                // Strings, in order, 1..=SHAPE_MAX (= SMALL) of them.
                self.shapes.push(Shape::new(&keys).ok_or("bad map shape")?);
                self.shaped_map(self.shapes.len() - 1, depth)?
            }
            SHAPE_REF => {
                let n = self.varint()? as usize;
                if n >= self.shapes.len() {
                    return Err("unknown map shape".into());
                }
                self.shaped_map(n, depth)?
            }
            RANGE => {
                let (a, b) = (unzigzag(self.varint()?), unzigzag(self.varint()?));
                let inclusive = match self.r.u8()? {
                    0 => false,
                    1 => true,
                    _ => return Err("bad range".into()),
                };
                Value::range(a, b, inclusive)
            }
            STRUCT => {
                let ty = self.struct_type()?;
                let mut fields = Vec::new();
                for _ in 0..ty.fields.len() {
                    fields.push(self.value(depth + 1)?);
                }
                Value::new_struct(ty, fields.into_boxed_slice())
            }
            TYPE_BUILTIN => {
                let name = self.string()?;
                Value::builtin_type(BuiltinType::from_name(&name).ok_or("unknown builtin type")?)
            }
            TYPE_STRUCT => Value::Type(Arc::new(TypeValue::Struct(self.struct_type()?))),
            t => return Err(format!("unknown value tag {t}").into()),
        })
    }
}

/// A map of decoded entries (nothing decoded can mutate) whose deepest
/// key or value nests `nesting` levels.
fn map_value(map: ValueMap, nesting: u32) -> Value {
    Value::Map(crate::value::UArc::new(MapObj {
        map,
        may_mutate: false,
        depth: nesting + 1,
        hash: crate::value::HashMemo::new(),
    }))
}

/// Decodes one value.
pub fn decode_value(r: &mut Reader) -> DecodeResult<Value> {
    crate::stack::ensure_limit();
    let reserve_left = r.remaining();
    let mut d = Decoder { r, strings: Vec::new(), shapes: Vec::new(), types: Vec::new(), reserve_left };
    d.value(0).map_err(|b| *b.0)
}

/// Decodes an entry's value (`encode_entry_value`): the parts of a long
/// list on as many threads as the machine has cores (up to one a part).
pub fn decode_entry_value(r: &mut Reader) -> DecodeResult<Value> {
    crate::stack::ensure_limit();
    let parts = r.u8()? as usize;
    if parts == 0 {
        return decode_value(r);
    }
    if !(2..=MAX_PARTS).contains(&parts) {
        return Err(format!("a value in {parts} parts"));
    }
    let (n, slices) = part_slices(r, parts)?;
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get()).min(parts);
    let decoded = decode_parts(&slices, threads)?;
    let mut items = Vec::with_capacity(n as usize);
    let mut nesting = 0;
    for (values, deepest) in decoded {
        nesting = nesting.max(deepest);
        items.extend(values);
    }
    Ok(Value::List(crate::value::UArc::new(ListObj {
        items: items.into(),
        may_mutate: false,
        depth: nesting + 1,
        hash: crate::value::HashMemo::new(),
    })))
}

/// A part: its count of elements and its bytes.
type Part<'a> = (usize, &'a [u8]);

/// After the count of parts: the list's length and each part's element
/// count and bytes, checked to add up and to fit in the data.
fn part_slices<'a>(r: &mut Reader<'a>, parts: usize) -> DecodeResult<(u64, Vec<Part<'a>>)> {
    let n = r.varint()?;
    let mut slices = Vec::with_capacity(parts);
    let mut total: u64 = 0;
    for _ in 0..parts {
        let count = r.varint()?;
        let len = r.varint()?;
        if len > r.remaining() as u64 || count > len {
            return Err("a part longer than the data".into());
        }
        slices.push((count as usize, r.bytes(len as usize)?));
        total += count;
    }
    if total != n {
        return Err("parts that do not add up to the list".into());
    }
    Ok((n, slices))
}

/// The stack of a thread decoding parts: room for `MAX_DEPTH` levels.
const PART_STACK: usize = 64 << 20;

/// Decodes the parts, the first share on this thread and the others on
/// `threads - 1` more; the memory they allocate is counted on this
/// thread (`alloc::adopt`), which holds the values from now on.
fn decode_parts(slices: &[Part], threads: usize) -> DecodeResult<Vec<(Vec<Value>, u32)>> {
    let share = |t: usize| &slices[slices.len() * t / threads..slices.len() * (t + 1) / threads];
    let run = |group: &[Part]| -> DecodeResult<Vec<(Vec<Value>, u32)>> {
        group.iter().map(|&(count, bytes)| decode_part(count, bytes)).collect()
    };
    if threads < 2 {
        return run(slices);
    }
    std::thread::scope(|s| {
        let others: Vec<_> = (1..threads)
            .map(|t| {
                let group = share(t);
                let spawned =
                    std::thread::Builder::new().name("memo-decode".into()).stack_size(PART_STACK).spawn_scoped(s, move || {
                        crate::stack::set_stack_size(PART_STACK);
                        let before = crate::alloc::thread_net();
                        let out = run(group);
                        (out, crate::alloc::thread_net() - before)
                    });
                (group, spawned.ok())
            })
            .collect();
        let mut results = vec![run(share(0))];
        // Every thread is joined and its memory adopted, also after an
        // error (the values it made are freed here).
        for (group, handle) in others {
            results.push(match handle.map(|h| h.join()) {
                Some(Ok((out, held))) => {
                    crate::alloc::adopt(held);
                    out
                }
                Some(Err(p)) => std::panic::resume_unwind(p),
                // A thread that could not start: its share is decoded here.
                None => run(group),
            });
        }
        let mut all = Vec::with_capacity(slices.len());
        for r in results {
            all.extend(r?);
        }
        Ok(all)
    })
}

/// One part: `count` values that fill `bytes` exactly, and how deep the
/// deepest of them nests.
fn decode_part(count: usize, bytes: &[u8]) -> DecodeResult<(Vec<Value>, u32)> {
    let mut r = Reader::new(bytes);
    let mut d = Decoder { r: &mut r, strings: Vec::new(), shapes: Vec::new(), types: Vec::new(), reserve_left: bytes.len() };
    // (`count <= bytes.len()`: each element takes a byte at least.)
    let mut values = Vec::with_capacity(count);
    let mut nesting = 0;
    for _ in 0..count {
        let v = d.value(1).map_err(|b| *b.0)?;
        nesting = nesting.max(v.nesting());
        values.push(v);
    }
    if r.remaining() != 0 {
        return Err("a part with bytes left over".into());
    }
    Ok((values, nesting))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(v: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        encode_value(&mut out, v);
        out
    }

    fn roundtrip(v: &Value) -> Value {
        let out = bytes(v);
        let mut r = Reader::new(&out);
        let back = decode_value(&mut r).unwrap();
        assert_eq!(r.remaining(), 0);
        back
    }

    fn decode(b: &[u8]) -> DecodeResult<Value> {
        decode_value(&mut Reader::new(b))
    }

    /// The bytes of a value with a string once and a string twice in each
    /// kind of container (a list, a map by shape and one with an int key, a
    /// struct and its type): a string that occurs once is written inline
    /// (`STR`), one that occurs twice once (`STR_NEW`) and then by number
    /// (`STR_REF`). Pins the format (an entry written by another encoding
    /// must not be read as this one) and the counting pass, whose mistakes
    /// decode to the same value (cargo-mutants on `Encoder::count`).
    #[test]
    fn strings_once_are_inline_and_strings_twice_are_numbered() {
        let ty = Arc::new(StructType::new("P".into(), vec!["x".into(), "y".into()], false));
        let mut shaped = ValueMap::new();
        shaped.insert(Value::str("k"), Value::str("m1"));
        let mut keyed = ValueMap::new();
        keyed.insert(Value::Int(1), Value::str("m2"));
        let v = Value::list_from(vec![
            Value::str("l1"),
            Value::str("tw"),
            Value::list_from(vec![Value::str("l2")]),
            Value::map(shaped),
            Value::map(keyed),
            Value::new_struct(ty.clone(), vec![Value::str("s1"), Value::str("tw")].into_boxed_slice()),
            Value::Type(Arc::new(TypeValue::Struct(ty))),
            Value::builtin_type(BuiltinType::Map),
        ]);
        let b = bytes(&v);
        let small = |i: u8| SMALL_INT_TAG + 64 + i;
        let mut want = vec![LIST, 8, STR, 2, b'l', b'1', STR_NEW, 2, b't', b'w', LIST, 1, STR, 2, b'l', b'2'];
        want.extend([SHAPE_NEW, 1, STR, 1, b'k', STR, 2, b'm', b'1']);
        want.extend([MAP, 1, small(1), STR, 2, b'm', b'2']);
        // The struct's type, first written: its name and fields, numbered.
        want.extend([STRUCT, 0, STR_NEW, 1, b'P', 2, STR_NEW, 1, b'x', STR_NEW, 1, b'y', STR, 2, b's', b'1', STR_REF, 0]);
        want.extend([TYPE_STRUCT, 1, TYPE_BUILTIN, STR, 3, b'm', b'a', b'p']);
        assert_eq!(b, want, "{b:?}");
        assert_eq!(crate::value::repr(&roundtrip(&v)), crate::value::repr(&v));
        // A struct alone: its type's name and fields occur once, inline.
        let q = Arc::new(StructType::new("Q".into(), vec!["f".into()], false));
        let lone = Value::new_struct(q, vec![Value::str("z")].into_boxed_slice());
        assert_eq!(bytes(&lone), [STRUCT, 0, STR, 1, b'Q', 1, STR, 1, b'f', STR, 1, b'z']);
    }

    /// Maps sharing one shape: the shape's keys are written once, counted
    /// once per map (so a key of a shape two maps share is numbered), and
    /// the second map refers to the shape (cargo-mutants on
    /// `Encoder::count`: the count of a shared shape's uses).
    #[test]
    fn a_shared_shape_is_written_once_and_its_keys_counted_per_map() {
        let sh = crate::value::map::Shape::new(&[Value::str("sk")]).unwrap();
        let v = Value::list_from(vec![
            Value::map(ValueMap::shaped(sh.clone(), vec![Value::str("a")].into_boxed_slice())),
            Value::map(ValueMap::shaped(sh, vec![Value::str("b")].into_boxed_slice())),
        ]);
        let b = bytes(&v);
        let want = vec![LIST, 2, SHAPE_NEW, 1, STR_NEW, 2, b's', b'k', STR, 1, b'a', SHAPE_REF, 0, STR, 1, b'b'];
        assert_eq!(b, want, "{b:?}");
        assert_eq!(crate::value::repr(&roundtrip(&v)), crate::value::repr(&v));
    }

    /// Maps by shape: two shapes, each used twice, keep their own numbers
    /// (a reference to the second is not read as the first); a map with
    /// `SHAPE_MAX` string keys is written by shape, one with more as a
    /// plain map; a string exactly `SHORT` bytes long that occurs twice is
    /// numbered (cargo-mutants on `shape_of_keys` and `Encoder::string`).
    #[test]
    fn shapes_keep_their_numbers_and_bounds() {
        let rec = |k: &str, v: i64| {
            let mut m = ValueMap::new();
            m.insert(Value::str(k), Value::Int(v));
            Value::map(m)
        };
        let v = Value::list_from(vec![rec("a", 1), rec("b", 2), rec("a", 3), rec("b", 4)]);
        let back = roundtrip(&v);
        assert_eq!(crate::value::repr(&back), r#"[{"a": 1}, {"b": 2}, {"a": 3}, {"b": 4}]"#);
        let wide = |n: usize| {
            let mut m = ValueMap::new();
            for i in 0..n {
                m.insert(Value::str(format!("k{i:03}")), Value::Int(i as i64));
            }
            Value::map(m)
        };
        let full = wide(SHAPE_MAX);
        assert_eq!(bytes(&full)[0], SHAPE_NEW);
        assert!(crate::value::values_equal(&roundtrip(&full), &full));
        let more = wide(SHAPE_MAX + 1);
        assert_eq!(bytes(&more)[0], MAP);
        assert!(crate::value::values_equal(&roundtrip(&more), &more));
        let s64 = "s".repeat(SHORT);
        let b = bytes(&Value::list_from(vec![Value::str(s64.clone()), Value::str(s64)]));
        assert_eq!((b[2], b[2 + 2 + SHORT]), (STR_NEW, STR_REF), "{b:?}");
    }

    /// The decoder's depth bound, exactly, for lists and for maps by shape
    /// (cargo-mutants on `Decoder::container` and `shaped_map`: a bound one
    /// off, or a shape's values not one level deeper).
    #[test]
    fn the_decoder_takes_values_nested_to_its_bound_and_not_deeper() {
        // (A big stack, as the interpreter's thread has, with its guard.)
        crate::stack::run_with_stack(256 << 20, decoder_bound_cases);
    }

    fn decoder_bound_cases() {
        let nest = |n: usize, wrap: &dyn Fn(Value) -> Value| {
            let mut v = Value::Int(0);
            for _ in 0..n {
                v = wrap(v);
            }
            v
        };
        let list = |v: Value| Value::list_from(vec![v]);
        let map = |v: Value| {
            let mut m = ValueMap::new();
            m.insert(Value::str("k"), v);
            Value::map(m)
        };
        // By a map's key and by a map's value, written as a plain map.
        let key = |v: Value| {
            let mut m = ValueMap::new();
            m.insert(v, Value::Int(1));
            Value::map(m)
        };
        let value = |v: Value| {
            let mut m = ValueMap::new();
            m.insert(Value::Int(1), v);
            Value::map(m)
        };
        let ty = Arc::new(StructType::new("S".into(), vec!["v".into()], false));
        let field = |v: Value| Value::new_struct(ty.clone(), vec![v].into_boxed_slice());
        for wrap in [&list as &dyn Fn(Value) -> Value, &map, &key, &value, &field] {
            let ok = nest(MAX_DEPTH + 1, wrap);
            let back = roundtrip(&ok);
            assert!(crate::value::values_equal(&back, &ok));
            // The nesting the value knows it has (for the nesting limit).
            assert_eq!(back.nesting(), ok.nesting());
            let deeper = bytes(&nest(MAX_DEPTH + 2, wrap));
            assert!(decode(&deeper).is_err(), "one level deeper than the bound is refused");
        }
    }

    /// A string longer than `SHORT` marked as one to number is refused (the
    /// encoder never writes one), and one exactly `SHORT` long is taken.
    #[test]
    fn a_long_string_marked_short_is_refused() {
        let marked = |n: usize| {
            let mut b = vec![STR_NEW, n as u8];
            b.extend(std::iter::repeat(b'a').take(n));
            b
        };
        assert!(decode(&marked(SHORT + 1)).is_err());
        assert_eq!(crate::value::repr(&decode(&marked(SHORT)).unwrap()), format!("\"{}\"", "a".repeat(SHORT)));
    }

    #[test]
    fn values_roundtrip() {
        let ty = Arc::new(StructType::new("P".into(), vec!["x".into(), "y".into()], false));
        let long = "x".repeat(200);
        let mut big = ValueMap::new();
        for i in 0..40 {
            big.insert(Value::Int(i), Value::str(format!("v{}", i % 3)));
        }
        let rows: Vec<Value> = (0..50)
            .map(|i| {
                let mut m = ValueMap::new();
                m.insert(Value::str("id"), Value::Int(i * 1000));
                m.insert(Value::str("name"), Value::str(format!("n{i}")));
                m.insert(Value::str("cat"), Value::str(["a", "b"][i as usize % 2]));
                Value::map(m)
            })
            .collect();
        let vals = vec![
            Value::None,
            Value::bool(true),
            Value::bool(false),
            Value::Int(-5),
            Value::Int(-64),
            Value::Int(-65),
            Value::Int(175),
            Value::Int(176),
            Value::Int(i64::MIN),
            Value::Int(i64::MAX),
            Value::float(1.5),
            Value::float(-0.0),
            Value::str("héllo"),
            Value::str(long.clone()),
            Value::list_from(vec![Value::str(long.clone()), Value::str(long), Value::str("a"), Value::str("a")]),
            Value::list_from(vec![Value::Int(1), Value::str("a")]),
            Value::range(-3, 10, true),
            Value::range(5, -2, false),
            Value::new_struct(ty.clone(), vec![Value::Int(1), Value::Int(2)].into_boxed_slice()),
            Value::list_from(vec![
                Value::new_struct(ty.clone(), vec![Value::Int(1), Value::Int(2)].into_boxed_slice()),
                Value::new_struct(ty.clone(), vec![Value::Int(3), Value::str("y")].into_boxed_slice()),
                Value::Type(Arc::new(TypeValue::Struct(ty))),
            ]),
            Value::builtin_type(BuiltinType::Map),
            Value::map(big),
            Value::list_from(rows),
            Value::map(ValueMap::new()),
        ];
        for v in vals {
            assert!(persistable(&v));
            let back = roundtrip(&v);
            assert_eq!(crate::value::repr(&back), crate::value::repr(&v));
            assert!(crate::value::values_equal(&back, &v));
        }
    }

    #[test]
    fn repeated_keys_and_shapes_are_written_once() {
        let rows: Vec<Value> = (0..1000)
            .map(|i| {
                let mut m = ValueMap::new();
                m.insert(Value::str("identifier"), Value::Int(i));
                m.insert(Value::str("category"), Value::str("north"));
                Value::map(m)
            })
            .collect();
        let b = bytes(&Value::list_from(rows));
        // Per row: the shape (2 bytes), an int (≤ 3 bytes), a string reference (2 bytes).
        assert!(b.len() < 1000 * 8, "{} bytes", b.len());
        assert_eq!(b.windows(10).filter(|w| w == b"identifier").count(), 1);
        // Decoded rows share their key strings.
        let back = decode(&b).unwrap();
        let Value::List(l) = back else { panic!() };
        let key = |v: &Value| match v {
            Value::Map(m) => match m.map.iter().next() {
                Some((Value::Str(s), _)) => crate::value::UArc::as_ptr(s),
                _ => panic!(),
            },
            _ => panic!(),
        };
        let first: Vec<&Value> = l.iter().take(2).collect();
        assert_eq!(key(first[0]), key(first[1]));
    }

    /// Maps of a shared shape (CSV rows) and maps of the same keys made one
    /// by one encode to the same rows, in as few bytes, and decode to maps
    /// of one shape again.
    #[test]
    fn shared_shapes_encode_like_equal_keys() {
        use crate::value::map::Shape;
        let shape = Shape::new(&["category", "identifier"].map(Value::str)).unwrap();
        let row = |i: i64| vec![Value::str(["north", "south"][i as usize % 2]), Value::Int(i)];
        let shaped: Vec<Value> =
            (0..100).map(|i| Value::map(ValueMap::shaped(shape.clone(), row(i).into_boxed_slice()))).collect();
        let mut mixed = shaped.clone();
        // One map of the same keys made by hand, and one of other keys, between them.
        mixed[50] = Value::map(ValueMap::from_iter(
            [("identifier", Value::Int(50)), ("category", Value::str("north"))].map(|(k, v)| (Value::str(k), v)),
        ));
        mixed[51] = Value::map(ValueMap::from_iter([(Value::str("other"), Value::Int(1))]));
        let by_hand: Vec<Value> = (0..100)
            .map(|i| Value::map(ValueMap::from_iter(["category", "identifier"].map(Value::str).into_iter().zip(row(i)))))
            .collect();
        for list in [&shaped, &mixed] {
            let v = Value::list_from(list.clone());
            assert!(crate::value::values_equal(&roundtrip(&v), &v));
        }
        let (a, b) = (bytes(&Value::list_from(shaped)), bytes(&Value::list_from(by_hand)));
        assert!(a.len() <= b.len(), "{} > {}", a.len(), b.len());
        let Value::List(l) = decode(&a).unwrap() else { panic!("a list") };
        let shapes: Vec<usize> =
            l.iter().map(|r| if let Value::Map(m) = r { m.map.shape().map_or(0, Shape::addr) } else { 0 }).collect();
        assert!(shapes[0] != 0 && shapes.iter().all(|&s| s == shapes[0]), "decoded rows share one shape");
    }

    /// The bytes do not depend on which maps share a shape: two shapes of
    /// equal keys and a map of the same keys made by hand decode to maps of
    /// one shape, which encode to the same bytes (the decode_entry fuzz
    /// target found keys counted once per shape: a key's count, and so
    /// its encoding, changed in the round trip).
    #[test]
    fn encoding_is_stable_whichever_maps_share_a_shape() {
        use crate::value::map::Shape;
        let keys = ["a", "b"].map(Value::str);
        let (s1, s2) = (Shape::new(&keys).unwrap(), Shape::new(&keys).unwrap());
        let m = |sh: &Shape| Value::map(ValueMap::shaped(sh.clone(), vec![Value::Int(1), Value::Int(2)].into_boxed_slice()));
        let by_hand = Value::map(ValueMap::from_iter(keys.clone().into_iter().zip([Value::Int(3), Value::Int(4)])));
        let v = Value::list_from(vec![m(&s1), m(&s2), by_hand]);
        let once = bytes(&v);
        assert_eq!(bytes(&decode(&once).unwrap()), once);
    }

    #[test]
    fn refuses_what_the_language_cannot_make() {
        let st = |name: &str, fields: &[&str]| {
            let mut b = vec![STRUCT, 0, STR_NEW, name.len() as u8];
            b.extend_from_slice(name.as_bytes());
            b.push(fields.len() as u8);
            for f in fields {
                b.push(STR_NEW);
                b.push(f.len() as u8);
                b.extend_from_slice(f.as_bytes());
            }
            b.resize(b.len() + fields.len(), NONE);
            b
        };
        assert!(decode(&st("P", &["x", "y"])).is_ok());
        for (name, fields, why) in [
            ("P", &["x", "x"][..], "two fields"),
            ("int", &["x"][..], "builtin"),
            ("", &["x"][..], "struct type named"),
            ("P", &["a b"][..], "field named"),
        ] {
            let e = decode(&st(name, fields)).unwrap_err();
            assert!(e.contains(why), "{name} {fields:?}: {e}");
        }
        // Keys out of order, or twice.
        let map = |a: u8, b: u8| vec![MAP, 2, a, NONE, b, NONE];
        assert!(decode(&map(SMALL_INT_TAG + 70, SMALL_INT_TAG + 71)).is_ok());
        assert!(decode(&map(SMALL_INT_TAG + 71, SMALL_INT_TAG + 70)).is_err());
        assert!(decode(&map(SMALL_INT_TAG + 70, SMALL_INT_TAG + 70)).is_err());
        let shape = |a: &str, b: &str| {
            let mut v = vec![SHAPE_NEW, 2];
            for k in [a, b] {
                v.push(STR_NEW);
                v.push(k.len() as u8);
                v.extend_from_slice(k.as_bytes());
            }
            v.extend([NONE, NONE]);
            v
        };
        assert!(decode(&shape("a", "b")).is_ok());
        assert!(decode(&shape("b", "a")).is_err());
        assert!(decode(&shape("a", "a")).is_err());
        // Not the one encoding of a value.
        assert!(decode(&[INT, 2]).is_err());
    }

    #[test]
    fn claimed_lengths_reserve_no_more_than_the_input() {
        // Lists claiming as many elements as bytes remain, nested deep:
        // with a capacity taken from each claim this reserved gigabytes;
        // all the lists together now reserve one slot per input byte.
        let mut b = Vec::new();
        for _ in 0..1500 {
            b.push(LIST);
            put_varint(&mut b, 60_000);
        }
        b.resize(100_000, NONE);
        assert!(decode(&b).is_err());
        let mut b = vec![MAP];
        put_varint(&mut b, u64::MAX);
        assert!(decode(&b).is_err());
    }

    /// The slots reserved up front are counted off the input's bytes, list
    /// by list (cargo-mutants on `Decoder::container`: the count not going
    /// down let every nested claim reserve as much as the whole input).
    #[test]
    fn each_list_reserves_its_slots_from_one_budget() {
        let v = Value::list_from(vec![Value::Int(1), Value::list_from(vec![Value::Int(2), Value::Int(3)])]);
        let b = bytes(&v);
        let mut r = Reader::new(&b);
        let left = r.remaining();
        let mut d = Decoder { r: &mut r, strings: Vec::new(), shapes: Vec::new(), types: Vec::new(), reserve_left: left };
        let back = d.value(0).map_err(|b| *b.0).unwrap();
        assert_eq!(crate::value::repr(&back), "[1, [2, 3]]");
        assert_eq!(d.reserve_left, left - 4, "two slots for each list");
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 12345u64;
        for _ in 0..20_000 {
            let n = (seed % 64) as usize;
            let mut buf = Vec::with_capacity(n);
            for _ in 0..n {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let b = (seed >> 56) as u8;
                buf.push(if b < 200 { b % 20 } else { b });
            }
            let _ = decode(&buf);
        }
    }

    /// A table: `n` rows, each a map of one shape with an int, a string
    /// of its own, a float and one of three repeated strings, and every
    /// 1,000th row a nested list (deeper than the others).
    fn table(n: usize) -> Value {
        let sh =
            crate::value::map::Shape::new(&[Value::str("cat"), Value::str("id"), Value::str("name"), Value::str("x")]).unwrap();
        let rows = (0..n)
            .map(|i| {
                let x = if i % 1000 == 7 {
                    Value::list_from(vec![Value::list_from(vec![Value::Int(1)])])
                } else {
                    Value::float(i as f64 / 3.0)
                };
                let cat = Value::str(["north", "south", "east"][i % 3]);
                let vals = vec![cat, Value::Int(i as i64 * 1_000), Value::str(format!("user_{i}")), x];
                Value::map(ValueMap::shaped(sh.clone(), vals.into_boxed_slice()))
            })
            .collect();
        Value::list_from(rows)
    }

    fn entry_bytes(v: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        encode_entry_value(&mut out, v);
        out
    }

    /// A long list is written in parts, each on its own (its own shapes and
    /// strings), and read back as the same list with the same depth, on
    /// one thread or several; a shorter one is written whole.
    #[test]
    fn a_long_list_is_written_in_parts_and_read_back_whole() {
        let short = table(2 * PART_ITEMS - 1);
        let b = entry_bytes(&short);
        assert_eq!(b[0], 0, "one part");
        assert_eq!(b[1..], bytes(&short)[..]);
        for (n, parts) in [(2 * PART_ITEMS, 2), (3 * PART_ITEMS + 5, 3), (20 * PART_ITEMS, MAX_PARTS)] {
            let v = table(n);
            let b = entry_bytes(&v);
            assert_eq!(b[0] as usize, parts, "{n} elements");
            let mut r = Reader::new(&b);
            let back = decode_entry_value(&mut r).unwrap();
            assert_eq!(r.remaining(), 0);
            assert_eq!(back, v);
            assert_eq!(back.nesting(), v.nesting());
            assert_eq!(crate::value::repr(&back), crate::value::repr(&v));
            // Every part defines the shape (and the repeated strings) anew.
            let defined = b.windows(2).filter(|w| w[0] == SHAPE_NEW && w[1] == 4).count();
            assert_eq!(defined, parts, "{n} elements");
        }
        // The same values whatever the number of threads.
        let v = table(4 * PART_ITEMS);
        let b = entry_bytes(&v);
        let (n, slices) = part_slices(&mut Reader::new(&b[1..]), b[0] as usize).unwrap();
        for threads in 1..=5 {
            let parts = decode_parts(&slices, threads).unwrap();
            let items: Vec<Value> = parts.into_iter().flat_map(|(vs, _)| vs).collect();
            assert_eq!(items.len() as u64, n);
            assert_eq!(Value::list_from(items), v, "{threads} threads");
        }
    }

    /// Parts that do not describe the list are refused: a count of parts
    /// out of range, counts that do not add up, a part longer than the
    /// data, a part with a byte left over, a part claiming more elements
    /// than bytes, and a bad value inside a part.
    #[test]
    fn bad_parts_are_refused() {
        let two = |a: &[u8], b: &[u8], counts: (u8, u8), total: u8| {
            let mut out = vec![2, total, counts.0, a.len() as u8];
            out.extend_from_slice(a);
            out.extend([counts.1, b.len() as u8]);
            out.extend_from_slice(b);
            out
        };
        let one = SMALL_INT_TAG + 65;
        let ok = two(&[one], &[one, one], (1, 2), 3);
        assert_eq!(decode_entry_value(&mut Reader::new(&ok)).unwrap(), Value::list_from(vec![Value::Int(1); 3]));
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (vec![1, 1, 1, 1, one], "parts"),
            (vec![MAX_PARTS as u8 + 1], "parts"),
            (two(&[one], &[one, one], (1, 2), 4), "add up"),
            (two(&[one], &[one, one], (1, 1), 2), "left over"),
            (two(&[one], &[one], (1, 2), 3), "longer than the data"),
            (two(&[one], &[LIST], (1, 1), 2), "truncated"),
            (
                {
                    let mut b = two(&[one], &[one], (1, 1), 2);
                    b[3] = 9;
                    b
                },
                "longer than the data",
            ),
        ];
        for (b, want) in cases {
            let e = decode_entry_value(&mut Reader::new(&b)).unwrap_err();
            assert!(e.contains(want), "{b:?}: {e}");
        }
    }
}
