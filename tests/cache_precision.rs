//! A hit is never wrong (issue 14): runs of `memo` against one cache
//! directory with edits between them — files rewritten, params changed,
//! cached callees edited — checked by what the cached fns print on a miss,
//! by their results, and by `--explain`.

use std::path::Path;
use std::process::Command;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn memo_in(dir: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    use std::io::Write;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_memo"));
    cmd.args(args).current_dir(dir).env_remove("MEMO_CACHE_DIR");
    cmd.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("memo runs");
    if let Some(text) = stdin {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn memo(dir: &Path, args: &[&str]) -> Run {
    memo_in(dir, args, None)
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// The `explain:` lines of a run.
fn explained(r: &Run) -> Vec<String> {
    r.stderr.lines().filter(|l| l.starts_with("explain:")).map(String::from).collect()
}

/// `r`'s `explain:` lines include `line`.
#[track_caller]
fn assert_explains(r: &Run, line: &str) {
    assert!(explained(r).iter().any(|l| l == line), "no line `{line}` in:\n{}", r.stderr);
}

/// Runs `app.memo` and checks the output.
#[track_caller]
fn run_app(dir: &Path, extra: &[&str], want_stdout: &str) -> Run {
    let mut args = vec!["run", "--explain"];
    args.extend_from_slice(extra);
    args.push("app.memo");
    let r = memo(dir, &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, want_stdout, "stderr:\n{}", r.stderr);
    r
}

// ----- files read inside cached fns -----

const LOAD: &str = r#"
cached(suppress_warning: true)
fn load(path) {
    print("  load runs")
    read_file(path)
}
print(load("data.txt"))
"#;

#[test]
fn a_rewritten_file_is_a_miss_even_with_the_same_size_and_mtime_window() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.memo", LOAD);
    write(dir.path(), "data.txt", "aaaa");
    run_app(dir.path(), &[], "  load runs\naaaa\n");
    run_app(dir.path(), &[], "aaaa\n");
    // Same size, written right away (the same mtime tick, possibly): the
    // content is compared, not only the stat.
    write(dir.path(), "data.txt", "bbbb");
    let r = run_app(dir.path(), &[], "  load runs\nbbbb\n");
    assert_explains(&r, "explain: miss load(\"data.txt\"): file \"data.txt\" changed");
    run_app(dir.path(), &[], "bbbb\n");
    // Rewritten with the same content: a hit (the content is the same).
    write(dir.path(), "data.txt", "bbbb");
    run_app(dir.path(), &[], "bbbb\n");
    // Removed: the read fails, as it would without a cache.
    std::fs::remove_file(dir.path().join("data.txt")).unwrap();
    let r = memo(dir.path(), &["run", "app.memo"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("cannot read `data.txt`"), "{}", r.stderr);
}

/// Sets `name`'s modification time to `secs` from the Unix epoch (negative:
/// before it).
fn set_mtime(dir: &Path, name: &str, secs: i64) {
    use std::time::{Duration, UNIX_EPOCH};
    let d = Duration::from_secs(secs.unsigned_abs());
    set_mtime_to(dir, name, if secs < 0 { UNIX_EPOCH - d } else { UNIX_EPOCH + d });
}

fn set_mtime_to(dir: &Path, name: &str, t: std::time::SystemTime) {
    let path = dir.join(name);
    // A directory opens for reading only; its owner may still set times.
    let f = if path.is_dir() { std::fs::File::open(path) } else { std::fs::File::options().write(true).open(path) };
    f.unwrap().set_modified(t).unwrap();
}

#[test]
fn a_file_dated_before_1970_is_told_from_its_mirror_date() {
    // Size, inode and device stay the same and the mtime is far from now
    // (so the stat is trusted): only the sign of the mtime tells the two
    // versions apart (cargo-mutants: `Stat::of` without its minus).
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.memo", LOAD);
    write(dir.path(), "data.txt", "aaaa");
    set_mtime(dir.path(), "data.txt", -1_000_000_000);
    run_app(dir.path(), &[], "  load runs\naaaa\n");
    run_app(dir.path(), &[], "aaaa\n");
    write(dir.path(), "data.txt", "bbbb");
    set_mtime(dir.path(), "data.txt", 1_000_000_000);
    let r = run_app(dir.path(), &[], "  load runs\nbbbb\n");
    assert_explains(&r, "explain: miss load(\"data.txt\"): file \"data.txt\" changed");
}

#[test]
fn a_failed_read_caught_by_try_depends_on_the_file() {
    // Found by cargo-mutants' survivors in `check_file`: a read that failed
    // recorded nothing, so creating the file later still hit the result
    // the `catch` gave.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app.memo",
        r#"
cached(suppress_warning: true) fn m(p) { print("  m runs"); try { read_file(p) } catch e { "no file" } }
cached(suppress_warning: true) fn c(p) { print("  c runs"); try { len(read_csv(p)) } catch e { "no csv" } }
cached(suppress_warning: true) fn t(p) { print("  t runs"); try { file_mtime(p) > 0 } catch e { "no mtime" } }
print(m("x.csv"), c("x.csv"), t("x.csv"))
"#,
    );
    run_app(dir.path(), &[], "  m runs\n  c runs\n  t runs\nno file no csv no mtime\n");
    run_app(dir.path(), &[], "no file no csv no mtime\n");
    write(dir.path(), "x.csv", "a\n1\n");
    let r = run_app(dir.path(), &[], "  m runs\n  c runs\n  t runs\na\n1\n 1 true\n");
    for f in ["m", "c", "t"] {
        let want = format!("explain: miss {f}(\"x.csv\"): file \"x.csv\" was created");
        assert_explains(&r, &want);
    }
    run_app(dir.path(), &[], "a\n1\n 1 true\n");
    // Removed again: the results of the first run hold again.
    std::fs::remove_file(dir.path().join("x.csv")).unwrap();
    run_app(dir.path(), &[], "no file no csv no mtime\n");
    // A file that cannot be read (a directory) is a dependency too.
    std::fs::create_dir(dir.path().join("x.csv")).unwrap();
    // An hour old: a stat that new could not be trusted (no content to
    // compare), and every run would miss.
    set_mtime(dir.path(), "x.csv", unix_now() - 3600);
    let r = run_app(dir.path(), &[], "  m runs\n  c runs\n  t runs\nno file no csv true\n");
    // (Checked against the newest entry, the file's.)
    assert_explains(&r, "explain: miss m(\"x.csv\"): file \"x.csv\" changed");
    run_app(dir.path(), &[], "no file no csv true\n");
}

#[test]
fn file_mtime_depends_on_the_mtime_alone() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app.memo",
        "cached(suppress_warning: true) fn t(p) { print(\"  t runs\"); int(file_mtime(p)) }\nprint(t(\"f\"))\n",
    );
    write(dir.path(), "f", "one");
    set_mtime(dir.path(), "f", 1_000_000_000);
    run_app(dir.path(), &[], "  t runs\n1000000000\n");
    run_app(dir.path(), &[], "1000000000\n");
    // The content changes, the mtime does not: `t` read only the mtime.
    write(dir.path(), "f", "two");
    set_mtime(dir.path(), "f", 1_000_000_000);
    run_app(dir.path(), &[], "1000000000\n");
    set_mtime(dir.path(), "f", 1_000_000_100);
    let r = run_app(dir.path(), &[], "  t runs\n1000000100\n");
    assert_explains(&r, "explain: miss t(\"f\"): file \"f\" was modified");
    // Removed: a miss that says so, and the call fails as it would uncached.
    std::fs::remove_file(dir.path().join("f")).unwrap();
    let r = memo(dir.path(), &["run", "--explain", "app.memo"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_explains(&r, "explain: miss t(\"f\"): file \"f\" was removed");
}

#[test]
fn csv_exists_mtime_and_params_are_dependencies() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app.memo",
        r#"
cached(suppress_warning: true) fn rows(p) { print("  rows runs"); len(read_csv(p)) }
cached(suppress_warning: true) fn there(p) { print("  there runs"); exists(p) }
cached(suppress_warning: true) fn scaled(x) { print("  scaled runs"); x * param("k", 1) }
print(rows("t.csv"), there("flag"), scaled(10))
"#,
    );
    write(dir.path(), "t.csv", "a,b\n1,2\n");
    run_app(dir.path(), &[], "  rows runs\n  there runs\n  scaled runs\n1 false 10\n");
    run_app(dir.path(), &[], "1 false 10\n");
    write(dir.path(), "t.csv", "a,b\n1,2\n3,4\n");
    let r = run_app(dir.path(), &[], "  rows runs\n2 false 10\n");
    assert!(r.stderr.contains("explain: miss rows(\"t.csv\"): file \"t.csv\" changed"), "{}", r.stderr);
    write(dir.path(), "flag", "");
    let r = run_app(dir.path(), &[], "  there runs\n2 true 10\n");
    assert!(r.stderr.contains("explain: miss there(\"flag\"): file \"flag\" was created"), "{}", r.stderr);
    let r = run_app(dir.path(), &["--set", "k=3"], "  scaled runs\n2 true 30\n");
    assert!(r.stderr.contains("explain: miss scaled(10): param \"k\" changed: 1 → 3"), "{}", r.stderr);
    run_app(dir.path(), &["--set", "k=3"], "2 true 30\n");
    // Back to the default: the earlier result (k=1) is kept with the entry.
    run_app(dir.path(), &[], "2 true 10\n");
}

