//! Math natives: `sqrt`, `cbrt`, `floor`, `ceil`, `round`, `trunc`, `pow`,
//! `exp`, `log`, `log2`, `log10`, trigonometry (`sin` ... `atan2`,
//! `sinh`, `cosh`, `tanh`, `degrees`, `radians`), `hypot`, `is_nan`,
//! `is_finite`, `clamp`, `gcd`, `lcm`, `mean`, `median`, and the constants
//! `pi`, `e`, `inf`, `nan` (globals holding floats).
//!
//! Decisions (also in docs/language.md §8 "Math"):
//!
//! * Results are the IEEE operations of the platform's libm, as Python's
//!   `math` module gives them (`sqrt` is the correctly rounded square root,
//!   never `x ** 0.5`).
//! * A domain error (a NaN result from arguments that are not NaN:
//!   `sqrt(-1)`, `log(0)`, `asin(2)`, `sin(inf)`) is a `ValueError`; an
//!   overflow gives `inf` (`exp(1000)`), as memo's float arithmetic does.
//!   NaN in gives NaN out.
//! * `floor`, `ceil`, `trunc` and `round(x)` give ints (Python 3): NaN or
//!   an infinity is a `ValueError`, a float beyond the int range an
//!   `OverflowError`.
//! * `round` rounds half to even (banker's rounding), as Python's `round`:
//!   `round(2.5) == 2`, `round(3.5) == 4`. `round(x, digits)` rounds the
//!   exact binary value of `x`, so `round(2.675, 2) == 2.67` (2.675 is
//!   stored as 2.67499999...). Digits may be negative (`round(1250, -2)
//!   == 1200`). It returns a float for a float, an int for an int.
//! * `pow(x, y)` is exactly `x ** y`; `pow(x, y, m)` is the modular power
//!   of ints (`y >= 0`, `m != 0`), with the sign of `m` (Python's).

use super::args::{int, num};
use super::{arity, bad_arg, Builtin};
use crate::error::{MemoError, Result};
use crate::interp::Interp;
use crate::value::Value;

pub const NATIVES: &[(&str, Builtin)] = &[
    ("sqrt", sqrt),
    ("cbrt", cbrt),
    ("floor", floor),
    ("ceil", ceil),
    ("trunc", trunc),
    ("round", round),
    ("pow", pow),
    ("exp", exp),
    ("log", log),
    ("log2", log2),
    ("log10", log10),
    ("sin", sin),
    ("cos", cos),
    ("tan", tan),
    ("asin", asin),
    ("acos", acos),
    ("atan", atan),
    ("atan2", atan2),
    ("sinh", sinh),
    ("cosh", cosh),
    ("tanh", tanh),
    ("degrees", degrees),
    ("radians", radians),
    ("hypot", hypot),
    ("is_nan", is_nan),
    ("is_finite", is_finite),
    ("clamp", clamp),
    ("gcd", gcd),
    ("lcm", lcm),
    ("mean", mean),
    ("median", median),
];

/// Defines the constants `pi`, `e`, `inf`, `nan`.
pub fn register_constants(interp: &mut Interp) {
    interp.set_global("pi", Value::float(std::f64::consts::PI));
    interp.set_global("e", Value::float(std::f64::consts::E));
    interp.set_global("inf", Value::float(f64::INFINITY));
    interp.set_global("nan", Value::float(f64::NAN));
}

/// A float function of one number, with the domain-error rule.
fn unary(name: &str, args: &[Value], f: fn(f64) -> f64) -> Result<Value> {
    arity(name, args, 1, 1)?;
    let x = num(name, args, 0)?;
    checked(name, &[x], f(x))
}

/// `r`, or a `ValueError` when it is NaN and no input was.
fn checked(name: &str, inputs: &[f64], r: f64) -> Result<Value> {
    if r.is_nan() && !inputs.iter().any(|x| x.is_nan()) {
        let shown: Vec<String> = inputs.iter().map(|x| crate::value::repr(&Value::float(*x))).collect();
        return Err(MemoError::new("ValueError", format!("{name}({}) is outside the function's domain", shown.join(", "))));
    }
    Ok(Value::float(r))
}

