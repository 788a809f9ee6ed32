//! The interpreter: global table, value stack, calls, imports, and the
//! entry points that run a whole program. The node evaluator is in `eval`,
//! operators in `ops`, indexing and path updates in `index`.

mod budget;
pub mod cached;
mod collect;
pub mod convert;
mod ctrl;
pub(crate) mod index;
pub(crate) mod memo;
pub(crate) mod ops;

pub use cached::{CachedFn, CachedOptions};
pub(crate) use ctrl::{Ctrl, Flow};
pub(crate) use memo::{Memoizer, NoMemo};

use crate::codegen::FnProto;
use crate::compiler::{compile_program, CompileOptions};
use crate::error::{MemoError, Result, StackFrame};
use crate::names;
use crate::source::{SourceMap, Span};
use crate::value::lend;
use crate::value::{Closure, NativeFn, NativeImpl, Value};
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub(crate) type R = std::result::Result<Value, Ctrl>;

/// Settings of one interpreter.
#[derive(Clone, Debug)]
pub struct Config {
    /// Maximum call depth (recursion) before a `RecursionError`.
    pub max_call_depth: usize,
    /// Largest string, list or map a script may build (elements / bytes).
    pub max_collection_len: usize,
    /// Whether `show_spinner` may draw on stderr (only on a terminal).
    pub spinner: bool,
    /// Maximum number of operations (loop iterations + calls) a run may
    /// perform; `None`: unlimited. Exceeding it is a `LimitError`.
    pub max_ops: Option<u64>,
    /// May scripts touch the file system (read_file, write_file, exists,
    /// file_mtime, import, read_csv, sqlite_open on a path)?
    pub allow_fs: bool,
    /// May scripts read clocks and sleep (now, clock, sleep, today)?
    pub allow_clock: bool,
    /// May scripts use the network (http_get, http_get_json)?
    pub allow_net: bool,
    /// Lower code with the specializations of `codegen::spec` (off only to
    /// check that they change nothing).
    pub specialize: bool,
    /// Most bytes a run may hold (see `crate::alloc`); `None`: unlimited.
    /// Exceeding it is a `LimitError`.
    pub max_memory: Option<usize>,
    /// Print warnings for likely mistakes (`parser::lints`) on the error
    /// output when a file is compiled.
    pub lints: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_call_depth: 20_000,
            max_collection_len: 1 << 28,
            spinner: false,
            max_ops: None,
            allow_fs: true,
            allow_clock: true,
            allow_net: true,
            specialize: true,
            max_memory: None,
            lints: false,
        }
    }
}

/// How often (in operations) the interpreter looks at the interrupt flag and
/// the operation budget.
pub(crate) const CHECK_EVERY: u32 = 1024;

