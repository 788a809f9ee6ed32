//! Host functions with typed arguments ([`IntoNative`]) and host object
//! types ([`HostType`]).

use super::{Error, FromValue};
use crate::error::MemoError;
use crate::value::{Hash32, NativeImpl, NativeObject, NativeType, TypeValue, Value};
use std::any::Any;
use std::marker::PhantomData;
use std::sync::Arc;

/// How a host type hashes its objects (`NativeType::hash`).
type HashFn = Arc<dyn Fn(&(dyn Any + Send + Sync)) -> Hash32 + Send + Sync>;

/// What a host function may return: any value that converts into a
/// [`Value`], or a `Result` of one whose error converts into a memo error
/// ([`IntoMemoError`]).
pub trait NativeReturn {
    fn into_result(self) -> Result<Value, MemoError>;
}

impl<T: Into<Value>> NativeReturn for T {
    fn into_result(self) -> Result<Value, MemoError> {
        Ok(self.into())
    }
}

impl<T: Into<Value>, E: IntoMemoError> NativeReturn for Result<T, E> {
    fn into_result(self) -> Result<Value, MemoError> {
        self.map(Into::into).map_err(IntoMemoError::into_memo_error)
    }
}

/// An error a host function may return. A [`MemoError`] (or an engine
/// [`Error`]) keeps its kind; a `String` or `&str` becomes an error of kind
/// `"Error"` (what the script's `catch e` sees as `e["kind"]`), an
/// `std::io::Error` one of kind `"IOError"`.
pub trait IntoMemoError {
    fn into_memo_error(self) -> MemoError;
}

impl IntoMemoError for MemoError {
    fn into_memo_error(self) -> MemoError {
        self
    }
}

impl IntoMemoError for Error {
    fn into_memo_error(self) -> MemoError {
        self.into_memo_error()
    }
}

impl IntoMemoError for String {
    fn into_memo_error(self) -> MemoError {
        MemoError::new("Error", self)
    }
}

impl IntoMemoError for &str {
    fn into_memo_error(self) -> MemoError {
        MemoError::new("Error", self)
    }
}

impl IntoMemoError for std::io::Error {
    fn into_memo_error(self) -> MemoError {
        MemoError::new("IOError", self.to_string())
    }
}

impl IntoMemoError for Box<dyn std::error::Error + Send + Sync> {
    fn into_memo_error(self) -> MemoError {
        MemoError::new("Error", self.to_string())
    }
}

/// A Rust closure usable as a memo function: `Fn(A, B, ...) -> R` with up
/// to 4 arguments, each [`FromValue`], returning a [`NativeReturn`].
/// `Args` is the tuple of argument types (inferred; you never name it).
pub trait IntoNative<Args>: Send + Sync + 'static {
    /// The native implementation; `name` is used in error messages.
    fn into_native(self, name: &str) -> NativeImpl;
}

fn arity_error(name: &str, want: usize, got: usize) -> MemoError {
    MemoError::new("TypeError", format!("{name}() takes {want} argument{}, got {got}", if want == 1 { "" } else { "s" }))
}

fn arg<T: FromValue>(name: &str, i: usize, v: &mut Value) -> Result<T, MemoError> {
    T::from_value(std::mem::take(v))
        .map_err(|e| MemoError::new(e.kind.clone(), format!("{name}() argument {}: {}", i + 1, e.message)))
}

