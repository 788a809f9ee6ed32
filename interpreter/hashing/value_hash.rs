//! Structural hashes of values, memoized on immutable heap values.
//!
//! Scalars are fed inline (a tag and their bytes). A list, map, struct or long
//! string contributes a 32-byte digest of its own, computed once and kept in
//! the value's `hash` cell, so hashing an unchanged 1,000,000-element list a
//! second time reads 32 bytes. Values that may change (they hold a cell or a
//! native object) and walks under `hash_funcs` are never memoized.
//!
//! Every element visited counts as an operation of the run's budget (a
//! value whose parts are shared can have far more elements than it takes
//! memory: see `value/meter.rs`), and so does each `BYTES_PER_OP` bytes of
//! a long string's first digest.
//!
//! Floats hash by bits with NaN canonicalized (`-0.0` and `0.0` differ:
//! they print differently); an int and a float are different (`f(1)` and
//! `f(1.0)` are different keys even though `==`). Scalars are fed exactly as
//! the code hash feeds literals (`crate::compiler::code_hash`).

use crate::compiler::code_hash::{feed_float, feed_int, feed_str, lit_tag};
pub use crate::compiler::code_hash::{float_bits, Sink};
use crate::error::{MemoError, Result};
use crate::interp::Interp;
use crate::value::{Hash32, TypeValue, Value};

/// Strings at least this long get a memoized digest of their own.
const LONG_STR: usize = 256;

mod tag {
    pub const STR_DIGEST: u8 = 6;
    pub const LIST: u8 = 7;
    pub const MAP: u8 = 8;
    pub const RANGE: u8 = 9;
    pub const STRUCT: u8 = 10;
    pub const FUNC: u8 = 11;
    pub const NATIVE_FN: u8 = 12;
    pub const CELL: u8 = 13;
    pub const TYPE: u8 = 14;
    pub const OBJECT: u8 = 15;
    pub const DIGEST: u8 = 16;
    pub const REPLACED: u8 = 17;
    /// A `mut struct` instance: its type, then its fields.
    pub const MUT_OBJ: u8 = 18;
    /// A mutable object already being hashed further up: how many objects
    /// up (a cycle, cut).
    pub const BACK_REF: u8 = 19;
}

