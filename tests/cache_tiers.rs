//! The cache's tiers with real components: `memo run` processes sharing a
//! cache directory (SQLite) or, from separate directories ("machines"), a
//! real `redis-server` started on a free loopback port. Leases across
//! processes, faults (Redis down before and during a run, poisoned and
//! garbage entries, `kill -9` during stores, a database that cannot be
//! opened), removal reasons seen by a later run's `--explain`, `memo cache
//! ls`, old cache directories. Checked through what scripts print and
//! exit codes, never timings.
//!
//! The Redis tests need `redis-server` (`apt-get install redis-server`;
//! `.ci/run` installs it). Outside CI a test that cannot find it says so
//! and passes; under `CI=true` it fails.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// A command that runs in `dir` with none of the cache's variables of
/// the environment the tests run in.
fn without_cache_env<'c>(c: &'c mut Command, dir: &Path) -> &'c mut Command {
    c.current_dir(dir).env_remove("MEMO_CACHE_DIR").env_remove("MEMO_CACHE_URL").env_remove("MEMO_CACHE_SECRET")
}

fn cmd(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_memo"));
    without_cache_env(c.args(args), dir);
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

fn outcome(out: std::process::Output) -> Run {
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn memo_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    outcome(cmd(dir, args, env).output().expect("memo runs"))
}

fn memo(dir: &Path, args: &[&str]) -> Run {
    memo_env(dir, args, &[])
}

fn spawn(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Child {
    cmd(dir, args, env).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("memo starts")
}

fn finish(c: Child) -> Run {
    outcome(c.wait_with_output().expect("memo ends"))
}

/// `memo run SCRIPT` as one machine of a shared Redis: its own cache
/// directory `machine` (in `dir`), the server at `url`, then `extra`.
fn on_machine(dir: &Path, script: &str, machine: &str, url: &str, extra: &[&str]) -> Run {
    let mut args = vec!["run", script, "--cache-dir", machine, "--cache-url", url];
    args.extend_from_slice(extra);
    memo(dir, &args)
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn db(cache: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(cache.join("v4").join("cache.db")).unwrap()
}

fn count(db: &rusqlite::Connection, sql: &str) -> i64 {
    db.query_row(sql, [], |r| r.get(0)).unwrap()
}

// ----- one computation per key across processes -----

const SLOW: &str = r#"
cached(suppress_warning: true) fn slow(x) {
    print("computing", x)
    sleep(param("nap", 1))
    x * 2
}
print("result", slow(21))
"#;

#[test]
fn two_processes_missing_the_same_key_run_the_body_once() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.memo", SLOW);
    let a = spawn(dir.path(), &["run", "app.memo"], &[]);
    let b = spawn(dir.path(), &["run", "app.memo"], &[]);
    let (a, b) = (finish(a), finish(b));
    for r in [&a, &b] {
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.ends_with("result 42\n"), "{}", r.stdout);
    }
    let computed = a.stdout.matches("computing").count() + b.stdout.matches("computing").count();
    assert_eq!(computed, 1, "the body ran {computed} times:\n{}{}\n{}{}", a.stdout, a.stderr, b.stdout, b.stderr);
    // No lease is left behind.
    assert_eq!(count(&db(&dir.path().join(".memo-cache")), "SELECT count(*) FROM leases"), 0);
}

/// Waits until a process holds a lease in the cache beside `dir`'s script.
fn wait_for_a_lease(dir: &Path) {
    let db = dir.join(".memo-cache/v4/cache.db");
    let t0 = Instant::now();
    loop {
        let leases = rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|c| c.query_row("SELECT count(*) FROM leases", [], |r| r.get::<_, i64>(0)));
        if leases.is_ok_and(|n| n == 1) {
            return;
        }
        assert!(t0.elapsed() < Duration::from_secs(20), "the first process never claimed the key");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_lease_held_longer_than_its_ttl_is_renewed() {
    // The holder computes for longer than a lease lasts unrenewed (10 s):
    // its timer renews the lease, so the second process keeps waiting and
    // then hits (cargo-mutants on tiers.rs: with `renew` doing nothing, the
    // second process took the expired lease over and ran the body again).
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.memo", SLOW);
    let a = spawn(dir.path(), &["run", "app.memo", "--set", "nap=13"], &[]);
    wait_for_a_lease(dir.path());
    let b = spawn(dir.path(), &["run", "app.memo", "--set", "nap=13"], &[]);
    let (a, b) = (finish_within(a, 120), finish_within(b, 120));
    for r in [&a, &b] {
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.ends_with("result 42\n"), "{}", r.stdout);
    }
    assert_eq!(a.stdout, "computing 21\nresult 42\n");
    assert_eq!(b.stdout, "result 42\n", "the second process ran the body: {}", b.stderr);
}

#[test]
fn a_result_is_shared_as_soon_as_it_is_computed() {
    // The holder lives on after its computation (it sleeps for a minute):
    // the waiter must get the entry then, not when the holder ends. So the
    // lease is released once the computation is done, and the batch that
    // holds the entry is flushed before it is (cargo-mutants on tiers.rs:
    // with `release` doing nothing the waiter waited for the holder's exit;
    // without that flush it found no entry and ran the body itself).
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.memo", &format!("{SLOW}sleep(param(\"linger\", 0))\n"));
    let mut holder = spawn(dir.path(), &["run", "app.memo", "--set", "linger=60"], &[]);
    wait_for_a_lease(dir.path());
    let waiter = finish_within(spawn(dir.path(), &["run", "app.memo"], &[]), 45);
    let holder_lives = holder.try_wait().expect("memo runs").is_none();
    holder.kill().ok();
    let holder = finish(holder);
    assert_eq!(waiter.code, 0, "{}", waiter.stderr);
    assert_eq!(waiter.stdout, "result 42\n", "the waiter ran the body: {}", waiter.stderr);
    assert!(holder_lives, "the holder ended first: {}{}", holder.stdout, holder.stderr);
    assert_eq!(holder.stdout, "computing 21\nresult 42\n");
}

#[test]
fn a_lease_of_a_killed_process_blocks_nobody() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.memo", SLOW);
    // A param read inside the body is not part of the key: same key, long nap.
    let mut holder = spawn(dir.path(), &["run", "app.memo", "--set", "nap=30"], &[]);
    // Wait until it holds the lease, then kill it.
    wait_for_a_lease(dir.path());
    holder.kill().unwrap();
    holder.wait().unwrap();
    let r = memo(dir.path(), &["run", "app.memo"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "computing 21\nresult 42\n");
}

/// Waits for `c` at most `secs` seconds: a run that never ends fails the
/// test instead of hanging the suite.
fn finish_within(mut c: Child, secs: u64) -> Run {
    let t0 = Instant::now();
    while c.try_wait().expect("memo runs").is_none() {
        if t0.elapsed() > Duration::from_secs(secs) {
            c.kill().ok();
            let r = finish(c);
            panic!("memo did not end within {secs} s; stdout so far:\n{}\nstderr:\n{}", r.stdout, r.stderr);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    finish(c)
}

/// A slow cached fn whose persisted entry went stale (the file it read
/// changed): a claim saw the stale entry's bytes as another process's
/// result and looked again, forever.
const SLOW_READER: &str = r#"
cached(suppress_warning: true) fn load(p) {
    print("loading", p)
    sleep(0.05)
    read_file(p)
}
print("got", load("data.txt"))
"#;

#[test]
fn a_stale_persisted_entry_of_a_slow_fn_is_recomputed() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.memo", SLOW_READER);
    write(dir.path(), "data.txt", "one");
    let r = finish_within(spawn(dir.path(), &["run", "app.memo"], &[]), 60);
    assert_eq!((r.code, r.stdout.as_str()), (0, "loading data.txt\ngot one\n"), "{}", r.stderr);
    write(dir.path(), "data.txt", "two!");
    let r = finish_within(spawn(dir.path(), &["run", "app.memo"], &[]), 60);
    assert_eq!((r.code, r.stdout.as_str()), (0, "loading data.txt\ngot two!\n"), "{}", r.stderr);
    // Two processes finding the same stale entry compute it once.
    write(dir.path(), "data.txt", "three");
    let a = spawn(dir.path(), &["run", "app.memo"], &[]);
    let b = spawn(dir.path(), &["run", "app.memo"], &[]);
    let (a, b) = (finish_within(a, 60), finish_within(b, 60));
    for r in [&a, &b] {
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.ends_with("got three\n"), "{}", r.stdout);
    }
    let computed = a.stdout.matches("loading").count() + b.stdout.matches("loading").count();
    assert_eq!(computed, 1, "the body ran {computed} times:\n{}{}\n{}{}", a.stdout, a.stderr, b.stdout, b.stderr);
}

/// An engine whose cache keeps its entries in `dir` (not flushed by hand),
/// that cache, and the engine's output.
fn engine_on_disk(dir: &Path) -> (memo::Engine, memo::Cache, memo::OutputBuffer) {
    let cache = memo::Cache::with_disk(memo::DiskStore::open(dir, 1 << 20).unwrap());
    let out = memo::OutputBuffer::new();
    let engine = memo::Engine::builder().cache(cache.clone()).output(out.clone()).build();
    (engine, cache, out)
}

#[test]
fn batched_writes_reach_the_database_while_the_cache_lives() {
    // A cache in an embedding program is never flushed by hand: its timer
    // writes the batched entries out (about every 100 ms), so that other
    // processes see them while it lives (cargo-mutants on tiers.rs: the
    // timer, or its flush, doing nothing went unseen).
    let dir = tempfile::tempdir().unwrap();
    let (mut engine, _, out) = engine_on_disk(dir.path());
    engine.run("cached fn f(x) { x * 2 }\nprint(f(21))\n").unwrap();
    assert_eq!(out.take(), "42\n");
    let deadline = Instant::now() + Duration::from_secs(20);
    while count(&db(dir.path()), "SELECT count(*) FROM entries") == 0 {
        assert!(Instant::now() < deadline, "the entry never reached the database while the cache lived");
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(engine);
}

#[test]
fn a_flush_makes_the_writes_so_far_visible_at_once() {
    // `Cache::flush` (what `memo run` does before it exits) writes the
    // batch out before it returns (cargo-mutants on tiers.rs: `flush`
    // doing nothing was left to the timer and the drop).
    let dir = tempfile::tempdir().unwrap();
    let (mut engine, cache, _) = engine_on_disk(dir.path());
    engine.run("cached fn f(x) { x * 2 }\nprint(f(1), f(2), f(3))\n").unwrap();
    cache.flush();
    assert_eq!(count(&db(dir.path()), "SELECT count(*) FROM entries"), 3);
    drop(engine);
}

/// A hit whose facts (here a file it read) still hold writes nothing: the
/// entry's row is the one the miss wrote. (Verifying such an entry took it
/// for a replay and stored it again on every hit: a 200,000-row table was
/// re-encoded by each run that hit it.)
#[test]
fn a_hit_whose_facts_hold_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // `total`'s entry records a call of `load` (its deep facts hold, so no
    // replay is needed either).
    write(
        dir.path(),
        "app.memo",
        "cached fn load(p) { read_file(p) }\ncached fn total(p) { len(load(p)) + 1 }\nprint(len(load(\"data.txt\")), total(\"data.txt\"))\n",
    );
    let data = write(dir.path(), "data.txt", "hello");
    // Older than the racy window: the file's stat alone decides.
    let old = std::time::SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::options().write(true).open(&data).unwrap().set_modified(old).unwrap();
    let rows = || {
        let db = db(&dir.path().join(".memo-cache"));
        let mut st = db.prepare("SELECT id, created FROM entries").unwrap();
        st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))).unwrap().map(Result::unwrap).collect::<Vec<_>>()
    };
    for _ in 0..2 {
        let r = memo(dir.path(), &["run", "app.memo"]);
        assert_eq!((r.code, r.stdout.as_str()), (0, "5 6\n"), "{}", r.stderr);
    }
    let after_first_hit = rows();
    assert_eq!(after_first_hit.len(), 2);
    let r = memo(dir.path(), &["run", "--explain", "app.memo"]);
    assert!(r.stderr.contains("explain: hit"), "{}", r.stderr);
    assert_eq!(rows(), after_first_hit, "a hit rewrote the entry");
}

