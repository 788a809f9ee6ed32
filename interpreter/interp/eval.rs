//! The evaluator: one `match` over the resolved tree. Locals are
//! `stack[bp + slot]`; globals are `globals[id]`.

use super::{ops, Ctrl, Interp, R};
use crate::ast::{BinOp, UnOp};
use crate::compiler::ir::{Node, Place};
use crate::error::MemoError;
use crate::source::Span;
use crate::value::{Closure, Value};
use std::sync::Arc;

/// Arguments of a native call live here (no allocation for up to 6).
const INLINE_ARGS: usize = 6;

impl Interp {
    #[inline]
    fn local(&self, slot: u32) -> &Value {
        &self.stack[self.bp + slot as usize]
    }

    #[inline]
    fn local_mut(&mut self, slot: u32) -> &mut Value {
        let i = self.bp + slot as usize;
        &mut self.stack[i]
    }

    fn read_global(&self, id: u32, span: Span) -> R {
        match self.globals.get(id as usize) {
            Some(Some(v)) => Ok(v.clone()),
            _ => Err(MemoError::at("NameError", format!("undefined variable `{}`", crate::names::name_of(id)), span).into()),
        }
    }

    fn write_global(&mut self, id: u32, v: Value, span: Span) -> R {
        match self.globals.get_mut(id as usize) {
            Some(slot @ Some(_)) => {
                *slot = Some(v);
                self.global_versions[id as usize] += 1;
                self.global_epoch += 1;
                Ok(Value::None)
            }
            _ => Err(MemoError::at(
                "NameError",
                format!("assignment to undeclared variable `{}` (declare it with `let`)", crate::names::name_of(id)),
                span,
            )
            .into()),
        }
    }

    fn bool_of(&self, v: Value, what: &str, span: Span) -> std::result::Result<bool, Ctrl> {
        match v {
            Value::Bool(b) => Ok(b),
            other => Err(MemoError::at(
                "TypeError",
                format!("{what} must be a bool, got {} (memo has no truthiness: compare explicitly)", other.type_name()),
                span,
            )
            .into()),
        }
    }

