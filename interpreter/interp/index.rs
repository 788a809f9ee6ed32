//! Indexing, slicing, field access, and the persistent path update behind
//! `xs[i] = v`, `m[k][j] += 1`, `p.x = v`.

use super::ops;
use crate::ast::BinOp;
use crate::error::{MemoError, Result};
use crate::value::{ListObj, MutObj, RangeObj, Reader, UArc, Value};
use std::sync::Arc;

/// One step of an assignment path, already evaluated.
pub enum Key {
    Index(Value),
    Field(String),
}

/// Resolves a possibly negative index against a length.
pub fn norm_index(i: i64, len: usize, what: &str) -> Result<usize> {
    let idx = if i < 0 { i as i128 + len as i128 } else { i as i128 };
    if idx < 0 || idx >= len as i128 {
        return Err(MemoError::new("IndexError", format!("index {i} out of range for {what} of length {len}")));
    }
    Ok(idx as usize)
}

/// Resolves a slice range against a length: `(start, end)` with start <= end.
#[inline]
pub fn slice_bounds(r: &RangeObj, len: usize, what: &str) -> Result<(usize, usize)> {
    // A length fits in an i64, and a negative plus a length cannot
    // overflow, so each sum is exact: a negative bound counts from the
    // end, an inclusive end is one more (`..=i64::MAX`: out of range).
    let n = len as i64;
    let start = if r.start < 0 { r.start + n } else { r.start };
    let end = if r.end < 0 { r.end + n } else { r.end };
    let end = if r.inclusive { end.checked_add(1) } else { Some(end) };
    match end {
        Some(end) if 0 <= start && start <= end && end <= n => Ok((start as usize, end as usize)),
        _ => Err(slice_error(r, len, what)),
    }
}

#[cold]
#[inline(never)]
fn slice_error(r: &RangeObj, len: usize, what: &str) -> MemoError {
    let shown = format!("{}{}{}", r.start, if r.inclusive { "..=" } else { ".." }, r.end);
    MemoError::new("IndexError", format!("slice {shown} out of range for {what} of length {len}"))
}

fn int_index(i: &Value, what: &str) -> Result<i64> {
    match i {
        Value::Int(i) => Ok(*i),
        other => Err(MemoError::new("TypeError", format!("{what} index must be an int or a range, got {}", other.type_name()))),
    }
}

/// Character-indexed substring.
pub fn substr(s: &crate::value::StrObj, start: usize, end: usize) -> String {
    if s.ascii {
        s.s[start..end].to_string()
    } else {
        s.s.chars().skip(start).take(end - start).collect()
    }
}

/// `t[a..b]` of a list, string or range; `None` for any other `t` (a
/// map's key may be a range: `index` looks it up).
pub fn slice(t: &Value, r: &RangeObj) -> Option<Result<Value>> {
    Some(match t {
        Value::List(l) => slice_bounds(r, l.items.len(), "list").map(|(a, b)| l.slice(a..b)),
        Value::Str(s) => slice_bounds(r, s.char_len(), "string").map(|(a, b)| {
            if s.ascii && b == a + 1 {
                return Value::char_str(char::from(s.s.as_bytes()[a]));
            }
            Value::str(substr(s, a, b))
        }),
        Value::Range(q) => slice_bounds(r, q.len(), "range")
            .map(|(a, b)| Value::range((q.start as i128 + a as i128) as i64, (q.start as i128 + b as i128) as i64, false)),
        _ => return None,
    })
}

/// `xs[a..b] = v` (`updated`: with an operator, an error): the elements a
/// up to b replaced by those of the list `v`, moved out of it when nothing
/// else holds it.
pub fn assign_slice(l: &mut UArc<ListObj>, r: &RangeObj, v: Value, updated: bool, max: usize) -> Result<()> {
    let (a, b) = slice_bounds(r, l.items.len(), "list")?;
    let Value::List(mut with) = v else {
        return Err(MemoError::new("TypeError", format!("a slice of a list is assigned a list, got {}", v.type_name())));
    };
    if updated {
        return Err(MemoError::new("TypeError", "a slice cannot be updated with an operator: assign it a list"));
    }
    let len = l.items.len() - (b - a) + with.items.len();
    if len > max {
        return Err(ops::too_large("list", len, max));
    }
    let lm = crate::value::make_mut(l);
    lm.may_mutate |= with.may_mutate;
    lm.depth = lm.depth.max(with.depth);
    lm.hash = Default::default();
    match UArc::get_mut(&mut with) {
        Some(w) => lm.items.splice_owned(a..b, std::mem::take(&mut w.items)),
        None => lm.items.splice(a..b, &with.items),
    }
    Ok(())
}

