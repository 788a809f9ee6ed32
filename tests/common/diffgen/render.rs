//! Rendering a generated program as memo source: with its `cached` fns (the
//! run under test, plus probe lines starting with `#`) or with every
//! `cached` removed (the oracle).

use super::ast::*;
use std::fmt::Write;

/// How to render.
#[derive(Clone, Copy)]
pub struct Style<'a> {
    /// Keep `cached` (and its options, probes and `cache_clear`).
    pub cached: bool,
    /// Prefix of every file path (`""` for paths relative to the cwd).
    pub dir: &'a str,
}

/// The probe lines the cached rendering adds; they never appear in the
/// oracle's output.
pub const PROBE: &str = "#";

pub fn program(p: &Program, style: Style) -> String {
    let r = R { p, style };
    let mut out = String::new();
    if p.has_p {
        out.push_str("struct P { x, y }\n");
    }
    for g in p.globals.iter().filter(|g| !g.late) {
        let _ = writeln!(out, "let {} = {}", g.name, r.expr(&g.init, true));
    }
    for d in &p.fns {
        out.push_str(&r.decl(d));
    }
    for g in p.globals.iter().filter(|g| g.late) {
        let _ = writeln!(out, "let {} = {}", g.name, r.expr(&g.init, true));
    }
    for m in &p.main {
        r.main(m, &mut out);
    }
    if style.cached {
        for d in p.fns.iter().filter(|d| d.cached && d.kind == FnKind::Pure) {
            let _ = writeln!(out, "print(\"{PROBE}misses\", \"{0}\", cache_info({0})[\"misses\"])", d.name);
        }
    }
    out
}

struct R<'a> {
    p: &'a Program,
    style: Style<'a>,
}

