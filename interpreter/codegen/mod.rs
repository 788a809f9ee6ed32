//! Closure compilation: turns the resolved tree (`ir::Node`) into a tree of
//! Rust closures, one per node, each specialized for its operands when it is
//! compiled (a local slot, a constant, a comparison feeding an `if`). Running
//! code is calling the root closure; there is no `match` on node kinds at
//! run time, no name lookup, and leaf operands are read in place.
//!
//! `lower_fn` turns a compiled function (`compiler::FnIr`) into a
//! [`FnProto`]: its code, and the frame layout a call needs. The tree
//! itself is kept beside the code (it is what `code_hash` hashes).
//!
//! `arith` holds the operators' specialized forms, `concat` string `+`
//! chains.

mod arith;
mod boxes;
mod concat;
mod fields;
mod globals;
mod liveness;
mod peek;
mod place_calls;
pub mod spec;
mod tail;

use crate::ast::{BinOp, UnOp};
use crate::compiler::ir::{Lit, Node, PathStep, Place, StructDecl};
use crate::compiler::FnIr;
use crate::error::MemoError;
use crate::interp::index;
use crate::interp::{ops, CachedFn, Ctrl, Flow, Interp, R};
use crate::source::Span;
use crate::value::lend::{lend_arc, lend_value, Lent};
use crate::value::{Closure, NativeFn, RangeObj, StructType, Value};
use std::sync::Arc;

/// A function ready to run: its compiled body and what a call needs to set
/// up its frame (copied out of the `FnIr`, which the rest derefs to: name,
/// parameters, code identity, free variables).
#[derive(Debug)]
pub struct FnProto {
    /// The body compiled to closures: what runs.
    pub code: Code,
    /// Frame size: parameters, captured values, locals.
    pub nslots: u32,
    pub nparams: u32,
    /// Where each captured value lands in the frame.
    pub capture_slots: Box<[u32]>,
    /// Slot holding the closure itself (a local `fn` that calls itself).
    pub self_slot: Option<u32>,
    pub ir: Arc<FnIr>,
}

impl std::ops::Deref for FnProto {
    type Target = FnIr;
    fn deref(&self) -> &FnIr {
        &self.ir
    }
}

/// Lowers a compiled function (and, inside its code, every function nested
/// in it) to running code.
pub fn lower_fn(ir: &Arc<FnIr>) -> Arc<FnProto> {
    Arc::new(FnProto {
        code: liveness::with_last_uses(ir, || tail::lower_body(&ir.body)),
        nslots: ir.nslots,
        nparams: ir.params.len() as u32,
        capture_slots: ir.capture_slots.clone().into_boxed_slice(),
        self_slot: ir.self_slot,
        ir: ir.clone(),
    })
}

/// The value of a literal.
pub(crate) fn lit_value(l: &Lit) -> Value {
    match l {
        Lit::None => Value::None,
        Lit::Bool(b) => Value::bool(*b),
        Lit::Int(i) => Value::Int(*i),
        Lit::Float(f) => Value::float(*f),
        Lit::Str(s) => Value::str(&**s),
    }
}

/// The type value of a `struct` declaration (made once, when lowered).
fn struct_type(d: &StructDecl) -> Value {
    Value::Type(StructType::declare(d.name.clone(), d.fields.clone(), d.mutable))
}

/// Compiled code for one node.
pub struct Code(Box<dyn Fn(&mut Interp) -> R + Send + Sync>);

impl Code {
    #[inline(always)]
    pub(crate) fn run(&self, i: &mut Interp) -> R {
        (self.0)(i)
    }
}

impl std::fmt::Debug for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<code>")
    }
}

pub(crate) type Cond = Box<dyn Fn(&mut Interp) -> Result<bool, Ctrl> + Send + Sync>;

/// Stores `v` in a slot; skips the out-of-line drop when the old value is a
/// scalar (the common case for loop counters and accumulators).
#[inline(always)]
pub(crate) fn store(slot: &mut Value, v: Value) {
    if slot.is_scalar() {
        // Scalars own nothing: forgetting the old one is the same as dropping it.
        std::mem::forget(std::mem::replace(slot, v));
    } else {
        *slot = v;
    }
}

/// Drops a statement's value, inline for scalars.
#[inline(always)]
pub(crate) fn discard(v: Value) {
    if v.is_scalar() {
        std::mem::forget(v);
    } else {
        drop(v);
    }
}

pub(crate) fn code(f: impl Fn(&mut Interp) -> R + Send + Sync + 'static) -> Code {
    Code(Box::new(f))
}

/// A key of an assignment path, evaluated, its map searches counted (see
/// `Interp::charge_key`; the map's size is not known yet, so the largest
/// a map may have).
#[inline]
fn path_key(i: &mut Interp, c: &Code, span: Span) -> R {
    let k = c.run(i)?;
    let most = i.config.max_collection_len;
    i.charge_key(&k, most).map_err(|e| e.or_at(span))?;
    Ok(k)
}

fn err(kind: &str, msg: String, span: Span) -> Ctrl {
    Ctrl::error(MemoError::at(kind, msg, span))
}

fn not_bool(what: &'static str, v: &Value, span: Span) -> Ctrl {
    err("TypeError", format!("{what} must be a bool, got {} (memo has no truthiness: compare explicitly)", v.type_name()), span)
}

/// Does `n` read local `slot` anywhere (used to know when a value may be moved)?
fn reads_local(n: &Node, slot: u32) -> bool {
    let mut found = false;
    visit(n, &mut |m| {
        if let Node::Local(s) | Node::BoxGet(s) | Node::BoxSet(s, _) | Node::BoxCompound(_, s, _, _) = m {
            if *s == slot {
                found = true;
            }
        }
        if let Node::Closure(_, caps) | Node::CachedClosure(_, caps, _) = m {
            if caps.contains(&slot) {
                found = true;
            }
        }
    });
    found
}

/// Can evaluating `n` assign the frame slot `slot`?
pub(crate) fn writes_local(n: &Node, slot: u32) -> bool {
    let mut found = false;
    visit(n, &mut |m| {
        let target = match m {
            Node::SetLocal(s, _)
            | Node::CompoundLocal(_, s, _, _)
            | Node::For(s, _, _, _)
            | Node::Try(_, s, _)
            | Node::BoxNew(s, _)
            | Node::BoxWrap(s) => Some(*s),
            Node::SetPath { root: Place::Local(s), .. } => Some(*s),
            _ => None,
        };
        found |= target == Some(slot);
    });
    found
}

