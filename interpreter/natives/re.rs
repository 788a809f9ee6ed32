//! Regular expressions (the `regex` crate: linear-time matching, no
//! backreferences or look-around): `re_test`, `re_match`, `re_find_all`,
//! `re_replace`, `re_split`. The subject string comes first, so
//! `line.re_match("(\\d+)")` reads left to right.
//!
//! A match is a map: key `0` is the whole match, `1`, `2`, ... the groups
//! (`none` for a group that did not take part), and a named group
//! `(?P<year>\d+)` or `(?<year>\d+)` also under its name.
//!
//! Compiled patterns are kept per thread (the last 64), so a pattern used
//! in a loop is compiled once. Patterns are limited in compiled size (an
//! oversized one is a `ValueError`, never a hang).

use super::args::{callable, str as str_arg};
use super::{arity, Builtin};
use crate::error::{MemoError, Result};
use crate::interp::ops::too_large;
use crate::interp::Interp;
use crate::value::{ListBuilder, Value, ValueMap};
use regex::{Captures, Regex};
use std::cell::RefCell;
use std::collections::HashMap;

pub const NATIVES: &[(&str, Builtin)] = &[
    ("re_test", re_test),
    ("re_match", re_match),
    ("re_find_all", re_find_all),
    ("re_replace", re_replace),
    ("re_split", re_split),
];

/// Compiled size limits (bytes of the program and of the lazy DFA cache).
const SIZE_LIMIT: usize = 1 << 22;

thread_local! {
    static COMPILED: RefCell<HashMap<String, Regex>> = RefCell::new(HashMap::new());
}

/// The compiled pattern (argument 1 of `name`).
fn pattern(name: &str, args: &[Value]) -> Result<Regex> {
    let p = str_arg(name, args, 1)?;
    if let Some(r) = COMPILED.with(|c| c.borrow().get(&p.s).cloned()) {
        return Ok(r);
    }
    let r = regex::RegexBuilder::new(&p.s).size_limit(SIZE_LIMIT).dfa_size_limit(SIZE_LIMIT).build().map_err(|e| {
        let why = match &e {
            regex::Error::Syntax(s) => s.lines().last().unwrap_or("").trim_start_matches("error: ").to_string(),
            regex::Error::CompiledTooBig(n) => format!("the compiled pattern is larger than {n} bytes"),
            other => other.to_string(),
        };
        MemoError::new("ValueError", format!("{name}(): invalid regular expression {}: {why}", crate::value::repr(&args[1])))
    })?;
    COMPILED.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= 64 {
            c.clear();
        }
        c.insert(p.s.clone(), r.clone());
    });
    Ok(r)
}

/// A match as a map (see the module comment).
fn captures_map(re: &Regex, caps: &Captures) -> Value {
    let mut m = ValueMap::with_capacity(caps.len());
    let text = |i: usize| caps.get(i).map_or(Value::None, |g| Value::str(g.as_str()));
    for i in 0..caps.len() {
        m.insert(Value::Int(i as i64), text(i));
    }
    for (i, name) in re.capture_names().enumerate() {
        if let Some(name) = name {
            m.insert(Value::str(name), text(i));
        }
    }
    Value::map(m)
}

/// `re_test(s, pattern)`: whether the pattern matches somewhere in s.
fn re_test(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("re_test", args, 2, 2)?;
    let s = str_arg("re_test", args, 0)?;
    Ok(Value::bool(pattern("re_test", args)?.is_match(&s.s)))
}

/// `re_match(s, pattern)`: the first match anywhere in s (anchor with `^`),
/// as a map of its groups, or `none`.
fn re_match(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("re_match", args, 2, 2)?;
    let s = str_arg("re_match", args, 0)?;
    let re = pattern("re_match", args)?;
    Ok(re.captures(&s.s).map_or(Value::None, |c| captures_map(&re, &c)))
}

/// `re_find_all(s, pattern)`: every non-overlapping match, left to right:
/// the matched strings when the pattern has no groups, else match maps.
fn re_find_all(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("re_find_all", args, 2, 2)?;
    let s = str_arg("re_find_all", args, 0)?;
    let re = pattern("re_find_all", args)?;
    let max = interp.config.max_collection_len;
    let mut out = ListBuilder::with_capacity(0);
    let mut n = 0usize;
    if re.captures_len() == 1 {
        for m in re.find_iter(&s.s) {
            n += 1;
            if n > max {
                return Err(too_large("list", n, max));
            }
            out.push(Value::str(m.as_str()));
        }
    } else {
        for c in re.captures_iter(&s.s) {
            n += 1;
            if n > max {
                return Err(too_large("list", n, max));
            }
            out.push(captures_map(&re, &c));
        }
    }
    Ok(out.finish())
}