impl R<'_> {
    fn decl(&self, d: &FnDecl) -> String {
        let mut out = String::new();
        if d.cached && self.style.cached {
            if d.opts.is_empty() {
                out.push_str("cached ");
            } else {
                let _ = write!(out, "cached({}) ", d.opts.join(", "));
            }
        }
        let params: Vec<&str> = d.params.iter().map(|(n, _)| n.as_str()).collect();
        let _ = writeln!(out, "fn {}({}) {{", d.name, params.join(", "));
        for s in &d.body.stmts {
            self.stmt(s, 1, &mut out);
        }
        let _ = writeln!(out, "    {}", self.expr(&d.body.ret, true));
        out.push_str("}\n");
        out
    }

    fn stmt(&self, s: &Stmt, depth: usize, out: &mut String) {
        let pad = "    ".repeat(depth);
        match s {
            Stmt::Let(n, e) => {
                let _ = writeln!(out, "{pad}let {n} = {}", self.expr(e, true));
            }
            Stmt::Set(n, e) => {
                let _ = writeln!(out, "{pad}{n} = {}", self.expr(e, true));
            }
            Stmt::SetIndex(n, k, e) => {
                let _ = writeln!(out, "{pad}{n}[{}] = {}", self.expr(k, true), self.expr(e, true));
            }
            Stmt::SetField(n, f, e) => {
                let _ = writeln!(out, "{pad}{n}.{f} = {}", self.expr(e, true));
            }
            Stmt::SetGlobal(g, e) => {
                let _ = writeln!(out, "{pad}{} = {}", self.p.globals[*g].name, self.expr(e, true));
            }
            Stmt::For(v, n, body) => {
                let _ = writeln!(out, "{pad}for {v} in 0..{n} {{");
                for s in body {
                    self.stmt(s, depth + 1, out);
                }
                let _ = writeln!(out, "{pad}}}");
            }
        }
    }

    fn main(&self, m: &Main, out: &mut String) {
        let cached_fn = |i: usize| self.style.cached && self.p.fns[i].cached;
        // A probe needs the entry to survive the call's own nested calls: a
        // fn with max_entries may evict it (f(f(x)) under max_entries: 1).
        let probed = |i: usize| cached_fn(i) && !self.p.fns[i].may_forget(false);
        match m {
            Main::Print(label, es) => {
                let _ = writeln!(out, "print(\"{label}\", {})", self.list(es));
            }
            Main::Assign(g, e) => {
                let _ = writeln!(out, "{} = {}", self.p.globals[*g].name, self.expr(e, true));
            }
            Main::Mutate(i) => {
                let _ = writeln!(out, "{}()", self.p.fns[*i].name);
            }
            Main::Twice(label, i, args) => {
                let call = format!("{}({})", self.p.fns[*i].name, self.list(args));
                let _ = writeln!(out, "print(\"{label}\", {call})");
                if probed(*i) {
                    let _ = writeln!(out, "let probe_m = cache_info({})[\"misses\"]", self.p.fns[*i].name);
                }
                let _ = writeln!(out, "print(\"{label}\", {call})");
                if probed(*i) {
                    let _ = writeln!(
                        out,
                        "print(\"{PROBE}probe\", \"{label}\", cache_info({})[\"misses\"] - probe_m)",
                        self.p.fns[*i].name
                    );
                }
            }
            Main::Loop(label, n, es) => {
                let _ = writeln!(out, "for i in 0..{n} {{\n    print(\"{label}\", {})\n}}", self.list(es));
            }
            Main::Redeclare(i, k, lit) => {
                let mut d = self.p.fns[*i].clone();
                set_body_lit(&mut d.body, *k, lit);
                out.push_str(&self.decl(&d));
            }
            Main::Clear(i) => {
                if cached_fn(*i) {
                    let _ = writeln!(out, "cache_clear({})", self.p.fns[*i].name);
                }
            }
        }
    }

    fn list(&self, es: &[Expr]) -> String {
        es.iter().map(|e| self.expr(e, true)).collect::<Vec<_>>().join(", ")
    }

    fn body_inline(&self, b: &Body) -> String {
        let mut parts: Vec<String> = Vec::new();
        for s in &b.stmts {
            let mut one = String::new();
            self.stmt(s, 0, &mut one);
            parts.push(one.trim_end().replace('\n', "; "));
        }
        parts.push(self.expr(&b.ret, true));
        parts.join("; ")
    }

    /// `top`: the expression stands alone (an argument, a right-hand
    /// side), so it needs no parentheses.
    fn expr(&self, e: &Expr, top: bool) -> String {
        let wrap = |s: String| if top { s } else { format!("({s})") };
        match e {
            Expr::Lit(l, _) | Expr::Const(l) => lit(l),
            Expr::Local(n) => n.clone(),
            Expr::Global(g) => self.p.globals[*g].name.clone(),
            Expr::FnRef(i) => self.p.fns[*i].name.clone(),
            Expr::Bin(op, _, a, b) => wrap(format!("{} {op} {}", self.expr(a, false), self.expr(b, false))),
            Expr::Not(a) => wrap(format!("not {}", self.expr(a, false))),
            Expr::Call(i, args) => format!("{}({})", self.p.fns[*i].name, self.list(args)),
            Expr::Native(n, args) => format!("{n}({})", self.list(args)),
            Expr::CallValue(f, args) => {
                let f = match **f {
                    Expr::Local(_) | Expr::Global(_) | Expr::Index(..) | Expr::FnRef(_) | Expr::Call(..) => self.expr(f, true),
                    _ => format!("({})", self.expr(f, true)),
                };
                format!("{f}({})", self.list(args))
            }
            Expr::Index(a, k) => format!("{}[{}]", self.postfix(a), self.expr(k, true)),
            Expr::Field(a, f) => format!("{}.{f}", self.postfix(a)),
            Expr::List(es) => format!("[{}]", self.list(es)),
            Expr::Map(kvs) => {
                let kv: Vec<String> = kvs.iter().map(|(k, v)| format!("\"{k}\": {}", self.expr(v, true))).collect();
                format!("{{{}}}", kv.join(", "))
            }
            Expr::Struct(x, y, false) => format!("P({}, {})", self.expr(x, true), self.expr(y, true)),
            Expr::Struct(x, y, true) => format!("P(x: {}, y: {})", self.expr(x, true), self.expr(y, true)),
            Expr::Lambda(v, body, cached) => {
                let kw = if *cached && self.style.cached { "cached fn" } else { "fn" };
                wrap(format!("{kw}({v}) {{ {} }}", self.body_inline(body)))
            }
            Expr::If(c, a, b) => {
                wrap(format!("if {} {{ {} }} else {{ {} }}", self.expr(c, true), self.expr(a, true), self.expr(b, true)))
            }
            Expr::Try(a, b) => wrap(format!("try {{ {} }} catch caught {{ {} }}", self.expr(a, true), self.expr(b, true))),
            Expr::Path(name) => format!("\"{}{name}\"", self.style.dir),
        }
    }

    /// An expression in front of `[..]` or `.f`.
    fn postfix(&self, e: &Expr) -> String {
        match e {
            Expr::Bin(..) | Expr::Not(_) | Expr::Lambda(..) | Expr::If(..) | Expr::Try(..) => format!("({})", self.expr(e, true)),
            _ => self.expr(e, true),
        }
    }
}

pub fn lit(l: &Lit) -> String {
    match l {
        Lit::Int(i) if *i < 0 => format!("({i})"),
        Lit::Int(i) => i.to_string(),
        Lit::Float(f) if f.is_sign_negative() => format!("(-{:?})", -f),
        Lit::Float(f) => format!("{f:?}"),
        Lit::Str(s) => format!("\"{s}\""),
        Lit::Bool(b) => b.to_string(),
    }
}

/// A `--set` value as the command line writes it (`-0.0`, `2`, `abc`).
pub fn param_arg(l: &Lit) -> String {
    match l {
        Lit::Int(i) => i.to_string(),
        Lit::Float(f) => format!("{f:?}"),
        Lit::Str(s) => s.clone(),
        Lit::Bool(b) => b.to_string(),
    }
}
