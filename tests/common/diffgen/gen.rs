//! Generating random cases: a program (typed, terminating, deterministic),
//! its files and params, and the edits between its runs.
//!
//! Rules that keep the cached and the uncached runs comparable:
//! - fns never `print`; pure fns (the ones that may be cached) write only
//!   *sink* globals, which nothing reads; mutators write real globals and are
//!   called only from the top level;
//! - no clocks, no cells, no fn value is ever printed;
//! - terminating: user fns call only fns declared after them, recursion is
//!   on a first argument `n % 12` that decreases to a base case, and fn
//!   values (lambdas, fns in lists and maps) call only *value-safe* fns,
//!   which never call fn values;
//! - small: ints are reduced `% 1009` at every fn return, and a program's
//!   estimated call count is bounded.

use super::ast::*;
use super::edit::*;
use super::Rng;

/// Files a case may read: `n*` hold a number, `t*` text.
pub const FILES: &[&str] = &["n0.txt", "n1.txt", "t0.txt", "t1.txt"];
/// Numeric `--set` params (`k0`, `k1`) and a text one (`k2`).
pub const NUM_PARAMS: &[&str] = &["k0", "k1"];
pub const STR_PARAM: &str = "k2";
/// Explicit mtimes: before and after the threshold programs compare with.
pub const MTIME_OLD: i64 = 1_600_000_000;
pub const MTIME_NEW: i64 = 1_700_000_000;
pub const MTIME_SPLIT: f64 = 1_650_000_000.0;

const NUMS: &[Lit] = &[
    Lit::Int(0),
    Lit::Int(1),
    Lit::Int(2),
    Lit::Int(3),
    Lit::Int(-1),
    Lit::Float(0.0),
    Lit::Float(-0.0),
    Lit::Float(0.5),
    Lit::Float(2.0),
    Lit::Float(-1.5),
    Lit::Float(1.0),
];
const MULS: &[Lit] = &[Lit::Int(2), Lit::Int(-1), Lit::Int(3), Lit::Float(0.5), Lit::Float(-0.0), Lit::Float(2.0)];
const STRS: &[&str] = &["a", "b", "xy", "", "q z", "ab"];
const WORDS: &[&str] = &["abc", "xyz", "hello", "a,b", "", "qq"];

/// Features a run can leave out of the programs (`MEMO_DIFF_WITHOUT=sinks,files`),
/// to look past a known failure for others.
#[derive(Clone, Copy, Debug, Default)]
pub struct Without {
    /// Globals written by cached fns and never read.
    pub sinks: bool,
    pub files: bool,
    pub params: bool,
    /// `-0.0` and `0.0` literals.
    pub zeros: bool,
    /// Fns as values: fn-typed params, lists and maps of fns, fns returning fns.
    pub fn_values: bool,
    /// Fns declared again in the middle of a run.
    pub redeclare: bool,
    /// `cached(...)` options.
    pub options: bool,
}

impl Without {
    /// From `MEMO_DIFF_WITHOUT` (comma-separated names of the fields).
    pub fn from_env() -> Without {
        let v = std::env::var("MEMO_DIFF_WITHOUT").unwrap_or_default();
        let has = |n: &str| v.split(',').any(|x| x.trim() == n);
        Without {
            sinks: has("sinks"),
            files: has("files"),
            params: has("params"),
            zeros: has("zeros"),
            fn_values: has("fn_values"),
            redeclare: has("redeclare"),
            options: has("options"),
        }
    }
}

/// Upper bound on the estimated calls of one fn and of a whole program.
const FN_COST: u64 = 1500;
const PROGRAM_COST: u64 = 20_000;

pub fn case(seed: u64) -> Case {
    case_without(seed, Without::default())
}

pub fn case_without(seed: u64, w: Without) -> Case {
    case_from(Rng::new(seed), seed, w)
}

/// The case the bytes choose (the fuzz target); its seed is 0.
pub fn case_from_bytes(bytes: &[u8], w: Without) -> Case {
    case_from(Rng::from_bytes(bytes), 0, w)
}

fn case_from(rng: Rng, seed: u64, w: Without) -> Case {
    let p = Program { has_p: false, globals: vec![], fns: vec![], main: vec![] };
    let mut g = G { rng, p, fresh: 0, costs: vec![], w };
    g.program();
    let init_files = g.init_files();
    let mut init_params = Vec::new();
    for name in NUM_PARAMS.iter().chain([&STR_PARAM]) {
        if g.rng.chance(40) && !w.params {
            init_params.push((name.to_string(), g.param_value(name)));
        }
    }
    let versions = 2 + g.rng.below(3);
    let mut case = Case { seed, base: g.p.clone(), init_files, init_params, edits: vec![] };
    for v in 1..versions {
        let current = case.versions().pop().expect("one version at least");
        let n = 1 + g.rng.below(2);
        let group = (0..n).map(|_| g.edit(&current, v)).collect();
        case.edits.push(group);
    }
    case
}

struct G {
    rng: Rng,
    p: Program,
    /// Counter for fresh local names.
    fresh: usize,
    /// Estimated calls of each fn (filled from the last fn backwards).
    costs: Vec<u64>,
    w: Without,
}

/// Where an expression is generated.
#[derive(Clone)]
struct Cx {
    /// The fn being generated (it may call only fns after it); `None` at the
    /// top level.
    fn_idx: Option<usize>,
    locals: Vec<(String, Ty)>,
    /// No calls through fn values and no fn-typed variables.
    value_safe: bool,
    /// User fn calls left.
    calls: u32,
}

impl Cx {
    fn top(calls: u32) -> Cx {
        Cx { fn_idx: None, locals: vec![], value_safe: false, calls }
    }
}

fn lit(l: Lit, t: Ty) -> Expr {
    Expr::Lit(l, t)
}
fn konst(i: i64) -> Expr {
    Expr::Const(Lit::Int(i))
}
fn kstr(s: &str) -> Expr {
    Expr::Const(Lit::Str(s.to_string()))
}
fn bin(op: &'static str, t: Ty, a: Expr, b: Expr) -> Expr {
    Expr::Bin(op, t, Box::new(a), Box::new(b))
}
fn native(n: &'static str, args: Vec<Expr>) -> Expr {
    Expr::Native(n, args)
}
fn iff(c: Expr, a: Expr, b: Expr) -> Expr {
    Expr::If(Box::new(c), Box::new(a), Box::new(b))
}

impl G {
    // ----- the program -----

