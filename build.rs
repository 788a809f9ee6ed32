//! Generates the parser from `grammar/memo.lalrpop` into OUT_DIR, and the
//! table of the natives' documentation (`native_docs.rs`, for the REPL's
//! `:doc`) from the doc comments of `interpreter/natives/*.rs`.
fn main() {
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    lalrpop::Configuration::new()
        .set_in_dir("grammar")
        .set_out_dir(&out)
        .emit_rerun_directives(true)
        .process()
        .expect("lalrpop failed to generate the parser");
    native_docs(std::path::Path::new(&out));
    // The `memo` binary is linked as a fixed-address (non-PIE) executable on
    // Linux: the dynamic loader then has no relocations to apply to it at
    // start, which is about a tenth of the time of `memo run` on a short
    // script (see docs/performance.md). The library is unaffected.
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}

/// Writes `native_docs.rs`: `(name, signature, doc)` for every doc comment
/// in `interpreter/natives/` that starts with a signature in backticks
/// (`` /// `len(x)`: characters of a string, ... ``); several signatures
/// (`` `min(xs)` / `min(a, b, ...)`: ``) document one name.
fn native_docs(out: &std::path::Path) {
    let dir = std::path::Path::new("interpreter/natives");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "rs")).collect())
        .unwrap_or_default();
    files.sort();
    let mut rows: Vec<(String, String, String)> = Vec::new();
    for f in files {
        println!("cargo:rerun-if-changed={}", f.display());
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        let mut block: Vec<&str> = Vec::new();
        for line in text.lines() {
            let t = line.trim_start();
            if let Some(doc) = t.strip_prefix("///") {
                block.push(doc.trim());
                continue;
            }
            if !block.is_empty() && !t.starts_with("#[") {
                if let Some(row) = doc_row(&block) {
                    if !rows.iter().any(|r| r.0 == row.0) {
                        rows.push(row);
                    }
                }
                block.clear();
            }
        }
    }
    rows.sort();
    let mut code = String::from(
        "/// (name, signature, doc) of each documented native.\npub static NATIVE_DOCS: &[(&str, &str, &str)] = &[\n",
    );
    for (name, sig, doc) in rows {
        code.push_str(&format!("    ({name:?}, {sig:?}, {doc:?}),\n"));
    }
    code.push_str("];\n");
    std::fs::write(out.join("native_docs.rs"), code).expect("OUT_DIR is writable");
}

/// `(name, signatures, text)` of a doc block whose first line opens with
/// backticked signatures and a colon (or a period: `` `abs(n)`. ``).
fn doc_row(block: &[&str]) -> Option<(String, String, String)> {
    let first = block.first()?;
    let mut rest = *first;
    let mut sigs: Vec<&str> = Vec::new();
    while let Some(r) = rest.strip_prefix('`') {
        let end = r.find('`')?;
        let sig = &r[..end];
        let paren = sig.find('(')?;
        if !sig[..paren].chars().all(|c| c.is_ascii_alphanumeric() || c == '_') || paren == 0 {
            return None;
        }
        sigs.push(sig);
        rest = r[end + 1..].trim_start();
        match rest.strip_prefix("/").or_else(|| rest.strip_prefix(",")).or_else(|| rest.strip_prefix("and ")) {
            Some(r) => rest = r.trim_start(),
            None => break,
        }
    }
    let name = sigs.first()?.split('(').next()?.to_string();
    let lead = rest.trim_start_matches([':', '.']).trim();
    let mut doc = lead.to_string();
    for l in &block[1..] {
        if !doc.is_empty() {
            doc.push(' ');
        }
        doc.push_str(l);
    }
    Some((name, sigs.join(" / "), doc))
}
