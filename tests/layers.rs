//! The library's layers point one way (ARCHITECTURE.md, "Layers"): a
//! module may use its own layer and the layers below it, never one above.
//! This test reads every `crate::…` path in the library's sources (test
//! modules excepted) and fails on an upward edge, naming the file and line.

use std::collections::BTreeMap;
use std::path::Path;

/// Top-level modules of the library, by layer (lowest first).
const LAYERS: &[(&str, &[&str])] = &[
    ("syntax", &["source", "lexer", "parser", "ast", "error", "names", "stack", "alloc"]),
    ("compiler", &["compiler"]),
    ("runtime", &["value", "interp", "codegen"]),
    ("cache", &["hashing", "cache"]),
    ("natives", &["natives"]),
    ("engine", &["engine"]),
];

/// The binary's modules: drivers on top of the public API, not part of the library.
const BINARY: &[&str] = &["main.rs", "cli", "repl", "watch"];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, mods)| mods.contains(&module))
}

/// The source with every `#[cfg(test)]` item removed (tests may use any layer).
fn without_tests(src: &str) -> String {
    let mut out = String::new();
    let mut rest = src;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        // Skip to the end of the item: its first `{` and the matching `}`,
        // or a `;` that comes first.
        let open = after.find('{');
        let semi = after.find(';');
        match (open, semi) {
            (Some(o), s) if s.map_or(true, |s| o < s) => {
                let mut depth = 0usize;
                let mut end = after.len();
                for (i, c) in after[o..].char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = o + i + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                // Keep the line count so that line numbers stay right.
                out.extend(after[..end].chars().filter(|c| *c == '\n'));
                rest = &after[end..];
            }
            (_, Some(s)) => {
                out.extend(after[..s].chars().filter(|c| *c == '\n'));
                rest = &after[s + 1..];
            }
            _ => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The top-level modules named by `crate::` paths on a line, including
/// `use crate::{a::x, b}` groups.
fn used_modules(line: &str) -> Vec<String> {
    let code = match line.find("//") {
        Some(i) => &line[..i],
        None => line,
    };
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for part in group[..end].split(',') {
                let name: String = part.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    out.push(name);
                }
            }
        } else {
            let name: String = after.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                out.push(name);
            }
        }
        rest = after;
    }
    out
}

fn rs_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn layers_point_one_way() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("interpreter");
    let mut files = Vec::new();
    rs_files(&root, &mut files);
    files.sort();
    let mut upward = Vec::new();
    let mut unknown = BTreeMap::new();
    for f in &files {
        let rel = f.strip_prefix(&root).unwrap();
        let top = rel.components().next().unwrap().as_os_str().to_string_lossy().to_string();
        if BINARY.contains(&top.as_str()) || top == "lib.rs" {
            continue;
        }
        let module = top.trim_end_matches(".rs").to_string();
        let Some(from) = layer_of(&module) else {
            unknown.insert(module, rel.display().to_string());
            continue;
        };
        let src = without_tests(&std::fs::read_to_string(f).unwrap());
        for (n, line) in src.lines().enumerate() {
            for used in used_modules(line) {
                if used == "VERSION" || used == module {
                    continue;
                }
                match layer_of(&used) {
                    Some(to) if to > from => upward.push(format!(
                        "{}:{}: `{module}` ({}) uses `{used}` ({}): {}",
                        rel.display(),
                        n + 1,
                        LAYERS[from].0,
                        LAYERS[to].0,
                        line.trim()
                    )),
                    Some(_) => {}
                    None => {
                        unknown.insert(used, format!("{}:{}", rel.display(), n + 1));
                    }
                }
            }
        }
    }
    assert!(unknown.is_empty(), "modules missing from LAYERS (add them to a layer): {unknown:?}");
    assert!(upward.is_empty(), "{} upward edge(s):\n{}", upward.len(), upward.join("\n"));
}

#[test]
fn the_checker_sees_paths() {
    assert_eq!(used_modules("use crate::value::{Value, X};"), vec!["value"]);
    assert_eq!(used_modules("use crate::{cache::Cache, interp};"), vec!["cache", "interp"]);
    assert_eq!(
        used_modules("    let x = crate::natives::call(a, crate::value::repr(b)); // crate::engine"),
        vec!["natives", "value"]
    );
    let src = "use crate::a;\n#[cfg(test)]\nmod tests {\n    use crate::engine;\n}\nuse crate::b;\n";
    let kept = without_tests(src);
    assert_eq!(kept.lines().count(), src.lines().count());
    assert!(!kept.contains("engine") && kept.contains("crate::b"));
}
