//! Dates and times (the `jiff` crate): `date`, `datetime`, `parse_date`,
//! `parse_datetime`, `format_date`, `date_add`, `date_diff`, `weekday`,
//! `date_parts`, `timestamp`, `from_timestamp`, `today`.
//!
//! Dates and times are ISO-8601 strings, so they print, compare, sort,
//! hash and go through CSV and JSON as they are:
//!
//! * a date: `"2024-03-15"`;
//! * a civil datetime (no offset): `"2024-03-15T10:30:00"` (fractional
//!   seconds when there are some: `"...T10:30:00.25"`);
//! * a datetime at a fixed offset: `"2024-03-15T10:30:00Z"` (UTC),
//!   `"2024-03-15T10:30:00+05:30"`.
//!
//! The natives accept these forms (and a space instead of the `T`, minutes
//! without seconds) and give them back in this canonical form. Named time
//! zones (`[Europe/Paris]`) are not supported. An invalid date
//! (`"2024-02-30"`) is a `ValueError`.
//!
//! Everything is pure except `today()`, which reads the clock (it needs
//! clock access, and a cached fn that calls it warns as with `now()`).

use super::args::{int, need_clock, num, str as str_arg};
use super::{arity, Builtin};
use crate::error::{MemoError, Result};
use crate::interp::Interp;
use crate::value::{Value, ValueMap};
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{Offset, TimeZone};
use jiff::{Span, Timestamp, Unit};

pub const NATIVES: &[(&str, Builtin)] = &[
    ("date", date),
    ("datetime", datetime),
    ("parse_date", parse_date),
    ("parse_datetime", parse_datetime),
    ("format_date", format_date),
    ("date_add", date_add),
    ("date_diff", date_diff),
    ("weekday", weekday),
    ("date_parts", date_parts),
    ("timestamp", timestamp),
    ("from_timestamp", from_timestamp),
    ("today", today),
];

/// A parsed date or time.
#[derive(Clone, Copy, Debug, PartialEq)]
enum When {
    Date(Date),
    Civil(DateTime),
    /// A civil datetime at a fixed offset from UTC.
    Fixed(DateTime, Offset),
}

fn bad(name: &str, what: impl std::fmt::Display) -> MemoError {
    MemoError::new("ValueError", format!("{name}(): {what}"))
}

/// jiff's message, first letter kept (they are lower-case phrases).
fn why(e: jiff::Error) -> String {
    e.to_string()
}

impl When {
    fn parse(name: &str, s: &str) -> Result<When> {
        let p = jiff::fmt::temporal::Pieces::parse(s.trim())
            .map_err(|e| bad(name, format!("invalid date or time {}: {}", crate::value::repr(&Value::str(s)), why(e))))?;
        if p.time_zone_annotation().is_some() {
            return Err(bad(
                name,
                format!(
                    "{}: named time zones are not supported (write an offset such as +01:00)",
                    crate::value::repr(&Value::str(s))
                ),
            ));
        }
        Ok(match (p.time(), p.offset()) {
            (None, _) => When::Date(p.date()),
            (Some(t), None) => When::Civil(DateTime::from_parts(p.date(), t)),
            (Some(t), Some(o)) => When::Fixed(DateTime::from_parts(p.date(), t), o.to_numeric_offset()),
        })
    }

    fn arg(name: &str, args: &[Value], i: usize) -> Result<When> {
        When::parse(name, &str_arg(name, args, i)?.s)
    }

    /// The canonical string.
    fn text(&self) -> String {
        match self {
            When::Date(d) => d.to_string(),
            When::Civil(dt) => dt.to_string(),
            When::Fixed(dt, off) => format!("{dt}{}", offset_text(*off)),
        }
    }

    /// The civil datetime (a date at midnight).
    fn civil(&self) -> DateTime {
        match self {
            When::Date(d) => d.to_datetime(Time::midnight()),
            When::Civil(dt) | When::Fixed(dt, _) => *dt,
        }
    }

    /// The instant: a date or civil datetime is read as UTC.
    fn instant(&self, name: &str) -> Result<Timestamp> {
        let (dt, off) = match self {
            When::Fixed(dt, off) => (*dt, *off),
            other => (other.civil(), Offset::UTC),
        };
        off.to_timestamp(dt).map_err(|e| bad(name, why(e)))
    }
}