/// One interpreter: globals, a value stack, output sinks, and the
/// memoizer that runs its cached fns (see `memo`).
pub struct Interp {
    /// This interpreter's id: the owner of the mutable objects it makes
    /// (see `value::object`).
    pub(crate) id: u64,
    /// Its mutable objects, for the cycle collector (`collect`).
    pub(crate) objects: collect::Registry,
    pub(crate) globals: Vec<Option<Value>>,
    pub(crate) global_versions: Vec<u64>,
    pub(crate) global_epoch: u64,
    /// Writes to mutable objects (cells, `mut struct` fields) so far (with
    /// `global_epoch`: the state a cached call may have changed, see
    /// `cache::trace`).
    pub(crate) cell_writes: u64,
    pub(crate) stack: Vec<Value>,
    pub(crate) bp: usize,
    pub(crate) depth: usize,
    pub sources: SourceMap,
    pub out: Box<dyn Write + Send>,
    pub err: Box<dyn Write + Send>,
    pub config: Config,
    /// Runs calls of cached fns (the cache layer, or `NoMemo`).
    pub(crate) memoizer: &'static dyn Memoizer,
    /// The memoizer's per-interpreter state; the runtime never looks in.
    pub(crate) memo_state: Box<dyn std::any::Any + Send>,
    /// The globals after the standard library was installed (`seal_base`):
    /// what `reset_globals` goes back to.
    base: Vec<Option<Value>>,
    /// `--set NAME=VALUE` values, read by `param`.
    pub params: HashMap<String, Value>,
    /// Files imported in this run (each runs once).
    pub(crate) imported: HashSet<PathBuf>,
    /// Path of each source file id, for relative imports.
    file_paths: HashMap<u32, PathBuf>,
    /// Set from another thread (Ctrl-C, a host) to stop the running script
    /// with an `Interrupted` error.
    pub interrupt: Arc<std::sync::atomic::AtomicBool>,
    /// Where the native running now was called (for errors of the memo
    /// functions it calls back, e.g. `map(xs, f)`).
    pub(crate) native_span: Span,
    /// The standard library's `push`, `get`, `set` and `len` (`Builtin`),
    /// kept so that their addresses stay their own: the specializations
    /// that do their work in place (`xs = push(xs, v)` appends in place,
    /// `codegen::lower_set_local`) check that the global is still this one.
    pub(crate) builtins: [Option<Arc<NativeFn>>; 6],
    /// Global functions, natives and types replaced while a call of a
    /// global was in progress (see `bury`).
    graveyard: Vec<Value>,
    /// Calls in progress whose callee is a global lent without a reference
    /// count (`codegen::call_code`).
    pub(crate) lends: u32,
    /// Nesting of `run_proto` (imports run inside a run).
    run_depth: u32,
    /// Operations until the next look at `interrupt` and `max_ops`.
    pub(crate) tick: u32,
    /// Operations performed so far (counted in steps of `CHECK_EVERY`).
    pub(crate) ops: u64,
    /// The `break`, `continue` or `return` being unwound (see `ctrl`).
    flow: ctrl::Signal,
    /// `crate::alloc::thread_net()` when the run started (see `budget`).
    memory_base: isize,
    /// The run ran out of operations or memory (see `budget`).
    budget_spent: bool,
}

/// Standard library functions some specializations call in place (see
/// `Interp::is_builtin`).
#[derive(Clone, Copy)]
pub(crate) enum Builtin {
    Push = 0,
    Get = 1,
    Set = 2,
    Len = 3,
    Type = 4,
    Contains = 5,
}

impl Interp {
    /// A bare interpreter: no standard library (see `crate::natives::install`)
    /// and no cache (cached fns run like plain ones until a memoizer is
    /// attached, see `crate::cache::attach`); writing to stdout/stderr.
    pub fn bare() -> Interp {
        Interp {
            id: crate::value::object::new_owner_id(),
            objects: collect::Registry::default(),
            globals: Vec::new(),
            global_versions: Vec::new(),
            global_epoch: 0,
            cell_writes: 0,
            stack: Vec::with_capacity(1024),
            bp: 0,
            depth: 0,
            sources: SourceMap::default(),
            out: Box::new(std::io::stdout()),
            err: Box::new(std::io::stderr()),
            config: Config::default(),
            memoizer: &NoMemo,
            memo_state: Box::new(()),
            base: Vec::new(),
            params: HashMap::new(),
            imported: HashSet::new(),
            file_paths: HashMap::new(),
            interrupt: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            tick: CHECK_EVERY,
            native_span: Span::default(),
            graveyard: Vec::new(),
            lends: 0,
            builtins: [None, None, None, None, None, None],
            run_depth: 0,
            ops: 0,
            flow: ctrl::Signal::None,
            memory_base: crate::alloc::thread_net(),
            budget_spent: false,
        }
    }

    /// Attaches a memoizer with its state (see `memo`).
    pub(crate) fn set_memoizer(&mut self, m: &'static dyn Memoizer, state: Box<dyn std::any::Any + Send>) {
        self.memoizer = m;
        self.memo_state = state;
    }

    /// The memoizer's state (for the layer that attached it).
    pub(crate) fn memo_state(&mut self) -> &mut (dyn std::any::Any + Send) {
        &mut *self.memo_state
    }

    /// Records the current globals as the base `reset_globals` returns to
    /// (called once the standard library is installed).
    pub fn seal_base(&mut self) {
        self.base = self.globals.clone();
    }

    // ----- globals -----

    fn ensure_global(&mut self, id: u32) {
        let need = id as usize + 1;
        if self.globals.len() < need {
            let n = need.max(names::count());
            self.globals.resize(n, None);
            self.global_versions.resize(n, 0);
        }
    }

    /// Defines (or redefines) a global.
    pub fn set_global(&mut self, name: &str, v: Value) {
        let id = names::intern(name);
        self.define_global_id(id, v);
    }

