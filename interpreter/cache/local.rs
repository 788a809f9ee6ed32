//! The local tier: one SQLite database in the cache directory, shared by
//! every `memo run` on the machine (docs/cache-format.md).
//!
//! ```text
//! DIR/CACHEDIR.TAG       marks the folder as a cache for backup tools
//! DIR/v4/cache.db        the database (WAL mode: cache.db-wal, cache.db-shm beside it)
//! ```
//!
//! - WAL with `synchronous=NORMAL`: readers never wait for the writer, and
//!   a commit does not sync; a power loss may lose the last commits, never
//!   make an entry wrong (each entry is sealed, `cache::entry`).
//! - Writes are batched: puts, removals, uses (for LRU) and lease releases
//!   queue in memory and are written in one transaction by `flush`, which
//!   the cache calls on a timer, at exit, before a lease is released that
//!   someone may wait for, and when the queue holds many bytes. Reads look
//!   at the queue first.
//! - `max_entries` per function, the byte budget (least recently used
//!   first, down to 90 %) and `ttl` (on read, by the cache) remove entries
//!   with a recorded reason (`removed`), so that a later run's `--explain`
//!   says why a call missed.
//! - A lease row per key being computed (`leases`), with an expiry the
//!   holder renews; a holder that died on this machine is seen at once.
//! - Directories of older formats (`DIR/v1`, `DIR/v2`) are never read;
//!   `memo cache clear` removes them.

use super::tier::{FnTierStats, Got, Lease, Listed, Meta, Removal, StorageError, Tier, TierResult};
use super::Key;
use rusqlite::{params, Connection, OptionalExtension};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Default size bound of a cache directory.
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;
/// The database schema's version (`PRAGMA user_version`).
const SCHEMA: i64 = 3;
/// Queued bytes that make a put flush at once.
const FLUSH_BYTES: usize = 32 << 20;
/// How many removal reasons are kept.
const REMEMBER_REMOVED: i64 = 10_000;

