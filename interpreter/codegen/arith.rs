//! Operator nodes, specialized per operator when they are compiled.
//!
//! Each binary operator, comparison and compound assignment becomes a closure
//! monomorphized for its operator (`const OP: u8`), so the int fast path is a
//! single machine operation with no `match op` at run time. Operands that are
//! a local slot or an int constant are read in place. Anything but two ints
//! (or an int result that would overflow) takes the general path in `ops`.

use super::{code, lower, Code, Cond, Operand};
use crate::ast::BinOp;
use crate::compiler::ir::{Lit, Node};
use crate::interp::ops::{self, int_op};
use crate::interp::{Ctrl, Interp, R};
use crate::source::Span;
use crate::value::{values_equal, Value};

const ADD: u8 = 0;
const SUB: u8 = 1;
const MUL: u8 = 2;
const DIV: u8 = 3;
const MOD: u8 = 4;
const POW: u8 = 5;
const EQ: u8 = 6;
const NE: u8 = 7;
const LT: u8 = 8;
const LE: u8 = 9;
const GT: u8 = 10;
const GE: u8 = 11;
const AND: u8 = 12;
const OR: u8 = 13;
const BAND: u8 = 14;
const BOR: u8 = 15;
const BXOR: u8 = 16;
const SHL: u8 = 17;
const SHR: u8 = 18;

/// The operator of a code (the inverse of the `specialize!` table).
#[inline(always)]
const fn op_of(code: u8) -> BinOp {
    match code {
        ADD => BinOp::Add,
        SUB => BinOp::Sub,
        MUL => BinOp::Mul,
        DIV => BinOp::Div,
        MOD => BinOp::Mod,
        POW => BinOp::Pow,
        EQ => BinOp::Eq,
        NE => BinOp::Ne,
        LT => BinOp::Lt,
        LE => BinOp::Le,
        GT => BinOp::Gt,
        GE => BinOp::Ge,
        AND => BinOp::And,
        OR => BinOp::Or,
        BAND => BinOp::BitAnd,
        BOR => BinOp::BitOr,
        BXOR => BinOp::BitXor,
        SHL => BinOp::Shl,
        _ => BinOp::Shr,
    }
}

/// Calls `$f::<CODE, G...>(args)` for the code of the run-time operator
/// `$op` (`G`: the function's other generic arguments, inferred).
macro_rules! specialize_g {
    ($op:expr, $f:ident [$($g:tt)*] ( $($a:expr),* )) => {
        match $op {
            BinOp::Add => $f::<ADD $($g)*>($($a),*),
            BinOp::Sub => $f::<SUB $($g)*>($($a),*),
            BinOp::Mul => $f::<MUL $($g)*>($($a),*),
            BinOp::Div => $f::<DIV $($g)*>($($a),*),
            BinOp::Mod => $f::<MOD $($g)*>($($a),*),
            BinOp::Pow => $f::<POW $($g)*>($($a),*),
            BinOp::Eq => $f::<EQ $($g)*>($($a),*),
            BinOp::Ne => $f::<NE $($g)*>($($a),*),
            BinOp::Lt => $f::<LT $($g)*>($($a),*),
            BinOp::Le => $f::<LE $($g)*>($($a),*),
            BinOp::Gt => $f::<GT $($g)*>($($a),*),
            BinOp::Ge => $f::<GE $($g)*>($($a),*),
            BinOp::And => $f::<AND $($g)*>($($a),*),
            BinOp::Or => $f::<OR $($g)*>($($a),*),
            BinOp::BitAnd => $f::<BAND $($g)*>($($a),*),
            BinOp::BitOr => $f::<BOR $($g)*>($($a),*),
            BinOp::BitXor => $f::<BXOR $($g)*>($($a),*),
            BinOp::Shl => $f::<SHL $($g)*>($($a),*),
            BinOp::Shr => $f::<SHR $($g)*>($($a),*),
        }
    };
}

/// Calls `$f::<CODE>(args)` for the code of the run-time operator `$op`.
macro_rules! specialize {
    ($op:expr, $f:ident ( $($a:expr),* )) => {
        specialize_g!($op, $f [] ($($a),*))
    };
}

