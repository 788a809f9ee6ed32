//! Runtime values. `Value` is 16 bytes: scalars inline, every heap variant one
//! `Arc`. Everything but mutable objects (`mut struct` instances and cells,
//! see `object`) and native objects is immutable; a "mutation" of a list,
//! map or struct in the language is a persistent update of the variable
//! that holds it (in place when the `Arc` is unshared).
//!
//! Heap values carry a lazily computed structural hash (`hash` cells, filled
//! by `crate::hashing::value_hash`) and a `may_mutate` bit (true when a cell or
//! native object is reachable from them, so their hash can change).

pub(crate) mod compare;
mod display;
mod drop;
mod function;
mod index_table;
pub(crate) mod lend;
mod list;
pub(crate) mod map;
pub mod meter;
pub mod object;
mod types;
mod word;

pub use compare::{cmp_in, equal_in, values_equal, TypeRank};
pub use display::{display_limited, display_prefix, repr, repr_in, repr_limited, repr_prefix, to_display};
pub use function::{Closure, NativeFn, NativeImpl};
pub use list::ListItems;
pub use map::ValueMap;
pub use object::{CellObj, MutObj, Reader};
pub use types::{BuiltinType, NativeObject, NativeType, StructType, TypeValue};
pub use word::{BoolWord, FloatWord};

use std::sync::{Arc, OnceLock};

/// The `Arc` of the payloads that are updated in place when unshared
/// (strings, lists, maps, structs): `triomphe::Arc`, which has no weak
/// count, so `UArc::get_mut`/`make_mut` decide "unshared" by one load of
/// the strong count that nothing can race. (With `std::sync::Arc`, deciding
/// it by loads is unsound: a host could upgrade a `Weak` of a payload in
/// another thread between them; its own check is a compare-exchange.)
pub use triomphe::Arc as UArc;

/// A 32-byte blake3 digest.
pub type Hash32 = [u8; 32];

/// A container's value hash, once computed (`hashing::value_hash`): boxed,
/// so a container that is never hashed carries one word for it, not 36
/// bytes (a 4-column row map: 64 bytes instead of 96). One pointer, not
/// `OnceLock`'s pointer and state word: a string is 40 bytes, its
/// allocation 48 with the count (mimalloc's 48-byte class, not 64). Two
/// threads hashing one value at once may both compute it; one result is
/// kept (they are equal).
pub type HashMemo = once_cell::race::OnceBox<Hash32>;

#[derive(Default)]
pub enum Value {
    #[default]
    None,
    Bool(BoolWord),
    Int(i64),
    Float(FloatWord),
    Str(UArc<StrObj>),
    List(UArc<ListObj>),
    Map(UArc<MapObj>),
    Range(Arc<RangeObj>),
    Struct(UArc<StructObj>),
    Func(Arc<Closure>),
    Native(Arc<NativeFn>),
    Cell(Arc<CellObj>),
    Type(Arc<TypeValue>),
    Object(Arc<NativeObject>),
    /// An instance of a `mut struct` type: a mutable object with identity.
    Obj(Arc<MutObj>),
}

const _: () = assert!(std::mem::size_of::<Value>() == 16);

/// `UArc::make_mut` with its copy out of line, so that the in-place case
/// (a load and a compare) inlines where triomphe's whole function did not.
#[inline(always)]
pub fn make_mut<T: Clone>(a: &mut UArc<T>) -> &mut T {
    if !a.is_unique() {
        unshare(a);
    }
    UArc::get_mut(a).expect("a fresh copy is unshared")
}

#[cold]
#[inline(never)]
fn unshare<T: Clone>(a: &mut UArc<T>) {
    *a = UArc::new(T::clone(a));
}

