//! Formatting natives: `format(template, args...)` with Python's format
//! specification mini-language, and `pad_left`, `pad_right`, `repeat`.
//!
//! A replacement field is `{}` (the next argument), `{0}` (an argument by
//! position), or `{name}` (a key of the one map argument, or a field of the
//! one struct argument), optionally followed by `:spec`, where spec is
//! `[[fill]align][sign][z][#][0][width][,|_][.precision][type]` as in
//! Python: align `<` `>` `^` `=`, sign `+` `-` or space, `z` turns a
//! negative zero into zero, `#` the alternate form (`0x`...), type one of
//! `s d n b o x X c e E f F g G %`. `{{` and `}}` are literal braces.
//!
//! Where memo differs from Python: a field without a type shows a value as
//! `str(x)` does (`1e20`, `NaN`, `true`), and non-finite floats print as
//! memo prints them (`NaN`, `inf`; `NAN`, `INF` for the upper-case types).
//! Widths are counted in characters. Nested fields (`{:{}}`) are not
//! supported.

use super::args::{int, str as str_arg};
use super::{arity, Builtin};
use crate::error::{MemoError, Result};
use crate::interp::ops::too_large;
use crate::interp::Interp;
use crate::value::Value;

pub const NATIVES: &[(&str, Builtin)] =
    &[("format", format), ("pad_left", pad_left), ("pad_right", pad_right), ("repeat", repeat)];

fn err(msg: impl Into<String>) -> MemoError {
    MemoError::new("ValueError", msg.into())
}

/// A parsed format spec.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Spec {
    fill: Option<char>,
    align: Option<char>,
    sign: char,
    z: bool,
    alt: bool,
    zero: bool,
    width: usize,
    grouping: Option<char>,
    precision: Option<usize>,
    ty: Option<char>,
}

impl Spec {
    pub(crate) fn parse(s: &str) -> Result<Spec> {
        let cs: Vec<char> = s.chars().collect();
        let mut i = 0;
        let mut spec = Spec {
            fill: None,
            align: None,
            sign: '-',
            z: false,
            alt: false,
            zero: false,
            width: 0,
            grouping: None,
            precision: None,
            ty: None,
        };
        let is_align = |c: char| matches!(c, '<' | '>' | '^' | '=');
        if cs.len() >= 2 && is_align(cs[1]) {
            spec.fill = Some(cs[0]);
            spec.align = Some(cs[1]);
            i = 2;
        } else if !cs.is_empty() && is_align(cs[0]) {
            spec.align = Some(cs[0]);
            i = 1;
        }
        if i < cs.len() && matches!(cs[i], '+' | '-' | ' ') {
            spec.sign = cs[i];
            i += 1;
        }
        if i < cs.len() && cs[i] == 'z' {
            spec.z = true;
            i += 1;
        }
        if i < cs.len() && cs[i] == '#' {
            spec.alt = true;
            i += 1;
        }
        if i < cs.len() && cs[i] == '0' {
            spec.zero = true;
            i += 1;
        }
        let number = |i: &mut usize| -> Result<Option<usize>> {
            let start = *i;
            while *i < cs.len() && cs[*i].is_ascii_digit() {
                *i += 1;
            }
            if *i == start {
                return Ok(None);
            }
            let digits: String = cs[start..*i].iter().collect();
            digits.parse::<usize>().map(Some).map_err(|_| err(format!("format(): `{digits}` is too large")))
        };
        spec.width = number(&mut i)?.unwrap_or(0);
        if i < cs.len() && matches!(cs[i], ',' | '_') {
            spec.grouping = Some(cs[i]);
            i += 1;
        }
        if i < cs.len() && cs[i] == '.' {
            i += 1;
            spec.precision =
                Some(number(&mut i)?.ok_or_else(|| err("format(): a `.` in a spec must be followed by a precision"))?);
        }
        if i < cs.len() {
            let t = cs[i];
            if !"sdnboxXceEfFgG%".contains(t) {
                return Err(err(format!("format(): unknown format type `{t}` in `{{:{s}}}`")));
            }
            spec.ty = Some(t);
            i += 1;
        }
        if i < cs.len() {
            return Err(err(format!("format(): invalid format spec `{s}`")));
        }
        if spec.grouping == Some(',') && matches!(spec.ty, Some('b' | 'o' | 'x' | 'X' | 'n' | 'c' | 's')) {
            return Err(err(format!("format(): `,` cannot be used with type `{}`", spec.ty.unwrap_or(' '))));
        }
        Ok(spec)
    }
}

