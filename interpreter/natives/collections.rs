//! Collection natives (spec §4): `push`, `pop`, `insert`, `remove`, `has`,
//! `keys`, `values`, `items`, `map`, `filter`, `reduce`, `sum`, `min`, `max`,
//! `abs`, `sort`, `reverse`, `join`, `slice`, `contains` (`sort_by` and the
//! other keyed helpers are in `seq`).
//!
//! Values are immutable, so the "updating" natives return a new collection:
//! `push(xs, v)`, `pop(xs)`, `insert(xs, i, v)`, `remove(m, k)` all return the
//! updated list or map (write `xs = xs.push(v)`). In particular `pop(xs)`
//! returns the list without its last element, not the element (read that
//! with `xs[-1]` first). When the argument's `Arc` is not shared (the
//! variable's value was moved into the call), the update happens in place,
//! so `xs = push(xs, i)` in a loop does not copy the list.

use super::{arity, bad_arg, Builtin};
use crate::error::{MemoError, Result};
use crate::interp::index::{norm_index, substr};
use crate::interp::ops::push_onto;
use crate::interp::ops::{check_key, too_large};
use crate::interp::Interp;
use crate::value::{check_child, cmp_in, equal_in, ListBuilder, ListItems, ListObj, MapObj, RangeObj, StrObj, Value};
use std::cmp::Ordering;

pub const NATIVES: &[(&str, Builtin)] = &[
    ("push", push),
    ("pop", pop),
    ("insert", insert),
    ("remove", remove),
    ("has", has),
    ("keys", keys),
    ("values", values),
    ("items", items),
    ("map", map),
    ("filter", filter),
    ("reduce", reduce),
    ("sum", sum),
    ("min", min),
    ("max", max),
    ("abs", abs),
    ("sort", sort),
    ("reverse", reverse),
    ("join", join),
    ("slice", slice),
    ("contains", contains),
];

// ----- helpers -----

/// Moves an argument out of the slice (so an unshared `Arc` stays unique).
fn take(v: &mut Value) -> Value {
    std::mem::replace(v, Value::None)
}

fn take_list(name: &str, args: &mut [Value], i: usize) -> Result<crate::value::UArc<ListObj>> {
    match take(&mut args[i]) {
        Value::List(l) => Ok(l),
        other => Err(bad_arg(name, "a list", &other)),
    }
}

fn new_list(items: ListItems, may_mutate: bool) -> Value {
    let depth = items.iter().map(Value::nesting).max().unwrap_or(0) + 1;
    Value::List(crate::value::UArc::new(ListObj { items, may_mutate, depth, hash: Default::default() }))
}

fn int_arg(name: &str, v: &Value, what: &str) -> Result<i64> {
    match v {
        Value::Int(i) => Ok(*i),
        other => Err(MemoError::new("TypeError", format!("{name}() expects an int {what}, got {}", other.type_name()))),
    }
}

fn check_callable(name: &str, f: &Value) -> Result<()> {
    match f {
        Value::Func(_) | Value::Native(_) | Value::Type(_) => Ok(()),
        other => Err(MemoError::new("TypeError", format!("{name}() expects a function, got {}", other.type_name()))),
    }
}

/// After removing `removed` from a list, recomputes `may_mutate` if the
/// removed value could have been the reason it was set.
fn refresh_may_mutate(lm: &mut ListObj, removed: &Value) {
    if lm.may_mutate && removed.may_mutate() {
        lm.may_mutate = lm.items.iter().any(Value::may_mutate);
    }
}

/// Something iterable element by element: a list, a range or a string
/// (its characters).
pub(crate) enum Seq {
    List(crate::value::UArc<ListObj>),
    /// start, exclusive end (an i128 so that `..=i64::MAX` keeps its last element)
    Range(i64, i128),
    Str(crate::value::UArc<StrObj>),
}

impl Seq {
    pub(crate) fn of(name: &str, v: &Value) -> Result<Seq> {
        match v {
            Value::List(l) => Ok(Seq::List(l.clone())),
            Value::Range(r) => Ok(Seq::Range(r.start, end_excl(r))),
            Value::Str(s) => Ok(Seq::Str(s.clone())),
            other => Err(bad_arg(name, "a list, range or str", other)),
        }
    }

