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
//! Four shapes get their own code:
//! - a literal and one other part (`"k" + str(i)`, `name + ": "`), the
//!   usual chain: straight-line code (`Pair`);
//! - such a pair as the index of a map in a local (`m["k" + str(i)]`):
//!   a short key is written into a stack buffer and looked up by its
//!   text, so a key that is only read is never made (`lower_index_local`);
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
use super::{code, lower_call_of, Code, Operand};
use crate::ast::BinOp;
use crate::compiler::ir::{Lit, Node};
use crate::interp::convert::{int_len, push_int, write_int};
use crate::interp::{ops, Ctrl, Interp, R};
use crate::source::Span;
use crate::value::meter::defer_bytes;
use crate::value::{BuiltinType, StrObj, TypeValue, Value};

/// One part of a chain.
enum Part {
    /// A string literal.
    Lit(crate::value::UArc<StrObj>),
    StrCall(StrCall),
    /// Any other expression.
    Any(Operand),
}

/// `str(arg)` with `str` the global `g`: the builtin type unless the script
/// rebinds it; then `call` (the ordinary call, sharing `arg`'s code) runs
/// instead.
struct StrCall {
    g: u32,
    arg: Operand,
    call: Code,
    span: Span,
}

/// A `str(..)` part, evaluated: the int of a builtin `str(int)` (its digits
/// are written where they are needed), or the value `str(..)` gives.
enum Got {
    Int(i64),
    Val(Value),
}

impl StrCall {
    fn of(callee: &Node, arg: &Node, g: u32, span: Span) -> StrCall {
        let (arg_code, arg_again) = Operand::twice(arg);
        StrCall { g, arg: arg_code, call: lower_call_of(callee, arg_again, arg, span), span }
    }

    #[inline(always)]
    fn eval(&self, i: &mut Interp) -> Result<Got, Ctrl> {
        if !is_builtin_str(i, self.g) {
            return Ok(Got::Val(self.call.run(i)?));
        }
        Ok(match self.arg.run(i)? {
            Value::Int(n) => Got::Int(n),
            s @ Value::Str(_) => Got::Val(s),
            other => match i.repr_metered(&other) {
                Ok(s) => Got::Val(Value::str(s)),
                Err(e) => return Err(Ctrl::error(e.or_at(self.span))),
            },
        })
    }
}

/// The parts of a chain and, for each part after the first, the span of
/// the `+` that adds it.
struct Chain {
    parts: Box<[Part]>,
    spans: Box<[Span]>,
}

/// The parts of the chain `a + b` and the span of the `+` adding each
/// part (the first part's entry is unused), if it is a chain.
fn parts_of(a: &Node, b: &Node, span: Span) -> Option<(Vec<Part>, Box<[Span]>)> {
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
    let spans = nodes.iter().map(|(_, s)| *s).collect();
    let parts = nodes
        .iter()
        .map(|(n, _)| match (n, str_call(n)) {
            (Node::Const(Lit::Str(s)), _) => Part::Lit(crate::value::UArc::new(StrObj::new(s.to_string()))),
            (Node::Call(callee, args, span), Some(g)) => Part::StrCall(StrCall::of(callee, &args[0], g, *span)),
            _ => Part::Any(Operand::of(n)),
        })
        .collect();
    Some((parts, spans))
}

/// Compiles `a + b` as a chain when it is one (see the module comment).
pub(crate) fn lower_chain(a: &Node, b: &Node, span: Span) -> Option<Code> {
    let (parts, spans) = parts_of(a, b, span)?;
    let parts = match split_pair(parts, span) {
        Ok(PairOf::LitFirst(p)) => {
            return Some(code(move |i| {
                let r = p.value(i);
                settled(i, r, span)
            }))
        }
        Ok(PairOf::LitLast(p)) => {
            return Some(code(move |i| {
                let r = p.value(i);
                settled(i, r, span)
            }))
        }
        Err(parts) => parts,
    };
    let chain = Chain { parts: parts.into_boxed_slice(), spans };
    // The values live in a stack array sized for the chain.
    Some(match chain.parts.len() {
        2 => code(move |i| {
            let r = chain.run(i, &mut [NONE; 2]);
            settled(i, r, span)
        }),
        3 => code(move |i| {
            let r = chain.run(i, &mut [NONE; 3]);
            settled(i, r, span)
        }),
        4 => code(move |i| {
            let r = chain.run(i, &mut [NONE; 4]);
            settled(i, r, span)
        }),
        n => code(move |i| {
            let r = chain.run(i, &mut vec![Value::None; n]);
            settled(i, r, span)
        }),
    })
}

