//! The compiler: resolves the AST into the slot-addressed tree of `ir`.
//!
//! Locals (parameters, `let`s in blocks, loop variables) get frame slots;
//! values a closure captures get slots of the closure's own frame, filled by
//! copy when the closure is called; every other name is a global id. Each
//! function's `ast_hash` (its code identity for caching) is computed here,
//! once, from the resolved tree.

pub mod code_hash;
pub mod ir;

use crate::ast::{self, Arg, BinOp, Block, Expr, ExprKind, FnDef, Program, Stmt, StmtKind};
use crate::error::{MemoError, Result};
use crate::names;
use crate::source::Span;
use crate::stack;
use code_hash::{ast_hash, Hash32};
use ir::{Lit, Node, PathStep, Place, StructDecl};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

mod checks;
use checks::{Calls, KnownCallee};

/// The option names `cached(...)` accepts (the runtime evaluates them).
pub const CACHED_OPTIONS: &[&str] =
    &["hash_funcs", "allow_output_mutation", "suppress_warning", "max_entries", "ttl", "persist", "show_spinner"];

/// A compiled function (or a whole script: `name == "<script>"`), before the
/// runtime lowers its body to running code (`crate::codegen`).
#[derive(Debug)]
pub struct FnIr {
    pub name: String,
    pub params: Vec<String>,
    /// Frame size: parameters, captured values, locals.
    pub nslots: u32,
    /// Where each captured value lands in this function's frame.
    pub capture_slots: Vec<u32>,
    /// Names of the captured variables (for `--explain`).
    pub capture_names: Vec<String>,
    /// Slot holding the closure itself (a local `fn` that calls itself).
    pub self_slot: Option<u32>,
    pub body: Node,
    pub span: Span,
    /// Globals read (or called) by this function or any function nested in
    /// it, in first-use order: its free variables for the cache key. A
    /// global the function only assigns is not among them: its result
    /// cannot depend on it.
    pub globals_read: Vec<u32>,
    /// For each of `globals_read`: true when the global is only ever called
    /// (`g(...)`, `x.g(...)`), never read as a value. A cached fn held by such
    /// a global is a *callee*: its calls are recorded and verified by the
    /// cache, so its code need not be part of the caller's key.
    pub globals_call_only: Vec<bool>,
    /// Structural hash of the resolved body (no spans, locals by slot).
    pub ast_hash: Hash32,
    /// Part of the standard library written in memo (see `CompileOptions::library`).
    pub library: bool,
}

/// What the compiler needs to know about its surroundings.
pub struct CompileOptions<'a> {
    pub file: u32,
    /// Is this global name defined already (natives, earlier REPL input)?
    pub is_defined: &'a dyn Fn(&str) -> bool,
    /// Report names that are defined nowhere as compile errors.
    pub check_undefined: bool,
    /// Also report, as compile errors, calls of the file's own functions and
    /// struct constructors that would fail at run time (wrong number of
    /// arguments, unknown fields): `memo check` does, a run does not (the
    /// script may catch those errors on purpose).
    pub check_calls: bool,
    /// Library code (`stdlib/`): its functions are identified by name and
    /// interpreter version in cache keys, not by their bodies.
    pub library: bool,
}