/// `Z`, or `+05:30` (`+hh:mm:ss` when there are seconds).
fn offset_text(off: Offset) -> String {
    let s = off.seconds();
    if s == 0 {
        return "Z".into();
    }
    let a = s.unsigned_abs();
    let sign = if s < 0 { '-' } else { '+' };
    if a % 60 == 0 {
        format!("{sign}{:02}:{:02}", a / 3600, a % 3600 / 60)
    } else {
        format!("{sign}{:02}:{:02}:{:02}", a / 3600, a % 3600 / 60, a % 60)
    }
}

/// Ints `args[from..]` as i16/i8 date and time parts.
fn parts(name: &str, args: &[Value], from: usize) -> Result<Vec<i64>> {
    (from..args.len()).map(|i| int(name, args, i)).collect()
}

fn small<T: TryFrom<i64>>(name: &str, what: &str, v: i64) -> Result<T> {
    T::try_from(v).map_err(|_| bad(name, format!("{what} {v} is out of range")))
}

fn make_date(name: &str, p: &[i64]) -> Result<Date> {
    Date::new(small(name, "year", p[0])?, small(name, "month", p[1])?, small(name, "day", p[2])?)
        .map_err(|e| bad(name, format!("invalid date: {}", why(e))))
}

/// `date(s)`: the date of an ISO date or datetime string (in its own
/// offset); `date(year, month, day)`: that date.
fn date(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("date", args, 1, 3)?;
    if args.len() == 3 {
        return Ok(Value::str(make_date("date", &parts("date", args, 0)?)?.to_string()));
    }
    if args.len() != 1 {
        return Err(MemoError::new("TypeError", "date() takes a string, or a year, month and day"));
    }
    Ok(Value::str(When::arg("date", args, 0)?.civil().date().to_string()))
}

/// `datetime(s)`: an ISO date or datetime in canonical form (a date is its
/// midnight); `datetime(y, mo, d[, h, mi, s])`: that civil datetime.
fn datetime(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("datetime", args, 1, 6)?;
    if args.len() == 1 {
        return Ok(Value::str(match When::arg("datetime", args, 0)? {
            When::Date(d) => When::Civil(d.to_datetime(Time::midnight())).text(),
            other => other.text(),
        }));
    }
    if args.len() < 3 {
        return Err(MemoError::new("TypeError", "datetime() takes a string, or a year, month, day[, hour, minute, second]"));
    }
    let p = parts("datetime", args, 0)?;
    let d = make_date("datetime", &p)?;
    let get = |i: usize| p.get(i).copied().unwrap_or(0);
    let t = Time::new(
        small("datetime", "hour", get(3))?,
        small("datetime", "minute", get(4))?,
        small("datetime", "second", get(5))?,
        0,
    )
    .map_err(|e| bad("datetime", format!("invalid time: {}", why(e))))?;
    Ok(Value::str(When::Civil(d.to_datetime(t)).text()))
}

/// `parse_date(s, pattern)`: a date read with a strptime pattern
/// (`"%d/%m/%Y"`).
fn parse_date(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("parse_date", args, 2, 2)?;
    let s = str_arg("parse_date", args, 0)?;
    let pat = str_arg("parse_date", args, 1)?;
    let t = jiff::fmt::strtime::parse(pat.s.as_bytes(), s.s.as_bytes()).and_then(|b| b.to_date()).map_err(|e| {
        bad("parse_date", format!("{} does not match {}: {}", crate::value::repr(&args[0]), crate::value::repr(&args[1]), why(e)))
    })?;
    Ok(Value::str(t.to_string()))
}

/// `parse_datetime(s, pattern)`: a datetime read with a strptime pattern;
/// with `%z` in the pattern it keeps the offset.
fn parse_datetime(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("parse_datetime", args, 2, 2)?;
    let s = str_arg("parse_datetime", args, 0)?;
    let pat = str_arg("parse_datetime", args, 1)?;
    let fail = |e: jiff::Error| {
        bad(
            "parse_datetime",
            format!("{} does not match {}: {}", crate::value::repr(&args[0]), crate::value::repr(&args[1]), why(e)),
        )
    };
    let b = jiff::fmt::strtime::parse(pat.s.as_bytes(), s.s.as_bytes()).map_err(fail)?;
    let dt = b.to_datetime().map_err(fail)?;
    Ok(Value::str(match b.offset() {
        Some(off) => When::Fixed(dt, off).text(),
        None => When::Civil(dt).text(),
    }))
}

