//! System natives (spec §4): time (`sleep`, `now`, `clock`), files
//! (`read_file`, `write_file`, `exists`, `file_mtime`; paths are relative to
//! the current working directory) and `param` (the `--set NAME=VALUE`
//! values of the command line).
//!
//! A host can sandbox scripts: with `Config::allow_fs` off the file natives
//! raise `PermissionError`, and so do the time natives with
//! `Config::allow_clock` off.

use super::{arity, Builtin};
use crate::cache::trace::{note_file, note_impure, note_param, note_write, FileWhat};
use crate::error::{MemoError, Result};
use crate::interp::ops::too_large;
use crate::interp::Interp;
use crate::value::Value;
use std::io::Write;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const NATIVES: &[(&str, Builtin)] = &[
    ("sleep", sleep),
    ("now", now),
    ("clock", clock),
    ("read_file", read_file),
    ("write_file", write_file),
    ("exists", exists),
    ("file_mtime", file_mtime),
    ("param", param),
];

/// The origin of `clock()`.
static START: OnceLock<Instant> = OnceLock::new();

/// Starts `clock()`'s origin if it has not started yet (call it early, e.g.
/// when the interpreter is created, so `clock()` counts from there; otherwise
/// it counts from its first use).
#[allow(dead_code)]
pub fn start_clock() {
    START.get_or_init(Instant::now);
}

/// Refuses file access when the host turned it off.
fn need_fs(interp: &Interp, name: &str) -> Result<()> {
    if interp.config.allow_fs {
        return Ok(());
    }
    Err(MemoError::new("PermissionError", format!("{name}() is not allowed here: the host turned off file access")))
}

/// Refuses clocks and sleeping when the host turned them off.
fn need_clock(interp: &Interp, name: &str) -> Result<()> {
    if interp.config.allow_clock {
        return Ok(());
    }
    Err(MemoError::new("PermissionError", format!("{name}() is not allowed here: the host turned off clock access")))
}

/// `sleep(seconds)`: pauses the script (an int or float >= 0).
fn sleep(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("sleep", args, 1, 1)?;
    need_clock(interp, "sleep")?;
    let secs = match &args[0] {
        Value::Int(i) => *i as f64,
        Value::Float(f) => f.get(),
        other => {
            return Err(MemoError::new("TypeError", format!("sleep() expects a number of seconds, got {}", other.type_name())))
        }
    };
    if secs.is_nan() || secs < 0.0 {
        return Err(MemoError::new(
            "ValueError",
            format!("sleep() needs a non-negative number of seconds, got {}", crate::value::repr(&args[0])),
        ));
    }
    let d = Duration::try_from_secs_f64(secs)
        .map_err(|_| MemoError::new("ValueError", format!("sleep() duration too long: {}", crate::value::repr(&args[0]))))?;
    // Let what was printed so far show while we wait.
    let _ = interp.out.flush();
    // Sleep in slices so an interrupt (Ctrl-C, a host) is noticed quickly.
    // A duration that fits a `Duration` may still overflow the clock.
    let until = std::time::Instant::now()
        .checked_add(d)
        .ok_or_else(|| MemoError::new("ValueError", format!("sleep() duration too long: {}", crate::value::repr(&args[0]))))?;
    loop {
        let now = std::time::Instant::now();
        if now >= until {
            break;
        }
        if interp.interrupt.load(std::sync::atomic::Ordering::Relaxed) {
            interp.interrupt.store(false, std::sync::atomic::Ordering::Relaxed);
            return Err(MemoError::new("Interrupted", "interrupted"));
        }
        std::thread::sleep((until - now).min(Duration::from_millis(50)));
    }
    Ok(Value::None)
}

/// Seconds since the Unix epoch (negative before it).
fn epoch_secs(t: SystemTime) -> f64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    }
}

/// `now()`: wall-clock time, float seconds since the Unix epoch.
fn now(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("now", args, 0, 0)?;
    need_clock(interp, "now")?;
    note_impure(interp, "now");
    Ok(Value::float(epoch_secs(SystemTime::now())))
}

