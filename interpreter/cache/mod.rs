//! The cache: key → (value, output hash, metadata), shared by every engine
//! and thread holding a clone of the same [`Cache`] handle.
//!
//! - `session`: the cache's side of one interpreter (its memoizer and state).
//! - `key`: how a call's key is built (code hash + argument hashes).
//! - `call`: the cached-call protocol (hit, miss, waits, warnings).
//! - `fast`: the hit memo.
//! - `explain`: why a call missed, for `--explain`.
//!
//! Where entries are kept: the memory tier is this module's store (decoded
//! values, LRU and TTL bookkeeping per function); below it, byte tiers
//! behind one seam (`tier::Tier`), asked in order by `tiers`: the local
//! database (`local`, SQLite) and a remote server (`redis_tier`). Entries
//! are encoded once for all of them (`entry`: framing and seal, `codec`:
//! key parts and facts, `value_codec`: values). `config` opens the tiers
//! the CLI and `Engine` ask for.

pub mod call;
mod codec;
pub mod config;
pub mod disk;
pub mod entry;
pub mod explain;
pub(crate) mod fast;
pub mod key;
pub mod local;
#[cfg(feature = "redis")]
pub mod redis_tier;
pub mod session;
pub(crate) mod spinner;
pub mod tier;
mod tiers;
pub mod trace;
pub mod value_codec;

pub use crate::interp::CachedFn;
pub use call::note_print;
pub use config::CacheConfig;
pub use session::{attach, session, Session};

use crate::value::{Hash32, Value};
use key::KeyParts;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

pub type Key = Hash32;

/// One stored result.
#[derive(Clone)]
pub struct Entry {
    pub value: Value,
    /// Hash of the value when stored (only for values with a mutable part,
    /// and not under `allow_output_mutation`): the output-mutation check.
    pub output_hash: Option<Hash32>,
    pub fn_name: Arc<str>,
    pub created: SystemTime,
    /// How long the miss took to compute.
    pub compute: Duration,
    /// The parts of the key, for `--explain`.
    pub parts: Arc<KeyParts>,
    /// What the call read while it ran (files, params, cached callees),
    /// verified before the entry is used (see `trace`); `None` for most.
    pub trace: trace::Facts,
    /// The facts of its whole subtree of calls, when it made calls.
    pub deep: trace::Facts,
    /// The call assigned globals or cells while it ran (see `trace`).
    pub wrote_state: bool,
    /// Earlier results of the same call, stored when what it read was
    /// different (a file edited back and forth): each with its own facts,
    /// verified in turn when this entry's do not hold. Newest first, at
    /// most `MAX_OLDER`; their own `older` is empty.
    pub older: Option<Arc<[Entry]>>,
    tick: u64,
}

/// How many earlier results an entry keeps (see `Entry::older`).
pub const MAX_OLDER: usize = 3;

/// Bookkeeping per function name.
#[derive(Default)]
struct FnBook {
    entries: usize,
    /// LRU order (only maintained for functions with `max_entries`).
    lru: BTreeMap<u64, Key>,
    /// The most recently stored or used key: what `--explain` compares with.
    latest: Option<Key>,
    /// Recently evicted keys (so `--explain` can say "evicted").
    evicted: VecDeque<Key>,
    /// Recently expired keys.
    expired: VecDeque<Key>,
    /// The byte tiers were asked for the latest entry's parts.
    latest_asked: bool,
    /// How long its latest miss took (from this process or an entry read):
    /// fast functions take no lease across processes.
    last_compute: Option<Duration>,
}

/// Keys are blake3 digests: their first 8 bytes are already a good hash.
#[derive(Default, Clone, Copy)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.0 ^= u64::from_le_bytes(b);
            if bytes.len() > 8 {
                // Only the first word matters for 32-byte keys; stop early.
                break;
            }
        }
    }
}

type KeyMap<V> = hashbrown::HashMap<Key, V, std::hash::BuildHasherDefault<KeyHasher>>;

#[derive(Default)]
struct Store {
    entries: KeyMap<Entry>,
    fns: HashMap<Arc<str>, FnBook>,
    tick: u64,
}

