//! `memo repl [FILE]`: an interactive session.
//!
//! Each input is compiled as its own source file (`<repl:N>`) and run against
//! the session's globals, so definitions persist. The session keeps one cache
//! (memory in front of the disk store, as `memo run` uses), and `:run`
//! re-runs a script from disk in a fresh global environment while keeping
//! that cache: edit the file, `:run`, and only the cached fns whose code,
//! arguments or free variables changed recompute.
//!
//! On a terminal, lines are read with rustyline (history, Ctrl-R, Tab
//! completion, hints, highlighting: see `editor`); otherwise stdin is read
//! line by line without prompts, so the REPL can be driven through a pipe.
//! Ctrl-C during an evaluation interrupts the engine, which stops the
//! script with an `Interrupted` error; the session and its cache stay.
//!
//! The session is an [`Engine`], built as `memo run` builds it: every input
//! is a run of its own (its own operation budget).

mod editor;

use crate::cli::{make_cache, make_engine, plural, RunOpts};
use memo::{Engine, Value};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The REPL's commands, with their argument synopsis (for `:help`, Tab
/// completion and hints).
pub(crate) const COMMANDS: &[(&str, &str, &str)] = &[
    (
        ":run",
        " [FILE]",
        "re-run FILE (default: the script given at start, or the last :run) in a fresh global environment; the cache is kept, so only changed cached fns recompute",
    ),
    (":load", " FILE", "run FILE in the current environment (its definitions join the session)"),
    (":cache", "", "entries per cached fn (in memory, and on disk), and the hits/misses of the last run"),
    (":clear", " [FN]", "clear the cache (memory and disk), or only the entries of cached fn FN"),
    (":explain", " on|off", "say why each cached call hit or missed (on stderr)"),
    (":help", "", "show this help"),
    (":quit", "", "end the session (also Ctrl-D)"),
];

/// The language's keywords (for Tab completion).
pub(crate) const KEYWORDS: &[&str] = &[
    "let", "fn", "cached", "return", "if", "else", "while", "for", "in", "break", "continue", "true", "false", "none", "and",
    "or", "not", "struct", "try", "catch", "import",
];

const PROMPT: &str = "memo> ";
const CONTINUE_PROMPT: &str = "...   ";

/// Entry point of `memo repl [FILE]`; returns the exit code.
pub fn run(file: Option<PathBuf>, opts: &RunOpts) -> i32 {
    let cache = make_cache(opts, file.as_deref());
    let engine = match make_engine(opts, cache) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let interactive = std::io::stdin().is_terminal();
    let mut session = Session::new(engine, file.clone(), interactive);
    session.install_sigint_handler();
    let mut input = if interactive {
        match editor::LineEditor::new() {
            Ok(ed) => Input::Editor(Box::new(ed)),
            Err(e) => {
                eprintln!("warning: line editing is unavailable ({e}); reading plain lines");
                Input::Plain(std::io::stdin().lock())
            }
        }
    } else {
        Input::Plain(std::io::stdin().lock())
    };
    if interactive {
        println!("memo {} · :help for commands · Ctrl-D to quit", memo::VERSION);
    }
    if let Some(f) = &file {
        session.run_script(Some(f.clone()));
    }
    input.set_names(&session);
    let mut pending = String::new();
    loop {
        let prompt = if pending.is_empty() { PROMPT } else { CONTINUE_PROMPT };
        let line = match input.read_line(prompt) {
            Line::Text(l) => l,
            Line::Interrupted => {
                // Ctrl-C at the prompt: forget the unfinished input.
                pending.clear();
                continue;
            }
            Line::Eof => {
                if !pending.trim().is_empty() {
                    // Reports the syntax error of the unfinished input.
                    session.eval(&pending);
                }
                break;
            }
        };
        if pending.is_empty() {
            let t = line.trim();
            if t.is_empty() {
                continue;
            }
            if t.starts_with(':') {
                input.add_history(t);
                let go_on = session.command(t);
                input.set_names(&session);
                if go_on {
                    continue;
                }
                break;
            }
        } else {
            pending.push('\n');
        }
        pending.push_str(&line);
        if memo::parser::is_incomplete(&pending) {
            continue;
        }
        input.add_history(&pending);
        session.eval(&pending);
        pending.clear();
        input.set_names(&session);
    }
    session.engine.flush();
    if opts.stats {
        eprint!("{}", crate::cli::stats::run_stats(&mut session.engine));
    }
    0
}

