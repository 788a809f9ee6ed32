//! The differential test of the cache (issue 14): random programs, run
//! through random edit sequences against ONE persistent cache, must print
//! exactly what the same versions print with no caching at all (every
//! `cached` removed, no disk cache). A difference is a stale hit, or a
//! recomputation made visible.
//!
//! Besides the output, two probes catch spurious recomputations: a cached
//! call repeated back to back with the same arguments must hit (`#probe`
//! lines, the cached rendering only), and an unchanged version run a second
//! time against the same cache must not miss (`#misses` lines).
//!
//! Modes: `engine` runs versions in this process through `memo::Engine`s
//! sharing one `memo::Cache` (a new engine per run, or one engine `reset`
//! between runs); `binary` runs each version as a separate `memo` process
//! with one `--cache-dir`.
//!
//! Knobs (environment):
//! - `MEMO_DIFF_CASES=N`: engine-mode cases (default 2000; binary mode runs N/10, at least 8);
//! - `MEMO_DIFF_START=S`: first seed (default 0); seeds S, S+1, ... run;
//! - `MEMO_DIFF_SEED=S`: run only seed S (both modes, or `MEMO_DIFF_MODE`);
//! - `MEMO_DIFF_MODE=engine|binary`: only this mode;
//! - `MEMO_DIFF_KEEP_GOING=N`: report up to N failing seeds, not only the first;
//! - `MEMO_DIFF_WITHOUT=sinks,files,params,zeros,fn_values,redeclare,options`: leave
//!   these features out of the programs (to look past a known failure);
//! - `MEMO_DIFF_SHOW=1`: print each case's versions as they run.
//!
//! Run: `cargo test --test differential`.

#[path = "common/diffgen/mod.rs"]
#[allow(dead_code)]
mod diffgen;

use diffgen::check::{
    do_files, engine_for, judge, reproduction, run_engine, Failure, Mode, Outcome, Tally, Verdict, MAX_DEPTH, MAX_OPS,
};
use diffgen::render::{self, Style};
use diffgen::{gen, shrink, Case, Env, Expr, FnDecl, FnKind, Global, Lit, Main, Program, Ty};
use memo::OutputBuffer;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

/// Checks `case` in `mode` in a new temporary directory.
fn check(case: &Case, mode: Mode, tally: &mut Tally) -> Verdict {
    let dir = tempfile::tempdir().unwrap();
    diffgen::check::check(case, mode, dir.path(), tally, Some(&run_binary))
}

// ----- running versions as processes -----

fn run_binary(dir: &Path, file: &str, src: &str, cache: bool, env: &Env) -> Outcome {
    std::fs::write(dir.join(file), src).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_memo"));
    cmd.current_dir(dir).args(["run", "--max-ops", &MAX_OPS.to_string(), "--max-depth", &MAX_DEPTH.to_string()]);
    if cache {
        cmd.args(["--cache-dir", "cache"]);
    } else {
        cmd.arg("--no-disk-cache");
    }
    for (k, v) in &env.params {
        cmd.arg("--set").arg(format!("{k}={}", render::param_arg(v)));
    }
    cmd.arg(file).env_remove("MEMO_CACHE_DIR");
    let o = cmd.output().expect("run the memo binary");
    let stderr = String::from_utf8_lossy(&o.stderr);
    let error = if o.status.success() {
        None
    } else {
        Some(stderr.lines().find(|l| l.starts_with("error")).unwrap_or("(no error line)").to_string())
    };
    Outcome { stdout: String::from_utf8_lossy(&o.stdout).into_owned(), error }
}

// ----- reporting -----

fn report(case: &Case, mode: Mode, f: &Failure, original: Option<&Case>, note: Option<&str>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "\n==================== memo differential failure ====================");
    let _ = writeln!(s, "seed {}, mode {}", case.seed, mode.name());
    let when = if f.rerun { " (its second, unchanged run against the same cache)" } else { "" };
    let _ = writeln!(s, "version {}{when}: {}", f.version, f.what);
    let mode_env = if mode == Mode::Binary { "binary" } else { "engine" };
    let _ = writeln!(
        s,
        "replay: MEMO_DIFF_SEED={} MEMO_DIFF_MODE={mode_env} cargo test --test differential -- --nocapture",
        case.seed
    );
    if let Some(o) = original {
        let _ = writeln!(s, "(shrunk from {} versions and {} top-level statements)", o.edits.len() + 1, o.base.main.len());
    }
    if let Some(n) = note {
        let _ = writeln!(s, "note: {n}");
    }
    if mode != Mode::Binary {
        let mut t = Tally::default();
        let in_binary = matches!(check(case, Mode::Binary, &mut t), Verdict::Fail(_));
        let _ = writeln!(
            s,
            "the binary replay below {}",
            if in_binary { "shows it too" } else { "does NOT show it: it needs one process (engine mode)" }
        );
    }
    let _ = writeln!(s, "\n--- with the cache, version {} printed:\n{}", f.version, f.cached.show());
    let _ = writeln!(s, "--- without caching it prints:\n{}", f.oracle.show());
    let _ = writeln!(s, "--- reproduction (bash) ---\n{}", reproduction(case, f.version));
    s
}

