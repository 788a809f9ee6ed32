//! `memo watch`: spawns the watcher on a temporary script, waits for a run's
//! output, rewrites the script (or a file it imports), and reads the next
//! run. Every wait gives up after 20 s with what was printed so far; the
//! child is killed at the end whatever happens.

mod common;
use common::collect;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(20);

/// A running `memo watch`, killed when dropped.
struct Watch {
    child: Child,
    out: Arc<Mutex<String>>,
    err: Arc<Mutex<String>>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Watch {
    fn start(dir: &Path, file: &str) -> Watch {
        Watch::start_with(dir, file, &[])
    }

    fn start_with(dir: &Path, file: &str, args: &[&str]) -> Watch {
        let mut child = Command::new(env!("CARGO_BIN_EXE_memo"))
            .args(["watch", "--no-disk-cache"])
            .args(args)
            .arg(file)
            .current_dir(dir)
            .env_remove("MEMO_CACHE_DIR")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("memo watch starts");
        let out = collect(child.stdout.take().unwrap());
        let err = collect(child.stderr.take().unwrap());
        Watch { child, out, err }
    }

    fn out(&self) -> String {
        self.out.lock().unwrap().clone()
    }

    fn err(&self) -> String {
        self.err.lock().unwrap().clone()
    }

    /// Waits until `needle` occurs `times` times on stdout (or stderr).
    fn wait_for(&mut self, stderr: bool, needle: &str, times: usize) {
        let t0 = Instant::now();
        loop {
            let text = if stderr { self.err() } else { self.out() };
            if text.matches(needle).count() >= times {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "memo watch exited ({status}) while waiting for {needle:?}\n--- stdout:\n{}\n--- stderr:\n{}",
                    self.out(),
                    self.err()
                );
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

/// Checks a separator line's shape: `── HH:MM:SS · <rest> ──`.
fn separator_rest(line: &str) -> &str {
    let rest = line.strip_prefix("── ").unwrap_or_else(|| panic!("a separator line: {line:?}"));
    let (time, rest) = rest.split_once(" · ").unwrap_or_else(|| panic!("time, then ` · `: {line:?}"));
    assert!(time.len() == 8 && time.chars().filter(|c| *c == ':').count() == 2, "HH:MM:SS: {line:?}");
    rest.strip_suffix(" ──").unwrap_or_else(|| panic!("ends with ` ──`: {line:?}"))
}

/// A summary line `── ran app.memo in 1.4ms · 0 hits, 2 misses ──` without
/// its time: ("ran app.memo", "0 hits, 2 misses").
fn summary_without_time(line: &str) -> (&str, &str) {
    let rest = line.strip_prefix("── ").and_then(|r| r.strip_suffix(" ──")).unwrap_or_else(|| panic!("a summary line: {line:?}"));
    let (what, rest) = rest.split_once(" in ").unwrap_or_else(|| panic!("` in ` and the time: {line:?}"));
    let (_, counts) = rest.split_once(" · ").unwrap_or_else(|| panic!("` · ` and the counts: {line:?}"));
    (what, counts)
}

#[test]
fn a_save_re_runs_the_script_and_only_the_changed_call_misses() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app.memo");
    std::fs::write(&app, APP).unwrap();
    let mut w = Watch::start(dir.path(), "app.memo");
    w.wait_for(false, "result: 40 6\n", 1);
    // Change an argument of one cached call.
    std::fs::write(&app, APP.replace("model(5)", "model(6)")).unwrap();
    w.wait_for(false, "result: 40 7\n", 1);
    let out = w.out();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(separator_rest(lines[0]), "running app.memo", "{out}");
    assert_eq!(&lines[1..4], ["miss load 4", "miss model 5", "result: 40 6"], "{out}");
    // The run's summary ends it; the time it took varies.
    assert_eq!(summary_without_time(lines[4]), ("ran app.memo", "0 hits, 2 misses (missed: load, model)"), "{out}");
    assert_eq!(separator_rest(lines[5]), "re-running app.memo", "{out}");
    assert_eq!(&lines[6..8], ["miss model 6", "result: 40 7"], "only the changed call missed:\n{out}");
    assert_eq!(w.err(), "");
}

#[test]
fn errors_are_printed_and_watching_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app.memo");
    std::fs::write(&app, APP).unwrap();
    let mut w = Watch::start(dir.path(), "app.memo");
    w.wait_for(false, "result: 40 6\n", 1);
    std::fs::write(&app, format!("{APP}\nprint(1 / 0)\n")).unwrap();
    w.wait_for(true, "error[ZeroDivisionError]: ", 1);
    assert!(w.err().contains("app.memo:"), "the error names the file: {}", w.err());
    std::fs::write(&app, APP.replace("n * 10", "n * 100")).unwrap();
    w.wait_for(false, "result: 400 6\n", 1);
    let out = w.out();
    let failed = out.lines().find(|l| l.starts_with("── failed ")).unwrap_or_else(|| panic!("a failed run's summary:\n{out}"));
    assert_eq!(summary_without_time(failed), ("failed app.memo", "2 hits, 0 misses"), "the failed run's counts:\n{out}");
    let last = out.rsplit("re-running app.memo ──\n").next().unwrap();
    assert!(last.starts_with("miss load 4\nresult: 400 6\n"), "the cache survived the error:\n{out}");
}

#[test]
fn a_change_to_an_imported_file_re_runs_the_script() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("lib")).unwrap();
    let lib = dir.path().join("lib").join("helpers.memo");
    std::fs::write(&lib, "fn scale() { 10 }\n").unwrap();
    let main = "import \"lib/helpers.memo\"\ncached(suppress_warning: true)\nfn calc(x) { print(\"miss calc\", x); x * scale() }\nprint(\"calc:\", calc(3))\n";
    std::fs::write(dir.path().join("main.memo"), main).unwrap();
    let mut w = Watch::start(dir.path(), "main.memo");
    w.wait_for(false, "calc: 30\n", 1);
    std::fs::write(&lib, "fn scale() { 100 }\n").unwrap();
    w.wait_for(false, "calc: 300\n", 1);
    assert_eq!(w.out().matches("miss calc 3").count(), 2, "scale's code changed, so calc missed:\n{}", w.out());
}

