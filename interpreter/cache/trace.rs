//! Verifying traces: what a cached call read while it ran.
//!
//! The static key (code, free variables, arguments) cannot see what a call
//! reads at run time, so while a miss runs its *trace* is open and collects
//! facts, as build systems do (Shake's verifying traces, Salsa's
//! revisions):
//!
//! - a file read by a native (`read_file`, `read_csv`, `exists`,
//!   `file_mtime`, a SQLite database opened by path): its path and a
//!   fingerprint (size, mtime, inode, and the digest of the bytes read);
//! - a `param` read: its name and the digest of the value returned;
//! - a call of another cached fn: how to find the callee again, its key,
//!   its arguments, and the digest of its result.
//!
//! Facts go to the innermost open trace only: an outer call records the
//! inner *call*, and verifying that call re-verifies the inner entry's own
//! facts. The entry stores its facts; a hit on an entry with facts first
//! verifies them in order (re-stat files, re-read params, get each
//! callee's result now, from the cache or by running it), and any change
//! is a miss whose explanation names it.
//!
//! A cached callee that a caller only *calls* through a global
//! (`b(x)`, not `b` as a value) is left out of the caller's static key
//! (`hashing::deps`): editing `b` then re-runs `b` only, and the caller
//! hits when `b`'s result is unchanged (early cutoff). A callee that
//! assigned a global or a cell while it ran gets no cutoff: its caller may
//! have read that state, so a change of its code is a change of the caller.
//!
//! Besides its own facts, an entry keeps its *deep* facts: every file and
//! param read in its whole subtree of calls, and the code of every callee
//! reached through a global. When all of them hold (the common case: no
//! file and no callee changed), the entry is valid without looking at any
//! other entry, so a hit on a deep recursion costs one check per distinct
//! callee, not one per call. Only when one fails are the calls replayed, to
//! find out whether their results changed (early cutoff).
//!
//! A plain entry (no facts) is never verified: the hit path stays as it was.

use super::session::sess;
use super::Key;
use crate::hashing::value_hash::{self, HashCx};
use crate::interp::Interp;
use crate::value::{Hash32, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A file whose mtime is this close to the moment it was looked at may
/// still change without its mtime changing (the file system's clock
/// granularity): its stat proves nothing and its content is compared.
const RACY: Duration = Duration::from_secs(2);

/// What a native learned about a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileWhat {
    /// Its content (`read_file`, `read_csv`).
    Content,
    /// Whether it exists (`exists`).
    Exists,
    /// Its modification time (`file_mtime`).
    Mtime,
    /// Its metadata only (a SQLite database: too big to hash on every check).
    Stat,
}

/// The cheap fingerprint of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Stat {
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: i64,
    pub inode: u64,
    pub dev: u64,
}

impl Stat {
    /// The stat of `path` (`None`: absent or unreadable).
    pub fn of(path: &Path) -> Option<Stat> {
        let m = std::fs::metadata(path).ok()?;
        let mtime_ns = match m.modified().ok()?.duration_since(UNIX_EPOCH) {
            Ok(d) => d.as_nanos().min(i64::MAX as u128) as i64,
            Err(e) => -(e.duration().as_nanos().min(i64::MAX as u128) as i64),
        };
        #[cfg(unix)]
        let (inode, dev) = {
            use std::os::unix::fs::MetadataExt;
            (m.ino(), m.dev())
        };
        #[cfg(not(unix))]
        let (inode, dev) = (0, 0);
        Some(Stat { size: m.len(), mtime_ns, inode, dev })
    }
}

/// A file fact.
#[derive(Clone, Debug, PartialEq)]
pub struct FileFact {
    /// The path as the script gave it (relative to the working directory).
    pub path: PathBuf,
    pub what: FileWhat,
    /// The stat when it was read (`None`: the file did not exist).
    pub stat: Option<Stat>,
    /// The digest of the content read (for `Content`).
    pub digest: Option<Hash32>,
    /// The mtime was too close to the time of reading to trust the stat.
    pub racy: bool,
}

