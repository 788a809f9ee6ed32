//! Data natives: `json_parse` / `json_str`, `read_csv`, and SQLite
//! (`sqlite_open`, `query`, `execute`) with the `Connection` native type and
//! its interplay with `cached fn` (hash_funcs, allow_output_mutation).

use memo::{Cache, Engine, OutputBuffer, Value};
use std::path::Path;

/// Runs a script and returns what it printed (panics with the rendered
/// error if it fails).
fn run(src: &str) -> String {
    let out = OutputBuffer::new();
    let mut engine = Engine::builder().output(out.clone()).error_output(std::io::sink()).build();
    if let Err(e) = engine.run_named("data.memo", src) {
        panic!("{}\n--- output so far\n{}", e.render(), out.contents());
    }
    out.contents()
}

/// The kind and message of the error a script raises.
fn fails(src: &str) -> (String, String) {
    let mut engine = Engine::builder().output(std::io::sink()).error_output(std::io::sink()).build();
    let e = engine.run(src).expect_err("the script should fail");
    (e.kind().to_string(), e.message().to_string())
}

fn esc(p: &Path) -> String {
    p.display().to_string().replace('\\', "\\\\").replace('"', "\\\"")
}

// ----- JSON -----

#[test]
fn json_parse_maps_json_types() {
    let out = run(r#"
        let v = json_parse("{\"i\": 1, \"neg\": -7, \"f\": 2.5, \"whole\": 1.0, \"exp\": 1e2, \"big\": 18446744073709551615,
                             \"s\": \"h\\u00e9\\n\", \"t\": true, \"n\": null, \"a\": [1, [2, {}]], \"o\": {\"z\": 0}}")
        for k in keys(v) { print(k, type(v[k]), repr(v[k])) }
    "#);
    assert_eq!(
        out,
        "a list [1, [2, {}]]\n\
         big float 1.8446744073709552e19\n\
         exp float 100.0\n\
         f float 2.5\n\
         i int 1\n\
         n none none\n\
         neg int -7\n\
         o map {\"z\": 0}\n\
         s str \"hé\\n\"\n\
         t bool true\n\
         whole float 1.0\n"
    );
}

#[test]
fn json_str_writes_json() {
    let out = run(r#"
        struct Point { x, y }
        print(json_str({"b": [1, 2.5, none, true], "a": "q\"\n", "p": Point(1, 2), "e": [], "m": {}}))
        print(json_str([1, {"k": [2]}], 2))
        print(json_str("plain"), json_str(7), json_str(none), json_str(1e300), json_str(-0.5))
        let v = {"nested": [{"x": 1}, {"y": [1.5, "s"]}], "u": "ü"}
        print(json_parse(json_str(v)) == v, json_parse(json_str(v, 4)) == v)
    "#);
    assert_eq!(
        out,
        "{\"a\": \"q\\\"\\n\", \"b\": [1, 2.5, null, true], \"e\": [], \"m\": {}, \"p\": {\"x\": 1, \"y\": 2}}\n\
         [\n  1,\n  {\n    \"k\": [\n      2\n    ]\n  }\n]\n\
         \"plain\" 7 null 1e+300 -0.5\n\
         true true\n"
    );
    // What json_str writes, serde_json reads back.
    let mut engine = Engine::new();
    let text: String = engine.eval(r#"json_str({"a": [1, 2.5, "x"], "b": none}, 2)"#).unwrap();
    let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed, serde_json::json!({"a": [1, 2.5, "x"], "b": null}));
}

#[test]
fn json_errors() {
    let (kind, msg) = fails("json_parse(\"{\\n  \\\"a\\\": 1,\\n  \\\"b\\\": \\n}\")");
    assert_eq!(kind, "ValueError");
    assert!(msg.contains("line 4 column 1"), "{msg}");
    assert_eq!(fails("json_parse(\"[1, 2\")").0, "ValueError");
    assert_eq!(fails("json_parse(\"\")").0, "ValueError");
    assert_eq!(fails("json_parse(5)").0, "TypeError");
    let deep = format!("json_parse(\"{}{}\")", "[".repeat(200), "]".repeat(200));
    assert_eq!(fails(&deep).0, "ValueError");
    for (src, kind) in [
        ("json_str({1: 2})", "TypeError"),
        ("json_str([fn(x) { x }])", "TypeError"),
        ("json_str(cell(1))", "TypeError"),
        ("json_str(0..3)", "TypeError"),
        ("json_str(int)", "TypeError"),
        ("json_str(sqlite_open(\":memory:\"))", "TypeError"),
        ("json_str(0.0 / 0.0)", "ValueError"),
        ("json_str([1.0 / 0.0])", "ValueError"),
        ("json_str(1, -1)", "ValueError"),
        ("json_str(1, \"  \")", "ValueError"),
    ] {
        assert_eq!(fails(src).0, kind, "{src}");
    }
    let (_, msg) = fails("json_str({\"a\": {2: 1}})");
    assert_eq!(msg, "json_str(): map key 2 is not a str; JSON object keys must be strs (convert them with str(k))");
}

#[test]
fn json_respects_the_size_limit() {
    let mut engine = Engine::builder().max_collection_len(100).build();
    assert_eq!(engine.run("json_str(list(range(0, 90)))").unwrap_err().kind(), "LimitError");
    let arr = format!("json_parse(\"[{}]\")", vec!["1"; 150].join(","));
    assert_eq!(engine.run(&arr).unwrap_err().kind(), "LimitError");
}

#[test]
fn json_str_writes_any_nesting_the_interpreter_allows() {
    // json_str keeps its own stack of open containers: no recursion.
    let mut engine = Engine::new();
    let n: i64 = engine.eval("let v = []\nfor i in 0..90000 { v = [v] }\nlen(json_str(v))").unwrap();
    assert_eq!(n, 180_002);
    let text: String = engine.eval("let m = {}\nfor i in 0..3 { m = {\"k\": m} }\njson_str(m, 1)").unwrap();
    assert_eq!(text, "{\n \"k\": {\n  \"k\": {\n   \"k\": {}\n  }\n }\n}");
    // (Freeing a value this deep recurses: the engine drops its globals on
    // its big-stack thread.)
}

// ----- CSV -----

#[test]
fn read_csv_rows_as_maps() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("people.csv");
    std::fs::write(&path, "name,age,score,note\nAda,36,9.5,\nBob, 41 ,1e1,\"likes, commas\"\n\"Cy \"\"C\"\"\",-2,n/a,x\n")
        .unwrap();
    let out = run(&format!(
        r#"
        let rows = read_csv("{}")
        print(len(rows))
        for r in rows {{ print(r) }}
        print(sum(map(rows, fn(r) {{ r["age"] }})))
        "#,
        esc(&path)
    ));
    assert_eq!(
        out,
        "3\n\
         {\"age\": 36, \"name\": \"Ada\", \"note\": none, \"score\": 9.5}\n\
         {\"age\": 41, \"name\": \"Bob\", \"note\": \"likes, commas\", \"score\": 10.0}\n\
         {\"age\": -2, \"name\": \"Cy \\\"C\\\"\", \"note\": \"x\", \"score\": \"n/a\"}\n\
         75\n"
    );
}

#[test]
fn read_csv_errors() {
    let dir = tempfile::tempdir().unwrap();
    let ragged = dir.path().join("ragged.csv");
    std::fs::write(&ragged, "a,b\n1,2\n3\n").unwrap();
    let (kind, msg) = fails(&format!("read_csv(\"{}\")", esc(&ragged)));
    assert_eq!(kind, "ValueError");
    assert!(msg.contains("(line 3): a row has 1 field but the header has 2"), "{msg}");
    let dup = dir.path().join("dup.csv");
    std::fs::write(&dup, "a,a\n1,2\n").unwrap();
    assert_eq!(fails(&format!("read_csv(\"{}\")", esc(&dup))).0, "ValueError");
    let binary = dir.path().join("binary.csv");
    std::fs::write(&binary, b"a\n\xff\xfe\n").unwrap();
    assert_eq!(fails(&format!("read_csv(\"{}\")", esc(&binary))).0, "ValueError");
    let (kind, msg) = fails(&format!("read_csv(\"{}\")", esc(&dir.path().join("missing.csv"))));
    assert_eq!(kind, "IOError");
    assert!(msg.contains("missing.csv"), "{msg}");
    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    assert_eq!(run(&format!("print(read_csv(\"{}\"))", esc(&empty))), "[]\n");
    // Sandbox and size limits.
    let mut engine = Engine::builder().allow_fs(false).build();
    assert_eq!(engine.run(&format!("read_csv(\"{}\")", esc(&empty))).unwrap_err().kind(), "PermissionError");
    let many = dir.path().join("many.csv");
    std::fs::write(&many, format!("n\n{}", "1\n".repeat(50))).unwrap();
    let mut engine = Engine::builder().max_collection_len(40).build();
    assert_eq!(engine.run(&format!("read_csv(\"{}\")", esc(&many))).unwrap_err().kind(), "LimitError");
}

#[test]
fn cached_csv_loader_keyed_by_mtime() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data.csv");
    std::fs::write(&path, "x\n1\n2\n").unwrap();
    let script = format!(
        r#"
        cached(suppress_warning: true) fn load(path, mtime) {{ print("loading"); read_csv(path) }}
        let p = "{}"
        print(len(load(p, file_mtime(p))), len(load(p, file_mtime(p))))
        "#,
        esc(&path)
    );
    let cache = Cache::memory();
    let out = OutputBuffer::new();
    let mut engine = Engine::builder().cache(cache).output(out.clone()).build();
    engine.run(&script).unwrap();
    assert_eq!(out.take(), "loading\n2 2\n");
    // Rewrite the file with a later mtime: the loader runs again.
    std::fs::write(&path, "x\n1\n2\n3\n").unwrap();
    let later = std::time::SystemTime::now() + std::time::Duration::from_secs(5);
    std::fs::File::options().write(true).open(&path).unwrap().set_modified(later).unwrap();
    engine.run(&script).unwrap();
    assert_eq!(out.take(), "loading\n3 3\n");
}

