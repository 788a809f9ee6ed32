//! `http_get` and `http_get_json` against a real HTTP server on a free
//! loopback port, started by this test (nothing leaves the machine): JSON,
//! plain text, a 404, a redirect, a redirect loop, a slow endpoint (the
//! timeout), oversized bodies (with and without a Content-Length),
//! `--no-net`, and caching with and without a `ttl`, within a run and
//! across runs. Scripts run in the `memo` binary, as users run them.
#![cfg(feature = "net")]

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A tiny HTTP/1.1 server: one thread accepting, one per connection, each
/// answering one request and closing. It stops when dropped, and after
/// 500 connections in any case.
struct Server {
    port: u16,
    requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Server {
    fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (r, s) = (requests.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming().take(500) {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let r = r.clone();
                std::thread::spawn(move || handle(conn, &r));
            }
        });
        Server { port, requests, stop }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn count(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn respond(conn: &mut TcpStream, status: &str, headers: &[(&str, String)], body: &[u8]) {
    let mut head = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = conn.write_all(head.as_bytes());
    let _ = conn.write_all(body);
}

fn handle(mut conn: TcpStream, requests: &AtomicUsize) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = conn.set_write_timeout(Some(Duration::from_secs(5)));
    let mut reader = BufReader::new(conn.try_clone().expect("clone the stream"));
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() || line.is_empty() {
        return; // the wake-up connection of Drop
    }
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
            break;
        }
        headers.push(h.trim().to_lowercase());
    }
    requests.fetch_add(1, Ordering::SeqCst);
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let len = |b: &[u8]| ("Content-Length", b.len().to_string());
    match path.as_str() {
        "/json" => {
            let body = br#"{"name": "memo", "n": [1, 2.5, null], "ok": true}"#;
            respond(&mut conn, "200 OK", &[("Content-Type", "application/json".into()), len(body)], body);
        }
        "/text" => {
            let body = "héllo\n".as_bytes();
            respond(
                &mut conn,
                "200 OK",
                &[
                    ("Content-Type", "text/plain; charset=utf-8".into()),
                    ("X-Test", "a".into()),
                    ("X-Test", "b".into()),
                    len(body),
                ],
                body,
            );
        }
        "/echo-header" => {
            let got = headers.iter().find(|h| h.starts_with("x-memo:")).cloned().unwrap_or_default();
            respond(&mut conn, "200 OK", &[len(got.as_bytes())], got.as_bytes());
        }
        "/not-json" => respond(&mut conn, "200 OK", &[len(b"<html>")], b"<html>"),
        "/missing" => respond(&mut conn, "404 Not Found", &[len(b"no such page")], b"no such page"),
        "/teapot" => respond(&mut conn, "599 Whatever", &[len(b"?")], b"?"),
        "/hop" => respond(&mut conn, "302 Found", &[("Location", "/json".into()), len(b"")], b""),
        "/loop" => respond(&mut conn, "302 Found", &[("Location", "/loop".into()), len(b"")], b""),
        "/slow" => {
            std::thread::sleep(Duration::from_secs(3));
            respond(&mut conn, "200 OK", &[len(b"late")], b"late");
        }
        "/slow-body" => {
            // The head and part of the body now, the rest too late.
            respond(&mut conn, "200 OK", &[("Content-Length", "20".into())], b"0123456789");
            let _ = conn.flush();
            std::thread::sleep(Duration::from_secs(3));
            let _ = conn.write_all(b"0123456789");
        }
        "/big" => {
            let body = vec![b'x'; 2_000_000];
            respond(&mut conn, "200 OK", &[len(&body)], &body);
        }
        "/big-stream" => {
            // No Content-Length: the body ends when the connection closes.
            respond(&mut conn, "200 OK", &[], b"");
            let chunk = vec![b'y'; 64 * 1024];
            for _ in 0..32 {
                if conn.write_all(&chunk).is_err() {
                    break;
                }
            }
        }
        "/count" => {
            let body = format!("{{\"n\": {}}}", requests.load(Ordering::SeqCst));
            respond(&mut conn, "200 OK", &[("Content-Type", "application/json".into()), len(body.as_bytes())], body.as_bytes());
        }
        _ => respond(&mut conn, "404 Not Found", &[len(b"")], b""),
    }
}