/// A call of a cached fn made while the trace was open.
#[derive(Clone, Debug)]
pub struct CallFact {
    /// The global the callee was called through (the callee's own name),
    /// when it was: verification calls what that global holds now. `None`:
    /// the callee's code is part of the caller's key; verification checks
    /// its entry under `key`.
    pub global: Option<Arc<str>>,
    /// The callee's name (for messages).
    pub name: Arc<str>,
    /// The callee's key at the time.
    pub key: Key,
    /// The callee's transitive code hash at the time.
    pub code: Hash32,
    /// The arguments (`None` when they could not be kept, e.g. an entry
    /// read from disk whose arguments held a fn).
    pub args: Option<Arc<[Value]>>,
    /// `name(args)` shortened, for messages, when the arguments were not
    /// kept (else it is made from them when needed).
    pub label: Option<String>,
    /// The digest of the result (`None`: it has no hash).
    pub result: Option<Hash32>,
    /// The callee assigned a global or a cell while it ran: its caller may
    /// depend on that, so a change of its code invalidates the caller.
    pub wrote_state: bool,
    /// The callee's `ttl` (its entry expires).
    pub ttl: Option<Duration>,
}

impl CallFact {
    /// `name(args)` shortened, for messages.
    pub fn label(&self) -> String {
        match (&self.args, &self.label) {
            (Some(args), _) => super::explain::call_label_values(&self.name, args),
            (None, Some(l)) => l.clone(),
            (None, None) => format!("{}(...)", self.name),
        }
    }
}

/// One thing a cached call read.
#[derive(Clone, Debug)]
pub enum Fact {
    File(FileFact),
    /// `param(name)` returned the value with this digest.
    Param {
        name: Arc<str>,
        value: Hash32,
        default: Hash32,
        shown: String,
    },
    Call(CallFact),
    /// The global `name` held a cached fn with this code (recorded for a
    /// callee that failed inside a `try`: its facts join the caller's).
    Code {
        name: Arc<str>,
        code: Hash32,
    },
    /// A host native declared an input (`engine::Effect::Input`) returned
    /// a value with digest `result` for these arguments: verification
    /// calls it again.
    Input(InputFact),
}

/// A call of a host's input native (see `Fact::Input`).
#[derive(Clone, Debug)]
pub struct InputFact {
    pub native: Arc<str>,
    /// The arguments (`None`: not kept, e.g. read from disk holding a fn).
    pub args: Option<Arc<[Value]>>,
    pub args_digest: Hash32,
    pub result: Hash32,
}

/// An entry's facts: `None` when it read nothing (most entries), so that a
/// hit carries no pointer to count.
pub type Facts = Option<Arc<[Fact]>>;

/// The facts an open trace collected.
#[derive(Default)]
pub(crate) struct OpenTrace {
    pub facts: Vec<Fact>,
    /// The deep facts: no calls, each fact once.
    pub deep: Vec<Fact>,
    seen: hashbrown::HashSet<DeepId>,
    /// The facts other than calls in `facts`, each recorded once: a fact
    /// read again adds nothing, and a chain of failing cached calls, each
    /// adopting its callee's facts, would otherwise grow quadratically.
    own: hashbrown::HashSet<DeepId>,
}

/// What makes two deep facts the same.
#[derive(PartialEq, Eq, Hash)]
enum DeepId {
    File(PathBuf, FileWhat, Option<Stat>, Option<Hash32>),
    /// Name, value and default: the same param read with two defaults is
    /// two facts (without `--set`, one of them may not hold).
    Param(Arc<str>, Hash32, Hash32),
    Code(Arc<str>, Hash32),
    Input(Arc<str>, Hash32, Hash32),
    /// Only for `facts_id`: deep sets hold no calls.
    Call(Hash32, Hash32, Option<Hash32>),
}

impl DeepId {
    fn of(f: &Fact) -> Option<DeepId> {
        Some(match f {
            Fact::File(ff) => DeepId::File(ff.path.clone(), ff.what, ff.stat, ff.digest),
            Fact::Param { name, value, default, .. } => DeepId::Param(name.clone(), *value, *default),
            Fact::Code { name, code } => DeepId::Code(name.clone(), *code),
            Fact::Input(f) => DeepId::Input(f.native.clone(), f.args_digest, f.result),
            Fact::Call(c) => DeepId::Call(c.key, c.code, c.result),
        })
    }
}