/// `format_date(d, pattern)`: a date or datetime written with a strftime
/// pattern (`"%A %d %B %Y"`, `"%H:%M"`, `"%Y-%m"`).
fn format_date(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("format_date", args, 2, 2)?;
    let w = When::arg("format_date", args, 0)?;
    let pat = str_arg("format_date", args, 1)?;
    let r = match w {
        When::Date(d) => jiff::fmt::strtime::format(pat.s.as_bytes(), d),
        When::Civil(dt) => jiff::fmt::strtime::format(pat.s.as_bytes(), dt),
        When::Fixed(dt, off) => match dt.to_zoned(TimeZone::fixed(off)) {
            Ok(z) => jiff::fmt::strtime::format(pat.s.as_bytes(), &z),
            Err(e) => Err(e),
        },
    };
    let text = r.map_err(|e| {
        bad(
            "format_date",
            format!("cannot write {} with {}: {}", crate::value::repr(&args[0]), crate::value::repr(&args[1]), why(e)),
        )
    })?;
    // The text is at most a few times the pattern's length: checked once
    // written, as any string a native builds.
    let max = interp.config.max_collection_len;
    if text.len() > max {
        return Err(crate::interp::ops::too_large("string", text.len(), max));
    }
    Ok(Value::str(text))
}

/// A unit name (plural or singular).
fn unit(name: &str, args: &[Value], i: usize) -> Result<Unit> {
    let Some(v) = args.get(i) else { return Ok(Unit::Day) };
    let s = match v {
        Value::Str(s) => s.s.as_str(),
        other => return Err(MemoError::new("TypeError", format!("{name}() expects a unit name, got {}", other.type_name()))),
    };
    Ok(match s.trim_end_matches('s') {
        "year" => Unit::Year,
        "month" => Unit::Month,
        "week" => Unit::Week,
        "day" => Unit::Day,
        "hour" => Unit::Hour,
        "minute" => Unit::Minute,
        "second" => Unit::Second,
        _ => {
            return Err(bad(
                name,
                format!("unknown unit {} (years, months, weeks, days, hours, minutes, seconds)", crate::value::repr(v)),
            ))
        }
    })
}

/// `n` of `unit` as a span (a float only for seconds).
fn span(name: &str, args: &[Value], u: Unit) -> Result<Span> {
    let range = |e: jiff::Error| bad(name, why(e));
    if u == Unit::Second {
        let x = num(name, args, 1)?;
        if !x.is_finite() {
            return Err(bad(name, "the number of seconds must be finite"));
        }
        let whole = x.trunc();
        if whole.abs() > 1e15 {
            return Err(bad(name, format!("{x} seconds is out of range")));
        }
        let nanos = ((x - whole) * 1e9).round() as i64;
        return Span::new().try_seconds(whole as i64).and_then(|s| s.try_nanoseconds(nanos)).map_err(range);
    }
    let n = int(name, args, 1)?;
    let s = Span::new();
    match u {
        Unit::Year => s.try_years(n),
        Unit::Month => s.try_months(n),
        Unit::Week => s.try_weeks(n),
        Unit::Day => s.try_days(n),
        Unit::Hour => s.try_hours(n),
        _ => s.try_minutes(n),
    }
    .map_err(range)
}