// ----- the local tier -----

/// `s` repeated `n` times (memo has no string repetition operator).
const REP: &str = "fn rep(s, n) {\n    let out = \"\"\n    for _ in 0..n { out += s }\n    out\n}\n";

/// Entries of ~3 KB.
const BIG: &str = "fn rep(s, n) {\n    let out = \"\"\n    for _ in 0..n { out += s }\n    out\n}\ncached fn big(x) { rep(\"x\", 3000) + str(x) }\n";

#[test]
fn removals_are_explained_in_a_later_run() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "one.memo",
        &format!("cached(max_entries: 2, suppress_warning: true) fn f(x) {{ x }}\nf(1)\nf(2)\nf(3)\n{BIG}big(1)\nbig(2)\nbig(3)\nbig(4)\n"),
    );
    let r = memo(dir.path(), &["run", "one.memo"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = memo(dir.path(), &["run", "one.memo", "--cache-max-bytes", "8000", "--cache-dir", "small"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    write(dir.path(), "two.memo", "cached(max_entries: 2, suppress_warning: true) fn f(x) { x }\nf(1)\nf(3)\n");
    let r = memo(dir.path(), &["run", "two.memo", "--explain"]);
    assert!(r.stderr.contains("explain: miss f(1): evicted (max_entries)"), "{}", r.stderr);
    assert!(r.stderr.contains("explain: hit  f(3)"), "{}", r.stderr);
    write(dir.path(), "three.memo", &format!("{BIG}big(1)\nbig(4)\n"));
    let r = memo(dir.path(), &["run", "three.memo", "--explain", "--cache-max-bytes", "8000", "--cache-dir", "small"]);
    assert!(r.stderr.contains("explain: miss big(1): evicted (cache size limit)"), "{}", r.stderr);
    assert!(r.stderr.contains("explain: hit  big(4)"), "{}", r.stderr);
    write(dir.path(), "four.memo", "cached(ttl: 0.2, suppress_warning: true) fn g(x) { x }\ng(1)\n");
    memo(dir.path(), &["run", "four.memo"]);
    std::thread::sleep(Duration::from_millis(300));
    let r = memo(dir.path(), &["run", "four.memo", "--explain"]);
    assert!(r.stderr.contains("explain: miss g(1): expired (ttl 0.2s)"), "{}", r.stderr);
}

#[test]
fn cache_ls_lists_entries() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app.memo",
        &format!("{REP}cached fn f(x) {{ x }}\ncached fn g(s) {{ s }}\nf(1)\nf(2)\ng(rep(\"a long argument \", 10))\n"),
    );
    memo(dir.path(), &["run", "app.memo"]);
    let r = memo(dir.path(), &["cache", "ls"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.lines().any(|l| l.starts_with("f(1) ")), "{}", r.stdout);
    assert!(r.stdout.lines().any(|l| l.starts_with("f(2) ")), "{}", r.stdout);
    // Made and used seconds ago (the times read back from the database).
    let row = r.stdout.lines().find(|l| l.starts_with("f(1) ")).unwrap();
    assert_eq!(row.matches(" s ago").count(), 2, "{}", r.stdout);
    assert!(r.stdout.lines().any(|l| l.starts_with("g(\"a long argument") && l.contains("...)")), "{}", r.stdout);
    assert!(r.stdout.ends_with("3 entries\n"), "{}", r.stdout);
    let r = memo(dir.path(), &["cache", "ls", "f"]);
    assert!(r.stdout.ends_with("2 entries\n") && !r.stdout.contains("g("), "{}", r.stdout);
}

#[test]
fn old_cache_directories_are_never_read_and_clear_removes_them() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join(".memo-cache");
    for old in ["v1/f-0123456789ab", "v2/f-0123456789ab"] {
        std::fs::create_dir_all(cache.join(old)).unwrap();
        std::fs::write(cache.join(old).join("name"), "f").unwrap();
        std::fs::write(cache.join(old).join("latest"), "../../../../etc/passwd").unwrap();
        std::fs::write(cache.join(old).join(format!("{}.entry", "ab".repeat(32))), b"MEMOCACH garbage").unwrap();
    }
    // Format 3: the database of this layout, with values written whole.
    std::fs::create_dir_all(cache.join("v3")).unwrap();
    std::fs::write(cache.join("v3").join("cache.db"), b"SQLite format 3\0 garbage").unwrap();
    write(dir.path(), "app.memo", "cached fn f(x) { print(\"computed\"); x }\nprint(f(1))\n");
    let r = memo(dir.path(), &["run", "app.memo", "--explain"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "computed\n1\n"), "{}", r.stderr);
    assert!(r.stderr.contains("first call"), "{}", r.stderr);
    assert_eq!(memo(dir.path(), &["run", "app.memo"]).stdout, "1\n");
    let r = memo(dir.path(), &["cache", "clear"]);
    assert!(r.stdout.contains("removed 1 entries"), "{}", r.stdout);
    assert!(!cache.join("v1").exists() && !cache.join("v2").exists() && !cache.join("v3").exists());
    assert!(cache.join("v4").join("cache.db").exists());
}

#[test]
fn a_cache_directory_that_cannot_be_used_warns_once_and_the_run_completes() {
    let dir = tempfile::tempdir().unwrap();
    // The database's path is a directory.
    std::fs::create_dir_all(dir.path().join(".memo-cache/v4/cache.db")).unwrap();
    write(dir.path(), "app.memo", "cached fn f(x) { x * 2 }\nlet t = 0\nfor i in 0..50 { t += f(i) }\nprint(t)\n");
    let r = memo(dir.path(), &["run", "app.memo"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "2450\n"), "{}", r.stderr);
    assert_eq!(r.stderr.matches("warning:").count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("cannot use cache directory"), "{}", r.stderr);
}

/// Runs `memo run` and kills it (SIGKILL) after `ms` milliseconds.
/// The cache directory is marked for backup tools (CACHEDIR.TAG, with the
/// signature the spec gives), and a tag the user edited is left alone.
#[test]
fn the_cache_directory_is_tagged_for_backup_tools() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.memo", "cached fn f(x) { x * 2 }\nprint(f(1))\n");
    assert_eq!(memo(dir.path(), &["run", "app.memo"]).stdout, "2\n");
    let tag = dir.path().join(".memo-cache/CACHEDIR.TAG");
    let text = std::fs::read_to_string(&tag).unwrap();
    assert!(text.starts_with("Signature: 8a477f597d28d172789f06886806bc55\n"), "{text}");
    std::fs::write(&tag, "Signature: 8a477f597d28d172789f06886806bc55\n# mine\n").unwrap();
    assert_eq!(memo(dir.path(), &["run", "app.memo"]).stdout, "2\n");
    assert_eq!(std::fs::read_to_string(&tag).unwrap(), "Signature: 8a477f597d28d172789f06886806bc55\n# mine\n");
}

