//! The `memo` binary: see `memo --help`.

#![deny(clippy::undocumented_unsafe_blocks)]
#![deny(unsafe_op_in_unsafe_fn)]

use libmimalloc_sys as mi;
use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

/// Scripts allocate and free many small strings, map nodes and list chunks;
/// mimalloc serves those faster than the system allocator (the library leaves
/// the choice of allocator to its embedder). Its transparent-huge-page
/// advice stays on: a script that builds big lists or many records otherwise
/// spends a fifth to a third of its time in the kernel's 4 KiB page faults
/// (docs/performance.md, item 22).
///
/// The `mimalloc` crate's allocator calls `mi_malloc_aligned` for every
/// request, ~55 instructions against ~25 for `mi_malloc` (callgrind: a
/// string of `"k" + str(i)` is two allocations). Nearly every Rust request
/// has an alignment of 8 or less, which `mi_malloc` always gives; 16 it
/// gives to sizes that are multiples of 16 (mimalloc's
/// `mi_malloc_is_naturally_aligned`). Anything else takes the aligned calls.
struct MiMalloc;

#[inline(always)]
fn natural(align: usize, size: usize) -> bool {
    align <= 8 || (align <= 16 && size % 16 == 0)
}

// SAFETY: each method forwards to the mimalloc function with the same
// contract; blocks from any of them are freed by `mi_free`.
unsafe impl GlobalAlloc for MiMalloc {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if natural(layout.align(), layout.size()) {
            // SAFETY: forwarded from the `GlobalAlloc` method with its contract.
            unsafe { mi::mi_malloc(layout.size()) as *mut u8 }
        } else {
            // SAFETY: forwarded from the `GlobalAlloc` method with its contract.
            unsafe { mi::mi_malloc_aligned(layout.size(), layout.align()) as *mut u8 }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if natural(layout.align(), layout.size()) {
            // SAFETY: forwarded from the `GlobalAlloc` method with its contract.
            unsafe { mi::mi_zalloc(layout.size()) as *mut u8 }
        } else {
            // SAFETY: forwarded from the `GlobalAlloc` method with its contract.
            unsafe { mi::mi_zalloc_aligned(layout.size(), layout.align()) as *mut u8 }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: forwarded from the `GlobalAlloc` method with its contract.
        unsafe { mi::mi_free(ptr as *mut c_void) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // mimalloc's own rule for `mi_realloc_aligned`: up to the word size
        // a plain realloc keeps the alignment.
        if layout.align() <= 8 {
            // SAFETY: forwarded from the `GlobalAlloc` method with its contract.
            unsafe { mi::mi_realloc(ptr as *mut c_void, new_size) as *mut u8 }
        } else {
            // SAFETY: forwarded from the `GlobalAlloc` method with its contract.
            unsafe { mi::mi_realloc_aligned(ptr as *mut c_void, new_size, layout.align()) as *mut u8 }
        }
    }
}

/// Counted (per thread, see `memo::alloc`) so that `--max-memory` can stop a
/// script that holds too much.
#[global_allocator]
static GLOBAL: memo::alloc::Counting<MiMalloc> = memo::alloc::Counting::new(MiMalloc);

mod cli;
mod repl;
mod watch;

fn main() {
    std::process::exit(cli::main());
}