/// A number split for padding: sign, prefix (`0x`), integer digits (to
/// group and zero-pad) and the rest (fraction, exponent, `%`).
struct Num {
    neg: bool,
    prefix: &'static str,
    digits: String,
    rest: String,
    /// Digits are a decimal integer part that grouping applies to.
    groupable: bool,
}

/// The `str(x)` form of a value (strings raw).
fn display(v: &Value, max: usize) -> Result<String> {
    match v {
        Value::Str(s) => Ok(s.s.clone()),
        other => crate::value::repr_limited(other, max),
    }
}

/// Formats one value with a spec.
pub(crate) fn format_value(v: &Value, spec: &Spec, max: usize) -> Result<String> {
    if spec.width > max {
        return Err(too_large("string", spec.width, max));
    }
    crate::alloc::check_room(spec.width.saturating_mul(spec.fill.map_or(1, char::len_utf8)))?;
    if spec.precision.is_some_and(|p| p > max) {
        return Err(too_large("string", spec.precision.unwrap_or(0), max));
    }
    // A number as long as its precision: the types that keep every digit
    // (a string's precision only cuts it; `g` drops trailing zeros).
    let keeps_digits =
        matches!(spec.ty, Some('e' | 'E' | 'f' | 'F' | '%')) || (spec.alt && matches!(spec.ty, None | Some('g' | 'G' | 'n')));
    if keeps_digits && matches!(v, Value::Int(_) | Value::Float(_)) {
        crate::alloc::check_room(spec.precision.unwrap_or(0))?;
    }
    let num = match (v, spec.ty) {
        (Value::Int(i), None | Some('d' | 'n' | 'b' | 'o' | 'x' | 'X')) => {
            if spec.precision.is_some() {
                return Err(err("format(): an int takes no precision (format it as a float: `{:.2f}`)"));
            }
            int_num(*i, spec)
        }
        (Value::Int(i), Some('c')) => {
            let c = u32::try_from(*i).ok().and_then(char::from_u32).ok_or_else(|| {
                err(format!("format(): {i} is not a Unicode code point (type `c` needs 0..=0x10FFFF, not a surrogate)"))
            })?;
            return Ok(pad(c.to_string(), spec, false));
        }
        (Value::Int(i), Some(_)) => float_num(*i as f64, spec)?,
        (Value::Float(f), None) if spec.precision.is_none() => {
            let x = f.get();
            let shown = display(&Value::float(x.abs()), max)?;
            let (digits, rest) = match shown.find(|c: char| !c.is_ascii_digit()) {
                Some(k) => (shown[..k].to_string(), shown[k..].to_string()),
                None => (shown, String::new()),
            };
            let groupable = !digits.is_empty();
            let neg = x.is_sign_negative() && !x.is_nan() && !(spec.z && x == 0.0);
            Num { neg, prefix: "", digits, rest, groupable }
        }
        (Value::Float(f), None | Some('e' | 'E' | 'f' | 'F' | 'g' | 'G' | 'n' | '%')) => float_num(f.get(), spec)?,
        (Value::Float(_), Some(t)) if t != 's' => {
            return Err(err(format!("format(): type `{t}` needs an int, got a float (convert it first: round(x) or int(x))")))
        }
        (other, Some(t)) if t != 's' => {
            return Err(MemoError::new("TypeError", format!("format(): type `{t}` needs a number, got {}", other.type_name())))
        }
        (other, _) => {
            if spec.sign != '-' || spec.alt || spec.grouping.is_some() || spec.z {
                return Err(err(format!("format(): a sign, `#`, `z` or grouping needs a number, got {}", other.type_name())));
            }
            if spec.align == Some('=') {
                return Err(err(format!("format(): alignment `=` needs a number, got {}", other.type_name())));
            }
            let mut s = display(other, max)?;
            if let Some(p) = spec.precision {
                if let Some((at, _)) = s.char_indices().nth(p) {
                    s.truncate(at);
                }
            }
            return Ok(pad(s, spec, false));
        }
    };
    Ok(assemble(num, spec))
}

