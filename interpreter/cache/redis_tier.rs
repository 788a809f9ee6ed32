//! The remote tier: a Redis server shared by every machine that points at
//! it (`--cache-url redis://HOST:PORT[/DB]`), through the redis crate's
//! synchronous client. Keys (docs/cache-format.md, "Redis"):
//!
//! ```text
//! memo:v4:e:<key hex>       the entry's bytes (as in every tier)
//! memo:v4:fn:<name>         sorted set of the function's keys, scored by last use (ms)
//! memo:v4:fns               set of function names with entries
//! memo:v4:rm:<key hex>      why the entry was removed (1 max_entries, 2 size, 3 ttl), for 30 days
//! memo:v4:lease:<key hex>   the owner computing it (SET NX PX; renewed, released by compare-and-delete)
//! ```
//!
//! The connection is made on first use, with short timeouts; any error
//! fails the tier for the rest of the run (the cache warns once and goes
//! on with its other tiers). Entries bigger than a limit stay local.
//! A shared server is a trust boundary: with `MEMO_CACHE_SECRET`, entries
//! carry a MAC that the cache checks (`cache::entry`).

use super::tier::{FnTierStats, Got, Lease, Listed, Meta, Removal, StorageError, Tier, TierResult};
use super::Key;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const PREFIX: &str = "memo:v4:";
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a removal reason is kept.
const REMOVED_FOR_MS: u64 = 30 * 24 * 3600 * 1000;

const RELEASE: &str = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
const RENEW: &str =
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";

pub struct RedisTier {
    client: redis::Client,
    shown: String,
    con: Option<redis::Connection>,
    max_entry: usize,
}

fn hex(k: &Key) -> String {
    k.iter().map(|b| format!("{b:02x}")).collect()
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

fn err(e: redis::RedisError) -> StorageError {
    StorageError::Remote(e.to_string())
}

/// The URL without a password.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://…@{}", &url[..s], &url[at + 1..]),
        _ => url.to_string(),
    }
}

fn entry_key(k: &Key) -> String {
    format!("{PREFIX}e:{}", hex(k))
}

fn fn_key(name: &str) -> String {
    format!("{PREFIX}fn:{name}")
}

fn removed_key(k: &Key) -> String {
    format!("{PREFIX}rm:{}", hex(k))
}

fn lease_key(k: &Key) -> String {
    format!("{PREFIX}lease:{}", hex(k))
}

const FNS: &str = "memo:v4:fns";

impl RedisTier {
    /// A tier for `url` (connected on first use).
    pub fn open(url: &str, max_entry: usize) -> TierResult<RedisTier> {
        let client = redis::Client::open(url).map_err(err)?;
        Ok(RedisTier { client, shown: redact(url), con: None, max_entry })
    }

    fn con(&mut self) -> TierResult<&mut redis::Connection> {
        if self.con.is_none() {
            let c = self.client.get_connection_with_timeout(CONNECT_TIMEOUT).map_err(err)?;
            c.set_read_timeout(Some(IO_TIMEOUT)).map_err(err)?;
            c.set_write_timeout(Some(IO_TIMEOUT)).map_err(err)?;
            self.con = Some(c);
        }
        Ok(self.con.as_mut().expect("connected above"))
    }

    fn names(&mut self, fn_name: Option<&str>) -> TierResult<Vec<String>> {
        match fn_name {
            Some(n) => Ok(vec![n.to_string()]),
            None => {
                let mut v: Vec<String> = redis::cmd("SMEMBERS").arg(FNS).query(self.con()?).map_err(err)?;
                v.sort();
                Ok(v)
            }
        }
    }

    fn members(&mut self, name: &str) -> TierResult<Vec<(String, f64)>> {
        redis::cmd("ZRANGE").arg(fn_key(name)).arg(0).arg(-1).arg("WITHSCORES").query(self.con()?).map_err(err)
    }
}

