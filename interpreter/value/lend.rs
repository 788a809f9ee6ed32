//! Lending: using a value, or the `Arc` of a function, without touching its
//! reference count. Calls are the hottest path of the evaluator, and two
//! atomic operations per captured value, per callee and per argument
//! slot were a large share of `fib`. These helpers are the only code that
//! makes such copies; their soundness rests on three rules, kept here:
//!
//! 1. **A lent copy never outlives its original and is never dropped**: it
//!    lives in a [`Lent`] (which forgets it) or in a frame slot that is
//!    overwritten with `none` before the frame is popped
//!    (`Interp::call_plain`'s `Lent` guard), also when a panic unwinds.
//! 2. **The original outlives the loan.** What is lent, and what keeps it:
//!    - a closure's captured values and the closure itself, lent into the
//!      slots of its frame for a call: the caller holds the closure for the
//!      call (`Interp::call_plain`);
//!    - a global function, native or type, lent as the callee of a call:
//!      `Interp::bury` keeps a replaced global alive while any such call is
//!      in progress (`Interp::lends` counts them; `codegen::call_code`),
//!      unless no code alive borrows that global (`names::lend_site`
//!      counts it; calls of a global that scripts assign take a reference
//!      count instead);
//!    - a function in a local slot, lent as the callee of a call when no
//!      argument can assign that slot (`codegen::writes_local`, checked when
//!      compiling): the slot keeps it until the call returns.
//! 3. **Nothing moves a value out of, or assigns, a slot holding a lent
//!    copy.** A function's own name cannot be assigned
//!    (`Compiler::resolve_target` rejects it: a compile error); a captured
//!    variable that closures assign is a box, and assignments write into
//!    the box, never the slot (`codegen::boxes`); the move-out paths of
//!    codegen are only for assignment targets, which are never capture
//!    slots.
//!
//! Code that takes the whole value stack out of the interpreter holds it in
//! `ManuallyDrop` (`cache::call`), so that a panic there leaks the lent
//! copies rather than drop them.

use super::Value;
use std::mem::ManuallyDrop;
use std::ops::Deref;
use std::sync::Arc;

/// A copy made without a reference count; never dropped (rule 1).
pub(crate) struct Lent<T>(ManuallyDrop<T>);

impl<T> Deref for Lent<T> {
    type Target = T;
    #[inline(always)]
    fn deref(&self) -> &T {
        &self.0
    }
}

/// A handle to `a`'s allocation that does not count as a reference.
///
/// # Safety
/// `a`'s allocation must outlive the returned handle (rule 2).
#[inline(always)]
pub(crate) unsafe fn lend_arc<T>(a: &Arc<T>) -> Lent<Arc<T>> {
    // SAFETY: `as_ptr` comes from a live `Arc`; the handle made from it is
    // never dropped (`ManuallyDrop`), so the count stays balanced, and the
    // caller guarantees the allocation outlives it.
    Lent(ManuallyDrop::new(unsafe { Arc::from_raw(Arc::as_ptr(a)) }))
}

/// A bitwise copy of `v` that does not count as a reference.
///
/// # Safety
/// `v` must outlive the copy (rule 2).
#[inline(always)]
pub(crate) unsafe fn lend_value(v: &Value) -> Lent<Value> {
    // SAFETY: the copy is never dropped (`ManuallyDrop`), and the caller
    // guarantees the original outlives it.
    Lent(ManuallyDrop::new(unsafe { std::ptr::read(v) }))
}

/// Writes a lent copy of `v` into `slot`, which must hold a scalar.
///
/// # Safety
/// `v` must outlive the copy, and the slot must be blanked with
/// [`forget_slot`] before it is dropped or reused (rules 1 to 3).
#[inline(always)]
pub(crate) unsafe fn lend_into(slot: &mut Value, v: &Value) {
    debug_assert!(slot.is_scalar(), "a lent copy overwrites only a scalar");
    // SAFETY: the slot holds a scalar, which owns nothing, so overwriting
    // it leaks nothing; the copy's lifetime is the caller's to keep.
    unsafe { std::ptr::write(slot, std::ptr::read(v)) }
}

/// Writes a lent copy of the closure `clo` (as a function value) into
/// `slot`, which must hold a scalar.
///
/// # Safety
/// As [`lend_into`].
#[inline(always)]
pub(crate) unsafe fn lend_fn_into(slot: &mut Value, clo: &Arc<super::Closure>) {
    debug_assert!(slot.is_scalar(), "a lent copy overwrites only a scalar");
    // SAFETY: as in `lend_arc` and `lend_into`.
    unsafe { std::ptr::write(slot, Value::Func(Arc::from_raw(Arc::as_ptr(clo)))) }
}

/// Blanks a slot that holds a lent copy, without dropping the copy.
///
/// # Safety
/// The slot must hold a lent copy (or a scalar).
#[inline(always)]
pub(crate) unsafe fn forget_slot(slot: &mut Value) {
    // SAFETY: the copy owns nothing of its own (rule 1); forgetting it
    // leaves its original's count as it was.
    unsafe { std::ptr::write(slot, Value::None) }
}

/// Truncates the stack to `base` when every value above it is a scalar,
/// skipping their drop glue; returns false (and does nothing) otherwise.
#[inline(always)]
pub(crate) fn truncate_scalars(stack: &mut Vec<Value>, base: usize) -> bool {
    if !stack[base..].iter().all(Value::is_scalar) {
        return false;
    }
    // SAFETY: `base <= len` (the slice above would have panicked
    // otherwise), and the values cut off are scalars, which own nothing,
    // so not running their drop glue leaks nothing.
    unsafe { stack.set_len(base) }
    true
}