#[test]
fn a_file_read_by_a_plain_helper_counts_for_the_cached_caller() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app.memo",
        r#"
fn words(p) { split(trim(read_file(p)), " ") }
cached(suppress_warning: true) fn count(p) { print("  count runs"); len(words(p)) }
print(count("w.txt"))
"#,
    );
    write(dir.path(), "w.txt", "a b c");
    run_app(dir.path(), &[], "  count runs\n3\n");
    run_app(dir.path(), &[], "3\n");
    write(dir.path(), "w.txt", "a b c d");
    run_app(dir.path(), &[], "  count runs\n4\n");
}

#[test]
fn a_sqlite_database_opened_by_path_is_a_dependency() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "setup.memo",
        r#"
let db = sqlite_open("app.db")
execute(db, "create table if not exists t (x int)")
execute(db, "insert into t values (?)", [param("v", 1)])
"#,
    );
    write(
        dir.path(),
        "app.memo",
        r#"
cached(suppress_warning: true)
fn total() {
    print("  total runs")
    query(sqlite_open("app.db"), "select sum(x) as s from t")[0]["s"]
}
print(total())
"#,
    );
    assert_eq!(memo(dir.path(), &["run", "--no-disk-cache", "setup.memo"]).code, 0);
    // Written an hour ago: its stat is trusted, and the next run hits (a
    // database is checked by its stat alone, so a stat taken for racy
    // would make every run a miss).
    set_mtime(dir.path(), "app.db", unix_now() - 3600);
    run_app(dir.path(), &[], "  total runs\n1\n");
    run_app(dir.path(), &[], "1\n");
    assert_eq!(memo(dir.path(), &["run", "--no-disk-cache", "--set", "v=5", "setup.memo"]).code, 0);
    run_app(dir.path(), &[], "  total runs\n6\n");
}

