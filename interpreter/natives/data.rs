//! Data natives (spec §4 "Data"): JSON (`json_parse`, `json_str`), CSV
//! (`read_csv`) and SQLite (`sqlite_open`, `query`, `execute`).
//!
//! Decisions where the spec is silent (also in `docs/embedding.md`):
//!
//! * JSON numbers written without a fraction or exponent that fit an i64 are
//!   ints; every other number is a float (`1.0` stays a float, `1e2` is
//!   `100.0`, `18446744073709551615` is a float). Objects become maps with
//!   str keys, arrays lists. Nesting deeper than 128 levels is a `ValueError`.
//! * `json_str` writes `none`, bools, ints, finite floats, strs, lists, maps
//!   with str keys and structs (as an object of their fields; the type name
//!   is not written). Anything else (a fn, cell, range, type, native object,
//!   a map with a non-str key, NaN or an infinity) is an error, never a
//!   silent `null`. Without an indent the output is on one line with `", "`
//!   and `": "` separators (Python's `json.dumps`); `json_str(v, 2)` indents.
//! * `read_csv`: the first row is the header; a field is an int when it
//!   parses as one, else a float when it parses as one (and has a digit),
//!   else the text as is; an empty field is `none`. A row with another
//!   number of fields than the header is a `ValueError`.
//! * SQLite: `INTEGER` → int, `REAL` → float, `TEXT` → str, `NULL` → none,
//!   `BLOB` → a list of ints (bytes). Parameters: `none`, bool (0/1), int,
//!   float, str, or a list of ints 0..=255 (a BLOB). They are bound, never
//!   interpolated into the SQL.
//!
//! Every `Connection` shares one [`NativeType`] (see [`connection_type`]),
//! which has no hash: a cached fn that receives one needs
//! `cached(hash_funcs: {Connection: id})`.

use super::{arity, bad_arg, Builtin};
use crate::error::{MemoError, Result};
use crate::interp::ops::too_large;
use crate::interp::Interp;
use crate::value::{NativeObject, NativeType, TypeValue, Value};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

pub const NATIVES: &[(&str, Builtin)] = &[
    ("json_parse", json_parse),
    ("json_str", json_str),
    ("read_csv", read_csv),
    ("sqlite_open", sqlite_open),
    ("query", query),
    ("execute", execute),
];

/// Names of the type globals this module defines.
pub const TYPE_NAMES: &[&str] = &["Connection"];

/// Defines the `Connection` type global.
pub fn register_types(interp: &mut Interp) {
    interp.set_global("Connection", Value::Type(Arc::new(TypeValue::Native(connection_type()))));
}

// ----- JSON -----

/// `json_parse(text)`: the value a JSON document stands for.
fn json_parse(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("json_parse", args, 1, 1)?;
    let Value::Str(s) = &args[0] else {
        return Err(bad_arg("json_parse", "a str", &args[0]));
    };
    interp.charge_bytes(s.s.len())?;
    // serde's tree, then memo's values: a few times the text, at most.
    interp.reserve(s.s.len().saturating_mul(8))?;
    let doc: serde_json::Value =
        serde_json::from_str(&s.s).map_err(|e| MemoError::new("ValueError", format!("json_parse(): invalid JSON: {e}")))?;
    let max = interp.config.max_collection_len;
    from_json(interp, doc, max)
}

/// The memo value of a parsed document. Lists and maps obey the length
/// limit, and each value made counts as an operation (`--max-ops`).
pub(crate) fn from_json(interp: &mut Interp, v: serde_json::Value, max: usize) -> Result<Value> {
    interp.step()?;
    Ok(match v {
        serde_json::Value::Null => Value::None,
        serde_json::Value::Bool(b) => Value::bool(b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::float(n.as_f64().unwrap_or(f64::NAN)),
        },
        serde_json::Value::String(s) => Value::str(s),
        serde_json::Value::Array(items) => {
            if items.len() > max {
                return Err(too_large("list", items.len(), max));
            }
            let mut out = Vec::new();
            for item in items {
                out.push(from_json(interp, item, max)?);
            }
            Value::list_from(out)
        }
        serde_json::Value::Object(fields) => {
            if fields.len() > max {
                return Err(too_large("map", fields.len(), max));
            }
            let mut out = crate::value::ValueMap::with_capacity(fields.len());
            for (k, v) in fields {
                out.insert(Value::str(k), from_json(interp, v, max)?);
            }
            Value::map(out)
        }
    })
}

