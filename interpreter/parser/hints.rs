//! What the tokens around a syntax error tell about it: a bracket that is
//! never closed (reported at the opener), a mistyped keyword (`cahced fn`),
//! and the habits of other languages (`elif`, `def`, `if x:`, `xs[0:2]`,
//! f-strings, `x in xs`, `&&`, `#` comments, `//` meant as a division).

use super::recover::{Brackets, Item};
use crate::error::MemoError;
use crate::lexer::Tok;
use crate::source::Span;
use crate::suggest;

/// A syntax error's surroundings.
pub(super) struct Context<'a> {
    pub text: &'a str,
    pub file: u32,
    pub items: &'a [Item],
    pub brackets: &'a Brackets,
    /// The item the parser stopped at (`None`: the end of the input).
    pub culprit: Option<usize>,
    /// The terminals the parser expected there (LALRPOP's names).
    pub expected: &'a [String],
}

impl Context<'_> {
    fn tok(&self, i: usize) -> Option<&Tok> {
        self.items.get(i).and_then(Item::tok)
    }

    fn culprit_tok(&self) -> Option<&Tok> {
        self.culprit.and_then(|k| self.tok(k))
    }

    /// The token before the culprit.
    fn prev(&self) -> Option<&Tok> {
        let k = self.culprit?;
        k.checked_sub(1).and_then(|p| self.tok(p))
    }

    fn span_of(&self, i: usize) -> (usize, usize) {
        match &self.items[i] {
            Item::Tok((s, _, e)) => (*s, *e),
            Item::Lex(l) => (l.start, l.end),
        }
    }

    fn expects(&self, terminal: &str) -> bool {
        let quoted = format!("\"{terminal}\"");
        self.expected.iter().any(|e| *e == quoted || e == terminal)
    }

    /// The 1-based line of a byte offset.
    fn line_of(&self, at: usize) -> usize {
        self.text[..at.min(self.text.len())].matches('\n').count() + 1
    }

    fn line_text(&self, line: usize) -> &str {
        self.text.split('\n').nth(line - 1).unwrap_or("").trim_end_matches('\r')
    }

    /// The culprit's byte offset (the end of the text for end of input).
    fn at(&self) -> usize {
        match self.culprit {
            Some(k) => self.span_of(k).0,
            None => self.text.trim_end().len(),
        }
    }
}

/// Leading blanks of a line.
fn indent(line: &str) -> usize {
    line.chars().take_while(|c| *c == ' ' || *c == '\t').count()
}

/// A line that holds no code (blank, or only a `//` comment).
fn is_blank(line: &str) -> bool {
    let t = line.trim();
    t.is_empty() || t.starts_with("//")
}

/// Adds to `err` whatever the surroundings explain.
pub(super) fn explain(err: &mut MemoError, ctx: &Context<'_>) {
    unclosed(err, ctx);
    stray_closer(err, ctx);
    keyword_or_foreign_word(err, ctx);
    other_languages(err, ctx);
    comment_meant_as_division(err, ctx);
}

/// A bracket never closed: at the end of the input the error is reported
/// at its opener; elsewhere a note names it.
fn unclosed(err: &mut MemoError, ctx: &Context<'_>) {
    let b = ctx.brackets;
    let Some(&innermost) = b.unclosed.last() else { return };
    // A closer indented less than its opener's line most likely belongs to
    // an outer bracket: the opener it closes is the one missing its closer.
    let stolen = b.pairs.iter().copied().filter(|(o, c)| {
        let (ol, cl) = (ctx.line_of(ctx.span_of(*o).0), ctx.line_of(ctx.span_of(*c).0));
        let first_on_line = ctx.line_text(cl).trim_start().starts_with(['}', ')', ']']);
        ol != cl && first_on_line && indent(ctx.line_text(cl)) < indent(ctx.line_text(ol))
    });
    let stolen = stolen.min_by_key(|(o, _)| *o);
    let (opener, closed_by) = match stolen {
        Some((o, c)) if o > b.unclosed[0] => (o, Some(c)),
        _ => (innermost, None),
    };
    let (os, oe) = ctx.span_of(opener);
    let open_text = &ctx.text[os..oe];
    let open_line = ctx.line_of(os);
    let close = match open_text {
        "(" => ")",
        "[" => "]",
        _ => "}",
    };
    match ctx.culprit {
        None => {
            err.message = format!("this `{open_text}` is never closed");
            err.span = Some(Span::new(ctx.file, os, oe));
            if let Some(c) = closed_by {
                let cl = ctx.line_of(ctx.span_of(c).0);
                err.notes.push(format!(
                    "the `{close}` on line {cl} closes it, but is indented as an outer block's closing `{close}` would be"
                ));
            }
            // The first line after the opener's that is indented no deeper
            // than the opener's line: the closer belongs before it.
            let want = indent(ctx.line_text(open_line));
            let lines = ctx.text.split('\n').count();
            let before = (open_line + 1..=lines).find(|&l| {
                let t = ctx.line_text(l);
                !is_blank(t) && indent(t) <= want && !t.trim_start().starts_with(close)
            });
            if let Some(l) = before {
                err.helps.push(format!("the indentation suggests a `{close}` before line {l}: `{}`", ctx.line_text(l).trim()));
            }
        }
        Some(k) if opener < k && closed_by.is_none() => {
            let (line, col) = (open_line, ctx.text[..os].rsplit('\n').next().map_or(0, |s| s.chars().count()) + 1);
            err.notes.push(format!("the `{open_text}` at line {line}, column {col} is never closed"));
        }
        Some(_) => {}
    }
}