/// `date_add(d, n[, unit])`: d moved by n units (`"days"` by default;
/// `"years"`, `"months"`, `"weeks"`, `"hours"`, `"minutes"`, `"seconds"`,
/// which may be a float). Months and years keep the day of the month
/// where it exists, else take the month's last day (`2024-01-31` plus one
/// month is `2024-02-29`). A date takes no hours, minutes or seconds.
fn date_add(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("date_add", args, 2, 3)?;
    let w = When::arg("date_add", args, 0)?;
    let u = unit("date_add", args, 2)?;
    let sp = span("date_add", args, u)?;
    let out = match w {
        When::Date(d) => {
            if matches!(u, Unit::Hour | Unit::Minute | Unit::Second) {
                return Err(bad("date_add", "a date has no time of day: add hours, minutes or seconds to datetime(d)"));
            }
            When::Date(d.checked_add(sp).map_err(|e| bad("date_add", why(e)))?)
        }
        When::Civil(dt) => When::Civil(dt.checked_add(sp).map_err(|e| bad("date_add", why(e)))?),
        When::Fixed(dt, off) => When::Fixed(dt.checked_add(sp).map_err(|e| bad("date_add", why(e)))?, off),
    };
    Ok(Value::str(out.text()))
}

/// `date_diff(a, b[, unit])`: a - b in whole units (`"days"` by default),
/// truncated toward zero. Two datetimes with offsets are compared as
/// instants; one with an offset and one without cannot be compared.
fn date_diff(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("date_diff", args, 2, 3)?;
    let a = When::arg("date_diff", args, 0)?;
    let b = When::arg("date_diff", args, 1)?;
    let u = unit("date_diff", args, 2)?;
    let span = match (a, b) {
        (When::Date(x), When::Date(y)) if !matches!(u, Unit::Hour | Unit::Minute | Unit::Second) => x.since((u, y)),
        (When::Fixed(x, xo), When::Fixed(..)) => {
            // b seen at a's offset, so calendar units count in one frame.
            let yb = b.instant("date_diff")?.to_zoned(TimeZone::fixed(xo)).datetime();
            x.since((u, yb))
        }
        (When::Fixed(..), _) | (_, When::Fixed(..)) => {
            return Err(bad("date_diff", "cannot compare a datetime with an offset and one without"));
        }
        (x, y) => x.civil().since((u, y.civil())),
    }
    .map_err(|e| bad("date_diff", why(e)))?;
    Ok(Value::Int(match u {
        Unit::Year => span.get_years() as i64,
        Unit::Month => span.get_months() as i64,
        Unit::Week => span.get_weeks() as i64,
        Unit::Day => span.get_days() as i64,
        Unit::Hour => span.get_hours() as i64,
        Unit::Minute => span.get_minutes(),
        _ => span.get_seconds(),
    }))
}

/// `weekday(d)`: 0 for Monday ... 6 for Sunday (Python's `weekday()`).
fn weekday(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("weekday", args, 1, 1)?;
    let w = When::arg("weekday", args, 0)?;
    Ok(Value::Int(w.civil().weekday().to_monday_zero_offset() as i64))
}

/// `date_parts(d)`: a map of `year`, `month`, `day`, `weekday` (0 is
/// Monday), `yearday` (1 is January 1st), and for a datetime `hour`,
/// `minute`, `second` (a float when it has a fraction) and, with an
/// offset, `offset` (seconds east of UTC).
fn date_parts(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("date_parts", args, 1, 1)?;
    let w = When::arg("date_parts", args, 0)?;
    let dt = w.civil();
    let mut m = ValueMap::new();
    let mut put = |k: &str, v: Value| {
        m.insert(Value::str(k), v);
    };
    put("year", Value::Int(dt.year() as i64));
    put("month", Value::Int(dt.month() as i64));
    put("day", Value::Int(dt.day() as i64));
    put("weekday", Value::Int(dt.weekday().to_monday_zero_offset() as i64));
    put("yearday", Value::Int(dt.day_of_year() as i64));
    if !matches!(w, When::Date(_)) {
        put("hour", Value::Int(dt.hour() as i64));
        put("minute", Value::Int(dt.minute() as i64));
        let ns = dt.subsec_nanosecond();
        put("second", if ns == 0 { Value::Int(dt.second() as i64) } else { Value::float(dt.second() as f64 + ns as f64 / 1e9) });
    }
    if let When::Fixed(_, off) = w {
        put("offset", Value::Int(off.seconds() as i64));
    }
    Ok(Value::map(m))
}

/// `timestamp(d)`: seconds since the Unix epoch, a float (a date or a
/// datetime without an offset is read as UTC).
fn timestamp(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("timestamp", args, 1, 1)?;
    let t = When::arg("timestamp", args, 0)?.instant("timestamp")?;
    Ok(Value::float(t.as_nanosecond() as f64 / 1e9))
}