fn sqrt(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    unary("sqrt", args, f64::sqrt)
}
fn cbrt(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    unary("cbrt", args, f64::cbrt)
}
fn exp(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    unary("exp", args, f64::exp)
}
fn log2(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    log_of("log2", args, f64::log2)
}
fn log10(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    log_of("log10", args, f64::log10)
}
fn sin(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    unary("sin", args, f64::sin)
}
fn cos(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    unary("cos", args, f64::cos)
}
fn tan(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    unary("tan", args, f64::tan)
}
fn asin(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    unary("asin", args, f64::asin)
}
fn acos(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    unary("acos", args, f64::acos)
}
fn atan(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    unary("atan", args, f64::atan)
}
fn sinh(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    unary("sinh", args, f64::sinh)
}
fn cosh(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    unary("cosh", args, f64::cosh)
}
fn tanh(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    unary("tanh", args, f64::tanh)
}
fn degrees(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    unary("degrees", args, f64::to_degrees)
}
fn radians(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    unary("radians", args, f64::to_radians)
}

/// `atan2(y, x)`: the angle of the point (x, y), in (-pi, pi].
fn atan2(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("atan2", args, 2, 2)?;
    let (y, x) = (num("atan2", args, 0)?, num("atan2", args, 1)?);
    checked("atan2", &[y, x], y.atan2(x))
}

/// `hypot(x, y, ...)`: the Euclidean norm, without intermediate overflow.
fn hypot(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("hypot", args, 1, usize::MAX)?;
    let mut acc = 0.0f64;
    let mut any_nan = false;
    let mut any_inf = false;
    for i in 0..args.len() {
        let x = num("hypot", args, i)?;
        any_nan |= x.is_nan();
        any_inf |= x.is_infinite();
        acc = acc.hypot(x);
    }
    // As Python: an infinity wins over NaN.
    Ok(Value::float(if any_inf {
        f64::INFINITY
    } else if any_nan {
        f64::NAN
    } else {
        acc
    }))
}

/// A logarithm: `ValueError` for x <= 0 (log(0) has no finite value).
fn log_of(name: &str, args: &[Value], f: fn(f64) -> f64) -> Result<Value> {
    arity(name, args, 1, 1)?;
    let x = num(name, args, 0)?;
    positive(name, x)?;
    Ok(Value::float(f(x)))
}

fn positive(name: &str, x: f64) -> Result<()> {
    if x <= 0.0 {
        return Err(MemoError::new(
            "ValueError",
            format!("{name}() needs a positive number, got {}", crate::value::repr(&Value::float(x))),
        ));
    }
    Ok(())
}

/// `log(x[, base])`: the natural logarithm, or in `base` (exact for
/// powers of 2 and 10 in those bases: `log(8, 2) == 3.0`).
fn log(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("log", args, 1, 2)?;
    let x = num("log", args, 0)?;
    positive("log", x)?;
    if args.len() == 1 {
        return Ok(Value::float(x.ln()));
    }
    let b = num("log", args, 1)?;
    positive("log", b)?;
    if b == 1.0 {
        return Err(MemoError::new("ValueError", "log() base 1 has no logarithm (it divides by log(1) == 0)"));
    }
    Ok(Value::float(if b == 2.0 {
        x.log2()
    } else if b == 10.0 {
        x.log10()
    } else {
        x.ln() / b.ln()
    }))
}

/// A float as an int, for `floor`, `ceil`, `trunc` and `round`.
fn to_int(name: &str, x: f64) -> Result<Value> {
    if x.is_nan() || x.is_infinite() {
        return Err(MemoError::new(
            "ValueError",
            format!("{name}() of {} has no int value", crate::value::repr(&Value::float(x))),
        ));
    }
    // -2^63 is exact; 2^63 is the first float past the range.
    if !(-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&x) {
        return Err(MemoError::new(
            "OverflowError",
            format!("{name}() of {} does not fit in an int", crate::value::repr(&Value::float(x))),
        ));
    }
    Ok(Value::Int(x as i64))
}