/// One number standing for a list of facts (in this process: entries
/// compare what their calls read with it).
/// The same facts in another order (a replay records them in the order it
/// checks them) have the same id.
pub(crate) fn facts_id(facts: &[Fact]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut ids: Vec<u64> = facts
        .iter()
        .map(|f| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            DeepId::of(f).hash(&mut h);
            h.finish()
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    ids.hash(&mut h);
    h.finish()
}

impl OpenTrace {
    fn add_deep(&mut self, f: &Fact) {
        if matches!(f, Fact::Call(_)) {
            return;
        }
        let Some(id) = DeepId::of(f) else { return };
        if self.seen.insert(id) {
            self.deep.push(f.clone());
        }
    }

    /// The entry's facts and deep facts (`None` when the same as its own).
    pub fn finish(self) -> (Vec<Fact>, Option<Vec<Fact>>) {
        let has_calls = self.facts.iter().any(|f| matches!(f, Fact::Call(_)));
        (self.facts, has_calls.then_some(self.deep))
    }
}

/// The outcome of verifying an entry's facts.
pub enum Verdict {
    /// Every fact holds. `cutoff` names the callees whose code changed while
    /// their result did not; `refreshed` holds the facts as checked now
    /// (the callees' current code and facts) when the calls were replayed,
    /// so that the entry can be stored with them and the next check is
    /// quick again.
    Valid { cutoff: Vec<String>, refreshed: Option<(Vec<Fact>, Option<Vec<Fact>>)> },
    /// This fact no longer holds.
    Invalid(String),
}

// ----- recording -----

/// Is a trace open for recording (a miss in progress, outside hashing and
/// verification)?
#[inline]
fn recording(interp: &mut Interp) -> bool {
    match super::session(interp) {
        Some(s) => s.traces.len() > s.barrier,
        None => false,
    }
}

fn push(interp: &mut Interp, f: Fact) {
    let s = sess!(interp);
    if s.traces.len() > s.barrier {
        if let Some(t) = s.traces.last_mut() {
            if !matches!(f, Fact::Call(_)) && !DeepId::of(&f).is_some_and(|id| t.own.insert(id)) {
                return;
            }
            t.add_deep(&f);
            t.facts.push(f);
        }
    }
}

fn now_ns() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos().min(i64::MAX as u128) as i64).unwrap_or(0)
}

fn is_racy(stat: Option<Stat>) -> bool {
    match stat {
        Some(s) => now_ns().saturating_sub(s.mtime_ns) < RACY.as_nanos() as i64,
        None => false,
    }
}

/// A native read a file: records it in the innermost open trace.
/// `content` is what was read (for `FileWhat::Content`).
pub fn note_file(interp: &mut Interp, path: &Path, what: FileWhat, content: Option<&[u8]>) {
    if !recording(interp) {
        return;
    }
    let stat = Stat::of(path);
    let digest = content.map(|c| *blake3::hash(c).as_bytes());
    let racy = is_racy(stat);
    push(interp, Fact::File(FileFact { path: path.to_path_buf(), what, stat, digest, racy }));
}

/// A native wrote a file (or a database): facts about files verified
/// before may no longer hold.
pub fn note_write(interp: &mut Interp) {
    if let Some(s) = super::session(interp) {
        s.fs_epoch += 1;
    }
}

/// Is a trace recording (for a host native that must keep its arguments
/// before it runs)?
pub fn is_recording(interp: &mut Interp) -> bool {
    recording(interp)
}

/// A host's input native returned `result` for `args`: records it.
pub fn note_input(interp: &mut Interp, native: &str, args: Arc<[Value]>, result: &Value) {
    if !recording(interp) {
        return;
    }
    let mut h = blake3::Hasher::new();
    for a in args.iter() {
        let Some(d) = plain_digest(interp, a) else { return };
        h.update(&d);
    }
    let args_digest = *h.finalize().as_bytes();
    let Some(result) = plain_digest(interp, result) else { return };
    push(interp, Fact::Input(InputFact { native: Arc::from(native), args: Some(args), args_digest, result }));
}

/// `param(name, default)` returned `value`: records it.
pub fn note_param(interp: &mut Interp, name: &str, value: &Value, default: &Value) {
    if !recording(interp) {
        return;
    }
    let (Some(v), Some(d)) = (plain_digest(interp, value), plain_digest(interp, default)) else { return };
    let shown = crate::hashing::deps::short(value);
    push(interp, Fact::Param { name: Arc::from(name), value: v, default: d, shown });
}