/// A miss being computed: later callers of the same key wait for it.
struct InFlight {
    owner: std::thread::ThreadId,
    done: Mutex<bool>,
    cv: Condvar,
}

struct Inner {
    store: Mutex<Store>,
    /// Changes whenever an entry is removed or replaced (not when one is
    /// added); see `fast`. Values are unique across all caches.
    generation: AtomicU64,
    inflight: Mutex<HashMap<Key, Arc<InFlight>>>,
    tiers: tiers::Tiers,
}

/// A shareable cache handle (`Clone + Send + Sync`).
#[derive(Clone)]
pub struct Cache {
    inner: Arc<Inner>,
}

impl Default for Cache {
    fn default() -> Self {
        Cache::memory()
    }
}

/// What a hit returns (the rest of the entry stays in the store).
pub struct Hit {
    pub value: Value,
    pub output_hash: Option<Hash32>,
    /// How long the miss that stored it took (the time this hit saved).
    pub compute: Duration,
    /// The entry's facts, to verify before using the value.
    pub trace: trace::Facts,
    pub deep: trace::Facts,
    /// The call that stored it assigned globals or cells.
    pub wrote_state: bool,
    /// The entry's earlier results (see `Entry::older`).
    pub older: Option<Arc<[Entry]>>,
}

/// What a lookup found.
pub enum Lookup {
    Hit(Hit),
    /// No entry; `why` says what the explanation can use.
    Miss(MissReason),
}

#[derive(Debug, Clone)]
pub enum MissReason {
    /// Nothing is known about this key.
    Unknown {
        latest: Option<Arc<KeyParts>>,
    },
    Expired,
    /// Removed as its function's least recently used (`max_entries`).
    Evicted,
    /// Removed to keep the cache within its size bound.
    EvictedSizeLimit,
    /// A tier's entry was damaged or refused (checksum, MAC, truncation,
    /// version): which tier, and why.
    Damaged(String),
    /// The entry's recorded facts no longer hold: why (see `trace`).
    Stale(String),
}

