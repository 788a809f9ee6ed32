//! The on-disk tier (spec §7; layout in docs/cache-format.md).
//!
//! ```text
//! DIR/v1/<fn dir>/name            the function's name
//! DIR/v1/<fn dir>/latest          hex key of its most recent entry
//! DIR/v1/<fn dir>/<key hex>.entry one entry: header, checksum, payload
//! ```
//!
//! Writes go to a temp file in the same directory and are renamed into place,
//! so a reader sees a whole old entry or a whole new one. A read that fails
//! in any way (missing bytes, bad magic or version, checksum mismatch,
//! undecodable payload) is a miss; the damaged file is removed and the next
//! store replaces it. Entry files' mtimes record last use, for eviction.

use super::codec::{self, Reader};
use super::key::KeyParts;
use super::{Entry, Key};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use codec::persistable;

const MAGIC: &[u8; 8] = b"MEMOCACH";
pub const FORMAT_VERSION: u32 = 1;
/// Default size bound of a cache directory.
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;

/// A cache directory.
pub struct DiskStore {
    root: PathBuf,
    max_bytes: u64,
    /// Bytes in the store, once counted (lazily, on the first write).
    total: Option<u64>,
}

/// What `memo cache stats` shows for one function.
#[derive(Debug, Default, Clone)]
pub struct FnDiskStats {
    pub name: String,
    pub entries: u64,
    pub bytes: u64,
    /// Sum of the time the entries took to compute.
    pub compute: Duration,
}

fn hex(k: &Key) -> String {
    k.iter().map(|b| format!("{b:02x}")).collect()
}

fn fn_dir_name(name: &str) -> String {
    let clean: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(40).collect();
    let h = blake3::hash(name.as_bytes());
    format!("{clean}-{}", &hex(h.as_bytes())[..12])
}

