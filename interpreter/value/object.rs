//! Mutable objects: instances of `mut struct` types (`Value::Obj`) and
//! cells (`Value::Cell`), the only values that change in place and have an
//! identity.
//!
//! **Who may touch the content.** An object is *owned* by the interpreter
//! that made it (its `state` holds that interpreter's id) until it is
//! *shared*: handed to the cache, to the host, or stored into an object
//! that is already shared (`share`). Only the owner reads and writes an
//! owned object's content, without a lock: a value reachable only from
//! one interpreter is only used by the one thread running it (an
//! `Interp` is used through `&mut`). A shared object's content is read and
//! written by anyone, under the object's lock (`state` goes from `SHARED`
//! to `LOCKED` and back). An object owned by another interpreter (a host
//! that moved a value between engines behind their back) cannot be read:
//! accessors return `None` and the language reports an error. So no access
//! races, whoever holds the `Arc`: the rule is checked on every access, not
//! assumed (see `Guarded::with`).
//!
//! Only the owner changes `state` away from its own id (to `SHARED`, with
//! a release store), so an owner that reads its own id may go ahead, and
//! a thread that reads `SHARED` with an acquire sees every write the owner
//! made before sharing it.
//!
//! **Dropping.** A chain of objects (a linked list a million nodes long)
//! would free itself recursively and overflow the stack; an object's
//! content is therefore freed by the outermost object drop on the thread,
//! one object at a time (`Deferred`, Python's "trashcan").
//!
//! Cycles between objects are freed by the interpreter's collector
//! (`interp::collect`), which only ever looks at objects its interpreter
//! owns.

use super::{StructType, Value};
use std::cell::{Cell, RefCell, UnsafeCell};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// `state` of a shared object whose lock is free.
const SHARED: u64 = 0;
/// `state` of a shared object whose lock is held.
const LOCKED: u64 = u64::MAX;
/// The reader of code that runs outside any interpreter: never an owner.
const NOBODY: u64 = u64::MAX - 1;

/// Who is reading or writing: an interpreter (by its id) or nobody in
/// particular (host code, `Display`), who may only touch shared objects.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Reader(u64);

impl Reader {
    /// Outside any interpreter.
    pub const NOBODY: Reader = Reader(NOBODY);

    /// The interpreter with this id (from `new_owner_id`).
    #[inline(always)]
    pub(crate) fn of(id: u64) -> Reader {
        debug_assert!(id != SHARED && id < NOBODY);
        Reader(id)
    }

    pub(crate) fn id(self) -> u64 {
        self.0
    }
}

/// A fresh interpreter id (1, 2, 3 ...: never `SHARED`, `LOCKED` or
/// `NOBODY`).
pub(crate) fn new_owner_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

thread_local! {
    /// The interpreter running on this thread, if any (`enter`).
    static CURRENT: Cell<u64> = const { Cell::new(NOBODY) };
}

/// The reader for code that has no interpreter at hand (printing through
/// `Display`, error messages): the interpreter running on this thread, or
/// nobody.
#[inline]
pub fn reader() -> Reader {
    Reader(CURRENT.try_with(Cell::get).unwrap_or(NOBODY))
}

/// Marks the interpreter `id` as the one running on this thread until the
/// guard is dropped (runs nest: the previous one comes back).
pub(crate) fn enter(id: u64) -> EnterGuard {
    EnterGuard(CURRENT.with(|c| c.replace(id)))
}

pub(crate) struct EnterGuard(u64);

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let _ = CURRENT.try_with(|c| c.set(self.0));
    }
}

/// Content behind the access rule of the module comment.
struct Guarded<T> {
    state: AtomicU64,
    data: UnsafeCell<T>,
}

// SAFETY: the content is only reached through `with` (or `&mut self`),
// which lets one thread at a time in: the owner (an interpreter, used by
// one thread at a time) without a lock, anyone else under the lock once
// the owner has shared the object. `T` itself is `Send` (values are).
unsafe impl<T: Send> Sync for Guarded<T> {}

/// Releases the lock of a shared object, also if the closure panics.
struct Unlock<'a>(&'a AtomicU64);

impl Drop for Unlock<'_> {
    fn drop(&mut self) {
        self.0.store(SHARED, Ordering::Release);
    }
}

impl<T> Guarded<T> {
    fn new(owner: u64, data: T) -> Self {
        Guarded { state: AtomicU64::new(owner), data: UnsafeCell::new(data) }
    }