    pub(crate) fn define_global_id(&mut self, id: u32, v: Value) {
        self.ensure_global(id);
        let old = self.globals[id as usize].replace(v);
        self.bury(id, old);
        self.global_versions[id as usize] += 1;
        self.global_epoch += 1;
    }

    /// Keeps the replaced value of global `id`, a function, native or
    /// type, alive while a call of a global is in progress: calls compiled
    /// to borrow their callee do so without a reference count (see
    /// `codegen::call_code`), so it must not be freed while one may still be
    /// running. It is freed at once when no such call is in progress, or
    /// when no code alive borrows `id`: calls of a global that scripts
    /// assign take a reference count (`names::lend_site`), so
    /// 2M rebinds of a global closure in a loop do not pile up, also inside
    /// a function.
    #[inline]
    fn bury(&mut self, id: u32, old: Option<Value>) {
        if let Some(f @ (Value::Func(_) | Value::Native(_) | Value::Type(_))) = old {
            if self.lends > 0 && !names::no_code_borrows(id) {
                self.graveyard.push(f);
            }
        }
    }

    /// Ends the loan of a global callee; the last one frees what was
    /// replaced meanwhile.
    #[inline]
    pub(crate) fn end_lend(&mut self) {
        self.lends -= 1;
        if self.lends == 0 && !self.graveyard.is_empty() {
            self.graveyard.clear();
        }
    }

    /// The value of a global, if defined.
    /// (For the host: what it gets is shared, see `value::object`.)
    pub fn get_global(&self, name: &str) -> Option<Value> {
        let v = self.global_named(name)?;
        self.share(&v);
        Some(v)
    }

    /// The value of a global, for the interpreter's own use.
    pub(crate) fn global_named(&self, name: &str) -> Option<Value> {
        self.global_by_id(names::lookup(name)?)
    }

    pub(crate) fn global_by_id(&self, id: u32) -> Option<Value> {
        self.globals.get(id as usize).and_then(|g| g.clone())
    }

    /// The files imported in this run.
    pub fn imported_files(&self) -> Vec<PathBuf> {
        self.imported.iter().cloned().collect()
    }

    /// Names of the globals defined now.
    pub fn global_names(&self) -> Vec<String> {
        self.globals
            .iter()
            .enumerate()
            .filter(|(_, g)| g.is_some())
            .map(|(i, _)| names::name_of(i as u32))
            .filter(|n| !n.is_empty())
            .collect()
    }

    /// Is global `id` the standard library's function `which`?
    #[inline]
    pub(crate) fn is_builtin(&self, id: u32, which: Builtin) -> bool {
        match (self.globals.get(id as usize), &self.builtins[which as usize]) {
            (Some(Some(Value::Native(f))), Some(p)) => Arc::ptr_eq(f, p),
            _ => false,
        }
    }

    /// Registers a native function as a global.
    /// Registers a host's native function as a global. The arguments it
    /// gets are shared first (see `value::object`): the host may keep them
    /// or hand them to another thread.
    pub fn register_native(&mut self, name: &str, f: NativeImpl) {
        self.register_builtin(name, host_native(f));
    }

    /// Registers a native of the standard library (which keeps no argument).
    pub(crate) fn register_builtin(&mut self, name: &str, f: NativeImpl) {
        self.set_global(name, Value::Native(Arc::new(NativeFn { name: name.to_string(), func: f })));
    }

    /// Forgets every global the scripts defined, going back to the base
    /// (the standard library, see `seal_base`): a fresh run.
    pub fn reset_globals(&mut self) {
        for k in 0..self.globals.len() {
            let base = self.base.get(k).cloned().flatten();
            let old = std::mem::replace(&mut self.globals[k], base);
            self.bury(k as u32, old);
        }
        for v in self.global_versions.iter_mut() {
            *v += 1;
        }
        self.global_epoch += 1;
        self.imported.clear();
        let m = self.memoizer;
        m.reset(self);
    }

    // ----- running programs -----