/// `specialize!` for the operator closures generic over their operands.
macro_rules! specialize2 {
    ($op:expr, $f:ident ( $($a:expr),* )) => {
        specialize_g!($op, $f [, _, _] ($($a),*))
    };
}

#[inline(always)]
fn int_cmp(op: BinOp, x: i64, y: i64) -> bool {
    match op {
        BinOp::Lt => x < y,
        BinOp::Le => x <= y,
        BinOp::Gt => x > y,
        BinOp::Ge => x >= y,
        BinOp::Eq => x == y,
        _ => x != y,
    }
}

/// `x op y` on two floats, as `ops::binary` computes it (comparisons as
/// IEEE, which is what `ops` gives for two floats).
#[inline(always)]
pub(crate) fn float_op(op: BinOp, x: f64, y: f64) -> Option<Value> {
    Some(match op {
        BinOp::Add => Value::float(x + y),
        BinOp::Sub => Value::float(x - y),
        BinOp::Mul => Value::float(x * y),
        BinOp::Div => Value::float(x / y),
        BinOp::Mod => Value::float(x % y),
        BinOp::Pow => Value::float(x.powf(y)),
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne => Value::bool(float_cmp(op, x, y)),
        _ => return None,
    })
}

#[inline(always)]
fn float_cmp(op: BinOp, x: f64, y: f64) -> bool {
    match op {
        BinOp::Lt => x < y,
        BinOp::Le => x <= y,
        BinOp::Gt => x > y,
        BinOp::Ge => x >= y,
        BinOp::Eq => x == y,
        _ => x != y,
    }
}

pub(crate) fn is_cmp(op: BinOp) -> bool {
    matches!(op, BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne)
}

#[cold]
pub(crate) fn slow_binary(op: BinOp, l: Value, r: Value, i: &mut Interp, span: Span) -> R {
    if is_cmp(op) && !(l.is_scalar() && r.is_scalar()) {
        // A comparison that walks its operands counts its work.
        return ops::compare_metered(op, l, r, i).map_err(|e| e.or_at(span).into());
    }
    let r = ops::binary(op, l, r, i.config.max_collection_len).map_err(|e| e.or_at(span).into());
    // A long concatenation counts its bytes at once (`meter::defer`).
    if i.must_settle() {
        return i.settle(r, span);
    }
    r
}

/// The slow paths of the local-vs-constant closures, out of line so that
/// their fast paths need no stack frame (and can tail-call).
#[cold]
#[inline(never)]
pub(crate) fn slow_local_const(op: BinOp, i: &mut Interp, s: usize, c: i64, span: Span) -> R {
    let l = i.stack[i.bp + s].clone();
    slow_binary(op, l, Value::Int(c), i, span)
}

#[cold]
#[inline(never)]
fn slow_cond_local(op: BinOp, i: &mut Interp, s: usize, c: i64, what: &'static str, span: Span) -> Result<bool, Ctrl> {
    super::as_bool(slow_local_const(op, i, s, c, span)?, what, span)
}

#[cold]
fn slow_cond(op: BinOp, l: Value, r: Value, i: &mut Interp, what: &'static str, span: Span) -> Result<bool, Ctrl> {
    super::as_bool(slow_binary(op, l, r, i, span)?, what, span)
}

// ---- a op b ---------------------------------------------------------------

/// Compiles `a op b` (not `and`/`or`, which short-circuit).
pub(crate) fn lower_binary(op: BinOp, a: &Node, b: &Node, span: Span) -> Code {
    if !super::spec::on() {
        return match (op, a) {
            (BinOp::Add, Node::Binary(BinOp::Add, ..)) => lower_add_spine(a, b, span),
            _ => general_binary(op, lower(a), lower(b), span),
        };
    }
    if op == BinOp::Add {
        if let Some(c) = super::concat::lower_chain(a, b, span) {
            return c;
        }
        if let Node::Binary(BinOp::Add, ..) = a {
            // Not a string chain, and neither is any chain inside it.
            return lower_add_spine(a, b, span);
        }
    }
    lower_plain_binary(op, a, b, span)
}

/// `a op b` through the general operator code only (specializations off).
fn general_binary(op: BinOp, a: Code, b: Code, span: Span) -> Code {
    code(move |i| {
        let l = a.run(i)?;
        let r = b.run(i)?;
        slow_binary(op, l, r, i, span)
    })
}

