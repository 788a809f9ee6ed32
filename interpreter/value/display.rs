//! Printing values: `print`/`str` form (strings raw at top level) and `repr`
//! form (strings always quoted). The format is part of the language (spec §2).

use super::meter::{unfailing, Meter, Unmetered};
use super::object::{reader, Reader};
use super::{TypeValue, Value};
use std::fmt::Write;

/// A walk's state: who reads mutable objects, and the objects being
/// printed (a back-reference to one of them prints as `Name(...)` or
/// `cell(...)` instead of recursing).
struct Walk {
    me: Reader,
    path: Vec<usize>,
}

impl Walk {
    fn new() -> Walk {
        Walk { me: reader(), path: Vec::new() }
    }
}

/// What `print(x)` and `str(x)` show.
pub fn to_display(v: &Value) -> String {
    match v {
        Value::Str(s) => s.s.clone(),
        _ => repr(v),
    }
}

/// What `repr(x)` shows; also the form of values inside containers.
/// Unmetered and unbounded: for values known to be small; messages about
/// a script's values use [`repr_prefix`].
pub fn repr(v: &Value) -> String {
    let mut out = String::new();
    unfailing(write_repr(&mut out, v, 0, usize::MAX, &mut Walk::new(), &mut Unmetered));
    out
}

/// `repr`, refusing to build more than `max` bytes (a list holding the same
/// big string a million times must not take the host's memory).
pub fn repr_limited(v: &Value, max: usize) -> Result<String, crate::error::MemoError> {
    match repr_in(v, max, &mut Unmetered) {
        Ok(s) => s,
        Err(never) => match never {},
    }
}

/// [`repr_limited`], ticking `m` once per element written (see
/// `meter.rs`): the outer `Err` is the meter's, the inner one the length
/// limit's.
pub fn repr_in<M: Meter>(v: &Value, max: usize, m: &mut M) -> Result<Result<String, crate::error::MemoError>, M::Error> {
    let mut out = String::new();
    write_repr(&mut out, v, 0, max, &mut Walk::new(), m)?;
    if out.len() > max {
        return Ok(Err(crate::error::MemoError::new(
            "LimitError",
            format!("the text of this value would have more than {max} bytes, the limit"),
        )));
    }
    Ok(Ok(out))
}

/// The start of `repr(v)`: at least its first `max` bytes, or all of it
/// when shorter, without building the rest (a 1,000,000-element argument
/// shown by `--explain` must not cost a 7 MB string). Cheap whatever the
/// value: each element visited adds to the text.
pub fn repr_prefix(v: &Value, max: usize) -> String {
    let mut out = String::new();
    unfailing(write_repr(&mut out, v, 0, max, &mut Walk::new(), &mut Unmetered));
    out
}

/// `to_display` with the same limit as [`repr_limited`].
pub fn display_limited(v: &Value, max: usize) -> Result<String, crate::error::MemoError> {
    match v {
        Value::Str(s) => Ok(s.s.clone()),
        _ => repr_limited(v, max),
    }
}

/// A message's view of a value: its `print` form, cut after about `max`
/// bytes with `...` (an error raised with a huge value must not build it).
pub fn display_prefix(v: &Value, max: usize) -> String {
    let mut out = match v {
        Value::Str(s) => {
            let mut end = max.min(s.s.len());
            while !s.s.is_char_boundary(end) {
                end += 1;
            }
            s.s[..end].to_string()
        }
        _ => repr_prefix(v, max),
    };
    if out.len() > max || matches!(v, Value::Str(s) if s.s.len() > out.len()) {
        let mut end = max.min(out.len());
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
        out.push_str("...");
    }
    out
}

/// Formats a float so that it always shows a `.` or an exponent.
pub fn format_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    format!("{f:?}")
}

/// Quotes a string with escapes, as `repr` does.
pub fn quote_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

const MAX_DEPTH: usize = 200;

