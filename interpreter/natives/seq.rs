//! Sequence natives for data work: `zip`, `enumerate`, `group_by`,
//! `count_by`, `sum_by`, `unique`, `flatten`, `any`, `all`, `count`,
//! `take`, `skip`, `chunks`, `sort_by`, `min_by`, `max_by`.
//!
//! A *sequence* is a list, a range or a string (its characters). The
//! keyed helpers take the key as a function (`fn(r) { r.region }`), as the
//! name of a map key or struct field (`"region"`: `r["region"]`, with no
//! call), or as a list of names (`["region", "month"]`: the key is the list
//! of those values).

use super::args::{callable, int};
use super::collections::Seq;
use super::group_index::GroupIndex;
use super::{arity, bad_arg, Builtin};
use crate::error::{MemoError, Result};
use crate::interp::ops::too_large;
use crate::interp::Interp;
use crate::value::{check_child, ListBuilder, Value, ValueMap};

pub const NATIVES: &[(&str, Builtin)] = &[
    ("zip", zip),
    ("enumerate", enumerate),
    ("group_by", group_by),
    ("count_by", count_by),
    ("sum_by", sum_by),
    ("unique", unique),
    ("flatten", flatten),
    ("any", any),
    ("all", all),
    ("count", count),
    ("take", take),
    ("skip", skip),
    ("chunks", chunks),
    ("sort_by", sort_by),
    ("min_by", min_by),
    ("max_by", max_by),
];

/// How a keyed helper gets an element's key.
enum Key {
    Func(Value),
    Name(Value),
    Names(Vec<Value>),
}

impl Key {
    fn of(name: &str, v: &Value) -> Result<Key> {
        match v {
            Value::Str(_) => Ok(Key::Name(v.clone())),
            Value::List(l) if l.iter().all(|x| matches!(x, Value::Str(_))) && !l.items.is_empty() => {
                Ok(Key::Names(l.iter().cloned().collect()))
            }
            Value::Func(_) | Value::Native(_) | Value::Type(_) => Ok(Key::Func(v.clone())),
            other => Err(MemoError::new(
                "TypeError",
                format!("{name}() expects a key: a function, a field name or a list of field names, got {}", other.type_name()),
            )),
        }
    }

    fn get(&self, interp: &mut Interp, x: &Value) -> Result<Value> {
        match self {
            Key::Func(f) => interp.call_value(f, &mut [x.clone()], None),
            Key::Name(k) => field(x, k),
            Key::Names(ks) => {
                let mut out = Vec::with_capacity(ks.len());
                for k in ks {
                    out.push(field(x, k)?);
                }
                Ok(Value::list_from(out))
            }
        }
    }
}

/// `x[k]` of a map, or the field `k` of a struct.
fn field(x: &Value, k: &Value) -> Result<Value> {
    let name = k.as_str().unwrap_or_default();
    match x {
        Value::Map(m) => m
            .map
            .get_str(name)
            .cloned()
            .ok_or_else(|| MemoError::new("KeyError", format!("key {} not found in map", crate::value::repr(k)))),
        Value::Struct(s) => {
            s.ty.fields
                .iter()
                .position(|f| f.as_str() == name)
                .map(|i| s.fields[i].clone())
                .ok_or_else(|| MemoError::new("AttributeError", format!("struct `{}` has no field `{name}`", s.ty.name)))
        }
        other => Err(MemoError::new(
            "TypeError",
            format!("a key by name (`{name}`) needs maps or structs, got {} (pass a function instead)", other.type_name()),
        )),
    }
}

pub(super) fn seq(name: &str, v: &Value, max: usize) -> Result<Seq> {
    let s = Seq::of(name, v)?;
    s.check_len("list", max)?;
    Ok(s)
}