/// Compiles a whole program into the script's function. Every compile
/// error of the program is reported at once: the first is returned with
/// the others in its `more`.
pub fn compile_program(prog: &Program, opts: &CompileOptions) -> Result<Arc<FnIr>> {
    let mut top_level: HashSet<String> = HashSet::new();
    let mut has_import = false;
    // Top-level declarations by name: (statement index, the callee) when a
    // name is declared once, as a fn or a struct; `None` when it is declared
    // more than once or by `let`.
    let mut declared: HashMap<String, Option<(usize, KnownCallee)>> = HashMap::new();
    for (i, s) in prog.stmts.iter().enumerate() {
        let (name, known) = match &s.kind {
            StmtKind::Let { name, .. } => (name, None),
            StmtKind::Struct { name, fields, .. } => (name, Some(KnownCallee::structure(name, fields))),
            StmtKind::FnDecl(def @ FnDef { name: Some(name), .. }) => (name, Some(KnownCallee::function(name, def))),
            StmtKind::Import(_) => {
                has_import = true;
                continue;
            }
            _ => continue,
        };
        top_level.insert(name.name.clone());
        match declared.get_mut(&name.name) {
            Some(d) => *d = None,
            None => {
                declared.insert(name.name.clone(), known.map(|k| (i, k)));
            }
        }
    }
    let mut c = Compiler {
        fns: Vec::new(),
        top_level,
        opts,
        check_undefined: opts.check_undefined && !has_import,
        boxes: HashMap::new(),
        errors: Vec::new(),
        undefined_reported: HashSet::new(),
        calls: Calls::default(),
        top_stmt: 0,
    };
    let span = prog.stmts.first().map(|s| s.span.to(prog.stmts.last().unwrap().span)).unwrap_or(Span::new(opts.file, 0, 0));
    // A second pass when a closure assigns a local of the script (in a
    // block): that local is boxed from its declaration on.
    loop {
        // What a pass thrown away found is found again.
        c.errors.clear();
        c.undefined_reported.clear();
        c.calls = Calls::default();
        let mut st = FnState::new("<script>".into(), true);
        st.box_wanted = c.boxes.get(&SCRIPT_KEY).cloned().unwrap_or_default();
        c.fns.push(st);
        let mut body = Vec::with_capacity(prog.stmts.len());
        let r = prog.stmts.iter().enumerate().try_for_each(|(i, s)| {
            c.top_stmt = i;
            body.push(c.stmt(s, true)?);
            Ok::<(), MemoError>(())
        });
        let st = c.fns.pop().unwrap();
        r?;
        if c.wants_another_pass(SCRIPT_KEY, &st) {
            continue;
        }
        if opts.check_calls && opts.check_undefined && !has_import {
            let known: HashMap<String, (usize, KnownCallee)> =
                declared.into_iter().filter_map(|(n, d)| d.map(|d| (n, d))).collect();
            let found = c.calls.check(&known);
            c.errors.extend(found);
        }
        if !c.errors.is_empty() {
            let mut errors = std::mem::take(&mut c.errors);
            errors.sort_by_key(|e| e.span.map(|s| s.start));
            return Err(MemoError::collect(errors).expect("not empty"));
        }
        return Ok(Arc::new(st.finish(Vec::new(), Node::Block(body), span, opts.library)));
    }
}

/// The key of the script function in `Compiler::boxes`.
const SCRIPT_KEY: (usize, usize) = (usize::MAX, usize::MAX);

struct FnState {
    name: String,
    is_script: bool,
    scopes: Vec<Vec<(String, u32)>>,
    nslots: u32,
    /// (name, slot here, slot in the enclosing frame)
    captures: Vec<(String, u32, u32)>,
    self_name: Option<String>,
    self_slot: Option<u32>,
    loops: u32,
    globals_read: Vec<u32>,
    globals_call_only: Vec<bool>,
    globals_seen: hashbrown::HashMap<u32, usize>,
    /// Slots that hold a box (a local some nested closure assigns, or a
    /// capture of one): read and written through the box.
    boxed: HashSet<u32>,
    /// Local slots known (from an earlier pass) to need a box.
    box_wanted: HashSet<u32>,
    /// Local slots this pass found assigned by a nested closure.
    box_requests: HashSet<u32>,
}

/// How a name is used where it is resolved.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Use {
    /// Read as a value.
    Read,
    /// Only called: `g(...)` or `x.g(...)`.
    Call,
    /// Assigned (`g = e`, `g op= e`, `g[k] = v`): not a read for the key.
    Write,
}

impl FnState {
    fn new(name: String, is_script: bool) -> FnState {
        FnState {
            name,
            is_script,
            scopes: vec![Vec::new()],
            nslots: 0,
            captures: Vec::new(),
            self_name: None,
            self_slot: None,
            loops: 0,
            globals_read: Vec::new(),
            globals_call_only: Vec::new(),
            globals_seen: hashbrown::HashMap::new(),
            boxed: HashSet::new(),
            box_wanted: HashSet::new(),
            box_requests: HashSet::new(),
        }
    }

    fn alloc(&mut self) -> u32 {
        self.nslots += 1;
        self.nslots - 1
    }