fn write_repr<M: Meter>(
    out: &mut String,
    v: &Value,
    depth: usize,
    limit: usize,
    w: &mut Walk,
    m: &mut M,
) -> Result<(), M::Error> {
    if out.len() > limit {
        return Ok(());
    }
    if depth > MAX_DEPTH {
        out.push_str("...");
        return Ok(());
    }
    m.tick()?;
    match v {
        Value::None => out.push_str("none"),
        Value::Bool(b) => out.push_str(if b.get() { "true" } else { "false" }),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => out.push_str(&format_float(f.get())),
        Value::Str(s) => {
            // Past the limit the caller only needs to see it was passed.
            let room = limit.saturating_sub(out.len());
            let mut end = room.saturating_add(1).min(s.s.len());
            while !s.s.is_char_boundary(end) {
                end += 1;
            }
            m.bytes(end)?;
            quote_str(&s.s[..end], out);
            if end < s.s.len() {
                out.pop(); // not the end of the string: no closing quote
            }
        }
        Value::List(l) => {
            out.push('[');
            for (i, item) in l.iter().enumerate() {
                if out.len() > limit {
                    return Ok(());
                }
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(out, item, depth + 1, limit, w, m)?;
            }
            out.push(']');
        }
        Value::Map(mo) => {
            out.push('{');
            for (i, (k, val)) in mo.map.iter().enumerate() {
                if out.len() > limit {
                    return Ok(());
                }
                if i > 0 {
                    out.push_str(", ");
                }
                write_repr(out, k, depth + 1, limit, w, m)?;
                out.push_str(": ");
                write_repr(out, val, depth + 1, limit, w, m)?;
            }
            out.push('}');
        }
        Value::Range(r) => {
            let _ = write!(out, "{}{}{}", r.start, if r.inclusive { "..=" } else { ".." }, r.end);
        }
        Value::Struct(s) => {
            out.push_str(&s.ty.name);
            out.push('(');
            for (i, (name, val)) in s.ty.fields.iter().zip(s.fields.iter()).enumerate() {
                if out.len() > limit {
                    return Ok(());
                }
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(name);
                out.push_str(": ");
                write_repr(out, val, depth + 1, limit, w, m)?;
            }
            out.push(')');
        }
        Value::Obj(o) => {
            let at = std::sync::Arc::as_ptr(o) as usize;
            if w.path.contains(&at) {
                let _ = write!(out, "{}(...)", o.ty.name);
                return Ok(());
            }
            let Some(fields) = o.fields(w.me) else {
                let _ = write!(out, "<{} object of another interpreter>", o.ty.name);
                return Ok(());
            };
            w.path.push(at);
            out.push_str(&o.ty.name);
            out.push('(');
            for (i, (name, val)) in o.ty.fields.iter().zip(fields.iter()).enumerate() {
                if out.len() > limit {
                    break;
                }
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(name);
                out.push_str(": ");
                write_repr(out, val, depth + 1, limit, w, m)?;
            }
            out.push(')');
            w.path.pop();
        }
        Value::Func(c) => {
            let kind = if c.cached.is_some() { "cached fn" } else { "fn" };
            if c.proto.name.is_empty() {
                let _ = write!(out, "<{kind}>");
            } else {
                let _ = write!(out, "<{kind} {}>", c.proto.name);
            }
        }
        Value::Native(n) => {
            let _ = write!(out, "<native fn {}>", n.name);
        }
        Value::Cell(c) => {
            let at = std::sync::Arc::as_ptr(c) as usize;
            if w.path.contains(&at) {
                out.push_str("cell(...)");
                return Ok(());
            }
            let Some(inner) = c.get(w.me) else {
                out.push_str("<cell of another interpreter>");
                return Ok(());
            };
            w.path.push(at);
            out.push_str("cell(");
            write_repr(out, &inner, depth + 1, limit, w, m)?;
            out.push(')');
            w.path.pop();
        }
        Value::Type(t) => out.push_str(t.name()),
        Value::Object(o) => {
            let _ = write!(out, "<{}>", o.ty.name);
        }
    }
    Ok(())
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&repr(self))
    }
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&to_display(self))
    }
}

impl std::fmt::Display for TypeValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repr_prefix_is_repr_when_short_and_stops_early_when_long() {
        let small = Value::list_from(vec![Value::Int(1), Value::str("a\"b"), Value::None]);
        assert_eq!(repr_prefix(&small, 160), repr(&small));
        let big = Value::list_from((0..1_000_000).map(Value::Int).collect());
        let p = repr_prefix(&big, 160);
        assert!(p.len() > 160 && p.len() < 200, "{}", p.len());
        assert!(repr(&big).starts_with(&p));
        let long = Value::str("é".repeat(10_000));
        let q = repr_prefix(&long, 160);
        assert!(q.len() > 160 && q.len() < 170, "{}", q.len());
        assert!(repr(&long).starts_with(&q));
        // The limit still makes repr_limited refuse what is too long.
        assert!(repr_limited(&long, 100).is_err());
        assert!(repr_limited(&small, 100).is_ok());
    }
}
