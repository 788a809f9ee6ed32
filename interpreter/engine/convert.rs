//! Conversions between Rust values and memo [`Value`]s.
//!
//! * Rust → memo: `Value::from(x)` / `x.into()` for `i64` (and the smaller
//!   integer types), `f64`, `f32`, `bool`, `String`, `&str`, `()` (→ `none`),
//!   `Option<T>` (`None` → `none`), `Vec<T>` and slices (→ list),
//!   `HashMap<String, T>` / `BTreeMap<String, T>` (→ map).
//! * memo → Rust: [`FromValue`] (used by [`Engine::get`](super::Engine::get)
//!   and by the typed arguments of
//!   [`Engine::register_fn`](super::Engine::register_fn)), and `TryFrom<Value>`
//!   for the same types. Conversions are strict: an int is not a bool, a
//!   float is not an int; an int converts to `f64` (memo mixes them freely).
//! * Arguments of [`Engine::call`](super::Engine::call): anything
//!   [`IntoArgs`]: `()`, a tuple of up to 6 convertible values, a
//!   `Vec<Value>`, a `&[Value]` or an array of `Value`s.

use super::Error;
use crate::error::MemoError;
use crate::value::{NativeObject, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// A Rust type a memo value can be converted into.
///
/// ```
/// use memo::{FromValue, Value};
///
/// assert_eq!(i64::from_value(Value::Int(3)).unwrap(), 3);
/// assert_eq!(f64::from_value(Value::Int(3)).unwrap(), 3.0);
/// assert_eq!(Option::<String>::from_value(Value::None).unwrap(), None);
/// let e = bool::from_value(Value::Int(1)).unwrap_err();
/// assert_eq!(e.kind, "TypeError");
/// ```
pub trait FromValue: Sized {
    /// Converts, or explains (a `TypeError`, or `OverflowError` for an int
    /// out of the target's range) why not.
    fn from_value(v: Value) -> Result<Self, MemoError>;
}

fn expected(what: &str, got: &Value) -> MemoError {
    MemoError::new("TypeError", format!("expected {what}, got {}", got.type_name()))
}

impl FromValue for Value {
    fn from_value(v: Value) -> Result<Self, MemoError> {
        Ok(v)
    }
}

impl FromValue for i64 {
    fn from_value(v: Value) -> Result<Self, MemoError> {
        match v {
            Value::Int(i) => Ok(i),
            other => Err(expected("an int", &other)),
        }
    }
}

macro_rules! small_int {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(v: Value) -> Result<Self, MemoError> {
                let i = i64::from_value(v)?;
                <$t>::try_from(i).map_err(|_| {
                    MemoError::new("OverflowError", format!("{i} does not fit in a {}", stringify!($t)))
                })
            }
        }
        impl From<$t> for Value {
            fn from(x: $t) -> Value {
                Value::Int(x as i64)
            }
        }
    )*};
}
small_int!(i8, i16, i32, u8, u16, u32);

impl FromValue for u64 {
    fn from_value(v: Value) -> Result<Self, MemoError> {
        let i = i64::from_value(v)?;
        u64::try_from(i).map_err(|_| MemoError::new("OverflowError", format!("{i} does not fit in a u64")))
    }
}

impl FromValue for usize {
    fn from_value(v: Value) -> Result<Self, MemoError> {
        let i = i64::from_value(v)?;
        usize::try_from(i).map_err(|_| MemoError::new("OverflowError", format!("{i} does not fit in a usize")))
    }
}

impl FromValue for f64 {
    fn from_value(v: Value) -> Result<Self, MemoError> {
        match v {
            Value::Float(f) => Ok(f.get()),
            Value::Int(i) => Ok(i as f64),
            other => Err(expected("a number", &other)),
        }
    }
}

impl FromValue for f32 {
    fn from_value(v: Value) -> Result<Self, MemoError> {
        f64::from_value(v).map(|f| f as f32)
    }
}

impl From<f32> for Value {
    fn from(f: f32) -> Value {
        Value::float(f as f64)
    }
}