/// An int's digits in the spec's base.
fn int_num(i: i64, spec: &Spec) -> Num {
    let u = i.unsigned_abs();
    let (prefix, digits) = match spec.ty {
        Some('b') => ("0b", format!("{u:b}")),
        Some('o') => ("0o", format!("{u:o}")),
        Some('x') => ("0x", format!("{u:x}")),
        Some('X') => ("0X", format!("{u:X}")),
        _ => ("", u.to_string()),
    };
    Num { neg: i < 0, prefix: if spec.alt { prefix } else { "" }, digits, rest: String::new(), groupable: true }
}

/// `1.5e3` → `("1.5", 3)`: Rust's exponent form split.
fn split_exp(s: &str) -> (&str, i64) {
    match s.split_once('e') {
        Some((m, e)) => (m, e.parse().unwrap_or(0)),
        None => (s, 0),
    }
}

/// Python's exponent suffix: `e+03`, `E-10`.
fn exp_suffix(e: i64, upper: bool) -> String {
    format!("{}{}{:02}", if upper { 'E' } else { 'e' }, if e < 0 { '-' } else { '+' }, e.unsigned_abs())
}

/// A float formatted by type `e`, `f`, `g`, `%` (or none with a precision).
fn float_num(x: f64, spec: &Spec) -> Result<Num> {
    let ty = spec.ty;
    let upper = matches!(ty, Some('E' | 'F' | 'G'));
    if !x.is_finite() {
        let word = match (x.is_nan(), upper) {
            (true, false) => "NaN",
            (true, true) => "NAN",
            (false, false) => "inf",
            (false, true) => "INF",
        };
        let rest = if ty == Some('%') { "%" } else { "" };
        return Ok(Num { neg: x < 0.0, prefix: "", digits: word.to_string(), rest: rest.to_string(), groupable: false });
    }
    let a = x.abs();
    let (body, pct) = match ty {
        Some('f' | 'F') => (fixed(a, spec.precision.unwrap_or(6), spec.alt), false),
        Some('%') => (fixed(a * 100.0, spec.precision.unwrap_or(6), spec.alt), true),
        Some('e' | 'E') => (sci(a, spec.precision.unwrap_or(6), spec.alt, upper), false),
        // g, G, n, or no type with a precision
        _ => (general(a, spec.precision.unwrap_or(6), spec.alt, upper, ty.is_none()), false),
    };
    let k = body.find(|c: char| !c.is_ascii_digit()).unwrap_or(body.len());
    let (digits, mut rest) = (body[..k].to_string(), body[k..].to_string());
    if pct {
        rest.push('%');
    }
    // Negative zero: Python keeps the sign ("-0.00") unless `z`; `z` also
    // drops it from a negative number that rounds to zero.
    let all_zero = body.bytes().take_while(|b| *b != b'e' && *b != b'E').all(|b| b == b'0' || b == b'.');
    let neg = x.is_sign_negative() && !(spec.z && all_zero);
    Ok(Num { neg, prefix: "", digits, rest, groupable: true })
}

/// The most decimals Rust's formatting is asked for: its precision is a
/// `u16` (more panics), and a finite float's exact expansion ends within
/// 1,074 decimals after the point and 767 significant digits, so every
/// decimal past this many is a zero.
const EXACT_DECIMALS: usize = 1_100;

/// `a` with `p` decimals (`{a:.p$}`), for any `p`.
fn with_decimals(a: f64, p: usize) -> String {
    if !a.is_finite() {
        // `inf`, `NaN`: no digits to give (and Rust panics past a `u16`
        // precision even here).
        return format!("{a}");
    }
    if p <= EXACT_DECIMALS {
        return format!("{a:.p$}");
    }
    let mut s = format!("{a:.EXACT_DECIMALS$}");
    s.extend(std::iter::repeat('0').take(p - EXACT_DECIMALS));
    s
}