pub(super) fn visit(n: &Node, f: &mut dyn FnMut(&Node)) {
    f(n);
    match n {
        Node::SetLocal(_, a)
        | Node::DefineGlobal(_, a)
        | Node::SetGlobal(_, a, _)
        | Node::CompoundLocal(_, _, a, _)
        | Node::CompoundGlobal(_, _, a, _)
        | Node::Unary(_, a, _)
        | Node::Field(a, _, _)
        | Node::BoxNew(_, a)
        | Node::BoxSet(_, a)
        | Node::BoxCompound(_, _, a, _)
        | Node::Return(a) => visit(a, f),
        Node::Binary(_, a, b, _)
        | Node::And(a, b, _)
        | Node::Or(a, b, _)
        | Node::Range(a, b, _, _)
        | Node::Index(a, b, _)
        | Node::While(a, b, _)
        | Node::For(_, a, b, _)
        | Node::Try(a, _, b) => {
            visit(a, f);
            visit(b, f);
        }
        Node::SetPath { path, value, .. } => {
            for p in path {
                if let PathStep::Index(i) = p {
                    visit(i, f);
                }
            }
            visit(value, f);
        }
        Node::SetPathOn { target, path, value, .. } => {
            visit(value, f);
            visit(target, f);
            for p in path {
                if let PathStep::Index(i) = p {
                    visit(i, f);
                }
            }
        }
        Node::List(xs, _) | Node::Block(xs) => xs.iter().for_each(|x| visit(x, f)),
        Node::Map(kv, _) => kv.iter().for_each(|(k, v)| {
            visit(k, f);
            visit(v, f)
        }),
        Node::Call(c, args, _) => {
            visit(c, f);
            args.iter().for_each(|x| visit(x, f));
        }
        Node::CallNamed(c, args, _) => {
            visit(c, f);
            args.iter().for_each(|(_, x)| visit(x, f));
        }
        Node::If(c, t, e, _) => {
            visit(c, f);
            visit(t, f);
            if let Some(e) = e {
                visit(e, f);
            }
        }
        Node::CachedClosure(_, _, opts) => opts.iter().for_each(|(_, x, _)| visit(x, f)),
        Node::Const(_)
        | Node::Local(_)
        | Node::Global(..)
        | Node::Break
        | Node::Continue
        | Node::Closure(..)
        | Node::Struct(_)
        | Node::BoxWrap(_)
        | Node::BoxGet(_)
        | Node::Import(..) => {}
    }
}

/// `{"id": i, "name": n}`: string-constant keys, all different
/// (`record_keys`), so their order is known now; the values go straight into
/// their sorted places (no search per key), and every map the literal makes
/// shares its keys (a `Shape`). Values run in source order.
fn lower_record(keys: Vec<Value>, pairs: &[(Node, Node)], span: Span) -> Option<Code> {
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
    let mut place = vec![0; keys.len()];
    for (at, &j) in order.iter().enumerate() {
        place[j] = at;
    }
    let sorted: Vec<Value> = order.iter().map(|&j| keys[j].clone()).collect();
    let shape = crate::value::map::Shape::new(&sorted)?;
    let values: Vec<(Code, usize)> = pairs.iter().zip(place).map(|((_, v), at)| (lower(v), at)).collect();
    Some(code(move |i| {
        let mut m: Box<[Value]> = (0..values.len()).map(|_| Value::None).collect();
        for (v, at) in &values {
            let v = v.run(i)?;
            crate::value::check_child(&v).map_err(|e| e.or_at(span))?;
            // The slot holds a `none`: no drop glue for it.
            std::mem::forget(std::mem::replace(&mut m[*at], v));
        }
        Ok(Value::map(crate::value::ValueMap::shaped(shape.clone(), m)))
    }))
}

/// The keys of a map literal that is a record: 1 to `SMALL` entries whose
/// keys are string constants, no two the same.
fn record_keys(pairs: &[(Node, Node)]) -> Option<Vec<Value>> {
    if pairs.is_empty() || pairs.len() > crate::value::map::SMALL {
        return None;
    }
    let mut keys = Vec::with_capacity(pairs.len());
    for (k, _) in pairs {
        match k {
            Node::Const(Lit::Str(s)) => {
                let v = Value::str(&**s);
                if keys.contains(&v) {
                    return None;
                }
                keys.push(v)
            }
            _ => return None,
        }
    }
    Some(keys)
}

/// An operand whose usual forms are evaluated in place, without calling a
/// closure: a local read (the base case of a recursion, `if n < 2 { n }`),
/// and a local plus or minus an int constant (the argument of a recursive
/// call, `f(n - 1)`). Used for `if` branches and call arguments.
pub(crate) enum Operand {
    Local(usize),
    /// The local's last use (`liveness`): its value is moved, not copied.
    LocalMove(usize),
    /// A literal (`none`, a number, a string).
    Const(Value),
    /// `local + delta` (`local - c` is stored with `delta = -c`); `op` and
    /// `c` are the source's, for the slow path and its errors.
    LocalPlus {
        s: usize,
        delta: i64,
        op: BinOp,
        c: i64,
        span: Span,
    },
    Code(Code),
}

impl Operand {
    /// Two operands for one expression, compiled once: code is shared.
    pub(crate) fn twice(n: &Node) -> (Operand, Operand) {
        match Operand::of(n) {
            Operand::Code(c) => {
                let a = Arc::new(c);
                let b = a.clone();
                (Operand::Code(code(move |i| a.run(i))), Operand::Code(code(move |i| b.run(i))))
            }
            // A slot read, or a slot plus a constant: nothing compiled.
            simple => (simple, Operand::of(n)),
        }
    }

