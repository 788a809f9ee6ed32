//! Assignments of globals that update the value in place, as assignments
//! of locals do: `g = push(g, v)` and `g = g + e` (`s = s + "x"` at the
//! top level of a script, a global list of nodes). A global can be read by
//! any function `v` or `e` calls, so the value is not moved out while they
//! run: the global's version (bumped by every write) tells afterwards
//! whether it still holds the value the left side read; then the value is
//! updated in its slot, otherwise the general code runs on that value.

use super::{code, lower, Code};
use crate::ast::BinOp;
use crate::compiler::ir::Node;
use crate::interp::{ops, Interp, R};
use crate::source::Span;
use crate::value::Value;

/// `g = v` for global `g`, with the in-place forms.
pub(super) fn lower_set_global(g: u32, v: &Node, span: Span) -> Code {
    if super::spec::on() {
        match v {
            Node::Call(callee, args, cspan)
                if args.len() == 2
                    && matches!(**callee, Node::Global(p, _) if crate::names::name_of(p) == "push")
                    && matches!(args[0], Node::Global(a, _) if a == g) =>
            {
                let Node::Global(push, _) = **callee else { unreachable!("matched above") };
                let (elem, cspan) = (lower(&args[1]), *cspan);
                return code(move |i| {
                    if !i.is_builtin(push, crate::interp::Builtin::Push) {
                        // `push` was redefined: an ordinary call.
                        let xs = i.read_global(g, span)?;
                        let v = elem.run(i)?;
                        let f = i.read_global(push, cspan)?;
                        let r = i.call_value(&f, &mut [xs, v], Some(cspan)).map_err(|e| e.or_at(cspan))?;
                        return i.write_global(g, r, span);
                    }
                    let before = read(i, g, span)?;
                    let v = elem.run(i)?;
                    let max = i.config.max_collection_len;
                    update(i, g, before, span, |cur| match cur {
                        Value::List(mut l) => match ops::push_onto(&mut l, v, max) {
                            Ok(()) => Ok(Value::List(l)),
                            Err(e) => Err((Value::List(l), e.or_at(cspan))),
                        },
                        other => {
                            let e = crate::interp::convert::bad_arg("push", "a list", &other).or_at(cspan);
                            Err((other, e))
                        }
                    })
                });
            }
            Node::Binary(BinOp::Add, a, b, bspan) if matches!(**a, Node::Global(x, _) if x == g) => {
                let (b, bspan) = (lower(b), *bspan);
                return code(move |i| {
                    let before = read(i, g, span)?;
                    let r = b.run(i)?;
                    let max = i.config.max_collection_len;
                    update(i, g, before, span, |cur| {
                        ops::binary_owned(BinOp::Add, cur, r, max).map_err(|(old, e)| (old, e.or_at(bspan)))
                    })
                });
            }
            _ => {}
        }
    }
    let v = lower(v);
    code(move |i| {
        let v = v.run(i)?;
        i.write_global(g, v, span)
    })
}

/// The global's version, and a clone of its value (what the right side's
/// left operand reads, before the rest runs).
fn read(i: &Interp, g: u32, span: Span) -> Result<(u64, Value), crate::interp::Ctrl> {
    let v = i.read_global(g, span)?;
    Ok((i.global_versions[g as usize], v))
}

/// Applies `f` to the global's value: in its slot (the clone dropped
/// first, so an unshared value is changed in place) when nothing wrote the
/// global meanwhile, else to the clone. `f` hands back the value it got on
/// an error, which the global keeps.
fn update(
    i: &mut Interp,
    g: u32,
    (version, clone): (u64, Value),
    span: Span,
    f: impl FnOnce(Value) -> Result<Value, (Value, crate::error::MemoError)>,
) -> R {
    let cur = if i.global_versions[g as usize] == version {
        drop(clone);
        match i.globals.get_mut(g as usize) {
            Some(Some(v)) => std::mem::take(v),
            _ => return i.read_global(g, span),
        }
    } else {
        clone
    };
    match f(cur) {
        Ok(v) => {
            let r = i.write_global(g, v, span);
            // A long concatenation counts its bytes at once (`meter::defer`).
            if i.must_settle() {
                return i.settle(r, span);
            }
            r
        }
        Err((old, e)) => {
            if i.global_versions[g as usize] == version {
                // Put back what was taken (no write happened).
                i.globals[g as usize] = Some(old);
            }
            Err(e.into())
        }
    }
}
