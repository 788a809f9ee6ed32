//! Operators: arithmetic (checked i64, f64), concatenation, comparison.

use crate::ast::BinOp;
use crate::error::{MemoError, Result};
use crate::value::meter::defer_bytes;
use crate::value::{check_child, values_equal, ListObj, StrObj, Value};
use std::cmp::Ordering;

/// `x op y` on two ints, when the result is an int or bool that needs no
/// error (no overflow, no division by zero or negative divisor): the
/// fast path of the compiled operators and of `m[k] op= v`, giving what
/// `binary` gives.
#[inline(always)]
pub(crate) fn int_op(op: BinOp, x: i64, y: i64) -> Option<Value> {
    match op {
        BinOp::Add => x.checked_add(y).map(Value::Int),
        BinOp::Sub => x.checked_sub(y).map(Value::Int),
        BinOp::Mul => x.checked_mul(y).map(Value::Int),
        BinOp::Mod if y > 0 => Some(Value::Int(x % y)),
        BinOp::Div if y > 0 => Some(Value::Int(x / y)),
        BinOp::Lt => Some(Value::bool(x < y)),
        BinOp::Le => Some(Value::bool(x <= y)),
        BinOp::Gt => Some(Value::bool(x > y)),
        BinOp::Ge => Some(Value::bool(x >= y)),
        BinOp::Eq => Some(Value::bool(x == y)),
        BinOp::Ne => Some(Value::bool(x != y)),
        BinOp::BitAnd => Some(Value::Int(x & y)),
        BinOp::BitOr => Some(Value::Int(x | y)),
        BinOp::BitXor => Some(Value::Int(x ^ y)),
        BinOp::Shl => shl(x, y).map(Value::Int),
        BinOp::Shr if (0..64).contains(&y) => Some(Value::Int(x >> y)),
        _ => None,
    }
}

/// `x << y` when it fits in an int (no bit shifted out, the sign kept):
/// Python's value, or `None` for an overflow or a negative count.
#[inline(always)]
fn shl(x: i64, y: i64) -> Option<i64> {
    if !(0..64).contains(&y) {
        return if x == 0 && y >= 0 { Some(0) } else { None };
    }
    let r = x << y;
    (r >> y == x).then_some(r)
}

/// `x << y`, `x >> y` with their errors: a negative count is a
/// `ValueError`; `<<` whose result does not fit in 64 bits is an
/// `OverflowError`; `>>` by 64 or more gives 0 or -1 (the sign), as
/// Python's arithmetic shift does.
fn shift(op: BinOp, x: i64, y: i64) -> Result<i64> {
    if y < 0 {
        return Err(MemoError::new("ValueError", format!("negative shift count in {x} {} {y}", op.symbol())));
    }
    if op == BinOp::Shr {
        return Ok(x >> y.min(63));
    }
    shl(x, y).ok_or_else(|| overflow(op, x, y))
}

/// Is `op` one of the bitwise operators (ints only)?
pub(crate) fn is_bitwise(op: BinOp) -> bool {
    matches!(op, BinOp::BitAnd | BinOp::BitOr | BinOp::BitXor | BinOp::Shl | BinOp::Shr)
}

/// `~x`: the bitwise complement of an int (`-x - 1`, never overflows).
pub fn bit_not(v: Value) -> Result<Value> {
    match v {
        Value::Int(i) => Ok(Value::Int(!i)),
        other => Err(MemoError::new("TypeError", format!("bad operand type for `~`: {} (an int is needed)", other.type_name()))),
    }
}

/// `xs * n`, `s * n` (and `n * xs`): the list or string repeated `n`
/// times (empty when `n <= 0`), within the collection limit. The work is
/// counted later (deferred); the memory is checked before it is made.
fn repeat(seq: &Value, n: i64, max: usize) -> Result<Value> {
    let n = n.max(0) as u64;
    let len = repeated_len(seq, n, max)?;
    if matches!(seq, Value::Str(_)) {
        crate::alloc::check_room(len)?;
        crate::value::meter::defer_bytes(len);
    } else {
        crate::alloc::check_room(len.saturating_mul(std::mem::size_of::<Value>()))?;
        crate::value::meter::defer(len as u64);
    }
    Ok(build_repeat(seq, n as usize))
}