const SCHEMA_SQL: &str = "
CREATE TABLE IF NOT EXISTS entries(
    id INTEGER PRIMARY KEY,
    key BLOB NOT NULL UNIQUE,
    fn TEXT NOT NULL,
    label TEXT NOT NULL,
    created INTEGER NOT NULL,
    used INTEGER NOT NULL,
    compute INTEGER NOT NULL,
    size INTEGER NOT NULL
);
-- The bytes, apart: recording a use rewrites a small row, not the entry.
CREATE TABLE IF NOT EXISTS data(id INTEGER PRIMARY KEY, bytes BLOB NOT NULL);
-- Per function, by last use: max_entries, and the latest entry for --explain.
CREATE INDEX IF NOT EXISTS entries_fn_used ON entries(fn, used);
CREATE TABLE IF NOT EXISTS removed(key BLOB PRIMARY KEY, fn TEXT NOT NULL, reason INTEGER NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS removed_at ON removed(at);
CREATE TABLE IF NOT EXISTS leases(key BLOB PRIMARY KEY, owner TEXT NOT NULL, expires INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS totals(id INTEGER PRIMARY KEY CHECK (id = 0), bytes INTEGER NOT NULL, entries INTEGER NOT NULL);
INSERT OR IGNORE INTO totals VALUES (0, 0, 0);
-- Inserts add to the totals once per flush (write_queue); every deletion
-- goes through this.
CREATE TRIGGER IF NOT EXISTS entries_del AFTER DELETE ON entries BEGIN
    UPDATE totals SET bytes = bytes - old.size, entries = entries - 1 WHERE id = 0;
    DELETE FROM data WHERE id = old.id;
END;
";

/// A write waiting for the next flush.
enum Op {
    Put {
        key: Key,
        fn_name: String,
        label: String,
        created: i64,
        used: i64,
        compute: i64,
        bytes: Vec<u8>,
        max_entries: Option<usize>,
    },
    Remove {
        key: Key,
        fn_name: String,
        why: Option<Removal>,
    },
    Touch {
        key: Key,
        used: i64,
    },
    Release {
        key: Key,
        owner: String,
    },
}

/// A cache directory's database.
pub struct LocalTier {
    dir: PathBuf,
    conn: Connection,
    max_bytes: u64,
    queue: Vec<Op>,
    /// Keys with a queued put (its index in `queue`) or removal (`None`).
    overlay: HashMap<Key, Option<usize>>,
    queued_bytes: usize,
    queued_since: Option<Instant>,
    flushes: u64,
    /// The last `used` stamp given (stamps strictly increase).
    last_used: i64,
}

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

fn ms_time(ms: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64)
}

impl LocalTier {
    /// Opens (creating if needed) the database of a cache directory.
    pub fn open(dir: &Path, max_bytes: u64) -> std::io::Result<LocalTier> {
        Self::try_open(dir, max_bytes).map_err(std::io::Error::other)
    }

    fn try_open(dir: &Path, max_bytes: u64) -> TierResult<LocalTier> {
        let root = dir.join(format!("v{}", super::entry::FORMAT_VERSION));
        std::fs::create_dir_all(&root)?;
        let tag = dir.join("CACHEDIR.TAG");
        if !tag.exists() {
            let _ = std::fs::write(
                &tag,
                "Signature: 8a477f597d28d172789f06886806bc55\n# memo cache directory (memo cache clear empties it)\n",
            );
        }
        let path = root.join("cache.db");
        let conn = match open_db(&path) {
            Ok(c) => c,
            Err(e) if is_damaged(&e) => {
                // A damaged database is a cache lost, not an error: start anew.
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(root.join(format!("cache.db{suffix}")));
                }
                open_db(&path)?
            }
            Err(e) => return Err(e.into()),
        };
        Ok(LocalTier {
            dir: dir.to_path_buf(),
            conn,
            max_bytes,
            queue: Vec::new(),
            overlay: HashMap::new(),
            queued_bytes: 0,
            queued_since: None,
            flushes: 0,
            last_used: 0,
        })
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Bytes the entries take (as counted for the budget).
    pub fn total_bytes(&mut self) -> TierResult<u64> {
        self.flush()?;
        let b: i64 = self.conn.query_row("SELECT bytes FROM totals WHERE id = 0", [], |r| r.get(0))?;
        Ok(b.max(0) as u64)
    }

    fn stamp(&mut self) -> i64 {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as i64).unwrap_or(0);
        self.last_used = now.max(self.last_used + 1);
        self.last_used
    }

    fn enqueue(&mut self, op: Op) {
        if self.queued_since.is_none() {
            self.queued_since = Some(Instant::now());
        }
        self.queue.push(op);
    }

    /// Writes the queue in one transaction.
    fn write_queue(&mut self) -> TierResult<()> {
        let queue = std::mem::take(&mut self.queue);
        self.overlay.clear();
        self.queued_bytes = 0;
        self.queued_since = None;
        self.flushes += 1;
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let now = now_ms();
        let mut limited: Vec<(String, usize)> = Vec::new();
        let (mut added_bytes, mut added) = (0i64, 0i64);
        for op in &queue {
            match op {
                Op::Put { key, fn_name, label, created, used, compute, bytes, max_entries } => {
                    let size = (bytes.len() + label.len() + fn_name.len() + 64) as i64;
                    // The bytes first: the entry's row takes their id.
                    tx.prepare_cached("INSERT INTO data(bytes) VALUES (?1)")?.execute(params![bytes])?;
                    let id = tx.last_insert_rowid();
                    let insert = |tx: &rusqlite::Transaction| -> rusqlite::Result<usize> {
                        tx.prepare_cached(
                            "INSERT INTO entries(id, key, fn, label, created, used, compute, size) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                             ON CONFLICT DO NOTHING",
                        )?
                        .execute(params![id, &key[..], fn_name, label, created, used, compute, size])
                    };
                    if insert(&tx)? == 0 {
                        // Stored before (by another process): replace it (the
                        // deletion takes its size off the totals, and its bytes).
                        tx.prepare_cached("DELETE FROM entries WHERE key = ?1")?.execute(params![&key[..]])?;
                        if insert(&tx)? == 0 {
                            return Err(StorageError::Refused("an entry could not be stored".into()));
                        }
                    }
                    added_bytes += size;
                    added += 1;
                    if let Some(max) = max_entries {
                        if !limited.iter().any(|(f, _)| f == fn_name) {
                            limited.push((fn_name.clone(), *max));
                        }
                    }
                }
                Op::Remove { key, fn_name, why } => {
                    tx.prepare_cached("DELETE FROM entries WHERE key = ?1")?.execute(params![&key[..]])?;
                    match why {
                        Some(w) => tx
                            .prepare_cached("INSERT OR REPLACE INTO removed(key, fn, reason, at) VALUES (?1, ?2, ?3, ?4)")?
                            .execute(params![&key[..], fn_name, w.code(), now])?,
                        None => tx.prepare_cached("DELETE FROM removed WHERE key = ?1")?.execute(params![&key[..]])?,
                    };
                }
                Op::Touch { key, used } => {
                    tx.prepare_cached("UPDATE entries SET used = ?2 WHERE key = ?1")?.execute(params![&key[..], used])?;
                }
                Op::Release { key, owner } => {
                    tx.prepare_cached("DELETE FROM leases WHERE key = ?1 AND owner = ?2")?.execute(params![&key[..], owner])?;
                }
            }
        }
        if added > 0 {
            tx.prepare_cached("UPDATE totals SET bytes = bytes + ?1, entries = entries + ?2 WHERE id = 0")?
                .execute(params![added_bytes, added])?;
        }
        for (fn_name, max) in limited {
            let n: i64 =
                tx.prepare_cached("SELECT count(*) FROM entries WHERE fn = ?1")?.query_row(params![fn_name], |r| r.get(0))?;
            if n > max as i64 {
                evict(&tx, Some(&fn_name), (n - max as i64) as usize, u64::MAX, Removal::MaxEntries, now)?;
            }
        }
        let total: i64 = tx.query_row("SELECT bytes FROM totals WHERE id = 0", [], |r| r.get(0))?;
        if total.max(0) as u64 > self.max_bytes {
            let target = self.max_bytes / 10 * 9;
            evict(&tx, None, usize::MAX, total as u64 - target, Removal::SizeLimit, now)?;
        }
        if self.flushes % 64 == 1 {
            tx.execute(
                // Older than the 10,000th newest (and a few more kept when
                // several share its time): one walk of the index.
                "DELETE FROM removed WHERE at < (SELECT at FROM removed ORDER BY at DESC LIMIT 1 OFFSET ?1)",
                params![REMEMBER_REMOVED - 1],
            )?;
            tx.execute("DELETE FROM leases WHERE expires < ?1", params![now - 60_000])?;
        }
        tx.commit().map_err(StorageError::from)
    }
}