/// Runs `source` as `script.memo` in `dir` with `args`; (stdout, stderr, code).
fn run_in(dir: &Path, source: &str, args: &[&str]) -> (String, String, i32) {
    std::fs::write(dir.join("script.memo"), source).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_memo"))
        .arg("run")
        .args(args)
        .arg("script.memo")
        .current_dir(dir)
        .env_remove("MEMO_CACHE_DIR")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .output()
        .expect("memo runs");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn run(source: &str, args: &[&str]) -> (String, String, i32) {
    let dir = tempfile::tempdir().unwrap();
    let mut all = vec!["--no-disk-cache"];
    all.extend_from_slice(args);
    run_in(dir.path(), source, &all)
}

#[test]
fn json_text_headers_and_redirects() {
    let s = Server::start();
    let src = format!(
        r#"print(http_get_json("{json}"))
let r = http_get("{text}")
print(r.status, r.body, r.headers["content-type"], r.headers["x-test"], r.url == "{text}")
let h = http_get("{hop}")
print(h.status, h.url, json_parse(h.body)["name"])
print(http_get("{echo}", {{"headers": {{"X-Memo": "yes"}}}}).body)
let stay = http_get("{hop}", {{"max_redirects": 0}})
print(stay.status, stay.headers["location"])
"#,
        json = s.url("/json"),
        text = s.url("/text"),
        hop = s.url("/hop"),
        echo = s.url("/echo-header"),
    );
    let (out, err, code) = run(&src, &[]);
    assert_eq!(err, "");
    assert_eq!(code, 0);
    assert_eq!(
        out,
        format!(
            "{{\"n\": [1, 2.5, none], \"name\": \"memo\", \"ok\": true}}\n200 héllo\n text/plain; charset=utf-8 a, b true\n200 {} memo\nx-memo: yes\n302 /json\n",
            s.url("/json")
        )
    );
}

#[test]
fn statuses_and_failures_are_http_errors() {
    let s = Server::start();
    let src = format!(
        r#"fn show(f) {{ try {{ f() }} catch e {{ e["kind"] + ": " + e["message"] }} }}
print(show(fn() {{ http_get("{missing}") }}))
print(show(fn() {{ http_get_json("{teapot}") }}))
let r = http_get("{missing}", {{"errors": false}})
print(r.status, r.body)
print(show(fn() {{ http_get("{looping}") }}))
print(show(fn() {{ http_get("{looping}", {{"max_redirects": 3}}) }}))
print(show(fn() {{ http_get("{slow}", {{"timeout": 0.5}}) }}))
print(show(fn() {{ http_get("{slow_body}", {{"timeout": 0.5}}) }}))
print(show(fn() {{ http_get_json("{not_json}") }}))
print(show(fn() {{ http_get("http://127.0.0.1:1/") }}))
"#,
        missing = s.url("/missing"),
        teapot = s.url("/teapot"),
        looping = s.url("/loop"),
        slow = s.url("/slow"),
        slow_body = s.url("/slow-body"),
        not_json = s.url("/not-json"),
    );
    let (out, err, code) = run(&src, &[]);
    assert_eq!((err.as_str(), code), ("", 0), "{out}");
    let want = [
        format!("HttpError: HTTP 404 Not Found: GET {}", s.url("/missing")),
        format!("HttpError: HTTP 599: GET {}", s.url("/teapot")),
        "404 no such page".to_string(),
        format!("HttpError: too many redirects (more than 10): GET {}", s.url("/loop")),
        format!("HttpError: too many redirects (more than 3): GET {}", s.url("/loop")),
        format!("HttpError: timed out after 0.5 s: GET {}", s.url("/slow")),
        format!("HttpError: timed out after 0.5 s reading the body: GET {}", s.url("/slow-body")),
        format!(
            "ValueError: http_get_json(): the response from {} is not JSON: expected value at line 1 column 1",
            s.url("/not-json")
        ),
        "HttpError: connection refused: GET http://127.0.0.1:1/".to_string(),
    ];
    assert_eq!(out.lines().collect::<Vec<_>>(), want);
}

#[test]
fn bodies_past_the_length_limit_are_limit_errors() {
    let s = Server::start();
    for path in ["/big", "/big-stream"] {
        let src = format!(
            r#"print(try {{ len(http_get("{url}").body) }} catch e {{ e["kind"] + ": " + e["message"] }})"#,
            url = s.url(path)
        );
        let (out, err, code) = run(&src, &["--max-len", "100000"]);
        assert_eq!((err.as_str(), code), ("", 0));
        assert!(out.starts_with("LimitError: "), "{path}: {out}");
        // Without the limit the whole body comes.
        let (out, _, _) = run(&src, &[]);
        assert_eq!(out.trim(), if path == "/big" { "2000000" } else { "2097152" });
    }
}

#[test]
fn no_net_refuses_before_connecting() {
    let s = Server::start();
    let src = format!(
        r#"print(try {{ http_get("{u}") }} catch e {{ e["kind"] + ": " + e["message"] }})
http_get_json("{u}")
"#,
        u = s.url("/json")
    );
    let (out, err, code) = run(&src, &["--no-net"]);
    assert_eq!(out, "PermissionError: http_get() is not allowed here: the host turned off network access\n");
    assert!(err.starts_with("error: http_get_json() is not allowed here: the host turned off network access"), "{err}");
    assert_eq!(code, 1);
    assert_eq!(s.count(), 0, "no request was made");
}

#[test]
fn cached_fetches_hit_and_warn_only_without_ttl() {
    let s = Server::start();
    let url = s.url("/count");
    // With a ttl: one request for two calls, no warning.
    let src = format!(
        r#"cached(ttl: 600) fn fetch(url) {{ http_get_json(url) }}
print(fetch("{url}"), fetch("{url}"), cache_info(fetch))
"#
    );
    let (out, err, code) = run(&src, &[]);
    assert_eq!(
        (out.as_str(), err.as_str(), code),
        ("{\"n\": 1} {\"n\": 1} {\"entries\": 1, \"hits\": 1, \"misses\": 1}\n", "", 0)
    );
    assert_eq!(s.count(), 1);
    // Without one: the result is frozen, and the run says so once.
    let src = format!(
        r#"cached fn fetch(url) {{ http_get(url).body }}
print(fetch("{url}"), fetch("{url}"))
"#
    );
    let (out, err, _) = run(&src, &[]);
    assert_eq!(out, "{\"n\": 2} {\"n\": 2}\n");
    assert_eq!(
        err,
        "warning: cached fn `fetch` called http_get(), whose result changes by itself; the cached result keeps the value of the first call (give it a cached(ttl: SECONDS), or cached(suppress_warning: true) to silence this)\n"
    );
    assert_eq!(s.count(), 2);
    // Across runs, through the disk cache: the second run makes no request.
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let cache = cache.to_str().unwrap();
    let src = format!(
        r#"cached(ttl: 600) fn fetch(url) {{ http_get_json(url) }}
print(fetch("{url}"))
"#
    );
    let (first, _, _) = run_in(dir.path(), &src, &["--cache-dir", cache]);
    let (second, err, _) = run_in(dir.path(), &src, &["--cache-dir", cache]);
    assert_eq!(first, "{\"n\": 3}\n");
    assert_eq!((second.as_str(), err.as_str()), ("{\"n\": 3}\n", ""));
    assert_eq!(s.count(), 3);
}

#[test]
fn the_fetch_example_runs_against_a_local_server() {
    let s = Server::start();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_memo"))
        .args(["run", "--no-disk-cache", "--set"])
        .arg(format!("url={}", s.url("/json")))
        .arg(root.join("examples/fetch_json.memo"))
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .output()
        .expect("memo runs");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("fetched {}\nkeys: [\"n\", \"name\", \"ok\"]\nhits: 1\n", s.url("/json"))
    );
    assert_eq!(s.count(), 1, "the second fetch was a cache hit");
}

#[test]
fn the_sandbox_limits_turn_the_network_off() {
    assert!(!memo::Limits::sandbox().allow_net);
    assert!(memo::Limits::default().allow_net);
}