/// `json_str(value[, indent])`: JSON text; `indent` (an int >= 0) spreads
/// containers over lines with that many spaces per level.
pub(crate) fn json_str(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("json_str", args, 1, 2)?;
    let indent = match args.get(1) {
        None | Some(Value::None) => None,
        Some(Value::Int(n)) if (0..=16).contains(n) => Some(*n as usize),
        Some(other) => {
            return Err(MemoError::new(
                "ValueError",
                format!("json_str() indent must be an int from 0 to 16 or none, got {}", crate::value::repr_prefix(other, 200)),
            ))
        }
    };
    let mut w = JsonWriter { out: String::new(), indent, max: interp.config.max_collection_len };
    w.write(interp, &args[0])?;
    interp.charge_bytes(w.out.len())?;
    Ok(Value::str(w.out))
}

struct JsonWriter {
    out: String,
    indent: Option<usize>,
    max: usize,
}

/// A key in a container being written: none (a list), a map key (must be a
/// str), or a struct field name.
enum Key<'a> {
    None,
    Value(&'a Value),
    Field(&'a str),
}

/// An open container: the rest of its entries, and whether one was written.
struct Open<'a> {
    rest: Box<dyn Iterator<Item = (Key<'a>, &'a Value)> + 'a>,
    close: char,
    any: bool,
}

impl JsonWriter {
    fn check_len(&self) -> Result<()> {
        if self.out.len() > self.max {
            return Err(too_large("string", self.out.len(), self.max));
        }
        Ok(())
    }

    fn newline(&mut self, depth: usize) {
        if let Some(n) = self.indent {
            self.out.push('\n');
            for _ in 0..n * depth {
                self.out.push(' ');
            }
        }
    }

    fn string(&mut self, s: &str) {
        // serde_json's escaping (control characters, quotes, backslashes).
        let quoted = serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
        self.out.push_str(&quoted);
    }

    /// Writes a value with an explicit stack of open containers (no
    /// recursion, so any nesting the interpreter allows can be written).
    /// Each value written counts as an operation: a value whose parts are
    /// shared can be far bigger than its memory (see `value/meter.rs`).
    fn write(&mut self, interp: &mut Interp, v: &Value) -> Result<()> {
        let mut open: Vec<Open> = Vec::new();
        if let Some(o) = self.start(v)? {
            open.push(o);
        }
        loop {
            let depth = open.len();
            let Some(top) = open.last_mut() else { break };
            interp.step()?;
            let Some((key, item)) = top.rest.next() else {
                let done = open.pop().expect("an open container");
                if done.any {
                    self.newline(depth - 1);
                }
                self.out.push(done.close);
                self.check_len()?;
                continue;
            };
            if top.any {
                self.out.push(',');
                if self.indent.is_none() {
                    self.out.push(' ');
                }
            }
            top.any = true;
            self.newline(depth);
            match key {
                Key::None => {}
                Key::Field(name) => {
                    self.string(name);
                    self.out.push_str(": ");
                }
                Key::Value(Value::Str(k)) => {
                    self.string(&k.s);
                    self.out.push_str(": ");
                }
                Key::Value(k) => {
                    return Err(MemoError::new(
                        "TypeError",
                        format!(
                            "json_str(): map key {} is not a str; JSON object keys must be strs (convert them with str(k))",
                            crate::value::repr_prefix(k, 200)
                        ),
                    ))
                }
            }
            if let Some(o) = self.start(item)? {
                open.push(o);
            }
        }
        Ok(())
    }