    /// Parses and compiles source text registered under `name`;
    /// `check_calls`: also reject calls that are certain to fail (`memo check`).
    pub fn compile(&mut self, name: &str, text: &str, check_undefined: bool, check_calls: bool) -> Result<Arc<FnProto>> {
        crate::stack::ensure_limit();
        let file = self.sources.add(name, text);
        let path = PathBuf::from(name);
        self.file_paths.insert(file, path);
        let prog = crate::parser::parse_program(text, file)?;
        // A program takes memory in proportion to its text (a deeply nested
        // expression, a few hundred bytes per byte): within the limit?
        self.check_memory(0)?;
        let globals = &self.globals;
        let is_defined = |n: &str| names::lookup(n).and_then(|id| globals.get(id as usize)).is_some_and(|g| g.is_some());
        let ir = compile_program(
            &prog,
            &CompileOptions { file, is_defined: &is_defined, check_undefined, check_calls, library: false },
        )?;
        self.check_memory(0)?;
        if self.config.lints {
            for w in crate::parser::lints(text, file) {
                let report = w.render_warning(&self.sources);
                self.warn(report.trim_end());
            }
        }
        Ok(crate::codegen::spec::with_enabled(self.config.specialize, || crate::codegen::lower_fn(&ir)))
    }

    /// Runs source text as a script; returns the value of its last expression statement.
    pub fn run_source(&mut self, name: &str, text: &str) -> Result<Value> {
        let proto = self.compile(name, text, true, false)?;
        if let Ok(p) = std::fs::canonicalize(name) {
            self.imported.insert(p);
        }
        self.run_proto(&proto)
    }

