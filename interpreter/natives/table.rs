//! `table(rows[, columns[, style]])`: an aligned text table (comfy-table),
//! returned as a string to print.
//!
//! * `rows` is a list of maps or structs (the columns are `columns`, else
//!   every key in the order first seen), a list of lists (one row each,
//!   under a header of `columns` when given), a list of other values (one
//!   column), or a map (two columns: key and value).
//! * Cells show values as `str(x)` prints them (`none` as an empty cell).
//!   Numbers, and strings that read as numbers (`"1,234.50"`, `"-3%"`),
//!   are right-aligned, and so is the header of a column holding only
//!   those; other cells are left-aligned. A cell longer than 40 characters
//!   is cut with `…`, and line breaks in a cell show as spaces.
//! * `style`: `"unicode"` (the default, box-drawing characters), `"ascii"`
//!   or `"markdown"`.

use super::{arity, bad_arg, Builtin};
use crate::error::{MemoError, Result};
use crate::interp::ops::too_large;
use crate::interp::Interp;
use crate::value::Value;
use comfy_table::{Cell, CellAlignment, Table};

pub const NATIVES: &[(&str, Builtin)] = &[("table", table)];

/// The widest a cell is shown, in characters.
const MAX_CELL: usize = 40;

/// Whether a string reads as a number (digits with an optional sign,
/// grouping commas or underscores, a point, an exponent, a currency sign
/// before or a `%` after).
fn looks_numeric(s: &str) -> bool {
    let t = s.trim();
    let t = t.strip_prefix(['-', '+']).unwrap_or(t);
    let t = t.strip_prefix(['$', '€', '£', '¥']).unwrap_or(t);
    let t = t.strip_suffix('%').unwrap_or(t);
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], Some(&t[i + 1..])),
        None => (t, None),
    };
    let digits = mantissa.bytes().filter(u8::is_ascii_digit).count();
    let points = mantissa.bytes().filter(|b| *b == b'.').count();
    digits > 0
        && points <= 1
        && mantissa.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b',' | b'_'))
        && !mantissa.starts_with([',', '_'])
        && exp.map_or(true, |e| {
            let e = e.strip_prefix(['-', '+']).unwrap_or(e);
            !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
        })
}

/// A cell: its text and whether it is a number.
fn cell_of(v: &Value) -> Result<(String, bool)> {
    let (text, numeric) = match v {
        Value::None => (String::new(), false),
        Value::Int(_) | Value::Float(_) => (crate::value::repr(v), true),
        Value::Str(s) => (s.s.clone(), looks_numeric(&s.s)),
        other => (crate::value::repr_prefix(other, (MAX_CELL + 1) * 4), false),
    };
    let mut text: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if let Some((at, _)) = text.char_indices().nth(MAX_CELL) {
        let keep = text[..at].char_indices().nth(MAX_CELL - 1).map_or(at, |(i, _)| i);
        text.truncate(keep);
        text.push('…');
    }
    Ok((text, numeric))
}

/// The entry `k` of a record (a map or struct).
fn entry<'a>(row: &'a Value, k: &Value) -> Option<&'a Value> {
    match row {
        Value::Map(m) => m.map.get(k),
        Value::Struct(s) => {
            let name = k.as_str()?;
            s.ty.fields.iter().position(|f| f.as_str() == name).map(|i| &s.fields[i])
        }
        _ => None,
    }
}