    fn program(&mut self) {
        let p_struct = self.rng.chance(50);
        self.p.has_p = p_struct;
        let mut early = vec![Ty::Int, Ty::Num, Ty::Str, Ty::ListI, Ty::MapSI];
        if p_struct {
            early.push(Ty::P);
        }
        for i in 0..2 + self.rng.below(4) {
            let ty = *self.rng.pick(&early);
            let init = self.literal(&Cx::top(0), ty);
            self.p.globals.push(Global { name: format!("g{i}"), ty, init, sink: false, late: false });
        }
        if self.rng.chance(50) && !self.w.sinks {
            self.p.globals.push(Global { name: "s0".into(), ty: Ty::Int, init: konst(0), sink: true, late: false });
        }
        // Signatures first, so bodies can call any later fn.
        let n = 2 + self.rng.below(5);
        let mut recursive = 0;
        for i in 0..n {
            let d = self.signature(i, &mut recursive);
            self.p.fns.push(d);
        }
        // Late globals hold fns: lambdas and value-safe fns.
        let n_late = if self.w.fn_values { 0 } else { self.rng.below(3) };
        for i in 0..n_late {
            let ty = *self.rng.pick(&[Ty::FnList, Ty::FnList, Ty::FnMap, Ty::Fn]);
            self.p.globals.push(Global { name: format!("h{i}"), ty, init: konst(0), sink: false, late: true });
        }
        // Bodies from the last fn back, so callee costs are known.
        self.costs = vec![0; n];
        for i in (0..n).rev() {
            let body = self.fn_body(i);
            self.p.fns[i].body = body;
        }
        for gi in 0..self.p.globals.len() {
            if self.p.globals[gi].late {
                let mut cx = Cx { fn_idx: None, locals: vec![], value_safe: true, calls: 1 };
                let ty = self.p.globals[gi].ty;
                let init = self.fn_valued(&mut cx, ty, true);
                self.p.globals[gi].init = init;
            }
        }
        // Mutators come after the pure fns.
        let real: Vec<usize> =
            (0..self.p.globals.len()).filter(|&g| !self.p.globals[g].sink && !self.p.globals[g].late).collect();
        for k in 0..self.rng.below(3) {
            let g = *self.rng.pick(&real);
            let mut cx = Cx { fn_idx: None, locals: vec![], value_safe: true, calls: 0 };
            let e = self.expr(&mut cx, self.p.globals[g].ty, 1);
            self.p.fns.push(FnDecl {
                name: format!("bump{k}"),
                params: vec![],
                ret: Ty::Bool,
                cached: false,
                opts: vec![],
                body: Body { stmts: vec![Stmt::SetGlobal(g, e)], ret: Expr::Const(Lit::Bool(true)) },
                kind: FnKind::Mutator,
                value_safe: true,
                recursive: false,
            });
        }
        let mut cost = 0;
        let n = 5 + self.rng.below(8);
        let mut k = 0;
        while k < n {
            for _ in 0..4 {
                let m = self.main_stmt(k);
                let c = self.main_cost(&m);
                if cost + c <= PROGRAM_COST {
                    cost += c;
                    let changes_globals = matches!(m, Main::Assign(..) | Main::Mutate(_));
                    self.p.main.push(m);
                    // After a global changed, call again what was called
                    // before: each cached call in it must now see the change.
                    if changes_globals && self.rng.chance(70) {
                        if let Some(again) = self.again(k + 1) {
                            cost += self.main_cost(&again);
                            self.p.main.push(again);
                            k += 1;
                        }
                    }
                    break;
                }
            }
            k += 1;
        }
    }

    /// An earlier `print` with a call in it, printed again under `label`.
    fn again(&mut self, k: usize) -> Option<Main> {
        let earlier: Vec<Vec<Expr>> = self
            .p
            .main
            .iter()
            .filter_map(|m| match m {
                Main::Print(_, es) if has_call(es) => Some(es.clone()),
                Main::Twice(_, j, args) => Some(vec![Expr::Call(*j, args.clone())]),
                _ => None,
            })
            .collect();
        if earlier.is_empty() {
            return None;
        }
        Some(Main::Print(format!("L{k}"), self.rng.pick(&earlier).clone()))
    }

    fn signature(&mut self, i: usize, recursive: &mut usize) -> FnDecl {
        let is_rec = *recursive < 2 && self.rng.chance(25);
        let mut tys = vec![Ty::Int, Ty::Num, Ty::Num, Ty::Str, Ty::ListI, Ty::MapSI];
        if self.p.has_p {
            tys.push(Ty::P);
        }
        let mut params = Vec::new();
        if is_rec {
            *recursive += 1;
            params.push(("n".to_string(), Ty::Int));
        }
        let n_params = if is_rec { self.rng.below(2) } else { 1 + self.rng.below(2) };
        for k in 0..n_params {
            let fn_typed = self.rng.chance(20) && !self.w.fn_values;
            let ty = if fn_typed { *self.rng.pick(&[Ty::FnList, Ty::FnMap, Ty::Fn]) } else { *self.rng.pick(&tys) };
            params.push((format!("p{k}"), ty));
        }
        let mut ret = *self.rng.pick(&tys);
        if !is_rec && self.rng.chance(8) && !self.w.fn_values {
            ret = Ty::Fn;
        }
        // Some fns are (Num) -> Num so lists of fns can hold them.
        if !is_rec && self.rng.chance(25) {
            params = vec![("p0".to_string(), Ty::Num)];
            ret = Ty::Num;
        }
        let has_fn_param = params.iter().any(|(_, t)| t.holds_fn());
        FnDecl {
            name: format!("f{i}"),
            params,
            ret,
            cached: self.rng.chance(70),
            opts: self.opts(),
            body: Body { stmts: vec![], ret: konst(0) },
            kind: FnKind::Pure,
            value_safe: !has_fn_param && self.rng.chance(60),
            recursive: is_rec,
        }
    }

    fn opts(&mut self) -> Vec<String> {
        let mut o = Vec::new();
        if self.rng.chance(60) || self.w.options {
            return o;
        }
        if self.rng.chance(50) {
            o.push(format!("max_entries: {}", 1 + self.rng.below(3)));
        }
        if self.rng.chance(15) {
            o.push("ttl: 3600".into());
        }
        if self.rng.chance(15) {
            o.push("persist: false".into());
        }
        if self.rng.chance(20) {
            o.push("suppress_warning: true".into());
        }
        if self.p.has_p && self.rng.chance(20) {
            o.push("hash_funcs: {P: fn(q) { [q.x, q.y] }}".into());
        }
        o
    }

    fn fresh(&mut self, prefix: &str) -> String {
        self.fresh += 1;
        format!("{prefix}{}", self.fresh)
    }

    fn fn_body(&mut self, i: usize) -> Body {
        for attempt in 0..4 {
            let calls = if attempt == 3 { 0 } else { 3 };
            let b = self.try_body(i, calls);
            let c = self.body_cost(&b, Some(i));
            let c = if self.p.fns[i].recursive { c * 12 } else { c };
            if c <= FN_COST || attempt == 3 {
                self.costs[i] = c;
                return b;
            }
        }
        unreachable!()
    }

    fn try_body(&mut self, i: usize, calls: u32) -> Body {
        let d = self.p.fns[i].clone();
        let mut cx = Cx { fn_idx: Some(i), locals: d.params.clone(), value_safe: d.value_safe, calls };
        if d.value_safe {
            cx.locals.retain(|(_, t)| !t.holds_fn());
        }
        let mut stmts = Vec::new();
        for _ in 0..self.rng.below(4) {
            let s = self.stmt(&mut cx);
            stmts.extend(s);
        }
        let ret = if d.recursive {
            self.recursion(&mut cx, i, d.ret)
        } else if d.ret == Ty::Fn {
            self.lambda(&mut cx, Ty::Num, Ty::Num, 2)
        } else {
            let e = self.expr(&mut cx, d.ret, 3);
            let e = self.mix_in(&cx, d.ret, e);
            self.through_container(&mut cx, d.ret, e)
        };
        let ret = if d.ret == Ty::Int { bin("%", Ty::Int, ret, konst(1009)) } else { ret };
        Body { stmts, ret }
    }