/// The size of a string (bytes) or list (elements) repeated `n` times,
/// or a `LimitError` when it would pass `max`. Shared by the operator and
/// the `repeat()` native, which count the work and memory each their way.
pub(crate) fn repeated_len(seq: &Value, n: u64, max: usize) -> Result<usize> {
    let (what, one) = match seq {
        Value::Str(s) => ("string", s.s.len()),
        Value::List(l) => ("list", l.items.len()),
        _ => unreachable!("repeat of a list or string"),
    };
    let len = (one as u64).saturating_mul(n);
    if len > max as u64 {
        return Err(too_large(what, len.min(usize::MAX as u64) as usize, max));
    }
    Ok(len as usize)
}

/// A string or list repeated `n` times, once `repeated_len` allowed it.
pub(crate) fn build_repeat(seq: &Value, n: usize) -> Value {
    match seq {
        Value::Str(s) => {
            Value::Str(crate::value::UArc::new(StrObj { s: s.s.repeat(n), ascii: s.ascii, hash: Default::default() }))
        }
        Value::List(l) => {
            if l.items.is_empty() || n == 0 {
                // (`[] * n` for any n: no loop of n empty steps.)
                return Value::list_from(Vec::new());
            }
            let mut items = Vec::with_capacity(l.items.len() * n);
            for _ in 0..n {
                items.extend(l.iter().map(Value::clone_fast));
            }
            Value::List(crate::value::UArc::new(ListObj {
                items: items.into(),
                may_mutate: l.may_mutate,
                depth: l.depth,
                hash: Default::default(),
            }))
        }
        _ => unreachable!("repeat of a list or string"),
    }
}

fn type_err(op: BinOp, a: &Value, b: &Value) -> MemoError {
    let hint = match (op, a, b) {
        (BinOp::Add, Value::Str(_), _) | (BinOp::Add, _, Value::Str(_)) => " (convert with str(x) first)",
        _ => "",
    };
    MemoError::new(
        "TypeError",
        format!("unsupported operand types for `{}`: {} and {}{hint}", op.symbol(), a.type_name(), b.type_name()),
    )
}

fn overflow(op: BinOp, a: i64, b: i64) -> MemoError {
    MemoError::new("OverflowError", format!("integer overflow in {a} {} {b}", op.symbol()))
}

pub(crate) fn too_large(what: &str, len: usize, max: usize) -> MemoError {
    let unit = if what == "string" { "bytes" } else { "elements" };
    MemoError::new("LimitError", format!("{what} would have {len} {unit}, more than the limit of {max}"))
}

pub fn negate(v: Value) -> Result<Value> {
    match v {
        Value::Int(i) => {
            i.checked_neg().map(Value::Int).ok_or_else(|| MemoError::new("OverflowError", format!("integer overflow in -({i})")))
        }
        Value::Float(f) => Ok(Value::float(-f.get())),
        other => Err(MemoError::new("TypeError", format!("cannot negate a value of type `{}`", other.type_name()))),
    }
}

/// Checks that a value may be a map key.
pub fn check_key(k: &Value) -> Result<()> {
    match k {
        Value::Func(_) | Value::Native(_) | Value::Cell(_) | Value::Object(_) => {
            Err(MemoError::new("TypeError", format!("a value of type `{}` cannot be a map key", k.type_name())))
        }
        Value::Obj(o) => Err(MemoError::new(
            "TypeError",
            format!("a `{}` object cannot be a map key (mutable objects have no lasting hash)", o.ty.name),
        )),
        Value::List(l) if l.may_mutate => {
            Err(MemoError::new("TypeError", "a list holding a cell, a mutable object or a function cannot be a map key"))
        }
        Value::Map(m) if m.may_mutate => {
            Err(MemoError::new("TypeError", "a map holding a cell, a mutable object or a function cannot be a map key"))
        }
        Value::Struct(s) if s.may_mutate => {
            Err(MemoError::new("TypeError", "a struct holding a cell, a mutable object or a function cannot be a map key"))
        }
        _ => Ok(()),
    }
}

