//! Comparisons read in place. `a == b` and `a != b` whose operands are
//! places (a local, a global, a constant, and below it fields, list items
//! and an ASCII string's characters, indexed by an int in a local, a
//! constant or another place: `x.f.g`, `xs[i].f`, `self.text[self.pos]`)
//! compare the values where they are: no copy made and released, which
//! for a string, an object or a type is an atomic increment and decrement
//! each (`c != determining`, `self.kind == "scale"`, `x.left == none`).
//! `type(p) == T` compares `p`'s type with `T` without making a type value
//! (the usual way to dispatch on a struct's type).
//!
//! `a < b` (`<=`, `>`, `>=`) on places compares two ints, two floats or
//! two strings too short to be metered.
//!
//! Only answers that need no walk are taken here: numbers, bools, `none`,
//! values of different kinds, objects and cells (identity), types, strings
//! of different lengths, and for a constant string the bytes (no longer than
//! the constant). Anything else, any step that is not a struct's field or
//! an owned object's, and every error go to the general comparison,
//! compiled from the same nodes: a place runs no code, so reading it twice
//! changes nothing.

use super::arith::{lower_compare_shapes, num_cmp, short_str_cmp};
use super::fields::FieldIc;
use super::Cond;
use crate::ast::BinOp;
use crate::compiler::ir::{Lit, Node};
use crate::interp::{Builtin, Interp};
use crate::source::Span;
use crate::value::{compare, TypeValue, Value};
use std::sync::Arc;

/// Where a place's chain starts.
enum Root {
    Local(usize),
    Global(usize),
    Const(Value),
}

/// One step below a place's root.
enum Step {
    /// `.name`: a struct's field, or an owned object's.
    Field(FieldIc),
    /// `[k]`: a list's item, `k` an int in a local or a constant
    /// (negative from the end).
    Item(Key),
}

enum Key {
    Local(usize),
    Const(i64),
    /// An int in another place (`self.text[self.pos]`).
    Place(Box<Place>),
}

/// A value read in place: a root and the steps below it. Reading one runs
/// no code and changes nothing.
pub(super) struct Place {
    root: Root,
    steps: Box<[Step]>,
}

impl Place {
    /// The place `n` names, if it is one.
    pub(super) fn of(n: &Node) -> Option<Place> {
        let mut steps = Vec::new();
        let mut at = n;
        loop {
            match at {
                Node::Field(inner, f, _) => {
                    steps.push(Step::Field(FieldIc::new(f)));
                    at = inner;
                }
                Node::Index(inner, k, _) => {
                    let key = match &**k {
                        Node::Local(s) => Key::Local(*s as usize),
                        Node::Const(Lit::Int(c)) => Key::Const(*c),
                        k => Key::Place(Box::new(Place::of(k)?)),
                    };
                    steps.push(Step::Item(key));
                    at = inner;
                }
                _ => break,
            }
        }
        let root = match at {
            Node::Local(s) => Root::Local(*s as usize),
            Node::Global(g, _) => Root::Global(*g as usize),
            Node::Const(k) => Root::Const(super::lit_value(k)),
            _ => return None,
        };
        steps.reverse();
        Some(Place { root, steps: steps.into_boxed_slice() })
    }

    /// A constant short enough to compare without charging the walk
    /// (`BYTES_PER_OP`), read directly.
    fn is_short_const(&self) -> bool {
        match &self.root {
            Root::Const(Value::Str(s)) => self.steps.is_empty() && s.s.len() < crate::value::meter::BYTES_PER_OP,
            Root::Const(_) => true,
            _ => false,
        }
    }

    /// A local or a constant, with no step below it.
    fn is_plain(&self) -> bool {
        matches!(self.root, Root::Local(_) | Root::Const(_)) && self.steps.is_empty()
    }

    /// Runs `f` on the value in place; `None` when a step is not read in
    /// place (another shape, an index out of range: the general code
    /// decides, with its errors) or the global is not defined.
    #[inline(always)]
    pub(super) fn with<T>(&self, i: &Interp, f: impl FnOnce(&Value) -> T) -> Option<T> {
        let mut v = match &self.root {
            Root::Local(s) => &i.stack[i.bp + s],
            Root::Global(g) => i.globals.get(*g)?.as_ref()?,
            Root::Const(v) => v,
        };
        for step in self.steps.iter() {
            v = match (step, v) {
                (Step::Field(ic), Value::Struct(st)) => st.fields.get(ic.index(&st.ty)?)?,
                (Step::Field(ic), Value::Obj(o)) if o.owned_by(i.reader()) => {
                    let at = ic.index(&o.ty)?;
                    // SAFETY: this interpreter owns the object, and nothing
                    // runs that could change it while `i` is borrowed
                    // (`f` gets a shared reference and runs no code).
                    unsafe { o.peek() }.get(at)?
                }
                (Step::Item(k), Value::List(l)) => {
                    let n = k.int(i)?;
                    let at = if n < 0 { n.checked_add(l.items.len() as i64)? } else { n };
                    l.items.get(usize::try_from(at).ok()?)?
                }
                // A character of an ASCII string: the shared one-character
                // string (`Value::char_str`) is where it is kept.
                (Step::Item(k), Value::Str(st)) if st.ascii => {
                    let n = k.int(i)?;
                    let at = if n < 0 { n.checked_add(st.s.len() as i64)? } else { n };
                    crate::value::ascii_char(*st.s.as_bytes().get(usize::try_from(at).ok()?)?)?
                }
                _ => return None,
            };
        }
        Some(f(v))
    }
}