    /// Most often `v + e` for a parameter or local `v`, so results depend
    /// on the arguments (a key that ignores one then shows).
    fn mix_in(&mut self, cx: &Cx, ty: Ty, e: Expr) -> Expr {
        let fits = |t: Ty| t == ty || (ty == Ty::Num && t == Ty::Int);
        let vars: Vec<String> = cx.locals.iter().filter(|(_, t)| fits(*t)).map(|(n, _)| n.clone()).collect();
        if vars.is_empty() || !matches!(ty, Ty::Int | Ty::Num | Ty::Str) || !self.rng.chance(60) {
            return e;
        }
        bin("+", ty, Expr::Local(self.rng.pick(&vars).clone()), e)
    }

    /// Often `h[0](x) + e` in a fn that may call fn values, `h` a list or
    /// map of fns (a parameter or a global): fns hidden in containers are
    /// what a cache most easily gets wrong (issue 14, item 1).
    fn through_container(&mut self, cx: &mut Cx, ty: Ty, e: Expr) -> Expr {
        if cx.value_safe || self.w.fn_values || ty != Ty::Num || !self.rng.chance(40) {
            return e;
        }
        let mut holders = self.vars(cx, Ty::FnList);
        holders.extend(self.vars(cx, Ty::FnMap));
        if holders.is_empty() {
            return e;
        }
        let h = self.rng.pick(&holders).clone();
        let is_map = match &h {
            Expr::Local(n) => cx.locals.iter().any(|(m, t)| m == n && *t == Ty::FnMap),
            Expr::Global(g) => self.p.globals[*g].ty == Ty::FnMap,
            _ => false,
        };
        let key = if is_map { kstr(if self.rng.chance(50) { "a" } else { "b" }) } else { konst(0) };
        let arg = self.expr(cx, Ty::Num, 1);
        bin("+", ty, Expr::CallValue(Box::new(Expr::Index(Box::new(h), Box::new(key))), vec![arg]), e)
    }

    /// `if n <= 0 { base } else { step(f(n - 1, ..)) }`
    fn recursion(&mut self, cx: &mut Cx, i: usize, ret: Ty) -> Expr {
        let base = self.expr(cx, ret, 2);
        let params = self.p.fns[i].params.clone();
        let mut args = vec![bin("-", Ty::Int, Expr::Local("n".into()), konst(1))];
        for (name, ty) in &params[1..] {
            if ty.holds_fn() || self.rng.chance(60) {
                args.push(Expr::Local(name.clone()));
            } else {
                args.push(self.expr(cx, *ty, 1));
            }
        }
        let rec = Expr::Call(i, args);
        let step = match ret {
            Ty::Int | Ty::Num | Ty::Str => {
                let e = self.expr(cx, ret, 2);
                bin("+", ret, rec, e)
            }
            Ty::ListI => {
                let e = self.expr(cx, Ty::Int, 2);
                native("push", vec![rec, e])
            }
            Ty::MapSI => {
                let e = self.expr(cx, Ty::Int, 2);
                let k = bin("+", Ty::Str, kstr("k"), native("str", vec![Expr::Local("n".into())]));
                native("insert", vec![rec, k, e])
            }
            _ => {
                let e = self.expr(cx, Ty::Num, 2);
                Expr::Struct(Box::new(e), Box::new(Expr::Field(Box::new(rec), "y")), self.rng.chance(50))
            }
        };
        iff(bin("<=", Ty::Bool, Expr::Local("n".into()), konst(0)), base, step)
    }

    fn stmt(&mut self, cx: &mut Cx) -> Vec<Stmt> {
        let sink = self.p.globals.iter().position(|g| g.sink);
        let own: Vec<(String, Ty)> = cx.locals.iter().filter(|(n, _)| n.starts_with('l')).cloned().collect();
        match self.rng.below(10) {
            0..=4 => {
                let ty = self.any_ty(cx);
                let e = self.expr(cx, ty, 2);
                let name = self.fresh("l");
                cx.locals.push((name.clone(), ty));
                vec![Stmt::Let(name, e)]
            }
            5 | 6 => {
                // An accumulator loop.
                let ty = *self.rng.pick(&[Ty::Int, Ty::Num, Ty::Str, Ty::ListI]);
                let init = self.literal(cx, ty);
                let acc = self.fresh("l");
                let j = self.fresh("j");
                let mut inner = cx.clone();
                inner.locals.push((acc.clone(), ty));
                inner.locals.push((j.clone(), Ty::Int));
                inner.calls = inner.calls.min(1);
                let step = match ty {
                    Ty::ListI => {
                        let e = self.expr(&mut inner, Ty::Int, 1);
                        native("push", vec![Expr::Local(acc.clone()), e])
                    }
                    _ => {
                        let e = self.expr(&mut inner, ty, 1);
                        bin("+", ty, Expr::Local(acc.clone()), e)
                    }
                };
                if inner.calls < cx.calls.min(1) {
                    cx.calls -= 1;
                }
                cx.locals.push((acc.clone(), ty));
                let n = 1 + self.rng.below(3) as i64;
                vec![Stmt::Let(acc.clone(), init), Stmt::For(j, n, vec![Stmt::Set(acc, step)])]
            }
            7 if sink.is_some() => {
                let ty = self.any_ty(cx);
                let e = self.expr(cx, ty, 1);
                vec![Stmt::SetGlobal(sink.expect("checked"), e)]
            }
            _ => {
                let Some((name, ty)) = own.into_iter().find(|(_, t)| matches!(t, Ty::MapSI | Ty::P | Ty::ListI)) else {
                    return vec![];
                };
                match ty {
                    Ty::MapSI => {
                        let e = self.expr(cx, Ty::Int, 1);
                        vec![Stmt::SetIndex(name, kstr(if self.rng.chance(50) { "a" } else { "b" }), e)]
                    }
                    Ty::P => {
                        let e = self.expr(cx, Ty::Num, 1);
                        vec![Stmt::SetField(name, if self.rng.chance(50) { "x" } else { "y" }, e)]
                    }
                    _ => {
                        let e = self.expr(cx, Ty::Int, 1);
                        vec![Stmt::SetIndex(name, konst(0), e)]
                    }
                }
            }
        }
    }

    fn any_ty(&mut self, cx: &Cx) -> Ty {
        let mut tys = vec![Ty::Int, Ty::Num, Ty::Num, Ty::Str, Ty::ListI, Ty::MapSI, Ty::Bool];
        if self.p.has_p {
            tys.push(Ty::P);
        }
        if !cx.value_safe && self.rng.chance(10) {
            return Ty::Fn;
        }
        *self.rng.pick(&tys)
    }

    // ----- expressions -----