fn millis(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

impl DiskStore {
    /// Opens (creating if needed) a cache directory.
    pub fn open(dir: &Path, max_bytes: u64) -> std::io::Result<DiskStore> {
        let root = dir.join(format!("v{FORMAT_VERSION}"));
        fs::create_dir_all(&root)?;
        let tag = dir.join("CACHEDIR.TAG");
        if !tag.exists() {
            let _ = fs::write(
                &tag,
                "Signature: 8a477f597d28d172789f06886806bc55\n# memo cache directory (memo cache clear empties it)\n",
            );
        }
        Ok(DiskStore { root, max_bytes, total: None })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn fn_dir(&self, name: &str) -> PathBuf {
        self.root.join(fn_dir_name(name))
    }

    fn entry_path(&self, name: &str, key: &Key) -> PathBuf {
        self.fn_dir(name).join(format!("{}.entry", hex(key)))
    }

    /// Reads an entry: `Ok(None)` when absent, `Err(why)` when damaged (the
    /// file is then removed).
    pub fn load(&mut self, name: &str, key: &Key) -> Result<Option<Entry>, String> {
        let path = self.entry_path(name, key);
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot read: {e}")),
        };
        match decode_entry(&bytes) {
            Ok(e) => {
                // Record the use for LRU eviction.
                if let Ok(f) = fs::File::options().write(true).open(&path) {
                    let _ = f.set_modified(SystemTime::now());
                }
                Ok(Some(e))
            }
            Err(why) => {
                let _ = fs::remove_file(&path);
                Err(why)
            }
        }
    }

    /// The key parts of a function's most recent entry (for `--explain`).
    pub fn latest_parts(&mut self, name: &str) -> Option<Arc<KeyParts>> {
        let hexkey = fs::read_to_string(self.fn_dir(name).join("latest")).ok()?;
        let bytes = fs::read(self.fn_dir(name).join(format!("{}.entry", hexkey.trim()))).ok()?;
        decode_entry(&bytes).ok().map(|e| e.parts)
    }

    /// Writes an entry atomically; enforces `max_entries` and the size bound.
    /// Failures are ignored (the cache is an optimization), but never leave
    /// a partial entry.
    pub fn save(&mut self, key: &Key, e: &Entry, max_entries: Option<usize>) {
        let dir = self.fn_dir(&e.fn_name);
        if fs::create_dir_all(&dir).is_err() {
            return;
        }
        let name_file = dir.join("name");
        if !name_file.exists() {
            let _ = write_atomic(&dir, &name_file, e.fn_name.as_bytes());
        }
        // An entry bigger than the whole store is not written (and its
        // encoding stops there: see `encode_value_capped`).
        let Some(bytes) = encode_entry(e, self.max_bytes.min(usize::MAX as u64) as usize) else { return };
        let path = dir.join(format!("{}.entry", hex(key)));
        let old = fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        if write_atomic(&dir, &path, &bytes).is_err() {
            return;
        }
        let _ = write_atomic(&dir, &dir.join("latest"), hex(key).as_bytes());
        if let Some(t) = &mut self.total {
            *t = (*t + bytes.len() as u64).saturating_sub(old);
        }
        if let Some(max) = max_entries {
            let mut files = entry_files(&dir);
            if files.len() > max {
                files.sort_by_key(|(_, mtime, _)| *mtime);
                let extra = files.len() - max;
                for (p, _, len) in files.into_iter().take(extra) {
                    if fs::remove_file(&p).is_ok() {
                        if let Some(t) = &mut self.total {
                            *t = t.saturating_sub(len);
                        }
                    }
                }
            }
        }
        self.enforce_size();
    }

    fn enforce_size(&mut self) {
        let total = match self.total {
            Some(t) => t,
            None => {
                let t = self.all_entries().iter().map(|(_, _, l)| *l).sum();
                self.total = Some(t);
                t
            }
        };
        if total <= self.max_bytes {
            return;
        }
        let mut all = self.all_entries();
        all.sort_by_key(|(_, mtime, _)| *mtime);
        let mut t = total;
        let target = self.max_bytes / 10 * 9;
        for (p, _, len) in all {
            if t <= target {
                break;
            }
            if fs::remove_file(&p).is_ok() {
                t = t.saturating_sub(len);
            }
        }
        self.total = Some(t);
    }

    fn fn_dirs(&self) -> Vec<PathBuf> {
        fs::read_dir(&self.root)
            .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.is_dir()).collect())
            .unwrap_or_default()
    }

    fn all_entries(&self) -> Vec<(PathBuf, SystemTime, u64)> {
        self.fn_dirs().iter().flat_map(|d| entry_files(d)).collect()
    }

    /// Removes one entry.
    pub fn remove(&mut self, name: &str, key: &Key) {
        let p = self.entry_path(name, key);
        if let Ok(m) = fs::metadata(&p) {
            if fs::remove_file(&p).is_ok() {
                if let Some(t) = &mut self.total {
                    *t = t.saturating_sub(m.len());
                }
            }
        }
    }

    /// Removes a function's entries, or all entries.
    pub fn clear(&mut self, name: Option<&str>) -> u64 {
        let dirs = match name {
            Some(n) => vec![self.fn_dir(n)],
            None => self.fn_dirs(),
        };
        let mut removed = 0;
        for d in dirs {
            removed += entry_files(&d).len() as u64;
            let _ = fs::remove_dir_all(&d);
        }
        self.total = None;
        removed
    }

    /// Per-function statistics, sorted by name.
    pub fn stats(&self) -> Vec<FnDiskStats> {
        let mut out = Vec::new();
        for d in self.fn_dirs() {
            let name =
                fs::read_to_string(d.join("name")).unwrap_or_else(|_| d.file_name().unwrap_or_default().to_string_lossy().into());
            let mut s = FnDiskStats { name, ..Default::default() };
            for (p, _, len) in entry_files(&d) {
                s.entries += 1;
                s.bytes += len;
                if let Ok(bytes) = read_header_bytes(&p) {
                    if let Ok(h) = decode_header(&mut Reader::new(&bytes)) {
                        s.compute += Duration::from_nanos(h.compute_nanos);
                    }
                }
            }
            if s.entries > 0 {
                out.push(s);
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }
}

fn entry_files(dir: &Path) -> Vec<(PathBuf, SystemTime, u64)> {
    fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter(|e| e.path().extension().is_some_and(|x| x == "entry"))
                .filter_map(|e| {
                    let m = e.metadata().ok()?;
                    Some((e.path(), m.modified().unwrap_or(UNIX_EPOCH), m.len()))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn write_atomic(dir: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let tmp = dir.join(format!(".tmp-{}-{n}-{nanos}", std::process::id()));
    let r = (|| {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_data()?;
        drop(f);
        fs::rename(&tmp, path)
    })();
    if r.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    r
}

struct Header {
    fn_name: String,
    created_ms: u64,
    compute_nanos: u64,
    output_hash: Option<[u8; 32]>,
    payload_len: u64,
    checksum: [u8; 32],
}

fn encode_entry(e: &Entry, cap: usize) -> Option<Vec<u8>> {
    let mut payload = Vec::new();
    codec::encode_parts(&mut payload, &e.parts);
    if !codec::encode_value_capped(&mut payload, &e.value, cap) {
        return None;
    }
    let mut out = Vec::with_capacity(payload.len() + 160);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    let put_str = |out: &mut Vec<u8>, s: &str| {
        out.extend_from_slice(&(s.len() as u64).to_le_bytes());
        out.extend_from_slice(s.as_bytes());
    };
    put_str(&mut out, crate::VERSION);
    put_str(&mut out, &e.fn_name);
    out.extend_from_slice(&millis(e.created).to_le_bytes());
    out.extend_from_slice(&(e.compute.as_nanos() as u64).to_le_bytes());
    match &e.output_hash {
        Some(h) => {
            out.push(1);
            out.extend_from_slice(h);
        }
        None => out.push(0),
    }
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(blake3::hash(&payload).as_bytes());
    out.extend_from_slice(&payload);
    Some(out)
}

fn decode_header(r: &mut Reader) -> Result<Header, String> {
    if r.bytes(8)? != MAGIC {
        return Err("not a memo cache entry".into());
    }
    let v = u32::from_le_bytes(r.bytes(4)?.try_into().unwrap_or([0; 4]));
    if v != FORMAT_VERSION {
        return Err(format!("format version {v}, expected {FORMAT_VERSION}"));
    }
    let interp = r.string()?;
    if interp != crate::VERSION {
        return Err(format!("written by memo {interp}"));
    }
    let fn_name = r.string()?;
    let created_ms = r.u64()?;
    let compute_nanos = r.u64()?;
    let output_hash = match r.u8()? {
        0 => None,
        1 => Some(r.hash()?),
        _ => return Err("bad header".into()),
    };
    let payload_len = r.u64()?;
    let checksum = r.hash()?;
    Ok(Header { fn_name, created_ms, compute_nanos, output_hash, payload_len, checksum })
}

fn read_header_bytes(p: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut buf = vec![0u8; 4096];
    let mut f = fs::File::open(p)?;
    let n = f.read(&mut buf)?;
    buf.truncate(n);
    Ok(buf)
}

fn decode_entry(bytes: &[u8]) -> Result<Entry, String> {
    let mut r = Reader::new(bytes);
    let h = decode_header(&mut r)?;
    if h.payload_len != r.remaining() as u64 {
        return Err(format!("truncated: payload has {} of {} bytes", r.remaining(), h.payload_len));
    }
    let payload = r.bytes(h.payload_len as usize)?;
    if blake3::hash(payload).as_bytes() != &h.checksum {
        return Err("checksum mismatch".into());
    }
    let mut pr = Reader::new(payload);
    let parts = codec::decode_parts(&mut pr)?;
    let value = codec::decode_value(&mut pr, 0)?;
    if pr.remaining() != 0 {
        return Err("trailing bytes".into());
    }
    let created = UNIX_EPOCH + Duration::from_millis(h.created_ms);
    Ok(Entry::new(value, h.output_hash, Arc::from(h.fn_name.as_str()), Duration::from_nanos(h.compute_nanos), Arc::new(parts))
        .with_created(created))
}
