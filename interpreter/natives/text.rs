//! `find`, `ord`, `chr`: positions in strings and lists, and characters as
//! code points.

use super::args::{int, str as str_arg};
use super::{arity, bad_arg, Builtin};
use crate::error::{MemoError, Result};
use crate::interp::Interp;
use crate::value::{values_equal, Value};

pub const NATIVES: &[(&str, Builtin)] = &[("find", find), ("ord", ord), ("chr", chr)];

/// `find(s, sub[, start])`: the index (in characters) of the first `sub`
/// in `s` at or after `start`; `find(xs, v[, start])`: the index of the
/// first element equal to `v`. `none` when there is none (not -1, which
/// would index the last element). A negative start counts from the end.
fn find(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("find", args, 2, 3)?;
    let len = match &args[0] {
        Value::Str(s) => s.char_len(),
        Value::List(l) => l.items.len(),
        other => return Err(bad_arg("find", "a str or list", other)),
    };
    let start = match args.get(2) {
        None => 0,
        Some(_) => {
            let s = int("find", args, 2)?;
            if s < 0 {
                (len as i128 + s as i128).max(0) as usize
            } else {
                (s as u64).min(len as u64) as usize
            }
        }
    };
    let found = match &args[0] {
        Value::Str(s) => {
            let sub = str_arg("find", args, 1)?;
            // The byte offset of character `start`.
            let from = if s.ascii { start } else { s.s.char_indices().nth(start).map_or(s.s.len(), |(b, _)| b) };
            memchr::memmem::find(&s.s.as_bytes()[from..], sub.s.as_bytes()).map(|at| {
                if s.ascii {
                    start + at
                } else {
                    start + s.s[from..from + at].chars().count()
                }
            })
        }
        Value::List(l) => l.iter().skip(start).position(|x| values_equal(x, &args[1])).map(|i| start + i),
        _ => None,
    };
    Ok(found.map_or(Value::None, |i| Value::Int(i as i64)))
}

/// `ord(c)`: the code point of a one-character string.
fn ord(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("ord", args, 1, 1)?;
    let s = str_arg("ord", args, 0)?;
    let mut cs = s.s.chars();
    match (cs.next(), cs.next()) {
        (Some(c), None) => Ok(Value::Int(c as i64)),
        _ => Err(MemoError::new("ValueError", format!("ord() expects one character, got a string of length {}", s.char_len()))),
    }
}

/// `chr(i)`: the one-character string of code point i.
fn chr(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("chr", args, 1, 1)?;
    let i = int("chr", args, 0)?;
    u32::try_from(i).ok().and_then(char::from_u32).map(Value::char_str).ok_or_else(|| {
        MemoError::new("ValueError", format!("chr() of {i}: not a Unicode code point (0..=0x10FFFF, no surrogates)"))
    })
}

#[cfg(test)]
mod tests {
    use super::super::args::eval;

    #[test]
    fn known_values() {
        let cases = [
            (
                r#"[find("hello", "l"), find("hello", "z"), find("héllo", "l"), find("héllo", "l", 3), find("abc", "")]"#,
                "[2, none, 2, 3, 0]",
            ),
            (r#"[find("abcabc", "c", -2), find("abc", "a", 99), find("abc", "", 3)]"#, "[5, none, 3]"),
            (r#"[find([1, 2, 1], 1), find([1, 2, 1], 1, 1), find([1], 2), find([1.0], 1)]"#, "[0, 2, none, 0]"),
            (r#"find(5, 1)"#, "TypeError: find() expects a str or list, got int"),
            (r#"[ord("A"), ord("é"), ord("😀"), chr(65), chr(233), chr(128512)]"#, r#"[65, 233, 128512, "A", "é", "😀"]"#),
            (r#"ord("ab")"#, "ValueError: ord() expects one character, got a string of length 2"),
            (r#"ord("")"#, "ValueError: ord() expects one character, got a string of length 0"),
            ("chr(55296)", "ValueError: chr() of 55296: not a Unicode code point (0..=0x10FFFF, no surrogates)"),
            ("chr(-1)", "ValueError: chr() of -1: not a Unicode code point (0..=0x10FFFF, no surrogates)"),
            ("chr(1114112)", "ValueError: chr() of 1114112: not a Unicode code point (0..=0x10FFFF, no surrogates)"),
        ];
        for (src, want) in cases {
            assert_eq!(eval(src), want, "{src}");
        }
    }
}
