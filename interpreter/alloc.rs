//! Memory accounting for the memory limit (`--max-memory`,
//! `Limits::max_memory`).
//!
//! Rust gives a library no say over the allocator, so the library provides
//! one for its embedder to install: [`Counting`] wraps any global allocator
//! and keeps, per thread, the bytes allocated minus the bytes freed on that
//! thread. An interpreter runs a script on one thread, so the growth of
//! that count since the run started is what the script holds (what it
//! allocated and did not free; values it freed that were made before the
//! run count in its favour). The interpreter compares it with the limit
//! every 1,024 operations and before the big allocations of natives
//! (`interp::budget`) and of operators with no interpreter at hand (`s * n`,
//! `xs * n`: [`check_room`]). The `memo` binary installs it over mimalloc:
//!
//! ```ignore
//! #[global_allocator]
//! static GLOBAL: memo::alloc::Counting<std::alloc::System> = memo::alloc::Counting::new(std::alloc::System);
//! ```
//!
//! Without it, a memory limit cannot be enforced and a run that sets one
//! fails at once (a `LimitError` saying so) rather than run unbounded.
//! Memory the C libraries allocate themselves (SQLite's page cache) is not
//! counted.

use std::alloc::{GlobalAlloc, Layout};
use std::cell::Cell;

thread_local! {
    /// Bytes allocated minus bytes freed on this thread. No destructor and a
    /// constant initializer: reading it from the allocator never allocates
    /// and is valid for the whole life of the thread.
    static NET: Cell<isize> = const { Cell::new(0) };
    /// The memory limit of the run on this thread: its count at the start
    /// and the limit (`None`: no limit), for code that has no interpreter
    /// at hand (`check_room`).
    static LIMIT: Cell<Option<(isize, usize)>> = const { Cell::new(None) };
    /// Did `check_room` refuse an allocation in this run?
    static REFUSED: Cell<bool> = const { Cell::new(false) };
}

#[inline(always)]
fn add(n: isize) {
    NET.with(|c| c.set(c.get().wrapping_add(n)));
}

/// A global allocator that counts, per thread, the bytes it hands out and
/// takes back; see the module docs.
pub struct Counting<A>(A);

impl<A> Counting<A> {
    pub const fn new(inner: A) -> Counting<A> {
        Counting(inner)
    }
}

// SAFETY: every method forwards to the inner allocator with the same
// arguments and returns its result unchanged; the counting touches only a
// thread-local integer.
//
// Each method counts before it forwards, so the forwarding is a tail call
// (two instructions per allocation and free in all). A request that fails
// is counted as if it had succeeded; Rust's collections then abort the
// process (`handle_alloc_error`), and memo makes no fallible requests.
unsafe impl<A: GlobalAlloc> GlobalAlloc for Counting<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(layout.size() as isize);
        // SAFETY: forwarded unchanged: the caller upholds `GlobalAlloc`'s
        // contract for this call, which is the inner allocator's.
        unsafe { self.0.alloc(layout) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        add(layout.size() as isize);
        // SAFETY: forwarded unchanged: the caller upholds `GlobalAlloc`'s
        // contract for this call, which is the inner allocator's.
        unsafe { self.0.alloc_zeroed(layout) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add(-(layout.size() as isize));
        // SAFETY: forwarded unchanged: the caller upholds `GlobalAlloc`'s
        // contract for this call, which is the inner allocator's.
        unsafe { self.0.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add(new_size as isize - layout.size() as isize);
        // SAFETY: forwarded unchanged: the caller upholds `GlobalAlloc`'s
        // contract for this call, which is the inner allocator's.
        unsafe { self.0.realloc(ptr, layout, new_size) }
    }
}

/// Bytes allocated minus bytes freed on the current thread so far (0 when
/// [`Counting`] is not the global allocator).
#[inline]
pub fn thread_net() -> isize {
    NET.with(|c| c.get())
}

/// Counts on the current thread `bytes` that another thread allocated
/// (minus what it freed) for it: the values a decoding thread made and
/// handed over (`cache::value_codec`), which this thread now holds and
/// will free.
pub(crate) fn adopt(bytes: isize) {
    NET.with(|c| c.set(c.get() + bytes));
}

/// Starts the memory limit of a run on this thread: `max` bytes beyond
/// what the thread holds now (`None`: no limit).
pub(crate) fn start_limit(max: Option<usize>) {
    LIMIT.with(|l| l.set(max.map(|m| (thread_net(), m))));
    REFUSED.with(|r| r.set(false));
}

/// A run's limit (its start count and the limit) and whether `check_room`
/// refused an allocation in it.
pub(crate) type LimitState = (Option<(isize, usize)>, bool);

/// The limit state of the run on this thread, to put back with
/// [`restore_limit`] when a run started inside it (a host's engine run from
/// a native, on the same thread) ends.
pub(crate) fn save_limit() -> LimitState {
    (LIMIT.with(|l| l.get()), REFUSED.with(|r| r.get()))
}

pub(crate) fn restore_limit(saved: LimitState) {
    LIMIT.with(|l| l.set(saved.0));
    REFUSED.with(|r| r.set(saved.1));
}

/// Bytes the run on this thread holds now (0 without a limit).
fn held(base: isize) -> usize {
    thread_net().saturating_sub(base).max(0) as usize
}

/// Before making a value of about `bytes` bytes in one go (`s * n`, a
/// padded string): an error if the run's memory limit would not allow it.
/// For code with no interpreter at hand; the refusal ends the run as the
/// interpreter's own check does (`was_refused`).
pub(crate) fn check_room(bytes: usize) -> Result<(), crate::error::MemoError> {
    match LIMIT.with(|l| l.get()) {
        Some((base, max)) if held(base).saturating_add(bytes) > max => {
            REFUSED.with(|r| r.set(true));
            Err(limit_error(max, held(base), bytes))
        }
        _ => Ok(()),
    }
}

/// Has `check_room` refused an allocation since the run started?
pub(crate) fn was_refused() -> bool {
    REFUSED.with(|r| r.get())
}

/// The error of a memory limit of `max` bytes with `held` held and `more`
/// more asked for.
pub(crate) fn limit_error(max: usize, held: usize, more: usize) -> crate::error::MemoError {
    let what = if more > 0 { format!("{held} bytes held, {more} more asked for") } else { format!("{held} bytes held") };
    crate::error::MemoError::new("LimitError", format!("memory limit of {max} bytes exceeded ({what})"))
}

/// Is [`Counting`] the global allocator? (An allocation moves the count.)
pub fn is_counting() -> bool {
    let before = thread_net();
    let probe = std::hint::black_box(Box::new(std::hint::black_box(0u64)));
    let after = thread_net();
    drop(probe);
    after != before
}