/// A native whose result changes by itself (`now()`, `clock()`, an impure
/// host native) ran inside a cached fn: its result is frozen in the entry.
/// Warns once per function per run, unless the function has a `ttl` (which
/// bounds how stale it gets) or `suppress_warning`.
pub fn note_impure(interp: &mut Interp, native: &str) {
    let Some(s) = super::session(interp) else { return };
    if s.traces.len() <= s.barrier {
        return;
    }
    let Some((name, suppress, has_ttl)) = s.missing.last().cloned() else { return };
    if suppress || has_ttl || !s.warned_impure.insert(name.clone()) {
        return;
    }
    interp.warn(&format!(
        "warning: cached fn `{name}` called {native}(), whose result changes by itself; the cached result keeps the value of the first call (give it a cached(ttl: SECONDS), or cached(suppress_warning: true) to silence this)"
    ));
}

fn plain_digest(interp: &mut Interp, v: &Value) -> Option<Hash32> {
    let what = || String::from("a value read by a cached fn");
    let cx = HashCx { hash_funcs: &[], what: &what, shallow_fns: false };
    value_hash::digest(interp, v, &cx).ok()
}

// ----- verifying -----

/// Does a file fact still hold? `Err(why)` when not.
fn check_file(f: &FileFact) -> std::result::Result<(), String> {
    let shown = f.path.display();
    let now = Stat::of(&f.path);
    match f.what {
        FileWhat::Exists => {
            if now.is_some() == f.stat.is_some() {
                Ok(())
            } else if now.is_some() {
                Err(format!("file \"{shown}\" was created"))
            } else {
                Err(format!("file \"{shown}\" was removed"))
            }
        }
        FileWhat::Mtime => match (now, f.stat) {
            (Some(a), Some(b)) if a.mtime_ns == b.mtime_ns => Ok(()),
            (None, None) => Ok(()),
            (Some(_), None) => Err(format!("file \"{shown}\" was created")),
            (None, Some(_)) => Err(format!("file \"{shown}\" was removed")),
            _ => Err(format!("file \"{shown}\" was modified")),
        },
        FileWhat::Stat => match (now, f.stat) {
            (Some(a), Some(b)) if a == b && !f.racy => Ok(()),
            (None, None) => Ok(()),
            (Some(_), None) => Err(format!("file \"{shown}\" was created")),
            (None, Some(_)) => Err(format!("file \"{shown}\" was removed")),
            _ => Err(format!("file \"{shown}\" changed")),
        },
        FileWhat::Content => match (now, f.stat) {
            (None, None) => Ok(()),
            (Some(_), None) => Err(format!("file \"{shown}\" was created")),
            (None, Some(_)) => Err(format!("file \"{shown}\" was removed")),
            (Some(a), Some(b)) => {
                if a == b && !f.racy {
                    return Ok(());
                }
                // The stat changed (or cannot be trusted): compare contents.
                let same = match (&f.digest, std::fs::read(&f.path)) {
                    (Some(d), Ok(bytes)) => blake3::hash(&bytes).as_bytes() == d,
                    _ => false,
                };
                if same {
                    Ok(())
                } else {
                    Err(format!("file \"{shown}\" changed"))
                }
            }
        },
    }
}

/// Verifies an entry's facts, in order, with recording turned off (what
/// verification runs belongs to no open trace). Callees are called through
/// the cache, so a callee whose code changed runs here.
pub(crate) fn verify(interp: &mut Interp, facts: &[Fact], deep: Option<&[Fact]>) -> Verdict {
    let s = sess!(interp);
    let saved = s.barrier;
    s.barrier = s.traces.len();
    s.verifying += 1;
    let v = match deep {
        // Nothing in the whole subtree changed: no call needs replaying.
        Some(deep) if matches!(verify_facts(interp, deep), Verdict::Valid { .. }) => valid(),
        // No calls: the facts are all there is to check, and nothing to
        // replay or refresh (a refresh stores the entry again: a hit of a
        // 200,000-row table re-encoded it every time).
        None if !facts.iter().any(|f| matches!(f, Fact::Call(_))) => match verify_facts(interp, facts) {
            Verdict::Valid { cutoff, .. } => Verdict::Valid { cutoff, refreshed: None },
            invalid => invalid,
        },
        _ => {
            // Replay, recording what holds now in a trace of its own.
            let s = sess!(interp);
            s.traces.push(OpenTrace::default());
            s.barrier = s.traces.len() - 1;
            let v = verify_facts(interp, facts);
            let s = sess!(interp);
            let fresh = s.traces.pop().map(OpenTrace::finish);
            match v {
                Verdict::Valid { cutoff, .. } => Verdict::Valid { cutoff, refreshed: fresh },
                invalid => invalid,
            }
        }
    };
    let s = sess!(interp);
    s.barrier = saved;
    s.verifying -= 1;
    v
}

