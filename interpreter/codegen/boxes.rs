//! Variables that closures assign: such a local lives in a box (a cell)
//! that the function and its closures share, like Python's `nonlocal` and
//! Lua's upvalues (the compiler decides which locals, see
//! `Compiler::resolve_target`). Reading the variable reads the box; an
//! assignment writes into it, so the slot itself, which may hold a lent
//! copy of a captured box (`value::lend`), is never reassigned.

use super::{code, store, Code};
use crate::ast::BinOp;
use crate::compiler::ir::Node;
use crate::error::MemoError;
use crate::interp::index::{self, Key, PathCx};
use crate::interp::{ops, Ctrl, Interp, R};
use crate::source::Span;
use crate::value::{CellObj, Value};
use std::sync::Arc;

/// The box in slot `s` of the current frame.
#[inline(always)]
fn the_box(i: &Interp, s: usize) -> Result<&Arc<CellObj>, Ctrl> {
    match &i.stack[i.bp + s] {
        Value::Cell(c) => Ok(c),
        _ => Err(Ctrl::error(MemoError::new("InternalError", "a boxed variable holds no box"))),
    }
}

#[cold]
fn foreign() -> Ctrl {
    Ctrl::error(MemoError::new("ValueError", "this variable belongs to another interpreter"))
}

/// Compiles a box node (`Node::BoxNew` ... `Node::BoxCompound`).
pub(super) fn lower_box(n: &Node) -> Code {
    match n {
        Node::BoxNew(s, v) => {
            let (s, v) = (*s as usize, super::lower(v));
            code(move |i| {
                let v = v.run(i)?;
                let b = i.new_cell(v);
                let at = i.bp + s;
                store(&mut i.stack[at], b);
                Ok(Value::None)
            })
        }
        Node::BoxWrap(s) => {
            let s = *s as usize;
            code(move |i| {
                let v = std::mem::take(&mut i.stack[i.bp + s]);
                let b = i.new_cell(v);
                let at = i.bp + s;
                i.stack[at] = b;
                Ok(Value::None)
            })
        }
        Node::BoxGet(s) => {
            let s = *s as usize;
            code(move |i| the_box(i, s)?.get(i.reader()).ok_or_else(foreign))
        }
        Node::BoxSet(s, v) => {
            let (s, v) = (*s as usize, super::lower(v));
            code(move |i| {
                let v = v.run(i)?;
                let old = the_box(i, s)?.set(i.reader(), v).map_err(|_| foreign())?;
                i.cell_writes += 1;
                drop(old);
                Ok(Value::None)
            })
        }
        Node::BoxCompound(op, s, v, span) => {
            let (op, s, v, span) = (*op, *s as usize, super::lower(v), *span);
            code(move |i| {
                let r = v.run(i)?;
                compound(i, op, s, r, span)
            })
        }
        _ => unreachable!("boxes::lower_box of a box node"),
    }
}

/// `x op= r` on the variable boxed in slot `s`: the value is taken out of
/// the box and combined in place when unshared (`s += t` appends).
fn compound(i: &mut Interp, op: BinOp, s: usize, r: Value, span: Span) -> R {
    let (me, max) = (i.reader(), i.config.max_collection_len);
    let b = the_box(i, s)?.clone();
    if !b.owned_by(me) {
        // What a shared box holds is shared.
        i.share(&r);
    }
    i.cell_writes += 1;
    let res = b.with(me, |slot| {
        let cur = std::mem::take(slot);
        match ops::binary_owned(op, cur, r, max) {
            Ok(v) => {
                *slot = v;
                Ok(())
            }
            Err((old, e)) => {
                *slot = old;
                Err(e)
            }
        }
    });
    match res {
        Some(Ok(())) => Ok(Value::None),
        Some(Err(e)) => Err(e.or_at(span).into()),
        None => Err(foreign()),
    }
}

/// `x[k] (op)= v` (and longer paths) on the variable boxed in slot `s`.
pub(super) fn update_path(
    i: &mut Interp,
    s: usize,
    keys: &mut [Key],
    op: Option<BinOp>,
    v: Value,
    cx: &mut PathCx,
) -> Result<(), MemoError> {
    let b = the_box(i, s).map_err(|_| MemoError::new("InternalError", "a boxed variable holds no box"))?.clone();
    i.cell_writes += 1;
    let me = cx.me;
    if b.owned_by(me) {
        // Taken out, so that an unshared list or map is updated in place.
        let mut cur = b.with(me, std::mem::take).unwrap_or_default();
        let r = index::update_path(&mut cur, keys, op, v, cx);
        let _ = b.set(me, cur);
        return r;
    }
    let mut cur = b.get(me).ok_or_else(|| MemoError::new("ValueError", "this variable belongs to another interpreter"))?;
    let r = index::update_path(&mut cur, keys, op, v, cx);
    let _ = b.set(me, cur);
    r
}
