//! Argument helpers shared by the newer natives (`math`, `format`,
//! `iter`, `regex`, `dates`, `http`, `output`, `table`, `chart`): typed
//! access to an argument with the standard messages, the sandbox checks,
//! and I/O error wording.

use crate::error::{MemoError, Result};
use crate::interp::Interp;
use crate::value::{StrObj, Value};

/// Argument `i` as a number (an int or a float, not a bool).
pub fn num(name: &str, args: &[Value], i: usize) -> Result<f64> {
    match &args[i] {
        Value::Int(n) => Ok(*n as f64),
        Value::Float(f) => Ok(f.get()),
        other => Err(MemoError::new("TypeError", format!("{name}() expects a number{}, got {}", nth(i), other.type_name()))),
    }
}

/// Argument `i` as an int.
pub fn int(name: &str, args: &[Value], i: usize) -> Result<i64> {
    match &args[i] {
        Value::Int(n) => Ok(*n),
        other => Err(MemoError::new("TypeError", format!("{name}() expects an int{}, got {}", nth(i), other.type_name()))),
    }
}

/// Argument `i` as a string.
pub fn str<'a>(name: &str, args: &'a [Value], i: usize) -> Result<&'a crate::value::UArc<StrObj>> {
    match &args[i] {
        Value::Str(s) => Ok(s),
        other => Err(MemoError::new("TypeError", format!("{name}() expects a str{}, got {}", nth(i), other.type_name()))),
    }
}

/// " as its second argument" for `i == 1`, and so on ("" for the first).
pub fn nth(i: usize) -> &'static str {
    match i {
        0 => "",
        1 => " as its second argument",
        2 => " as its third argument",
        3 => " as its fourth argument",
        _ => " as a later argument",
    }
}

/// A function argument (a fn, a native or a callable type).
pub fn callable(name: &str, f: &Value) -> Result<()> {
    match f {
        Value::Func(_) | Value::Native(_) | Value::Type(_) => Ok(()),
        other => Err(MemoError::new("TypeError", format!("{name}() expects a function, got {}", other.type_name()))),
    }
}

/// Refuses file access when the host turned it off.
pub fn need_fs(interp: &Interp, name: &str) -> Result<()> {
    if interp.config.allow_fs {
        return Ok(());
    }
    Err(MemoError::new("PermissionError", format!("{name}() is not allowed here: the host turned off file access")))
}

/// Refuses clocks when the host turned them off.
#[cfg_attr(not(feature = "dates"), allow(dead_code))]
pub fn need_clock(interp: &Interp, name: &str) -> Result<()> {
    if interp.config.allow_clock {
        return Ok(());
    }
    Err(MemoError::new("PermissionError", format!("{name}() is not allowed here: the host turned off clock access")))
}

/// An I/O error's reason without the " (os error N)" suffix.
pub fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// The entry `key` of an options map (`None` when absent or `none`).
#[cfg_attr(not(any(feature = "net", feature = "charts")), allow(dead_code))]
pub fn opt<'a>(opts: Option<&'a Value>, key: &str) -> Option<&'a Value> {
    match opts {
        Some(Value::Map(m)) => m.map.get(&Value::str(key)).filter(|v| !v.is_none()),
        _ => None,
    }
}

/// Refuses an options map with a key not in `known`.
#[cfg_attr(not(any(feature = "net", feature = "charts")), allow(dead_code))]
pub fn check_opts(name: &str, opts: Option<&Value>, known: &[&str]) -> Result<()> {
    match opts {
        None | Some(Value::None) => Ok(()),
        Some(Value::Map(m)) => {
            for k in m.map.keys() {
                let ok = matches!(k, Value::Str(s) if known.contains(&s.s.as_str()));
                if !ok {
                    return Err(MemoError::new(
                        "ValueError",
                        format!("{name}(): unknown option {} (known: {})", crate::value::repr(k), known.join(", ")),
                    ));
                }
            }
            Ok(())
        }
        Some(other) => {
            Err(MemoError::new("TypeError", format!("{name}() expects its options as a map, got {}", other.type_name())))
        }
    }
}

/// Runs memo source in a fresh engine: the repr of its value, or
/// `Kind: message` for an error (for the natives' unit tests).
#[cfg(test)]
pub fn eval(src: &str) -> String {
    let mut engine = crate::Engine::builder().run_on_current_thread().build();
    match engine.run(src) {
        Ok(v) => crate::value::repr(&v),
        Err(e) => format!("{}: {}", e.kind(), e.message()),
    }
}

#[cfg(test)]
mod tests {
    /// Every new native that touches files, clocks or the network refuses
    /// when the host turned that off.
    #[test]
    fn sandbox_switches() {
        let mut engine = crate::Engine::builder().limits(crate::Limits::sandbox()).run_on_current_thread().build();
        let mut cases = vec![r#"write_csv("target/x.csv", [[1]])"#, r#"write_json("target/x.json", 1)"#];
        if cfg!(feature = "charts") {
            cases.push(r#"chart("target/x.svg", {"x": [1], "y": [1]})"#);
        }
        if cfg!(feature = "dates") {
            cases.push("today()");
        }
        if cfg!(feature = "net") {
            cases.push(r#"http_get("http://127.0.0.1:9/")"#);
            cases.push(r#"http_get_json("http://127.0.0.1:9/")"#);
        }
        for src in cases {
            let e = engine.run(src).unwrap_err();
            assert_eq!(e.kind(), "PermissionError", "{src}: {}", e.message());
        }
    }
}