    /// Runs `f` on the content when `me` may touch it now: `me` owns it
    /// (no lock), or it is shared (under the lock). `None` when another
    /// interpreter owns it. `f` must not touch this object again (it holds
    /// the only reference to the content, or the lock).
    #[inline(always)]
    fn with<R>(&self, me: Reader, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        if self.state.load(Ordering::Relaxed) == me.0 {
            // SAFETY: `me` owns the object (the module comment): only this
            // interpreter, on this thread, touches the content, and `f`
            // does not re-enter it, so this is the only reference.
            return Some(f(unsafe { &mut *self.data.get() }));
        }
        self.with_locked(f)
    }

    #[cold]
    #[inline(never)]
    fn with_locked<R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        let mut spins = 0u32;
        loop {
            match self.state.compare_exchange_weak(SHARED, LOCKED, Ordering::Acquire, Ordering::Relaxed) {
                Ok(_) => {
                    let _unlock = Unlock(&self.state);
                    // SAFETY: the lock is held: no other thread is in here,
                    // and `f` does not re-enter this object.
                    return Some(f(unsafe { &mut *self.data.get() }));
                }
                Err(LOCKED) | Err(SHARED) => {
                    // Held by another thread for a few instructions (or a
                    // spurious failure): wait.
                    spins += 1;
                    if spins > 64 {
                        std::thread::yield_now();
                    } else {
                        std::hint::spin_loop();
                    }
                }
                Err(_) => return None,
            }
        }
    }

    /// Does `me` own the object (so that it may read it without a lock)?
    #[inline]
    fn owned_by(&self, me: Reader) -> bool {
        self.state.load(Ordering::Relaxed) == me.0
    }

    /// Shares an object `me` owns; true when it was `me`'s (its content
    /// must then be shared too).
    fn share(&self, me: Reader) -> bool {
        if self.state.load(Ordering::Relaxed) == me.0 {
            self.state.store(SHARED, Ordering::Release);
            true
        } else {
            false
        }
    }

    fn is_shared(&self) -> bool {
        matches!(self.state.load(Ordering::Acquire), SHARED | LOCKED)
    }

    /// The content, for the owner (the collector reads it in place).
    ///
    /// # Safety
    /// `me` must own the object, and nothing may change it while the
    /// reference lives.
    unsafe fn peek(&self) -> &T {
        // SAFETY: the caller's promise.
        unsafe { &*self.data.get() }
    }
}

// ---------------------------------------------------------------------------

/// An instance of a `mut struct` type.
pub struct MutObj {
    pub ty: Arc<StructType>,
    slots: Guarded<Box<[Value]>>,
}

impl MutObj {
    /// A new object owned by `owner` (the interpreter registers it for its
    /// collector, see `Interp::new_obj`).
    pub(crate) fn new(ty: Arc<StructType>, fields: Box<[Value]>, owner: Reader) -> MutObj {
        MutObj { ty, slots: Guarded::new(owner.0, fields) }
    }

    /// A new shared object (made outside any interpreter).
    pub fn new_shared(ty: Arc<StructType>, fields: Box<[Value]>) -> MutObj {
        MutObj { ty, slots: Guarded::new(SHARED, fields) }
    }

    /// Field `i` (`None`: not readable by `me`, or no such field).
    #[inline(always)]
    pub fn get(&self, me: Reader, i: usize) -> Option<Value> {
        if self.slots.owned_by(me) {
            // SAFETY: `me` owns the object (see `Guarded::with`); the
            // reference ends with the clone.
            let fs = unsafe { &*self.slots.data.get() };
            return fs.get(i).map(Value::clone_fast);
        }
        self.get_shared(me, i)
    }

    #[cold]
    #[inline(never)]
    fn get_shared(&self, me: Reader, i: usize) -> Option<Value> {
        self.slots.with(me, |f| f.get(i).map(Value::clone_fast)).flatten()
    }

    /// Every field, in order.
    pub fn fields(&self, me: Reader) -> Option<Vec<Value>> {
        self.slots.with(me, |f| f.to_vec())
    }

    /// Runs `f` on field `i` (`None`: not `me`'s to touch). `f` must not
    /// touch this object; a value it stores must already be shared when
    /// the object is (see `store`).
    #[inline(always)]
    pub(crate) fn with_field<R>(&self, me: Reader, i: usize, f: impl FnOnce(&mut Value) -> R) -> Option<R> {
        self.slots.with(me, |fs| fs.get_mut(i).map(f)).flatten()
    }