fn int_rounding(name: &str, args: &[Value], f: fn(f64) -> f64) -> Result<Value> {
    arity(name, args, 1, 1)?;
    match &args[0] {
        Value::Int(i) => Ok(Value::Int(*i)),
        Value::Float(x) => to_int(name, f(x.get())),
        other => Err(bad_arg(name, "a number", other)),
    }
}

/// `floor(x)`: the largest int <= x.
fn floor(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    int_rounding("floor", args, f64::floor)
}
/// `ceil(x)`: the smallest int >= x.
fn ceil(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    int_rounding("ceil", args, f64::ceil)
}
/// `trunc(x)`: x without its fraction (toward zero).
fn trunc(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    int_rounding("trunc", args, f64::trunc)
}

/// `round(x[, digits])`: half to even (see the module comment).
fn round(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("round", args, 1, 2)?;
    let digits = match args.get(1) {
        None | Some(Value::None) => None,
        Some(_) => Some(int("round", args, 1)?),
    };
    match (&args[0], digits) {
        (Value::Int(i), None) => Ok(Value::Int(*i)),
        (Value::Int(i), Some(d)) => round_int(*i, d).map(Value::Int),
        (Value::Float(x), None) => to_int("round", x.get().round_ties_even()),
        (Value::Float(x), Some(d)) => Ok(Value::float(round_float(x.get(), d))),
        (other, _) => Err(bad_arg("round", "a number", other)),
    }
}

/// An int rounded to `10^-d` (half to even); unchanged for `d >= 0`.
fn round_int(i: i64, d: i64) -> Result<i64> {
    if d >= 0 {
        return Ok(i);
    }
    if d < -19 {
        // 10^20 > 2 * |i|: every int rounds to 0.
        return Ok(0);
    }
    let p = 10i128.pow((-d) as u32);
    let x = i as i128;
    let (q, r) = (x.div_euclid(p), x.rem_euclid(p));
    let up = match (2 * r).cmp(&p) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => q % 2 != 0,
    };
    let out = (q + up as i128) * p;
    i64::try_from(out).map_err(|_| MemoError::new("OverflowError", format!("round({i}, {d}) does not fit in an int")))
}

/// A float rounded to `d` decimal digits (negative: to tens, hundreds...),
/// half to even on the exact binary value.
fn round_float(x: f64, d: i64) -> f64 {
    if !x.is_finite() || x == 0.0 {
        return x;
    }
    if d >= 0 {
        // Past 2^52 every float is an int; past 340 digits nothing changes.
        if x.abs() >= 4_503_599_627_370_496.0 || d > 340 {
            return x;
        }
        // Rust's formatting rounds the exact value half to even.
        let s = format!("{:.*}", d as usize, x);
        return s.parse::<f64>().unwrap_or(x);
    }
    let k = d.unsigned_abs().min(400) as usize;
    let a = x.abs();
    let whole = a.trunc();
    let frac_nonzero = a != whole;
    // The exact digits of an integral float.
    let digits = format!("{whole:.0}");
    let rounded = round_digits(&digits, k, frac_nonzero);
    let r: f64 = rounded.parse().unwrap_or(0.0);
    if x < 0.0 {
        -r
    } else {
        r
    }
}

