//! `--stats` output and the `memo cache stats|ls|clear` commands.

use super::{cache_dir_for, plural, CacheAction};
use memo::cache::disk::DEFAULT_MAX_BYTES;
use memo::cache::local::LocalTier;
use memo::cache::tier::Tier;
use memo::Engine;
use std::fmt::Write;
use std::time::{Duration, SystemTime};

/// Formats a duration for people: `1.23s`, `45.6ms`, `789µs`.
pub fn human(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 1.0 {
        format!("{s:.2}s")
    } else if s >= 0.001 {
        format!("{:.1}ms", s * 1e3)
    } else {
        format!("{:.0}µs", s * 1e6)
    }
}

fn human_bytes(b: u64) -> String {
    if b >= 1 << 30 {
        format!("{:.1} GiB", b as f64 / (1u64 << 30) as f64)
    } else if b >= 1 << 20 {
        format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64)
    } else if b >= 1 << 10 {
        format!("{:.1} KiB", b as f64 / 1024.0)
    } else {
        format!("{b} B")
    }
}

/// The `--stats` table: per cached function, hits, misses, time computing
/// misses, and the time hits saved (the stored compute time of each hit).
pub fn run_stats(engine: &mut Engine) -> String {
    let rows = engine.fn_stats();
    let mut out = String::new();
    let w = rows.iter().map(|r| r.name.len()).max().unwrap_or(8).max(8);
    let _ = writeln!(out, "{:<w$}  {:>8}  {:>8}  {:>12}  {:>12}", "cached fn", "hits", "misses", "miss time", "time saved");
    for r in &rows {
        let _ = writeln!(
            out,
            "{:<w$}  {:>8}  {:>8}  {:>12}  {:>12}",
            r.name,
            r.hits,
            r.misses,
            human(r.miss_time),
            human(r.time_saved)
        );
    }
    if rows.is_empty() {
        let _ = writeln!(out, "(no cached fns were declared)");
    }
    out
}

fn open_local(dir: &std::path::Path) -> Result<LocalTier, i32> {
    LocalTier::open(dir, DEFAULT_MAX_BYTES).map_err(|e| {
        eprintln!("error: cannot open cache directory `{}`: {e}", dir.display());
        1
    })
}

/// `2 min ago`, `3 h ago`, `5 d ago`.
fn ago(t: SystemTime) -> String {
    let s = SystemTime::now().duration_since(t).unwrap_or_default().as_secs();
    match s {
        0..=59 => format!("{s} s ago"),
        60..=3599 => format!("{} min ago", s / 60),
        3600..=86_399 => format!("{} h ago", s / 3600),
        _ => format!("{} d ago", s / 86_400),
    }
}

/// At most `n` characters, with `…` when cut.
fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_string();
    }
    let mut out: String = s.chars().take(n - 1).collect();
    out.push('…');
    out
}

pub fn cache_command(action: CacheAction) -> i32 {
    let (dir, function) = match &action {
        CacheAction::Stats { cache_dir } => (cache_dir_for(cache_dir, None), None),
        CacheAction::Ls { function, cache_dir } | CacheAction::Clear { function, cache_dir } => {
            (cache_dir_for(cache_dir, None), function.clone())
        }
    };
    if !dir.exists() {
        println!("no cache at {}", dir.display());
        return 0;
    }
    let mut store = match open_local(&dir) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let failed = |e: String| {
        eprintln!("error: cache directory `{}`: {e}", dir.display());
        1
    };
    match action {
        CacheAction::Stats { .. } => {
            let stats = match store.stats() {
                Ok(s) => s,
                Err(e) => return failed(e),
            };
            println!("cache: {}", dir.display());
            let w = stats.iter().map(|s| s.name.len()).max().unwrap_or(8).max(8);
            println!("{:<w$}  {:>8}  {:>10}  {:>14}", "cached fn", "entries", "size", "compute time");
            let (mut n, mut b, mut t) = (0, 0, Duration::ZERO);
            for s in &stats {
                println!("{:<w$}  {:>8}  {:>10}  {:>14}", s.name, s.entries, human_bytes(s.bytes), human(s.compute));
                n += s.entries;
                b += s.bytes;
                t += s.compute;
            }
            println!("{:<w$}  {:>8}  {:>10}  {:>14}", "total", n, human_bytes(b), human(t));
            0
        }
        CacheAction::Ls { .. } => {
            let rows = match store.list(function.as_deref()) {
                Ok(r) => r.unwrap_or_default(),
                Err(e) => return failed(e),
            };
            let calls: Vec<String> = rows.iter().map(|r| shorten(&r.label, 60)).collect();
            let w = calls.iter().map(|c| c.chars().count()).max().unwrap_or(4).max(4);
            println!("{:<w$}  {:>10}  {:>12}  {:>12}", "call", "size", "created", "last used");
            for (r, call) in rows.iter().zip(&calls) {
                let pad = w - call.chars().count();
                println!("{call}{:pad$}  {:>10}  {:>12}  {:>12}", "", human_bytes(r.bytes), ago(r.created), ago(r.used));
            }
            println!("{}", plural(rows.len() as u64, "entry", "entries"));
            0
        }
        CacheAction::Clear { .. } => match store.clear(function.as_deref()) {
            Ok(n) => {
                match function {
                    Some(f) => println!("removed {n} entries of `{f}` from {}", dir.display()),
                    None => println!("removed {n} entries from {}", dir.display()),
                }
                0
            }
            Err(e) => failed(e),
        },
    }
}
