//! Fields resolved ahead of time: every `x.name` site (a read, an
//! assignment, an `op=`) keeps an inline cache of the struct type it last
//! saw and the field's index in it, keyed by the type's `uid` (unique for
//! the process, so a freed type's address cannot be mistaken for it). A
//! hit costs one load and a compare; a miss looks the name up and
//! remembers it. Objects owned by the running interpreter are read and
//! written in place, without a reference count for a number.

use super::{boxes, code, lower, spec, Code};
use crate::ast::BinOp;
use crate::compiler::ir::{Node, PathStep, Place};
use crate::error::MemoError;
use crate::interp::index::{self, Key};
use crate::interp::{Interp, R};
use crate::source::Span;
use crate::value::{MutObj, Reader, StructType, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The inline cache of one field site.
pub(crate) struct FieldIc {
    name: Box<str>,
    /// `uid | index << 48` of the type last seen (0: none yet).
    seen: AtomicU64,
}

impl FieldIc {
    pub(crate) fn new(name: &str) -> FieldIc {
        FieldIc { name: name.into(), seen: AtomicU64::new(0) }
    }

    /// The field's index in `ty`, if it has one.
    #[inline(always)]
    pub(crate) fn index(&self, ty: &StructType) -> Option<usize> {
        let seen = self.seen.load(Ordering::Relaxed);
        if seen & UID_MASK == ty.uid {
            return Some((seen >> 48) as usize);
        }
        self.miss(ty)
    }

    #[cold]
    #[inline(never)]
    fn miss(&self, ty: &StructType) -> Option<usize> {
        let at = ty.field_index(&self.name)?;
        if ty.uid <= UID_MASK && at < 1 << 16 {
            // One word: a reader sees an old or a new pair, never a mix.
            self.seen.store(ty.uid | (at as u64) << 48, Ordering::Relaxed);
        }
        Some(at)
    }
}

const UID_MASK: u64 = (1 << 48) - 1;

/// Reads field `ic` of `v`: in place for a struct or an object `me` may
/// read; `None` sends the caller to `index::field` (errors, maps, objects
/// of another interpreter).
#[inline(always)]
fn read(v: &Value, ic: &FieldIc, me: Reader) -> Option<Value> {
    match v {
        Value::Obj(o) => o.get(me, ic.index(&o.ty)?),
        Value::Struct(s) => Some(s.fields.get(ic.index(&s.ty)?)?.clone_fast()),
        _ => None,
    }
}

/// The value at the end of a field chain `v.f1.f2...` (one cache per
/// field), each step read in place; only the last value is copied.
/// `None` for any step that is not a struct's or an owned object's field.
fn read_chain(v: &Value, ics: &[FieldIc], me: Reader) -> Option<Value> {
    let (ic, rest) = ics.split_first()?;
    if rest.is_empty() {
        return read(v, ic, me);
    }
    match v {
        Value::Struct(st) => read_chain(st.fields.get(ic.index(&st.ty)?)?, rest, me),
        Value::Obj(o) => o.read_owned_field(me, ic.index(&o.ty)?, |f| read_chain(f, rest, me))?,
        _ => None,
    }
}

/// `x.f1.f2...fn`, x a local, n >= 2: the chain read in place (`c.output.mark`:
/// no copy of `c.output` made and released), or `None` for another shape.
fn lower_chain(t: &Node, name: &str, span: Span) -> Option<Code> {
    let mut names = vec![name];
    let mut at = t;
    while let Node::Field(inner, f, _) = at {
        names.push(f);
        at = inner;
    }
    let Node::Local(s) = at else { return None };
    if names.len() < 2 {
        return None;
    }
    names.reverse();
    let ics: Box<[FieldIc]> = names.iter().map(|n| FieldIc::new(n)).collect();
    let s = *s as usize;
    // The general way, for a step of another shape (and its error): the
    // chain's parts are a local and field names, nothing compiled twice.
    let general = lower_field_general(t, name, span);
    Some(code(move |i| match read_chain(&i.stack[i.bp + s], &ics, i.reader()) {
        Some(v) => Ok(v),
        None => general.run(i),
    }))
}

/// `t.name`.
pub(super) fn lower_field(t: &Node, name: &str, span: Span) -> Code {
    if spec::on() {
        if let Some(c) = lower_chain(t, name, span) {
            return c;
        }
    }
    lower_field_general(t, name, span)
}

/// `t.name` without the chain read.
fn lower_field_general(t: &Node, name: &str, span: Span) -> Code {
    let name: Box<str> = name.into();
    if !spec::on() {
        let t = lower(t);
        return code(move |i| index::field(&t.run(i)?, &name, i.reader()).map_err(|e| e.or_at(span).into()));
    }
    let ic = FieldIc::new(&name);
    if let Node::Local(s) = t {
        // A field of a local, read in place (no clone of the struct).
        let s = *s as usize;
        return code(move |i| {
            let v = &i.stack[i.bp + s];
            match read(v, &ic, i.reader()) {
                Some(x) => Ok(x),
                None => index::field(v, &name, i.reader()).map_err(|e| e.or_at(span).into()),
            }
        });
    }
    if let Node::Global(g, gspan) = t {
        // A field of a global, read in place.
        let (g, gspan) = (*g as usize, *gspan);
        return code(move |i| match i.globals.get(g) {
            Some(Some(v)) => match read(v, &ic, i.reader()) {
                Some(x) => Ok(x),
                None => index::field(v, &name, i.reader()).map_err(|e| e.or_at(span).into()),
            },
            _ => i.read_global(g as u32, gspan),
        });
    }
    let t = lower(t);
    code(move |i| {
        let v = t.run(i)?;
        match read(&v, &ic, i.reader()) {
            Some(x) => Ok(x),
            None => index::field(&v, &name, i.reader()).map_err(|e| e.or_at(span).into()),
        }
    })
}

/// `x.name[k]` with `x` a local that `k` does not assign: the field of a
/// struct is indexed in place, without cloning it (`self.text[pos]` in a
/// parser: a clone and a release of the text per character, two atomic
/// operations, were a fifth of the run). `None` when specializations are
/// off or `k` assigns `x`.
pub(super) fn lower_index_field(slot: u32, name: &str, field_span: Span, ix: &Node, span: Span) -> Option<Code> {
    if !spec::on() || super::writes_local(ix, slot) {
        return None;
    }
    let ic = FieldIc::new(name);
    let s = slot as usize;
    // `x.name` the ordinary way, for any other shape (a `mut struct`, a
    // missing field, not a struct); `k` is compiled once, for both ways.
    let base = lower_field(&Node::Local(slot), name, field_span);
    // A key that runs no code that could write an object (no call, no
    // assignment) also lets a `mut struct`'s field be indexed in place.
    let objects = pure(ix);
    let ix = lower(ix);
    Some(code(move |i| {
        // Decided before the key is computed, which can change neither
        // the local (checked above) nor a struct (immutable): evaluation
        // order and errors stay those of `x.name`, then `k`.
        let at = match &i.stack[i.bp + s] {
            Value::Struct(st) => ic.index(&st.ty).filter(|&f| f < st.fields.len()),
            Value::Obj(o) if objects && o.owned_by(i.reader()) => match ic.index(&o.ty) {
                Some(f) => return index_object_field(i, s, f, &ix, span),
                None => None,
            },
            _ => None,
        };
        let Some(f) = at else {
            let t = base.run(i)?;
            let k = ix.run(i)?;
            return super::index_charged(i, &t, &k, span);
        };
        let k = ix.run(i)?;
        if let Some(Value::Map(m)) = struct_field(i, s, f) {
            let n = m.map.len();
            i.charge_key(&k, n).map_err(|e| e.or_at(span))?;
        }
        match struct_field(i, s, f) {
            Some(t) => index::index(t, &k).map_err(|e| e.or_at(span).into()),
            None => Err(MemoError::new("InternalError", "a local changed while its index was computed").or_at(span).into()),
        }
    }))
}

/// `x.name[k]` where local `s` holds an object this interpreter owns whose
/// field `f` is `name`, and `k` is pure: `k` runs first (nothing it does
/// can change the object or the local, and `x.name` cannot fail), then the
/// field is indexed where it is.
#[inline(always)]
fn index_object_field(i: &mut Interp, s: usize, f: usize, ix: &Code, span: Span) -> R {
    let k = ix.run(i)?;
    let me = i.reader();
    let Value::Obj(o) = &i.stack[i.bp + s] else {
        return Err(MemoError::new("InternalError", "a local changed while its index was computed").or_at(span).into());
    };
    let n = o.read_owned_field(me, f, |t| match t {
        Value::Map(m) => Some(m.map.len()),
        _ => None,
    });
    if let Some(Some(n)) = n {
        i.charge_key(&k, n).map_err(|e| e.or_at(span))?;
    }
    let Value::Obj(o) = &i.stack[i.bp + s] else { unreachable!("checked above") };
    match o.read_owned_field(me, f, |t| index::index(t, &k)) {
        Some(r) => r.map_err(|e| e.or_at(span).into()),
        None => Err(MemoError::new("InternalError", "an object changed hands while its field was indexed").or_at(span).into()),
    }
}

/// Does `n` run without calling anything or assigning anything (so that
/// it cannot change an object)? Reads, operators, literals, ranges.
fn pure(n: &Node) -> bool {
    let mut ok = true;
    super::visit(n, &mut |m| {
        ok &= matches!(
            m,
            Node::Const(_)
                | Node::Local(_)
                | Node::Global(..)
                | Node::Unary(..)
                | Node::Binary(..)
                | Node::And(..)
                | Node::Or(..)
                | Node::Index(..)
                | Node::Field(..)
                | Node::Range(..)
        );
    });
    ok
}

/// Field `f` of the struct in local slot `s`.
#[inline(always)]
fn struct_field(i: &Interp, s: usize, f: usize) -> Option<&Value> {
    match &i.stack[i.bp + s] {
        Value::Struct(st) => st.fields.get(f),
        _ => None,
    }
}

/// The assignment `root.path (op)= v` once `v` is computed.
type SetWith = Box<dyn Fn(&mut Interp, Value) -> R + Send + Sync>;

/// Is `n` the variable `root` (a local or a global)?
fn is_root(n: &Node, root: Place) -> bool {
    match (n, root) {
        (Node::Local(a), Place::Local(b)) => *a == b,
        (Node::Global(a, _), Place::Global(b)) => *a == b,
        _ => false,
    }
}

/// The variable `root` as it is now, if it holds a value.
#[inline(always)]
fn root_value(i: &Interp, root: Place) -> Option<&Value> {
    match root {
        Place::Local(s) => Some(&i.stack[i.bp + s as usize]),
        Place::Global(g) => i.globals.get(g as usize).and_then(Option::as_ref),
        Place::Boxed(_) => None,
    }
}

/// `o.f = push(o.f, v)` (`push` the builtin) on an object `o` in a local
/// or global: `v` runs with the list still in the field (held, so its
/// address stays its own); if the field holds it still, the list is taken
/// out, appended to in place and put back. Otherwise, or for anything
/// but an object the interpreter owns, the general code.
fn lower_push_field(root: Place, f: &str, push: u32, elem: &Node, span: Span, general: Code) -> Code {
    let (ic, elem) = (FieldIc::new(f), lower(elem));
    code(move |i| {
        let me = i.reader();
        let field = match root_value(i, root) {
            Some(Value::Obj(o)) if o.owned_by(me) && i.is_builtin(push, crate::interp::Builtin::Push) => {
                ic.index(&o.ty).and_then(|at| match o.get(me, at) {
                    Some(Value::List(held)) => Some((o.clone(), at, held)),
                    _ => None,
                })
            }
            _ => None,
        };
        let Some((o, at, mut held)) = field else { return general.run(i) };
        let v = elem.run(i)?;
        let max = i.config.max_collection_len;
        let same = o.with_field(me, at, |x| matches!(x, Value::List(l) if crate::value::UArc::ptr_eq(l, &held)));
        i.cell_writes += 1;
        if same != Some(true) {
            // The field changed while `v` ran: `push(o.f, v)` read the
            // list before.
            crate::interp::ops::push_onto(&mut held, v, max).map_err(|e| e.or_at(span))?;
            let _ = o.set(me, at, Value::List(held));
            return Ok(Value::None);
        }
        drop(held);
        let r = o.with_field(me, at, |x| match x {
            Value::List(l) => crate::interp::ops::push_onto(l, v, max),
            _ => unreachable!("checked above: the field holds the list"),
        });
        match r {
            Some(Ok(())) => Ok(Value::None),
            Some(Err(e)) => Err(e.or_at(span).into()),
            None => unreachable!("an owned object is writable"),
        }
    })
}

/// `root[a].b[c] (op)= value`.
pub(super) fn lower_set_path(root: Place, path: &[PathStep], op: Option<BinOp>, value: &Node, span: Span) -> Code {
    if let (true, None, [PathStep::Field(f)], Node::Call(callee, args, cspan)) = (spec::on(), op, path, value) {
        if let (Node::Global(p, _), [Node::Field(t, g, _), elem]) = (&**callee, &args[..]) {
            if crate::names::name_of(*p) == "push" && g == f && is_root(t, root) {
                let general = lower_set_path_general(root, path, op, value, span);
                return lower_push_field(root, f, *p, elem, *cspan, general);
            }
        }
    }
    if let (true, None, Place::Local(s), [PathStep::Index(k)]) = (spec::on(), op, root, path) {
        return lower_set_item_local(s, k, value, span);
    }
    lower_set_path_general(root, path, op, value, span)
}

/// `m[k] = v`, `xs[n] = v` on a local: an int or string key of a map, or
/// an int index in range of a list, written in the local's slot without
/// the general path's key array and context (`index::set_map_item`,
/// `set_list_item`); anything else goes to `index::update_path` as the
/// general code does. `v` runs before `k`, as in the general code.
fn lower_set_item_local(s: u32, key: &Node, value: &Node, span: Span) -> Code {
    if let Node::Range(a, b, inclusive, rspan) = key {
        return lower_set_slice_local(s, a, b, *inclusive, *rspan, value, span);
    }
    let (key, value) = (lower(key), lower(value));
    code(move |i| {
        let v = value.run(i)?;
        let k = super::path_key(i, &key, span)?;
        let slot = i.bp + s as usize;
        let max = i.config.max_collection_len;
        let (k, v) = match (&mut i.stack[slot], k) {
            (Value::Map(m), k) => match index::set_map_item(m, k, v, max) {
                Ok(()) => return Ok(Value::None),
                Err(back) => back,
            },
            (Value::List(l), Value::Int(n)) => match index::set_list_item(l, n, v) {
                Ok(()) => return Ok(Value::None),
                Err(v) => (Value::Int(n), v),
            },
            (_, k) => (k, v),
        };
        set_item_general(i, slot, k, v, span)
    })
}

/// `xs[a..b] = v` on a local: the bounds evaluated, the local's list
/// spliced in its slot (`index::assign_slice`), without making a range
/// value; anything but a list takes the general path with the range.
fn lower_set_slice_local(s: u32, a: &Node, b: &Node, inclusive: bool, rspan: Span, value: &Node, span: Span) -> Code {
    let (a, b, value) = (lower(a), lower(b), lower(value));
    code(move |i| {
        let v = value.run(i)?;
        let r = super::range_of(i, &a, &b, inclusive, rspan)?;
        let slot = i.bp + s as usize;
        let max = i.config.max_collection_len;
        if let Value::List(l) = &mut i.stack[slot] {
            index::assign_slice(l, &r, v, false, max).map_err(|e| e.or_at(span))?;
            return Ok(Value::None);
        }
        set_item_general(i, slot, Value::Range(std::sync::Arc::new(r)), v, span)
    })
}

/// `slot[k] = v` by the general path.
#[inline(never)]
fn set_item_general(i: &mut Interp, slot: usize, k: Value, v: Value, span: Span) -> R {
    let mut cx = index::PathCx { max: i.config.max_collection_len, me: i.reader(), wrote_object: false };
    let r = index::update_path(&mut i.stack[slot], &mut [Key::Index(k)], None, v, &mut cx);
    if cx.wrote_object {
        i.cell_writes += 1;
    }
    r.map_err(|e| e.or_at(span))?;
    Ok(Value::None)
}

fn lower_set_path_general(root: Place, path: &[PathStep], op: Option<BinOp>, value: &Node, span: Span) -> Code {
    let value = lower(value);
    let general = general_set_path(root, path, op, span);
    if let (true, Place::Local(_) | Place::Global(_), Some(ics)) = (spec::on(), root, field_chain(path)) {
        // `o.a.b = v`, `o.a.b op= v`: through owned objects, in place.
        return code(move |i| {
            let v = value.run(i)?;
            let me = i.reader();
            let target = root_value(i, root);
            let v = match target {
                Some(t) => match set_chain(t, &ics, op, v, me) {
                    Ok(()) => {
                        i.cell_writes += 1;
                        return Ok(Value::None);
                    }
                    Err(v) => v,
                },
                None => v,
            };
            general(i, v)
        });
    }
    if let (true, Place::Local(_) | Place::Global(_), [PathStep::Field(f)]) = (spec::on(), root, path) {
        // `o.f = v`, `o.f op= v` on an object in a local or a global: in
        // place (the variable still holds the same object: no write of it).
        let ic = FieldIc::new(f);
        return code(move |i| {
            let v = value.run(i)?;
            let me = i.reader();
            let target = root_value(i, root);
            let v = match target {
                Some(Value::Obj(o)) if o.owned_by(me) => match ic.index(&o.ty) {
                    Some(at) => match o.with_owned_field(me, at, |slot| store_op(slot, op, v)) {
                        Some(Ok(())) => {
                            i.cell_writes += 1;
                            return Ok(Value::None);
                        }
                        Some(Err(v)) => v,
                        None => unreachable!("an owned object's field is writable"),
                    },
                    None => v,
                },
                _ => v,
            };
            general(i, v)
        });
    }
    code(move |i| {
        let v = value.run(i)?;
        general(i, v)
    })
}

/// `target.f... (op)= value` with `target` an expression: it must give a
/// mutable object (`f().x = v`; `value` runs first, as in Python).
pub(super) fn lower_set_path_on(target: &Node, path: &[PathStep], op: Option<BinOp>, value: &Node, span: Span) -> Code {
    let (value, target) = (lower(value), lower(target));
    let steps = lower_steps(path);
    // `f().x = v`, `f().a.b = v`: a chain of one field is enough here.
    let chain: Option<Box<[FieldIc]>> = match path {
        [PathStep::Field(f)] if spec::on() => Some(Box::new([FieldIc::new(f)])),
        _ if spec::on() => field_chain(path),
        _ => None,
    };
    code(move |i| {
        let mut v = value.run(i)?;
        let mut t = target.run(i)?;
        if !matches!(t, Value::Obj(_)) {
            let what = t.type_name().to_string();
            return Err(crate::interp::Ctrl::error(crate::error::MemoError::at(
                "TypeError",
                format!("cannot assign to a field of a temporary `{what}`: only a mutable object (a `mut struct` instance) changes in place"),
                span,
            )));
        }
        if let Some(ics) = &chain {
            match set_chain(&t, ics, op, v, i.reader()) {
                Ok(()) => {
                    i.cell_writes += 1;
                    return Ok(Value::None);
                }
                Err(back) => v = back,
            }
        }
        let mut keys = run_steps(i, &steps, span)?;
        let mut cx = index::PathCx { max: i.config.max_collection_len, me: i.reader(), wrote_object: false };
        let r = index::update_path(&mut t, &mut keys, op, v, &mut cx);
        if cx.wrote_object {
            i.cell_writes += 1;
        }
        r.map_err(|e| e.or_at(span))?;
        if op.is_some() && i.must_settle() {
            return i.settle(Ok(Value::None), span);
        }
        Ok(Value::None)
    })
}

fn lower_steps(path: &[PathStep]) -> Vec<Result<Code, String>> {
    path.iter()
        .map(|p| match p {
            PathStep::Index(n) => Ok(lower(n)),
            PathStep::Field(f) => Err(f.clone()),
        })
        .collect()
}

fn run_steps(i: &mut Interp, steps: &[Result<Code, String>], span: Span) -> Result<Vec<Key>, crate::interp::Ctrl> {
    let mut keys = Vec::with_capacity(steps.len());
    for s in steps {
        keys.push(match s {
            Ok(c) => Key::Index(super::path_key(i, c, span)?),
            Err(f) => Key::Field(f.clone()),
        });
    }
    Ok(keys)
}

/// Stores `v` into a field (`op`: combined with what it holds, when both
/// are numbers); `Err(v)` hands it back for the general path.
#[inline(always)]
fn store_op(slot: &mut Value, op: Option<BinOp>, v: Value) -> Result<(), Value> {
    match op {
        None => {
            let old = std::mem::replace(slot, v);
            super::discard(old);
            Ok(())
        }
        Some(op) => match super::arith::num_op(op, slot, &v) {
            Some(r) => {
                // Both were numbers: nothing to drop.
                std::mem::forget(std::mem::replace(slot, r));
                std::mem::forget(v);
                Ok(())
            }
            None => Err(v),
        },
    }
}

/// The inline caches of a path of two or more fields (`o.a.b`), or `None`
/// for a path with an index step or a single field.
fn field_chain(path: &[PathStep]) -> Option<Box<[FieldIc]>> {
    if path.len() < 2 {
        return None;
    }
    path.iter()
        .map(|p| match p {
            PathStep::Field(f) => Some(FieldIc::new(f)),
            PathStep::Index(_) => None,
        })
        .collect()
}

/// `t.f1.f2... (op)= v` where `t` and every object on the way is a `mut
/// struct` instance and the last one is owned by `me`: the last field is
/// written in place (`self.out.mark = m`: no path of keys built). `Err(v)`
/// hands the value back for the general path, which reads the same fields
/// again (no code runs between) and reports any error.
fn set_chain(t: &Value, ics: &[FieldIc], op: Option<BinOp>, v: Value, me: Reader) -> Result<(), Value> {
    let Value::Obj(o) = t else { return Err(v) };
    let (last, mid) = ics.split_last().expect("a field chain has fields");
    // Walked by reference, without a count taken on each object: every
    // object on the chain stays held by the field before it (the first by
    // `t`), and only the last object's field is written, so none of them
    // can be freed before the write is done.
    let mut cur: &MutObj = o;
    for ic in mid {
        let Some(at) = ic.index(&cur.ty) else { return Err(v) };
        if !cur.owned_by(me) {
            return Err(v);
        }
        // SAFETY: this interpreter owns `cur`, and no code runs while the
        // field is read.
        match unsafe { cur.peek() }.get(at) {
            // SAFETY: a pointer to the object itself (not into the field),
            // which lives on as said above.
            Some(Value::Obj(next)) => cur = unsafe { &*Arc::as_ptr(next) },
            _ => return Err(v),
        }
    }
    let Some(at) = last.index(&cur.ty) else { return Err(v) };
    if !cur.owned_by(me) {
        return Err(v);
    }
    match cur.with_owned_field(me, at, |slot| store_op(slot, op, v)) {
        Some(r) => r,
        None => unreachable!("an owned object's field is writable"),
    }
}

/// The general assignment through a path (`index::update_path`).
fn general_set_path(root: Place, path: &[PathStep], op: Option<BinOp>, span: Span) -> SetWith {
    let steps = lower_steps(path);
    Box::new(move |i, v| {
        let mut one: [Key; 1];
        let mut many: Vec<Key>;
        let keys: &mut [Key] = if steps.len() == 1 {
            // The common `m[k] = v`: no allocation for the path.
            one = [match &steps[0] {
                Ok(c) => Key::Index(super::path_key(i, c, span)?),
                Err(f) => Key::Field(f.clone()),
            }];
            &mut one[..]
        } else {
            many = Vec::with_capacity(steps.len());
            for s in &steps {
                many.push(match s {
                    Ok(c) => Key::Index(super::path_key(i, c, span)?),
                    Err(f) => Key::Field(f.clone()),
                });
            }
            &mut many[..]
        };
        let mut cx = index::PathCx { max: i.config.max_collection_len, me: i.reader(), wrote_object: false };
        let r = match root {
            Place::Local(s) => {
                let slot = i.bp + s as usize;
                index::update_path(&mut i.stack[slot], keys, op, v, &mut cx)
            }
            Place::Global(g) => {
                let Some(Some(target)) = i.globals.get_mut(g as usize) else {
                    return i.read_global(g, span);
                };
                let r = index::update_path(target, keys, op, v, &mut cx);
                i.global_versions[g as usize] += 1;
                i.global_epoch += 1;
                r
            }
            Place::Boxed(s) => boxes::update_path(i, s as usize, keys, op, v, &mut cx),
        };
        if cx.wrote_object {
            i.cell_writes += 1;
        }
        r.map_err(|e| e.or_at(span))?;
        if op.is_some() && i.must_settle() {
            return i.settle(Ok(Value::None), span);
        }
        Ok(Value::None)
    })
}