#[test]
fn explain_says_when_a_database_appeared_or_went_away() {
    // cargo-mutants on trace.rs: the arms that word a database created or
    // removed were untested (the catch-all says "changed").
    const ROWS: &str = r#"
cached(suppress_warning: true)
fn rows() {
    print("  rows runs")
    let db = sqlite_open("x.db")
    execute(db, "create table if not exists t (a int)")
    len(query(db, "select * from t"))
}
print(rows())
"#;
    // No database at first: the call's own `sqlite_open` makes it after
    // its stat was taken, and the next run misses once (a database is
    // checked by its stat alone).
    let fresh = tempfile::tempdir().unwrap();
    write(fresh.path(), "app.memo", ROWS);
    run_app(fresh.path(), &[], "  rows runs\n0\n");
    let r = run_app(fresh.path(), &[], "  rows runs\n0\n");
    assert_explains(&r, "explain: miss rows(): file \"x.db\" was created");
    // A database made beforehand (an hour old), then removed.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "setup.memo", "execute(sqlite_open(\"x.db\"), \"create table t (a int)\")\n");
    assert_eq!(memo(dir.path(), &["run", "--no-disk-cache", "setup.memo"]).code, 0);
    set_mtime(dir.path(), "x.db", unix_now() - 3600);
    write(dir.path(), "app.memo", ROWS);
    run_app(dir.path(), &[], "  rows runs\n0\n");
    run_app(dir.path(), &[], "0\n");
    std::fs::remove_file(dir.path().join("x.db")).unwrap();
    let r = run_app(dir.path(), &[], "  rows runs\n0\n");
    assert_explains(&r, "explain: miss rows(): file \"x.db\" was removed");
}

/// Seconds since the Unix epoch.
fn unix_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

#[test]
fn a_file_read_in_its_mtime_tick_is_compared_by_content() {
    // A file read right after it was written may change again within the
    // same mtime tick: the second version has the same size, inode and
    // mtime (set here explicitly), and only its content tells it apart.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.memo", LOAD);
    let t = std::time::SystemTime::now();
    write(dir.path(), "data.txt", "aaaa");
    set_mtime_to(dir.path(), "data.txt", t);
    run_app(dir.path(), &[], "  load runs\naaaa\n");
    write(dir.path(), "data.txt", "bbbb");
    set_mtime_to(dir.path(), "data.txt", t);
    let r = run_app(dir.path(), &[], "  load runs\nbbbb\n");
    assert_explains(&r, "explain: miss load(\"data.txt\"): file \"data.txt\" changed");
}

// ----- cached callees: early cutoff -----

const CUTOFF: &str = r#"
cached(suppress_warning: true) fn b(x) { print("  b runs"); BODY }
cached(suppress_warning: true) fn a(x) { print("  a runs"); b(x) + 1 }
print(a(20))
"#;

/// A callee that is no longer cached is part of its caller's code again:
/// the caller misses and says why, even when the result would be the
/// same.
#[test]
fn a_callee_no_longer_cached_makes_its_caller_miss() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.memo", &CUTOFF.replace("BODY", "x * 2"));
    run_app(dir.path(), &[], "  a runs\n  b runs\n41\n");
    let plain = CUTOFF.replace("BODY", "x * 2").replace("cached(suppress_warning: true) fn b", "fn b");
    write(dir.path(), "app.memo", &plain);
    let r = run_app(dir.path(), &[], "  a runs\n  b runs\n41\n");
    assert_explains(&r, "explain: miss a(20): `a` now uses `b`");
}

#[test]
fn editing_a_callee_reruns_the_caller_only_when_its_result_changed() {
    let dir = tempfile::tempdir().unwrap();
    let app = |body: &str| write(dir.path(), "app.memo", &CUTOFF.replace("BODY", body));
    app("x * 2");
    run_app(dir.path(), &[], "  a runs\n  b runs\n41\n");
    let r = run_app(dir.path(), &[], "41\n");
    assert_eq!(explained(&r), vec!["explain: hit  a(20)"]);
    app("x + x");
    let r = run_app(dir.path(), &[], "  b runs\n41\n");
    assert_eq!(
        explained(&r),
        vec!["explain: miss b(20): code of `b` changed", "explain: hit  a(20) (b changed, its result did not)"]
    );
    // The entry of `a` was stored again with b's new code: no replay now.
    let r = run_app(dir.path(), &[], "41\n");
    assert_eq!(explained(&r), vec!["explain: hit  a(20)"]);
    app("x * 3");
    let r = run_app(dir.path(), &[], "  b runs\n  a runs\n61\n");
    assert_eq!(
        explained(&r),
        vec![
            "explain: miss b(20): code of `b` changed",
            "explain: miss a(20): the result of b(20) changed",
            "explain: hit  b(20)",
        ]
    );
    run_app(dir.path(), &[], "61\n");
}

#[test]
fn a_recorded_call_whose_arguments_held_a_fn_is_checked_by_code() {
    // On disk, a recorded call whose arguments held a fn keeps no
    // arguments: it cannot be replayed, so a changed callee is a miss of
    // the caller, and an unchanged one is checked by its entry
    // (cargo-mutants on trace.rs: with that condition turned, the caller
    // hit on the callee's old entry, or missed although nothing changed).
    let dir = tempfile::tempdir().unwrap();
    let app = |k: u32, b: &str| {
        format!(
            "cached(suppress_warning: true) fn apply(f, x) {{ f(x) * {k} }}\n\
             cached(suppress_warning: true) fn b(x) {{ {b} }}\n\
             cached(suppress_warning: true) fn outer(x) {{ print(\"  outer runs\"); apply(fn(v) {{ v + 1 }}, x) + b(x) }}\n\
             print(outer(10))\n"
        )
    };
    write(dir.path(), "app.memo", &app(2, "x * 2"));
    run_app(dir.path(), &[], "  outer runs\n42\n");
    run_app(dir.path(), &[], "42\n");
    // `b` edited, its result the same: `apply`'s call, unchanged, is
    // checked by its entry, and `outer` hits.
    write(dir.path(), "app.memo", &app(2, "x + x"));
    let r = run_app(dir.path(), &[], "42\n");
    assert_explains(&r, "explain: hit  outer(10) (b changed, its result did not)");
    write(dir.path(), "app.memo", &app(3, "x + x"));
    let r = run_app(dir.path(), &[], "  outer runs\n53\n");
    assert_explains(&r, "explain: miss outer(10): code of `apply` changed");
}

