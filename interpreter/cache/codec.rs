//! The binary encoding of cached values and key parts for the disk store
//! (documented in docs/cache-format.md). A hand-written tagged encoding:
//! one tag byte per value, little-endian fixed-width numbers, u64 lengths.
//! Decoding never trusts its input: every length is checked against the
//! bytes that remain, nesting is bounded, and any problem is an `Err`.

use super::key::{ArgPart, KeyParts};
use super::trace::{CallFact, Fact, FileFact, FileWhat, Stat};
use crate::hashing::deps::{Dep, DepKind};
use crate::value::{BuiltinType, StructType, TypeValue, Value};
use std::sync::Arc;

const NONE: u8 = 0;
const FALSE: u8 = 1;
const TRUE: u8 = 2;
const INT: u8 = 3;
const FLOAT: u8 = 4;
const STR: u8 = 5;
const LIST: u8 = 6;
const MAP: u8 = 7;
const RANGE: u8 = 8;
const STRUCT: u8 = 9;
const TYPE_BUILTIN: u8 = 10;
const TYPE_STRUCT: u8 = 11;

const MAX_DEPTH: usize = 2_000;

/// Can this value be written to disk? (fns, cells and native objects cannot.)
pub fn persistable(v: &Value) -> bool {
    fn go(v: &Value, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        match v {
            Value::None | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Str(_) | Value::Range(_) => true,
            Value::List(l) => !l.may_mutate && l.iter().all(|x| go(x, depth + 1)),
            Value::Map(m) => !m.may_mutate && m.map.iter().all(|(k, x)| go(k, depth + 1) && go(x, depth + 1)),
            Value::Struct(s) => !s.may_mutate && s.fields.iter().all(|x| go(x, depth + 1)),
            Value::Type(t) => match &**t {
                TypeValue::Native(_) => false,
                // (The encoding of a struct type has no room for `mut`.)
                TypeValue::Struct(st) => !st.mutable,
                TypeValue::Builtin(_) => true,
            },
            Value::Func(_) | Value::Native(_) | Value::Cell(_) | Value::Object(_) | Value::Obj(_) => false,
        }
    }
    go(v, 0)
}

// ----- writing -----

fn put_u64(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(&n.to_le_bytes());
}

pub fn put_str(out: &mut Vec<u8>, s: &str) {
    put_u64(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

/// Appends the encoding of a persistable value.
pub fn encode_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::None => out.push(NONE),
        Value::Bool(b) => out.push(if b.get() { TRUE } else { FALSE }),
        Value::Int(i) => {
            out.push(INT);
            out.extend_from_slice(&i.to_le_bytes());
        }
        Value::Float(f) => {
            out.push(FLOAT);
            out.extend_from_slice(&f.get().to_bits().to_le_bytes());
        }
        Value::Str(s) => {
            out.push(STR);
            put_str(out, &s.s);
        }
        Value::List(l) => {
            out.push(LIST);
            put_u64(out, l.items.len() as u64);
            for x in l.iter() {
                encode_value(out, x);
            }
        }
        Value::Map(m) => {
            out.push(MAP);
            put_u64(out, m.map.len() as u64);
            for (k, x) in m.map.iter() {
                encode_value(out, k);
                encode_value(out, x);
            }
        }
        Value::Range(r) => {
            out.push(RANGE);
            out.extend_from_slice(&r.start.to_le_bytes());
            out.extend_from_slice(&r.end.to_le_bytes());
            out.push(r.inclusive as u8);
        }
        Value::Struct(s) => {
            out.push(STRUCT);
            encode_struct_type(out, &s.ty);
            for x in s.fields.iter() {
                encode_value(out, x);
            }
        }
        Value::Type(t) => match &**t {
            TypeValue::Builtin(b) => {
                out.push(TYPE_BUILTIN);
                put_str(out, b.name());
            }
            TypeValue::Struct(st) => {
                out.push(TYPE_STRUCT);
                encode_struct_type(out, st);
            }
            TypeValue::Native(_) => out.push(NONE),
        },
        // Not persistable: callers check `persistable` first.
        Value::Func(_) | Value::Native(_) | Value::Cell(_) | Value::Object(_) | Value::Obj(_) => out.push(NONE),
    }
}