    pub(crate) fn of(n: &Node) -> Operand {
        if !spec::on() {
            return Operand::Code(lower(n));
        }
        match n {
            Node::Local(s) if liveness::is_last_use(n) => Operand::LocalMove(*s as usize),
            Node::Local(s) => Operand::Local(*s as usize),
            Node::Const(l) => Operand::Const(lit_value(l)),
            Node::Block(xs) if xs.len() == 1 => Operand::of(&xs[0]),
            Node::Binary(op @ (BinOp::Add | BinOp::Sub), a, b, span) => match (&**a, &**b) {
                (Node::Local(s), Node::Const(Lit::Int(c))) if *c != i64::MIN => {
                    let delta = if *op == BinOp::Add { *c } else { -*c };
                    Operand::LocalPlus { s: *s as usize, delta, op: *op, c: *c, span: *span }
                }
                _ => Operand::Code(lower(n)),
            },
            n => Operand::Code(lower(n)),
        }
    }

    #[inline(always)]
    pub(crate) fn run(&self, i: &mut Interp) -> R {
        match self {
            Operand::Local(s) => Ok(i.stack[i.bp + s].clone_fast()),
            Operand::LocalMove(s) => Ok(std::mem::take(&mut i.stack[i.bp + s])),
            Operand::Const(v) => Ok(v.clone_fast()),
            Operand::LocalPlus { s, delta, op, c, span } => {
                if let Value::Int(x) = i.stack[i.bp + s] {
                    if let Some(v) = x.checked_add(*delta) {
                        return Ok(Value::Int(v));
                    }
                }
                arith::slow_local_const(*op, i, *s, *c, *span)
            }
            Operand::Code(c) => c.run(i),
        }
    }
}