// ----- driving many cases -----

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

fn modes_wanted() -> Vec<Mode> {
    match std::env::var("MEMO_DIFF_MODE").as_deref() {
        Ok("binary") => vec![Mode::Binary],
        Ok("engine") => vec![Mode::Engine { reuse: false }, Mode::Engine { reuse: true }],
        _ => vec![Mode::Engine { reuse: false }, Mode::Engine { reuse: true }, Mode::Binary],
    }
}

/// The engine mode of a seed: most cases use a new engine per run, some
/// one engine reset between runs (as `memo watch` and the REPL do).
fn engine_mode(seed: u64) -> Mode {
    Mode::Engine { reuse: seed % 4 == 3 }
}

/// Runs seeds `seeds` in `mode` on `workers` threads; returns the tally and
/// the failure reports (the first one only unless keep-going).
fn run_seeds(seeds: Vec<u64>, binary: bool, workers: usize) -> (Tally, Vec<String>) {
    // Report every failure (up to this many), or stop at the first.
    let keep_going = env_u64("MEMO_DIFF_KEEP_GOING").unwrap_or(1) as usize;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let stop = std::sync::atomic::AtomicBool::new(false);
    let failed = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new((Tally::default(), Vec::new()));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                let mut tally = Tally::default();
                let mut reports = Vec::new();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= seeds.len() || stop.load(std::sync::atomic::Ordering::Relaxed) {
                        break;
                    }
                    let seed = seeds[i];
                    let mode = if binary { Mode::Binary } else { engine_mode(seed) };
                    let case = gen::case_without(seed, gen::Without::from_env());
                    tally.cases += 1;
                    let verdict = check(&case, mode, &mut tally);
                    if let Verdict::Skip(why) = &verdict {
                        if std::env::var_os("MEMO_DIFF_SHOW").is_some() {
                            eprintln!("seed {seed} skipped: {why}");
                        }
                    }
                    if let Verdict::Fail(first) = verdict {
                        if failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1 >= keep_going {
                            stop.store(true, std::sync::atomic::Ordering::Relaxed);
                        }
                        let r = shrunk_report(&case, mode, first, binary);
                        eprintln!("{r}");
                        reports.push(r);
                    }
                }
                let mut res = results.lock().unwrap();
                res.0.cases += tally.cases;
                res.0.runs += tally.runs;
                res.0.skipped += tally.skipped;
                res.0.oracle_errors += tally.oracle_errors;
                res.0.hits += tally.hits;
                res.0.misses += tally.misses;
                res.0.probe_hits += tally.probe_hits;
                res.1.extend(reports);
            });
        }
    });
    results.into_inner().unwrap()
}

/// Shrinks a failing case and reports it. A failure that does not come
/// back (the cache's behaviour can depend on timing or on other threads)
/// is reported as it first happened, marked flaky.
fn shrunk_report(case: &Case, mode: Mode, first: Failure, binary: bool) -> String {
    let budget = if binary { 150 } else { 1500 };
    let small = shrink::shrink(case, &mut |c| matches!(check(c, mode, &mut Tally::default()), Verdict::Fail(_)), budget);
    if let Verdict::Fail(f) = check(&small, mode, &mut Tally::default()) {
        return report(&small, mode, &f, Some(case), None);
    }
    if let Verdict::Fail(f) = check(case, mode, &mut Tally::default()) {
        return report(case, mode, &f, None, Some("its shrunk forms did not fail again: this is the case as generated"));
    }
    report(case, mode, &first, None, Some("FLAKY: it did not fail again when re-run; the output below is from its first run"))
}

fn workers() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(2)
}

fn seeds(default_cases: u64, divisor: u64, min: u64) -> Vec<u64> {
    if let Some(s) = env_u64("MEMO_DIFF_SEED") {
        return vec![s];
    }
    let start = env_u64("MEMO_DIFF_START").unwrap_or(0);
    let n = env_u64("MEMO_DIFF_CASES").unwrap_or(default_cases);
    (start..start + (n / divisor).max(min)).collect()
}