/// `a` in scientific notation with `p` decimals in the mantissa
/// (`{a:.p$e}`), for any `p`.
fn with_decimals_sci(a: f64, p: usize) -> String {
    if !a.is_finite() {
        return format!("{a:e}");
    }
    if p <= EXACT_DECIMALS {
        return format!("{a:.p$e}");
    }
    let s = format!("{a:.EXACT_DECIMALS$e}");
    let e = s.find('e').unwrap_or(s.len());
    let mut out = String::with_capacity(s.len() + p - EXACT_DECIMALS);
    out.push_str(&s[..e]);
    out.extend(std::iter::repeat('0').take(p - EXACT_DECIMALS));
    out.push_str(&s[e..]);
    out
}

/// Fixed point with `p` decimals (exact, half to even).
fn fixed(a: f64, p: usize, alt: bool) -> String {
    let mut s = with_decimals(a, p);
    if alt && p == 0 {
        s.push('.');
    }
    s
}

/// Scientific with `p` decimals in the mantissa.
fn sci(a: f64, p: usize, alt: bool, upper: bool) -> String {
    let s = with_decimals_sci(a, p);
    let (m, e) = split_exp(&s);
    let mut out = m.to_string();
    if alt && p == 0 {
        out.push('.');
    }
    out.push_str(&exp_suffix(e, upper));
    out
}

/// Python's general format (`g`), or the no-type form with a precision
/// (`plain`: fixed notation keeps one decimal, and switches to scientific
/// one exponent earlier, as Python's `repr`-like rule does).
fn general(a: f64, p: usize, alt: bool, upper: bool, plain: bool) -> String {
    // Without `#` the trailing zeros go: past the digits a float has
    // (`EXACT_DECIMALS` is more than its 767 significant digits and its
    // largest exponent), a larger precision gives the same string.
    let p = if alt { p.max(1) } else { p.clamp(1, EXACT_DECIMALS) };
    let exp = if a == 0.0 { 0 } else { split_exp(&with_decimals_sci(a, p - 1)).1 };
    let limit = if plain { p as i64 - 1 } else { p as i64 };
    let mut s = if -4 <= exp && exp < limit {
        fixed(a, (p as i64 - 1 - exp).max(0) as usize, false)
    } else {
        sci(a, p - 1, false, upper)
    };
    if !alt {
        // Drop trailing zeros of the fraction (and a bare point).
        let (m, e) = match s.find(['e', 'E']) {
            Some(k) => (s[..k].to_string(), s[k..].to_string()),
            None => (s.clone(), String::new()),
        };
        let m = if m.contains('.') { m.trim_end_matches('0').trim_end_matches('.').to_string() } else { m };
        s = m + &e;
    } else if !s.contains('.') {
        match s.find(['e', 'E']) {
            Some(k) => s.insert(k, '.'),
            None => s.push('.'),
        }
    }
    if plain && !s.contains(['.', 'e', 'E']) {
        s.push_str(".0");
    }
    s
}

