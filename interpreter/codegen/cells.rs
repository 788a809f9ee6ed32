//! A cell in a field of a local struct, read and written in place:
//! `get(x.f)` and `set(x.f, v)`, usually written `x.f.get()` and
//! `x.f.set(v)` (a parser's `self.pos`, a particle's `p.x`). The general
//! call copies the cell out of the struct (an atomic increment), calls the
//! native through the argument buffer, and releases the copy (an atomic
//! decrement): two thirds of the cost of a `get`.
//!
//! Guards, checked at run time: `get`/`set` are still the standard
//! library's (a script may define its own), the local holds a struct (not a
//! `mut struct`, a map or anything else) whose field holds a cell. Anything
//! else takes the general call, compiled from the same argument code.

use super::fields::FieldIc;
use super::{lower_call_with, spec, writes_local, Code, Operand};
use crate::compiler::ir::Node;
use crate::error::MemoError;
use crate::interp::{Ctrl, Interp};
use crate::source::Span;
use crate::value::{CellObj, Value};

/// The cell in field `ic` of the struct in local slot `s`, if that is what
/// is there.
#[inline(always)]
fn cell_at<'a>(i: &'a Interp, s: usize, ic: &FieldIc) -> Option<&'a CellObj> {
    match &i.stack[i.bp + s] {
        Value::Struct(st) => match st.fields.get(ic.index(&st.ty)?) {
            Some(Value::Cell(c)) => Some(c),
            _ => None,
        },
        _ => None,
    }
}

/// `get(x.f)` / `set(x.f, v)` with `x` a local, `get`/`set` globals: the
/// specialized call, or `None` for any other call.
pub(super) fn lower_cell_call(callee: &Node, args: &[Node], span: Span) -> Option<Code> {
    if !spec::on() {
        return None;
    }
    let Node::Global(g, _) = callee else { return None };
    let (Node::Field(x, name, _), rest) = args.split_first()? else { return None };
    let Node::Local(s) = **x else { return None };
    let g = *g;
    let ic = FieldIc::new(name);
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
