//! The seam between the cache and the places it keeps entries: a [`Tier`]
//! stores opaque entry bytes (`cache::entry`: sealed, and checked by the
//! cache when read) under a key, with a little metadata beside them for
//! eviction and for `memo cache stats|ls`.
//!
//! The memory tier is not a `Tier`: it holds decoded values (`Cache`'s
//! store), so a hit costs no decoding. Below it, `Cache` asks its byte
//! tiers in order (the local database, then a remote one), fills the
//! nearer ones with what a farther one had, and writes through to all.
//! A tier's error never fails a run: the cache warns once, naming the tier
//! and the error, and goes on without it (`cache::tiers`).

use super::Key;
use std::time::{Duration, SystemTime};

/// What a tier operation comes to.
pub type TierResult<T> = Result<T, StorageError>;

/// Why a tier operation failed. The cache says it in its warning (its
/// `Display` is the message); an embedder working on a tier
/// (`Cache::with_nearest_tier`) can tell the kinds apart.
#[derive(Debug)]
#[non_exhaustive]
pub enum StorageError {
    /// The local tier's database (SQLite): locked past the retries, full
    /// disk, a file that is not a database.
    Database(rusqlite::Error),
    /// A file or directory of the local tier.
    Io(std::io::Error),
    /// The remote server, in its client's words (refused, timed out,
    /// closed the connection).
    Remote(String),
    /// The tier would not do what was asked (an entry it could not store,
    /// a URL it does not support).
    Refused(String),
}

impl std::fmt::Display for StorageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StorageError::Database(e) => e.fmt(f),
            StorageError::Io(e) => e.fmt(f),
            StorageError::Remote(m) | StorageError::Refused(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for StorageError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StorageError::Database(e) => Some(e),
            StorageError::Io(e) => Some(e),
            StorageError::Remote(_) | StorageError::Refused(_) => None,
        }
    }
}

impl From<rusqlite::Error> for StorageError {
    fn from(e: rusqlite::Error) -> Self {
        StorageError::Database(e)
    }
}

impl From<std::io::Error> for StorageError {
    fn from(e: std::io::Error) -> Self {
        StorageError::Io(e)
    }
}

/// What a tier keeps beside an entry's bytes.
#[derive(Clone, Debug)]
pub struct Meta<'a> {
    pub fn_name: &'a str,
    /// `name(args)` with shortened arguments (for `memo cache ls`).
    pub label: &'a str,
    pub created: SystemTime,
    pub compute: Duration,
    /// The function's `max_entries`: the tier keeps that many of its
    /// entries (the most recently used).
    pub max_entries: Option<usize>,
}

/// Why a tier removed an entry by itself (kept for a while, so that a later
/// run's `--explain` can say why a call missed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Removal {
    /// The function's `max_entries`: it was the least recently used.
    MaxEntries,
    /// The size bound of the cache (`--cache-max-bytes`).
    SizeLimit,
    /// Its `ttl` ran out.
    Expired,
}

impl Removal {
    pub fn code(self) -> i64 {
        match self {
            Removal::MaxEntries => 1,
            Removal::SizeLimit => 2,
            Removal::Expired => 3,
        }
    }

    pub fn from_code(c: i64) -> Option<Removal> {
        Some(match c {
            1 => Removal::MaxEntries,
            2 => Removal::SizeLimit,
            3 => Removal::Expired,
            _ => return None,
        })
    }
}

/// What a tier holds under a key.
pub enum Got {
    Bytes(Vec<u8>),
    /// Nothing; and why, when the tier itself removed it.
    Absent(Option<Removal>),
}

/// One function's entries in a tier (`memo cache stats`).
#[derive(Debug, Default, Clone)]
pub struct FnTierStats {
    pub name: String,
    pub entries: u64,
    pub bytes: u64,
    /// Sum of the time the entries took to compute (`None`: the tier does
    /// not keep it).
    pub compute: Option<Duration>,
}

