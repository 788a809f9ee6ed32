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
//! (`interp::budget`). The `memo` binary installs it over mimalloc:
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

/// Is [`Counting`] the global allocator? (An allocation moves the count.)
pub fn is_counting() -> bool {
    let before = thread_net();
    let probe = std::hint::black_box(Box::new(std::hint::black_box(0u64)));
    let after = thread_net();
    drop(probe);
    after != before
}
