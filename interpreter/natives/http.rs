//! The web: `http_get(url[, options])` and `http_get_json(url[, options])`,
//! through ureq (a blocking client; TLS by rustls with the webpki roots, so
//! no system library is needed).
//!
//! * The response is a map `{"status": int, "headers": {name: value},
//!   "body": str, "url": str}`: header names in lower case (repeated
//!   headers joined with `", "`), the body decoded as UTF-8 (invalid bytes
//!   become U+FFFD), `url` the address after redirects.
//! * A status of 400 or more is an `HttpError` naming the status (`"HTTP
//!   404 Not Found: GET http://..."`), unless the options say
//!   `"errors": false`, which returns the response whatever its status.
//!   A connection failure, a timeout, too many redirects or a malformed
//!   response is an `HttpError` too; all are catchable with `try`.
//! * Options (a map): `"timeout"` seconds for the whole request, body
//!   included (default 30); `"headers"` a map of request headers;
//!   `"max_redirects"` (default 10; 0 returns the redirect response
//!   itself); `"errors"` (default true).
//! * The body may be at most the interpreter's collection limit
//!   (`--max-len`) bytes: it is read in chunks and a longer one is a
//!   `LimitError` (a `Content-Length` over the limit is refused before
//!   reading).
//! * The network can be turned off by the host (`--no-net`,
//!   `Limits::allow_net`): then these raise `PermissionError`.
//! * The result changes by itself, so a cached fn that calls them warns
//!   that its result is frozen, unless it has a `ttl`: the canonical use is
//!   `cached(ttl: 600) fn fetch(url) { http_get_json(url) }`.
//!   Proxies are taken from the usual environment variables (`HTTPS_PROXY`,
//!   `ALL_PROXY`, `NO_PROXY`).

use super::args::{check_opts, num, opt, str as str_arg};
use super::{arity, Builtin};
use crate::error::{MemoError, Result};
use crate::interp::ops::too_large;
use crate::interp::Interp;
use crate::value::{Value, ValueMap};
use std::io::Read;
use std::time::Duration;

pub const NATIVES: &[(&str, Builtin)] = &[("http_get", http_get), ("http_get_json", http_get_json)];

const OPTIONS: &[&str] = &["timeout", "headers", "max_redirects", "errors"];

fn http_err(msg: impl Into<String>) -> MemoError {
    MemoError::new("HttpError", msg.into())
}

/// Refuses the network when the host turned it off.
fn need_net(interp: &Interp, name: &str) -> Result<()> {
    if interp.config.allow_net {
        return Ok(());
    }
    Err(MemoError::new("PermissionError", format!("{name}() is not allowed here: the host turned off network access")))
}

/// A fetched response.
struct Fetched {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    url: String,
}