/// `from_timestamp(t)`: the UTC datetime of t seconds since the Unix epoch,
/// to the microsecond (`from_timestamp(now())` is the current time).
fn from_timestamp(_: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("from_timestamp", args, 1, 1)?;
    let t = num("from_timestamp", args, 0)?;
    if !t.is_finite() || t.abs() > 4e11 {
        return Err(bad("from_timestamp", format!("{} is out of range", crate::value::repr(&args[0]))));
    }
    // Whole seconds, and the fraction to the microsecond (as Python's
    // datetime does: a float has no more digits to give at this size).
    let ns = match &args[0] {
        Value::Int(i) => *i as i128 * 1_000_000_000,
        _ => {
            let whole = t.floor();
            whole as i128 * 1_000_000_000 + ((t - whole) * 1e6).round() as i128 * 1000
        }
    };
    let ts = Timestamp::from_nanosecond(ns).map_err(|e| bad("from_timestamp", why(e)))?;
    Ok(Value::str(When::Fixed(ts.to_zoned(TimeZone::UTC).datetime(), Offset::UTC).text()))
}

/// `today()`: the local date (the system's time zone, UTC when it has
/// none). Reads the clock: a cached fn that calls it warns.
fn today(interp: &mut Interp, args: &mut [Value]) -> Result<Value> {
    arity("today", args, 0, 0)?;
    need_clock(interp, "today")?;
    crate::cache::trace::note_impure(interp, "today");
    Ok(Value::str(jiff::Zoned::now().date().to_string()))
}

#[cfg(test)]
mod tests {
    use super::super::args::eval;

