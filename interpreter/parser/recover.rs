//! Every syntax error of a file at once. Only run when a file does not
//! parse (a file that parses costs nothing more).
//!
//! Recovery is by top-level statement: after an error, parsing starts again
//! after the next statement separator (newline or `;`) outside any bracket,
//! so the rest of a broken statement (the body of a broken `fn`, say) is
//! skipped rather than misread. The scanner goes on after a character no
//! token starts with; an unterminated string or comment ends the scan.
//!
//! Each error then gets what the tokens around it tell (`hints`), and a
//! bracket that is never closed is reported at its opener, with the line
//! before which the indentation says it should close.

use super::hints::{self, Context};
use super::{convert, grammar, LrError};
use crate::error::MemoError;
use crate::lexer::{self, LexicalError, Spanned, Tok};
use crate::source::Span;
use logos::Logos;

/// Errors beyond this many are not reported.
const MAX_ERRORS: usize = 50;

/// A token, or a lexical error in the token stream.
#[derive(Clone)]
pub(super) enum Item {
    Tok(Spanned),
    Lex(LexicalError),
}

impl Item {
    pub fn start(&self) -> usize {
        match self {
            Item::Tok((s, _, _)) => *s,
            Item::Lex(e) => e.start,
        }
    }

    pub fn tok(&self) -> Option<&Tok> {
        match self {
            Item::Tok((_, t, _)) => Some(t),
            Item::Lex(_) => None,
        }
    }
}

fn is_opener(t: &Tok) -> bool {
    matches!(t, Tok::LParen | Tok::LBracket | Tok::LBrace | Tok::LMapBrace)
}

fn is_closer(t: &Tok) -> bool {
    matches!(t, Tok::RParen | Tok::RBracket | Tok::RBrace)
}

/// How the brackets of a token stream nest.
pub(super) struct Brackets {
    /// Open brackets before each item.
    pub depth: Vec<usize>,
    /// The innermost bracket open at each item (its item index).
    pub open_at: Vec<Option<usize>>,
    /// (opener, closer) item indices.
    pub pairs: Vec<(usize, usize)>,
    /// Openers never closed, outermost first.
    pub unclosed: Vec<usize>,
    /// Closers with nothing open.
    pub stray: Vec<usize>,
}

impl Brackets {
    fn of(items: &[Item]) -> Brackets {
        let mut b =
            Brackets { depth: Vec::new(), open_at: Vec::new(), pairs: Vec::new(), unclosed: Vec::new(), stray: Vec::new() };
        let mut stack: Vec<usize> = Vec::new();
        for (i, it) in items.iter().enumerate() {
            b.depth.push(stack.len());
            b.open_at.push(stack.last().copied());
            let Some(t) = it.tok() else { continue };
            if is_opener(t) {
                stack.push(i);
            } else if is_closer(t) {
                // As the layout pass does: a closer closes the innermost
                // bracket, whatever its kind.
                match stack.pop() {
                    Some(o) => b.pairs.push((o, i)),
                    None => b.stray.push(i),
                }
            }
        }
        b.unclosed = stack;
        b
    }

    pub fn closer_of(&self, opener: usize) -> Option<usize> {
        self.pairs.iter().find(|(o, _)| *o == opener).map(|(_, c)| *c)
    }
}

/// Scans all of `text`, going on after a character no token starts with;
/// a lexical error that leaves the rest of the text unreadable (an
/// unterminated string) ends the scan.
fn scan_all(text: &str) -> (Vec<Spanned>, Vec<LexicalError>) {
    let mut toks = Vec::new();
    let mut errors = Vec::new();
    let mut lex = Tok::lexer(text);
    while let Some(res) = lex.next() {
        let span = lex.span();
        match res {
            Ok(Tok::BlockComment) => {}
            Ok(t) => toks.push((span.start, t, span.end)),
            Err(mut e) => {
                if e.message.is_empty() {
                    e = LexicalError { message: "invalid token".into(), start: span.start, end: span.end, incomplete: false };
                }
                // These consumed exactly the bad text; anything else (a
                // string, a comment) may have left the scanner inside it.
                let go_on = !e.incomplete
                    && (e.message.starts_with("unexpected character")
                        || e.message.contains("literal too large")
                        || e.message.starts_with("invalid float")
                        || e.message.starts_with("hexadecimal"));
                errors.push(e);
                if !go_on {
                    break;
                }
            }
        }
    }
    (toks, errors)
}

