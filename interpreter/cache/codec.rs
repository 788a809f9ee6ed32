//! The binary encoding of an entry's key parts and facts (documented in
//! docs/cache-format.md), and the [`Reader`] every decoder reads untrusted
//! bytes with. Values are encoded by `value_codec`. Little-endian
//! fixed-width numbers and u64 lengths: these parts are small. Decoding
//! never trusts its input: every length is checked against the bytes that
//! remain, nothing is allocated from a claimed length, and any problem is
//! an `Err`.

use super::key::{ArgPart, KeyParts};
use super::trace::{CallFact, Fact, FileFact, FileWhat, InputFact, Stat};
use super::value_codec::{decode_value, encode_value, persistable};
use crate::hashing::deps::{Dep, DepKind};
use std::sync::Arc;

fn put_u64(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(&n.to_le_bytes());
}

pub fn put_str(out: &mut Vec<u8>, s: &str) {
    put_u64(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// Appends the encoding of key parts.
pub fn encode_parts(out: &mut Vec<u8>, p: &KeyParts) {
    put_u64(out, p.args.len() as u64);
    for a in &p.args {
        put_str(out, &a.name);
        out.extend_from_slice(&a.digest);
        put_str(out, &a.shown);
    }
    put_u64(out, p.deps.len() as u64);
    for d in &p.deps {
        out.push(match d.kind {
            DepKind::Code => 0,
            DepKind::Var => 1,
        });
        put_str(out, &d.name);
        out.extend_from_slice(&d.digest);
        put_str(out, &d.shown);
    }
    out.extend_from_slice(&p.hash_funcs);
}

fn put_opt_hash(out: &mut Vec<u8>, h: &Option<[u8; 32]>) {
    match h {
        Some(h) => {
            out.push(1);
            out.extend_from_slice(h);
        }
        None => out.push(0),
    }
}

/// Appends the encoding of an entry's facts (see `trace`). A call fact's
/// arguments are written when they are persistable, else left out (its
/// verification then needs an unchanged callee).
pub fn encode_facts(out: &mut Vec<u8>, facts: &[Fact]) {
    put_u64(out, facts.len() as u64);
    for f in facts {
        match f {
            Fact::File(ff) => {
                out.push(0);
                put_str(out, &ff.path.to_string_lossy());
                out.push(match ff.what {
                    FileWhat::Content => 0,
                    FileWhat::Exists => 1,
                    FileWhat::Mtime => 2,
                    FileWhat::Stat => 3,
                });
                match &ff.stat {
                    Some(st) => {
                        out.push(1);
                        put_u64(out, st.size);
                        out.extend_from_slice(&st.mtime_ns.to_le_bytes());
                        put_u64(out, st.inode);
                        put_u64(out, st.dev);
                    }
                    None => out.push(0),
                }
                put_opt_hash(out, &ff.digest);
                out.push(ff.racy as u8);
            }
            Fact::Param { name, value, default, shown } => {
                out.push(1);
                put_str(out, name);
                out.extend_from_slice(value);
                out.extend_from_slice(default);
                put_str(out, shown);
            }
            Fact::Call(c) => {
                out.push(2);
                match &c.global {
                    Some(g) => {
                        out.push(1);
                        put_str(out, g);
                    }
                    None => out.push(0),
                }
                put_str(out, &c.name);
                out.extend_from_slice(&c.key);
                out.extend_from_slice(&c.code);
                match &c.args {
                    Some(args) if args.iter().all(persistable) => {
                        out.push(1);
                        put_u64(out, args.len() as u64);
                        for a in args.iter() {
                            encode_value(out, a);
                        }
                    }
                    _ => out.push(0),
                }
                put_str(out, &c.label());
                put_opt_hash(out, &c.result);
                out.push(c.wrote_state as u8);
                match c.ttl {
                    Some(t) => {
                        out.push(1);
                        put_u64(out, t.as_nanos().min(u64::MAX as u128) as u64);
                    }
                    None => out.push(0),
                }
            }
            Fact::Code { name, code } => {
                out.push(3);
                put_str(out, name);
                out.extend_from_slice(code);
            }
            Fact::Input(f) => {
                out.push(4);
                put_str(out, &f.native);
                match &f.args {
                    Some(args) if args.iter().all(persistable) => {
                        out.push(1);
                        put_u64(out, args.len() as u64);
                        for a in args.iter() {
                            encode_value(out, a);
                        }
                    }
                    _ => out.push(0),
                }
                out.extend_from_slice(&f.args_digest);
                out.extend_from_slice(&f.result);
            }
        }
    }
}

// ----- reading -----

/// A cursor over untrusted bytes.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

pub type DecodeResult<T> = std::result::Result<T, String>;

#[cold]
fn truncated<T>() -> DecodeResult<T> {
    Err("truncated".into())
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    #[inline]
    pub fn bytes(&mut self, n: usize) -> DecodeResult<&'a [u8]> {
        match self.buf.get(self.pos..self.pos.saturating_add(n)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            _ => truncated(),
        }
    }

    #[inline]
    pub fn u8(&mut self) -> DecodeResult<u8> {
        match self.buf.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => truncated(),
        }
    }

    #[inline]
    pub fn u64(&mut self) -> DecodeResult<u64> {
        let b = self.bytes(8)?;
        let mut w = [0u8; 8];
        w.copy_from_slice(b);
        Ok(u64::from_le_bytes(w))
    }

    pub fn i64(&mut self) -> DecodeResult<i64> {
        Ok(self.u64()? as i64)
    }

    pub fn hash(&mut self) -> DecodeResult<[u8; 32]> {
        let b = self.bytes(32)?;
        let mut h = [0u8; 32];
        h.copy_from_slice(b);
        Ok(h)
    }

    /// A length that must fit in what remains (each element takes >= `min` bytes).
    pub fn len(&mut self, min: usize) -> DecodeResult<usize> {
        let n = self.u64()?;
        if n > (self.remaining() / min.max(1)) as u64 {
            return Err("length exceeds data".into());
        }
        Ok(n as usize)
    }

    /// An unsigned LEB128 number of at most 10 bytes.
    #[inline]
    pub fn varint(&mut self) -> DecodeResult<u64> {
        match self.buf.get(self.pos) {
            Some(&b) if b < 0x80 => {
                self.pos += 1;
                Ok(b as u64)
            }
            _ => self.long_varint(),
        }
    }

    /// A varint of two bytes or more: at most ten, the tenth 0 or 1 (64
    /// bits). One bounds check for the whole number, not one per byte.
    fn long_varint(&mut self) -> DecodeResult<u64> {
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        let mut n: u64 = 0;
        for (i, &b) in rest.iter().take(10).enumerate() {
            if i == 9 && b > 1 {
                return Err("varint overflows".into());
            }
            n |= ((b & 0x7f) as u64) << (7 * i);
            if b < 0x80 {
                self.pos += i + 1;
                return Ok(n);
            }
        }
        // Fewer than ten bytes left, none of them the last of a varint
        // (ten bytes end one or overflow above).
        truncated()
    }

    pub fn string(&mut self) -> DecodeResult<String> {
        let n = self.len(1)?;
        let b = self.bytes(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| "invalid UTF-8".to_string())
    }
}