fn valid() -> Verdict {
    Verdict::Valid { cutoff: Vec::new(), refreshed: None }
}

fn verify_facts(interp: &mut Interp, facts: &[Fact]) -> Verdict {
    let mut cutoff = Vec::new();
    for f in facts {
        if crate::stack::near_overflow() {
            return Verdict::Invalid("its recorded calls nest too deeply to verify".into());
        }
        match f {
            Fact::File(ff) => {
                if let Err(why) = check_file(ff) {
                    return Verdict::Invalid(why);
                }
                push(interp, f.clone());
            }
            Fact::Param { name, value, default, shown } => {
                let now = match interp.params.get(&**name).cloned() {
                    Some(v) => plain_digest(interp, &v).map(|d| (d, v)),
                    None => Some((*default, Value::None)),
                };
                match now {
                    Some((d, _)) if d == *value => push(interp, f.clone()),
                    Some((d, v)) => {
                        let new = if d == *default && !interp.params.contains_key(&**name) {
                            "its default".to_string()
                        } else {
                            crate::hashing::deps::short(&v)
                        };
                        return Verdict::Invalid(format!("param \"{name}\" changed: {shown} → {new}"));
                    }
                    None => return Verdict::Invalid(format!("param \"{name}\" changed")),
                }
            }
            Fact::Code { name, code } => match current_code(interp, name) {
                Some(c) if c == *code => push(interp, f.clone()),
                _ => return Verdict::Invalid(format!("code of `{name}` changed")),
            },
            Fact::Input(input) => {
                if let Err(why) = verify_input(interp, input) {
                    return Verdict::Invalid(why);
                }
                push(interp, f.clone());
            }
            Fact::Call(c) => match verify_call(interp, c) {
                Ok(Some(changed)) => {
                    if !cutoff.contains(&changed) {
                        cutoff.push(changed)
                    }
                }
                Ok(None) => {}
                Err(why) => return Verdict::Invalid(why),
            },
        }
    }
    Verdict::Valid { cutoff, refreshed: None }
}

/// Calls a host's input native again with the recorded arguments.
fn verify_input(interp: &mut Interp, f: &InputFact) -> std::result::Result<(), String> {
    let changed = || format!("input {}() changed", f.native);
    let Some(args) = &f.args else { return Err(changed()) };
    let native = match interp.get_global(&f.native) {
        Some(v @ Value::Native(_)) => v,
        _ => return Err(format!("`{}` is no longer the native it was", f.native)),
    };
    let now =
        interp.call_value(&native, &mut args.to_vec(), None).map_err(|e| format!("{}() failed: {}", f.native, e.message))?;
    match plain_digest(interp, &now) {
        Some(d) if d == f.result => Ok(()),
        _ => Err(changed()),
    }
}

/// The transitive code hash of the cached fn the global `name` holds now.
fn current_code(interp: &mut Interp, name: &str) -> Option<Hash32> {
    match interp.global_named(name) {
        Some(Value::Func(clo)) if clo.cached.as_ref().is_some_and(|c| &*c.name == name) => interp.closure_code_hash(&clo).ok(),
        _ => None,
    }
}

/// Checks one recorded call: `Ok(Some(name))` when it holds although the
/// callee's code changed (early cutoff), `Ok(None)` when it holds.
fn verify_call(interp: &mut Interp, c: &CallFact) -> std::result::Result<Option<String>, String> {
    let Some(global) = &c.global else {
        // The callee's code is in the caller's key: check its entry.
        return check_entry(interp, c).map(|_| None);
    };
    let clo = match interp.global_named(global) {
        Some(Value::Func(clo)) if clo.cached.as_ref().is_some_and(|cf| *cf.name == **global) => clo,
        _ => return Err(format!("`{global}` is no longer the cached fn it was")),
    };
    let code_now = interp.closure_code_hash(&clo).map_err(|e| e.message.clone())?;
    let changed = code_now != c.code;
    if changed && c.wrote_state {
        // (Its code hash covers the globals it reads: either changed.)
        return Err(format!("code of `{global}`, or a global it reads, changed (and it assigns globals or cells)"));
    }
    let Some(args) = &c.args else {
        // Arguments not kept: only an unchanged callee can be checked.
        let plain = clo.cached.as_ref().is_some_and(|cf| cf.options.hash_funcs.is_empty());
        if changed || !plain {
            return Err(format!("code of `{global}` changed"));
        }
        return check_entry(interp, c).map(|_| None);
    };
    let mut args: Vec<Value> = args.to_vec();
    let v = interp
        .call_value(&Value::Func(clo), &mut args, None)
        .map_err(|e| format!("{} failed while checking it: {}", c.label(), e.message))?;
    match (plain_digest(interp, &v), c.result) {
        (Some(a), Some(b)) if a == b => Ok(changed.then(|| global.to_string())),
        _ => Err(format!("the result of {} changed", c.label())),
    }
}