    /// Writes a scalar, or the opening of a container (returned to be filled).
    fn start<'a>(&mut self, v: &'a Value) -> Result<Option<Open<'a>>> {
        match v {
            Value::None => self.out.push_str("null"),
            Value::Bool(b) => self.out.push_str(if b.get() { "true" } else { "false" }),
            Value::Int(i) => {
                let _ = write!(self.out, "{i}");
            }
            Value::Float(f) => {
                let f = f.get();
                if !f.is_finite() {
                    return Err(MemoError::new(
                        "ValueError",
                        format!("json_str(): {} has no JSON form (JSON numbers are finite)", crate::value::repr(v)),
                    ));
                }
                self.out.push_str(&serde_json::to_string(&f).unwrap_or_else(|_| "0.0".into()));
            }
            Value::Str(s) => {
                self.string(&s.s);
                self.check_len()?;
            }
            Value::List(l) => {
                self.out.push('[');
                let rest = Box::new(l.iter().map(|x| (Key::None, x)));
                return Ok(Some(Open { rest, close: ']', any: false }));
            }
            Value::Map(m) => {
                self.out.push('{');
                let rest = Box::new(m.map.iter().map(|(k, x)| (Key::Value(k), x)));
                return Ok(Some(Open { rest, close: '}', any: false }));
            }
            Value::Struct(s) => {
                self.out.push('{');
                let rest = Box::new(s.ty.fields.iter().zip(s.fields.iter()).map(|(k, x)| (Key::Field(k.as_str()), x)));
                return Ok(Some(Open { rest, close: '}', any: false }));
            }
            Value::Range(_)
            | Value::Func(_)
            | Value::Native(_)
            | Value::Cell(_)
            | Value::Type(_)
            | Value::Object(_)
            | Value::Obj(_) => {
                let hint = match v {
                    Value::Range(_) => " (convert it with list(r))",
                    Value::Cell(_) => " (write its content: c.get())",
                    _ => "",
                };
                return Err(MemoError::new(
                    "TypeError",
                    format!("json_str(): a value of type `{}` has no JSON form{hint}", v.type_name()),
                ));
            }
        }
        Ok(None)
    }
}

// ----- CSV -----

/// Refuses file access when the host turned it off.
fn need_fs(interp: &Interp, name: &str) -> Result<()> {
    if interp.config.allow_fs {
        return Ok(());
    }
    Err(MemoError::new("PermissionError", format!("{name}() is not allowed here: the host turned off file access")))
}