/// A database file that is not a database (a crash, a disk error, a
/// stray copy) is a cache lost: the run starts a new one without a
/// warning, and the next run hits what it stored.
#[test]
fn a_damaged_database_is_started_anew() {
    let dir = tempfile::tempdir().unwrap();
    let v = dir.path().join(".memo-cache/v4");
    std::fs::create_dir_all(&v).unwrap();
    std::fs::write(v.join("cache.db"), vec![0x5a; 8192]).unwrap();
    write(dir.path(), "app.memo", "cached(suppress_warning: true) fn f(x) { print(\"computed\"); x * 2 }\nprint(f(1))\n");
    let r = memo(dir.path(), &["run", "app.memo"]);
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (0, "computed\n2\n", ""));
    let r = memo(dir.path(), &["run", "app.memo"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "2\n"), "{}", r.stderr);
}

/// A database another process holds locked when a run starts (here for
/// half a second) is waited for, not given up: the run then hits what an
/// earlier run stored, with no warning.
#[test]
fn a_locked_database_is_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.memo", "cached(suppress_warning: true) fn f(x) { print(\"computed\"); x * 2 }\nprint(f(21))\n");
    assert_eq!(memo(dir.path(), &["run", "app.memo"]).stdout, "computed\n42\n");
    let d = db(&dir.path().join(".memo-cache"));
    d.pragma_update(None, "locking_mode", "EXCLUSIVE").unwrap();
    d.execute_batch("BEGIN EXCLUSIVE; UPDATE totals SET bytes = bytes WHERE id = 0;").unwrap();
    let child = spawn(dir.path(), &["run", "app.memo"], &[]);
    std::thread::sleep(Duration::from_millis(500));
    d.execute_batch("COMMIT").unwrap();
    drop(d);
    let r = finish(child);
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (0, "42\n", ""));
}