/// Checks a callee's entry under its recorded key: present, its own facts
/// holding, its result the recorded one.
fn check_entry(interp: &mut Interp, c: &CallFact) -> std::result::Result<(), String> {
    let cache = sess!(interp).cache.clone();
    let hit = match cache.lookup(&c.key, &c.name, c.ttl, None, true) {
        super::Lookup::Hit(h) => h,
        super::Lookup::Miss(_) => return Err(format!("the entry of {} is gone", c.label())),
    };
    // The entry's own result, then its earlier ones (one per state of what
    // the callee read), as a call of it would choose: the first whose facts
    // hold is what the callee gives now. (A callee called in two states
    // within one run gave the caller's facts one result each: checking only
    // the newest made the caller miss in every run.)
    let variants = std::iter::once((&hit.trace, &hit.deep, &hit.value))
        .chain(hit.older.iter().flat_map(|o| o.iter()).map(|e| (&e.trace, &e.deep, &e.value)));
    let mut first_why = None;
    for (trace, deep, value) in variants {
        if let Some(facts) = trace {
            // The callee's facts are its own: checked without recording.
            let v = quietly(interp, |i| match deep.as_deref() {
                Some(deep) if matches!(verify_facts(i, deep), Verdict::Valid { .. }) => valid(),
                _ => verify_facts(i, facts),
            });
            if let Verdict::Invalid(why) = v {
                first_why.get_or_insert(why);
                continue;
            }
        }
        return match (plain_digest(interp, value), c.result) {
            (Some(a), Some(b)) if a == b => {
                note_call(interp, c.clone(), trace.as_deref(), deep.as_deref());
                Ok(())
            }
            _ => Err(format!("the result of {} changed", c.label())),
        };
    }
    Err(format!("{}: {}", c.label(), first_why.unwrap_or_default()))
}

/// The digest of a cached call's result for a call fact (`None`: no hash).
pub(crate) fn result_digest(interp: &mut Interp, v: &Value) -> Option<Hash32> {
    plain_digest(interp, v)
}

/// The facts of a callee that failed: they join the caller's trace (a
/// `try` in the caller may have used the failure).
pub(crate) fn adopt(interp: &mut Interp, facts: Vec<Fact>) {
    for f in facts {
        push(interp, f);
    }
}

/// Records a call fact in the innermost open trace, if one is recording,
/// with the callee's deep facts (`callee_deep`, else its own `callee_facts`).
pub(crate) fn note_call(interp: &mut Interp, f: CallFact, callee_facts: Option<&[Fact]>, callee_deep: Option<&[Fact]>) {
    if !recording(interp) {
        return;
    }
    let s = sess!(interp);
    let Some(t) = s.traces.last_mut() else { return };
    if let Some(g) = &f.global {
        t.add_deep(&Fact::Code { name: g.clone(), code: f.code });
    }
    for d in callee_deep.or(callee_facts).unwrap_or(&[]) {
        t.add_deep(d);
    }
    t.facts.push(Fact::Call(f));
}

/// Records that the global `name` held a cached fn with `code`.
pub(crate) fn note_code(interp: &mut Interp, name: Arc<str>, code: Hash32) {
    if recording(interp) {
        push(interp, Fact::Code { name, code });
    }
}

/// Runs `f` with recording turned off (key computation, `hash_funcs`).
pub(crate) fn quietly<T>(interp: &mut Interp, f: impl FnOnce(&mut Interp) -> T) -> T {
    let Some(s) = super::session(interp) else { return f(interp) };
    let saved = s.barrier;
    s.barrier = s.traces.len();
    let r = f(interp);
    sess!(interp).barrier = saved;
    r
}

/// Is any trace recording? (The hit memo is bypassed then: a call fact
/// needs the key.)
#[inline]
pub(crate) fn any_open(interp: &mut Interp) -> bool {
    recording(interp)
}
