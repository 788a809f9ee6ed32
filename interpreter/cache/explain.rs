//! `--explain`: why a cached call hit or missed, by comparing the new key's
//! parts with those of the function's most recent entry.

use super::key::KeyParts;
use super::MissReason;
use crate::hashing::deps::DepKind;
use std::time::Duration;

/// `name(a, b)` with shortened argument values.
pub fn call_label(name: &str, parts: &KeyParts) -> String {
    let args: Vec<&str> = parts.args.iter().map(|a| a.shown.as_str()).collect();
    format!("{name}({})", args.join(", "))
}

/// `name(a, b)` from values (used on hits, where no parts are computed).
pub fn call_label_values(name: &str, args: &[crate::value::Value]) -> String {
    let shown: Vec<String> = args.iter().map(crate::hashing::deps::short).collect();
    format!("{name}({})", shown.join(", "))
}

/// The reasons for a miss, in words.
pub fn miss_reasons(reason: &MissReason, new: &KeyParts, ttl: Option<Duration>) -> String {
    match reason {
        MissReason::Expired => match ttl {
            Some(t) => format!("expired (ttl {}s)", fmt_secs(t)),
            None => "expired".into(),
        },
        MissReason::Evicted => "evicted (max_entries)".into(),
        MissReason::Damaged(why) => format!("cache entry on disk was unreadable ({why}); recomputing"),
        MissReason::Stale(why) => why.clone(),
        MissReason::Unknown { latest: None } => "first call".into(),
        MissReason::Unknown { latest: Some(old) } => {
            let diffs = diff(old, new);
            if diffs.is_empty() {
                // Same parts but another key: only an older combination or a
                // hash_funcs change can do this.
                "no stored entry for this key".into()
            } else {
                diffs.join("; ")
            }
        }
    }
}

fn fmt_secs(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{}", s as u64)
    } else {
        format!("{s}")
    }
}

/// What differs between two sets of key parts.
pub fn diff(old: &KeyParts, new: &KeyParts) -> Vec<String> {
    let mut out = Vec::new();
    for d in &new.deps {
        if d.kind != DepKind::Code {
            continue;
        }
        match old.deps.iter().find(|o| o.kind == DepKind::Code && o.name == d.name) {
            Some(o) if o.digest != d.digest => out.push(format!("code of `{}` changed", d.name)),
            None => out.push(format!("code of `{}` changed (now uses `{}`)", new.deps[0].name, d.name)),
            _ => {}
        }
    }
    for d in &new.deps {
        if d.kind != DepKind::Var {
            continue;
        }
        match old.deps.iter().find(|o| o.kind == DepKind::Var && o.name == d.name) {
            Some(o) if o.digest != d.digest => out.push(format!("free variable `{}` changed: {} → {}", d.name, o.shown, d.shown)),
            None => out.push(format!("free variable `{}` is new: {}", d.name, d.shown)),
            _ => {}
        }
    }
    for (i, a) in new.args.iter().enumerate() {
        match old.args.get(i) {
            Some(o) if o.digest != a.digest => out.push(format!("argument `{}` changed: {} → {}", a.name, o.shown, a.shown)),
            None => out.push(format!("argument `{}` is new: {}", a.name, a.shown)),
            _ => {}
        }
    }
    out
}