/// An I/O error's reason without the " (os error N)" suffix.
fn io_reason(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// A CSV field as a value: int, float, none (empty) or the text.
#[cfg(test)]
fn csv_field(s: &str) -> Value {
    csv_number(s).unwrap_or_else(|| Value::str(s))
}

/// A CSV field's int, float or none (when empty); `None` when it is text.
fn csv_number(s: &str) -> Option<Value> {
    let t = s.trim();
    if t.is_empty() {
        return Some(Value::None);
    }
    if let Ok(i) = t.parse::<i64>() {
        return Some(Value::Int(i));
    }
    if t.bytes().any(|b| b.is_ascii_digit()) {
        if let Ok(f) = t.parse::<f64>() {
            return Some(Value::float(f));
        }
    }
    None
}

/// `read_csv(path)`: a list of maps, one per row, keyed by the header.
fn read_csv(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("read_csv", args, 1, 1)?;
    need_fs(interp, "read_csv")?;
    let Value::Str(path) = &args[0] else {
        return Err(bad_arg("read_csv", "a str path", &args[0]));
    };
    let path = path.s.clone();
    let path = path.as_str();
    let max = interp.config.max_collection_len;
    // The whole file, at most the length limit (a file that never ends
    // stops there), then parsed from memory; a cached fn's trace records
    // what was parsed.
    let bytes = super::system::read_bounded(interp, "read_csv", path)?;
    crate::cache::trace::note_file(interp, std::path::Path::new(path), crate::cache::trace::FileWhat::Content, Some(&bytes));
    let csv_err = |e: csv::Error| -> MemoError {
        let at = e.position().map(|p| format!(" (line {})", p.line())).unwrap_or_default();
        match e.kind() {
            csv::ErrorKind::Io(io) => MemoError::new("IOError", format!("cannot read `{path}`: {}", io_reason(io))),
            csv::ErrorKind::UnequalLengths { expected_len, len, .. } => MemoError::new(
                "ValueError",
                format!(
                    "read_csv(): `{path}`{at}: a row has {len} field{} but the header has {expected_len}",
                    if *len == 1 { "" } else { "s" }
                ),
            ),
            csv::ErrorKind::Utf8 { .. } => {
                MemoError::new("ValueError", format!("read_csv(): `{path}`{at}: the file is not valid UTF-8"))
            }
            _ => MemoError::new("ValueError", format!("read_csv(): `{path}`{at}: {e}")),
        }
    };
    let mut rdr = csv::ReaderBuilder::new().has_headers(true).from_reader(bytes.as_slice());
    let headers: Vec<Value> = rdr.headers().map_err(csv_err)?.iter().map(Value::str).collect();
    for (i, h) in headers.iter().enumerate() {
        if headers[..i].iter().any(|o| crate::value::values_equal(o, h)) {
            return Err(MemoError::new(
                "ValueError",
                format!("read_csv(): `{path}`: the header names column {} twice", crate::value::repr_prefix(h, 200)),
            ));
        }
    }
    // The columns in key order, so a row's map is built sorted, without a
    // search per field.
    let mut order: Vec<usize> = (0..headers.len()).collect();
    order.sort_by(|a, b| headers[*a].cmp(&headers[*b]));
    // The rows share their keys (when they are 1 to 16 names).
    let sorted: Vec<Value> = order.iter().map(|&j| headers[j].clone()).collect();
    let shape = crate::value::map::Shape::new(&sorted);
    let mut strings = Interned::default();
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    while rdr.read_record(&mut record).map_err(csv_err)? {
        if rows.len() >= max {
            return Err(too_large("list", rows.len() + 1, max));
        }
        // Every row has the header's length (the reader is not flexible).
        let row = if let Some(shape) = &shape {
            let mut values = Vec::with_capacity(headers.len());
            for &j in &order {
                interp.step()?;
                let Some(field) = record.get(j) else {
                    return Err(MemoError::new("ValueError", format!("read_csv(): `{path}`: a row is shorter than the header")));
                };
                values.push(csv_field_interned(field, &mut strings));
            }
            crate::value::ValueMap::shaped(shape.clone(), values.into_boxed_slice())
        } else {
            let mut row = crate::value::ValueMap::with_capacity(headers.len());
            for (h, field) in headers.iter().zip(record.iter()) {
                interp.step()?;
                row.insert(h.clone(), csv_field_interned(field, &mut strings));
            }
            row
        };
        rows.push(Value::map(row));
    }
    Ok(Value::list_from(rows))
}

/// Text fields seen before in one `read_csv`, shared instead of allocated
/// again: a column of regions or dates repeats a few values (values are
/// immutable, so sharing is invisible). Short strings only, and at most
/// `INTERN_MAX` of them, so a column of unique values costs one failed
/// lookup each and no memory.
#[derive(Default)]
struct Interned(hashbrown::HashMap<Box<str>, Value>);

const INTERN_MAX: usize = 1 << 16;

/// A CSV field as a value, with strings shared through `seen`.
fn csv_field_interned(s: &str, seen: &mut Interned) -> Value {
    if let Some(v) = csv_number(s) {
        return v;
    }
    if s.len() > 48 {
        return Value::str(s);
    }
    if let Some(v) = seen.0.get(s) {
        return v.clone();
    }
    let v = Value::str(s);
    if seen.0.len() < INTERN_MAX {
        seen.0.insert(s.into(), v.clone());
    }
    v
} // ----- SQLite -----

/// The data of a `Connection` object.
pub struct Connection {
    conn: Mutex<rusqlite::Connection>,
    /// The path it was opened with (for messages).
    pub path: String,
}

impl Connection {
    fn lock(&self) -> MutexGuard<'_, rusqlite::Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` with the underlying rusqlite connection (for hosts).
    pub fn with<T>(&self, f: impl FnOnce(&rusqlite::Connection) -> T) -> T {
        f(&self.lock())
    }
}

/// The one native type of every `Connection` (no hash).
pub fn connection_type() -> Arc<NativeType> {
    static TYPE: OnceLock<Arc<NativeType>> = OnceLock::new();
    TYPE.get_or_init(|| Arc::new(NativeType { name: "Connection".into(), hash: None })).clone()
}

fn sqlite_error(name: &str, e: rusqlite::Error) -> MemoError {
    if e.sqlite_error_code() == Some(rusqlite::ErrorCode::TooBig) {
        // The length limit set on the connection (see `sqlite_open`).
        return MemoError::new("LimitError", format!("{name}(): a string or blob would be longer than the length limit allows"));
    }
    let msg = match &e {
        rusqlite::Error::MultipleStatement => {
            "the SQL holds several statements; with params, pass one statement at a time".to_string()
        }
        rusqlite::Error::ExecuteReturnedResults => "the statement returns rows; use query() to read them".to_string(),
        other => other.to_string(),
    };
    MemoError::new("SqliteError", format!("{name}(): {msg}"))
}

/// `sqlite_open(path)`: a connection to a SQLite database (`":memory:"`
/// for a private in-memory one). The file is created if missing.
fn sqlite_open(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("sqlite_open", args, 1, 1)?;
    let Value::Str(path) = &args[0] else {
        return Err(bad_arg("sqlite_open", "a str path (or \":memory:\")", &args[0]));
    };
    let path = path.s.clone();
    let conn = if path == ":memory:" {
        rusqlite::Connection::open_in_memory()
    } else {
        need_fs(interp, "sqlite_open")?;
        // A cached fn that opens a database depends on it: the file and its
        // write-ahead log (by metadata: databases are too big to hash).
        use crate::cache::trace::{note_file, FileWhat};
        note_file(interp, std::path::Path::new(&path), FileWhat::Stat, None);
        note_file(interp, std::path::Path::new(&format!("{path}-wal")), FileWhat::Stat, None);
        rusqlite::Connection::open(&path)
    }
    .map_err(|e| MemoError::new("SqliteError", format!("sqlite_open(): cannot open `{path}`: {e}")))?;
    // No string or blob SQLite builds may be much longer than the script's
    // length limit (a row holds a few of them): `zeroblob(1e9)` fails in
    // SQLite instead of taking its memory.
    let cap = interp.config.max_collection_len.saturating_mul(4).clamp(1 << 10, 1_000_000_000);
    // SAFETY: the handle is the open connection's, used on this thread only.
    unsafe { rusqlite::ffi::sqlite3_limit(conn.handle(), rusqlite::ffi::SQLITE_LIMIT_LENGTH, cap as std::os::raw::c_int) };
    Ok(Value::Object(Arc::new(NativeObject {
        ty: connection_type(),
        data: Box::new(Connection { conn: Mutex::new(conn), path }),
    })))
}

fn conn_arg<'a>(name: &str, args: &'a [Value]) -> Result<&'a Connection> {
    if let Value::Object(o) = &args[0] {
        if let Some(c) = o.data.downcast_ref::<Connection>() {
            return Ok(c);
        }
    }
    Err(bad_arg(name, "a Connection (from sqlite_open)", &args[0]))
}

