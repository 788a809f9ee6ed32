//! The seam between the runtime and the cache layer.
//!
//! The runtime knows that some closures are cached (`Closure::cached`, see
//! `interp::cached`) but not how caching works: it calls them through the
//! [`Memoizer`] the interpreter was given. The cache layer
//! (`crate::cache::session`) implements it and keeps its per-interpreter
//! state (hit memo, code-hash memo, open traces, run statistics) in
//! `Interp::memo_state`, which the runtime never looks into. Without a
//! cache ([`NoMemo`]) a cached fn runs like a plain one.
//!
//! A memoizer is a `'static` object without state of its own, so calling
//! it borrows nothing of the interpreter: it may run user code (a miss, a
//! `hash_funcs` fn) that calls cached fns again.

use super::{Interp, R};
use crate::source::Span;
use crate::value::Closure;
use std::sync::Arc;

/// What the runtime asks of the cache.
pub(crate) trait Memoizer: Send + Sync + 'static {
    /// Calls the cached closure `clo`, its arguments on the stack from
    /// `base` (the arity is checked): the stored result, or the body run
    /// and its result stored. Pops the arguments.
    fn call(&self, interp: &mut Interp, clo: &Arc<Closure>, base: usize, span: Span) -> R;

    /// A `cached fn` declaration ran (for per-run statistics).
    fn declared(&self, interp: &mut Interp, clo: &Arc<Closure>);

    /// The outermost run (a script, a REPL input, a host call) ended.
    fn run_ended(&self, interp: &mut Interp);

    /// A fresh run of a whole script starts: forget per-run state
    /// (warnings given, statistics), keep the stored results.
    fn reset(&self, interp: &mut Interp);
}

/// No cache: a cached fn runs its body on every call.
pub(crate) struct NoMemo;

impl Memoizer for NoMemo {
    fn call(&self, interp: &mut Interp, clo: &Arc<Closure>, base: usize, span: Span) -> R {
        interp.call_plain(clo, base, span)
    }
    fn declared(&self, _: &mut Interp, _: &Arc<Closure>) {}
    fn run_ended(&self, _: &mut Interp) {}
    fn reset(&self, _: &mut Interp) {}
}
