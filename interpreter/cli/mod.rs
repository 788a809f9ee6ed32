//! The `memo` command line: `run`, `check`, `repl`, `watch`, `cache`,
//! `completions`; `memo FILE` runs a script and `memo` alone starts the
//! REPL. Every command that runs scripts builds one [`Engine`] the same way
//! (`make_engine`), so runs start alike everywhere: the same cache tiers,
//! the same limits (the operation budget is per run, reset by the engine
//! on every entry), the same statistics.

mod help;
pub(crate) mod stats;

use clap::{Args, CommandFactory, Parser, Subcommand};
use memo::cache::config::DEFAULT_REMOTE_MAX_ENTRY_BYTES;
use memo::cache::disk::DEFAULT_MAX_BYTES;
use memo::{Cache, CacheConfig, Engine, Limits, Value};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Stack size of the interpreter thread: deep recursion and deeply nested
/// programs end in a memo error long before this is used up.
pub const STACK_SIZE: usize = 1 << 30;

#[derive(Parser, Debug)]
#[command(
    name = "memo",
    version,
    about = "memo: a scripting language with native memoization (`cached fn`)",
    long_about = None,
    args_conflicts_with_subcommands = true,
    after_help = help::TOP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// A script to run, as `memo run FILE` does (`-`: read it from stdin); with no FILE (and no -e), the REPL starts
    pub file: Option<PathBuf>,
    /// Run CODE instead of a file
    #[arg(short = 'e', long = "eval", value_name = "CODE", conflicts_with = "file")]
    pub eval: Option<String>,
    #[command(flatten)]
    pub opts: RunOpts,
}