#[test]
fn a_cached_lambda_called_by_a_cached_fn_is_checked_through_its_entry() {
    // A cached fn held in a list is no global's cached fn: its code is
    // in the caller's key, and the caller's recorded call is checked by
    // the callee's entry — its facts, then its result (cargo-mutants on
    // trace.rs: check_entry trusting either gave the old result).
    const APP: &str = r#"
cached(suppress_warning: true) fn h(p) { read_file(p) }
let gs = [cached(suppress_warning: true) fn(p) { h(p) + "!" }]
cached(suppress_warning: true) fn outer(p) { print("  outer runs"); gs[0](p) + "?" }
if param("direct", false) { print(gs[0]("d.txt")) }
print(outer("d.txt"))
"#;
    for direct in ["false", "true"] {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "app.memo", APP);
        write(dir.path(), "d.txt", "a");
        set_mtime(dir.path(), "d.txt", unix_now() - 3600);
        let set = format!("direct={direct}");
        let first = if direct == "true" { "a!\n  outer runs\na!?\n" } else { "  outer runs\na!?\n" };
        run_app(dir.path(), &["--set", &set], first);
        write(dir.path(), "d.txt", "b");
        set_mtime(dir.path(), "d.txt", unix_now() - 1800);
        // With `direct`, `g`'s entry is recomputed first (a new result under
        // the same key); without, `outer`'s check finds its facts changed.
        let then = if direct == "true" { "b!\n  outer runs\nb!?\n" } else { "  outer runs\nb!?\n" };
        let r = run_app(dir.path(), &["--set", &set], then);
        let why = if direct == "true" {
            "explain: miss outer(\"d.txt\"): the result of <anonymous cached fn>(\"d.txt\") changed"
        } else {
            "explain: miss outer(\"d.txt\"): <anonymous cached fn>(\"d.txt\"): the result of h(\"d.txt\") changed"
        };
        assert_explains(&r, why);
    }
}

#[test]
fn what_a_failing_callee_read_counts_for_the_caller_that_caught_it() {
    // `b` fails, so it has no entry; `a` caught the failure, so its result
    // depends on what `b` read (cargo-mutants on trace.rs: `adopt` doing
    // nothing left `a`'s entry without the file).
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app.memo",
        r#"
cached(suppress_warning: true) fn b(p) {
    let t = read_file(p)
    if t == "bad" { error("bad data") }
    t
}
cached(suppress_warning: true) fn a(p) { print("  a runs"); try { b(p) } catch e { "caught: " + e["message"] } }
print(a("d.txt"))
"#,
    );
    write(dir.path(), "d.txt", "bad");
    run_app(dir.path(), &[], "  a runs\ncaught: bad data\n");
    run_app(dir.path(), &[], "caught: bad data\n");
    write(dir.path(), "d.txt", "good");
    let r = run_app(dir.path(), &[], "  a runs\ngood\n");
    assert_explains(&r, "explain: miss a(\"d.txt\"): file \"d.txt\" changed");
    // Back to the bad file (the first result holds again), then `b`'s
    // message edited: `a` depends on the failing callee's code too
    // (`note_code`).
    write(dir.path(), "d.txt", "bad");
    run_app(dir.path(), &[], "caught: bad data\n");
    let app = std::fs::read_to_string(dir.path().join("app.memo")).unwrap();
    write(dir.path(), "app.memo", &app.replace("bad data", "bad input"));
    let r = run_app(dir.path(), &[], "  a runs\ncaught: bad input\n");
    // (The reason given is the newest result's: its recorded call of `b`.)
    assert_explains(&r, "explain: miss a(\"d.txt\"): b(\"d.txt\") failed while checking it: bad input");
}

#[test]
fn a_callee_that_assigns_state_gets_no_cutoff() {
    let dir = tempfile::tempdir().unwrap();
    let src = r#"
let seen = 0
cached(suppress_warning: true) fn b(x) { print("  b runs"); seen = STATE; x * 2 }
cached(suppress_warning: true) fn a(x) { print("  a runs"); b(x) + seen }
print(a(20))
"#;
    write(dir.path(), "app.memo", &src.replace("STATE", "1"));
    run_app(dir.path(), &[], "  a runs\n  b runs\n41\n");
    run_app(dir.path(), &[], "41\n");
    // b's result is the same, but what it assigned is not.
    write(dir.path(), "app.memo", &src.replace("STATE", "5"));
    run_app(dir.path(), &[], "  a runs\n  b runs\n45\n");
}

#[test]
fn a_file_read_by_a_cached_callee_cuts_off_when_its_result_is_the_same() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app.memo",
        r#"
cached(suppress_warning: true) fn size(p) { print("  size runs"); len(read_file(p)) }
cached(suppress_warning: true) fn report(p) { print("  report runs"); "size " + str(size(p)) }
print(report("f.txt"))
"#,
    );
    write(dir.path(), "f.txt", "abc");
    run_app(dir.path(), &[], "  report runs\n  size runs\nsize 3\n");
    write(dir.path(), "f.txt", "xyz");
    run_app(dir.path(), &[], "  size runs\nsize 3\n");
    write(dir.path(), "f.txt", "wxyz");
    run_app(dir.path(), &[], "  size runs\n  report runs\nsize 4\n");
}

#[test]
fn recursion_through_the_cache_keeps_hitting() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app.memo",
        r#"
