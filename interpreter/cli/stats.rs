//! `--stats` output and the `memo cache stats|clear` commands.

use super::{cache_dir_for, CacheAction};
use memo::cache::disk::{DiskStore, DEFAULT_MAX_BYTES};
use memo::Engine;
use std::fmt::Write;
use std::time::Duration;

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

pub fn cache_command(action: CacheAction) -> i32 {
    match action {
        CacheAction::Stats { cache_dir } => {
            let dir = cache_dir_for(&cache_dir, None);
            if !dir.exists() {
                println!("no cache at {}", dir.display());
                return 0;
            }
            let store = match DiskStore::open(&dir, DEFAULT_MAX_BYTES) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("error: cannot open cache directory `{}`: {e}", dir.display());
                    return 1;
                }
            };
            let stats = store.stats();
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
        CacheAction::Clear { function, cache_dir } => {
            let dir = cache_dir_for(&cache_dir, None);
            if !dir.exists() {
                println!("no cache at {}", dir.display());
                return 0;
            }
            match DiskStore::open(&dir, DEFAULT_MAX_BYTES) {
                Ok(mut s) => {
                    let n = s.clear(function.as_deref());
                    match function {
                        Some(f) => println!("removed {n} entries of `{f}` from {}", dir.display()),
                        None => println!("removed {n} entries from {}", dir.display()),
                    }
                    0
                }
                Err(e) => {
                    eprintln!("error: cannot open cache directory `{}`: {e}", dir.display());
                    1
                }
            }
        }
    }
}
