//! A cache session: the cache layer's side of one interpreter.
//!
//! The runtime calls cached fns through the [`Memoizer`] it was given
//! (`interp::memo`); [`attach`] gives an interpreter this layer's memoizer
//! and a [`Session`], which holds every piece of per-interpreter
//! memoization state: the shared [`Cache`] handle, the memos that make
//! repeated calls cheap (code hashes, keys, hits), the misses in progress,
//! and the run's statistics. Nothing else in the interpreter knows of them.

use super::fast::HitMemo;
use super::trace::OpenTrace;
use super::{Cache, CachedFn, RunStats};
use crate::interp::{Interp, Memoizer, R};
use crate::source::Span;
use crate::value::{Closure, Hash32};
use std::collections::HashSet;
use std::sync::Arc;

/// Memo of a function's transitive code hash (see `hashing::deps`).
pub(crate) struct CodeMemo {
    pub _keep: Arc<Closure>,
    pub epoch: u64,
    pub deps: Vec<(u32, u64)>,
    pub hash: Hash32,
}

/// When an entry's facts were last found to hold: valid while the global
/// epoch, this session's file epoch and the cache's generation are the same.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub global_epoch: u64,
    pub fs_epoch: u64,
    pub generation: u64,
}

/// The memoization state of one interpreter.
pub struct Session {
    /// The store, shared with every other session holding a clone.
    pub cache: Cache,
    /// `--explain`: say why each cached call hit or missed (stderr).
    pub explain: bool,
    pub(crate) code_memo: hashbrown::HashMap<usize, CodeMemo>,
    /// Recent cache-key inputs and their blake3 digests (see `cache::key`).
    pub(crate) key_memo: hashbrown::HashMap<Box<[u8]>, Hash32>,
    /// Calls that recently hit, for skipping the lookup (see `cache::fast`).
    pub(crate) hit_memo: HitMemo,
    /// Functions whose code hash is being computed (cycle detection).
    pub(crate) hash_stack: Vec<usize>,
    /// Cached functions currently computing a miss (innermost last):
    /// name, `suppress_warning`, has a `ttl`.
    pub(crate) missing: Vec<(Arc<str>, bool, bool)>,
    /// The traces of the misses in progress (innermost last; see `trace`).
    pub(crate) traces: Vec<OpenTrace>,
    /// Facts go to the innermost trace only while there are more traces
    /// than this (it is raised while hashing and verifying).
    pub(crate) barrier: usize,
    /// Entries being verified (their callees' hits are not explained).
    pub(crate) verifying: u32,
    /// Entries whose facts were verified (or that this session stored), and
    /// when: still valid while nothing they could depend on changed.
    pub(crate) verified: hashbrown::HashMap<Hash32, Stamp>,
    /// Bumped when this session writes a file or a new run starts: file
    /// facts verified before may no longer hold.
    pub(crate) fs_epoch: u64,
    /// Functions already warned about printing, this run.
    pub(crate) warned_print: HashSet<Arc<str>>,
    /// Whether the print warning was given in full once (in this session:
    /// a REPL or `memo watch` then gives the short form).
    pub(crate) explained_print: bool,
    /// Functions already warned about reading a clock, this run.
    pub(crate) warned_impure: HashSet<Arc<str>>,
    /// Hits and misses of this run.
    pub run_stats: RunStats,
    /// Every cached fn declared in this run (for `--stats`).
    pub cached_fns: Vec<Arc<CachedFn>>,
}

impl Session {
    pub fn new(cache: Cache) -> Session {
        Session {
            cache,
            explain: false,
            code_memo: Default::default(),
            key_memo: Default::default(),
            hit_memo: Default::default(),
            hash_stack: Vec::new(),
            missing: Vec::new(),
            traces: Vec::new(),
            barrier: 0,
            verifying: 0,
            verified: Default::default(),
            fs_epoch: 0,
            warned_print: HashSet::new(),
            explained_print: false,
            warned_impure: HashSet::new(),
            run_stats: RunStats::default(),
            cached_fns: Vec::new(),
        }
    }

    /// Forgets the entries of one function (by name), or every entry.
    pub fn clear(&mut self, name: Option<&str>) {
        match name {
            Some(n) => self.cache.clear_fn(n),
            None => self.cache.clear_all(),
        }
    }
}

/// The session of an interpreter the cache was attached to.
///
/// A macro, not a method, so that the borrow is of the one field and the
/// caller can use the interpreter's other fields (globals, stack) beside it.
macro_rules! sess {
    ($i:expr) => {
        $i.memo_state.downcast_mut::<$crate::cache::session::Session>().expect("the cache is attached to this interpreter")
    };
}
pub(crate) use sess;

/// Gives an interpreter the cache: its cached fns are memoized in `cache`.
pub fn attach(interp: &mut Interp, cache: Cache) {
    interp.set_memoizer(&CACHE_MEMOIZER, Box::new(Session::new(cache)));
}

/// Prints the cache tiers' pending warnings (a tier that failed, one that
/// could not be opened) on the interpreter's error output.
pub(crate) fn report_tier_warnings(interp: &mut Interp) {
    let Some(s) = session(interp) else { return };
    if !s.cache.has_warnings() {
        return;
    }
    for w in s.cache.take_warnings() {
        interp.warn(&w);
    }
}

/// The session of `interp` (`None` when no cache is attached).
pub fn session(interp: &mut Interp) -> Option<&mut Session> {
    interp.memo_state().downcast_mut::<Session>()
}

/// The cache layer's memoizer.
pub(crate) struct CacheMemoizer;

static CACHE_MEMOIZER: CacheMemoizer = CacheMemoizer;

impl Memoizer for CacheMemoizer {
    #[inline]
    fn call(&self, interp: &mut Interp, clo: &Arc<Closure>, base: usize, span: Span) -> R {
        interp.call_cached(clo, base, span)
    }

    fn declared(&self, interp: &mut Interp, clo: &Arc<Closure>) {
        if let Some(cf) = &clo.cached {
            sess!(interp).cached_fns.push(cf.clone());
        }
    }

    fn run_ended(&self, interp: &mut Interp) {
        interp.flush_hits();
        report_tier_warnings(interp);
    }

    fn reset(&self, interp: &mut Interp) {
        interp.forget_hits();
        let s = sess!(interp);
        s.code_memo.clear();
        // Every fact is checked again (its stamp is gone with `verified`).
        s.verified.clear();
        s.warned_print.clear();
        s.warned_impure.clear();
        s.run_stats = RunStats::default();
        s.cached_fns.clear();
    }
}