/// A database that cannot be used for another reason than damage (here:
/// another schema, as a newer memo would write) is not deleted: the run
/// warns and computes, and the database keeps its schema and its entries.
#[test]
fn a_database_of_another_schema_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.memo", "cached(suppress_warning: true) fn f(x) { print(\"computed\"); x * 2 }\nprint(f(1))\n");
    assert_eq!(memo(dir.path(), &["run", "app.memo"]).stdout, "computed\n2\n");
    let cache = dir.path().join(".memo-cache");
    db(&cache).pragma_update(None, "user_version", 99).unwrap();
    let r = memo(dir.path(), &["run", "app.memo"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "computed\n2\n"), "{}", r.stderr);
    assert!(r.stderr.contains("warning: cannot use cache directory") && r.stderr.contains("schema 99"), "{}", r.stderr);
    let d = db(&cache);
    assert_eq!(d.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0)).unwrap(), 99);
    assert_eq!(count(&d, "SELECT count(*) FROM entries"), 1);
}

/// A script calling `f(x)`, a cached fn that keeps one entry and says
/// when it computes.
fn max_one_app(x: i64) -> String {
    format!("cached(max_entries: 1, suppress_warning: true) fn f(x) {{ print(\"computed\", x); x * 2 }}\nprint(f({x}))\n")
}

/// `max_entries: 1` in the local tier keeps the newest entry and removes
/// only the one before it, recording why, also when the older one was
/// stored by an earlier run (the process's memory does not know it: the
/// tier's own bound removes it).
#[test]
fn max_entries_of_one_keeps_the_newest_entry_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.memo", &max_one_app(1));
    assert_eq!(memo(dir.path(), &["run", "app.memo"]).stdout, "computed 1\n2\n");
    write(dir.path(), "app.memo", &max_one_app(2));
    assert_eq!(memo(dir.path(), &["run", "app.memo"]).stdout, "computed 2\n4\n");
    let d = db(&dir.path().join(".memo-cache"));
    assert_eq!(count(&d, "SELECT count(*) FROM entries"), 1);
    assert_eq!(count(&d, "SELECT count(*) FROM removed WHERE reason = 1"), 1);
    assert_eq!(memo(dir.path(), &["run", "app.memo"]).stdout, "4\n", "f(2) was kept");
    write(dir.path(), "app.memo", &max_one_app(1));
    let r = memo(dir.path(), &["run", "--explain", "app.memo"]);
    assert!(r.stderr.contains("explain: miss f(1): evicted (max_entries)"), "{}", r.stderr);
}

fn run_and_kill(dir: &Path, ms: u64) {
    let mut c = cmd(dir, &["run", "app.memo"], &[]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(ms));
    let _ = c.kill();
    let _ = c.wait();
}