/// Every syntax error of `text` (which failed to parse with `first`).
pub(super) fn all_errors(text: &str, file: u32, first: MemoError) -> MemoError {
    let (toks, lex_errors) = scan_all(text);
    let laid = match lexer::layout(toks) {
        Ok(t) => t,
        // Nesting too deep: nothing more to say.
        Err(_) => return first,
    };
    // The tokens and the lexical errors, in text order.
    let mut items: Vec<Item> = Vec::with_capacity(laid.len() + lex_errors.len());
    let mut errs = lex_errors.into_iter().peekable();
    for t in laid {
        while errs.peek().is_some_and(|e| e.start < t.0) {
            items.push(Item::Lex(errs.next().expect("peeked")));
        }
        items.push(Item::Tok(t));
    }
    items.extend(errs.map(Item::Lex));
    let brackets = Brackets::of(&items);

    let mut errors: Vec<MemoError> = Vec::new();
    let mut start = 0;
    while start < items.len() && errors.len() < MAX_ERRORS {
        let stream = items[start..].iter().map(|it| match it {
            Item::Tok(t) => Ok(t.clone()),
            Item::Lex(e) => Err(e.clone()),
        });
        let e = match grammar::ProgramParser::new().parse(file, stream) {
            Ok(_) => break,
            Err(e) => e,
        };
        let (culprit, expected, fatal) = match &e {
            LrError::UnrecognizedToken { token: (l, _, _), expected } => (index_at(&items, start, *l), expected.clone(), false),
            LrError::ExtraToken { token: (l, _, _) } => (index_at(&items, start, *l), Vec::new(), false),
            LrError::InvalidToken { location } => (index_at(&items, start, *location), Vec::new(), false),
            LrError::User { error } => {
                let i = index_at(&items, start, error.start);
                let go_on = i.is_some_and(|i| !matches!(&items[i], Item::Lex(l) if !lexical_goes_on(l, &items, i)));
                (i, Vec::new(), !go_on)
            }
            LrError::UnrecognizedEof { expected, .. } => (None, expected.clone(), true),
        };
        let mut err = match e {
            LrError::User { error } => MemoError::syntax(error.message, Span::new(file, error.start, error.end)),
            other => convert(other, text, file),
        };
        let ctx = Context { text, file, items: &items, brackets: &brackets, culprit, expected: &expected };
        hints::explain(&mut err, &ctx);
        errors.push(err);
        let Some(k) = culprit else { break };
        if fatal {
            break;
        }
        match resume_after(&items, &brackets, k) {
            Some(next) => start = next,
            None => break,
        }
    }
    if errors.is_empty() {
        return first;
    }
    MemoError::collect(errors).expect("not empty")
}

/// A lexical error the scan went on after (the tokens after it are real).
fn lexical_goes_on(e: &LexicalError, items: &[Item], i: usize) -> bool {
    i + 1 < items.len() && !e.incomplete
}

/// The index of the item starting at byte `at` (from `from` on).
fn index_at(items: &[Item], from: usize, at: usize) -> Option<usize> {
    let rel = items[from..].partition_point(|it| it.start() < at);
    let i = from + rel;
    (i < items.len()).then_some(i)
}

/// Where parsing starts again after an error at item `k`: after the next
/// statement separator outside any bracket. A statement that starts with
/// `{` there is the body of the broken one (`if x` newline `{`): it is
/// skipped too.
fn resume_after(items: &[Item], b: &Brackets, k: usize) -> Option<usize> {
    let mut i = k;
    loop {
        let sep = (i..items.len()).find(|&j| b.depth[j] == 0 && matches!(items[j].tok(), Some(Tok::Newline | Tok::Semi)))?;
        let next = sep + 1;
        match items.get(next).and_then(Item::tok) {
            Some(Tok::LBrace | Tok::LMapBrace) => i = b.closer_of(next)? + 1,
            _ => return (next < items.len()).then_some(next),
        }
    }
}