    /// Like `of`, without strings.
    fn of_numbers(name: &str, v: &Value) -> Result<Seq> {
        match v {
            Value::List(_) | Value::Range(_) => Seq::of(name, v),
            other => Err(bad_arg(name, "a list or range", other)),
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            Seq::List(l) => l.items.len(),
            Seq::Range(a, b) => (*b - *a as i128).clamp(0, usize::MAX as i128) as usize,
            Seq::Str(s) => s.char_len(),
        }
    }

    pub(crate) fn iter(&self) -> Box<dyn Iterator<Item = Value> + '_> {
        match self {
            Seq::List(l) => Box::new(l.iter().cloned()),
            Seq::Range(a, b) => Box::new((*a as i128..*b).map(|i| Value::Int(i as i64))),
            Seq::Str(s) => Box::new(s.s.chars().map(Value::char_str)),
        }
    }

    /// Refuses to build a list as long as this sequence if that is too long.
    pub(crate) fn check_len(&self, what: &str, max: usize) -> Result<()> {
        let n = self.len();
        if n > max {
            return Err(too_large(what, n, max));
        }
        Ok(())
    }
}

/// A range's exclusive end, exact even for `a..=i64::MAX`.
fn end_excl(r: &RangeObj) -> i128 {
    r.end as i128 + r.inclusive as i128
}

// ----- updates -----

// These take their list or map out of the arguments (so an unshared one is
// updated in place), but only after every check has passed: on an error the
// argument is left where it was, and `xs = push(xs, v)` keeps `xs`.

/// `push(xs, v)`: xs with v appended.
fn push(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("push", args, 2, 2)?;
    if !matches!(&args[0], Value::List(_)) {
        return Err(bad_arg("push", "a list", &args[0]));
    }
    let mut l = take_list("push", args, 0)?;
    match push_onto(&mut l, take(&mut args[1]), interp.config.max_collection_len) {
        Ok(()) => Ok(Value::List(l)),
        Err(e) => {
            args[0] = Value::List(l);
            Err(e)
        }
    }
}

/// `pop(xs)`: xs without its last element (values are immutable, so this
/// returns the shortened list, not the element; read `xs[-1]` for that).
fn pop(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("pop", args, 1, 1)?;
    match &args[0] {
        Value::List(l) if l.items.is_empty() => return Err(MemoError::new("IndexError", "pop() from an empty list")),
        Value::List(_) => {}
        other => return Err(bad_arg("pop", "a list", other)),
    }
    let mut l = take_list("pop", args, 0)?;
    let lm = crate::value::make_mut(&mut l);
    lm.hash = Default::default();
    if let Some(removed) = lm.items.pop_back() {
        refresh_may_mutate(lm, &removed);
    }
    Ok(Value::List(l))
}

/// `insert(xs, i, v)`: xs with v inserted before index i (negative indexes
/// count from the end; i == len(xs) appends). `insert(m, k, v)`: m with
/// key k set to v.
fn insert(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("insert", args, 3, 3)?;
    let max = interp.config.max_collection_len;
    match &args[0] {
        Value::List(l) => {
            let i = int_arg("insert", &args[1], "index")?;
            let len = l.items.len();
            let idx = if i < 0 { i.checked_add(len as i64) } else { Some(i) };
            let idx = match idx {
                Some(idx) if idx >= 0 && idx as u64 <= len as u64 => idx as usize,
                _ => {
                    return Err(MemoError::new(
                        "IndexError",
                        format!("insert() index {i} out of range for list of length {len}"),
                    ));
                }
            };
            if len >= max {
                return Err(too_large("list", len + 1, max));
            }
            check_child(&args[2])?;
            let mut l = take_list("insert", args, 0)?;
            let v = take(&mut args[2]);
            let lm = crate::value::make_mut(&mut l);
            lm.note_child(&v);
            lm.items.insert(idx, v);
            Ok(Value::List(l))
        }
        Value::Map(m) => {
            check_key(&args[1])?;
            interp.charge_key(&args[1], m.map.len())?;
            if m.map.len() >= max && !m.map.contains_key(&args[1]) {
                return Err(too_large("map", m.map.len() + 1, max));
            }
            check_child(&args[1])?;
            check_child(&args[2])?;
            let Value::Map(mut m) = take(&mut args[0]) else { unreachable!("checked above") };
            let k = take(&mut args[1]);
            let v = take(&mut args[2]);
            let mm: &mut MapObj = crate::value::make_mut(&mut m);
            mm.note_child(&k);
            mm.note_child(&v);
            mm.map.insert(k, v);
            Ok(Value::Map(m))
        }
        other => Err(bad_arg("insert", "a list or map", other)),
    }
}

