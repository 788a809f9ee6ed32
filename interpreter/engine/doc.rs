//! [`Engine::doc`](super::Engine::doc): what a global is, its signature and
//! its documentation, for the REPL's `:doc NAME` and `help(name)`. A
//! native's documentation is its doc comment in `interpreter/natives/`
//! (collected by `build.rs`); a memo function's is the `//` comment lines
//! right above its declaration (the standard library's prelude too).

use crate::source::SourceMap;
use crate::value::{Closure, TypeValue, Value};

include!(concat!(env!("OUT_DIR"), "/native_docs.rs"));

/// The documentation of a global's value, as text for people (ends with a
/// newline).
pub(super) fn describe(name: &str, v: &Value, sources: &SourceMap) -> String {
    match v {
        Value::Native(f) => match NATIVE_DOCS.iter().find(|(n, _, _)| *n == f.name) {
            Some((_, sig, doc)) => format!("{sig}   (native)\n{}\n", wrap(doc, 76)),
            None => format!("{name}(...)   (native)\n(no documentation)\n"),
        },
        Value::Func(c) => function(c, sources),
        Value::Type(t) => match &**t {
            TypeValue::Struct(st) => format!("struct {} {{ {} }}\n", st.name, st.fields.join(", ")),
            TypeValue::Builtin(b) => {
                format!("{}   (type)\ncalled as a function it converts or constructs: `{}(x)`\n", b.name(), b.name())
            }
            TypeValue::Native(n) => format!("{}   (a host's type)\n", n.name),
        },
        other => format!("{name}: a {} = {}\n", other.type_name(), crate::value::repr_prefix(other, 200)),
    }
}

/// `fn name(a, b)` (or `cached fn`), where it is declared, and the comment
/// lines above the declaration.
fn function(c: &Closure, sources: &SourceMap) -> String {
    let name = if c.proto.name.is_empty() { "<anonymous>" } else { c.proto.name.as_str() };
    let kw = if c.cached.is_some() { "cached fn" } else { "fn" };
    let mut out = format!("{kw} {name}({})", c.proto.params.join(", "));
    let span = c.proto.span;
    if let Some(file) = sources.get(span.file) {
        let (line, _) = file.line_col(span.start as usize);
        out.push_str(&format!("   ({}:{line})\n", file.name));
        let mut doc: Vec<&str> = Vec::new();
        for l in (1..line).rev() {
            let t = file.line_text(l).trim();
            match t.strip_prefix("//") {
                Some(c) => doc.push(c.strip_prefix(' ').unwrap_or(c)),
                None => break,
            }
        }
        doc.reverse();
        if doc.is_empty() {
            out.push_str("(no documentation: write `//` comment lines right above the declaration)\n");
        } else {
            for l in doc {
                out.push_str(l);
                out.push('\n');
            }
        }
    } else {
        out.push('\n');
    }
    out
}

/// Words of `text` in lines of at most `width` characters.
fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut len = 0;
    for w in text.split_whitespace() {
        let n = w.chars().count();
        if len > 0 && len + 1 + n > width {
            out.push('\n');
            len = 0;
        } else if len > 0 {
            out.push(' ');
            len += 1;
        }
        out.push_str(w);
        len += n;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natives_are_documented() {
        for name in ["print", "len", "push", "format", "min", "read_file"] {
            assert!(NATIVE_DOCS.iter().any(|(n, _, _)| *n == name), "{name} has no doc");
        }
        let (_, sig, doc) = NATIVE_DOCS.iter().find(|(n, _, _)| *n == "len").unwrap();
        assert_eq!(*sig, "len(x)");
        assert!(doc.starts_with("characters of a string"), "{doc}");
    }

    #[test]
    fn wrapping() {
        assert_eq!(wrap("a bb ccc dddd", 6), "a bb\nccc\ndddd");
    }
}
