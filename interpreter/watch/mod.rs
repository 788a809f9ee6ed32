//! `memo watch FILE`: runs FILE, then re-runs it whole each time it (or a
//! file it imports) is saved, with the same interpreter and so the same
//! in-memory cache (plus the disk store, as `memo run` uses): only the cached
//! calls whose code, arguments or free variables changed recompute.
//!
//! Changes are noticed with the `notify` crate (inotify, FSEvents, ...) on
//! the directories of the script and of its imports, non-recursively. An
//! event only counts when the content of a watched file really changed (a
//! blake3 fingerprint is compared), so the interpreter reading the files, or
//! an editor touching them, does not re-run anything. Every second the
//! fingerprints are also checked without an event (and every 200 ms when
//! `notify` cannot start), so a missed event only delays a re-run. A burst
//! of events (an editor's save) is settled for 150 ms before the re-run.
//!
//! Each run starts with a separator line and ends with a summary line (time,
//! hits, misses, the cached fns that missed), both on stdout in order with
//! the script's output; `--clear` clears the screen before each run. Ctrl-C
//! stops a run in progress, and ends watching with exit code 130.

mod clock;

use crate::cli::{make_cache, make_engine, plural, RunOpts};
use memo::Engine;
use notify::event::{AccessKind, AccessMode};
use notify::{EventKind, RecursiveMode, Watcher};
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Quiet time that ends a burst of events.
const SETTLE: Duration = Duration::from_millis(150);
/// Fingerprint check without events (with `notify` running).
const RECHECK: Duration = Duration::from_secs(1);
/// Polling period when `notify` is unavailable.
const POLL: Duration = Duration::from_millis(200);

/// What the file watcher reports.
enum Msg {
    /// These paths were created, written, renamed or removed.
    Paths(Vec<PathBuf>),
    /// Events may have been lost: check every file.
    Rescan,
}

/// A file's content fingerprint (`None`: missing or unreadable).
type Fingerprint = Option<blake3::Hash>;

fn fingerprint(path: &Path) -> Fingerprint {
    std::fs::read(path).ok().map(|b| blake3::hash(&b))
}

/// `dir/name` with `dir` canonical (the form the watcher reports paths in).
fn canonical_file(path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
    match path.file_name() {
        Some(n) => dir.join(n),
        None => dir,
    }
}

/// The files a run depends on and how they looked when it started.
struct Watched {
    /// Canonical path → fingerprint at the start of the last run (or when
    /// the run first imported it).
    files: HashMap<PathBuf, Fingerprint>,
    /// Whether the last run failed: then a new `.memo` file in a watched
    /// directory may be the missing import, and triggers a re-run.
    failed: bool,
}

impl Watched {
    /// Did a file change since the snapshot? `paths`: the files an event
    /// named (`None`: check them all).
    fn changed(&self, paths: Option<&[PathBuf]>) -> bool {
        match paths {
            None => self.files.iter().any(|(p, fp)| fingerprint(p) != *fp),
            Some(paths) => paths.iter().any(|p| match self.files.get(p) {
                Some(fp) => fingerprint(p) != *fp,
                None => self.failed && p.extension().is_some_and(|e| e == "memo") && p.exists(),
            }),
        }
    }
}

/// The change source: a `notify` watcher, or nothing (polling).
struct Changes {
    watcher: Option<notify::RecommendedWatcher>,
    rx: Option<Receiver<Msg>>,
    dirs: HashSet<PathBuf>,
}

impl Changes {
    fn new() -> Changes {
        let (tx, rx) = channel();
        let handler = move |res: notify::Result<notify::Event>| {
            let msg = match res {
                Ok(ev) => match ev.kind {
                    // Opening and reading files (the interpreter does) is no change.
                    EventKind::Access(AccessKind::Close(AccessMode::Write)) => Msg::Paths(ev.paths),
                    EventKind::Access(_) => return,
                    _ if ev.need_rescan() => Msg::Rescan,
                    _ => Msg::Paths(ev.paths),
                },
                Err(_) => Msg::Rescan,
            };
            let _ = tx.send(msg);
        };
        match notify::recommended_watcher(handler) {
            Ok(w) => Changes { watcher: Some(w), rx: Some(rx), dirs: HashSet::new() },
            Err(e) => {
                eprintln!("warning: cannot watch files for changes ({e}); checking them every 200 ms instead");
                Changes { watcher: None, rx: None, dirs: HashSet::new() }
            }
        }
    }

