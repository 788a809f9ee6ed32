//! Cache behaviour across separate `memo run` processes sharing one cache
//! directory: the st.cache guide's examples 1–5 as runs and edits, `--explain`
//! across runs, damaged entries, concurrent processes, `memo cache`.
//! Everything is checked through what the scripts print on a miss, what
//! `--explain` says, and exit codes — never timings.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn memo(dir: &Path, args: &[&str]) -> Run {
    let out: Output = Command::new(env!("CARGO_BIN_EXE_memo"))
        .args(args)
        .current_dir(dir)
        .env_remove("MEMO_CACHE_DIR")
        .output()
        .expect("memo runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const EXPENSIVE: &str = r#"
cached(suppress_warning: true)
fn expensive_computation(a, b) {
    print("Cache miss: expensive_computation(", a, ",", b, ") ran")
    a * b BODY
}
let a = 2
let b = param("b", 21)
print("Result:", expensive_computation(a, b))
"#;

fn script(body_suffix: &str) -> String {
    EXPENSIVE.replace("BODY", body_suffix)
}

#[test]
fn second_run_hits_what_the_first_stored() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.memo", &script(""));
    let r1 = memo(dir.path(), &["run", "app.memo"]);
    assert_eq!(r1.code, 0, "{}", r1.stderr);
    assert_eq!(r1.stdout, "Cache miss: expensive_computation( 2 , 21 ) ran\nResult: 42\n");
    assert!(dir.path().join(".memo-cache").is_dir(), "the default cache lives beside the script");
    let r2 = memo(dir.path(), &["run", "app.memo"]);
    assert_eq!(r2.stdout, "Result: 42\n", "second run is a hit");
}

#[test]
fn body_edit_misses_and_changing_back_hits() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.memo", &script(""));
    memo(dir.path(), &["run", "app.memo"]);
    write(dir.path(), "app.memo", &script("+ 1"));
    let r = memo(dir.path(), &["run", "app.memo", "--explain"]);
    assert_eq!(r.stdout, "Cache miss: expensive_computation( 2 , 21 ) ran\nResult: 43\n");
    assert!(r.stderr.contains("code of `expensive_computation` changed"), "{}", r.stderr);
    // Back to the original body: the first run's entry is still there.
    write(dir.path(), "app.memo", &script(""));
    let r = memo(dir.path(), &["run", "app.memo"]);
    assert_eq!(r.stdout, "Result: 42\n");
    // Reformatting does not change the code hash.
    write(dir.path(), "app.memo", &script("").replace("a * b", "a  *  b   // same code"));
    let r = memo(dir.path(), &["run", "app.memo"]);
    assert_eq!(r.stdout, "Result: 42\n");
}

#[test]
fn argument_change_is_explained_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.memo", &script(""));
    let r = memo(dir.path(), &["run", "app.memo", "--explain"]);
    assert!(r.stderr.contains("explain: miss expensive_computation(2, 21): first call"), "{}", r.stderr);
    let r = memo(dir.path(), &["run", "app.memo", "--explain", "--set", "b=210"]);
    assert_eq!(r.stdout, "Cache miss: expensive_computation( 2 , 210 ) ran\nResult: 420\n");
    assert!(r.stderr.contains("argument `b` changed: 21 → 210"), "{}", r.stderr);
    let r = memo(dir.path(), &["run", "app.memo", "--explain"]);
    assert_eq!(r.stdout, "Result: 42\n");
    assert!(r.stderr.contains("explain: hit  expensive_computation(2, 21)"), "{}", r.stderr);
}

#[test]
fn inner_function_edit_invalidates_the_outer_cached_fn() {
    let dir = tempfile::tempdir().unwrap();
    let src = |op: &str| {
        format!(
            "fn inner_func(a, b) {{ a {op} b }}\n\
             cached(suppress_warning: true) fn expensive_computation(a, b) {{ print(\"miss\"); inner_func(a, b) + 1 }}\n\
             print(expensive_computation(2, 21))\n"
        )
    };
    write(dir.path(), "app.memo", &src("*"));
    assert_eq!(memo(dir.path(), &["run", "app.memo"]).stdout, "miss\n43\n");
    assert_eq!(memo(dir.path(), &["run", "app.memo"]).stdout, "43\n");
    write(dir.path(), "app.memo", &src("**"));
    let r = memo(dir.path(), &["run", "app.memo", "--explain"]);
    assert_eq!(r.stdout, "miss\n2097153\n");
    assert!(r.stderr.contains("code of `inner_func` changed"), "{}", r.stderr);
}