    /// Runs `f` on field `i`, read in place, when `me` owns the object;
    /// `None` otherwise (another reader takes the lock through `get`).
    /// `f` must not write this object (reading it again is fine: shared
    /// references nest, as `get`'s do).
    #[inline(always)]
    pub(crate) fn read_owned_field<R>(&self, me: Reader, i: usize, f: impl FnOnce(&Value) -> R) -> Option<R> {
        if !self.slots.owned_by(me) {
            return None;
        }
        // SAFETY: `me` owns the object (see `Guarded::with`), so no other
        // thread touches it, and nothing writes it while `f` runs (above).
        let fs = unsafe { &*self.slots.data.get() };
        fs.get(i).map(f)
    }

    /// Runs `f` on field `i` when `me` owns the object (no lock to take:
    /// the hot path of `o.f op= v`); `None` otherwise.
    #[inline(always)]
    pub(crate) fn with_owned_field<R>(&self, me: Reader, i: usize, f: impl FnOnce(&mut Value) -> R) -> Option<R> {
        if !self.slots.owned_by(me) {
            return None;
        }
        // SAFETY: `me` owns the object (see `Guarded::with`), and `f` does
        // not touch it again: this is the only reference to the content.
        let fs = unsafe { &mut *self.slots.data.get() };
        fs.get_mut(i).map(f)
    }

    /// Sets field `i` to `v`; the old value is returned (to be dropped by
    /// the caller). `Err(v)` when `me` may not write it.
    #[inline(always)]
    pub fn set(&self, me: Reader, i: usize, v: Value) -> Result<Value, Value> {
        if self.slots.owned_by(me) {
            // SAFETY: `me` owns the object (see `Guarded::with`); this is
            // the only reference to the content while it lives.
            let fs = unsafe { &mut *self.slots.data.get() };
            return match fs.get_mut(i) {
                Some(slot) => Ok(std::mem::replace(slot, v)),
                None => Err(v),
            };
        }
        self.set_shared(me, i, v)
    }

    #[cold]
    fn set_shared(&self, me: Reader, i: usize, v: Value) -> Result<Value, Value> {
        // What a shared object holds is shared: another thread may read it.
        share(&v, me);
        let mut v = Some(v);
        match self.slots.with(me, |fs| fs.get_mut(i).map(|slot| std::mem::replace(slot, v.take().unwrap_or_default()))) {
            Some(Some(old)) => Ok(old),
            _ => Err(v.unwrap_or_default()),
        }
    }

    /// Is `me` its owner (content readable without the lock)?
    #[inline]
    pub fn owned_by(&self, me: Reader) -> bool {
        self.slots.owned_by(me)
    }

    /// Has it been shared (with the cache, the host or another thread)?
    pub fn is_shared(&self) -> bool {
        self.slots.is_shared()
    }

    /// The fields, read in place by their owner.
    ///
    /// # Safety
    /// `me` owns the object and nothing changes it meanwhile.
    pub(crate) unsafe fn peek(&self) -> &[Value] {
        // SAFETY: the caller's promise.
        unsafe { self.slots.peek() }
    }

    /// Takes every field out (the collector breaking a cycle); `None` when
    /// `me` does not own it.
    pub(crate) fn clear(&self, me: Reader) -> Option<Vec<Value>> {
        if !self.slots.owned_by(me) {
            return None;
        }
        self.slots.with(me, |fs| fs.iter_mut().map(std::mem::take).collect())
    }

    /// Identity (what `id(x)` returns).
    pub fn identity(self: &Arc<Self>) -> usize {
        Arc::as_ptr(self) as usize
    }
}

impl Drop for MutObj {
    fn drop(&mut self) {
        let fields = std::mem::take(self.slots.data.get_mut());
        if fields.iter().all(Value::is_scalar) {
            return;
        }
        drop_later(Deferred::Fields(fields));
    }
}

/// The mutable container of one value.
pub struct CellObj {
    slot: Guarded<Value>,
}

impl CellObj {
    pub(crate) fn new(v: Value, owner: Reader) -> CellObj {
        CellObj { slot: Guarded::new(owner.0, v) }
    }

    /// A new shared cell (made outside any interpreter).
    pub fn new_shared(v: Value) -> CellObj {
        CellObj { slot: Guarded::new(SHARED, v) }
    }

    /// The content (`None`: not readable by `me`).
    #[inline(always)]
    pub fn get(&self, me: Reader) -> Option<Value> {
        if self.slot.owned_by(me) {
            // SAFETY: as in `MutObj::get`.
            return Some(unsafe { &*self.slot.data.get() }.clone_fast());
        }
        self.get_shared(me)
    }