/// `digits` with a separator every `n` digits from the right.
fn group(digits: &str, sep: char, n: usize) -> String {
    let len = digits.len();
    let mut out = String::with_capacity(len + len / n);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (len - i) % n == 0 {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// Sign, prefix, digits (grouped, zero-padded) and rest, then padding.
fn assemble(mut num: Num, spec: &Spec) -> String {
    let sign = match (num.neg, spec.sign) {
        (true, _) => "-",
        (false, '+') => "+",
        (false, ' ') => " ",
        _ => "",
    };
    let group_n = if matches!(spec.ty, Some('b' | 'o' | 'x' | 'X')) { 4 } else { 3 };
    let zero_fill = spec.zero && spec.fill.is_none() && spec.align.is_none() && num.groupable;
    if zero_fill {
        // Sign-aware zero padding: zeros between the sign and the digits,
        // grouped like the digits.
        let fixed_len = sign.len() + num.prefix.len() + num.rest.chars().count();
        let target = spec.width.saturating_sub(fixed_len);
        let grouped_len = |n: usize| if spec.grouping.is_some() && n > 0 { n + (n - 1) / group_n } else { n };
        let mut n = num.digits.len();
        if grouped_len(n) < target {
            // The fewest digits whose grouped length reaches the target.
            n = target * group_n / (group_n + 1);
            while grouped_len(n) < target {
                n += 1;
            }
            while n > num.digits.len() && grouped_len(n - 1) >= target {
                n -= 1;
            }
            let mut padded = "0".repeat(n - num.digits.len());
            padded.push_str(&num.digits);
            num.digits = padded;
        }
    }
    let digits = match spec.grouping {
        Some(sep) if num.groupable => group(&num.digits, sep, group_n),
        _ => num.digits,
    };
    let body = format!("{}{digits}{}", num.prefix, num.rest);
    if zero_fill {
        return format!("{sign}{body}");
    }
    // `=`, or the zero flag on `inf` / `NaN` (zeros, as Python pads them).
    if spec.align == Some('=') || (spec.zero && spec.fill.is_none() && spec.align.is_none()) {
        let fill = spec.fill.unwrap_or(if spec.zero { '0' } else { ' ' });
        let len = sign.chars().count() + body.chars().count();
        let mut out = String::from(sign);
        out.extend(std::iter::repeat(fill).take(spec.width.saturating_sub(len)));
        out.push_str(&body);
        return out;
    }
    pad(format!("{sign}{body}"), spec, true)
}

/// Pads to the spec's width with its fill and alignment (numbers default
/// to the right, everything else to the left).
fn pad(s: String, spec: &Spec, number: bool) -> String {
    let len = s.chars().count();
    if len >= spec.width {
        return s;
    }
    let fill = spec.fill.unwrap_or(if spec.zero { '0' } else { ' ' });
    let n = spec.width - len;
    let (left, right) = match spec.align.unwrap_or(if number { '>' } else { '<' }) {
        '<' => (0, n),
        '^' => (n / 2, n - n / 2),
        _ => (n, 0),
    };
    let mut out = String::with_capacity(s.len() + n * fill.len_utf8());
    out.extend(std::iter::repeat(fill).take(left));
    out.push_str(&s);
    out.extend(std::iter::repeat(fill).take(right));
    out
}

/// Which argument a field names.
enum Field<'a> {
    Next,
    Index(usize),
    Name(&'a str),
}

/// `format(template, args...)`: see the module comment.
fn format(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("format", args, 1, usize::MAX)?;
    let Value::Str(fmt) = &args[0] else {
        return Err(MemoError::new("TypeError", format!("format() expects a str as the format, got {}", args[0].type_name())));
    };
    let fmt = fmt.clone();
    let rest = &args[1..];
    let max = interp.config.max_collection_len;
    let text = fmt.s.as_str();
    let mut out = String::with_capacity(text.len() + 8 * rest.len());
    let mut next = 0usize;
    let (mut auto, mut manual) = (false, false);
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut lit_start = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'{' if bytes.get(i + 1) == Some(&b'{') => {
                out.push_str(&text[lit_start..i]);
                out.push('{');
                i += 2;
                lit_start = i;
            }
            b'}' if bytes.get(i + 1) == Some(&b'}') => {
                out.push_str(&text[lit_start..i]);
                out.push('}');
                i += 2;
                lit_start = i;
            }
            b'}' => return Err(err("format(): a single `}` must be written `}}`")),
            b'{' => {
                out.push_str(&text[lit_start..i]);
                let close = text[i + 1..].find('}').map(|k| i + 1 + k).ok_or_else(|| {
                    err("format(): a `{` must be closed by `}` (a placeholder) or doubled `{{` (a literal brace)")
                })?;
                let inner = &text[i + 1..close];
                if inner.contains('{') {
                    return Err(err("format(): nested fields like `{:{}}` are not supported"));
                }
                let (name, spec) = match inner.split_once(':') {
                    Some((n, s)) => (n, Some(s)),
                    None => (inner, None),
                };
                let field = if name.is_empty() {
                    Field::Next
                } else if name.bytes().all(|b| b.is_ascii_digit()) {
                    Field::Index(name.parse().map_err(|_| err(format!("format(): field `{name}` is too large")))?)
                } else if name.starts_with(|c: char| c.is_alphabetic() || c == '_')
                    && name.chars().all(|c| c.is_alphanumeric() || c == '_')
                {
                    Field::Name(name)
                } else {
                    return Err(err(format!(
                        "format(): `{{{inner}}}` is not a field (`{{}}`, `{{0}}`, `{{name}}`, then `:spec`)"
                    )));
                };
                let v = match field {
                    Field::Next => {
                        if manual {
                            return Err(err("format(): cannot mix `{}` with numbered fields like `{0}`"));
                        }
                        auto = true;
                        next += 1;
                        rest.get(next - 1)
                    }
                    Field::Index(k) => {
                        if auto {
                            return Err(err("format(): cannot mix `{}` with numbered fields like `{0}`"));
                        }
                        manual = true;
                        next = next.max(k + 1);
                        Some(rest.get(k).ok_or_else(|| {
                            MemoError::new(
                                "IndexError",
                                format!("format(): field `{{{k}}}` but only {} argument{} given", rest.len(), plural(rest.len())),
                            )
                        })?)
                    }
                    Field::Name(n) => Some(named(rest, n)?),
                };
                if let Some(v) = v {
                    match spec {
                        None | Some("") => match v {
                            Value::Str(s) => out.push_str(&s.s),
                            // Metered: a value that shares its parts can
                            // print far longer than its memory suggests.
                            other => out.push_str(&interp.repr_metered(other)?),
                        },
                        Some(s) => {
                            if matches!(v, Value::List(_) | Value::Map(_) | Value::Struct(_)) {
                                // The same bound before the unmetered display.
                                interp.repr_metered(v)?;
                            }
                            out.push_str(&format_value(v, &Spec::parse(s)?, max)?)
                        }
                    }
                }
                i = close + 1;
                lit_start = i;
            }
            _ => i += 1,
        }
        if out.len() > max {
            return Err(too_large("string", out.len(), max));
        }
    }
    out.push_str(&text[lit_start..]);
    if out.len() > max {
        return Err(too_large("string", out.len(), max));
    }
    if auto && next != rest.len() {
        return Err(err(format!(
            "format() string has {next} placeholder{} but {} argument{} given",
            plural(next),
            rest.len(),
            if rest.len() == 1 { " was" } else { "s were" }
        )));
    }
    Ok(Value::str(out))
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// `{name}`: a key of the one map argument or a field of the one struct.
fn named<'a>(rest: &'a [Value], name: &str) -> Result<&'a Value> {
    match rest {
        [Value::Map(m)] => m
            .map
            .get(&Value::str(name))
            .ok_or_else(|| MemoError::new("KeyError", format!("format(): field `{{{name}}}`: the map has no key \"{name}\""))),
        [Value::Struct(s)] => s.ty.fields.iter().position(|f| f.as_str() == name).map(|k| &s.fields[k]).ok_or_else(|| {
            MemoError::new(
                "AttributeError",
                format!("format(): field `{{{name}}}`: struct `{}` has no field `{name}`", s.ty.name),
            )
        }),
        _ => Err(MemoError::new(
            "TypeError",
            format!("format(): a named field `{{{name}}}` needs exactly one map or struct argument"),
        )),
    }
}

