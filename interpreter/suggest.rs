//! "Did you mean": the closest of a set of names to a mistyped one, by edit
//! distance (the `strsim` crate), and the names other languages use for
//! what memo spells differently (`None`, `elif`, `append`, ...).

/// The language's keywords (suggested for a mistyped one, and completed
/// by the REPL).
pub const KEYWORDS: &[&str] = &[
    "let", "fn", "cached", "return", "if", "else", "while", "for", "in", "break", "continue", "true", "false", "none", "and",
    "or", "not", "struct", "try", "catch", "import",
];

/// Words a Python (or JavaScript) user may type, with what memo writes
/// instead. Looked up exactly, and also as fuzzy candidates, so `lenght`
/// (a typo of `length`) finds `len`.
const FOREIGN: &[(&str, &str)] = &[
    ("None", "memo writes `none`"),
    ("True", "memo writes `true`"),
    ("False", "memo writes `false`"),
    ("null", "memo writes `none`"),
    ("nil", "memo writes `none`"),
    ("elif", "memo writes `else if`"),
    ("def", "functions are declared with `fn`: `fn name(a, b) { ... }`"),
    ("function", "functions are declared with `fn`: `fn name(a, b) { ... }`"),
    ("lambda", "an anonymous function is `fn(x) { x * 2 }`"),
    ("class", "memo has no classes: declare a record type with `struct Name { a, b }`"),
    ("var", "variables are declared with `let`"),
    ("const", "variables are declared with `let`"),
    ("length", "the length of a string, list or map is `len(x)` (or `x.len()`)"),
    ("size", "the length of a string, list or map is `len(x)` (or `x.len()`)"),
    ("count", "the length of a string, list or map is `len(x)` (or `x.len()`)"),
    ("append", "lists are values: `xs = push(xs, v)` (or `xs = xs.push(v)`) makes the longer list"),
    ("println", "did you mean `print`?"),
    ("printf", "memo prints with `print(a, b)`, and formats with `format(\"{} + {}\", a, b)`"),
    ("isinstance", "compare types: `type(x) == int`"),
    ("dict", "a map literal is `{\"a\": 1}`"),
    ("open", "files are read with `read_file(path)` and written with `write_file(path, text)`"),
    ("self", "memo has no methods on objects: `x.f(a)` calls the function `f(x, a)`"),
    ("this", "memo has no methods on objects: `x.f(a)` calls the function `f(x, a)`"),
];

/// The help for a word of another language, if it is one.
pub fn foreign(name: &str) -> Option<&'static str> {
    FOREIGN.iter().find(|(w, _)| *w == name).map(|(_, h)| *h)
}

/// Edit distance with transpositions (`lenght` → `length` is one edit).
pub fn distance(a: &str, b: &str) -> usize {
    strsim::damerau_levenshtein(a, b)
}

/// The most edits a suggestion may be away: a third of the name's length
/// (at least one), as rustc allows.
fn limit(name: &str) -> usize {
    name.chars().count().max(3) / 3
}

/// The candidate closest to `name` within the limit (ties: the first
/// given), ignoring `name` itself. A candidate equal but for case always
/// qualifies. Single-letter names get no fuzzy match: `z` is one edit from
/// every other letter.
pub fn closest<'a, I>(name: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let max = limit(name);
    let short = name.chars().count() < 2;
    let mut best: Option<(usize, &'a str)> = None;
    for c in candidates {
        if c == name || c.is_empty() {
            continue;
        }
        let d = if c.eq_ignore_ascii_case(name) {
            0
        } else if short || c.chars().count() < 2 {
            continue;
        } else {
            distance(name, c)
        };
        if d <= max && best.map_or(true, |(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// The help line for a mistyped name: the closest of `candidates`
/// (`did you mean `total`?`), else of the keywords, else what another
/// language's word (or a typo of one) means in memo.
pub fn did_you_mean<'a, I>(name: &str, candidates: I, keywords: &[&str]) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    if let Some(h) = foreign(name) {
        return Some(h.to_string());
    }
    if let Some(c) = closest(name, candidates) {
        return Some(format!("did you mean `{c}`?"));
    }
    if let Some(k) = closest(name, keywords.iter().copied()) {
        return Some(format!("did you mean the keyword `{k}`?"));
    }
    let word = closest(name, FOREIGN.iter().map(|(w, _)| *w))?;
    foreign(word).map(String::from)
}

/// `did you mean `x`?` with the candidates quoted as strings (map keys).
pub fn did_you_mean_key<'a, I>(key: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    closest(key, candidates).map(|c| format!("did you mean {c:?}?"))
}

/// `` `a`, `b` and `c` ``.
pub fn list(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.len() {
        0 => String::new(),
        1 => quoted[0].clone(),
        n => format!("{} and {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_names() {
        assert_eq!(closest("totl", ["total", "other"]), Some("total"));
        assert_eq!(closest("prnt", ["print", "repr"]), Some("print"));
        assert_eq!(closest("alpah", ["alpha", "beta"]), Some("alpha"));
        assert_eq!(closest("cahced", ["cached", "catch"]), Some("cached"));
        assert_eq!(closest("max_entires", ["max_entries", "ttl"]), Some("max_entries"));
        assert_eq!(closest("Print", ["print"]), Some("print"));
        assert_eq!(closest("z", ["x", "y"]), None);
        assert_eq!(closest("xyzzy", ["print", "len"]), None);
        assert_eq!(closest("total", ["total"]), None, "not itself");
    }

    #[test]
    fn foreign_words_and_their_typos() {
        assert_eq!(did_you_mean("None", ["none"], &[]).unwrap(), "memo writes `none`");
        assert_eq!(did_you_mean("lenght", ["len", "print"], &[]).unwrap(), foreign("length").unwrap());
        assert_eq!(did_you_mean("totl", ["total"], &["let"]).unwrap(), "did you mean `total`?");
        assert_eq!(did_you_mean("retrun", ["x"], &["return"]).unwrap(), "did you mean the keyword `return`?");
        assert_eq!(did_you_mean("qqqqqq", ["x"], &["return"]), None);
    }

    #[test]
    fn lists() {
        assert_eq!(list(&["x"]), "`x`");
        assert_eq!(list(&["x", "y", "z"]), "`x`, `y` and `z`");
    }
}