/// What a command runs or checks: a file, stdin (`-`) or `-e CODE`.
#[derive(Args, Debug, Clone)]
pub struct Source {
    /// The script (`-`: read it from stdin)
    #[arg(required_unless_present = "eval")]
    pub file: Option<PathBuf>,
    /// The code itself, instead of a file
    #[arg(short = 'e', long = "eval", value_name = "CODE", conflicts_with = "file")]
    pub eval: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a script
    #[command(after_help = help::RUN)]
    Run {
        #[command(flatten)]
        source: Source,
        #[command(flatten)]
        opts: RunOpts,
    },
    /// Check a script for syntax and compile errors without running it
    #[command(after_help = help::CHECK)]
    Check {
        #[command(flatten)]
        source: Source,
        /// Do not warn about likely mistakes (`n // 2` read as a comment, `7 / 2` on int literals)
        #[arg(long)]
        no_lints: bool,
    },
    /// Start an interactive session (optionally running FILE first)
    #[command(after_help = help::REPL)]
    Repl {
        /// A script to run at start (and re-run with `:run`)
        file: Option<PathBuf>,
        #[command(flatten)]
        opts: RunOpts,
    },
    /// Run FILE, then re-run it whenever it (or a file it imports) changes
    #[command(after_help = help::WATCH)]
    Watch {
        /// The script to watch
        file: PathBuf,
        /// Clear the screen before each run
        #[arg(short = 'c', long)]
        clear: bool,
        #[command(flatten)]
        opts: RunOpts,
    },
    /// Inspect or clear a cache directory
    #[command(after_help = help::CACHE)]
    Cache {
        #[command(subcommand)]
        action: CacheAction,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    #[command(after_help = help::COMPLETIONS)]
    Completions {
        /// The shell to complete for
        shell: clap_complete::Shell,
    },
}

/// Which cache directory a `memo cache` command looks at.
#[derive(Args, Debug, Clone, Default)]
pub struct CacheLocation {
    /// The cache directory (default: $MEMO_CACHE_DIR, else ./.memo-cache)
    #[arg(long, conflicts_with = "for_script")]
    pub cache_dir: Option<PathBuf>,
    /// The cache `memo run SCRIPT` uses: .memo-cache/ beside SCRIPT ($MEMO_CACHE_DIR when set)
    #[arg(long = "for", value_name = "SCRIPT")]
    pub for_script: Option<PathBuf>,
    /// The shared tier at this URL instead of a directory: redis://HOST:PORT[/DB]
    #[arg(long, value_name = "URL", conflicts_with_all = ["cache_dir", "for_script"])]
    pub cache_url: Option<String>,
}

impl CacheLocation {
    /// The directory: `--cache-dir`, else what `memo run SCRIPT` would use
    /// for `--for SCRIPT`, else `$MEMO_CACHE_DIR` or `./.memo-cache`.
    pub fn dir(&self) -> PathBuf {
        cache_dir_for(&self.cache_dir, self.for_script.as_deref())
    }
}

#[derive(Subcommand, Debug)]
pub enum CacheAction {
    /// Show entries, bytes and computation time per cached function (or of one)
    #[command(after_help = help::CACHE_STATS)]
    Stats {
        /// Only this function
        function: Option<String>,
        #[command(flatten)]
        location: CacheLocation,
    },
    /// List entries (of one function): arguments, size, created, last used
    #[command(after_help = help::CACHE_LS)]
    Ls {
        /// Only this function's entries
        function: Option<String>,
        #[command(flatten)]
        location: CacheLocation,
    },
    /// Delete the entries of one function, or all entries
    #[command(after_help = help::CACHE_CLEAR)]
    Clear {
        /// Only this function's entries
        function: Option<String>,
        #[command(flatten)]
        location: CacheLocation,
    },
}

#[derive(Args, Debug, Clone, Default)]
pub struct RunOpts {
    /// Set a parameter read by `param(NAME, default)` (repeatable)
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// Cache directory (default: $MEMO_CACHE_DIR, else .memo-cache/ beside the script)
    #[arg(long)]
    pub cache_dir: Option<PathBuf>,
    /// Keep the cache in memory only
    #[arg(long)]
    pub no_disk_cache: bool,
    /// Size bound of the cache directory in bytes (oldest-used entries are evicted)
    #[arg(long, default_value_t = DEFAULT_MAX_BYTES)]
    pub cache_max_bytes: u64,
    /// A cache shared between machines, below the local one: redis://HOST:PORT[/DB] (default: $MEMO_CACHE_URL)
    #[arg(long, value_name = "URL")]
    pub cache_url: Option<String>,
    /// Entries bigger than this many bytes stay out of the --cache-url tier
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_REMOTE_MAX_ENTRY_BYTES)]
    pub cache_url_max_entry: usize,
    /// Print why each cached call hit or missed (stderr)
    #[arg(long)]
    pub explain: bool,
    /// Print hits, misses and time per cached function at exit (stderr)
    #[arg(long)]
    pub stats: bool,
    /// Do not warn about likely mistakes (`n // 2` read as a comment, `7 / 2` on int literals)
    #[arg(long)]
    pub no_lints: bool,
    /// Sandbox: stop with a LimitError after N operations (loop iterations, calls, and the work inside one: elements compared, hashed, printed, copied)
    #[arg(long, value_name = "N")]
    pub max_ops: Option<u64>,
    /// Sandbox: maximum call depth before a RecursionError (default 20000)
    #[arg(long, value_name = "N")]
    pub max_depth: Option<usize>,
    /// Sandbox: largest string (bytes), list or map (elements) a script may build
    #[arg(long, value_name = "N")]
    pub max_len: Option<usize>,
    /// Sandbox: most memory the script may hold, in bytes (suffixes K, M, G: powers of 1024); more is a LimitError
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes)]
    pub max_memory: Option<usize>,
    /// Sandbox: refuse file access (read_file, write_file, exists, file_mtime, read_csv, write_csv, write_json, chart, sqlite_open, import)
    #[arg(long)]
    pub no_fs: bool,
    /// Sandbox: refuse clocks and sleeping (now, clock, sleep, today)
    #[arg(long)]
    pub no_clock: bool,
    /// Sandbox: refuse network access (http_get, http_get_json)
    #[arg(long)]
    pub no_net: bool,
}

/// Parses a `--set` value: int, float, bool, none, else a string.
pub fn parse_param(s: &str) -> Value {
    let t = s.trim();
    if let Ok(i) = t.replace('_', "").parse::<i64>() {
        return Value::Int(i);
    }
    if let Ok(f) = t.parse::<f64>() {
        if t.chars().any(|c| c.is_ascii_digit()) {
            return Value::float(f);
        }
    }
    match t {
        "true" => Value::bool(true),
        "false" => Value::bool(false),
        "none" => Value::None,
        _ => Value::str(s),
    }
}

