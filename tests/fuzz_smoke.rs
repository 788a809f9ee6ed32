//! Fuzz smoke test: about 3,000 deterministic pseudo-random programs, run
//! through the library API, must never panic (spec §9: no input, however
//! malformed or deep, panics or crashes the interpreter). Errors are fine;
//! only panics fail the test.
//!
//! Three kinds of programs, all from a fixed-seed LCG (no extra crates):
//! - token soup: random memo tokens, keywords, literals and stray bytes
//!   (exercises the lexer, layout pass, parser and compiler error paths);
//! - generated programs: random but mostly well-formed statements and
//!   expressions over a few variables, calling operators, natives, closures,
//!   structs, cells, cached fns, try/catch (exercises the evaluator);
//! - mutants: a generated program with tokens dropped, duplicated or swapped,
//!   plus occasional very deep nesting.
//!
//! Programs run sandboxed (no files, no clocks, no sleep) with a small call
//! depth, collection size and operation budget, so none can loop forever or
//! exhaust memory. Set `MEMO_FUZZ_VERBOSE=1` to print every program before it
//! runs (useful when a crash aborts the process), `MEMO_FUZZ_SEED=N` to try
//! another seed and `MEMO_FUZZ_COUNT=N` to run more programs.

use std::panic::{catch_unwind, AssertUnwindSafe};

/// Knuth's MMIX linear congruential generator.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        // The high bits of an LCG are the good ones.
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

// ------------------------------------------------------------------ token soup

const TOKENS: &[&str] = &[
    "let",
    "fn",
    "cached",
    "return",
    "if",
    "else",
    "while",
    "for",
    "in",
    "break",
    "continue",
    "true",
    "false",
    "none",
    "and",
    "or",
    "not",
    "struct",
    "try",
    "catch",
    "import",
    "x",
    "y",
    "f",
    "xs",
    "m",
    "P",
    "print",
    "len",
    "push",
    "map",
    "cell",
    "error",
    "int",
    "str",
    "type",
    "0",
    "1",
    "-1",
    "42",
    "0xff",
    "1_000",
    "9223372036854775807",
    "1.5",
    "2e9",
    "1.0e-3",
    "0.0",
    "\"s\"",
    "\"\"",
    "\"h\u{e9}llo\"",
    "\"\\n\\t\\u{1F600}\"",
    "\"",
    "\\",
    "+",
    "-",
    "*",
    "/",
    "%",
    "**",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "=",
    "+=",
    "-=",
    "*=",
    "/=",
    "%=",
    "..",
    "..=",
    ".",
    ",",
    ":",
    ";",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "\n",
    "\n",
    "\n",
    " ",
    "// c\n",
    "/*",
    "*/",
    "/* c */",
    "ttl:",
    "max_entries:",
    "\u{e9}",
    "$",
    "@",
    "#",
    "'",
    "\t",
    "\r\n",
];

fn token_soup(rng: &mut Lcg) -> String {
    let mut text = String::new();
    let len = 1 + rng.below(60);
    for _ in 0..len {
        if rng.chance(5) {
            // A random ASCII byte (always valid UTF-8).
            text.push(rng.below(128) as u8 as char);
        } else {
            text.push_str(rng.pick(TOKENS));
            if rng.chance(60) {
                text.push(' ');
            }
        }
    }
    text
}

// ------------------------------------------------------------------ generated programs

/// Variables every generated program declares up front.
const PRELUDE: &str = "let a = 3\nlet b = -2.5\nlet s = \"h\u{e9}llo\"\nlet xs = [1, 2, 3]\n\
                       let m = {\"k\": 1, 2: [3]}\nlet c = cell(0)\nstruct P { x, y }\nlet p = P(1, 2)\n\
                       let f = fn(v) { v }\nlet r = 0..4\n\
                       fn g(v) { v }\nfn h(v, w) { [v, w] }\n";

const VARS: &[&str] = &["a", "b", "s", "xs", "m", "c", "p", "f", "r"];

const LITERALS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "7",
    "255",
    "9223372036854775807",
    "(-9223372036854775807 - 1)",
    "0.5",
    "-0.0",
    "1e300",
    "1.5",
    "true",
    "false",
    "none",
    "\"\"",
    "\"a\"",
    "\"k\"",
    "\"\\u{1F600}\"",
    "[]",
    "{}",
    "[1, [2]]",
    "{\"a\": [1]}",
    "0..3",
    "2..=0",
    "P(0, 0)",
    "P(x: 1, y: \"b\")",
    "cell(1)",
    "int",
    "str",
    "P",
];

