//! The standard library implemented in Rust (spec §4). One file per area:
//! `core` (printing, conversions, types, errors), `collections`, `strings`,
//! `system` (time, files, params). The cache natives live in
//! `crate::cache::natives`. `call_type` makes type values callable
//! (`int("3")`, `cell(0)`, `Point(1, 2)`).

pub(crate) mod collections;
pub(crate) mod core;
pub mod data;
mod sorting;
mod strings;
pub(crate) mod system;

use crate::error::{MemoError, Result};
use crate::interp::Interp;
use crate::value::{BuiltinType, TypeValue, Value};
use std::sync::Arc;

/// Signature of a builtin native.
pub type Builtin = fn(&mut Interp, &mut [Value]) -> Result<Value>;

/// Every builtin name (natives and type values), for `reset_globals`.
pub fn is_builtin_name(name: &str) -> bool {
    BUILTIN_NAMES.with(|n| n.contains(&name))
}

thread_local! {
    static BUILTIN_NAMES: Vec<&'static str> = {
        let mut v: Vec<&'static str> = Vec::new();
        v.extend(TYPE_GLOBALS.iter().map(|(n, _)| *n));
        v.extend(data::TYPE_NAMES);
        for table in [core::NATIVES, collections::NATIVES, strings::NATIVES, system::NATIVES, data::NATIVES, crate::cache::natives::NATIVES] {
            v.extend(table.iter().map(|(n, _)| *n));
        }
        v
    };
}

/// Globals that are type values.
const TYPE_GLOBALS: &[(&str, BuiltinType)] = &[
    ("int", BuiltinType::Int),
    ("float", BuiltinType::Float),
    ("str", BuiltinType::Str),
    ("bool", BuiltinType::Bool),
    ("list", BuiltinType::List),
    ("range", BuiltinType::Range),
    ("cell", BuiltinType::Cell),
];

/// Installs the standard library as globals.
pub fn register_all(interp: &mut Interp) {
    for (name, t) in TYPE_GLOBALS {
        interp.set_global(name, Value::builtin_type(*t));
    }
    for table in
        [core::NATIVES, collections::NATIVES, strings::NATIVES, system::NATIVES, data::NATIVES, crate::cache::natives::NATIVES]
    {
        for (name, f) in table {
            let f = *f;
            interp.register_native(name, Arc::new(f));
        }
    }
    data::register_types(interp);
    if let Some(Value::Native(f)) = interp.get_global("push") {
        interp.builtin_push = Some(f);
    }
}

/// Calls a type value: a conversion (`int("3")`), a constructor
/// (`cell(0)`, `range(0, 10, 2)`) or a struct constructor, positional or
/// named (`Point(x: 1, y: 2)`). `names` is empty or one entry per argument.
pub fn call_type(interp: &mut Interp, t: &TypeValue, args: &mut [Value], names: &[Option<String>]) -> Result<Value> {
    match t {
        TypeValue::Struct(st) => {
            let n = st.fields.len();
            if names.is_empty() && args.len() == n {
                // `Point(1, 2)`: the arguments are the fields, in order.
                let fields: Box<[Value]> = args.iter_mut().map(std::mem::take).collect();
                return Ok(Value::new_struct(st.clone(), fields));
            }
            let mut fields: Vec<Option<Value>> = vec![None; n];
            let argc = args.len();
            for (i, a) in args.iter_mut().enumerate() {
                let v = std::mem::replace(a, Value::None);
                match names.get(i).and_then(|n| n.as_deref()) {
                    None => {
                        if i >= n {
                            return Err(MemoError::new(
                                "TypeError",
                                format!(
                                    "struct `{}` has {n} field{}, got {argc} argument{}",
                                    st.name,
                                    if n == 1 { "" } else { "s" },
                                    if argc == 1 { "" } else { "s" }
                                ),
                            ));
                        }
                        fields[i] = Some(v);
                    }
                    Some(name) => {
                        let Some(fi) = st.field_index(name) else {
                            return Err(MemoError::new("TypeError", format!("struct `{}` has no field `{name}`", st.name)));
                        };
                        if fields[fi].is_some() {
                            return Err(MemoError::new("TypeError", format!("field `{name}` of `{}` given twice", st.name)));
                        }
                        fields[fi] = Some(v);
                    }
                }
            }
            let mut out = Vec::with_capacity(n);
            for (i, f) in fields.into_iter().enumerate() {
                match f {
                    Some(v) => out.push(v),
                    None => {
                        return Err(MemoError::new(
                            "TypeError",
                            format!("missing field `{}` in `{}(...)`", st.fields[i], st.name),
                        ))
                    }
                }
            }
            Ok(Value::new_struct(st.clone(), out.into_boxed_slice()))
        }
        TypeValue::Native(n) => {
            Err(MemoError::new("TypeError", format!("`{}` values are made by the host, not by calling the type", n.name)))
        }
        TypeValue::Builtin(b) => {
            if !names.is_empty() && names.iter().any(Option::is_some) {
                return Err(MemoError::new("TypeError", format!("`{}` takes no named arguments", b.name())));
            }
            core::convert(interp, *b, args)
        }
    }
}

/// Checks the number of arguments of a native (inline: every native call
/// runs it; the message is built out of line).
#[inline]
pub fn arity(name: &str, args: &[Value], min: usize, max: usize) -> Result<()> {
    if args.len() < min || args.len() > max {
        return Err(arity_error(name, args.len(), min, max));
    }
    Ok(())
}

#[cold]
#[inline(never)]
fn arity_error(name: &str, got: usize, min: usize, max: usize) -> MemoError {
    let want = if min == max {
        format!("{min}")
    } else if max == usize::MAX {
        format!("at least {min}")
    } else {
        format!("{min} to {max}")
    };
    MemoError::new(
        "TypeError",
        format!(
            "{name}() takes {want} argument{}, got {got}",
            if max == 1 || (min == 1 && max == usize::MAX) { "" } else { "s" }
        ),
    )
}

/// A `TypeError` for an argument of the wrong type.
pub fn bad_arg(name: &str, what: &str, got: &Value) -> MemoError {
    MemoError::new("TypeError", format!("{name}() expects {what}, got {}", got.type_name()))
}
