//! String concatenation chains: `"id" + str(n)`, `a + ", " + b + "\n"`.
//!
//! `+` is left-associative, so `a + b + c` is `(a + b) + c`: compiled one
//! operator at a time, each `+` makes an intermediate string (and `str(n)`
//! another, plus its call). A chain of `+` that holds a string literal or a
//! `str(..)` call can only produce a string (or fail), so it is compiled as
//! one node instead: every part is evaluated in order into a small array on
//! the stack (a string, or the int of a `str(int)`), which gives the total
//! length, and the result is written into one string of exactly that size.
//! `str(x)` of an int writes its digits straight in, with no string of its
//! own. (callgrind, `"k" + str(i)`: ~620 instructions one `+` at a time,
//! ~150 as a pair.)
//!
//! Three shapes get their own code:
//! - a literal and one other part (`"k" + str(i)`, `name + ": "`), the
//!   usual chain: straight-line code (`lower_pair`);
//! - longer chains: the stack array above (`Chain::run`);
//! - `s += str(x)` on a local: the digits are appended to the variable's
//!   own string when it is unshared (`lower_append_str`).
//!
//! The semantics are those of the operator-at-a-time evaluation: parts run
//! left to right; the length limit is checked at each `+`, before the next
//! part runs; and as soon as a part is not a string (or `str` is no longer
//! the builtin type), the rest of the chain is evaluated one `+` at a time by
//! `ops::binary`, which gives the same value or the same error (at the same
//! `+`) as the unfused code.

use super::arith::slow_binary;
use super::codegen::{code, lower, Code, Operand};
use super::ir::Node;
use crate::ast::BinOp;
use crate::interp::{ops, Ctrl, Interp, R};
use crate::natives::core::{int_len, push_int};
use crate::source::Span;
use crate::value::{unique, BuiltinType, StrObj, TypeValue, Value};
use std::sync::Arc;

/// One part of a chain.
enum Part {
    /// A string literal.
    Lit(Arc<StrObj>),
    /// `str(arg)` with `str` the global `g`: the builtin type unless the
    /// script rebinds it; then `call` (the ordinary call) runs instead.
    StrCall { g: u32, arg: Operand, call: Code, span: Span },
    /// Any other expression.
    Any(Operand),
}

/// The parts of a chain and, for each part after the first, the span of
/// the `+` that adds it.
struct Chain {
    parts: Box<[Part]>,
    spans: Box<[Span]>,
}

/// Compiles `a + b` as a chain when it is one (see the module comment).
pub(crate) fn lower_chain(a: &Node, b: &Node, span: Span) -> Option<Code> {
    let mut nodes = vec![(b, span)];
    let mut left = a;
    while let Node::Binary(BinOp::Add, l, r, s) = left {
        nodes.push((&**r, *s));
        left = l;
    }
    nodes.push((left, span));
    nodes.reverse();
    if !nodes.iter().any(|(n, _)| is_lit(n) || str_call(n).is_some()) {
        return None;
    }
    // `nodes[k].1` is the span of the `+` that adds part k (k >= 1); the
    // first part's entry is unused.
    let spans = nodes.iter().map(|(_, s)| *s).collect();
    let parts = nodes
        .iter()
        .map(|(n, _)| match (n, str_call(n)) {
            (Node::Const(Value::Str(s)), _) => Part::Lit(s.clone()),
            (Node::Call(_, args, span), Some(g)) => Part::StrCall { g, arg: Operand::of(&args[0]), call: lower(n), span: *span },
            _ => Part::Any(Operand::of(n)),
        })
        .collect::<Vec<Part>>();
    let parts = match lower_pair(parts, span) {
        Ok(pair) => return Some(pair),
        Err(parts) => parts,
    };
    let chain = Chain { parts: parts.into_boxed_slice(), spans };
    // The values live in a stack array sized for the chain.
    Some(match chain.parts.len() {
        2 => code(move |i| chain.run(i, &mut [NONE; 2])),
        3 => code(move |i| chain.run(i, &mut [NONE; 3])),
        4 => code(move |i| chain.run(i, &mut [NONE; 4])),
        n => code(move |i| chain.run(i, &mut vec![Value::None; n])),
    })
}

