//! Embedding memo in a Rust program: the [`Engine`].
//!
//! An engine is one interpreter (its globals, its host functions, its
//! output sinks) plus a handle on a [`Cache`]. Clone the cache into several
//! engines, on as many threads as you like, and they share every cached
//! result: a `cached fn` computed by one is a hit for the others, and two
//! engines missing the same key at once compute it once.
//!
//! ```
//! use memo::{Cache, Engine, OutputBuffer};
//!
//! let out = OutputBuffer::new();
//! let mut engine = Engine::builder().cache(Cache::memory()).param("b", 21).output(out.clone()).build();
//! engine.register_fn("double", |x: i64| x * 2);
//! engine
//!     .run(r#"
//!         cached fn area(a, b) { a * b }
//!         print(area(2, param("b", 1)), double(4))
//!     "#)
//!     .unwrap();
//! assert_eq!(out.contents(), "42 8\n");
//! assert_eq!(engine.call("area", (3, 4)).unwrap().to_string(), "12");
//! assert_eq!(engine.cache_info("area").unwrap().misses, 2);
//! ```
//!
//! # Embed memo in 20 lines
//!
//! The program of `docs/embedding.md`: two engines, one per customer, share
//! a cache; the second hits what the first computed.
//!
//! ```
//! use memo::{Cache, Engine};
//!
//! fn main() -> Result<(), memo::Error> {
//!     let cache = Cache::memory(); // shared by every engine below
//!     for customer in ["ada", "bob"] {
//!         let mut engine = Engine::builder().cache(cache.clone()).param("customer", customer).build();
//!         engine.register_fn("fetch_price", |item: String| -> Result<f64, String> {
//!             match item.as_str() {
//!                 "apple" => Ok(0.5),
//!                 "pear" => Ok(0.75),
//!                 other => Err(format!("no price for {other}")),
//!             }
//!         });
//!         let total: f64 = engine.eval(r#"
//!             cached fn price_of(item) { fetch_price(item) }
//!             price_of("apple") + price_of("pear")
//!         "#)?;
//!         let info = engine.cache_info("price_of")?;
//!         println!("{customer}: {total} ({} hits, {} misses)", info.hits, info.misses);
//! #       assert_eq!(total, 1.25);
//! #       let want = if customer == "ada" { (0, 2) } else { (2, 0) };
//! #       assert_eq!((info.hits, info.misses), want);
//!     }
//!     Ok(())
//! }
//! ```
//!
//! # Threads and the stack
//!
//! memo evaluates on the Rust stack, and refuses (with a `RecursionError`)
//! to go deeper than the stack it knows it has. By default every
//! [`run`](Engine::run), [`run_file`](Engine::run_file) and
//! [`call`](Engine::call) executes on a short-lived thread with a 256 MiB
//! stack (reserved address space, not memory), so scripts may recurse up to
//! [`Limits::max_call_depth`] whatever thread the host calls from, and a
//! deep script cannot overflow the host's stack. The cost is a thread spawn
//! per call (tens of microseconds). A host that calls into memo in a tight
//! loop can opt out with [`EngineBuilder::run_on_current_thread`]: the
//! engine then runs on the caller's thread and, unless the host declared
//! that thread's stack with [`crate::stack::set_stack_size`], assumes 1 MiB
//! and stops recursion early (still an error, never a crash).
//!
//! # Sandboxing
//!
//! [`Limits`] bounds what a script may do: operations, call depth,
//! collection sizes, file-system and clock access. Exceeding a limit is an
//! ordinary [`Error`] (`LimitError`, `RecursionError`, `PermissionError`)
//! returned to the host. [`Engine::interrupt_handle`] stops a running script
//! from another thread (`Interrupted`). Start from [`Limits::sandbox`] for
//! untrusted scripts.

mod convert;
mod doc;
mod native;

pub use self::convert::{FromValue, IntoArgs};
pub use self::native::{HostType, IntoMemoError, IntoNative, NativeReturn};
pub use crate::cache::disk::DiskStore;
pub use crate::cache::Cache;
pub use crate::value::Value;

use crate::error::MemoError;
use crate::interp::{Config, Interp};
use crate::source::{SourceMap, Span};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Default stack of the thread a run executes on (see the module docs).
pub const DEFAULT_STACK_SIZE: usize = 256 << 20;

// ----- errors -----

/// An error from the engine: a script's syntax, compile or runtime error, a
/// limit, or a failed conversion. It keeps the script sources, so it can
/// say where it happened.
///
/// `Display` gives one line, `file:line:col: Kind: message` (the location
/// when there is one); [`render`](Error::render) gives the full report the
/// `memo` command prints (source line, caret, call stack).
///
/// ```
/// use memo::Engine;
///
/// let mut engine = Engine::new();
/// let err = engine.run_named("calc.memo", "let x = 1\nlet y = x / 0").unwrap_err();
/// assert_eq!(err.kind(), "ZeroDivisionError");
/// assert_eq!(err.location().as_deref(), Some("calc.memo:2:9"));
/// assert_eq!(err.to_string(), format!("calc.memo:2:9: ZeroDivisionError: {}", err.message()));
/// assert!(err.render().contains("let y = x / 0"));
/// ```
#[derive(Clone)]
pub struct Error {
    inner: MemoError,
    sources: SourceMap,
}

impl Error {
    /// An error with no location (for host code).
    pub fn new(kind: impl Into<crate::error::ErrorKind>, message: impl Into<String>) -> Error {
        Error { inner: MemoError::new(kind, message), sources: SourceMap::default() }
    }