thread_local! {
    /// The mutable objects being hashed, outermost first (cycle cuts).
    static PATH: std::cell::RefCell<Vec<usize>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Feeds a back-reference and returns true when the object at `at` is
/// being hashed further up.
fn back_ref(h: &mut impl Sink, at: usize) -> bool {
    let up = PATH.with(|p| {
        let p = p.borrow();
        p.iter().rposition(|&x| x == at).map(|pos| (p.len() - pos) as u64)
    });
    match up {
        Some(up) => {
            h.update(&[tag::BACK_REF]);
            h.update(&up.to_le_bytes());
            true
        }
        None => false,
    }
}

/// Runs `f` with the object at `at` on the path.
fn within<T>(at: usize, f: impl FnOnce() -> T) -> T {
    PATH.with(|p| p.borrow_mut().push(at));
    let r = f();
    PATH.with(|p| p.borrow_mut().pop());
    r
}

fn not_readable(what: &str) -> MemoError {
    MemoError::new("ValueError", format!("cannot hash {what} that belongs to another interpreter"))
}

/// A blake3 hasher fed through a buffer: a container's elements arrive a
/// few bytes at a time (9 for an int), and each `blake3::Hasher::update`
/// call costs ~200 instructions however little it is given. blake3 is a
/// streaming hash, so the digest does not depend on how the input is cut.
pub struct Buffered {
    h: blake3::Hasher,
    buf: [u8; 512],
    len: usize,
}

impl Buffered {
    pub fn new() -> Buffered {
        Buffered { h: blake3::Hasher::new(), buf: [0; 512], len: 0 }
    }

    pub fn finalize(mut self) -> Hash32 {
        self.h.update(&self.buf[..self.len]);
        *self.h.finalize().as_bytes()
    }
}

impl Default for Buffered {
    fn default() -> Self {
        Buffered::new()
    }
}

impl Sink for Buffered {
    #[inline]
    fn update(&mut self, bytes: &[u8]) {
        if self.len + bytes.len() > self.buf.len() {
            self.h.update(&self.buf[..self.len]);
            self.len = 0;
            if bytes.len() > self.buf.len() {
                self.h.update(bytes);
                return;
            }
        }
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }
}

/// A keyed blake3 hash that buffers small inputs on the stack.
pub struct KeyBuf {
    key: [u8; 32],
    buf: [u8; 120],
    len: usize,
    /// Boxed: a blake3 hasher is about 2 KB and most keys never need one.
    spill: Option<Box<blake3::Hasher>>,
}

impl KeyBuf {
    pub fn new(key: &[u8; 32]) -> KeyBuf {
        KeyBuf { key: *key, buf: [0; 120], len: 0, spill: None }
    }

    /// The whole input, when it fit in the buffer.
    pub fn bytes(&self) -> Option<&[u8]> {
        match self.spill {
            Some(_) => None,
            None => Some(&self.buf[..self.len]),
        }
    }

    pub fn finish(self) -> Hash32 {
        match self.spill {
            Some(h) => *h.finalize().as_bytes(),
            None => *blake3::keyed_hash(&self.key, &self.buf[..self.len]).as_bytes(),
        }
    }
}

impl Sink for KeyBuf {
    #[inline]
    fn update(&mut self, bytes: &[u8]) {
        if let Some(h) = &mut self.spill {
            h.update(bytes);
        } else if self.len + bytes.len() <= self.buf.len() {
            if bytes.len() <= 16 {
                // Byte loop: a few bytes, cheaper than a memcpy call.
                for (d, s) in self.buf[self.len..].iter_mut().zip(bytes) {
                    *d = *s;
                }
            } else {
                self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
            }
            self.len += bytes.len();
        } else {
            let mut h = Box::new(blake3::Hasher::new_keyed(&self.key));
            h.update(&self.buf[..self.len]);
            h.update(bytes);
            self.spill = Some(h);
        }
    }
}

/// Feeds a scalar (none, a bool, an int, a float): what needs no context.
pub fn feed_scalar(h: &mut impl Sink, v: &Value) {
    match v {
        Value::None => h.update(&[lit_tag::NONE]),
        Value::Bool(b) => h.update(&[if b.get() { lit_tag::TRUE } else { lit_tag::FALSE }]),
        Value::Int(i) => feed_int(h, *i),
        Value::Float(f) => feed_float(h, f.get()),
        _ => {
            // Not called with other values; keep the hash total anyway.
            h.update(&[tag::REPLACED]);
        }
    }
}

/// What is being hashed, for error messages and `hash_funcs`.
pub struct HashCx<'a> {
    /// `(type name, fn)` pairs from the cached fn's `hash_funcs`.
    pub hash_funcs: &'a [(String, Value)],
    /// e.g. "argument `conn` of cached fn `get_users`"
    pub what: &'a dyn Fn() -> String,
    /// Hash a function by its own code and captured values, not by what
    /// the globals it reads hold now (the output-mutation check: a cached
    /// value is not "mutated" when a global its function reads changes).
    pub shallow_fns: bool,
}

impl HashCx<'_> {
    fn unhashable(&self, type_name: &str) -> MemoError {
        MemoError::new(
            "UnhashableTypeError",
            format!(
                "cannot hash {}: values of type `{type_name}` have no hash; tell memo how with cached(hash_funcs: {{{type_name}: id}}) (or another fn)",
                (self.what)()
            ),
        )
    }
}

/// Digest of a whole value.
pub fn digest(interp: &mut Interp, v: &Value, cx: &HashCx) -> Result<Hash32> {
    let mut h = blake3::Hasher::new();
    feed(interp, &mut h, v, cx)?;
    Ok(*h.finalize().as_bytes())
}