const NONE: Value = Value::None;

/// `s += str(x)` on a local: an int's digits are appended straight to the
/// variable's string when it is unshared (no string for `str(x)`).
/// Anything else is the ordinary `s += v` (`arith::update_local`).
pub(crate) fn lower_append_str(slot: usize, rhs: &Node, span: Span) -> Option<Code> {
    let g = str_call(rhs)?;
    let Node::Call(_, args, call_span) = rhs else { return None };
    if super::codegen::writes_local(&args[0], slot as u32) {
        return None;
    }
    let (arg, call, call_span) = (Operand::of(&args[0]), lower(rhs), *call_span);
    Some(code(move |i| {
        let max = i.config.max_collection_len;
        let at = i.bp + slot;
        let r = if is_builtin_str(i, g) {
            match arg.run(i)? {
                Value::Int(n) => {
                    // `x` does not assign the slot (checked above); a read of
                    // it was a copy, dropped by now.
                    if let Value::Str(cur) = &mut i.stack[at] {
                        let len = cur.s.len() + int_len(n);
                        if let Some(m) = unique::get_mut(cur).filter(|_| len <= max) {
                            push_int(&mut m.s, n);
                            m.hash = Default::default();
                            return Ok(Value::None);
                        }
                    }
                    crate::natives::core::int_str(n)
                }
                s @ Value::Str(_) => s,
                other => match crate::value::repr_limited(&other, max) {
                    Ok(s) => Value::str(s),
                    Err(e) => return Err(Ctrl::error(e.or_at(call_span))),
                },
            }
        } else {
            call.run(i)?
        };
        super::arith::update_local(i, BinOp::Add, at, r, span)
    }))
}

/// A literal and one other part, the usual chain (`"k" + str(i)`,
/// `name + ": "`): straight-line code, no array and no loop over parts.
/// Any other chain is handed back.
fn lower_pair(parts: Vec<Part>, span: Span) -> Result<Code, Vec<Part>> {
    let lit_first = match &parts[..] {
        [Part::Lit(_), Part::StrCall { .. } | Part::Any(_)] => true,
        [Part::StrCall { .. } | Part::Any(_), Part::Lit(_)] => false,
        _ => return Err(parts),
    };
    let [a, b]: [Part; 2] = parts.try_into().unwrap_or_else(|_| unreachable!("two parts matched above"));
    let ((Part::Lit(lit), other) | (other, Part::Lit(lit))) = (a, b) else { unreachable!("one literal matched above") };
    Ok(match (other, lit_first) {
        (Part::StrCall { g, arg, call, span: call_span }, true) => pair_str_call::<true>(lit, g, arg, call, call_span, span),
        (Part::StrCall { g, arg, call, span: call_span }, false) => pair_str_call::<false>(lit, g, arg, call, call_span, span),
        (Part::Any(op), true) => pair_any::<true>(lit, op, span),
        (Part::Any(op), false) => pair_any::<false>(lit, op, span),
        (Part::Lit(_), _) => unreachable!("one literal matched above"),
    })
}

/// `lit + str(x)` (`LIT_FIRST`) or `str(x) + lit`.
fn pair_str_call<const LIT_FIRST: bool>(lit: Arc<StrObj>, g: u32, arg: Operand, call: Code, call_span: Span, span: Span) -> Code {
    code(move |i| {
        let max = i.config.max_collection_len;
        let v = if is_builtin_str(i, g) {
            match arg.run(i)? {
                Value::Int(n) => {
                    let len = lit.s.len() + int_len(n);
                    if len > max {
                        return Err(too_long(len, max, span));
                    }
                    let mut s = String::with_capacity(len);
                    if LIT_FIRST {
                        s.push_str(&lit.s);
                        push_int(&mut s, n);
                    } else {
                        push_int(&mut s, n);
                        s.push_str(&lit.s);
                    }
                    return Ok(Value::Str(Arc::new(StrObj { s, ascii: lit.ascii, hash: Default::default() })));
                }
                s @ Value::Str(_) => s,
                other => match crate::value::repr_limited(&other, max) {
                    Ok(s) => Value::str(s),
                    Err(e) => return Err(Ctrl::error(e.or_at(call_span))),
                },
            }
        } else {
            call.run(i)?
        };
        pair_with::<LIT_FIRST>(i, &lit, v, span)
    })
}