/// A closer with nothing open.
fn stray_closer(err: &mut MemoError, ctx: &Context<'_>) {
    let Some(k) = ctx.culprit else { return };
    if ctx.brackets.stray.contains(&k) {
        let (s, e) = ctx.span_of(k);
        err.message = format!("unexpected `{}`: there is no open bracket for it to close", &ctx.text[s..e]);
    }
}

/// `cahced fn f()`, `retrun x`, `def f(x):`, `elif x`: an identifier that
/// was meant as a keyword (or is another language's).
fn keyword_or_foreign_word(err: &mut MemoError, ctx: &Context<'_>) {
    let Some(k) = ctx.culprit else { return };
    // The culprit itself (`} elif x {`), or the word before it on the same
    // line (`cahced fn`, `def f`).
    if let Some(Tok::Ident(w)) = ctx.culprit_tok() {
        if let Some(h) = suggest::foreign(w) {
            err.helps.push(h.to_string());
            return;
        }
    }
    let Some(p) = k.checked_sub(1) else { return };
    let Some(Tok::Ident(w)) = ctx.tok(p) else { return };
    if ctx.line_of(ctx.span_of(p).0) != ctx.line_of(ctx.span_of(k).0) {
        return;
    }
    // A keyword typo starts a statement (`cahced fn`, `retrun x`); a name
    // elsewhere (`print(len xs)`) is most likely just a name.
    let starts_statement = p == 0 || matches!(ctx.tok(p - 1), Some(Tok::Newline | Tok::Semi | Tok::LBrace | Tok::RBrace));
    if let Some(h) = suggest::foreign(w) {
        err.helps.push(h.to_string());
    } else if let Some(kw) = suggest::closest(w, suggest::KEYWORDS.iter().copied()).filter(|_| starts_statement) {
        err.helps.push(format!("`{w}` is not a keyword: did you mean `{kw}`?"));
    }
}