/// `t[i]`
pub fn index(t: &Value, i: &Value) -> Result<Value> {
    if let Value::Range(r) = i {
        if let Some(v) = slice(t, r) {
            return v;
        }
    }
    match t {
        Value::List(l) => {
            let idx = norm_index(int_index(i, "list")?, l.items.len(), "list")?;
            Ok(l.items[idx].clone())
        }
        Value::Str(s) => {
            let len = s.char_len();
            let idx = norm_index(int_index(i, "string")?, len, "string")?;
            if s.ascii {
                return Ok(Value::char_str(char::from(s.s.as_bytes()[idx])));
            }
            Ok(Value::str(substr(s, idx, idx + 1)))
        }
        Value::Map(m) => match m.map.get(i) {
            Some(v) => Ok(v.clone()),
            None => Err(key_error(&m.map, i)),
        },
        Value::Range(r) => {
            let len = r.len();
            let idx = norm_index(int_index(i, "range")?, len, "range")?;
            Ok(Value::Int((r.start as i128 + idx as i128) as i64))
        }
        other => Err(MemoError::new("TypeError", format!("a value of type `{}` cannot be indexed", other.type_name()))),
    }
}

/// `t.name`: a struct's or an object's field (or, as a convenience, a
/// map's string key). `me` reads objects.
pub fn field(t: &Value, name: &str, me: Reader) -> Result<Value> {
    match t {
        Value::Struct(s) => match s.ty.field_index(name) {
            Some(i) => Ok(s.fields[i].clone()),
            None => Err(no_field(&s.ty, name)),
        },
        Value::Obj(o) => match o.ty.field_index(name) {
            Some(i) => o.get(me, i).ok_or_else(|| foreign(o)),
            None => Err(no_field(&o.ty, name)),
        },
        Value::Map(m) => {
            match m.map.get_str(name) {
                Some(v) => Ok(v.clone()),
                None => Err(MemoError::new("KeyError", format!("key \"{name}\" not found in map"))
                    .with_suggestion(similar_key(&m.map, name))),
            }
        }
        other => Err(MemoError::new(
            "AttributeError",
            format!(
                "a value of type `{}` has no field `{name}` (to call a function use `{name}(x)` or `x.{name}()`)",
                other.type_name()
            ),
        )),
    }
}

/// An object another interpreter owns (a host moved it between engines).
#[cold]
pub(crate) fn foreign(o: &MutObj) -> MemoError {
    MemoError::new(
        "ValueError",
        format!("this `{}` object belongs to another interpreter (share it through the cache or the host API)", o.ty.name),
    )
}

/// What a path update needs besides the path: the collection limit, who
/// writes objects, and whether it wrote one (a change of state, see
/// `Interp::cell_writes`).
pub struct PathCx {
    pub max: usize,
    pub me: Reader,
    pub wrote_object: bool,
}

/// `o.f (op)= v` and `o.f[...] (op)= v`: the object changes in place. The
/// field's value is taken out while the rest of the path updates it (so an
/// unshared list in it is updated in place) and put back after; a shared
/// object's field is copied instead, so that no other thread sees it empty.
fn update_object(o: &Arc<MutObj>, f: &str, rest: &mut [Key], op: Option<BinOp>, v: Value, cx: &mut PathCx) -> Result<()> {
    let Some(i) = o.ty.field_index(f) else {
        return Err(no_field(&o.ty, f));
    };
    cx.wrote_object = true;
    if rest.is_empty() && op.is_none() {
        return match o.set(cx.me, i, v) {
            Ok(old) => {
                drop(old);
                Ok(())
            }
            Err(_) => Err(foreign(o)),
        };
    }
    let owned = o.owned_by(cx.me);
    if rest.is_empty() {
        // `o.f op= v`: in the field's place (under the lock when shared,
        // so that concurrent `+=`s add up); nothing here touches `o` again.
        if !owned {
            crate::value::object::share(&v, cx.me);
        }
        let mut inner = PathCx { max: cx.max, me: cx.me, wrote_object: true };
        return o.with_field(cx.me, i, |slot| update_path(slot, &mut [], op, v, &mut inner)).ok_or_else(|| foreign(o))?;
    }
    // An object in the field changes in place: the path goes on through
    // it, the field left as it is (taken out, it would read as `none` to a
    // path that comes back to it: `s.next.next.val = v` with `s.next = s`).
    if let Some(Some(next)) = o.with_field(cx.me, i, |x| match x {
        Value::Obj(next) => Some(next.clone()),
        _ => None,
    }) {
        return update_path(&mut Value::Obj(next), rest, op, v, cx);
    }
    let mut cur = if owned { o.with_field(cx.me, i, std::mem::take) } else { o.get(cx.me, i) }.ok_or_else(|| foreign(o))?;
    let r = update_path(&mut cur, rest, op, v, cx);
    // Put back what the field holds now (changed, or as it was on error).
    match o.set(cx.me, i, cur) {
        Ok(old) => drop(old),
        Err(_) => return Err(foreign(o)),
    }
    r
}