/// `zip(a, b, ...)`: `[[a0, b0, ...], [a1, b1, ...], ...]`, as long as the
/// shortest argument.
fn zip(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("zip", args, 1, usize::MAX)?;
    let max = interp.config.max_collection_len;
    let seqs: Vec<Seq> = args.iter().map(|a| seq("zip", a, max)).collect::<Result<_>>()?;
    let n = seqs.iter().map(Seq::len).min().unwrap_or(0);
    let mut iters: Vec<_> = seqs.iter().map(|s| s.iter()).collect();
    let mut out = ListBuilder::with_capacity(n);
    for _ in 0..n {
        let row: Vec<Value> = iters.iter_mut().map(|it| it.next().unwrap_or_default()).collect();
        out.push(Value::list_from(row));
    }
    Ok(out.finish())
}

/// `enumerate(xs[, start])`: `[[start, x0], [start + 1, x1], ...]`.
fn enumerate(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("enumerate", args, 1, 2)?;
    let s = seq("enumerate", &args[0], interp.config.max_collection_len)?;
    let start = if args.len() == 2 { int("enumerate", args, 1)? } else { 0 };
    let mut out = ListBuilder::with_capacity(s.len());
    for (i, x) in s.iter().enumerate() {
        let k = start
            .checked_add(i as i64)
            .ok_or_else(|| MemoError::new("OverflowError", "enumerate() index does not fit in an int"))?;
        out.push(Value::list_from(vec![Value::Int(k), x]));
    }
    Ok(out.finish())
}

/// Groups the elements by key: the keys (in order of first appearance)
/// and each one's elements.
fn groups(interp: &mut Interp, name: &str, args: &[Value]) -> Result<(Vec<Value>, Vec<Vec<Value>>)> {
    let s = seq(name, &args[0], interp.config.max_collection_len)?;
    let key = Key::of(name, &args[1])?;
    let mut index = GroupIndex::default();
    let mut members: Vec<Vec<Value>> = Vec::new();
    for x in s.iter() {
        let k = key.get(interp, &x)?;
        interp.charge_key(&k, index.keys.len())?;
        let (g, new) = index.group(k)?;
        if new {
            members.push(Vec::new());
        }
        members[g].push(x);
    }
    Ok((index.keys, members))
}

/// A map from the keys to values (its keys in key order, as every map's).
fn keyed_map(keys: Vec<Value>, values: impl IntoIterator<Item = Value>) -> Value {
    let mut out = ValueMap::with_capacity(keys.len());
    for (k, v) in keys.into_iter().zip(values) {
        out.insert(k, v);
    }
    Value::map(out)
}

/// `group_by(xs, key)`: a map from each key to the list of the elements
/// with that key (in their order), keys in key order.
fn group_by(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("group_by", args, 2, 2)?;
    let (keys, members) = groups(interp, "group_by", args)?;
    let mut lists = Vec::with_capacity(members.len());
    for m in members {
        let list = Value::list_from(m);
        check_child(&list)?;
        lists.push(list);
    }
    Ok(keyed_map(keys, lists))
}

/// `count_by(xs, key)`: a map from each key to how many elements have it.
fn count_by(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("count_by", args, 2, 2)?;
    let s = seq("count_by", &args[0], interp.config.max_collection_len)?;
    let key = Key::of("count_by", &args[1])?;
    let mut index = GroupIndex::default();
    let mut counts: Vec<i64> = Vec::new();
    for x in s.iter() {
        let k = key.get(interp, &x)?;
        interp.charge_key(&k, index.keys.len())?;
        let (g, new) = index.group(k)?;
        if new {
            counts.push(0);
        }
        counts[g] += 1;
    }
    Ok(keyed_map(index.keys, counts.into_iter().map(Value::Int)))
}

/// A running sum: ints while they fit, then Neumaier-compensated floats.
enum Total {
    Int(i64),
    Float(super::math::Neumaier),
}