    /// Runs a file as a script.
    pub fn run_file(&mut self, path: &Path) -> Result<Value> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| MemoError::new("IOError", format!("cannot read `{}`: {e}", path.display())))?;
        self.run_source(&path.display().to_string(), &text)
    }

    /// Runs a compiled script on the current stack.
    pub fn run_proto(&mut self, proto: &Arc<FnProto>) -> Result<Value> {
        crate::stack::ensure_limit();
        let _running = crate::value::object::enter(self.id);
        let base = self.stack.len();
        self.stack.resize(base + proto.nslots as usize, Value::None);
        let saved = self.bp;
        self.bp = base;
        // No signal can be pending when a run starts (imports run between
        // statements); one left by a panic a host caught must not be taken
        // for this run's.
        self.clear_flow();
        if self.run_depth == 0 {
            self.budget_spent = false;
        }
        self.run_depth += 1;
        let r = proto.code.run(self);
        self.run_depth -= 1;
        if self.run_depth == 0 {
            self.release_graveyard();
            let m = self.memoizer;
            m.run_ended(self);
        }
        self.bp = saved;
        self.stack.truncate(base);
        if self.run_depth == 0 {
            self.collect_if_needed();
        }
        let r = match r {
            Ok(v) => Ok(v),
            Err(c) => match self.take(c) {
                Flow::Return(v) => Ok(v),
                Flow::Break | Flow::Continue => Ok(Value::None),
                Flow::Error(mut e) => {
                    if let Some(site) = e.site.take().or(e.span) {
                        e.stack.push(StackFrame { function: "<script>".into(), span: site });
                    }
                    Err(e)
                }
            },
        };
        if let (Ok(v), 0) = (&r, self.run_depth) {
            // The host gets it (see `value::object`).
            self.share(v);
        }
        r
    }

    pub(crate) fn import(&mut self, rel: &str, span: Span) -> R {
        if !self.config.allow_fs {
            return Err(MemoError::at(
                "PermissionError",
                format!("import \"{rel}\" is not allowed here: the host turned off file access"),
                span,
            )
            .into());
        }
        let base = self.file_paths.get(&span.file).and_then(|p| p.parent()).map(Path::to_path_buf).unwrap_or_default();
        let path = base.join(rel);
        let canon = std::fs::canonicalize(&path)
            .map_err(|e| MemoError::at("ImportError", format!("cannot import `{}`: {e}", path.display()), span))?;
        if !self.imported.insert(canon) {
            return Ok(Value::None);
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| MemoError::at("ImportError", format!("cannot import `{}`: {e}", path.display()), span))?;
        let proto = self.compile(&path.display().to_string(), &text, true, false)?;
        self.run_proto(&proto).map_err(|mut e| {
            e.site = Some(span);
            Ctrl::from(e)
        })?;
        Ok(Value::None)
    }

    // ----- calls -----

    /// Calls any callable value with arguments (used by natives such as
    /// `map` and by `hash_funcs`).
    #[inline(always)]
    pub fn call_value(&mut self, f: &Value, args: &mut [Value], span: Option<Span>) -> Result<Value> {
        if self.run_depth == 0 {
            return self.call_value_from_host(f, args, span);
        }
        // Inside a run (a native calling back, this interpreter is the
        // thread's reader already): the common case, inlined into the
        // natives that call back per element (`map`, `filter`, `sort_by`
        // ...), is a plain function.
        if let Value::Func(clo) = f {
            if clo.cached.is_none() && args.len() == clo.proto.nparams as usize {
                let base = self.stack.len();
                for a in args.iter_mut() {
                    self.stack.push(std::mem::take(a));
                }
                return match self.call_plain(clo, base, span.unwrap_or(self.native_span)) {
                    Ok(v) => Ok(v),
                    Err(c) => Err(self.call_error(c)),
                };
            }
        }
        self.call_value_other(f, args, span)
    }

    /// `call_value` by a host, outside any run: this interpreter reads its
    /// objects while the call lasts, and the value returned is shared (see
    /// `value::object`). (Its plain-function case repeats `call_value`'s on
    /// purpose: with both going through one `#[inline(always)]` helper,
    /// the compiler kept fewer registers in `filter`'s callback loop,
    /// `lists` +2.8 % in instructions.)
    #[inline(never)]
    fn call_value_from_host(&mut self, f: &Value, args: &mut [Value], span: Option<Span>) -> Result<Value> {
        let _running = (crate::value::object::reader().id() != self.id).then(|| crate::value::object::enter(self.id));
        let v = match f {
            Value::Func(clo) if clo.cached.is_none() && args.len() == clo.proto.nparams as usize => {
                let base = self.stack.len();
                for a in args.iter_mut() {
                    self.stack.push(std::mem::take(a));
                }
                self.call_plain(clo, base, span.unwrap_or(self.native_span)).map_err(|c| self.call_error(c))?
            }
            _ => self.call_value_other(f, args, span)?,
        };
        self.share(&v);
        Ok(v)
    }

    /// The error a call of a function ended with, for Rust callers.
    #[cold]
    fn call_error(&mut self, c: Ctrl) -> MemoError {
        match self.take(c) {
            Flow::Error(e) => e,
            _ => MemoError::new("InternalError", "unexpected control flow"),
        }
    }

    /// `call_value` of a cached function, a native, a type, or with the
    /// wrong number of arguments.
    #[inline(never)]
    fn call_value_other(&mut self, f: &Value, args: &mut [Value], span: Option<Span>) -> Result<Value> {
        let span = span.unwrap_or(self.native_span);
        match f {
            Value::Func(clo) => {
                let base = self.stack.len();
                for a in args.iter_mut() {
                    self.stack.push(std::mem::take(a));
                }
                self.call_closure(clo, base, span).map_err(|c| self.call_error(c))
            }
            Value::Native(n) => {
                let func = n.func.clone();
                func(self, args).map_err(|e| if span == Span::default() { e } else { e.or_at(span) })
            }
            Value::Type(t) => {
                let t = t.clone();
                convert::call_type(self, &t, args, &[])
            }
            other => Err(MemoError::new("TypeError", format!("a value of type `{}` is not callable", other.type_name()))),
        }
    }

    /// Calls a closure whose arguments are on the stack from `base`.
    #[inline]
    pub(crate) fn call_closure(&mut self, clo: &Arc<Closure>, base: usize, span: Span) -> R {
        let proto = &clo.proto;
        if self.stack.len() - base != proto.nparams as usize {
            return Err(self.arity_error(clo, base, span));
        }
        if clo.cached.is_some() {
            let m = self.memoizer;
            return m.call(self, clo, base, span);
        }
        self.call_plain(clo, base, span)
    }

    #[cold]
    fn arity_error(&mut self, clo: &Closure, base: usize, span: Span) -> Ctrl {
        let argc = self.stack.len() - base;
        self.stack.truncate(base);
        let n = clo.proto.params.len();
        MemoError::at(
            "TypeError",
            format!("{} expects {n} argument{}, got {argc}", fn_label(clo), if n == 1 { "" } else { "s" }),
            span,
        )
        .into()
    }

    #[cold]
    fn call_refused(&mut self, e: MemoError, base: usize, span: Span) -> Ctrl {
        self.stack.truncate(base);
        e.or_at(span).into()
    }

    /// Runs a closure's body (no cache involved).
    #[inline(always)]
    pub(crate) fn call_plain(&mut self, clo: &Arc<Closure>, base: usize, span: Span) -> R {
        let proto = &clo.proto;
        if let Err(e) = self.step() {
            return Err(self.call_refused(e, base, span));
        }
        if self.depth >= self.config.max_call_depth || crate::stack::near_overflow() {
            let e = MemoError::new("RecursionError", format!("maximum recursion depth exceeded ({} nested calls)", self.depth));
            return Err(self.call_refused(e, base, span));
        }
        let top = base + proto.nslots as usize;
        while self.stack.len() < top {
            self.stack.push(Value::None);
        }
        // Captured values, and the function itself (for recursion), are
        // *lent* to the frame: their slots hold bitwise copies, not clones,
        // which saves an atomic increment and decrement per captured heap
        // value per call. This is sound because the originals outlive the
        // frame (the caller holds `clo`), nothing moves a value out of these
        // slots or assigns them (captures and the function's own name cannot
        // be assigned: a compile error), and `Lent` blanks them before the
        // frame is popped, also when a panic unwinds through here, so a lent
        // copy is never dropped.
        let r = if proto.capture_slots.is_empty() && proto.self_slot.is_none() {
            self.run_frame(proto, base)
        } else {
            // The guard exists before the first slot is written, so even a
            // panic half-way (a host-built closure with too few captures)
            // leaves no lent copy behind.
            let lent = Lent { interp: self, base, captures: &proto.capture_slots, self_slot: proto.self_slot };
            for (k, slot) in proto.capture_slots.iter().enumerate() {
                // SAFETY: the slot was just pushed as `none`; the caller holds
                // `clo` for the call; `lent` blanks the slot (value::lend).
                unsafe { lend::lend_into(&mut lent.interp.stack[base + *slot as usize], &clo.captures[k]) };
            }
            if let Some(s) = proto.self_slot {
                // SAFETY: as above, for the closure itself.
                unsafe { lend::lend_fn_into(&mut lent.interp.stack[base + s as usize], clo) };
            }
            lent.interp.run_frame(proto, base)
            // `lent` blanks the lent slots here.
        };
        self.pop_frame(base);
        match r {
            Ok(v) => Ok(v),
            Err(c) => self.unwind_call(c, clo, span),
        }
    }

    /// A call's body ended with `Err(c)`: its `return` value, or its error
    /// with this call's frame added.
    #[cold]
    #[inline(never)]
    fn unwind_call(&mut self, c: Ctrl, clo: &Closure, span: Span) -> R {
        match self.take(c) {
            Flow::Return(v) => Ok(v),
            Flow::Error(e) => Err(Ctrl::error(add_frame(e, clo, span))),
            Flow::Break | Flow::Continue => Ok(Value::None),
        }
    }

    /// Frees the replaced globals kept by `bury`, once nothing can be
    /// running them: no run and no call in progress (a host can start a
    /// run from inside a native it called through `call_value`).
    pub(crate) fn release_graveyard(&mut self) {
        if self.run_depth == 0 && self.depth == 0 {
            // A panic a host caught may have skipped `end_lend`s.
            self.lends = 0;
            self.graveyard.clear();
        }
    }

    /// Runs a function body in the frame at `base`.
    #[inline(always)]
    fn run_frame(&mut self, proto: &FnProto, base: usize) -> R {
        let saved = self.bp;
        self.bp = base;
        self.depth += 1;
        let r = proto.code.run(self);
        self.depth -= 1;
        self.bp = saved;
        r
    }

    #[inline]
    pub(crate) fn read_global(&self, id: u32, span: Span) -> R {
        match self.globals.get(id as usize) {
            Some(Some(v)) => Ok(v.clone_fast()),
            _ => Err(self.undefined_global(id, span).into()),
        }
    }

    /// `undefined variable `x``, with the defined global it may have meant.
    #[cold]
    fn undefined_global(&self, id: u32, span: Span) -> MemoError {
        let name = names::name_of(id);
        let defined = self.global_names();
        let help = crate::suggest::did_you_mean(&name, defined.iter().map(String::as_str), crate::suggest::KEYWORDS);
        MemoError::at("NameError", format!("undefined variable `{name}`"), span).with_suggestion(help)
    }

    pub(crate) fn write_global(&mut self, id: u32, v: Value, span: Span) -> R {
        match self.globals.get_mut(id as usize) {
            Some(slot @ Some(_)) => {
                let old = slot.replace(v);
                self.bury(id, old);
                self.global_versions[id as usize] += 1;
                self.global_epoch += 1;
                Ok(Value::None)
            }
            _ => Err(MemoError::at(
                "NameError",
                format!("assignment to undeclared variable `{}` (declare it with `let`)", names::name_of(id)),
                span,
            )
            .into()),
        }
    }

    /// The map a `catch e` binds: `{"kind": .., "message": .., "line": ..}`.
    pub(crate) fn error_value(&self, e: &MemoError) -> Value {
        let mut m = crate::value::ValueMap::new();
        m.insert(Value::str("kind"), Value::str(e.kind.name()));
        m.insert(Value::str("message"), Value::str(e.message.as_str()));
        let line = e.span.map(|s| self.sources.line(s) as i64).unwrap_or(0);
        m.insert(Value::str("line"), Value::Int(line));
        Value::map(m)
    }

    /// Counts one operation; every `CHECK_EVERY` operations looks at the
    /// interrupt flag and the operation budget.
    #[inline(always)]
    pub(crate) fn step(&mut self) -> std::result::Result<(), MemoError> {
        self.tick -= 1;
        if self.tick == 0 {
            return self.check_limits();
        }
        Ok(())
    }

    /// Has the run used up its operation budget (`Config::max_ops`)?
    pub(crate) fn ops_exhausted(&self) -> bool {
        self.config.max_ops.is_some_and(|max| self.ops > max)
    }

    #[cold]
    fn check_limits(&mut self) -> std::result::Result<(), MemoError> {
        self.tick = CHECK_EVERY;
        self.ops += CHECK_EVERY as u64;
        self.check_budget()
    }

    /// Drops the stack down to `base`; scalar slots (most of them) are
    /// released without the out-of-line drop glue.
    #[inline(always)]
    pub(crate) fn pop_frame(&mut self, base: usize) {
        if !lend::truncate_scalars(&mut self.stack, base) {
            self.stack.truncate(base);
        }
    }

    /// Writes a line to the error sink (warnings, explain).
    pub(crate) fn warn(&mut self, msg: &str) {
        let _ = self.out.flush();
        let _ = writeln!(self.err, "{msg}");
        let _ = self.err.flush();
    }

    /// Flushes the output sinks.
    pub fn flush(&mut self) {
        let _ = self.out.flush();
        let _ = self.err.flush();
    }

    /// The type value of a value (for `type(x)`).
    pub fn type_value(&self, v: &Value) -> Value {
        v.type_value()
    }
}