    pub(crate) fn eval(&mut self, n: &Node) -> R {
        match n {
            Node::Const(v) => Ok(v.clone()),
            Node::Local(s) => Ok(self.local(*s).clone()),
            Node::Global(g, span) => self.read_global(*g, *span),
            Node::SetLocal(s, v) => {
                let v = self.eval(v)?;
                *self.local_mut(*s) = v;
                Ok(Value::None)
            }
            Node::DefineGlobal(g, v) => {
                let v = self.eval(v)?;
                self.define_global_id(*g, v);
                Ok(Value::None)
            }
            Node::SetGlobal(g, v, span) => {
                let v = self.eval(v)?;
                self.write_global(*g, v, *span)
            }
            Node::CompoundLocal(op, s, rhs, span) => {
                let r = self.eval(rhs)?;
                let cur = std::mem::replace(self.local_mut(*s), Value::None);
                match ops::binary_owned(*op, cur, r, self.config.max_collection_len) {
                    Ok(v) => {
                        *self.local_mut(*s) = v;
                        Ok(Value::None)
                    }
                    Err((old, e)) => {
                        *self.local_mut(*s) = old;
                        Err(e.or_at(*span).into())
                    }
                }
            }
            Node::CompoundGlobal(op, g, rhs, span) => {
                let r = self.eval(rhs)?;
                let cur = match self.globals.get_mut(*g as usize) {
                    Some(Some(v)) => std::mem::replace(v, Value::None),
                    _ => return self.read_global(*g, *span),
                };
                match ops::binary_owned(*op, cur, r, self.config.max_collection_len) {
                    Ok(v) => self.write_global(*g, v, *span),
                    Err((old, e)) => {
                        self.globals[*g as usize] = Some(old);
                        Err(e.or_at(*span).into())
                    }
                }
            }
            Node::SetPath { root, path, op, value, span } => {
                let v = self.eval(value)?;
                let mut keys = Vec::with_capacity(path.len());
                for step in path {
                    keys.push(match step {
                        crate::compiler::ir::PathStep::Index(i) => super::index::Key::Index(self.eval(i)?),
                        crate::compiler::ir::PathStep::Field(f) => super::index::Key::Field(f.clone()),
                    });
                }
                let max = self.config.max_collection_len;
                match root {
                    Place::Local(s) => {
                        let slot = self.bp + *s as usize;
                        super::index::update_path(&mut self.stack[slot], &keys, *op, v, max).map_err(|e| e.or_at(*span))?;
                        Ok(Value::None)
                    }
                    Place::Global(g) => {
                        let Some(Some(target)) = self.globals.get_mut(*g as usize) else {
                            return self.read_global(*g, *span);
                        };
                        super::index::update_path(target, &keys, *op, v, max).map_err(|e| e.or_at(*span))?;
                        self.global_versions[*g as usize] += 1;
                        self.global_epoch += 1;
                        Ok(Value::None)
                    }
                }
            }
            Node::Unary(op, x, span) => {
                let v = self.eval(x)?;
                match op {
                    UnOp::Neg => ops::negate(v).map_err(|e| e.or_at(*span).into()),
                    UnOp::Not => Ok(Value::Bool(!self.bool_of(v, "the operand of `not`", *span)?)),
                }
            }
            Node::Binary(op, a, b, span) => {
                let l = self.eval(a)?;
                let r = self.eval(b)?;
                // Integer fast paths.
                if let (Value::Int(x), Value::Int(y)) = (&l, &r) {
                    let (x, y) = (*x, *y);
                    let fast = match op {
                        BinOp::Add => x.checked_add(y).map(Value::Int),
                        BinOp::Sub => x.checked_sub(y).map(Value::Int),
                        BinOp::Mul => x.checked_mul(y).map(Value::Int),
                        BinOp::Lt => Some(Value::Bool(x < y)),
                        BinOp::Le => Some(Value::Bool(x <= y)),
                        BinOp::Gt => Some(Value::Bool(x > y)),
                        BinOp::Ge => Some(Value::Bool(x >= y)),
                        BinOp::Eq => Some(Value::Bool(x == y)),
                        BinOp::Ne => Some(Value::Bool(x != y)),
                        _ => None,
                    };
                    if let Some(v) = fast {
                        return Ok(v);
                    }
                }
                ops::binary(*op, l, r, self.config.max_collection_len).map_err(|e| e.or_at(*span).into())
            }
            Node::And(a, b, span) => {
                let l = self.eval(a)?;
                if !self.bool_of(l, "the left operand of `and`", *span)? {
                    return Ok(Value::Bool(false));
                }
                let r = self.eval(b)?;
                Ok(Value::Bool(self.bool_of(r, "the right operand of `and`", *span)?))
            }
            Node::Or(a, b, span) => {
                let l = self.eval(a)?;
                if self.bool_of(l, "the left operand of `or`", *span)? {
                    return Ok(Value::Bool(true));
                }
                let r = self.eval(b)?;
                Ok(Value::Bool(self.bool_of(r, "the right operand of `or`", *span)?))
            }
            Node::List(items) => {
                let mut v = imbl::Vector::new();
                for i in items {
                    v.push_back(self.eval(i)?);
                }
                Ok(Value::list(v))
            }
            Node::Map(pairs, span) => {
                let mut m = imbl::OrdMap::new();
                for (k, v) in pairs {
                    let k = self.eval(k)?;
                    ops::check_key(&k).map_err(|e| e.or_at(*span))?;
                    let v = self.eval(v)?;
                    m.insert(k, v);
                }
                Ok(Value::map(m))
            }
            Node::Range(a, b, inclusive, span) => {
                let (a, b) = (self.eval(a)?, self.eval(b)?);
                match (a, b) {
                    (Value::Int(a), Value::Int(b)) => Ok(Value::range(a, b, *inclusive)),
                    (a, b) => Err(MemoError::at(
                        "TypeError",
                        format!("range bounds must be ints, got {} and {}", a.type_name(), b.type_name()),
                        *span,
                    )
                    .into()),
                }
            }
            Node::Call(callee, args, span) => self.eval_call(callee, args, *span),
            Node::CallNamed(callee, args, span) => {
                let f = self.eval(callee)?;
                let mut vals = Vec::with_capacity(args.len());
                let mut names = Vec::with_capacity(args.len());
                for (name, a) in args {
                    vals.push(self.eval(a)?);
                    names.push(name.clone());
                }
                match &f {
                    Value::Type(t) => {
                        let t = t.clone();
                        crate::natives::call_type(self, &t, &mut vals, &names).map_err(|e| e.or_at(*span).into())
                    }
                    other => Err(MemoError::at(
                        "TypeError",
                        format!("named arguments are only accepted by struct constructors, not by a {}", other.type_name()),
                        *span,
                    )
                    .into()),
                }
            }
            Node::Index(t, i, span) => {
                let t = self.eval(t)?;
                let i = self.eval(i)?;
                super::index::index(&t, &i).map_err(|e| e.or_at(*span).into())
            }
            Node::Field(t, f, span) => {
                let t = self.eval(t)?;
                super::index::field(&t, f).map_err(|e| e.or_at(*span).into())
            }
            Node::If(c, t, e, span) => {
                let c = self.eval(c)?;
                if self.bool_of(c, "an `if` condition", *span)? {
                    self.eval(t)
                } else if let Some(e) = e {
                    self.eval(e)
                } else {
                    Ok(Value::None)
                }
            }
            Node::Block(stmts) => {
                let mut last = Value::None;
                for s in stmts {
                    last = self.eval(s)?;
                }
                Ok(last)
            }
            Node::While(c, body) => {
                loop {
                    self.step().map_err(|e| e.or_at(cond_span(c)))?;
                    let cv = self.eval(c)?;
                    let span = cond_span(c);
                    if !self.bool_of(cv, "a `while` condition", span)? {
                        break;
                    }
                    match self.eval(body) {
                        Ok(_) | Err(Ctrl::Continue) => {}
                        Err(Ctrl::Break) => break,
                        Err(e) => return Err(e),
                    }
                }
                Ok(Value::None)
            }
            Node::For(slot, it, body, span) => self.eval_for(*slot, it, body, *span),
            Node::Break => Err(Ctrl::Break),
            Node::Continue => Err(Ctrl::Continue),
            Node::Return(v) => {
                let v = self.eval(v)?;
                Err(Ctrl::Return(v))
            }
            Node::Closure(proto, caps) => {
                let captures: Box<[Value]> = caps.iter().map(|s| self.local(*s).clone()).collect();
                Ok(Value::Func(Arc::new(Closure { proto: proto.clone(), captures, cached: None })))
            }
            Node::CachedClosure(proto, caps, opts) => {
                let captures: Box<[Value]> = caps.iter().map(|s| self.local(*s).clone()).collect();
                let mut evaluated = Vec::with_capacity(opts.len());
                for (name, v, span) in opts {
                    evaluated.push((name.clone(), self.eval(v)?, *span));
                }
                let cached = Arc::new(crate::cache::options::CachedFn::new(self, proto, evaluated)?);
                self.cached_fns.push(cached.clone());
                Ok(Value::Func(Arc::new(Closure { proto: proto.clone(), captures, cached: Some(cached) })))
            }
            Node::Try(body, slot, handler) => {
                let depth = self.depth;
                let height = self.stack.len();
                let bp = self.bp;
                let missing = self.missing.len();
                match self.eval(body) {
                    // An interrupt (Ctrl-C, a host) is not the script's to catch.
                    Err(Ctrl::Error(e)) if e.kind != "Interrupted" => {
                        // Unwind interpreter state to where the `try` began.
                        self.depth = depth;
                        self.stack.truncate(height);
                        self.bp = bp;
                        self.missing.truncate(missing);
                        let v = error_value(self, &e);
                        *self.local_mut(*slot) = v;
                        self.eval(handler)
                    }
                    other => other,
                }
            }
            Node::Struct(ty) => Ok(Value::Type(Arc::new(crate::value::TypeValue::Struct(ty.clone())))),
            Node::Import(path, span) => self.import(path, *span),
        }
    }