/// Python's and C's habits.
fn other_languages(err: &mut MemoError, ctx: &Context<'_>) {
    let at = ctx.at();
    let rest = &ctx.text[at.min(ctx.text.len())..];
    let before = &ctx.text[..at.min(ctx.text.len())];
    let culprit = ctx.culprit_tok();
    let prev = ctx.prev();
    let help = |err: &mut MemoError, h: &str| err.helps.push(h.to_string());

    // `xs[0:2]`, `xs[1:]`, `xs[:2]`: slicing.
    let in_index = ctx.culprit.and_then(|k| ctx.brackets.open_at[k]).is_some_and(|o| {
        matches!(ctx.tok(o), Some(Tok::LBracket))
            && o > 0
            && matches!(ctx.tok(o - 1), Some(Tok::Ident(_) | Tok::RParen | Tok::RBracket | Tok::Str(_)))
    });
    if culprit == Some(&Tok::Colon) && in_index {
        help(err, "memo slices with a range: `xs[0..2]` (both ends are needed; `slice(xs, 1)` takes a tail)");
        return;
    }
    // `if x > 1:` / `else:` / `for x in xs:`: blocks are braces.
    if culprit == Some(&Tok::Colon) && ctx.expects("{") {
        help(err, "memo writes blocks in braces, not after a `:` (`if x > 1 { ... }`)");
        return;
    }
    // `if x = 1 {`: comparison.
    if culprit == Some(&Tok::Assign) && ctx.expects("{") {
        help(err, "to compare, write `==`");
        return;
    }
    // f"..." strings.
    if let (Some(Tok::Str(_)), Some(Tok::Ident(f))) = (culprit, prev) {
        let k = ctx.culprit.expect("a culprit token");
        if ctx.span_of(k - 1).1 == ctx.span_of(k).0 && matches!(f.as_str(), "f" | "F") {
            help(err, "memo has no f-strings: write `format(\"{} is {}\", name, age)` or `\"total: \" + str(n)`");
            return;
        }
    }
    // `x in xs`, `x not in xs`.
    if culprit == Some(&Tok::In) {
        help(err, "memo has no `in` operator: write `contains(xs, x)` (or `xs.contains(x)`; `has(m, k)` for a map key)");
        return;
    }
    if culprit == Some(&Tok::Not) && rest.trim_start_matches("not").trim_start().starts_with("in") {
        help(err, "memo has no `not in` operator: write `not contains(xs, x)`");
        return;
    }
    // What the characters at (or just before) the error say.
    let lex_char = ctx.culprit.and_then(|k| match &ctx.items[k] {
        Item::Lex(l) if l.message.starts_with("unexpected character") => ctx.text[l.start..].chars().next(),
        _ => None,
    });
    let pair = |s: &str| rest.starts_with(s) || (before.ends_with(&s[..1]) && rest.starts_with(&s[1..]));
    if pair("&&") {
        help(err, "memo writes `and`");
    } else if pair("||") {
        help(err, "memo writes `or`");
    } else if pair("++") || before.trim_end().ends_with("++") {
        help(err, "memo has no `++`: write `x += 1`");
    } else if before.trim_end().ends_with("--") {
        help(err, "memo has no `--`: write `x -= 1`");
    } else {
        match lex_char {
            Some('#') => help(err, "comments start with `//` (or `/* ... */`)"),
            Some('!') => help(err, "memo writes `not x` (and `!=` for not equal)"),
            Some('?') => help(err, "a conditional expression is `if c { a } else { b }`"),
            Some('\'') => help(err, "strings are in double quotes: \"text\""),
            _ => {}
        }
    }
}

/// `let half = (n // 2)`: `//` starts a comment in memo, so the rest of the
/// line vanished. Said when the line of the error (or of a bracket never
/// closed) has code ending in an operand, then `//` and an operand.
fn comment_meant_as_division(err: &mut MemoError, ctx: &Context<'_>) {
    let mut lines = vec![ctx.line_of(ctx.at())];
    if let Some(p) = ctx.culprit.and_then(|k| k.checked_sub(1)) {
        lines.push(ctx.line_of(ctx.span_of(p).0));
    }
    if let Some(&o) = ctx.brackets.unclosed.last() {
        lines.push(ctx.line_of(ctx.span_of(o).0));
    }
    if lines.iter().any(|&l| division_comment(ctx.line_text(l)).is_some()) {
        err.helps.push(DIVISION_HELP.to_string());
    }
}

pub(super) const DIVISION_HELP: &str =
    "`//` starts a comment in memo; `/` on two ints already divides without a remainder (`7 / 2` is 3)";

/// The text after `//` when a line's code ends with an operand and `//`
/// follows with what looks like an operand (`n // 2`, `a // b)`).
pub(super) fn division_comment(line: &str) -> Option<&str> {
    let at = comment_start(line)?;
    let code = line[..at].trim_end();
    let after = line[at + 2..].trim_start();
    let operand_end = code.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == ')' || c == ']');
    let operand_next = after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '(');
    (operand_end && operand_next && !code.is_empty()).then_some(after)
}

/// The byte offset of a `//` comment outside string literals.
fn comment_start(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    let (mut i, mut in_str) = (0, false);
    while i < b.len() {
        match b[i] {
            b'\\' if in_str => i += 1,
            b'"' => in_str = !in_str,
            b'/' if !in_str && b.get(i + 1) == Some(&b'/') => return Some(i),
            b'/' if !in_str && b.get(i + 1) == Some(&b'*') => return None,
            _ => {}
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_comments() {
        assert_eq!(division_comment("let half = n // 2"), Some("2"));
        assert_eq!(division_comment("let h = (a // b)"), Some("b)"));
        assert_eq!(division_comment("// just a comment"), None);
        assert_eq!(division_comment("let x = 1 + // why"), None);
        assert_eq!(division_comment("print(\"a // b\")"), None);
        assert_eq!(division_comment("let x = 1 // - one"), None);
    }

    #[test]
    fn blank_lines_and_indents() {
        assert!(is_blank("   // note"));
        assert!(is_blank(""));
        assert!(!is_blank("  x"));
        assert_eq!(indent("    x"), 4);
        assert_eq!(indent("\tx"), 1);
    }
}