fn differential(binary: bool) {
    let want = modes_wanted();
    if binary && !want.contains(&Mode::Binary) || !binary && !want.iter().any(|m| *m != Mode::Binary) {
        return;
    }
    let seeds = if binary { seeds(2000, 10, 8) } else { seeds(2000, 1, 1) };
    let t0 = std::time::Instant::now();
    let (tally, failures) = run_seeds(seeds, binary, workers());
    eprintln!("differential ({}): {tally:?} in {:.1?}", if binary { "binary" } else { "engine" }, t0.elapsed());
    assert!(failures.is_empty(), "{} failing case(s): see the reports above", failures.len());
    // A generator that made only broken or cache-free programs would pass
    // trivially: require real work.
    assert!(tally.skipped * 20 <= tally.cases.max(1), "too many skipped cases: {tally:?}");
    if tally.cases >= 20 {
        assert!(tally.probe_hits > 0, "no repeated cached call ever hit: {tally:?}");
    }
    if !binary && tally.cases >= 50 {
        assert!(tally.hits > 0 && tally.misses > 0, "the cached fns never hit or never missed: {tally:?}");
    }
}

#[test]
fn differential_in_process() {
    differential(false);
}

#[test]
fn differential_processes() {
    differential(true);
}

// ----- the harness checks itself (always on) -----

/// A one-version case whose cached fn, by its own `hash_funcs`, keys lists
/// by length: `f([1, 2])` then `f([3, 4])` is a hit by design, so the
/// cached run prints a stale value the oracle does not.
fn stale_by_design() -> Case {
    let list = |a: i64, b: i64| Expr::List(vec![Expr::Lit(Lit::Int(a), Ty::Int), Expr::Lit(Lit::Int(b), Ty::Int)]);
    let f = FnDecl {
        name: "f".into(),
        params: vec![("xs".into(), Ty::ListI)],
        ret: Ty::Int,
        cached: true,
        opts: vec!["hash_funcs: {list: len}".into()],
        body: diffgen::Body { stmts: vec![], ret: Expr::Native("sum", vec![Expr::Local("xs".into())]) },
        kind: FnKind::Pure,
        value_safe: true,
        recursive: false,
    };
    let g = Global { name: "g0".into(), ty: Ty::Int, init: Expr::Lit(Lit::Int(1), Ty::Int), sink: false, late: false };
    let main = vec![
        Main::Print("L0".into(), vec![Expr::Call(0, vec![list(1, 2)])]),
        Main::Print("L1".into(), vec![Expr::Global(0)]),
        Main::Print("L2".into(), vec![Expr::Call(0, vec![list(3, 4)])]),
    ];
    let base = Program { has_p: false, globals: vec![g], fns: vec![f], main };
    Case { seed: 0, base, init_files: vec![], init_params: vec![], edits: vec![] }
}

#[test]
fn harness_reports_a_stale_hit() {
    let case = stale_by_design();
    for mode in [Mode::Engine { reuse: false }, Mode::Engine { reuse: true }, Mode::Binary] {
        let Verdict::Fail(f) = check(&case, mode, &mut Tally::default()) else {
            panic!("{mode:?}: a hit that is stale by design was not reported");
        };
        assert_eq!((f.version, f.rerun), (1, false), "{mode:?}");
        assert_eq!(f.cached.visible(), ["L0 3", "L1 1", "L2 3"], "{mode:?}");
        assert_eq!(f.oracle.visible(), ["L0 3", "L1 1", "L2 7"], "{mode:?}");
        // The shrinker keeps it failing and drops what does not matter.
        let small = shrink::shrink(&case, &mut |c| matches!(check(c, mode, &mut Tally::default()), Verdict::Fail(_)), 200);
        assert_eq!(small.base.main.len(), 2, "{mode:?}: {:?}", small.base.main);
        let r = report(&small, mode, &f, Some(&case), None);
        assert!(r.contains("cached(hash_funcs: {list: len}) fn f(xs)") && r.contains("L2 7"), "{r}");
    }
    // The reproduction script replays it with the binary.
    let script = format!("memo() {{ '{}' \"$@\"; }}\n{}\nrm -rf \"$D\"\n", env!("CARGO_BIN_EXE_memo"), reproduction(&case, 1));
    let o = Command::new("bash").arg("-c").arg(&script).output().expect("run bash");
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(stdout, "== v1 cached\nL0 3\nL1 1\nL2 3\n#misses f 1\n== v1 uncached\nL0 3\nL1 1\nL2 7\n", "{script}");
}

