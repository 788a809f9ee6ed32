//! Type values called as functions: conversions (`int("3")`, `float(x)`,
//! `str(x)`, `bool(s)`, `list(r)`), constructors (`range(a, b[, step])`,
//! `cell(v)`) and struct constructors, positional or named
//! (`Point(x: 1, y: 2)`); the argument checks natives share (`arity`,
//! `bad_arg`); and the integer formatting the string fast paths use.

use super::ops::too_large;
use super::Interp;
use crate::error::{MemoError, Result};
use crate::value::{repr, BuiltinType, StructType, TypeValue, Value};
use std::sync::Arc;

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
                return Ok(make_struct(interp, st, fields));
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
                            let mut e = super::index::no_field(st, name);
                            e.kind = "TypeError".into();
                            return Err(e);
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
            Ok(make_struct(interp, st, out.into_boxed_slice()))
        }
        TypeValue::Native(n) => {
            Err(MemoError::new("TypeError", format!("`{}` values are made by the host, not by calling the type", n.name)))
        }
        TypeValue::Builtin(b) => {
            if !names.is_empty() && names.iter().any(Option::is_some) {
                return Err(MemoError::new("TypeError", format!("`{}` takes no named arguments", b.name())));
            }
            convert(interp, *b, args)
        }
    }
}

