//! `--stats` output and the `memo cache stats|ls|clear` commands.

use super::{plural, CacheAction};
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

/// Caches one directory level below `.`: where `memo run sub/app.memo`
/// keeps its cache (said when `./.memo-cache` does not exist).
fn caches_below() -> Vec<std::path::PathBuf> {
    let Ok(rd) = std::fs::read_dir(".") else { return Vec::new() };
    let mut v: Vec<std::path::PathBuf> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.path().join(".memo-cache"))
        .filter(|p| p.is_dir())
        .map(|p| p.strip_prefix("./").map(|q| q.to_path_buf()).unwrap_or(p))
        .collect();
    v.sort();
    v
}

/// `did you mean `fib`?` among the cache's functions, on stderr.
fn hint_function(store: &mut dyn Tier, function: &str) {
    let names: Vec<String> = store.stats().map(|v| v.into_iter().map(|s| s.name).collect()).unwrap_or_default();
    if let Some(c) = memo::suggest::closest(function, names.iter().map(String::as_str)) {
        eprintln!("help: did you mean `{c}`?");
    } else if !names.is_empty() {
        let v: Vec<&str> = names.iter().map(String::as_str).collect();
        eprintln!("note: the cached fns with entries are {}", memo::suggest::list(&v));
    }
}

/// The cache directory a `memo cache` command works on: `dir` when it
/// exists; else, unless a location was given, the only cache one level
/// down (`memo run sub/app.memo`'s), said on stderr; `None` (said on
/// stdout) when there is none to use.
fn local_dir(dir: std::path::PathBuf, explicit: bool) -> Option<std::path::PathBuf> {
    if dir.exists() {
        return Some(dir);
    }
    // `memo run sub/app.memo` keeps its cache in sub/.memo-cache: when
    // that is the only cache one level down, it is the one meant.
    let below = if explicit || std::env::var_os("MEMO_CACHE_DIR").filter(|d| !d.is_empty()).is_some() {
        Vec::new()
    } else {
        caches_below()
    };
    if let [only] = below.as_slice() {
        let parent = only.parent().map(|p| p.display().to_string()).unwrap_or_default();
        eprintln!("note: no cache at {}; using {} (the cache of the scripts in {parent})", dir.display(), only.display());
        return Some(only.clone());
    }
    println!("no cache at {}", dir.display());
    if !below.is_empty() {
        let list: Vec<String> = below.iter().map(|p| p.display().to_string()).collect();
        println!(
            "`memo run DIR/app.memo` keeps its cache in DIR/.memo-cache: found {} (use `--for DIR/app.memo` or `--cache-dir DIR/.memo-cache`)",
            list.join(", ")
        );
    }
    None
}

pub fn cache_command(action: CacheAction) -> i32 {
    let (CacheAction::Stats { function, location }
    | CacheAction::Ls { function, location }
    | CacheAction::Clear { function, location }) = &action;
    let function = function.clone();
    let (mut store, shown) = match &location.cache_url {
        Some(url) => match memo::cache::config::remote(url, usize::MAX) {
            Ok(t) => {
                let shown = t.describe();
                (t, shown)
            }
            Err(e) => {
                eprintln!("error: cache URL `{url}`: {e}");
                return 1;
            }
        },
        None => {
            let explicit = location.cache_dir.is_some() || location.for_script.is_some();
            let Some(dir) = local_dir(location.dir(), explicit) else { return 0 };
            match open_local(&dir) {
                Ok(s) => (Box::new(s) as Box<dyn Tier>, dir.display().to_string()),
                Err(code) => return code,
            }
        }
    };
    let store: &mut dyn Tier = &mut *store;
    let failed = |e: memo::cache::tier::StorageError| {
        eprintln!("error: cache at {shown}: {e}");
        1
    };
    match action {
        CacheAction::Stats { .. } => {
            let mut stats = match store.stats() {
                Ok(s) => s,
                Err(e) => return failed(e),
            };
            if let Some(f) = &function {
                stats.retain(|s| &s.name == f);
                if stats.is_empty() {
                    eprintln!("error: no entries of `{f}` in the cache at {shown}");
                    hint_function(store, f);
                    return 1;
                }
            }
            println!("cache: {shown}");
            let w = stats.iter().map(|s| s.name.len()).max().unwrap_or(8).max(8);
            println!("{:<w$}  {:>8}  {:>10}  {:>14}", "cached fn", "entries", "size", "compute time");
            // A tier that does not keep compute times (Redis) shows `-`.
            let time = |t: Option<Duration>| t.map_or_else(|| "-".to_string(), human);
            let (mut n, mut b, mut t) = (0, 0, Some(Duration::ZERO));
            for s in &stats {
                println!("{:<w$}  {:>8}  {:>10}  {:>14}", s.name, s.entries, human_bytes(s.bytes), time(s.compute));
                n += s.entries;
                b += s.bytes;
                t = t.zip(s.compute).map(|(a, c)| a + c);
            }
            println!("{:<w$}  {:>8}  {:>10}  {:>14}", "total", n, human_bytes(b), time(t));
            0
        }
        CacheAction::Ls { .. } => {
            let rows = match store.list(function.as_deref()) {
                Ok(r) => r.unwrap_or_default(),
                Err(e) => return failed(e),
            };
            if let (Some(f), true) = (&function, rows.is_empty()) {
                hint_function(store, f);
            }
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
                if let (Some(f), 0) = (&function, n) {
                    hint_function(store, f);
                }
                match function {
                    Some(f) => println!("removed {n} entries of `{f}` from {shown}"),
                    None => println!("removed {n} entries from {shown}"),
                }
                0
            }
            Err(e) => failed(e),
        },
    }
}