    /// Variables of type `ty` visible in `cx` (a `Num` accepts ints).
    fn vars(&self, cx: &Cx, ty: Ty) -> Vec<Expr> {
        let fits = |t: Ty| t == ty || (ty == Ty::Num && t == Ty::Int);
        let mut out: Vec<Expr> = cx.locals.iter().filter(|(_, t)| fits(*t)).map(|(n, _)| Expr::Local(n.clone())).collect();
        for (i, g) in self.p.globals.iter().enumerate() {
            if !g.sink && fits(g.ty) && !(cx.value_safe && g.ty.holds_fn()) {
                out.push(Expr::Global(i));
            }
        }
        out
    }

    fn literal(&mut self, cx: &Cx, ty: Ty) -> Expr {
        match ty {
            Ty::Int => lit(Lit::Int(self.rng.range(-3, 9)), Ty::Int),
            Ty::Num => lit(self.num(), Ty::Num),
            Ty::Str => lit(Lit::Str(self.rng.pick(STRS).to_string()), Ty::Str),
            Ty::Bool => lit(Lit::Bool(self.rng.chance(50)), Ty::Bool),
            Ty::ListI => {
                let n = 1 + self.rng.below(3);
                Expr::List((0..n).map(|_| lit(Lit::Int(self.rng.range(-3, 9)), Ty::Int)).collect())
            }
            Ty::MapSI => {
                let mut kv = vec![("a".to_string(), lit(Lit::Int(self.rng.range(-3, 9)), Ty::Int))];
                if self.rng.chance(50) {
                    kv.push(("b".to_string(), lit(Lit::Int(self.rng.range(-3, 9)), Ty::Int)));
                }
                Expr::Map(kv)
            }
            Ty::P => {
                let x = lit(self.num(), Ty::Num);
                let y = lit(self.num(), Ty::Num);
                Expr::Struct(Box::new(x), Box::new(y), self.rng.chance(50))
            }
            Ty::Fn | Ty::FnList | Ty::FnMap => {
                let mut cx = Cx { fn_idx: cx.fn_idx, locals: vec![], value_safe: true, calls: 0 };
                self.fn_valued(&mut cx, ty, false)
            }
        }
    }

    fn leaf(&mut self, cx: &mut Cx, ty: Ty) -> Expr {
        let vars = self.vars(cx, ty);
        if !vars.is_empty() && self.rng.chance(65) {
            return self.rng.pick(&vars).clone();
        }
        self.literal(cx, ty)
    }

    /// A call of a user fn returning `ty`, if one is callable here.
    fn call(&mut self, cx: &mut Cx, ty: Ty, depth: u32) -> Option<Expr> {
        if cx.calls == 0 {
            return None;
        }
        let ok: Vec<usize> = (0..self.p.fns.len())
            .filter(|&j| {
                let d = &self.p.fns[j];
                d.kind == FnKind::Pure
                    && (d.ret == ty || (ty == Ty::Num && d.ret == Ty::Int))
                    && cx.fn_idx.map_or(true, |i| j > i)
                    && (!cx.value_safe || d.value_safe)
            })
            .collect();
        if ok.is_empty() {
            return None;
        }
        let j = *self.rng.pick(&ok);
        cx.calls -= 1;
        let params = self.p.fns[j].params.clone();
        let mut args = Vec::new();
        for (k, (_, pty)) in params.iter().enumerate() {
            let a = self.expr(cx, *pty, depth.saturating_sub(1));
            args.push(if k == 0 && self.p.fns[j].recursive { bin("%", Ty::Int, a, konst(12)) } else { a });
        }
        Some(Expr::Call(j, args))
    }

