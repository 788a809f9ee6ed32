//! The cache key of a call: blake3 over the function's transitive code hash
//! (its code, its `hash_funcs`, its captures, its free variables and the code
//! of every function it uses) and the argument values (with `hash_funcs`
//! applied). Per-part digests are kept only when needed (misses, explain).

use super::options::CachedFn;
use crate::error::Result;
use crate::hashing::deps::{short, Dep};
use crate::hashing::value_hash::{self, HashCx};
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
}

fn arg_what<'a>(clo: &'a Closure, cf: &'a CachedFn, i: usize) -> impl Fn() -> String + 'a {
    move || {
        let p = clo.proto.params.get(i).map(String::as_str).unwrap_or("?");
        format!("argument `{p}` of cached fn `{}`", cf.name)
    }
}

/// Computes the key of calling `clo` with `args`.
pub fn compute(interp: &mut Interp, clo: &Arc<Closure>, cf: &CachedFn, args: &[Value]) -> Result<Hash32> {
    let code = interp.closure_code_hash(clo)?;
    let mut h = blake3::Hasher::new();
    h.update(b"memo-key-v1");
    // The name files the entry: two cached fns with the same body do not
    // share entries (their stats, `cache_clear` and disk folders stay apart).
    h.update(&(cf.name.len() as u64).to_le_bytes());
    h.update(cf.name.as_bytes());
    h.update(&code);
    for (i, a) in args.iter().enumerate() {
        let what = arg_what(clo, cf, i);
        let cx = HashCx { hash_funcs: &cf.options.hash_funcs, what: &what };
        value_hash::feed(interp, &mut h, a, &cx)?;
    }
    Ok(*h.finalize().as_bytes())
}

/// The parts of the key (for storing with a miss and for `--explain`).
pub fn parts(interp: &mut Interp, clo: &Arc<Closure>, cf: &CachedFn, args: &[Value]) -> Result<KeyParts> {
    let (_, deps) = interp.closure_deps(clo)?;
    let mut out = Vec::with_capacity(args.len());
    for (i, a) in args.iter().enumerate() {
        let what = arg_what(clo, cf, i);
        let cx = HashCx { hash_funcs: &cf.options.hash_funcs, what: &what };
        let digest = value_hash::digest(interp, a, &cx)?;
        out.push(ArgPart { name: clo.proto.params.get(i).cloned().unwrap_or_default(), digest, shown: short(a) });
    }
    Ok(KeyParts { args: out, deps })
}