/// An instance of a struct type: a value, or for a `mut struct` a new
/// object owned by the interpreter.
#[inline]
fn make_struct(interp: &mut Interp, st: &Arc<StructType>, fields: Box<[Value]>) -> Value {
    if st.mutable {
        interp.new_obj(st.clone(), fields)
    } else {
        Value::new_struct(st.clone(), fields)
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

/// `str(n)` of an int: the digits written straight into a string of the
/// right size (the formatting machinery took ~250 instructions and grew the
/// string twice; `s += str(i)` is a common loop).
pub(crate) fn int_str(n: i64) -> Value {
    let mut s = String::with_capacity(int_len(n));
    push_int(&mut s, n);
    Value::Str(crate::value::UArc::new(crate::value::StrObj { s, ascii: true, hash: Default::default() }))
}

/// The length of `n` in decimal, sign included: from the bit length, as
/// in "Bit Twiddling Hacks" (`checked_ilog10` took ~25 instructions).
#[inline]
pub(crate) fn int_len(n: i64) -> usize {
    const POW10: [u64; 20] = {
        let mut p = [1u64; 20];
        let mut k = 1;
        while k < 20 {
            p[k] = p[k - 1] * 10;
            k += 1;
        }
        p
    };
    // `| 1`: 0 has one digit; it changes no comparison with 10^t, t >= 1.
    let m = n.unsigned_abs() | 1;
    let bits = 64 - m.leading_zeros();
    // floor(bits * log10(2)): the digit count, or one less.
    let t = (bits * 1233) >> 12;
    (n < 0) as usize + t as usize + (m >= POW10[t as usize]) as usize
}

/// Appends the decimal form of `n` (`int_len(n)` bytes), written in place
/// at the end of the string.
#[inline]
pub(crate) fn push_int(s: &mut String, n: i64) {
    let len = int_len(n);
    s.reserve(len);
    // SAFETY: `as_mut_vec`: only ASCII digits and a sign are written;
    // `write_int` fills the `len` bytes of capacity just reserved after the
    // end, and the length then covers exactly them.
    unsafe {
        let v = s.as_mut_vec();
        let start = v.len();
        write_int(v.as_mut_ptr().add(start), n, len);
        v.set_len(start + len);
    }
}

/// Writes the decimal form of `n` at `out`: two digits per division, from
/// a table, as the itoa crate does.
///
/// # Safety
/// `len` must be `int_len(n)` and `out` valid for writing `len` bytes.
/// (`int_len` counts the digits and the sign; the test
/// `int_digits_match_to_string` checks it at every boundary.)
#[inline]
pub(crate) unsafe fn write_int(out: *mut u8, n: i64, len: usize) {
    const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
        2021222324252627282930313233343536373839\
        4041424344454647484950515253545556575859\
        6061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899";
    debug_assert_eq!(len, int_len(n));
    // SAFETY: every write is below `len` (`at` counts down from `len`).
    unsafe {
        let mut at = len;
        let mut m = n.unsigned_abs();
        while m >= 100 {
            let d = (m % 100) as usize * 2;
            m /= 100;
            at -= 2;
            std::ptr::copy_nonoverlapping(PAIRS.as_ptr().add(d), out.add(at), 2);
        }
        if m >= 10 {
            at -= 2;
            std::ptr::copy_nonoverlapping(PAIRS.as_ptr().add(m as usize * 2), out.add(at), 2);
        } else {
            at -= 1;
            *out.add(at) = b'0' + m as u8;
        }
        if n < 0 {
            at -= 1;
            *out.add(at) = b'-';
        }
        debug_assert_eq!(at, 0, "int_len counted every digit");
    }
}

/// Calls a builtin type value: `int(x)`, `float(x)`, `str(x)`, `bool(x)`,
/// `list(x)`, `range(...)`, `cell(v)`. The other builtin types (`none`,
/// `map`, `fn`, `type`) are not constructors.
pub fn convert(interp: &mut Interp, t: BuiltinType, args: &mut [Value]) -> Result<Value> {
    match t {
        BuiltinType::Int => {
            arity("int", args, 1, 1)?;
            if let Value::Str(s) = &args[0] {
                interp.charge_bytes(s.s.len())?;
            }
            to_int(&args[0])
        }
        BuiltinType::Float => {
            arity("float", args, 1, 1)?;
            if let Value::Str(s) = &args[0] {
                interp.charge_bytes(s.s.len())?;
            }
            to_float(&args[0])
        }
        BuiltinType::Str => {
            arity("str", args, 1, 1)?;
            match std::mem::replace(&mut args[0], Value::None) {
                s @ Value::Str(_) => Ok(s),
                Value::Int(n) => Ok(int_str(n)),
                other => Ok(Value::str(crate::value::repr_in(&other, interp.config.max_collection_len, interp)??)),
            }
        }
        BuiltinType::Bool => {
            arity("bool", args, 1, 1)?;
            match &args[0] {
                Value::Bool(b) => Ok(Value::Bool(*b)),
                Value::Str(s) => match s.s.trim() {
                    "true" => Ok(Value::bool(true)),
                    "false" => Ok(Value::bool(false)),
                    _ => Err(MemoError::new("ValueError", format!("invalid bool literal: {}", quoted(&s.s)))),
                },
                other => Err(MemoError::new(
                    "TypeError",
                    format!(
                        "bool() expects a bool or a str, got {} (memo has no truthiness: compare explicitly, e.g. `x != 0`)",
                        other.type_name()
                    ),
                )),
            }
        }
        BuiltinType::List => {
            arity("list", args, 1, 1)?;
            to_list(interp, std::mem::replace(&mut args[0], Value::None))
        }
        BuiltinType::Range => make_range(interp, args),
        BuiltinType::Cell => {
            arity("cell", args, 1, 1)?;
            Ok(interp.new_cell(std::mem::replace(&mut args[0], Value::None)))
        }
        BuiltinType::None | BuiltinType::Map | BuiltinType::Fn | BuiltinType::Type => {
            let hint = match t {
                BuiltinType::Map => " (write a map literal `{k: v}`)",
                BuiltinType::Fn => " (write `fn(x) { ... }`)",
                BuiltinType::None => " (write `none`)",
                _ => " (use `type(x)` to get a value's type)",
            };
            Err(MemoError::new("TypeError", format!("`{}` is not callable as a constructor{hint}", t.name())))
        }
    }
}

/// A string in quotes, with escapes, for messages.
fn quoted(s: &str) -> String {
    // Keep error messages short for huge inputs.
    let shown: String = s.chars().take(60).collect();
    let mut out = repr(&Value::str(shown.as_str()));
    if shown.len() < s.len() {
        out.push_str("...");
    }
    out
}

fn to_int(v: &Value) -> Result<Value> {
    match v {
        Value::Int(i) => Ok(Value::Int(*i)),
        Value::Bool(b) => Ok(Value::Int(b.get() as i64)),
        Value::Float(f) => float_to_int(f.get()).map(Value::Int),
        Value::Str(s) => parse_int(&s.s).map(Value::Int),
        other => Err(bad_arg("int", "a number, bool or str", other)),
    }
}

/// Truncates a float toward zero; an error for NaN, infinities and values
/// outside the i64 range.
pub(crate) fn float_to_int(f: f64) -> Result<i64> {
    if f.is_nan() {
        return Err(MemoError::new("ValueError", "cannot convert NaN to int"));
    }
    let t = f.trunc();
    // 2^63 is exactly representable; every float in [-2^63, 2^63) fits.
    if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&t) {
        return Err(MemoError::new(
            "OverflowError",
            format!("cannot convert float {} to int: out of range", repr(&Value::float(f))),
        ));
    }
    Ok(t as i64)
}

/// Parses an optionally signed decimal integer, ignoring surrounding whitespace.
pub(crate) fn parse_int(s: &str) -> Result<i64> {
    let t = s.trim();
    let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(MemoError::new("ValueError", format!("invalid int literal: {}", quoted(s))));
    }
    t.parse::<i64>().map_err(|_| MemoError::new("OverflowError", format!("int literal {} is out of range for int", quoted(s))))
}

