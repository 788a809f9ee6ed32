//! The names the on-disk cache had before the tiers (kept for callers):
//! the local tier is `local::LocalTier`, the encoding `entry` and
//! `value_codec`.

pub use super::local::{LocalTier as DiskStore, DEFAULT_MAX_BYTES};
pub use super::tier::FnTierStats as FnDiskStats;
pub use super::value_codec::persistable;