/// Compiles a node.
pub fn lower(n: &Node) -> Code {
    match n {
        Node::Const(l) => {
            let v = lit_value(l);
            code(move |_| Ok(v.clone()))
        }
        Node::Local(s) => {
            let s = *s as usize;
            code(move |i| Ok(i.stack[i.bp + s].clone_fast()))
        }
        Node::Global(g, span) => {
            let (g, span) = (*g, *span);
            code(move |i| i.read_global(g, span))
        }
        Node::SetLocal(s, v) => lower_set_local(*s, v),
        Node::DefineGlobal(g, v) => {
            let (g, v) = (*g, lower(v));
            code(move |i| {
                let v = v.run(i)?;
                i.define_global_id(g, v);
                Ok(Value::None)
            })
        }
        Node::SetGlobal(g, v, span) => globals::lower_set_global(*g, v, *span),
        Node::CompoundLocal(op, s, rhs, span) => arith::lower_compound_local(*op, *s as usize, rhs, *span),
        Node::CompoundGlobal(op, g, rhs, span) => {
            let (op, g, rhs, span) = (*op, *g, lower(rhs), *span);
            code(move |i| {
                let r = rhs.run(i)?;
                let cur = match i.globals.get_mut(g as usize) {
                    Some(Some(v)) => std::mem::take(v),
                    _ => return i.read_global(g, span),
                };
                match ops::binary_owned(op, cur, r, i.config.max_collection_len) {
                    Ok(v) => {
                        let r = i.write_global(g, v, span);
                        if i.must_settle() {
                            return i.settle(r, span);
                        }
                        r
                    }
                    Err((old, e)) => {
                        i.globals[g as usize] = Some(old);
                        Err(e.or_at(span).into())
                    }
                }
            })
        }
        Node::SetPath { root, path, op, value, span } => fields::lower_set_path(*root, path, *op, value, *span),
        Node::SetPathOn { target, path, op, value, span } => fields::lower_set_path_on(target, path, *op, value, *span),
        Node::Unary(UnOp::Neg, x, span) => {
            let (x, span) = (lower(x), *span);
            code(move |i| ops::negate(x.run(i)?).map_err(|e| e.or_at(span).into()))
        }
        Node::Unary(UnOp::BitNot, x, span) => {
            let (x, span) = (lower(x), *span);
            code(move |i| ops::bit_not(x.run(i)?).map_err(|e| e.or_at(span).into()))
        }
        Node::Unary(UnOp::Not, _, _) | Node::And(..) | Node::Or(..) => {
            let c = lower_cond(n, "the operand");
            code(move |i| Ok(Value::bool(c(i)?)))
        }
        Node::Binary(op, a, b, span) => arith::lower_binary(*op, a, b, *span),
        Node::List(items, span) => {
            // Elements as operands: a local or a literal read without a
            // closure call, a local's last use moved in.
            let (items, span) = (items.iter().map(Operand::of).collect::<Vec<Operand>>(), *span);
            code(move |i| {
                if items.len() > i.config.max_collection_len {
                    return Err(ops::too_large("list", items.len(), i.config.max_collection_len).or_at(span).into());
                }
                // The list's facts (may it mutate, its depth) gathered as
                // its elements come, not in a second pass.
                let mut v = crate::value::ListBuilder::with_capacity(items.len());
                for c in &items {
                    let x = c.run(i)?;
                    crate::value::check_child(&x).map_err(|e| e.or_at(span))?;
                    v.push(x);
                }
                Ok(v.finish())
            })
        }
        Node::Map(pairs, span) => {
            if let Some(c) = record_keys(pairs).filter(|_| spec::on()).and_then(|keys| lower_record(keys, pairs, *span)) {
                return c;
            }
            let pairs: Vec<(Code, Code)> = pairs.iter().map(|(k, v)| (lower(k), lower(v))).collect();
            let span = *span;
            code(move |i| {
                if pairs.len() > i.config.max_collection_len {
                    return Err(ops::too_large("map", pairs.len(), i.config.max_collection_len).or_at(span).into());
                }
                let mut m = crate::value::ValueMap::with_capacity(pairs.len());
                for (k, v) in &pairs {
                    let k = k.run(i)?;
                    ops::check_key(&k).map_err(|e| e.or_at(span))?;
                    i.charge_key(&k, pairs.len()).map_err(|e| e.or_at(span))?;
                    let v = v.run(i)?;
                    crate::value::check_child(&k).and_then(|_| crate::value::check_child(&v)).map_err(|e| e.or_at(span))?;
                    m.insert(k, v);
                }
                Ok(Value::map(m))
            })
        }
        Node::Range(a, b, inclusive, span) => {
            let (a, b, inclusive, span) = (lower(a), lower(b), *inclusive, *span);
            code(move |i| Ok(Value::Range(Arc::new(range_of(i, &a, &b, inclusive, span)?))))
        }
        Node::Call(callee, args, span) => lower_call(callee, args, *span, None),
        Node::CallNamed(callee, args, span) => {
            let callee = lower(callee);
            let args: Vec<(Option<String>, Code)> = args.iter().map(|(n, a)| (n.clone(), lower(a))).collect();
            let span = *span;
            code(move |i| {
                let f = callee.run(i)?;
                let mut vals = Vec::with_capacity(args.len());
                let mut names = Vec::with_capacity(args.len());
                for (name, a) in &args {
                    vals.push(a.run(i)?);
                    names.push(name.clone());
                }
                match &f {
                    Value::Type(t) => {
                        let t = t.clone();
                        crate::interp::convert::call_type(i, &t, &mut vals, &names).map_err(|e| e.or_at(span).into())
                    }
                    other => Err(err(
                        "TypeError",
                        format!("named arguments are only accepted by struct constructors, not by a {}", other.type_name()),
                        span,
                    )),
                }
            })
        }
        Node::Index(t, ix_node, span) => {
            let span = *span;
            if let (Node::Local(s), true) = (&**t, spec::on()) {
                // `m["k" + str(i)]`: the key looked up without a string.
                if let Some(c) = concat::lower_index_local(*s as usize, ix_node, span) {
                    return c;
                }
            }
            if let Node::Field(x, name, field_span) = &**t {
                if let Node::Local(s) = **x {
                    if let Some(c) = fields::lower_index_field(s, name, *field_span, ix_node, span) {
                        return c;
                    }
                }
            }
            if let (Node::Local(s), true) = (&**t, spec::on()) {
                // Index a local in place (no clone of the container); a list
                // by an int inline, and a local index read in place.
                let s = *s as usize;
                if let Node::Range(a, b, inclusive, rspan) = &**ix_node {
                    return lower_slice_local(s, a, b, *inclusive, *rspan, span);
                }
                if let Node::Local(k) = **ix_node {
                    let k = k as usize;
                    return code(move |i| {
                        if let (Value::List(l), Value::Int(n)) = (&i.stack[i.bp + s], &i.stack[i.bp + k]) {
                            if let Some(v) = list_item(l, *n) {
                                return Ok(v.clone_fast());
                            }
                        }
                        let key = i.stack[i.bp + k].clone();
                        index_local(i, s, key, span)
                    });
                }
                let ix = lower(ix_node);
                return code(move |i| {
                    let key = ix.run(i)?;
                    if let (Value::List(l), Value::Int(n)) = (&i.stack[i.bp + s], &key) {
                        if let Some(v) = list_item(l, *n) {
                            return Ok(v.clone_fast());
                        }
                    }
                    index_local(i, s, key, span)
                });
            }
            let ix = lower(ix_node);
            let t = lower(t);
            code(move |i| {
                let t = t.run(i)?;
                let k = ix.run(i)?;
                index_charged(i, &t, &k, span)
            })
        }
        Node::Field(t, f, span) => fields::lower_field(t, f, *span),
        Node::If(c, t, e, _) => {
            const WHAT: &str = "an `if` condition";
            if let (Node::Binary(op, a, b, span), true) = (&**c, spec::on()) {
                if let (true, Node::Local(s), Node::Const(Lit::Int(k))) = (arith::is_cmp(*op), &**a, &**b) {
                    let e = e.as_ref().map(|e| Operand::of(e));
                    return arith::lower_if_local_const(*op, *s, *k, Operand::of(t), e, WHAT, *span);
                }
            }
            let c = lower_cond(c, WHAT);
            let t = lower(t);
            match e {
                Some(e) => {
                    let e = lower(e);
                    code(move |i| if c(i)? { t.run(i) } else { e.run(i) })
                }
                None => code(move |i| if c(i)? { t.run(i) } else { Ok(Value::None) }),
            }
        }
        Node::Block(stmts) => {
            let mut codes: Vec<Code> = stmts.iter().map(lower).collect();
            match codes.len() {
                0 => code(|_| Ok(Value::None)),
                1 => codes.pop().unwrap(),
                _ => {
                    let last = codes.pop().unwrap();
                    code(move |i| {
                        for c in &codes {
                            discard(c.run(i)?);
                        }
                        last.run(i)
                    })
                }
            }
        }
        Node::While(c, body, span) => {
            let span = *span;
            let c = lower_cond(c, "a `while` condition");
            let body = lower(body);
            code(move |i| {
                loop {
                    i.step().map_err(|e| e.or_at(span))?;
                    if !c(i)? {
                        break;
                    }
                    if let Err(c) = body.run(i) {
                        match i.take(c) {
                            Flow::Continue => {}
                            Flow::Break => break,
                            f => return Err(i.raise(f)),
                        }
                    }
                }
                Ok(Value::None)
            })
        }
        Node::For(slot, it, body, span) => lower_for(*slot, it, body, *span),
        Node::Break => code(|i| Err(i.raise(Flow::Break))),
        Node::Continue => code(|i| Err(i.raise(Flow::Continue))),
        Node::Return(v) => {
            let v = lower(v);
            code(move |i| {
                let v = v.run(i)?;
                Err(i.raise(Flow::Return(v)))
            })
        }
        Node::Closure(ir, caps) => {
            let (proto, caps) = (lower_fn(ir), caps.clone());
            code(move |i| {
                let captures: Box<[Value]> = caps.iter().map(|s| i.stack[i.bp + *s as usize].clone()).collect();
                Ok(Value::Func(Arc::new(Closure { proto: proto.clone(), captures, cached: None })))
            })
        }
        Node::CachedClosure(ir, caps, opts) => {
            let (proto, caps) = (lower_fn(ir), caps.clone());
            let opts: Vec<(String, Code, Span)> = opts.iter().map(|(n, v, s)| (n.clone(), lower(v), *s)).collect();
            code(move |i| {
                let captures: Box<[Value]> = caps.iter().map(|s| i.stack[i.bp + *s as usize].clone()).collect();
                let mut evaluated = Vec::with_capacity(opts.len());
                for (name, v, span) in &opts {
                    evaluated.push((name.clone(), v.run(i)?, *span));
                }
                let cached = Arc::new(CachedFn::new(&proto.name, evaluated)?);
                let clo = Arc::new(Closure { proto: proto.clone(), captures, cached: Some(cached) });
                let m = i.memoizer;
                m.declared(i, &clo);
                Ok(Value::Func(clo))
            })
        }
        Node::Try(body, slot, handler) => {
            let (body, slot, handler) = (lower(body), *slot as usize, lower(handler));
            code(move |i| {
                let (depth, height, bp) = (i.depth, i.stack.len(), i.bp);
                match body.run(i) {
                    Err(c) if i.unwinding_error() => match i.take(c) {
                        // An interrupt (Ctrl-C, a host) or a spent operation or
                        // memory budget is not the script's to catch: it must end the run.
                        Flow::Error(e) if e.kind.catchable() && !i.budget_spent() => {
                            i.depth = depth;
                            i.stack.truncate(height);
                            i.bp = bp;
                            let v = i.error_value(&e);
                            i.stack[bp + slot] = v;
                            handler.run(i)
                        }
                        f => Err(i.raise(f)),
                    },
                    other => other,
                }
            })
        }
        Node::Struct(decl) => {
            let v = struct_type(decl);
            code(move |_| Ok(v.clone()))
        }
        Node::Import(path, span) => {
            let (path, span) = (path.clone(), *span);
            code(move |i| i.import(&path, span))
        }
        Node::BoxNew(..) | Node::BoxWrap(_) | Node::BoxGet(_) | Node::BoxSet(..) | Node::BoxCompound(..) => boxes::lower_box(n),
    }
}