/// `a op b` with its operand shapes, not looking for string chains.
fn lower_plain_binary(op: BinOp, a: &Node, b: &Node, span: Span) -> Code {
    if !super::spec::on() {
        return general_binary(op, lower(a), lower(b), span);
    }
    // A comparison of places as a value: through the condition code of
    // `peek`.
    if let Some(test) = super::peek::lower_place_compare(op, a, b, "comparison", span) {
        return code(move |i| Ok(Value::bool(test(i)?)));
    }
    // `x == k` as a value: through the condition code of `none_test`,
    // except for a number `k`, which `bin` compares in place with one
    // closure call less (`y % 2 == 0` in a `filter` callback).
    let num = |n: &Node| matches!(n, Node::Const(Lit::Int(_) | Lit::Float(_)));
    if !num(a) && !num(b) {
        if let Some(test) = none_test(op, a, b) {
            return code(move |i| Ok(Value::bool(test(i)?)));
        }
    }
    match (Opnd::of(a), Opnd::of(b)) {
        (Opnd::Local(x), Opnd::Local(y)) => specialize2!(op, bin(Local(x), Local(y), span)),
        (Opnd::Local(x), Opnd::Konst(y)) => specialize2!(op, bin(Local(x), Konst(y), span)),
        (Opnd::Local(x), Opnd::Code(y)) => specialize2!(op, bin(Local(x), y, span)),
        (Opnd::Konst(x), Opnd::Local(y)) => specialize2!(op, bin(Konst(x), Local(y), span)),
        (Opnd::Konst(x), Opnd::Konst(y)) => specialize2!(op, bin(Konst(x), Konst(y), span)),
        (Opnd::Konst(x), Opnd::Code(y)) => specialize2!(op, bin(Konst(x), y, span)),
        (Opnd::Code(x), Opnd::Local(y)) => specialize2!(op, bin(x, Local(y), span)),
        (Opnd::Code(x), Opnd::Konst(y)) => specialize2!(op, bin(x, Konst(y), span)),
        (Opnd::Code(x), Opnd::Code(y)) => specialize2!(op, bin(x, y, span)),
    }
}

/// A left-leaning chain `x0 + x1 + ... + b` that is no string chain,
/// lowered bottom-up in one pass: looking for a string chain again at each
/// `+` would be quadratic in the chain's length.
fn lower_add_spine(a: &Node, b: &Node, span: Span) -> Code {
    let mut rights = vec![(b, span)];
    let mut left = a;
    while let Node::Binary(BinOp::Add, l, r, s) = left {
        rights.push((&**r, *s));
        left = l;
    }
    let (first, first_span) = rights.pop().expect("a spine has a right operand");
    let mut acc = lower_plain_binary(BinOp::Add, left, first, first_span);
    while let Some((r, s)) = rights.pop() {
        acc = if !super::spec::on() {
            general_binary(BinOp::Add, acc, lower(r), s)
        } else {
            match Opnd::of(r) {
                Opnd::Local(y) => bin::<ADD, _, _>(acc, Local(y), s),
                Opnd::Konst(y) => bin::<ADD, _, _>(acc, Konst(y), s),
                Opnd::Code(y) => bin::<ADD, _, _>(acc, y, s),
            }
        };
    }
    acc
}

/// The shape of an operator's operand, chosen when it is compiled.
enum Opnd {
    Local(usize),
    /// An int or float constant (or, for a comparison, a string).
    Konst(Value),
    Code(Code),
}

impl Opnd {
    fn of(n: &Node) -> Opnd {
        match n {
            Node::Local(s) => Opnd::Local(*s as usize),
            Node::Const(Lit::Int(c)) => Opnd::Konst(Value::Int(*c)),
            Node::Const(Lit::Float(c)) => Opnd::Konst(Value::float(*c)),
            _ => Opnd::Code(lower(n)),
        }
    }
}

/// An operand as the operator closures evaluate it (in source order).
trait Get: Send + Sync + 'static {
    /// Reading the operand runs no code (a local or a constant): it can be
    /// peeked at before it is read, and in any order.
    const PEEK: bool = false;
    fn get(&self, i: &mut Interp) -> R;
    /// The operand's value in place, without copying it out (`PEEK`
    /// operands only; `None` for the others).
    #[inline(always)]
    fn peek<'a>(&'a self, _: &'a Interp) -> Option<&'a Value> {
        None
    }
}

