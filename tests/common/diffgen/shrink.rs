//! A greedy shrinker: removes versions, edits, statements, fns and globals,
//! and replaces expressions by simpler ones, keeping each change only while
//! the case still fails.

use super::ast::*;
use super::edit::*;

/// The smallest case reached from `case` for which `fails` still holds,
/// trying at most `budget` candidates.
pub fn shrink(case: &Case, fails: &mut dyn FnMut(&Case) -> bool, budget: usize) -> Case {
    let mut best = case.clone();
    let mut tries = 0;
    let mut progress = true;
    while progress && tries < budget {
        progress = false;
        for cand in candidates(&best) {
            if tries >= budget {
                break;
            }
            tries += 1;
            if fails(&cand) {
                best = cand;
                progress = true;
                break;
            }
        }
    }
    best
}

/// Smaller variants of `c`, the biggest cuts first.
fn candidates(c: &Case) -> Vec<Case> {
    let mut out = Vec::new();
    for k in (0..c.edits.len()).rev() {
        let mut d = c.clone();
        d.edits.remove(k);
        out.push(d);
        if k + 1 < c.edits.len() {
            let mut d = c.clone();
            let g = d.edits.remove(k);
            d.edits[k].splice(0..0, g);
            out.push(d);
        }
    }
    for i in (0..c.base.main.len()).rev() {
        let mut d = c.clone();
        d.base.main.remove(i);
        out.push(d);
    }
    for (k, group) in c.edits.iter().enumerate() {
        for i in 0..group.len() {
            let mut d = c.clone();
            d.edits[k].remove(i);
            out.push(d);
        }
    }
    for i in (0..c.base.fns.len()).rev() {
        if !c.base.fn_used(i) {
            out.push(drop_fn(c, i));
        }
    }
    for g in (0..c.base.globals.len()).rev() {
        if !global_used(&c.base, g) {
            out.push(drop_global(c, g));
        }
    }
    if c.base.has_p {
        // Without `struct P`, no option may name it.
        let mut d = c.clone();
        d.base.has_p = false;
        let no_p = |o: &mut Vec<String>| o.retain(|o| !o.contains("P:"));
        d.base.fns.iter_mut().for_each(|f| no_p(&mut f.opts));
        for e in d.edits.iter_mut().flatten() {
            if let Edit::SetOpts { opts, .. } = e {
                no_p(opts);
            }
        }
        out.push(d);
    }
    for i in 0..c.init_files.len() {
        let mut d = c.clone();
        d.init_files.remove(i);
        out.push(d);
    }
    for i in 0..c.init_params.len() {
        let mut d = c.clone();
        d.init_params.remove(i);
        out.push(d);
    }
    for i in 0..c.base.fns.len() {
        for s in (0..c.base.fns[i].body.stmts.len()).rev() {
            let mut d = c.clone();
            d.base.fns[i].body.stmts.remove(s);
            out.push(d);
        }
        if !c.base.fns[i].opts.is_empty() {
            let mut d = c.clone();
            d.base.fns[i].opts.clear();
            out.push(d);
        }
    }
    // Simpler expressions, node by node.
    let mut n = 0;
    c.base.clone().walk_mut(&mut |_| n += 1);
    let rets: Vec<Ty> = c.base.fns.iter().map(|d| d.ret).collect();
    for k in 0..n {
        for alt in 0..2 {
            let mut d = c.clone();
            let mut i = 0;
            let mut changed = false;
            d.base.walk_mut(&mut |e| {
                if i == k {
                    if let Some(s) = simpler(e, alt, &rets) {
                        *e = s;
                        changed = true;
                    }
                }
                i += 1;
            });
            if changed {
                out.push(d);
            }
        }
    }
    out
}

/// A simpler expression of the same type, if there is one.
fn simpler(e: &Expr, alt: usize, rets: &[Ty]) -> Option<Expr> {
    // The recursion's `n - 1` and `if n <= 0` keep it finite.
    let depth_var = |e: &Expr| matches!(e, Expr::Local(n) if n == "n" || n == "m");
    match e {
        Expr::Bin(_, _, a, _) if depth_var(a) => None,
        Expr::If(c, ..) if matches!(&**c, Expr::Bin(_, _, a, _) if depth_var(a)) => None,
        Expr::Bin(op, ty, a, b)
            if (!matches!(*op, "<" | "<=" | "==" | ">") && *ty != Ty::Bool) || matches!(*op, "and" | "or") =>
        {
            Some(if alt == 0 { (**a).clone() } else { (**b).clone() })
        }
        Expr::If(_, a, b) => Some(if alt == 0 { (**a).clone() } else { (**b).clone() }),
        Expr::Try(_, b) if alt == 0 => Some((**b).clone()),
        Expr::Not(a) if alt == 0 => Some((**a).clone()),
        Expr::Call(j, _) if alt == 0 => rets.get(*j).and_then(|t| plain(*t)),
        _ => None,
    }
}