fn cond_span(n: &Node) -> Span {
    match n {
        Node::Binary(_, _, _, s) | Node::And(_, _, s) | Node::Or(_, _, s) | Node::Unary(_, _, s) => *s,
        Node::Global(_, s) | Node::Call(_, _, s) | Node::Index(_, _, s) | Node::Field(_, _, s) => *s,
        _ => Span::default(),
    }
}

/// Compiles a node whose value must be a bool (conditions, `and`, `or`,
/// `not`), with int comparisons of locals and constants done in place.
fn lower_cond(n: &Node, what: &'static str) -> Cond {
    match n {
        Node::Binary(op, a, b, span) if arith::is_cmp(*op) => arith::lower_compare(*op, a, b, what, *span),
        Node::And(a, b, span) => {
            let span = *span;
            let (a, b) =
                (lower_cond_named(a, "the left operand of `and`", span), lower_cond_named(b, "the right operand of `and`", span));
            Box::new(move |i| Ok(a(i)? && b(i)?))
        }
        Node::Or(a, b, span) => {
            let span = *span;
            let (a, b) =
                (lower_cond_named(a, "the left operand of `or`", span), lower_cond_named(b, "the right operand of `or`", span));
            Box::new(move |i| Ok(a(i)? || b(i)?))
        }
        Node::Unary(UnOp::Not, x, span) => {
            let x = lower_cond_named(x, "the operand of `not`", *span);
            Box::new(move |i| Ok(!x(i)?))
        }
        Node::Const(Lit::Bool(b)) => {
            let b = *b;
            Box::new(move |_| Ok(b))
        }
        _ => {
            let span = cond_span(n);
            let c = lower(n);
            Box::new(move |i| as_bool(c.run(i)?, what, span))
        }
    }
}

fn lower_cond_named(n: &Node, what: &'static str, span: Span) -> Cond {
    match n {
        Node::Binary(..) | Node::And(..) | Node::Or(..) | Node::Unary(UnOp::Not, ..) | Node::Const(Lit::Bool(_)) => {
            lower_cond(n, what)
        }
        _ => {
            let c = lower(n);
            Box::new(move |i| as_bool(c.run(i)?, what, span))
        }
    }
}

#[inline]
pub(crate) fn as_bool(v: Value, what: &'static str, span: Span) -> Result<bool, Ctrl> {
    match v {
        Value::Bool(b) => Ok(b.get()),
        other => Err(not_bool(what, &other, span)),
    }
}

/// `x = e`; `x = f(x, ...)` and `x = x + e` move `x` out of its slot so an
/// unshared string, list or map is updated in place (amortized O(1) appends).
fn lower_set_local(s: u32, v: &Node) -> Code {
    let slot = s as usize;
    if !spec::on() {
        let v = lower(v);
        return code(move |i| {
            let v = v.run(i)?;
            let at = i.bp + slot;
            store(&mut i.stack[at], v);
            Ok(Value::None)
        });
    }
    match v {
        // `xs = push(xs, e)`, the way lists are built: while the global
        // `push` is the standard one and `xs` holds a list, `e` is appended
        // to the variable's list straight away (no argument buffer, no
        // native call). Anything else takes the ordinary call below.
        Node::Call(callee, args, span)
            if args.len() == 2
                && matches!(**callee, Node::Global(g, _) if crate::names::name_of(g) == "push")
                && matches!(args[0], Node::Local(a) if a == s)
                && !reads_local(&args[1], s)
                && !writes_local(&args[1], s) =>
        {
            let Node::Global(g, _) = **callee else { unreachable!("matched above") };
            // `v` is compiled once, shared by the fast path and the call.
            let (elem, again) = Operand::twice(&args[1]);
            let span = *span;
            let call = lower_call_with(callee, vec![Operand::of(&args[0]), again], args, span, Some(s));
            code(move |i| {
                let at = i.bp + slot;
                if i.is_builtin(g, crate::interp::Builtin::Push) && matches!(i.stack[at], Value::List(_)) {
                    let v = elem.run(i)?;
                    let max = i.config.max_collection_len;
                    // `e` neither reads nor assigns `xs`: the slot still holds the list.
                    return match &mut i.stack[i.bp + slot] {
                        Value::List(l) => match crate::interp::ops::push_onto(l, v, max) {
                            Ok(()) => Ok(Value::None),
                            Err(e) => Err(e.or_at(span).into()),
                        },
                        _ => {
                            Err(err("InternalError", "the list of `xs = push(xs, v)` changed while v was computed".into(), span))
                        }
                    };
                }
                let v = call.run(i)?;
                let at = i.bp + slot;
                store(&mut i.stack[at], v);
                Ok(Value::None)
            })
        }
        Node::Call(callee, args, span)
            if matches!(args.first(), Some(Node::Local(a)) if *a == s)
                && !args[1..].iter().any(|x| reads_local(x, s))
                && !reads_local(callee, s) =>
        {
            let call = lower_call(callee, args, *span, Some(s));
            code(move |i| {
                let v = call.run(i)?;
                let at = i.bp + slot;
                store(&mut i.stack[at], v);
                Ok(Value::None)
            })
        }
        Node::Binary(BinOp::Add, a, b, span) if matches!(**a, Node::Local(x) if x == s) && !reads_local(b, s) => {
            let (b, span) = (lower(b), *span);
            code(move |i| {
                let r = b.run(i)?;
                arith::update_local(i, BinOp::Add, i.bp + slot, r, span)
            })
        }
        _ => {
            let v = lower(v);
            code(move |i| {
                let v = v.run(i)?;
                let at = i.bp + slot;
                store(&mut i.stack[at], v);
                Ok(Value::None)
            })
        }
    }
}