    pub fn expr(&mut self, cx: &mut Cx, ty: Ty, depth: u32) -> Expr {
        if depth == 0 {
            return self.leaf(cx, ty);
        }
        let d = depth - 1;
        if self.rng.chance(30) {
            if let Some(c) = self.call(cx, ty, depth) {
                return c;
            }
        }
        match ty {
            Ty::Int => match self.rng.below(14) {
                0 => {
                    let op = if self.rng.chance(50) { "+" } else { "-" };
                    bin(op, ty, self.expr(cx, Ty::Int, d), self.expr(cx, Ty::Int, d))
                }
                1 => bin("*", ty, self.expr(cx, Ty::Int, d), lit(Lit::Int(self.rng.range(2, 3)), Ty::Int)),
                2 => {
                    let t = *self.rng.pick(&[Ty::Str, Ty::ListI, Ty::MapSI]);
                    native("len", vec![self.expr(cx, t, d)])
                }
                3 => native("sum", vec![self.expr(cx, Ty::ListI, d)]),
                4 => {
                    Expr::Index(Box::new(self.expr(cx, Ty::ListI, d)), Box::new(konst(if self.rng.chance(50) { 0 } else { -1 })))
                }
                5 => Expr::Index(Box::new(self.expr(cx, Ty::MapSI, d)), Box::new(kstr("a"))),
                6 => native("get", vec![self.expr(cx, Ty::MapSI, d), kstr("b"), self.literal(cx, Ty::Int)]),
                7 => native("int", vec![self.expr(cx, Ty::Num, d)]),
                8 => iff(self.expr(cx, Ty::Bool, d), self.expr(cx, Ty::Int, d), self.expr(cx, Ty::Int, d)),
                9 | 10 => self.file_expr(Ty::Int),
                11 if self.p.has_p => native("int", vec![Expr::Field(Box::new(self.expr(cx, Ty::P, d)), "x")]),
                12 => bin("%", ty, self.expr(cx, Ty::Int, d), konst(7)),
                _ => self.leaf(cx, ty),
            },
            Ty::Num => match self.rng.below(13) {
                0 | 1 => {
                    let op = if self.rng.chance(50) { "+" } else { "-" };
                    bin(op, ty, self.expr(cx, Ty::Num, d), self.expr(cx, Ty::Num, d))
                }
                2 => bin("*", ty, self.expr(cx, Ty::Num, d), lit(self.mul(), Ty::Num)),
                3 => self.expr(cx, Ty::Int, depth),
                4 if self.p.has_p => Expr::Field(Box::new(self.expr(cx, Ty::P, d)), if self.rng.chance(50) { "x" } else { "y" }),
                5 | 6 if !self.w.params => {
                    let k = *self.rng.pick(NUM_PARAMS);
                    native("param", vec![kstr(k), lit(self.num(), Ty::Num)])
                }
                7 | 8 if !cx.value_safe && !self.w.fn_values => {
                    let f = self.fn_valued(cx, Ty::Fn, false);
                    let arg = self.expr(cx, Ty::Num, d);
                    Expr::CallValue(Box::new(f), vec![arg])
                }
                9 => {
                    let f = self.lambda(cx, Ty::Int, Ty::Num, d);
                    native("sum", vec![native("map", vec![self.expr(cx, Ty::ListI, d), f])])
                }
                10 => {
                    let n = *self.rng.pick(&["min", "max"]);
                    native(n, vec![self.expr(cx, Ty::Num, d), self.expr(cx, Ty::Num, d)])
                }
                11 => iff(self.expr(cx, Ty::Bool, d), self.expr(cx, Ty::Num, d), self.expr(cx, Ty::Num, d)),
                12 => native("float", vec![self.expr(cx, Ty::Int, d)]),
                _ => self.leaf(cx, ty),
            },
            Ty::Str => match self.rng.below(11) {
                0 | 1 => bin("+", ty, self.expr(cx, Ty::Str, d), self.expr(cx, Ty::Str, d)),
                2 | 3 => {
                    let mut tys = vec![Ty::Int, Ty::Num, Ty::Num, Ty::ListI, Ty::MapSI, Ty::Bool];
                    if self.p.has_p {
                        tys.push(Ty::P);
                    }
                    let t = *self.rng.pick(&tys);
                    native("str", vec![self.expr(cx, t, d)])
                }
                4 => native(if self.rng.chance(50) { "upper" } else { "lower" }, vec![self.expr(cx, Ty::Str, d)]),
                5 => {
                    let v = self.fresh("v");
                    let f = Expr::Lambda(
                        v.clone(),
                        Box::new(Body { stmts: vec![], ret: native("str", vec![Expr::Local(v)]) }),
                        false,
                    );
                    native("join", vec![native("map", vec![self.expr(cx, Ty::ListI, d), f]), kstr("-")])
                }
                6 | 7 => self.file_expr(Ty::Str),
                8 if !self.w.params => {
                    native("str", vec![native("param", vec![kstr(STR_PARAM), lit(Lit::Str("d".into()), Ty::Str)])])
                }
                9 => iff(self.expr(cx, Ty::Bool, d), self.expr(cx, Ty::Str, d), self.expr(cx, Ty::Str, d)),
                _ => native("replace", vec![self.expr(cx, Ty::Str, d), kstr("a"), kstr("b")]),
            },
            Ty::Bool => match self.rng.below(9) {
                0 | 1 => {
                    let op = *self.rng.pick(&["<", "<=", "=="]);
                    bin(op, ty, self.expr(cx, Ty::Num, d), self.expr(cx, Ty::Num, d))
                }
                2 => bin("==", ty, self.expr(cx, Ty::Str, d), self.expr(cx, Ty::Str, d)),
                3 => native("contains", vec![self.expr(cx, Ty::ListI, d), self.expr(cx, Ty::Int, d)]),
                4 => native("has", vec![self.expr(cx, Ty::MapSI, d), kstr("b")]),
                5 | 6 => self.file_expr(Ty::Bool),
                7 => Expr::Not(Box::new(self.expr(cx, Ty::Bool, d))),
                _ => {
                    let op = if self.rng.chance(50) { "and" } else { "or" };
                    bin(op, ty, self.expr(cx, Ty::Bool, d), self.expr(cx, Ty::Bool, d))
                }
            },
            Ty::ListI => match self.rng.below(9) {
                0 => Expr::List((0..1 + self.rng.below(3)).map(|_| self.expr(cx, Ty::Int, d)).collect()),
                1 => native("push", vec![self.expr(cx, Ty::ListI, d), self.expr(cx, Ty::Int, d)]),
                2 => {
                    let one = Expr::List(vec![self.expr(cx, Ty::Int, d)]);
                    bin("+", ty, self.expr(cx, Ty::ListI, d), one)
                }
                3 => native(if self.rng.chance(50) { "sort" } else { "reverse" }, vec![self.expr(cx, Ty::ListI, d)]),
                4 | 5 => {
                    let f = self.lambda(cx, Ty::Int, Ty::Int, d);
                    native("map", vec![self.expr(cx, Ty::ListI, d), f])
                }
                6 => native("values", vec![self.expr(cx, Ty::MapSI, d)]),
                7 => iff(self.expr(cx, Ty::Bool, d), self.expr(cx, Ty::ListI, d), self.expr(cx, Ty::ListI, d)),
                _ => self.leaf(cx, ty),
            },
            Ty::MapSI => match self.rng.below(5) {
                0 | 1 => {
                    let mut kv = vec![("a".to_string(), self.expr(cx, Ty::Int, d))];
                    if self.rng.chance(50) {
                        kv.push(("b".to_string(), self.expr(cx, Ty::Int, d)));
                    }
                    Expr::Map(kv)
                }
                2 => native(
                    "insert",
                    vec![
                        self.expr(cx, Ty::MapSI, d),
                        kstr(if self.rng.chance(50) { "b" } else { "c" }),
                        self.expr(cx, Ty::Int, d),
                    ],
                ),
                3 => iff(self.expr(cx, Ty::Bool, d), self.expr(cx, Ty::MapSI, d), self.expr(cx, Ty::MapSI, d)),
                _ => self.leaf(cx, ty),
            },
            Ty::P => match self.rng.below(4) {
                0 | 1 => {
                    Expr::Struct(Box::new(self.expr(cx, Ty::Num, d)), Box::new(self.expr(cx, Ty::Num, d)), self.rng.chance(50))
                }
                2 => iff(self.expr(cx, Ty::Bool, d), self.expr(cx, Ty::P, d), self.expr(cx, Ty::P, d)),
                _ => self.leaf(cx, ty),
            },
            Ty::Fn | Ty::FnList | Ty::FnMap => self.fn_valued(cx, ty, false),
        }
    }

    /// A fn-valued expression. `global_init`: the initializer of a late
    /// global (its lambdas may be `cached fn(v)`).
    fn fn_valued(&mut self, cx: &mut Cx, ty: Ty, global_init: bool) -> Expr {
        match ty {
            Ty::FnList | Ty::FnMap if !global_init && !cx.value_safe && self.rng.chance(60) => {
                let vars = self.vars(cx, ty);
                if !vars.is_empty() {
                    return self.rng.pick(&vars).clone();
                }
                self.fn_valued(cx, ty, true)
            }
            Ty::FnList => Expr::List((0..1 + self.rng.below(2)).map(|_| self.one_fn(cx, global_init)).collect()),
            Ty::FnMap => Expr::Map(vec![("a".into(), self.one_fn(cx, global_init)), ("b".into(), self.one_fn(cx, global_init))]),
            _ => {
                if !cx.value_safe && !global_init {
                    match self.rng.below(7) {
                        0 => {
                            let vars = self.vars(cx, Ty::Fn);
                            if !vars.is_empty() {
                                return self.rng.pick(&vars).clone();
                            }
                        }
                        1 | 2 => {
                            let l = self.fn_valued(cx, Ty::FnList, false);
                            return Expr::Index(Box::new(l), Box::new(konst(0)));
                        }
                        3 => {
                            let m = self.fn_valued(cx, Ty::FnMap, false);
                            return Expr::Index(Box::new(m), Box::new(kstr(if self.rng.chance(50) { "a" } else { "b" })));
                        }
                        4 => {
                            if let Some(c) = self.call(cx, Ty::Fn, 1) {
                                return c;
                            }
                        }
                        _ => {}
                    }
                }
                self.one_fn(cx, global_init)
            }
        }
    }

    /// A lambda or a value-safe `(Num) -> Num` fn.
    fn one_fn(&mut self, cx: &mut Cx, global_init: bool) -> Expr {
        let refs: Vec<usize> = (0..self.p.fns.len())
            .filter(|&j| {
                let d = &self.p.fns[j];
                d.kind == FnKind::Pure
                    && d.value_safe
                    && d.ret == Ty::Num
                    && d.params.len() == 1
                    && d.params[0].1 == Ty::Num
                    && cx.fn_idx.map_or(true, |i| j > i)
            })
            .collect();
        if !refs.is_empty() && self.rng.chance(35) {
            return Expr::FnRef(*self.rng.pick(&refs));
        }
        let mut l = self.lambda(cx, Ty::Num, Ty::Num, 1);
        if global_init && self.rng.chance(30) {
            if let Expr::Lambda(_, _, cached) = &mut l {
                *cached = true;
            }
        }
        l
    }