impl Total {
    fn add(&mut self, v: &Value) -> Result<()> {
        match (&mut *self, v) {
            (Total::Int(a), Value::Int(b)) => {
                *a = a
                    .checked_add(*b)
                    .ok_or_else(|| MemoError::new("OverflowError", format!("integer overflow in sum_by(): {a} + {b}")))?;
            }
            (Total::Int(a), Value::Float(b)) => {
                let mut n = super::math::Neumaier::new(*a as f64);
                n.add(b.get());
                *self = Total::Float(n);
            }
            (Total::Float(n), Value::Int(b)) => n.add(*b as f64),
            (Total::Float(n), Value::Float(b)) => n.add(b.get()),
            (_, other) => {
                return Err(MemoError::new("TypeError", format!("sum_by() values must be numbers, got {}", other.type_name())))
            }
        }
        Ok(())
    }
    fn value(&self) -> Value {
        match self {
            Total::Int(i) => Value::Int(*i),
            Total::Float(n) => Value::float(n.total()),
        }
    }
}

/// `sum_by(xs, key, value)`: a map from each key to the sum of `value` over
/// the elements with that key (`value` as a key is: a function or a name).
fn sum_by(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("sum_by", args, 3, 3)?;
    let s = seq("sum_by", &args[0], interp.config.max_collection_len)?;
    let key = Key::of("sum_by", &args[1])?;
    let val = Key::of("sum_by", &args[2])?;
    let mut index = GroupIndex::default();
    let mut totals: Vec<Total> = Vec::new();
    for x in s.iter() {
        let k = key.get(interp, &x)?;
        let v = val.get(interp, &x)?;
        interp.charge_key(&k, index.keys.len())?;
        let (g, new) = index.group(k)?;
        if new {
            totals.push(Total::Int(0));
        }
        totals[g].add(&v)?;
    }
    Ok(keyed_map(index.keys, totals.iter().map(Total::value)))
}

/// `unique(xs)`: the elements without repeats (the first of equals), in
/// order. Elements must be usable as map keys.
fn unique(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("unique", args, 1, 1)?;
    let s = seq("unique", &args[0], interp.config.max_collection_len)?;
    let mut seen = GroupIndex::default();
    let mut out = ListBuilder::with_capacity(0);
    for x in s.iter() {
        interp.charge_key(&x, seen.keys.len())?;
        if seen.group(x.clone())?.1 {
            out.push(x);
        }
    }
    Ok(out.finish())
}

/// `flatten(xss)`: one list from a list of lists (and ranges), one level.
fn flatten(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("flatten", args, 1, 1)?;
    let max = interp.config.max_collection_len;
    let outer = match &args[0] {
        Value::List(l) => l.clone(),
        other => return Err(bad_arg("flatten", "a list of lists", other)),
    };
    let mut out = ListBuilder::with_capacity(0);
    let mut n = 0usize;
    for xs in outer.iter() {
        let inner = match xs {
            Value::List(_) | Value::Range(_) => Seq::of("flatten", xs)?,
            other => {
                return Err(MemoError::new(
                    "TypeError",
                    format!("flatten() expects a list of lists, got {} in the list", other.type_name()),
                ))
            }
        };
        n = n.saturating_add(inner.len());
        if n > max {
            return Err(too_large("list", n, max));
        }
        for x in inner.iter() {
            out.push(x);
        }
    }
    Ok(out.finish())
}

/// A predicate's (or an element's) bool.
fn truth(name: &str, v: Value, called: bool) -> Result<bool> {
    match v {
        Value::Bool(b) => Ok(b.get()),
        other => Err(MemoError::new(
            "TypeError",
            if called {
                format!("{name}() needs a function that returns a bool, got {}", other.type_name())
            } else {
                format!("{name}() without a function needs bools, got {} (pass a test: {name}(xs, f))", other.type_name())
            },
        )),
    }
}

/// `any(xs[, f])` / `all(xs[, f])`: whether some / every element is true
/// (or makes `f` return true). Stops at the first that decides.
fn any_all(interp: &mut Interp, args: &mut [Value], name: &str, want: bool) -> Result<Value> {
    arity(name, args, 1, 2)?;
    let s = Seq::of(name, &args[0])?;
    let f = args.get(1).cloned();
    if let Some(f) = &f {
        callable(name, f)?;
    }
    for x in s.iter() {
        let t = match &f {
            Some(f) => truth(name, interp.call_value(f, &mut [x], None)?, true)?,
            None => truth(name, x, false)?,
        };
        if t == want {
            return Ok(Value::bool(want));
        }
    }
    Ok(Value::bool(!want))
}

