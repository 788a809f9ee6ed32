//! Non-local control flow (`break`, `continue`, `return`) and errors, as the
//! evaluator passes them up: `Err(Ctrl)`.
//!
//! `Ctrl` is zero-sized on purpose. `R = Result<Value, Ctrl>` then has the
//! layout of a `Value` with one more tag, a (tag, word) pair that every
//! compiled closure returns in two registers. (With the error or the return
//! value inside `Ctrl`, `R` was 24 bytes returned through memory, and each
//! call and operator paid for it.) What an `Err(Ctrl)` carries is kept
//! aside until it is taken:
//!
//! - `break`, `continue` and `return v` are raised by code that has the
//!   interpreter at hand: `Interp::raise` records them in `Interp::flow`.
//! - Errors come from everywhere, mostly through `?` on a
//!   `Result<_, MemoError>` (`From<MemoError> for Ctrl`), where there is no
//!   interpreter to write to: the error waits in a thread-local slot. The
//!   evaluator is single-threaded per run, and an `Err(Ctrl)` is taken on the
//!   thread that made it, before anything else can raise.
//!
//! `Interp::take` turns an `Err(Ctrl)` back into a `Flow` (a pending signal
//! first, else the pending error); `Interp::raise` turns a `Flow` into one.
//!
//! Two consequences of keeping them aside:
//! - A panic (a bug, or a host callback's) can leave a signal recorded.
//!   Every run and every call from the host (`run_proto`, `Engine::enter`)
//!   starts by clearing it, so it is never taken for a later error.
//! - The error slot is per thread, not per interpreter. Between an error's
//!   raise and its take only memo's own unwinding runs, which raises
//!   nothing; a host `Drop` impl that ran another interpreter on the same
//!   thread during that window, and raised an error there, would take the
//!   first one's place (the first is then reported as an `InternalError`).

use super::Interp;
use crate::error::MemoError;
use crate::value::Value;
use std::cell::Cell;

/// A pending non-local exit; what it is, `Interp::take` says.
pub(crate) struct Ctrl {
    _private: (),
}

/// What an `Err(Ctrl)` stood for.
pub(crate) enum Flow {
    Break,
    Continue,
    Return(Value),
    Error(MemoError),
}

/// The signal (not error) an interpreter is unwinding with.
#[derive(Default)]
pub(crate) enum Signal {
    #[default]
    None,
    Break,
    Continue,
    Return(Value),
}

thread_local! {
    static PENDING_ERROR: Cell<Option<MemoError>> = const { Cell::new(None) };
}

impl Ctrl {
    /// Raises an error (it waits in this thread's slot until taken).
    #[cold]
    #[inline(never)]
    pub(crate) fn error(e: MemoError) -> Ctrl {
        PENDING_ERROR.with(|slot| slot.set(Some(e)));
        Ctrl { _private: () }
    }
}

impl From<MemoError> for Ctrl {
    #[inline]
    fn from(e: MemoError) -> Ctrl {
        Ctrl::error(e)
    }
}

impl Interp {
    /// Raises `f`: `Err(i.raise(Flow::Break))`.
    #[inline]
    pub(crate) fn raise(&mut self, f: Flow) -> Ctrl {
        self.flow = match f {
            Flow::Break => Signal::Break,
            Flow::Continue => Signal::Continue,
            Flow::Return(v) => Signal::Return(v),
            Flow::Error(e) => return Ctrl::error(e),
        };
        Ctrl { _private: () }
    }

    /// What `c` stands for, taken out of its slot.
    #[cold]
    pub(crate) fn take(&mut self, c: Ctrl) -> Flow {
        let Ctrl { _private: () } = c;
        match std::mem::take(&mut self.flow) {
            Signal::Break => Flow::Break,
            Signal::Continue => Flow::Continue,
            Signal::Return(v) => Flow::Return(v),
            Signal::None => Flow::Error(take_error()),
        }
    }

    /// Is `Err(Ctrl)` an error (not `break`, `continue` or `return`)?
    #[inline]
    pub(crate) fn unwinding_error(&self) -> bool {
        matches!(self.flow, Signal::None)
    }

    /// Forgets a signal left by a run that ended abnormally (a panic a host
    /// caught), so it cannot be mistaken for the next one.
    pub(crate) fn clear_flow(&mut self) {
        self.flow = Signal::None;
    }
}

/// The pending error; a placeholder if there is none (a bug, reported as
/// an error rather than a panic).
pub(crate) fn take_error() -> MemoError {
    PENDING_ERROR
        .with(|slot| slot.take())
        .unwrap_or_else(|| MemoError::new("InternalError", "an error was raised but not recorded (please report this)"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_is_a_value_sized_pair() {
        assert_eq!(std::mem::size_of::<Ctrl>(), 0);
        assert_eq!(std::mem::size_of::<super::super::R>(), 16);
    }
}