/// A local slot, read in place (no closure call).
struct Local(usize);
/// A number constant.
struct Konst(Value);

impl Get for Local {
    const PEEK: bool = true;
    #[inline(always)]
    fn get(&self, i: &mut Interp) -> R {
        Ok(i.stack[i.bp + self.0].clone_fast())
    }
    #[inline(always)]
    fn peek<'a>(&'a self, i: &'a Interp) -> Option<&'a Value> {
        Some(&i.stack[i.bp + self.0])
    }
}

impl Get for Konst {
    const PEEK: bool = true;
    #[inline(always)]
    fn get(&self, _: &mut Interp) -> R {
        Ok(self.0.clone_fast())
    }
    #[inline(always)]
    fn peek<'a>(&'a self, _: &'a Interp) -> Option<&'a Value> {
        Some(&self.0)
    }
}

impl Get for Code {
    #[inline(always)]
    fn get(&self, i: &mut Interp) -> R {
        self.run(i)
    }
}

/// `x op y` on two numbers when it needs no error (no int overflow, no
/// division of ints by zero): what `ops::binary` gives, without its
/// dispatch. Ints and floats mix as `ops::binary` mixes them (the int
/// converted); comparisons mix only two floats (an int and a float
/// compare exactly, in `ops`).
#[inline(always)]
pub(crate) fn num_op(op: BinOp, l: &Value, r: &Value) -> Option<Value> {
    match (l, r) {
        (Value::Int(x), Value::Int(y)) => int_op(op, *x, *y),
        (Value::Float(x), Value::Float(y)) => float_op(op, x.get(), y.get()),
        (Value::Int(x), Value::Float(y)) if !is_cmp(op) => float_op(op, *x as f64, y.get()),
        (Value::Float(x), Value::Int(y)) if !is_cmp(op) => float_op(op, x.get(), *y as f64),
        _ => None,
    }
}

#[inline(always)]
fn bin<const OP: u8, A: Get, B: Get>(a: A, b: B, span: Span) -> Code {
    code(move |i| {
        // Numbers read in place where the operands are locals or constants,
        // without copying them out. (Peeking has no effects: the operands
        // are still read in order.) Past a failed fast path, the rest is a
        // tail call out of line: copying a heap value out of a local or a
        // constant is a call, and with it inline every operator's closure
        // saved more registers on its fast path (`loop` +13 % in
        // instructions).
        if A::PEEK && B::PEEK {
            if let (Some(l), Some(r)) = (a.peek(i), b.peek(i)) {
                if let Some(v) = num_op(op_of(OP), l, r) {
                    return Ok(v);
                }
            }
            return bin_rest::<OP, A, B>(&a, &b, i, span);
        }
        let l = a.get(i)?;
        if B::PEEK {
            if let Some(r) = b.peek(i) {
                if let Some(v) = num_op(op_of(OP), &l, r) {
                    std::mem::forget(l);
                    return Ok(v);
                }
            }
            return bin_right_out::<OP, B>(l, &b, i, span);
        }
        bin_right::<OP, B>(l, &b, i, span)
    })
}

/// `bin` past its fast path: both operands read out.
#[inline(never)]
fn bin_rest<const OP: u8, A: Get, B: Get>(a: &A, b: &B, i: &mut Interp, span: Span) -> R {
    let l = a.get(i)?;
    bin_right::<OP, B>(l, b, i, span)
}

/// `bin_right`, out of line.
#[inline(never)]
fn bin_right_out<const OP: u8, B: Get>(l: Value, b: &B, i: &mut Interp, span: Span) -> R {
    bin_right::<OP, B>(l, b, i, span)
}