/// A chain's value, once a long one has counted its bytes (`meter::defer`).
#[inline(always)]
fn settled(i: &mut Interp, r: R, span: Span) -> R {
    if i.must_settle() {
        return i.settle(r, span);
    }
    r
}

const NONE: Value = Value::None;

/// `s += str(x)` on a local: an int's digits are appended straight to the
/// variable's string when it is unshared (no string for `str(x)`).
/// Anything else is the ordinary `s += v` (`arith::update_local`).
pub(crate) fn lower_append_str(slot: usize, rhs: &Node, span: Span) -> Option<Code> {
    let g = str_call(rhs)?;
    let Node::Call(callee, args, call_span) = rhs else { return None };
    if super::writes_local(&args[0], slot as u32) {
        return None;
    }
    let part = StrCall::of(callee, &args[0], g, *call_span);
    Some(code(move |i| {
        let at = i.bp + slot;
        let r = match part.eval(i)? {
            Got::Int(n) => {
                // `x` does not assign the slot (checked above); a read of it
                // was a copy, dropped by now.
                if let Value::Str(cur) = &mut i.stack[at] {
                    let len = cur.s.len() + int_len(n);
                    if let Some(m) = crate::value::UArc::get_mut(cur).filter(|_| len <= i.config.max_collection_len) {
                        push_int(&mut m.s, n);
                        m.hash = Default::default();
                        return Ok(Value::None);
                    }
                }
                crate::interp::convert::int_str(n)
            }
            Got::Val(v) => v,
        };
        super::arith::update_local(i, BinOp::Add, at, r, span)
    }))
}

/// A literal and one other part, the usual chain (`"k" + str(i)`,
/// `name + ": "`): straight-line code, no array and no loop over parts.
/// `LIT_FIRST`: the literal is the left operand.
struct Pair<const LIT_FIRST: bool> {
    lit: crate::value::UArc<StrObj>,
    other: Other,
    /// The `+`.
    span: Span,
}

/// The part that is not the literal.
enum Other {
    StrCall(StrCall),
    Any(Operand),
}

enum PairOf {
    LitFirst(Pair<true>),
    LitLast(Pair<false>),
}

/// The pair, or the parts back when they are not one.
fn split_pair(parts: Vec<Part>, span: Span) -> Result<PairOf, Vec<Part>> {
    let lit_first = match &parts[..] {
        [Part::Lit(_), Part::StrCall(_) | Part::Any(_)] => true,
        [Part::StrCall(_) | Part::Any(_), Part::Lit(_)] => false,
        _ => return Err(parts),
    };
    let [a, b]: [Part; 2] = parts.try_into().unwrap_or_else(|_| unreachable!("two parts matched above"));
    let ((Part::Lit(lit), other) | (other, Part::Lit(lit))) = (a, b) else { unreachable!("one literal matched above") };
    let other = match other {
        Part::StrCall(c) => Other::StrCall(c),
        Part::Any(op) => Other::Any(op),
        Part::Lit(_) => unreachable!("one literal matched above"),
    };
    Ok(if lit_first { PairOf::LitFirst(Pair { lit, other, span }) } else { PairOf::LitLast(Pair { lit, other, span }) })
}

impl<const LIT_FIRST: bool> Pair<LIT_FIRST> {
    #[inline(always)]
    fn eval(&self, i: &mut Interp) -> Result<Got, Ctrl> {
        match &self.other {
            Other::StrCall(c) => c.eval(i),
            Other::Any(op) => Ok(Got::Val(op.run(i)?)),
        }
    }

    /// The pair's value.
    #[inline(always)]
    fn value(&self, i: &mut Interp) -> R {
        let got = self.eval(i)?;
        self.make(i, got)
    }