/// Removes the least recently used entries (of one function, or of all)
/// until `count` are gone or `bytes` freed, recording why.
fn evict(tx: &rusqlite::Transaction, fn_name: Option<&str>, count: usize, bytes: u64, why: Removal, now: i64) -> TierResult<()> {
    let (mut gone, mut freed) = (0usize, 0u64);
    while gone < count && freed < bytes {
        // A function's entries by its index; all entries by one scan (the
        // size bound is rarely reached: no index is kept up for it).
        let batch: Vec<(Vec<u8>, String, i64)> = {
            let sql = match fn_name {
                Some(_) => "SELECT key, fn, size FROM entries WHERE fn = ?1 ORDER BY used LIMIT 64",
                None => "SELECT key, fn, size FROM entries WHERE ?1 IS NULL ORDER BY used",
            };
            let mut st = tx.prepare_cached(sql)?;
            let rows = st.query_map(params![fn_name], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        if batch.is_empty() {
            break;
        }
        for (key, f, size) in batch {
            if gone >= count || freed >= bytes {
                break;
            }
            tx.prepare_cached("DELETE FROM entries WHERE key = ?1")?.execute(params![key])?;
            tx.prepare_cached("INSERT OR REPLACE INTO removed(key, fn, reason, at) VALUES (?1, ?2, ?3, ?4)")?
                .execute(params![key, f, why.code(), now])?;
            gone += 1;
            freed += size.max(0) as u64;
        }
    }
    Ok(())
}

/// Opens the database, waiting for other processes opening it at the same
/// moment: switching a new database to WAL (and creating its schema) can
/// fail at once with "database is locked", without calling the busy
/// handler, while another process does the same.
fn open_db(path: &Path) -> rusqlite::Result<Connection> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        match try_open_db(path) {
            Err(rusqlite::Error::SqliteFailure(f, _))
                if matches!(f.code, rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
                    && start.elapsed() < Duration::from_secs(30) =>
            {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(200));
            }
            r => return r,
        }
    }
}

fn try_open_db(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(Duration::from_secs(30))?;
    // The bundled SQLite is built with STAT4, which re-plans (re-parses) a
    // statement whenever a value bound against an indexed column changes:
    // every lookup by key. The plans here never depend on the key.
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        conn.pragma_update(None, "journal_mode", "WAL")?;
    }
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.set_prepared_statement_cache_capacity(32);
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version != SCHEMA {
        if version != 0 {
            return Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_MISMATCH),
                Some(format!("the cache database has schema {version}, this memo uses {SCHEMA}")),
            ));
        }
        conn.execute_batch(&format!("BEGIN IMMEDIATE; {SCHEMA_SQL} PRAGMA user_version = {SCHEMA}; COMMIT;"))?;
    }
    Ok(conn)
}

fn is_damaged(e: &rusqlite::Error) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, _)
        if matches!(f.code, rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt))
}

/// The host this process runs on (lease owners name it).
pub(crate) fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