/// The decimal integer `digits` (plus a nonzero fraction when `more`)
/// rounded half to even to a multiple of `10^k`, as decimal digits.
fn round_digits(digits: &str, k: usize, more: bool) -> String {
    let n = digits.len();
    let (head, tail) = if k >= n { ("", digits) } else { digits.split_at(n - k) };
    // Compare the tail (k digits, left-padded with zeros) with 5 * 10^(k-1).
    let padded_first = if k > tail.len() { b'0' } else { tail.as_bytes()[0] };
    let rest_zero =
        if k > tail.len() { tail.bytes().all(|b| b == b'0') } else { tail.as_bytes()[1..].iter().all(|b| *b == b'0') };
    let up = match padded_first.cmp(&b'5') {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal if !rest_zero || more => true,
        std::cmp::Ordering::Equal => head.as_bytes().last().is_some_and(|b| (b - b'0') % 2 == 1),
    };
    let mut out: Vec<u8> = if head.is_empty() { vec![b'0'] } else { head.as_bytes().to_vec() };
    if up {
        let mut i = out.len();
        loop {
            if i == 0 {
                out.insert(0, b'1');
                break;
            }
            i -= 1;
            if out[i] == b'9' {
                out[i] = b'0';
            } else {
                out[i] += 1;
                break;
            }
        }
    }
    let mut s = String::from_utf8(out).unwrap_or_default();
    if s != "0" {
        s.extend(std::iter::repeat('0').take(k));
    }
    s
}

/// `pow(x, y)`: `x ** y`. `pow(x, y, m)`: `x ** y % m` for ints, computed
/// without the big intermediate.
fn pow(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("pow", args, 2, 3)?;
    if args.len() == 2 {
        num("pow", args, 0)?;
        num("pow", args, 1)?;
        let (a, b) = (std::mem::take(&mut args[0]), std::mem::take(&mut args[1]));
        return crate::interp::ops::binary(crate::ast::BinOp::Pow, a, b, interp.config.max_collection_len);
    }
    let (x, y, m) = (int("pow", args, 0)?, int("pow", args, 1)?, int("pow", args, 2)?);
    if m == 0 {
        return Err(MemoError::new("ValueError", "pow() modulus must not be 0"));
    }
    if y < 0 {
        return Err(MemoError::new("ValueError", "pow() with a modulus needs an exponent >= 0"));
    }
    let mm = m as i128;
    let mut base = (x as i128).rem_euclid(mm.abs());
    let mut e = y as u64;
    let mut acc: i128 = 1 % mm.abs();
    while e > 0 {
        if e & 1 == 1 {
            acc = acc * base % mm.abs();
        }
        base = base * base % mm.abs();
        e >>= 1;
    }
    // The sign of the modulus, as Python's `%`.
    if m < 0 && acc != 0 {
        acc += mm;
    }
    Ok(Value::Int(acc as i64))
}

/// `is_nan(x)`.
fn is_nan(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("is_nan", args, 1, 1)?;
    Ok(Value::bool(num("is_nan", args, 0)?.is_nan()))
}

/// `is_finite(x)`: neither NaN nor an infinity (ints always are).
fn is_finite(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("is_finite", args, 1, 1)?;
    Ok(Value::bool(num("is_finite", args, 0)?.is_finite()))
}

/// `clamp(x, lo, hi)`: x limited to `lo..=hi` (NaN stays NaN).
fn clamp(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("clamp", args, 3, 3)?;
    for i in 0..3 {
        num("clamp", args, i)?;
    }
    if num("clamp", args, 1)?.is_nan() || num("clamp", args, 2)?.is_nan() {
        return Err(MemoError::new("ValueError", "clamp() bounds must not be NaN"));
    }
    if args[1] > args[2] {
        return Err(MemoError::new(
            "ValueError",
            format!(
                "clamp() needs lo <= hi, got {} > {}",
                crate::value::repr_prefix(&args[1], 80),
                crate::value::repr_prefix(&args[2], 80)
            ),
        ));
    }
    if num("clamp", args, 0)?.is_nan() {
        return Ok(std::mem::take(&mut args[0]));
    }
    let i = if args[0] < args[1] {
        1
    } else if args[0] > args[2] {
        2
    } else {
        0
    };
    Ok(std::mem::take(&mut args[i]))
}

fn u64_gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// `gcd(a, b, ...)`: the greatest common divisor of ints (>= 0; gcd(0, 0) is 0).
fn gcd(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("gcd", args, 1, usize::MAX)?;
    let mut g = 0u64;
    for i in 0..args.len() {
        g = u64_gcd(g, int("gcd", args, i)?.unsigned_abs());
    }
    i64::try_from(g).map(Value::Int).map_err(|_| MemoError::new("OverflowError", "gcd() result does not fit in an int"))
}