const BINOPS: &[&str] = &["+", "-", "*", "/", "%", "**", "==", "!=", "<", "<=", ">", ">=", "and", "or", "..", "..="];

/// Natives with their usual arity (file, clock and sleep natives excluded).
const NATIVES: &[(&str, usize)] = &[
    ("len", 1),
    ("push", 2),
    ("pop", 1),
    ("insert", 3),
    ("remove", 2),
    ("has", 2),
    ("keys", 1),
    ("values", 1),
    ("items", 1),
    ("map", 2),
    ("filter", 2),
    ("reduce", 3),
    ("sum", 1),
    ("min", 1),
    ("max", 2),
    ("abs", 1),
    ("sort", 1),
    ("sort_by", 2),
    ("reverse", 1),
    ("join", 2),
    ("slice", 3),
    ("contains", 2),
    ("repr", 1),
    ("str", 1),
    ("int", 1),
    ("float", 1),
    ("bool", 1),
    ("type", 1),
    ("hash", 1),
    ("id", 1),
    ("format", 3),
    ("get", 3),
    ("set", 2),
    ("cell", 1),
    ("range", 3),
    ("list", 1),
    ("split", 2),
    ("upper", 1),
    ("lower", 1),
    ("trim", 1),
    ("starts_with", 2),
    ("ends_with", 2),
    ("replace", 3),
    ("error", 1),
    ("assert", 2),
    ("print", 2),
    ("param", 2),
];

/// Snippets that hit the limits: recursion depth, the operation budget,
/// the collection size limit, cached recursion.
const SPECIAL: &[&str] = &[
    "fn g(v) { g(v + 1) }\nprint(g(0))",
    "fn g(v) { h(v, v) }\nfn h(v, w) { g(w) }\nprint(g(1))",
    "cached fn k(v) { if v > 0 { k(v - 1) + 1 } else { 0 } }\nprint(k(1000), k(10), cache_info(k))",
    "cached fn k(v) { k(v) }\nprint(k(1))",
    "for i in 0..9223372036854775807 { a = i }",
    "while true { }",
    "let t = \"ab\"\nwhile true { t += t }",
    "let t = [1]\nwhile true { t = t + t }",
    "let t = {}\nfor i in 0..100000 { t[i] = i }",
    "let t = []\nfor i in 0..100000 { t = [t] }\nprint(t == t, len(str(t)))",
    "print(map(range(0, 100000), fn(v) { v }))",
    "let g = fn(v) { v(v) }\nprint(g(g))",
    "print(sort_by(xs, fn(v) { error(\"in key\") }))",
    "c.set(c)",
    "let d = cell(0)\nd.set([d])\nprint(d, hash(d))",
];

struct Gen<'r> {
    rng: &'r mut Lcg,
    depth: usize,
}