/// A literal of a type (none for fn types).
fn plain(t: Ty) -> Option<Expr> {
    Some(match t {
        Ty::Int => Expr::Const(Lit::Int(1)),
        Ty::Num => Expr::Const(Lit::Float(1.5)),
        Ty::Str => Expr::Const(Lit::Str("s".into())),
        Ty::Bool => Expr::Const(Lit::Bool(true)),
        Ty::ListI => Expr::List(vec![Expr::Const(Lit::Int(1))]),
        Ty::MapSI => Expr::Map(vec![("a".into(), Expr::Const(Lit::Int(1)))]),
        Ty::P => Expr::Struct(Box::new(Expr::Const(Lit::Int(1))), Box::new(Expr::Const(Lit::Int(2))), false),
        _ => return None,
    })
}

fn global_used(p: &Program, g: usize) -> bool {
    let mut p = p.clone();
    let mut used = false;
    p.walk_mut(&mut |e| used |= matches!(e, Expr::Global(k) if *k == g));
    for d in &p.fns {
        for s in &d.body.stmts {
            used |= stmt_writes(s, g);
        }
    }
    used |= p.main.iter().any(|m| matches!(m, Main::Assign(k, _) if *k == g));
    used
}

fn stmt_writes(s: &Stmt, g: usize) -> bool {
    match s {
        Stmt::SetGlobal(k, _) => *k == g,
        Stmt::For(_, _, body) => body.iter().any(|s| stmt_writes(s, g)),
        _ => false,
    }
}

/// Index `k` after removing index `gone`.
fn shift(k: usize, gone: usize) -> usize {
    if k > gone {
        k - 1
    } else {
        k
    }
}

fn drop_fn(c: &Case, i: usize) -> Case {
    let mut d = c.clone();
    d.base.fns.remove(i);
    d.base
        .main
        .retain(|m| !matches!(m, Main::Redeclare(k, ..) | Main::Clear(k) | Main::Mutate(k) | Main::Twice(_, k, _) if *k == i));
    d.base.walk_mut(&mut |e| {
        if let Expr::Call(k, _) | Expr::FnRef(k) = e {
            *k = shift(*k, i);
        }
    });
    for m in &mut d.base.main {
        if let Main::Redeclare(k, ..) | Main::Clear(k) | Main::Mutate(k) | Main::Twice(_, k, _) = m {
            *k = shift(*k, i);
        }
    }
    for group in &mut d.edits {
        group.retain(|e| match e {
            Edit::FnLit { f, .. }
            | Edit::RenameFn { f, .. }
            | Edit::Equiv { f, .. }
            | Edit::ToggleCached { f }
            | Edit::SetOpts { f, .. } => *f != i,
            Edit::SwapNames { a, b } => *a != i && *b != i,
            _ => true,
        });
        for e in group.iter_mut() {
            match e {
                Edit::FnLit { f, .. }
                | Edit::RenameFn { f, .. }
                | Edit::Equiv { f, .. }
                | Edit::ToggleCached { f }
                | Edit::SetOpts { f, .. } => *f = shift(*f, i),
                Edit::SwapNames { a, b } => {
                    *a = shift(*a, i);
                    *b = shift(*b, i);
                }
                _ => {}
            }
        }
    }
    d
}

fn drop_global(c: &Case, g: usize) -> Case {
    let mut d = c.clone();
    d.base.globals.remove(g);
    d.base.walk_mut(&mut |e| {
        if let Expr::Global(k) = e {
            *k = shift(*k, g);
        }
    });
    fn fix(s: &mut Stmt, g: usize) {
        match s {
            Stmt::SetGlobal(k, _) => *k = shift(*k, g),
            Stmt::For(_, _, body) => body.iter_mut().for_each(|s| fix(s, g)),
            _ => {}
        }
    }
    for f in &mut d.base.fns {
        f.body.stmts.iter_mut().for_each(|s| fix(s, g));
    }
    for m in &mut d.base.main {
        if let Main::Assign(k, _) = m {
            *k = shift(*k, g);
        }
    }
    for group in &mut d.edits {
        group.retain(|e| !matches!(e, Edit::GlobalInit { g: k, .. } if *k == g));
        for e in group.iter_mut() {
            if let Edit::GlobalInit { g: k, .. } = e {
                *k = shift(*k, g);
            }
        }
    }
    d
}