fn sql_arg<'a>(name: &str, args: &'a [Value]) -> Result<&'a str> {
    match &args[1] {
        Value::Str(s) => Ok(&s.s),
        other => Err(MemoError::new("TypeError", format!("{name}() expects the SQL as a str, got {}", other.type_name()))),
    }
}

/// A memo value as an SQLite value.
fn to_sql(name: &str, what: &str, v: &Value) -> Result<rusqlite::types::Value> {
    use rusqlite::types::Value as S;
    Ok(match v {
        Value::None => S::Null,
        Value::Bool(b) => S::Integer(b.get() as i64),
        Value::Int(i) => S::Integer(*i),
        Value::Float(f) => S::Real(f.get()),
        Value::Str(s) => S::Text(s.s.clone()),
        Value::List(l) => {
            let mut bytes = Vec::with_capacity(l.items.len());
            for b in l.iter() {
                match b {
                    Value::Int(i) if (0..=255).contains(i) => bytes.push(*i as u8),
                    _ => {
                        return Err(MemoError::new(
                            "TypeError",
                            format!("{name}(): {what} is a list, which binds as a BLOB only when it holds ints 0..=255"),
                        ))
                    }
                }
            }
            S::Blob(bytes)
        }
        other => {
            return Err(MemoError::new(
                "TypeError",
                format!(
                    "{name}(): {what} is a {}; SQLite takes none, bool, int, float, str or a list of bytes",
                    other.type_name()
                ),
            ))
        }
    })
}

