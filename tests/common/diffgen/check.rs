//! Checking a case: each version run with the cache and without it (the
//! oracle), in process through `memo::Engine`s or, through a runner the
//! caller gives, as `memo` processes; the outputs must agree. Shared by the
//! differential test (`tests/differential.rs`) and the `diff_cache` fuzz
//! target (`fuzz/`).

use super::edit::FileOp;
use super::render::{self, Style};
use super::{Case, Env, Lit, Main, Program};
use memo::{Cache, Engine, OutputBuffer, Value};
use std::fmt::Write as _;
use std::path::Path;

/// Runs one version as a `memo` process: (dir, file name, source, with the
/// cache, env) → what it printed.
pub type RunBinary<'a> = &'a dyn Fn(&Path, &str, &str, bool, &Env) -> Outcome;

/// The operation budget of one run: far above what a generated program
/// needs; a run that reaches it means the generator made a bad program.
pub const MAX_OPS: u64 = 20_000_000;
pub const MAX_DEPTH: usize = 400;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    /// In this process; `reuse`: one engine for every run (`reset` between).
    Engine { reuse: bool },
    /// `memo` processes sharing a `--cache-dir`.
    Binary,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Engine { reuse: false } => "engine (a new memo::Engine per run, one shared memo::Cache)",
            Mode::Engine { reuse: true } => "engine-reuse (one memo::Engine, reset between runs, its memo::Cache)",
            Mode::Binary => "binary (one `memo run` process per run, one --cache-dir)",
        }
    }
}

/// What a run printed, and how it ended.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    pub stdout: String,
    /// The error that ended the run (`error: message` for the binary,
    /// `Kind: message` in process), if any.
    pub error: Option<String>,
}

impl Outcome {
    /// The lines a plain run would print (probe lines removed).
    pub fn visible(&self) -> Vec<&str> {
        self.stdout.lines().filter(|l| !l.starts_with(render::PROBE)).collect()
    }

    pub fn probes(&self) -> Vec<&str> {
        self.stdout.lines().filter(|l| l.starts_with(render::PROBE)).collect()
    }

    pub fn show(&self) -> String {
        let mut s = self.stdout.clone();
        if let Some(e) = &self.error {
            let _ = writeln!(s, "[run ended with {e}]");
        }
        s
    }
}

/// Why a case failed.
#[derive(Clone, Debug)]
pub struct Failure {
    /// 1-based version.
    pub version: usize,
    /// The second, unchanged run of the version.
    pub rerun: bool,
    pub what: String,
    pub cached: Outcome,
    pub oracle: Outcome,
}

/// The verdict on one run of a version with the cache, against the
/// uncached run of the same version. `rerun`: the version already ran
/// against this cache, unchanged, so its cached fns must not miss (except
/// `forgetful`, fns whose options or results let them forget entries).
pub fn judge(cached: &Outcome, oracle: &Outcome, rerun: bool, forgetful: &[String]) -> Option<String> {
    if cached.visible() != oracle.visible() || cached.error.is_some() != oracle.error.is_some() {
        return Some("output differs from the uncached run (a stale hit, or a side effect of a wrong miss)".into());
    }
    if cached.error != oracle.error {
        return Some("the run ended with another error than the uncached run".into());
    }
    for p in cached.probes() {
        let f: Vec<&str> = p.split(' ').collect();
        match f.as_slice() {
            ["#probe", label, n] if *n != "0" => {
                return Some(format!(
                    "spurious miss: at {label} a cached call repeated at once with the same arguments missed ({n} misses)"
                ));
            }
            ["#misses", name, n] if rerun && *n != "0" && !forgetful.iter().any(|f| f == name) => {
                return Some(format!("spurious miss: `{name}` missed {n} times in a second, unchanged run of this version"));
            }
            ["#probe", ..] | ["#misses", ..] => {}
            _ => return Some(format!("unexpected probe line `{p}`")),
        }
    }
    None
}

// ----- running versions -----