#[test]
fn killed_writers_leave_no_wrong_value_and_no_growing_leftovers() {
    let dir = tempfile::tempdir().unwrap();
    // 300 entries of ~20 KB; every value is checked against a recomputation.
    write(
        dir.path(),
        "app.memo",
        &(REP.to_string()
            + r#"
fn make(i) { str(i) + ":" + rep("abcdefghij", 2000 + i % 7) }
cached fn f(i) { make(i) }
let wrong = 0
for i in 0..300 {
    if f(i) != make(i) { wrong += 1 }
}
print("wrong", wrong)
"#),
    );
    let cache = dir.path().join(".memo-cache");
    let mut seed = 7u64;
    let mut sizes = Vec::new();
    for round in 0..16 {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        if round % 2 == 0 {
            // Forget the entries, so the killed run is storing again.
            assert_eq!(memo(dir.path(), &["cache", "clear", "f"]).code, 0);
        }
        run_and_kill(dir.path(), 20 + (seed >> 33) % 400);
        if round % 4 == 3 {
            // A whole run: every value right, whatever was killed before.
            let r = memo(dir.path(), &["run", "app.memo"]);
            assert_eq!(r.code, 0, "{}", r.stderr);
            assert_eq!(r.stdout, "wrong 0\n");
            sizes.push(dir_size(&cache));
        }
    }
    // Only the database's own files, and it is whole.
    let mut names: Vec<String> =
        std::fs::read_dir(cache.join("v4")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert!(names.iter().all(|n| n.starts_with("cache.db")), "{names:?}");
    let d = db(&cache);
    let ok: String = d.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
    assert_eq!(ok, "ok");
    assert_eq!(count(&d, "SELECT count(*) FROM entries"), 300);
    assert_eq!(count(&d, "SELECT count(*) FROM data"), 300);
    assert_eq!(count(&d, "SELECT bytes FROM totals"), count(&d, "SELECT sum(size) FROM entries"));
    // Once every entry is stored, more kills add nothing.
    let first = sizes[1];
    assert!(sizes.iter().skip(1).all(|s| *s <= first + first / 2), "the cache grew: {sizes:?}");
}

fn dir_size(p: &Path) -> u64 {
    let mut n = 0;
    for e in std::fs::read_dir(p).unwrap().flatten() {
        let m = e.metadata().unwrap();
        n += if m.is_dir() { dir_size(&e.path()) } else { m.len() };
    }
    n
}

// ----- Redis -----

/// A Redis server, its URL and a temporary directory for the machines'
/// cache directories and scripts; `None` where `Redis::start` skips.
fn redis_and_dir() -> Option<(Redis, String, tempfile::TempDir)> {
    let redis = Redis::start()?;
    let url = redis.url();
    Some((redis, url, tempfile::tempdir().unwrap()))
}

/// A `redis-server` of this test's own, on a free loopback port.
struct Redis {
    child: Child,
    port: u16,
}

impl Redis {
    /// Starts one; `None` (after saying why) when `redis-server` is not
    /// installed, outside CI. Under CI a missing server fails the test.
    fn start() -> Option<Redis> {
        let found = Command::new("redis-server").arg("--version").stdout(Stdio::null()).status().is_ok();
        if !found {
            let msg = "redis-server not found: install it (apt-get install redis-server) to run this test";
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("{msg} (CI=true: .ci/run installs it)");
            }
            eprintln!("SKIPPED: {msg}");
            return None;
        }
        for _ in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let mut r = Redis { child: Redis::server(port), port };
            let t0 = Instant::now();
            while t0.elapsed() < Duration::from_secs(5) {
                if r.ping() {
                    return Some(r);
                }
                if let Ok(Some(_)) = r.child.try_wait() {
                    break; // the port was taken meanwhile: try another
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("redis-server did not start");
    }

    /// A server on loopback `port`, keeping nothing on disk.
    fn server(port: u16) -> Child {
        Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts")
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    fn ping(&self) -> bool {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else { return false };
        let _ = s.set_read_timeout(Some(Duration::from_secs(1)));
        let mut buf = [0u8; 7];
        s.write_all(b"PING\r\n").is_ok() && s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
    }

    fn client(&self) -> redis::Connection {
        redis::Client::open(self.url()).unwrap().get_connection().unwrap()
    }

    fn entry_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = redis::cmd("KEYS").arg("memo:v4:e:*").query(&mut self.client()).unwrap();
        keys.sort();
        keys
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// A new, empty server on the same port (after `kill`).
    fn restart(&mut self) {
        self.kill();
        self.child = Redis::server(self.port);
        let t0 = Instant::now();
        while !self.ping() {
            assert!(t0.elapsed() < Duration::from_secs(10), "redis-server did not come back on port {}", self.port);
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
    }
}

const SHARED: &str = r#"
cached(suppress_warning: true) fn area(w, h) { print("computed", w, h); w * h }
print(area(6, 7))
"#;

#[test]
fn machines_share_entries_through_redis() {
    let Some((redis, url, work)) = redis_and_dir() else { return };
    write(work.path(), "app.memo", SHARED);
    // Three machines: three cache directories, one server.
    let run = |machine: &str| on_machine(work.path(), "app.memo", machine, &url, &["--explain"]);
    let a = run("a");
    assert_eq!((a.code, a.stdout.as_str()), (0, "computed 6 7\n42\n"), "{}", a.stderr);
    let b = run("b");
    assert_eq!((b.code, b.stdout.as_str()), (0, "42\n"), "machine b hits what a stored: {}", b.stderr);
    assert!(b.stderr.contains("explain: hit  area(6, 7)"), "{}", b.stderr);
    // b's local tier was filled: it hits with Redis gone.
    let c = memo_env(work.path(), &["run", "app.memo", "--cache-dir", "c"], &[("MEMO_CACHE_URL", &url)]);
    assert_eq!(c.stdout, "42\n", "MEMO_CACHE_URL works like --cache-url: {}", c.stderr);
    drop(redis);
    let b2 = memo(work.path(), &["run", "app.memo", "--cache-dir", "b"]);
    assert_eq!(b2.stdout, "42\n");
}

/// Network namespaces of this test's own (`ip netns`, as root): a server
/// host and two machines, each machine joined to the server by its own
/// veth link, with no route to the other link. Removed on drop.
struct Hosts {
    names: [String; 3],
}

impl Hosts {
    /// `None` (after saying why) where namespaces cannot be made: not
    /// root, or no `ip`; the loopback tests cover the same behaviour there.
    fn new() -> Option<Hosts> {
        let tag = format!("{}{}", std::process::id() % 100_000, Instant::now().elapsed().subsec_nanos() % 100);
        let names = [format!("memo{tag}s"), format!("memo{tag}a"), format!("memo{tag}b")];
        let ip = |args: &[&str]| Command::new("ip").args(args).stderr(Stdio::null()).status().is_ok_and(|s| s.success());
        if !ip(&["netns", "add", &names[0]]) {
            eprintln!("SKIPPED: cannot create network namespaces here (needs root and iproute2); loopback tests cover this");
            return None;
        }
        let hosts = Hosts { names };
        let [srv, a, b] = &hosts.names;
        let mut ok = ip(&["netns", "add", a]) && ip(&["netns", "add", b]);
        for (i, machine) in [a, b].into_iter().enumerate() {
            let (here, there) = (format!("v{tag}{i}m"), format!("v{tag}{i}s"));
            let net = format!("10.77.{}", i + 1);
            ok = ok
                && ip(&["link", "add", &here, "netns", machine, "type", "veth", "peer", "name", &there, "netns", srv])
                && ip(&["-n", machine, "addr", "add", &format!("{net}.2/24"), "dev", &here])
                && ip(&["-n", srv, "addr", "add", &format!("{net}.1/24"), "dev", &there])
                && ip(&["-n", machine, "link", "set", &here, "up"])
                && ip(&["-n", srv, "link", "set", &there, "up"])
                && ip(&["-n", machine, "link", "set", "lo", "up"]);
        }
        ok = ok && ip(&["-n", srv, "link", "set", "lo", "up"]);
        assert!(ok, "setting up the namespaces failed");
        Some(hosts)
    }

    /// A command run on host `i` (0: the server, 1 and 2: the machines).
    fn on(&self, i: usize, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.names[i], program]);
        c
    }
}

impl Drop for Hosts {
    fn drop(&mut self) {
        for n in &self.names {
            let _ = Command::new("ip").args(["netns", "del", n]).stderr(Stdio::null()).status();
        }
    }
}

/// Two machines that reach one Redis host over their own network links
/// (network namespaces joined by veth, as separate hosts): the second hits
/// what the first stored, and a machine whose Redis is not reachable
/// computes, with a warning, instead of failing.
#[test]
fn machines_on_separate_hosts_share_entries_through_redis() {
    if Redis::start().is_none() {
        return;
    }
    let Some(hosts) = Hosts::new() else { return };
    let mut server = hosts
        .on(0, "redis-server")
        .args(["--port", "6379", "--bind", "0.0.0.0", "--protected-mode", "no", "--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server starts");
    struct Kill<'a>(&'a mut Child);
    impl Drop for Kill<'_> {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _server = Kill(&mut server);
    let work = tempfile::tempdir().unwrap();
    write(work.path(), "app.memo", SHARED);
    let run = |machine: usize, url: &str| {
        let mut c = hosts.on(machine, env!("CARGO_BIN_EXE_memo"));
        c.args(["run", "app.memo", "--cache-dir", &format!("m{machine}"), "--cache-url", url, "--explain"]);
        outcome(without_cache_env(&mut c, work.path()).output().expect("memo runs"))
    };
    // Wait for the server, as machine 1 sees it.
    let t0 = Instant::now();
    while !hosts.on(1, "redis-cli").args(["-h", "10.77.1.1", "ping"]).output().is_ok_and(|o| o.stdout.starts_with(b"PONG")) {
        assert!(t0.elapsed() < Duration::from_secs(10), "redis-server did not start in its namespace");
        std::thread::sleep(Duration::from_millis(20));
    }
    let a = run(1, "redis://10.77.1.1:6379/0");
    assert_eq!((a.code, a.stdout.as_str()), (0, "computed 6 7\n42\n"), "{}", a.stderr);
    let b = run(2, "redis://10.77.2.1:6379/0");
    assert_eq!((b.code, b.stdout.as_str()), (0, "42\n"), "machine 2 hits what machine 1 stored: {}", b.stderr);
    assert!(b.stderr.contains("explain: hit  area(6, 7)"), "{}", b.stderr);
    // They are separate hosts: machine 2 has no route to machine 1's link,
    // and no server on its own loopback. It computes, and says why.
    std::fs::remove_dir_all(work.path().join("m2")).unwrap();
    let far = run(2, "redis://10.77.1.1:6379/0");
    assert_eq!((far.code, far.stdout.as_str()), (0, "computed 6 7\n42\n"), "{}", far.stderr);
    assert!(
        far.stderr.contains("warning: cache tier redis redis://10.77.1.1:6379/0 failed (Network is unreachable"),
        "{}",
        far.stderr
    );
}

#[test]
fn cache_commands_work_on_the_redis_tier() {
    let Some((redis, url, work)) = redis_and_dir() else { return };
    write(work.path(), "app.memo", SHARED);
    write(
        work.path(),
        "two.memo",
        "cached(suppress_warning: true) fn twice(x) {\n  print(\"computing\", x)\n  x * 2\n}\nprint(twice(1), twice(2), twice(3))\n",
    );
    assert_eq!(on_machine(work.path(), "app.memo", "a", &url, &[]).stdout, "computed 6 7\n42\n");
    assert_eq!(on_machine(work.path(), "two.memo", "a", &url, &[]).stdout, "computing 1\ncomputing 2\ncomputing 3\n2 4 6\n");
    // Another machine hits what the server holds.
    assert_eq!(on_machine(work.path(), "two.memo", "c", &url, &[]).stdout, "2 4 6\n");
    let stats = memo(work.path(), &["cache", "stats", "--cache-url", &url]);
    assert_eq!(stats.code, 0, "{}", stats.stderr);
    let rows: Vec<Vec<&str>> = stats.stdout.lines().map(|l| l.split_whitespace().collect()).collect();
    assert!(rows[0].join(" ").starts_with("cache: redis redis://127.0.0.1:"), "{}", stats.stdout);
    assert!(rows.iter().any(|r| r[..2] == ["area", "1"]) && rows.iter().any(|r| r[..2] == ["twice", "3"]), "{}", stats.stdout);
    assert!(rows.iter().any(|r| r[..2] == ["total", "4"]), "{}", stats.stdout);
    let ls = memo(work.path(), &["cache", "ls", "twice", "--cache-url", &url]);
    assert!(ls.code == 0 && ls.stdout.ends_with("3 entries\n"), "{}{}", ls.stdout, ls.stderr);
    // Each used seconds ago (the sorted set's scores, read back).
    assert_eq!(ls.stdout.lines().filter(|l| l.matches(" s ago").count() == 2).count(), 3, "{}", ls.stdout);
    let typo = memo(work.path(), &["cache", "stats", "twcie", "--cache-url", &url]);
    assert!(typo.code == 1 && typo.stderr.contains("did you mean `twice`?"), "{}", typo.stderr);
    let clear = memo(work.path(), &["cache", "clear", "twice", "--cache-url", &url]);
    assert_eq!(clear.code, 0, "{}", clear.stderr);
    assert!(clear.stdout.starts_with("removed 3 entries of `twice` from redis "), "{}", clear.stdout);
    // Gone from the server: a machine with a new directory computes again,
    // while `area` still hits.
    let b = on_machine(work.path(), "two.memo", "b", &url, &[]);
    assert_eq!(b.stdout, "computing 1\ncomputing 2\ncomputing 3\n2 4 6\n");
    let all = memo(work.path(), &["cache", "clear", "--cache-url", &url]);
    assert!(all.stdout.starts_with("removed 4 entries from redis "), "{}", all.stdout);
    // A server that is not there: an error naming it, exit 1.
    drop(redis);
    let down = memo(work.path(), &["cache", "stats", "--cache-url", &url]);
    assert_eq!(down.code, 1);
    assert!(down.stderr.starts_with("error: cache at redis redis://127.0.0.1:"), "{}", down.stderr);
}

#[test]
fn redis_down_before_a_run_warns_once_and_local_tiers_serve() {
    let Some(mut redis) = Redis::start() else { return };
    let url = redis.url();
    redis.kill();
    let work = tempfile::tempdir().unwrap();
    write(work.path(), "app.memo", "cached fn f(x) { x * 3 }\nlet t = 0\nfor i in 0..20 { t += f(i) }\nprint(t)\n");
    for expect_hits in [false, true] {
        let r = memo(work.path(), &["run", "app.memo", "--cache-url", &url, "--stats"]);
        assert_eq!((r.code, r.stdout.as_str()), (0, "570\n"), "{}", r.stderr);
        let warnings: Vec<&str> = r.stderr.lines().filter(|l| l.starts_with("warning:")).collect();
        if expect_hits {
            // Every call hits the local tier: Redis is never asked.
            assert!(warnings.len() <= 1, "{}", r.stderr);
        } else {
            assert_eq!(warnings.len(), 1, "{}", r.stderr);
            assert!(warnings[0].contains("redis redis://127.0.0.1") && warnings[0].contains("failed"), "{}", warnings[0]);
        }
        let hits_line = r.stderr.lines().find(|l| l.starts_with("f ")).unwrap_or_default().to_string();
        let hits: u64 = hits_line.split_whitespace().nth(1).unwrap_or("0").parse().unwrap_or(0);
        assert_eq!(hits == 20, expect_hits, "the local tier serves the second run: {}", r.stderr);
    }
}

#[test]
fn redis_killed_during_a_run_warns_once_and_the_run_completes() {
    let Some(mut redis) = Redis::start() else { return };
    let url = redis.url();
    let work = tempfile::tempdir().unwrap();
    write(work.path(), "app.memo", "cached fn f(x) { sleep(0.02); x * 3 }\nlet t = 0\nfor i in 0..60 { t += f(i) }\nprint(t)\n");
    let child = spawn(work.path(), &["run", "app.memo", "--cache-url", &url], &[]);
    std::thread::sleep(Duration::from_millis(400));
    assert!(!redis.entry_keys().is_empty(), "the run writes to Redis before it goes away");
    redis.kill();
    let r = finish(child);
    assert_eq!((r.code, r.stdout.as_str()), (0, "5310\n"), "{}", r.stderr);
    assert_eq!(r.stderr.matches("warning:").count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("failed"), "{}", r.stderr);
    // The local tier has every entry.
    let r = memo(work.path(), &["run", "app.memo", "--explain"]);
    assert_eq!(r.stderr.matches("explain: hit").count(), 60, "{}", r.stderr);
}

#[test]
fn a_redis_that_comes_back_is_used_again() {
    // An embedding program keeps one cache for hours: an outage of the
    // server must not cost it the shared tier for good.
    let Some(mut redis) = Redis::start() else { return };
    let config = memo::CacheConfig { url: Some(redis.url()), ..Default::default() };
    let errors = memo::OutputBuffer::new();
    let mut engine = memo::Engine::builder().cache_config(config).error_output(errors.clone()).build();
    let mut call = |x: i64| {
        let v: i64 = engine.eval(&format!("cached fn double(x) {{ x * 2 }}\ndouble({x})")).unwrap();
        engine.cache().flush();
        v
    };
    assert_eq!(call(1), 2);
    assert_eq!(redis.entry_keys().len(), 1);
    redis.kill();
    assert_eq!(call(2), 4, "a run without its server goes on");
    let e = errors.take();
    assert!(e.contains("warning: cache tier redis") && e.contains("failed"), "{e}");
    redis.restart();
    // The tier is tried again a second after it failed (tiers::RETRY_FIRST).
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(call(3), 6);
    assert_eq!(redis.entry_keys().len(), 1, "double(3) reached the server that came back");
    let e = errors.take();
    assert!(e.contains("note: cache tier redis") && e.contains("works again"), "{e}");
    assert!(!e.contains("warning"), "{e}");
}

#[test]
fn poisoned_redis_entries_are_misses_reported_by_explain() {
    let Some((redis, url, work)) = redis_and_dir() else { return };
    write(work.path(), "app.memo", SHARED);
    let secret = |s: &'static str| [("MEMO_CACHE_SECRET", s)];
    let run = |machine: &str, env: &[(&str, &str)]| {
        memo_env(work.path(), &["run", "app.memo", "--cache-dir", machine, "--cache-url", &url, "--explain"], env)
    };
    let a = run("a", &secret("one"));
    assert_eq!(a.stdout, "computed 6 7\n42\n", "{}", a.stderr);
    // Same secret: a hit. Another secret (or none): refused, recomputed.
    assert_eq!(run("b", &secret("one")).stdout, "42\n");
    let c = run("c", &secret("two"));
    assert_eq!(c.stdout, "computed 6 7\n42\n", "{}", c.stderr);
    assert!(c.stderr.contains("MAC mismatch"), "{}", c.stderr);
    let d = run("d", &[]);
    assert_eq!(d.stdout, "computed 6 7\n42\n", "{}", d.stderr);
    assert!(d.stderr.contains("unreadable"), "{}", d.stderr);
    // Garbage and a valid entry of another key under this key: refused.
    let keys = redis.entry_keys();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let mut con = redis.client();
    redis::cmd("SET").arg(&keys[0]).arg(b"MEMOCACH\x03\x00\x00\x00garbage".as_slice()).query::<()>(&mut con).unwrap();
    let e = run("e", &[]);
    assert_eq!(e.stdout, "computed 6 7\n42\n", "{}", e.stderr);
    assert!(e.stderr.contains("explain: miss area(6, 7): cache entry was unreadable (redis"), "{}", e.stderr);
    write(work.path(), "other.memo", &SHARED.replace("area(6, 7)", "area(2, 3)"));
    on_machine(work.path(), "other.memo", "x", &url, &[]);
    let keys = redis.entry_keys();
    let (k1, k2) = (&keys[0], &keys[1]);
    let v: Vec<u8> = redis::cmd("GET").arg(k1).query(&mut con).unwrap();
    redis::cmd("SET").arg(k2).arg(v).query::<()>(&mut con).unwrap();
    let f1 = run("f", &[]);
    let f2 = on_machine(work.path(), "other.memo", "f", &url, &["--explain"]);
    let computed = f1.stdout.matches("computed").count() + f2.stdout.matches("computed").count();
    assert_eq!(
        computed, 1,
        "one of the two keys holds the other's entry:\n{}{}\n{}{}",
        f1.stdout, f1.stderr, f2.stdout, f2.stderr
    );
    assert!(f1.stdout.ends_with("42\n") && f2.stdout.ends_with("6\n"), "never the other key's value");
    assert!(format!("{}{}", f1.stderr, f2.stderr).contains("belongs to another key"));
}

#[test]
fn machines_missing_the_same_key_through_redis_run_the_body_once() {
    let Some((redis, url, work)) = redis_and_dir() else { return };
    write(work.path(), "app.memo", SLOW);
    let a = spawn(work.path(), &["run", "app.memo", "--cache-dir", "a", "--cache-url", &url], &[]);
    let b = spawn(work.path(), &["run", "app.memo", "--cache-dir", "b", "--cache-url", &url], &[]);
    let c = spawn(work.path(), &["run", "app.memo", "--cache-dir", "c", "--cache-url", &url], &[]);
    let runs = [finish(a), finish(b), finish(c)];
    for r in &runs {
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.ends_with("result 42\n"), "{}", r.stdout);
    }
    let computed: usize = runs.iter().map(|r| r.stdout.matches("computing").count()).sum();
    assert_eq!(computed, 1, "the body ran {computed} times");
    let leases: Vec<String> = redis::cmd("KEYS").arg("memo:v4:lease:*").query(&mut redis.client()).unwrap();
    assert!(leases.is_empty(), "{leases:?}");
}

/// An entry Redis drops for `max_entries` leaves its reason there for 30
/// days (so that any machine's `--explain` says "evicted"), and the reason
/// is what a later run on another machine reports.
#[test]
fn redis_keeps_a_removal_reason_for_thirty_days() {
    let Some((redis, url, work)) = redis_and_dir() else { return };
    write(work.path(), "app.memo", "cached(max_entries: 1) fn f(x) { x * 2 }\nprint(f(1), f(2))\n");
    let r = on_machine(work.path(), "app.memo", "a", &url, &[]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "2 4\n"), "{}", r.stderr);
    let mut c = redis.client();
    let rm: Vec<String> = redis::cmd("KEYS").arg("memo:v4:rm:*").query(&mut c).unwrap();
    assert_eq!(rm.len(), 1, "{rm:?}");
    let ttl: i64 = redis::cmd("PTTL").arg(&rm[0]).query(&mut c).unwrap();
    let days = 24 * 3600 * 1000;
    assert!(ttl > 30 * days - 60_000 && ttl <= 30 * days, "{ttl} ms");
    write(work.path(), "app.memo", "cached(max_entries: 1) fn f(x) { x * 2 }\nprint(f(1))\n");
    let r = on_machine(work.path(), "app.memo", "b", &url, &["--explain"]);
    assert!(r.stderr.contains("explain: miss f(1): evicted (max_entries)"), "{}", r.stderr);
}

/// `max_entries` holds in Redis across machines: a machine that stores
/// a function's second entry (knowing nothing of the first, stored by
/// another machine) makes Redis drop the older one, and only that one.
#[test]
fn redis_applies_max_entries_across_machines() {
    let Some((redis, url, work)) = redis_and_dir() else { return };
    let run = |machine: &str, x: i64| {
        write(work.path(), "app.memo", &max_one_app(x));
        on_machine(work.path(), "app.memo", machine, &url, &["--explain"])
    };
    assert_eq!(run("a", 1).stdout, "computed 1\n2\n");
    assert_eq!(run("b", 2).stdout, "computed 2\n4\n");
    let members: Vec<String> = redis::cmd("ZRANGE").arg("memo:v4:fn:f").arg(0).arg(-1).query(&mut redis.client()).unwrap();
    assert_eq!(members.len(), 1, "{members:?}");
    assert_eq!(redis.entry_keys().len(), 1);
    assert_eq!(run("c", 2).stdout, "4\n", "the newer entry is kept");
    let d = run("d", 1);
    assert_eq!(d.stdout, "computed 1\n2\n");
    assert!(d.stderr.contains("explain: miss f(1): evicted (max_entries)"), "{}", d.stderr);
}

/// A machine with nothing of a function in its own directory explains a
/// miss against the function's most recently used entry in Redis.
#[test]
fn explain_compares_with_the_latest_entry_in_redis() {
    let Some((_redis, url, work)) = redis_and_dir() else { return };
    write(work.path(), "app.memo", "cached fn f(x) { x * 2 }\nprint(f(1), f(3), f(5))\n");
    assert_eq!(on_machine(work.path(), "app.memo", "a", &url, &[]).stdout, "2 6 10\n");
    write(work.path(), "app.memo", "cached fn f(x) { x * 2 }\nprint(f(2))\n");
    let r = on_machine(work.path(), "app.memo", "b", &url, &["--explain"]);
    assert_eq!(r.stdout, "4\n");
    assert!(r.stderr.contains("explain: miss f(2): argument `x` changed: 5 → 2"), "{}", r.stderr);
}

/// A lease is the owner's until released or expired: claiming it again
/// (a retry) grants it again and renews it; another owner is told who
/// holds it; once released, another owner gets it.
#[test]
fn a_redis_lease_is_granted_again_to_its_owner() {
    use memo::cache::redis_tier::RedisTier;
    use memo::cache::tier::{Lease, Tier};
    let Some(redis) = Redis::start() else { return };
    let mut t = RedisTier::open(&redis.url(), 1 << 20).unwrap();
    let key = [7u8; 32];
    let ttl = Duration::from_secs(30);
    assert!(matches!(t.claim(&key, "p1@h#1", ttl).unwrap(), Some(Lease::Granted)));
    assert!(matches!(t.claim(&key, "p1@h#1", ttl).unwrap(), Some(Lease::Granted)), "the owner again");
    match t.claim(&key, "p2@h#1", ttl).unwrap() {
        Some(Lease::Held(owner)) => assert_eq!(owner, "p1@h#1"),
        _ => panic!("another owner must wait"),
    }
    t.release(&key, "p1@h#1", false).unwrap();
    assert!(matches!(t.claim(&key, "p2@h#1", ttl).unwrap(), Some(Lease::Granted)));
}

/// An empty `MEMO_CACHE_URL` or `MEMO_CACHE_SECRET` is as if unset (a
/// shell's `export MEMO_CACHE_URL=` turns the remote tier off): no
/// warning, entries stored and read as usual.
#[test]
fn empty_cache_variables_count_as_unset() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.memo", SHARED);
    let env = [("MEMO_CACHE_URL", ""), ("MEMO_CACHE_SECRET", "")];
    let r = memo_env(dir.path(), &["run", "app.memo"], &env);
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (0, "computed 6 7\n42\n", ""));
    let r = memo_env(dir.path(), &["run", "app.memo"], &env);
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (0, "42\n", ""));
    // An entry written without a secret is read without one.
    assert_eq!(memo(dir.path(), &["run", "app.memo"]).stdout, "42\n");
}