macro_rules! into_native {
    ($n:expr; $($a:ident),*) => {
        impl<F, R, $($a),*> IntoNative<($($a,)*)> for F
        where
            F: Fn($($a),*) -> R + Send + Sync + 'static,
            R: NativeReturn,
            $($a: FromValue,)*
        {
            #[allow(non_snake_case, unused_mut, unused_variables, unused_assignments)]
            fn into_native(self, name: &str) -> NativeImpl {
                let name = name.to_string();
                Arc::new(move |_: &mut crate::interp::Interp, args: &mut [Value]| {
                    if args.len() != $n {
                        return Err(arity_error(&name, $n, args.len()));
                    }
                    let mut i = 0;
                    $(
                        let $a: $a = arg(&name, i, &mut args[i])?;
                        i += 1;
                    )*
                    (self)($($a),*).into_result()
                })
            }
        }
    };
}
into_native!(0;);
into_native!(1; A);
into_native!(2; A, B);
into_native!(3; A, B, C);
into_native!(4; A, B, C, D);

/// A host object type: wraps Rust values of type `T` into memo values (the
/// script sees an opaque object whose type prints as the name) and gets
/// them back. Cheap to clone; share one between engines with
/// [`Engine::add_type`](super::Engine::add_type).
///
/// With a hash function, objects of the type can be arguments of cached
/// fns (the hash stands for the object's content); without one, a cached fn
/// needs `cached(hash_funcs: {Name: id})` (or another fn) to take them, as
/// with SQLite's `Connection`.
///
/// ```
/// use memo::{Engine, HostType};
///
/// struct Counter(u64);
/// let counters: HostType<Counter> = HostType::new("Counter", Some(|c: &Counter| c.0.to_le_bytes().to_vec()));
/// let v = counters.wrap(Counter(7));
/// assert_eq!(counters.get(&v).map(|c| c.0), Some(7));
/// assert_eq!(v.type_name(), "Counter");
///
/// let mut engine = Engine::new();
/// engine.add_type(&counters);
/// engine.set("c", v);
/// assert_eq!(engine.run("str(type(c))").unwrap().as_str(), Some("Counter"));
/// ```
pub struct HostType<T> {
    ty: Arc<NativeType>,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for HostType<T> {
    fn clone(&self) -> Self {
        HostType { ty: self.ty.clone(), _t: PhantomData }
    }
}

impl<T> std::fmt::Debug for HostType<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HostType({})", self.ty.name)
    }
}

impl<T: Any + Send + Sync> HostType<T> {
    /// A new type named `name` (what `type(x)` prints, what errors and
    /// `hash_funcs` use). `hash`, when given, returns bytes that identify a
    /// value's content: equal bytes, same cache key.
    pub fn new(name: &str, hash: Option<fn(&T) -> Vec<u8>>) -> HostType<T> {
        let hash = hash.map(|h| {
            let f: HashFn = Arc::new(move |data: &(dyn Any + Send + Sync)| -> Hash32 {
                let mut hasher = blake3::Hasher::new();
                match data.downcast_ref::<T>() {
                    Some(t) => {
                        hasher.update(&h(t));
                    }
                    None => {
                        hasher.update(b"\xffforeign object");
                    }
                }
                *hasher.finalize().as_bytes()
            });
            f
        });
        HostType { ty: Arc::new(NativeType { name: name.to_string(), hash }), _t: PhantomData }
    }

    /// The type's name.
    pub fn name(&self) -> &str {
        &self.ty.name
    }

    /// Wraps a Rust value as a memo object of this type.
    pub fn wrap(&self, value: T) -> Value {
        Value::Object(Arc::new(NativeObject { ty: self.ty.clone(), data: Box::new(value) }))
    }

    /// The Rust value inside `v`, if `v` is an object of this type.
    pub fn get<'a>(&self, v: &'a Value) -> Option<&'a T> {
        match v {
            Value::Object(o) if Arc::ptr_eq(&o.ty, &self.ty) || o.ty.name == self.ty.name => o.data.downcast_ref::<T>(),
            _ => None,
        }
    }

    /// The type as a memo value (what the global named after it holds).
    pub fn type_value(&self) -> Value {
        Value::Type(Arc::new(TypeValue::Native(self.ty.clone())))
    }

    /// The underlying native type.
    pub fn native_type(&self) -> &Arc<NativeType> {
        &self.ty
    }
}