/// `clock()`: monotonic float seconds since the interpreter started (for
/// measuring durations).
fn clock(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("clock", args, 0, 0)?;
    need_clock(interp, "clock")?;
    note_impure(interp, "clock");
    let start = START.get_or_init(Instant::now);
    Ok(Value::float(start.elapsed().as_secs_f64()))
}

fn path_arg<'a>(name: &str, args: &'a [Value]) -> Result<&'a str> {
    match &args[0] {
        Value::Str(s) => Ok(&s.s),
        other => Err(MemoError::new("TypeError", format!("{name}() expects a str path, got {}", other.type_name()))),
    }
}

/// An I/O error's reason without the " (os error N)" suffix.
fn reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn io_error(verb: &str, path: &str, e: &std::io::Error) -> MemoError {
    MemoError::new("IOError", format!("cannot {verb} `{path}`: {}", reason(e)))
}

/// Bytes `read_file` reads at a time, counting each chunk against the
/// budget and the limits before reading the next.
const READ_CHUNK: usize = 1 << 16;

/// `read_file(path)`: the file's content as a string (it must be UTF-8).
fn read_file(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("read_file", args, 1, 1)?;
    need_fs(interp, "read_file")?;
    let path = path_arg("read_file", args)?.to_string();
    let bytes = read_bounded(interp, "read_file", &path)?;
    note_file(interp, Path::new(&path), FileWhat::Content, Some(&bytes));
    let text = String::from_utf8(bytes).map_err(|_| {
        io_error("read", &path, &std::io::Error::new(std::io::ErrorKind::InvalidData, "stream did not contain valid UTF-8"))
    })?;
    Ok(Value::str(text))
}

/// The bytes of the file at `path`, at most `max_collection_len` of them
/// (more is a `LimitError`). Read in chunks, each counted against the
/// budget and the memory limit before the next, so that a file that never
/// ends (`/dev/zero`, a pipe) stops at the limit.
pub(crate) fn read_bounded(interp: &mut Interp, name: &str, path: &str) -> Result<Vec<u8>> {
    let r = read_bounded_inner(interp, name, path);
    if r.is_err() {
        // A cached fn may catch the failure (`try`): it depends on the file
        // all the same, so that creating or fixing it is a miss. (On
        // success the caller records the content it read.)
        note_file(interp, Path::new(path), FileWhat::Content, None);
    }
    r
}

fn read_bounded_inner(interp: &mut Interp, name: &str, path: &str) -> Result<Vec<u8>> {
    use std::io::Read;
    let max = interp.config.max_collection_len;
    let mut file = std::fs::File::open(path).map_err(|e| io_error("read", path, &e))?;
    if let Ok(meta) = file.metadata() {
        if meta.is_file() && meta.len() > max as u64 {
            return Err(too_large("string", meta.len().min(usize::MAX as u64) as usize, max));
        }
    }
    let mut bytes = Vec::new();
    loop {
        interp.check_memory(READ_CHUNK)?;
        let n = (&mut file).take(READ_CHUNK as u64).read_to_end(&mut bytes).map_err(|e| io_error("read", path, &e))?;
        if n == 0 {
            return Ok(bytes);
        }
        if bytes.len() > max {
            return Err(MemoError::new(
                "LimitError",
                format!("{name}(): `{path}` has more than {max} bytes, the limit of a string"),
            ));
        }
        interp.charge_bytes(n)?;
    }
}

/// `write_file(path, text)`: creates or replaces the file; returns `none`.
fn write_file(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("write_file", args, 2, 2)?;
    need_fs(interp, "write_file")?;
    let path = path_arg("write_file", args)?;
    let text = match &args[1] {
        Value::Str(s) => &s.s,
        other => {
            return Err(MemoError::new(
                "TypeError",
                format!("write_file() expects a str to write, got {} (convert it with str(x))", other.type_name()),
            ))
        }
    };
    interp.charge_bytes(text.len())?;
    let r = std::fs::write(path, text.as_bytes()).map_err(|e| io_error("write", path, &e));
    note_write(interp);
    r?;
    Ok(Value::None)
}

