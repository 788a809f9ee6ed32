//! Hostile inputs: every script in `tests/hostile/` is an attack on the
//! limits (a comparison, hash or print of a value far bigger than its
//! memory, a file that never ends, a memory bomb, deep nesting, huge
//! literals, ...), plus generated ones too big to commit (deep nesting of
//! every construct, long `+` chains, wide literals).
//!
//! Each runs twice, and must end within a generous wall-time bound (the one
//! place memo's tests measure time: a hang must fail, not stall the suite):
//!
//! - with the `memo` binary, checking its exit code and the first line of
//!   stderr (no panic: exit 101 or a signal fails);
//! - in this process through `memo::Engine` with the same limits, checking
//!   the error's kind (the command line prints only its message).
//!
//! A script's header says what to expect:
//!
//! ```text
//! // args: --max-ops 100000 --max-len 1000     (command-line flags)
//! // expect: LimitError                        (the kind; `ok` for none)
//! // stderr: operation limit                   (in stderr's first line)
//! // stdout: caught ValueError                 (in stdout)
//! ```
//!
//! The memory limit needs memo's counting allocator, installed here as the
//! `memo` binary installs it.

use memo::{Engine, Limits, OutputBuffer};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[global_allocator]
static ALLOC: memo::alloc::Counting<std::alloc::System> = memo::alloc::Counting::new(std::alloc::System);

/// Generous: the scripts take well under a second; a busy machine may be
/// many times slower, but a hang never ends.
const BOUND: Duration = Duration::from_secs(20);

/// A hostile case: a script and what it must end with.
struct Case {
    name: String,
    path: PathBuf,
    args: Vec<String>,
    /// The error kind, or `None` for a run that must succeed.
    kind: Option<String>,
    stderr: Option<String>,
    stdout: Option<String>,
}

fn parse_case(path: &Path) -> Case {
    let text = std::fs::read_to_string(path).expect("script readable");
    let mut case = Case {
        name: path.file_name().unwrap().to_string_lossy().into_owned(),
        path: path.to_path_buf(),
        args: Vec::new(),
        kind: None,
        stderr: None,
        stdout: None,
    };
    let mut expect = None;
    for line in text.lines().take_while(|l| l.starts_with("//")) {
        let line = line.trim_start_matches('/').trim();
        if let Some(a) = line.strip_prefix("args:") {
            case.args.extend(a.split_whitespace().map(String::from));
        } else if let Some(k) = line.strip_prefix("expect:") {
            expect = Some(k.trim().to_string());
        } else if let Some(s) = line.strip_prefix("stderr:") {
            case.stderr = Some(s.trim().to_string());
        } else if let Some(s) = line.strip_prefix("stdout:") {
            case.stdout = Some(s.trim().to_string());
        }
    }
    let expect = expect.unwrap_or_else(|| panic!("{}: no `// expect:` line", case.name));
    case.kind = if expect == "ok" { None } else { Some(expect) };
    case
}

/// Runs the `memo` binary on the case; an error message if it went wrong.
fn run_cli(case: &Case) -> Result<(), String> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_memo"));
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut args = case.args.clone();
    // A disk cache only where the case asks for one, in a fresh directory.
    match args.iter().position(|a| a == "--cache-dir") {
        Some(i) if i + 1 < args.len() => args[i + 1] = tmp.path().display().to_string(),
        _ => args.insert(0, "--no-disk-cache".into()),
    }
    cmd.arg("run").args(&args).arg(&case.path);
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().map_err(|e| format!("cannot start memo: {e}"))?;
    // Drain the pipes on threads so a chatty script cannot block on them.
    let mut out_pipe = child.stdout.take().unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = std::io::Read::read_to_end(&mut out_pipe, &mut s);
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = std::io::Read::read_to_end(&mut err_pipe, &mut s);
        s
    });
    let status = loop {
        if let Some(st) = child.try_wait().map_err(|e| e.to_string())? {
            break st;
        }
        if start.elapsed() > BOUND {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("memo did not finish within {BOUND:?} (killed)"));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let stdout = String::from_utf8_lossy(&out_t.join().unwrap()).into_owned();
    let stderr = String::from_utf8_lossy(&err_t.join().unwrap()).into_owned();
    let want = if case.kind.is_some() { 1 } else { 0 };
    if status.code() != Some(want) {
        return Err(format!(
            "memo exited with {status} (want {want}) after {:?}\nstderr: {}",
            start.elapsed(),
            stderr.chars().take(2000).collect::<String>()
        ));
    }
    if let Some(frag) = &case.stderr {
        let first = stderr.lines().next().unwrap_or("");
        if !first.contains(frag.as_str()) {
            return Err(format!("stderr's first line {first:?} lacks {frag:?}"));
        }
    }
    if let Some(frag) = &case.stdout {
        if !stdout.contains(frag.as_str()) {
            return Err(format!("stdout lacks {frag:?}: {}", stdout.chars().take(2000).collect::<String>()));
        }
    }
    Ok(())
}