/// The digest the output-mutation check compares: functions inside hash by
/// their own code and captures (see `HashCx::shallow_fns`).
pub fn output_digest(interp: &mut Interp, v: &Value, cx: &HashCx) -> Result<Hash32> {
    let cx = HashCx { hash_funcs: cx.hash_funcs, what: cx.what, shallow_fns: true };
    digest(interp, v, &cx)
}

/// Feeds one value into `h`.
pub fn feed(interp: &mut Interp, h: &mut impl Sink, v: &Value, cx: &HashCx) -> Result<()> {
    if crate::stack::near_overflow() {
        return Err(MemoError::new("RecursionError", "value nested too deeply to hash"));
    }
    if !cx.hash_funcs.is_empty() {
        let name = v.type_name();
        if let Some((_, f)) = cx.hash_funcs.iter().find(|(t, _)| t == name) {
            let f = f.clone();
            let replaced = interp.call_value(&f, &mut [v.clone()], None)?;
            h.update(&[tag::REPLACED]);
            // The replacement is hashed recursively, without hash_funcs (no loops).
            let plain = HashCx { hash_funcs: &[], what: cx.what, shallow_fns: cx.shallow_fns };
            return feed(interp, h, &replaced, &plain);
        }
    }
    match v {
        Value::None | Value::Bool(_) | Value::Int(_) | Value::Float(_) => feed_scalar(h, v),
        Value::Str(s) => {
            if s.s.len() < LONG_STR {
                feed_str(h, &s.s);
            } else {
                let d = match s.hash.get() {
                    Some(d) => *d,
                    None => {
                        interp.charge_bytes(s.s.len())?;
                        let mut sh = blake3::Hasher::new();
                        feed_str(&mut sh, &s.s);
                        let d = *sh.finalize().as_bytes();
                        let _ = s.hash.set(Box::new(d));
                        d
                    }
                };
                h.update(&[tag::STR_DIGEST]);
                h.update(&d);
            }
        }
        Value::List(l) => {
            let can_memo = cx.hash_funcs.is_empty() && !l.may_mutate;
            let d = memo(&l.hash, can_memo, || {
                let mut lh = Buffered::new();
                lh.update(&[tag::LIST]);
                lh.update(&(l.items.len() as u64).to_le_bytes());
                for item in l.iter() {
                    interp.step()?;
                    feed(interp, &mut lh, item, cx)?;
                }
                Ok(lh.finalize())
            })?;
            h.update(&[tag::DIGEST]);
            h.update(&d);
        }
        Value::Map(m) => {
            let can_memo = cx.hash_funcs.is_empty() && !m.may_mutate;
            let d = memo(&m.hash, can_memo, || {
                let mut mh = Buffered::new();
                mh.update(&[tag::MAP]);
                mh.update(&(m.map.len() as u64).to_le_bytes());
                for (k, val) in m.map.iter() {
                    interp.step()?;
                    feed(interp, &mut mh, k, cx)?;
                    feed(interp, &mut mh, val, cx)?;
                }
                Ok(mh.finalize())
            })?;
            h.update(&[tag::DIGEST]);
            h.update(&d);
        }
        Value::Struct(s) => {
            let can_memo = cx.hash_funcs.is_empty() && !s.may_mutate;
            let d = memo(&s.hash, can_memo, || {
                let mut sh = Buffered::new();
                sh.update(&[tag::STRUCT]);
                feed_type(&mut sh, &TypeValue::Struct(s.ty.clone()));
                for f in s.fields.iter() {
                    interp.step()?;
                    feed(interp, &mut sh, f, cx)?;
                }
                Ok(sh.finalize())
            })?;
            h.update(&[tag::DIGEST]);
            h.update(&d);
        }
        Value::Range(r) => {
            h.update(&[tag::RANGE, r.inclusive as u8]);
            h.update(&r.start.to_le_bytes());
            h.update(&r.end.to_le_bytes());
        }
        Value::Type(t) => {
            h.update(&[tag::TYPE]);
            feed_type(h, t);
        }
        Value::Native(n) => {
            h.update(&[tag::NATIVE_FN]);
            feed_str(h, &n.name);
            feed_str(h, crate::VERSION);
        }
        Value::Func(c) if cx.shallow_fns => {
            h.update(&[tag::FUNC]);
            h.update(&c.proto.ast_hash);
            for v in c.captures.iter() {
                feed(interp, h, v, cx)?;
            }
        }
        Value::Func(c) => {
            let code = interp.closure_code_hash(c)?;
            h.update(&[tag::FUNC]);
            h.update(&code);
        }
        Value::Cell(c) => {
            let at = std::sync::Arc::as_ptr(c) as usize;
            if back_ref(h, at) {
                return Ok(());
            }
            let inner = c.get(interp.reader()).ok_or_else(|| not_readable("a cell"))?;
            h.update(&[tag::CELL]);
            within(at, || feed(interp, h, &inner, cx))?;
        }
        Value::Obj(o) => {
            // By its current content, as a cell: a cached fn taking it
            // misses once it changed.
            let at = std::sync::Arc::as_ptr(o) as usize;
            if back_ref(h, at) {
                return Ok(());
            }
            let fields = o.fields(interp.reader()).ok_or_else(|| not_readable("an object"))?;
            h.update(&[tag::MUT_OBJ]);
            feed_type(h, &TypeValue::Struct(o.ty.clone()));
            within(at, || -> Result<()> {
                for f in &fields {
                    feed(interp, h, f, cx)?;
                }
                Ok(())
            })?;
        }
        Value::Object(o) => match &o.ty.hash {
            Some(f) => {
                h.update(&[tag::OBJECT]);
                feed_str(h, &o.ty.name);
                h.update(&f(o.data.as_ref()));
            }
            None => return Err(cx.unhashable(&o.ty.name)),
        },
    }
    Ok(())
}