/// `pad_left(x, width[, fill])` / `pad_right`: `str(x)` padded with
/// `fill` (a one-character string, a space by default) on the left / right
/// to `width` characters; longer strings are returned whole.
fn padded(interp: &mut Interp, args: &mut [Value], name: &str, left: bool) -> Result<Value> {
    arity(name, args, 2, 3)?;
    let width = int(name, args, 1)?;
    let width = usize::try_from(width).map_err(|_| err(format!("{name}() width must be >= 0, got {width}")))?;
    let max = interp.config.max_collection_len;
    if width > max {
        return Err(too_large("string", width, max));
    }
    let fill = match args.get(2) {
        None => ' ',
        Some(_) => {
            let f = str_arg(name, args, 2)?;
            let mut cs = f.s.chars();
            match (cs.next(), cs.next()) {
                (Some(c), None) => c,
                _ => {
                    return Err(err(format!(
                        "{name}() fill must be one character, got {}",
                        crate::value::repr_prefix(&args[2], 80)
                    )))
                }
            }
        }
    };
    let s = match &args[0] {
        Value::Str(s) => s.s.clone(),
        other => interp.repr_metered(other)?,
    };
    let n = width.saturating_sub(s.chars().count());
    interp.reserve(n.saturating_mul(fill.len_utf8()))?;
    interp.charge_bytes(n)?;
    if n == 0 {
        return Ok(match &args[0] {
            Value::Str(_) => std::mem::take(&mut args[0]),
            _ => Value::str(s),
        });
    }
    let pad: String = std::iter::repeat(fill).take(n).collect();
    Ok(Value::str(if left { pad + &s } else { s + &pad }))
}

