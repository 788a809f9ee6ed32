//! The resolved tree the evaluator runs. Every name is already a frame slot
//! (`Local`) or a global id (`Global`); no string lookups happen at run time.
//! Nodes that can fail carry the span an error should point at.

use crate::ast::{BinOp, UnOp};
use crate::source::Span;
use std::sync::Arc;

use super::FnIr;

/// A literal constant of the source.
#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Arc<str>),
}

/// A `struct` declaration: its name and field names, and whether it is a
/// `mut struct` (the runtime makes one type value of it when the code is
/// lowered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StructDecl {
    pub name: String,
    pub fields: Vec<String>,
    pub mutable: bool,
}

#[derive(Debug)]
pub enum Node {
    Const(Lit),
    /// Read a frame slot (parameters, locals and captured values).
    Local(u32),
    /// Read a global; an error if it is not defined.
    Global(u32, Span),
    /// Write a frame slot (`let` of a local and plain assignment). Value: none.
    SetLocal(u32, Box<Node>),
    /// `let` / `fn` / `struct` at top level: define (or redefine) a global.
    DefineGlobal(u32, Box<Node>),
    /// Assign an existing global (an error if undefined).
    SetGlobal(u32, Box<Node>, Span),
    /// `x op= e` on a local: updates in place when the value is unshared.
    CompoundLocal(BinOp, u32, Box<Node>, Span),
    CompoundGlobal(BinOp, u32, Box<Node>, Span),
    /// `root[a].b[c] (op)= value`: a persistent update of the variable `root`.
    SetPath {
        root: Place,
        path: Vec<PathStep>,
        op: Option<BinOp>,
        value: Box<Node>,
        span: Span,
    },
    /// `target.f... (op)= value` where `target` is an expression (a call):
    /// it must give a mutable object, whose field the path starts with.
    SetPathOn {
        target: Box<Node>,
        path: Vec<PathStep>,
        op: Option<BinOp>,
        value: Box<Node>,
        span: Span,
    },
    Unary(UnOp, Box<Node>, Span),
    Binary(BinOp, Box<Node>, Box<Node>, Span),
    And(Box<Node>, Box<Node>, Span),
    Or(Box<Node>, Box<Node>, Span),
    List(Vec<Node>, Span),
    Map(Vec<(Node, Node)>, Span),
    Range(Box<Node>, Box<Node>, bool, Span),
    /// A call with positional arguments.
    Call(Box<Node>, Vec<Node>, Span),
    /// A call with some named arguments (struct constructors).
    CallNamed(Box<Node>, Vec<(Option<String>, Node)>, Span),
    Index(Box<Node>, Box<Node>, Span),
    Field(Box<Node>, String, Span),
    If(Box<Node>, Box<Node>, Option<Box<Node>>, Span),
    /// Statements; the value is the last one's (or none).
    Block(Vec<Node>),
    While(Box<Node>, Box<Node>, Span),
    /// `for slot in iter { body }`
    For(u32, Box<Node>, Box<Node>, Span),
    Break,
    Continue,
    Return(Box<Node>),
    /// Make a closure: capture these slots of the current frame.
    Closure(Arc<FnIr>, Vec<u32>),
    /// Make a cached closure: options are (name, value) evaluated now.
    CachedClosure(Arc<FnIr>, Vec<u32>, Vec<(String, Node, Span)>),
    Try(Box<Node>, u32, Box<Node>),
    Struct(Arc<StructDecl>),
    Import(String, Span),
    /// A local that nested closures assign lives in a box (a cell the
    /// function and its closures share). `let x = v` of such a local: a
    /// new box holding v. Value: none.
    BoxNew(u32, Box<Node>),
    /// Puts the value a parameter, loop or `catch` stored in the slot into
    /// a new box.
    BoxWrap(u32),
    /// Reads the variable whose box is in the slot.
    BoxGet(u32),
    /// Assigns the variable whose box is in the slot. Value: none.
    BoxSet(u32, Box<Node>),
    /// `x op= e` on a boxed variable.
    BoxCompound(BinOp, u32, Box<Node>, Span),
}

/// The variable at the root of an assignment path.
#[derive(Debug, Clone, Copy)]
pub enum Place {
    Local(u32),
    Global(u32),
    /// The variable whose box is in this slot.
    Boxed(u32),
}

#[derive(Debug)]
pub enum PathStep {
    Index(Node),
    Field(String),
}
