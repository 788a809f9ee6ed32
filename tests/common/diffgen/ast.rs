//! The syntax tree of generated programs: only what the generator makes,
//! with the types it tracks so edits and the shrinker keep programs
//! well-typed.

use std::collections::BTreeMap;

/// The types the generator tracks. `Num` is an int or a float (they mix in
/// arithmetic); `Int` is always an int (indices, `%`, recursion depth).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Ty {
    Int,
    Num,
    Str,
    Bool,
    ListI,
    MapSI,
    P,
    /// A one-argument fn from Num to Num.
    Fn,
    FnList,
    FnMap,
}

impl Ty {
    /// Values of this type can be printed and compared with the oracle
    /// (a fn prints as `<fn f>` or `<cached fn f>`, so fns are never printed).
    pub fn printable(self) -> bool {
        !matches!(self, Ty::Fn | Ty::FnList | Ty::FnMap)
    }

    pub fn holds_fn(self) -> bool {
        !self.printable()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Lit {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
}

#[derive(Clone, Debug)]
pub enum Expr {
    /// A literal an edit may change, typed by its position.
    Lit(Lit, Ty),
    /// A literal no edit touches (recursion guards, moduli, thresholds).
    Const(Lit),
    /// A parameter, local, loop variable or lambda parameter.
    Local(String),
    Global(usize),
    /// A user fn used as a value.
    FnRef(usize),
    Bin(&'static str, Ty, Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    /// A call of a user fn (by index, so renames are one edit).
    Call(usize, Vec<Expr>),
    Native(&'static str, Vec<Expr>),
    /// `(f)(args)` for a fn value.
    CallValue(Box<Expr>, Vec<Expr>),
    Index(Box<Expr>, Box<Expr>),
    Field(Box<Expr>, &'static str),
    List(Vec<Expr>),
    Map(Vec<(String, Expr)>),
    /// `P(x, y)`, or `P(x: .., y: ..)` when named.
    Struct(Box<Expr>, Box<Expr>, bool),
    /// `fn(v) { body }`, `cached fn(v) { body }` when the flag is set.
    Lambda(String, Box<Body>, bool),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `try { a } catch caught { b }`.
    Try(Box<Expr>, Box<Expr>),
    /// A file's path: rendered as a string with the case's directory prefix.
    Path(String),
}

#[derive(Clone, Debug)]
pub struct Body {
    pub stmts: Vec<Stmt>,
    pub ret: Expr,
}

#[derive(Clone, Debug)]
pub enum Stmt {
    Let(String, Expr),
    Set(String, Expr),
    SetIndex(String, Expr, Expr),
    SetField(String, &'static str, Expr),
    /// A write to a global: a sink (never read) inside pure fns, a real
    /// global inside mutators.
    SetGlobal(usize, Expr),
    /// `for v in 0..n { stmts }`
    For(String, i64, Vec<Stmt>),
}

#[derive(Clone, Debug)]
pub struct Global {
    pub name: String,
    pub ty: Ty,
    pub init: Expr,
    /// Written by fns, never read: its value can never change an output.
    pub sink: bool,
    /// Declared after the fns (its value holds fns).
    pub late: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub enum FnKind {
    /// Reads anything, writes only sinks: may be cached.
    Pure,
    /// Writes real globals; called only from the top level.
    Mutator,
}

#[derive(Clone, Debug)]
pub struct FnDecl {
    pub name: String,
    pub params: Vec<(String, Ty)>,
    pub ret: Ty,
    pub cached: bool,
    /// `cached(...)` options, rendered as written (`max_entries: 2`).
    pub opts: Vec<String>,
    pub body: Body,
    pub kind: FnKind,
    /// Calls no fn values (so fn values may call it without a cycle).
    pub value_safe: bool,
    /// Its first parameter is a recursion depth.
    pub recursive: bool,
}

impl FnDecl {
    /// Options under which a second identical run may legitimately miss.
    pub fn may_forget(&self, disk: bool) -> bool {
        self.opts.iter().any(|o| o.starts_with("max_entries"))
            || (disk && (self.ret.holds_fn() || self.opts.iter().any(|o| o.starts_with("persist"))))
    }
}

#[derive(Clone, Debug)]
pub enum Main {
    Print(String, Vec<Expr>),
    Assign(usize, Expr),
    Mutate(usize),
    /// Calls fn `usize` twice with the same arguments back to back; with
    /// the cache the second call must hit.
    Twice(String, usize, Vec<Expr>),
    /// `for i in 0..n { print(label, exprs) }`
    Loop(String, i64, Vec<Expr>),
    /// Re-declares fn `usize` with its `k`-th literal replaced.
    Redeclare(usize, usize, Lit),
    /// `cache_clear(f)` (cached rendering only).
    Clear(usize),
}

#[derive(Clone, Debug)]
pub struct Program {
    pub has_p: bool,
    pub globals: Vec<Global>,
    pub fns: Vec<FnDecl>,
    pub main: Vec<Main>,
}

/// What a version's run sees outside its text: files (name → content) and
/// `--set` params.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Env {
    pub files: BTreeMap<String, String>,
    pub params: BTreeMap<String, Lit>,
}

// ----- walking the tree -----

impl Expr {
    /// Visits this expression and every one inside it (lambda bodies too).
    pub fn walk_mut(&mut self, f: &mut dyn FnMut(&mut Expr)) {
        f(self);
        match self {
            Expr::Lit(..) | Expr::Const(_) | Expr::Local(_) | Expr::Global(_) | Expr::FnRef(_) | Expr::Path(_) => {}
            Expr::Bin(_, _, a, b) | Expr::Index(a, b) | Expr::Struct(a, b, _) => {
                a.walk_mut(f);
                b.walk_mut(f);
            }
            Expr::Not(a) | Expr::Field(a, _) => a.walk_mut(f),
            Expr::Call(_, args) | Expr::Native(_, args) | Expr::List(args) => args.iter_mut().for_each(|a| a.walk_mut(f)),
            Expr::CallValue(c, args) => {
                c.walk_mut(f);
                args.iter_mut().for_each(|a| a.walk_mut(f));
            }
            Expr::Map(kvs) => kvs.iter_mut().for_each(|(_, v)| v.walk_mut(f)),
            Expr::Lambda(_, body, _) => body.walk_mut(f),
            Expr::If(c, a, b) => {
                c.walk_mut(f);
                a.walk_mut(f);
                b.walk_mut(f);
            }
            Expr::Try(a, b) => {
                a.walk_mut(f);
                b.walk_mut(f);
            }
        }
    }
}

impl Body {
    pub fn walk_mut(&mut self, f: &mut dyn FnMut(&mut Expr)) {
        for s in &mut self.stmts {
            s.walk_mut(f);
        }
        self.ret.walk_mut(f);
    }
}

impl Stmt {
    pub fn walk_mut(&mut self, f: &mut dyn FnMut(&mut Expr)) {
        match self {
            Stmt::Let(_, e) | Stmt::Set(_, e) | Stmt::SetField(_, _, e) | Stmt::SetGlobal(_, e) => e.walk_mut(f),
            Stmt::SetIndex(_, k, e) => {
                k.walk_mut(f);
                e.walk_mut(f);
            }
            Stmt::For(_, _, body) => body.iter_mut().for_each(|s| s.walk_mut(f)),
        }
    }
}

impl Main {
    pub fn walk_mut(&mut self, f: &mut dyn FnMut(&mut Expr)) {
        match self {
            Main::Print(_, es) | Main::Twice(_, _, es) | Main::Loop(_, _, es) => es.iter_mut().for_each(|e| e.walk_mut(f)),
            Main::Assign(_, e) => e.walk_mut(f),
            Main::Mutate(_) | Main::Redeclare(..) | Main::Clear(_) => {}
        }
    }
}

impl Program {
    /// Visits every expression of the program.
    pub fn walk_mut(&mut self, f: &mut dyn FnMut(&mut Expr)) {
        for g in &mut self.globals {
            g.init.walk_mut(f);
        }
        for d in &mut self.fns {
            d.body.walk_mut(f);
        }
        for m in &mut self.main {
            m.walk_mut(f);
        }
    }

    /// The fn indices a program refers to, outside their own declaration.
    pub fn fn_used(&self, i: usize) -> bool {
        let mut p = self.clone();
        let mut used = false;
        for (j, d) in p.fns.iter_mut().enumerate() {
            if j != i {
                d.body.walk_mut(&mut |e| used |= matches!(e, Expr::Call(k, _) | Expr::FnRef(k) if *k == i));
            }
        }
        for g in &mut p.globals {
            g.init.walk_mut(&mut |e| used |= matches!(e, Expr::Call(k, _) | Expr::FnRef(k) if *k == i));
        }
        for m in &mut p.main {
            used |= matches!(m, Main::Mutate(k) | Main::Twice(_, k, _) if *k == i);
            m.walk_mut(&mut |e| used |= matches!(e, Expr::Call(k, _) | Expr::FnRef(k) if *k == i));
        }
        used
    }
}

/// Replaces the `k`-th editable literal of `body` (in [`lit_types`]
/// order); false when there is none.
pub fn set_body_lit(body: &mut Body, k: usize, to: &Lit) -> bool {
    let mut i = 0;
    let mut done = false;
    body.walk_mut(&mut |e| {
        if let Expr::Lit(l, _) = e {
            if i == k {
                *l = to.clone();
                done = true;
            }
            i += 1;
        }
    });
    done
}

/// How many editable literals `body` has, and their types.
pub fn lit_types(body: &Body) -> Vec<Ty> {
    let mut b = body.clone();
    let mut out = Vec::new();
    b.walk_mut(&mut |e| {
        if let Expr::Lit(_, t) = e {
            out.push(*t);
        }
    });
    out
}