/// Inlined everywhere: a copy is a tag test and, for a heap value, one
/// increment. (Derived, it was a call since issue 17: the payloads are two
/// kinds of `Arc` whose increments LLVM no longer folds into one arm, and
/// the call made the closures around it save more registers; `lists` +4 %.)
impl Clone for Value {
    #[inline(always)]
    fn clone(&self) -> Value {
        match self {
            Value::None => Value::None,
            Value::Bool(b) => Value::Bool(*b),
            Value::Int(n) => Value::Int(*n),
            Value::Float(f) => Value::Float(*f),
            Value::Str(a) => Value::Str(UArc::clone(a)),
            Value::List(a) => Value::List(UArc::clone(a)),
            Value::Map(a) => Value::Map(UArc::clone(a)),
            Value::Range(a) => Value::Range(Arc::clone(a)),
            Value::Struct(a) => Value::Struct(UArc::clone(a)),
            Value::Func(a) => Value::Func(Arc::clone(a)),
            Value::Native(a) => Value::Native(Arc::clone(a)),
            Value::Cell(a) => Value::Cell(Arc::clone(a)),
            Value::Type(a) => Value::Type(Arc::clone(a)),
            Value::Object(a) => Value::Object(Arc::clone(a)),
            Value::Obj(a) => Value::Obj(Arc::clone(a)),
        }
    }
}

/// A string; `ascii` lets indexing and `len` skip the UTF-8 walk.
///
/// Only strings of `value_hash::LONG_STR` bytes or more memoize their
/// digest, so the digest cell holds a box: 8 bytes in every string instead
/// of 40 (200,000 string keys: 6 MB less to allocate and for the kernel to
/// zero). `UArc`'s header is one count, 8 bytes less again than
/// `std::sync::Arc`'s two: 48 bytes per string allocation.
#[derive(Debug, Default)]
pub struct StrObj {
    pub s: String,
    pub ascii: bool,
    pub hash: HashMemo,
}

const _: () = assert!(std::mem::size_of::<StrObj>() == 40);

impl Clone for StrObj {
    fn clone(&self) -> Self {
        StrObj { s: self.s.clone(), ascii: self.ascii, hash: HashMemo::new() }
    }
}

/// The one-character ASCII strings, shared (see [`Value::char_str`]).
fn ascii_strs() -> &'static [Value; 128] {
    static TABLE: std::sync::OnceLock<[Value; 128]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| std::array::from_fn(|b| Value::Str(UArc::new(StrObj::new(char::from(b as u8).to_string())))))
}

/// The string of the ASCII character `b` (`b < 128`), where it is kept:
/// `s[i]` of an ASCII string read in place (`codegen::peek`).
#[inline]
pub(crate) fn ascii_char(b: u8) -> Option<&'static Value> {
    ascii_strs().get(b as usize)
}

impl StrObj {
    pub fn new(s: String) -> StrObj {
        let ascii = s.is_ascii();
        StrObj { s, ascii, hash: HashMemo::new() }
    }
    /// Length in Unicode scalar values.
    pub fn char_len(&self) -> usize {
        if self.ascii {
            self.s.len()
        } else {
            self.s.chars().count()
        }
    }
}

#[derive(Default)]
pub struct ListObj {
    pub items: ListItems,
    pub may_mutate: bool,
    /// Nesting depth (1 + the deepest element's); see [`MAX_NESTING`].
    pub depth: u32,
    pub hash: HashMemo,
}

const _: () = assert!(std::mem::size_of::<ListObj>() == 48);

impl Drop for ListObj {
    /// Scalars own nothing: a flat list forgets them instead of running the
    /// drop glue once per element (a call each). Deep lists free without
    /// deep recursion (`drop.rs`).
    fn drop(&mut self) {
        if self.depth < drop::DEEP {
            self.items.release(None);
        } else {
            drop::dropping(|out| self.items.release(out));
        }
    }
}

impl Clone for ListObj {
    fn clone(&self) -> Self {
        ListObj { items: self.items.clone(), may_mutate: self.may_mutate, depth: self.depth, hash: HashMemo::new() }
    }
}

impl ListObj {
    /// The elements in order.
    #[inline]
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Value> + '_ {
        self.items.iter()
    }

    /// Records that `v` is now an element (after `check_child(v)`).
    #[inline]
    pub fn note_child(&mut self, v: &Value) {
        if !v.is_scalar() {
            self.may_mutate |= v.may_mutate();
            self.depth = self.depth.max(v.nesting() + 1);
        }
        self.hash = HashMemo::new();
    }

    /// The list of elements `r.start` up to `r.end` (within bounds).
    /// `may_mutate` is looked for again only when this list has it, and a
    /// shallow list's depth is kept (an upper bound, as depths are: at most
    /// `SHALLOW` levels too many, against a limit of `MAX_NESTING`), so a
    /// long slice of ordinary data costs O(log n), not a pass over its
    /// elements. A deeper list's slice counts its depth exactly, so that no
    /// slice is refused as too deep when it is not.
    pub fn slice(&self, r: std::ops::Range<usize>) -> Value {
        const SHALLOW: u32 = 8;
        let items = self.items.slice(r);
        let may_mutate = self.may_mutate && items.iter().any(Value::may_mutate);
        let depth = if self.depth <= SHALLOW { self.depth } else { items.iter().map(Value::nesting).max().unwrap_or(0) + 1 };
        Value::List(crate::value::UArc::new(ListObj { items, may_mutate, depth, hash: HashMemo::new() }))
    }
}