/// The slots of a frame holding lent copies (see `Interp::call_plain`);
/// dropping this blanks them without dropping the copies.
struct Lent<'a> {
    interp: &'a mut Interp,
    base: usize,
    captures: &'a [u32],
    self_slot: Option<u32>,
}

impl Drop for Lent<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        let stack = &mut self.interp.stack;
        for s in self.captures.iter().copied().chain(self.self_slot) {
            if let Some(v) = stack.get_mut(self.base + s as usize) {
                // SAFETY: the slot holds a lent copy (nothing assigns it: value::lend).
                unsafe { lend::forget_slot(v) }
            }
        }
    }
}

/// A host's native: shares its arguments before it sees them.
pub(crate) fn host_native(f: NativeImpl) -> NativeImpl {
    Arc::new(move |i: &mut Interp, args: &mut [Value]| {
        for a in args.iter() {
            i.share(a);
        }
        f(i, args)
    })
}

/// Records the frame an error is leaving (see `MemoError::site`).
#[cold]
fn add_frame(mut e: MemoError, clo: &Closure, span: Span) -> MemoError {
    let at = e.site.take().or(e.span).unwrap_or(span);
    e.stack.push(StackFrame { function: display_name(clo), span: at });
    e.site = Some(span);
    e
}

/// `f` / `cached fn f` / `anonymous fn` for messages.
pub(crate) fn fn_label(clo: &Closure) -> String {
    if clo.proto.name.is_empty() {
        "anonymous fn".to_string()
    } else {
        format!("`{}`", clo.proto.name)
    }
}

/// The name a function shows in a call stack.
pub(crate) fn display_name(clo: &Closure) -> String {
    if clo.proto.name.is_empty() {
        "<anonymous fn>".to_string()
    } else {
        clo.proto.name.clone()
    }
}