#[test]
fn rewriting_the_same_content_does_not_re_run() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app.memo");
    std::fs::write(&app, APP).unwrap();
    let mut w = Watch::start(dir.path(), "app.memo");
    w.wait_for(false, "result: 40 6\n", 1);
    std::fs::write(&app, APP).unwrap();
    // Then a real change: if the identical write had re-run the script,
    // its separator would come before this run's.
    std::thread::sleep(Duration::from_millis(500));
    std::fs::write(&app, APP.replace("model(5)", "model(7)")).unwrap();
    w.wait_for(false, "result: 40 8\n", 1);
    assert_eq!(w.out().matches("re-running").count(), 1, "{}", w.out());
}

#[test]
fn a_missing_file_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_memo")).args(["watch", "nope.memo"]).current_dir(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read `nope.memo`"));
}

#[test]
fn the_operation_budget_is_per_run() {
    // Every re-run starts with a fresh budget: three runs of ~3,000
    // operations each under --max-ops 5000.
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app.memo");
    let src = |k: i32| format!("let n = 0\nfor i in 0..3000 {{ n += 1 }}\nprint(\"done\", n + {k})\n");
    std::fs::write(&app, src(0)).unwrap();
    let mut w = Watch::start_with(dir.path(), "app.memo", &["--max-ops", "5000"]);
    w.wait_for(false, "done 3000\n", 1);
    std::fs::write(&app, src(1)).unwrap();
    w.wait_for(false, "done 3001\n", 1);
    std::fs::write(&app, src(2)).unwrap();
    w.wait_for(false, "done 3002\n", 1);
    assert_eq!(w.err(), "", "no run hit the limit");
}

#[test]
fn clear_option_clears_the_screen_before_each_run() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("app.memo");
    std::fs::write(&app, APP).unwrap();
    let mut w = Watch::start_with(dir.path(), "app.memo", &["-c"]);
    w.wait_for(false, "result: 40 6\n", 1);
    std::fs::write(&app, APP.replace("model(5)", "model(6)")).unwrap();
    w.wait_for(false, "result: 40 7\n", 1);
    let out = w.out();
    // Clear screen and scrollback, cursor home; then the separator line.
    const CLEAR: &str = "\x1b[H\x1b[2J\x1b[3J";
    assert!(out.starts_with(&format!("{CLEAR}── ")), "{out:?}");
    assert_eq!(out.matches(&format!("{CLEAR}── ")).count(), 2, "once before each run: {out:?}");
}