/// One line of input.
enum Line {
    Text(String),
    /// Ctrl-C at the prompt.
    Interrupted,
    /// Ctrl-D or end of input.
    Eof,
}

/// Where lines come from: rustyline on a terminal, plain stdin otherwise.
enum Input {
    Editor(Box<editor::LineEditor>),
    Plain(std::io::StdinLock<'static>),
}

impl Input {
    fn read_line(&mut self, prompt: &str) -> Line {
        match self {
            Input::Editor(ed) => ed.read_line(prompt),
            Input::Plain(stdin) => {
                let mut buf = Vec::new();
                match stdin.read_until(b'\n', &mut buf) {
                    Ok(0) | Err(_) => Line::Eof,
                    Ok(_) => {
                        while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                            buf.pop();
                        }
                        Line::Text(String::from_utf8_lossy(&buf).into_owned())
                    }
                }
            }
        }
    }

    fn add_history(&mut self, entry: &str) {
        if let Input::Editor(ed) = self {
            ed.add_history(entry);
        }
    }

    fn set_names(&mut self, session: &Session) {
        if let Input::Editor(ed) = self {
            ed.set_names(
                session.engine.global_names(),
                session.engine.cache().memory_summary().into_iter().map(|(n, _)| n).collect(),
            );
        }
    }
}

/// What an evaluation runs.
enum Job<'a> {
    /// An input: (source name, text).
    Source(&'a str, &'a str),
    /// A script from disk.
    File(&'a Path),
}

/// What the last evaluation (input, `:run` or `:load`) did to the cache.
#[derive(Default)]
struct LastRun {
    label: String,
    hits: u64,
    misses: u64,
    /// Per cached fn name: (hits, misses).
    per_fn: BTreeMap<String, (u64, u64)>,
}

/// The state of one REPL session.
pub struct Session {
    pub engine: Engine,
    /// What `:run` with no argument re-runs.
    script: Option<PathBuf>,
    /// Number of inputs evaluated (names the `<repl:N>` sources).
    inputs: usize,
    /// True while an evaluation runs: Ctrl-C then interrupts it.
    evaluating: Arc<AtomicBool>,
    interactive: bool,
    last: LastRun,
}

impl Session {
    pub fn new(engine: Engine, script: Option<PathBuf>, interactive: bool) -> Session {
        Session { engine, script, inputs: 0, evaluating: Arc::new(AtomicBool::new(false)), interactive, last: LastRun::default() }
    }

    /// Ctrl-C while evaluating interrupts the evaluation. At a terminal
    /// prompt rustyline reads Ctrl-C as a key, so the handler does not run
    /// there; reading from a pipe, Ctrl-C between evaluations ends the
    /// process as usual.
    fn install_sigint_handler(&self) {
        let evaluating = self.evaluating.clone();
        let interrupt = self.engine.interrupt_handle();
        let interactive = self.interactive;
        let _ = ctrlc::set_handler(move || {
            if evaluating.load(Ordering::SeqCst) {
                interrupt.interrupt();
            } else if !interactive {
                std::process::exit(130);
            }
        });
    }

    /// Evaluates one input; prints its value (repr form) unless it is `none`.
    pub fn eval(&mut self, text: &str) {
        self.inputs += 1;
        let name = format!("<repl:{}>", self.inputs);
        let label = name.clone();
        let r = self.evaluate(label, Job::Source(&name, text));
        if let Some(v) = r {
            if !matches!(v, Value::None) {
                // Metered and bounded like `repr(v)` in a script.
                match self.engine.repr(&v) {
                    Ok(text) => self.engine.write_output(&format!("{text}\n")),
                    Err(e) => self.engine.write_error(&format!("error: {}\n", e.message())),
                }
            }
        }
    }