    /// Watches the directories of these files (each once, non-recursively).
    fn watch_dirs_of<'a>(&mut self, files: impl Iterator<Item = &'a PathBuf>) {
        let Some(w) = self.watcher.as_mut() else { return };
        for f in files {
            let Some(dir) = f.parent() else { continue };
            if self.dirs.contains(dir) {
                continue;
            }
            match w.watch(dir, RecursiveMode::NonRecursive) {
                Ok(()) => {
                    self.dirs.insert(dir.to_path_buf());
                }
                Err(e) => eprintln!("warning: cannot watch `{}` ({e}); its files are checked every second", dir.display()),
            }
        }
    }

    /// Blocks until a watched file changed and the burst of events that
    /// changed it settled. A file seen half-written (truncated, then the same
    /// content again) is no change.
    fn wait(&mut self, watched: &Watched) {
        loop {
            self.wait_for_event(watched);
            match &self.rx {
                Some(rx) => while rx.recv_timeout(SETTLE).is_ok() {},
                None => std::thread::sleep(SETTLE),
            }
            if watched.changed(None) {
                return;
            }
        }
    }

    /// Blocks until an event (or a periodic check) shows a changed file.
    fn wait_for_event(&mut self, watched: &Watched) {
        loop {
            let changed = match &self.rx {
                Some(rx) => match rx.recv_timeout(RECHECK) {
                    Ok(Msg::Paths(paths)) => watched.changed(Some(&paths)),
                    Ok(Msg::Rescan) | Err(RecvTimeoutError::Timeout) => watched.changed(None),
                    Err(RecvTimeoutError::Disconnected) => {
                        self.rx = None;
                        self.watcher = None;
                        watched.changed(None)
                    }
                },
                None => {
                    std::thread::sleep(POLL);
                    watched.changed(None)
                }
            };
            if changed {
                return;
            }
        }
    }
}

/// Clears the screen and the scrollback, cursor home (as `cargo watch -c`).
pub const CLEAR_SCREEN: &str = "\x1b[H\x1b[2J\x1b[3J";

/// Entry point of `memo watch FILE`; returns the exit code: 2 on a usage
/// error, 130 when Ctrl-C ends watching.
pub fn run(file: &Path, clear: bool, opts: &RunOpts) -> i32 {
    if let Err(e) = std::fs::read_to_string(file) {
        eprintln!("error: cannot read `{}`: {e}", file.display());
        return 2;
    }
    let cache = make_cache(opts, Some(file));
    let mut engine = match make_engine(opts, cache) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let script = canonical_file(file);
    let mut changes = Changes::new();
    let mut watched = Watched { files: HashMap::new(), failed: false };
    watched.files.insert(script.clone(), None);
    // Ctrl-C: during a run, stop it (then watching ends); between runs, end now.
    let running = Arc::new(AtomicBool::new(false));
    let quit = Arc::new(AtomicBool::new(false));
    {
        let (running, quit, interrupt) = (running.clone(), quit.clone(), engine.interrupt_handle());
        let _ = ctrlc::set_handler(move || {
            if running.load(Ordering::SeqCst) && !quit.swap(true, Ordering::SeqCst) {
                interrupt.interrupt();
            } else {
                std::process::exit(crate::cli::EXIT_INTERRUPTED);
            }
        });
    }
    let mut first = true;
    loop {
        // Watch first, then take the snapshot, then run: a save at any
        // point after the snapshot is seen.
        changes.watch_dirs_of(watched.files.keys());
        for (p, fp) in watched.files.iter_mut() {
            *fp = fingerprint(p);
        }
        if clear {
            engine.write_output(CLEAR_SCREEN);
        }
        let line = separator(&clock::local_hms(), file, first);
        first = false;
        engine.write_output(&format!("{line}\n"));
        let t0 = Instant::now();
        running.store(true, Ordering::SeqCst);
        let ok = run_once(&mut engine, file, opts);
        running.store(false, Ordering::SeqCst);
        let stats = engine.run_stats();
        let missed: Vec<String> = engine.fn_stats().into_iter().filter(|f| f.misses > 0).map(|f| f.name).collect();
        let line = summary(file, ok, t0.elapsed(), (stats.hits, stats.misses), &missed);
        engine.write_output(&format!("{line}\n"));
        if quit.load(Ordering::SeqCst) {
            return crate::cli::EXIT_INTERRUPTED;
        }
        watched.failed = !ok;
        // Files imported for the first time are snapshotted now (they were
        // just read); the next run re-reads them all.
        let imported: Vec<PathBuf> = engine.imported_files();
        for p in imported {
            watched.files.entry(p).or_insert_with_key(|p| fingerprint(p));
        }
        changes.watch_dirs_of(watched.files.keys());
        changes.wait(&watched);
    }
}