/// `remove(xs, i)`: xs without the element at index i. `remove(m, k)`: m
/// without key k (a `KeyError` if it has none).
fn remove(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("remove", args, 2, 2)?;
    match &args[0] {
        Value::List(l) => {
            let i = int_arg("remove", &args[1], "index")?;
            let idx = norm_index(i, l.items.len(), "list")?;
            let mut l = take_list("remove", args, 0)?;
            let lm = crate::value::make_mut(&mut l);
            lm.hash = Default::default();
            let removed = lm.items.remove(idx);
            refresh_may_mutate(lm, &removed);
            Ok(Value::List(l))
        }
        Value::Map(m) => {
            let k = &args[1];
            interp.charge_key(k, m.map.len())?;
            if !m.map.contains_key(k) {
                return Err(MemoError::new("KeyError", format!("key {} not found in map", crate::value::repr_prefix(k, 200))));
            }
            let Value::Map(mut m) = take(&mut args[0]) else { unreachable!("checked above") };
            let k = &args[1];
            let mm: &mut MapObj = crate::value::make_mut(&mut m);
            mm.hash = Default::default();
            if let Some(removed) = mm.map.remove(k) {
                if mm.may_mutate && removed.may_mutate() {
                    mm.may_mutate = mm.map.iter().any(|(k, v)| k.may_mutate() || v.may_mutate());
                }
            }
            Ok(Value::Map(m))
        }
        other => Err(bad_arg("remove", "a list or map", other)),
    }
}

// ----- maps -----

fn map_arg<'a>(name: &str, v: &'a Value) -> Result<&'a crate::value::UArc<MapObj>> {
    match v {
        Value::Map(m) => Ok(m),
        other => Err(bad_arg(name, "a map", other)),
    }
}

/// `has(m, k)`: whether map m has key k.
fn has(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("has", args, 2, 2)?;
    let m = match &args[0] {
        Value::Map(m) => m,
        other => {
            return Err(MemoError::new(
                "TypeError",
                format!("has() expects a map, got {} (use contains(xs, x) for lists and strings)", other.type_name()),
            ))
        }
    };
    interp.charge_key(&args[1], m.map.len())?;
    Ok(Value::bool(m.map.contains_key(&args[1])))
}

/// `keys(m)`: the keys, in order.
fn keys(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("keys", args, 1, 1)?;
    let m = map_arg("keys", &args[0])?;
    interp.charge(m.map.len() as u64)?;
    interp.reserve_values(m.map.len())?;
    Ok(Value::list(m.map.keys().cloned().collect()))
}

/// `values(m)`: the values, in key order.
fn values(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("values", args, 1, 1)?;
    let m = map_arg("values", &args[0])?;
    interp.charge(m.map.len() as u64)?;
    interp.reserve_values(m.map.len())?;
    Ok(new_list(m.map.values().cloned().collect(), m.may_mutate))
}

/// `items(m)`: `[key, value]` pairs, in key order.
fn items(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("items", args, 1, 1)?;
    let m = map_arg("items", &args[0])?;
    interp.charge(2 * m.map.len() as u64)?;
    // A pair per entry: its value in the list, and a list of two.
    interp.reserve(m.map.len().saturating_mul(2 * std::mem::size_of::<Value>() + std::mem::size_of::<ListObj>() + 32))?;
    Ok(Value::list(m.map.iter().map(|(k, v)| Value::list_from(vec![k.clone(), v.clone()])).collect()))
}

// ----- higher-order -----