    /// `fn(v) { v op e }`: value-safe, capturing what `cx` sees.
    fn lambda(&mut self, cx: &mut Cx, arg: Ty, ret: Ty, depth: u32) -> Expr {
        let v = self.fresh("v");
        let mut inner = cx.clone();
        inner.value_safe = true;
        inner.locals.retain(|(_, t)| !t.holds_fn());
        inner.locals.push((v.clone(), arg));
        inner.calls = inner.calls.min(1);
        let mut e = self.expr(&mut inner, ret, depth.min(2));
        // Fns that read globals are what a cache most easily gets wrong
        // when they hide in lists and maps (issue 14, item 1).
        let globals: Vec<usize> = (0..self.p.globals.len())
            .filter(|&g| {
                let g = &self.p.globals[g];
                !g.sink && !g.late && (g.ty == ret || (ret == Ty::Num && g.ty == Ty::Int))
            })
            .collect();
        if !globals.is_empty() && self.rng.chance(if cx.fn_idx.is_none() { 60 } else { 25 }) {
            e = bin("+", ret, Expr::Global(*self.rng.pick(&globals)), e);
        }
        if inner.calls == 0 {
            cx.calls = cx.calls.saturating_sub(1);
        }
        let ret_e = match self.rng.below(3) {
            0 => bin("+", ret, Expr::Local(v.clone()), e),
            1 => {
                let m = if ret == Ty::Int { lit(Lit::Int(self.rng.range(2, 3)), Ty::Int) } else { lit(self.mul(), Ty::Num) };
                bin("+", ret, bin("*", ret, Expr::Local(v.clone()), m), e)
            }
            _ => bin("-", ret, e, Expr::Local(v.clone())),
        };
        Expr::Lambda(v, Box::new(Body { stmts: vec![], ret: ret_e }), false)
    }

    fn path(&mut self, numeric: bool) -> Expr {
        let names: Vec<&str> = FILES.iter().copied().filter(|f| !numeric || f.starts_with('n')).collect();
        Expr::Path(self.rng.pick(&names).to_string())
    }

    /// An expression reading a file: guarded by `exists`, or in a `try`
    /// whose `catch` gives what the guard's `else` would (a read that
    /// fails is a dependency too).
    fn file_expr(&mut self, ty: Ty) -> Expr {
        if self.w.files {
            return self.literal(&Cx::top(0), ty);
        }
        let e = self.guarded_read(ty);
        match e {
            Expr::If(c, read, fallback) if matches!(&*c, Expr::Native("exists", _)) && self.rng.chance(35) => {
                Expr::Try(read, fallback)
            }
            e => e,
        }
    }

    fn guarded_read(&mut self, ty: Ty) -> Expr {
        match ty {
            Ty::Int if self.rng.chance(60) => {
                let p = self.path(true);
                let read = native("int", vec![native("trim", vec![native("read_file", vec![p.clone()])])]);
                iff(native("exists", vec![p]), read, konst(-1))
            }
            Ty::Int => {
                let p = self.path(false);
                iff(native("exists", vec![p.clone()]), native("len", vec![native("read_file", vec![p])]), konst(-1))
            }
            Ty::Str => {
                let p = self.path(false);
                iff(native("exists", vec![p.clone()]), native("read_file", vec![p]), kstr("-"))
            }
            _ if self.rng.chance(50) => native("exists", vec![self.path(false)]),
            _ => {
                let p = self.path(false);
                let newer = bin(">", Ty::Bool, native("file_mtime", vec![p.clone()]), Expr::Const(Lit::Float(MTIME_SPLIT)));
                iff(native("exists", vec![p]), newer, Expr::Const(Lit::Bool(false)))
            }
        }
    }

    // ----- the top level -----

    fn main_stmt(&mut self, k: usize) -> Main {
        let label = format!("L{k}");
        let pure: Vec<usize> = (0..self.p.fns.len()).filter(|&j| self.p.fns[j].kind == FnKind::Pure).collect();
        let printable: Vec<usize> = pure.iter().copied().filter(|&j| self.p.fns[j].ret.printable()).collect();
        let mutators: Vec<usize> = (0..self.p.fns.len()).filter(|&j| self.p.fns[j].kind == FnKind::Mutator).collect();
        let real: Vec<usize> =
            (0..self.p.globals.len()).filter(|&g| !self.p.globals[g].sink && !self.p.globals[g].late).collect();
        // Print again what an earlier statement printed: after the globals
        // it reads changed, a cached call in it must miss.
        let earlier: Vec<Vec<Expr>> =
            self.p.main.iter().filter_map(|m| if let Main::Print(_, es) = m { Some(es.clone()) } else { None }).collect();
        if !earlier.is_empty() && self.rng.chance(20) {
            return Main::Print(label, self.rng.pick(&earlier).clone());
        }
        match self.rng.below(20) {
            0..=7 => {
                let mut cx = Cx::top(3);
                let es = (0..1 + self.rng.below(2)).map(|_| self.root_expr(&mut cx, &printable)).collect();
                Main::Print(label, es)
            }
            8..=10 if !real.is_empty() => {
                // Most often a global that fns in lists and maps read.
                let mut read = Vec::new();
                for h in self.p.globals.iter().filter(|h| h.late) {
                    h.init.clone().walk_mut(&mut |e| {
                        if let Expr::Global(g) = e {
                            read.push(*g);
                        }
                    });
                }
                let g = if !read.is_empty() && self.rng.chance(60) { *self.rng.pick(&read) } else { *self.rng.pick(&real) };
                let mut cx = Cx::top(0);
                let e = if self.rng.chance(50) {
                    self.literal(&cx, self.p.globals[g].ty)
                } else {
                    self.expr(&mut cx, self.p.globals[g].ty, 1)
                };
                Main::Assign(g, e)
            }
            11 if !mutators.is_empty() => Main::Mutate(*self.rng.pick(&mutators)),
            12 | 13 if !printable.is_empty() => {
                let j = *self.rng.pick(&printable);
                let mut cx = Cx::top(0);
                let params = self.p.fns[j].params.clone();
                let args = params
                    .iter()
                    .enumerate()
                    .map(|(k, (_, t))| {
                        let a = self.expr(&mut cx, *t, 1);
                        if k == 0 && self.p.fns[j].recursive {
                            bin("%", Ty::Int, a, konst(12))
                        } else {
                            a
                        }
                    })
                    .collect();
                Main::Twice(label, j, args)
            }
            14 | 15 => {
                let mut cx = Cx::top(2);
                cx.locals.push(("i".into(), Ty::Int));
                let es = (0..1 + self.rng.below(2)).map(|_| self.root_expr(&mut cx, &printable)).collect();
                Main::Loop(label, 2 + self.rng.below(3) as i64, es)
            }
            16 | 17 if !pure.is_empty() && !self.w.redeclare => {
                let j = *self.rng.pick(&pure);
                let lits = lit_types(&self.p.fns[j].body);
                if lits.is_empty() {
                    return Main::Print(label, vec![self.literal(&Cx::top(0), Ty::Int)]);
                }
                let k = self.rng.below(lits.len());
                let old = nth_lit(&self.p.fns[j].body, k);
                Main::Redeclare(j, k, self.new_lit(&old, lits[k]))
            }
            18 if !pure.is_empty() => Main::Clear(*self.rng.pick(&pure)),
            _ => {
                let mut cx = Cx::top(2);
                let e = self.root_expr(&mut cx, &printable);
                Main::Print(label, vec![e])
            }
        }
    }