/// Hit/miss counts of one run, per function (for `memo watch`).
#[derive(Default, Clone, Debug)]
pub struct RunStats {
    pub hits: u64,
    pub misses: u64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

const REMEMBER: usize = 64;

/// A function whose last miss took less than this takes no lease across
/// processes for its next one.
const FAST_MISS: Duration = Duration::from_millis(10);

/// A generation number no cache has had before.
fn next_generation() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl Cache {
    /// An in-memory cache.
    pub fn memory() -> Cache {
        Cache {
            inner: Arc::new(Inner {
                store: Mutex::default(),
                generation: AtomicU64::new(next_generation()),
                inflight: Mutex::default(),
                tiers: tiers::Tiers::default(),
            }),
        }
    }

    /// An in-memory cache in front of a local database.
    pub fn with_disk(store: disk::DiskStore) -> Cache {
        let c = Cache::memory();
        c.set_disk(Some(store));
        c
    }

    /// The store's generation: equal readings mean no entry of this cache
    /// was removed or replaced in between.
    #[inline]
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    /// Marks that an entry was removed or replaced (call with the store locked).
    fn bump_generation(&self) {
        self.inner.generation.store(next_generation(), Ordering::Release);
    }

    /// Attaches (or replaces, or with `None` removes) the byte tiers with
    /// this local database alone.
    pub fn set_disk(&self, store: Option<disk::DiskStore>) {
        let tiers: Vec<Box<dyn tier::Tier>> = store.into_iter().map(|s| Box::new(s) as Box<dyn tier::Tier>).collect();
        self.set_tiers(tiers);
    }

    /// Replaces the byte tiers below memory (nearest first).
    pub fn set_tiers(&self, tiers: Vec<Box<dyn tier::Tier>>) {
        self.inner.tiers.set(tiers);
    }

    /// Seals (and checks) entries with a keyed MAC under `secret` instead of
    /// a checksum (`MEMO_CACHE_SECRET`); `None`: a checksum.
    pub fn set_secret(&self, secret: Option<&[u8]>) {
        self.inner.tiers.set_seal(match secret {
            Some(s) => entry::Seal::with_secret(s),
            None => entry::Seal::checksum(),
        });
    }

    /// The byte tiers' names, nearest first (empty: memory only).
    pub fn tier_names(&self) -> Vec<String> {
        self.inner.tiers.names()
    }

    /// Runs `f` on the nearest working byte tier (`None`: there is none, or
    /// it failed, with a warning).
    pub fn with_nearest_tier<T>(&self, f: impl FnOnce(&mut dyn tier::Tier) -> tier::TierResult<T>) -> Option<T> {
        self.inner.tiers.with_nearest(f)
    }

    /// Makes every write so far durable and visible to other processes
    /// (tiers batch their writes; this happens on a timer and when the
    /// cache is dropped too).
    pub fn flush(&self) {
        self.inner.tiers.flush();
    }

    /// Are there tier warnings waiting to be printed?
    #[inline]
    pub fn has_warnings(&self) -> bool {
        self.inner.tiers.has_warnings()
    }

    /// The tier warnings not printed yet (each tier warns once).
    pub fn take_warnings(&self) -> Vec<String> {
        self.inner.tiers.take_warnings()
    }

    /// Queues a warning for the next interpreter to print.
    pub fn warn(&self, msg: String) {
        self.inner.tiers.warn(msg);
    }

    /// Looks a key up in memory (then in the byte tiers when `disk_ok`).
    /// With `max_entries`, the entry found becomes the most recently used
    /// one of its function (an entry read from a lower tier joins the LRU
    /// order).
    pub fn lookup(&self, key: &Key, name: &Arc<str>, ttl: Option<Duration>, max_entries: Option<usize>, disk_ok: bool) -> Lookup {
        let lru = max_entries.is_some();
        {
            let mut st = lock(&self.inner.store);
            st.tick += 1;
            let tick = st.tick;
            if let Some(e) = st.entries.get_mut(key) {
                if let Some(ttl) = ttl {
                    if e.created.elapsed().unwrap_or_default() > ttl {
                        let old_tick = e.tick;
                        st.entries.remove(key);
                        self.bump_generation();
                        let book = st.fns.entry(name.clone()).or_default();
                        book.entries = book.entries.saturating_sub(1);
                        book.lru.remove(&old_tick);
                        remember(&mut book.expired, *key);
                        drop(st);
                        self.inner.tiers.remove(key, name, Some(tier::Removal::Expired));
                        return Lookup::Miss(MissReason::Expired);
                    }
                }
                let old_tick = e.tick;
                e.tick = tick;
                let found = Hit {
                    value: e.value.clone(),
                    output_hash: e.output_hash,
                    compute: e.compute,
                    trace: e.trace.clone(),
                    deep: e.deep.clone(),
                    older: e.older.clone(),
                    wrote_state: e.wrote_state,
                };
                if lru {
                    let book = st.fns.entry(name.clone()).or_default();
                    book.lru.remove(&old_tick);
                    book.lru.insert(tick, *key);
                }
                return Lookup::Hit(found);
            }
        }
        let mut removed = None;
        if disk_ok && self.inner.tiers.active() {
            match self.inner.tiers.get(key, name, max_entries) {
                tiers::Found::Entry(e) => {
                    if let Some(ttl) = ttl {
                        if e.created.elapsed().unwrap_or_default() > ttl {
                            self.inner.tiers.remove(key, name, Some(tier::Removal::Expired));
                            return Lookup::Miss(MissReason::Expired);
                        }
                    }
                    let hit = Hit {
                        value: e.value.clone(),
                        output_hash: e.output_hash,
                        compute: e.compute,
                        trace: e.trace.clone(),
                        deep: e.deep.clone(),
                        older: e.older.clone(),
                        wrote_state: e.wrote_state,
                    };
                    let evicted = self.insert_memory(*key, e, max_entries);
                    for k in &evicted {
                        self.inner.tiers.remove(k, name, Some(tier::Removal::MaxEntries));
                    }
                    return Lookup::Hit(hit);
                }
                tiers::Found::Damaged(why) => return Lookup::Miss(MissReason::Damaged(why)),
                tiers::Found::Absent(why) => removed = why,
            }
        }
        let mut st = lock(&self.inner.store);
        if let Some(b) = st.fns.get(name) {
            if b.evicted.contains(key) {
                return Lookup::Miss(MissReason::Evicted);
            }
            if b.expired.contains(key) {
                return Lookup::Miss(MissReason::Expired);
            }
        }
        match removed {
            Some(tier::Removal::MaxEntries) => return Lookup::Miss(MissReason::Evicted),
            Some(tier::Removal::SizeLimit) => return Lookup::Miss(MissReason::EvictedSizeLimit),
            Some(tier::Removal::Expired) => return Lookup::Miss(MissReason::Expired),
            None => {}
        }
        let book = st.fns.get(name);
        let latest = book.and_then(|b| b.latest).and_then(|k| st.entries.get(&k)).map(|e| e.parts.clone());
        if latest.is_some() || !disk_ok || !self.inner.tiers.active() {
            return Lookup::Miss(MissReason::Unknown { latest });
        }
        // Asked once per function: later misses compare with what this
        // process stores.
        let book = st.fns.entry(name.clone()).or_default();
        if std::mem::replace(&mut book.latest_asked, true) {
            return Lookup::Miss(MissReason::Unknown { latest: None });
        }
        drop(st);
        Lookup::Miss(MissReason::Unknown { latest: self.inner.tiers.latest_parts(name) })
    }

    /// Stores an entry in memory; evicts the least recently used entry of
    /// the function past `max_entries`.
    pub fn insert_memory(&self, key: Key, mut e: Entry, max_entries: Option<usize>) -> Vec<Key> {
        let mut st = lock(&self.inner.store);
        st.tick += 1;
        e.tick = st.tick;
        let name = e.fn_name.clone();
        let tick = e.tick;
        let compute = e.compute;
        let replaced = st.entries.insert(key, e);
        if replaced.is_some() {
            self.bump_generation();
        }
        let book = st.fns.entry(name.clone()).or_default();
        if let Some(old) = replaced {
            book.lru.remove(&old.tick);
        } else {
            book.entries += 1;
        }
        book.latest = Some(key);
        book.last_compute = Some(compute);
        book.evicted.retain(|k| *k != key);
        book.expired.retain(|k| *k != key);
        let mut evicted = Vec::new();
        if let Some(max) = max_entries {
            book.lru.insert(tick, key);
            if book.lru.len() < book.entries {
                // Entries stored while the fn had no `max_entries` (an earlier
                // declaration in this process) join the LRU order by their last
                // use, so the bound evicts them and not the entry just stored.
                let untracked: Vec<(u64, Key)> =
                    st.entries.iter().filter(|(_, e)| e.fn_name == name).map(|(k, e)| (e.tick, *k)).collect();
                let book = st.fns.get_mut(&name).expect("the book was just made");
                for (t, k) in untracked {
                    book.lru.insert(t, k);
                }
            }
            let book = st.fns.get_mut(&name).expect("the book was just made");
            while book.entries > max {
                let Some((_, k)) = book.lru.pop_first() else { break };
                evicted.push(k);
                book.entries -= 1;
                remember(&mut book.evicted, k);
            }
            for k in &evicted {
                st.entries.remove(k);
            }
            if !evicted.is_empty() {
                self.bump_generation();
            }
        }
        evicted
    }

    /// Stores a computed result in memory and (when allowed) writes it
    /// through to the byte tiers.
    pub fn store(&self, key: Key, e: Entry, max_entries: Option<usize>, persist: bool) {
        let to_tiers = if persist && self.inner.tiers.active() { Some(e.clone()) } else { None };
        let name = e.fn_name.clone();
        let evicted = self.insert_memory(key, e, max_entries);
        if self.inner.tiers.active() {
            for k in &evicted {
                self.inner.tiers.remove(k, &name, Some(tier::Removal::MaxEntries));
            }
        }
        if let Some(e) = to_tiers {
            self.inner.tiers.put(&key, &e, max_entries);
        }
    }

    /// The entry held in memory for a key, if any (no LRU or TTL effect).
    pub fn peek(&self, key: &Key) -> Option<Entry> {
        lock(&self.inner.store).entries.get(key).cloned()
    }

    /// The earlier result `i` of the entry `held` (still the one at `key`)
    /// was used: it becomes the entry's own result, and the others its
    /// earlier ones, so that a new state drops the least recently used
    /// result and not one just used. In memory only (the next store of the
    /// key writes the new order through). Nothing when the entry was
    /// replaced meanwhile.
    fn promote_older(&self, key: &Key, held: &Entry, i: usize) {
        let mut st = lock(&self.inner.store);
        let Some(e) = st.entries.get(key) else { return };
        if e.tick != held.tick {
            return;
        }
        let Some(found) = e.older.as_ref().and_then(|o| o.get(i)).cloned() else { return };
        let mut promoted = found.with_older(Some(e.clone()));
        // The same tick: the entry keeps its place in the LRU order.
        promoted.tick = held.tick;
        st.entries.insert(*key, promoted);
        // Earlier results are verified under their position (`older_memo_key`):
        // the positions changed.
        self.bump_generation();
    }

    /// Drops this process's copy of an entry (the byte tiers keep theirs):
    /// the next lookup reads it from them again.
    fn forget_memory(&self, key: &Key, name: &Arc<str>) {
        let mut st = lock(&self.inner.store);
        if let Some(old) = st.entries.remove(key) {
            self.bump_generation();
            if let Some(book) = st.fns.get_mut(name) {
                book.entries = book.entries.saturating_sub(1);
                book.lru.remove(&old.tick);
            }
        }
    }

    /// Removes one entry (from every tier), e.g. one whose facts no longer hold.
    pub fn remove_entry(&self, key: &Key, name: &Arc<str>) {
        self.forget_memory(key, name);
        if self.inner.tiers.active() {
            self.inner.tiers.remove(key, name, None);
        }
    }

    /// Entries currently held in memory for a function name.
    pub fn entries_of(&self, name: &str) -> usize {
        lock(&self.inner.store).fns.get(name).map(|b| b.entries).unwrap_or(0)
    }

    /// Forgets a function's entries (in every tier).
    pub fn clear_fn(&self, name: &str) {
        let mut st = lock(&self.inner.store);
        st.entries.retain(|_, e| &*e.fn_name != name);
        self.bump_generation();
        st.fns.remove(name);
        drop(st);
        self.inner.tiers.clear(Some(name));
    }

    /// Forgets everything (in every tier).
    pub fn clear_all(&self) {
        let mut st = lock(&self.inner.store);
        st.entries.clear();
        self.bump_generation();
        st.fns.clear();
        drop(st);
        self.inner.tiers.clear(None);
    }

    /// (function name, entries in memory) for every function with entries.
    pub fn memory_summary(&self) -> Vec<(String, usize)> {
        let st = lock(&self.inner.store);
        let mut v: Vec<(String, usize)> =
            st.fns.iter().filter(|(_, b)| b.entries > 0).map(|(n, b)| (n.to_string(), b.entries)).collect();
        v.sort();
        v
    }

    /// Claims the right to compute `key`. Returns `None` when this thread
    /// should compute (call `finish` after), or waits while another thread
    /// computes it and returns `Some(())` so the caller looks up again.
    pub fn claim(&self, key: &Key) -> Option<()> {
        let me = std::thread::current().id();
        let flight = {
            let mut inf = lock(&self.inner.inflight);
            match inf.get(key) {
                Some(f) if f.owner != me => f.clone(),
                Some(_) => return None,
                None => {
                    inf.insert(*key, Arc::new(InFlight { owner: me, done: Mutex::new(false), cv: Condvar::new() }));
                    return None;
                }
            }
        };
        let mut done = lock(&flight.done);
        while !*done {
            done = flight.cv.wait(done).unwrap_or_else(|e| e.into_inner());
        }
        Some(())
    }

    /// Is any byte tier (a cache directory, Redis) attached?
    pub fn has_tiers(&self) -> bool {
        self.inner.tiers.active()
    }

    /// Claims `key` for this thread (as `claim`) and, for an entry that
    /// goes to the byte tiers (`persist`), across processes: while another
    /// process computes it, waits for its entry. Returns `Some(())` when the
    /// caller should look the key up again, `None` when it computes (and
    /// calls `finish` after). Functions whose last miss was fast take no
    /// lease: computing them twice costs less than the lease.
    pub fn claim_shared(&self, key: &Key, name: &Arc<str>, persist: bool) -> Option<()> {
        if self.claim(key).is_some() {
            return Some(());
        }
        if !persist || !self.inner.tiers.active() {
            return None;
        }
        let fast = lock(&self.inner.store).fns.get(name).and_then(|b| b.last_compute).is_some_and(|t| t < FAST_MISS);
        if fast {
            return None;
        }
        match self.inner.tiers.claim(key, name) {
            tiers::Claimed::Compute => None,
            tiers::Claimed::LookAgain => {
                // Another process stored the key: what this process holds
                // of it is older.
                self.forget_memory(key, name);
                self.finish(key);
                Some(())
            }
        }
    }

    /// Ends a computation started by `claim` (successful or not), wakes
    /// waiters, and gives up the key's lease across processes.
    pub fn finish(&self, key: &Key) {
        if self.inner.tiers.active() {
            self.inner.tiers.release(key);
        }
        let me = std::thread::current().id();
        let flight = {
            let mut inf = lock(&self.inner.inflight);
            match inf.get(key) {
                Some(f) if f.owner == me => inf.remove(key),
                _ => None,
            }
        };
        if let Some(f) = flight {
            *lock(&f.done) = true;
            f.cv.notify_all();
        }
    }
}

fn remember(q: &mut VecDeque<Key>, k: Key) {
    if q.len() >= REMEMBER {
        q.pop_front();
    }
    q.push_back(k);
}

impl Entry {
    pub fn new(value: Value, output_hash: Option<Hash32>, fn_name: Arc<str>, compute: Duration, parts: Arc<KeyParts>) -> Entry {
        Entry {
            value,
            output_hash,
            fn_name,
            created: SystemTime::now(),
            compute,
            parts,
            trace: None,
            deep: None,
            wrote_state: false,
            older: None,
            tick: 0,
        }
    }