/// `map(xs, f)`: `[f(x) for x in xs]` for a list, range or string.
fn map(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("map", args, 2, 2)?;
    let seq = match &args[0] {
        Value::Map(_) => {
            return Err(MemoError::new("TypeError", "map() expects a list, range or str, got map (map over keys(m) or items(m))"))
        }
        v => Seq::of("map", v)?,
    };
    let f = take(&mut args[1]);
    check_callable("map", &f)?;
    seq.check_len("list", interp.config.max_collection_len)?;
    interp.reserve_values(seq.len())?;
    let mut out = ListBuilder::with_capacity(seq.len());
    for x in seq.iter() {
        interp.step()?;
        out.push(interp.call_value(&f, &mut [x], None)?);
    }
    Ok(out.finish())
}

/// `filter(xs, f)`: the elements for which `f` returns true (a list; `f`
/// must return a bool).
fn filter(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("filter", args, 2, 2)?;
    let seq = Seq::of("filter", &args[0])?;
    let f = take(&mut args[1]);
    check_callable("filter", &f)?;
    seq.check_len("list", interp.config.max_collection_len)?;
    interp.reserve_values(seq.len())?;
    // Room for every element; `finish` gives back what the filter dropped.
    let mut out = ListBuilder::with_capacity(seq.len());
    for x in seq.iter() {
        interp.step()?;
        match interp.call_value(&f, &mut [x.clone()], None)? {
            Value::Bool(b) => {
                if b.get() {
                    out.push(x)
                }
            }
            other => {
                return Err(MemoError::new(
                    "TypeError",
                    format!("filter() needs a function that returns a bool, got {}", other.type_name()),
                ))
            }
        }
    }
    Ok(out.finish())
}

/// `reduce(xs, f[, init])`: folds `acc = f(acc, x)` from `init` (or from the
/// first element when no `init` is given).
fn reduce(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("reduce", args, 2, 3)?;
    let seq = Seq::of("reduce", &args[0])?;
    let f = take(&mut args[1]);
    check_callable("reduce", &f)?;
    let mut it = seq.iter();
    let mut acc = if args.len() == 3 {
        take(&mut args[2])
    } else {
        match it.next() {
            Some(first) => first,
            None => return Err(MemoError::new("ValueError", "reduce() of an empty sequence with no initial value")),
        }
    };
    for x in it {
        interp.step()?;
        acc = interp.call_value(&f, &mut [acc, x], None)?;
    }
    Ok(acc)
}

// ----- numbers -----

/// `sum(xs)`: the sum of a list or range of numbers (0 when empty). Ints
/// stay ints (overflow is an error); a float anywhere makes the sum a float.
fn sum(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("sum", args, 1, 1)?;
    match &args[0] {
        Value::Range(r) => range_sum(r.start, end_excl(r)).map(Value::Int),
        Value::List(l) => {
            interp.charge(l.items.len() as u64)?;
            let mut int_acc: i64 = 0;
            // Floats are summed with Neumaier's compensation (no drift:
            // `sum([0.1] * 10) == 1.0`), as Python's `sum` since 3.12.
            let mut float_acc: Option<super::math::Neumaier> = None;
            for x in l.iter() {
                match (x, &mut float_acc) {
                    (Value::Int(i), None) => {
                        int_acc = int_acc.checked_add(*i).ok_or_else(|| {
                            MemoError::new("OverflowError", format!("integer overflow in sum(): {int_acc} + {i}"))
                        })?;
                    }
                    (Value::Int(i), Some(f)) => f.add(*i as f64),
                    (Value::Float(g), None) => {
                        let mut acc = super::math::Neumaier::new(int_acc as f64);
                        acc.add(g.get());
                        float_acc = Some(acc);
                    }
                    (Value::Float(g), Some(f)) => f.add(g.get()),
                    (other, _) => {
                        return Err(MemoError::new(
                            "TypeError",
                            format!("sum() expects numbers, got {} in the list", other.type_name()),
                        ))
                    }
                }
            }
            Ok(match float_acc {
                Some(f) => Value::float(f.total()),
                None => Value::Int(int_acc),
            })
        }
        other => Err(bad_arg("sum", "a list or range", other)),
    }
}

