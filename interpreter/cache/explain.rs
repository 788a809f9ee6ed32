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
        MissReason::EvictedSizeLimit => "evicted (cache size limit)".into(),
        MissReason::Damaged(why) => format!("cache entry was unreadable ({why}); recomputing"),
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
    let code = |p: &KeyParts| -> Vec<(String, crate::value::Hash32)> {
        p.deps.iter().filter(|d| d.kind == DepKind::Code).map(|d| (d.name.clone(), d.digest)).collect()
    };
    let (old_code, new_code) = (code(old), code(new));
    let root = new_code.first().map(|(n, _)| n.clone()).unwrap_or_default();
    // Functions the new code uses that the old did not, and the reverse.
    let added: Vec<&str> =
        new_code.iter().filter(|(n, _)| !old_code.iter().any(|(o, _)| o == n)).map(|(n, _)| n.as_str()).collect();
    let removed: Vec<&str> =
        old_code.iter().filter(|(o, _)| !new_code.iter().any(|(n, _)| n == o)).map(|(o, _)| o.as_str()).collect();
    for (name, d) in &new_code {
        let Some((_, od)) = old_code.iter().find(|(o, _)| o == name) else { continue };
        if od == d {
            continue;
        }
        let mut line = format!("code of `{name}` changed");
        if *name == root {
            let mut what = Vec::new();
            if !added.is_empty() {
                what.push(format!("now uses {}", list(&added)));
            }
            if !removed.is_empty() {
                what.push(format!("no longer uses {}", list(&removed)));
            }
            if !what.is_empty() {
                line = format!("{line} ({})", what.join("; "));
            }
        }
        out.push(line);
    }
    if !out.iter().any(|l| l.starts_with(&format!("code of `{root}` changed"))) {
        // The root's own code is the same: what it reaches changed.
        if !added.is_empty() {
            out.push(format!("`{root}` now uses {}", list(&added)));
        }
        if !removed.is_empty() {
            out.push(format!("`{root}` no longer uses {}", list(&removed)));
        }
    }
    for d in &new.deps {
        if d.kind != DepKind::Var {
            continue;
        }
        match old.deps.iter().find(|o| o.kind == DepKind::Var && o.name == d.name) {
            Some(o) if o.digest != d.digest => {
                out.push(format!("free variable `{}` changed: {}", d.name, change(&o.shown, &d.shown)))
            }
            None => out.push(format!("free variable `{}` is new: {}", d.name, d.shown)),
            _ => {}
        }
    }
    let hash_funcs_changed = old.hash_funcs != new.hash_funcs;
    if hash_funcs_changed {
        out.push(format!("the hash_funcs of `{root}` changed"));
    }
    for (i, a) in new.args.iter().enumerate() {
        match old.args.get(i) {
            // Under new hash_funcs every argument they apply to hashes anew.
            Some(o) if o.digest != a.digest && !(hash_funcs_changed && o.shown == a.shown) => {
                out.push(format!("argument `{}` changed: {}", a.name, change(&o.shown, &a.shown)))
            }
            None => out.push(format!("argument `{}` is new: {}", a.name, a.shown)),
            _ => {}
        }
    }
    out
}

/// `old → new`, or a word on what changed when both print the same.
fn change(old: &str, new: &str) -> String {
    if old != new {
        return format!("{old} → {new}");
    }
    if new.starts_with("<fn") || new.starts_with("<cached fn") {
        format!("{new} (its code, or what it reads, changed)")
    } else if new.ends_with("...") {
        // Cut short (`deps::short`): the difference may be past the cut.
        format!("{new} (it differs past what is shown)")
    } else {
        format!("{new} (it prints the same, but a function, cell or type inside it differs)")
    }
}

/// `` `a` `` or `` `a`, `b` ``.
fn list(names: &[&str]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}
