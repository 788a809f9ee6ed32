//! What the fuzz targets share: running source text under tight limits,
//! and a generator that turns the fuzzer's bytes into a memo program.
//!
//! The invariants a run must keep (a broken one is a crash the fuzzer
//! reports): no panic, no abort, no hang (libFuzzer's `-timeout`), and no
//! memory held past the limit (checked after the run; libFuzzer's
//! `-malloc_limit_mb` catches a single huge allocation). Errors of any kind
//! are fine: they are how the limits answer.

use memo::{Engine, Limits};

/// Counted like the `memo` binary counts, so that the memory limit works.
#[global_allocator]
static ALLOC: memo::alloc::Counting<std::alloc::System> = memo::alloc::Counting::new(std::alloc::System);

/// The limits every fuzzed run gets: small enough that a run takes
/// milliseconds, big enough to reach every part of the evaluator.
pub const MAX_MEMORY: usize = 32 << 20;

pub fn limits() -> Limits {
    Limits {
        max_ops: Some(50_000),
        max_call_depth: 150,
        max_collection_len: 20_000,
        allow_fs: false,
        allow_clock: false,
        allow_net: false,
        max_memory: Some(MAX_MEMORY),
    }
}

/// Declares the stack libFuzzer runs us on (its main thread: 8 MiB, less
/// what sanitizers and libFuzzer itself take), so memo's recursion guard
/// turns deep input into errors in time.
fn set_stack() {
    memo::stack::set_stack_size(3 << 20);
}

/// Lexes, parses and compiles `text` (not run).
pub fn compile(text: &str) {
    set_stack();
    let Ok(prog) = memo::parser::parse_program(text, 1) else { return };
    let defined = |n: &str| n.len().is_multiple_of(2);
    for (check_undefined, check_calls) in [(true, true), (true, false), (false, false)] {
        let opts = memo::compiler::CompileOptions { file: 1, is_defined: &defined, check_undefined, check_calls, library: false };
        let _ = memo::compiler::compile_program(&prog, &opts);
    }
}

/// Runs `src` as a script under [`limits`]: it must end in a value or an
/// error, and hold no more than about the memory limit when it ends.
pub fn run(src: &str) {
    set_stack();
    let before = memo::alloc::thread_net();
    let mut engine =
        Engine::builder().limits(limits()).output(std::io::sink()).error_output(std::io::sink()).run_on_current_thread().build();
    let r = engine.run_named("fuzz.memo", src);
    // The value and the globals are still alive here: what the run holds.
    let held = memo::alloc::thread_net() - before;
    if r.is_ok() {
        // Checked every 1,024 operations and before big allocations: a run
        // can end a little past the limit, never far.
        assert!(held < 2 * MAX_MEMORY as isize, "a run that ended without an error holds {held} bytes");
    }
    drop(r);
    drop(engine);
}

// ------------------------------------------------------ differential cache

/// The generator and checker of the differential cache test
/// (`tests/differential.rs`), shared by path.
#[path = "../../tests/common/diffgen/mod.rs"]
#[allow(dead_code)]
pub mod diffgen;