/// `bin` with its left operand read: reads the right one and applies the
/// operator (numbers first, then two strings, then everything else).
#[inline(always)]
fn bin_right<const OP: u8, B: Get>(l: Value, b: &B, i: &mut Interp, span: Span) -> R {
    let r = match b.get(i) {
        Ok(r) => r,
        Err(e) => return Err(drop_then(l, e)),
    };
    if let Some(v) = num_op(op_of(OP), &l, &r) {
        // Numbers own nothing: skip the out-of-line drop glue.
        std::mem::forget((l, r));
        return Ok(v);
    }
    if OP == ADD && matches!((&l, &r), (Value::Str(_), Value::Str(_))) {
        // Two strings (`a + b + c` of string values): straight to the
        // concatenation, past the operator dispatch of `ops::binary`.
        return concat_strs(l, r, i, span);
    }
    slow_binary(op_of(OP), l, r, i, span)
}

/// Drops the left operand when reading the right one failed, out of line.
#[cold]
#[inline(never)]
fn drop_then<E>(l: Value, e: E) -> E {
    drop(l);
    e
}

/// `l + r` of two strings, out of line: a recursive function's frame stays
/// as small as it was (`1 + f(n - 1)` compiles to `bin_any_any`).
#[inline(never)]
fn concat_strs(l: Value, r: Value, i: &mut Interp, span: Span) -> R {
    let r = ops::binary_owned(BinOp::Add, l, r, i.config.max_collection_len).map_err(|(_, e)| e.or_at(span).into());
    // A long concatenation counts its bytes at once (`meter::defer`).
    if i.must_settle() {
        return i.settle(r, span);
    }
    r
}

// ---- comparisons used as conditions ---------------------------------------

/// Compiles a comparison whose bool result feeds a condition.
pub(crate) fn lower_compare(op: BinOp, a: &Node, b: &Node, what: &'static str, span: Span) -> Cond {
    if !super::spec::on() {
        let (a, b) = (lower(a), lower(b));
        return Box::new(move |i| {
            let l = a.run(i)?;
            let r = b.run(i)?;
            slow_cond(op, l, r, i, what, span)
        });
    }
    if let Some(test) = super::peek::lower_place_compare(op, a, b, what, span) {
        return test;
    }
    lower_compare_shapes(op, a, b, what, span)
}

/// `lower_compare` past the comparison of places read in place (its fallback).
pub(super) fn lower_compare_shapes(op: BinOp, a: &Node, b: &Node, what: &'static str, span: Span) -> Cond {
    if let Some(test) = none_test(op, a, b) {
        return test;
    }
    // A string literal is an operand read in place too, here only: `cmp`
    // compares short strings where they are (`short_str_cmp`).
    let of = |n: &Node| match n {
        Node::Const(k @ Lit::Str(_)) => Opnd::Konst(super::lit_value(k)),
        n => Opnd::of(n),
    };
    match (of(a), of(b)) {
        (Opnd::Local(x), Opnd::Local(y)) => specialize2!(op, cmp(Local(x), Local(y), what, span)),
        (Opnd::Local(x), Opnd::Konst(y)) => specialize2!(op, cmp(Local(x), Konst(y), what, span)),
        (Opnd::Local(x), Opnd::Code(y)) => specialize2!(op, cmp(Local(x), y, what, span)),
        (Opnd::Konst(x), Opnd::Local(y)) => specialize2!(op, cmp(Konst(x), Local(y), what, span)),
        (Opnd::Konst(x), Opnd::Konst(y)) => specialize2!(op, cmp(Konst(x), Konst(y), what, span)),
        (Opnd::Konst(x), Opnd::Code(y)) => specialize2!(op, cmp(Konst(x), y, what, span)),
        (Opnd::Code(x), Opnd::Local(y)) => specialize2!(op, cmp(x, Local(y), what, span)),
        (Opnd::Code(x), Opnd::Konst(y)) => specialize2!(op, cmp(x, Konst(y), what, span)),
        (Opnd::Code(x), Opnd::Code(y)) => specialize2!(op, cmp(x, y, what, span)),
    }
}