    #[inline(always)]
    fn make(&self, i: &mut Interp, got: Got) -> R {
        let lit = &self.lit;
        let v = match got {
            Got::Int(n) => {
                let max = i.config.max_collection_len;
                let len = lit.s.len() + int_len(n);
                if len > max {
                    return Err(too_long(len, max, self.span));
                }
                let mut s = String::with_capacity(len);
                if LIT_FIRST {
                    s.push_str(&lit.s);
                    push_int(&mut s, n);
                } else {
                    push_int(&mut s, n);
                    s.push_str(&lit.s);
                }
                return Ok(Value::Str(crate::value::UArc::new(StrObj { s, ascii: lit.ascii, hash: Default::default() })));
            }
            Got::Val(v) => v,
        };
        let Value::Str(mut x) = v else {
            let l = Value::Str(lit.clone());
            return if LIT_FIRST {
                slow_binary(BinOp::Add, l, v, i, self.span)
            } else {
                slow_binary(BinOp::Add, v, l, i, self.span)
            };
        };
        let max = i.config.max_collection_len;
        let len = lit.s.len() + x.s.len();
        if len > max {
            return Err(too_long(len, max, self.span));
        }
        let ascii = lit.ascii && x.ascii;
        if let Some(m) = crate::value::UArc::get_mut(&mut x) {
            // An unshared string (a call's result) is extended in place:
            // appended to, or prefixed when it has the room.
            if !LIT_FIRST || m.s.capacity() - m.s.len() >= lit.s.len() {
                // The bytes moved count against the budget (`meter::defer`).
                if LIT_FIRST {
                    defer_bytes(len);
                    m.s.insert_str(0, &lit.s);
                } else {
                    defer_bytes(lit.s.len());
                    m.s.push_str(&lit.s);
                }
                m.ascii = ascii;
                m.hash = Default::default();
                return Ok(Value::Str(x));
            }
        }
        defer_bytes(len);
        let mut s = String::with_capacity(len);
        if LIT_FIRST {
            s.push_str(&lit.s);
            s.push_str(&x.s);
        } else {
            s.push_str(&x.s);
            s.push_str(&lit.s);
        }
        Ok(Value::Str(crate::value::UArc::new(StrObj { s, ascii, hash: Default::default() })))
    }

    /// The text of the pair written into `buf`, when the other part is an
    /// int or a string and the whole fits (and is within the length limit:
    /// beyond it `make` gives the error).
    #[inline(always)]
    fn text_in<'b>(&self, got: &Got, buf: &'b mut [u8; KEY_BUF], max: usize) -> Option<&'b str> {
        let lit = self.lit.s.as_bytes();
        let len = match got {
            Got::Int(n) => {
                let d = int_len(*n);
                let len = lit.len() + d;
                if len > KEY_BUF || len > max {
                    return None;
                }
                let at = if LIT_FIRST { lit.len() } else { 0 };
                // SAFETY: `buf` has room for the `d` digits at `at`
                // (`len <= KEY_BUF`).
                unsafe { write_int(buf.as_mut_ptr().add(at), *n, d) };
                len
            }
            Got::Val(Value::Str(x)) => {
                let len = lit.len() + x.s.len();
                if len > KEY_BUF || len > max {
                    return None;
                }
                let at = if LIT_FIRST { lit.len() } else { 0 };
                buf[at..at + x.s.len()].copy_from_slice(x.s.as_bytes());
                len
            }
            Got::Val(_) => return None,
        };
        let at = if LIT_FIRST { 0 } else { len - lit.len() };
        buf[at..at + lit.len()].copy_from_slice(lit);
        // SAFETY: `buf[..len]` is two strings, or a string and ASCII
        // digits, side by side: UTF-8.
        Some(unsafe { std::str::from_utf8_unchecked(&buf[..len]) })
    }
}

/// A key built in place of at most this many bytes is looked up without
/// being made into a string value.
const KEY_BUF: usize = 64;

