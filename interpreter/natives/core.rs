//! Core natives (spec §4): `print`, `repr`, `type`, `len`, `hash`, `id`,
//! `error`, `assert`, `get`, `set` (`format` has its own file), and
//! `convert`, which makes the builtin type values callable (`int("3")`, `float(x)`, `str(x)`, `bool(s)`,
//! `list(r)`, `range(a, b[, step])`, `cell(v)`).

use super::{arity, bad_arg, Builtin};
use crate::error::{MemoError, Result};
use crate::hashing::value_hash::{digest, HashCx};
use crate::interp::Interp;
use crate::value::Value;
use std::io::Write;
use std::sync::Arc;

pub const NATIVES: &[(&str, Builtin)] = &[
    ("print", print),
    ("repr", repr_native),
    ("type", type_native),
    ("len", len),
    ("hash", hash),
    ("id", id),
    ("error", error),
    ("assert", assert),
    ("get", get),
    ("set", set),
];

/// Appends the `print`/`str` form of a value (strings raw) without copying
/// a string argument first; the walk counts against the run's budget.
fn push_display(interp: &mut Interp, out: &mut String, v: &Value) -> Result<()> {
    match v {
        Value::Str(s) => {
            interp.charge_bytes(s.s.len())?;
            out.push_str(&s.s)
        }
        other => out.push_str(&repr_metered(interp, other)?),
    }
    Ok(())
}

/// `repr(v)` of at most `max_collection_len` bytes, its walk counted
/// against the run's budget (`value/meter.rs`).
pub(crate) fn repr_metered(interp: &mut Interp, v: &Value) -> Result<String> {
    interp.repr_metered(v)
}

/// What `print(v)` / `str(v)` shows, within the same bounds as
/// [`repr_metered`].
pub(crate) fn display_metered(interp: &mut Interp, v: &Value) -> Result<String> {
    match v {
        Value::Str(s) => {
            interp.charge_bytes(s.s.len())?;
            Ok(s.s.clone())
        }
        other => repr_metered(interp, other),
    }
}

/// `print(a, b, ...)`: the arguments' display forms joined by one space, then
/// a newline, written to the interpreter's output.
fn print(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    crate::cache::note_print(interp);
    let mut line = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            line.push(' ');
        }
        push_display(interp, &mut line, a)?;
    }
    line.push('\n');
    interp.out.write_all(line.as_bytes()).map_err(|e| MemoError::new("IOError", format!("cannot write output: {e}")))?;
    Ok(Value::None)
}

/// `repr(x)`: the quoted form of any value.
fn repr_native(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("repr", args, 1, 1)?;
    Ok(Value::str(repr_metered(interp, &args[0])?))
}

/// `type(x)`: x's type, as a type value.
fn type_native(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("type", args, 1, 1)?;
    Ok(interp.type_value(&args[0]))
}

/// `len(x)`: characters of a string, elements of a list, map or range.
fn len(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("len", args, 1, 1)?;
    let n = match &args[0] {
        Value::Str(s) => {
            if !s.ascii {
                interp.charge_bytes(s.s.len())?;
            }
            s.char_len()
        }
        Value::List(l) => l.items.len(),
        Value::Map(m) => m.map.len(),
        Value::Range(r) => r.len(),
        other => return Err(bad_arg("len", "a str, list, map or range", other)),
    };
    i64::try_from(n).map(Value::Int).map_err(|_| {
        MemoError::new("OverflowError", format!("len() of {} does not fit in an int", crate::value::repr_prefix(&args[0], 80)))
    })
}

/// `hash(x)`: the structural hash (the one cache keys use) as 64 hex digits.
fn hash(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("hash", args, 1, 1)?;
    let what = || "the argument of hash()".to_string();
    let d = digest(interp, &args[0], &HashCx { hash_funcs: &[], what: &what, shallow_fns: false })?;
    Ok(Value::str(hex(&d)))
}