    /// A printable expression, most often a call of a fn.
    fn root_expr(&mut self, cx: &mut Cx, printable: &[usize]) -> Expr {
        if !printable.is_empty() && self.rng.chance(75) {
            let j = *self.rng.pick(printable);
            let ty = self.p.fns[j].ret;
            if let Some(c) = self.call(cx, ty, 2) {
                return c;
            }
        }
        let ty = self.any_ty(&Cx { value_safe: true, ..cx.clone() });
        self.expr(cx, ty, 2)
    }

    // ----- cost estimates -----

    fn body_cost(&self, b: &Body, me: Option<usize>) -> u64 {
        let mut c = 1;
        for s in &b.stmts {
            c += self.stmt_cost(s, me);
        }
        c + self.expr_cost(&b.ret, me)
    }

    fn stmt_cost(&self, s: &Stmt, me: Option<usize>) -> u64 {
        match s {
            Stmt::Let(_, e) | Stmt::Set(_, e) | Stmt::SetField(_, _, e) | Stmt::SetGlobal(_, e) => self.expr_cost(e, me),
            Stmt::SetIndex(_, k, e) => self.expr_cost(k, me) + self.expr_cost(e, me),
            Stmt::For(_, n, body) => *n as u64 * body.iter().map(|s| self.stmt_cost(s, me)).sum::<u64>(),
        }
    }

    fn expr_cost(&self, e: &Expr, me: Option<usize>) -> u64 {
        let sub = |es: &[Expr]| es.iter().map(|a| self.expr_cost(a, me)).sum::<u64>();
        match e {
            Expr::Lit(..) | Expr::Const(_) | Expr::Local(_) | Expr::Global(_) | Expr::FnRef(_) | Expr::Path(_) => 0,
            Expr::Call(j, args) => sub(args) + if Some(*j) == me { 0 } else { self.costs.get(*j).copied().unwrap_or(0) },
            Expr::CallValue(f, args) => 30 + self.expr_cost(f, me) + sub(args),
            Expr::Bin(_, _, a, b) | Expr::Index(a, b) | Expr::Struct(a, b, _) => self.expr_cost(a, me) + self.expr_cost(b, me),
            Expr::Not(a) | Expr::Field(a, _) => self.expr_cost(a, me),
            Expr::Native(_, args) | Expr::List(args) => sub(args),
            Expr::Map(kv) => kv.iter().map(|(_, v)| self.expr_cost(v, me)).sum(),
            Expr::Lambda(_, b, _) => 12 * self.body_cost(b, me),
            Expr::If(c, a, b) => self.expr_cost(c, me) + self.expr_cost(a, me).max(self.expr_cost(b, me)),
            Expr::Try(a, b) => self.expr_cost(a, me) + self.expr_cost(b, me),
        }
    }

    fn main_cost(&self, m: &Main) -> u64 {
        match m {
            Main::Print(_, es) | Main::Twice(_, _, es) => 2 * es.iter().map(|e| self.expr_cost(e, None)).sum::<u64>(),
            Main::Loop(_, n, es) => *n as u64 * es.iter().map(|e| self.expr_cost(e, None)).sum::<u64>(),
            Main::Assign(_, e) => self.expr_cost(e, None),
            _ => 1,
        }
    }

    // ----- values, files, params, edits -----

    fn num(&mut self) -> Lit {
        loop {
            let l = self.rng.pick(NUMS).clone();
            if !(self.w.zeros && l == Lit::Float(0.0)) {
                return l;
            }
        }
    }

    fn mul(&mut self) -> Lit {
        loop {
            let l = self.rng.pick(MULS).clone();
            if !(self.w.zeros && l == Lit::Float(0.0)) {
                return l;
            }
        }
    }

    fn new_lit(&mut self, old: &Lit, ty: Ty) -> Lit {
        for _ in 0..10 {
            let l = match (ty, old) {
                (Ty::Num, Lit::Float(f)) if *f == 0.0 && self.rng.chance(50) && !self.w.zeros => Lit::Float(-f),
                (Ty::Num, Lit::Int(i)) if self.rng.chance(30) => Lit::Float(*i as f64),
                (Ty::Num, Lit::Float(f)) if f.fract() == 0.0 && self.rng.chance(30) => Lit::Int(*f as i64),
                (Ty::Num, _) => self.num(),
                (Ty::Int, _) => Lit::Int(self.rng.range(-3, 9)),
                (Ty::Str, _) => Lit::Str(self.rng.pick(STRS).to_string()),
                (_, Lit::Bool(b)) => Lit::Bool(!b),
                _ => old.clone(),
            };
            if !same_lit(&l, old) {
                return l;
            }
        }
        old.clone()
    }

    fn param_value(&mut self, name: &str) -> Lit {
        if name == STR_PARAM {
            Lit::Str(self.rng.pick(&["abc", "xy", "q"]).to_string())
        } else {
            self.num()
        }
    }

    fn file_content(&mut self, name: &str, same_size_as: Option<&str>) -> String {
        let numeric = name.starts_with('n');
        for _ in 0..20 {
            let s = if numeric {
                match same_size_as.map(str::len) {
                    Some(n) if n > 0 => {
                        (0..n).map(|i| char::from(b'0' + self.rng.range(if i == 0 && n > 1 { 1 } else { 0 }, 9) as u8)).collect()
                    }
                    _ => self.rng.range(0, 999).to_string(),
                }
            } else {
                match same_size_as.map(str::len) {
                    Some(n) => (0..n).map(|_| char::from(b'a' + self.rng.below(26) as u8)).collect(),
                    None => self.rng.pick(WORDS).to_string(),
                }
            };
            if same_size_as != Some(s.as_str()) {
                return s;
            }
        }
        format!("{}9", same_size_as.unwrap_or(""))
    }

    fn init_files(&mut self) -> Vec<FileOp> {
        let mut ops = Vec::new();
        if self.w.files {
            return ops;
        }
        for name in FILES {
            if self.rng.chance(80) {
                let content = self.file_content(name, None);
                let mtime = if self.rng.chance(30) { Some(MTIME_OLD) } else { None };
                ops.push(FileOp::Write { name: name.to_string(), content, rename: false, mtime });
            }
        }
        ops
    }