    /// Runs `f` as one evaluation: Ctrl-C interrupts it, errors are printed
    /// (as `memo run` prints them), and the cache counts are kept for `:cache`.
    fn evaluate(&mut self, label: String, job: Job<'_>) -> Option<Value> {
        let before_fns = per_fn_counts(&mut self.engine);
        let before = self.engine.run_stats();
        self.evaluating.store(true, Ordering::SeqCst);
        let r = match job {
            Job::Source(name, text) => self.engine.run_named(name, text),
            Job::File(path) => self.engine.run_file(path),
        };
        self.evaluating.store(false, Ordering::SeqCst);
        self.engine.flush();
        let after = self.engine.run_stats();
        let mut per_fn = per_fn_counts(&mut self.engine);
        for (name, (h, m)) in per_fn.iter_mut() {
            if let Some((bh, bm)) = before_fns.get(name) {
                *h = h.saturating_sub(*bh);
                *m = m.saturating_sub(*bm);
            }
        }
        per_fn.retain(|_, (h, m)| *h + *m > 0);
        self.last = LastRun {
            label,
            hits: after.hits.saturating_sub(before.hits),
            misses: after.misses.saturating_sub(before.misses),
            per_fn,
        };
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                eprint!("{}", e.render());
                let _ = std::io::stderr().flush();
                None
            }
        }
    }

    /// Handles a `:command`; returns false when the session should end.
    pub fn command(&mut self, line: &str) -> bool {
        let (cmd, arg) = match line.split_once(char::is_whitespace) {
            Some((c, a)) => (c, a.trim()),
            None => (line, ""),
        };
        match cmd {
            ":run" | ":r" => self.run_script(if arg.is_empty() { None } else { Some(PathBuf::from(arg)) }),
            ":load" | ":l" => {
                if arg.is_empty() {
                    self.error(":load needs a file: :load FILE");
                } else {
                    self.load(Path::new(arg));
                }
            }
            ":cache" => {
                let report = self.cache_report();
                self.say(&report);
            }
            ":clear" => self.clear(arg),
            ":explain" => match arg {
                "on" => {
                    self.engine.set_explain(true);
                    self.say("explain: on (why each cached call hit or missed is printed on stderr)\n");
                }
                "off" => {
                    self.engine.set_explain(false);
                    self.say("explain: off\n");
                }
                "" => {
                    let s = if self.engine.explain() { "on" } else { "off" };
                    self.say(&format!("explain: {s}\n"));
                }
                other => self.error(&format!(":explain expects `on` or `off`, got `{other}`")),
            },
            ":help" | ":h" | ":?" => self.say(&help_text()),
            ":quit" | ":q" | ":exit" => return false,
            other => self.error(&format!("unknown command `{other}` (:help lists the commands)")),
        }
        true
    }

    /// `:run [FILE]`: a fresh global environment, then the whole script; the
    /// cache is kept.
    pub fn run_script(&mut self, file: Option<PathBuf>) {
        let Some(path) = file.or_else(|| self.script.clone()) else {
            self.error(":run needs a file: :run FILE (or start the session with `memo repl FILE`)");
            return;
        };
        self.script = Some(path.clone());
        self.engine.reset();
        let t0 = Instant::now();
        let label = format!(":run {}", path.display());
        let ok = self.evaluate(label, Job::File(&path)).is_some();
        self.summary(&path, ok, t0.elapsed());
    }

    /// `:load FILE`: runs a file in the current environment.
    pub fn load(&mut self, path: &Path) {
        let t0 = Instant::now();
        let label = format!(":load {}", path.display());
        let ok = self.evaluate(label, Job::File(path)).is_some();
        self.summary(path, ok, t0.elapsed());
    }

    /// One line on stderr after `:run`/`:load`: time and cache counts.
    fn summary(&mut self, path: &Path, ok: bool, took: Duration) {
        let what = if ok { "ran" } else { "stopped" };
        eprintln!(
            "── {what} {} in {} · {}, {} ──",
            path.display(),
            crate::cli::stats::human(took),
            plural(self.last.hits, "hit", "hits"),
            plural(self.last.misses, "miss", "misses")
        );
    }

    /// `:clear [FN]`.
    fn clear(&mut self, arg: &str) {
        if arg.is_empty() {
            let n: usize = self.engine.cache().memory_summary().iter().map(|(_, n)| n).sum();
            self.engine.cache().clear_all();
            let disk = if self.has_disk() { " (and the disk cache)" } else { "" };
            self.say(&format!("cleared {} from memory{disk}\n", plural(n as u64, "entry", "entries")));
        } else {
            let n = self.engine.cache().entries_of(arg);
            self.engine.cache().clear_fn(arg);
            self.say(&format!("cleared {} of `{arg}`\n", plural(n as u64, "entry", "entries")));
        }
    }

    fn has_disk(&self) -> bool {
        !self.engine.cache().tier_names().is_empty()
    }

    /// The `:cache` report.
    pub fn cache_report(&self) -> String {
        let mut out = String::new();
        let tiers = self.engine.cache().tier_names();
        let disk: Option<(String, BTreeMap<String, usize>)> = self.engine.cache().with_nearest_tier(|t| {
            let stats = t.stats()?;
            Ok((tiers.join(", "), stats.into_iter().map(|s| (s.name, s.entries as usize)).collect()))
        });
        match &disk {
            Some((names, _)) => {
                let _ = writeln!(out, "cache: memory + {names}");
            }
            None => {
                let _ = writeln!(out, "cache: memory only");
            }
        }
        let mut rows: BTreeMap<String, (usize, Option<usize>, u64, u64)> = BTreeMap::new();
        for (name, n) in self.engine.cache().memory_summary() {
            rows.entry(name).or_default().0 = n;
        }
        if let Some((_, d)) = &disk {
            for (name, n) in d {
                rows.entry(name.clone()).or_default().1 = Some(*n);
            }
        }
        for (name, (h, m)) in &self.last.per_fn {
            let r = rows.entry(name.clone()).or_default();
            r.2 = *h;
            r.3 = *m;
        }
        if rows.is_empty() {
            let _ = writeln!(out, "no cached entries");
        } else {
            let w = rows.keys().map(|k| k.chars().count()).max().unwrap_or(0).max(9);
            let _ = write!(out, "{:<w$}  {:>9}", "cached fn", "in memory");
            if disk.is_some() {
                let _ = write!(out, "  {:>7}", "on disk");
            }
            let _ = writeln!(out, "  {:>9}  {:>11}", "last hits", "last misses");
            for (name, (mem, dsk, h, m)) in &rows {
                let _ = write!(out, "{name:<w$}  {mem:>9}");
                if disk.is_some() {
                    let _ = write!(out, "  {:>7}", dsk.unwrap_or(0));
                }
                let _ = writeln!(out, "  {h:>9}  {m:>11}");
            }
        }
        if self.last.label.is_empty() {
            let _ = writeln!(out, "last run: nothing evaluated yet");
        } else {
            let _ = writeln!(
                out,
                "last run ({}): {}, {}",
                self.last.label,
                plural(self.last.hits, "hit", "hits"),
                plural(self.last.misses, "miss", "misses")
            );
        }
        out
    }

    /// Prints a message on stdout (in order with the scripts' output).
    fn say(&mut self, text: &str) {
        self.engine.write_output(text);
    }

    /// Prints an error of the REPL itself (not of a script).
    fn error(&mut self, msg: &str) {
        self.engine.flush();
        eprintln!("error: {msg}");
    }
}

/// Hits and misses per cached fn name, summed over the declared cached fns.
fn per_fn_counts(engine: &mut Engine) -> BTreeMap<String, (u64, u64)> {
    engine.fn_stats().into_iter().map(|r| (r.name, (r.hits, r.misses))).collect()
}

fn help_text() -> String {
    let mut out = String::from("commands:\n");
    let w = COMMANDS.iter().map(|(c, a, _)| c.len() + a.len()).max().unwrap_or(0);
    for (c, a, what) in COMMANDS {
        let _ = writeln!(out, "  {:<w$}  {what}", format!("{c}{a}"));
    }
    out.push_str(
        "anything else is memo code: an expression prints its value, definitions persist.\n\
         An unfinished input (open bracket or brace, trailing operator) continues on a `...` prompt.\n\
         Ctrl-C stops a running evaluation (at the prompt it clears the line); Ctrl-R searches the history; Tab completes.\n",
    );
    out
}