/// Builds a list element by element, gathering its facts (`may_mutate`,
/// nesting depth) as it goes instead of in a second pass.
#[derive(Default)]
pub struct ListBuilder {
    items: Vec<Value>,
    may_mutate: bool,
    depth: u32,
}

impl ListBuilder {
    #[inline(always)]
    pub fn push(&mut self, v: Value) {
        if !v.is_scalar() {
            self.may_mutate |= v.may_mutate();
            self.depth = self.depth.max(v.nesting());
        }
        self.items.push(v);
    }

    /// A builder with room for `n` elements.
    pub fn with_capacity(n: usize) -> ListBuilder {
        ListBuilder { items: Vec::with_capacity(n), ..Default::default() }
    }

    pub fn finish(self) -> Value {
        let ListBuilder { mut items, may_mutate, depth } = self;
        if items.capacity() > items.len() + items.len() / 4 {
            items.shrink_to_fit();
        }
        Value::List(crate::value::UArc::new(ListObj { items: items.into(), may_mutate, depth: depth + 1, hash: HashMemo::new() }))
    }
}

#[derive(Default)]
pub struct MapObj {
    pub map: ValueMap,
    pub may_mutate: bool,
    /// Nesting depth (1 + the deepest key's or value's).
    pub depth: u32,
    pub hash: HashMemo,
}

const _: () = assert!(std::mem::size_of::<MapObj>() == 48);

impl Drop for MapObj {
    /// Deep maps free without deep recursion (`drop.rs`).
    fn drop(&mut self) {
        if self.depth < drop::DEEP {
            return;
        }
        drop::dropping(|out| {
            if let Some(out) = out {
                // Shares of the children: freeing the map recurses into nothing.
                out.extend(self.map.iter().flat_map(|(k, v)| [k, v]).filter(|x| !x.is_scalar()).cloned());
            }
            // Freed here, inside the count of nested drops.
            self.map = ValueMap::new();
        });
    }
}

impl Clone for MapObj {
    fn clone(&self) -> Self {
        MapObj { map: self.map.clone(), may_mutate: self.may_mutate, depth: self.depth, hash: HashMemo::new() }
    }
}

impl MapObj {
    /// Records that `v` is now a key or value (after `check_child(v)`).
    pub fn note_child(&mut self, v: &Value) {
        self.may_mutate |= v.may_mutate();
        self.depth = self.depth.max(v.nesting() + 1);
        self.hash = HashMemo::new();
    }
}

/// The deepest nesting of lists, maps and structs a value may have. Deeper
/// values would make comparing, printing or freeing them recurse too deeply.
pub const MAX_NESTING: u32 = 100_000;