/// Arguments of a native call live here (no allocation for up to 6).
const INLINE_ARGS: usize = 6;

/// The argument buffer of a native or type call: inline for a few
/// arguments, on the heap beyond that.
struct ArgBuf {
    /// Only the first `used` are ever written; the rest stay `none`.
    inline: std::mem::ManuallyDrop<[Value; INLINE_ARGS]>,
    used: usize,
    heap: Vec<Value>,
}

impl ArgBuf {
    #[inline(always)]
    fn new() -> ArgBuf {
        ArgBuf { inline: Default::default(), used: 0, heap: Vec::new() }
    }

    #[inline(always)]
    fn slice(&mut self, n: usize) -> &mut [Value] {
        if n <= INLINE_ARGS {
            self.used = n;
            &mut self.inline[..n]
        } else {
            self.heap.resize(n, Value::None);
            &mut self.heap[..]
        }
    }
}

impl Drop for ArgBuf {
    #[inline(always)]
    fn drop(&mut self) {
        // The slots past `used` were never written (all `none`): only the
        // used ones can own anything, and scalars are released inline.
        for v in &mut self.inline[..self.used] {
            discard(std::mem::take(v));
        }
    }
}

/// A callee: an owned value, or a lent copy of a global native or type
/// (see `call_code`, `value::lend`), which is never dropped.
enum CalleeValue {
    Owned(Value),
    Lent(Lent<Value>),
}

impl std::ops::Deref for CalleeValue {
    type Target = Value;
    #[inline(always)]
    fn deref(&self) -> &Value {
        match self {
            CalleeValue::Owned(v) => v,
            CalleeValue::Lent(v) => v,
        }
    }
}

/// `t[k]`, a map's search counted first.
pub(crate) fn index_charged(i: &mut Interp, t: &Value, k: &Value, span: Span) -> R {
    if let Value::Map(m) = t {
        i.charge_key(k, m.map.len()).map_err(|e| e.or_at(span))?;
    }
    index::index(t, k).map_err(|e| e.or_at(span).into())
}

/// A call. With `move_first`, the first argument is the local of that slot
/// and a native callee receives it moved (the caller assigns the result back).
fn lower_call(callee: &Node, args_nodes: &[Node], span: Span, move_first: Option<u32>) -> Code {
    if move_first.is_none() {
        if let Some(c) = place_calls::lower_place_call(callee, args_nodes, span) {
            return c;
        }
    }
    let args: Vec<Operand> = args_nodes.iter().map(Operand::of).collect();
    lower_call_with(callee, args, args_nodes, span, move_first)
}

/// `f(arg)` with its argument already compiled (`concat`'s `str(x)`, whose
/// argument also has a fast path of its own: compiling it twice would
/// double the work at every level of nesting).
pub(crate) fn lower_call_of(callee: &Node, arg: Operand, arg_node: &Node, span: Span) -> Code {
    lower_call_with(callee, vec![arg], std::slice::from_ref(arg_node), span, None)
}

/// The range `a..b` (`a..=b`): its bounds evaluated, in order.
#[inline(always)]
pub(crate) fn range_of(i: &mut Interp, a: &Code, b: &Code, inclusive: bool, span: Span) -> Result<RangeObj, Ctrl> {
    match (a.run(i)?, b.run(i)?) {
        (Value::Int(start), Value::Int(end)) => Ok(RangeObj { start, end, inclusive }),
        (a, b) => Err(err("TypeError", format!("range bounds must be ints, got {} and {}", a.type_name(), b.type_name()), span)),
    }
}

/// `xs[a..b]` on a local: the bounds evaluated, the local sliced where it
/// is (`index::slice`), without making a range value; anything but a
/// list, string or range (a map's range key) takes `index_local`.
fn lower_slice_local(s: usize, a: &Node, b: &Node, inclusive: bool, rspan: Span, span: Span) -> Code {
    let (a, b) = (lower(a), lower(b));
    code(move |i| {
        let r = range_of(i, &a, &b, inclusive, rspan)?;
        match index::slice(&i.stack[i.bp + s], &r) {
            Some(v) => v.map_err(|e| e.or_at(span).into()),
            None => index_local(i, s, Value::Range(Arc::new(r)), span),
        }
    })
}

/// Item `n` of a list, counting from the end when negative; `None` out of
/// range (the general path then gives the error).
#[inline(always)]
fn list_item(l: &crate::value::ListObj, n: i64) -> Option<&Value> {
    let len = l.items.len();
    let k = if n < 0 { n.checked_add(len as i64)? } else { n };
    l.items.get(usize::try_from(k).ok()?)
}

/// `local[key]` past the list fast path: maps charge their key's work.
#[inline(never)]
fn index_local(i: &mut Interp, s: usize, key: Value, span: Span) -> R {
    if let Value::Map(m) = &i.stack[i.bp + s] {
        i.charge_key(&key, m.map.len()).map_err(|e| e.or_at(span))?;
    }
    index::index(&i.stack[i.bp + s], &key).map_err(|e| e.or_at(span).into())
}

