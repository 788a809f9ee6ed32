//! Code identity: the structural hash of a compiled function body.
//!
//! The walk covers the resolved tree with no spans: node kinds by a stable
//! tag, locals by slot (so renaming a parameter or local keeps the hash),
//! globals by *name* (ids differ between processes), literals by value, and a
//! nested function by its own `ast_hash`. The transitive part (the code of the
//! functions a function uses, and the values of its free variables) is added
//! at call time by `crate::hashing::deps`.
//!
//! Literals are fed exactly as the value hash feeds the same scalar
//! (`lit_tag`, shared with `crate::hashing::value_hash`), so a constant and
//! an equal value hash alike.

use super::ir::{Lit, Node, PathStep, Place};
use crate::ast::{BinOp, UnOp};
use crate::names;

/// A 32-byte blake3 digest.
pub type Hash32 = [u8; 32];

/// The tags that start a scalar's bytes in every hash memo makes.
pub mod lit_tag {
    pub const NONE: u8 = 0;
    pub const FALSE: u8 = 1;
    pub const TRUE: u8 = 2;
    pub const INT: u8 = 3;
    pub const FLOAT: u8 = 4;
    pub const STR: u8 = 5;
}

/// A float's bits as hashed: every NaN is the same; `-0.0` and `0.0` stay
/// different (they print differently, so a cached fn may tell them apart).
pub fn float_bits(f: f64) -> u64 {
    if f.is_nan() {
        0x7ff8_0000_0000_0000
    } else {
        f.to_bits()
    }
}

/// Where hash input goes (a blake3 hasher, or a buffer in front of one).
pub trait Sink {
    fn update(&mut self, bytes: &[u8]);
}

impl Sink for blake3::Hasher {
    #[inline]
    fn update(&mut self, bytes: &[u8]) {
        blake3::Hasher::update(self, bytes);
    }
}

/// Feeds an int as the value hash does.
#[inline]
pub fn feed_int(h: &mut impl Sink, i: i64) {
    let mut buf = [0u8; 9];
    buf[0] = lit_tag::INT;
    buf[1..].copy_from_slice(&i.to_le_bytes());
    h.update(&buf);
}

/// Feeds a float as the value hash does.
#[inline]
pub fn feed_float(h: &mut impl Sink, f: f64) {
    let mut buf = [0u8; 9];
    buf[0] = lit_tag::FLOAT;
    buf[1..].copy_from_slice(&float_bits(f).to_le_bytes());
    h.update(&buf);
}

/// Feeds a string as the value hash does.
#[inline]
pub fn feed_str(h: &mut impl Sink, s: &str) {
    h.update(&[lit_tag::STR]);
    h.update(&(s.len() as u64).to_le_bytes());
    h.update(s.as_bytes());
}

/// Feeds a literal as the value hash feeds the equal value.
pub fn feed_lit(h: &mut impl Sink, l: &Lit) {
    match l {
        Lit::None => h.update(&[lit_tag::NONE]),
        Lit::Bool(b) => h.update(&[if *b { lit_tag::TRUE } else { lit_tag::FALSE }]),
        Lit::Int(i) => feed_int(h, *i),
        Lit::Float(f) => feed_float(h, *f),
        Lit::Str(s) => feed_str(h, s),
    }
}

/// Hashes a function body (with its parameter count).
pub fn ast_hash(nparams: usize, body: &Node) -> Hash32 {
    let mut h = blake3::Hasher::new();
    h.update(b"memo-fn-v1");
    h.update(&(nparams as u64).to_le_bytes());
    node(&mut h, body);
    *h.finalize().as_bytes()
}

fn tag(h: &mut blake3::Hasher, t: u8) {
    h.update(&[t]);
}

fn u32_(h: &mut blake3::Hasher, v: u32) {
    h.update(&v.to_le_bytes());
}

fn str_(h: &mut blake3::Hasher, s: &str) {
    h.update(&(s.len() as u64).to_le_bytes());
    h.update(s.as_bytes());
}

fn global(h: &mut blake3::Hasher, id: u32) {
    str_(h, &names::name_of(id));
}

fn binop(h: &mut blake3::Hasher, op: BinOp) {
    str_(h, op.symbol());
}

fn nodes(h: &mut blake3::Hasher, ns: &[Node]) {
    h.update(&(ns.len() as u64).to_le_bytes());
    for n in ns {
        node(h, n);
    }
}