/// A Redis server on a Unix socket (`redis+unix:///path`), as on a
/// machine whose server listens on no port: entries are shared as over
/// TCP.
#[test]
fn machines_share_entries_through_a_redis_unix_socket() {
    if Redis::start().is_none() {
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let sock = work.path().join("redis.sock");
    let mut server = Command::new("redis-server")
        .args(["--port", "0", "--unixsocket"])
        .arg(&sock)
        .args(["--unixsocketperm", "700", "--save", "", "--appendonly", "no"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("redis-server starts");
    let t0 = Instant::now();
    while !sock.exists() {
        assert!(t0.elapsed() < Duration::from_secs(10), "redis-server made no socket");
        std::thread::sleep(Duration::from_millis(20));
    }
    let url = format!("redis+unix://{}", sock.display());
    write(work.path(), "app.memo", SHARED);
    let a = on_machine(work.path(), "app.memo", "a", &url, &[]);
    let b = on_machine(work.path(), "app.memo", "b", &url, &["--explain"]);
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!((a.code, a.stdout.as_str()), (0, "computed 6 7\n42\n"), "{}", a.stderr);
    assert_eq!((b.code, b.stdout.as_str()), (0, "42\n"), "{}", b.stderr);
    assert!(b.stderr.contains("explain: hit  area(6, 7)"), "{}", b.stderr);
}

/// Redis orders a function's entries by their last use (Unix ms, the
/// sorted set's score): a store sets it to now, and a hit from another
/// machine moves it forward, so `max_entries` evicts the least recently
/// used across machines.
#[test]
fn redis_scores_entries_by_their_last_use() {
    let Some((redis, url, work)) = redis_and_dir() else { return };
    write(work.path(), "app.memo", SHARED);
    let now = || SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64;
    let score = || -> i64 {
        let mut c = redis.client();
        let keys: Vec<String> = redis::cmd("ZRANGE").arg("memo:v4:fn:area").arg(0).arg(-1).query(&mut c).unwrap();
        assert_eq!(keys.len(), 1, "{keys:?}");
        redis::cmd("ZSCORE").arg("memo:v4:fn:area").arg(&keys[0]).query(&mut c).unwrap()
    };
    let before = now();
    assert_eq!(on_machine(work.path(), "app.memo", "a", &url, &[]).stdout, "computed 6 7\n42\n");
    let stored = score();
    assert!(stored >= before && stored <= now(), "{before} <= {stored} <= now");
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(on_machine(work.path(), "app.memo", "b", &url, &[]).stdout, "42\n");
    let used = score();
    assert!(used >= stored + 20 && used <= now(), "{stored} + 20 <= {used} <= now");
}

/// Machines computing different keys through one Redis do not wait for
/// each other: each key has its own lease. Each body announces that it
/// started and waits (up to 10 s) for the other's announcement; with one
/// lease for both, the second would not start until the first ended.
#[test]
fn machines_computing_different_keys_through_redis_do_not_wait_for_each_other() {
    let Some((_redis, url, work)) = redis_and_dir() else { return };
    write(
        work.path(),
        "app.memo",
        r#"
cached(suppress_warning: true) fn work(me, other) {
  write_file(me + ".started", "1")
  let tries = 0
  while not exists(other + ".started") and tries < 500 {
    sleep(0.02)
    tries += 1
  }
  if exists(other + ".started") { "together" } else { "alone" }
}
print(work(param("me", "a"), param("other", "b")))
"#,
    );
    let a = spawn(
        work.path(),
        &["run", "app.memo", "--cache-dir", "a", "--cache-url", &url, "--set", "me=a", "--set", "other=b"],
        &[],
    );
    let b = spawn(
        work.path(),
        &["run", "app.memo", "--cache-dir", "b", "--cache-url", &url, "--set", "me=b", "--set", "other=a"],
        &[],
    );
    for r in [finish(a), finish(b)] {
        assert_eq!((r.code, r.stdout.as_str()), (0, "together\n"), "{}", r.stderr);
    }
}

#[test]
fn entries_over_the_size_limit_stay_local() {
    let Some((redis, url, work)) = redis_and_dir() else { return };
    write(
        work.path(),
        "app.memo",
        &format!("{REP}cached fn small() {{ print(\"small\"); 1 }}\ncached fn big() {{ print(\"big\"); rep(\"x\", 100000) }}\nsmall()\nbig()\n"),
    );
    let args = |m: &'static str| ["run", "app.memo", "--cache-dir", m, "--cache-url", &url, "--cache-url-max-entry", "10000"];
    assert_eq!(memo(work.path(), &args("a")).stdout, "small\nbig\n");
    assert_eq!(redis.entry_keys().len(), 1, "only the small entry went to Redis");
    assert_eq!(memo(work.path(), &args("a")).stdout, "", "both hit locally");
    assert_eq!(memo(work.path(), &args("b")).stdout, "big\n", "another machine gets the small one from Redis");
}

#[test]
fn engines_open_tiers_like_the_cli() {
    let Some(redis) = Redis::start() else { return };
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let mut results = Vec::new();
    for d in &dirs {
        let config = memo::CacheConfig { dir: Some(d.path().to_path_buf()), url: Some(redis.url()), ..Default::default() };
        let mut engine = memo::Engine::builder().cache_config(config).build();
        let v: i64 = engine.eval("cached fn cube(x) { x * x * x }\ncube(3) + cube(4)").unwrap();
        let info = engine.cache_info("cube").unwrap();
        engine.cache().flush();
        results.push((v, info.hits, info.misses));
    }
    assert_eq!(results, vec![(91, 0, 2), (91, 2, 0)]);
}