cached fn fib(n) { if n < 2 { n } else { fib(n - 1) + fib(n - 2) } }
print(fib(80), cache_info(fib))
"#,
    );
    let r = memo(dir.path(), &["run", "app.memo"]);
    assert_eq!(r.stdout, "23416728348467685 {\"entries\": 81, \"hits\": 78, \"misses\": 81}\n", "{}", r.stderr);
    let r = memo(dir.path(), &["run", "app.memo"]);
    assert_eq!(r.stdout, "23416728348467685 {\"entries\": 1, \"hits\": 1, \"misses\": 0}\n", "{}", r.stderr);
}

// ----- max_entries, explain, entries bound to keys -----

#[test]
fn max_entries_counts_entries_read_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let src = r#"
cached(max_entries: 2, suppress_warning: true) fn load(n) { print("  load", n); n * 10 }
for n in CALLS { load(n) }
print(cache_info(load))
"#;
    write(dir.path(), "app.memo", &src.replace("CALLS", "[1, 2]"));
    run_app(dir.path(), &[], "  load 1\n  load 2\n{\"entries\": 2, \"hits\": 0, \"misses\": 2}\n");
    write(dir.path(), "app.memo", &src.replace("CALLS", "[1, 2, 1, 3, 1]"));
    // 1 and 2 come from disk, 3 evicts the least recently used (2), 1 hits.
    run_app(dir.path(), &[], "  load 3\n{\"entries\": 2, \"hits\": 4, \"misses\": 1}\n");
    write(dir.path(), "app.memo", &src.replace("CALLS", "[1, 2, 3, 3, 3]"));
    run_app(dir.path(), &[], "  load 2\n  load 3\n{\"entries\": 2, \"hits\": 3, \"misses\": 2}\n");
}

#[test]
fn explain_names_a_renamed_callee_and_a_hash_funcs_edit() {
    let dir = tempfile::tempdir().unwrap();
    let src = r#"
fn helper(x) { x + 1 }
fn helper2(x) { x + 2 }
cached(suppress_warning: true, hash_funcs: {list: HF}) fn f(l) { CALL(len(l)) }
print(f([1, 2]))
"#;
    let app = |call: &str, hf: &str| write(dir.path(), "app.memo", &src.replace("CALL", call).replace("HF", hf));
    app("helper", "len");
    run_app(dir.path(), &[], "3\n");
    app("helper2", "len");
    let r = run_app(dir.path(), &[], "4\n");
    assert_eq!(explained(&r), vec!["explain: miss f([1, 2]): code of `f` changed (now uses `helper2`; no longer uses `helper`)"]);
    app("helper2", "fn(l) { l[0] }");
    let r = run_app(dir.path(), &[], "4\n");
    assert_eq!(explained(&r), vec!["explain: miss f([1, 2]): the hash_funcs of `f` changed"]);
}

#[test]
fn explain_names_the_free_variable_that_changed_or_is_new() {
    // Two free variables: only the second changes, and the line names it
    // with its own old value (cargo-mutants on explain.rs: matching an old
    // variable by kind alone compared `b` with `a`). Then the code reads a
    // third one it did not read before.
    let dir = tempfile::tempdir().unwrap();
    let app = |b: i64, body: &str| {
        let src =
            format!("let a = 1\nlet b = {b}\nlet c = 5\ncached(suppress_warning: true) fn f(x) {{ {body} }}\nprint(f(10))\n");
        write(dir.path(), "app.memo", &src)
    };
    app(2, "x + a + b");
    run_app(dir.path(), &[], "13\n");
    app(3, "x + a + b");
    let r = run_app(dir.path(), &[], "14\n");
    assert_eq!(explained(&r), vec!["explain: miss f(10): free variable `b` changed: 2 → 3"]);
    app(3, "x + a + b + c");
    let r = run_app(dir.path(), &[], "19\n");
    assert_eq!(explained(&r), vec!["explain: miss f(10): code of `f` changed; free variable `c` is new: 5"]);
}

#[test]
fn explain_names_a_parameter_the_fn_gained() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.memo", "cached(suppress_warning: true) fn f(x) { x }\nprint(f(1))\n");
    run_app(dir.path(), &[], "1\n");
    write(dir.path(), "app.memo", "cached(suppress_warning: true) fn f(x, y) { x + y }\nprint(f(1, 2))\n");
    let r = run_app(dir.path(), &[], "3\n");
    assert_eq!(explained(&r), vec!["explain: miss f(1, 2): code of `f` changed; argument `y` is new: 2"]);
}

#[test]
fn in_one_run_a_ttl_expires_and_explain_names_evictions_and_earlier_arguments() {
    // cargo-mutants on cache/mod.rs: the in-memory ttl check made `==`
    // (an entry never expired within a run); the key just stored made the
    // only one kept in the list of evicted keys (`f(1)` was then explained
    // as an argument change); and with a disk tier, a second call asking
    // the tier again for the fn's latest entry instead of comparing with
    // the first call ("first call" twice).
    let dir = tempfile::tempdir().unwrap();
    let src = r#"
cached(max_entries: 1, suppress_warning: true) fn f(x) { print("  f", x); x }
cached(ttl: 0.2, suppress_warning: true) fn g(x) { print("  g", x); x }
f(1)
f(2)
f(3)
f(1)
g(1)
sleep(0.3)
g(1)
"#;
    write(dir.path(), "app.memo", src);
    let want = vec![
        "explain: miss f(1): first call",
        "explain: miss f(2): argument `x` changed: 1 → 2",
        "explain: miss f(3): argument `x` changed: 2 → 3",
        "explain: miss f(1): evicted (max_entries)",
        "explain: miss g(1): first call",
        "explain: miss g(1): expired (ttl 0.2s)",
    ];
    // In memory only (the evicted key is known from the memory's own list),
    // then with the disk tier.
    for extra in [&["--no-disk-cache"][..], &[]] {
        let r = run_app(dir.path(), extra, "  f 1\n  f 2\n  f 3\n  f 1\n  g 1\n  g 1\n");
        assert_eq!(explained(&r), want, "{extra:?}");
    }
}

