//! Writing results: `write_csv(path, rows[, columns])` and
//! `write_json(path, value[, indent])`. Both create or replace the file
//! and return `none`; both need file access.
//!
//! `write_csv` takes a list of maps (or structs): the columns are the
//! `columns` given, else every key in the order first seen (a map's keys
//! in key order); a missing key is an empty field. Or a list of lists:
//! one record each, under a header of `columns` when given. Fields: `none`
//! is empty, a string as is, a number or bool as `str(x)` prints it, any
//! other value as its `repr`. `read_csv` reads back what it writes.

use super::args::{need_fs, str as str_arg};
use super::{arity, bad_arg, Builtin};
use crate::cache::trace::note_write;
use crate::error::{MemoError, Result};
use crate::interp::Interp;
use crate::value::Value;

pub const NATIVES: &[(&str, Builtin)] = &[("write_csv", write_csv), ("write_json", write_json)];

/// The text of one CSV field.
fn field_text(v: &Value) -> String {
    match v {
        Value::None => String::new(),
        Value::Str(s) => s.s.clone(),
        other => crate::value::repr(other),
    }
}

/// The entry `k` of a record (a map or struct), if it has one.
fn entry<'a>(row: &'a Value, k: &str) -> Option<&'a Value> {
    match row {
        Value::Map(m) => m.map.get_str(k),
        Value::Struct(s) => s.ty.fields.iter().position(|f| f.as_str() == k).map(|i| &s.fields[i]),
        _ => None,
    }
}

/// The column names of a record, in its order.
fn names_of(row: &Value) -> Result<Vec<String>> {
    match row {
        Value::Map(m) => m
            .map
            .keys()
            .map(|k| match k {
                Value::Str(s) => Ok(s.s.clone()),
                other => Err(MemoError::new(
                    "TypeError",
                    format!("write_csv(): column names must be strs, got the key {}", crate::value::repr(other)),
                )),
            })
            .collect(),
        Value::Struct(s) => Ok(s.ty.fields.iter().map(|f| f.to_string()).collect()),
        _ => Ok(Vec::new()),
    }
}

/// `write_csv(path, rows[, columns])`: see the module comment.
fn write_csv(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("write_csv", args, 2, 3)?;
    need_fs(interp, "write_csv")?;
    let path = str_arg("write_csv", args, 0)?.s.clone();
    let rows = match &args[1] {
        Value::List(l) => l.clone(),
        other => return Err(bad_arg("write_csv", "a list of rows (maps, structs or lists)", other)),
    };
    let given: Option<Vec<String>> = match args.get(2) {
        None | Some(Value::None) => None,
        Some(Value::List(l)) => Some(
            l.iter()
                .map(|c| match c {
                    Value::Str(s) => Ok(s.s.clone()),
                    other => Err(MemoError::new(
                        "TypeError",
                        format!("write_csv() column names must be strs, got {}", other.type_name()),
                    )),
                })
                .collect::<Result<_>>()?,
        ),
        Some(other) => return Err(bad_arg("write_csv", "the columns as a list of strs", other)),
    };
    let records = rows.iter().all(|r| matches!(r, Value::Map(_) | Value::Struct(_)));
    let lists = rows.iter().all(|r| matches!(r, Value::List(_)));
    if !records && !lists {
        let odd = rows.iter().find(|r| !matches!(r, Value::Map(_) | Value::Struct(_) | Value::List(_)));
        return Err(MemoError::new(
            "TypeError",
            match odd {
                Some(v) => format!("write_csv() rows must be maps, structs or lists, got {}", v.type_name()),
                None => "write_csv() rows must be all records (maps, structs) or all lists".to_string(),
            },
        ));
    }
    let mut out = csv::WriterBuilder::new().flexible(false).from_writer(Vec::new());
    let csv_err = |e: csv::Error| MemoError::new("ValueError", format!("write_csv(): {e}"));
    if records && !rows.items.is_empty() {
        let columns = match given {
            Some(c) => c,
            None => {
                let mut cols: Vec<String> = Vec::new();
                for r in rows.iter() {
                    for n in names_of(r)? {
                        if !cols.contains(&n) {
                            cols.push(n);
                        }
                    }
                }
                cols
            }
        };
        out.write_record(&columns).map_err(csv_err)?;
        for r in rows.iter() {
            out.write_record(columns.iter().map(|c| entry(r, c).map(field_text).unwrap_or_default())).map_err(csv_err)?;
        }
    } else {
        if let Some(c) = &given {
            out.write_record(c).map_err(csv_err)?;
        }
        for r in rows.iter() {
            if let Value::List(l) = r {
                out.write_record(l.iter().map(field_text)).map_err(|e| match e.kind() {
                    csv::ErrorKind::UnequalLengths { expected_len, len, .. } => MemoError::new(
                        "ValueError",
                        format!("write_csv(): a row has {len} fields but the first has {expected_len}"),
                    ),
                    _ => csv_err(e),
                })?;
            }
        }
    }
    let bytes = out.into_inner().map_err(|e| MemoError::new("IOError", format!("write_csv(): {e}")))?;
    let r = std::fs::write(&path, bytes)
        .map_err(|e| MemoError::new("IOError", format!("cannot write `{path}`: {}", super::args::io_reason(&e))));
    note_write(interp);
    r?;
    Ok(Value::None)
}

