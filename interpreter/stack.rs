//! Stack-depth guard. memo recurses on the Rust stack (compiler, evaluator,
//! hashing), so every recursive step asks `near_overflow()` and turns a too
//! deep input into a memo error instead of a crash. The CLI runs scripts on a
//! thread with a large stack and calls `set_stack_size` there.

use std::cell::Cell;

thread_local! {
    /// Lowest stack address this thread may use (0: not yet known).
    static LIMIT: Cell<usize> = const { Cell::new(0) };
}

/// Room kept free below the limit for natives and error handling.
const MARGIN: usize = 256 * 1024;
/// Assumed stack size for threads that did not call `set_stack_size`.
const DEFAULT_SIZE: usize = 1024 * 1024;

#[inline(always)]
fn sp() -> usize {
    let x = 0u8;
    std::hint::black_box(&x) as *const u8 as usize
}

/// Declares that the current thread has `size` bytes of stack from about here.
pub fn set_stack_size(size: usize) {
    let here = sp();
    LIMIT.with(|l| l.set(here.saturating_sub(size.saturating_sub(MARGIN))));
}

/// Makes sure the current thread has a limit (assuming a small stack if the
/// host never said).
pub fn ensure_limit() {
    if LIMIT.with(|l| l.get()) == 0 {
        set_stack_size(DEFAULT_SIZE);
    }
}

/// True when the stack is nearly used up.
#[inline]
pub fn near_overflow() -> bool {
    let limit = LIMIT.with(|l| l.get());
    sp() < limit
}

/// Runs `f` on a new thread with a `size`-byte stack, with the guard set up.
pub fn run_with_stack<T: Send + 'static>(size: usize, f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .name("memo".into())
        .stack_size(size)
        .spawn(move || {
            set_stack_size(size);
            f()
        })
        .expect("spawning the interpreter thread")
        .join()
        .unwrap_or_else(|p| std::panic::resume_unwind(p))
}