impl Tier for RedisTier {
    fn describe(&self) -> String {
        format!("redis {}", self.shown)
    }

    fn disconnect(&mut self) {
        self.con = None;
    }

    fn get(&mut self, key: &Key, fn_name: &str) -> TierResult<Got> {
        let (data, why): (Option<Vec<u8>>, Option<i64>) = redis::pipe()
            .cmd("GET")
            .arg(entry_key(key))
            .cmd("GET")
            .arg(removed_key(key))
            .cmd("ZADD")
            .arg(fn_key(fn_name))
            .arg("XX")
            .arg(now_ms())
            .arg(hex(key))
            .ignore()
            .query(self.con()?)
            .map_err(err)?;
        Ok(match data {
            Some(b) => Got::Bytes(b),
            None => Got::Absent(why.and_then(Removal::from_code)),
        })
    }

    fn put(&mut self, key: &Key, meta: &Meta, bytes: &[u8]) -> TierResult<()> {
        let h = hex(key);
        let zkey = fn_key(meta.fn_name);
        redis::pipe()
            .cmd("SET")
            .arg(entry_key(key))
            .arg(bytes)
            .ignore()
            .cmd("ZADD")
            .arg(&zkey)
            .arg(now_ms())
            .arg(&h)
            .ignore()
            .cmd("SADD")
            .arg(FNS)
            .arg(meta.fn_name)
            .ignore()
            .cmd("DEL")
            .arg(removed_key(key))
            .ignore()
            .query::<()>(self.con()?)
            .map_err(err)?;
        if let Some(max) = meta.max_entries {
            let n: usize = redis::cmd("ZCARD").arg(&zkey).query(self.con()?).map_err(err)?;
            if n > max {
                let old: Vec<String> = redis::cmd("ZRANGE").arg(&zkey).arg(0).arg(n - max - 1).query(self.con()?).map_err(err)?;
                let mut p = redis::pipe();
                for o in &old {
                    p.cmd("DEL").arg(format!("{PREFIX}e:{o}")).ignore();
                    p.cmd("ZREM").arg(&zkey).arg(o).ignore();
                    p.cmd("SET")
                        .arg(format!("{PREFIX}rm:{o}"))
                        .arg(Removal::MaxEntries.code())
                        .arg("PX")
                        .arg(REMOVED_FOR_MS)
                        .ignore();
                }
                p.query::<()>(self.con()?).map_err(err)?;
            }
        }
        Ok(())
    }

    fn remove(&mut self, key: &Key, fn_name: &str, why: Option<Removal>) -> TierResult<()> {
        let mut p = redis::pipe();
        p.cmd("DEL").arg(entry_key(key)).ignore();
        p.cmd("ZREM").arg(fn_key(fn_name)).arg(hex(key)).ignore();
        match why {
            Some(w) => p.cmd("SET").arg(removed_key(key)).arg(w.code()).arg("PX").arg(REMOVED_FOR_MS).ignore(),
            None => p.cmd("DEL").arg(removed_key(key)).ignore(),
        };
        p.query::<()>(self.con()?).map_err(err)
    }

    fn clear(&mut self, fn_name: Option<&str>) -> TierResult<u64> {
        let mut n = 0;
        for name in self.names(fn_name)? {
            let members = self.members(&name)?;
            n += members.len() as u64;
            let mut p = redis::pipe();
            for (m, _) in &members {
                p.cmd("DEL").arg(format!("{PREFIX}e:{m}")).ignore();
            }
            p.cmd("DEL").arg(fn_key(&name)).ignore();
            p.cmd("SREM").arg(FNS).arg(&name).ignore();
            p.query::<()>(self.con()?).map_err(err)?;
        }
        Ok(n)
    }

