//! The syntax tree produced by the parser. Names are plain strings here; the
//! compiler resolves them to slots. Every node carries a [`Span`].

use crate::source::Span;

/// A whole source file.
#[derive(Debug, Clone)]
pub struct Program {
    pub stmts: Vec<Stmt>,
}

#[derive(Debug, Clone)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum StmtKind {
    /// `let name = value`
    Let {
        name: Ident,
        value: Expr,
    },
    /// `target = value` or `target op= value`; target is an Ident, Index or
    /// Field expression (checked by the compiler).
    Assign {
        target: Expr,
        op: Option<BinOp>,
        value: Expr,
    },
    /// `fn name(params) { body }` and `cached(...) fn name(...) {}`
    FnDecl(FnDef),
    /// `struct Name { a, b }`; `mut struct Name { a, b }` (`mutable`).
    Struct {
        name: Ident,
        fields: Vec<Ident>,
        mutable: bool,
    },
    /// `while cond { body }`
    While {
        cond: Expr,
        body: Block,
    },
    /// `for var in iter { body }`
    For {
        var: Ident,
        iter: Expr,
        body: Block,
    },
    Break,
    Continue,
    Return(Option<Expr>),
    /// `import "path.memo"`
    Import(String),
    /// An expression used as a statement (its value is the block's value when last).
    Expr(Expr),
}

/// An identifier with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub span: Span,
}

/// A function literal or declaration.
#[derive(Debug, Clone)]
pub struct FnDef {
    /// `None` for an anonymous `fn(x) { }`.
    pub name: Option<Ident>,
    pub params: Vec<Ident>,
    pub body: Block,
    /// `Some` for `cached fn` / `cached(options) fn`; the options are named args.
    pub cached: Option<Vec<Arg>>,
    pub span: Span,
}

/// A call argument: positional (`name == None`) or named (`x: 1`).
#[derive(Debug, Clone)]
pub struct Arg {
    pub name: Option<Ident>,
    pub value: Expr,
}

#[derive(Debug, Clone)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum ExprKind {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Ident(String),
    /// `[a, b, c]`
    List(Vec<Expr>),
    /// `{k: v, ...}`
    Map(Vec<(Expr, Expr)>),
    Unary(UnOp, Box<Expr>),
    /// Arithmetic and comparison; `and`/`or` too (short-circuit is the evaluator's job).
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `a..b` / `a..=b`
    Range {
        start: Box<Expr>,
        end: Box<Expr>,
        inclusive: bool,
    },
    /// `callee(args)`
    Call {
        callee: Box<Expr>,
        args: Vec<Arg>,
    },
    /// `receiver.name(args)`: uniform call syntax, means `name(receiver, args)`.
    MethodCall {
        receiver: Box<Expr>,
        name: Ident,
        args: Vec<Arg>,
    },
    /// `target[index]` (the index may be a range: a slice)
    Index(Box<Expr>, Box<Expr>),
    /// `target.name`
    Field(Box<Expr>, Ident),
    /// `if cond { then } else ...`; `else_` is a Block or another If expression.
    If {
        cond: Box<Expr>,
        then: Block,
        else_: Option<Box<Expr>>,
    },
    /// A `{ ... }` block used as an expression (e.g. the `else` branch).
    Block(Block),
    /// `fn(params) { body }` or `cached fn(params) { body }`
    Fn(Box<FnDef>),
    /// `try { body } catch var { handler }`
    Try {
        body: Block,
        var: Ident,
        handler: Block,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
    /// `~x`: bitwise complement of an int.
    BitNot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    /// `&`, `|`, `^`, `<<`, `>>` on ints.
    BitAnd,
    BitOr,
    BitXor,
    Shl,
    Shr,
}

impl BinOp {
    /// The operator as written in source.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::Pow => "**",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "and",
            BinOp::Or => "or",
            BinOp::BitAnd => "&",
            BinOp::BitOr => "|",
            BinOp::BitXor => "^",
            BinOp::Shl => "<<",
            BinOp::Shr => ">>",
        }
    }
}