/// `exists(path)`: whether a file or directory is there.
fn exists(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("exists", args, 1, 1)?;
    need_fs(interp, "exists")?;
    let path = Path::new(path_arg("exists", args)?);
    let there = path.exists();
    note_file(interp, path, FileWhat::Exists, None);
    Ok(Value::bool(there))
}

/// `file_mtime(path)`: last modification time, float seconds since the epoch.
fn file_mtime(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("file_mtime", args, 1, 1)?;
    need_fs(interp, "file_mtime")?;
    let path = path_arg("file_mtime", args)?;
    let t = std::fs::metadata(path).and_then(|m| m.modified());
    // Recorded whether or not the file is there (a `try` may catch the
    // failure).
    note_file(interp, Path::new(path), FileWhat::Mtime, None);
    let t = t.map_err(|e| io_error("stat", path, &e))?;
    Ok(Value::float(epoch_secs(t)))
}

/// `param(name[, default])`: the value given as `--set name=VALUE`, else the
/// default (`none` when not given).
fn param(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("param", args, 1, 2)?;
    let name = match &args[0] {
        Value::Str(s) => &s.s,
        other => return Err(MemoError::new("TypeError", format!("param() expects a str name, got {}", other.type_name()))),
    };
    let name = name.clone();
    if let Some(v) = interp.params.get(name.as_str()) {
        // Params come from outside (the command line, the host): they obey
        // the length limit like anything else the script gets.
        let max = interp.config.max_collection_len;
        let len = match v {
            Value::Str(s) => Some(("string", s.s.len())),
            Value::List(l) => Some(("list", l.items.len())),
            Value::Map(m) => Some(("map", m.map.len())),
            _ => None,
        };
        if let Some((what, n)) = len.filter(|(_, n)| *n > max) {
            return Err(MemoError::new(
                "LimitError",
                format!(
                    "param `{name}`: the {what} would have {n} {}, more than the limit of {max}",
                    if what == "string" { "bytes" } else { "elements" }
                ),
            ));
        }
    }
    let default = if args.len() == 2 { std::mem::replace(&mut args[1], Value::None) } else { Value::None };
    let v = interp.params.get(name.as_str()).cloned().unwrap_or_else(|| default.clone());
    note_param(interp, &name, &v, &default);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sandbox_switches() {
        let mut interp = crate::engine::new_interp(crate::Cache::memory());
        interp.config.allow_fs = false;
        interp.config.allow_clock = false;
        let path = || [Value::str("Cargo.toml")];
        assert_eq!(read_file(&mut interp, &mut path()).unwrap_err().kind, "PermissionError");
        assert_eq!(exists(&mut interp, &mut path()).unwrap_err().kind, "PermissionError");
        assert_eq!(file_mtime(&mut interp, &mut path()).unwrap_err().kind, "PermissionError");
        let mut w = [Value::str("target/memo-sandbox-test.txt"), Value::str("x")];
        assert_eq!(write_file(&mut interp, &mut w).unwrap_err().kind, "PermissionError");
        assert_eq!(now(&mut interp, &mut []).unwrap_err().kind, "PermissionError");
        assert_eq!(clock(&mut interp, &mut []).unwrap_err().kind, "PermissionError");
        assert_eq!(sleep(&mut interp, &mut [Value::Int(0)]).unwrap_err().kind, "PermissionError");
        interp.config.allow_fs = true;
        interp.config.allow_clock = true;
        assert!(matches!(exists(&mut interp, &mut path()), Ok(Value::Bool(b)) if b.get()));
        assert!(matches!(clock(&mut interp, &mut []), Ok(Value::Float(t)) if t.get() >= 0.0));
    }

    #[test]
    fn io_reasons_drop_os_error_suffix() {
        let e = std::io::Error::from_raw_os_error(2);
        assert!(!reason(&e).contains("os error"));
    }
}