/// Lowercase hex of bytes.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// `id(x)`: the identity of a mutable object (a cell, a `mut struct`
/// instance) or native object, as an int.
fn id(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("id", args, 1, 1)?;
    match &args[0] {
        Value::Cell(c) => Ok(Value::Int(Arc::as_ptr(c) as usize as i64)),
        Value::Obj(o) => Ok(Value::Int(o.identity() as i64)),
        Value::Object(o) => Ok(Value::Int(o.identity() as i64)),
        other => Err(MemoError::new(
            "TypeError",
            format!(
                "id() needs a mutable object (a cell, a mut struct) or a native object, got {}; immutable values have no identity (compare them with ==)",
                other.type_name()
            ),
        )),
    }
}

/// `error(msg)`: raises an error of kind `Error`.
fn error(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("error", args, 1, 1)?;
    Err(MemoError::new("Error", display_metered(interp, &args[0])?))
}

/// `assert(cond[, msg])`: raises `AssertionError` when `cond` is false.
fn assert(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("assert", args, 1, 2)?;
    match &args[0] {
        Value::Bool(b) if b.get() => Ok(Value::None),
        Value::Bool(_) => {
            let msg = match args.get(1) {
                Some(m) => display_metered(interp, m)?,
                None => "assertion failed".to_string(),
            };
            Err(MemoError::new("AssertionError", msg))
        }
        other => Err(MemoError::new(
            "TypeError",
            format!("assert() expects a bool condition, got {} (memo has no truthiness)", other.type_name()),
        )),
    }
}

/// `get(map, key[, default])`, `get(list, index[, default])` (the default,
/// `none` unless given, when the key is missing or the index out of range),
/// and `get(cell)`: the cell's current value.
fn get(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("get", args, 1, 3)?;
    let found = match &args[0] {
        Value::Cell(c) => {
            if args.len() != 1 {
                return Err(MemoError::new("TypeError", format!("get() on a cell takes no other argument, got {}", args.len())));
            }
            return c.get(interp.reader()).ok_or_else(crate::value::object::foreign_cell);
        }
        Value::Map(m) => {
            if args.len() < 2 {
                return Err(MemoError::new("TypeError", "get() on a map needs a key: get(m, key[, default])"));
            }
            interp.charge_key(&args[1], m.map.len())?;
            m.map.get(&args[1]).cloned()
        }
        Value::List(l) => {
            if args.len() < 2 {
                return Err(MemoError::new("TypeError", "get() on a list needs an index: get(xs, i[, default])"));
            }
            let Value::Int(i) = args[1] else {
                return Err(MemoError::new(
                    "TypeError",
                    format!("get() on a list needs an int index, got {}", args[1].type_name()),
                ));
            };
            let len = l.items.len() as i64;
            match if i < 0 { i.checked_add(len) } else { Some(i) } {
                Some(idx) if idx >= 0 && idx < len => Some(l.items[idx as usize].clone()),
                _ => None,
            }
        }
        other => return Err(bad_arg("get", "a map, list or cell", other)),
    };
    Ok(match found {
        Some(v) => v,
        None if args.len() == 3 => std::mem::replace(&mut args[2], Value::None),
        None => Value::None,
    })
}

/// `set(cell, v)`: replaces the cell's content; returns `none`.
fn set(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("set", args, 2, 2)?;
    let c = match &args[0] {
        Value::Cell(c) => c.clone(),
        other => {
            return Err(MemoError::new(
                "TypeError",
                format!(
                    "set() expects a cell, got {} (other values are immutable: assign the variable instead)",
                    other.type_name()
                ),
            ))
        }
    };
    let v = std::mem::replace(&mut args[1], Value::None);
    // A cell may hold itself, directly or not: cycles are freed by the
    // interpreter's collector, and printing and hashing cut them.
    match c.set(interp.reader(), v) {
        Ok(old) => drop(old),
        Err(_) => return Err(crate::value::object::foreign_cell()),
    }
    interp.cell_writes += 1;
    Ok(Value::None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_digits() {
        assert_eq!(hex(&[0, 0xab, 0xff]), "00abff");
    }
}
