//! The standard library implemented in Rust (spec §4). One file per area:
//! `core` (printing, types, errors), `collections`, `strings`, `system`
//! (time, files, params), `data` (JSON, CSV, SQLite), `cache`
//! (`cache_info`, `cache_clear`), `math`, `format` (`format` with Python's
//! specs, padding), `seq` (zip, group_by, sort_by ...), `text` (`find`,
//! `ord`, `chr`), `output` (`write_csv`, `write_json`), `spark`, and behind
//! cargo features (all in the default set): `re` (regex), `dates`,
//! `http`, `table`, `chart`. `args` holds their shared argument helpers. The type values called as functions
//! (`int("3")`, `cell(0)`, `Point(1, 2)`) are the runtime's
//! (`crate::interp::convert`). `install` gives an interpreter all of it,
//! with the part written in memo (`stdlib/prelude.memo`).

mod args;
mod cache;
#[cfg(feature = "charts")]
mod chart;
pub(crate) mod collections;
pub(crate) mod core;
pub mod data;
#[cfg(feature = "dates")]
mod dates;
mod format;
mod group_index;
#[cfg(feature = "net")]
mod http;
mod itertools;
mod math;
mod output;
#[cfg(feature = "regex")]
mod re;
mod seq;
mod sorting;
mod spark;
mod strings;
pub(crate) mod system;
#[cfg(feature = "tables")]
mod table;
mod text;

use crate::compiler::{compile_program, CompileOptions, FnIr};
use crate::error::Result;
pub use crate::interp::convert::{arity, bad_arg};
use crate::interp::Interp;
use crate::value::{BuiltinType, Value};
use std::sync::Arc;

/// Signature of a builtin native.
pub type Builtin = fn(&mut Interp, &mut [Value]) -> Result<Value>;

/// Every table of builtin natives.
const TABLES: &[&[(&str, Builtin)]] = &[
    core::NATIVES,
    collections::NATIVES,
    strings::NATIVES,
    system::NATIVES,
    data::NATIVES,
    cache::NATIVES,
    math::NATIVES,
    format::NATIVES,
    seq::NATIVES,
    itertools::NATIVES,
    text::NATIVES,
    output::NATIVES,
    spark::NATIVES,
    #[cfg(feature = "regex")]
    re::NATIVES,
    #[cfg(feature = "dates")]
    dates::NATIVES,
    #[cfg(feature = "net")]
    http::NATIVES,
    #[cfg(feature = "tables")]
    table::NATIVES,
    #[cfg(feature = "charts")]
    chart::NATIVES,
];

/// Globals that are type values.
const TYPE_GLOBALS: &[(&str, BuiltinType)] = &[
    ("int", BuiltinType::Int),
    ("float", BuiltinType::Float),
    ("str", BuiltinType::Str),
    ("bool", BuiltinType::Bool),
    ("list", BuiltinType::List),
    ("range", BuiltinType::Range),
    ("cell", BuiltinType::Cell),
];

/// Installs the standard library as globals: the natives, the type values,
/// and the functions of `stdlib/prelude.memo`. Then marks the globals as
/// the interpreter's base, which `Interp::reset_globals` goes back to.
pub fn install(interp: &mut Interp) {
    for (name, t) in TYPE_GLOBALS {
        interp.set_global(name, Value::builtin_type(*t));
    }
    for table in TABLES {
        for (name, f) in *table {
            let f = *f;
            interp.register_builtin(name, Arc::new(f));
        }
    }
    data::register_types(interp);
    math::register_constants(interp);
    use crate::interp::Builtin;
    for (name, which) in [
        ("push", Builtin::Push),
        ("get", Builtin::Get),
        ("set", Builtin::Set),
        ("len", Builtin::Len),
        ("type", Builtin::Type),
        ("contains", Builtin::Contains),
    ] {
        if let Some(Value::Native(f)) = interp.global_named(name) {
            interp.builtins[which as usize] = Some(f);
        }
    }
    run_prelude(interp);
    interp.seal_base();
}

/// Defines the standard library written in memo (`stdlib/prelude.memo`).
/// It is compiled once per process; every interpreter registers its
/// source as file 0 so its spans point into it.
fn run_prelude(interp: &mut Interp) {
    static PRELUDE: std::sync::OnceLock<Arc<FnIr>> = std::sync::OnceLock::new();
    const TEXT: &str = include_str!("../../stdlib/prelude.memo");
    if interp.sources.get(0).is_none() {
        interp.sources.add("<stdlib/prelude.memo>", TEXT);
    }
    let ir = PRELUDE.get_or_init(|| {
        let prog = crate::parser::parse_program(TEXT, 0).expect("the prelude parses");
        let opts = CompileOptions { file: 0, is_defined: &|_| true, check_undefined: false, check_calls: false, library: true };
        compile_program(&prog, &opts).expect("the prelude compiles")
    });
    let proto = crate::codegen::lower_fn(ir);
    interp.run_proto(&proto).expect("the prelude runs");
}

#[cfg(test)]
mod tests {
    /// The prelude runs before an interpreter gets its cache
    /// (`engine::new_interp`): a cached fn in it would never be cached.
    #[test]
    fn the_prelude_declares_no_cached_fn() {
        let prog = crate::parser::parse_program(include_str!("../../stdlib/prelude.memo"), 0).expect("the prelude parses");
        // Every fn declaration prints its `cached` options: `None` for a plain one.
        assert!(!format!("{prog:?}").contains("cached: Some("), "a cached fn in the prelude");
        let cached = crate::parser::parse_program("cached fn f() { 1 }", 0).expect("parses");
        assert!(format!("{cached:?}").contains("cached: Some("), "the check above can see one");
    }
}