fn any(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    any_all(interp, args, "any", true)
}

fn all(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    any_all(interp, args, "all", false)
}

/// `count(xs, f)`: how many elements make `f` return true; `count(xs, v)`
/// with a value that is not a function: how many elements equal `v` (for
/// a string, how many non-overlapping times `v` occurs in it).
fn count(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("count", args, 2, 2)?;
    if let (Value::Str(s), Value::Str(t)) = (&args[0], &args[1]) {
        let n = if t.s.is_empty() { s.char_len() + 1 } else { memchr::memmem::find_iter(s.s.as_bytes(), t.s.as_bytes()).count() };
        return Ok(Value::Int(n as i64));
    }
    let s = Seq::of("count", &args[0])?;
    let f = args[1].clone();
    let mut n = 0i64;
    if matches!(f, Value::Func(_) | Value::Native(_) | Value::Type(_)) {
        for x in s.iter() {
            if truth("count", interp.call_value(&f, &mut [x], None)?, true)? {
                n += 1;
            }
        }
    } else {
        n = s.iter().filter(|x| crate::value::values_equal(x, &f)).count() as i64;
    }
    Ok(Value::Int(n))
}

pub(super) fn count_arg(name: &str, args: &[Value]) -> Result<usize> {
    let n = int(name, args, 1)?;
    usize::try_from(n).map_err(|_| MemoError::new("ValueError", format!("{name}() count must be >= 0, got {n}")))
}

/// `take(xs, n)` / `skip(xs, n)`: the first n elements / all but the first
/// n, of a list, string or range (the same kind back); n may pass the end.
fn take_skip(args: &mut [Value], name: &str, take: bool) -> Result<Value> {
    arity(name, args, 2, 2)?;
    let n = count_arg(name, args)?;
    let len = match &args[0] {
        Value::List(l) => l.items.len(),
        Value::Str(s) => s.char_len(),
        Value::Range(r) => r.len(),
        other => return Err(bad_arg(name, "a list, str or range", other)),
    };
    let n = n.min(len);
    let (a, b) = if take { (0, n) } else { (n, len) };
    match std::mem::take(&mut args[0]) {
        Value::List(l) if a == 0 && b == len => Ok(Value::List(l)),
        Value::List(l) => Ok(l.slice(a..b)),
        Value::Str(s) if a == 0 && b == len => Ok(Value::Str(s)),
        Value::Str(s) => Ok(Value::str(crate::interp::index::substr(&s, a, b))),
        Value::Range(r) => {
            let lo = r.start.saturating_add(a as i64);
            let hi = r.start.saturating_add(b as i64);
            Ok(Value::range(lo, hi, false))
        }
        _ => unreachable!("checked above"),
    }
}

fn take(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    take_skip(args, "take", true)
}

fn skip(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    take_skip(args, "skip", false)
}

/// `chunks(xs, n)`: the elements in lists of n (the last may be shorter);
/// a string gives strings of n characters.
fn chunks(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("chunks", args, 2, 2)?;
    let n = count_arg("chunks", args)?;
    if n == 0 {
        return Err(MemoError::new("ValueError", "chunks() size must be at least 1"));
    }
    let s = seq("chunks", &args[0], interp.config.max_collection_len)?;
    let is_str = matches!(s, Seq::Str(_));
    let mut out = ListBuilder::with_capacity(s.len().div_ceil(n));
    let mut cur: Vec<Value> = Vec::with_capacity(n);
    let flush = |cur: &mut Vec<Value>, out: &mut ListBuilder| {
        let items = std::mem::take(cur);
        if is_str {
            let text: String = items.iter().filter_map(Value::as_str).collect();
            out.push(Value::str(text));
        } else {
            out.push(Value::list_from(items));
        }
    };
    for x in s.iter() {
        cur.push(x);
        if cur.len() == n {
            flush(&mut cur, &mut out);
        }
    }
    if !cur.is_empty() {
        flush(&mut cur, &mut out);
    }
    Ok(out.finish())
}

