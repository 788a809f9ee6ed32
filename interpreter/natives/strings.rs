//! String natives (spec §4): `split`, `upper`, `lower`, `trim`,
//! `starts_with`, `ends_with`, `replace`. Strings are immutable; each native
//! returns a new string (or the argument itself when nothing changes).
//!
//! Substrings are found with `memchr::memmem` (SIMD, with a setup cheap
//! enough for the short needles and words scripts search: std's two-way
//! searcher spent as long setting up as searching, ~8 % of strings_heavy).
//! Matches are non-overlapping, left to right, as std's.

use super::{arity, Builtin};
use crate::error::{MemoError, Result};
use crate::interp::ops::too_large;
use crate::interp::Interp;
use crate::value::{StrObj, Value};

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
fn str_arg<'a>(name: &str, args: &'a [Value], i: usize) -> Result<&'a crate::value::UArc<StrObj>> {
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
fn split(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("split", args, 1, 2)?;
    let s = str_arg("split", args, 0)?;
    interp.charge_bytes(s.s.len())?;
    let mut parts = Pieces { out: Vec::new(), max: interp.config.max_collection_len };
    if args.len() == 1 {
        for w in s.s.split_whitespace() {
            parts.push(interp, Value::str(w))?;
        }
    } else {
        let sep = str_arg("split", args, 1)?;
        if sep.s.is_empty() {
            for c in s.s.chars() {
                parts.push(interp, Value::char_str(c))?;
            }
        } else {
            for p in pieces(&s.s, &sep.s) {
                parts.push(interp, Value::str(p))?;
            }
        }
    }
    interp.charge((parts.out.len() % PIECES_CHECK) as u64)?;
    Ok(Value::list_from(parts.out))
}

/// Pieces of `split` between two looks at the length limit and the budget.
const PIECES_CHECK: usize = 1024;

/// The pieces `split` makes: a string of n bytes can make n + 1 of them,
/// one more than the length limit allows, and many small strings take far
/// more memory than the string they came from, so the limit and the
/// budget (memory included) are looked at every `PIECES_CHECK` pieces.
struct Pieces {
    out: Vec<Value>,
    max: usize,
}

impl Pieces {
    #[inline]
    fn push(&mut self, interp: &mut Interp, v: Value) -> Result<()> {
        self.out.push(v);
        if self.out.len() % PIECES_CHECK == 0 || self.out.len() > self.max {
            if self.out.len() > self.max {
                return Err(too_large("list", self.out.len(), self.max));
            }
            interp.charge(PIECES_CHECK as u64)?;
        }
        Ok(())
    }
}

/// The pieces of `h` between the non-overlapping occurrences of `sep`
/// (not empty), as `str::split` gives them.
fn pieces<'a>(h: &'a str, sep: &'a str) -> impl Iterator<Item = &'a str> {
    let mut from = 0;
    let mut ends = memchr::memmem::find_iter(h.as_bytes(), sep.as_bytes());
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        // A match of UTF-8 in UTF-8 starts and ends at char boundaries.
        Some(match ends.next() {
            Some(at) => {
                let piece = &h[from..at];
                from = at + sep.len();
                piece
            }
            None => {
                done = true;
                &h[from..]
            }
        })
    })
}

/// `h` with every non-overlapping `from` (not empty) replaced by `to`, as
/// `str::replace`; `len` is the result's length.
fn replace_all(h: &str, from: &str, to: &str, len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut last = 0;
    for at in memchr::memmem::find_iter(h.as_bytes(), from.as_bytes()) {
        out.push_str(&h[last..at]);
        out.push_str(to);
        last = at + from.len();
    }
    out.push_str(&h[last..]);
    out
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
    if let Value::Str(s) = &args[0] {
        interp.charge_bytes(s.s.len())?;
    }
    if let Some(v) = ascii_case(args, "upper", true)? {
        return Ok(v);
    }
    interp.charge_bytes(str_arg("upper", args, 0)?.s.len())?;
    let out = checked(str_arg("upper", args, 0)?.s.to_uppercase(), interp.config.max_collection_len)?;
    Ok(same_or_new(args, out))
}

/// `lower(s)`: s in lower case.
fn lower(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("lower", args, 1, 1)?;
    if let Value::Str(s) = &args[0] {
        interp.charge_bytes(s.s.len())?;
    }
    if let Some(v) = ascii_case(args, "lower", false)? {
        return Ok(v);
    }
    interp.charge_bytes(str_arg("lower", args, 0)?.s.len())?;
    let out = checked(str_arg("lower", args, 0)?.s.to_lowercase(), interp.config.max_collection_len)?;
    Ok(same_or_new(args, out))
}