fn pad_left(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    padded(interp, args, "pad_left", true)
}

fn pad_right(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    padded(interp, args, "pad_right", false)
}

/// `repeat(x, n)`: a string or list repeated n times (n >= 0).
fn repeat(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("repeat", args, 2, 2)?;
    let n = int("repeat", args, 1)?;
    let n = usize::try_from(n).map_err(|_| err(format!("repeat() count must be >= 0, got {n}")))?;
    let seq = &args[0];
    if !matches!(seq, Value::Str(_) | Value::List(_)) {
        return Err(super::bad_arg("repeat", "a str or list", seq));
    }
    let len = crate::interp::ops::repeated_len(seq, n as u64, interp.config.max_collection_len)?;
    // Counted as work and as memory before it is made, so an error points here.
    if matches!(seq, Value::Str(_)) {
        interp.charge_bytes(len)?;
        interp.reserve(len)?;
    } else {
        interp.charge(len as u64)?;
        interp.reserve_values(len)?;
    }
    Ok(crate::interp::ops::build_repeat(seq, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(spec: &str, v: Value) -> String {
        match Spec::parse(spec).and_then(|s| format_value(&v, &s, 1 << 20)) {
            Ok(s) => s,
            Err(e) => format!("<{}: {}>", e.kind.name(), e.message),
        }
    }
    fn f(x: f64) -> Value {
        Value::float(x)
    }
    fn i(x: i64) -> Value {
        Value::Int(x)
    }

    /// Expected values are CPython 3.11's `format(value, spec)`.
    #[test]
    fn python_specs() {
        let cases: &[(&str, Value, &str)] = &[
            (".2f", f(6232921.300000054), "6232921.30"),
            (",.2f", f(6232921.300000054), "6,232,921.30"),
            (".2f", f(2.675), "2.67"),
            (".0f", f(2.5), "2"),
            (".0f", f(3.5), "4"),
            (".2f", f(-0.0), "-0.00"),
            ("z.2f", f(-0.0), "0.00"),
            ("z.1f", f(-0.04), "0.0"),
            (".1f", f(-0.04), "-0.0"),
            (">10", i(42), "        42"),
            ("<8", Value::str("ab"), "ab      "),
            ("^5", Value::str("x"), "  x  "),
            ("*^7", Value::str("mid"), "**mid**"),
            (",", i(1234567), "1,234,567"),
            (",", i(-1234567), "-1,234,567"),
            ("_", i(1234567), "1_234_567"),
            (",", f(1234567.5), "1,234,567.5"),
            ("08.3f", f(3.14158), "0003.142"),
            ("08.3f", f(-3.14158), "-003.142"),
            ("+08.3f", f(3.14158), "+003.142"),
            ("010,", i(1234), "00,001,234"),
            ("09,", i(1234), "0,001,234"),
            ("e", f(1234.5), "1.234500e+03"),
            (".2e", f(0.000123), "1.23e-04"),
            ("E", f(1e100), "1.000000E+100"),
            (".3e", f(1234.5), "1.234e+03"),
            ("x", i(255), "ff"),
            ("#x", i(255), "0xff"),
            ("X", i(255), "FF"),
            ("#X", i(255), "0XFF"),
            ("x", i(-255), "-ff"),
            ("b", i(5), "101"),
            ("#b", i(5), "0b101"),
            ("o", i(8), "10"),
            ("#o", i(8), "0o10"),
            ("_x", i(0xffffff), "ff_ffff"),
            ("#010x", i(255), "0x000000ff"),
            ("%", f(0.25), "25.000000%"),
            (".1%", f(0.1234), "12.3%"),
            (".0%", i(1), "100%"),
            ("g", f(1234.5), "1234.5"),
            ("g", f(0.00001234), "1.234e-05"),
            ("g", f(1e16), "1e+16"),
            (".3g", f(1234.5), "1.23e+03"),
            (".3g", f(0.0001), "0.0001"),
            ("g", f(100.0), "100"),
            ("#g", f(100.0), "100.000"),
            ("G", f(1e-10), "1E-10"),
            (".3", f(3.14158), "3.14"),
            (".4", f(12.0), "12.0"),
            (".2", f(100.0), "1e+02"),
            (".1", f(0.5), "0.5"),
            (".1", f(1.0), "1e+00"),
            (".3", f(1e-5), "1e-05"),
            (".3", f(123456789.0), "1.23e+08"),
            (".0", f(0.1), "0.1"),
            ("d", i(-7), "-7"),
            ("+d", i(7), "+7"),
            (" d", i(7), " 7"),
            ("=+6", i(42), "+   42"),
            ("0=6", i(-42), "-00042"),
            ("c", i(65), "A"),
            ("f", i(3), "3.000000"),
            (".2f", i(3), "3.00"),
            ("d", i(i64::MIN), "-9223372036854775808"),
            ("x", i(i64::MIN), "-8000000000000000"),
            (",d", i(i64::MIN), "-9,223,372,036,854,775,808"),
            (".3", Value::str("abcdef"), "abc"),
            ("5", Value::str("é"), "é    "),
            ("s", Value::str("plain"), "plain"),
            ("", f(1e20), "1e20"),
            ("10", f(1.5), "       1.5"),
            ("<6", i(1), "1     "),
            ("^6", Value::bool(true), " true "),
            (".1f", f(1e300), "1000000000000000052504760255204420248704468581108159154915854115511802457988908195786371375080447864043704443832883878176942523235360430575644792184786706982848387200926575803737830233794788090059368953234970799945081119038967640880074652742780142494579258788820056842838115669472196386865459400540160.0"),
        ];
        for (spec, v, want) in cases {
            assert_eq!(&fmt(spec, v.clone()), want, "format({}, {spec:?})", crate::value::repr(v));
        }
    }

    #[test]
    fn non_finite_and_errors() {
        assert_eq!(fmt(".2f", f(f64::NAN)), "NaN");
        assert_eq!(fmt(".2F", f(f64::INFINITY)), "INF");
        assert_eq!(fmt("8.2f", f(f64::NEG_INFINITY)), "    -inf");
        assert_eq!(fmt("08.2f", f(f64::INFINITY)), "00000inf");
        assert_eq!(fmt(".1%", f(f64::INFINITY)), "inf%");
        assert_eq!(
            fmt("d", f(1.5)),
            "<ValueError: format(): type `d` needs an int, got a float (convert it first: round(x) or int(x))>"
        );
        assert!(fmt(".2f", Value::str("x")).starts_with("<TypeError"));
        assert!(fmt(".2d", i(1)).starts_with("<ValueError"));
        assert!(fmt("q", i(1)).starts_with("<ValueError"));
        assert!(fmt(",x", i(1)).starts_with("<ValueError"));
        assert!(fmt("+", Value::str("s")).starts_with("<ValueError"));
        assert!(fmt("c", i(0xD800)).starts_with("<ValueError"));
        assert!(fmt("c", i(-1)).starts_with("<ValueError"));
        assert!(fmt("99999999999999999999999", i(1)).starts_with("<ValueError"));
        assert!(fmt("2000000", i(1)).starts_with("<LimitError"));
        assert!(fmt(".2000000f", f(1.0)).starts_with("<LimitError"));
        assert!(fmt(".", f(1.0)).starts_with("<ValueError"));
    }

    #[test]
    fn grouping_helper() {
        assert_eq!(group("1", ',', 3), "1");
        assert_eq!(group("1234", ',', 3), "1,234");
        assert_eq!(group("123456", ',', 3), "123,456");
        assert_eq!(group("12345678", '_', 4), "1234_5678");
    }
}