    #[cold]
    #[inline(never)]
    fn get_shared(&self, me: Reader) -> Option<Value> {
        self.slot.with(me, |v| v.clone_fast())
    }

    /// Replaces the content; the old one is returned (to be dropped by the
    /// caller), `Err(v)` when `me` may not write it.
    #[inline(always)]
    pub fn set(&self, me: Reader, v: Value) -> Result<Value, Value> {
        if self.slot.owned_by(me) {
            // SAFETY: `me` owns the cell (see `Guarded::with`); this is the
            // only reference to the content while it lives.
            return Ok(std::mem::replace(unsafe { &mut *self.slot.data.get() }, v));
        }
        self.set_shared(me, v)
    }

    #[cold]
    fn set_shared(&self, me: Reader, v: Value) -> Result<Value, Value> {
        share(&v, me);
        let mut v = Some(v);
        match self.slot.with(me, |slot| std::mem::replace(slot, v.take().unwrap_or_default())) {
            Some(old) => Ok(old),
            None => Err(v.unwrap_or_default()),
        }
    }

    /// Runs `f` on the content (see `MutObj::with_field`).
    #[inline(always)]
    pub(crate) fn with<R>(&self, me: Reader, f: impl FnOnce(&mut Value) -> R) -> Option<R> {
        self.slot.with(me, f)
    }

    #[inline]
    pub fn owned_by(&self, me: Reader) -> bool {
        self.slot.owned_by(me)
    }

    pub fn is_shared(&self) -> bool {
        self.slot.is_shared()
    }

    /// # Safety
    /// As `MutObj::peek`.
    pub(crate) unsafe fn peek(&self) -> &Value {
        // SAFETY: the caller's promise.
        unsafe { self.slot.peek() }
    }

    /// Takes the content out (the collector breaking a cycle).
    pub(crate) fn clear(&self, me: Reader) -> Option<Value> {
        if !self.slot.owned_by(me) {
            return None;
        }
        self.slot.with(me, std::mem::take)
    }
}

impl Drop for CellObj {
    fn drop(&mut self) {
        let v = std::mem::take(self.slot.data.get_mut());
        if !v.is_scalar() {
            drop_later(Deferred::One(v));
        }
    }
}

// ---------------------------------------------------------------------------

/// Content of a dropped object, freed by the outermost object drop (held
/// only to be dropped).
#[allow(dead_code)]
enum Deferred {
    Fields(Box<[Value]>),
    One(Value),
}

thread_local! {
    /// Is an object drop running on this thread (so that nested ones only
    /// queue their content)?
    static DROPPING: Cell<bool> = const { Cell::new(false) };
    static QUEUE: RefCell<Vec<Deferred>> = const { RefCell::new(Vec::new()) };
}

/// Frees `d` now if no object drop is running on this thread, else queues
/// it for the one that is: a chain of objects is freed in a loop, not by
/// recursion.
fn drop_later(d: Deferred) {
    let nested = DROPPING.try_with(|f| f.replace(true));
    match nested {
        Ok(false) => {
            drop(d);
            // Whatever the drop queued, freed here one at a time.
            while let Some(next) = QUEUE.with(|q| q.borrow_mut().pop()) {
                drop(next);
            }
            DROPPING.with(|f| f.set(false));
        }
        Ok(true) => {
            // (Should the queue be gone, the closure drops `d` in place.)
            let _ = QUEUE.try_with(move |q| q.borrow_mut().push(d));
        }
        // The thread is ending (its thread-locals are gone): free it here.
        Err(_) => drop(d),
    }
}

// ---------------------------------------------------------------------------