/// The rest of a path that goes on into object `o` (`rest` starts with
/// one of its fields).
fn update_through(o: &Arc<MutObj>, rest: &mut [Key], op: Option<BinOp>, v: Value, cx: &mut PathCx) -> Result<()> {
    let mut target = Value::Obj(o.clone());
    update_path(&mut target, rest, op, v, cx)
}

/// `m[k] = v` with an int or string key: one search, whether the key is
/// new or not. (Only for keys equal to no other representation: `m[1.0]`
/// must keep an existing key `1`.) The key and the value come back, the
/// map untouched, when this does not apply (another key, a new key past
/// the size limit, a value nested too deeply): the general path decides.
#[inline]
pub(crate) fn set_map_item(
    m: &mut crate::value::UArc<crate::value::MapObj>,
    key: Value,
    v: Value,
    max: usize,
) -> std::result::Result<(), (Value, Value)> {
    if !matches!(key, Value::Int(_) | Value::Str(_))
        || crate::value::check_child(&v).is_err()
        || !(m.map.len() < max || m.map.contains_key(&key))
    {
        return Err((key, v));
    }
    let facts = (v.may_mutate() || key.may_mutate(), v.nesting().max(key.nesting()));
    let mm = crate::value::make_mut(m);
    mm.hash = Default::default();
    mm.map.insert(key, v);
    mm.may_mutate |= facts.0;
    mm.depth = mm.depth.max(facts.1 + 1);
    Ok(())
}

/// `xs[n] = v` with `n` an int in range: the element replaced. The value
/// comes back, the list untouched, when this does not apply (the general
/// path reports the error).
#[inline]
pub(crate) fn set_list_item(
    l: &mut crate::value::UArc<crate::value::ListObj>,
    n: i64,
    v: Value,
) -> std::result::Result<(), Value> {
    let Ok(idx) = norm_index(n, l.items.len(), "list") else { return Err(v) };
    if crate::value::check_child(&v).is_err() {
        return Err(v);
    }
    let lm = crate::value::make_mut(l);
    lm.note_child(&v);
    *lm.items.get_mut(idx).expect("index checked above") = v;
    Ok(())
}