/// Decodes key parts.
pub fn decode_parts(r: &mut Reader) -> DecodeResult<KeyParts> {
    let n = r.len(48)?;
    let mut args = Vec::new();
    for _ in 0..n {
        let name = r.string()?;
        let digest = r.hash()?;
        let shown = r.string()?;
        args.push(ArgPart { name, digest, shown });
    }
    let n = r.len(49)?;
    let mut deps = Vec::new();
    for _ in 0..n {
        let kind = if r.u8()? == 0 { DepKind::Code } else { DepKind::Var };
        let name = r.string()?;
        let digest = r.hash()?;
        let shown = r.string()?;
        deps.push(Dep { kind, name, digest, shown });
    }
    let hash_funcs = r.hash()?;
    Ok(KeyParts { args, deps, hash_funcs })
}

fn opt_hash(r: &mut Reader) -> DecodeResult<Option<[u8; 32]>> {
    match r.u8()? {
        0 => Ok(None),
        1 => Ok(Some(r.hash()?)),
        _ => Err("bad optional digest".into()),
    }
}

/// Decodes an entry's facts.
pub fn decode_facts(r: &mut Reader) -> DecodeResult<Vec<Fact>> {
    let n = r.len(2)?;
    let mut facts = Vec::new();
    for _ in 0..n {
        let f = match r.u8()? {
            0 => {
                let path = std::path::PathBuf::from(r.string()?);
                let what = match r.u8()? {
                    0 => FileWhat::Content,
                    1 => FileWhat::Exists,
                    2 => FileWhat::Mtime,
                    3 => FileWhat::Stat,
                    _ => return Err("bad file fact".into()),
                };
                let stat = match r.u8()? {
                    0 => None,
                    1 => Some(Stat { size: r.u64()?, mtime_ns: r.i64()?, inode: r.u64()?, dev: r.u64()? }),
                    _ => return Err("bad file fact".into()),
                };
                let digest = opt_hash(r)?;
                let racy = r.u8()? != 0;
                Fact::File(FileFact { path, what, stat, digest, racy })
            }
            1 => {
                let name: Arc<str> = Arc::from(r.string()?);
                let value = r.hash()?;
                let default = r.hash()?;
                let shown = r.string()?;
                Fact::Param { name, value, default, shown }
            }
            2 => {
                let global = match r.u8()? {
                    0 => None,
                    1 => Some(Arc::from(r.string()?)),
                    _ => return Err("bad call fact".into()),
                };
                let name: Arc<str> = Arc::from(r.string()?);
                let key = r.hash()?;
                let code = r.hash()?;
                let args = match r.u8()? {
                    0 => None,
                    1 => {
                        let n = r.len(1)?;
                        let mut v = Vec::new();
                        for _ in 0..n {
                            v.push(decode_value(r)?);
                        }
                        Some(Arc::from(v))
                    }
                    _ => return Err("bad call fact".into()),
                };
                let label = Some(r.string()?);
                let result = opt_hash(r)?;
                let wrote_state = r.u8()? != 0;
                let ttl = match r.u8()? {
                    0 => None,
                    1 => Some(std::time::Duration::from_nanos(r.u64()?)),
                    _ => return Err("bad call fact".into()),
                };
                Fact::Call(CallFact { global, name, key, code, args, label, result, wrote_state, ttl })
            }
            3 => {
                let name: Arc<str> = Arc::from(r.string()?);
                Fact::Code { name, code: r.hash()? }
            }
            4 => {
                let native: Arc<str> = Arc::from(r.string()?);
                let args = match r.u8()? {
                    0 => None,
                    1 => {
                        let n = r.len(1)?;
                        let mut v = Vec::new();
                        for _ in 0..n {
                            v.push(decode_value(r)?);
                        }
                        Some(Arc::from(v))
                    }
                    _ => return Err("bad input fact".into()),
                };
                let args_digest = r.hash()?;
                let result = r.hash()?;
                Fact::Input(InputFact { native, args, args_digest, result })
            }
            t => return Err(format!("unknown fact tag {t}")),
        };
        facts.push(f);
    }
    Ok(facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_never_panics() {
        let mut seed = 12345u64;
        for _ in 0..2000 {
            let n = (seed % 64) as usize;
            let mut buf = Vec::with_capacity(n);
            for _ in 0..n {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                buf.push((seed >> 56) as u8 % 14);
            }
            let _ = decode_parts(&mut Reader::new(&buf));
            let _ = decode_facts(&mut Reader::new(&buf));
        }
    }

    #[test]
    fn varints() {
        for n in [0u64, 1, 127, 128, 300, u32::MAX as u64, u64::MAX] {
            let mut b = Vec::new();
            super::super::value_codec::put_varint(&mut b, n);
            let mut r = Reader::new(&b);
            assert_eq!(r.varint().unwrap(), n);
            assert_eq!(r.remaining(), 0);
        }
        assert!(Reader::new(&[0xff; 11]).varint().is_err());
        // Cut short: an error, not a number read past the end.
        for cut in [&[0x80][..], &[0xff, 0xff], &[0xff; 9]] {
            let e = Reader::new(cut).varint().unwrap_err();
            assert!(e.to_string().contains("truncated"), "{e}");
        }
        // Two values in a row: the first one's length is consumed exactly.
        let mut r = Reader::new(&[0xac, 0x02, 0x05]);
        assert_eq!((r.varint().unwrap(), r.varint().unwrap(), r.remaining()), (300, 5, 0));
        assert!(Reader::new(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]).varint().is_err());
    }
}
