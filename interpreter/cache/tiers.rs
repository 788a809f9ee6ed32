//! The byte tiers below the memory tier, in order (nearest first: the
//! local database, then a remote server), as `Cache` uses them.
//!
//! - A read asks each tier in turn; the first entry that decodes and
//!   verifies is the answer, and the nearer tiers are filled with its
//!   bytes. A damaged entry is removed from its tier and the next tier is
//!   asked.
//! - A write encodes the entry once and writes the bytes through to every
//!   tier that takes entries that big.
//! - A tier whose operation fails is left out, with one warning (naming it
//!   and the error), and the call goes on as if it had missed. It is tried
//!   again after a second, then after twice as long each time it fails
//!   again (at most a minute): a server that comes back (Redis restarted)
//!   serves again, with a note, and a cache that lives for hours in an
//!   embedding program does not lose its shared tier to one outage.
//!   Warnings wait in a queue for an interpreter to print them on its
//!   error output (`session::report_tier_warnings`).
//! - Leases: one computation per key across processes. The farthest tier
//!   with leases is asked; while another process holds the key, the caller
//!   polls (with backoff) for the entry, and takes the lease over when it
//!   is released or expires. Held leases are renewed by a timer thread,
//!   which also flushes batched writes.

use super::entry::{self, Seal};
use super::key::KeyParts;
use super::tier::{Got, Lease, Meta, Removal, Tier, TierResult};
use super::{Entry, Key};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

/// How long a lease lasts without renewal (a killed holder blocks others
/// this long at most; on the same host, not at all).
const LEASE_TTL: Duration = Duration::from_secs(10);
/// How often held leases are renewed.
const RENEW_EVERY: Duration = Duration::from_secs(2);
/// Batched writes older than this are flushed by the timer.
const FLUSH_AFTER: Duration = Duration::from_millis(100);
/// A lease held this long is released with a flush (someone may be waiting).
const URGENT_AFTER: Duration = Duration::from_millis(20);

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The first wait before a failed tier is tried again, and the longest.
const RETRY_FIRST: Duration = Duration::from_secs(1);
const RETRY_MAX: Duration = Duration::from_secs(60);