#[test]
fn persist_false_neither_reads_nor_writes_the_disk() {
    // An entry stored by an earlier run, when the fn still persisted, is
    // not served once it says `persist: false`, and --explain compares
    // with nothing on disk (cargo-mutants on cache/mod.rs: the tiers were
    // asked whatever `persist` said).
    let dir = tempfile::tempdir().unwrap();
    let app = |opts: &str| {
        let src = format!("cached({opts}suppress_warning: true) fn f(x) {{ print(\"  f\", x); x }}\nprint(f(1))\n");
        write(dir.path(), "app.memo", &src)
    };
    app("");
    run_app(dir.path(), &[], "  f 1\n1\n");
    app("persist: false, ");
    let r = run_app(dir.path(), &[], "  f 1\n1\n");
    assert_eq!(explained(&r), vec!["explain: miss f(1): first call"]);
}

#[test]
fn an_entry_copied_over_another_keys_entry_is_a_miss() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.memo", "cached(suppress_warning: true) fn f(x) { print(\"  f runs\"); x * 10 }\nprint(f(1), f(2))\n");
    run_app(dir.path(), &[], "  f runs\n  f runs\n10 20\n");
    let db = rusqlite::Connection::open(dir.path().join(".memo-cache/v4/cache.db")).unwrap();
    let ids: Vec<i64> = db
        .prepare("SELECT id FROM entries ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(ids.len(), 2);
    db.execute("UPDATE data SET bytes = (SELECT bytes FROM data WHERE id = ?1) WHERE id = ?2", [ids[0], ids[1]]).unwrap();
    let r = memo(dir.path(), &["run", "app.memo"]);
    assert_eq!(r.stdout, "  f runs\n10 20\n", "one entry is refused, never served for the other key: {}", r.stderr);
}

// ----- the REPL -----

#[test]
fn a_function_in_a_list_in_the_repl() {
    let dir = tempfile::tempdir().unwrap();
    let input = "let rate = 2\nlet fs = [fn(x) { x * rate }]\ncached fn apply(fs, x) { fs[0](x) }\napply(fs, 10)\nrate = 3\napply(fs, 10)\n";
    let r = memo_in(dir.path(), &["repl", "--no-disk-cache"], Some(input));
    assert_eq!(r.stdout, "20\n30\n", "{}", r.stderr);
}

// ----- what the disk gives back -----

#[test]
fn floats_come_back_from_disk_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app.memo",
        r#"
cached(suppress_warning: true)
fn floats() {
    print("  computing")
    [0.1, 1.0 / 3.0, -0.0, 1e-300, 2.2250738585072014e-308, 5e-324, 1.7976931348623157e308, 0.1 + 0.2, float("inf"), float("-inf")]
}
let f = floats()
print(repr(f))
print(f[0] == 0.1, f[7] == 0.1 + 0.2, str(f[2]))
"#,
    );
    let first = memo(dir.path(), &["run", "app.memo"]);
    assert!(first.stdout.starts_with("  computing\n"), "{}", first.stderr);
    let second = memo(dir.path(), &["run", "app.memo"]);
    assert_eq!(second.stdout, first.stdout.replacen("  computing\n", "", 1), "the hit prints the same values");
    assert!(second.stdout.contains("true true -0.0"), "{}", second.stdout);
}

#[test]
fn the_byte_budget_evicts_the_least_recently_used() {
    let dir = tempfile::tempdir().unwrap();
    let src = r#"
cached(suppress_warning: true) fn big(n) { print("  big", n); list(0..3000 + n) }
for n in CALLS { big(n) }
"#;
    let app = |calls: &str| write(dir.path(), "app.memo", &src.replace("CALLS", calls));
    // Each entry is ~9 KB (format 3: ints up to 175 in one byte, the rest in three).
    let budget = ["--cache-max-bytes", "30000"];
    app("0..10");
    let r = run_app(dir.path(), &budget, &(0..10).map(|n| format!("  big {n}\n")).collect::<String>());
    drop(r);
    // The newest entries are kept, the oldest were evicted to stay in budget.
    app("[9]");
    run_app(dir.path(), &budget, "");
    app("[0]");
    run_app(dir.path(), &budget, "  big 0\n");
}

#[test]
fn a_file_edited_back_and_forth_hits_both_states() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.memo", LOAD);
    write(dir.path(), "data.txt", "one");
    run_app(dir.path(), &[], "  load runs\none\n");
    write(dir.path(), "data.txt", "two");
    run_app(dir.path(), &[], "  load runs\ntwo\n");
    // Back to the first content: the earlier result is kept with the entry.
    write(dir.path(), "data.txt", "one");
    run_app(dir.path(), &[], "one\n");
    write(dir.path(), "data.txt", "two");
    run_app(dir.path(), &[], "two\n");
}

/// A cached callee reached through a function value (no global name: its
/// call fact is checked against its entry) that gives a different result
/// in each of two states within one run: the caller's facts are checked
/// against the callee's result for the state they recorded, not only its
/// newest one. Found by the differential test (seed 310,009): after the
/// file was removed, `outer` missed twice in every later run.
#[test]
fn a_callee_with_one_result_per_state_is_checked_against_the_right_one() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app.memo",
        r#"
let g = 2
let seen = false
cached(suppress_warning: true) fn look() {
  seen = exists("flag.txt")
  {"a": 1}
}
cached(suppress_warning: true) fn pick(x) { if has(look(), "b") { 1 } else { g } }
let h = [cached(suppress_warning: true) fn(x) { pick(x) }]
cached(suppress_warning: true) fn outer(x) { print("  outer runs")
  h[0](x) }
