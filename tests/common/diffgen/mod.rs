//! A generator of random memo programs and of edits between their runs, for
//! the differential test of the cache (`tests/differential.rs`).
//!
//! A [`Case`] is a program, the files and params it reads, and groups of
//! edits: version 1 is the program as generated, version k+1 is version k
//! after the k-th group. Programs are kept as a small syntax tree so they
//! can be edited, rendered with or without `cached`, and shrunk.

pub mod ast;
pub mod check;
pub mod edit;
pub mod gen;
pub mod render;
pub mod shrink;

pub use ast::*;
pub use edit::{Case, Edit};

/// xorshift64* with a splitmix64 seed: small, fast, and the same on every
/// platform, so a seed names a case forever. Made from bytes (the fuzz
/// target), it takes each choice from the next two bytes while they last,
/// so that a small change of the bytes is a small change of the case.
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
    tape: Vec<u8>,
    pos: usize,
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng { state: (z ^ (z >> 31)) | 1, tape: Vec::new(), pos: 0 }
    }

    /// Choices read from `bytes`, then from a generator seeded with them.
    pub fn from_bytes(bytes: &[u8]) -> Rng {
        let seed = bytes.iter().fold(0xCBF2_9CE4_8422_2325u64, |h, &b| (h ^ b as u64).wrapping_mul(0x100_0000_01B3));
        Rng { tape: bytes.to_vec(), ..Rng::new(seed) }
    }

    pub fn next_u64(&mut self) -> u64 {
        if let Some(two) = self.tape.get(self.pos..self.pos + 2) {
            self.pos += 2;
            return u16::from_le_bytes([two[0], two[1]]) as u64;
        }
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % (hi - lo + 1) as u64) as i64
    }

    /// True with probability `pct` percent.
    pub fn chance(&mut self, pct: u32) -> bool {
        (self.next_u64() % 100) < pct as u64
    }

    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
}