impl Gen<'_> {
    fn expr(&mut self) -> String {
        if self.depth > 4 {
            return self.atom();
        }
        self.depth += 1;
        let e = match self.rng.below(17) {
            0..=2 => self.atom(),
            3..=5 => {
                // Mostly parenthesized, so that `a < b < c` (a syntax error)
                // stays rare; sometimes bare, to mix precedences.
                let e = format!("{} {} {}", self.expr(), self.rng.pick(BINOPS), self.expr());
                if self.rng.chance(75) {
                    format!("({e})")
                } else {
                    e
                }
            }
            6 => format!("({}{})", self.rng.pick(&["-", "not "]), self.expr()),
            7 => {
                let (name, n) = NATIVES[self.rng.below(NATIVES.len())];
                let n = if self.rng.chance(15) { self.rng.below(4) } else { n };
                let args: Vec<String> = (0..n).map(|_| self.expr()).collect();
                format!("{name}({})", args.join(", "))
            }
            8 => {
                let (name, n) = NATIVES[self.rng.below(NATIVES.len())];
                let args: Vec<String> = (1..n.max(1)).map(|_| self.expr()).collect();
                format!("{}.{name}({})", self.atom(), args.join(", "))
            }
            9 => format!("{}[{}]", self.atom(), self.expr()),
            10 => format!("{}.{}", self.atom(), self.rng.pick(&["x", "y", "k", "z"])),
            11 => format!("[{}, {}]", self.expr(), self.expr()),
            12 => format!("{{{}: {}}}", self.expr(), self.expr()),
            13 => format!("if {} {{ {} }} else {{ {} }}", self.expr(), self.expr(), self.expr()),
            14 => format!("try {{ {} }} catch e {{ e[\"kind\"] }}", self.expr()),
            15 => format!("fn(v) {{ {} }}({})", self.expr(), self.expr()),
            _ => format!("({})", self.expr()),
        };
        self.depth -= 1;
        e
    }

    fn atom(&mut self) -> String {
        if self.rng.chance(50) {
            self.rng.pick(VARS).to_string()
        } else {
            self.rng.pick(LITERALS).to_string()
        }
    }

    fn block(&mut self, in_loop: bool, in_fn: bool) -> String {
        let n = self.rng.below(3) + 1;
        let stmts: Vec<String> = (0..n).map(|_| self.stmt(in_loop, in_fn)).collect();
        stmts.join("\n")
    }

    fn stmt(&mut self, in_loop: bool, in_fn: bool) -> String {
        if self.depth > 3 {
            return self.expr();
        }
        self.depth += 1;
        let v = self.rng.pick(VARS);
        let s = match self.rng.below(20) {
            0..=3 => format!("print({})", self.expr()),
            4 => format!("let {} = {}", self.rng.pick(&["t", "u", "a", "xs"]), self.expr()),
            5 => format!("{v} = {}", self.expr()),
            6 => format!("{v} {} {}", self.rng.pick(&["+=", "-=", "*=", "/=", "%="]), self.expr()),
            7 => format!("{v}[{}] = {}", self.expr(), self.expr()),
            8 => format!("m[{}][{}] = {}", self.expr(), self.expr(), self.expr()),
            9 => format!("p.{} = {}", self.rng.pick(&["x", "y", "z"]), self.expr()),
            10 => {
                format!("if {} {{\n{}\n}} else {{\n{}\n}}", self.expr(), self.block(in_loop, in_fn), self.block(in_loop, in_fn))
            }
            11 => format!("for i in {} {{\n{}\n}}", self.expr(), self.block(true, in_fn)),
            12 => {
                // A bounded while loop.
                format!("let n{d} = 0\nwhile n{d} < 3 {{\nn{d} += 1\n{}\n}}", self.block(true, in_fn), d = self.depth)
            }
            13 if in_loop => self.rng.pick(&["break", "continue"]).to_string(),
            14 if in_fn => format!("return {}", self.expr()),
            15 => format!(
                "fn {}({}) {{\n{}\n}}",
                self.rng.pick(&["g", "h", "f"]),
                self.rng.pick(&["", "v", "v, w"]),
                self.block(false, true)
            ),
            16 => format!("cached fn k(v) {{\n{}\n}}\nprint(k({}), k({}))", self.block(false, true), self.expr(), self.expr()),
            17 => format!("try {{\n{}\n}} catch e {{\nprint(e[\"kind\"])\n}}", self.block(in_loop, in_fn)),
            18 => format!("c.set({})\nprint(c.get())", self.expr()),
            19 if self.rng.chance(30) => self.rng.pick(SPECIAL).to_string(),
            _ => self.expr(),
        };
        self.depth -= 1;
        s
    }
}

fn generated(rng: &mut Lcg) -> String {
    let mut g = Gen { rng, depth: 0 };
    let mut text = String::from(PRELUDE);
    let n = 1 + g.rng.below(8);
    for _ in 0..n {
        let st = g.stmt(false, false);
        // Most statements are wrapped in try/catch so that one runtime
        // error does not end the program before the rest runs.
        if g.rng.chance(70) {
            text.push_str(&format!("try {{\n{st}\n}} catch e {{\nprint(e)\n}}\n"));
        } else {
            text.push_str(&st);
            text.push('\n');
        }
    }
    // Sometimes call the functions the program may have declared.
    if g.rng.chance(50) {
        text.push_str("print(try { g(1) } catch e { e }, try { h(1, 2) } catch e { e })\n");
    }
    text
}