/// Sets `target[path] (op)= v`, updating in place where the value is
/// unshared and copying (persistently) where it is shared. On error the
/// target is left unchanged.
pub fn update_path(target: &mut Value, path: &mut [Key], op: Option<BinOp>, v: Value, cx: &mut PathCx) -> Result<()> {
    if crate::stack::near_overflow() {
        return Err(MemoError::new("RecursionError", "assignment path too deep"));
    }
    let max = cx.max;
    if let (Value::Obj(o), Some((Key::Field(f), rest))) = (&*target, path.split_first_mut()) {
        let o = o.clone();
        return update_object(&o, f, rest, op, v, cx);
    }
    // The value goes into a container at the last step of the path.
    if path.len() == 1 {
        crate::value::check_child(&v)?;
    }
    let Some((first, rest)) = path.split_first_mut() else {
        let new = match op {
            None => v,
            Some(op) => {
                // `m[k] += 1`: two ints update in place, without moving the
                // value out and back.
                if let (Value::Int(a), Value::Int(b)) = (&*target, &v) {
                    if let Some(r) = ops::int_op(op, *a, *b) {
                        *target = r;
                        return Ok(());
                    }
                }
                let cur = std::mem::replace(target, Value::None);
                match ops::binary_owned(op, cur, v, max) {
                    Ok(n) => n,
                    Err((old, e)) => {
                        *target = old;
                        return Err(e);
                    }
                }
            }
        };
        *target = new;
        return Ok(());
    };
    match (target, &mut *first) {
        (Value::List(l), Key::Index(Value::Range(r))) if rest.is_empty() => {
            // `xs[a..b] = ys`: the elements a up to b replaced by ys's.
            assign_slice(l, r, v, op.is_some(), max)
        }
        (Value::List(l), Key::Index(i)) => {
            let idx = norm_index(int_index(i, "list")?, l.items.len(), "list")?;
            if let (Value::Obj(o), false) = (&l.items[idx], rest.is_empty()) {
                // `xs[i].f = v`: the object changes, the list does not.
                let o = o.clone();
                return update_through(&o, rest, op, v, cx);
            }
            let lm = crate::value::make_mut(l);
            lm.hash = Default::default();
            let slot = lm.items.get_mut(idx).expect("index checked above");
            update_path(slot, rest, op, v, cx)?;
            let child = lm.items[idx].clone();
            lm.note_child(&child);
            Ok(())
        }
        (Value::Map(m), _) => {
            let key = match first {
                // Taken, not cloned: the path is this assignment's own.
                Key::Index(k) => std::mem::take(k),
                Key::Field(f) => Value::str(f.as_str()),
            };
            ops::check_key(&key)?;
            if !rest.is_empty() && !m.is_unique() {
                if let Some(Value::Obj(o)) = m.map.get(&key) {
                    // `m[k].f = v`: the object changes, the map does not
                    // (and a shared map is not copied). An unshared map
                    // is searched once, below.
                    let o = o.clone();
                    return update_through(&o, rest, op, v, cx);
                }
            }
            let (key, v) = if rest.is_empty() && op.is_none() {
                match set_map_item(m, key, v, max) {
                    Ok(()) => return Ok(()),
                    Err(back) => back,
                }
            } else {
                (key, v)
            };
            let mm = crate::value::make_mut(m);
            mm.hash = Default::default();
            // One lookup for an update, two for an insert (`get_mut` then
            // `insert`), never a third for the bookkeeping.
            let (may_mutate, depth) = match mm.map.get_mut(&key) {
                Some(slot) => {
                    if let (Value::Obj(o), false) = (&*slot, rest.is_empty()) {
                        // `m[k].f = v` on an unshared map (see above).
                        let o = o.clone();
                        return update_through(&o, rest, op, v, cx);
                    }
                    update_path(slot, rest, op, v, cx)?;
                    (slot.may_mutate(), slot.nesting())
                }
                None => {
                    if !rest.is_empty() || op.is_some() {
                        return Err(key_error(&mm.map, &key));
                    }
                    if mm.map.len() >= max {
                        return Err(ops::too_large("map", mm.map.len() + 1, max));
                    }
                    let facts = (v.may_mutate() || key.may_mutate(), v.nesting().max(key.nesting()));
                    mm.map.insert(key, v);
                    facts
                }
            };
            mm.may_mutate |= may_mutate;
            mm.depth = mm.depth.max(depth + 1);
            Ok(())
        }
        (Value::Struct(s), Key::Field(f)) => {
            let Some(i) = s.ty.field_index(f) else {
                return Err(no_field(&s.ty, f));
            };
            if let (Value::Obj(o), false) = (&s.fields[i], rest.is_empty()) {
                // `p.obj.f = v`: the object changes, the struct does not.
                let o = o.clone();
                return update_through(&o, rest, op, v, cx);
            }
            let sm = crate::value::make_mut(s);
            sm.hash = Default::default();
            update_path(&mut sm.fields[i], rest, op, v, cx)?;
            sm.may_mutate |= sm.fields[i].may_mutate();
            sm.depth = sm.depth.max(sm.fields[i].nesting() + 1);
            Ok(())
        }
        (Value::Str(_), _) => Err(MemoError::new("TypeError", "strings are immutable: build a new one (e.g. with slices and +)")),
        (t, Key::Field(f)) => {
            Err(MemoError::new("AttributeError", format!("cannot set field `{f}` on a value of type `{}`", t.type_name())))
        }
        (t, Key::Index(_)) => {
            Err(MemoError::new("TypeError", format!("a value of type `{}` does not support item assignment", t.type_name())))
        }
    }
}

/// `struct `Point` has no field `z``, with the field it may have meant, or
/// the fields it has.
#[cold]
pub(crate) fn no_field(ty: &crate::value::StructType, name: &str) -> MemoError {
    let fields: Vec<&str> = ty.fields.iter().map(String::as_str).collect();
    let help = match crate::suggest::closest(name, fields.iter().copied()) {
        Some(f) => format!("did you mean `{f}`?"),
        None if fields.is_empty() => format!("`{}` has no fields", ty.name),
        None => format!("the fields of `{}` are {}", ty.name, crate::suggest::list(&fields)),
    };
    MemoError::new("AttributeError", format!("struct `{}` has no field `{name}`", ty.name)).with_help(help)
}

/// A missing key, with the most similar string key of the map when the
/// key is a string (a typo: `m["alpah"]`).
#[cold]
fn key_error(map: &crate::value::ValueMap, key: &Value) -> MemoError {
    let e = MemoError::new("KeyError", format!("key {} not found in map", crate::value::repr_prefix(key, 200)));
    match key {
        Value::Str(s) => e.with_suggestion(similar_key(map, &s.s)),
        _ => e,
    }
}

/// The string key of `map` closest to `key`. Only small maps are
/// searched: a script that catches `KeyError`s of a big map in a loop must
/// not pay for a scan of it on each.
#[cold]
fn similar_key(map: &crate::value::ValueMap, key: &str) -> Option<String> {
    const MAX_SCANNED: usize = 256;
    if map.len() > MAX_SCANNED {
        return None;
    }
    let keys: Vec<&str> = map
        .keys()
        .filter_map(|k| match k {
            Value::Str(s) => Some(s.s.as_str()),
            _ => None,
        })
        .collect();
    crate::suggest::did_you_mean_key(key, keys)
}
