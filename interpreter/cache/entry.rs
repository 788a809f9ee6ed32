//! An entry as bytes: the one encoding every byte tier (the local
//! database, Redis) stores, so that a tier only moves opaque bytes and an
//! entry read from any of them is checked the same way
//! (docs/cache-format.md, "An entry").
//!
//! The header and the payload are sealed by a blake3 checksum or, when a
//! secret is configured (`MEMO_CACHE_SECRET`), a keyed blake3 MAC. The
//! payload starts with the full key and the function's name, so an entry
//! stored under (or copied to) another key is refused, not served.

use super::codec::{self, Reader};
use super::key::KeyParts;
use super::value_codec;
use super::{Entry, Key};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const MAGIC: &[u8; 8] = b"MEMOCACH";
/// Version of the entry encoding (and of the cache directory layout).
pub const FORMAT_VERSION: u32 = 4;
const FLAG_MAC: u8 = 1;
const FLAG_OUTPUT_HASH: u8 = 2;

/// How entries are sealed: a checksum, or a MAC under a secret.
#[derive(Clone, Default)]
pub struct Seal {
    mac_key: Option<[u8; 32]>,
}

impl Seal {
    /// Entries carry a plain blake3 checksum.
    pub fn checksum() -> Seal {
        Seal { mac_key: None }
    }

    /// Entries carry a keyed blake3 MAC under a key derived from `secret`;
    /// entries without one, or with one under another secret, are refused.
    pub fn with_secret(secret: &[u8]) -> Seal {
        Seal { mac_key: Some(blake3::derive_key("memo cache entry MAC, format 3", secret)) }
    }

    pub fn is_mac(&self) -> bool {
        self.mac_key.is_some()
    }

    fn hasher(&self) -> blake3::Hasher {
        match &self.mac_key {
            Some(k) => blake3::Hasher::new_keyed(k),
            None => blake3::Hasher::new(),
        }
    }
}

pub(crate) fn millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// The bytes of an entry.
pub fn encode(key: &Key, e: &Entry, seal: &Seal) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let compute = e.compute.as_nanos().min(u64::MAX as u128) as u64;
    let len_at = put_header(&mut out, seal, millis(e.created), compute, e.output_hash.as_ref());
    out.extend_from_slice(key);
    codec::put_str(&mut out, &e.fn_name);
    codec::encode_parts(&mut out, &e.parts);
    codec::encode_facts(&mut out, e.trace.as_deref().unwrap_or(&[]));
    match e.deep.as_deref() {
        Some(deep) => {
            out.push(1);
            codec::encode_facts(&mut out, deep);
        }
        None => out.push(0),
    }
    out.push(e.wrote_state as u8);
    value_codec::encode_entry_value(&mut out, &e.value);
    // Earlier results (Entry::older), those that can be persisted.
    let older: Vec<&Entry> = e.older.iter().flat_map(|o| o.iter()).filter(|o| value_codec::persistable(&o.value)).collect();
    out.push(older.len() as u8);
    for o in older {
        value_codec::encode_entry_value(&mut out, &o.value);
        match &o.output_hash {
            Some(h) => {
                out.push(1);
                out.extend_from_slice(h);
            }
            None => out.push(0),
        }
        out.extend_from_slice(&millis(o.created).to_le_bytes());
        out.extend_from_slice(&(o.compute.as_nanos().min(u64::MAX as u128) as u64).to_le_bytes());
        codec::encode_facts(&mut out, o.trace.as_deref().unwrap_or(&[]));
        match o.deep.as_deref() {
            Some(deep) => {
                out.push(1);
                codec::encode_facts(&mut out, deep);
            }
            None => out.push(0),
        }
        out.push(o.wrote_state as u8);
    }
    seal_payload(&mut out, len_at, seal);
    out
}

/// Writes an entry's header up to its payload, with room for the payload's
/// length and seal; returns where the length goes (the payload starts 40
/// bytes after it).
fn put_header(out: &mut Vec<u8>, seal: &Seal, created_ms: u64, compute_nanos: u64, output_hash: Option<&[u8; 32]>) -> usize {
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    let flags = if seal.is_mac() { FLAG_MAC } else { 0 } | if output_hash.is_some() { FLAG_OUTPUT_HASH } else { 0 };
    out.push(flags);
    out.push(crate::VERSION.len() as u8);
    out.extend_from_slice(crate::VERSION.as_bytes());
    out.extend_from_slice(&created_ms.to_le_bytes());
    out.extend_from_slice(&compute_nanos.to_le_bytes());
    if let Some(h) = output_hash {
        out.extend_from_slice(h);
    }
    let len_at = out.len();
    out.extend_from_slice(&[0; 8 + 32]);
    len_at
}

