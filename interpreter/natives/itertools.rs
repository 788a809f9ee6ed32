//! Python's `itertools.permutations` / `combinations` and `bisect` module
//! as natives: `permutations`, `combinations`, `bisect`, `bisect_left`.
//! The arrangements come back as a list of lists (memo has no generators),
//! counted before any is made so that the collection limit refuses a huge
//! one at once; the searches compare with the `<` operator.

use super::seq::{count_arg, seq};
use super::{arity, bad_arg, Builtin};
use crate::error::{MemoError, Result};
use crate::interp::Interp;
use crate::value::{ListBuilder, Value};

pub const NATIVES: &[(&str, Builtin)] =
    &[("permutations", permutations), ("combinations", combinations), ("bisect", bisect), ("bisect_left", bisect_left)];

/// The elements of a sequence argument, and the length of each
/// arrangement when it is given (`none` counts as not given).
fn pool_and_r(interp: &Interp, name: &str, args: &[Value]) -> Result<(Vec<Value>, Option<usize>)> {
    let pool: Vec<Value> = seq(name, &args[0], interp.config.max_collection_len)?.iter().collect();
    let r = match args.get(1) {
        None | Some(Value::None) => None,
        Some(_) => Some(count_arg(name, args)?),
    };
    Ok((pool, r))
}

/// Builds `count` arrangements of `r` elements each, refusing more than
/// the collection limit allows before any is made.
fn arrangements(interp: &mut Interp, name: &str, count: Option<u64>, r: usize) -> Result<ListBuilder> {
    let max = interp.config.max_collection_len as u64;
    let count = count
        .filter(|&c| c <= max)
        .ok_or_else(|| MemoError::new("LimitError", format!("{name}() would make more than the limit of {max} lists")))?;
    interp.charge(count.saturating_mul(r as u64 + 1))?;
    Ok(ListBuilder::with_capacity(count as usize))
}

/// `permutations(xs[, r])`: every ordering of `r` elements of `xs` (all of
/// them by default) as lists, in Python's `itertools.permutations` order
/// (lexicographic in the positions of `xs`).
fn permutations(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("permutations", args, 1, 2)?;
    let (pool, r) = pool_and_r(interp, "permutations", args)?;
    let n = pool.len();
    let r = r.unwrap_or(n);
    if r > n {
        return Ok(Value::list_from(Vec::new()));
    }
    // n! / (n - r)!
    let count = (n - r + 1..=n).try_fold(1u64, |acc, k| acc.checked_mul(k as u64));
    let mut out = arrangements(interp, "permutations", count, r)?;
    let pick = |indices: &[usize]| Value::list_from(indices[..r].iter().map(|&i| pool[i].clone()).collect());
    let mut indices: Vec<usize> = (0..n).collect();
    let mut cycles: Vec<usize> = (n - r + 1..=n).rev().collect();
    out.push(pick(&indices));
    if n == 0 {
        return Ok(out.finish());
    }
    'next: loop {
        for i in (0..r).rev() {
            cycles[i] -= 1;
            if cycles[i] == 0 {
                indices[i..].rotate_left(1);
                cycles[i] = n - i;
            } else {
                let j = cycles[i];
                indices.swap(i, n - j);
                out.push(pick(&indices));
                continue 'next;
            }
        }
        break;
    }
    Ok(out.finish())
}

/// `combinations(xs, r)`: every choice of `r` elements of `xs`, each in
/// the order of `xs`, as lists, in Python's `itertools.combinations` order.
fn combinations(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("combinations", args, 2, 2)?;
    let (pool, r) = pool_and_r(interp, "combinations", args)?;
    let Some(r) = r else { return Err(bad_arg("combinations", "an int length", &args[1])) };
    let n = pool.len();
    if r > n {
        return Ok(Value::list_from(Vec::new()));
    }
    // C(n, r), exact at every step: C(n - r + k, k) = C(n - r + k - 1, k - 1) * (n - r + k) / k
    let count = (1..=r as u64).try_fold(1u64, |acc, k| acc.checked_mul(n as u64 - r as u64 + k).map(|x| x / k));
    let mut out = arrangements(interp, "combinations", count, r)?;
    let pick = |indices: &[usize]| Value::list_from(indices.iter().map(|&i| pool[i].clone()).collect());
    let mut indices: Vec<usize> = (0..r).collect();
    out.push(pick(&indices));
    while let Some(i) = (0..r).rev().find(|&i| indices[i] != i + n - r) {
        indices[i] += 1;
        for j in i + 1..r {
            indices[j] = indices[j - 1] + 1;
        }
        out.push(pick(&indices));
    }
    Ok(out.finish())
}

/// `bisect(xs, x)`: where `x` goes in the sorted list `xs`, after any
/// elements equal to it (Python's `bisect.bisect` / `bisect_right`).
fn bisect(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    bisect_by("bisect", interp, args, true)
}

/// `bisect_left(xs, x)`: where `x` goes in the sorted list `xs`, before
/// any elements equal to it (Python's `bisect.bisect_left`).
fn bisect_left(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    bisect_by("bisect_left", interp, args, false)
}

/// A binary search with the `<` operator (its errors for values that do
/// not compare), as Python's `bisect` module does.
fn bisect_by(name: &str, interp: &mut Interp, args: &mut [Value], right: bool) -> Result<Value> {
    arity(name, args, 2, 2)?;
    let [xs, x] = &*args else { unreachable!("arity checked") };
    let Value::List(l) = xs else { return Err(bad_arg(name, "a list", xs)) };
    let (mut lo, mut hi) = (0, l.items.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        let e = &l.items[mid];
        // bisect_right: x < a[mid] goes left; bisect_left: a[mid] < x goes right.
        let goes_left = if right { less(x, e, interp)? } else { !less(e, x, interp)? };
        if goes_left {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Ok(Value::Int(lo as i64))
}

/// `a < b`, as the operator gives it: numbers compared in place, anything
/// else (and NaN) by the operator's metered comparison.
fn less(a: &Value, b: &Value, interp: &mut Interp) -> Result<bool> {
    use crate::ast::BinOp;
    let nan = |v: &Value| matches!(v, Value::Float(f) if f.get().is_nan());
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Ok(x < y),
        // IEEE `<`: false when either is NaN, as the operator gives it.
        (Value::Float(x), Value::Float(y)) => Ok(x.get() < y.get()),
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) if !nan(a) && !nan(b) => {
            Ok(crate::interp::ops::compare(BinOp::Lt, a, b)? == std::cmp::Ordering::Less)
        }
        _ => Ok(is_true(&crate::interp::ops::compare_metered(BinOp::Lt, a.clone(), b.clone(), interp)?)),
    }
}

fn is_true(v: &Value) -> bool {
    matches!(v, Value::Bool(b) if b.get())
}