/// The elements of a sequence with their keys.
fn keyed(interp: &mut Interp, name: &str, args: &[Value]) -> Result<Vec<(Value, Value)>> {
    let s = seq(name, &args[0], interp.config.max_collection_len)?;
    let key = Key::of(name, &args[1])?;
    let mut out = Vec::with_capacity(s.len());
    for x in s.iter() {
        out.push((key.get(interp, &x)?, x));
    }
    Ok(out)
}

/// `sort_by(xs, key[, order])`: xs sorted by key (stable: equal keys keep
/// their order, also with `"desc"`); `order` is `"asc"` (the default) or
/// `"desc"`. The key is computed once per element.
fn sort_by(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("sort_by", args, 2, 3)?;
    let desc = match args.get(2) {
        None => false,
        Some(Value::Str(s)) if s.s == "asc" => false,
        Some(Value::Str(s)) if s.s == "desc" => true,
        Some(other) => {
            return Err(MemoError::new(
                "ValueError",
                format!("sort_by() order must be \"asc\" or \"desc\", got {}", crate::value::repr(other)),
            ))
        }
    };
    if matches!(args[0], Value::Str(_)) {
        return Err(bad_arg("sort_by", "a list or range", &args[0]));
    }
    let mut v = keyed(interp, "sort_by", args)?;
    // Stable, and each comparison metered (keys that share their parts can
    // take far longer to compare than their memory suggests).
    super::sorting::try_sort_by(&mut v, |a, b| {
        interp.step()?;
        let o = crate::value::cmp_in(&a.0, &b.0, interp)?;
        Ok::<_, MemoError>(if desc { o.reverse() } else { o })
    })?;
    Ok(Value::list_from(v.into_iter().map(|(_, x)| x).collect()))
}

/// `min_by(xs, key)` / `max_by(xs, key)`: the element with the smallest /
/// largest key (the first of equals); an empty sequence is a `ValueError`.
fn extreme_by(interp: &mut Interp, args: &mut [Value], name: &str, want: std::cmp::Ordering) -> Result<Value> {
    arity(name, args, 2, 2)?;
    let v = keyed(interp, name, args)?;
    let mut best: Option<(Value, Value)> = None;
    for (k, x) in v {
        match &best {
            Some((bk, _)) if crate::value::cmp_in(&k, bk, interp)? != want => {}
            _ => best = Some((k, x)),
        }
    }
    best.map(|(_, x)| x).ok_or_else(|| MemoError::new("ValueError", format!("{name}() of an empty sequence")))
}

fn min_by(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    extreme_by(interp, args, "min_by", std::cmp::Ordering::Less)
}

fn max_by(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    extreme_by(interp, args, "max_by", std::cmp::Ordering::Greater)
}

#[cfg(test)]
mod tests {
    use super::super::args::eval;

