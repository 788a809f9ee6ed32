//! Metering of walks over values.
//!
//! A value can be a DAG whose tree is exponentially bigger than its memory
//! (`x = [x, x]` forty times is 40 lists and 2^40 leaves), so comparing,
//! hashing or printing one is not bounded by what building it cost. The
//! walks that a script can start (`==`, `<`, `sort`, `hash`, `print`,
//! `json_str`, ...) therefore take a [`Meter`] and tick it once per element
//! they visit: the interpreter's meter counts the ticks as operations of
//! its budget (`--max-ops`, checked every 1,024; see `interp::budget`) and
//! stops the walk with its `LimitError` or `Interrupted`.
//!
//! [`Unmetered`] is the meter of code that is not running a script (the
//! map internals, `Ord for Value`, tests): it never stops.

use std::convert::Infallible;

/// Bytes of string data that count as one operation. Comparing, hashing or
/// copying 256 bytes costs about what one loop iteration does.
pub const BYTES_PER_OP: usize = 256;

/// Counts the work of a walk over values, and may stop it.
pub trait Meter {
    /// Why a walk was stopped.
    type Error;
    /// One element visited.
    fn tick(&mut self) -> Result<(), Self::Error>;
    /// `units` operations of work done at once (e.g. a long string compared).
    fn charge(&mut self, units: u64) -> Result<(), Self::Error>;
    /// Called before each step down into a container: may refuse to recurse
    /// further (the interpreter's meter checks the stack).
    fn descend(&mut self) -> Result<(), Self::Error>;
    /// `bytes` of string data handled at once.
    #[inline]
    fn bytes(&mut self, bytes: usize) -> Result<(), Self::Error> {
        if bytes >= BYTES_PER_OP {
            self.charge((bytes / BYTES_PER_OP) as u64)
        } else {
            Ok(())
        }
    }
}

/// A meter that never stops a walk.
pub struct Unmetered;

impl Meter for Unmetered {
    type Error = Infallible;
    #[inline(always)]
    fn tick(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
    #[inline(always)]
    fn charge(&mut self, _: u64) -> Result<(), Infallible> {
        Ok(())
    }
    #[inline(always)]
    fn descend(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

/// The value of a walk that cannot fail.
#[inline(always)]
pub fn unfailing<T>(r: Result<T, Infallible>) -> T {
    match r {
        Ok(v) => v,
        Err(never) => match never {},
    }
}

/// A meter that counts and stops after a fixed number of ticks (for tests
/// and for callers with a budget of their own).
pub struct Countdown {
    /// Operations left.
    pub left: u64,
    /// Operations counted so far.
    pub used: u64,
}

impl Countdown {
    pub fn new(left: u64) -> Countdown {
        Countdown { left, used: 0 }
    }
}

/// The walk of a [`Countdown`] ran out.
#[derive(Debug, PartialEq, Eq)]
pub struct Exhausted;

impl Meter for Countdown {
    type Error = Exhausted;
    #[inline]
    fn tick(&mut self) -> Result<(), Exhausted> {
        self.charge(1)
    }
    fn charge(&mut self, units: u64) -> Result<(), Exhausted> {
        self.used += units;
        if units > self.left {
            self.left = 0;
            return Err(Exhausted);
        }
        self.left -= units;
        Ok(())
    }
    fn descend(&mut self) -> Result<(), Exhausted> {
        Ok(())
    }
}

thread_local! {
    /// Work done by code that has no interpreter at hand (the `+` of two
    /// long strings or lists, in `interp::ops`), in operations; the
    /// interpreter adds it to its count at its next look at the budget.
    static DEFERRED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Records `units` operations of work for the interpreter running on this
/// thread to count (see [`take_deferred`]).
#[inline]
pub fn defer(units: u64) {
    if units > 0 {
        DEFERRED.with(|d| d.set(d.get().saturating_add(units)));
    }
}

/// [`defer`] for `bytes` bytes of string data.
#[inline]
pub fn defer_bytes(bytes: usize) {
    if bytes >= BYTES_PER_OP {
        defer((bytes / BYTES_PER_OP) as u64);
    }
}

/// The work recorded by [`defer`] and not yet taken.
#[inline]
pub fn deferred() -> u64 {
    DEFERRED.with(|d| d.get())
}

/// The work recorded by [`defer`] since the last call.
pub fn take_deferred() -> u64 {
    DEFERRED.with(|d| d.replace(0))
}
