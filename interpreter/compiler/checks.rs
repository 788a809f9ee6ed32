//! Checks made once a whole file is compiled: calls of the file's own
//! top-level functions and struct constructors with the wrong number of
//! arguments, named arguments a function does not take, fields a struct
//! does not have. The same mistakes are errors at run time; found here,
//! `memo check` reports them and nothing runs.
//!
//! A call is checked only when its callee is certain: the name is declared
//! once at the top level of the file (as a `fn`, `cached fn` or `struct`),
//! never assigned anywhere in it, the file imports nothing (an import could
//! redefine it), and the call runs after the declaration (it is inside a
//! function, or a later top-level statement).

use crate::ast::{Arg, FnDef, Ident};
use crate::error::MemoError;
use crate::source::Span;
use std::collections::{HashMap, HashSet};

/// A top-level declaration a call can be checked against.
pub(super) struct KnownCallee {
    /// `fn` parameters, or struct fields.
    names: Vec<String>,
    is_struct: bool,
    name: String,
}

impl KnownCallee {
    pub fn function(name: &Ident, def: &FnDef) -> KnownCallee {
        KnownCallee { names: def.params.iter().map(|p| p.name.clone()).collect(), is_struct: false, name: name.name.clone() }
    }

    pub fn structure(name: &Ident, fields: &[Ident]) -> KnownCallee {
        KnownCallee { names: fields.iter().map(|f| f.name.clone()).collect(), is_struct: true, name: name.name.clone() }
    }
}

/// One call of a global by name.
struct CallSite {
    name: String,
    /// `x.f(a)`: the receiver is the first argument.
    method: bool,
    positional: usize,
    named: Vec<(String, Span)>,
    span: Span,
    in_function: bool,
    top_stmt: usize,
}

/// The calls of globals a file makes, and the globals it assigns.
#[derive(Default)]
pub(super) struct Calls {
    calls: Vec<CallSite>,
    assigned: HashSet<String>,
}

impl Calls {
    pub fn call(&mut self, name: &str, method: bool, args: &[Arg], span: Span, in_function: bool, top_stmt: usize) {
        let positional = args.iter().filter(|a| a.name.is_none()).count();
        let named = args.iter().filter_map(|a| a.name.as_ref().map(|n| (n.name.clone(), n.span))).collect();
        self.calls.push(CallSite { name: name.to_string(), method, positional, named, span, in_function, top_stmt });
    }

    /// How many calls are recorded (a mark to go back to).
    pub fn len(&self) -> usize {
        self.calls.len()
    }

    /// Forgets the calls recorded after `mark` (a compiling pass thrown
    /// away).
    pub fn truncate(&mut self, mark: usize) {
        self.calls.truncate(mark);
    }

    /// A global assigned somewhere in the file: its calls are not checked.
    pub fn assigned(&mut self, name: &str) {
        self.assigned.insert(name.to_string());
    }

    /// The errors of the calls whose callee is known (by name: the
    /// declaring statement's index and the callee).
    pub fn check(&self, known: &HashMap<String, (usize, KnownCallee)>) -> Vec<MemoError> {
        let mut errors = Vec::new();
        for c in &self.calls {
            let Some((decl_stmt, callee)) = known.get(&c.name) else { continue };
            if self.assigned.contains(&c.name) || (!c.in_function && c.top_stmt <= *decl_stmt) {
                continue;
            }
            let argc = c.positional + usize::from(c.method);
            if callee.is_struct {
                check_struct(callee, c, argc, &mut errors);
            } else if let Some((_, span)) = c.named.first() {
                errors.push(MemoError::at(
                    "TypeError",
                    format!("`{}` takes no named arguments (only struct constructors do)", callee.name),
                    *span,
                ));
            } else if argc != callee.names.len() {
                let n = callee.names.len();
                let mut e = MemoError::at(
                    "TypeError",
                    format!("`{}` expects {n} argument{}, got {argc}", callee.name, if n == 1 { "" } else { "s" }),
                    c.span,
                );
                e = e.with_note(format!("`{}` is declared as `fn {}({})`", callee.name, callee.name, callee.names.join(", ")));
                if c.method {
                    e = e.with_note(format!("a method call `x.{}(...)` passes `x` as the first argument", callee.name));
                }
                errors.push(e);
            }
        }
        errors
    }
}

/// A struct constructor: positional arguments fill the fields in order,
/// named ones fill their field; every field once.
fn check_struct(callee: &KnownCallee, c: &CallSite, argc: usize, errors: &mut Vec<MemoError>) {
    let n = callee.names.len();
    let declared = || format!("`{}` is declared as `struct {} {{ {} }}`", callee.name, callee.name, callee.names.join(", "));
    if argc > n {
        errors.push(
            MemoError::at(
                "TypeError",
                format!(
                    "struct `{}` has {n} field{}, got {} argument{}",
                    callee.name,
                    if n == 1 { "" } else { "s" },
                    argc + c.named.len(),
                    if argc + c.named.len() == 1 { "" } else { "s" }
                ),
                c.span,
            )
            .with_note(declared()),
        );
        return;
    }
    let mut filled: Vec<bool> = (0..n).map(|i| i < argc).collect();
    let mut bad = false;
    for (name, span) in &c.named {
        match callee.names.iter().position(|f| f == name) {
            None => {
                let help = crate::suggest::closest(name, callee.names.iter().map(String::as_str))
                    .map(|f| format!("did you mean `{f}`?"))
                    .unwrap_or_else(|| format!("its fields are {}", field_list(&callee.names)));
                errors.push(
                    MemoError::at("TypeError", format!("struct `{}` has no field `{name}`", callee.name), *span).with_help(help),
                );
                bad = true;
            }
            Some(i) if filled[i] => {
                errors.push(MemoError::at("TypeError", format!("field `{name}` of `{}` given twice", callee.name), *span));
                bad = true;
            }
            Some(i) => filled[i] = true,
        }
    }
    if bad || (argc == n && c.named.is_empty()) {
        return;
    }
    let missing: Vec<&str> = callee.names.iter().zip(&filled).filter(|(_, f)| !**f).map(|(n, _)| n.as_str()).collect();
    if let Some(first) = missing.first() {
        let what = if missing.len() == 1 {
            format!("missing field `{first}` in `{}(...)`", callee.name)
        } else {
            format!("missing fields {} in `{}(...)`", crate::suggest::list(&missing), callee.name)
        };
        errors.push(MemoError::at("TypeError", what, c.span).with_note(declared()));
    }
}

fn field_list(fields: &[String]) -> String {
    let v: Vec<&str> = fields.iter().map(String::as_str).collect();
    crate::suggest::list(&v)
}