/// Performs a version's file operations in `dir`.
pub fn do_files(dir: &Path, ops: &[FileOp]) {
    for op in ops {
        let path = dir.join(op.name());
        match op {
            FileOp::Write { content, rename, mtime, .. } => {
                if *rename {
                    let tmp = dir.join(format!("{}.tmp", op.name()));
                    std::fs::write(&tmp, content).unwrap();
                    std::fs::rename(&tmp, &path).unwrap();
                } else {
                    std::fs::write(&path, content).unwrap();
                }
                if let Some(t) = mtime {
                    set_mtime(&path, *t);
                }
            }
            FileOp::Remove(_) => {
                let _ = std::fs::remove_file(&path);
            }
            FileOp::Touch(_, t) => set_mtime(&path, *t),
        }
    }
}

pub fn set_mtime(path: &Path, secs: i64) {
    let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs as u64)).unwrap();
}

/// Params as the engine takes them.
pub fn param_value(l: &Lit) -> Value {
    match l {
        Lit::Int(i) => Value::Int(*i),
        Lit::Float(f) => Value::float(*f),
        Lit::Str(s) => Value::str(s.clone()),
        Lit::Bool(b) => Value::bool(*b),
    }
}

pub fn engine_for(cache: Option<&Cache>, env: &Env, out: &OutputBuffer) -> Engine {
    let mut b = Engine::builder().output(out.clone()).error_output(std::io::sink()).max_ops(MAX_OPS).max_call_depth(MAX_DEPTH);
    if let Some(c) = cache {
        b = b.cache(c.clone());
    }
    for (k, v) in &env.params {
        b = b.param(k, param_value(v));
    }
    b.build()
}

/// Makes a reused engine see exactly `env`'s params (the `Engine` API only
/// adds params, so the old ones are dropped through the interpreter).
pub fn reset_engine(engine: &mut Engine, env: &Env) {
    engine.reset();
    engine.interp_mut().params.clear();
    for (k, v) in &env.params {
        engine.set_param(k, param_value(v));
    }
}

pub fn run_engine(engine: &mut Engine, out: &OutputBuffer, src: &str) -> Outcome {
    let r = engine.run_named("case.memo", src);
    let stdout = out.take();
    Outcome { stdout, error: r.err().map(|e| format!("{}: {}", e.kind(), e.message())) }
}

/// The result of checking one case.
pub enum Verdict {
    Pass,
    /// The uncached run itself went wrong (a generator defect): the case
    /// proves nothing.
    Skip(String),
    Fail(Failure),
}

/// Counters over many cases, to show the generator does what it should.
#[derive(Default, Debug)]
pub struct Tally {
    pub cases: usize,
    pub runs: usize,
    pub skipped: usize,
    /// Versions whose uncached run ended in an error (same error required).
    pub oracle_errors: usize,
    pub hits: u64,
    pub misses: u64,
    /// Back-to-back repeated cached calls that hit (`#probe L 0` lines).
    pub probe_hits: usize,
}

/// Fns whose second identical run may miss.
pub fn forgetful(p: &Program, disk: bool) -> Vec<String> {
    p.fns
        .iter()
        .enumerate()
        .filter(|(i, d)| d.may_forget(disk) || p.main.iter().any(|m| matches!(m, Main::Clear(k) if k == i)))
        .map(|(_, d)| d.name.clone())
        .collect()
}