/// Checks that `v` may become an element of a container.
pub fn check_child(v: &Value) -> Result<(), crate::error::MemoError> {
    if v.nesting() >= MAX_NESTING {
        return Err(crate::error::MemoError::new(
            "LimitError",
            format!("value nested too deeply (more than {MAX_NESTING} levels of lists, maps and structs)"),
        ));
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeObj {
    pub start: i64,
    pub end: i64,
    pub inclusive: bool,
}

impl RangeObj {
    /// The exclusive end as an i128 (so `..=i64::MAX` keeps its last element).
    pub fn end_exclusive_wide(&self) -> i128 {
        self.end as i128 + self.inclusive as i128
    }
    pub fn len(&self) -> usize {
        (self.end_exclusive_wide() - self.start as i128).clamp(0, usize::MAX as i128) as usize
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

pub struct StructObj {
    pub ty: Arc<StructType>,
    pub fields: Box<[Value]>,
    pub may_mutate: bool,
    /// Nesting depth (1 + the deepest field's).
    pub depth: u32,
    pub hash: HashMemo,
}

impl Drop for StructObj {
    /// Deep structs free without deep recursion (`drop.rs`).
    fn drop(&mut self) {
        if self.depth < drop::DEEP {
            return;
        }
        drop::dropping(|out| {
            let fields = std::mem::take(&mut self.fields);
            if let Some(out) = out {
                out.extend(fields.into_vec().into_iter().filter(|x| !x.is_scalar()));
            }
        });
    }
}

impl Clone for StructObj {
    fn clone(&self) -> Self {
        StructObj {
            ty: self.ty.clone(),
            fields: self.fields.clone(),
            may_mutate: self.may_mutate,
            depth: self.depth,
            hash: HashMemo::new(),
        }
    }
}

impl Value {
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(crate::value::UArc::new(StrObj::new(s.into())))
    }

    /// The string of one character. The 128 ASCII ones are made once per
    /// process and shared (CPython does the same for Latin-1), so `s[i]`,
    /// `for c in s` and `chr(i)` allocate nothing for them. Sharing is
    /// invisible: a string is a value, and an update of a shared one copies.
    #[inline]
    pub fn char_str(c: char) -> Value {
        if c.is_ascii() {
            return ascii_strs()[c as usize].clone_fast();
        }
        Value::str(c.to_string())
    }

    pub fn list(items: ListItems) -> Value {
        let (mut may_mutate, mut depth) = (false, 0);
        for v in items.iter() {
            if !v.is_scalar() {
                may_mutate |= v.may_mutate();
                depth = depth.max(v.nesting());
            }
        }
        Value::List(crate::value::UArc::new(ListObj { items, may_mutate, depth: depth + 1, hash: HashMemo::new() }))
    }

    pub fn list_from(items: Vec<Value>) -> Value {
        Value::list(items.into())
    }

    pub fn map(map: ValueMap) -> Value {
        let may_mutate = map.iter().any(|(k, v)| k.may_mutate() || v.may_mutate());
        let depth = map.iter().map(|(k, v)| k.nesting().max(v.nesting())).max().unwrap_or(0) + 1;
        Value::Map(crate::value::UArc::new(MapObj { map, may_mutate, depth, hash: HashMemo::new() }))
    }

    pub fn range(start: i64, end: i64, inclusive: bool) -> Value {
        Value::Range(Arc::new(RangeObj { start, end, inclusive }))
    }

    pub fn new_struct(ty: Arc<StructType>, fields: Box<[Value]>) -> Value {
        let may_mutate = fields.iter().any(Value::may_mutate);
        let depth = fields.iter().map(Value::nesting).max().unwrap_or(0) + 1;
        Value::Struct(crate::value::UArc::new(StructObj { ty, fields, may_mutate, depth, hash: HashMemo::new() }))
    }

    /// Nesting depth: 0 for scalars, 1 for a flat list, map or struct.
    #[inline]
    pub fn nesting(&self) -> u32 {
        match self {
            Value::List(l) => l.depth,
            Value::Map(m) => m.depth,
            Value::Struct(s) => s.depth,
            _ => 0,
        }
    }

    /// A shared cell (made outside an interpreter; scripts' cells are
    /// made by `Interp::new_cell`, owned by their interpreter).
    pub fn cell(v: Value) -> Value {
        Value::Cell(Arc::new(CellObj::new_shared(v)))
    }

    /// A builtin type's value (one per process: no allocation).
    pub fn builtin_type(t: BuiltinType) -> Value {
        static ALL: OnceLock<Vec<Arc<TypeValue>>> = OnceLock::new();
        let all = ALL.get_or_init(|| BuiltinType::ALL.iter().map(|b| Arc::new(TypeValue::Builtin(*b))).collect());
        Value::Type(all[t as usize].clone())
    }

    /// `type(x)`: the type value, without making one when it exists (a
    /// builtin type's, a struct's declared one).
    pub fn type_value(&self) -> Value {
        let ty = match self {
            Value::Struct(s) => &s.ty,
            Value::Obj(o) => &o.ty,
            Value::Object(o) => return Value::Type(Arc::new(TypeValue::Native(o.ty.clone()))),
            _ => match self.type_of() {
                TypeValue::Builtin(b) => return Value::builtin_type(b),
                other => return Value::Type(Arc::new(other)),
            },
        };
        match ty.this.upgrade() {
            Some(t) => Value::Type(t),
            None => Value::Type(Arc::new(TypeValue::Struct(ty.clone()))),
        }
    }

    /// True when a cell, a native object or a function is reachable from
    /// this value, so its hash can change after it was made: a cell's or
    /// object's content can change, and a function's hash includes what the
    /// globals it reads hold now. Such values never memoize their hash, are
    /// never compared by identity for a cache hit, and are re-checked for
    /// mutation on a hit (functions then by their own code only).
    pub fn may_mutate(&self) -> bool {
        match self {
            Value::List(l) => l.may_mutate,
            Value::Map(m) => m.may_mutate,
            Value::Struct(s) => s.may_mutate,
            Value::Cell(_) | Value::Object(_) | Value::Func(_) | Value::Obj(_) => true,
            _ => false,
        }
    }

    /// The value's type, as the language's `type(x)` returns it.
    pub fn type_of(&self) -> TypeValue {
        match self {
            Value::None => TypeValue::Builtin(BuiltinType::None),
            Value::Bool(_) => TypeValue::Builtin(BuiltinType::Bool),
            Value::Int(_) => TypeValue::Builtin(BuiltinType::Int),
            Value::Float(_) => TypeValue::Builtin(BuiltinType::Float),
            Value::Str(_) => TypeValue::Builtin(BuiltinType::Str),
            Value::List(_) => TypeValue::Builtin(BuiltinType::List),
            Value::Map(_) => TypeValue::Builtin(BuiltinType::Map),
            Value::Range(_) => TypeValue::Builtin(BuiltinType::Range),
            Value::Func(_) | Value::Native(_) => TypeValue::Builtin(BuiltinType::Fn),
            Value::Cell(_) => TypeValue::Builtin(BuiltinType::Cell),
            Value::Type(_) => TypeValue::Builtin(BuiltinType::Type),
            Value::Struct(s) => TypeValue::Struct(s.ty.clone()),
            Value::Obj(o) => TypeValue::Struct(o.ty.clone()),
            Value::Object(o) => TypeValue::Native(o.ty.clone()),
        }
    }

    /// The name of the value's type (`int`, `Point`, `Connection`).
    pub fn type_name(&self) -> &str {
        match self {
            Value::None => "none",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "str",
            Value::List(_) => "list",
            Value::Map(_) => "map",
            Value::Range(_) => "range",
            Value::Func(_) | Value::Native(_) => "fn",
            Value::Cell(_) => "cell",
            Value::Type(_) => "type",
            Value::Struct(s) => &s.ty.name,
            Value::Obj(o) => &o.ty.name,
            Value::Object(o) => &o.ty.name,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(&s.s),
            _ => None,
        }
    }

    pub fn is_none(&self) -> bool {
        matches!(self, Value::None)
    }

    /// Owns no heap value (none, bool, int, float): forgetting it is the
    /// same as dropping it, which lets hot paths skip the drop glue.
    #[inline(always)]
    pub fn is_scalar(&self) -> bool {
        matches!(self, Value::None | Value::Bool(_) | Value::Int(_) | Value::Float(_))
    }

    #[inline(always)]
    pub const fn bool(b: bool) -> Value {
        Value::Bool(BoolWord::new(b))
    }

    #[inline(always)]
    pub fn float(x: f64) -> Value {
        Value::Float(FloatWord::new(x))
    }

    /// A clone that copies scalars inline (one tag test instead of
    /// `clone`'s match over every variant).
    #[inline(always)]
    pub fn clone_fast(&self) -> Value {
        if self.is_scalar() {
            // SAFETY: scalars own nothing; a bitwise copy is a clone.
            unsafe { std::ptr::read(self) }
        } else {
            self.clone()
        }
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}
impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::float(f)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::bool(b)
    }
}
impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::str(s)
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::str(s)
    }
}

/// A deterministic xorshift generator for the model tests of the list and
/// map forms: `next(n)` is in `0..n` (0 when `n` is 0).
#[cfg(test)]
fn test_rng(mut seed: u64) -> impl FnMut(usize) -> usize {
    move |n| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n.max(1) as u64) as usize
    }
}
