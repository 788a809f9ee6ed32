//! Builtins called on a place, read where it is: a cell in a local or in a
//! field of a local struct read and written (`get(x.f)` and `set(x.f, v)`,
//! usually written `x.f.get()` and `x.f.set(v)`: a parser's `self.pos`; a
//! counter `c.set(c.get() + 1)`, a closure's captured cell), and the
//! length of any place `peek::Place` reads (a local, a global, a constant,
//! and fields of structs and owned objects and list items below it:
//! `len(xs)`, `len(self.text)`, `len(self.cells[i])`), and `contains(p, x)`
//! on a list of numbers (`contains(self.cells[i], v)`). The general call copies the argument out (an atomic
//! increment for a string, list, map or cell), calls the native through
//! its argument buffer, and releases the copy (an atomic decrement): two
//! thirds of the cost of a `get`.
//!
//! Guards, checked at run time: the callee is still the standard library's
//! function (a script may define its own `get`), the place holds what the
//! fast path handles (a struct, not a `mut struct` or a map, whose field
//! holds a cell; for `len` an ASCII string, a list or a map, also in a
//! field of a `mut struct` instance the interpreter owns). Anything else
//! takes the general call, compiled from the same argument code.

use super::fields::FieldIc;
use super::{lower_call_with, spec, writes_local, Code, Operand};
use crate::compiler::ir::Node;
use crate::error::MemoError;
use crate::interp::{Ctrl, Interp};
use crate::source::Span;
use crate::value::{CellObj, Value};

/// The cell in local slot `s`, or in its struct's field `ic`, if that is
/// what is there.
#[inline(always)]
fn cell_at<'a>(i: &'a Interp, s: usize, ic: &Option<FieldIc>) -> Option<&'a CellObj> {
    match place(i, s, ic)? {
        Value::Cell(c) => Some(c),
        _ => None,
    }
}

/// The value in local slot `s`, or in its struct's field `ic` (`None` for
/// any other shape).
#[inline(always)]
fn place<'a>(i: &'a Interp, s: usize, ic: &Option<FieldIc>) -> Option<&'a Value> {
    let v = &i.stack[i.bp + s];
    match (ic, v) {
        (None, v) => Some(v),
        (Some(ic), Value::Struct(st)) => st.fields.get(ic.index(&st.ty)?),
        _ => None,
    }
}

/// `len(p)` of a place `p`, when it is quick: an ASCII string, a list, a
/// map (a non-ASCII string's length is counted, and charged, by `len`).
#[inline(always)]
fn quick_len(v: &Value) -> Option<i64> {
    let n = match v {
        Value::Str(x) if x.ascii => x.s.len(),
        Value::List(l) => l.items.len(),
        Value::Map(m) => m.map.len(),
        _ => return None,
    };
    i64::try_from(n).ok()
}

/// The place an argument names: a local's slot, and for `x.f` the cache
/// of field `f`; `None` for any other expression.
fn place_of(arg: &Node) -> Option<(u32, Option<FieldIc>)> {
    match arg {
        Node::Local(s) => Some((*s, None)),
        Node::Field(x, name, _) => match **x {
            Node::Local(s) => Some((s, Some(FieldIc::new(name)))),
            _ => None,
        },
        _ => None,
    }
}

/// `len(p)`, `p` a place (`peek::Place`: a local, a global, and fields
/// and list items below it, `len(self.cells[i])`), `len` a global: the
/// length read where the value is.
fn lower_len(callee: &Node, g: u32, arg: &Node, span: Span) -> Option<Code> {
    let place = super::peek::Place::of(arg)?;
    let general = lower_call_with(callee, vec![Operand::of(arg)], std::slice::from_ref(arg), span, None);
    Some(super::code(move |i| {
        if i.is_builtin(g, crate::interp::Builtin::Len) {
            if let Some(Some(n)) = place.with(i, quick_len) {
                return Ok(Value::Int(n));
            }
        }
        general.run(i)
    }))
}