    fn use_global(&mut self, id: u32, how: Use) {
        if how == Use::Write {
            return;
        }
        match self.globals_seen.get(&id) {
            Some(&k) => self.globals_call_only[k] &= how == Use::Call,
            None => {
                self.globals_seen.insert(id, self.globals_read.len());
                self.globals_read.push(id);
                self.globals_call_only.push(how == Use::Call);
            }
        }
    }

    fn finish(self, params: Vec<String>, body: Node, span: Span, library: bool) -> FnIr {
        let hash = ast_hash(params.len(), &body);
        FnIr {
            library,
            name: self.name,
            params,
            nslots: self.nslots,
            capture_slots: self.captures.iter().map(|c| c.1).collect(),
            capture_names: self.captures.iter().map(|c| c.0.clone()).collect(),
            self_slot: self.self_slot,
            body,
            span,
            globals_read: self.globals_read,
            globals_call_only: self.globals_call_only,
            ast_hash: hash,
        }
    }
}

struct Compiler<'a> {
    fns: Vec<FnState>,
    top_level: HashSet<String>,
    opts: &'a CompileOptions<'a>,
    check_undefined: bool,
    /// For each function (by its span) the local slots that need a box:
    /// found by a pass over its body, used by the next (see `function`).
    boxes: HashMap<(usize, usize), HashSet<u32>>,
    /// Every compile error found so far (compiling goes on after one).
    errors: Vec<MemoError>,
    /// Undefined names already reported (each is reported once).
    undefined_reported: HashSet<String>,
    /// Calls of global names, checked against the file's declarations at
    /// the end (`checks`).
    calls: Calls,
    /// The top-level statement being compiled.
    top_stmt: usize,
}

enum Resolved {
    Local(u32),
    Global(u32),
}

/// What an assignment's root resolves to.
enum Target {
    Local(u32),
    /// A slot holding a box: the assignment writes into the box.
    Boxed(u32),
    Global(u32),
}