/// Parses a byte count: digits, optionally followed by K, M or G (powers
/// of 1024; `KB`, `MiB` and lowercase are accepted too).
pub fn parse_bytes(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit() && c != '_').unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: usize = digits.replace('_', "").parse().map_err(|_| format!("`{s}` is not a number of bytes (e.g. 512M)"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return Err(format!("`{s}`: unknown unit (use K, M or G)")),
    };
    n.checked_mul(1usize << shift).ok_or_else(|| format!("`{s}` is too large"))
}

/// The cache directory for a script: flag, then env, then beside the script.
pub fn cache_dir_for(opts_dir: &Option<PathBuf>, script: Option<&Path>) -> PathBuf {
    if let Some(d) = opts_dir {
        return d.clone();
    }
    if let Some(d) = std::env::var_os("MEMO_CACHE_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    match script.and_then(Path::parent) {
        Some(p) if !p.as_os_str().is_empty() => p.join(".memo-cache"),
        _ => PathBuf::from(".memo-cache"),
    }
}

/// The tiers a run's cache has: memory, the cache directory unless
/// `--no-disk-cache`, and `--cache-url` / `$MEMO_CACHE_URL`; entries are
/// sealed with a MAC when `$MEMO_CACHE_SECRET` is set.
pub fn cache_config(opts: &RunOpts, script: Option<&Path>) -> CacheConfig {
    CacheConfig {
        dir: (!opts.no_disk_cache).then(|| cache_dir_for(&opts.cache_dir, script)),
        max_bytes: opts.cache_max_bytes,
        url: opts.cache_url.clone().filter(|u| !u.is_empty()),
        remote_max_entry_bytes: opts.cache_url_max_entry,
        secret: None,
    }
    .with_env()
}

/// Builds the cache a run uses (see `cache_config`).
pub fn make_cache(opts: &RunOpts, script: Option<&Path>) -> Cache {
    Cache::open(&cache_config(opts, script))
}

/// The engine every command runs scripts with: the cache, params, limits,
/// explain, buffered stdout. It runs on the calling thread, which `main`
/// gave a big stack.
#[allow(clippy::needless_update)] // `..defaults`: limits added later keep their defaults
pub fn make_engine(opts: &RunOpts, cache: Cache) -> Result<Engine, String> {
    let defaults = Limits::default();
    let limits = Limits {
        max_ops: opts.max_ops,
        max_call_depth: opts.max_depth.unwrap_or(defaults.max_call_depth),
        max_collection_len: opts.max_len.unwrap_or(defaults.max_collection_len),
        max_memory: opts.max_memory,
        allow_fs: !opts.no_fs,
        allow_clock: !opts.no_clock,
        allow_net: !opts.no_net,
        ..defaults
    };
    let mut b = Engine::builder()
        .cache(cache)
        .limits(limits)
        .explain(opts.explain)
        .spinner(std::io::stderr().is_terminal())
        .lints(!opts.no_lints)
        // MEMO_SPECIALIZE=off: the general code everywhere (for the tests that
        // check specializations change nothing).
        .specialize(std::env::var_os("MEMO_SPECIALIZE").map_or(true, |v| v != "off"))
        .output(std::io::BufWriter::with_capacity(1 << 16, std::io::stdout()))
        .run_on_current_thread();
    for kv in &opts.set {
        let Some((k, v)) = kv.split_once('=') else {
            return Err(format!("--set expects NAME=VALUE, got `{kv}`"));
        };
        b = b.param(k.trim(), parse_param(v));
    }
    Ok(b.build())
}

/// Entry point of the binary; returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    let command = match cli.command {
        Some(c) => c,
        // `memo FILE` runs it, `memo -e CODE` runs CODE, `memo` starts the REPL.
        None if cli.file.is_some() || cli.eval.is_some() => {
            Command::Run { source: Source { file: cli.file, eval: cli.eval }, opts: cli.opts }
        }
        None => Command::Repl { file: None, opts: cli.opts },
    };
    memo::stack::run_with_stack(STACK_SIZE, move || run_command(command))
}

fn run_command(cmd: Command) -> i32 {
    match cmd {
        Command::Run { source, opts } => run_source(&source, &opts),
        Command::Check { source, no_lints } => check_source(&source, !no_lints),
        Command::Repl { file, opts } => crate::repl::run(file, &opts),
        Command::Watch { file, clear, opts } => crate::watch::run(&file, clear, &opts),
        Command::Cache { action } => stats::cache_command(action),
        Command::Completions { shell } => {
            // Generated into memory first: clap_complete panics when its
            // writer fails (`memo completions bash | head`).
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "memo", &mut script);
            let _ = std::io::Write::write_all(&mut std::io::stdout(), &script);
            0
        }
    }
}