/// The stack `memo` runs scripts on (`cli::STACK_SIZE`, in the binary).
const CLI_STACK_SIZE: usize = 1 << 30;

/// `64M`: the byte counts the cases give `--max-memory`.
fn mib(s: &str) -> usize {
    let n = s.strip_suffix('M').expect("a size in M, e.g. 64M");
    n.parse::<usize>().expect("a number of MiB") << 20
}

/// The engine's limits for the case's command-line flags (and a disk cache
/// in `tmp` when they ask for one).
fn engine_for(case: &Case, tmp: &Path) -> (Engine, OutputBuffer) {
    let mut limits = Limits::default();
    let mut params = Vec::new();
    let (mut disk, mut disk_bytes) = (false, memo::cache::disk::DEFAULT_MAX_BYTES);
    let mut args = case.args.iter();
    while let Some(a) = args.next() {
        let mut val = || args.next().expect("flag value").clone();
        match a.as_str() {
            "--max-ops" => limits.max_ops = Some(val().parse().unwrap()),
            "--max-len" => limits.max_collection_len = val().parse().unwrap(),
            "--max-depth" => limits.max_call_depth = val().parse().unwrap(),
            "--max-memory" => limits.max_memory = Some(mib(&val())),
            "--no-fs" => limits.allow_fs = false,
            "--no-clock" => limits.allow_clock = false,
            "--cache-dir" => {
                val();
                disk = true;
            }
            "--cache-max-bytes" => disk_bytes = val().parse().unwrap(),
            "--set" => {
                let kv = val();
                let (k, v) = kv.split_once('=').expect("NAME=VALUE");
                params.push((k.to_string(), memo::Value::str(v)));
            }
            other => panic!("{}: flag {other} not understood by the engine runner", case.name),
        }
    }
    let out = OutputBuffer::new();
    let mut b = Engine::builder().limits(limits).output(out.clone()).error_output(std::io::sink());
    if disk {
        b = b.cache(memo::Cache::with_disk(memo::DiskStore::open(tmp, disk_bytes).unwrap()));
    }
    for (k, v) in params {
        b = b.param(&k, v);
    }
    // The CLI's stack: deep nesting must meet the same limits.
    (b.stack_size(CLI_STACK_SIZE).build(), out)
}

/// Runs the case through `memo::Engine` in this process; an error message
/// if it went wrong.
fn run_engine(case: &Case) -> Result<(), String> {
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (mut engine, out) = engine_for(case, tmp.path());
    let stop = engine.interrupt_handle();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(&case.path);
    let (tx, rx) = std::sync::mpsc::channel();
    let start = Instant::now();
    std::thread::spawn(move || {
        let r = engine.run_file(&path).map(|_| ()).map_err(|e| (e.kind().to_string(), e.message().to_string()));
        let _ = tx.send(r);
    });
    let r = match rx.recv_timeout(BOUND) {
        Ok(r) => r,
        Err(_) => {
            stop.interrupt();
            let late = rx.recv_timeout(Duration::from_secs(5));
            return Err(format!("the engine did not finish within {BOUND:?} (an interrupt then gave {late:?})"));
        }
    };
    let got = r.as_ref().err().map(|(k, _)| k.clone());
    if got != case.kind {
        return Err(format!("the engine ended with {r:?} after {:?}; want kind {:?}", start.elapsed(), case.kind));
    }
    if let Some(frag) = &case.stdout {
        if !out.contents().contains(frag.as_str()) {
            return Err(format!("engine output lacks {frag:?}"));
        }
    }
    Ok(())
}

fn check(cases: &[Case]) {
    let mut failures = Vec::new();
    for case in cases {
        let t = Instant::now();
        if let Err(e) = run_cli(case) {
            failures.push(format!("{} (memo binary): {e}", case.name));
        }
        if let Err(e) = run_engine(case) {
            failures.push(format!("{} (engine): {e}", case.name));
        }
        eprintln!("{:>8.2?}  {}", t.elapsed(), case.name);
    }
    assert!(failures.is_empty(), "{} hostile case(s) failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn hostile_scripts() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hostile");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/hostile exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "memo"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 20, "expected the hostile scripts in {}", dir.display());
    let cases: Vec<Case> = paths.iter().map(|p| parse_case(p)).collect();
    check(&cases);
}