/// Is the process that wrote this lease owner gone? Only known for
/// processes of this host, on Linux; anything else waits for the expiry.
fn owner_is_dead(owner: &str) -> bool {
    // owner = "<pid>@<host>#<nonce>"
    let Some((pid, rest)) = owner.split_once('@') else { return false };
    let host = rest.split('#').next().unwrap_or("");
    let Ok(pid) = pid.parse::<u32>() else { return false };
    if host != hostname() || pid == std::process::id() {
        return false;
    }
    cfg!(target_os = "linux") && Path::new("/proc/self").exists() && !Path::new(&format!("/proc/{pid}")).exists()
}

impl Tier for LocalTier {
    fn describe(&self) -> String {
        format!("local cache {}", self.dir.display())
    }

    fn get(&mut self, key: &Key, _fn_name: &str) -> TierResult<Got> {
        if let Some(q) = self.overlay.get(key) {
            return Ok(match q.and_then(|i| self.queue.get(i)) {
                Some(Op::Put { bytes, .. }) => Got::Bytes(bytes.clone()),
                _ => Got::Absent(None),
            });
        }
        // One statement (one read transaction): the bytes, or why they are gone.
        let row: Option<(Option<Vec<u8>>, Option<i64>)> = self
            .conn
            .prepare_cached(
                "SELECT d.bytes, NULL FROM entries e JOIN data d ON d.id = e.id WHERE e.key = ?1
                 UNION ALL SELECT NULL, reason FROM removed WHERE key = ?1 LIMIT 1",
            )?
            .query_row(params![&key[..]], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        match row {
            Some((Some(data), _)) => {
                let used = self.stamp();
                self.enqueue(Op::Touch { key: *key, used });
                Ok(Got::Bytes(data))
            }
            Some((None, why)) => Ok(Got::Absent(why.and_then(Removal::from_code))),
            None => Ok(Got::Absent(None)),
        }
    }

    fn put(&mut self, key: &Key, meta: &Meta, bytes: &[u8]) -> TierResult<()> {
        let created = meta.created.duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
        let op = Op::Put {
            key: *key,
            fn_name: meta.fn_name.to_string(),
            label: meta.label.to_string(),
            created,
            used: self.stamp(),
            compute: meta.compute.as_nanos().min(i64::MAX as u128) as i64,
            bytes: bytes.to_vec(),
            max_entries: meta.max_entries,
        };
        self.enqueue(op);
        self.overlay.insert(*key, Some(self.queue.len() - 1));
        self.queued_bytes += bytes.len();
        // `max_entries` holds at once (the entries it evicts are misses
        // from now on), and a big queue is written out.
        if meta.max_entries.is_some() || self.queued_bytes > FLUSH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn remove(&mut self, key: &Key, fn_name: &str, why: Option<Removal>) -> TierResult<()> {
        self.enqueue(Op::Remove { key: *key, fn_name: fn_name.to_string(), why });
        self.overlay.insert(*key, None);
        Ok(())
    }

    fn clear(&mut self, fn_name: Option<&str>) -> TierResult<u64> {
        self.flush()?;
        let tx = self.conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let n = match fn_name {
            Some(f) => {
                tx.execute("DELETE FROM removed WHERE fn = ?1", params![f])?;
                tx.execute("DELETE FROM entries WHERE fn = ?1", params![f])?
            }
            None => {
                tx.execute("DELETE FROM removed", [])?;
                tx.execute("DELETE FROM entries", [])?
            }
        };
        tx.commit()?;
        if fn_name.is_none() {
            // Entries of older formats are never read: clearing removes them.
            for old in 1..super::entry::FORMAT_VERSION {
                let _ = std::fs::remove_dir_all(self.dir.join(format!("v{old}")));
            }
            let _ = self.conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
        }
        Ok(n as u64)
    }

    fn stats(&mut self) -> TierResult<Vec<FnTierStats>> {
        self.flush()?;
        let mut st = self.conn.prepare("SELECT fn, count(*), sum(size), sum(compute) FROM entries GROUP BY fn ORDER BY fn")?;
        let rows = st.query_map([], |r| {
            Ok(FnTierStats {
                name: r.get(0)?,
                entries: r.get::<_, i64>(1)?.max(0) as u64,
                bytes: r.get::<_, i64>(2)?.max(0) as u64,
                compute: Some(Duration::from_nanos(r.get::<_, i64>(3)?.max(0) as u64)),
            })
        })?;
        rows.collect::<Result<_, _>>().map_err(StorageError::from)
    }

    fn list(&mut self, fn_name: Option<&str>) -> TierResult<Option<Vec<Listed>>> {
        self.flush()?;
        let mut st = self
            .conn
            .prepare("SELECT fn, label, size, created, used FROM entries WHERE ?1 IS NULL OR fn = ?1 ORDER BY used DESC")?;
        let rows = st.query_map(params![fn_name], |r| {
            Ok(Listed {
                fn_name: r.get(0)?,
                label: r.get(1)?,
                bytes: r.get::<_, i64>(2)?.max(0) as u64,
                created: ms_time(r.get(3)?),
                used: UNIX_EPOCH + Duration::from_nanos(r.get::<_, i64>(4)?.max(0) as u64),
            })
        })?;
        rows.collect::<Result<Vec<_>, _>>().map(Some).map_err(StorageError::from)
    }

    fn latest(&mut self, fn_name: &str) -> TierResult<Option<Vec<u8>>> {
        for op in self.queue.iter().rev() {
            if let Op::Put { fn_name: f, bytes, .. } = op {
                if f == fn_name {
                    return Ok(Some(bytes.clone()));
                }
            }
        }
        self.conn
            .prepare_cached(
                "SELECT d.bytes FROM entries e JOIN data d ON d.id = e.id WHERE e.fn = ?1 ORDER BY e.used DESC LIMIT 1",
            )?
            .query_row(params![fn_name], |r| r.get(0))
            .optional()
            .map_err(StorageError::from)
    }

    fn claim(&mut self, key: &Key, owner: &str, ttl: Duration) -> TierResult<Option<Lease>> {
        let now = now_ms();
        let expires = now + ttl.as_millis() as i64;
        let n = self
            .conn
            .prepare_cached(
                "INSERT INTO leases(key, owner, expires) VALUES (?1, ?2, ?3)
                 ON CONFLICT(key) DO UPDATE SET owner = excluded.owner, expires = excluded.expires
                 WHERE leases.owner = excluded.owner OR leases.expires < ?4",
            )?
            .execute(params![&key[..], owner, expires, now])?;
        if n == 1 {
            return Ok(Some(Lease::Granted));
        }
        let holder: Option<String> = self
            .conn
            .prepare_cached("SELECT owner FROM leases WHERE key = ?1")?
            .query_row(params![&key[..]], |r| r.get(0))
            .optional()?;
        let Some(holder) = holder else { return self.claim(key, owner, ttl) };
        if owner_is_dead(&holder) {
            let n = self
                .conn
                .prepare_cached("UPDATE leases SET owner = ?2, expires = ?3 WHERE key = ?1 AND owner = ?4")?
                .execute(params![&key[..], owner, expires, holder])?;
            if n == 1 {
                return Ok(Some(Lease::Granted));
            }
        }
        Ok(Some(Lease::Held(holder)))
    }

    fn renew(&mut self, _keys: &[Key], owner: &str, ttl: Duration) -> TierResult<()> {
        let expires = now_ms() + ttl.as_millis() as i64;
        self.conn.prepare_cached("UPDATE leases SET expires = ?1 WHERE owner = ?2")?.execute(params![expires, owner])?;
        Ok(())
    }

    fn release(&mut self, key: &Key, owner: &str, urgent: bool) -> TierResult<()> {
        self.enqueue(Op::Release { key: *key, owner: owner.to_string() });
        if urgent {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> TierResult<()> {
        if self.queue.is_empty() {
            return Ok(());
        }
        self.write_queue()
    }

    fn wants_flush(&self, age: Duration) -> bool {
        self.queued_since.is_some_and(|t| t.elapsed() >= age)
    }
}

impl Drop for LocalTier {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta<'a>(f: &'a str, max: Option<usize>) -> Meta<'a> {
        Meta { fn_name: f, label: f, created: SystemTime::now(), compute: Duration::ZERO, max_entries: max }
    }

    fn bytes_of(t: &mut LocalTier, k: &Key) -> Option<Vec<u8>> {
        match t.get(k, "f").unwrap() {
            Got::Bytes(b) => Some(b),
            Got::Absent(_) => None,
        }
    }

    /// Small puts wait in the queue and are written in one transaction;
    /// a put that makes the queue hold more than `FLUSH_BYTES`, or one
    /// with `max_entries`, writes it out at once.
    #[test]
    fn small_puts_are_batched_and_a_big_queue_is_written_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = LocalTier::open(dir.path(), 1 << 30).unwrap();
        for i in 0..3u8 {
            t.put(&[i; 32], &meta("f", None), &[i; 100]).unwrap();
        }
        assert_eq!((t.flushes, t.queue.len()), (0, 3));
        t.put(&[3; 32], &meta("f", None), &vec![3; FLUSH_BYTES.saturating_sub(300)]).unwrap();
        assert_eq!((t.flushes, t.queue.len()), (0, 4), "exactly FLUSH_BYTES queued: not yet");
        t.put(&[4; 32], &meta("f", None), &[4; 1]).unwrap();
        assert_eq!((t.flushes, t.queue.len()), (1, 0));
        t.put(&[5; 32], &meta("f", Some(10)), &[5; 1]).unwrap();
        assert_eq!((t.flushes, t.queue.len()), (2, 0));
        for i in 0..6u8 {
            assert!(bytes_of(&mut t, &[i; 32]).is_some(), "{i}");
        }
    }

    /// An entry counts, for the size bound and `memo cache stats`, its
    /// bytes, its label and function name, and 64 bytes for its row.
    #[test]
    fn an_entry_counts_its_bytes_label_name_and_row() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = LocalTier::open(dir.path(), 1 << 30).unwrap();
        let m = Meta {
            fn_name: "load",
            label: "load(\"a.csv\")",
            created: SystemTime::now(),
            compute: Duration::ZERO,
            max_entries: None,
        };
        t.put(&[1; 32], &m, &[7; 1000]).unwrap();
        t.put(&[2; 32], &meta("f", None), &[7; 10]).unwrap();
        let want = (1000 + 13 + 4 + 64) + (10 + 1 + 1 + 64);
        assert_eq!(t.total_bytes().unwrap(), want as u64);
        let stats = t.stats().unwrap();
        assert_eq!(stats.iter().map(|s| (s.name.as_str(), s.bytes)).collect::<Vec<_>>(), [("f", 76), ("load", 1081)]);
    }

