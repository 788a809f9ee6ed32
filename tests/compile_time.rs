//! Compiling is linear in the size of the program (issue 17): every
//! subexpression is compiled once, even where a specialization has a fast
//! path and a fallback, and a long `+` chain is not searched for string
//! chains again at every `+`. Before, 20 nested `xs = push(xs, ..)` took
//! seconds (doubling per level) and a 40,000-term chain ~15 s (quadratic).
//! The bound is generous (a busy machine, a debug build): what it catches is
//! exponential or quadratic work, which takes minutes.

use std::process::Command;
use std::time::{Duration, Instant};

const BOUND: Duration = Duration::from_secs(20);

fn check_in_time(name: &str, src: &str, want: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, src).unwrap();
    let t0 = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_memo")).arg("run").arg("--no-disk-cache").arg(&path).output().unwrap();
    let took = t0.elapsed();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout), want);
    assert!(took < BOUND, "{name} took {took:?}");
}

#[test]
fn thirty_nested_pushes() {
    let mut e = String::from("1");
    for i in 0..30 {
        e = format!("if true {{ x{i} = push(x{i}, {e})\n len(x{i}) }} else {{ 0 }}");
    }
    let decls: String = (0..30).map(|i| format!("let x{i} = []\n")).collect();
    check_in_time("nested.memo", &format!("fn g() {{\n{decls}let r = {e}\nr }}\nprint(g())\n"), "1\n");
}

/// `p.t[k]` of a local struct has a fast path and a fallback sharing `k`.
#[test]
fn sixty_nested_field_indexes() {
    let mut e = String::from("0");
    for _ in 0..60 {
        e = format!("p.t[{e}]");
    }
    check_in_time("fields.memo", &format!("struct P {{ t }}\nfn g(p) {{ {e} }}\nprint(g(P([0, 1])))\n"), "0\n");
}

#[test]
fn a_hundred_thousand_term_sum() {
    let terms = " + 1".repeat(100_000);
    check_in_time("chain.memo", &format!("fn f(x) {{ x{terms} }}\nprint(f(0))\n"), "100000\n");
    let terms = " + x".repeat(20_000);
    check_in_time("strchain.memo", &format!("fn f(x) {{ \"<\"{terms} + \">\" }}\nprint(len(f(\"ab\")))\n"), "40002\n");
}

/// Closures nested 60 deep, the innermost assigning a variable of every
/// enclosing function: each function is compiled again once its boxed
/// variables are known (not once per variable, nor once per level above).
#[test]
fn sixty_nested_closures_assigning_outer_variables() {
    const N: usize = 60;
    let mut body = (0..N).map(|k| format!("v{k} += 1\n")).collect::<String>() + "0";
    for k in (0..N).rev() {
        body = format!("let v{k} = {k}\nlet f{k} = fn() {{\n{body}\n}}\nf{k}()\nv{k}");
    }
    check_in_time("closures.memo", &format!("fn g() {{\n{body}\n}}\nprint(g())\n"), "1\n");
}