fn to_float(v: &Value) -> Result<Value> {
    match v {
        Value::Float(f) => Ok(Value::Float(*f)),
        Value::Int(i) => Ok(Value::float(*i as f64)),
        Value::Bool(b) => Ok(Value::float(if b.get() { 1.0 } else { 0.0 })),
        Value::Str(s) => parse_float(&s.s).map(Value::float),
        other => Err(bad_arg("float", "a number, bool or str", other)),
    }
}

/// Parses a float: decimal or exponent notation, `inf`, `-inf`, `nan`
/// (case-insensitive), ignoring surrounding whitespace.
pub(crate) fn parse_float(s: &str) -> Result<f64> {
    let t = s.trim();
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    let ok_chars = body.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        || ["inf", "infinity", "nan"].iter().any(|w| body.eq_ignore_ascii_case(w));
    if !ok_chars || body.is_empty() {
        return Err(MemoError::new("ValueError", format!("invalid float literal: {}", quoted(s))));
    }
    t.parse::<f64>().map_err(|_| MemoError::new("ValueError", format!("invalid float literal: {}", quoted(s))))
}

/// `list(x)`: a list from a list, range, string (its characters) or map (its keys).
fn to_list(interp: &mut Interp, v: Value) -> Result<Value> {
    let max = interp.config.max_collection_len;
    // Counted, and the memory reserved, before the list is made: one
    // value per element (and a string per character).
    let (n, each) = match &v {
        Value::Range(r) => (r.len().min(max.saturating_add(1)), 0),
        Value::Str(s) => (s.s.len(), std::mem::size_of::<crate::value::StrObj>() + 32),
        Value::Map(m) => (m.map.len(), 0),
        _ => (0, 0),
    };
    interp.charge(n as u64)?;
    interp.reserve(n.saturating_mul(std::mem::size_of::<Value>() + each))?;
    match v {
        l @ Value::List(_) => Ok(l),
        Value::Range(r) => {
            let n = r.len();
            if n > max {
                return Err(too_large("list", n, max));
            }
            // Through i128 so that `a..=i64::MAX` keeps its last element.
            let end = r.end as i128 + r.inclusive as i128;
            Ok(Value::list((r.start as i128..end).map(|i| Value::Int(i as i64)).collect()))
        }
        Value::Str(s) => Ok(Value::list(s.s.chars().map(Value::char_str).collect())),
        Value::Map(m) => Ok(Value::list(m.map.keys().cloned().collect())),
        other => Err(bad_arg("list", "a list, range, str or map", &other)),
    }
}

fn int_arg(name: &str, v: &Value, what: &str) -> Result<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        other => Err(MemoError::new("TypeError", format!("{name}() expects an int {what}, got {}", other.type_name()))),
    }
}

/// `range(n)` is `0..n`, `range(a, b)` is `a..b`; `range(a, b, step)` is a
/// list (counting down for a negative step).
fn make_range(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("range", args, 1, 3)?;
    match args.len() {
        1 => Ok(Value::range(0, int_arg("range", &args[0], "end")?, false)),
        2 => Ok(Value::range(int_arg("range", &args[0], "start")?, int_arg("range", &args[1], "end")?, false)),
        _ => {
            let a = int_arg("range", &args[0], "start")?;
            let b = int_arg("range", &args[1], "end")?;
            let step = int_arg("range", &args[2], "step")?;
            let max = interp.config.max_collection_len;
            // Its length, counted and reserved before it is made.
            let n = if step == 0 { 0 } else { ((b as i128 - a as i128) / step as i128).clamp(0, max as i128 + 1) as usize };
            interp.charge(n as u64)?;
            interp.reserve_values(n)?;
            stepped_range(a, b, step, max)
        }
    }
}