/// Exit code of a run stopped by Ctrl-C (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: i32 = 130;

/// The exit code for a failed run: 130 when Ctrl-C stopped it, else 1.
pub fn error_code(e: &memo::Error) -> i32 {
    if *e.error_kind() == memo::ErrorKind::Interrupted {
        EXIT_INTERRUPTED
    } else {
        1
    }
}

/// The name errors show and the text of a `Source`; the script's path
/// when it is a file (for the cache directory and imports).
fn read_source(source: &Source) -> Result<(String, String, Option<PathBuf>), String> {
    if let Some(code) = &source.eval {
        return Ok(("<-e>".into(), code.clone(), None));
    }
    let file = source.file.as_ref().expect("clap requires FILE without -e");
    if file.as_os_str() == "-" {
        let mut text = String::new();
        return match std::io::Read::read_to_string(&mut std::io::stdin(), &mut text) {
            Ok(_) => Ok(("<stdin>".into(), text, None)),
            Err(e) => Err(format!("cannot read the script from stdin: {e}")),
        };
    }
    match std::fs::read_to_string(file) {
        Ok(t) => Ok((file.display().to_string(), t, Some(file.clone()))),
        Err(e) => Err(format!("cannot read `{}`: {e}", file.display())),
    }
}

/// `1 hit`, `3 hits`.
pub(crate) fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn usage_error(msg: &str) -> i32 {
    eprintln!("error: {msg}");
    2
}

fn run_source(source: &Source, opts: &RunOpts) -> i32 {
    let (name, text, path) = match read_source(source) {
        Ok(s) => s,
        Err(e) => return usage_error(&e),
    };
    let cache = make_cache(opts, path.as_deref());
    let mut engine = match make_engine(opts, cache) {
        Ok(e) => e,
        Err(e) => return usage_error(&e),
    };
    // Ctrl-C stops the script with an `Interrupted` error (the cache's
    // pending writes are still flushed); a second one ends the process.
    let interrupt = engine.interrupt_handle();
    let pressed = std::sync::atomic::AtomicBool::new(false);
    let _ = ctrlc::set_handler(move || {
        if pressed.swap(true, std::sync::atomic::Ordering::SeqCst) {
            std::process::exit(EXIT_INTERRUPTED);
        }
        interrupt.interrupt();
    });
    let r = engine.run_named(&name, &text);
    engine.flush();
    // Batched cache writes become durable now; a tier failing here warns.
    engine.cache().flush();
    for w in engine.cache().take_warnings() {
        eprintln!("{w}");
    }
    let code = match r {
        Ok(_) => 0,
        Err(e) => {
            eprint!("{}", e.render());
            error_code(&e)
        }
    };
    if opts.stats {
        eprint!("{}", stats::run_stats(&mut engine));
    }
    let _ = std::io::stderr().flush();
    // The process ends now: the engine's values are not freed one by one
    // (a 200,000-row table took 10 ms to free, a fifth of a run that hit
    // the cache). Its output and the cache were flushed above; a lease is
    // released when its computation ends; SQLite needs no close to be
    // consistent. So clang leaves its own heap to the exit.
    std::mem::forget(engine);
    code
}

fn check_source(source: &Source, lints: bool) -> i32 {
    let (name, text, _) = match read_source(source) {
        Ok(s) => s,
        Err(e) => return usage_error(&e),
    };
    let mut engine = Engine::builder().lints(lints).run_on_current_thread().build();
    match engine.check_named(&name, &text) {
        Ok(()) => {
            println!("{name}: ok");
            0
        }
        Err(e) => {
            eprint!("{}", e.render());
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_bytes;

    #[test]
    fn byte_counts() {
        assert_eq!(parse_bytes("1000"), Ok(1000));
        assert_eq!(parse_bytes("64K"), Ok(64 << 10));
        assert_eq!(parse_bytes("512M"), Ok(512 << 20));
        assert_eq!(parse_bytes("2g"), Ok(2 << 30));
        assert_eq!(parse_bytes("1_000 KiB"), Ok(1000 << 10));
        assert!(parse_bytes("12Q").is_err());
        assert!(parse_bytes("M").is_err());
        assert!(parse_bytes("99999999999999999999G").is_err());
    }
}