/// Binds `params` (a list for `?`, a map for `:name`) to a statement.
fn bind(name: &str, stmt: &mut rusqlite::Statement<'_>, params: Option<&Value>) -> Result<()> {
    let want = stmt.parameter_count();
    match params {
        None | Some(Value::None) => {
            if want > 0 {
                return Err(MemoError::new(
                    "SqliteError",
                    format!(
                        "{name}(): the SQL has {want} parameter{} but no params were given",
                        if want == 1 { "" } else { "s" }
                    ),
                ));
            }
        }
        Some(Value::List(l)) => {
            if l.items.len() != want {
                return Err(MemoError::new(
                    "SqliteError",
                    format!(
                        "{name}(): the SQL has {want} parameter{} but {} were given",
                        if want == 1 { "" } else { "s" },
                        l.items.len()
                    ),
                ));
            }
            for (i, v) in l.iter().enumerate() {
                let sv = to_sql(name, &format!("parameter {}", i + 1), v)?;
                stmt.raw_bind_parameter(i + 1, sv).map_err(|e| sqlite_error(name, e))?;
            }
        }
        Some(Value::Map(m)) => {
            for (k, v) in m.map.iter() {
                let Value::Str(k) = k else {
                    return Err(MemoError::new(
                        "TypeError",
                        format!("{name}(): named params need str keys, got {}", crate::value::repr_prefix(k, 200)),
                    ));
                };
                let key = if k.s.starts_with([':', '@', '$']) { k.s.clone() } else { format!(":{}", k.s) };
                let idx = stmt
                    .parameter_index(&key)
                    .map_err(|e| sqlite_error(name, e))?
                    .ok_or_else(|| MemoError::new("SqliteError", format!("{name}(): the SQL has no parameter `{key}`")))?;
                let sv = to_sql(name, &format!("parameter `{key}`"), v)?;
                stmt.raw_bind_parameter(idx, sv).map_err(|e| sqlite_error(name, e))?;
            }
            for i in 1..=want {
                match stmt.parameter_name(i) {
                    Some(p) => {
                        let bare = &p[1..];
                        if !m.map.contains_key(&Value::str(p)) && !m.map.contains_key(&Value::str(bare)) {
                            return Err(MemoError::new("SqliteError", format!("{name}(): no value given for parameter `{p}`")));
                        }
                    }
                    None => {
                        return Err(MemoError::new(
                            "SqliteError",
                            format!("{name}(): the SQL uses positional `?` parameters; pass params as a list"),
                        ))
                    }
                }
            }
        }
        Some(other) => {
            return Err(MemoError::new(
                "TypeError",
                format!("{name}() expects params as a list (for `?`) or a map (for `:name`), got {}", other.type_name()),
            ))
        }
    }
    Ok(())
}

/// A column's value: text and blobs obey the length limit (a string's
/// bytes, a blob's list of bytes).
fn from_sql(v: rusqlite::types::ValueRef<'_>, max: usize) -> Result<Value> {
    use rusqlite::types::ValueRef as S;
    Ok(match v {
        S::Null => Value::None,
        S::Integer(i) => Value::Int(i),
        S::Real(f) => Value::float(f),
        S::Text(t) if t.len() > max => return Err(too_large("string", t.len(), max)),
        S::Text(t) => Value::str(String::from_utf8_lossy(t).into_owned()),
        S::Blob(b) if b.len() > max => return Err(too_large("list", b.len(), max)),
        S::Blob(b) => Value::list(b.iter().map(|x| Value::Int(*x as i64)).collect()),
    })
}

/// `query(conn, sql[, params])`: the rows as a list of maps (column → value).
fn query(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("query", args, 2, 3)?;
    let conn = conn_arg("query", args)?;
    let sql = sql_arg("query", args)?;
    let max = interp.config.max_collection_len;
    let mut db = conn.lock();
    let steps = guard(interp, &mut db);
    let r = (|| {
        let mut stmt = db.prepare(sql).map_err(|e| sqlite_error("query", e))?;
        bind("query", &mut stmt, args.get(2))?;
        let columns: Vec<Value> = stmt.column_names().map(Value::str).collect();
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| sqlite_error("query", e))? {
            if out.len() >= max {
                return Err(too_large("list", out.len() + 1, max));
            }
            let mut m = crate::value::ValueMap::with_capacity(columns.len());
            for (i, c) in columns.iter().enumerate() {
                interp.step()?;
                let v = row.get_ref(i).map_err(|e| sqlite_error("query", e))?;
                match v {
                    rusqlite::types::ValueRef::Text(t) => interp.charge_bytes(t.len())?,
                    rusqlite::types::ValueRef::Blob(b) => interp.charge(b.len() as u64)?,
                    _ => {}
                }
                m.insert(c.clone(), from_sql(v, max)?);
            }
            out.push(Value::map(m));
        }
        Ok(Value::list_from(out))
    })();
    unguard(interp, &mut db, &steps, r)
}

