//! `memo repl`, driven through stdin (not a terminal: no prompts, no
//! rustyline): values, multi-line input, errors, the commands, and the
//! edit-then-`:run` workflow where only the changed cached fn recomputes.
//! Every wait is bounded: a stuck REPL fails the test with what it printed.

mod common;
use common::collect;

use std::io::Write;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(20);

/// A running `memo repl` whose output is collected as it comes.
struct Repl {
    child: Child,
    stdin: Option<ChildStdin>,
    out: Arc<Mutex<String>>,
    err: Arc<Mutex<String>>,
}

impl Repl {
    fn start(dir: &Path, args: &[&str]) -> Repl {
        let mut child = Command::new(env!("CARGO_BIN_EXE_memo"))
            .arg("repl")
            .args(args)
            .current_dir(dir)
            .env_remove("MEMO_CACHE_DIR")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("memo repl starts");
        let stdin = child.stdin.take();
        let out = collect(child.stdout.take().unwrap());
        let err = collect(child.stderr.take().unwrap());
        Repl { child, stdin, out, err }
    }

    fn send(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin.write_all(text.as_bytes()).unwrap();
        if !text.ends_with('\n') {
            stdin.write_all(b"\n").unwrap();
        }
        stdin.flush().unwrap();
    }

    fn out(&self) -> String {
        self.out.lock().unwrap().clone()
    }

    fn err(&self) -> String {
        self.err.lock().unwrap().clone()
    }

    /// Waits until stdout (or stderr) contains `needle` `times` times.
    fn wait_for(&self, stderr: bool, needle: &str, times: usize) {
        let t0 = Instant::now();
        loop {
            let text = if stderr { self.err() } else { self.out() };
            if text.matches(needle).count() >= times {
                return;
            }
            if t0.elapsed() > TIMEOUT {
                panic!(
                    "gave up after {TIMEOUT:?} waiting for {needle:?} (x{times}) on {}\n--- stdout:\n{}\n--- stderr:\n{}",
                    if stderr { "stderr" } else { "stdout" },
                    self.out(),
                    self.err()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Closes stdin and waits (bounded) for the session to end.
    fn finish(mut self) -> (i32, String, String) {
        drop(self.stdin.take());
        let t0 = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if t0.elapsed() > TIMEOUT {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("memo repl did not exit after stdin closed\n--- stdout:\n{}\n--- stderr:\n{}", self.out(), self.err());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        // Let the reader threads drain the pipes.
        std::thread::sleep(Duration::from_millis(50));
        (status.code().unwrap_or(-1), self.out(), self.err())
    }
}

/// Runs a whole session: writes `input`, closes stdin, returns (code, stdout, stderr).
fn session(dir: &Path, args: &[&str], input: &str) -> (i32, String, String) {
    let mut r = Repl::start(dir, args);
    r.send(input);
    r.finish()
}

const APP: &str = r#"
cached(suppress_warning: true)
fn load(n) {
    print("miss load", n)
    n * 10
}

cached(suppress_warning: true)
fn model(x) {
    print("miss model", x)
    x + 1
}

print("result:", load(4), model(5))
"#;

#[test]
fn edit_then_run_recomputes_only_the_changed_cached_fn() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app.memo");
    std::fs::write(&app, APP).unwrap();
    // `memo repl FILE` runs FILE once at start.
    let mut r = Repl::start(dir.path(), &["--no-disk-cache", "app.memo"]);
    r.wait_for(false, "result: 40 6", 1);
    assert!(r.out().contains("miss load 4") && r.out().contains("miss model 5"), "{}", r.out());
    // `:run` unchanged: everything is a hit.
    r.send(":run");
    r.wait_for(false, "result: 40 6", 2);
    r.wait_for(true, "2 hits, 0 misses", 1);
    // Edit one of the two cached fns, then `:run` again.
    std::fs::write(&app, APP.replace("x + 1", "x + 2")).unwrap();
    r.send(":run");
    r.wait_for(false, "result: 40 7", 1);
    let (code, out, err) = r.finish();
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.matches("miss load").count(), 1, "load ran only once in three runs:\n{out}");
    assert_eq!(out.matches("miss model").count(), 2, "model re-ran after its edit:\n{out}");
    let last = out.rsplit("result: 40 6").next().unwrap();
    assert_eq!(last, "\nmiss model 5\nresult: 40 7\n", "the third run recomputed only model:\n{out}");
    assert!(err.contains("1 hit, 1 miss"), "{err}");
}

#[test]
fn run_with_a_file_argument_then_without() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.memo"), APP).unwrap();
    let (code, out, err) = session(dir.path(), &["--no-disk-cache"], ":run\n:run app.memo\n:run\n");
    assert_eq!(code, 0);
    assert!(err.contains("error: :run needs a file"), "{err}");
    assert_eq!(out, "miss load 4\nmiss model 5\nresult: 40 6\nresult: 40 6\n", "{err}");
}

#[test]
fn run_starts_from_a_fresh_environment() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.memo"), "let from_file = 1\n").unwrap();
    let (_, out, err) =
        session(dir.path(), &["--no-disk-cache", "app.memo"], "let mine = 2\nfrom_file + mine\n:run\nfrom_file\nmine\n");
    assert_eq!(out, "3\n1\n", "{err}");
    assert!(err.contains("mine"), "`mine` is gone after :run: {err}");
}

#[test]
fn load_runs_a_file_in_the_current_environment() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("lib.memo"), "fn double(x) { x * 2 }\nprint(\"lib loaded\")\n").unwrap();
    let (code, out, err) = session(dir.path(), &["--no-disk-cache"], "let keep = 21\n:load lib.memo\ndouble(keep)\n:load\n");
    assert_eq!(code, 0);
    assert_eq!(out, "lib loaded\n42\n", "{err}");
    assert!(err.contains("error: :load needs a file"), "{err}");
}