#[test]
fn two_users_share_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.memo", &script(""));
    let user1 = memo(dir.path(), &["run", "app.memo", "--set", "b=9"]);
    assert_eq!(user1.stdout, "Cache miss: expensive_computation( 2 , 9 ) ran\nResult: 18\n");
    let user2 = memo(dir.path(), &["run", "app.memo", "--set", "b=9"]);
    assert_eq!(user2.stdout, "Result: 18\n", "another user's run hits");
    let user3 = memo(dir.path(), &["run", "app.memo", "--set", "b=4"]);
    assert_eq!(user3.stdout, "Cache miss: expensive_computation( 2 , 4 ) ran\nResult: 8\n");
}

#[test]
fn cache_dir_flag_env_and_no_disk_cache() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.memo", &script(""));
    let custom = dir.path().join("custom");
    let c = custom.to_str().unwrap();
    memo(dir.path(), &["run", "app.memo", "--cache-dir", c]);
    assert!(custom.is_dir());
    assert_eq!(memo(dir.path(), &["run", "app.memo", "--cache-dir", c]).stdout, "Result: 42\n");
    // --no-disk-cache neither reads nor writes the directory.
    let r = memo(dir.path(), &["run", "app.memo", "--no-disk-cache"]);
    assert!(r.stdout.starts_with("Cache miss"));
    assert!(!dir.path().join(".memo-cache").exists());
    // MEMO_CACHE_DIR
    let out = Command::new(env!("CARGO_BIN_EXE_memo"))
        .args(["run", "app.memo"])
        .current_dir(dir.path())
        .env("MEMO_CACHE_DIR", c)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Result: 42\n");
}

/// The cache directory's database (docs/cache-format.md).
fn db(cache: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(cache.join("v4").join("cache.db")).unwrap()
}

/// The ids of the stored entries.
fn entry_ids(cache: &Path) -> Vec<i64> {
    let c = db(cache);
    let mut st = c.prepare("SELECT id FROM entries ORDER BY id").unwrap();
    let ids = st.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    ids
}

fn entry_bytes(cache: &Path, id: i64) -> Vec<u8> {
    db(cache).query_row("SELECT bytes FROM data WHERE id = ?1", [id], |r| r.get(0)).unwrap()
}

fn set_entry_bytes(cache: &Path, id: i64, bytes: &[u8]) {
    db(cache).execute("UPDATE data SET bytes = ?2 WHERE id = ?1", rusqlite::params![id, bytes]).unwrap();
}

#[test]
fn damaged_entries_are_misses_and_get_replaced() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.memo", &script(""));
    memo(dir.path(), &["run", "app.memo"]);
    let cache = dir.path().join(".memo-cache");
    let ids = entry_ids(&cache);
    assert_eq!(ids.len(), 1);
    let good = entry_bytes(&cache, ids[0]);

    type Damage = Box<dyn Fn(&mut Vec<u8>)>;
    let damage: Vec<(&str, Damage)> = vec![
        ("truncated", Box::new(|b: &mut Vec<u8>| b.truncate(b.len() / 2))),
        ("flipped", Box::new(|b: &mut Vec<u8>| *b.last_mut().unwrap() ^= 0xff)),
        ("empty", Box::new(|b: &mut Vec<u8>| b.clear())),
        ("foreign version", Box::new(|b: &mut Vec<u8>| b[8] = 99)),
        ("garbage", Box::new(|b: &mut Vec<u8>| *b = b"not a cache entry at all".to_vec())),
    ];
    for (what, f) in damage {
        let mut bytes = good.clone();
        f(&mut bytes);
        let id = entry_ids(&cache)[0];
        set_entry_bytes(&cache, id, &bytes);
        let r = memo(dir.path(), &["run", "app.memo", "--explain"]);
        assert_eq!(r.code, 0, "{what}: {}", r.stderr);
        assert_eq!(r.stdout, "Cache miss: expensive_computation( 2 , 21 ) ran\nResult: 42\n", "{what}");
        assert!(r.stderr.contains("unreadable"), "{what}: {}", r.stderr);
        // Replaced: the next run hits again.
        let r = memo(dir.path(), &["run", "app.memo"]);
        assert_eq!(r.stdout, "Result: 42\n", "{what}: entry replaced");
    }
    // A deleted entry is a plain miss.
    db(&cache).execute("DELETE FROM entries", []).unwrap();
    let r = memo(dir.path(), &["run", "app.memo"]);
    assert_eq!(r.stdout, "Cache miss: expensive_computation( 2 , 21 ) ran\nResult: 42\n");
}