fn feed_type(h: &mut impl Sink, t: &TypeValue) {
    feed_str(h, t.name());
    if let TypeValue::Struct(s) = t {
        // A `mut struct` type's count has the top bit set (an immutable
        // struct type hashes as it always did).
        let n = s.fields.len() as u64 | if s.mutable { 1 << 63 } else { 0 };
        h.update(&n.to_le_bytes());
        for f in &s.fields {
            feed_str(h, f);
        }
    }
}

fn memo(cell: &crate::value::HashMemo, can_memo: bool, compute: impl FnOnce() -> Result<Hash32>) -> Result<Hash32> {
    if can_memo {
        if let Some(d) = cell.get() {
            return Ok(*d);
        }
    }
    let d = compute()?;
    if can_memo {
        let _ = cell.set(Box::new(d));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Cache;

    fn hex(d: &Hash32) -> String {
        d.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn digests(src: &str, names: &[&str]) -> Vec<String> {
        let mut i = crate::engine::new_interp(Cache::memory());
        i.out = Box::new(std::io::sink());
        if let Err(e) = i.run_source("t.memo", src) {
            panic!("{}", e.message);
        }
        let what = || String::from("a test value");
        let cx = HashCx { hash_funcs: &[], what: &what, shallow_fns: false };
        names
            .iter()
            .map(|n| {
                let v = i.get_global(n).expect("defined");
                hex(&digest(&mut i, &v, &cx).expect("hashable"))
            })
            .collect()
    }

    /// Digests are part of the disk cache's keys: a change here makes every
    /// stored entry a miss, so it must be deliberate (and documented in
    /// docs/cache-format.md). The same value in every internal form (flat
    /// list or tree, small map, hash table or tree) has the same digest.
    #[test]
    fn digests_are_stable_and_independent_of_the_form() {
        let src = r#"
            struct P { x, y }
            let flat = list(0..300)
            let tree = flat
            tree[0] = 0
            let small = {"a": 1, "b": [1.5, none, true]}
            let hashed = {}
            for i in 0..40 { hashed["k" + str(i)] = i }
            let treed = hashed
            treed[[0]] = 0
            treed = remove(treed, [0])
            let nested = [P(1, "s"), small, -7, 2.0, "é"]
        "#;
        let d = digests(src, &["flat", "tree", "small", "hashed", "treed", "nested"]);
        assert_eq!(d[0], d[1], "a flat list and its tree copy");
        assert_eq!(d[3], d[4], "a hash-form map and its tree copy");
        assert_eq!(d[0], "37dbd56c8b608e2dbf901074f70c51aebd1c057ea28cbcf03be850bf814e8cf2");
        assert_eq!(d[2], "9a8c4586e31154893b8889e2b4032b767c10ceb2796ffd0add20149fb850d3d4");
        assert_eq!(d[3], "828cbb609f6edd3375030e07c810a7c20f8c0497fc61849c635eb27ba3b3cade");
        assert_eq!(d[5], "d1a2bb6c4182eb52714211f316aac52ef57bb7ea753e063bdeced4e89d21509a");
    }

    /// Chunks of every size around the buffers' bounds.
    fn chunks() -> Vec<Vec<u8>> {
        let sizes = [0, 1, 5, 16, 17, 100, 119, 120, 121, 255, 256, 511, 512, 513, 700, 1500, 3, 64];
        sizes.iter().enumerate().map(|(k, &n)| (0..n).map(|b| (b * 7 + k) as u8).collect()).collect()
    }

    #[test]
    fn buffered_hashes_what_blake3_hashes() {
        let all = chunks();
        for start in 0..all.len() {
            let mut b = Buffered::new();
            let mut whole = Vec::new();
            for c in all[start..].iter().chain(&all[..start]) {
                b.update(c);
                whole.extend_from_slice(c);
            }
            assert_eq!(b.finalize(), *blake3::hash(&whole).as_bytes(), "from chunk {start}");
        }
    }

    #[test]
    fn keybuf_hashes_what_keyed_blake3_hashes_and_keeps_small_inputs() {
        let key = [9u8; 32];
        let all = chunks();
        for start in 0..all.len() {
            let mut k = KeyBuf::new(&key);
            let mut whole = Vec::new();
            for c in all[start..].iter().chain(&all[..start]) {
                k.update(c);
                whole.extend_from_slice(c);
                // The input so far, while it fits in the buffer.
                match k.bytes() {
                    Some(b) => assert_eq!(b, &whole[..]),
                    None => assert!(whole.len() > 120, "spilled at {} bytes", whole.len()),
                }
            }
            assert_eq!(k.finish(), *blake3::keyed_hash(&key, &whole).as_bytes(), "from chunk {start}");
        }
        // Small inputs stay in the buffer.
        let mut k = KeyBuf::new(&key);
        k.update(b"small");
        k.update(&[1; 115]);
        assert_eq!(k.bytes().map(<[u8]>::len), Some(120));
    }

    #[test]
    fn literals_of_every_kind_tell_code_apart() {
        // Functions that differ only in a literal have different code.
        let d = digests(
            "fn a() { \"x\" }\nfn b() { \"y\" }\nfn c() { 1 }\nfn d() { 2 }\nfn e() { 0.0 }\nfn f() { -0.0 }\nfn g() { true }\nfn h() { false }\nfn k() { none }",
            &["a", "b", "c", "d", "e", "f", "g", "h", "k"],
        );
        let distinct: std::collections::HashSet<&String> = d.iter().collect();
        assert_eq!(distinct.len(), d.len(), "{d:?}");
    }

    #[test]
    fn a_mut_struct_type_is_not_its_immutable_twin() {
        let a = digests("struct P { x }", &["P"]);
        let b = digests("mut struct P { x }", &["P"]);
        assert_ne!(a, b);
    }
}