    fn with_sources(e: MemoError, sources: &SourceMap) -> Error {
        Error { inner: e, sources: sources.clone() }
    }

    /// The kind: `SyntaxError`, `TypeError`, `LimitError`, ... (what a
    /// script's `catch e` sees as `e["kind"]`).
    pub fn kind(&self) -> &str {
        self.inner.kind.name()
    }

    /// The kind, typed (for control flow: `ErrorKind::Interrupted`, ...).
    pub fn error_kind(&self) -> &crate::error::ErrorKind {
        &self.inner.kind
    }

    /// The message, without kind or location.
    pub fn message(&self) -> &str {
        &self.inner.message
    }

    fn span(&self) -> Option<Span> {
        self.inner.span.or_else(|| self.inner.stack.first().map(|f| f.span))
    }

    /// Source name, 1-based line and column where the error happened.
    pub fn position(&self) -> Option<(String, usize, usize)> {
        let span = self.span()?;
        let file = self.sources.get(span.file)?;
        let (line, col) = file.line_col(span.start as usize);
        Some((file.name.clone(), line, col))
    }

    /// The 1-based line of the error, if it has a location.
    pub fn line(&self) -> Option<usize> {
        self.position().map(|p| p.1)
    }

    /// `file:line:col`, if the error has a location.
    pub fn location(&self) -> Option<String> {
        self.position().map(|(f, l, c)| format!("{f}:{l}:{c}"))
    }

    /// The multi-line report the `memo` command prints: message, location,
    /// source line with a caret, notes, call stack.
    pub fn render(&self) -> String {
        self.inner.render(&self.sources)
    }

    /// The underlying interpreter error.
    pub fn as_memo_error(&self) -> &MemoError {
        &self.inner
    }

    /// The underlying interpreter error (e.g. to return it from a native).
    pub fn into_memo_error(self) -> MemoError {
        self.inner
    }
}

impl From<MemoError> for Error {
    fn from(e: MemoError) -> Error {
        Error { inner: e, sources: SourceMap::default() }
    }
}

impl From<Error> for MemoError {
    fn from(e: Error) -> MemoError {
        e.inner
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(loc) = self.location() {
            write!(f, "{loc}: ")?;
        }
        write!(f, "{}: {}", self.inner.kind, self.inner.message)
    }
}

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `unwrap()` on a failed run shows the whole report.
        write!(f, "{}\n{}", self, self.render().trim_end())
    }
}

impl std::error::Error for Error {}

// ----- limits -----

/// What a script may do. [`Limits::default`] is the `memo` command's:
/// no operation budget, a call depth of 20,000, collections up to 2^28
/// elements, files and clocks allowed.
///
/// ```
/// use memo::{Engine, Limits};
///
/// let mut engine = Engine::builder().limits(Limits::sandbox()).build();
/// let err = engine.run("while true { }").unwrap_err();
/// assert_eq!(err.kind(), "LimitError");
/// let err = engine.run(r#"read_file("/etc/passwd")"#).unwrap_err();
/// assert_eq!(err.kind(), "PermissionError");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Operations (loop iterations and calls) one run or call may perform;
    /// `None`: unlimited. Checked every 1,024 operations. Exceeding it is a
    /// `LimitError`.
    pub max_ops: Option<u64>,
    /// Nested calls before a `RecursionError`.
    pub max_call_depth: usize,
    /// Largest string (bytes), list or map (elements) a script may build;
    /// more is a `LimitError`.
    pub max_collection_len: usize,
    /// May scripts use files (`read_file`, `write_file`, `exists`,
    /// `file_mtime`, `read_csv`, `write_csv`, `write_json`, `chart`,
    /// `sqlite_open` on a path, `import`)?
    /// Otherwise they raise `PermissionError`. `sqlite_open(":memory:")`
    /// stays allowed.
    pub allow_fs: bool,
    /// May scripts read clocks and sleep (`now`, `clock`, `sleep`,
    /// `today`)? Otherwise they raise `PermissionError`.
    pub allow_clock: bool,
    /// Most bytes one run or call may hold (what it allocated and did not
    /// free); `None`: unlimited. Exceeding it is a `LimitError` that ends
    /// the run. Needs [`crate::alloc::Counting`] as the program's global
    /// allocator (otherwise a run with a memory limit fails at once).
    pub max_memory: Option<usize>,
    /// May scripts use the network (`http_get`, `http_get_json`)?
    /// Otherwise they raise `PermissionError`.
    pub allow_net: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits::from_config(&Config::default())
    }
}

impl Limits {
    /// No operation budget, full file and clock access (the default).
    pub fn unlimited() -> Limits {
        Limits::default()
    }

    /// A starting point for untrusted scripts: 10 million operations, call
    /// depth 1,000, collections up to 1 million elements (or bytes), no
    /// files, no clocks, no network. No memory limit: set
    /// [`Limits::max_memory`] too when the program installs
    /// [`crate::alloc::Counting`].
    pub fn sandbox() -> Limits {
        Limits {
            max_ops: Some(10_000_000),
            max_call_depth: 1_000,
            max_collection_len: 1_000_000,
            allow_fs: false,
            allow_clock: false,
            max_memory: None,
            allow_net: false,
        }
    }

    fn from_config(c: &Config) -> Limits {
        Limits {
            max_ops: c.max_ops,
            max_call_depth: c.max_call_depth,
            max_collection_len: c.max_collection_len,
            allow_fs: c.allow_fs,
            allow_clock: c.allow_clock,
            max_memory: c.max_memory,
            allow_net: c.allow_net,
        }
    }

