//! String natives (spec §4): `split`, `upper`, `lower`, `trim`,
//! `starts_with`, `ends_with`, `replace`. Strings are immutable; each native
//! returns a new string (or the argument itself when nothing changes).

use super::{arity, Builtin};
use crate::error::{MemoError, Result};
use crate::interp::ops::too_large;
use crate::interp::Interp;
use crate::value::{StrObj, Value};
use std::sync::Arc;

pub const NATIVES: &[(&str, Builtin)] = &[
    ("split", split),
    ("upper", upper),
    ("lower", lower),
    ("trim", trim),
    ("starts_with", starts_with),
    ("ends_with", ends_with),
    ("replace", replace),
];

/// Argument `i` of `name`, which must be a string.
fn str_arg<'a>(name: &str, args: &'a [Value], i: usize) -> Result<&'a Arc<StrObj>> {
    match &args[i] {
        Value::Str(s) => Ok(s),
        other => {
            let which = match i {
                0 => "",
                1 => " as its second argument",
                _ => " as its third argument",
            };
            Err(MemoError::new("TypeError", format!("{name}() expects a str{which}, got {}", other.type_name())))
        }
    }
}

/// A new string unless it equals the argument, which is then returned as is
/// (keeping its memoized hash).
fn same_or_new(args: &mut [Value], out: String) -> Value {
    match &args[0] {
        Value::Str(s) if s.s == out => std::mem::replace(&mut args[0], Value::None),
        _ => Value::str(out),
    }
}

/// `split(s)`: the words of s (split on runs of whitespace);
/// `split(s, sep)`: the pieces between occurrences of sep; `split(s, "")`:
/// the characters of s.
fn split(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("split", args, 1, 2)?;
    let s = str_arg("split", args, 0)?;
    let parts: crate::value::ListItems = if args.len() == 1 {
        s.s.split_whitespace().map(Value::str).collect()
    } else {
        let sep = str_arg("split", args, 1)?;
        if sep.s.is_empty() {
            s.s.chars().map(|c| Value::str(c.to_string())).collect()
        } else {
            s.s.split(sep.s.as_str()).map(Value::str).collect()
        }
    };
    Ok(Value::list(parts))
}

fn checked(out: String, max: usize) -> Result<String> {
    if out.len() > max {
        return Err(too_large("string", out.len(), max));
    }
    Ok(out)
}

/// `upper(s)`: s in upper case (Unicode rules: `"ß"` becomes `"SS"`).
fn upper(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("upper", args, 1, 1)?;
    let out = checked(str_arg("upper", args, 0)?.s.to_uppercase(), interp.config.max_collection_len)?;
    Ok(same_or_new(args, out))
}

/// `lower(s)`: s in lower case.
fn lower(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("lower", args, 1, 1)?;
    let out = checked(str_arg("lower", args, 0)?.s.to_lowercase(), interp.config.max_collection_len)?;
    Ok(same_or_new(args, out))
}

/// `trim(s)`: s without leading and trailing whitespace.
fn trim(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("trim", args, 1, 1)?;
    let s = str_arg("trim", args, 0)?;
    let t = s.s.trim();
    if t.len() == s.s.len() {
        return Ok(std::mem::replace(&mut args[0], Value::None));
    }
    Ok(Value::str(t))
}

/// `starts_with(s, prefix)`.
fn starts_with(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("starts_with", args, 2, 2)?;
    let s = str_arg("starts_with", args, 0)?;
    let p = str_arg("starts_with", args, 1)?;
    Ok(Value::bool(s.s.starts_with(p.s.as_str())))
}

/// `ends_with(s, suffix)`.
fn ends_with(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("ends_with", args, 2, 2)?;
    let s = str_arg("ends_with", args, 0)?;
    let p = str_arg("ends_with", args, 1)?;
    Ok(Value::bool(s.s.ends_with(p.s.as_str())))
}

/// `replace(s, from, to)`: every occurrence of `from` replaced by `to`. An
/// empty `from` matches between every two characters and at both ends (as
/// in Python).
fn replace(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("replace", args, 3, 3)?;
    let s = str_arg("replace", args, 0)?;
    let from = str_arg("replace", args, 1)?;
    let to = str_arg("replace", args, 2)?;
    let count = if from.s.is_empty() { s.char_len() + 1 } else { s.s.matches(from.s.as_str()).count() };
    if count == 0 {
        return Ok(std::mem::replace(&mut args[0], Value::None));
    }
    // The length of the result, computed before building it.
    let new_len = s.s.len() as u128 - (count as u128 * from.s.len() as u128) + count as u128 * to.s.len() as u128;
    let max = interp.config.max_collection_len;
    if new_len > max as u128 {
        return Err(too_large("string", new_len.min(usize::MAX as u128) as usize, max));
    }
    let out = s.s.replace(from.s.as_str(), &to.s);
    Ok(Value::str(out))
}