/// `lcm(a, b, ...)`: the least common multiple of ints (>= 0; 0 if any is 0).
fn lcm(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("lcm", args, 1, usize::MAX)?;
    let mut l = 1u64;
    for i in 0..args.len() {
        let x = int("lcm", args, i)?.unsigned_abs();
        if x == 0 || l == 0 {
            l = 0;
            continue;
        }
        l = (l / u64_gcd(l, x))
            .checked_mul(x)
            .ok_or_else(|| MemoError::new("OverflowError", "lcm() result does not fit in an int"))?;
    }
    i64::try_from(l).map(Value::Int).map_err(|_| MemoError::new("OverflowError", "lcm() result does not fit in an int"))
}

/// The numbers of a list or range argument, as floats.
pub(super) fn numbers(name: &str, v: &Value) -> Result<Vec<f64>> {
    match v {
        Value::List(l) => l
            .iter()
            .map(|x| match x {
                Value::Int(i) => Ok(*i as f64),
                Value::Float(f) => Ok(f.get()),
                other => {
                    Err(MemoError::new("TypeError", format!("{name}() expects numbers, got {} in the list", other.type_name())))
                }
            })
            .collect(),
        Value::Range(r) => {
            let n = r.len();
            if n > 1 << 28 {
                return Err(crate::interp::ops::too_large("list", n, 1 << 28));
            }
            Ok((0..n).map(|i| (r.start as i128 + i as i128) as f64).collect())
        }
        other => Err(bad_arg(name, "a list or range of numbers", other)),
    }
}

/// Neumaier's compensated sum (exact to the last bit for most inputs; what
/// Python's `sum` does for floats since 3.12).
pub(crate) struct Neumaier {
    sum: f64,
    c: f64,
}

impl Neumaier {
    pub(crate) fn new(start: f64) -> Neumaier {
        Neumaier { sum: start, c: 0.0 }
    }
    #[inline]
    pub(crate) fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.c += (self.sum - t) + x;
        } else {
            self.c += (x - t) + self.sum;
        }
        self.sum = t;
    }
    pub(crate) fn total(&self) -> f64 {
        // Past an infinity or NaN the compensation means nothing.
        if self.sum.is_finite() {
            self.sum + self.c
        } else {
            self.sum
        }
    }
}

/// `mean(xs)`: the arithmetic mean of a non-empty list or range (a float).
fn mean(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("mean", args, 1, 1)?;
    let xs = numbers("mean", &args[0])?;
    if xs.is_empty() {
        return Err(MemoError::new("ValueError", "mean() of an empty sequence"));
    }
    let mut s = Neumaier::new(0.0);
    for x in &xs {
        s.add(*x);
    }
    Ok(Value::float(s.total() / xs.len() as f64))
}