/// `x == k`, `x != k` with `k` a constant (either way round): `none` is a
/// test of `x`'s tag; a string, bool or number is compared in place,
/// without cloning the constant (a walk no longer than the constant: not
/// metered). `x` is read in place when it is a local. (Equality never
/// fails.)
fn none_test(op: BinOp, a: &Node, b: &Node) -> Option<Cond> {
    let (x, k) = match (op, a, b) {
        (BinOp::Eq | BinOp::Ne, x, Node::Const(k)) | (BinOp::Eq | BinOp::Ne, Node::Const(k), x) => (x, k),
        _ => return None,
    };
    let want = op == BinOp::Eq;
    if let Lit::None = k {
        return Some(match x {
            Node::Local(s) => {
                let s = *s as usize;
                Box::new(move |i| Ok(i.stack[i.bp + s].is_none() == want))
            }
            x => {
                let x = lower(x);
                Box::new(move |i| {
                    let v = x.run(i)?;
                    let yes = v.is_none() == want;
                    super::discard(v);
                    Ok(yes)
                })
            }
        });
    }
    if let Lit::Str(t) = k {
        if t.len() >= crate::value::meter::BYTES_PER_OP {
            // Long enough for the general comparison to charge its walk.
            return None;
        }
    }
    let k = super::lit_value(k);
    Some(match x {
        Node::Local(s) => {
            let s = *s as usize;
            Box::new(move |i| Ok(values_equal(&i.stack[i.bp + s], &k) == want))
        }
        x => {
            let x = lower(x);
            Box::new(move |i| {
                let v = x.run(i)?;
                let yes = values_equal(&v, &k) == want;
                super::discard(v);
                Ok(yes)
            })
        }
    })
}

/// `x cmp y` on two ints or two floats (IEEE: any comparison with NaN but
/// `!=` is false, as in `ops`).
#[inline(always)]
pub(super) fn num_cmp(op: BinOp, l: &Value, r: &Value) -> Option<bool> {
    match (l, r) {
        (Value::Int(x), Value::Int(y)) => Some(int_cmp(op, *x, *y)),
        (Value::Float(x), Value::Float(y)) => Some(float_cmp(op, x.get(), y.get())),
        _ => None,
    }
}

/// `l op r` on two strings when the shorter is too short for the walk to
/// be charged (`BYTES_PER_OP`, as `compare_metered` charges it): bytes
/// order as code points do. `None` for anything else.
#[inline(always)]
pub(super) fn short_str_cmp(op: BinOp, l: &Value, r: &Value) -> Option<bool> {
    match (l, r) {
        (Value::Str(p), Value::Str(q)) if p.s.len().min(q.s.len()) < crate::value::meter::BYTES_PER_OP => {
            let o = p.s.as_bytes().cmp(q.s.as_bytes());
            Some(match op {
                BinOp::Lt => o.is_lt(),
                BinOp::Le => o.is_le(),
                BinOp::Gt => o.is_gt(),
                BinOp::Ge => o.is_ge(),
                BinOp::Eq => o.is_eq(),
                BinOp::Ne => o.is_ne(),
                _ => return None,
            })
        }
        _ => None,
    }
}

#[inline(always)]
fn cmp<const OP: u8, A: Get, B: Get>(a: A, b: B, what: &'static str, span: Span) -> Cond {
    Box::new(move |i| {
        if A::PEEK && B::PEEK {
            // Numbers, and two short strings, compared where they are (a
            // local or a literal), not copied out.
            if let (Some(l), Some(r)) = (a.peek(i), b.peek(i)) {
                if let Some(yes) = num_cmp(op_of(OP), l, r) {
                    return Ok(yes);
                }
                if let Some(yes) = short_str_cmp(op_of(OP), l, r) {
                    return Ok(yes);
                }
            }
        }
        let l = a.get(i)?;
        let r = match b.get(i) {
            Ok(r) => r,
            Err(e) => return Err(drop_then(l, e)),
        };
        if let Some(yes) = num_cmp(op_of(OP), &l, &r) {
            std::mem::forget((l, r));
            return Ok(yes);
        }
        if (OP == EQ || OP == NE) && l.is_scalar() && r.is_scalar() {
            // What `ops::binary` does for them, without its dispatch (a
            // comparison that walks its operands is metered: slow path).
            let yes = values_equal(&l, &r) == (OP == EQ);
            super::discard(l);
            super::discard(r);
            return Ok(yes);
        }
        slow_cond(op_of(OP), l, r, i, what, span)
    })
}

