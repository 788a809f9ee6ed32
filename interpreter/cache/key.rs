//! The cache key of a call: blake3 over the function's transitive code hash
//! (its code, its `hash_funcs`, its captures, its free variables and the code
//! of every function it uses) and the argument values (with `hash_funcs`
//! applied). Per-part digests are kept only when needed (misses, explain).

use super::session::sess;
use super::CachedFn;
use crate::error::Result;
use crate::hashing::deps::{short, Dep};
use crate::hashing::value_hash::{self, HashCx, KeyBuf, Sink};

/// The blake3 key that separates cache keys from every other hash memo makes.
const KEY_DOMAIN: &[u8; 32] = b"memo cache key, format 1........";

/// How many (key input → key) pairs an interpreter remembers.
const KEY_MEMO_MAX: usize = 16_384;
use crate::interp::Interp;
use crate::value::{Closure, Hash32, Value};
use std::sync::Arc;

/// One argument, as remembered for explanations.
#[derive(Clone, Debug, PartialEq)]
pub struct ArgPart {
    pub name: String,
    pub digest: Hash32,
    pub shown: String,
}

/// The parts a key was built from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KeyParts {
    pub args: Vec<ArgPart>,
    /// The function's own code, the code of what it uses, its free variables.
    pub deps: Vec<Dep>,
    /// The digest of the function's `hash_funcs` option.
    pub hash_funcs: Hash32,
}

fn arg_what<'a>(clo: &'a Closure, cf: &'a CachedFn, i: usize) -> impl Fn() -> String + 'a {
    move || {
        let p = clo.proto.params.get(i).map(String::as_str).unwrap_or("?");
        format!("argument `{p}` of cached fn `{}`", cf.name)
    }
}

/// Computes the key of calling `clo` with `args`.
pub fn compute(interp: &mut Interp, clo: &Arc<Closure>, cf: &CachedFn, args: &[Value]) -> Result<Hash32> {
    // The code hash of a cached fn includes its name (see hashing::deps), so
    // two cached fns with the same body keep separate entries.
    let code = interp.closure_code_hash(clo)?;
    let mut h = KeyBuf::new(KEY_DOMAIN);
    h.update(&code);
    for (i, a) in args.iter().enumerate() {
        let what = arg_what(clo, cf, i);
        let cx = HashCx { hash_funcs: &cf.options.hash_funcs, what: &what, shallow_fns: false };
        value_hash::feed(interp, &mut h, a, &cx)?;
    }
    // Small inputs (a code hash and a few scalars or memoized digests) are
    // remembered with their digest: a repeated call skips the blake3 run.
    if let Some(bytes) = h.bytes() {
        if let Some(k) = sess!(interp).key_memo.get(bytes) {
            return Ok(*k);
        }
        let bytes: Box<[u8]> = bytes.into();
        let k = h.finish();
        if sess!(interp).key_memo.len() >= KEY_MEMO_MAX {
            sess!(interp).key_memo.clear();
        }
        sess!(interp).key_memo.insert(bytes, k);
        return Ok(k);
    }
    Ok(h.finish())
}

/// The parts of the key (for storing with a miss and for `--explain`).
pub fn parts(interp: &mut Interp, clo: &Arc<Closure>, cf: &CachedFn, args: &[Value]) -> Result<KeyParts> {
    let (_, deps) = interp.closure_deps(clo)?;
    let mut out = Vec::with_capacity(args.len());
    for (i, a) in args.iter().enumerate() {
        let what = arg_what(clo, cf, i);
        let cx = HashCx { hash_funcs: &cf.options.hash_funcs, what: &what, shallow_fns: false };
        let digest = value_hash::digest(interp, a, &cx)?;
        out.push(ArgPart { name: clo.proto.params.get(i).cloned().unwrap_or_default(), digest, shown: short(a) });
    }
    let hash_funcs = match &clo.cached {
        Some(c) => interp.hash_funcs_digest(c)?,
        None => [0; 32],
    };
    Ok(KeyParts { args: out, deps, hash_funcs })
}