/// `median(xs)`: the middle value of a non-empty list or range (the mean of
/// the two middle values for an even count), a float.
fn median(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("median", args, 1, 1)?;
    let mut xs = numbers("median", &args[0])?;
    if xs.is_empty() {
        return Err(MemoError::new("ValueError", "median() of an empty sequence"));
    }
    if xs.iter().any(|x| x.is_nan()) {
        return Ok(Value::float(f64::NAN));
    }
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    Ok(Value::float(if n % 2 == 1 { xs[n / 2] } else { xs[n / 2 - 1] / 2.0 + xs[n / 2] / 2.0 }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(f: Builtin, args: &[Value]) -> Result<Value> {
        let mut interp = crate::engine::new_interp(crate::Cache::memory());
        let mut a = args.to_vec();
        f(&mut interp, &mut a)
    }
    fn fl(v: Result<Value>) -> f64 {
        match v {
            Ok(Value::Float(f)) => f.get(),
            other => panic!("not a float: {:?}", other.map(|v| crate::value::repr(&v))),
        }
    }
    fn it(v: Result<Value>) -> i64 {
        match v {
            Ok(Value::Int(i)) => i,
            other => panic!("not an int: {:?}", other.map(|v| crate::value::repr(&v))),
        }
    }
    fn kind(v: Result<Value>) -> String {
        v.err().map(|e| e.kind.name().to_string()).unwrap_or_default()
    }
    fn f(x: f64) -> Value {
        Value::float(x)
    }

    #[test]
    fn roots_and_logs() {
        assert_eq!(fl(call(sqrt, &[Value::Int(2)])), std::f64::consts::SQRT_2);
        assert_eq!(fl(call(sqrt, &[f(0.25)])), 0.5);
        assert_eq!(fl(call(sqrt, &[f(-0.0)])).to_bits(), (-0.0f64).to_bits());
        assert_eq!(kind(call(sqrt, &[Value::Int(-1)])), "ValueError");
        assert!(fl(call(sqrt, &[f(f64::NAN)])).is_nan());
        assert_eq!(fl(call(sqrt, &[f(f64::INFINITY)])), f64::INFINITY);
        assert_eq!(fl(call(cbrt, &[Value::Int(-27)])), -3.0);
        assert_eq!(fl(call(log, &[Value::Int(8), Value::Int(2)])), 3.0);
        assert_eq!(fl(call(log, &[Value::Int(1000), Value::Int(10)])), 3.0);
        assert_eq!(fl(call(log, &[f(std::f64::consts::E)])), 1.0);
        assert_eq!(kind(call(log, &[Value::Int(0)])), "ValueError");
        assert_eq!(kind(call(log, &[Value::Int(5), Value::Int(1)])), "ValueError");
        assert_eq!(fl(call(log10, &[f(1e-300)])), -300.0);
        assert_eq!(fl(call(log2, &[Value::Int(1024)])), 10.0);
        assert_eq!(fl(call(exp, &[Value::Int(0)])), 1.0);
        assert_eq!(fl(call(exp, &[Value::Int(1000)])), f64::INFINITY);
        assert_eq!(kind(call(sqrt, &[Value::str("4")])), "TypeError");
        assert_eq!(kind(call(sqrt, &[Value::bool(true)])), "TypeError");
    }

    #[test]
    fn trigonometry() {
        assert_eq!(fl(call(sin, &[Value::Int(0)])), 0.0);
        assert_eq!(fl(call(cos, &[Value::Int(0)])), 1.0);
        assert_eq!(fl(call(atan2, &[Value::Int(1), Value::Int(1)])), std::f64::consts::FRAC_PI_4);
        assert_eq!(fl(call(atan2, &[f(0.0), f(-1.0)])), std::f64::consts::PI);
        assert_eq!(kind(call(asin, &[Value::Int(2)])), "ValueError");
        assert_eq!(kind(call(sin, &[f(f64::INFINITY)])), "ValueError");
        assert_eq!(fl(call(degrees, &[f(std::f64::consts::PI)])), 180.0);
        assert_eq!(fl(call(radians, &[Value::Int(180)])), std::f64::consts::PI);
        assert_eq!(fl(call(hypot, &[Value::Int(3), Value::Int(4)])), 5.0);
        assert_eq!(fl(call(hypot, &[f(1e300), f(1e300)])), 1.4142135623730952e300);
        assert_eq!(fl(call(hypot, &[f(f64::NAN), f(f64::INFINITY)])), f64::INFINITY);
    }

    #[test]
    fn rounding_to_ints() {
        assert_eq!(it(call(floor, &[f(-2.5)])), -3);
        assert_eq!(it(call(ceil, &[f(-2.5)])), -2);
        assert_eq!(it(call(trunc, &[f(-2.5)])), -2);
        assert_eq!(it(call(floor, &[Value::Int(i64::MIN)])), i64::MIN);
        assert_eq!(kind(call(floor, &[f(f64::NAN)])), "ValueError");
        assert_eq!(kind(call(ceil, &[f(f64::INFINITY)])), "ValueError");
        assert_eq!(kind(call(floor, &[f(1e19)])), "OverflowError");
        assert_eq!(it(call(floor, &[f(-9.223_372_036_854_776e18)])), i64::MIN);
        assert_eq!(kind(call(ceil, &[f(9.223_372_036_854_776e18)])), "OverflowError");
        assert_eq!(it(call(floor, &[f(-0.0)])), 0);
    }

    #[test]
    fn round_is_half_to_even() {
        assert_eq!(it(call(round, &[f(2.5)])), 2);
        assert_eq!(it(call(round, &[f(3.5)])), 4);
        assert_eq!(it(call(round, &[f(-2.5)])), -2);
        assert_eq!(it(call(round, &[f(0.5)])), 0);
        assert_eq!(it(call(round, &[f(-0.4)])), 0);
        assert_eq!(it(call(round, &[f(2.500001)])), 3);
        assert_eq!(it(call(round, &[Value::Int(7)])), 7);
        assert_eq!(kind(call(round, &[f(f64::NAN)])), "ValueError");
        assert_eq!(kind(call(round, &[f(1e300)])), "OverflowError");
        let r2 = |x: f64, d: i64| fl(call(round, &[f(x), Value::Int(d)]));
        assert_eq!(r2(2.675, 2), 2.67);
        assert_eq!(r2(0.125, 2), 0.12);
        assert_eq!(r2(0.375, 2), 0.38);
        assert_eq!(r2(1.005, 2), 1.0);
        assert_eq!(r2(1234.5678, 2), 1234.57);
        assert_eq!(r2(6232921.300000054, 2), 6232921.3);
        assert_eq!(r2(-0.001, 2).to_bits(), (-0.0f64).to_bits());
        assert_eq!(r2(-0.0, 1).to_bits(), (-0.0f64).to_bits());
        assert_eq!(r2(1e300, 2), 1e300);
        assert_eq!(r2(1.5, 400), 1.5);
        assert!(r2(f64::NAN, 2).is_nan());
        assert_eq!(r2(f64::INFINITY, 2), f64::INFINITY);
        assert_eq!(r2(1250.0, -2), 1200.0);
        assert_eq!(r2(1350.0, -2), 1400.0);
        assert_eq!(r2(1250.0000001, -2), 1300.0);
        assert_eq!(r2(-1251.0, -2), -1300.0);
        assert_eq!(r2(49.0, -2), 0.0);
        assert_eq!(r2(50.0, -2), 0.0);
        assert_eq!(r2(51.0, -2), 100.0);
        assert_eq!(r2(-5.0, -20).to_bits(), (-0.0f64).to_bits());
        assert_eq!(r2(9.5e20, -21), 1e21);
        assert_eq!(r2(1.5e300, -300), 2e300);
        assert_eq!(r2(2.5e300, -300), 3e300); // stored slightly above 2.5e300 (Python agrees)
        assert_eq!(r2(1.7976931348623157e308, -308), f64::INFINITY);
        let ri = |x: i64, d: i64| call(round, &[Value::Int(x), Value::Int(d)]);
        assert_eq!(it(ri(1250, -2)), 1200);
        assert_eq!(it(ri(1350, -2)), 1400);
        assert_eq!(it(ri(-1250, -2)), -1200);
        assert_eq!(it(ri(-1251, -2)), -1300);
        assert_eq!(it(ri(15, 3)), 15);
        assert_eq!(it(ri(i64::MAX, -30)), 0);
        assert_eq!(it(ri(i64::MAX, -18)), 9_000_000_000_000_000_000);
        assert_eq!(it(ri(i64::MAX, -17)), 9_200_000_000_000_000_000);
        assert_eq!(kind(ri(i64::MAX, -1)), "OverflowError");
        assert_eq!(kind(ri(i64::MAX, -19)), "OverflowError");
        assert_eq!(it(ri(i64::MIN, -20)), 0);
        assert_eq!(kind(call(round, &[f(1.5), f(1.0)])), "TypeError");
    }

    #[test]
    fn digit_rounding() {
        assert_eq!(round_digits("1250", 2, false), "1200");
        assert_eq!(round_digits("1250", 2, true), "1300");
        assert_eq!(round_digits("999", 1, false), "1000");
        assert_eq!(round_digits("5", 1, false), "0");
        assert_eq!(round_digits("15", 1, false), "20");
        assert_eq!(round_digits("5", 3, true), "0");
        assert_eq!(round_digits("999", 3, false), "1000");
    }

    #[test]
    fn powers_and_integers() {
        assert_eq!(it(call(pow, &[Value::Int(2), Value::Int(10)])), 1024);
        assert_eq!(fl(call(pow, &[Value::Int(2), Value::Int(-1)])), 0.5);
        assert_eq!(kind(call(pow, &[Value::Int(2), Value::Int(64)])), "OverflowError");
        assert_eq!(it(call(pow, &[Value::Int(3), Value::Int(200), Value::Int(13)])), 9);
        assert_eq!(it(call(pow, &[Value::Int(-3), Value::Int(3), Value::Int(5)])), 3);
        assert_eq!(it(call(pow, &[Value::Int(3), Value::Int(3), Value::Int(-5)])), -3);
        assert_eq!(it(call(pow, &[Value::Int(i64::MAX), Value::Int(i64::MAX), Value::Int(i64::MAX - 1)])), 1);
        assert_eq!(kind(call(pow, &[Value::Int(2), Value::Int(3), Value::Int(0)])), "ValueError");
        assert_eq!(it(call(gcd, &[Value::Int(12), Value::Int(-18)])), 6);
        assert_eq!(it(call(gcd, &[Value::Int(0), Value::Int(0)])), 0);
        assert_eq!(kind(call(gcd, &[Value::Int(i64::MIN), Value::Int(0)])), "OverflowError");
        assert_eq!(it(call(lcm, &[Value::Int(4), Value::Int(6)])), 12);
        assert_eq!(it(call(lcm, &[Value::Int(4), Value::Int(0)])), 0);
        assert_eq!(kind(call(lcm, &[Value::Int(i64::MAX), Value::Int(i64::MAX - 1)])), "OverflowError");
    }

    #[test]
    fn clamping_and_tests() {
        assert_eq!(it(call(clamp, &[Value::Int(15), Value::Int(0), Value::Int(10)])), 10);
        assert_eq!(it(call(clamp, &[f(-0.5), Value::Int(0), Value::Int(10)])), 0); // the bound itself
        assert_eq!(fl(call(clamp, &[f(2.5), Value::Int(0), Value::Int(10)])), 2.5);
        assert!(fl(call(clamp, &[f(f64::NAN), Value::Int(0), Value::Int(10)])).is_nan());
        assert_eq!(kind(call(clamp, &[Value::Int(1), Value::Int(10), Value::Int(0)])), "ValueError");
        assert!(matches!(call(is_nan, &[f(f64::NAN)]), Ok(Value::Bool(b)) if b.get()));
        assert!(matches!(call(is_finite, &[f(f64::INFINITY)]), Ok(Value::Bool(b)) if !b.get()));
        assert!(matches!(call(is_finite, &[Value::Int(3)]), Ok(Value::Bool(b)) if b.get()));
    }

    #[test]
    fn statistics() {
        let xs = Value::list_from(vec![f(0.1); 10]);
        assert_eq!(fl(call(mean, &[xs])), 0.1);
        let xs = Value::list_from(vec![Value::Int(3), Value::Int(1), Value::Int(2), Value::Int(10)]);
        assert_eq!(fl(call(median, &[xs])), 2.5);
        assert_eq!(fl(call(median, &[Value::range(0, 5, false)])), 2.0);
        assert_eq!(kind(call(mean, &[Value::list_from(vec![])])), "ValueError");
        let mut s = Neumaier::new(0.0);
        for x in [1e100, 1.0, -1e100] {
            s.add(x);
        }
        assert_eq!(s.total(), 1.0);
        let mut s = Neumaier::new(0.0);
        for x in [f64::INFINITY, 1.0] {
            s.add(x);
        }
        assert_eq!(s.total(), f64::INFINITY);
    }
}