#[test]
fn multi_line_input_continues_until_complete() {
    let dir = tempfile::tempdir().unwrap();
    let input = "fn add(a,\n       b) {\n    let s = a + b\n    s\n}\nadd(2, 3)\n[1,\n 2]\n1 +\n  2\nlet m = {\n  \"k\": \"v\",\n}\nm\n\"two\nlines\"\n";
    let (code, out, err) = session(dir.path(), &["--no-disk-cache"], input);
    assert_eq!(code, 0);
    assert_eq!(err, "");
    assert_eq!(out, "5\n[1, 2]\n3\n{\"k\": \"v\"}\n\"two\\nlines\"\n");
}

#[test]
fn unfinished_input_at_the_end_is_a_syntax_error() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = session(dir.path(), &["--no-disk-cache"], "1 + 1\nfn f() {\n");
    assert_eq!(code, 0);
    assert_eq!(out, "2\n");
    assert!(err.starts_with("error[SyntaxError]: this `{` is never closed"), "{err}");
}

#[test]
fn an_error_leaves_the_session_alive() {
    let dir = tempfile::tempdir().unwrap();
    let input =
        "let y = 2\n1 / 0\nnot_defined_anywhere + 1\nlet = 3\nerror(\"boom\")\ny * 21\n\"after\"\n:nonsense\n:explain maybe\ny\n";
    let (code, out, err) = session(dir.path(), &["--no-disk-cache"], input);
    assert_eq!(code, 0);
    assert_eq!(out, "42\n\"after\"\n2\n", "{err}");
    // Four errors of the inputs (with their kind), two of the commands.
    assert_eq!(err.lines().filter(|l| l.starts_with("error[")).count(), 4, "{err}");
    assert_eq!(err.matches("error: ").count(), 2, "{err}");
    assert!(err.contains("<repl:2>"), "errors name the input: {err}");
    assert!(err.contains("boom"), "{err}");
    assert!(err.contains("unknown command `:nonsense`"), "{err}");
}

#[test]
fn values_print_in_repr_form_and_none_is_not_printed() {
    let dir = tempfile::tempdir().unwrap();
    let input = "\"a\"\nnone\nprint(\"a\")\n[1, \"b\", none]\n1.0\n2 > 1\nstruct P { x, y }\nP(1, \"q\")\nlet f = fn(x) { x }\nf(none)\nx = 1\n";
    let (_, out, err) = session(dir.path(), &["--no-disk-cache"], input);
    assert_eq!(out, "\"a\"\na\n[1, \"b\", none]\n1.0\ntrue\nP(x: 1, y: \"q\")\n", "{err}");
}