    #[test]
    fn known_values() {
        let cases = [
            (r#"date("2024-03-15")"#, r#""2024-03-15""#),
            (r#"date("2024-03-15T23:30:00-02:00")"#, r#""2024-03-15""#),
            (r#"date(2024, 2, 29)"#, r#""2024-02-29""#),
            (r#"date(2023, 2, 29)"#, "ValueError: date(): invalid date: parameter 'day' for `2023-02` is invalid, must be in range `1..=28`"),
            (r#"date("2024-02-30")"#, "ValueError: date(): invalid date or time \"2024-02-30\": parsed date is not valid: parameter 'day' for `2024-02` is invalid, must be in range `1..=29`"),
            (r#"date("yesterday")"#, "ValueError: date(): invalid date or time \"yesterday\": failed to parse four digit integer as year: invalid digit, expected 0-9 but got y"),
            (r#"date(2024, 99999999999, 1)"#, "ValueError: date(): month 99999999999 is out of range"),
            (r#"datetime("2024-03-15")"#, r#""2024-03-15T00:00:00""#),
            (r#"datetime("2024-03-15 10:30")"#, r#""2024-03-15T10:30:00""#),
            (r#"datetime("2024-03-15T10:30:00.250+00:00")"#, r#""2024-03-15T10:30:00.25Z""#),
            (r#"datetime("2024-03-15T10:30:00+05:30")"#, r#""2024-03-15T10:30:00+05:30""#),
            (r#"datetime(2024, 3, 15, 25)"#, "ValueError: datetime(): invalid time: parameter 'hour' is not in the required range of 0..=23"),
            (r#"datetime("2024-03-15T10:00[Europe/Paris]")"#, "ValueError: datetime(): \"2024-03-15T10:00[Europe/Paris]\": named time zones are not supported (write an offset such as +01:00)"),
            (r#"parse_date("15/03/2024", "%d/%m/%Y")"#, r#""2024-03-15""#),
            (r#"parse_datetime("15/03/2024 08:05 +0100", "%d/%m/%Y %H:%M %z")"#, r#""2024-03-15T08:05:00+01:00""#),
            (r#"format_date("2024-03-15", "%A %d %B %Y, week %V")"#, r#""Friday 15 March 2024, week 11""#),
            (r#"format_date("2024-03-15T08:05:00+01:00", "%H:%M %z")"#, r#""08:05 +0100""#),
            (r#"format_date("2024-03-15", "%Y-%m")"#, r#""2024-03""#),
            (r#"date_add("2024-02-28", 1)"#, r#""2024-02-29""#),
            (r#"date_add("2024-01-31", 1, "month")"#, r#""2024-02-29""#),
            (r#"date_add("2024-03-15", -2, "weeks")"#, r#""2024-03-01""#),
            (r#"date_add("2024-03-15T23:00:00", 90, "minutes")"#, r#""2024-03-16T00:30:00""#),
            (r#"date_add("2024-03-15T23:00:00Z", 1.5, "seconds")"#, r#""2024-03-15T23:00:01.5Z""#),
            (r#"date_add("2024-03-15", 1, "hours")"#, "ValueError: date_add(): a date has no time of day: add hours, minutes or seconds to datetime(d)"),
            (r#"date_add("2024-03-15", 1, "fortnights")"#, "ValueError: date_add(): unknown unit \"fortnights\" (years, months, weeks, days, hours, minutes, seconds)"),
            (r#"date_add("9999-12-31", 1)"#, "ValueError: date_add(): parameter 'year' is not in the required range of -9999..=9999"),
            (r#"date_diff("2024-03-15", "2024-01-01")"#, "74"),
            (r#"date_diff("2024-01-01", "2024-03-15")"#, "-74"),
            (r#"date_diff("2024-03-15", "2023-03-16", "years")"#, "0"),
            (r#"date_diff("2024-03-15", "2023-01-20", "months")"#, "13"),
            (r#"date_diff("2024-03-15T12:00:00Z", "2024-03-15T10:30:00-01:00", "minutes")"#, "30"),
            (r#"date_diff("2024-03-15T12:00:00", "2024-03-15", "hours")"#, "12"),
            (r#"date_diff("2024-03-15T12:00:00Z", "2024-03-15", "hours")"#, "ValueError: date_diff(): cannot compare a datetime with an offset and one without"),
            (r#"[weekday("2024-03-15"), weekday("2024-03-18T01:00:00")]"#, "[4, 0]"),
            (r#"date_parts("2024-03-15T08:05:02.5+01:00")"#, r#"{"day": 15, "hour": 8, "minute": 5, "month": 3, "offset": 3600, "second": 2.5, "weekday": 4, "year": 2024, "yearday": 75}"#),
            (r#"[timestamp("1970-01-02"), timestamp("2024-03-15T10:30:00+01:00")]"#, "[86400.0, 1710495000.0]"),
            (r#"[from_timestamp(0), from_timestamp(1710495000.25)]"#, r#"["1970-01-01T00:00:00Z", "2024-03-15T09:30:00.25Z"]"#),
            (r#"[from_timestamp(1710495000.1), from_timestamp(-0.5), from_timestamp(0.9999996)]"#, r#"["2024-03-15T09:30:00.1Z", "1969-12-31T23:59:59.5Z", "1970-01-01T00:00:01Z"]"#),
            (r#"from_timestamp(1e300)"#, "ValueError: from_timestamp(): 1e300 is out of range"),
            (r#"from_timestamp(nan)"#, "ValueError: from_timestamp(): NaN is out of range"),
        ];
        let bad: Vec<String> =
            cases.iter().filter(|(src, want)| eval(src) != *want).map(|(src, _)| format!("{src}\n  got {}", eval(src))).collect();
        assert!(bad.is_empty(), "{}", bad.join("\n"));
        assert!(eval("today()").starts_with("\"20"), "{}", eval("today()"));
    }

    /// `format_date` obeys `max_collection_len` like any native that builds
    /// a string: a short pattern that writes a long text is refused.
    #[test]
    fn format_date_obeys_max_len() {
        let limits = crate::Limits { max_collection_len: 40, ..crate::Limits::default() };
        let mut engine = crate::Engine::builder().limits(limits).run_on_current_thread().build();
        let ok = engine.run(r#"format_date("2024-03-15", "%Y%Y%Y%Y%Y%Y%Y%Y%Y%Y")"#).unwrap();
        assert_eq!(crate::value::repr(&ok), format!("\"{}\"", "2024".repeat(10)));
        let e = engine.run(r#"format_date("2024-03-15", "%A %A %A %A %A %A %A")"#).unwrap_err();
        assert_eq!((e.kind(), e.message()), ("LimitError", "string would have 48 bytes, more than the limit of 40"));
    }
}
