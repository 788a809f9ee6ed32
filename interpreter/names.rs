//! Global names, interned once per process: a global variable is an index
//! into every interpreter's global table, so late binding costs one vector
//! access and compiled code (and cached function values) stay valid across
//! engines and re-runs.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{OnceLock, RwLock};

#[derive(Default)]
struct Interner {
    ids: HashMap<String, u32>,
    names: Vec<String>,
    /// Per name, how calls of the global are compiled (see `lend_site`).
    lend: Vec<Lending>,
}

/// Whether compiled calls of a global borrow its value.
#[derive(Default)]
struct Lending {
    /// Some compiled script assigns the global (`f = ...`): calls of it
    /// compiled from then on take a reference count.
    assigned: AtomicBool,
    /// Compiled calls alive that borrow the global's value without a
    /// reference count (`LendSite`s).
    sites: AtomicUsize,
}

fn interner() -> &'static RwLock<Interner> {
    static I: OnceLock<RwLock<Interner>> = OnceLock::new();
    I.get_or_init(Default::default)
}

/// The id of a global name, allocating one the first time.
pub fn intern(name: &str) -> u32 {
    if let Some(&id) = interner().read().unwrap_or_else(|e| e.into_inner()).ids.get(name) {
        return id;
    }
    let mut w = interner().write().unwrap_or_else(|e| e.into_inner());
    if let Some(&id) = w.ids.get(name) {
        return id;
    }
    let id = w.names.len() as u32;
    w.names.push(name.to_string());
    w.lend.push(Lending::default());
    w.ids.insert(name.to_string(), id);
    id
}

/// The id of a name if it was ever interned.
pub fn lookup(name: &str) -> Option<u32> {
    interner().read().unwrap_or_else(|e| e.into_inner()).ids.get(name).copied()
}

/// The name of a global id.
pub fn name_of(id: u32) -> String {
    interner().read().unwrap_or_else(|e| e.into_inner()).names.get(id as usize).cloned().unwrap_or_default()
}

/// Notes that compiled code assigns global `id` (`f = ...`): calls of it
/// compiled from now on take a reference count to its value.
pub fn note_assigned(id: u32) {
    if let Some(l) = interner().read().unwrap_or_else(|e| e.into_inner()).lend.get(id as usize) {
        l.assigned.store(true, Ordering::Release);
    }
}

/// A compiled call that borrows a global's value without a reference
/// count, alive as long as the compiled code holding it.
pub struct LendSite(u32);

impl Drop for LendSite {
    fn drop(&mut self) {
        if let Some(l) = interner().read().unwrap_or_else(|e| e.into_inner()).lend.get(self.0 as usize) {
            l.sites.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// May a call of global `id` being compiled borrow the global's value
/// without a reference count? Not when compiled code assigns the global
/// (a replaced value is then freed at once); otherwise the site is counted
/// while the code holding it lives.
pub fn lend_site(id: u32) -> Option<LendSite> {
    let i = interner().read().unwrap_or_else(|e| e.into_inner());
    let l = i.lend.get(id as usize)?;
    if l.assigned.load(Ordering::Acquire) {
        return None;
    }
    l.sites.fetch_add(1, Ordering::AcqRel);
    Some(LendSite(id))
}

/// Is no compiled code alive that borrows global `id`'s value? (A replaced
/// value of it can then be freed at once, even while calls run: no call in
/// progress can be borrowing it.)
pub fn no_code_borrows(id: u32) -> bool {
    interner()
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .lend
        .get(id as usize)
        .is_some_and(|l| l.sites.load(Ordering::Acquire) == 0)
}

/// How many names exist (the size a global table needs).
pub fn count() -> usize {
    interner().read().unwrap_or_else(|e| e.into_inner()).names.len()
}

/// Every name interned so far (for "did you mean" suggestions).
pub fn all() -> Vec<String> {
    interner().read().unwrap_or_else(|e| e.into_inner()).names.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_global_is_lent_until_code_assigns_it_and_counted_while_its_sites_live() {
        let id = intern("__names_test_lend");
        assert!(no_code_borrows(id));
        let site = lend_site(id).expect("calls borrow a global no code assigns");
        assert!(!no_code_borrows(id));
        note_assigned(id);
        assert!(lend_site(id).is_none(), "calls compiled after an assignment take a count");
        assert!(!no_code_borrows(id), "the first call's code still lives");
        drop(site);
        assert!(no_code_borrows(id));
    }
}