    fn eval_call(&mut self, callee: &Node, args: &[Node], span: Span) -> R {
        let f = self.eval(callee)?;
        match &f {
            Value::Func(clo) => {
                let base = self.stack.len();
                for a in args {
                    match self.eval(a) {
                        Ok(v) => self.stack.push(v),
                        Err(e) => {
                            self.stack.truncate(base);
                            return Err(e);
                        }
                    }
                }
                self.call_closure(clo, base, span)
            }
            Value::Native(nf) => {
                let n = args.len();
                if n <= INLINE_ARGS {
                    let mut buf: [Value; INLINE_ARGS] = Default::default();
                    for (i, a) in args.iter().enumerate() {
                        buf[i] = self.eval(a)?;
                    }
                    (nf.func)(self, &mut buf[..n]).map_err(|e| e.or_at(span).into())
                } else {
                    let mut v = Vec::with_capacity(n);
                    for a in args {
                        v.push(self.eval(a)?);
                    }
                    (nf.func)(self, &mut v).map_err(|e| e.or_at(span).into())
                }
            }
            Value::Type(t) => {
                let mut v = Vec::with_capacity(args.len());
                for a in args {
                    v.push(self.eval(a)?);
                }
                let t = t.clone();
                crate::natives::call_type(self, &t, &mut v, &[]).map_err(|e| e.or_at(span).into())
            }
            other => {
                let what = match callee {
                    Node::Global(g, _) => format!("`{}` is a {}, not a function", crate::names::name_of(*g), other.type_name()),
                    _ => format!("a value of type `{}` is not callable", other.type_name()),
                };
                Err(MemoError::at("TypeError", what, span).into())
            }
        }
    }