    /// The entry keeping `prev` (the entry it replaces, if its facts no
    /// longer held) and `prev`'s own earlier results as its earlier results.
    pub fn with_older(mut self, prev: Option<Entry>) -> Entry {
        let Some(mut prev) = prev else { return self };
        if self.trace.is_none() || prev.trace.is_none() {
            return self;
        }
        let mut older: Vec<Entry> = Vec::with_capacity(MAX_OLDER);
        let prev_older = prev.older.take();
        // One result per state of what the call read: an earlier result
        // read exactly what a newer one did is dropped.
        let mut seen = vec![self.facts_id()];
        for e in std::iter::once(prev).chain(prev_older.iter().flat_map(|o| o.iter().cloned())) {
            let id = e.facts_id();
            if older.len() < MAX_OLDER && !seen.contains(&id) {
                seen.push(id);
                older.push(e);
            }
        }
        self.older = if older.is_empty() { None } else { Some(older.into()) };
        self
    }

    /// Stands for what the entry's call read (its deep facts, or its own).
    fn facts_id(&self) -> u64 {
        trace::facts_id(self.deep.as_deref().or(self.trace.as_deref()).unwrap_or(&[]))
    }

    /// The entry with these earlier results (as read back from a store).
    pub fn with_earlier(mut self, older: Vec<Entry>) -> Entry {
        self.older = if older.is_empty() { None } else { Some(older.into()) };
        self
    }

    /// The entry with what its call read, and whether it assigned state.
    pub fn with_trace(mut self, trace: Vec<trace::Fact>, deep: Option<Vec<trace::Fact>>, wrote_state: bool) -> Entry {
        self.trace = if trace.is_empty() { None } else { Some(trace.into()) };
        self.deep = deep.map(Arc::from);
        self.wrote_state = wrote_state;
        self
    }

    pub fn with_created(mut self, t: SystemTime) -> Entry {
        self.created = t;
        self
    }
}