/// `execute(conn, sql[, params])`: runs a statement; returns the number of
/// rows it changed. Without params, the SQL may hold several statements
/// (a schema, say); the count is then the total they changed.
fn execute(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("execute", args, 2, 3)?;
    let conn = conn_arg("execute", args)?;
    let sql = sql_arg("execute", args)?;
    let mut db = conn.lock();
    let steps = guard(interp, &mut db);
    crate::cache::trace::note_write(interp);
    let r = (|| {
        if matches!(args.get(2), None | Some(Value::None)) {
            // Statement by statement: each is prepared after the previous ran,
            // so a schema can create a table and then index it.
            use rusqlite::fallible_iterator::FallibleIterator;
            let mut batch = rusqlite::Batch::new(&db, sql);
            let mut changed = 0usize;
            while let Some(mut stmt) = batch.next().map_err(|e| sqlite_error("execute", e))? {
                bind("execute", &mut stmt, None)?;
                changed += stmt.raw_execute().map_err(|e| sqlite_error("execute", e))?;
            }
            return Ok(Value::Int(changed as i64));
        }
        let mut stmt = db.prepare(sql).map_err(|e| sqlite_error("execute", e))?;
        bind("execute", &mut stmt, args.get(2))?;
        let n = stmt.raw_execute().map_err(|e| sqlite_error("execute", e))?;
        Ok(Value::Int(n as i64))
    })();
    unguard(interp, &mut db, &steps, r)
}

/// SQLite virtual-machine steps between looks at the interrupt flag and
/// the operation budget; each look counts that many operations.
const SQL_STEPS: u64 = 1000;

/// Lets a long statement be stopped like a memo loop: by the interrupt flag
/// (Ctrl-C, a host) and by the operation budget (`max_ops`), so an untrusted
/// script cannot hang in SQL (e.g. an endless recursive CTE).
fn guard(interp: &Interp, db: &mut rusqlite::Connection) -> Arc<AtomicU64> {
    let flag = interp.interrupt.clone();
    let remaining = interp.config.max_ops.map(|m| m.saturating_sub(interp.ops));
    let steps = Arc::new(AtomicU64::new(0));
    let counted = steps.clone();
    let _ = db.progress_handler(
        SQL_STEPS as std::os::raw::c_int,
        Some(move || {
            let n = counted.fetch_add(SQL_STEPS, Ordering::Relaxed) + SQL_STEPS;
            flag.load(Ordering::Relaxed) || remaining.is_some_and(|r| n > r)
        }),
    );
    steps
}

/// Removes the handler, charges the steps to the budget, and turns an
/// aborted statement into the error a memo loop would have raised.
fn unguard(interp: &mut Interp, db: &mut rusqlite::Connection, steps: &AtomicU64, r: Result<Value>) -> Result<Value> {
    let _ = db.progress_handler(0, None::<fn() -> bool>);
    interp.ops += steps.load(Ordering::Relaxed);
    if r.is_err() {
        if interp.interrupt.swap(false, Ordering::Relaxed) {
            return Err(MemoError::new("Interrupted", "interrupted"));
        }
        if interp.ops_exhausted() {
            let max = interp.config.max_ops.unwrap_or(0);
            return Err(MemoError::new("LimitError", format!("operation limit of {max} exceeded")));
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields() {
        assert!(matches!(csv_field("42"), Value::Int(42)));
        assert!(matches!(csv_field(" -7 "), Value::Int(-7)));
        assert!(matches!(csv_field("2.5"), Value::Float(f) if f.get() == 2.5));
        assert!(matches!(csv_field("1e3"), Value::Float(f) if f.get() == 1000.0));
        assert!(matches!(csv_field(""), Value::None));
        assert_eq!(csv_field("inf").as_str(), Some("inf"));
        assert_eq!(csv_field("NaN").as_str(), Some("NaN"));
        assert_eq!(csv_field("Ada").as_str(), Some("Ada"));
    }

    #[test]
    fn connections_share_one_type() {
        assert!(Arc::ptr_eq(&connection_type(), &connection_type()));
    }
}