/// The elements of `range(a, b, step)` as a list.
pub(crate) fn stepped_range(a: i64, b: i64, step: i64, max: usize) -> Result<Value> {
    if step == 0 {
        return Err(MemoError::new("ValueError", "range() step must not be zero"));
    }
    let (a, b, s) = (a as i128, b as i128, step as i128);
    let n: i128 = if s > 0 {
        if b > a {
            (b - a + s - 1) / s
        } else {
            0
        }
    } else if a > b {
        (a - b + (-s) - 1) / (-s)
    } else {
        0
    };
    if n > max as i128 {
        return Err(too_large("list", n.min(usize::MAX as i128) as usize, max));
    }
    // Every element lies between a and b, so it fits in an i64.
    Ok(Value::list((0..n).map(|k| Value::Int((a + k * s) as i64)).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(v: Value) -> Vec<i64> {
        match v {
            Value::List(l) => l
                .items
                .iter()
                .map(|x| match x {
                    Value::Int(i) => *i,
                    _ => panic!("not an int"),
                })
                .collect(),
            _ => panic!("not a list"),
        }
    }

    /// `int_len` and `push_int` (which trusts it with unchecked writes)
    /// against the standard formatting, at every bit-length and
    /// power-of-ten boundary, both signs, and the extremes.
    #[test]
    fn int_digits_match_to_string() {
        let mut cases = vec![0i64, 1, -1, i64::MAX, i64::MIN, i64::MIN + 1];
        for b in 0..63 {
            let p = 1i64 << b;
            cases.extend([p - 1, p, p + 1]);
        }
        let mut p = 1i64;
        for _ in 0..19 {
            cases.extend([p - 1, p, p + 1]);
            p = p.saturating_mul(10);
        }
        cases.extend(cases.clone().iter().map(|n| n.saturating_neg()));
        for n in cases {
            let want = n.to_string();
            assert_eq!(int_len(n), want.len(), "int_len({n})");
            let mut s = String::from("ab");
            push_int(&mut s, n);
            assert_eq!(s, format!("ab{want}"));
            assert_eq!(
                match int_str(n) {
                    Value::Str(s) => s.s.clone(),
                    _ => unreachable!(),
                },
                want
            );
        }
    }

    #[test]
    fn stepped_ranges() {
        assert_eq!(ints(stepped_range(0, 10, 3, 100).unwrap()), vec![0, 3, 6, 9]);
        assert_eq!(ints(stepped_range(10, 0, -3, 100).unwrap()), vec![10, 7, 4, 1]);
        assert_eq!(ints(stepped_range(0, 0, 1, 100).unwrap()), Vec::<i64>::new());
        assert_eq!(ints(stepped_range(5, 0, 1, 100).unwrap()), Vec::<i64>::new());
        assert_eq!(ints(stepped_range(i64::MAX - 2, i64::MAX, 5, 100).unwrap()), vec![i64::MAX - 2]);
        assert_eq!(ints(stepped_range(i64::MIN, i64::MIN + 1, i64::MAX, 100).unwrap()), vec![i64::MIN]);
        assert!(stepped_range(0, 1, 0, 100).is_err());
        assert!(stepped_range(i64::MIN, i64::MAX, 1, 100).is_err());
    }

    #[test]
    fn float_to_int_edges() {
        assert_eq!(float_to_int(-2.9).unwrap(), -2);
        assert_eq!(float_to_int(-9_223_372_036_854_775_808.0).unwrap(), i64::MIN);
        assert!(float_to_int(9_223_372_036_854_775_808.0).is_err());
        assert!(float_to_int(f64::NAN).is_err());
        assert!(float_to_int(f64::NEG_INFINITY).is_err());
    }

    #[test]
    fn parse_numbers() {
        assert_eq!(parse_int(" -42 ").unwrap(), -42);
        assert_eq!(parse_int("+7").unwrap(), 7);
        assert_eq!(parse_int("9223372036854775807").unwrap(), i64::MAX);
        assert_eq!(parse_int("9223372036854775808").unwrap_err().kind, "OverflowError");
        for bad in ["", "-", "1_000", "0x10", "1.5", "abc", "--1"] {
            assert_eq!(parse_int(bad).unwrap_err().kind, "ValueError", "{bad}");
        }
        assert_eq!(parse_float("1.5e3").unwrap(), 1500.0);
        assert_eq!(parse_float("-inf").unwrap(), f64::NEG_INFINITY);
        assert!(parse_float("NaN").unwrap().is_nan());
        for bad in ["", "1.2.3", "abc", "e", "1e", "infx"] {
            assert_eq!(parse_float(bad).unwrap_err().kind, "ValueError", "{bad}");
        }
    }
}
