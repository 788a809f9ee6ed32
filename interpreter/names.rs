//! Global names, interned once per process: a global variable is an index
//! into every interpreter's global table, so late binding costs one vector
//! access and compiled code (and cached function values) stay valid across
//! engines and re-runs.

use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

#[derive(Default)]
struct Interner {
    ids: HashMap<String, u32>,
    names: Vec<String>,
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

/// How many names exist (the size a global table needs).
pub fn count() -> usize {
    interner().read().unwrap_or_else(|e| e.into_inner()).names.len()
}

/// Every name interned so far (for "did you mean" suggestions).
pub fn all() -> Vec<String> {
    interner().read().unwrap_or_else(|e| e.into_inner()).names.clone()
}