#[test]
fn concurrent_processes_get_correct_results_and_leave_a_valid_cache() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app.memo",
        "cached fn square(x) { sleep(0.01); x * x }\nlet t = 0\nfor i in 0..40 { t += square(i) }\nprint(t)\n",
    );
    let children: Vec<_> = (0..4)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_memo"))
                .args(["run", "app.memo"])
                .current_dir(dir.path())
                .env_remove("MEMO_CACHE_DIR")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(String::from_utf8_lossy(&out.stdout), "20540\n");
    }
    // The cache is complete and valid: a new run hits all 40 entries.
    let r = memo(dir.path(), &["run", "app.memo", "--explain"]);
    assert_eq!(r.stdout, "20540\n");
    assert_eq!(r.stderr.matches("explain: hit").count(), 40, "{}", r.stderr);
    assert_eq!(r.stderr.matches("explain: miss").count(), 0, "{}", r.stderr);
}

#[test]
fn max_entries_and_ttl_hold_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let src = |order: &str| {
        format!(
            "cached(max_entries: 2, suppress_warning: true) fn f(x) {{ print(\"miss\", x); x }}\nfor x in {order} {{ f(x) }}\n\
             cached(ttl: 0.2, suppress_warning: true) fn g(x) {{ print(\"miss g\", x); x }}\ng(1)\n"
        )
    };
    write(dir.path(), "one.memo", &src("[1, 2, 3]"));
    write(dir.path(), "two.memo", &src("[3, 2, 1]"));
    let r = memo(dir.path(), &["run", "one.memo"]);
    assert_eq!(r.stdout, "miss 1\nmiss 2\nmiss 3\nmiss g 1\n");
    std::thread::sleep(std::time::Duration::from_millis(300));
    // Only the two most recently used entries of f survived (2 and 3); g's expired.
    let r = memo(dir.path(), &["run", "two.memo", "--explain"]);
    assert_eq!(r.stdout, "miss 1\nmiss g 1\n", "{}", r.stderr);
    assert!(r.stderr.contains("explain: hit  f(3)"), "{}", r.stderr);
    assert!(r.stderr.contains("explain: miss g(1): expired (ttl 0.2s)"), "{}", r.stderr);
}

#[test]
fn cache_stats_and_clear() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.memo", "cached fn f(x) { x }\ncached fn g(x) { x }\nf(1)\nf(2)\ng(1)\n");
    memo(dir.path(), &["run", "app.memo"]);
    let r = memo(dir.path(), &["cache", "stats"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let line = |name: &str| r.stdout.lines().find(|l| l.starts_with(name)).unwrap_or_default().to_string();
    assert!(line("f ").split_whitespace().nth(1) == Some("2"), "{}", r.stdout);
    assert!(line("g ").split_whitespace().nth(1) == Some("1"), "{}", r.stdout);
    assert!(line("total").split_whitespace().nth(1) == Some("3"), "{}", r.stdout);
    let r = memo(dir.path(), &["cache", "clear", "f"]);
    assert!(r.stdout.contains("removed 2 entries of `f`"), "{}", r.stdout);
    let r = memo(dir.path(), &["cache", "stats"]);
    assert!(!r.stdout.lines().any(|l| l.starts_with("f ")), "{}", r.stdout);
    let r = memo(dir.path(), &["cache", "clear"]);
    assert!(r.stdout.contains("removed 1 entries"), "{}", r.stdout);
}

#[test]
fn values_of_every_persistable_type_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app.memo",
        "struct P { x, y }\n\
         cached(suppress_warning: true) fn all() { print(\"computed\"); [none, true, 42, 1.5, \"s\\n\", [1, [2]], {\"k\": {1: 2}}, 0..=3, P(1, \"a\"), int, P] }\n\
         print(all())\n",
    );
    let r1 = memo(dir.path(), &["run", "app.memo"]);
    let r2 = memo(dir.path(), &["run", "app.memo"]);
    assert_eq!(r1.stdout.strip_prefix("computed\n").unwrap(), r2.stdout);
    assert_eq!(r2.stdout, "[none, true, 42, 1.5, \"s\\n\", [1, [2]], {\"k\": {1: 2}}, 0..=3, P(x: 1, y: \"a\"), int, P]\n");
}

