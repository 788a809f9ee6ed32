//! Which tiers a cache has: the one place the CLI (`--cache-dir`,
//! `--no-disk-cache`, `--cache-max-bytes`, `--cache-url`) and `Engine`
//! (`EngineBuilder::cache_config`) open them from.

use super::local::{LocalTier, DEFAULT_MAX_BYTES};
use super::tier::{StorageError, Tier, TierResult};
use super::Cache;
use std::path::PathBuf;

/// Entries bigger than this stay out of a remote tier by default.
pub const DEFAULT_REMOTE_MAX_ENTRY_BYTES: usize = 64 << 20;

/// The tiers of a cache, below memory.
#[derive(Clone, Debug)]
pub struct CacheConfig {
    /// The local tier's directory (`None`: no local tier).
    pub dir: Option<PathBuf>,
    /// Size bound of the local tier in bytes.
    pub max_bytes: u64,
    /// A remote tier shared by machines: `redis://HOST:PORT[/DB]`.
    pub url: Option<String>,
    /// Entries bigger than this stay in the local tier.
    pub remote_max_entry_bytes: usize,
    /// Seal every entry with a keyed MAC under this secret (and refuse
    /// entries that do not carry a valid one).
    pub secret: Option<Vec<u8>>,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            dir: None,
            max_bytes: DEFAULT_MAX_BYTES,
            url: None,
            remote_max_entry_bytes: DEFAULT_REMOTE_MAX_ENTRY_BYTES,
            secret: None,
        }
    }
}

impl CacheConfig {
    /// Takes what is not set from the environment: `MEMO_CACHE_URL` and
    /// `MEMO_CACHE_SECRET`.
    pub fn with_env(mut self) -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        if self.url.is_none() {
            self.url = var("MEMO_CACHE_URL");
        }
        if self.secret.is_none() {
            self.secret = var("MEMO_CACHE_SECRET").map(String::into_bytes);
        }
        self
    }
}

/// The remote tier for `url` (`--cache-url`), connected on first use.
#[cfg(feature = "redis")]
pub fn remote(url: &str, max_entry: usize) -> TierResult<Box<dyn Tier>> {
    if url.starts_with("redis://") || url.starts_with("rediss://") || url.starts_with("redis+unix://") {
        return super::redis_tier::RedisTier::open(url, max_entry).map(|t| Box::new(t) as Box<dyn Tier>);
    }
    Err(StorageError::Refused("only redis:// URLs are supported".into()))
}

#[cfg(not(feature = "redis"))]
pub fn remote(_url: &str, _max_entry: usize) -> TierResult<Box<dyn Tier>> {
    Err(StorageError::Refused("this memo was built without the `redis` feature".into()))
}

impl Cache {
    /// A cache with the tiers `cfg` asks for. A tier that cannot be opened
    /// is left out, with a warning queued for the first interpreter that
    /// uses the cache (`Cache::take_warnings`).
    pub fn open(cfg: &CacheConfig) -> Cache {
        let cache = Cache::memory();
        cache.set_secret(cfg.secret.as_deref());
        let mut tiers: Vec<Box<dyn Tier>> = Vec::new();
        if let Some(dir) = &cfg.dir {
            match LocalTier::open(dir, cfg.max_bytes) {
                Ok(t) => tiers.push(Box::new(t)),
                Err(e) => cache.warn(format!(
                    "warning: cannot use cache directory `{}`: {e}; caching in memory{}",
                    dir.display(),
                    if cfg.url.is_some() { " and the remote tier" } else { " only" }
                )),
            }
        }
        if let Some(url) = &cfg.url {
            match remote(url, cfg.remote_max_entry_bytes) {
                Ok(t) => tiers.push(t),
                Err(e) => cache.warn(format!("warning: cannot use the cache at {url}: {e}")),
            }
        }
        cache.set_tiers(tiers);
        cache
    }
}