#[test]
fn cache_and_clear_commands() {
    let dir = tempfile::tempdir().unwrap();
    let input = ":cache\ncached fn sq(x) { x * x }\nsq(3)\nsq(3)\nsq(4)\n:cache\n:clear\n:cache\n";
    let (code, out, err) = session(dir.path(), &["--no-disk-cache"], input);
    assert_eq!(code, 0, "{err}");
    let mut parts = out.split("cache: memory only\n");
    assert_eq!(parts.next(), Some(""));
    assert_eq!(parts.next(), Some("no cached entries\nlast run: nothing evaluated yet\n9\n9\n16\n"));
    let first = parts.next().unwrap();
    let row = first.lines().find(|l| l.starts_with("sq ")).unwrap_or_else(|| panic!("a row for sq:\n{out}"));
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(cols, ["sq", "2", "0", "1"], "2 entries; the last input (sq(4)) missed once:\n{out}");
    assert!(first.contains("last run (<repl:4>): 0 hits, 1 miss"), "{out}");
    assert!(first.contains("cleared 2 entries from memory"), "{out}");
    let second = parts.next().unwrap();
    let row = second.lines().find(|l| l.starts_with("sq ")).unwrap();
    assert_eq!(row.split_whitespace().collect::<Vec<_>>(), ["sq", "0", "0", "1"], "no entries left:\n{out}");
}

#[test]
fn cache_after_run_counts_the_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.memo"), APP).unwrap();
    let (_, out, _) = session(dir.path(), &["--no-disk-cache", "app.memo"], ":run\n:cache\n");
    assert!(out.contains("last run (:run app.memo): 2 hits, 0 misses"), "{out}");
    let row = out.lines().find(|l| l.starts_with("model ")).unwrap();
    assert_eq!(row.split_whitespace().collect::<Vec<_>>(), ["model", "1", "1", "0"], "{out}");
}

#[test]
fn explain_on_and_off() {
    let dir = tempfile::tempdir().unwrap();
    let input = "cached fn sq(x) { x * x }\n:explain on\nsq(3)\nsq(3)\n:explain\n:explain off\nsq(5)\n";
    let (code, out, err) = session(dir.path(), &["--no-disk-cache"], input);
    assert_eq!(code, 0);
    assert!(out.contains("explain: on"), "{out}");
    assert!(out.ends_with("explain: off\n25\n"), "{out}");
    assert!(err.contains("explain: miss sq(3): first call"), "{err}");
    assert!(err.contains("explain: hit  sq(3)"), "{err}");
    assert!(!err.contains("sq(5)"), "explain is off again: {err}");
}

#[test]
fn help_and_quit() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, _) = session(dir.path(), &["--no-disk-cache"], ":help\n:quit\n\"not evaluated\"\n");
    assert_eq!(code, 0);
    for c in [":run", ":load", ":cache", ":clear", ":explain", ":help", ":quit"] {
        assert!(out.contains(c), "help mentions {c}:\n{out}");
    }
    assert!(!out.contains("not evaluated"), "{out}");
}

#[test]
fn the_repl_shares_the_disk_cache_of_memo_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.memo"), APP).unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_memo"))
        .args(["run", "app.memo"])
        .current_dir(dir.path())
        .env_remove("MEMO_CACHE_DIR")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&run.stdout), "miss load 4\nmiss model 5\nresult: 40 6\n");
    let (_, out, err) = session(dir.path(), &["app.memo"], ":cache\n");
    assert!(out.starts_with("result: 40 6\n"), "hits from the disk cache that `memo run` filled:\n{out}\n{err}");
    assert!(out.contains("cache: memory + local cache"), "{out}");
}

#[cfg(unix)]
#[test]
fn ctrl_c_interrupts_an_evaluation_and_keeps_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let mut r = Repl::start(dir.path(), &["--no-disk-cache"]);
    r.send("cached fn quick(x) { x + 1 }\nquick(1)");
    r.send("cached fn spin(n) { let i = 0\n while i < n { i += 1 }\n i }");
    // sleep(0) flushes stdout, so "started" shows while the loop runs.
    r.send("print(\"started\"); sleep(0); spin(1_000_000_000_000)");
    r.wait_for(false, "started", 1);
    std::thread::sleep(Duration::from_millis(200));
    let pid = r.child.id().to_string();
    let killed = Command::new("kill").args(["-INT", &pid]).status().expect("kill runs");
    assert!(killed.success());
    r.wait_for(true, "error[Interrupted]: interrupted", 1);
    r.send("quick(1)\n:cache");
    let (code, out, err) = r.finish();
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("2\nstarted\n2\n"), "the session and its cache survive:\n{out}\n{err}");
    assert!(out.contains("last run (<repl:5>): 1 hit, 0 misses"), "{out}");
    assert!(err.contains("in spin"), "the error shows where it stopped: {err}");
}