/// Performs the GET (see the module comment).
fn fetch(interp: &mut Interp, name: &str, args: &[Value]) -> Result<Fetched> {
    need_net(interp, name)?;
    let url = str_arg(name, args, 0)?.s.clone();
    let opts = args.get(1);
    check_opts(name, opts, OPTIONS)?;
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(MemoError::new(
            "ValueError",
            format!("{name}() needs an http:// or https:// URL, got {}", crate::value::repr(&args[0])),
        ));
    }
    let timeout = match opt(opts, "timeout") {
        None => Duration::from_secs(30),
        Some(t) => Duration::try_from_secs_f64(num(name, std::slice::from_ref(t), 0)?).ok().filter(|d| !d.is_zero()).ok_or_else(
            || {
                MemoError::new(
                    "ValueError",
                    format!("{name}() timeout must be a positive number of seconds, got {}", crate::value::repr(t)),
                )
            },
        )?,
    };
    let max_redirects = match opt(opts, "max_redirects") {
        None => 10,
        Some(Value::Int(n)) if (0..=100).contains(n) => *n as u32,
        Some(other) => {
            return Err(MemoError::new(
                "ValueError",
                format!("{name}() max_redirects must be an int from 0 to 100, got {}", crate::value::repr(other)),
            ))
        }
    };
    let errors = match opt(opts, "errors") {
        None => true,
        Some(Value::Bool(b)) => b.get(),
        Some(other) => {
            return Err(MemoError::new("TypeError", format!("{name}() option errors must be a bool, got {}", other.type_name())))
        }
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .max_redirects(max_redirects)
        .max_redirects_will_error(max_redirects > 0)
        .http_status_as_error(false)
        .user_agent(concat!("memo/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let mut req = agent.get(&url);
    match opt(opts, "headers") {
        None => {}
        Some(Value::Map(h)) => {
            for (k, v) in h.map.iter() {
                match (k, v) {
                    (Value::Str(k), Value::Str(v)) => req = req.header(k.s.as_str(), v.s.as_str()),
                    _ => {
                        return Err(MemoError::new(
                            "TypeError",
                            format!("{name}() headers must map strs to strs, got {}: {}", k.type_name(), v.type_name()),
                        ))
                    }
                }
            }
        }
        Some(other) => {
            return Err(MemoError::new("TypeError", format!("{name}() option headers must be a map, got {}", other.type_name())))
        }
    }
    crate::cache::trace::note_impure(interp, name);
    let mut resp = req.call().map_err(|e| request_error(&url, e, timeout, max_redirects))?;
    let status = resp.status();
    let final_url = ureq::ResponseExt::get_uri(&resp).to_string();
    let mut headers: Vec<(String, String)> = Vec::new();
    for (k, v) in resp.headers() {
        let v = String::from_utf8_lossy(v.as_bytes()).into_owned();
        match headers.iter_mut().find(|(n, _)| n == k.as_str()) {
            Some((_, old)) => {
                old.push_str(", ");
                old.push_str(&v);
            }
            None => headers.push((k.as_str().to_string(), v)),
        }
    }
    if errors && status.as_u16() >= 400 {
        let label = match status.canonical_reason() {
            Some(r) => format!("HTTP {} {r}", status.as_u16()),
            None => format!("HTTP {}", status.as_u16()),
        };
        return Err(http_err(format!("{label}: GET {url}")));
    }
    let max = interp.config.max_collection_len;
    // Never trust a length a peer claims with an allocation.
    if let Some((_, len)) = headers.iter().find(|(k, _)| k == "content-length") {
        if let Ok(n) = len.trim().parse::<u64>() {
            if n > max as u64 {
                return Err(too_large("string", n.min(usize::MAX as u64) as usize, max));
            }
        }
    }
    let mut body = Vec::new();
    let mut reader = resp.body_mut().with_config().limit(u64::MAX).reader();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        if interp.interrupt.swap(false, std::sync::atomic::Ordering::Relaxed) {
            return Err(MemoError::new("Interrupted", "interrupted"));
        }
        let n = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                let timed_out = matches!(e.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock)
                    || e.to_string().contains("timeout");
                return Err(if timed_out {
                    http_err(format!("timed out after {} s reading the body: GET {url}", secs(timeout)))
                } else {
                    http_err(format!("cannot read the body: {e}: GET {url}"))
                });
            }
        };
        if body.len() + n > max {
            return Err(too_large("string", body.len() + n, max));
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Ok(Fetched { status: status.as_u16(), headers, body, url: final_url })
}

fn secs(d: Duration) -> String {
    crate::value::repr(&Value::float(d.as_secs_f64()))
}

/// A failed request as an `HttpError`.
fn request_error(url: &str, e: ureq::Error, timeout: Duration, max_redirects: u32) -> MemoError {
    let what = match e {
        ureq::Error::Timeout(_) => format!("timed out after {} s", secs(timeout)),
        ureq::Error::TooManyRedirects => format!("too many redirects (more than {max_redirects})"),
        ureq::Error::HostNotFound => "host not found".to_string(),
        ureq::Error::ConnectionFailed => "connection failed".to_string(),
        ureq::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => "connection refused".to_string(),
            std::io::ErrorKind::TimedOut => format!("timed out after {} s", secs(timeout)),
            _ => super::args::io_reason(&io),
        },
        other => other.to_string(),
    };
    http_err(format!("{what}: GET {url}"))
}

/// `http_get(url[, options])`: see the module comment.
fn http_get(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("http_get", args, 1, 2)?;
    let f = fetch(interp, "http_get", args)?;
    let mut headers = ValueMap::with_capacity(f.headers.len());
    for (k, v) in f.headers {
        headers.insert(Value::str(k), Value::str(v));
    }
    let mut m = ValueMap::with_capacity(4);
    m.insert(Value::str("status"), Value::Int(f.status as i64));
    m.insert(Value::str("headers"), Value::map(headers));
    m.insert(Value::str("body"), Value::str(String::from_utf8_lossy(&f.body).into_owned()));
    m.insert(Value::str("url"), Value::str(f.url));
    Ok(Value::map(m))
}

/// `http_get_json(url[, options])`: the body of a GET parsed as JSON
/// (`json_parse`'s conversions). A body that is not JSON is a
/// `ValueError` naming the URL.
fn http_get_json(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("http_get_json", args, 1, 2)?;
    let f = fetch(interp, "http_get_json", args)?;
    let doc: serde_json::Value = serde_json::from_slice(&f.body)
        .map_err(|e| MemoError::new("ValueError", format!("http_get_json(): the response from {} is not JSON: {e}", f.url)))?;
    let max = interp.config.max_collection_len;
    super::data::from_json(interp, doc, max)
}

#[cfg(test)]
mod tests {
    use super::super::args::eval;

    #[test]
    fn refusals_before_any_request() {
        assert_eq!(
            eval(r#"http_get("ftp://example.com/")"#),
            "ValueError: http_get() needs an http:// or https:// URL, got \"ftp://example.com/\""
        );
        assert_eq!(
            eval(r#"http_get("http://127.0.0.1:9/", {"timout": 1})"#),
            "ValueError: http_get(): unknown option \"timout\" (known: timeout, headers, max_redirects, errors)"
        );
        assert_eq!(
            eval(r#"http_get("http://127.0.0.1:9/", {"timeout": -1})"#),
            "ValueError: http_get() timeout must be a positive number of seconds, got -1"
        );
        assert_eq!(
            eval(r#"http_get("http://127.0.0.1:9/", {"headers": {"a": 1}})"#),
            "TypeError: http_get() headers must map strs to strs, got str: int"
        );
        let mut engine = crate::Engine::builder().allow_net(false).run_on_current_thread().build();
        let e = engine.run(r#"http_get_json("http://127.0.0.1:9/")"#).unwrap_err();
        assert_eq!(e.kind(), "PermissionError");
    }
}