impl Compiler<'_> {
    fn cur(&mut self) -> &mut FnState {
        self.fns.last_mut().unwrap()
    }

    /// True at the script's top level (not inside any block or function).
    fn at_top_level(&self) -> bool {
        self.fns.len() == 1 && self.fns[0].scopes.len() == 1
    }

    fn guard(&self, span: Span) -> Result<()> {
        if stack::near_overflow() {
            return Err(MemoError::at("SyntaxError", "program nested too deeply", span));
        }
        Ok(())
    }

    fn declare_local(&mut self, name: &str) -> u32 {
        let st = self.cur();
        let slot = st.alloc();
        st.scopes.last_mut().unwrap().push((name.to_string(), slot));
        if st.box_wanted.contains(&slot) {
            st.boxed.insert(slot);
        }
        slot
    }

    /// Is `slot` of the current function a box?
    fn is_boxed(&mut self, slot: u32) -> bool {
        self.cur().boxed.contains(&slot)
    }

    /// `slot = v` for a declaration: a new box when the slot is boxed.
    fn init_local(&mut self, slot: u32, v: Node) -> Node {
        if self.is_boxed(slot) {
            Node::BoxNew(slot, Box::new(v))
        } else {
            Node::SetLocal(slot, Box::new(v))
        }
    }

    /// `body`, first putting the value a loop or `catch` stored in `slot`
    /// into a new box when the slot is boxed.
    fn boxing(&mut self, slot: u32, body: Node) -> Node {
        if self.is_boxed(slot) {
            Node::Block(vec![Node::BoxWrap(slot), body])
        } else {
            body
        }
    }

    /// The function and local slot a capture slot of function `k` comes
    /// from; `None` when it is a function's own name (its self slot).
    fn capture_origin(&self, k: usize, slot: u32) -> Option<(usize, u32)> {
        let st = &self.fns[k];
        if st.self_slot == Some(slot) {
            return None;
        }
        match st.captures.iter().find(|c| c.1 == slot) {
            Some(c) if k > 0 => self.capture_origin(k - 1, c.2),
            Some(_) => None,
            None => Some((k, slot)),
        }
    }

    /// After a pass over a function's body: did it find locals that nested
    /// closures assign and that were not boxed in this pass? Then they are
    /// recorded, and the body must be compiled again.
    fn wants_another_pass(&mut self, key: (usize, usize), st: &FnState) -> bool {
        if st.box_requests.is_subset(&st.box_wanted) {
            return false;
        }
        let known = self.boxes.entry(key).or_default();
        known.extend(st.box_requests.iter().copied());
        true
    }

    fn resolve_in(&mut self, k: usize, name: &str) -> Option<u32> {
        let st = &self.fns[k];
        for scope in st.scopes.iter().rev() {
            if let Some((_, s)) = scope.iter().rev().find(|(n, _)| n == name) {
                return Some(*s);
            }
        }
        if let Some((_, s, _)) = st.captures.iter().find(|(n, _, _)| n == name) {
            return Some(*s);
        }
        if st.self_name.as_deref() == Some(name) {
            if let Some(s) = st.self_slot {
                return Some(s);
            }
            let st = &mut self.fns[k];
            let s = st.alloc();
            st.self_slot = Some(s);
            return Some(s);
        }
        if k == 0 {
            return None;
        }
        let src = self.resolve_in(k - 1, name)?;
        let boxed = self.fns[k - 1].boxed.contains(&src);
        let st = &mut self.fns[k];
        let slot = st.alloc();
        st.captures.push((name.to_string(), slot, src));
        if boxed {
            // The capture copies the box: the closure shares the variable.
            st.boxed.insert(slot);
        }
        Some(slot)
    }

    /// Records a compile error; compiling goes on, so that one pass finds
    /// them all.
    fn report(&mut self, e: MemoError) {
        self.errors.push(e);
    }

    fn resolve(&mut self, name: &str, span: Span, how: Use) -> Result<Resolved> {
        let k = self.fns.len() - 1;
        if let Some(slot) = self.resolve_in(k, name) {
            return Ok(Resolved::Local(slot));
        }
        if self.check_undefined && !self.top_level.contains(name) && !(self.opts.is_defined)(name) {
            if self.undefined_reported.insert(name.to_string()) {
                let what = if how == Use::Call { "function" } else { "variable" };
                let e = MemoError::compile(format!("undefined {what} `{name}`"), span);
                let help = self.suggest_name(name);
                self.report(e.with_suggestion(help));
            }
            return Ok(Resolved::Global(names::intern(name)));
        }
        let id = names::intern(name);
        for st in self.fns.iter_mut() {
            st.use_global(id, how);
        }
        Ok(Resolved::Global(id))
    }

    /// "Did you mean" for an undefined name: the names visible here (locals
    /// of this and the enclosing functions, the file's globals, the
    /// interpreter's), then the keywords.
    fn suggest_name(&self, name: &str) -> Option<String> {
        let mut candidates: Vec<String> = Vec::new();
        for st in self.fns.iter().rev() {
            for scope in st.scopes.iter().rev() {
                candidates.extend(scope.iter().rev().map(|(n, _)| n.clone()));
            }
            candidates.extend(st.captures.iter().map(|c| c.0.clone()));
            candidates.extend(st.self_name.clone());
        }
        let mut globals: Vec<String> = self.top_level.iter().cloned().collect();
        globals.extend(names::all().into_iter().filter(|n| (self.opts.is_defined)(n)));
        globals.sort();
        candidates.extend(globals);
        crate::suggest::did_you_mean(name, candidates.iter().map(String::as_str), crate::suggest::KEYWORDS)
    }

    fn block(&mut self, b: &Block) -> Result<Node> {
        self.cur().scopes.push(Vec::new());
        let r = b.stmts.iter().map(|s| self.stmt(s, false)).collect::<Result<Vec<_>>>();
        self.cur().scopes.pop();
        Ok(Node::Block(r?))
    }

    fn stmt(&mut self, s: &Stmt, top: bool) -> Result<Node> {
        self.guard(s.span)?;
        let top = top && self.at_top_level();
        Ok(match &s.kind {
            StmtKind::Let { name, value } => {
                // `let g = fn(...) {...}` names the function `g` (messages, stats).
                let v = match &value.kind {
                    ExprKind::Fn(def) if def.name.is_none() => {
                        let mut def = (**def).clone();
                        def.name = Some(name.clone());
                        self.function(&def, if top { None } else { Some(name.name.clone()) })?
                    }
                    _ => self.expr(value)?,
                };
                if top {
                    Node::DefineGlobal(names::intern(&name.name), Box::new(v))
                } else {
                    let slot = self.declare_local(&name.name);
                    self.init_local(slot, v)
                }
            }
            StmtKind::Assign { target, op, value } => self.assign(target, *op, value, s.span)?,
            StmtKind::FnDecl(def) => {
                let name = def.name.as_ref().map(|n| n.name.clone()).unwrap_or_default();
                if top {
                    let f = self.function(def, None)?;
                    Node::DefineGlobal(names::intern(&name), Box::new(f))
                } else {
                    let slot = self.declare_local(&name);
                    let f = self.function(def, Some(name))?;
                    self.init_local(slot, f)
                }
            }
            StmtKind::Struct { name, fields, mutable } => {
                let mut seen = HashSet::new();
                for f in fields {
                    if !seen.insert(&f.name) {
                        self.report(MemoError::compile(
                            format!("duplicate field `{}` in struct `{}`", f.name, name.name),
                            f.span,
                        ));
                    }
                }
                let ty = Arc::new(StructDecl {
                    name: name.name.clone(),
                    fields: fields.iter().map(|f| f.name.clone()).collect(),
                    mutable: *mutable,
                });
                if top {
                    Node::DefineGlobal(names::intern(&name.name), Box::new(Node::Struct(ty)))
                } else {
                    let slot = self.declare_local(&name.name);
                    self.init_local(slot, Node::Struct(ty))
                }
            }
            StmtKind::While { cond, body } => {
                let c = self.expr(cond)?;
                self.cur().loops += 1;
                let b = self.block(body);
                self.cur().loops -= 1;
                Node::While(Box::new(c), Box::new(b?), cond.span)
            }
            StmtKind::For { var, iter, body } => {
                let it = self.expr(iter)?;
                self.cur().scopes.push(Vec::new());
                let slot = self.declare_local(&var.name);
                self.cur().loops += 1;
                let b = self.block(body);
                self.cur().loops -= 1;
                let b = b.map(|b| self.boxing(slot, b));
                self.cur().scopes.pop();
                Node::For(slot, Box::new(it), Box::new(b?), iter.span)
            }
            StmtKind::Break | StmtKind::Continue => {
                if self.cur().loops == 0 {
                    let what = if matches!(s.kind, StmtKind::Break) { "break" } else { "continue" };
                    self.report(MemoError::compile(format!("`{what}` outside of a loop"), s.span));
                    return Ok(Node::Const(Lit::None));
                }
                if matches!(s.kind, StmtKind::Break) {
                    Node::Break
                } else {
                    Node::Continue
                }
            }
            StmtKind::Return(e) => {
                if self.cur().is_script {
                    self.report(MemoError::compile("`return` outside of a function", s.span));
                }
                let v = match e {
                    Some(e) => self.expr(e)?,
                    None => Node::Const(Lit::None),
                };
                Node::Return(Box::new(v))
            }
            StmtKind::Import(path) => {
                if !top {
                    self.report(MemoError::compile("`import` is only allowed at the top level of a file", s.span));
                }
                Node::Import(path.clone(), s.span)
            }
            StmtKind::Expr(e) => self.expr(e)?,
        })
    }

    fn assign(&mut self, target: &Expr, op: Option<BinOp>, value: &Expr, span: Span) -> Result<Node> {
        // Walk down to the root variable, collecting the path.
        let mut steps: Vec<&Expr> = Vec::new();
        let mut root = target;
        loop {
            match &root.kind {
                ExprKind::Index(t, _) | ExprKind::Field(t, _) => {
                    steps.push(root);
                    root = t;
                }
                ExprKind::Ident(_) => break,
                _ if matches!(steps.last(), Some(e) if matches!(e.kind, ExprKind::Field(..))) => {
                    // `f().x = v`, `a.b().items[0] = v`: a field of the
                    // object an expression gives (checked when it runs).
                    return self.assign_through(root, steps, op, value, span);
                }
                _ => {
                    self.report(MemoError::compile("cannot assign to this expression", target.span));
                    self.expr(value)?;
                    return Ok(Node::Const(Lit::None));
                }
            }
        }
        let ExprKind::Ident(name) = &root.kind else { unreachable!() };
        let place = match self.resolve_target(name, root.span)? {
            Target::Local(s) => Place::Local(s),
            Target::Boxed(s) => Place::Boxed(s),
            Target::Global(g) => Place::Global(g),
        };
        let v = self.expr(value)?;
        if steps.is_empty() {
            return Ok(match (place, op) {
                (Place::Local(s), None) => Node::SetLocal(s, Box::new(v)),
                (Place::Boxed(s), None) => Node::BoxSet(s, Box::new(v)),
                (Place::Global(g), None) => {
                    // Calls of a global the script rebinds take a reference
                    // count, so that a replaced function is freed at once.
                    names::note_assigned(g);
                    Node::SetGlobal(g, Box::new(v), root.span)
                }
                (Place::Local(s), Some(op)) => Node::CompoundLocal(op, s, Box::new(v), span),
                (Place::Boxed(s), Some(op)) => Node::BoxCompound(op, s, Box::new(v), span),
                (Place::Global(g), Some(op)) => Node::CompoundGlobal(op, g, Box::new(v), span),
            });
        }
        let mut path = Vec::new();
        for e in steps.into_iter().rev() {
            match &e.kind {
                ExprKind::Index(_, i) => path.push(PathStep::Index(self.expr(i)?)),
                ExprKind::Field(_, f) => path.push(PathStep::Field(f.name.clone())),
                _ => unreachable!(),
            }
        }
        Ok(Node::SetPath { root: place, path, op, value: Box::new(v), span: target.span })
    }

    /// `expr.f... (op)= value`: the path applies to the object `expr`
    /// evaluates to (after `value`, as Python evaluates `f().x = v`).
    fn assign_through(&mut self, root: &Expr, steps: Vec<&Expr>, op: Option<BinOp>, value: &Expr, span: Span) -> Result<Node> {
        let v = self.expr(value)?;
        let target = self.expr(root)?;
        let mut path = Vec::new();
        for e in steps.into_iter().rev() {
            match &e.kind {
                ExprKind::Index(_, i) => path.push(PathStep::Index(self.expr(i)?)),
                ExprKind::Field(_, f) => path.push(PathStep::Field(f.name.clone())),
                _ => unreachable!(),
            }
        }
        Ok(Node::SetPathOn { target: Box::new(target), path, op, value: Box::new(v), span })
    }

    /// Resolves an assignment target. A variable of an enclosing function
    /// that a closure assigns lives in a box, shared by the function and
    /// its closures (Python's `nonlocal`, Lua's upvalues): the first pass
    /// over the enclosing function finds it (`box_requests`), the next one
    /// boxes it, and the closure writes into the box. A function's own
    /// name cannot be assigned: its slot is lent the running closure
    /// (`Interp::call_plain`). Capture slots themselves are never
    /// reassigned: the frame holds lent copies in them (`value::lend`).
    fn resolve_target(&mut self, name: &str, span: Span) -> Result<Target> {
        let slot = match self.resolve(name, span, Use::Write)? {
            Resolved::Global(g) => {
                self.calls.assigned(name);
                return Ok(Target::Global(g));
            }
            Resolved::Local(slot) => slot,
        };
        if self.is_boxed(slot) {
            return Ok(Target::Boxed(slot));
        }
        let k = self.fns.len() - 1;
        let st = &self.fns[k];
        let captured = st.captures.iter().any(|c| c.1 == slot);
        if st.self_slot == Some(slot) {
            self.report(cannot_assign_capture(name, span));
            return Ok(Target::Local(slot));
        }
        if !captured {
            return Ok(Target::Local(slot));
        }
        match self.capture_origin(k, slot) {
            Some((d, local)) => {
                // This pass's code is thrown away: the enclosing function
                // is compiled again with the local boxed.
                self.fns[d].box_requests.insert(local);
                Ok(Target::Boxed(slot))
            }
            None => {
                self.report(cannot_assign_capture(name, span));
                Ok(Target::Local(slot))
            }
        }
    }

    fn function(&mut self, def: &FnDef, local_name: Option<String>) -> Result<Node> {
        let name = def.name.as_ref().map(|n| n.name.clone()).unwrap_or_default();
        let key = (def.span.start as usize, def.span.end as usize);
        let (st, body) = loop {
            // A pass thrown away (below) takes back what it reported.
            let marks = (self.errors.len(), self.calls.len(), self.undefined_reported.clone());
            let mut st = FnState::new(name.clone(), false);
            st.self_name = local_name.clone();
            st.box_wanted = self.boxes.get(&key).cloned().unwrap_or_default();
            let mut seen = HashSet::new();
            let mut wraps = Vec::new();
            for p in &def.params {
                if !seen.insert(&p.name) {
                    self.report(MemoError::compile(format!("duplicate parameter `{}`", p.name), p.span));
                }
                let slot = st.alloc();
                st.scopes[0].push((p.name.clone(), slot));
                if st.box_wanted.contains(&slot) {
                    // A parameter a closure assigns: boxed on entry.
                    st.boxed.insert(slot);
                    wraps.push(Node::BoxWrap(slot));
                }
            }
            self.fns.push(st);
            let body = self.block(&def.body);
            let st = self.fns.pop().unwrap();
            let body = body?;
            if self.wants_another_pass(key, &st) {
                self.errors.truncate(marks.0);
                self.calls.truncate(marks.1);
                self.undefined_reported = marks.2;
                continue;
            }
            let body = if wraps.is_empty() {
                body
            } else {
                wraps.push(body);
                Node::Block(wraps)
            };
            break (st, body);
        };
        let sources: Vec<u32> = st.captures.iter().map(|c| c.2).collect();
        // (`resolve` already recorded the nested function's globals as free
        // variables of every enclosing function too.)
        let proto = Arc::new(st.finish(def.params.iter().map(|p| p.name.clone()).collect(), body, def.span, self.opts.library));
        match &def.cached {
            None => Ok(Node::Closure(proto, sources)),
            Some(opts) => {
                let mut out = Vec::new();
                for a in opts {
                    let Some(n) = &a.name else {
                        self.report(MemoError::compile(
                            "cached options are named, e.g. `cached(max_entries: 100)`",
                            a.value.span,
                        ));
                        continue;
                    };
                    if !CACHED_OPTIONS.contains(&n.name.as_str()) {
                        let help = crate::suggest::closest(&n.name, CACHED_OPTIONS.iter().copied())
                            .map(|c| format!("did you mean `{c}`?"));
                        self.report(
                            MemoError::compile(
                                format!("unknown cached option `{}` (known: {})", n.name, CACHED_OPTIONS.join(", ")),
                                n.span,
                            )
                            .with_suggestion(help),
                        );
                        continue;
                    }
                    out.push((n.name.clone(), self.expr(&a.value)?, n.span));
                }
                Ok(Node::CachedClosure(proto, sources, out))
            }
        }
    }

    fn args(&mut self, args: &[Arg]) -> Result<Vec<Node>> {
        args.iter().map(|a| self.expr(&a.value)).collect()
    }

    fn call(&mut self, callee: Node, receiver: Option<Node>, args: &[Arg], span: Span) -> Result<Node> {
        if args.iter().any(|a| a.name.is_some()) {
            let mut named = Vec::new();
            if let Some(r) = receiver {
                named.push((None, r));
            }
            let mut seen = HashSet::new();
            for a in args {
                if let Some(n) = &a.name {
                    if !seen.insert(n.name.clone()) {
                        self.report(MemoError::compile(format!("argument `{}` given twice", n.name), n.span));
                    }
                }
                named.push((a.name.as_ref().map(|n| n.name.clone()), self.expr(&a.value)?));
            }
            return Ok(Node::CallNamed(Box::new(callee), named, span));
        }
        let mut v = Vec::with_capacity(args.len() + 1);
        if let Some(r) = receiver {
            v.push(r);
        }
        v.extend(self.args(args)?);
        Ok(Node::Call(Box::new(callee), v, span))
    }

    /// Records a call of a global by name, for the arity check at the end.
    fn note_call(&mut self, callee: &Node, name: &str, method: bool, args: &[Arg], span: Span) {
        if !self.opts.check_calls {
            return;
        }
        if let Node::Global(..) = callee {
            let in_function = self.fns.len() > 1;
            self.calls.call(name, method, args, span, in_function, self.top_stmt);
        }
    }

    fn name(&mut self, name: &str, span: Span, how: Use) -> Result<Node> {
        Ok(match self.resolve(name, span, how)? {
            Resolved::Local(s) if self.is_boxed(s) => Node::BoxGet(s),
            Resolved::Local(s) => Node::Local(s),
            Resolved::Global(g) => Node::Global(g, span),
        })
    }

    fn expr(&mut self, e: &Expr) -> Result<Node> {
        self.guard(e.span)?;
        let span = e.span;
        Ok(match &e.kind {
            ExprKind::None => Node::Const(Lit::None),
            ExprKind::Bool(b) => Node::Const(Lit::Bool(*b)),
            ExprKind::Int(i) => Node::Const(Lit::Int(*i)),
            ExprKind::Float(f) => Node::Const(Lit::Float(*f)),
            ExprKind::Str(s) => Node::Const(Lit::Str(Arc::from(s.as_str()))),
            ExprKind::Ident(n) => self.name(n, span, Use::Read)?,
            ExprKind::List(items) => Node::List(items.iter().map(|i| self.expr(i)).collect::<Result<_>>()?, span),
            ExprKind::Map(pairs) => {
                Node::Map(pairs.iter().map(|(k, v)| Ok((self.expr(k)?, self.expr(v)?))).collect::<Result<_>>()?, span)
            }
            ExprKind::Unary(op, x) => {
                let x = self.expr(x)?;
                match (op, &x) {
                    (ast::UnOp::Neg, Node::Const(Lit::Int(i))) if *i != i64::MIN => Node::Const(Lit::Int(-i)),
                    (ast::UnOp::Neg, Node::Const(Lit::Float(f))) => Node::Const(Lit::Float(-f)),
                    _ => Node::Unary(*op, Box::new(x), span),
                }
            }
            ExprKind::Binary(op, a, b) => {
                let (l, r) = (self.expr(a)?, self.expr(b)?);
                match op {
                    BinOp::And => Node::And(Box::new(l), Box::new(r), span),
                    BinOp::Or => Node::Or(Box::new(l), Box::new(r), span),
                    _ => Node::Binary(*op, Box::new(l), Box::new(r), span),
                }
            }
            ExprKind::Range { start, end, inclusive } => {
                Node::Range(Box::new(self.expr(start)?), Box::new(self.expr(end)?), *inclusive, span)
            }
            ExprKind::Call { callee, args } => {
                let c = match &callee.kind {
                    ExprKind::Ident(n) => {
                        self.guard(callee.span)?;
                        let c = self.name(n, callee.span, Use::Call)?;
                        self.note_call(&c, n, false, args, span);
                        c
                    }
                    _ => self.expr(callee)?,
                };
                self.call(c, None, args, span)?
            }
            ExprKind::MethodCall { receiver, name, args } => {
                let r = self.expr(receiver)?;
                let c = self.name(&name.name, name.span, Use::Call)?;
                self.note_call(&c, &name.name, true, args, span);
                self.call(c, Some(r), args, span)?
            }
            ExprKind::Index(t, i) => Node::Index(Box::new(self.expr(t)?), Box::new(self.expr(i)?), span),
            ExprKind::Field(t, f) => Node::Field(Box::new(self.expr(t)?), f.name.clone(), f.span),
            ExprKind::If { cond, then, else_ } => {
                let c = self.expr(cond)?;
                let t = self.block(then)?;
                let el = match else_ {
                    Some(e) => Some(Box::new(self.expr(e)?)),
                    None => None,
                };
                Node::If(Box::new(c), Box::new(t), el, cond.span)
            }
            ExprKind::Block(b) => self.block(b)?,
            ExprKind::Fn(def) => self.function(def, None)?,
            ExprKind::Try { body, var, handler } => {
                let b = self.block(body)?;
                self.cur().scopes.push(Vec::new());
                let slot = self.declare_local(&var.name);
                let h = self.block(handler);
                let h = h.map(|h| self.boxing(slot, h));
                self.cur().scopes.pop();
                Node::Try(Box::new(b), slot, Box::new(h?))
            }
        })
    }
}

fn cannot_assign_capture(name: &str, span: Span) -> MemoError {
    MemoError::compile(format!("cannot assign to `{name}`: it is the function being defined (use another name)"), span)
}