impl Key {
    /// The index, when it is an int.
    #[inline(always)]
    fn int(&self, i: &Interp) -> Option<i64> {
        match self {
            Key::Local(s) => match i.stack[i.bp + s] {
                Value::Int(n) => Some(n),
                _ => None,
            },
            Key::Const(n) => Some(*n),
            Key::Place(p) => p
                .with(i, |v| match v {
                    Value::Int(n) => Some(*n),
                    _ => None,
                })
                .flatten(),
        }
    }
}

/// `a == b` when it needs no walk of either value (see the module's doc);
/// `None` for the general comparison to decide (and meter).
#[inline(always)]
fn quick_equal(a: &Value, b: &Value) -> Option<bool> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x == y),
        _ if a.is_scalar() && b.is_scalar() => Some(compare::values_equal(a, b)),
        (Value::Obj(x), Value::Obj(y)) => Some(Arc::ptr_eq(x, y)),
        (Value::Cell(x), Value::Cell(y)) => Some(Arc::ptr_eq(x, y)),
        (Value::Type(x), Value::Type(y)) => Some(Arc::ptr_eq(x, y) || x == y),
        (Value::Str(x), Value::Str(y)) if x.s.len() != y.s.len() => Some(false),
        _ if compare::rank(a) != compare::rank(b) => Some(false),
        _ => None,
    }
}

/// Is `t` the type of `v` (`type(v) == t`)? `None` when `t` is no type.
#[inline(always)]
fn type_is(v: &Value, t: &Value) -> Option<bool> {
    let Value::Type(t) = t else { return None };
    let ty = match v {
        Value::Struct(s) => &s.ty,
        Value::Obj(o) => &o.ty,
        _ => return Some(v.type_of() == **t),
    };
    Some(match &**t {
        TypeValue::Struct(st) => Arc::ptr_eq(st, ty) || **st == **ty,
        _ => false,
    })
}

/// `a == b` / `a != b` on places, `type(p) == T` with `p` and `T` places
/// (either way round), or an ordering of places (`lower_order`); `None` for
/// any other shape.
pub(super) fn lower_place_compare(op: BinOp, a: &Node, b: &Node, what: &'static str, span: Span) -> Option<Cond> {
    if matches!(op, BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge) {
        return lower_order(op, a, b, what, span);
    }
    if !matches!(op, BinOp::Eq | BinOp::Ne) {
        return None;
    }
    let want = op == BinOp::Eq;
    if let Some(c) = lower_type_test(a, b, want).or_else(|| lower_type_test(b, a, want)) {
        let general = lower_compare_shapes(op, a, b, what, span);
        return Some(Box::new(move |i| match c(i) {
            Some(yes) => Ok(yes),
            None => general(i),
        }));
    }
    let (x, y) = (Place::of(a)?, Place::of(b)?);
    // Two locals, a local and a constant, or two constants: the operand
    // shapes of `arith` already read them in place.
    if x.is_plain() && y.is_plain() {
        return None;
    }
    let general = lower_compare_shapes(op, a, b, what, span);
    // A constant string's bytes are compared directly: a walk no longer
    // than the constant, too short to be charged, as `arith::none_test`
    // does.
    let against_const = x.is_short_const() || y.is_short_const();
    Some(Box::new(move |i| {
        let quick = x
            .with(i, |l| {
                y.with(i, |r| match quick_equal(l, r) {
                    Some(yes) => Some(yes),
                    None if against_const => Some(compare::values_equal(l, r)),
                    None => None,
                })
            })
            .flatten()
            .flatten();
        match quick {
            Some(yes) => Ok(yes == want),
            None => general(i),
        }
    }))
}

/// `a < b` (`<=`, `>`, `>=`) on places, not both plain: two ints, two
/// floats (IEEE), or two strings shorter than the bytes a comparison is
/// metered by (`BYTES_PER_OP`: such a comparison is not charged), compared where they are
/// (`self.text[self.pos] >= "0"`); anything else by the general comparison.
fn lower_order(op: BinOp, a: &Node, b: &Node, what: &'static str, span: Span) -> Option<Cond> {
    let (x, y) = (Place::of(a)?, Place::of(b)?);
    if x.is_plain() && y.is_plain() {
        return None;
    }
    let general = lower_compare_shapes(op, a, b, what, span);
    Some(Box::new(move |i| {
        let quick = x
            .with(i, |l| {
                // The operand shapes' own tests (`arith::cmp`), on the
                // values where they are.
                y.with(i, |r| num_cmp(op, l, r).or_else(|| short_str_cmp(op, l, r)))
            })
            .flatten()
            .flatten();
        match quick {
            Some(yes) => Ok(yes),
            None => general(i),
        }
    }))
}

/// A test that reads in place, `None` when it cannot decide.
type Quick = Box<dyn Fn(&Interp) -> Option<bool> + Send + Sync>;

/// `type(p) == t`: the test, or `None` (at run time) for the general
/// comparison: `type` is not the standard library's, or `t` is no type.
fn lower_type_test(call: &Node, t: &Node, want: bool) -> Option<Quick> {
    let Node::Call(callee, args, _) = call else { return None };
    let (Node::Global(g, _), [p]) = (&**callee, args.as_slice()) else { return None };
    let g = *g;
    let (p, t) = (Place::of(p)?, Place::of(t)?);
    Some(Box::new(move |i| {
        if !i.is_builtin(g, Builtin::Type) {
            return None;
        }
        p.with(i, |v| t.with(i, |t| type_is(v, t)).flatten()).flatten().map(|yes| yes == want)
    }))
}