/// The sum of `a..b` in O(1).
fn range_sum(a: i64, b: i128) -> Result<i64> {
    if b <= a as i128 {
        return Ok(0);
    }
    let overflow = || MemoError::new("OverflowError", format!("integer overflow in sum({a}..{b})"));
    let n = b - a as i128;
    // n * a + n * (n - 1) / 2, with the halving done before the product.
    let tri = if n % 2 == 0 { (n / 2).checked_mul(n - 1) } else { n.checked_mul((n - 1) / 2) };
    let total = tri.and_then(|t| n.checked_mul(a as i128).and_then(|s| s.checked_add(t))).ok_or_else(overflow)?;
    i64::try_from(total).map_err(|_| overflow())
}

/// The candidates of `min`/`max`: one list or range argument, or 2+ arguments.
fn extreme(interp: &mut Interp, name: &str, args: &mut [Value], want: Ordering) -> Result<Value> {
    arity(name, args, 1, usize::MAX)?;
    fn pick<'a>(interp: &mut Interp, items: impl Iterator<Item = &'a Value>, want: Ordering) -> Result<Option<Value>> {
        let mut best: Option<&Value> = None;
        for x in items {
            interp.step()?;
            match best {
                Some(b) if cmp_in(x, b, interp)? != want => {}
                _ => best = Some(x),
            }
        }
        Ok(best.cloned())
    }
    let found = if args.len() == 1 {
        match &args[0] {
            Value::List(l) => pick(interp, l.iter(), want)?,
            Value::Range(r) => {
                let (a, b) = (r.start, end_excl(r));
                if b <= a as i128 {
                    None
                } else if want == Ordering::Less {
                    Some(Value::Int(a))
                } else {
                    Some(Value::Int((b - 1) as i64))
                }
            }
            other => {
                return Err(MemoError::new(
                    "TypeError",
                    format!("{name}() expects a list or range (or two or more values), got {}", other.type_name()),
                ))
            }
        }
    } else {
        pick(interp, args.iter(), want)?
    };
    found.ok_or_else(|| MemoError::new("ValueError", format!("{name}() of an empty sequence")))
}

/// `min(xs)` / `min(a, b, ...)`: the smallest value (the first of equals).
fn min(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    extreme(interp, "min", args, Ordering::Less)
}

/// `max(xs)` / `max(a, b, ...)`: the largest value (the first of equals).
fn max(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    extreme(interp, "max", args, Ordering::Greater)
}

/// `abs(n)`.
fn abs(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("abs", args, 1, 1)?;
    match &args[0] {
        Value::Int(i) => i
            .checked_abs()
            .map(Value::Int)
            .ok_or_else(|| MemoError::new("OverflowError", format!("integer overflow in abs({i})"))),
        Value::Float(f) => Ok(Value::float(f.get().abs())),
        other => Err(bad_arg("abs", "a number", other)),
    }
}

// ----- ordering -----

/// The elements of a list or range argument, for sorting.
fn sortable(interp: &mut Interp, name: &str, v: &Value) -> Result<(Vec<Value>, bool)> {
    let seq = Seq::of_numbers(name, v)?;
    seq.check_len("list", interp.config.max_collection_len)?;
    // The elements, their order, and the sorted list.
    interp.reserve_values(seq.len().saturating_mul(3))?;
    let may_mutate = matches!(&seq, Seq::List(l) if l.may_mutate);
    Ok((seq.iter().collect(), may_mutate))
}

/// `sort(xs)`: a sorted copy of a list or range (stable; the total order of
/// values, numbers compared numerically).
fn sort(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("sort", args, 1, 1)?;
    let (mut v, may_mutate) = sortable(interp, "sort", &args[0])?;
    interp.charge(v.len() as u64)?;
    super::sorting::try_sort_by(&mut v, |a, b| {
        interp.step()?;
        cmp_in(a, b, interp)
    })?;
    Ok(new_list(v.into_iter().collect(), may_mutate))
}