/// Splits a program into rough tokens (keeps separators) for mutation.
fn rough_tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for ch in text.chars() {
        if ch.is_alphanumeric() || ch == '_' {
            cur.push(ch);
        } else {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            out.push(ch.to_string());
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn mutant(rng: &mut Lcg) -> String {
    if rng.chance(5) {
        // Very deep nesting of one kind of bracket or prefix operator.
        let depth = [50, 500, 999, 1000, 1001, 5000][rng.below(6)];
        let (open, close) = [("(", ")"), ("[", "]"), ("{\"k\": ", "}"), ("-", ""), ("not ", ""), ("f(", ")")][rng.below(6)];
        let closed = if rng.chance(50) { close.repeat(depth) } else { String::new() };
        return format!("let f = fn(v) {{ v }}\nprint({}1{})", open.repeat(depth), closed);
    }
    let base = generated(rng);
    let mut toks = rough_tokens(&base);
    let edits = 1 + rng.below(4);
    for _ in 0..edits {
        if toks.is_empty() {
            break;
        }
        let i = rng.below(toks.len());
        match rng.below(4) {
            0 => {
                toks.remove(i);
            }
            1 => {
                let t = toks[i].clone();
                toks.insert(i, t);
            }
            2 => {
                let j = rng.below(toks.len());
                toks.swap(i, j);
            }
            _ => toks.insert(i, rng.pick(TOKENS).to_string()),
        }
    }
    toks.concat()
}

// ------------------------------------------------------------------ driver

/// Runs one program; returns the error kind, or "ok".
fn run_one(text: &str) -> String {
    let mut interp = memo::new_interp(memo::Cache::memory());
    interp.out = Box::new(std::io::sink());
    interp.err = Box::new(std::io::sink());
    interp.config.max_call_depth = 64;
    interp.config.max_collection_len = 1 << 16;
    interp.config.max_ops = Some(20_000);
    interp.config.allow_fs = false;
    interp.config.allow_clock = false;
    match interp.run_source("fuzz.memo", text) {
        Ok(_) => "ok".to_string(),
        Err(e) => e.kind.to_string(),
    }
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[test]
fn random_programs_never_panic() {
    let seed = env_num("MEMO_FUZZ_SEED", 0x5eed_0f3e30);
    let count = env_num("MEMO_FUZZ_COUNT", 3000) as usize;
    let verbose = std::env::var_os("MEMO_FUZZ_VERBOSE").is_some();
    let failures = memo::stack::run_with_stack(256 << 20, move || {
        // Panics are caught and reported below; keep the default hook quiet.
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let mut rng = Lcg(seed);
        let mut failures: Vec<String> = Vec::new();
        let mut outcomes: std::collections::BTreeMap<String, usize> = Default::default();
        // Per generator: programs run, past the parser and compiler, run to the end.
        let mut reached = [[0usize; 3]; 3];
        for i in 0..count {
            let text = match i % 3 {
                0 => token_soup(&mut rng),
                1 => generated(&mut rng),
                _ => mutant(&mut rng),
            };
            if verbose {
                eprintln!("----- program {i}\n{text}");
            }
            match catch_unwind(AssertUnwindSafe(|| run_one(&text))) {
                Ok(kind) => {
                    let r = &mut reached[i % 3];
                    r[0] += 1;
                    if kind != "SyntaxError" && kind != "CompileError" {
                        r[1] += 1;
                    }
                    if kind == "ok" {
                        r[2] += 1;
                    }
                    *outcomes.entry(kind).or_default() += 1
                }
                Err(p) => {
                    let msg = p
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_default();
                    failures.push(format!("program {i} panicked: {msg}\n{text}"));
                }
            }
        }
        eprintln!("fuzz outcomes: {outcomes:?}");
        eprintln!(
            "per generator (run, compiled, ran to the end): soup {:?}, generated {:?}, mutants {:?}",
            reached[0], reached[1], reached[2]
        );
        std::panic::set_hook(hook);
        (failures, outcomes, reached)
    });
    let (failures, outcomes, reached) = failures;
    // A parser that rejected everything, or an evaluator that failed every
    // program, would pass the panic check: the generated programs must get
    // through (seeded, so these counts are deterministic).
    let [_, compiled, ran] = reached[1];
    let generated_total = reached[1][0];
    assert!(compiled * 10 >= generated_total * 8, "only {compiled} of {generated_total} generated programs compiled");
    assert!(ran * 4 >= generated_total, "only {ran} of {generated_total} generated programs ran to the end");
    assert!(reached[2][1] * 20 >= reached[2][0], "mutants hardly ever compile: {:?}", reached[2]);
    let kinds = outcomes.keys().filter(|k| *k != "ok" && *k != "SyntaxError" && *k != "CompileError").count();
    assert!(kinds >= 5, "the programs reach few runtime errors: {outcomes:?}");
    assert!(
        failures.is_empty(),
        "{} of {count} programs panicked (seed {seed:#x}):\n\n{}",
        failures.len(),
        failures.join("\n\n----------\n\n")
    );
}

#[test]
fn generators_make_valid_programs_often() {
    // Guards the generator: if most generated programs were syntax errors,
    // the evaluator would hardly be exercised.
    let mut rng = Lcg(7);
    let mut ok = 0;
    for _ in 0..200 {
        let text = generated(&mut rng);
        let mut interp = memo::new_interp(memo::Cache::memory());
        if interp.compile("gen.memo", &text, true).is_ok() {
            ok += 1;
        }
    }
    assert!(ok > 100, "only {ok} of 200 generated programs compile");
}
