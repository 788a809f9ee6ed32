//! The `memo` command line: `run`, `check`, `repl`, `watch`, `cache`.

pub(crate) mod stats;

use crate::cache::disk::{DiskStore, DEFAULT_MAX_BYTES};
use crate::cache::Cache;
use crate::interp::Interp;
use crate::value::Value;
use clap::{Args, Parser, Subcommand};
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
    /// Inspect or clear the on-disk cache
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
    /// Sandbox: refuse file access (read_file, write_file, exists, file_mtime, read_csv, sqlite_open, import)
    #[arg(long)]
    pub no_fs: bool,
    /// Sandbox: refuse clocks and sleeping (now, clock, sleep)
    #[arg(long)]
    pub no_clock: bool,
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

/// Builds the cache a run uses (memory, plus disk unless disabled).
pub fn make_cache(opts: &RunOpts, script: Option<&Path>) -> Cache {
    let cache = Cache::memory();
    if !opts.no_disk_cache {
        let dir = cache_dir_for(&opts.cache_dir, script);
        match DiskStore::open(&dir, opts.cache_max_bytes) {
            Ok(store) => cache.set_disk(Some(store)),
            Err(e) => eprintln!("warning: cannot use cache directory `{}`: {e}; caching in memory only", dir.display()),
        }
    }
    cache
}

/// Sets up an interpreter for the CLI: params, explain, buffered stdout.
pub fn make_interp(opts: &RunOpts, cache: Cache) -> Result<Interp, String> {
    let mut interp = Interp::new(cache);
    for kv in &opts.set {
        let Some((k, v)) = kv.split_once('=') else {
            return Err(format!("--set expects NAME=VALUE, got `{kv}`"));
        };
        interp.params.insert(k.trim().to_string(), parse_param(v));
    }
    interp.config.explain = opts.explain;
    interp.config.max_ops = opts.max_ops;
    if let Some(n) = opts.max_depth {
        interp.config.max_call_depth = n;
    }
    if let Some(n) = opts.max_len {
        interp.config.max_collection_len = n;
    }
    interp.config.max_memory = opts.max_memory;
    // The script runs on this thread: its memory counts from here.
    interp.start_memory_budget().map_err(|e| e.message.clone())?;
    interp.config.allow_fs = !opts.no_fs;
    interp.config.allow_clock = !opts.no_clock;
    interp.config.spinner = std::io::stderr().is_terminal();
    interp.out = Box::new(std::io::BufWriter::with_capacity(1 << 16, std::io::stdout()));
    Ok(interp)
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
    crate::stack::run_with_stack(STACK_SIZE, move || run_command(cli.command))
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
    let mut interp = match make_interp(opts, cache) {
        Ok(i) => i,
        Err(e) => return usage_error(&e),
    };
    let r = interp.run_source(&file.display().to_string(), &text);
    interp.flush();
    let code = match r {
        Ok(_) => 0,
        Err(e) => {
            eprint!("{}", e.render(&interp.sources));
            1
        }
    };
    if opts.stats {
        eprint!("{}", stats::run_stats(&interp));
    }
    let _ = std::io::stderr().flush();
    code
}

fn check_file(file: &Path) -> i32 {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => return usage_error(&format!("cannot read `{}`: {e}", file.display())),
    };
    let mut interp = Interp::new(Cache::memory());
    match interp.compile(&file.display().to_string(), &text, true) {
        Ok(_) => {
            println!("{}: ok", file.display());
            0
        }
        Err(e) => {
            eprint!("{}", e.render(&interp.sources));
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