/// The differential cache check on the case the bytes choose: every version
/// of a generated program, run against one cache, must print what it prints
/// with no cache at all (a difference is a stale hit or a wrong miss), and
/// a cached call repeated at once must hit. The first byte chooses the mode
/// (a new engine per run, or one engine reset between runs).
pub fn diff_cache(data: &[u8]) {
    use diffgen::check::{check, reproduction, Mode, Tally, Verdict};
    set_stack();
    let Some((&flags, bytes)) = data.split_first() else { return };
    let case = diffgen::gen::case_from_bytes(bytes, diffgen::gen::Without::default());
    let mode = Mode::Engine { reuse: flags & 1 == 1 };
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("memo-diff-cache-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("make a scratch directory");
    if let Verdict::Fail(f) = check(&case, mode, &dir, &mut Tally::default(), None) {
        let when = if f.rerun { " (its second, unchanged run)" } else { "" };
        panic!(
            "{}, version {}{when}: {}\n--- with the cache it printed:\n{}--- without caching it prints:\n{}--- reproduction (bash) ---\n{}",
            mode.name(),
            f.version,
            f.what,
            f.cached.show(),
            f.oracle.show(),
            reproduction(&case, f.version)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

// ----------------------------------------------------------------- generator

/// Turns bytes into choices. Past the end, every choice is 0 (the first,
/// simplest alternative), so every input makes a finite program.
pub struct Gen<'a> {
    data: &'a [u8],
    pos: usize,
    depth: usize,
    /// Statements emitted, a cap on the program's size.
    stmts: usize,
    /// Function and loop nesting of the statement being generated.
    in_fn: bool,
    in_loop: bool,
}

const PRELUDE: &str = "let a = 3\nlet b = -2.5\nlet s = \"h\u{e9}llo\"\nlet xs = [1, 2, 3]\n\
let m = {\"k\": 1, 2: [3]}\nlet c = cell(0)\nstruct P { x, y }\nlet p = P(1, 2)\n\
let f = fn(v) { v }\nlet r = 0..4\nlet big = [1]\nlet big2 = [1]\n\
fn g(v) { v }\nfn h(v, w) { [v, w] }\ncached fn k(v) { [v] }\n";

const VARS: &[&str] = &["a", "b", "s", "xs", "m", "c", "p", "f", "r", "big", "big2", "v", "w", "e"];

const LITERALS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "7",
    "255",
    "1000",
    "9223372036854775807",
    "(-9223372036854775807 - 1)",
    "0.5",
    "-0.0",
    "1e300",
    "1e20",
    "1e-300",
    "(0.0 / 0.0)",
    "true",
    "false",
    "none",
    "\"\"",
    "\"a\"",
    "\"k\"",
    "\"ka lo mi\"",
    "\"\\u{1F600}\\n\\t\\\"\"",
    "[]",
    "{}",
    "[1, [2]]",
    "{\"a\": [1]}",
    "{[1]: 2, P(1, 2): 3}",
    "0..3",
    "2..=0",
    "0..9223372036854775807",
    "P(0, 0)",
    "P(x: 1, y: \"b\")",
    "cell(1)",
    "cell([1])",
    "int",
    "str",
    "list",
    "P",
    "g",
    "k",
    "print",
    "fn(v) { v }",
    "json_str",
    "\"{\\\"a\\\": [1, 2.5, null]}\"",
];

const BINOPS: &[&str] = &["+", "-", "*", "/", "%", "**", "==", "!=", "<", "<=", ">", ">=", "and", "or", "..", "..="];

/// Natives and prelude functions, with their usual arity.
const CALLS: &[(&str, usize)] = &[
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
    ("json_parse", 1),
    ("json_str", 2),
    ("cache_info", 1),
    ("sqlite_open", 1),
    ("query", 3),
    ("execute", 3),
    ("read_file", 1),
    ("sleep", 1),
    ("enumerate", 1),
    ("zip", 2),
    ("any", 2),
    ("all", 2),
    ("count", 2),
    ("flatten", 1),
    ("g", 1),
    ("h", 2),
    ("k", 1),
    ("f", 1),
];

/// Whole statements that reach the limits and the corners.
const SNIPPETS: &[&str] = &[
    "for i in 0..30 { big = [big, big]\n big2 = [big2, big2] }",
    "print(big == big2, big < big2, hash(big))",
    "let t = [cell(1)]\nfor i in 0..30 { t = [t, t] }\nprint(hash(t))",
    "print(str(big), json_str(big), sort([big, big2]), contains([big], big2))",
    "let mm = {}\nmm[big] = 1\nprint(mm[big2])",
    "fn deep(v) { deep(v + 1) }\ndeep(0)",
    "cached fn kk(v) { if v > 0 { kk(v - 1) + 1 } else { 0 } }\nprint(kk(100))",
    "while true { }",
    "let t = \"ab\"\nwhile true { t += t }",
    "let t = [1]\nwhile true { t = t + t }",
    "let t = []\nwhile true { t = push(t, [t]) }",
    "let t = {}\nfor i in 0..100000 { t[i] = str(i) }",
    "let t = []\nfor i in 0..100000 { t = [t] }\nprint(t == t)",
    "c.set([c])",
    "let d = cell(0)\nd.set([1, [2]])\nprint(d, hash(d))",
    "cached(ttl: 1e300) fn kt(v) { v }\nprint(kt(1))",
    "cached(max_entries: 1) fn km(v) { v }\nprint(km(1), km(2), km(1))",
    "cached(hash_funcs: {P: fn(q) { q.x }}) fn kh(v) { v }\nprint(kh(P(1, 2)))",
    "print(sort_by(xs, fn(v) { error(\"in key\") }))",
    "let q = sqlite_open(\":memory:\")\nprint(query(q, \"select zeroblob(100000) as z\"))",
    "let q = sqlite_open(\":memory:\")\nexecute(q, \"create table t(x)\")\nexecute(q, \"insert into t values (?)\", [1])\nprint(query(q, \"select * from t\"))",
    "print(json_parse(json_str({\"a\": [1, 2.5, none, \"x\"]}, 2)))",
    "print(split(\"a,b,,c\", \",\"), split(\" x  y \"), split(\"ab\", \"\"))",
    "print(format(\"{} {{}} {}\", 1, [2]))",
    "print(range(0, 10, 3), range(10, 0, -4), list(\"h\u{e9}\"))",
    "import \"x.memo\"",
];

impl<'a> Gen<'a> {
    pub fn new(data: &'a [u8]) -> Gen<'a> {
        Gen { data, pos: 0, depth: 0, stmts: 0, in_fn: false, in_loop: false }
    }

    fn byte(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }

    fn below(&mut self, n: usize) -> usize {
        if n <= 256 {
            self.byte() as usize % n
        } else {
            (self.byte() as usize * 256 + self.byte() as usize) % n
        }
    }

    fn pick<'b>(&mut self, items: &[&'b str]) -> &'b str {
        items[self.below(items.len())]
    }

    fn done(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// The whole program.
    pub fn program(mut self) -> String {
        let mut out = String::from(PRELUDE);
        while !self.done() && self.stmts < 60 {
            let s = self.stmt();
            out.push_str(&s);
            out.push('\n');
        }
        out
    }

    fn block(&mut self) -> String {
        let n = 1 + self.below(3);
        let body: Vec<String> = (0..n).map(|_| self.stmt()).collect();
        format!("{{\n{}\n}}", body.join("\n"))
    }

    fn stmt(&mut self) -> String {
        self.stmts += 1;
        if self.depth > 5 || self.stmts > 60 {
            return format!("print({})", self.atom());
        }
        self.depth += 1;
        let s = match self.below(20) {
            0 => format!("let {} = {}", self.pick(VARS), self.expr()),
            1 => format!("{} = {}", self.pick(VARS), self.expr()),
            2 => format!("{} {}= {}", self.pick(VARS), self.pick(&["+", "-", "*", "/", "%"]), self.expr()),
            3 => format!("{}[{}] = {}", self.pick(VARS), self.expr(), self.expr()),
            4 => format!("{}[{}] += {}", self.pick(VARS), self.expr(), self.expr()),
            5 => format!("{}.{} = {}", self.pick(VARS), self.pick(&["x", "y", "k"]), self.expr()),
            6 => {
                let (c, b) = (self.expr(), self.block());
                let e = if self.below(2) == 0 { String::new() } else { format!(" else {}", self.block()) };
                format!("if {c} {b}{e}")
            }
            7 => {
                let saved = self.in_loop;
                self.in_loop = true;
                let s = format!("for {} in {} {}", self.pick(VARS), self.expr(), self.block());
                self.in_loop = saved;
                s
            }
            8 => {
                let saved = self.in_loop;
                self.in_loop = true;
                let (d, limit) = (self.depth, self.below(50));
                let body = self.stmt();
                let s = format!("let n{d} = 0\nwhile n{d} < {limit} {{ n{d} += 1\n{body} }}");
                self.in_loop = saved;
                s
            }
            9 => {
                let saved = (self.in_fn, self.in_loop);
                self.in_fn = true;
                self.in_loop = false;
                let cached = if self.below(3) == 0 { "cached " } else { "" };
                let name = self.pick(&["g", "h", "k", "f2", "f3"]);
                let s = format!("{cached}fn {name}(v, w) {}", self.block());
                (self.in_fn, self.in_loop) = saved;
                s
            }
            10 => format!("try {} catch e {}", self.block(), self.block()),
            11 => format!("print({}, {})", self.expr(), self.expr()),
            12 => self.pick(SNIPPETS).to_string(),
            13 if self.in_loop => self.pick(&["break", "continue"]).to_string(),
            14 if self.in_fn => format!("return {}", self.expr()),
            15 => format!("struct Q{} {{ x, y }}\nprint(Q{}(1, {}))", self.below(3), self.below(3), self.expr()),
            16 => format!("for i in 0..{} {{ big = [big, {}] }}", self.below(40), self.pick(&["big", "big2", "[big]"])),
            _ => self.expr(),
        };
        self.depth -= 1;
        s
    }

    fn atom(&mut self) -> String {
        if self.below(2) == 0 {
            self.pick(VARS).to_string()
        } else {
            self.pick(LITERALS).to_string()
        }
    }

    fn expr(&mut self) -> String {
        if self.depth > 7 || self.done() {
            return self.atom();
        }
        self.depth += 1;
        let e = match self.below(18) {
            0..=3 => self.atom(),
            4..=6 => format!("({} {} {})", self.expr(), self.pick(BINOPS), self.expr()),
            7 => format!("({}{})", self.pick(&["-", "not "]), self.expr()),
            8 | 9 => {
                let (name, n) = CALLS[self.below(CALLS.len())];
                let n = if self.below(8) == 0 { self.below(4) } else { n };
                let args: Vec<String> = (0..n).map(|_| self.expr()).collect();
                format!("{name}({})", args.join(", "))
            }
            10 => {
                let (name, n) = CALLS[self.below(CALLS.len())];
                let args: Vec<String> = (1..n.max(1)).map(|_| self.expr()).collect();
                format!("{}.{name}({})", self.atom(), args.join(", "))
            }
            11 => format!("{}[{}]", self.atom(), self.expr()),
            12 => format!("{}.{}", self.atom(), self.pick(&["x", "y", "k", "z"])),
            13 => format!("[{}, {}]", self.expr(), self.expr()),
            14 => format!("{{{}: {}}}", self.expr(), self.expr()),
            15 => format!("if {} {{ {} }} else {{ {} }}", self.expr(), self.expr(), self.expr()),
            16 => format!("try {{ {} }} catch e {{ e[\"kind\"] }}", self.expr()),
            _ => format!("fn(v) {{ {} }}({})", self.expr(), self.expr()),
        };
        self.depth -= 1;
        e
    }
}

/// Decodes `payload` as a sealed cache entry's payload: a refusal is fine;
/// an entry must hold a value that survives encoding and decoding again
/// unchanged (so it is one the language could have made and stored).
pub fn decode_entry(payload: &[u8]) {
    use memo::cache::entry::{decode, encode, sealed, Seal};
    set_stack();
    let seal = Seal::checksum();
    let Ok(e) = decode(&sealed(payload, &seal), None, &seal) else { return };
    let key = [0u8; 32];
    let bytes = encode(&key, &e, &seal);
    let again = decode(&bytes, Some((&e.fn_name, &key)), &seal)
        .unwrap_or_else(|why| panic!("an entry the decoder accepted does not decode after encoding: {why}"));
    // Bytes, not `==`: a NaN is not equal to itself.
    assert!(encode(&key, &again, &seal) == bytes, "the entry changed in a round trip");
}