/// `m[lit + x]` / `m[x + lit]` with `m` a local: when `m` is a map and the
/// key is short, the key is written into a stack buffer and looked up by
/// its text; no string is made (and none freed) for a key that is only
/// read. Anything else makes the key and indexes as usual.
pub(crate) fn lower_index_local(slot: usize, ix: &Node, span: Span) -> Option<Code> {
    let Node::Binary(BinOp::Add, a, b, plus) = ix else { return None };
    // The shape first, on the tree: parts compiled and then dropped would
    // be compiled again by the ordinary index (twice per level of nesting).
    let is_pair = !matches!(**a, Node::Binary(BinOp::Add, ..)) && (is_lit(a) != is_lit(b));
    if !is_pair {
        return None;
    }
    let (parts, _) = parts_of(a, b, *plus)?;
    Some(match split_pair(parts, *plus).ok()? {
        PairOf::LitFirst(p) => index_pair(slot, p, span),
        PairOf::LitLast(p) => index_pair(slot, p, span),
    })
}

fn index_pair<const LIT_FIRST: bool>(slot: usize, pair: Pair<LIT_FIRST>, span: Span) -> Code {
    code(move |i| {
        let got = pair.eval(i)?;
        if let Value::Map(m) = &i.stack[i.bp + slot] {
            let mut buf = [0u8; KEY_BUF];
            if let Some(key) = pair.text_in(&got, &mut buf, i.config.max_collection_len) {
                return match m.map.get_str(key) {
                    Some(v) => Ok(v.clone()),
                    None => Err(missing_key(key, span)),
                };
            }
        }
        let k = pair.make(i, got)?;
        crate::interp::index::index(&i.stack[i.bp + slot], &k).map_err(|e| e.or_at(span).into())
    })
}

/// The error of `index::index` for a missing string key.
#[cold]
#[inline(never)]
fn missing_key(key: &str, span: Span) -> Ctrl {
    let k = crate::value::repr_prefix(&Value::str(key), 200);
    Ctrl::error(crate::error::MemoError::new("KeyError", format!("key {k} not found in map")).or_at(span))
}

#[cold]
#[inline(never)]
fn too_long(len: usize, max: usize, span: Span) -> Ctrl {
    Ctrl::error(ops::too_large("string", len, max).or_at(span))
}

fn is_lit(n: &Node) -> bool {
    matches!(n, Node::Const(Lit::Str(_)))
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
                Part::StrCall(c) => match c.eval(i)? {
                    Got::Int(n) => {
                        len += int_len(n);
                        if k > 0 && len > max {
                            return Err(self.too_long(len, max, k));
                        }
                        vals[k] = Value::Int(n);
                        continue;
                    }
                    Got::Val(v) => v,
                },
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
                other => return self.finish_generic(i, &mut vals[..k], (len, ascii), other, k),
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
    fn join(&self, vals: &mut [Value], len: usize, ascii: bool) -> crate::value::UArc<StrObj> {
        let n = vals.len().min(self.parts.len());
        if matches!(vals[0], Value::Str(_)) {
            let Value::Str(mut first) = std::mem::take(&mut vals[0]) else { unreachable!("matched above") };
            if let Some(m) = crate::value::UArc::get_mut(&mut first) {
                // The bytes copied count against the budget (`meter::defer`).
                defer_bytes(len - m.s.len());
                m.s.reserve_exact(len - m.s.len());
                self.write(&mut m.s, &vals[1..n], 1);
                m.ascii = ascii;
                m.hash = Default::default();
                return first;
            }
            vals[0] = Value::Str(first);
        }
        defer_bytes(len);
        let mut s = String::with_capacity(len);
        self.write(&mut s, &vals[..n], 0);
        crate::value::UArc::new(StrObj { s, ascii, hash: Default::default() })
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

    /// Part `k` gave `v`, not a string: the rest one `+` at a time. `done`
    /// holds parts `..k`, `len` bytes (`ascii`).
    #[cold]
    #[inline(never)]
    fn finish_generic(&self, i: &mut Interp, done: &mut [Value], (len, ascii): (usize, bool), v: Value, k: usize) -> R {
        let mut acc = if k == 0 {
            v
        } else {
            let left = Value::Str(self.join(done, len, ascii));
            slow_binary(BinOp::Add, left, v, i, self.spans[k])?
        };
        for k in k + 1..self.parts.len() {
            let v = match &self.parts[k] {
                Part::Lit(s) => Value::Str(s.clone()),
                Part::StrCall(c) => c.call.run(i)?,
                Part::Any(op) => op.run(i)?,
            };
            acc = slow_binary(BinOp::Add, acc, v, i, self.spans[k])?;
        }
        Ok(acc)
    }
}