print(outer(1))
g = 0
print(outer(1))
"#,
    );
    write(dir.path(), "flag.txt", "");
    run_app(dir.path(), &[], "  outer runs\n2\n  outer runs\n0\n");
    run_app(dir.path(), &[], "2\n0\n");
    std::fs::remove_file(dir.path().join("flag.txt")).unwrap();
    // `look` runs again (its file is gone) and gives the same result.
    let r = run_app(dir.path(), &[], "2\n0\n");
    assert_explains(&r, "explain: miss look(): file \"flag.txt\" was removed");
    let r = run_app(dir.path(), &[], "2\n0\n");
    assert!(explained(&r).iter().all(|l| l.starts_with("explain: hit")), "{}", r.stderr);
}

#[test]
fn an_earlier_result_used_again_is_kept_before_older_ones() {
    // An entry keeps four results, one per state of what its call read.
    // One found among the earlier results becomes the newest again, so
    // that the next new states drop results not used for longer (it was
    // dropped by age of creation before: a spurious miss the differential
    // test found at seed 211058).
    let dir = tempfile::tempdir().unwrap();
    let script = |states: &[&str]| {
        let mut s = String::from("cached(suppress_warning: true) fn load(p) { print(\"  load runs\"); read_file(p) }\n");
        for st in states {
            s.push_str(&format!("write_file(\"d.txt\", \"{st}\")\nprint(load(\"d.txt\"))\n"));
        }
        s
    };
    write(dir.path(), "app.memo", &script(&["a", "b", "c"]));
    run_app(dir.path(), &[], "  load runs\na\n  load runs\nb\n  load runs\nc\n");
    write(dir.path(), "app.memo", &script(&["a", "d", "e", "a"]));
    run_app(dir.path(), &[], "a\n  load runs\nd\n  load runs\ne\na\n");
    // The same in a second run: every state is kept.
    run_app(dir.path(), &[], "a\nd\ne\na\n");
}

#[test]
fn explain_tells_a_param_set_to_its_default_from_one_left_unset() {
    // cargo-mutants on trace.rs: the wording of a changed param was
    // untested ("its default" when `--set` no longer gives it).
    const APP: &str = "cached fn scaled(x) { print(\"  scaled runs\"); x * param(\"k\", 1) }\nprint(scaled(10))\n";
    let unset = tempfile::tempdir().unwrap();
    write(unset.path(), "app.memo", APP);
    run_app(unset.path(), &["--set", "k=3"], "  scaled runs\n30\n");
    let r = run_app(unset.path(), &[], "  scaled runs\n10\n");
    assert_explains(&r, "explain: miss scaled(10): param \"k\" changed: 3 → its default");
    let set = tempfile::tempdir().unwrap();
    write(set.path(), "app.memo", APP);
    run_app(set.path(), &["--set", "k=3"], "  scaled runs\n30\n");
    let r = run_app(set.path(), &["--set", "k=1"], "  scaled runs\n10\n");
    assert_explains(&r, "explain: miss scaled(10): param \"k\" changed: 3 → 1");
}

#[test]
fn one_param_read_with_two_defaults_is_two_facts() {
    // Found by the differential test: deduplicating the facts of a call's
    // subtree by (name, value) dropped the read whose default differs.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app.memo",
        r#"
cached(suppress_warning: true) fn f(n) {
    print("  f runs", n)
    if n <= 0 { param("k", -1) } else { f(n - 1) + param("k", 5) }
}
print(f(1))
"#,
    );
    run_app(dir.path(), &["--set", "k=-1"], "  f runs 1\n  f runs 0\n-2\n");
    run_app(dir.path(), &[], "  f runs 1\n4\n");
}

/// A cached fn calling one with a `ttl`: the call fact keeps the ttl, and
/// the entry is read back from the disk on the next run (cargo-mutants on
/// codec.rs: a call fact with a ttl was never decoded by any test).
#[test]
fn a_call_fact_with_a_ttl_is_read_back_from_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app.memo",
        r#"
cached(ttl: 3600, suppress_warning: true) fn inner(x) { print("  inner runs")
  x * 2 }
cached(suppress_warning: true) fn outer(x) { print("  outer runs")
  inner(x) + 1 }
print(outer(20))
"#,
    );
    run_app(dir.path(), &[], "  outer runs\n  inner runs\n41\n");
    let r = run_app(dir.path(), &[], "41\n");
    assert_explains(&r, "explain: hit  outer(20)");
}

/// A cached call's arguments are kept with its caller's entry when every
/// part of them can be written, so that an edit of the callee that keeps
/// its result is an early cutoff (the caller hits). A function inside a
/// list, a map or a struct cannot be written: the caller then misses,
/// "code of `inner` changed", rather than calling the callee again with
/// the function written as `none`.
#[test]
fn a_function_inside_a_call_argument_is_not_written_as_none() {
    for arg in ["[fn(x) { x + 1 }]", "{\"f\": fn(x) { x + 1 }}", "S(fn(x) { x + 1 })"] {
        let dir = tempfile::tempdir().unwrap();
        let get = match arg.chars().next() {
            Some('[') => "fs[0]",
            Some('{') => "fs[\"f\"]",
            _ => "fs.f",
        };
        let app = |said: &str| {
            format!(
                r#"
struct S {{ f }}
cached(suppress_warning: true) fn inner(fs) {{ print("{said}")
  let g = {get}
  g(1) }}
cached(suppress_warning: true) fn outer() {{ print("  outer runs")
  inner({arg}) * 10 }}
print(outer())
"#
            )
        };
        write(dir.path(), "app.memo", &app("  inner runs"));
        run_app(dir.path(), &[], "  outer runs\n  inner runs\n20\n");
        write(dir.path(), "app.memo", &app("  inner runs!"));
        let r = run_app(dir.path(), &[], "  outer runs\n  inner runs!\n20\n");
        assert_explains(&r, "explain: miss outer(): code of `inner` changed");
    }
}