    /// The size bound holds entries up to it exactly, and once passed
    /// removes the least recently used down to 90 % of it, recording why.
    #[test]
    fn the_size_bound_is_exact_and_evicts_to_nine_tenths() {
        let dir = tempfile::tempdir().unwrap();
        let one = 10 + 1 + 1 + 64; // bytes, label, name, row
        let mut t = LocalTier::open(dir.path(), 2 * one).unwrap();
        t.put(&[1; 32], &meta("f", None), &[1; 10]).unwrap();
        t.put(&[2; 32], &meta("f", None), &[2; 10]).unwrap();
        assert_eq!(t.total_bytes().unwrap(), 2 * one, "at the bound: both kept");
        assert!(bytes_of(&mut t, &[1; 32]).is_some() && bytes_of(&mut t, &[2; 32]).is_some());
        t.put(&[3; 32], &meta("f", None), &[3; 10]).unwrap();
        assert_eq!(t.total_bytes().unwrap(), one, "down to 90 % of the bound: one left");
        assert!(bytes_of(&mut t, &[3; 32]).is_some());
        let why: i64 = t.conn.query_row("SELECT count(*) FROM removed WHERE reason = 2", [], |r| r.get(0)).unwrap();
        assert_eq!(why, 2);
    }

    /// The first write of a process (and every 64th after it) prunes: the
    /// newest 10,000 removal reasons are kept, and leases that expired
    /// over a minute ago (of killed processes) are deleted.
    #[test]
    fn the_first_write_prunes_old_reasons_and_expired_leases() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = LocalTier::open(dir.path(), 1 << 30).unwrap();
        let now = now_ms();
        {
            let tx = t.conn.transaction().unwrap();
            for i in 0..REMEMBER_REMOVED + 5 {
                tx.execute(
                    "INSERT INTO removed(key, fn, reason, at) VALUES (?1, 'f', 1, ?2)",
                    params![&i.to_le_bytes()[..], now - 100_000 + i],
                )
                .unwrap();
            }
            tx.execute("INSERT INTO leases(key, owner, expires) VALUES (x'01', 'gone', ?1)", params![now - 61_000]).unwrap();
            tx.execute("INSERT INTO leases(key, owner, expires) VALUES (x'02', 'live', ?1)", params![now + 60_000]).unwrap();
            tx.commit().unwrap();
        }
        t.put(&[1; 32], &meta("f", None), b"x").unwrap();
        t.flush().unwrap();
        let count = |sql: &str| -> i64 { t.conn.query_row(sql, [], |r| r.get(0)).unwrap() };
        assert_eq!(count("SELECT count(*) FROM removed"), REMEMBER_REMOVED);
        assert_eq!(count("SELECT min(at) FROM removed"), now - 100_000 + 5, "the oldest five went");
        assert_eq!(count("SELECT count(*) FROM leases"), 1);
        assert_eq!(count("SELECT count(*) FROM leases WHERE owner = 'live'"), 1);
    }

    /// Use stamps strictly increase, even when the clock goes back (an
    /// NTP step): the LRU order is the order of use.
    #[test]
    fn use_stamps_increase_when_the_clock_goes_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = LocalTier::open(dir.path(), 1 << 30).unwrap();
        let a = t.stamp();
        assert!(t.stamp() > a);
        let ahead = a + 3_600_000_000_000; // the last stamp, an hour ahead of the clock
        t.last_used = ahead;
        assert_eq!((t.stamp(), t.stamp()), (ahead + 1, ahead + 2));
    }

    #[test]
    fn queued_writes_are_read_back_and_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = LocalTier::open(dir.path(), 1 << 30).unwrap();
        t.put(&[1; 32], &meta("f", None), b"one").unwrap();
        assert_eq!(bytes_of(&mut t, &[1; 32]).as_deref(), Some(&b"one"[..]));
        t.remove(&[1; 32], "f", None).unwrap();
        assert_eq!(bytes_of(&mut t, &[1; 32]), None);
        t.put(&[2; 32], &meta("f", None), b"two").unwrap();
        drop(t);
        let mut t = LocalTier::open(dir.path(), 1 << 30).unwrap();
        assert_eq!(bytes_of(&mut t, &[2; 32]).as_deref(), Some(&b"two"[..]));
        assert_eq!(bytes_of(&mut t, &[1; 32]), None);
        assert_eq!(t.latest("f").unwrap().as_deref(), Some(&b"two"[..]));
    }

    #[test]
    fn evictions_keep_their_reason() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = LocalTier::open(dir.path(), 1 << 30).unwrap();
        for i in 0..3u8 {
            t.put(&[i; 32], &meta("f", Some(2)), &[i; 10]).unwrap();
            t.flush().unwrap();
        }
        assert!(matches!(t.get(&[0; 32], "f").unwrap(), Got::Absent(Some(Removal::MaxEntries))));
        assert!(bytes_of(&mut t, &[2; 32]).is_some());
        // The size bound: every entry is ~100 bytes; 250 bytes keep 2.
        let dir = tempfile::tempdir().unwrap();
        let mut t = LocalTier::open(dir.path(), 250).unwrap();
        for i in 0..4u8 {
            t.put(&[i; 32], &meta("g", None), &[i; 30]).unwrap();
            t.flush().unwrap();
        }
        assert!(matches!(t.get(&[0; 32], "g").unwrap(), Got::Absent(Some(Removal::SizeLimit))));
        assert!(bytes_of(&mut t, &[3; 32]).is_some());
        assert!(t.total_bytes().unwrap() <= 250);
        // A removal without a reason forgets the recorded one.
        t.remove(&[0; 32], "g", None).unwrap();
        t.flush().unwrap();
        assert!(matches!(t.get(&[0; 32], "g").unwrap(), Got::Absent(None)));
    }

    #[test]
    fn leases_exclude_until_released_or_expired() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = LocalTier::open(dir.path(), 1 << 30).unwrap();
        let mut b = LocalTier::open(dir.path(), 1 << 30).unwrap();
        let k = [9; 32];
        let ttl = Duration::from_secs(60);
        let me = format!("{}@{}#a", std::process::id(), hostname());
        let other = format!("{}@{}#b", std::process::id(), hostname());
        assert_eq!(a.claim(&k, &me, ttl).unwrap(), Some(Lease::Granted));
        assert_eq!(a.claim(&k, &me, ttl).unwrap(), Some(Lease::Granted), "the holder may claim again");
        assert_eq!(b.claim(&k, &other, ttl).unwrap(), Some(Lease::Held(me.clone())));
        a.release(&k, &me, true).unwrap();
        assert_eq!(b.claim(&k, &other, ttl).unwrap(), Some(Lease::Granted));
        // An expired lease is taken over.
        assert_eq!(a.claim(&[8; 32], &me, Duration::ZERO).unwrap(), Some(Lease::Granted));
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(b.claim(&[8; 32], &other, ttl).unwrap(), Some(Lease::Granted));
        // So is one whose holder is a process that no longer exists.
        let dead = format!("{}@{}#x", u32::MAX - 7, hostname());
        assert_eq!(a.claim(&[7; 32], &dead, ttl).unwrap(), Some(Lease::Granted));
        if cfg!(target_os = "linux") {
            assert_eq!(b.claim(&[7; 32], &other, ttl).unwrap(), Some(Lease::Granted));
        }
    }

    /// A lease lasts its ttl from the claim, or from the last renewal:
    /// then another process takes it over.
    #[test]
    fn a_lease_expires_its_ttl_after_the_claim_or_renewal() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = LocalTier::open(dir.path(), 1 << 30).unwrap();
        let mut b = LocalTier::open(dir.path(), 1 << 30).unwrap();
        let me = format!("{}@{}#a", std::process::id(), hostname());
        let other = format!("{}@{}#b", std::process::id(), hostname());
        let short = Duration::from_millis(50);
        assert_eq!(a.claim(&[1; 32], &me, short).unwrap(), Some(Lease::Granted));
        // (A renewal renews every lease of its owner: another owner here.)
        let me2 = format!("{}@{}#c", std::process::id(), hostname());
        assert_eq!(a.claim(&[2; 32], &me2, Duration::from_secs(3600)).unwrap(), Some(Lease::Granted));
        a.renew(&[[2; 32]], &me2, short).unwrap();
        std::thread::sleep(Duration::from_millis(120));
        assert_eq!(b.claim(&[1; 32], &other, short).unwrap(), Some(Lease::Granted), "expired after its ttl");
        assert_eq!(b.claim(&[2; 32], &other, short).unwrap(), Some(Lease::Granted), "expired after the renewal's ttl");
    }

    /// Past the size bound, entries go until 90 % of it is reached, and
    /// not one more: here exactly two of eleven.
    #[test]
    fn the_size_bound_evicts_no_more_than_needed() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = LocalTier::open(dir.path(), 1000).unwrap();
        for i in 0..11u8 {
            t.put(&[i; 32], &meta("f", None), &[i; 34]).unwrap(); // 100 bytes counted
        }
        t.flush().unwrap();
        assert_eq!(t.total_bytes().unwrap(), 900);
        assert_eq!((0..11u8).filter(|i| bytes_of(&mut t, &[*i; 32]).is_some()).count(), 9);
    }

    /// The database is in WAL mode (several processes read while one
    /// writes), also when it is created.
    #[test]
    fn the_database_is_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let t = LocalTier::open(dir.path(), 1 << 30).unwrap();
        let mode: String = t.conn.query_row("PRAGMA journal_mode", [], |r| r.get(0)).unwrap();
        assert_eq!(mode, "wal");
    }

    /// Lease owners name this machine as the system does (`hostname`), so
    /// that a lease of another host's process is told apart.
    #[test]
    fn lease_owners_name_this_host() {
        let Ok(out) = std::process::Command::new("hostname").output() else { return };
        assert_eq!(hostname(), String::from_utf8_lossy(&out.stdout).trim());
        assert!(!hostname().is_empty());
    }

    /// A lease held by a process of another host is never taken as dead,
    /// whatever its pid (pids are per host).
    #[test]
    fn a_lease_of_another_host_is_not_taken_as_dead() {
        let dir = tempfile::tempdir().unwrap();
        let mut a = LocalTier::open(dir.path(), 1 << 30).unwrap();
        let far = format!("{}@not-{}#x", u32::MAX - 7, hostname());
        let me = format!("{}@{}#a", std::process::id(), hostname());
        assert_eq!(a.claim(&[1; 32], &far, Duration::from_secs(60)).unwrap(), Some(Lease::Granted));
        assert_eq!(a.claim(&[1; 32], &me, Duration::from_secs(60)).unwrap(), Some(Lease::Held(far)));
    }

    /// The timer flushes a queue held at least `age`, and nothing when
    /// the queue is empty.
    #[test]
    fn the_timer_flushes_a_queue_held_long_enough() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = LocalTier::open(dir.path(), 1 << 30).unwrap();
        assert!(!t.wants_flush(Duration::ZERO), "nothing queued");
        t.put(&[1; 32], &meta("f", None), b"x").unwrap();
        assert!(t.wants_flush(Duration::ZERO));
        assert!(!t.wants_flush(Duration::from_secs(3600)), "held less than an hour");
        t.flush().unwrap();
        assert!(!t.wants_flush(Duration::ZERO), "written");
    }

    /// The latest entry of a function, for `--explain`, may still be in the
    /// write queue, behind later puts of other functions.
    #[test]
    fn the_latest_entry_of_a_function_is_found_in_the_queue() {
        let dir = tempfile::tempdir().unwrap();
        let mut t = LocalTier::open(dir.path(), 1 << 30).unwrap();
        t.put(&[1; 32], &meta("f", None), b"f's").unwrap();
        t.put(&[2; 32], &meta("g", None), b"g's").unwrap();
        assert_eq!(t.flushes, 0, "both queued");
        assert_eq!(t.latest("f").unwrap().as_deref(), Some(&b"f's"[..]));
        assert_eq!(t.latest("g").unwrap().as_deref(), Some(&b"g's"[..]));
        assert_eq!(t.latest("h").unwrap(), None);
    }

    #[test]
    fn storage_errors_say_what_failed() {
        // A cache directory that is a file: the directory cannot be made.
        let d = tempfile::tempdir().unwrap();
        let file = d.path().join("not-a-dir");
        std::fs::write(&file, "x").unwrap();
        let e = LocalTier::try_open(&file, 1 << 20).err().expect("a file is not a cache directory");
        assert!(matches!(e, StorageError::Io(_)), "{e:?}");
        assert!(std::error::Error::source(&e).is_some());
        assert!(e.to_string().contains("File exists") || e.to_string().contains("Not a directory"), "{e}");
    }
}