/// Fills in the length and the seal of the payload that follows the
/// header `put_header` wrote.
fn seal_payload(out: &mut [u8], len_at: usize, seal: &Seal) {
    let payload_at = len_at + 8 + 32;
    let payload_len = (out.len() - payload_at) as u64;
    out[len_at..len_at + 8].copy_from_slice(&payload_len.to_le_bytes());
    let mut h = seal.hasher();
    h.update(&out[..len_at + 8]);
    h.update(&out[payload_at..]);
    out[len_at + 8..payload_at].copy_from_slice(h.finalize().as_bytes());
}

/// An entry's bytes around a raw payload (no output hash, created at the
/// epoch, computed in no time), sealed with `seal`: what the decoder's fuzz
/// target feeds it, so that arbitrary payloads get past the checksum.
#[doc(hidden)]
pub fn sealed(payload: &[u8], seal: &Seal) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 96);
    let len_at = put_header(&mut out, seal, 0, 0, None);
    out.extend_from_slice(payload);
    seal_payload(&mut out, len_at, seal);
    out
}

/// What the header says, once the seal is checked.
struct Opened<'a> {
    created_ms: u64,
    compute_nanos: u64,
    output_hash: Option<[u8; 32]>,
    payload: Reader<'a>,
}

fn open<'a>(bytes: &'a [u8], seal: &Seal) -> Result<Opened<'a>, String> {
    let mut r = Reader::new(bytes);
    if r.bytes(8).ok() != Some(&MAGIC[..]) {
        return Err("not a memo cache entry".into());
    }
    let v = u32::from_le_bytes(r.bytes(4)?.try_into().unwrap_or([0; 4]));
    if v != FORMAT_VERSION {
        return Err(format!("format version {v}, expected {FORMAT_VERSION}"));
    }
    let flags = r.u8()?;
    if flags & !(FLAG_MAC | FLAG_OUTPUT_HASH) != 0 {
        return Err("unknown header flags".into());
    }
    let n = r.u8()? as usize;
    let interp = r.bytes(n)?;
    if interp != crate::VERSION.as_bytes() {
        return Err(format!("written by memo {}", String::from_utf8_lossy(interp)));
    }
    let created_ms = r.u64()?;
    let compute_nanos = r.u64()?;
    let output_hash = if flags & FLAG_OUTPUT_HASH != 0 { Some(r.hash()?) } else { None };
    let payload_len = r.u64()?;
    let head_len = bytes.len() - r.remaining();
    let sealed = r.hash()?;
    if payload_len != r.remaining() as u64 {
        return Err(format!("truncated: payload has {} of {payload_len} bytes", r.remaining()));
    }
    match (flags & FLAG_MAC != 0, seal.is_mac()) {
        (false, true) => return Err("it has no MAC, and MEMO_CACHE_SECRET is set".into()),
        (true, false) => return Err("it has a MAC, and no MEMO_CACHE_SECRET is set to check it".into()),
        _ => {}
    }
    let payload = &bytes[bytes.len() - r.remaining()..];
    let mut h = seal.hasher();
    h.update(&bytes[..head_len]);
    h.update(payload);
    // blake3::Hash compares in constant time.
    if h.finalize() != blake3::Hash::from(sealed) {
        return Err(if seal.is_mac() {
            "MAC mismatch: written under another MEMO_CACHE_SECRET, or altered".into()
        } else {
            "checksum mismatch".into()
        });
    }
    Ok(Opened { created_ms, compute_nanos, output_hash, payload: Reader::new(payload) })
}