/// Shares every object `me` owns that is reachable from `v` (through
/// lists, maps, structs, closures' captured values, objects and cells), so
/// that `v` may be handed to the cache, the host or another thread. Stops
/// at objects already shared (what they hold is shared), and walks only
/// containers that may hold an object (`may_mutate`), each once (a value
/// sharing its parts, `x = [x, x]` forty times, costs what its memory
/// holds, not 2^40). Iterative: no depth limit.
pub fn share(v: &Value, me: Reader) {
    if !v.may_mutate() {
        return;
    }
    let mut todo: Vec<Value> = vec![v.clone()];
    let mut seen: std::collections::HashSet<usize> = std::collections::HashSet::new();
    while let Some(v) = todo.pop() {
        let container = match &v {
            Value::List(l) => Some(crate::value::UArc::as_ptr(l) as *const u8 as usize),
            Value::Map(m) => Some(crate::value::UArc::as_ptr(m) as *const u8 as usize),
            Value::Struct(s) => Some(crate::value::UArc::as_ptr(s) as *const u8 as usize),
            Value::Func(f) => Some(Arc::as_ptr(f) as *const u8 as usize),
            _ => None,
        };
        if container.is_some_and(|at| !seen.insert(at)) {
            continue;
        }
        match &v {
            // (`share` is true when `me` owned it until now; its content
            // is read under the lock like any shared object's.)
            Value::Obj(o) if o.slots.share(me) => {
                o.slots.with(me, |fs| todo.extend(fs.iter().filter(|x| x.may_mutate()).cloned()));
            }
            Value::Cell(c) if c.slot.share(me) => {
                c.slot.with(me, |inner| {
                    if inner.may_mutate() {
                        todo.push(inner.clone());
                    }
                });
            }
            Value::List(l) if l.may_mutate => todo.extend(l.iter().filter(|x| x.may_mutate()).cloned()),
            Value::Map(m) if m.may_mutate => todo.extend(m.map.values().filter(|x| x.may_mutate()).cloned()),
            Value::Struct(s) if s.may_mutate => todo.extend(s.fields.iter().filter(|x| x.may_mutate()).cloned()),
            Value::Func(f) => todo.extend(f.captures.iter().filter(|x| x.may_mutate()).cloned()),
            _ => {}
        }
    }
}

/// The error of reading or writing a cell another interpreter owns (a
/// host moved it between engines).
#[cold]
pub(crate) fn foreign_cell() -> crate::error::MemoError {
    crate::error::MemoError::new(
        "ValueError",
        "this cell belongs to another interpreter (share it through the cache or the host API)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty() -> Arc<StructType> {
        Arc::new(StructType::new("Node".into(), vec!["v".into(), "next".into()], true))
    }

    #[test]
    fn owner_reads_others_do_not_until_shared() {
        let (a, b) = (Reader::of(new_owner_id()), Reader::of(new_owner_id()));
        let o = Arc::new(MutObj::new(ty(), vec![Value::Int(1), Value::None].into(), a));
        assert_eq!(o.get(a, 0).map(|v| matches!(v, Value::Int(1))), Some(true));
        assert!(o.get(b, 0).is_none());
        assert!(o.get(Reader::NOBODY, 0).is_none());
        assert!(o.set(b, 0, Value::Int(5)).is_err());
        share(&Value::Obj(o.clone()), a);
        assert!(o.is_shared());
        assert!(o.set(b, 0, Value::Int(5)).is_ok());
        assert!(matches!(o.get(a, 0), Some(Value::Int(5))));
        assert!(matches!(o.get(Reader::NOBODY, 0), Some(Value::Int(5))));
    }

    #[test]
    fn storing_into_a_shared_object_shares_the_value() {
        let a = Reader::of(new_owner_id());
        let shared = Arc::new(MutObj::new(ty(), vec![Value::Int(1), Value::None].into(), a));
        share(&Value::Obj(shared.clone()), a);
        let mine = Arc::new(CellObj::new(Value::Int(2), a));
        let list = Value::list_from(vec![Value::Cell(mine.clone())]);
        assert!(!mine.is_shared());
        assert!(shared.set(a, 1, list).is_ok(), "shared objects are writable");
        assert!(mine.is_shared());
    }

    #[test]
    fn a_long_chain_drops_without_recursion() {
        let a = Reader::of(new_owner_id());
        let mut head = Value::None;
        for i in 0..1_000_000 {
            head = Value::Obj(Arc::new(MutObj::new(ty(), vec![Value::Int(i), head].into(), a)));
        }
        drop(head);
    }

    #[test]
    fn shared_objects_are_used_from_many_threads() {
        let a = Reader::of(new_owner_id());
        let o = Arc::new(MutObj::new(ty(), vec![Value::Int(0), Value::None].into(), a));
        share(&Value::Obj(o.clone()), a);
        std::thread::scope(|s| {
            for _ in 0..4 {
                let o = o.clone();
                s.spawn(move || {
                    let me = Reader::of(new_owner_id());
                    for _ in 0..10_000 {
                        o.with_field(me, 0, |v| {
                            if let Value::Int(n) = v {
                                *n += 1;
                            }
                        })
                        .expect("shared");
                    }
                });
            }
        });
        assert!(matches!(o.get(a, 0), Some(Value::Int(40_000))));
    }
}