    fn edit(&mut self, cur: &Version, v: usize) -> Edit {
        let p = &cur.program;
        let pure: Vec<usize> = (0..p.fns.len()).filter(|&j| p.fns[j].kind == FnKind::Pure).collect();
        loop {
            match self.rng.below(100) {
                0..=24 => {
                    let f = self.rng.below(p.fns.len());
                    let lits = lit_types(&p.fns[f].body);
                    if lits.is_empty() {
                        continue;
                    }
                    let k = self.rng.below(lits.len());
                    let to = self.new_lit(&nth_lit(&p.fns[f].body, k), lits[k]);
                    return Edit::FnLit { f, k, to };
                }
                25..=36 => {
                    let gs: Vec<usize> = (0..p.globals.len()).filter(|&g| !p.globals[g].sink && !p.globals[g].late).collect();
                    if gs.is_empty() {
                        continue;
                    }
                    let g = *self.rng.pick(&gs);
                    let to = match &p.globals[g].init {
                        Expr::Lit(l, t) => lit(self.new_lit(l, *t), *t),
                        _ => self.literal(&Cx::top(0), p.globals[g].ty),
                    };
                    return Edit::GlobalInit { g, to };
                }
                37..=56 if !self.w.files => return Edit::File(self.file_op(cur, v)),
                57..=66 if !self.w.params => {
                    let name = *self.rng.pick(&[NUM_PARAMS[0], NUM_PARAMS[1], STR_PARAM]);
                    let to = if self.rng.chance(20) { None } else { Some(self.param_value(name)) };
                    return Edit::Param { name: name.to_string(), to };
                }
                67..=72 => {
                    let f = self.rng.below(p.fns.len());
                    return Edit::RenameFn { f, to: format!("r{v}_{f}") };
                }
                73..=76 if pure.len() >= 2 => {
                    let a = *self.rng.pick(&pure);
                    let b = *self.rng.pick(&pure);
                    if a == b {
                        continue;
                    }
                    return Edit::SwapNames { a, b };
                }
                77..=86 => {
                    let f = *self.rng.pick(&pure);
                    return Edit::Equiv { f, k: self.rng.below(8), how: self.rng.below(4) as u8 };
                }
                87..=95 => return Edit::ToggleCached { f: *self.rng.pick(&pure) },
                _ => {
                    let f = *self.rng.pick(&pure);
                    let opts = self.opts();
                    return Edit::SetOpts { f, opts };
                }
            }
        }
    }

    fn file_op(&mut self, cur: &Version, v: usize) -> FileOp {
        let name = self.rng.pick(FILES).to_string();
        let old = cur.env.files.get(&name).cloned();
        let explicit = |g: &mut G| -> Option<i64> {
            if g.rng.chance(30) {
                let base = if g.rng.chance(50) { MTIME_OLD } else { MTIME_NEW };
                Some(base + 1000 * v as i64 + FILES.iter().position(|f| *f == name).unwrap_or(0) as i64)
            } else {
                None
            }
        };
        match (old, self.rng.below(10)) {
            (Some(_), 0) => FileOp::Remove(name),
            (Some(_), 1) => {
                let base = if self.rng.chance(50) { MTIME_OLD } else { MTIME_NEW };
                FileOp::Touch(name.clone(), base + 1000 * v as i64 + 7)
            }
            (old, k) => {
                let same = old.is_some() && k < 6;
                let content = self.file_content(&name, if same { old.as_deref() } else { None });
                let rename = self.rng.chance(30);
                let mtime = explicit(self);
                FileOp::Write { name, content, rename, mtime }
            }
        }
    }
}

fn has_call(es: &[Expr]) -> bool {
    let mut found = false;
    for e in es {
        e.clone().walk_mut(&mut |e| found |= matches!(e, Expr::Call(..)));
    }
    found
}

fn same_lit(a: &Lit, b: &Lit) -> bool {
    match (a, b) {
        (Lit::Float(x), Lit::Float(y)) => x.to_bits() == y.to_bits(),
        _ => a == b,
    }
}

/// The `k`-th editable literal of a body.
pub fn nth_lit(body: &Body, k: usize) -> Lit {
    let mut b = body.clone();
    let mut i = 0;
    let mut out = Lit::Int(0);
    b.walk_mut(&mut |e| {
        if let Expr::Lit(l, _) = e {
            if i == k {
                out = l.clone();
            }
            i += 1;
        }
    });
    out
}

/// Fn `d` with a body that computes the same values by other code:
/// `how` 0 commutes the `k`-th `+`/`*` of numbers, 1 moves the result
/// into a local, 2 wraps it in a neutral operation, 3 renames the
/// parameters (which keeps the code hash). `None` when it does not apply.
pub fn equivalent(d: &FnDecl, k: usize, how: u8) -> Option<FnDecl> {
    let mut d = d.clone();
    match how {
        0 => {
            let mut n = 0;
            d.body.walk_mut(&mut |e| {
                if let Expr::Bin(op, ty, ..) = e {
                    if matches!(*op, "+" | "*") && matches!(ty, Ty::Int | Ty::Num) {
                        n += 1;
                    }
                }
            });
            if n == 0 {
                return None;
            }
            let target = k % n;
            let mut i = 0;
            d.body.walk_mut(&mut |e| {
                if let Expr::Bin(op, ty, a, b) = e {
                    if matches!(*op, "+" | "*") && matches!(ty, Ty::Int | Ty::Num) {
                        if i == target {
                            std::mem::swap(a, b);
                        }
                        i += 1;
                    }
                }
            });
        }
        1 => {
            let name = format!("t{}", d.body.stmts.len());
            let ret = std::mem::replace(&mut d.body.ret, Expr::Local(name.clone()));
            d.body.stmts.push(Stmt::Let(name, ret));
        }
        2 => {
            let ret = std::mem::replace(&mut d.body.ret, Expr::Const(Lit::Int(0)));
            d.body.ret = match d.ret {
                Ty::Int | Ty::Num => bin("*", d.ret, ret, Expr::Const(Lit::Int(1))),
                Ty::Str => bin("+", Ty::Str, Expr::Const(Lit::Str(String::new())), ret),
                Ty::ListI => bin("+", Ty::ListI, ret, Expr::List(vec![])),
                _ => iff(Expr::Const(Lit::Bool(true)), ret.clone(), ret),
            };
        }
        _ => {
            let swap = |n: &str| -> Option<String> {
                match n.as_bytes().first() {
                    Some(b'p') if n[1..].chars().all(|c| c.is_ascii_digit()) => Some(format!("q{}", &n[1..])),
                    Some(b'q') if n[1..].chars().all(|c| c.is_ascii_digit()) => Some(format!("p{}", &n[1..])),
                    _ if n == "n" => Some("m".into()),
                    _ if n == "m" => Some("n".into()),
                    _ => None,
                }
            };
            for (n, _) in &mut d.params {
                if let Some(s) = swap(n) {
                    *n = s;
                }
            }
            d.body.walk_mut(&mut |e| {
                if let Expr::Local(n) = e {
                    if let Some(s) = swap(n) {
                        *n = s;
                    }
                }
            });
            let rename_stmt = |s: &mut Stmt| {
                if let Stmt::Set(n, _) | Stmt::SetIndex(n, ..) | Stmt::SetField(n, ..) = s {
                    if let Some(r) = swap(n) {
                        *n = r;
                    }
                }
            };
            d.body.stmts.iter_mut().for_each(rename_stmt);
        }
    }
    Some(d)
}