/// `upper` / `lower` of an ASCII string: the Unicode mappings of ASCII
/// letters are the ASCII ones, the length stays, and a string with no
/// letter to change is returned itself. `None` for other strings.
fn ascii_case(args: &mut [Value], name: &str, upper: bool) -> Result<Option<Value>> {
    let s = str_arg(name, args, 0)?;
    if !s.ascii {
        return Ok(None);
    }
    let changes = |b: &u8| if upper { b.is_ascii_lowercase() } else { b.is_ascii_uppercase() };
    if !s.s.as_bytes().iter().any(changes) {
        return Ok(Some(std::mem::replace(&mut args[0], Value::None)));
    }
    let out = if upper { s.s.to_ascii_uppercase() } else { s.s.to_ascii_lowercase() };
    Ok(Some(Value::Str(crate::value::UArc::new(StrObj { s: out, ascii: true, hash: Default::default() }))))
}

/// `trim(s)`: s without leading and trailing whitespace.
fn trim(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("trim", args, 1, 1)?;
    let s = str_arg("trim", args, 0)?;
    interp.charge_bytes(s.s.len())?;
    let t = s.s.trim();
    if t.len() == s.s.len() {
        return Ok(std::mem::replace(&mut args[0], Value::None));
    }
    Ok(Value::str(t))
}

/// `starts_with(s, prefix)`.
fn starts_with(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("starts_with", args, 2, 2)?;
    let s = str_arg("starts_with", args, 0)?;
    let p = str_arg("starts_with", args, 1)?;
    interp.charge_bytes(p.s.len())?;
    Ok(Value::bool(s.s.starts_with(p.s.as_str())))
}

/// `ends_with(s, suffix)`.
fn ends_with(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("ends_with", args, 2, 2)?;
    let s = str_arg("ends_with", args, 0)?;
    let p = str_arg("ends_with", args, 1)?;
    interp.charge_bytes(p.s.len())?;
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
    interp.charge_bytes(s.s.len())?;
    let count =
        if from.s.is_empty() { s.char_len() + 1 } else { memchr::memmem::find_iter(s.s.as_bytes(), from.s.as_bytes()).count() };
    if count == 0 {
        return Ok(std::mem::replace(&mut args[0], Value::None));
    }
    // The length of the result, computed before building it.
    let new_len = s.s.len() as u128 - (count as u128 * from.s.len() as u128) + count as u128 * to.s.len() as u128;
    let max = interp.config.max_collection_len;
    if new_len > max as u128 {
        return Err(too_large("string", new_len.min(usize::MAX as u128) as usize, max));
    }
    interp.charge_bytes(new_len as usize)?;
    interp.reserve(new_len as usize)?;
    if from.s.is_empty() {
        return Ok(Value::str(s.s.replace("", &to.s)));
    }
    Ok(Value::str(replace_all(&s.s, &from.s, &to.s, new_len as usize)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `pieces`, `replace_all` and the `memmem` search of `contains`
    /// against std on every string of up to 5 pieces of an alphabet with
    /// repeats (overlapping matches) and multi-byte characters.
    #[test]
    fn searches_match_std() {
        let alphabet = ["a", "b", "é", "ab", "€"];
        let mut words = vec![String::new()];
        for _ in 0..5 {
            let next: Vec<String> = words.iter().flat_map(|w| alphabet.iter().map(move |c| format!("{w}{c}"))).collect();
            words.extend(next);
            words.sort();
            words.dedup();
        }
        let needles = ["a", "aa", "ab", "ba", "é", "aé", "€€", "aaa", "b€"];
        for h in &words {
            for n in needles {
                assert_eq!(pieces(h, n).collect::<Vec<_>>(), h.split(n).collect::<Vec<_>>(), "split({h:?}, {n:?})");
                let want = h.replace(n, "<>");
                assert_eq!(replace_all(h, n, "<>", want.len()), want, "replace({h:?}, {n:?})");
                assert_eq!(memchr::memmem::find_iter(h.as_bytes(), n.as_bytes()).count(), h.matches(n).count());
                assert_eq!(memchr::memmem::find(h.as_bytes(), n.as_bytes()).is_some(), h.contains(n));
            }
        }
    }

    /// The ASCII case mappings are the Unicode ones on every ASCII byte.
    #[test]
    fn ascii_case_matches_unicode() {
        let all: String = (0u8..128).map(char::from).collect();
        assert_eq!(all.to_ascii_uppercase(), all.to_uppercase());
        assert_eq!(all.to_ascii_lowercase(), all.to_lowercase());
    }
}