/// `contains(p, x)`, `p` and `x` places, `contains` a global: a list of
/// numbers, bools and `none` searched where it is for a number, bool or
/// `none`, a string for a string. The native counts a step per element it
/// looks at (a string's bytes); so does this, once the search is done
/// (nothing runs in between: the same count, the same errors). Anything
/// else takes the general call.
fn lower_contains(callee: &Node, g: u32, args: &[Node], span: Span) -> Option<Code> {
    let (p, q) = (super::peek::Place::of(&args[0])?, super::peek::Place::of(&args[1])?);
    let general = lower_call_with(callee, args.iter().map(Operand::of).collect(), args, span, None);
    Some(super::code(move |i| {
        if i.is_builtin(g, crate::interp::Builtin::Contains) {
            match p.with(i, |xs| q.with(i, |x| search(xs, x)).flatten()).flatten() {
                Some(Found::List(found, looked)) => {
                    for _ in 0..looked {
                        i.step().map_err(|e| e.or_at(span))?;
                    }
                    return Ok(Value::bool(found));
                }
                Some(Found::Str(found, bytes)) => {
                    i.charge_bytes(bytes).map_err(|e| e.or_at(span))?;
                    return Ok(Value::bool(found));
                }
                None => {}
            }
        }
        general.run(i)
    }))
}

/// What a search in place found, and what the native would have counted.
enum Found {
    /// In a list: found, elements looked at (a step each).
    List(bool, usize),
    /// In a string: found, the string's bytes (charged).
    Str(bool, usize),
}

/// Is `x` in `xs`: a scalar in a list whose elements looked at are
/// scalars (compared as `==` compares them, without a walk), or a string
/// in a string; `None` for anything else.
#[inline(always)]
fn search(xs: &Value, x: &Value) -> Option<Found> {
    match (xs, x) {
        (Value::Str(s), Value::Str(t)) => {
            Some(Found::Str(memchr::memmem::find(s.s.as_bytes(), t.s.as_bytes()).is_some(), s.s.len()))
        }
        (Value::List(l), x) if x.is_scalar() => {
            for (k, e) in l.iter().enumerate() {
                if !e.is_scalar() {
                    return None;
                }
                if crate::value::values_equal(e, x) {
                    return Some(Found::List(true, k + 1));
                }
            }
            Some(Found::List(false, l.items.len()))
        }
        _ => None,
    }
}

/// `get(p)` / `set(p, v)` with `p` a local `x` or a field `x.f` of one,
/// `len(p)` / `contains(p, x)` with places, and the callee a global: the
/// specialized call, or `None` for any other call.
pub(super) fn lower_place_call(callee: &Node, args: &[Node], span: Span) -> Option<Code> {
    if !spec::on() {
        return None;
    }
    let Node::Global(g, _) = callee else { return None };
    if let [arg] = args {
        if crate::names::name_of(*g) == "len" {
            return lower_len(callee, *g, arg, span);
        }
    }
    if args.len() == 2 && crate::names::name_of(*g) == "contains" {
        return lower_contains(callee, *g, args, span);
    }
    let (s, ic) = place_of(args.first()?)?;
    let rest = &args[1..];
    let g = *g;
    let slot = s as usize;
    match (crate::names::name_of(g).as_str(), rest) {
        ("get", []) => {
            let general = lower_call_with(callee, vec![Operand::of(&args[0])], args, span, None);
            Some(super::code(move |i| {
                if i.is_builtin(g, crate::interp::Builtin::Get) {
                    if let Some(c) = cell_at(i, slot, &ic) {
                        return c.get(i.reader()).ok_or_else(|| foreign(span));
                    }
                }
                general.run(i)
            }))
        }
        // The value must not assign the local: the shape is checked before
        // it is computed.
        ("set", [v]) if !writes_local(v, s) => {
            let (fast_v, general_v) = Operand::twice(v);
            let general = lower_call_with(callee, vec![Operand::of(&args[0]), general_v], args, span, None);
            Some(super::code(move |i| {
                if i.is_builtin(g, crate::interp::Builtin::Set) && cell_at(i, slot, &ic).is_some() {
                    let v = fast_v.run(i)?;
                    // (The cell is still there: the local was not assigned,
                    // and a struct does not change.)
                    let written = cell_at(i, slot, &ic).map(|c| c.set(i.reader(), v).map(drop).is_ok());
                    return match written {
                        Some(true) => {
                            // A cached call's epoch (cache/call.rs) counts
                            // writes to cells.
                            i.cell_writes += 1;
                            Ok(Value::None)
                        }
                        Some(false) => Err(foreign(span)),
                        None => {
                            Err(MemoError::new("InternalError", "a cell's struct changed while set() ran").or_at(span).into())
                        }
                    };
                }
                general.run(i)
            }))
        }
        _ => None,
    }
}

/// The error of `get`/`set` on a cell another interpreter owns.
#[cold]
#[inline(never)]
fn foreign(span: Span) -> Ctrl {
    crate::value::object::foreign_cell().or_at(span).into()
}