/// `if x < c { .. } else { .. }` with `x` a local and `c` an int constant
/// (the usual base case of a recursion): the comparison is done by the `if`
/// itself, without a separate condition closure.
pub(crate) fn lower_if_local_const(
    op: BinOp,
    s: u32,
    c: i64,
    then: Operand,
    otherwise: Option<Operand>,
    what: &'static str,
    span: Span,
) -> Code {
    specialize!(op, if_local_const(s as usize, c, then, otherwise, what, span))
}

fn if_local_const<const OP: u8>(
    s: usize,
    c: i64,
    then: Operand,
    otherwise: Option<Operand>,
    what: &'static str,
    span: Span,
) -> Code {
    code(move |i| {
        let yes = match i.stack[i.bp + s] {
            Value::Int(x) => int_cmp(op_of(OP), x, c),
            _ => slow_cond_local(op_of(OP), i, s, c, what, span)?,
        };
        if yes {
            then.run(i)
        } else {
            match &otherwise {
                Some(e) => e.run(i),
                None => Ok(Value::None),
            }
        }
    })
}

// ---- x op= e ---------------------------------------------------------------

/// `x op= r` on the local at stack index `at` (also `x = x + r`): ints in
/// place, strings and lists appended in place when unshared. On an error
/// the variable keeps its value.
#[inline(always)]
pub(crate) fn update_local(i: &mut Interp, op: BinOp, at: usize, r: Value, span: Span) -> R {
    if let Some(v) = num_op(op, &i.stack[at], &r) {
        // Both were numbers, which own nothing: no drop glue.
        std::mem::forget(std::mem::replace(&mut i.stack[at], v));
        std::mem::forget(r);
        return Ok(Value::None);
    }
    update_local_slow(i, op, at, r, span)
}

#[inline(never)]
pub(crate) fn update_local_slow(i: &mut Interp, op: BinOp, at: usize, r: Value, span: Span) -> R {
    let cur = std::mem::take(&mut i.stack[at]);
    match ops::binary_owned(op, cur, r, i.config.max_collection_len) {
        Ok(v) => {
            i.stack[at] = v;
            if i.must_settle() {
                return i.settle(Ok(Value::None), span);
            }
            Ok(Value::None)
        }
        Err((old, e)) => {
            i.stack[at] = old;
            Err(e.or_at(span).into())
        }
    }
}

/// Compiles `x op= rhs` for the local in slot `s`.
pub(crate) fn lower_compound_local(op: BinOp, s: usize, rhs: &Node, span: Span) -> Code {
    if op == BinOp::Add && super::spec::on() {
        if let Some(c) = super::concat::lower_append_str(s, rhs, span) {
            return c;
        }
    }
    if !super::spec::on() {
        let rhs = lower(rhs);
        return code(move |i| {
            let r = rhs.run(i)?;
            update_local_slow(i, op, i.bp + s, r, span)
        });
    }
    // A local right operand is read in place. (A constant one is not
    // specialized too: 19 more closures changed how the compiler split
    // and inlined unrelated call code, `fib` +8 % in instructions.)
    match rhs {
        Node::Local(y) => specialize_g!(op, compound_local [, _] (s, Local(*y as usize), span)),
        _ => specialize_g!(op, compound_local [, _] (s, lower(rhs), span)),
    }
}

/// `x op= y` on a local `x`: a local `y` is read in place (`total += v`:
/// no closure call for `v`); two numbers are combined in the slot.
fn compound_local<const OP: u8, B: Get>(s: usize, rhs: B, span: Span) -> Code {
    code(move |i| {
        if B::PEEK {
            if let Some(r) = rhs.peek(i) {
                if let Some(v) = num_op(op_of(OP), &i.stack[i.bp + s], r) {
                    // Both were numbers, which own nothing: no drop glue.
                    std::mem::forget(std::mem::replace(&mut i.stack[i.bp + s], v));
                    return Ok(Value::None);
                }
            }
            return compound_local_rest::<OP, B>(s, &rhs, i, span);
        }
        let r = rhs.get(i)?;
        update_local(i, op_of(OP), i.bp + s, r, span)
    })
}

/// `compound_local` past its fast path, out of line.
#[inline(never)]
fn compound_local_rest<const OP: u8, B: Get>(s: usize, rhs: &B, i: &mut Interp, span: Span) -> R {
    let r = rhs.get(i)?;
    update_local_slow(i, op_of(OP), i.bp + s, r, span)
}