#[test]
fn fns_cells_and_persist_false_stay_in_memory() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "app.memo",
        "cached(suppress_warning: true) fn make() { print(\"made fn\"); fn(x) { x } }\nmake()\nmake()\n\
         cached(suppress_warning: true, allow_output_mutation: true) fn c() { print(\"made cell\"); cell(1) }\nc()\nc()\n\
         cached(suppress_warning: true, persist: false) fn p() { print(\"made p\"); 1 }\np()\np()\n\
         print(cache_info(make)[\"hits\"], cache_info(c)[\"hits\"], cache_info(p)[\"hits\"])\n",
    );
    // Within a run the second calls hit; a new run computes them again
    // (nothing of them reached the disk).
    let r = memo(dir.path(), &["run", "app.memo"]);
    assert_eq!(r.stdout, "made fn\nmade cell\nmade p\n1 1 1\n");
    let r = memo(dir.path(), &["run", "app.memo"]);
    assert_eq!(r.stdout, "made fn\nmade cell\nmade p\n1 1 1\n");
}

/// The spinner is for a terminal: with stderr piped, a miss slower than
/// the spinner's 0.5 s delay writes nothing but what the script does
/// (`tests/spinner.rs` checks the terminal side).
#[test]
fn no_spinner_when_stderr_is_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "slow.memo", "cached fn slow(n) {\n  sleep(0.8)\n  n * 2\n}\nprint(slow(21))\n");
    let r = memo(dir.path(), &["run", "--no-disk-cache", "slow.memo"]);
    assert_eq!((r.code, r.stdout.as_str(), r.stderr.as_str()), (0, "42\n", ""));
}

/// `persist: false` holds when an entry is stored again after a hit (the
/// hit of `a` whose callee `b` changed without changing its result stores
/// `a` with its facts as they hold now): the database never gets a row
/// for `a`, only for `b`. One engine runs the two versions, as a REPL
/// session re-running its script does.
#[test]
fn an_entry_stored_again_after_a_hit_keeps_persist_false() {
    use memo::{Cache, DiskStore, Engine, OutputBuffer};
    let dir = tempfile::tempdir().unwrap();
    let script = |b: &str| {
        format!(
            "cached fn b(x) {{ {b} }}\ncached(persist: false) fn a(x) {{\n  print(\"a runs\")\n  b(x) + 1\n}}\nprint(a(20))\n"
        )
    };
    let out = OutputBuffer::new();
    let cache = Cache::with_disk(DiskStore::open(dir.path(), 1 << 20).unwrap());
    let mut engine = Engine::builder().cache(cache).output(out.clone()).build();
    engine.run(&script("x * 2")).unwrap();
    assert_eq!(out.take(), "a runs\n41\n");
    // `b` changed, its result did not: `a` hits, and is stored again.
    engine.run(&script("x + x")).unwrap();
    assert_eq!(out.take(), "41\n");
    drop(engine);
    let c = db(dir.path());
    let mut st = c.prepare("SELECT fn FROM entries ORDER BY fn").unwrap();
    let fns: Vec<String> = st.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
    assert_eq!(fns, ["b", "b"], "one row per version of `b`, none for `a`");
}