/// `reverse(xs)`: a list, range (as a list) or string, reversed.
fn reverse(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("reverse", args, 1, 1)?;
    match &args[0] {
        Value::List(l) if l.is_unique() => {
            // Nothing else holds it (`reverse(xs[a..b])`, or a last use
            // moved in): reversed where it is.
            interp.charge(l.items.len() as u64)?;
            let mut l = take_list("reverse", args, 0)?;
            let lm = crate::value::make_mut(&mut l);
            lm.hash = Default::default();
            lm.items.reverse();
            Ok(Value::List(l))
        }
        Value::List(l) => {
            interp.charge(l.items.len() as u64)?;
            interp.reserve_values(l.items.len())?;
            Ok(new_list(l.items.iter().rev().cloned().collect(), l.may_mutate))
        }
        Value::Str(s) => {
            interp.charge_bytes(s.s.len())?;
            Ok(Value::str(s.s.chars().rev().collect::<String>()))
        }
        Value::Range(r) => {
            let seq = Seq::Range(r.start, end_excl(r));
            seq.check_len("list", interp.config.max_collection_len)?;
            interp.charge(seq.len() as u64)?;
            interp.reserve_values(seq.len())?;
            Ok(Value::list(seq.iter().collect::<Vec<_>>().into_iter().rev().collect()))
        }
        other => Err(bad_arg("reverse", "a list, range or str", other)),
    }
}

// ----- sequences -----

/// `join(xs, sep)`: the display forms of the elements, separated by `sep`.
fn join(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("join", args, 2, 2)?;
    let seq = Seq::of_numbers("join", &args[0])?;
    let sep = match &args[1] {
        Value::Str(s) => s.clone(),
        other => return Err(MemoError::new("TypeError", format!("join() expects a str separator, got {}", other.type_name()))),
    };
    let max = interp.config.max_collection_len;
    let mut out = String::new();
    let mut start = 0;
    let mut add = |interp: &mut Interp, i: usize, x: &Value| -> Result<()> {
        interp.step()?;
        if i > 0 {
            out.push_str(&sep.s);
        }
        match x {
            Value::Str(s) => out.push_str(&s.s),
            other => out.push_str(&super::core::repr_metered(interp, other)?),
        }
        interp.charge_bytes(out.len() - start.min(out.len()))?;
        start = out.len();
        if out.len() > max {
            return Err(too_large("string", out.len(), max));
        }
        Ok(())
    };
    match &seq {
        // A list's elements read where they are, not copied out one by one.
        Seq::List(l) => {
            for (i, x) in l.iter().enumerate() {
                add(interp, i, x)?;
            }
        }
        _ => {
            for (i, x) in seq.iter().enumerate() {
                add(interp, i, &x)?;
            }
        }
    }
    Ok(Value::str(out))
}

/// `slice(x, a[, b])`: elements `a` up to (not including) `b` of a list,
/// string or range; `b` defaults to the length; negative indexes count from
/// the end; out of range is an `IndexError`.
fn slice(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("slice", args, 2, 3)?;
    let len = match &args[0] {
        Value::List(l) => l.items.len(),
        Value::Str(s) => s.char_len(),
        Value::Range(r) => r.len(),
        other => return Err(bad_arg("slice", "a list, str or range", other)),
    };
    let what = match &args[0] {
        Value::List(_) => "list",
        Value::Str(_) => "string",
        _ => "range",
    };
    let a = int_arg("slice", &args[1], "start")?;
    let b = match args.get(2) {
        Some(b) => Some(int_arg("slice", b, "end")?),
        None => None,
    };
    let (start, end) = slice_range(a, b, len).ok_or_else(|| {
        let shown = match b {
            Some(b) => format!("bounds {a}, {b}"),
            None => format!("start {a}"),
        };
        MemoError::new("IndexError", format!("slice() {shown} out of range for {what} of length {len}"))
    })?;
    match take(&mut args[0]) {
        Value::List(l) => {
            if start == 0 && end == len {
                return Ok(Value::List(l));
            }
            Ok(l.slice(start..end))
        }
        Value::Str(s) => {
            if start == 0 && end == len {
                return Ok(Value::Str(s));
            }
            interp.charge_bytes(if s.ascii { end - start } else { s.s.len() })?;
            Ok(Value::str(substr(&s, start, end)))
        }
        Value::Range(r) => {
            // start <= end <= len, and r.start + len never passes the range's end.
            let lo = r.start.saturating_add(start as i64);
            let hi = r.start.saturating_add(end as i64);
            Ok(Value::range(lo, hi, false))
        }
        _ => unreachable!("checked above"),
    }
}