    fn apply(&self, c: &mut Config) {
        c.max_ops = self.max_ops;
        c.max_call_depth = self.max_call_depth;
        c.max_collection_len = self.max_collection_len;
        c.allow_fs = self.allow_fs;
        c.allow_clock = self.allow_clock;
        c.max_memory = self.max_memory;
        c.allow_net = self.allow_net;
    }
}

// ----- interrupts, output -----

/// Stops a running script from another thread: the script ends with an
/// `Interrupted` error (which `try`/`catch` cannot catch) within about a
/// thousand operations. Cloneable and `Send + Sync`.
///
/// A request made while nothing runs is forgotten when the next run
/// starts. A script blocked in one long native call (`sleep`, a big SQLite
/// query) stops when that call returns.
///
/// ```
/// use memo::Engine;
/// use std::time::Duration;
///
/// let mut engine = Engine::new();
/// let stop = engine.interrupt_handle();
/// std::thread::spawn(move || {
///     std::thread::sleep(Duration::from_millis(50));
///     stop.interrupt();
/// });
/// let err = engine.run("while true { }").unwrap_err();
/// assert_eq!(err.kind(), "Interrupted");
/// ```
#[derive(Clone, Debug)]
pub struct InterruptHandle(Arc<AtomicBool>);

impl InterruptHandle {
    /// Asks the running script to stop.
    pub fn interrupt(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// An in-memory output sink: give a clone to
/// [`EngineBuilder::output`] and read what scripts printed.
///
/// ```
/// use memo::{Engine, OutputBuffer};
///
/// let out = OutputBuffer::new();
/// let mut engine = Engine::builder().output(out.clone()).build();
/// engine.run(r#"print("hi", 1 + 1)"#).unwrap();
/// assert_eq!(out.take(), "hi 2\n");
/// assert_eq!(out.contents(), "");
/// ```
#[derive(Clone, Default, Debug)]
pub struct OutputBuffer(Arc<Mutex<Vec<u8>>>);

impl OutputBuffer {
    /// An empty buffer.
    pub fn new() -> OutputBuffer {
        OutputBuffer::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<u8>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Everything written so far (lossily decoded as UTF-8).
    pub fn contents(&self) -> String {
        String::from_utf8_lossy(&self.lock()).into_owned()
    }

    /// Everything written so far, emptying the buffer.
    pub fn take(&self) -> String {
        let bytes = std::mem::take(&mut *self.lock());
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for OutputBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.lock().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What a host native's result depends on, for the cache (see
/// [`Engine::register_fn_with`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// The same arguments give the same result (the default): a cached fn
    /// that calls it is keyed by the native's name.
    Pure,
    /// It reads something of the host's that can change (a setting, a
    /// table's version): a cached fn that calls it records its result, and
    /// before a hit the native is called again with the same arguments; a
    /// different result is a miss.
    Input,
    /// Its result changes by itself (a clock, randomness): a cached fn that
    /// calls it keeps the first result, and warns about that once.
    Impure,
}

/// Statistics of one cached fn (what the script's `cache_info(f)` returns).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheInfo {
    /// Calls answered from the cache, by this declaration of the fn.
    pub hits: u64,
    /// Calls that ran the body.
    pub misses: u64,
    /// Entries of the fn in the (shared) memory cache.
    pub entries: usize,
}

// ----- the builder -----

/// Configures an [`Engine`]; made by [`Engine::builder`].
///
/// ```
/// use memo::{Cache, Engine, Limits, OutputBuffer};
///
/// let cache = Cache::memory();
/// let out = OutputBuffer::new();
/// let mut engine = Engine::builder()
///     .cache(cache.clone())
///     .limits(Limits::sandbox())
///     .max_ops(1_000_000)
///     .param("b", 9)
///     .output(out.clone())
///     .build();
/// engine.run(r#"print(param("b", 0) * 2)"#).unwrap();
/// assert_eq!(out.contents(), "18\n");
/// ```
pub struct EngineBuilder {
    cache: Option<Cache>,
    limits: Limits,
    params: Vec<(String, Value)>,
    out: Option<Box<dyn Write + Send>>,
    err: Option<Box<dyn Write + Send>>,
    stack_size: Option<usize>,
    explain: bool,
    spinner: bool,
    lints: bool,
    specialize: bool,
}

impl Default for EngineBuilder {
    fn default() -> Self {
        EngineBuilder {
            cache: None,
            limits: Limits::default(),
            params: Vec::new(),
            out: None,
            err: None,
            stack_size: Some(DEFAULT_STACK_SIZE),
            explain: false,
            spinner: false,
            lints: false,
            specialize: true,
        }
    }
}

impl EngineBuilder {
    /// The cache to use (default: a new in-memory cache of this engine's
    /// own). Pass clones of one [`Cache`] to share results between engines.
    pub fn cache(mut self, cache: Cache) -> Self {
        self.cache = Some(cache);
        self
    }

    /// A new cache with the tiers `config` describes, opened as `memo run`
    /// opens its own (a cache directory, a Redis server shared between
    /// machines, a MAC secret): [`Cache::open`]. A tier that cannot be
    /// opened, or fails later, is warned about once on the error output and
    /// left out.
    ///
    /// ```no_run
    /// use memo::{CacheConfig, Engine};
    /// let config = CacheConfig { dir: Some(".memo-cache".into()), ..CacheConfig::default() }.with_env();
    /// let mut engine = Engine::builder().cache_config(config).build();
    /// ```
    pub fn cache_config(mut self, config: crate::cache::CacheConfig) -> Self {
        self.cache = Some(Cache::open(&config));
        self
    }

    /// All limits at once.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// See [`Limits::max_ops`].
    pub fn max_ops(mut self, n: u64) -> Self {
        self.limits.max_ops = Some(n);
        self
    }

    /// See [`Limits::max_call_depth`].
    pub fn max_call_depth(mut self, n: usize) -> Self {
        self.limits.max_call_depth = n;
        self
    }

    /// See [`Limits::max_collection_len`].
    pub fn max_collection_len(mut self, n: usize) -> Self {
        self.limits.max_collection_len = n;
        self
    }

    /// See [`Limits::max_memory`].
    pub fn max_memory(mut self, bytes: usize) -> Self {
        self.limits.max_memory = Some(bytes);
        self
    }

    /// See [`Limits::allow_fs`].
    pub fn allow_fs(mut self, yes: bool) -> Self {
        self.limits.allow_fs = yes;
        self
    }

    /// See [`Limits::allow_clock`].
    pub fn allow_clock(mut self, yes: bool) -> Self {
        self.limits.allow_clock = yes;
        self
    }

    /// See [`Limits::allow_net`].
    pub fn allow_net(mut self, yes: bool) -> Self {
        self.limits.allow_net = yes;
        self
    }

    /// A value scripts read with `param(name, default)` (the host's
    /// `--set name=value`).
    pub fn param(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.params.push((name.to_string(), value.into()));
        self
    }

    /// Where `print` writes (default: stdout).
    pub fn output(mut self, w: impl Write + Send + 'static) -> Self {
        self.out = Some(Box::new(w));
        self
    }

    /// Where warnings and `explain` lines go (default: stderr).
    pub fn error_output(mut self, w: impl Write + Send + 'static) -> Self {
        self.err = Some(Box::new(w));
        self
    }

    /// Say on the error output why each cached call hit or missed (the
    /// `memo run --explain` lines).
    pub fn explain(mut self, yes: bool) -> Self {
        self.explain = yes;
        self
    }

    /// Show `Running f(x)…` on the error output while a miss of a cached
    /// fn with `show_spinner` runs longer than half a second (for a
    /// terminal; default off).
    pub fn spinner(mut self, yes: bool) -> Self {
        self.spinner = yes;
        self
    }

    /// Compile with the evaluator's specializations (default on). Off, every
    /// node runs its general code: slower, and otherwise the same (the test
    /// suite checks that).
    pub fn specialize(mut self, yes: bool) -> Self {
        self.specialize = yes;
        self
    }

    /// Stack size of the thread each run executes on (default
    /// [`DEFAULT_STACK_SIZE`]); see the module docs.
    pub fn stack_size(mut self, bytes: usize) -> Self {
        self.stack_size = Some(bytes.max(1 << 20));
        self
    }

    /// Print warnings for likely mistakes on the error output when a
    /// script is compiled (`n // 2`, which is a comment, and `1 / 3` on two
    /// int literals, which is 0): what the `memo` command does.
    pub fn lints(mut self, yes: bool) -> Self {
        self.lints = yes;
        self
    }

    /// Run scripts on the calling thread instead of a dedicated one (no
    /// thread spawn per call; recursion is bounded by the caller's stack,
    /// see the module docs).
    pub fn run_on_current_thread(mut self) -> Self {
        self.stack_size = None;
        self
    }

    /// The engine.
    pub fn build(self) -> Engine {
        let cache = self.cache.unwrap_or_default();
        let mut interp = new_interp(cache.clone());
        self.limits.apply(&mut interp.config);
        interp.config.spinner = self.spinner;
        interp.config.lints = self.lints;
        interp.config.specialize = self.specialize;
        if let Some(s) = crate::cache::session(&mut interp) {
            s.explain = self.explain;
        }
        for (k, v) in self.params {
            interp.params.insert(k, v);
        }
        if let Some(out) = self.out {
            interp.out = out;
        }
        if let Some(err) = self.err {
            interp.err = err;
        }
        if self.spinner {
            // The spinner draws from its own thread: the script's text
            // erases its line first (see `cache::spinner`).
            let out = std::mem::replace(&mut interp.out, Box::new(std::io::sink()));
            interp.out = Box::new(crate::cache::spinner::Coordinated(out));
            let err = std::mem::replace(&mut interp.err, Box::new(std::io::sink()));
            interp.err = Box::new(crate::cache::spinner::Coordinated(err));
        }
        Engine { interp: Some(interp), stack_size: self.stack_size, host_globals: Vec::new(), cache }
    }
}

/// An interpreter with the standard library whose cached fns use `cache`
/// (what an [`Engine`] wraps; for code that drives an `Interp` directly).
pub fn new_interp(cache: Cache) -> Interp {
    let mut interp = Interp::bare();
    // The standard library first, without the cache: the end of its run
    // would print the cache's queued warnings (a tier that could not be
    // opened) before the embedder's error output is installed. It declares
    // no cached fn (`natives::tests::the_prelude_declares_no_cached_fn`).
    crate::natives::install(&mut interp);
    crate::cache::attach(&mut interp, cache);
    interp
}

/// Hits, misses and time of one cached fn over the runs since the last
/// [`Engine::reset`] (summed over its declarations: every run of a script
/// declares its cached fns anew).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FnStats {
    pub name: String,
    pub hits: u64,
    pub misses: u64,
    /// Time spent computing misses.
    pub miss_time: std::time::Duration,
    /// Time the hits saved: the compute time stored with each entry hit.
    pub time_saved: std::time::Duration,
}

// ----- the engine -----

/// An embedded memo interpreter. See the [module docs](self) for threads,
/// the stack and sandboxing.
///
/// ```
/// use memo::Engine;
///
/// let mut engine = Engine::new();
/// engine.run("let greeting = \"hello\"\nfn twice(x) { x * 2 }").unwrap();
/// assert_eq!(engine.get::<String>("greeting").unwrap(), "hello");
/// assert_eq!(engine.call("twice", (21,)).unwrap().to_string(), "42");
/// ```
pub struct Engine {
    /// Always `Some` until the engine is dropped (see `Drop`).
    interp: Option<Interp>,
    stack_size: Option<usize>,
    /// Globals the host defined (natives, types, values): kept by `reset`.
    host_globals: Vec<(String, Value)>,
    cache: Cache,
}

impl Default for Engine {
    fn default() -> Self {
        Engine::new()
    }
}

// The engine moves its interpreter to a scoped thread for each run.
const _: fn() = || {
    fn is_send<T: Send>() {}
    is_send::<Interp>();
    is_send::<Engine>();
};

impl Engine {
    /// An engine with default settings: its own in-memory cache, no limits
    /// ([`Limits::default`]), printing to stdout.
    pub fn new() -> Engine {
        EngineBuilder::default().build()
    }

    /// A builder for an engine with a shared cache, limits, params, output.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    /// Runs `f` on the engine's interpreter, on the big-stack thread unless
    /// the engine runs on the caller's thread; each entry gets a fresh
    /// operation budget and forgets stale interrupt requests.
    fn enter<T: Send>(&mut self, f: impl FnOnce(&mut Interp) -> crate::error::Result<T> + Send) -> Result<T, Error> {
        let size = self.stack_size;
        let interp = self.ip_mut();
        interp.interrupt.store(false, Ordering::Relaxed);
        interp.ops = 0;
        interp.tick = crate::interp::CHECK_EVERY;
        // A call from the host starts with nothing unwinding (see interp::ctrl).
        interp.clear_flow();
        // The memory count is per thread: it starts on the thread that runs
        // (and a run inside a run on that thread gives the outer one its
        // limit back when it ends).
        let f = move |interp: &mut Interp| {
            let outer = crate::alloc::save_limit();
            let r = interp.start_memory_budget().and_then(|()| f(interp));
            crate::alloc::restore_limit(outer);
            r
        };
        let r = match size {
            None => {
                crate::stack::ensure_limit();
                f(interp)
            }
            Some(size) => on_big_stack(size, move || f(interp))
                .unwrap_or_else(|e| Err(MemoError::new("Error", format!("cannot start the interpreter thread: {e}")))),
        };
        let interp = self.ip_mut();
        interp.flush();
        interp.flush_hits();
        interp.release_graveyard();
        r.map_err(|e| Error::with_sources(e, &interp.sources))
    }

    fn ip(&self) -> &Interp {
        self.interp.as_ref().expect("the interpreter lives as long as the engine")
    }

    fn ip_mut(&mut self) -> &mut Interp {
        self.interp.as_mut().expect("the interpreter lives as long as the engine")
    }

    /// Runs source text as a script (named `<script>` in error locations);
    /// returns the value of its last expression statement. Globals it
    /// defines stay for later runs and calls.
    pub fn run(&mut self, source: &str) -> Result<Value, Error> {
        self.run_named("<script>", source)
    }

    /// Runs source text under a name used in error locations (and as the
    /// base of relative `import`s).
    pub fn run_named(&mut self, name: &str, source: &str) -> Result<Value, Error> {
        self.enter(|i| i.run_source(name, source))
    }

    /// Runs a script file. Reading the file itself is the host's doing and
    /// is allowed even when [`Limits::allow_fs`] is off (its `import`s are
    /// not).
    pub fn run_file(&mut self, path: impl AsRef<Path>) -> Result<Value, Error> {
        let path = path.as_ref();
        self.enter(|i| i.run_file(path))
    }

    /// Checks source text for syntax and compile errors without running it
    /// (what `memo check` does), every error of the file at once; calls of
    /// the file's own functions and structs with the wrong arguments are
    /// errors here, though a run reports them only when they happen.
    pub fn check_named(&mut self, name: &str, source: &str) -> Result<(), Error> {
        self.enter(|i| i.compile(name, source, true, true).map(|_| ()))
    }

    /// The files the scripts imported since the last [`reset`](Engine::reset).
    pub fn imported_files(&self) -> Vec<std::path::PathBuf> {
        self.ip().imported_files()
    }

    /// Runs a script and converts its value.
    ///
    /// ```
    /// let mut engine = memo::Engine::new();
    /// let xs: Vec<i64> = engine.eval("[1, 2, 3].map(fn(x) { x * x })").unwrap();
    /// assert_eq!(xs, vec![1, 4, 9]);
    /// ```
    pub fn eval<T: FromValue>(&mut self, source: &str) -> Result<T, Error> {
        let v = self.run(source)?;
        T::from_value(v).map_err(|e| Error::new(e.kind.clone(), format!("the script's value: {}", e.message)))
    }

    /// The value of a global, converted to `T`. A missing global is a
    /// `NameError`, a value of another type a `TypeError`.
    ///
    /// ```
    /// let mut engine = memo::Engine::new();
    /// engine.run("let x = 42\nlet names = [\"a\", \"b\"]").unwrap();
    /// assert_eq!(engine.get::<i64>("x").unwrap(), 42);
    /// assert_eq!(engine.get::<Vec<String>>("names").unwrap(), vec!["a", "b"]);
    /// assert_eq!(engine.get::<String>("x").unwrap_err().kind(), "TypeError");
    /// assert_eq!(engine.get::<i64>("nope").unwrap_err().kind(), "NameError");
    /// ```
    pub fn get<T: FromValue>(&self, name: &str) -> Result<T, Error> {
        let v = self.get_value(name).ok_or_else(|| Error::new("NameError", format!("no global named `{name}`")))?;
        T::from_value(v).map_err(|e| Error::new(e.kind.clone(), format!("global `{name}`: {}", e.message)))
    }

    /// The value of a global, if defined.
    pub fn get_value(&self, name: &str) -> Option<Value> {
        self.ip().get_global(name)
    }

    /// Defines (or replaces) a global the scripts can read. Host globals
    /// survive [`reset`](Engine::reset).
    pub fn set(&mut self, name: &str, value: impl Into<Value>) {
        let v = value.into();
        self.define_host(name, v);
    }

    fn define_host(&mut self, name: &str, v: Value) {
        self.ip_mut().set_global(name, v.clone());
        self.host_globals.retain(|(n, _)| n != name);
        self.host_globals.push((name.to_string(), v));
    }

    /// Calls the memo function (or native) named `name` with Rust values.
    ///
    /// ```
    /// let mut engine = memo::Engine::new();
    /// engine.run(r#"fn greet(name, n) { format("{} x{}", name, n) }"#).unwrap();
    /// let v = engine.call("greet", ("memo", 3)).unwrap();
    /// assert_eq!(v.as_str(), Some("memo x3"));
    /// let err = engine.call("greet", ("memo",)).unwrap_err();
    /// assert_eq!(err.kind(), "TypeError");
    /// ```
    pub fn call(&mut self, name: &str, args: impl IntoArgs) -> Result<Value, Error> {
        let f = self.get_value(name).ok_or_else(|| Error::new("NameError", format!("no function named `{name}`")))?;
        self.call_value(&f, args)
    }

    /// Calls a function value (e.g. one a script returned) with Rust values.
    pub fn call_value(&mut self, f: &Value, args: impl IntoArgs) -> Result<Value, Error> {
        let mut args = args.into_args();
        let f = f.clone();
        self.enter(move |i| i.call_value(&f, &mut args, None))
    }

    /// Registers a Rust closure as a global memo function. Its arguments
    /// (up to 4) are converted with [`FromValue`] (a wrong type or count
    /// is a `TypeError` in the script); it returns anything that converts
    /// into a [`Value`], or a `Result` whose error becomes a memo error
    /// (kind `"Error"` for a `String`; see [`IntoMemoError`]).
    ///
    /// Natives are library code: a cached fn that calls one is keyed by the
    /// native's name, not its behaviour.
    ///
    /// ```
    /// let mut engine = memo::Engine::new();
    /// engine.register_fn("double", |x: i64| x * 2);
    /// engine.register_fn("parse_int", |s: String| -> Result<i64, String> {
    ///     s.trim().parse::<i64>().map_err(|e| format!("not a number: {s:?} ({e})"))
    /// });
    /// assert_eq!(engine.eval::<i64>(r#"double(parse_int(" 21 "))"#).unwrap(), 42);
    /// let caught = engine
    ///     .eval::<String>(r#"try { parse_int("x") } catch e { e["kind"] + ": " + e["message"] }"#)
    ///     .unwrap();
    /// assert_eq!(caught, r#"Error: not a number: "x" (invalid digit found in string)"#);
    /// assert_eq!(engine.run(r#"double("a")"#).unwrap_err().message(), "double() argument 1: expected an int, got str");
    /// ```
    pub fn register_fn<Args, F: IntoNative<Args>>(&mut self, name: &str, f: F) {
        let native = f.into_native(name);
        self.register_native(name, native);
    }

    /// Registers a Rust closure as [`register_fn`](Engine::register_fn)
    /// does, saying what its result depends on ([`Effect`]): an `Input`
    /// native (a value read from the host's world) is a dependency of every
    /// cached fn that calls it, checked before a hit by calling it again;
    /// an `Impure` one (a clock, randomness) makes a cached fn that calls it
    /// warn that its result is frozen.
    ///
    /// ```
    /// use memo::{Effect, Engine, OutputBuffer};
    /// use std::sync::atomic::{AtomicI64, Ordering};
    /// use std::sync::Arc;
    ///
    /// let version = Arc::new(AtomicI64::new(1));
    /// let out = OutputBuffer::new();
    /// let mut engine = Engine::builder().output(out.clone()).build();
    /// let v = version.clone();
    /// engine.register_fn_with("table_version", Effect::Input, move || v.load(Ordering::SeqCst));
    /// let script = r#"
    ///     cached(suppress_warning: true) fn report() { print("computing"); table_version() * 10 }
    ///     print(report())
    /// "#;
    /// engine.run(script).unwrap();
    /// engine.run(script).unwrap(); // a hit: the input did not change
    /// version.store(2, Ordering::SeqCst);
    /// engine.run(script).unwrap(); // a miss: table_version() returns 2 now
    /// assert_eq!(out.contents(), "computing\n10\n10\ncomputing\n20\n");
    /// ```
    pub fn register_fn_with<Args, F: IntoNative<Args>>(&mut self, name: &str, effect: Effect, f: F) {
        let native = f.into_native(name);
        self.register_native_with(name, effect, native);
    }

    /// [`register_native`](Engine::register_native) with an [`Effect`].
    pub fn register_native_with(&mut self, name: &str, effect: Effect, f: crate::value::NativeImpl) {
        let owned: Arc<str> = Arc::from(name);
        let wrapped: crate::value::NativeImpl = match effect {
            Effect::Pure => f,
            Effect::Impure => Arc::new(move |interp: &mut Interp, args: &mut [Value]| {
                crate::cache::trace::note_impure(interp, &owned);
                f(interp, args)
            }),
            Effect::Input => Arc::new(move |interp: &mut Interp, args: &mut [Value]| {
                // The arguments are kept before the native may move them.
                let kept: Option<Arc<[Value]>> = crate::cache::trace::is_recording(interp).then(|| args.to_vec().into());
                let r = f(interp, args)?;
                if let Some(kept) = kept {
                    crate::cache::trace::note_input(interp, &owned, kept, &r);
                }
                Ok(r)
            }),
        };
        self.register_native(name, wrapped);
    }

    /// Registers a raw native: it gets the interpreter (to call back into
    /// memo with [`Interp::call_value`], read `params`, ...) and the
    /// argument slice (which it may move values out of).
    ///
    /// ```
    /// use memo::{Interp, MemoError, Value};
    /// use std::sync::Arc;
    ///
    /// let mut engine = memo::Engine::new();
    /// engine.register_native(
    ///     "apply_twice",
    ///     Arc::new(|interp: &mut Interp, args: &mut [Value]| {
    ///         if args.len() != 2 {
    ///             return Err(MemoError::new("TypeError", "apply_twice(f, x) takes 2 arguments"));
    ///         }
    ///         let f = args[0].clone();
    ///         let once = interp.call_value(&f, &mut [args[1].clone()], None)?;
    ///         interp.call_value(&f, &mut [once], None)
    ///     }),
    /// );
    /// assert_eq!(engine.eval::<i64>("apply_twice(fn(x) { x + 10 }, 1)").unwrap(), 21);
    /// ```
    pub fn register_native(&mut self, name: &str, f: crate::value::NativeImpl) {
        let f = crate::interp::host_native(f);
        let v = Value::Native(Arc::new(crate::value::NativeFn { name: name.to_string(), func: f }));
        self.define_host(name, v);
    }

    /// Registers a host object type under `name` (a global holding the type,
    /// usable as a `hash_funcs` key) and returns the [`HostType`] that wraps
    /// Rust values into memo objects and gets them back. `hash`: see
    /// [`HostType::new`].
    ///
    /// ```
    /// use memo::{Engine, OutputBuffer};
    ///
    /// struct Handle {
    ///     id: u32,
    /// }
    ///
    /// let out = OutputBuffer::new();
    /// let mut engine = Engine::builder().output(out.clone()).build();
    /// // Hashable: equal ids, same cache key.
    /// let handles = engine.register_type::<Handle>("Handle", Some(|h: &Handle| h.id.to_le_bytes().to_vec()));
    /// let h = handles.clone();
    /// engine.register_fn("open_handle", move |id: i64| h.wrap(Handle { id: id as u32 }));
    /// engine
    ///     .run(r#"
    ///         cached fn describe(h) { print("computing"); str(type(h)) }
    ///         print(describe(open_handle(1)), describe(open_handle(1)))
    ///     "#)
    ///     .unwrap();
    /// assert_eq!(out.take(), "computing\nHandle Handle\n");
    /// let v = engine.run("open_handle(7)").unwrap();
    /// assert_eq!(handles.get(&v).map(|h| h.id), Some(7));
    /// ```
    pub fn register_type<T: std::any::Any + Send + Sync>(&mut self, name: &str, hash: Option<fn(&T) -> Vec<u8>>) -> HostType<T> {
        let t = HostType::new(name, hash);
        self.add_type(&t);
        t
    }

    /// Defines the global for an existing [`HostType`] (e.g. one shared by
    /// several engines, so their objects are one type).
    pub fn add_type<T: std::any::Any + Send + Sync>(&mut self, t: &HostType<T>) {
        self.define_host(t.name(), t.type_value());
    }

    /// A handle that stops this engine's running script from any thread.
    pub fn interrupt_handle(&self) -> InterruptHandle {
        InterruptHandle(self.ip().interrupt.clone())
    }

    /// The engine's cache (clone it into other engines to share results).
    pub fn cache(&self) -> &Cache {
        &self.cache
    }

    /// Turns the `--explain` lines (why each cached call hit or missed, on
    /// the error output) on or off.
    pub fn set_explain(&mut self, yes: bool) {
        if let Some(s) = crate::cache::session(self.ip_mut()) {
            s.explain = yes;
        }
    }

    /// Are the `--explain` lines on?
    pub fn explain(&mut self) -> bool {
        crate::cache::session(self.ip_mut()).is_some_and(|s| s.explain)
    }

    /// Hits and misses of cached calls since the last [`reset`](Engine::reset).
    pub fn run_stats(&mut self) -> crate::cache::RunStats {
        crate::cache::session(self.ip_mut()).map(|s| s.run_stats.clone()).unwrap_or_default()
    }

    /// Per cached fn (by name, sorted), hits, misses and time since the
    /// last [`reset`](Engine::reset).
    pub fn fn_stats(&mut self) -> Vec<FnStats> {
        let interp = self.ip_mut();
        interp.flush_hits();
        let Some(s) = crate::cache::session(interp) else { return Vec::new() };
        let mut rows: std::collections::BTreeMap<String, FnStats> = Default::default();
        for cf in &s.cached_fns {
            let r =
                rows.entry(cf.name.to_string()).or_insert_with(|| FnStats { name: cf.name.to_string(), ..Default::default() });
            r.hits += cf.hits.load(Ordering::Relaxed);
            r.misses += cf.misses.load(Ordering::Relaxed);
            r.miss_time += std::time::Duration::from_nanos(cf.miss_nanos.load(Ordering::Relaxed));
            r.time_saved += std::time::Duration::from_nanos(cf.saved_nanos.load(Ordering::Relaxed));
        }
        rows.into_values().collect()
    }

    /// What the global `name` is, with its signature and documentation (a
    /// native's doc, or the `//` comment lines above a memo function's
    /// declaration): the REPL's `:doc NAME`. `None` when it is not defined.
    ///
    /// ```
    /// let mut engine = memo::Engine::new();
    /// engine.run("// Adds one.\nfn inc(x) { x + 1 }").unwrap();
    /// assert!(engine.doc("inc").unwrap().contains("fn inc(x)"));
    /// assert!(engine.doc("inc").unwrap().contains("Adds one."));
    /// assert!(engine.doc("len").unwrap().starts_with("len(x)"));
    /// ```
    pub fn doc(&self, name: &str) -> Option<String> {
        let v = self.get_value(name)?;
        Some(doc::describe(name, &v, &self.ip().sources))
    }

    /// The field names of the struct held by the global `name` (for
    /// completion after `p.`); `None` when it holds no struct.
    pub fn struct_fields(&self, name: &str) -> Option<Vec<String>> {
        match self.get_value(name)? {
            Value::Struct(s) => Some(s.ty.fields.clone()),
            _ => None,
        }
    }

    /// Names of the globals defined now, sorted (for completion).
    pub fn global_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.ip().global_names();
        v.sort();
        v
    }

    /// Writes text to the engine's output (in order with what scripts print).
    pub fn write_output(&mut self, text: &str) {
        let out = &mut self.ip_mut().out;
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }

    /// The `repr` form of a value, metered and bounded like `repr(v)` in a
    /// script (a value whose parts are shared can be far bigger than its
    /// memory): a `LimitError` past the length limit or the budget.
    pub fn repr(&mut self, v: &Value) -> Result<String, Error> {
        let ip = self.ip_mut();
        let max = ip.config.max_collection_len;
        crate::value::repr_in(v, max, ip).and_then(|r| r).map_err(Error::from)
    }

    /// Writes text to the engine's error output.
    pub fn write_error(&mut self, text: &str) {
        let ip = self.ip_mut();
        let _ = ip.out.flush();
        let _ = ip.err.write_all(text.as_bytes());
        let _ = ip.err.flush();
    }

    /// Flushes the engine's output and error output.
    pub fn flush(&mut self) {
        self.ip_mut().flush();
    }

    /// Hits, misses and entries of the cached fn `name` (as defined by the
    /// latest run).
    pub fn cache_info(&self, name: &str) -> Result<CacheInfo, Error> {
        let f = self.get_value(name).ok_or_else(|| Error::new("NameError", format!("no function named `{name}`")))?;
        match &f {
            Value::Func(c) if c.cached.is_some() => {
                let cf = c.cached.as_ref().expect("checked");
                Ok(CacheInfo {
                    hits: cf.hits.load(Ordering::Relaxed),
                    misses: cf.misses.load(Ordering::Relaxed),
                    entries: self.cache.entries_of(&cf.name),
                })
            }
            other => Err(Error::new("TypeError", format!("`{name}` is a {}, not a cached fn", other.type_name()))),
        }
    }

    /// The current limits.
    pub fn limits(&self) -> Limits {
        Limits::from_config(&self.ip().config)
    }

    /// Changes the limits (they apply from the next run or call).
    pub fn set_limits(&mut self, limits: Limits) {
        limits.apply(&mut self.ip_mut().config);
    }

    /// Sets a value scripts read with `param(name, default)`.
    pub fn set_param(&mut self, name: &str, value: impl Into<Value>) {
        self.ip_mut().params.insert(name.to_string(), value.into());
    }

    /// Forgets every global the scripts defined (as a fresh `memo run`
    /// would), keeping the standard library, the host's globals and the
    /// cache.
    pub fn reset(&mut self) {
        self.ip_mut().reset_globals();
        for (name, v) in self.host_globals.clone() {
            self.ip_mut().set_global(&name, v);
        }
    }

    /// The underlying interpreter, for what the engine does not wrap.
    pub fn interp(&self) -> &Interp {
        self.ip()
    }

    /// The underlying interpreter, mutably. Code run through it directly
    /// runs on the caller's thread (see the module docs on the stack).
    pub fn interp_mut(&mut self) -> &mut Interp {
        self.ip_mut()
    }
}

impl Drop for Engine {
    /// Drops the interpreter (its globals may hold very deeply nested
    /// values, whose drop recurses) on a big stack, like a run.
    fn drop(&mut self) {
        if let (Some(interp), Some(size)) = (self.interp.take(), self.stack_size) {
            let _ = on_big_stack(size, move || drop(interp));
        }
    }
}

/// Runs `f` on a scoped thread with a `size`-byte stack and the stack guard
/// set up; `Err` when the thread cannot be started (then `f` is dropped
/// unrun).
fn on_big_stack<T: Send>(size: usize, f: impl FnOnce() -> T + Send) -> std::io::Result<T> {
    std::thread::scope(|s| {
        let h = std::thread::Builder::new().name("memo".into()).stack_size(size).spawn_scoped(s, move || {
            crate::stack::set_stack_size(size);
            f()
        })?;
        Ok(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
    })
}