fn lower_call_with(callee: &Node, args: Vec<Operand>, args_nodes: &[Node], span: Span, move_first: Option<u32>) -> Code {
    let callee_code = lower(callee);
    let named = if let Node::Global(g, _) = callee { Some(*g) } else { None };
    // A global is borrowed for the call unless scripts assign it: then the
    // call takes a reference count, and a replaced function is freed at
    // once (`Interp::bury`).
    let site = named.and_then(crate::names::lend_site);
    let global = site.as_ref().and(named);
    // A function in a local (a parameter, a captured function) is borrowed
    // from its slot when no argument can reassign that slot.
    let local = match callee {
        Node::Local(s) if move_first.is_none() && !args_nodes.iter().any(|a| writes_local(a, *s)) => Some(*s),
        _ => None,
    };
    let callee = Callee { global, local, named, _site: site };
    // A fixed-size array for the usual argument counts lets the compiler
    // unroll the argument loops.
    fn fixed<const N: usize>(args: Vec<Operand>) -> [Operand; N] {
        args.try_into().unwrap_or_else(|_| unreachable!("argument count checked by the caller"))
    }
    match args.len() {
        0 => call_code(fixed::<0>(args), callee_code, callee, span, move_first),
        1 => call_code(fixed::<1>(args), callee_code, callee, span, move_first),
        2 => call_code(fixed::<2>(args), callee_code, callee, span, move_first),
        3 => call_code(fixed::<3>(args), callee_code, callee, span, move_first),
        _ => call_code(args.into_boxed_slice(), callee_code, callee, span, move_first),
    }
}

/// What is known about a callee when its call is compiled.
struct Callee {
    /// The callee is this global.
    global: Option<u32>,
    /// The callee is this frame slot, and no argument can assign it.
    local: Option<u32>,
    /// The callee is this global (for errors; `global` is `None` when
    /// the call does not borrow it).
    named: Option<u32>,
    /// Counts this call among those borrowing `global` while it lives.
    _site: Option<crate::names::LendSite>,
}

/// Pushes the arguments of a call; the stack height before them (the new
/// frame's base), or the first error (with the stack back at that height).
#[cfg_attr(not(debug_assertions), inline(always))]
fn push_args(i: &mut Interp, args: &[Operand]) -> Result<usize, Ctrl> {
    let base = i.stack.len();
    for a in args.iter() {
        // Each form pushes its value itself: an int is stored into its slot
        // as it is made, never through a temporary `Result` copied with one
        // wide load (a store-forwarding stall on every call).
        let r = match a {
            Operand::LocalPlus { s, delta, .. } => {
                if let Value::Int(x) = i.stack[i.bp + s] {
                    if let Some(v) = x.checked_add(*delta) {
                        i.stack.push(Value::Int(v));
                        continue;
                    }
                }
                a.run(i)
            }
            Operand::Local(s) => {
                let v = i.stack[i.bp + s].clone_fast();
                i.stack.push(v);
                continue;
            }
            Operand::LocalMove(s) => {
                let v = std::mem::take(&mut i.stack[i.bp + s]);
                i.stack.push(v);
                continue;
            }
            Operand::Const(v) => {
                i.stack.push(v.clone_fast());
                continue;
            }
            Operand::Code(c) => c.run(i),
        };
        match r {
            Ok(v) => i.stack.push(v),
            Err(e) => {
                i.stack.truncate(base);
                return Err(e);
            }
        }
    }
    Ok(base)
}

/// Calls a closure borrowed from a global or a slot: the arguments on the
/// stack, then the body (inlined for the common case).
#[inline(always)]
fn call_borrowed(i: &mut Interp, clo: &Arc<Closure>, args: &[Operand], span: Span) -> R {
    let base = push_args(i, args)?;
    if clo.cached.is_none() && clo.proto.params.len() == args.len() {
        return i.call_plain(clo, base, span);
    }
    i.call_closure(clo, base, span)
}

fn call_code<A: AsRef<[Operand]> + Send + Sync + 'static>(
    args: A,
    callee_code: Code,
    callee: Callee,
    span: Span,
    move_first: Option<u32>,
) -> Code {
    let Callee { global, local, named, _site: site } = callee;
    code(move |i| {
        // The closure owns the site (it counts while the code lives).
        let _site = &site;
        let args = args.as_ref();
        if let Some(g) = global {
            if let Some(Some(Value::Func(clo))) = i.globals.get(g as usize) {
                // SAFETY: the global's closure outlives the call: `Interp::bury`
                // keeps replaced globals while `lends` counts a call in
                // progress (value::lend, rule 2).
                let clo = unsafe { lend_arc(clo) };
                i.lends += 1;
                let r = call_borrowed(i, &clo, args, span);
                i.end_lend();
                return r;
            }
        }
        if let Some(s) = local {
            if let Value::Func(clo) = &i.stack[i.bp + s as usize] {
                // SAFETY: the slot's own `Arc` outlives the call: no argument
                // assigns the slot (`writes_local`, checked when compiling),
                // the callee runs in frames above this one, and this frame is
                // popped only after the call returns. (The stack may move as
                // it grows; the closure does not.)
                let clo = unsafe { lend_arc(clo) };
                return call_borrowed(i, &clo, args, span);
            }
        }
        let f = match global {
            Some(g) => match i.globals.get(g as usize) {
                // SAFETY: a replaced native or type is kept alive by
                // `Interp::bury`, as global functions are (value::lend).
                Some(Some(v @ (Value::Native(_) | Value::Type(_)))) => CalleeValue::Lent(unsafe { lend_value(v) }),
                Some(Some(v)) => CalleeValue::Owned(v.clone()),
                _ => CalleeValue::Owned(callee_code.run(i)?),
            },
            None => CalleeValue::Owned(callee_code.run(i)?),
        };
        let lent = matches!(f, CalleeValue::Lent(_));
        if lent {
            i.lends += 1;
        }
        // A closure, so that every way out of the call ends the loan.
        let r = (|i: &mut Interp| -> Result<Value, Ctrl> {
            match &*f {
                Value::Func(clo) => {
                    // Not `call_borrowed`: inlining the body call a second time
                    // here would double this closure's stack frame in debug
                    // builds (the depth guard then allows fewer nested calls).
                    let base = push_args(i, args)?;
                    i.call_closure(clo, base, span)
                }
                Value::Native(nf) => match args.len() {
                    // Up to three arguments: an array on the stack, each
                    // released inline when it is a scalar.
                    0 => call_native(i, nf, args, &mut [], move_first, span),
                    1 => {
                        let mut b = [Value::None];
                        let r = call_native(i, nf, args, &mut b, move_first, span);
                        let [x] = b;
                        discard(x);
                        r
                    }
                    2 => {
                        let mut b = [Value::None, Value::None];
                        let r = call_native(i, nf, args, &mut b, move_first, span);
                        let [x, y] = b;
                        discard(x);
                        discard(y);
                        r
                    }
                    3 => {
                        let mut b = [Value::None, Value::None, Value::None];
                        let r = call_native(i, nf, args, &mut b, move_first, span);
                        let [x, y, z] = b;
                        discard(x);
                        discard(y);
                        discard(z);
                        r
                    }
                    n => {
                        let mut args_buf = ArgBuf::new();
                        let buf = args_buf.slice(n);
                        call_native(i, nf, args, buf, move_first, span)
                    }
                },
                Value::Type(t) if args.len() == 1 => {
                    // `str(i)`, `int(s)`: no argument buffer to set up and drop.
                    let mut one = [args[0].run(i)?];
                    crate::interp::convert::call_type(i, t, &mut one, &[]).map_err(|e| e.or_at(span).into())
                }
                Value::Type(t) => {
                    // Conversions (`str(i)`) are hot: arguments on the stack.
                    let mut args_buf = ArgBuf::new();
                    let buf = args_buf.slice(args.len());
                    for (k, a) in args.iter().enumerate() {
                        std::mem::forget(std::mem::replace(&mut buf[k], a.run(i)?));
                    }
                    crate::interp::convert::call_type(i, t, buf, &[]).map_err(|e| e.or_at(span).into())
                }
                other => {
                    let what = match named {
                        Some(g) => {
                            let t = other.type_name();
                            let article = if t.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
                            format!("`{}` is {article} {t}, not a function", crate::names::name_of(g))
                        }
                        None => format!("a value of type `{}` is not callable", other.type_name()),
                    };
                    Err(err("TypeError", what, span))
                }
            }
        })(i);
        if lent {
            i.end_lend();
        }
        r
    })
}