/// Decodes an entry; with `expect`, it must be the entry of that function
/// name and key.
pub fn decode(bytes: &[u8], expect: Option<(&str, &Key)>, seal: &Seal) -> Result<Entry, String> {
    let Opened { created_ms, compute_nanos, output_hash, mut payload } = open(bytes, seal)?;
    let pr = &mut payload;
    let key = pr.hash()?;
    let fn_name = pr.string()?;
    if let Some((name, want)) = expect {
        if &key != want || fn_name != name {
            return Err("the entry belongs to another key".into());
        }
    }
    let parts = codec::decode_parts(pr)?;
    let facts = codec::decode_facts(pr)?;
    let deep = match pr.u8()? {
        0 => None,
        1 => Some(codec::decode_facts(pr)?),
        _ => return Err("bad entry".into()),
    };
    let wrote_state = match pr.u8()? {
        0 => false,
        1 => true,
        _ => return Err("bad entry".into()),
    };
    let value = value_codec::decode_entry_value(pr)?;
    let name: Arc<str> = Arc::from(fn_name.as_str());
    let n_older = pr.u8()? as usize;
    if n_older > super::MAX_OLDER {
        return Err("too many earlier results".into());
    }
    let mut older = Vec::new();
    for _ in 0..n_older {
        let value = value_codec::decode_entry_value(pr)?;
        let output_hash = match pr.u8()? {
            0 => None,
            1 => Some(pr.hash()?),
            _ => return Err("bad entry".into()),
        };
        let created = UNIX_EPOCH + Duration::from_millis(pr.u64()?);
        let compute = Duration::from_nanos(pr.u64()?);
        let facts = codec::decode_facts(pr)?;
        let deep = match pr.u8()? {
            0 => None,
            1 => Some(codec::decode_facts(pr)?),
            _ => return Err("bad entry".into()),
        };
        let wrote_state = match pr.u8()? {
            0 => false,
            1 => true,
            _ => return Err("bad entry".into()),
        };
        older.push(
            Entry::new(value, output_hash, name.clone(), compute, Arc::new(KeyParts::default()))
                .with_created(created)
                .with_trace(facts, deep, wrote_state),
        );
    }
    if pr.remaining() != 0 {
        return Err("trailing bytes".into());
    }
    let created = UNIX_EPOCH + Duration::from_millis(created_ms);
    Ok(Entry::new(value, output_hash, name, Duration::from_nanos(compute_nanos), Arc::new(parts))
        .with_created(created)
        .with_trace(facts, deep, wrote_state)
        .with_earlier(older))
}

/// The function name and key parts of an entry, without decoding its value
/// (for `--explain`).
pub fn decode_parts(bytes: &[u8], seal: &Seal) -> Result<(String, KeyParts), String> {
    let mut o = open(bytes, seal)?;
    let _key = o.payload.hash()?;
    let name = o.payload.string()?;
    Ok((name, codec::decode_parts(&mut o.payload)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    fn entry() -> Entry {
        Entry::new(Value::Int(7), None, Arc::from("f"), Duration::from_millis(3), Arc::new(KeyParts::default()))
    }

    fn refused(r: Result<Entry, String>) -> String {
        match r {
            Ok(_) => panic!("decoded"),
            Err(e) => e,
        }
    }

    #[test]
    fn sealed_wraps_a_payload_the_decoder_accepts() {
        let key = [7u8; 32];
        let plain = Seal::checksum();
        let b = encode(&key, &entry(), &plain);
        // The payload follows the 32-byte seal, which follows its length.
        let n = b.len();
        let payload_len = (0..n - 40)
            .find(|&at| u64::from_le_bytes(b[at..at + 8].try_into().unwrap()) as usize == n - at - 40)
            .map(|at| n - at - 40)
            .unwrap();
        let e = decode(&sealed(&b[n - payload_len..], &plain), Some(("f", &key)), &plain).unwrap();
        assert!(matches!(e.value, Value::Int(7)));
        assert!(decode(&sealed(b"junk", &plain), None, &plain).is_err());
    }

    #[test]
    fn roundtrip_and_refusals() {
        let key = [7u8; 32];
        let plain = Seal::checksum();
        let b = encode(&key, &entry(), &plain);
        let e = decode(&b, Some(("f", &key)), &plain).unwrap();
        assert!(matches!(e.value, Value::Int(7)));
        assert_eq!(e.compute, Duration::from_millis(3));
        assert!(refused(decode(&b, Some(("g", &key)), &plain)).contains("another key"));
        assert!(refused(decode(&b, Some(("f", &[8; 32])), &plain)).contains("another key"));
        let mut bad = b.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(refused(decode(&bad, None, &plain)).contains("checksum"));
        assert!(refused(decode(&b[..b.len() - 1], None, &plain)).contains("truncated"));

        let a = Seal::with_secret(b"one");
        let signed = encode(&key, &entry(), &a);
        assert!(decode(&signed, Some(("f", &key)), &a).is_ok());
        assert!(refused(decode(&signed, None, &Seal::with_secret(b"two"))).contains("MAC mismatch"));
        assert!(refused(decode(&signed, None, &plain)).contains("no MEMO_CACHE_SECRET"));
        assert!(refused(decode(&b, None, &a)).contains("no MAC"));
        let (name, _) = decode_parts(&signed, &a).unwrap();
        assert_eq!(name, "f");
    }

    #[test]
    fn garbage_never_panics() {
        let key = [1u8; 32];
        let good = encode(&key, &entry(), &Seal::checksum());
        let mut seed = 99u64;
        for _ in 0..5000 {
            let mut b = good.clone();
            for _ in 0..3 {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let i = (seed >> 33) as usize % b.len();
                b[i] = (seed >> 13) as u8;
            }
            b.truncate((seed >> 20) as usize % (b.len() + 1));
            let _ = decode(&b, None, &Seal::checksum());
            let _ = decode_parts(&b, &Seal::checksum());
        }
    }
}