/// Runs `case`'s versions in `mode`, in the empty directory `dir`, each
/// with the cache and (the oracle) without, and judges them. Binary mode
/// runs versions through `run_binary` (the `memo` binary is the test's).
pub fn check(case: &Case, mode: Mode, dir: &Path, tally: &mut Tally, run_binary: Option<RunBinary>) -> Verdict {
    let run_binary = |dir: &Path, file: &str, src: &str, cache: bool, env: &Env| {
        run_binary.expect("binary mode needs a runner")(dir, file, src, cache, env)
    };
    let prefix = match mode {
        Mode::Binary => String::new(),
        Mode::Engine { .. } => format!("{}/", dir.display()),
    };
    let cache = Cache::memory();
    let out = OutputBuffer::new();
    let mut shared = match mode {
        Mode::Engine { reuse: true } => Some(engine_for(Some(&cache), &Env::default(), &out)),
        _ => None,
    };
    let show = std::env::var_os("MEMO_DIFF_SHOW").is_some();
    for (vi, v) in case.versions().iter().enumerate() {
        do_files(dir, &v.file_ops);
        let cached_src = render::program(&v.program, Style { cached: true, dir: &prefix });
        let plain_src = render::program(&v.program, Style { cached: false, dir: &prefix });
        if show {
            println!("--- seed {} version {} ({:?})\n{cached_src}", case.seed, vi + 1, v.env);
        }
        let oracle = match mode {
            Mode::Binary => run_binary(dir, &format!("v{}.plain.memo", vi + 1), &plain_src, false, &v.env),
            Mode::Engine { .. } => {
                let mut e = engine_for(None, &v.env, &out);
                run_engine(&mut e, &out, &plain_src)
            }
        };
        if let Some(err) = &oracle.error {
            // Limits: `LimitError`/`RecursionError` in process, their messages from the binary.
            if ["LimitError", "RecursionError", "limit of", "recursion depth"].iter().any(|k| err.contains(k)) {
                tally.skipped += 1;
                return Verdict::Skip(format!("version {}: the uncached run ended with {err}", vi + 1));
            }
            tally.oracle_errors += 1;
        }
        let forget = forgetful(&v.program, mode == Mode::Binary);
        for rerun in [false, true] {
            let got = match mode {
                Mode::Binary => run_binary(dir, &format!("v{}.memo", vi + 1), &cached_src, true, &v.env),
                Mode::Engine { reuse } => {
                    let r = if reuse {
                        let e = shared.as_mut().expect("made above");
                        reset_engine(e, &v.env);
                        let r = run_engine(e, &out, &cached_src);
                        count(e, &v.program, tally);
                        r
                    } else {
                        let mut e = engine_for(Some(&cache), &v.env, &out);
                        let r = run_engine(&mut e, &out, &cached_src);
                        count(&e, &v.program, tally);
                        r
                    };
                    r
                }
            };
            tally.runs += 1;
            if let Some(what) = judge(&got, &oracle, rerun, &forget) {
                return Verdict::Fail(Failure { version: vi + 1, rerun, what, cached: got, oracle: oracle.clone() });
            }
            tally.probe_hits += got.probes().iter().filter(|p| p.starts_with("#probe") && p.ends_with(" 0")).count();
        }
    }
    Verdict::Pass
}

/// Adds an engine's hit and miss counts to the tally.
pub fn count(e: &Engine, p: &Program, tally: &mut Tally) {
    for d in p.fns.iter().filter(|d| d.cached) {
        if let Ok(info) = e.cache_info(&d.name) {
            tally.hits += info.hits;
            tally.misses += info.misses;
        }
    }
}

// ----- reporting -----

/// A bash script that replays `case` with the `memo` binary.
pub fn reproduction(case: &Case, upto: usize) -> String {
    let mut s = String::new();
    s.push_str("set -u\nD=$(mktemp -d) && cd \"$D\"   # memo = the memo binary (target/debug/memo)\n");
    for (vi, v) in case.versions().iter().enumerate().take(upto) {
        let n = vi + 1;
        let _ = writeln!(s, "\n# ---- version {n} ----");
        for op in &v.file_ops {
            match op {
                FileOp::Write { name, content, rename, mtime } => {
                    if *rename {
                        let _ = writeln!(s, "printf '%s' '{content}' > {name}.tmp && mv {name}.tmp {name}");
                    } else {
                        let _ = writeln!(s, "printf '%s' '{content}' > {name}");
                    }
                    if let Some(t) = mtime {
                        let _ = writeln!(s, "touch -m -d @{t} {name}");
                    }
                }
                FileOp::Remove(name) => {
                    let _ = writeln!(s, "rm {name}");
                }
                FileOp::Touch(name, t) => {
                    let _ = writeln!(s, "touch -m -d @{t} {name}");
                }
            }
        }
        let cached = render::program(&v.program, Style { cached: true, dir: "" });
        let plain = render::program(&v.program, Style { cached: false, dir: "" });
        let _ = write!(s, "cat > v{n}.memo <<'EOF'\n{cached}EOF\n");
        let _ = write!(s, "cat > v{n}.plain.memo <<'EOF'\n{plain}EOF\n");
        let sets: String = v.env.params.iter().map(|(k, l)| format!(" --set {k}={}", render::param_arg(l))).collect();
        let _ = writeln!(s, "echo '== v{n} cached'; memo run --cache-dir cache{sets} v{n}.memo");
        let _ = writeln!(s, "echo '== v{n} uncached'; memo run --no-disk-cache{sets} v{n}.plain.memo");
    }
    s
}