// ----- SQLite -----

#[test]
fn sqlite_round_trip() {
    let out = run(r#"
        let db = sqlite_open(":memory:")
        print(execute(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, score REAL, raw BLOB, extra)"))
        print(execute(db, "INSERT INTO t (name, score, raw) VALUES (?, ?, ?)", ["Ada", 9.5, [0, 1, 255]]))
        print(execute(db, "INSERT INTO t (name, score, extra) VALUES (:name, :score, $extra)",
                      {"name": "Bob", ":score": none, "$extra": true}))
        print(execute(db, "INSERT INTO t (name) VALUES (?)", ["Robert'); DROP TABLE t; --"]))
        for row in query(db, "SELECT * FROM t ORDER BY id") { print(row) }
        print(query(db, "SELECT count(*) AS n, max(score) AS best FROM t"))
        print(query(db, "SELECT name FROM t WHERE score > :min AND name LIKE :pat", {"pat": "A%", "min": 0}))
        print(execute(db, "UPDATE t SET score = 1 WHERE score IS NULL"))
        print(query(db, "SELECT name FROM t WHERE id > 99"))
    "#);
    assert_eq!(
        out,
        "0\n1\n1\n1\n\
         {\"extra\": none, \"id\": 1, \"name\": \"Ada\", \"raw\": [0, 1, 255], \"score\": 9.5}\n\
         {\"extra\": 1, \"id\": 2, \"name\": \"Bob\", \"raw\": none, \"score\": none}\n\
         {\"extra\": none, \"id\": 3, \"name\": \"Robert'); DROP TABLE t; --\", \"raw\": none, \"score\": none}\n\
         [{\"best\": 9.5, \"n\": 3}]\n\
         [{\"name\": \"Ada\"}]\n\
         2\n\
         []\n"
    );
}

#[test]
fn sqlite_file_databases_persist() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    run(&format!(
        r#"let db = sqlite_open("{}")
        execute(db, "CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT); INSERT INTO kv VALUES ('a', 'one');")"#,
        esc(&path)
    ));
    assert!(path.exists());
    let out = run(&format!(r#"print(query(sqlite_open("{}"), "SELECT v FROM kv"))"#, esc(&path)));
    assert_eq!(out, "[{\"v\": \"one\"}]\n");
    // A path that cannot be opened is an SqliteError, not a panic.
    let (kind, _) = fails(&format!(r#"sqlite_open("{}")"#, esc(&dir.path().join("no/such/dir/x.db"))));
    assert_eq!(kind, "SqliteError");
}

#[test]
fn sqlite_errors() {
    let setup = "let db = sqlite_open(\":memory:\")\nexecute(db, \"CREATE TABLE t (a)\")\n";
    for (tail, kind, needle) in [
        ("query(db, \"SELEC 1\")", "SqliteError", "syntax error"),
        ("query(db, \"SELECT * FROM missing\")", "SqliteError", "no such table"),
        ("query(db, \"SELECT ?\")", "SqliteError", "1 parameter but no params"),
        ("query(db, \"SELECT ?, ?\", [1])", "SqliteError", "2 parameters but 1 were given"),
        ("query(db, \"SELECT :a\", {\"b\": 1})", "SqliteError", "no parameter `:b`"),
        ("query(db, \"SELECT :a, :b\", {\"a\": 1})", "SqliteError", "no value given for parameter `:b`"),
        ("query(db, \"SELECT ?\", {\"a\": 1})", "SqliteError", "no parameter `:a`"),
        ("query(db, \"SELECT 1; SELECT 2\")", "SqliteError", "several statements"),
        ("execute(db, \"SELECT 1\")", "SqliteError", "use query()"),
        ("execute(db, \"INSERT INTO t VALUES (?)\", [[1, 300]])", "TypeError", "ints 0..=255"),
        ("execute(db, \"INSERT INTO t VALUES (?)\", [{\"a\": 1}])", "TypeError", "SQLite takes"),
        ("execute(db, \"INSERT INTO t VALUES (?)\", 5)", "TypeError", "list (for `?`) or a map"),
        ("query(\"db\", \"SELECT 1\")", "TypeError", "expects a Connection"),
        ("query(db, 5)", "TypeError", "SQL as a str"),
        ("sqlite_open(5)", "TypeError", "str path"),
    ] {
        let (k, msg) = fails(&format!("{setup}{tail}"));
        assert_eq!(k, kind, "{tail}: {msg}");
        assert!(msg.contains(needle), "{tail}: {msg}");
    }
}

#[test]
fn sqlite_respects_limits() {
    let mut engine = Engine::builder().allow_fs(false).max_collection_len(50).build();
    assert_eq!(engine.run(r#"sqlite_open("target/x.db")"#).unwrap_err().kind(), "PermissionError");
    let e = engine
        .run(r#"query(sqlite_open(":memory:"), "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 100) SELECT x FROM c")"#)
        .unwrap_err();
    assert_eq!(e.kind(), "LimitError");
}

#[test]
fn connections_are_one_unhashable_native_type() {
    let out = run(r#"
        let a = sqlite_open(":memory:")
        let b = sqlite_open(":memory:")
        print(a, type(a), type(a) == type(b), type(a) == Connection, str(Connection))
        print(id(a) == id(a), id(a) == id(b))
        cached fn plain(conn) { 1 }
        try { plain(a) } catch e { print(e["kind"]); print(e["message"]) }
        try { hash(a) } catch e { print(e["kind"]) }
        try { {a: 1} } catch e { print(e["kind"]) }
    "#);
    assert_eq!(
        out,
        "<Connection> Connection true true Connection\n\
         true false\n\
         UnhashableTypeError\n\
         cannot hash argument `conn` of cached fn `plain`: values of type `Connection` have no hash; tell memo how with cached(hash_funcs: {Connection: id}) (or another fn)\n\
         UnhashableTypeError\n\
         TypeError\n"
    );
    // Every Connection object shares one native type.
    let mut engine = Engine::new();
    let a = engine.run(r#"sqlite_open(":memory:")"#).unwrap();
    let b = engine.run(r#"sqlite_open(":memory:")"#).unwrap();
    let (Value::Object(a), Value::Object(b)) = (a, b) else { panic!("connections are native objects") };
    assert!(std::sync::Arc::ptr_eq(&a.ty, &b.ty));
    assert!(std::sync::Arc::ptr_eq(&a.ty, &memo::natives::data::connection_type()));
    assert!(a.ty.hash.is_none());
    let conn = a.data.downcast_ref::<memo::natives::data::Connection>().unwrap();
    assert_eq!(conn.path, ":memory:");
    assert_eq!(conn.with(|c| c.query_row("SELECT 40 + 2", [], |r| r.get::<_, i64>(0)).unwrap()), 42);
}

#[test]
fn singleton_connection_and_hash_funcs() {
    let out = run(r#"
        cached(allow_output_mutation: true)
        fn get_database_connection() {
            let db = sqlite_open(":memory:")
            execute(db, "CREATE TABLE users (name TEXT); INSERT INTO users VALUES ('ada'), ('bob')")
            db
        }
        let c1 = get_database_connection()
        let c2 = get_database_connection()
        print(id(c1) == id(c2), cache_info(get_database_connection))

        cached(suppress_warning: true, hash_funcs: {Connection: id})
        fn get_users(conn) { print("  query ran"); query(conn, "SELECT name FROM users") }
        print(get_users(c1))
        print(get_users(c2))
        print(cache_info(get_users))

        cached(suppress_warning: true, hash_funcs: {"Connection": id})
        fn count_users(conn) { print("  count ran"); query(conn, "SELECT count(*) AS n FROM users")[0]["n"] }
        print(count_users(c1), count_users(c2))

        // A different connection has a different id: a miss.
        let other = sqlite_open(":memory:")
        execute(other, "CREATE TABLE users (name TEXT)")
        print(get_users(other))

        cached fn without_mutation_ok() { sqlite_open(":memory:") }
        try { without_mutation_ok() } catch e { print(e["kind"]); print(e["message"]) }
    "#);
    assert_eq!(
        out,
        "true {\"entries\": 1, \"hits\": 1, \"misses\": 1}\n\
         \x20 query ran\n\
         [{\"name\": \"ada\"}, {\"name\": \"bob\"}]\n\
         [{\"name\": \"ada\"}, {\"name\": \"bob\"}]\n\
         {\"entries\": 1, \"hits\": 1, \"misses\": 1}\n\
         \x20 count ran\n\
         2 2\n\
         \x20 query ran\n\
         []\n\
         UnhashableTypeError\n\
         cached fn `without_mutation_ok` returned a `Connection`, which has no hash, so memo cannot check it for mutation; declare it cached(allow_output_mutation: true) to cache it as a shared object\n"
    );
}

#[test]
fn engines_sharing_a_cache_share_the_singleton_connection() {
    let cache = Cache::memory();
    let script = r#"
        cached(allow_output_mutation: true) fn conn() { sqlite_open(":memory:") }
        let c = conn()
        execute(c, "CREATE TABLE IF NOT EXISTS hits (n INTEGER)")
        execute(c, "INSERT INTO hits VALUES (1)")
        query(c, "SELECT count(*) AS n FROM hits")[0]["n"]
    "#;
    let counts: Vec<i64> = (0..3)
        .map(|_| {
            let cache = cache.clone();
            std::thread::spawn(move || Engine::builder().cache(cache).build().eval::<i64>(script).unwrap()).join().unwrap()
        })
        .collect();
    // One database, reached by three engines on three threads.
    assert_eq!(counts, vec![1, 2, 3]);
}
