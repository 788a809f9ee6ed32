//! Copy-on-write of a value's `Arc` without an atomic read-modify-write.
//!
//! `Arc::make_mut` and `Arc::get_mut` decide "unshared?" with an atomic
//! compare-exchange (guarding against a `Weak` being upgraded at the same
//! moment). memo never makes `Weak` references to values, so two plain loads
//! decide it: one strong count and no weak one mean the `&mut Arc` in hand
//! is the only way to reach the value, and no other thread can obtain a new
//! handle. The acquire fence orders the write after the last release by a
//! former co-owner (its final drop). The same reasoning, and code, as
//! `triomphe::Arc::get_mut`; a `Weak` a host makes is seen and takes the
//! standard path. perf put the compare-exchange at ~7 % of the
//! `lists` benchmark (`xs = push(xs, i)`).

use std::sync::atomic::{fence, Ordering};
use std::sync::Arc;

/// One strong and no weak reference. memo never makes a `Weak` to a value,
/// so the weak count is always zero and the strong load, then the acquire
/// fence, decide. The weak count is still read on both sides of the strong
/// one, each after a fence, so that a `Weak` a host might make of a
/// `Value`'s public `Arc`s (upgraded and dropped, or made and its strong
/// handle dropped, in another thread) is seen and the standard path taken.
#[inline(always)]
fn is_unique<T>(a: &Arc<T>) -> bool {
    if Arc::weak_count(a) != 0 {
        return false;
    }
    fence(Ordering::Acquire);
    if Arc::strong_count(a) != 1 {
        return false;
    }
    fence(Ordering::Acquire);
    Arc::weak_count(a) == 0
}

/// `Arc::get_mut`, by loads.
#[inline(always)]
pub fn get_mut<T>(a: &mut Arc<T>) -> Option<&mut T> {
    if is_unique(a) {
        // SAFETY: see the module comment: this handle is the only one, and
        // `&mut` on it excludes every other borrow of the value. `as_ptr`
        // carries the allocation's write permission (it is derived from
        // the `Arc`'s raw pointer, not from a shared reference).
        Some(unsafe { &mut *(Arc::as_ptr(a) as *mut T) })
    } else {
        None
    }
}

/// `Arc::make_mut`, by loads when the value is unshared.
#[inline(always)]
pub fn make_mut<T: Clone>(a: &mut Arc<T>) -> &mut T {
    if is_unique(a) {
        // SAFETY: as in `get_mut`.
        return unsafe { &mut *(Arc::as_ptr(a) as *mut T) };
    }
    Arc::make_mut(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_in_place_only_when_unshared() {
        let mut a = Arc::new(vec![1]);
        let p = Arc::as_ptr(&a);
        make_mut(&mut a).push(2);
        assert_eq!(Arc::as_ptr(&a), p);
        let b = a.clone();
        make_mut(&mut a).push(3);
        assert_ne!(Arc::as_ptr(&a), p);
        assert_eq!((*a).clone(), vec![1, 2, 3]);
        assert_eq!((*b).clone(), vec![1, 2]);
        let mut c = b.clone();
        assert!(get_mut(&mut c).is_none());
        drop(b);
        assert!(get_mut(&mut c).is_some());
    }
}
