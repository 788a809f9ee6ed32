//! Types as values: builtin types, struct types and host (native) types.

use super::Hash32;
use std::any::Any;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BuiltinType {
    None,
    Bool,
    Int,
    Float,
    Str,
    List,
    Map,
    Range,
    Fn,
    Cell,
    Type,
}

impl BuiltinType {
    /// Every builtin type, in declaration order (`ALL[t as usize] == t`).
    pub const ALL: [BuiltinType; 11] = [
        BuiltinType::None,
        BuiltinType::Bool,
        BuiltinType::Int,
        BuiltinType::Float,
        BuiltinType::Str,
        BuiltinType::List,
        BuiltinType::Map,
        BuiltinType::Range,
        BuiltinType::Fn,
        BuiltinType::Cell,
        BuiltinType::Type,
    ];

    pub fn name(self) -> &'static str {
        match self {
            BuiltinType::None => "none",
            BuiltinType::Bool => "bool",
            BuiltinType::Int => "int",
            BuiltinType::Float => "float",
            BuiltinType::Str => "str",
            BuiltinType::List => "list",
            BuiltinType::Map => "map",
            BuiltinType::Range => "range",
            BuiltinType::Fn => "fn",
            BuiltinType::Cell => "cell",
            BuiltinType::Type => "type",
        }
    }

    pub fn from_name(name: &str) -> Option<BuiltinType> {
        Some(match name {
            "none" => BuiltinType::None,
            "bool" => BuiltinType::Bool,
            "int" => BuiltinType::Int,
            "float" => BuiltinType::Float,
            "str" => BuiltinType::Str,
            "list" => BuiltinType::List,
            "map" => BuiltinType::Map,
            "range" => BuiltinType::Range,
            "fn" => BuiltinType::Fn,
            "cell" => BuiltinType::Cell,
            "type" => BuiltinType::Type,
            _ => return None,
        })
    }
}

/// A `struct Name { fields }` declaration (`mut struct`: `mutable`). Two
/// struct types are the same type when name, field names and mutability
/// agree (so a re-run that re-declares a struct still matches values cached
/// by the previous run).
#[derive(Debug)]
pub struct StructType {
    pub name: String,
    pub fields: Vec<String>,
    /// Instances are mutable objects (`Value::Obj`), not values.
    pub mutable: bool,
    /// Unique to this type value for the whole process (never reused,
    /// unlike an address): what field-access caches are keyed by.
    pub uid: u64,
    /// The type value declaring it (`StructType::declare`), so that
    /// `type(x)` hands it out instead of making a new one.
    pub this: std::sync::Weak<TypeValue>,
}

impl PartialEq for StructType {
    fn eq(&self, other: &Self) -> bool {
        // The same declaration first (one compare), then the cheap
        // differences, before any string is compared.
        self.uid == other.uid
            || (self.mutable == other.mutable
                && self.fields.len() == other.fields.len()
                && self.name == other.name
                && self.fields == other.fields)
    }
}

impl Eq for StructType {}

impl StructType {
    /// A struct type with no type value of its own (one decoded from the
    /// disk cache): `type(x)` makes one when asked.
    pub fn new(name: String, fields: Vec<String>, mutable: bool) -> StructType {
        StructType { name, fields, mutable, uid: next_uid(), this: std::sync::Weak::new() }
    }

    /// The type value of a `struct` declaration, which its instances'
    /// `type(x)` returns.
    pub fn declare(name: String, fields: Vec<String>, mutable: bool) -> Arc<TypeValue> {
        Arc::new_cyclic(|this| {
            TypeValue::Struct(Arc::new(StructType { name, fields, mutable, uid: next_uid(), this: this.clone() }))
        })
    }

    /// Field names are short: compared inline, without a call to `memcmp`.
    #[inline]
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.len() == name.len() && f.bytes().zip(name.bytes()).all(|(a, b)| a == b))
    }
}

fn next_uid() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// How a host hashes its native objects (`None`: the type has no hash).
pub type NativeHashFn = Arc<dyn Fn(&(dyn Any + Send + Sync)) -> Hash32 + Send + Sync>;

/// A type of host objects (e.g. SQLite's `Connection`).
pub struct NativeType {
    pub name: String,
    pub hash: Option<NativeHashFn>,
}

impl std::fmt::Debug for NativeType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NativeType({})", self.name)
    }
}

/// An opaque host object; the only values besides cells that can change in place.
pub struct NativeObject {
    pub ty: Arc<NativeType>,
    pub data: Box<dyn Any + Send + Sync>,
}

impl NativeObject {
    /// Identity of the object (what `id(x)` returns).
    pub fn identity(self: &Arc<Self>) -> usize {
        Arc::as_ptr(self) as *const u8 as usize
    }
}

/// A type value (`int`, `Point`, `Connection`, ...).
#[derive(Debug, Clone)]
pub enum TypeValue {
    Builtin(BuiltinType),
    Struct(Arc<StructType>),
    Native(Arc<NativeType>),
}

impl TypeValue {
    pub fn name(&self) -> &str {
        match self {
            TypeValue::Builtin(b) => b.name(),
            TypeValue::Struct(s) => &s.name,
            TypeValue::Native(n) => &n.name,
        }
    }
}

impl PartialEq for TypeValue {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (TypeValue::Builtin(a), TypeValue::Builtin(b)) => a == b,
            (TypeValue::Struct(a), TypeValue::Struct(b)) => a == b,
            (TypeValue::Native(a), TypeValue::Native(b)) => a.name == b.name,
            _ => false,
        }
    }
}