/// Writes a generated script (too big to commit) and its case.
fn generated(dir: &Path, name: &str, header: &str, body: &str) -> Case {
    let path = dir.join(format!("{name}.memo"));
    std::fs::write(&path, format!("{header}\n{body}\n")).unwrap();
    parse_case(&path)
}

/// Deep nesting of every construct, long operator chains, wide literals
/// and huge literals: each ends with a memo error or a value, never a
/// crash or a hang.
#[test]
fn hostile_generated() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let n = 50_000;
    let deep = |open: &str, mid: &str, close: &str| format!("let x = {}{mid}{}", open.repeat(n), close.repeat(n));
    let syntax = "// expect: SyntaxError\n// stderr: nesting too deep";
    let mut cases = vec![
        generated(dir, "deep_parens", syntax, &deep("(", "1", ")")),
        generated(dir, "deep_lists", syntax, &deep("[", "1", "]")),
        generated(dir, "deep_maps", syntax, &deep("{1: ", "1", "}")),
        generated(dir, "deep_calls", syntax, &deep("abs(", "1", ")")),
        generated(dir, "deep_index_keys", syntax, &format!("let x = [1]\nlet y = x{}", "[0".repeat(n) + &"]".repeat(n))),
        generated(dir, "deep_blocks", syntax, &format!("{}1{}", "if true { ".repeat(n), " }".repeat(n))),
        generated(dir, "deep_fns", syntax, &format!("let f = {}1{}", "fn() { ".repeat(n), " }".repeat(n))),
        generated(dir, "deep_while", syntax, &format!("{}{}", "while false { ".repeat(n), "}".repeat(n))),
        generated(dir, "deep_try", syntax, &format!("{}1{}", "try { ".repeat(n), " } catch e { 2 }".repeat(n))),
        generated(dir, "deep_strings_in_parens", syntax, &deep("(\"a\" + ", "\"b\"", ")")),
    ];
    // Prefix operators nest like brackets; chains of binary operators,
    // postfix indexes, calls and fields are long, not deep, for the parser.
    let ok = "// expect: ok";
    cases.push(generated(dir, "long_index_chain", "// expect: TypeError", &format!("let x = [1]\nlet y = x{}", "[0]".repeat(n))));
    cases.push(generated(dir, "long_field_chain", "// expect: KeyError", &format!("let m = {{}}\nlet y = m{}", ".a".repeat(n))));
    cases.push(generated(
        dir,
        "long_call_chain",
        "// expect: TypeError",
        &format!("fn f() {{ f }}\nlet y = f{}\ny(1)", "()".repeat(n)),
    ));
    cases.push(generated(dir, "long_negation_chain", syntax, &format!("let x = {}1", "-".repeat(n))));
    cases.push(generated(dir, "long_not_chain", syntax, &format!("let x = {}true", "not ".repeat(n))));
    cases.push(generated(dir, "long_plus_chain", ok, &format!("let x = 1{}\nprint(x)", " + 1".repeat(n))));
    cases.push(generated(dir, "long_string_chain", ok, &format!("let s = \"a\"{}\nprint(len(s))", " + \"b\"".repeat(n))));
    cases.push(generated(dir, "long_mixed_chain", ok, &format!("let x = 1{}\nprint(x)", " * 1 - 0".repeat(n))));
    cases.push(generated(dir, "long_and_chain", ok, &format!("let x = true{}\nprint(x)", " and true".repeat(n))));
    cases.push(generated(dir, "long_comparison_chain", "// expect: SyntaxError", &format!("let x = 1{}", " < 2".repeat(n))));
    // Wide literals: within the length limit they are values; past it, errors.
    let wide_list = format!("[{}]", vec!["1"; n].join(", "));
    cases.push(generated(dir, "wide_list", ok, &format!("let xs = {wide_list}\nprint(len(xs))")));
    cases.push(generated(
        dir,
        "wide_list_past_limit",
        "// args: --max-len 1000\n// expect: LimitError",
        &format!("let xs = {wide_list}"),
    ));
    let wide_map = format!("{{{}}}", (0..n).map(|i| format!("{i}: {i}")).collect::<Vec<_>>().join(", "));
    cases.push(generated(dir, "wide_map", ok, &format!("let m = {wide_map}\nprint(len(m))")));
    cases.push(generated(
        dir,
        "wide_map_past_limit",
        "// args: --max-len 1000\n// expect: LimitError",
        &format!("let m = {wide_map}"),
    ));
    let fields: Vec<String> = (0..10_000).map(|i| format!("f{i}")).collect();
    cases.push(generated(
        dir,
        "wide_struct",
        ok,
        &format!("struct S {{ {} }}\nlet s = S({})\nprint(s.f9999)", fields.join(", "), vec!["0"; 10_000].join(", ")),
    ));
    cases.push(generated(
        dir,
        "many_params",
        ok,
        &format!(
            "fn f({}) {{ p9999 }}\nprint(f({}))",
            (0..10_000).map(|i| format!("p{i}")).collect::<Vec<_>>().join(", "),
            (0..10_000).map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
        ),
    ));
    // Huge literals.
    cases.push(generated(dir, "huge_int_literal", "// expect: SyntaxError", &format!("let x = {}", "9".repeat(100_000))));
    cases.push(generated(dir, "huge_float_literal", ok, &format!("let x = {}.5\nprint(x)", "9".repeat(100_000))));
    cases.push(generated(dir, "huge_string_literal", ok, &format!("let s = \"{}\"\nprint(len(s))", "x".repeat(5_000_000))));
    cases.push(generated(dir, "many_statements", ok, &"let x = 1\n".repeat(50_000)));
    check(&cases);
}