/// `lit + e` (`LIT_FIRST`) or `e + lit`.
fn pair_any<const LIT_FIRST: bool>(lit: Arc<StrObj>, op: Operand, span: Span) -> Code {
    code(move |i| {
        let v = op.run(i)?;
        pair_with::<LIT_FIRST>(i, &lit, v, span)
    })
}

/// The literal and the other part's value `v`, in their order.
#[inline(always)]
fn pair_with<const LIT_FIRST: bool>(i: &Interp, lit: &Arc<StrObj>, v: Value, span: Span) -> R {
    let Value::Str(mut x) = v else {
        let l = Value::Str(lit.clone());
        return if LIT_FIRST { slow_binary(BinOp::Add, l, v, i, span) } else { slow_binary(BinOp::Add, v, l, i, span) };
    };
    let max = i.config.max_collection_len;
    let len = lit.s.len() + x.s.len();
    if len > max {
        return Err(too_long(len, max, span));
    }
    let ascii = lit.ascii && x.ascii;
    if let Some(m) = unique::get_mut(&mut x) {
        // An unshared string (a call's result) is extended in place:
        // appended to, or prefixed when it has the room.
        if !LIT_FIRST || m.s.capacity() - m.s.len() >= lit.s.len() {
            if LIT_FIRST {
                m.s.insert_str(0, &lit.s);
            } else {
                m.s.push_str(&lit.s);
            }
            m.ascii = ascii;
            m.hash = Default::default();
            return Ok(Value::Str(x));
        }
    }
    let mut s = String::with_capacity(len);
    if LIT_FIRST {
        s.push_str(&lit.s);
        s.push_str(&x.s);
    } else {
        s.push_str(&x.s);
        s.push_str(&lit.s);
    }
    Ok(Value::Str(Arc::new(StrObj { s, ascii, hash: Default::default() })))
}

#[cold]
#[inline(never)]
fn too_long(len: usize, max: usize, span: Span) -> Ctrl {
    Ctrl::error(ops::too_large("string", len, max).or_at(span))
}

fn is_lit(n: &Node) -> bool {
    matches!(n, Node::Const(Value::Str(_)))
}

/// `str(x)`, with `str` a global: its id.
fn str_call(n: &Node) -> Option<u32> {
    match n {
        Node::Call(callee, args, _) if args.len() == 1 => match **callee {
            Node::Global(g, _) if crate::names::name_of(g) == "str" => Some(g),
            _ => None,
        },
        _ => None,
    }
}

/// Is global `g` the builtin `str` type (any value equal to it converts
/// the same way)?
#[inline(always)]
fn is_builtin_str(i: &Interp, g: u32) -> bool {
    matches!(i.globals.get(g as usize), Some(Some(Value::Type(t))) if matches!(**t, TypeValue::Builtin(BuiltinType::Str)))
}