    fn eval_for(&mut self, slot: u32, it: &Node, body: &Node, span: Span) -> R {
        let it = self.eval(it)?;
        macro_rules! run_body {
            ($v:expr) => {{
                self.step().map_err(|e| e.or_at(span))?;
                *self.local_mut(slot) = $v;
                match self.eval(body) {
                    Ok(_) | Err(Ctrl::Continue) => {}
                    Err(Ctrl::Break) => break,
                    Err(e) => return Err(e),
                }
            }};
        }
        match &it {
            Value::Range(r) => {
                let end = r.end_exclusive();
                let mut i = r.start;
                while i < end {
                    run_body!(Value::Int(i));
                    i += 1;
                }
            }
            Value::List(l) => {
                let l = l.clone();
                for v in l.items.iter() {
                    run_body!(v.clone());
                }
            }
            Value::Str(s) => {
                let s = s.clone();
                for c in s.s.chars() {
                    run_body!(Value::str(c.to_string()));
                }
            }
            Value::Map(m) => {
                let m = m.clone();
                for k in m.map.keys() {
                    run_body!(k.clone());
                }
            }
            other => {
                return Err(MemoError::at(
                    "TypeError",
                    format!("cannot iterate over a value of type `{}`", other.type_name()),
                    span,
                )
                .into())
            }
        }
        Ok(Value::None)
    }
}

fn cond_span(n: &Node) -> Span {
    match n {
        Node::Binary(_, _, _, s) | Node::And(_, _, s) | Node::Or(_, _, s) | Node::Unary(_, _, s) => *s,
        Node::Global(_, s) | Node::Call(_, _, s) | Node::Index(_, _, s) | Node::Field(_, _, s) => *s,
        _ => Span::default(),
    }
}

/// The map a `catch e` binds: `{"kind": .., "message": .., "line": ..}`.
fn error_value(interp: &Interp, e: &MemoError) -> Value {
    let mut m = imbl::OrdMap::new();
    m.insert(Value::str("kind"), Value::str(e.kind.as_str()));
    m.insert(Value::str("message"), Value::str(e.message.as_str()));
    let line = e.span.map(|s| interp.sources.line(s) as i64).unwrap_or(0);
    m.insert(Value::str("line"), Value::Int(line));
    Value::map(m)
}