fn int_pow(a: i64, b: i64) -> Option<i64> {
    if b < 0 {
        return None;
    }
    match a {
        0 => Some(if b == 0 { 1 } else { 0 }),
        1 => Some(1),
        -1 => Some(if b % 2 == 0 { 1 } else { -1 }),
        _ => {
            let e: u32 = b.try_into().ok()?;
            a.checked_pow(e)
        }
    }
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Int(i) => Some(*i as f64),
        Value::Float(f) => Some(f.get()),
        _ => None,
    }
}

/// Ordering for `<`, `<=`, `>`, `>=`: numbers with numbers, strings with
/// strings, lists with lists (lexicographic).
pub fn compare(op: BinOp, a: &Value, b: &Value) -> Result<Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Ok(x.cmp(y)),
        // The total order compares ints and floats exactly (no rounding of
        // large ints); NaN is handled by the caller.
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => Ok(a.cmp(b)),
        (Value::Str(x), Value::Str(y)) => Ok(x.s.cmp(&y.s)),
        (Value::List(_), Value::List(_)) => Ok(a.cmp(b)),
        _ => Err(MemoError::new(
            "TypeError",
            format!("cannot compare {} and {} with `{}`", a.type_name(), b.type_name(), op.symbol()),
        )),
    }
}

/// A comparison operator (`==`, `!=`, `<`, ...) on two values that are
/// not both scalars: the walk over lists, maps and structs (and long
/// strings) is metered by the interpreter, so no comparison outlasts the
/// budget (`value/meter.rs`). Gives what `binary` gives.
pub(crate) fn compare_metered(op: BinOp, a: Value, b: Value, i: &mut crate::interp::Interp) -> Result<Value> {
    let yes = match op {
        BinOp::Eq => crate::value::equal_in(&a, &b, i)?,
        BinOp::Ne => !crate::value::equal_in(&a, &b, i)?,
        _ if matches!((&a, &b), (Value::List(_), Value::List(_)) | (Value::Str(_), Value::Str(_))) => {
            let o = crate::value::cmp_in(&a, &b, i)?;
            match op {
                BinOp::Lt => o == Ordering::Less,
                BinOp::Le => o != Ordering::Greater,
                BinOp::Gt => o == Ordering::Greater,
                _ => o != Ordering::Less,
            }
        }
        _ => return binary(op, a, b, i.config.max_collection_len),
    };
    Ok(Value::bool(yes))
}

fn float_nan_cmp(op: BinOp, a: &Value, b: &Value) -> bool {
    matches!((as_f64(a), as_f64(b)), (Some(x), Some(y)) if x.is_nan() || y.is_nan()) && op != BinOp::Ne
}

/// Applies a binary operator (not `and`/`or`).
pub fn binary(op: BinOp, a: Value, b: Value, max: usize) -> Result<Value> {
    match op {
        BinOp::Eq => return Ok(Value::bool(values_equal(&a, &b))),
        BinOp::Ne => return Ok(Value::bool(!values_equal(&a, &b))),
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            let o = compare(op, &a, &b)?;
            if float_nan_cmp(op, &a, &b) {
                return Ok(Value::bool(false));
            }
            return Ok(Value::bool(match op {
                BinOp::Lt => o == Ordering::Less,
                BinOp::Le => o != Ordering::Greater,
                BinOp::Gt => o == Ordering::Greater,
                _ => o != Ordering::Less,
            }));
        }
        _ => {}
    }
    match (&a, &b) {
        (Value::Int(x), Value::Int(y)) => {
            let (x, y) = (*x, *y);
            let r = match op {
                BinOp::Add => x.checked_add(y),
                BinOp::Sub => x.checked_sub(y),
                BinOp::Mul => x.checked_mul(y),
                BinOp::Div | BinOp::Mod => {
                    if y == 0 {
                        let what = if op == BinOp::Div { "division" } else { "modulo" };
                        return Err(MemoError::new("ZeroDivisionError", format!("integer {what} by zero")));
                    }
                    if op == BinOp::Div {
                        x.checked_div(y)
                    } else if y == -1 {
                        Some(0) // i64::MIN % -1 is 0 (checked_rem says overflow)
                    } else {
                        x.checked_rem(y)
                    }
                }
                BinOp::Pow => {
                    if y < 0 {
                        return Ok(Value::float((x as f64).powf(y as f64)));
                    }
                    int_pow(x, y)
                }
                BinOp::BitAnd => Some(x & y),
                BinOp::BitOr => Some(x | y),
                BinOp::BitXor => Some(x ^ y),
                BinOp::Shl | BinOp::Shr => return shift(op, x, y).map(Value::Int),
                _ => unreachable!(),
            };
            r.map(Value::Int).ok_or_else(|| overflow(op, x, y))
        }
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) if !is_bitwise(op) => {
            let (x, y) = (as_f64(&a).unwrap(), as_f64(&b).unwrap());
            Ok(Value::float(match op {
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x * y,
                BinOp::Div => x / y,
                BinOp::Mod => x % y,
                BinOp::Pow => x.powf(y),
                _ => unreachable!(),
            }))
        }
        (Value::Str(_), Value::Str(_)) | (Value::List(_), Value::List(_)) if op == BinOp::Add => {
            binary_owned(op, a, b, max).map_err(|(_, e)| e)
        }
        (Value::Str(_) | Value::List(_), Value::Int(n)) if op == BinOp::Mul => repeat(&a, *n, max),
        (Value::Int(n), Value::Str(_) | Value::List(_)) if op == BinOp::Mul => repeat(&b, *n, max),
        _ => Err(type_err(op, &a, &b)),
    }
}