/// Calls a native with its arguments put in `buf` (all `none`, as long as
/// `args`). With `move_first`, the first is moved out of that slot, and
/// given back if the native fails without taking it.
#[inline(always)]
fn call_native(i: &mut Interp, nf: &NativeFn, args: &[Operand], buf: &mut [Value], move_first: Option<u32>, span: Span) -> R {
    let first = match move_first {
        Some(s) => {
            buf[0] = std::mem::take(&mut i.stack[i.bp + s as usize]);
            1
        }
        None => 0,
    };
    for (k, a) in args.iter().enumerate().skip(first) {
        match a.run(i) {
            // The slot holds the `none` it was made with: put `v` in
            // without the drop glue of an assignment.
            Ok(v) => std::mem::forget(std::mem::replace(&mut buf[k], v)),
            Err(e) => {
                if let Some(s) = move_first {
                    i.stack[i.bp + s as usize] = std::mem::take(&mut buf[0]);
                }
                return Err(e);
            }
        }
    }
    i.native_span = span;
    match (nf.func)(i, buf) {
        Ok(v) => Ok(v),
        Err(e) => {
            // Give a moved argument back unless the native consumed it.
            if let Some(s) = move_first {
                if !buf[0].is_none() {
                    i.stack[i.bp + s as usize] = std::mem::take(&mut buf[0]);
                }
            }
            Err(e.or_at(span).into())
        }
    }
}

fn lower_for(slot: u32, it: &Node, body: &Node, span: Span) -> Code {
    let slot = slot as usize;
    let body = lower(body);
    macro_rules! run_body {
        ($i:expr, $v:expr) => {{
            $i.step().map_err(|e| e.or_at(span))?;
            let at = $i.bp + slot;
            store(&mut $i.stack[at], $v);
            match body.run($i) {
                Ok(v) => discard(v),
                Err(c) => match $i.take(c) {
                    Flow::Continue => {}
                    Flow::Break => break,
                    f => return Err($i.raise(f)),
                },
            }
        }};
    }
    // `for k in start..end` (`..=` when `inclusive`). The counter is an
    // i64 (one register) unless the range ends at `i64::MAX` inclusive,
    // whose end is past every i64.
    macro_rules! count {
        ($i:expr, $start:expr, $end:expr, $inclusive:expr) => {{
            let (start, end): (i64, i64) = ($start, $end);
            match end.checked_add($inclusive as i64) {
                Some(end) => {
                    let mut k = start;
                    while k < end {
                        run_body!($i, Value::Int(k));
                        k += 1;
                    }
                }
                None => {
                    let mut k = start as i128;
                    while k <= end as i128 {
                        run_body!($i, Value::Int(k as i64));
                        k += 1;
                    }
                }
            }
        }};
    }
    // `for i in a..b` with int bounds: no range value is built.
    if let Node::Range(a, b, inclusive, rspan) = it {
        let (a, b, inclusive, rspan) = (lower(a), lower(b), *inclusive, *rspan);
        return code(move |i| {
            let (start, end) = match (a.run(i)?, b.run(i)?) {
                (Value::Int(x), Value::Int(y)) => (x, y),
                (x, y) => {
                    return Err(err(
                        "TypeError",
                        format!("range bounds must be ints, got {} and {}", x.type_name(), y.type_name()),
                        rspan,
                    ))
                }
            };
            count!(i, start, end, inclusive);
            Ok(Value::None)
        });
    }
    let it = lower(it);
    code(move |i| {
        let v = it.run(i)?;
        match &v {
            Value::Range(r) => count!(i, r.start, r.end, r.inclusive),
            Value::List(l) => {
                for x in l.iter() {
                    run_body!(i, x.clone());
                }
            }
            Value::Str(s) => {
                for c in s.s.chars() {
                    run_body!(i, Value::char_str(c));
                }
            }
            Value::Map(m) => {
                for k in m.map.keys() {
                    run_body!(i, k.clone());
                }
            }
            other => {
                return Err(err("TypeError", format!("cannot iterate over a value of type `{}`", other.type_name()), span));
            }
        }
        Ok(Value::None)
    })
}