/// `re_replace(s, pattern, replacement)`: every match replaced. The
/// replacement is a string, where `$1`, `${name}` insert groups and `$$`
/// is a `$`, or a function given the match map and returning a string.
fn re_replace(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("re_replace", args, 3, 3)?;
    let s = str_arg("re_replace", args, 0)?.clone();
    let re = pattern("re_replace", args)?;
    let max = interp.config.max_collection_len;
    let mut out = String::new();
    let mut last = 0;
    match &args[2] {
        Value::Str(r) => {
            let r = r.clone();
            for c in re.captures_iter(&s.s) {
                let whole = c.get(0).expect("group 0 always matches");
                out.push_str(&s.s[last..whole.start()]);
                c.expand(&r.s, &mut out);
                last = whole.end();
                if out.len() > max {
                    return Err(too_large("string", out.len(), max));
                }
            }
        }
        f => {
            let f = f.clone();
            if callable("re_replace", &f).is_err() {
                return Err(MemoError::new(
                    "TypeError",
                    format!("re_replace() expects the replacement as a str or a function, got {}", f.type_name()),
                ));
            }
            for c in re.captures_iter(&s.s) {
                let whole = c.get(0).expect("group 0 always matches");
                out.push_str(&s.s[last..whole.start()]);
                match interp.call_value(&f, &mut [captures_map(&re, &c)], None)? {
                    Value::Str(t) => out.push_str(&t.s),
                    other => {
                        return Err(MemoError::new(
                            "TypeError",
                            format!("re_replace() needs a function that returns a str, got {}", other.type_name()),
                        ))
                    }
                }
                last = whole.end();
                if out.len() > max {
                    return Err(too_large("string", out.len(), max));
                }
            }
        }
    }
    if last == 0 && out.is_empty() {
        return Ok(std::mem::take(&mut args[0]));
    }
    out.push_str(&s.s[last..]);
    if out.len() > max {
        return Err(too_large("string", out.len(), max));
    }
    Ok(Value::str(out))
}

/// `re_split(s, pattern)`: the pieces between matches.
fn re_split(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("re_split", args, 2, 2)?;
    let s = str_arg("re_split", args, 0)?;
    let re = pattern("re_split", args)?;
    let max = interp.config.max_collection_len;
    let mut out = ListBuilder::with_capacity(0);
    for (n, piece) in re.split(&s.s).enumerate() {
        if n >= max {
            return Err(too_large("list", n + 1, max));
        }
        out.push(Value::str(piece));
    }
    Ok(out.finish())
}

#[cfg(test)]
mod tests {
    use super::super::args::eval;

    #[test]
    fn known_values() {
        let cases = [
            (r#"re_test("order 66", "\\d+")"#, "true"),
            (r#"re_test("order", "^\\d")"#, "false"),
            (r#"re_match("2024-03-15", "(\\d+)-(\\d+)-(\\d+)")"#, r#"{0: "2024-03-15", 1: "2024", 2: "03", 3: "15"}"#),
            (r#"re_match("on 2024-03", "(?P<y>\\d{4})-(?<m>\\d\\d)")["y"]"#, r#""2024""#),
            (r#"re_match("ab", "a(x)?b")"#, r#"{0: "ab", 1: none}"#),
            (r#"re_match("abc", "z")"#, "none"),
            (r#"re_find_all("a1 b22 c333", "\\d+")"#, r#"["1", "22", "333"]"#),
            (r#"re_find_all("a=1, b=2", "(\\w)=(\\d)")"#, r#"[{0: "a=1", 1: "a", 2: "1"}, {0: "b=2", 1: "b", 2: "2"}]"#),
            (r#"re_find_all("", "x*")"#, r#"[""]"#),
            (r#"re_replace("2024-03-15", "(\\d+)-(\\d+)-(\\d+)", "$3/$2/$1")"#, r#""15/03/2024""#),
            (r#"re_replace("a-b", "(?P<c>\\w)", "<${c}>")"#, r#""<a>-<b>""#),
            (r#"re_replace("cost 5", "\\d", "$$9")"#, r#""cost $9""#),
            (r#"re_replace("a1b2", "\\d", fn(m) { str(int(m[0]) * 10) })"#, r#""a10b20""#),
            (r#"re_replace("abc", "z", "y")"#, r#""abc""#),
            (r#"re_replace("a1", "\\d", fn(m) { 1 })"#, "TypeError: re_replace() needs a function that returns a str, got int"),
            (r#"re_split("a, b;c", "[,;]\\s*")"#, r#"["a", "b", "c"]"#),
            (r#"re_split("", ",")"#, r#"[""]"#),
            (r#"re_match("é1", "\\w\\d")[0]"#, r#""é1""#),
            (r#"re_match("x", "(")"#, "ValueError: re_match(): invalid regular expression \"(\": unclosed group"),
            (r#"re_match("x", "a{2,1}")"#, "ValueError: re_match(): invalid regular expression \"a{2,1}\": invalid repetition count range, the start must be <= the end"),
            (r#"re_match("x", "a{99999}{99999}")"#, "ValueError: re_match(): invalid regular expression \"a{99999}{99999}\": the compiled pattern is larger than 4194304 bytes"),
            (r#"re_test("x", "\\w{1000}{1000}")"#, "ValueError: re_test(): invalid regular expression \"\\\\w{1000}{1000}\": the compiled pattern is larger than 4194304 bytes"),
            (r#"re_test("x", 1)"#, "TypeError: re_test() expects a str as its second argument, got int"),
        ];
        for (src, want) in cases {
            assert_eq!(eval(src), want, "{src}");
        }
    }
}