/// Nanoseconds since the first call (a clock that fits in an atomic; a
/// retry time is this plus at least `RETRY_FIRST`, so never 0).
fn now_nanos() -> u64 {
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// One tier and whether it works.
struct Slot {
    tier: Mutex<Box<dyn Tier>>,
    name: String,
    /// 0 while the tier works; after a failure, when (`now_nanos`) to try
    /// it again.
    retry_at: AtomicU64,
    /// The wait after the last failure (ns; doubled at each failure in a row).
    backoff: AtomicU64,
}

impl Slot {
    fn new(tier: Box<dyn Tier>) -> Slot {
        Slot { name: tier.describe(), tier: Mutex::new(tier), retry_at: AtomicU64::new(0), backoff: AtomicU64::new(0) }
    }

    /// Working, or due to be tried again.
    #[inline]
    fn usable(&self) -> bool {
        let at = self.retry_at.load(Ordering::Relaxed);
        at == 0 || now_nanos() >= at
    }
}

/// What the tiers hold under a key.
pub(crate) enum Found {
    Entry(Entry),
    /// Every tier that had bytes for it had damaged or foreign bytes.
    Damaged(String),
    Absent(Option<Removal>),
}

/// What a claim of a key's lease came to.
pub(crate) enum Claimed {
    /// Compute it (holding the lease, or no tier has leases).
    Compute,
    /// Another process stored it (or gave up its lease): look it up again.
    LookAgain,
}

struct Held {
    slot: Arc<Slot>,
    since: Instant,
}

struct Shared {
    slots: RwLock<Vec<Arc<Slot>>>,
    seal: RwLock<Seal>,
    /// This cache's name in lease rows: `<pid>@<host>#<nonce>`.
    owner: String,
    held: Mutex<HashMap<Key, Held>>,
    /// The fingerprint of the bytes last read or written for each key: a
    /// claim compares what the tiers hold with it, to tell another
    /// process's new result from the entry this process already rejected.
    seen: Mutex<HashMap<Key, [u8; 32]>>,
    warnings: Mutex<Vec<String>>,
    has_warnings: AtomicBool,
    timer: AtomicBool,
}

/// The byte tiers of one cache.
pub(crate) struct Tiers {
    shared: Arc<Shared>,
    /// Any tier attached (read without a lock by the memory-only path).
    active: AtomicBool,
}

impl Default for Tiers {
    fn default() -> Self {
        static NONCE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let nonce = NONCE.fetch_add(1, Ordering::Relaxed);
        Tiers {
            shared: Arc::new(Shared {
                slots: RwLock::default(),
                seal: RwLock::default(),
                owner: format!("{}@{}#{nonce}", std::process::id(), super::local::hostname()),
                held: Mutex::default(),
                seen: Mutex::default(),
                warnings: Mutex::default(),
                has_warnings: AtomicBool::new(false),
                timer: AtomicBool::new(false),
            }),
            active: AtomicBool::new(false),
        }
    }
}

impl Shared {
    fn slots(&self) -> Vec<Arc<Slot>> {
        self.slots.read().unwrap_or_else(|e| e.into_inner()).iter().filter(|s| s.usable()).cloned().collect()
    }

    fn warn(&self, msg: String) {
        lock(&self.warnings).push(msg);
        self.has_warnings.store(true, Ordering::Release);
    }

    /// Runs `f` on a working tier (or one due to be tried again). An error
    /// leaves the tier out until its next try, with a warning when it
    /// worked until then; success after failures brings it back, with a note.
    fn run<T>(&self, slot: &Slot, f: impl FnOnce(&mut dyn Tier) -> TierResult<T>) -> Option<T> {
        if !slot.usable() {
            return None;
        }
        let mut t = lock(&slot.tier);
        let was_down = slot.retry_at.load(Ordering::Relaxed) != 0;
        match f(&mut **t) {
            Ok(v) => {
                if was_down && slot.retry_at.swap(0, Ordering::Relaxed) != 0 {
                    slot.backoff.store(0, Ordering::Relaxed);
                    self.warn(format!("note: cache tier {} works again", slot.name));
                }
                Some(v)
            }
            Err(e) => {
                // A broken connection is not used again: the next try
                // connects anew.
                t.disconnect();
                let last = slot.backoff.load(Ordering::Relaxed);
                let wait = if last == 0 { RETRY_FIRST.as_nanos() as u64 } else { (last * 2).min(RETRY_MAX.as_nanos() as u64) };
                slot.backoff.store(wait, Ordering::Relaxed);
                slot.retry_at.store(now_nanos() + wait, Ordering::Relaxed);
                if !was_down {
                    self.warn(format!("warning: cache tier {} failed ({e}); continuing without it", slot.name));
                }
                None
            }
        }
    }

    fn flush_all(&self, only_due: bool) {
        for s in self.slots() {
            if only_due && !lock(&s.tier).wants_flush(FLUSH_AFTER) {
                continue;
            }
            self.run(&s, |t| t.flush());
        }
    }

    fn renew(&self) {
        let by_slot: Vec<(Arc<Slot>, Vec<Key>)> = {
            let held = lock(&self.held);
            let mut v: Vec<(Arc<Slot>, Vec<Key>)> = Vec::new();
            for (k, h) in held.iter() {
                match v.iter_mut().find(|(s, _)| Arc::ptr_eq(s, &h.slot)) {
                    Some((_, keys)) => keys.push(*k),
                    None => v.push((h.slot.clone(), vec![*k])),
                }
            }
            v
        };
        for (slot, keys) in by_slot {
            self.run(&slot, |t| t.renew(&keys, &self.owner, LEASE_TTL));
        }
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        let held: Vec<(Key, Held)> = lock(&self.held).drain().collect();
        for (k, h) in held {
            self.run(&h.slot, |t| t.release(&k, &self.owner, false));
        }
        self.flush_all(false);
    }
}

/// Flushes batched writes and renews leases while the cache lives.
fn timer(weak: Weak<Shared>) {
    let mut last_renew = Instant::now();
    loop {
        std::thread::sleep(FLUSH_AFTER / 2);
        let Some(shared) = weak.upgrade() else { return };
        shared.flush_all(true);
        if last_renew.elapsed() >= RENEW_EVERY {
            last_renew = Instant::now();
            shared.renew();
        }
    }
}

impl Tiers {
    /// Is any byte tier attached?
    #[inline]
    pub fn active(&self) -> bool {
        self.active.load(Ordering::Relaxed)
    }

    /// Replaces the tiers (nearest first).
    pub fn set(&self, tiers: Vec<Box<dyn Tier>>) {
        let slots: Vec<Arc<Slot>> = tiers.into_iter().map(|t| Arc::new(Slot::new(t))).collect();
        let any = !slots.is_empty();
        let old = std::mem::replace(&mut *self.shared.slots.write().unwrap_or_else(|e| e.into_inner()), slots);
        for s in old {
            self.shared.run(&s, |t| t.flush());
        }
        self.active.store(any, Ordering::Relaxed);
        if any && !self.shared.timer.swap(true, Ordering::Relaxed) {
            let weak = Arc::downgrade(&self.shared);
            let _ = std::thread::Builder::new().name("memo-cache-timer".into()).spawn(move || timer(weak));
        }
    }

    pub fn set_seal(&self, seal: Seal) {
        *self.shared.seal.write().unwrap_or_else(|e| e.into_inner()) = seal;
    }

    fn seal(&self) -> Seal {
        self.shared.seal.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The tiers' names, nearest first (failed ones included).
    pub fn names(&self) -> Vec<String> {
        self.shared.slots.read().unwrap_or_else(|e| e.into_inner()).iter().map(|s| s.name.clone()).collect()
    }

    /// Runs `f` on the nearest working tier.
    pub fn with_nearest<T>(&self, f: impl FnOnce(&mut dyn Tier) -> TierResult<T>) -> Option<T> {
        let s = self.shared.slots().into_iter().next()?;
        self.shared.run(&s, f)
    }

    /// Queues a warning for the next interpreter to print.
    pub fn warn(&self, msg: String) {
        self.shared.warn(msg);
    }

    #[inline]
    pub fn has_warnings(&self) -> bool {
        self.shared.has_warnings.load(Ordering::Relaxed)
    }

    pub fn take_warnings(&self) -> Vec<String> {
        self.shared.has_warnings.store(false, Ordering::Relaxed);
        std::mem::take(&mut *lock(&self.shared.warnings))
    }

    /// Looks a key up, nearest tier first, filling nearer tiers.
    pub fn get(&self, key: &Key, name: &str, max_entries: Option<usize>) -> Found {
        let slots = self.shared.slots();
        let seal = self.seal();
        let mut removal = None;
        let mut damaged: Option<String> = None;
        for (i, s) in slots.iter().enumerate() {
            let Some(got) = self.shared.run(s, |t| t.get(key, name)) else { continue };
            let bytes = match got {
                Got::Bytes(b) => b,
                Got::Absent(why) => {
                    removal = removal.or(why);
                    continue;
                }
            };
            match entry::decode(&bytes, Some((name, key)), &seal) {
                Ok(e) => {
                    lock(&self.shared.seen).insert(*key, fingerprint(&bytes));
                    let label = super::explain::call_label(name, &e.parts);
                    let meta = Meta { fn_name: name, label: &label, created: e.created, compute: e.compute, max_entries };
                    for nearer in &slots[..i] {
                        if nearer_takes(nearer, bytes.len()) {
                            self.shared.run(nearer, |t| t.put(key, &meta, &bytes));
                        }
                    }
                    return Found::Entry(e);
                }
                Err(why) => {
                    self.shared.run(s, |t| t.remove(key, name, None));
                    damaged.get_or_insert(format!("{}: {why}", s.name));
                }
            }
        }
        match damaged {
            Some(why) => Found::Damaged(why),
            None => Found::Absent(removal),
        }
    }

    /// Writes an entry through to every tier.
    pub fn put(&self, key: &Key, e: &Entry, max_entries: Option<usize>) {
        let slots = self.shared.slots();
        if slots.is_empty() {
            return;
        }
        let bytes = entry::encode(key, e, &self.seal());
        lock(&self.shared.seen).insert(*key, fingerprint(&bytes));
        let label = super::explain::call_label(&e.fn_name, &e.parts);
        let meta = Meta { fn_name: &e.fn_name, label: &label, created: e.created, compute: e.compute, max_entries };
        for s in &slots {
            if nearer_takes(s, bytes.len()) {
                self.shared.run(s, |t| t.put(key, &meta, &bytes));
            }
        }
    }

    pub fn remove(&self, key: &Key, name: &str, why: Option<Removal>) {
        for s in self.shared.slots() {
            self.shared.run(&s, |t| t.remove(key, name, why));
        }
    }

    /// Removes a function's entries (or all) from every tier.
    pub fn clear(&self, name: Option<&str>) {
        for s in self.shared.slots() {
            self.shared.run(&s, |t| t.clear(name));
        }
    }

    /// The key parts of the function's latest entry in a tier.
    pub fn latest_parts(&self, name: &str) -> Option<Arc<KeyParts>> {
        let seal = self.seal();
        for s in self.shared.slots() {
            if let Some(Some(bytes)) = self.shared.run(&s, |t| t.latest(name)) {
                if let Ok((n, parts)) = entry::decode_parts(&bytes, &seal) {
                    if n == name {
                        return Some(Arc::new(parts));
                    }
                }
            }
        }
        None
    }

    /// Makes every batched write durable and visible.
    pub fn flush(&self) {
        self.shared.flush_all(false);
    }

    /// Claims `key` across processes: waits while another process holds
    /// it. Without a tier with leases, computes at once.
    pub fn claim(&self, key: &Key, name: &str) -> Claimed {
        let owner = &self.shared.owner;
        // The version of the key this process last read or wrote (none: its
        // lookup found nothing in the tiers). An entry the caller found and
        // rejected (its facts no longer hold) must not count as another
        // process's result, or the caller would look again forever.
        let before = lock(&self.shared.seen).get(key).copied();
        let changed = || {
            let now = self.stored(key, name);
            now.is_some() && now != before
        };
        // The farthest tier with leases decides (it is shared the widest).
        for s in self.shared.slots().iter().rev() {
            let mut backoff = Duration::from_millis(2);
            while let Some(Some(answer)) = self.shared.run(s, |t| t.claim(key, owner, LEASE_TTL)) {
                match answer {
                    Lease::Granted => {
                        // It may have been stored just before we claimed.
                        if changed() {
                            self.shared.run(s, |t| t.release(key, owner, true));
                            return Claimed::LookAgain;
                        }
                        lock(&self.shared.held).insert(*key, Held { slot: s.clone(), since: Instant::now() });
                        return Claimed::Compute;
                    }
                    Lease::Held(_) => {
                        std::thread::sleep(backoff);
                        backoff = (backoff * 2).min(Duration::from_millis(100));
                        if changed() {
                            return Claimed::LookAgain;
                        }
                    }
                }
            }
        }
        Claimed::Compute
    }

    /// A fingerprint of the bytes the nearest tier holding `key` has.
    fn stored(&self, key: &Key, name: &str) -> Option<[u8; 32]> {
        self.shared.slots().iter().find_map(|s| match self.shared.run(s, |t| t.get(key, name)) {
            Some(Got::Bytes(b)) => Some(fingerprint(&b)),
            _ => None,
        })
    }

    /// Gives up the lease on `key`, if this cache holds it.
    pub fn release(&self, key: &Key) {
        let Some(h) = lock(&self.shared.held).remove(key) else { return };
        let urgent = h.since.elapsed() >= URGENT_AFTER;
        if urgent {
            // Waiters look for the entry: make what was stored visible first.
            self.flush();
        }
        self.shared.run(&h.slot, |t| t.release(key, &self.shared.owner, urgent));
    }
}

/// Identifies one stored version of an entry: its header holds the time it
/// was stored and the seal over all of it, so hashing the header suffices.
fn fingerprint(bytes: &[u8]) -> [u8; 32] {
    *blake3::hash(&bytes[..bytes.len().min(256)]).as_bytes()
}

fn nearer_takes(s: &Slot, len: usize) -> bool {
    lock(&s.tier).max_entry_bytes().map_or(true, |m| len <= m)
}