    fn stats(&mut self) -> TierResult<Vec<FnTierStats>> {
        let mut out = Vec::new();
        for name in self.names(None)? {
            let members = self.members(&name)?;
            if members.is_empty() {
                continue;
            }
            let mut p = redis::pipe();
            for (m, _) in &members {
                p.cmd("STRLEN").arg(format!("{PREFIX}e:{m}"));
            }
            let sizes: Vec<u64> = p.query(self.con()?).map_err(err)?;
            out.push(FnTierStats { name, entries: members.len() as u64, bytes: sizes.iter().sum(), compute: None });
        }
        Ok(out)
    }

    fn list(&mut self, fn_name: Option<&str>) -> TierResult<Option<Vec<Listed>>> {
        let mut out = Vec::new();
        for name in self.names(fn_name)? {
            let members = self.members(&name)?;
            let mut p = redis::pipe();
            for (m, _) in &members {
                p.cmd("STRLEN").arg(format!("{PREFIX}e:{m}"));
            }
            let sizes: Vec<u64> = p.query(self.con()?).map_err(err)?;
            for ((m, used), size) in members.into_iter().zip(sizes) {
                let used = UNIX_EPOCH + Duration::from_millis(used.max(0.0) as u64);
                out.push(Listed {
                    fn_name: name.clone(),
                    label: m[..12.min(m.len())].to_string(),
                    bytes: size,
                    created: used,
                    used,
                });
            }
        }
        out.sort_by_key(|l| std::cmp::Reverse(l.used));
        Ok(Some(out))
    }

    fn latest(&mut self, fn_name: &str) -> TierResult<Option<Vec<u8>>> {
        let top: Vec<String> = redis::cmd("ZRANGE").arg(fn_key(fn_name)).arg(-1).arg(-1).query(self.con()?).map_err(err)?;
        let Some(h) = top.first() else { return Ok(None) };
        redis::cmd("GET").arg(format!("{PREFIX}e:{h}")).query(self.con()?).map_err(err)
    }

    fn claim(&mut self, key: &Key, owner: &str, ttl: Duration) -> TierResult<Option<Lease>> {
        let lk = lease_key(key);
        let ms = ttl.as_millis().max(1) as u64;
        for _ in 0..3 {
            let set: Option<String> =
                redis::cmd("SET").arg(&lk).arg(owner).arg("NX").arg("PX").arg(ms).query(self.con()?).map_err(err)?;
            if set.is_some() {
                return Ok(Some(Lease::Granted));
            }
            let holder: Option<String> = redis::cmd("GET").arg(&lk).query(self.con()?).map_err(err)?;
            match holder {
                Some(h) if h == owner => {
                    redis::cmd("PEXPIRE").arg(&lk).arg(ms).query::<()>(self.con()?).map_err(err)?;
                    return Ok(Some(Lease::Granted));
                }
                Some(h) => return Ok(Some(Lease::Held(h))),
                None => continue, // released in between: try again
            }
        }
        Ok(Some(Lease::Held(String::from("?"))))
    }

    fn renew(&mut self, keys: &[Key], owner: &str, ttl: Duration) -> TierResult<()> {
        let mut p = redis::pipe();
        for k in keys {
            p.cmd("EVAL").arg(RENEW).arg(1).arg(lease_key(k)).arg(owner).arg(ttl.as_millis() as u64).ignore();
        }
        p.query::<()>(self.con()?).map_err(err)
    }

    fn release(&mut self, key: &Key, owner: &str, _urgent: bool) -> TierResult<()> {
        redis::cmd("EVAL").arg(RELEASE).arg(1).arg(lease_key(key)).arg(owner).query::<()>(self.con()?).map_err(err)
    }

    fn max_entry_bytes(&self) -> Option<usize> {
        Some(self.max_entry)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(super::redact("redis://:hunter2@10.0.0.1:6379/0"), "redis://…@10.0.0.1:6379/0");
        assert_eq!(super::redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        // An '@' before the scheme's "://" is no password's end.
        assert_eq!(super::redact("a@b://host:6379"), "a@b://host:6379");
    }
}