#[test]
fn a_global_replaced_while_its_call_runs_lives_until_the_call_returns() {
    // The call of `f` compiled in the first input borrows the global's
    // closure; the second input's `swap` replaces it while that call runs
    // (the graveyard keeps it), and the call still ends with its own code
    // and captures.
    let dir = tempfile::tempdir().unwrap();
    let input = "fn swap() { 0 }\nlet tail = [1, 2, 3]\nfn f(k) { swap(); k + len(tail) }\nfn g() { f(1) }\n\
                 fn swap() { f = fn(k) { -k } }\nprint(g(), g(), f(5))\n";
    let (code, out, err) = session(dir.path(), &["--no-disk-cache"], input);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "4 -1 -5\n", "stderr: {err}");
}

#[test]
fn the_operation_budget_is_per_input() {
    // Each input is a run of its own, as `memo run` and `Engine` make it:
    // three inputs of ~3,000 operations each fit in --max-ops 5000.
    let dir = tempfile::tempdir().unwrap();
    let input = "let n = 0\nfor i in 0..3000 { n += 1 }\nn\nfor i in 0..3000 { n += 1 }\nn\nfor i in 0..3000 { n += 1 }\nn\n";
    let (code, out, err) = session(dir.path(), &["--max-ops", "5000", "--no-disk-cache"], input);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "3000\n6000\n9000\n", "stderr: {err}");
    // One input over the budget still stops.
    let (_, out, err) = session(dir.path(), &["--max-ops", "5000", "--no-disk-cache"], "for i in 0..10000 { }\n1\n");
    assert!(err.contains("operation limit of 5000 exceeded"), "{err}");
    assert_eq!(out, "1\n", "the session goes on");
}

#[test]
fn underscore_is_the_last_value_and_doc_shows_signatures() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("lib.memo"),
        "let base = 1\n// Adds one.\n// (Twice as fast as by hand.)\nfn inc(x) { x + base }\n",
    )
    .unwrap();
    let input = "6 * 7\n_ + 1\nprint(\"x\")\n_\n:doc len\n:load lib.memo\n:doc inc\nhelp(inc)\n:doc lenn\n";
    let (code, out, err) = session(dir.path(), &["--no-disk-cache"], input);
    assert_eq!(code, 0, "{err}");
    // `print` shows nothing (its value is none): `_` stays 43.
    let doc_inc = "fn inc(x)   (lib.memo:4)\nAdds one.\n(Twice as fast as by hand.)\n";
    assert_eq!(out, format!("42\n43\nx\n43\nlen(x)   (native)\n{}\n{doc_inc}{doc_inc}", LEN_DOC), "{err}");
    assert!(err.ends_with("\nerror: `lenn` is not defined (did you mean `len`?)\n"), "{err}");
}

/// The first line of `len`'s documentation (its doc comment in natives/).
const LEN_DOC: &str = "characters of a string, elements of a list, map or range.";

#[test]
fn a_function_left_with_no_entries_is_not_listed() {
    // The entry of `t` expires, and the call that would replace it fails:
    // `t` has no entries left, and the last input called no cached fn, so
    // `:cache` has nothing to list.
    let dir = tempfile::tempdir().unwrap();
    let input = "cached(ttl: 0.01) fn t() { int(read_file(\"n.txt\")) }\nwrite_file(\"n.txt\", \"1\")\nt()\nsleep(0.05)\n\
                 write_file(\"n.txt\", \"x\")\nt()\n0\n:cache\n";
    let (_, out, err) = session(dir.path(), &["--no-disk-cache"], input);
    assert!(err.contains("error[ValueError]: invalid int literal: \"x\""), "the second call fails:\n{err}");
    assert!(out.ends_with("0\ncache: memory only\nno cached entries\nlast run (<repl:7>): 0 hits, 0 misses\n"), "{out}\n{err}");
}
