//! Warnings for code that runs but most likely does not do what was meant,
//! from habits of Python: `n // 2` (a comment in memo, not a division) and
//! `1 / 3` on two int literals (an int in memo: 0). Only certain cases are
//! reported: a comment that holds nothing but a number or a name the file
//! uses, a division of two literals that leaves a remainder.

use super::hints::{division_comment, DIVISION_HELP};
use crate::error::MemoError;
use crate::lexer::{self, Tok};
use crate::source::Span;
use std::collections::HashSet;

/// The warnings for a file that parsed.
pub fn lints(text: &str, file: u32) -> Vec<MemoError> {
    let (toks, _) = lexer::scan(text);
    let mut out = Vec::new();
    let names: HashSet<&str> = toks
        .iter()
        .filter_map(|(_, t, _)| match t {
            Tok::Ident(n) => Some(n.as_str()),
            _ => None,
        })
        .collect();
    let mut offset = 0;
    for line in text.split('\n') {
        if let Some(after) = division_comment(line) {
            let word = after.trim_end();
            let number = word.starts_with(|c: char| c.is_ascii_digit())
                && word.chars().all(|c| c.is_ascii_digit() || c == '_' || c == '.');
            let name = word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && names.contains(word);
            if number || name {
                let at = offset + line.find("//").unwrap_or(0);
                let end = offset + line.trim_end().len();
                out.push(
                    MemoError::at("Warning", format!("`// {word}` is a comment, not a division"), Span::new(file, at, end))
                        .with_help(DIVISION_HELP),
                );
            }
        }
        offset += line.len() + 1;
    }
    for (i, w) in toks.windows(3).enumerate() {
        let [(s, Tok::Int(a), _), (_, Tok::Slash, _), (_, Tok::Int(b), e)] = w else { continue };
        let before = i.checked_sub(1).map(|p| &toks[p].1);
        let after = toks.get(i + 3).map(|t| &t.1);
        // `-7 / 2` (the quotient of -7) and `x * 7 / 2` (not of 7) are
        // left alone: the message would name the wrong dividend.
        if matches!(before, Some(Tok::Star | Tok::Slash | Tok::Percent | Tok::StarStar | Tok::Dot | Tok::Minus))
            || matches!(after, Some(Tok::StarStar))
            || *b == 0
            || a % b == 0
        {
            continue;
        }
        let written = &text[*s..*e];
        let (a_text, b_text) = written.split_once('/').map(|(x, y)| (x.trim(), y.trim())).unwrap_or((written, ""));
        out.push(
            MemoError::at(
                "Warning",
                format!("`{written}` divides two ints: the result is the int {}", a / b),
                Span::new(file, *s, *e),
            )
            .with_help(format!(
                "for the exact quotient ({}), make one of them a float: `{}`",
                *a as f64 / *b as f64,
                if a_text.chars().all(|c| c.is_ascii_digit() || c == '_') {
                    format!("{a_text}.0 / {b_text}")
                } else {
                    format!("float({a_text}) / {b_text}")
                }
            )),
        );
    }
    out.sort_by_key(|e| e.span.map(|s| s.start));
    out
}

#[cfg(test)]
mod tests {
    use super::lints;

    fn messages(text: &str) -> Vec<String> {
        lints(text, 0).into_iter().map(|e| e.message.clone()).collect()
    }

    #[test]
    fn comments_meant_as_divisions() {
        assert_eq!(messages("let n = 7\nlet half = n // 2\n"), vec!["`// 2` is a comment, not a division"]);
        assert_eq!(messages("let n = 7\nlet m = 2\nlet half = n // m\n"), vec!["`// m` is a comment, not a division"]);
        assert!(messages("let x = 1 // one\n").is_empty(), "a word the file does not use is prose");
        assert!(messages("// 2\nlet x = 1\n").is_empty());
        assert!(messages("print(\"a // 2\")\n").is_empty());
    }

    #[test]
    fn int_divisions_of_literals() {
        assert_eq!(messages("print(1 / 3)"), vec!["`1 / 3` divides two ints: the result is the int 0"]);
        assert!(messages("print(6 / 3)").is_empty(), "exact");
        assert!(messages("print(1.0 / 3)").is_empty());
        assert!(messages("print(x * 1 / 3)").is_empty(), "1 is not the dividend");
        assert!(messages("print(1 / 3 ** 2)").is_empty());
        assert!(messages("print(-7 / 2)").is_empty(), "the dividend is -7");
        assert!(messages("print(1 / 0)").is_empty(), "an error, not a lint");
    }
}