/// `write_json(path, value[, indent])`: `json_str(value, indent)` and a
/// newline, written to the file.
fn write_json(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("write_json", args, 2, 3)?;
    need_fs(interp, "write_json")?;
    let path = str_arg("write_json", args, 0)?.s.clone();
    let mut rest: Vec<Value> = args[1..].to_vec();
    let text = match super::data::json_str(interp, &mut rest) {
        Ok(Value::Str(s)) => s,
        Ok(_) => unreachable!("json_str returns a str"),
        Err(e) => return Err(MemoError::new(e.kind.clone(), e.message.replacen("json_str()", "write_json()", 1))),
    };
    let mut bytes = text.s.clone().into_bytes();
    bytes.push(b'\n');
    let r = std::fs::write(&path, bytes)
        .map_err(|e| MemoError::new("IOError", format!("cannot write `{path}`: {}", super::args::io_reason(&e))));
    note_write(interp);
    r?;
    Ok(Value::None)
}

#[cfg(test)]
mod tests {
    use super::super::args::eval;

    #[test]
    fn round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.csv");
        let p = p.display().to_string().replace('\\', "/");
        let src = format!(
            r#"write_csv("{p}", [{{"name": "a, b", "n": 1, "x": 2.5}}, {{"name": "q\"uote", "n": none, "extra": true}}])
read_file("{p}")"#
        );
        assert_eq!(eval(&src), r#""n,name,x,extra\n1,\"a, b\",2.5,\n,\"q\"\"uote\",,true\n""#);
        let src = format!(
            r#"write_csv("{p}", [[1, "x"], [2, "y"]], ["id", "v"])
read_csv("{p}")"#
        );
        assert_eq!(eval(&src), r#"[{"id": 1, "v": "x"}, {"id": 2, "v": "y"}]"#);
        let src = format!(
            r#"write_csv("{p}", [{{"b": 1, "a": 2}}], ["b", "a"])
read_file("{p}")"#
        );
        assert_eq!(eval(&src), r#""b,a\n1,2\n""#);
        assert_eq!(
            eval(&format!(r#"write_csv("{p}", [[1], [1, 2]])"#)),
            "ValueError: write_csv(): a row has 2 fields but the first has 1"
        );
        assert_eq!(
            eval(&format!(r#"write_csv("{p}", [1])"#)),
            "TypeError: write_csv() rows must be maps, structs or lists, got int"
        );
        assert_eq!(
            eval(&format!(r#"write_csv("{p}", [{{1: 2}}])"#)),
            "TypeError: write_csv(): column names must be strs, got the key 1"
        );
        let j = dir.path().join("out.json").display().to_string().replace('\\', "/");
        let src = format!(
            r#"write_json("{j}", {{"a": [1, 2.5, none]}}, 2)
json_parse(read_file("{j}"))"#
        );
        assert_eq!(eval(&src), r#"{"a": [1, 2.5, none]}"#);
        assert_eq!(
            eval(&format!(r#"write_json("{j}", nan)"#)),
            "ValueError: write_json(): NaN has no JSON form (JSON numbers are finite)"
        );
        assert_eq!(
            eval(r#"write_json("/nonexistent-dir/x.json", 1)"#),
            "IOError: cannot write `/nonexistent-dir/x.json`: No such file or directory"
        );
    }
}