/// `table(rows[, columns[, style]])`: see the module comment.
fn table(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("table", args, 1, 3)?;
    let max = interp.config.max_collection_len;
    let columns: Option<Vec<Value>> = match args.get(1) {
        None | Some(Value::None) => None,
        Some(Value::List(l)) => Some(l.iter().cloned().collect()),
        Some(other) => return Err(bad_arg("table", "the columns as a list", other)),
    };
    let preset = match args.get(2) {
        None => comfy_table::presets::UTF8_FULL_CONDENSED,
        Some(Value::Str(s)) if s.s == "unicode" => comfy_table::presets::UTF8_FULL_CONDENSED,
        // ASCII_FULL_CONDENSED with `+` where the header line crosses a column.
        Some(Value::Str(s)) if s.s == "ascii" => "||--+=++|    ++++++",
        Some(Value::Str(s)) if s.s == "markdown" => comfy_table::presets::ASCII_MARKDOWN,
        Some(other) => {
            return Err(MemoError::new(
                "ValueError",
                format!("table() style must be \"unicode\", \"ascii\" or \"markdown\", got {}", crate::value::repr(other)),
            ))
        }
    };
    // The header (if any) and the rows, as values.
    let (header, rows): (Option<Vec<Value>>, Vec<Vec<Value>>) = match &args[0] {
        Value::Map(m) => {
            let h = columns.unwrap_or_else(|| vec![Value::str("key"), Value::str("value")]);
            if h.len() != 2 {
                return Err(MemoError::new("ValueError", "table() of a map has two columns: give two column names"));
            }
            (Some(h), m.map.iter().map(|(k, v)| vec![k.clone(), v.clone()]).collect())
        }
        Value::List(l) if l.iter().all(|r| matches!(r, Value::Map(_) | Value::Struct(_))) && !l.items.is_empty() => {
            let h = match columns {
                Some(c) => c,
                None => {
                    let mut h: Vec<Value> = Vec::new();
                    for r in l.iter() {
                        let names: Vec<Value> = match r {
                            Value::Map(m) => m.map.keys().cloned().collect(),
                            Value::Struct(s) => s.ty.fields.iter().map(|f| Value::str(f.as_str())).collect(),
                            _ => Vec::new(),
                        };
                        for n in names {
                            if !h.iter().any(|x| crate::value::values_equal(x, &n)) {
                                h.push(n);
                            }
                        }
                    }
                    h
                }
            };
            let rows = l.iter().map(|r| h.iter().map(|k| entry(r, k).cloned().unwrap_or(Value::None)).collect()).collect();
            (Some(h), rows)
        }
        Value::List(l) if l.iter().all(|r| matches!(r, Value::List(_))) && !l.items.is_empty() => {
            let rows = l.iter().map(|r| if let Value::List(x) = r { x.iter().cloned().collect() } else { Vec::new() }).collect();
            (columns, rows)
        }
        Value::List(l) => {
            (Some(columns.unwrap_or_else(|| vec![Value::str("value")])), l.iter().map(|x| vec![x.clone()]).collect())
        }
        other => return Err(bad_arg("table", "a list of rows or a map", other)),
    };
    let ncols = rows.iter().map(Vec::len).max().unwrap_or(0).max(header.as_ref().map_or(0, Vec::len));
    let mut cells: Vec<Vec<(String, bool)>> = Vec::with_capacity(rows.len());
    let mut size = 0usize;
    for r in &rows {
        let mut out = Vec::with_capacity(ncols);
        for v in r {
            let c = cell_of(v)?;
            size += c.0.len() + 3;
            out.push(c);
        }
        if size > max {
            return Err(too_large("string", size, max));
        }
        cells.push(out);
    }
    // A column is numeric when every non-empty cell in it is.
    let numeric: Vec<bool> = (0..ncols)
        .map(|j| {
            let mut any = false;
            for r in &cells {
                match r.get(j) {
                    Some((t, _)) if t.is_empty() => {}
                    Some((_, n)) if !*n => return false,
                    Some(_) => any = true,
                    None => {}
                }
            }
            any
        })
        .collect();
    let mut t = Table::new();
    t.load_preset(preset);
    if let Some(h) = &header {
        let mut hc = Vec::with_capacity(ncols);
        for (j, v) in h.iter().enumerate() {
            let (text, _) = cell_of(v)?;
            let align = if numeric.get(j).copied().unwrap_or(false) { CellAlignment::Right } else { CellAlignment::Left };
            hc.push(Cell::new(text).set_alignment(align));
        }
        t.set_header(hc);
    }
    for r in cells {
        t.add_row(
            r.into_iter()
                .map(|(text, n)| Cell::new(text).set_alignment(if n { CellAlignment::Right } else { CellAlignment::Left }))
                .collect::<Vec<_>>(),
        );
    }
    let out = t.to_string();
    if out.len() > max {
        return Err(too_large("string", out.len(), max));
    }
    Ok(Value::str(out))
}

#[cfg(test)]
mod tests {
    use super::super::args::eval;
    use super::looks_numeric;

    #[test]
    fn numeric_strings() {
        for s in ["1", "-1,234.50", "3%", "$12", "1e5", "+2.5E-3", "1_000", " 42 "] {
            assert!(looks_numeric(s), "{s}");
        }
        for s in ["", "-", "1.2.3", "abc", "1e", "12a", ",1", "2024-03", "NaN", "e5"] {
            assert!(!looks_numeric(s), "{s}");
        }
    }

    #[test]
    fn renders() {
        let got = eval(r#"table([{"region": "North", "total": 1234.5}, {"region": "South-East", "total": 99}])"#);
        let want = "\"┌────────────┬────────┐\\n│ region     ┆  total │\\n╞════════════╪════════╡\\n│ North      ┆ 1234.5 │\\n├╌╌╌╌╌╌╌╌╌╌╌╌┼╌╌╌╌╌╌╌╌┤\\n│ South-East ┆     99 │\\n└────────────┴────────┘\"";
        assert_eq!(got, want.replace("├╌╌╌╌╌╌╌╌╌╌╌╌┼╌╌╌╌╌╌╌╌┤\\n", ""));
        assert_eq!(
            eval(r#"table([[1, "a"], [22, none]], ["n", "s"], "markdown")"#),
            "\"|  n | s |\\n|----|---|\\n|  1 | a |\\n| 22 |   |\""
        );
        assert_eq!(
            eval(r#"table({"a": 1}, none, "ascii")"#),
            "\"+-----+-------+\\n| key | value |\\n+=====+=======+\\n| a   |     1 |\\n+-----+-------+\""
        );
        let long = eval(r#"table([repeat("x", 100)], none, "markdown")"#);
        assert!(long.contains(&format!("{}…", "x".repeat(39))), "{long}");
        assert_eq!(eval("table(5)"), "TypeError: table() expects a list of rows or a map, got int");
        assert_eq!(
            eval(r#"table([], none, "fancy")"#),
            "ValueError: table() style must be \"unicode\", \"ascii\" or \"markdown\", got \"fancy\""
        );
        let mut engine = crate::Engine::builder().max_collection_len(50).run_on_current_thread().build();
        let e = engine.run(r#"table([[1, 2, 3], [4, 5, 6], [7, 8, 9], [1, 2, 3]])"#).unwrap_err();
        assert_eq!(e.kind(), "LimitError");
    }
}