/// Resolves `slice(x, a[, b])` bounds against a length (negative indexes
/// count from the end); `None` when out of range or reversed.
fn slice_range(a: i64, b: Option<i64>, len: usize) -> Option<(usize, usize)> {
    let len = i128::try_from(len).ok()?;
    let fix = |i: i64| if i < 0 { i as i128 + len } else { i as i128 };
    let start = fix(a);
    let end = b.map_or(len, fix);
    if start < 0 || end < start || end > len {
        return None;
    }
    Some((start as usize, end as usize))
}

/// `contains(x, y)`: substring for strings, an equal element for lists and
/// ranges, a key for maps.
fn contains(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("contains", args, 2, 2)?;
    let y = &args[1];
    let found = match &args[0] {
        Value::Str(s) => match y {
            Value::Str(t) => {
                interp.charge_bytes(s.s.len())?;
                memchr::memmem::find(s.s.as_bytes(), t.s.as_bytes()).is_some()
            }
            other => {
                return Err(MemoError::new(
                    "TypeError",
                    format!("contains() on a str needs a str to look for, got {}", other.type_name()),
                ))
            }
        },
        Value::List(l) => {
            let mut found = false;
            for x in l.iter() {
                interp.step()?;
                if equal_in(x, y, interp)? {
                    found = true;
                    break;
                }
            }
            found
        }
        Value::Map(m) => {
            interp.charge_key(y, m.map.len())?;
            m.map.contains_key(y)
        }
        Value::Range(r) => {
            let (a, b) = (r.start, end_excl(r));
            match y {
                Value::Int(i) => a <= *i && (*i as i128) < b,
                Value::Float(f) => {
                    // Saturating cast; equal only when the float is exactly that int.
                    let i = f.get() as i64;
                    a <= i && (i as i128) < b && crate::value::values_equal(&Value::Int(i), y)
                }
                _ => false,
            }
        }
        other => return Err(bad_arg("contains", "a str, list, map or range", other)),
    };
    Ok(Value::bool(found))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_ranges() {
        assert_eq!(slice_range(1, None, 5), Some((1, 5)));
        assert_eq!(slice_range(-2, None, 5), Some((3, 5)));
        assert_eq!(slice_range(0, Some(-1), 5), Some((0, 4)));
        assert_eq!(slice_range(5, None, 5), Some((5, 5)));
        assert_eq!(slice_range(6, None, 5), None);
        assert_eq!(slice_range(-6, None, 5), None);
        assert_eq!(slice_range(3, Some(1), 5), None);
        assert_eq!(slice_range(i64::MIN, Some(i64::MAX), 5), None);
        assert_eq!(slice_range(0, Some(0), 0), Some((0, 0)));
    }

    #[test]
    fn range_sums() {
        assert_eq!(range_sum(0, 0).unwrap(), 0);
        assert_eq!(range_sum(5, 1).unwrap(), 0);
        assert_eq!(range_sum(0, 101).unwrap(), 5050);
        assert_eq!(range_sum(-10, 11).unwrap(), 0);
        assert_eq!(range_sum(-3, 0).unwrap(), -6);
        assert_eq!(range_sum(i64::MAX - 1, i64::MAX as i128).unwrap(), i64::MAX - 1);
        assert_eq!(range_sum(i64::MAX, i64::MAX as i128 + 1).unwrap(), i64::MAX);
        assert_eq!(range_sum(i64::MIN, i64::MIN as i128 + 1).unwrap(), i64::MIN);
        assert_eq!(range_sum(i64::MIN, i64::MAX as i128 + 1).unwrap(), i64::MIN);
        assert!(range_sum(i64::MIN, i64::MAX as i128).is_err());
        assert!(range_sum(0, 1 << 33).is_err());
        for (a, b) in [(0i64, 7i64), (-5, 12), (3, 4), (100, 1000)] {
            assert_eq!(range_sum(a, b as i128).unwrap(), (a..b).sum::<i64>());
        }
    }
}