#[test]
fn judge_sees_every_kind_of_difference() {
    let out = |s: &str| Outcome { stdout: s.into(), error: None };
    let oracle = out("L0 3\nL1 7\n");
    assert_eq!(judge(&out("L0 3\nL1 7\n#probe L1 0\n#misses f 2\n"), &oracle, false, &[]), None);
    assert!(judge(&out("L0 3\nL1 3\n"), &oracle, false, &[]).unwrap().contains("output differs"));
    assert!(judge(&out("L0 3\n"), &oracle, false, &[]).unwrap().contains("output differs"));
    assert!(judge(&out("L0 3\nL1 7\n#probe L1 1\n"), &oracle, false, &[]).unwrap().contains("spurious miss"));
    assert!(judge(&out("L0 3\nL1 7\n#misses f 2\n"), &oracle, true, &[]).unwrap().contains("`f` missed 2"));
    assert_eq!(judge(&out("L0 3\nL1 7\n#misses f 2\n"), &oracle, true, &["f".into()]), None);
    let failed = Outcome { stdout: "L0 3\n".into(), error: Some("TypeError: x".into()) };
    assert!(judge(&failed, &out("L0 3\n"), false, &[]).is_some());
    assert!(judge(&out("L0 3\n"), &failed, false, &[]).is_some());
    assert!(judge(&Outcome { error: Some("IndexError: y".into()), ..failed.clone() }, &failed, false, &[]).is_some());
    assert_eq!(judge(&failed, &failed, false, &[]), None);
}

/// The generator covers what the test claims, and the uncached runs of its
/// programs succeed (so the test compares real outputs).
#[test]
fn generator_covers_the_language_and_runs() {
    let mut all = String::new();
    let mut edits = std::collections::BTreeSet::new();
    let mut tally = Tally::default();
    for seed in 0..300 {
        let case = gen::case(seed);
        for v in case.versions() {
            all.push_str(&render::program(&v.program, Style { cached: true, dir: "" }));
        }
        for e in case.edits.iter().flatten() {
            edits.insert(format!("{e:?}").split([' ', '(', '{']).next().unwrap_or("").to_string());
            if let diffgen::Edit::File(op) = e {
                edits.insert(format!("File:{}", format!("{op:?}").split([' ', '(', '{']).next().unwrap_or("")));
            }
        }
        for p in render::program(&case.base, Style { cached: false, dir: "" }).lines() {
            assert!(!p.contains("cached"), "seed {seed}: the oracle rendering has `cached`: {p}");
        }
    }
    for needle in [
        "cached fn",
        "cached(max_entries",
        "cached fn(v",
        "struct P",
        "P(x: ",
        ".x",
        "read_file(\"",
        "exists(\"",
        "file_mtime(\"",
        "try { int(trim(read_file(\"",
        "} catch caught { ",
        "param(\"k0\"",
        "param(\"k2\"",
        "map([",
        "fn(v",
        "[\"a\"]",
        "(-0.0)",
        "2.0",
        "for j",
        "for i in",
        "s0 = ",
        "bump0()",
        "cache_clear(",
        "#probe",
        "% 12)",
        "h0",
        "insert(",
    ] {
        assert!(all.contains(needle), "no generated program has `{needle}`");
    }
    for kind in [
        "FnLit",
        "GlobalInit",
        "Param",
        "RenameFn",
        "SwapNames",
        "Equiv",
        "ToggleCached",
        "SetOpts",
        "File:Write",
        "File:Remove",
        "File:Touch",
    ] {
        assert!(edits.contains(kind), "no case has a {kind} edit: {edits:?}");
    }
    // Uncached runs of a sample: almost all run to the end.
    for seed in 0..60 {
        let case = gen::case(seed);
        let dir = tempfile::tempdir().unwrap();
        let prefix = format!("{}/", dir.path().display());
        for v in case.versions() {
            do_files(dir.path(), &v.file_ops);
            let out = OutputBuffer::new();
            let mut e = engine_for(None, &v.env, &out);
            let o = run_engine(&mut e, &out, &render::program(&v.program, Style { cached: false, dir: &prefix }));
            tally.runs += 1;
            if let Some(err) = o.error {
                eprintln!("seed {seed}: {err}");
                tally.oracle_errors += 1;
            } else {
                let lines: i64 = v
                    .program
                    .main
                    .iter()
                    .map(|m| match m {
                        Main::Print(..) => 1,
                        Main::Twice(..) => 2,
                        Main::Loop(_, n, _) => *n,
                        _ => 0,
                    })
                    .sum();
                assert_eq!(o.stdout.lines().count() as i64, lines, "seed {seed}: {}", o.stdout);
            }
        }
    }
    assert!(tally.oracle_errors * 10 <= tally.runs, "too many generated programs fail: {tally:?}");
}