impl Chain {
    /// `vals[k]`: part k's string, or the int of its `str(int)`; none for
    /// a literal.
    #[inline(always)]
    fn run(&self, i: &mut Interp, vals: &mut [Value]) -> R {
        let max = i.config.max_collection_len;
        let (mut len, mut ascii) = (0usize, true);
        for (k, part) in self.parts.iter().enumerate() {
            let v = match part {
                Part::Lit(s) => {
                    len += s.s.len();
                    ascii &= s.ascii;
                    if k > 0 && len > max {
                        return Err(self.too_long(len, max, k));
                    }
                    continue;
                }
                Part::StrCall { g, arg, call, span } => {
                    if is_builtin_str(i, *g) {
                        match arg.run(i)? {
                            Value::Int(n) => {
                                len += int_len(n);
                                if k > 0 && len > max {
                                    return Err(self.too_long(len, max, k));
                                }
                                vals[k] = Value::Int(n);
                                continue;
                            }
                            s @ Value::Str(_) => s,
                            other => match crate::value::repr_limited(&other, max) {
                                Ok(s) => Value::str(s),
                                Err(e) => return Err(Ctrl::error(e.or_at(*span))),
                            },
                        }
                    } else {
                        call.run(i)?
                    }
                }
                Part::Any(op) => op.run(i)?,
            };
            match v {
                Value::Str(s) => {
                    len += s.s.len();
                    ascii &= s.ascii;
                    vals[k] = Value::Str(s);
                    if k > 0 && len > max {
                        return Err(self.too_long(len, max, k));
                    }
                }
                other => return self.finish_generic(i, vals, other, k),
            }
        }
        Ok(Value::Str(self.join(vals, len, ascii)))
    }

    fn too_long(&self, len: usize, max: usize, k: usize) -> Ctrl {
        too_long(len, max, self.spans[k])
    }

    /// The string of the evaluated parts `vals[..n]`, `len` bytes. A first
    /// part that is an unshared string is extended in place.
    #[inline(always)]
    fn join(&self, vals: &mut [Value], len: usize, ascii: bool) -> Arc<StrObj> {
        let n = vals.len().min(self.parts.len());
        if matches!(vals[0], Value::Str(_)) {
            let Value::Str(mut first) = std::mem::take(&mut vals[0]) else { unreachable!("matched above") };
            if let Some(m) = unique::get_mut(&mut first) {
                m.s.reserve_exact(len - m.s.len());
                self.write(&mut m.s, &vals[1..n], 1);
                m.ascii = ascii;
                m.hash = Default::default();
                return first;
            }
            vals[0] = Value::Str(first);
        }
        let mut s = String::with_capacity(len);
        self.write(&mut s, &vals[..n], 0);
        Arc::new(StrObj { s, ascii, hash: Default::default() })
    }

    /// Appends parts `from..` (their values `vals`) to `s`.
    #[inline(always)]
    fn write(&self, s: &mut String, vals: &[Value], from: usize) {
        for (part, v) in self.parts[from..].iter().zip(vals) {
            match (part, v) {
                (Part::Lit(l), _) => s.push_str(&l.s),
                (_, Value::Str(x)) => s.push_str(&x.s),
                (_, Value::Int(n)) => push_int(s, *n),
                _ => {}
            }
        }
    }

    /// Part `k` gave `v`, not a string: the rest one `+` at a time.
    #[cold]
    #[inline(never)]
    fn finish_generic(&self, i: &mut Interp, vals: &mut [Value], v: Value, k: usize) -> R {
        let mut acc = if k == 0 {
            v
        } else {
            let (len, ascii) = self.parts[..k].iter().zip(vals.iter()).fold((0, true), |(len, ascii), (p, v)| match (p, v) {
                (Part::Lit(l), _) => (len + l.s.len(), ascii && l.ascii),
                (_, Value::Str(x)) => (len + x.s.len(), ascii && x.ascii),
                (_, Value::Int(n)) => (len + int_len(*n), ascii),
                _ => (len, ascii),
            });
            let left = Value::Str(self.join(&mut vals[..k], len, ascii));
            slow_binary(BinOp::Add, left, v, i, self.spans[k])?
        };
        for k in k + 1..self.parts.len() {
            let v = match &self.parts[k] {
                Part::Lit(s) => Value::Str(s.clone()),
                Part::StrCall { call, .. } => call.run(i)?,
                Part::Any(op) => op.run(i)?,
            };
            acc = slow_binary(BinOp::Add, acc, v, i, self.spans[k])?;
        }
        Ok(acc)
    }
}