impl FromValue for bool {
    fn from_value(v: Value) -> Result<Self, MemoError> {
        match v {
            Value::Bool(b) => Ok(b.get()),
            other => Err(expected("a bool", &other)),
        }
    }
}

impl FromValue for String {
    fn from_value(v: Value) -> Result<Self, MemoError> {
        match v {
            Value::Str(s) => Ok(crate::value::UArc::try_unwrap(s).map(|s| s.s).unwrap_or_else(|s| s.s.clone())),
            other => Err(expected("a str", &other)),
        }
    }
}

impl FromValue for () {
    fn from_value(v: Value) -> Result<Self, MemoError> {
        match v {
            Value::None => Ok(()),
            other => Err(expected("none", &other)),
        }
    }
}

impl From<()> for Value {
    fn from(_: ()) -> Value {
        Value::None
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: Value) -> Result<Self, MemoError> {
        match v {
            Value::None => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(o: Option<T>) -> Value {
        match o {
            Some(x) => x.into(),
            None => Value::None,
        }
    }
}

impl<T: FromValue> FromValue for Vec<T> {
    fn from_value(v: Value) -> Result<Self, MemoError> {
        match v {
            Value::List(l) => l
                .items
                .iter()
                .enumerate()
                .map(|(i, x)| {
                    T::from_value(x.clone())
                        .map_err(|e| MemoError::new(e.kind.clone(), format!("list element {i}: {}", e.message)))
                })
                .collect(),
            other => Err(expected("a list", &other)),
        }
    }
}

impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(v: Vec<T>) -> Value {
        Value::list(v.into_iter().map(Into::into).collect())
    }
}

impl<T: Clone + Into<Value>> From<&[T]> for Value {
    fn from(v: &[T]) -> Value {
        Value::list(v.iter().cloned().map(Into::into).collect())
    }
}

/// The entries of a map whose keys must all be strs.
fn str_entries<T: FromValue>(v: Value) -> Result<Vec<(String, T)>, MemoError> {
    match v {
        Value::Map(m) => m
            .map
            .iter()
            .map(|(k, x)| {
                let Value::Str(k) = k else {
                    return Err(MemoError::new(
                        "TypeError",
                        format!("expected a map with str keys, found the key {}", crate::value::repr_prefix(k, 200)),
                    ));
                };
                let x = T::from_value(x.clone())
                    .map_err(|e| MemoError::new(e.kind.clone(), format!("map value at {:?}: {}", k.s, e.message)))?;
                Ok((k.s.clone(), x))
            })
            .collect(),
        other => Err(expected("a map", &other)),
    }
}

impl<T: FromValue> FromValue for HashMap<String, T> {
    fn from_value(v: Value) -> Result<Self, MemoError> {
        str_entries(v).map(|e| e.into_iter().collect())
    }
}

impl<T: FromValue> FromValue for BTreeMap<String, T> {
    fn from_value(v: Value) -> Result<Self, MemoError> {
        str_entries(v).map(|e| e.into_iter().collect())
    }
}

fn map_from<K: Into<String>, T: Into<Value>>(it: impl IntoIterator<Item = (K, T)>) -> Value {
    Value::map(it.into_iter().map(|(k, v)| (Value::str(k.into()), v.into())).collect())
}

impl<K: Into<String>, T: Into<Value>, S> From<HashMap<K, T, S>> for Value {
    fn from(m: HashMap<K, T, S>) -> Value {
        map_from(m)
    }
}

impl<K: Into<String>, T: Into<Value>> From<BTreeMap<K, T>> for Value {
    fn from(m: BTreeMap<K, T>) -> Value {
        map_from(m)
    }
}

/// A native object (a `Connection`, or a host's [`HostType`](super::HostType)
/// value); use `HostType::get` to reach the Rust value inside.
impl FromValue for Arc<NativeObject> {
    fn from_value(v: Value) -> Result<Self, MemoError> {
        match v {
            Value::Object(o) => Ok(o),
            other => Err(expected("a native object", &other)),
        }
    }
}

// `TryFrom<Value>` for hosts that prefer the standard traits.
macro_rules! try_from_value {
    ($($t:ty),*) => {$(
        impl TryFrom<Value> for $t {
            type Error = Error;
            fn try_from(v: Value) -> Result<Self, Error> {
                <$t as FromValue>::from_value(v).map_err(Error::from)
            }
        }
    )*};
}
try_from_value!(i64, i32, u32, u64, usize, f64, bool, String, ());

impl<T: FromValue> TryFrom<Value> for Vec<T> {
    type Error = Error;
    fn try_from(v: Value) -> Result<Self, Error> {
        <Vec<T> as FromValue>::from_value(v).map_err(Error::from)
    }
}

impl<T: FromValue> TryFrom<Value> for HashMap<String, T> {
    type Error = Error;
    fn try_from(v: Value) -> Result<Self, Error> {
        <HashMap<String, T> as FromValue>::from_value(v).map_err(Error::from)
    }
}

impl<T: FromValue> TryFrom<Value> for BTreeMap<String, T> {
    type Error = Error;
    fn try_from(v: Value) -> Result<Self, Error> {
        <BTreeMap<String, T> as FromValue>::from_value(v).map_err(Error::from)
    }
}

/// The arguments of a call from Rust: `()`, a tuple of up to 6 values that
/// convert into [`Value`], or a `Vec<Value>`, `&[Value]` or `[Value; N]`.
///
/// ```
/// use memo::{IntoArgs, Value};
///
/// assert_eq!(().into_args().len(), 0);
/// assert_eq!((1, "a", 2.5).into_args().len(), 3);
/// assert_eq!(vec![Value::Int(1)].into_args().len(), 1);
/// ```
pub trait IntoArgs {
    fn into_args(self) -> Vec<Value>;
}

impl IntoArgs for () {
    fn into_args(self) -> Vec<Value> {
        Vec::new()
    }
}

impl IntoArgs for Vec<Value> {
    fn into_args(self) -> Vec<Value> {
        self
    }
}

impl IntoArgs for &[Value] {
    fn into_args(self) -> Vec<Value> {
        self.to_vec()
    }
}

impl<const N: usize> IntoArgs for [Value; N] {
    fn into_args(self) -> Vec<Value> {
        self.into()
    }
}

impl<const N: usize> IntoArgs for &[Value; N] {
    fn into_args(self) -> Vec<Value> {
        self.to_vec()
    }
}

macro_rules! tuple_args {
    ($($a:ident),+) => {
        impl<$($a: Into<Value>),+> IntoArgs for ($($a,)+) {
            #[allow(non_snake_case)]
            fn into_args(self) -> Vec<Value> {
                let ($($a,)+) = self;
                vec![$($a.into()),+]
            }
        }
    };
}
tuple_args!(A);
tuple_args!(A, B);
tuple_args!(A, B, C);
tuple_args!(A, B, C, D);
tuple_args!(A, B, C, D, E);
tuple_args!(A, B, C, D, E, F);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let v: Value = vec![1i64, 2, 3].into();
        assert_eq!(Vec::<i64>::from_value(v).unwrap(), vec![1, 2, 3]);
        let mut m = HashMap::new();
        m.insert("a".to_string(), 1.5);
        let v: Value = m.clone().into();
        assert_eq!(HashMap::<String, f64>::from_value(v).unwrap(), m);
        let v: Value = Some("x").into();
        assert_eq!(Option::<String>::from_value(v).unwrap().as_deref(), Some("x"));
        assert!(matches!(Value::from(()), Value::None));
        assert_eq!(u8::from_value(Value::Int(300)).unwrap_err().kind, "OverflowError");
        let e = Vec::<i64>::from_value(Value::list_from(vec![Value::Int(1), Value::str("x")])).unwrap_err();
        assert_eq!(e.message, "list element 1: expected an int, got str");
        let n: i64 = Value::Int(4).try_into().unwrap();
        assert_eq!(n, 4);
    }
}