    #[test]
    fn known_values() {
        let cases = [
            ("zip([1, 2, 3], \"ab\")", r#"[[1, "a"], [2, "b"]]"#),
            ("zip([1], [2], 0..5)", "[[1, 2, 0]]"),
            ("zip([], [1])", "[]"),
            ("enumerate([\"a\", \"b\"])", r#"[[0, "a"], [1, "b"]]"#),
            ("enumerate(\"xy\", 1)", r#"[[1, "x"], [2, "y"]]"#),
            ("enumerate([1], 9223372036854775807)", "[[9223372036854775807, 1]]"),
            ("enumerate([1, 2], 9223372036854775807)", "OverflowError: enumerate() index does not fit in an int"),
            ("group_by([3, 1, 4, 1, 5], fn(x) { x % 2 })", "{0: [4], 1: [3, 1, 1, 5]}"),
            (
                r#"group_by([{"r": "b", "n": 1}, {"r": "a", "n": 2}, {"r": "b", "n": 3}], "r")"#,
                r#"{"a": [{"n": 2, "r": "a"}], "b": [{"n": 1, "r": "b"}, {"n": 3, "r": "b"}]}"#,
            ),
            (r#"keys(group_by([{"r": "b", "m": 1}, {"r": "a", "m": 2}], ["r", "m"]))"#, r#"[["a", 2], ["b", 1]]"#),
            (r#"group_by([{"r": 1}], "q")"#, "KeyError: key \"q\" not found in map"),
            ("group_by([1], \"q\")", "TypeError: a key by name (`q`) needs maps or structs, got int (pass a function instead)"),
            ("group_by([1], fn(x) { fn() { x } })", "TypeError: a value of type `fn` cannot be a map key"),
            ("count_by(\"banana\", fn(c) { c })", r#"{"a": 3, "b": 1, "n": 2}"#),
            (
                r#"sum_by([{"k": "a", "v": 0.1}, {"k": "a", "v": 0.2}, {"k": "b", "v": 2}], "k", "v")"#,
                r#"{"a": 0.30000000000000004, "b": 2}"#,
            ),
            (
                r#"sum_by([{"k": 1, "v": 9223372036854775807}, {"k": 1, "v": 1}], "k", "v")"#,
                "OverflowError: integer overflow in sum_by(): 9223372036854775807 + 1",
            ),
            (r#"sum_by([{"k": 1, "v": "x"}], "k", "v")"#, "TypeError: sum_by() values must be numbers, got str"),
            ("unique([3, 1, 3, 2, 1, 1.0])", "[3, 1, 2]"),
            ("unique(\"hello\")", r#"["h", "e", "l", "o"]"#),
            ("unique([cell(1)])", "TypeError: a value of type `cell` cannot be a map key"),
            ("flatten([[1], [], [2, 3], 4..6])", "[1, 2, 3, 4, 5]"),
            ("flatten([[1], 2])", "TypeError: flatten() expects a list of lists, got int in the list"),
            ("[any([false, true]), any([]), all([]), all([true, false])]", "[true, false, true, false]"),
            ("[any(1..10, fn(x) { x > 8 }), all(1..10, fn(x) { x > 0 })]", "[true, true]"),
            ("any([1])", "TypeError: any() without a function needs bools, got int (pass a test: any(xs, f))"),
            ("all([1], fn(x) { x })", "TypeError: all() needs a function that returns a bool, got int"),
            (
                "[count(0..10, fn(x) { x % 3 == 0 }), count([1, 2, 1], 1), count(\"banana\", \"an\"), count(\"ab\", \"\")]",
                "[4, 2, 2, 3]",
            ),
            ("[take([1, 2, 3], 2), take(\"héllo\", 2), take(0..10, 3), take([1], 5)]", r#"[[1, 2], "hé", 0..3, [1]]"#),
            ("[skip([1, 2, 3], 2), skip(\"héllo\", 2), skip(0..10, 8), skip([1], 5)]", r#"[[3], "llo", 8..10, []]"#),
            ("take([1], -1)", "ValueError: take() count must be >= 0, got -1"),
            (
                "[chunks([1, 2, 3, 4, 5], 2), chunks(\"abcde\", 3), chunks([], 3)]",
                r#"[[[1, 2], [3, 4], [5]], ["abc", "de"], []]"#,
            ),
            ("chunks([1], 0)", "ValueError: chunks() size must be at least 1"),
            ("sort_by([\"ccc\", \"a\", \"bb\"], len)", r#"["a", "bb", "ccc"]"#),
            ("sort_by([[1, \"a\"], [2, \"b\"], [1, \"c\"]], fn(p) { p[0] }, \"desc\")", r#"[[2, "b"], [1, "a"], [1, "c"]]"#),
            ("sort_by([1], len, \"down\")", "ValueError: sort_by() order must be \"asc\" or \"desc\", got \"down\""),
            ("[min_by([\"bb\", \"a\", \"c\"], len), max_by([\"bb\", \"a\", \"cc\"], len)]", r#"["a", "bb"]"#),
            ("min_by([], len)", "ValueError: min_by() of an empty sequence"),
            ("struct P { x }\nmax_by([P(1), P(3), P(2)], \"x\")", "P(x: 3)"),
        ];
        for (src, want) in cases {
            assert_eq!(eval(src), want, "{src}");
        }
    }
}