/// One whole run of the script in a fresh global environment; errors are
/// printed as `memo run` prints them. Returns whether it succeeded.
fn run_once(engine: &mut Engine, file: &Path, opts: &RunOpts) -> bool {
    engine.reset();
    let r = engine.run_file(file);
    engine.flush();
    // Batched cache writes become durable now (watching ends with Ctrl-C).
    engine.cache().flush();
    for w in engine.cache().take_warnings() {
        eprintln!("{w}");
    }
    let ok = match r {
        Ok(_) => true,
        Err(e) => {
            eprint!("{}", e.render());
            false
        }
    };
    if opts.stats {
        eprint!("{}", crate::cli::stats::run_stats(engine));
    }
    let _ = std::io::stderr().flush();
    ok
}

/// `── 14:03:05 · running app.memo ──` before the first run,
/// `── 14:03:07 · re-running app.memo ──` before the others.
pub fn separator(time: &str, file: &Path, first: bool) -> String {
    let what = if first { "running" } else { "re-running" };
    format!("── {time} · {what} {} ──", file.display())
}

/// `── ran app.memo in 1.4ms · 1 hit, 1 miss (missed: summarize) ──` after
/// a run (`failed` when it ended with an error).
pub fn summary(file: &Path, ok: bool, took: Duration, (hits, misses): (u64, u64), missed: &[String]) -> String {
    let what = if ok { "ran" } else { "failed" };
    let which = if missed.is_empty() { String::new() } else { format!(" (missed: {})", missed.join(", ")) };
    format!(
        "── {what} {} in {} · {}, {}{which} ──",
        file.display(),
        crate::cli::stats::human(took),
        plural(hits, "hit", "hits"),
        plural(misses, "miss", "misses")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separator_lines() {
        assert_eq!(separator("14:03:05", Path::new("examples/app.memo"), true), "── 14:03:05 · running examples/app.memo ──");
        assert_eq!(separator("14:03:07", Path::new("examples/app.memo"), false), "── 14:03:07 · re-running examples/app.memo ──");
    }

    #[test]
    fn summary_lines() {
        let ms = Duration::from_micros(1400);
        assert_eq!(
            summary(Path::new("app.memo"), true, ms, (1, 1), &["summarize".into()]),
            "── ran app.memo in 1.4ms · 1 hit, 1 miss (missed: summarize) ──"
        );
        assert_eq!(summary(Path::new("a.memo"), false, ms, (3, 0), &[]), "── failed a.memo in 1.4ms · 3 hits, 0 misses ──");
        assert_eq!(
            summary(Path::new("a.memo"), true, ms, (0, 2), &["f".into(), "g".into()]),
            "── ran a.memo in 1.4ms · 0 hits, 2 misses (missed: f, g) ──"
        );
    }

    #[test]
    fn fingerprints_see_content_not_touches() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.memo");
        std::fs::write(&p, "print(1)\n").unwrap();
        let key = canonical_file(&p);
        let w = Watched { files: HashMap::from([(key.clone(), fingerprint(&p))]), failed: false };
        assert!(!w.changed(None));
        std::fs::write(&p, "print(1)\n").unwrap();
        assert!(!w.changed(Some(std::slice::from_ref(&key))), "same content: no change");
        std::fs::write(&p, "print(2)\n").unwrap();
        assert!(w.changed(Some(std::slice::from_ref(&key))));
        assert!(w.changed(None));
        let other = canonical_file(&dir.path().join("b.memo"));
        std::fs::write(&other, "x").unwrap();
        assert!(!w.changed(Some(std::slice::from_ref(&other))), "unrelated file while the last run succeeded");
        let w2 = Watched { failed: true, ..w };
        assert!(w2.changed(Some(&[other])), "maybe the missing import");
    }
}