/// Like `binary`, but owns the left operand so `s += t` / `xs += ys` append
/// in place when the left value is not shared. On error the left value is
/// handed back so the variable keeps it.
pub fn binary_owned(op: BinOp, a: Value, b: Value, max: usize) -> std::result::Result<Value, (Value, MemoError)> {
    if op == BinOp::Add {
        match (a, b) {
            (Value::Str(mut x), Value::Str(mut y)) => {
                let len = x.s.len() + y.s.len();
                if len > max {
                    return Err((Value::Str(x), too_large("string", len, max)));
                }
                // The bytes copied count against the budget (`meter::defer`).
                if let Some(xm) = crate::value::UArc::get_mut(&mut x) {
                    defer_bytes(y.s.len());
                    xm.s.push_str(&y.s);
                    xm.ascii &= y.ascii;
                    xm.hash = Default::default();
                    return Ok(Value::Str(x));
                }
                match crate::value::UArc::get_mut(&mut y) {
                    // `"k" + str(i)`: the right operand is a fresh string
                    // with room for the left one in front of it.
                    Some(ym) if ym.s.capacity() - ym.s.len() >= x.s.len() => {
                        defer_bytes(len);
                        ym.s.insert_str(0, &x.s);
                        ym.ascii &= x.ascii;
                        ym.hash = Default::default();
                        Ok(Value::Str(y))
                    }
                    _ => {
                        defer_bytes(len);
                        let mut s = String::with_capacity(len);
                        s.push_str(&x.s);
                        s.push_str(&y.s);
                        Ok(Value::Str(crate::value::UArc::new(StrObj { s, ascii: x.ascii && y.ascii, hash: Default::default() })))
                    }
                }
            }
            (Value::List(mut x), Value::List(y)) => {
                let len = x.items.len() + y.items.len();
                if len > max {
                    return Err((Value::List(x), too_large("list", len, max)));
                }
                crate::value::meter::defer(y.items.len() as u64);
                let xm: &mut ListObj = crate::value::make_mut(&mut x);
                xm.items.append(&y.items);
                xm.may_mutate |= y.may_mutate;
                xm.depth = xm.depth.max(y.depth);
                xm.hash = Default::default();
                Ok(Value::List(x))
            }
            (a, b) => {
                let keep = a.clone();
                binary(op, a, b, max).map_err(|e| (keep, e))
            }
        }
    } else {
        let keep = a.clone();
        binary(op, a, b, max).map_err(|e| (keep, e))
    }
}

/// `push`'s work: appends `v` to the list `l` holds, in place when `l` is
/// its only owner. Also run straight on a variable by `xs = push(xs, v)`.
#[inline]
pub(crate) fn push_onto(l: &mut crate::value::UArc<ListObj>, v: Value, max: usize) -> Result<()> {
    if l.items.len() >= max {
        return Err(too_large("list", l.items.len() + 1, max));
    }
    check_child(&v)?;
    let lm = crate::value::make_mut(l);
    lm.note_child(&v);
    lm.items.push_back(v);
    Ok(())
}