fn node(h: &mut blake3::Hasher, n: &Node) {
    if crate::stack::near_overflow() {
        // Unreachable in practice: the compiler refused deeper trees.
        tag(h, 255);
        return;
    }
    match n {
        Node::Const(v) => {
            tag(h, 1);
            feed_lit(h, v);
        }
        Node::Local(s) => {
            tag(h, 2);
            u32_(h, *s);
        }
        Node::Global(g, _) => {
            tag(h, 3);
            global(h, *g);
        }
        Node::SetLocal(s, v) => {
            tag(h, 4);
            u32_(h, *s);
            node(h, v);
        }
        Node::DefineGlobal(g, v) => {
            tag(h, 5);
            global(h, *g);
            node(h, v);
        }
        Node::SetGlobal(g, v, _) => {
            tag(h, 6);
            global(h, *g);
            node(h, v);
        }
        Node::CompoundLocal(op, s, v, _) => {
            tag(h, 7);
            binop(h, *op);
            u32_(h, *s);
            node(h, v);
        }
        Node::CompoundGlobal(op, g, v, _) => {
            tag(h, 8);
            binop(h, *op);
            global(h, *g);
            node(h, v);
        }
        Node::SetPath { root, path, op, value, .. } => {
            tag(h, 9);
            match root {
                Place::Local(s) => {
                    tag(h, 0);
                    u32_(h, *s);
                }
                Place::Global(g) => {
                    tag(h, 1);
                    global(h, *g);
                }
                Place::Boxed(s) => {
                    tag(h, 2);
                    u32_(h, *s);
                }
            }
            h.update(&(path.len() as u64).to_le_bytes());
            for step in path {
                match step {
                    PathStep::Index(i) => {
                        tag(h, 0);
                        node(h, i);
                    }
                    PathStep::Field(f) => {
                        tag(h, 1);
                        str_(h, f);
                    }
                }
            }
            match op {
                Some(op) => binop(h, *op),
                None => tag(h, 0),
            }
            node(h, value);
        }
        Node::SetPathOn { target, path, op, value, .. } => {
            tag(h, 39);
            node(h, target);
            h.update(&(path.len() as u64).to_le_bytes());
            for step in path {
                match step {
                    PathStep::Index(i) => {
                        tag(h, 0);
                        node(h, i);
                    }
                    PathStep::Field(f) => {
                        tag(h, 1);
                        str_(h, f);
                    }
                }
            }
            match op {
                Some(op) => binop(h, *op),
                None => tag(h, 0),
            }
            node(h, value);
        }
        Node::Unary(op, x, _) => {
            tag(h, 10);
            tag(
                h,
                match op {
                    UnOp::Neg => 0,
                    UnOp::Not => 1,
                    UnOp::BitNot => 2,
                },
            );
            node(h, x);
        }
        Node::Binary(op, a, b, _) => {
            tag(h, 11);
            binop(h, *op);
            node(h, a);
            node(h, b);
        }
        Node::And(a, b, _) => {
            tag(h, 12);
            node(h, a);
            node(h, b);
        }
        Node::Or(a, b, _) => {
            tag(h, 13);
            node(h, a);
            node(h, b);
        }
        Node::List(items, _) => {
            tag(h, 14);
            nodes(h, items);
        }
        Node::Map(pairs, _) => {
            tag(h, 15);
            h.update(&(pairs.len() as u64).to_le_bytes());
            for (k, v) in pairs {
                node(h, k);
                node(h, v);
            }
        }
        Node::Range(a, b, inc, _) => {
            tag(h, 16);
            tag(h, *inc as u8);
            node(h, a);
            node(h, b);
        }
        Node::Call(c, args, _) => {
            tag(h, 17);
            node(h, c);
            nodes(h, args);
        }
        Node::CallNamed(c, args, _) => {
            tag(h, 18);
            node(h, c);
            h.update(&(args.len() as u64).to_le_bytes());
            for (name, a) in args {
                match name {
                    Some(n) => str_(h, n),
                    None => tag(h, 0),
                }
                node(h, a);
            }
        }
        Node::Index(a, i, _) => {
            tag(h, 19);
            node(h, a);
            node(h, i);
        }
        Node::Field(a, f, _) => {
            tag(h, 20);
            node(h, a);
            str_(h, f);
        }
        Node::If(c, t, e, _) => {
            tag(h, 21);
            node(h, c);
            node(h, t);
            match e {
                Some(e) => node(h, e),
                None => tag(h, 0),
            }
        }
        Node::Block(stmts) => {
            tag(h, 22);
            nodes(h, stmts);
        }
        Node::While(c, b, _) => {
            tag(h, 23);
            node(h, c);
            node(h, b);
        }
        Node::For(s, it, b, _) => {
            tag(h, 24);
            u32_(h, *s);
            node(h, it);
            node(h, b);
        }
        Node::Break => tag(h, 25),
        Node::Continue => tag(h, 26),
        Node::Return(v) => {
            tag(h, 27);
            node(h, v);
        }
        Node::Closure(p, caps) => {
            tag(h, 28);
            h.update(&p.ast_hash);
            for c in caps {
                u32_(h, *c);
            }
        }
        Node::CachedClosure(p, caps, opts) => {
            tag(h, 29);
            h.update(&p.ast_hash);
            for c in caps {
                u32_(h, *c);
            }
            for (name, v, _) in opts {
                str_(h, name);
                node(h, v);
            }
        }
        Node::Try(b, s, handler) => {
            tag(h, 30);
            node(h, b);
            u32_(h, *s);
            node(h, handler);
        }
        Node::Struct(ty) => {
            // A `mut struct` declaration has a tag of its own.
            tag(h, if ty.mutable { 33 } else { 31 });
            str_(h, &ty.name);
            for f in &ty.fields {
                str_(h, f);
            }
        }
        Node::Import(path, _) => {
            tag(h, 32);
            str_(h, path);
        }
        Node::BoxNew(s, v) => {
            tag(h, 34);
            u32_(h, *s);
            node(h, v);
        }
        Node::BoxWrap(s) => {
            tag(h, 35);
            u32_(h, *s);
        }
        Node::BoxGet(s) => {
            tag(h, 36);
            u32_(h, *s);
        }
        Node::BoxSet(s, v) => {
            tag(h, 37);
            u32_(h, *s);
            node(h, v);
        }
        Node::BoxCompound(op, s, v, _) => {
            tag(h, 38);
            binop(h, *op);
            u32_(h, *s);
            node(h, v);
        }
    }
}
