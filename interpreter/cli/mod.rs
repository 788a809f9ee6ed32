//! The `memo` command line: `run`, `check`, `repl`, `watch`, `cache`. Every
//! command that runs scripts builds one [`Engine`] the same way
//! (`make_engine`), so runs start alike everywhere: the same cache tiers,
//! the same limits (the operation budget is per run, reset by the engine
//! on every entry), the same statistics.

pub(crate) mod stats;

use clap::{Args, Parser, Subcommand};
use memo::cache::config::DEFAULT_REMOTE_MAX_ENTRY_BYTES;
use memo::cache::disk::DEFAULT_MAX_BYTES;
use memo::{Cache, CacheConfig, Engine, Limits, Value};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Stack size of the interpreter thread: deep recursion and deeply nested
/// programs end in a memo error long before this is used up.
pub const STACK_SIZE: usize = 1 << 30;

#[derive(Parser, Debug)]
#[command(name = "memo", version, about = "memo: a scripting language with native memoization (`cached fn`)", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a script
    Run {
        /// The script to run
        file: PathBuf,
        #[command(flatten)]
        opts: RunOpts,
    },
    /// Check a script for syntax and compile errors without running it
    Check {
        /// The script to check
        file: PathBuf,
    },
    /// Start an interactive session (optionally running FILE first)
    Repl {
        /// A script to run at start (and re-run with `:run`)
        file: Option<PathBuf>,
        #[command(flatten)]
        opts: RunOpts,
    },
    /// Run FILE, then re-run it whenever it (or a file it imports) changes
    Watch {
        /// The script to watch
        file: PathBuf,
        #[command(flatten)]
        opts: RunOpts,
    },
    /// Inspect or clear a cache directory
    Cache {
        #[command(subcommand)]
        action: CacheAction,
    },
}

#[derive(Subcommand, Debug)]
pub enum CacheAction {
    /// Show entries, bytes and computation time per cached function
    Stats {
        /// Cache directory (default: $MEMO_CACHE_DIR or ./.memo-cache)
        #[arg(long)]
        cache_dir: Option<PathBuf>,
    },
    /// List entries (of one function): arguments, size, created, last used
    Ls {
        /// Only this function's entries
        function: Option<String>,
        /// Cache directory (default: $MEMO_CACHE_DIR or ./.memo-cache)
        #[arg(long)]
        cache_dir: Option<PathBuf>,
    },
    /// Delete the entries of one function, or all entries
    Clear {
        /// Only this function's entries
        function: Option<String>,
        /// Cache directory (default: $MEMO_CACHE_DIR or ./.memo-cache)
        #[arg(long)]
        cache_dir: Option<PathBuf>,
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
    memo::stack::run_with_stack(STACK_SIZE, move || run_command(cli.command))
}

fn run_command(cmd: Command) -> i32 {
    match cmd {
        Command::Run { file, opts } => run_file(&file, &opts),
        Command::Check { file } => check_file(&file),
        Command::Repl { file, opts } => crate::repl::run(file, &opts),
        Command::Watch { file, opts } => crate::watch::run(&file, &opts),
        Command::Cache { action } => stats::cache_command(action),
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

fn run_file(file: &Path, opts: &RunOpts) -> i32 {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => return usage_error(&format!("cannot read `{}`: {e}", file.display())),
    };
    let cache = make_cache(opts, Some(file));
    let mut engine = match make_engine(opts, cache) {
        Ok(e) => e,
        Err(e) => return usage_error(&e),
    };
    let r = engine.run_named(&file.display().to_string(), &text);
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
            1
        }
    };
    if opts.stats {
        eprint!("{}", stats::run_stats(&mut engine));
    }
    let _ = std::io::stderr().flush();
    code
}

fn check_file(file: &Path) -> i32 {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => return usage_error(&format!("cannot read `{}`: {e}", file.display())),
    };
    let mut engine = Engine::builder().run_on_current_thread().build();
    match engine.check_named(&file.display().to_string(), &text) {
        Ok(()) => {
            println!("{}: ok", file.display());
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