/// A value nested to the nesting limit, held by an engine that runs on the
/// host's thread, is freed on that thread without overflowing its stack
/// (dropping it used to recurse once per level). Found by the fuzzer.
#[test]
fn deep_values_free_on_the_hosts_thread() {
    let t = std::thread::Builder::new().stack_size(2 << 20).spawn(|| {
        memo::stack::set_stack_size(2 << 20);
        let mut engine = Engine::builder().run_on_current_thread().build();
        let src = "let x = [1]\nlet c = cell(0)\nfor i in 0..99000 {\n x = [x]\n c = cell(c)\n}\nlen(x)";
        assert_eq!(engine.eval::<i64>(src).unwrap(), 1);
        let v = engine.get_value("x").unwrap();
        drop(engine);
        drop(v);
    });
    t.unwrap().join().expect("no stack overflow");
}

/// An interrupt from the host stops every walk that the budget meters.
#[test]
fn interrupt_stops_metered_walks() {
    let setup = "let x = [1]\nlet y = [1]\nlet c = [cell(1)]\nfor i in 0..60 { x = [x, x]\n y = [y, y]\n c = [c, c] }\n";
    for attack in ["x == y", "x < y", "hash(c)", "str(x)", "json_str(x)", "sort([x, y])", "contains([x], y)"] {
        let mut engine = Engine::builder().build();
        engine.run(setup).unwrap();
        let stop = engine.interrupt_handle();
        let src = attack.to_string();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(engine.run(&src).map(|_| ()).map_err(|e| e.kind().to_string()));
        });
        std::thread::sleep(Duration::from_millis(100));
        stop.interrupt();
        match rx.recv_timeout(BOUND) {
            Ok(r) => assert_eq!(r, Err("Interrupted".to_string()), "{attack}"),
            Err(_) => panic!("{attack}: not stopped by an interrupt within {BOUND:?}"),
        }
    }
}

/// A run started inside a run on the same thread (a host's engine run from
/// a native it registered) gives the outer run its memory limit back when
/// it ends: `"y" * n` is still refused before it is made, and a refusal
/// inside the inner run does not stop the outer run's `try` from catching.
#[test]
fn a_nested_run_gives_the_outer_run_its_memory_limit_back() {
    let mut outer = Engine::builder().run_on_current_thread().max_memory(32 << 20).build();
    outer.register_fn("inner", |limited: bool| {
        let mut b = Engine::builder().run_on_current_thread();
        if limited {
            b = b.max_memory(1 << 20);
        }
        b.build().run(r#"let s = "y" * 10000000"#).is_ok()
    });
    let err = outer.run("inner(false)\nlet s = \"y\" * 100000000").unwrap_err();
    assert_eq!(err.kind(), "LimitError");
    assert!(err.message().contains("more asked for"), "refused before it was made: {}", err.message());
    let mut out = Engine::builder().run_on_current_thread().max_memory(32 << 20).build();
    out.register_fn("inner", |_: bool| {
        Engine::builder().run_on_current_thread().max_memory(1 << 20).build().run(r#"let s = "y" * 10000000"#).is_ok()
    });
    let v =
        out.eval::<String>("let ok = inner(true)\ntry { error(\"boom\") } catch e { str(ok) + \" \" + e[\"message\"] }").unwrap();
    assert_eq!(v, "false boom");
}