/// Earlier results are verified one by one: `f`'s earlier result holding
/// (its param flipped back) says nothing about `g`'s, whose param took a
/// third value (each earlier result's verification is remembered under a
/// key of its own).
#[test]
fn earlier_results_of_two_fns_are_verified_apart() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "o.memo",
        "cached fn f() {\n  print(\"f runs\")\n  param(\"p\", 0) * 10\n}\ncached fn g() {\n  print(\"g runs\")\n  param(\"q\", 0) * 100\n}\nprint(f(), g())\n",
    );
    let run = |p: &str, q: &str| {
        let r = memo(dir.path(), &["run", "--set", &format!("p={p}"), "--set", &format!("q={q}"), "o.memo"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        r.stdout
    };
    assert_eq!(run("1", "1"), "f runs\ng runs\n10 100\n");
    assert_eq!(run("2", "2"), "f runs\ng runs\n20 200\n");
    // `f`'s earlier result (p = 1) holds again; `g`'s (q = 1) does not.
    assert_eq!(run("1", "3"), "g runs\n10 300\n");
    assert_eq!(run("2", "1"), "20 100\n");
}

/// A long list (written in parts, read back on several threads) comes back
/// from the disk as the very list the function made: equal to a fresh
/// computation, element by element and in order.
#[test]
fn a_long_list_comes_back_from_the_disk_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let app = r#"
fn make(n) {
  let rows = []
  for i in 0..n {
    let x = if i % 997 == 0 { [[i], "deep"] } else { i * 0.25 }
    rows = push(rows, {"id": i, "name": "user_" + str(i * 7919 % 10007), "cat": ["n", "s", "e"][i % 3], "x": x})
  }
  rows
}
cached(suppress_warning: true) fn load(n) { print("miss"); make(n) }
let rows = load(50000)
print(len(rows), rows[0], rows[49999], rows == make(50000))
"#;
    write(dir.path(), "app.memo", app);
    let want = "50000 {\"cat\": \"n\", \"id\": 0, \"name\": \"user_0\", \"x\": [[0], \"deep\"]} \
                {\"cat\": \"s\", \"id\": 49999, \"name\": \"user_5119\", \"x\": 12499.75} true\n";
    let r1 = memo(dir.path(), &["run", "app.memo"]);
    assert_eq!((r1.code, r1.stdout.as_str()), (0, &*format!("miss\n{want}")), "{}", r1.stderr);
    let r2 = memo(dir.path(), &["run", "--explain", "app.memo"]);
    assert_eq!((r2.code, r2.stdout.as_str()), (0, want), "{}", r2.stderr);
    assert!(r2.stderr.contains("explain: hit  load(50000)"), "{}", r2.stderr);
}

/// The memory a hit's value takes counts against `--max-memory` however it
/// was decoded (a long list is decoded on several threads, which hand the
/// memory over to the script's): a table of ~10 MB stored by a run without
/// a limit fails a run limited to 6 MB, where half of it would fit.
#[test]
fn a_hit_decoded_in_parts_counts_against_the_memory_limit() {
    let dir = tempfile::tempdir().unwrap();
    let app = r#"
cached(suppress_warning: true) fn load(n) {
  let rows = []
  for i in 0..n { rows = push(rows, str(i) + "." * 200) }
  rows
}
let rows = load(40000)
let t = 0
for i in 0..5000 { t += i }
print(len(rows), t)
"#;
    write(dir.path(), "app.memo", app);
    let r1 = memo(dir.path(), &["run", "app.memo"]);
    assert_eq!((r1.code, r1.stdout.as_str()), (0, "40000 12497500\n"), "{}", r1.stderr);
    let r2 = memo(dir.path(), &["run", "--explain", "--max-memory", "6M", "app.memo"]);
    assert!(r2.stderr.contains("explain: hit  load(40000)"), "{}", r2.stderr);
    assert_ne!(r2.code, 0, "{}\n{}", r2.stdout, r2.stderr);
    assert!(r2.stderr.contains("LimitError") && r2.stderr.contains("memory"), "{}", r2.stderr);
    let r3 = memo(dir.path(), &["run", "--max-memory", "64M", "app.memo"]);
    assert_eq!((r3.code, r3.stdout.as_str()), (0, "40000 12497500\n"), "{}", r3.stderr);
}

/// The decoder fuzz target's seeds (`fuzz/corpus/decode_entry`) are real
/// entries of the current format: each decodes and encodes back to the
/// same bytes (so a format change that leaves them stale fails here, not
/// silently in the fuzzer), and the long list among them is in parts.
#[test]
fn the_decoder_fuzz_seeds_are_entries_of_this_format() {
    use memo::cache::entry::{decode, encode, sealed, Seal};
    let seal = Seal::checksum();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/decode_entry");
    let mut seen = 0;
    for f in std::fs::read_dir(&dir).unwrap() {
        let path = f.unwrap().path();
        let bytes = sealed(&std::fs::read(&path).unwrap(), &seal);
        let e = decode(&bytes, None, &seal).unwrap_or_else(|why| panic!("{}: {why}", path.display()));
        let key: [u8; 32] = bytes[bytes.len() - std::fs::read(&path).unwrap().len()..][..32].try_into().unwrap();
        assert_eq!(encode(&key, &e, &seal), bytes, "{}", path.display());
        if path.ends_with("seed-list-in-parts") {
            assert_eq!(memo::value::repr(&e.value).matches("\"cat\"").count(), 8200);
        }
        seen += 1;
    }
    assert_eq!(seen, 4);
}