/// One entry (`memo cache ls`).
#[derive(Debug, Clone)]
pub struct Listed {
    pub fn_name: String,
    pub label: String,
    pub bytes: u64,
    pub created: SystemTime,
    pub used: SystemTime,
}

/// The answer to a claim of a key's lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lease {
    /// This process holds it now: compute, store, release.
    Granted,
    /// Another process holds it (its owner string).
    Held(String),
}

/// A place that keeps entries as bytes.
pub trait Tier: Send {
    /// How warnings name the tier (`local cache .memo-cache`, `redis://…`).
    fn describe(&self) -> String;

    /// The bytes stored under `key` (an entry of the function `fn_name`).
    fn get(&mut self, key: &Key, fn_name: &str) -> TierResult<Got>;

    /// Stores (or replaces) an entry.
    fn put(&mut self, key: &Key, meta: &Meta, bytes: &[u8]) -> TierResult<()>;

    /// Removes an entry; `why` is recorded when the cache removed it by a
    /// rule (`max_entries`, size, `ttl`), and a removal without a reason
    /// forgets any recorded one.
    fn remove(&mut self, key: &Key, fn_name: &str, why: Option<Removal>) -> TierResult<()>;

    /// Removes a function's entries, or all; returns how many.
    fn clear(&mut self, fn_name: Option<&str>) -> TierResult<u64>;

    /// Entries, bytes and compute time per function, sorted by name.
    fn stats(&mut self) -> TierResult<Vec<FnTierStats>>;

    /// Every entry (of one function), most recently used first; `None`
    /// when the tier cannot list.
    fn list(&mut self, _fn_name: Option<&str>) -> TierResult<Option<Vec<Listed>>> {
        Ok(None)
    }

    /// The bytes of the function's most recently stored or used entry
    /// (what `--explain` compares a miss with).
    fn latest(&mut self, _fn_name: &str) -> TierResult<Option<Vec<u8>>> {
        Ok(None)
    }

    /// Claims the right to compute `key` for `ttl` (renewed by `renew`):
    /// `None` when this tier has no leases.
    fn claim(&mut self, _key: &Key, _owner: &str, _ttl: Duration) -> TierResult<Option<Lease>> {
        Ok(None)
    }

    /// Extends the leases `owner` holds on `keys` to `ttl` from now.
    fn renew(&mut self, _keys: &[Key], _owner: &str, _ttl: Duration) -> TierResult<()> {
        Ok(())
    }

    /// Gives up a lease (after the entry was stored, or the body failed).
    /// `urgent`: others may be waiting for it; make it visible now.
    fn release(&mut self, _key: &Key, _owner: &str, _urgent: bool) -> TierResult<()> {
        Ok(())
    }

    /// Makes every write so far durable and visible to other processes.
    fn flush(&mut self) -> TierResult<()> {
        Ok(())
    }

    /// Forgets a connection after an operation failed, so that the next
    /// try connects anew (a remote tier; others need not).
    fn disconnect(&mut self) {}

    /// Has writes that a timer should flush (held longer than `age`).
    fn wants_flush(&self, _age: Duration) -> bool {
        false
    }

    /// The largest entry this tier takes (bigger ones stay in nearer tiers).
    fn max_entry_bytes(&self) -> Option<usize> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::Removal;

    /// The codes written to the `removed` table and Redis read back as the
    /// same reasons (docs/cache-format.md: 1, 2, 3), and no other code does.
    #[test]
    fn removal_codes_read_back() {
        for (r, code) in [(Removal::MaxEntries, 1), (Removal::SizeLimit, 2), (Removal::Expired, 3)] {
            assert_eq!(r.code(), code);
            assert_eq!(Removal::from_code(code), Some(r));
        }
        for code in [-1, 0, 4] {
            assert_eq!(Removal::from_code(code), None);
        }
    }
}
