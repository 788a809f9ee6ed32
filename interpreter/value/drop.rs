//! Freeing deep values without deep recursion.
//!
//! Dropping a list frees its elements, each of which frees its own, so
//! freeing a value nested `n` levels deep recursed `n` frames deep: a
//! 100,000-level list (the nesting limit) or a long chain of cells
//! overflowed a small stack (a host's thread with `run_on_current_thread`,
//! or a value handed back to the host). Here, the `Drop` of every container
//! (list, map, struct, cell) goes through [`dropping`]: up to `MAX_DEPTH`
//! nested drops free their children as usual; a deeper one hands its
//! children to the outermost drop, which frees them one after the other.
//! A list, map or struct less than [`DEEP`] levels deep (its `depth`, an
//! upper bound) frees itself as usual, without the count: below it the
//! recursion is shorter than `DEEP` anyway. So freeing any value takes at
//! most `MAX_DEPTH + DEEP` nested drops, and freeing ordinary data costs
//! one comparison more than it did.

use super::Value;
use std::cell::{Cell, RefCell};

/// Nested container drops allowed before children are handed over.
const MAX_DEPTH: u32 = 256;

/// Containers nested less deeply than this free themselves as usual.
pub(crate) const DEEP: u32 = 256;

thread_local! {
    /// Container drops in progress on this thread.
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    /// Children handed over by drops deeper than `MAX_DEPTH`, for the
    /// outermost drop to free.
    static PENDING: RefCell<Vec<Value>> = const { RefCell::new(Vec::new()) };
    /// Was anything handed over since the outermost drop began?
    static HANDED: Cell<bool> = const { Cell::new(false) };
}

/// Frees a container's children: `release(None)` drops them where they
/// are; `release(Some(out))` moves (or clones) its non-scalar children
/// into `out` instead, leaving nothing to free recursively.
#[inline]
pub(crate) fn dropping(release: impl FnOnce(Option<&mut Vec<Value>>)) {
    let depth = DEPTH.with(|d| d.replace(d.get() + 1));
    if depth < MAX_DEPTH {
        release(None);
    } else {
        hand_over(release);
    }
    if depth == 0 && HANDED.with(|h| h.replace(false)) {
        free_pending();
    }
    DEPTH.with(|d| d.set(depth));
}

#[cold]
#[inline(never)]
fn hand_over(release: impl FnOnce(Option<&mut Vec<Value>>)) {
    let mut out = Vec::new();
    release(Some(&mut out));
    HANDED.with(|h| h.set(true));
    // During the thread's own teardown the list may be gone: free here.
    if let Err(out) = PENDING.try_with(|p| p.borrow_mut().append(&mut out)).map_err(|_| out) {
        drop(out);
    }
}

/// Frees what deeper drops handed over, one value at a time (each may
/// hand over more).
#[cold]
#[inline(never)]
fn free_pending() {
    while let Some(v) = PENDING.try_with(|p| p.borrow_mut().pop()).ok().flatten() {
        drop(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A list, a map, a struct and a cell nested a million levels deep are
    /// freed on a thread with a 1 MiB stack (what memo assumes of a thread
    /// it knows nothing about).
    #[test]
    fn deep_values_free_on_a_small_stack() {
        let t = std::thread::Builder::new().stack_size(1 << 20).spawn(|| {
            let ty = std::sync::Arc::new(crate::value::StructType::new("P".into(), vec!["x".into()], false));
            for kind in 0..4 {
                let mut v = Value::Int(1);
                for _ in 0..1_000_000 {
                    v = match kind {
                        0 => Value::list_from(vec![v]),
                        1 => {
                            let mut m = crate::value::ValueMap::new();
                            m.insert(Value::Int(0), v);
                            Value::map(m)
                        }
                        2 => Value::new_struct(ty.clone(), vec![v].into_boxed_slice()),
                        _ => Value::cell(v),
                    };
                }
                drop(v);
            }
        });
        t.unwrap().join().unwrap();
    }
}