fn encode_struct_type(out: &mut Vec<u8>, st: &StructType) {
    put_str(out, &st.name);
    put_u64(out, st.fields.len() as u64);
    for f in &st.fields {
        put_str(out, f);
    }
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

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf, pos: 0 }
    }

    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    pub fn bytes(&mut self, n: usize) -> DecodeResult<&'a [u8]> {
        if n > self.remaining() {
            return Err("truncated".into());
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    pub fn u8(&mut self) -> DecodeResult<u8> {
        Ok(self.bytes(1)?[0])
    }

    pub fn u64(&mut self) -> DecodeResult<u64> {
        let b = self.bytes(8)?;
        Ok(u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
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

    pub fn string(&mut self) -> DecodeResult<String> {
        let n = self.len(1)?;
        let b = self.bytes(n)?;
        String::from_utf8(b.to_vec()).map_err(|_| "invalid UTF-8".to_string())
    }
}

/// Decodes one value.
pub fn decode_value(r: &mut Reader, depth: usize) -> DecodeResult<Value> {
    if depth > MAX_DEPTH {
        return Err("nested too deeply".into());
    }
    Ok(match r.u8()? {
        NONE => Value::None,
        FALSE => Value::bool(false),
        TRUE => Value::bool(true),
        INT => Value::Int(r.i64()?),
        FLOAT => Value::float(f64::from_bits(r.u64()?)),
        STR => Value::str(r.string()?),
        LIST => {
            let n = r.len(1)?;
            let mut v = Vec::with_capacity(n);
            for _ in 0..n {
                v.push(decode_value(r, depth + 1)?);
            }
            Value::list_from(v)
        }
        MAP => {
            let n = r.len(2)?;
            let mut m = crate::value::ValueMap::with_capacity(n);
            for _ in 0..n {
                let k = decode_value(r, depth + 1)?;
                let x = decode_value(r, depth + 1)?;
                m.insert(k, x);
            }
            Value::map(m)
        }
        RANGE => {
            let (a, b) = (r.i64()?, r.i64()?);
            Value::range(a, b, r.u8()? != 0)
        }
        STRUCT => {
            let ty = decode_struct_type(r)?;
            let mut fields = Vec::with_capacity(ty.fields.len());
            for _ in 0..ty.fields.len() {
                fields.push(decode_value(r, depth + 1)?);
            }
            Value::new_struct(ty, fields.into_boxed_slice())
        }
        TYPE_BUILTIN => {
            let name = r.string()?;
            let b = BuiltinType::from_name(&name).ok_or("unknown builtin type")?;
            Value::builtin_type(b)
        }
        TYPE_STRUCT => Value::Type(Arc::new(TypeValue::Struct(decode_struct_type(r)?))),
        t => return Err(format!("unknown value tag {t}")),
    })
}

fn decode_struct_type(r: &mut Reader) -> DecodeResult<Arc<StructType>> {
    let name = r.string()?;
    let n = r.len(8)?;
    let mut fields = Vec::with_capacity(n);
    for _ in 0..n {
        fields.push(r.string()?);
    }
    Ok(Arc::new(StructType::new(name, fields, false)))
}

/// Decodes key parts.
pub fn decode_parts(r: &mut Reader) -> DecodeResult<KeyParts> {
    let n = r.len(48)?;
    let mut args = Vec::with_capacity(n);
    for _ in 0..n {
        let name = r.string()?;
        let digest = r.hash()?;
        let shown = r.string()?;
        args.push(ArgPart { name, digest, shown });
    }
    let n = r.len(49)?;
    let mut deps = Vec::with_capacity(n);
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
                            v.push(decode_value(r, 1)?);
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
            t => return Err(format!("unknown fact tag {t}")),
        };
        facts.push(f);
    }
    Ok(facts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(v: &Value) -> Value {
        let mut out = Vec::new();
        encode_value(&mut out, v);
        decode_value(&mut Reader::new(&out), 0).unwrap()
    }

    #[test]
    fn values_roundtrip() {
        let ty = Arc::new(StructType::new("P".into(), vec!["x".into(), "y".into()], false));
        let vals = vec![
            Value::None,
            Value::bool(true),
            Value::Int(-5),
            Value::float(1.5),
            Value::str("héllo"),
            Value::list_from(vec![Value::Int(1), Value::str("a")]),
            Value::range(0, 10, true),
            Value::new_struct(ty, vec![Value::Int(1), Value::Int(2)].into_boxed_slice()),
            Value::builtin_type(BuiltinType::Map),
        ];
        for v in vals {
            assert!(persistable(&v));
            assert_eq!(crate::value::repr(&roundtrip(&v)), crate::value::repr(&v));
        }
    }

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
            let _ = decode_value(&mut Reader::new(&buf), 0);
            let _ = decode_parts(&mut Reader::new(&buf));
        }
    }
}