/// An argument nested exactly `MAX_DEPTH` (2,000) levels deep, alone or
/// inside a map (as a value or a key) or a struct, is kept with the caller's entry (an edit of
/// the callee that keeps its result is an early cutoff); one level more is
/// not (cargo-mutants on value_codec.rs: `persistable`'s depth bound and
/// its walk into lists, maps and structs).
#[test]
fn a_call_argument_nested_to_the_depth_bound_is_kept_and_one_deeper_is_not() {
    // The deepest that is kept: 2,000 levels in all (a map or struct is one).
    for (wrap, ok) in [("nest(n)", 2000), ("{\"v\": nest(n)}", 1999), ("B(nest(n))", 1999), ("{nest(n): 1}", 1999)] {
        let bad = ok + 1;
        let dir = tempfile::tempdir().unwrap();
        let app = |said: &str| {
            format!(
                r#"
struct B {{ v }}
fn nest(n) {{
  let v = 0
  for _ in 0..n {{ v = [v] }}
  v
}}
cached(suppress_warning: true) fn inner(v) {{ print("{said}")
  type(v) != int }}
cached(suppress_warning: true) fn outer(n) {{ print("  outer runs")
  inner({wrap}) }}
print(outer({ok}), outer({bad}))
"#
            )
        };
        write(dir.path(), "app.memo", &app("  inner runs"));
        let r = run_app(dir.path(), &[], "  outer runs\n  inner runs\n  outer runs\n  inner runs\ntrue true\n");
        // The two arguments print alike up to the cut: explain says so.
        let line = explained(&r).into_iter().find(|l| l.contains("argument `v` changed")).unwrap_or_default();
        assert!(line.ends_with("... (it differs past what is shown)"), "{}", r.stderr);
        write(dir.path(), "app.memo", &app("  inner runs!"));
        let r = run_app(dir.path(), &[], "  inner runs!\n  outer runs\n  inner runs!\ntrue true\n");
        assert_explains(&r, &format!("explain: hit  outer({ok}) (inner changed, its result did not)"));
        assert_explains(&r, &format!("explain: miss outer({bad}): code of `inner` changed"));
    }
}

/// A cached fn whose result shares its parts: 2 elements, 3 * 2^n - 1 when
/// each shared part is counted as often as it appears.
const DOUBLED: &str = r#"
cached(suppress_warning: true) fn doubled(n) { print("  doubled runs")
  let x = [0]
  for _ in 0..n { x = [x, x] }
  x }
"#;

/// A result whose shared parts make it more than `MAX_PERSIST_ELEMENTS`
/// (2^26) elements when walked is not written to the disk (its walk and
/// encoding must end in reasonable time): the next run misses it, while a
/// small one hits (cargo-mutants on value_codec.rs: `persistable_in`
/// leaving its count of elements unchanged).
#[test]
fn a_result_with_more_elements_than_the_bound_is_not_stored() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.memo", &format!("{DOUBLED}print(len(doubled(3)), len(doubled(25)))\n"));
    run_app(dir.path(), &[], "  doubled runs\n  doubled runs\n2 2\n");
    let r = run_app(dir.path(), &[], "  doubled runs\n2 2\n");
    assert_explains(&r, "explain: hit  doubled(3)");
    // Never stored: the nearest entry is doubled(3)'s.
    assert_explains(&r, "explain: miss doubled(25): argument `n` changed: 3 → 25");
}

/// Without a byte tier (`--no-disk-cache`) a result is not walked to see
/// whether it could be written: a cached fn returning a value that shares
/// its parts (3 * 2^25 elements walked) runs under a small operation
/// budget, where with a cache directory the walk spends it
/// (cargo-mutants on cache/mod.rs: `has_tiers` made `true`).
#[test]
fn without_a_tier_a_result_is_not_walked_for_writing() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.memo", &format!("{DOUBLED}print(len(doubled(25)))\n"));
    run_app(dir.path(), &["--no-disk-cache", "--max-ops", "100000"], "  doubled runs\n2\n");
}

/// A result nested deeper than `MAX_DEPTH` is not written to the disk (it
/// could not be read back), alone or inside a map (as a value or a key) or
/// a struct: the next run misses it as never stored, and one exactly at the
/// bound hits (cargo-mutants on value_codec.rs: `persistable_in`'s bound
/// and its walk into lists, maps and structs).
#[test]
fn a_result_deeper_than_the_bound_is_not_stored() {
    for (wrap, ok) in [("v", 2000), ("{\"k\": v}", 1999), ("{v: 1}", 1999), ("B(v)", 1999)] {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "app.memo",
            &format!(
                r#"
struct B {{ v }}
cached(suppress_warning: true) fn nest(n) {{ print("  nest runs")
  let v = 0
  for _ in 0..n {{ v = [v] }}
  {wrap} }}
print(type(nest({ok})), type(nest({bad})))
"#,
                bad = ok + 1
            ),
        );
        let ty = if wrap.starts_with('B') {
            "B"
        } else if wrap.starts_with('{') {
            "map"
        } else {
            "list"
        };
        run_app(dir.path(), &[], &format!("  nest runs\n  nest runs\n{ty} {ty}\n"));
        let r = run_app(dir.path(), &[], &format!("  nest runs\n{ty} {ty}\n"));
        assert_eq!(
            explained(&r),
            [
                format!("explain: hit  nest({ok})"),
                format!("explain: miss nest({}): argument `n` changed: {ok} → {}", ok + 1, ok + 1)
            ],
            "{}",
            r.stderr
        );
    }
}
