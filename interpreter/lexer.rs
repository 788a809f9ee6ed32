//! The lexer: source text to tokens. A `logos` scanner produces raw tokens
//! (newlines included), then the layout pass ([`layout`]) decides which
//! newlines end statements and whether each `{` opens a block or a map literal.
//! The result is the token stream the LALRPOP grammar (`grammar/memo.lalrpop`)
//! consumes.

use logos::{FilterResult, Logos};
use std::fmt;

/// Deepest allowed nesting of brackets of any kind.
pub const MAX_NESTING: usize = 1000;

/// A lexical (or layout) error with the byte range it points at.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LexicalError {
    pub message: String,
    pub start: usize,
    pub end: usize,
    /// True when the error only means "the input ended too early"
    /// (unterminated string or block comment).
    pub incomplete: bool,
}

impl LexicalError {
    fn new(message: impl Into<String>, start: usize, end: usize) -> LexicalError {
        LexicalError { message: message.into(), start, end, incomplete: false }
    }

    /// logos' default error: a character no token starts with.
    fn from_lexer(lex: &mut logos::Lexer<'_, Tok>) -> LexicalError {
        let start = lex.span().start;
        match lex.source().get(start..).and_then(|s| s.chars().next()) {
            Some(c) => LexicalError::new(format!("unexpected character `{}`", c.escape_debug()), start, start + c.len_utf8()),
            None => LexicalError::new("unexpected end of input", start, start),
        }
    }
}

/// A token. `LMapBrace` and the significance of `Newline` are decided by the
/// layout pass; the raw scanner emits every `{` as `LBrace`.
#[derive(Logos, Debug, Clone, PartialEq)]
#[logos(error(LexicalError, LexicalError::from_lexer))]
#[logos(skip r"[ \t\r\f]+")]
#[logos(skip(r"//[^\n]*", allow_greedy = true))]
pub enum Tok {
    #[regex("[A-Za-z_][A-Za-z0-9_]*", |lex| lex.slice().to_string())]
    Ident(String),
    #[regex("[0-9][0-9_]*", lex_int)]
    #[regex("0[xX][0-9a-fA-F_]+", lex_hex)]
    Int(i64),
    #[regex(r"[0-9][0-9_]*\.[0-9][0-9_]*([eE][+-]?[0-9][0-9_]*)?", lex_float)]
    #[regex(r"[0-9][0-9_]*[eE][+-]?[0-9][0-9_]*", lex_float)]
    Float(f64),
    #[token("\"", lex_string)]
    Str(String),

    // Keywords.
    #[token("let")]
    Let,
    #[token("fn")]
    Fn,
    #[token("cached")]
    Cached,
    #[token("return")]
    Return,
    #[token("if")]
    If,
    #[token("else")]
    Else,
    #[token("while")]
    While,
    #[token("for")]
    For,
    #[token("in")]
    In,
    #[token("break")]
    Break,
    #[token("continue")]
    Continue,
    #[token("true")]
    True,
    #[token("false")]
    False,
    #[token("none")]
    NoneKw,
    #[token("and")]
    And,
    #[token("or")]
    Or,
    #[token("not")]
    Not,
    #[token("struct")]
    Struct,
    #[token("try")]
    Try,
    #[token("catch")]
    Catch,
    #[token("import")]
    Import,
    /// `mut` right before `struct` (made by the layout pass: elsewhere
    /// `mut` is an ordinary name).
    Mut,

    // Operators.
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("%")]
    Percent,
    #[token("**")]
    StarStar,
    #[token("==")]
    EqEq,
    #[token("!=")]
    NotEq,
    #[token("<")]
    Lt,
    #[token("<=")]
    Le,
    #[token(">")]
    Gt,
    #[token(">=")]
    Ge,
    #[token("=")]
    Assign,
    #[token("+=")]
    PlusAssign,
    #[token("-=")]
    MinusAssign,
    #[token("*=")]
    StarAssign,
    #[token("/=")]
    SlashAssign,
    #[token("%=")]
    PercentAssign,
    #[token("&")]
    Amp,
    #[token("|")]
    Pipe,
    #[token("^")]
    Caret,
    #[token("~")]
    Tilde,
    #[token("<<")]
    Shl,
    #[token(">>")]
    Shr,
    #[token("&=")]
    AmpAssign,
    #[token("|=")]
    PipeAssign,
    #[token("^=")]
    CaretAssign,
    #[token("<<=")]
    ShlAssign,
    #[token(">>=")]
    ShrAssign,
    #[token("..")]
    DotDot,
    #[token("..=")]
    DotDotEq,

    // Punctuation.
    #[token(".")]
    Dot,
    #[token(",")]
    Comma,
    #[token(":")]
    Colon,
    #[token(";")]
    Semi,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    /// `{` opening a block (or a struct declaration body).
    #[token("{")]
    LBrace,
    /// `{` opening a map literal (only produced by the layout pass).
    LMapBrace,
    #[token("}")]
    RBrace,
    /// A statement-ending newline (after the layout pass).
    #[token("\n")]
    Newline,

    /// A (nested) block comment; skipped by the callback, never emitted.
    #[token("/*", block_comment)]
    BlockComment,
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Ident(name) => write!(f, "identifier `{name}`"),
            Tok::Int(i) => write!(f, "integer `{i}`"),
            Tok::Float(x) => write!(f, "float `{x}`"),
            Tok::Str(_) => write!(f, "string"),
            Tok::Newline => write!(f, "end of line"),
            other => write!(f, "`{}`", other.text()),
        }
    }
}

impl Tok {
    /// The source text of a fixed token (empty for tokens with a payload).
    pub fn text(&self) -> &'static str {
        use Tok::*;
        match self {
            Ident(_) | Int(_) | Float(_) | Str(_) | BlockComment => "",
            Let => "let",
            Fn => "fn",
            Cached => "cached",
            Return => "return",
            If => "if",
            Else => "else",
            While => "while",
            For => "for",
            In => "in",
            Break => "break",
            Continue => "continue",
            True => "true",
            False => "false",
            NoneKw => "none",
            And => "and",
            Or => "or",
            Not => "not",
            Struct => "struct",
            Try => "try",
            Catch => "catch",
            Import => "import",
            Mut => "mut",
            Plus => "+",
            Minus => "-",
            Star => "*",
            Slash => "/",
            Percent => "%",
            StarStar => "**",
            EqEq => "==",
            NotEq => "!=",
            Lt => "<",
            Le => "<=",
            Gt => ">",
            Ge => ">=",
            Assign => "=",
            PlusAssign => "+=",
            MinusAssign => "-=",
            StarAssign => "*=",
            SlashAssign => "/=",
            PercentAssign => "%=",
            Amp => "&",
            Pipe => "|",
            Caret => "^",
            Tilde => "~",
            Shl => "<<",
            Shr => ">>",
            AmpAssign => "&=",
            PipeAssign => "|=",
            CaretAssign => "^=",
            ShlAssign => "<<=",
            ShrAssign => ">>=",
            DotDot => "..",
            DotDotEq => "..=",
            Dot => ".",
            Comma => ",",
            Colon => ":",
            Semi => ";",
            LParen => "(",
            RParen => ")",
            LBracket => "[",
            RBracket => "]",
            LBrace | LMapBrace => "{",
            RBrace => "}",
            Newline => "\\n",
        }
    }

    /// Tokens after which a newline never ends a statement: binary and prefix
    /// operators, assignment operators, `,` `.` `:`, opening brackets, `else`,
    /// `catch`, `cached`, and separators (so runs of newlines collapse).
    fn continues_line(&self) -> bool {
        use Tok::*;
        matches!(
            self,
            Plus | Minus
                | Star
                | Slash
                | Percent
                | StarStar
                | EqEq
                | NotEq
                | Lt
                | Le
                | Gt
                | Ge
                | And
                | Or
                | Not
                | DotDot
                | DotDotEq
                | Assign
                | PlusAssign
                | MinusAssign
                | StarAssign
                | SlashAssign
                | PercentAssign
                | Amp
                | Pipe
                | Caret
                | Tilde
                | Shl
                | Shr
                | AmpAssign
                | PipeAssign
                | CaretAssign
                | ShlAssign
                | ShrAssign
                | Comma
                | Dot
                | Colon
                | LParen
                | LBracket
                | LBrace
                | LMapBrace
                | Else
                | Catch
                | Cached
                | Semi
                | Newline
        )
    }

    /// Tokens that may end an expression; a `{` right after one opens a block.
    fn ends_expression(&self) -> bool {
        use Tok::*;
        matches!(self, Ident(_) | Int(_) | Float(_) | Str(_) | True | False | NoneKw | RParen | RBracket | RBrace)
    }
}

fn digits(s: &str) -> String {
    s.chars().filter(|&c| c != '_').collect()
}

fn lex_int(lex: &mut logos::Lexer<'_, Tok>) -> Result<i64, LexicalError> {
    let span = lex.span();
    digits(lex.slice()).parse::<i64>().map_err(|_| LexicalError::new("integer literal too large", span.start, span.end))
}

fn lex_hex(lex: &mut logos::Lexer<'_, Tok>) -> Result<i64, LexicalError> {
    let span = lex.span();
    let d = digits(&lex.slice()[2..]);
    if d.is_empty() {
        return Err(LexicalError::new("hexadecimal literal has no digits", span.start, span.end));
    }
    i64::from_str_radix(&d, 16).map_err(|_| LexicalError::new("integer literal too large", span.start, span.end))
}

fn lex_float(lex: &mut logos::Lexer<'_, Tok>) -> Result<f64, LexicalError> {
    let span = lex.span();
    digits(lex.slice()).parse::<f64>().map_err(|_| LexicalError::new("invalid float literal", span.start, span.end))
}

/// Scans a string literal after its opening quote, decoding escapes.
fn lex_string(lex: &mut logos::Lexer<'_, Tok>) -> Result<String, LexicalError> {
    let start = lex.span().start;
    let body_start = lex.span().end;
    let rest = lex.remainder();
    let mut out = String::new();
    let mut chars = rest.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                lex.bump(i + 1);
                return Ok(out);
            }
            '\\' => {
                let esc_start = body_start + i;
                let Some((j, e)) = chars.next() else { break };
                match e {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    '\\' => out.push('\\'),
                    '"' => out.push('"'),
                    '0' => out.push('\0'),
                    'u' => {
                        // \u{XXXX}: 1 to 6 hex digits naming a Unicode scalar value.
                        let after = &rest[j + 1..];
                        let bad = |len: usize| {
                            LexicalError::new("invalid unicode escape (expected `\\u{XXXX}`)", esc_start, esc_start + 2 + len)
                        };
                        if !after.starts_with('{') {
                            return Err(bad(0));
                        }
                        let Some(close) = after.find('}') else {
                            return Err(bad(0));
                        };
                        let hex = &after[1..close];
                        if hex.is_empty() || hex.len() > 6 || !hex.chars().all(|h| h.is_ascii_hexdigit()) {
                            return Err(bad(close.min(8) + 1));
                        }
                        let code = u32::from_str_radix(hex, 16).map_err(|_| bad(close + 1))?;
                        let ch = char::from_u32(code).ok_or_else(|| {
                            LexicalError::new(
                                format!("invalid unicode escape: {hex} is not a Unicode scalar value"),
                                esc_start,
                                esc_start + 3 + close,
                            )
                        })?;
                        out.push(ch);
                        // Skip `{hex}` in the iterator.
                        for _ in 0..close + 1 {
                            chars.next();
                        }
                    }
                    other => {
                        return Err(LexicalError::new(
                            format!("unknown escape `\\{}` in string", other.escape_debug()),
                            esc_start,
                            esc_start + 1 + other.len_utf8(),
                        ));
                    }
                }
            }
            c => out.push(c),
        }
    }
    Err(LexicalError { message: "unterminated string".into(), start, end: start + 1, incomplete: true })
}

/// Skips a (nested) block comment after its opening `/*`.
fn block_comment(lex: &mut logos::Lexer<'_, Tok>) -> FilterResult<(), LexicalError> {
    let start = lex.span().start;
    let bytes = lex.remainder().as_bytes();
    let mut depth = 1usize;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
            depth += 1;
            i += 2;
        } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                lex.bump(i);
                return FilterResult::Skip;
            }
        } else {
            i += 1;
        }
    }
    FilterResult::Error(LexicalError { message: "unterminated block comment".into(), start, end: start + 2, incomplete: true })
}

/// A token with its byte range, as LALRPOP wants it.
pub type Spanned = (usize, Tok, usize);

/// Scans `text` with logos. Stops at the first error, returning the tokens
/// before it and the error.
pub fn scan(text: &str) -> (Vec<Spanned>, Option<LexicalError>) {
    let mut out = Vec::new();
    let mut lex = Tok::lexer(text);
    while let Some(res) = lex.next() {
        let span = lex.span();
        match res {
            Ok(Tok::BlockComment) => {}
            Ok(tok) => out.push((span.start, tok, span.end)),
            Err(mut e) => {
                if e.message.is_empty() {
                    e = LexicalError::new("invalid token", span.start, span.end);
                }
                return (out, Some(e));
            }
        }
    }
    (out, None)
}

/// What an open bracket on the layout stack is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Open {
    /// `(`; `cached` is true for the option list of `cached(...)`.
    Paren {
        cached: bool,
    },
    Bracket,
    /// A block `{`: newlines inside are significant.
    Block,
    /// A map literal `{`.
    Map,
    /// The body of `struct Name { ... }`.
    Struct,
}

/// The layout pass: turns raw tokens (with every newline) into the token
/// stream the grammar expects. It runs in one left-to-right sweep (O(n)) with
/// a stack of open brackets.
///
/// Newlines: a run of newlines is collapsed into one candidate, which is
/// DROPPED when
/// - the innermost open bracket is `(`, `[`, a map `{` or a struct body `{`;
/// - there is no previous token (file start), or the previous token
///   continues the line (see [`Tok::continues_line`]: operators, `,`, `.`,
///   `:`, opening brackets, `else`, `catch`, `;`);
/// - the previous token is the `)` closing a `cached(...)` option list;
/// - the next token is `.`, `else`, `catch`, `}`, `)` or `]`, or the input ends.
///
/// Otherwise it is emitted as a `Newline` token, which ends a statement.
///
/// Braces: a `{` right after `struct Name` opens a struct body (emitted as
/// `LBrace`); a `{` whose previous token (with no `Newline` emitted in
/// between) ends an expression, or is `else` / `try`, opens a block
/// (`LBrace`); any other `{` opens a map literal (`LMapBrace`).
///
/// Nesting deeper than [`MAX_NESTING`] brackets, or a run of more than
/// [`MAX_NESTING`] prefix operators (`- - - x`), is an error.
pub fn layout(raw: Vec<Spanned>) -> Result<Vec<Spanned>, LexicalError> {
    let mut out: Vec<Spanned> = Vec::with_capacity(raw.len());
    let mut stack: Vec<Open> = Vec::new();
    // Span of a pending (not yet decided) newline.
    let mut pending_newline: Option<(usize, usize)> = None;
    // Whether the last emitted token is the `)` of a `cached(...)` list.
    let mut after_cached_options = false;
    // Length of the current run of prefix operators (`-`, `not`); each one
    // nests the tree one level deeper, so runs are limited like brackets.
    let mut prefix_run = 0usize;

    for (start, tok, end) in raw {
        if tok == Tok::Newline {
            pending_newline.get_or_insert((start, end));
            continue;
        }
        if let Some((nl_start, nl_end)) = pending_newline.take() {
            let inside_bracket = matches!(stack.last(), Some(Open::Paren { .. } | Open::Bracket | Open::Map | Open::Struct));
            let prev_continues = match out.last() {
                None => true,
                Some((_, prev, _)) => prev.continues_line(),
            };
            let next_continues = matches!(tok, Tok::Dot | Tok::Else | Tok::Catch | Tok::RBrace | Tok::RParen | Tok::RBracket);
            if !(inside_bracket || prev_continues || after_cached_options || next_continues) {
                out.push((nl_start, Tok::Newline, nl_end));
            }
        }

        if tok == Tok::Struct {
            // `mut struct`: `mut` is a keyword only here.
            if let Some((_, last @ Tok::Ident(_), _)) = out.last_mut() {
                if *last == Tok::Ident("mut".into()) {
                    *last = Tok::Mut;
                }
            }
        }
        let prev = out.last().map(|(_, t, _)| t);
        let mut closes_cached = false;
        let tok = match tok {
            Tok::LParen => {
                stack.push(Open::Paren { cached: prev == Some(&Tok::Cached) });
                Tok::LParen
            }
            Tok::LBracket => {
                stack.push(Open::Bracket);
                Tok::LBracket
            }
            Tok::LBrace => {
                let before_prev = out.len().checked_sub(2).map(|i| &out[i].1);
                let kind = match prev {
                    Some(Tok::Ident(_)) if before_prev == Some(&Tok::Struct) => Open::Struct,
                    Some(p) if p.ends_expression() || matches!(p, Tok::Else | Tok::Try) => Open::Block,
                    _ => Open::Map,
                };
                stack.push(kind);
                if kind == Open::Map {
                    Tok::LMapBrace
                } else {
                    Tok::LBrace
                }
            }
            Tok::RParen | Tok::RBracket | Tok::RBrace => {
                // A mismatched closer is the grammar's to report; just pop.
                closes_cached = stack.pop() == Some(Open::Paren { cached: true }) && tok == Tok::RParen;
                tok
            }
            other => other,
        };
        prefix_run = if matches!(tok, Tok::Minus | Tok::Not | Tok::Tilde) { prefix_run + 1 } else { 0 };
        if stack.len() > MAX_NESTING || prefix_run > MAX_NESTING {
            return Err(LexicalError::new("nesting too deep", start, end));
        }
        after_cached_options = closes_cached;
        out.push((start, tok, end));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<Tok> {
        let (raw, err) = scan(text);
        assert!(err.is_none(), "{err:?}");
        layout(raw).unwrap().into_iter().map(|(_, t, _)| t).collect()
    }

    #[test]
    fn numbers() {
        assert_eq!(toks("1..3"), vec![Tok::Int(1), Tok::DotDot, Tok::Int(3)]);
        assert_eq!(
            toks("1_000 0xff 1.5 2e9 1.0e-3 1_000.5"),
            vec![Tok::Int(1000), Tok::Int(255), Tok::Float(1.5), Tok::Float(2e9), Tok::Float(1.0e-3), Tok::Float(1000.5)]
        );
        let (_, err) = scan("99999999999999999999");
        assert_eq!(err.unwrap().message, "integer literal too large");
    }

    #[test]
    fn strings_and_comments() {
        assert_eq!(toks(r#""a\n\t\"\\\0\u{1F600}" /* x /* y */ z */ // c"#), vec![Tok::Str("a\n\t\"\\\0\u{1F600}".into())]);
        assert_eq!(scan("\"abc").1.unwrap().message, "unterminated string");
        assert_eq!(scan("/* /* */").1.unwrap().message, "unterminated block comment");
        assert!(scan(r#""\q""#).1.unwrap().message.contains("\\q"));
        assert!(scan(r#""\u{110000}""#).1.is_some());
        assert!(scan(r#""\u{zz}""#).1.is_some());
        assert_eq!(scan("a $ b").1.unwrap().message, "unexpected character `$`");
        assert_eq!(scan("é").1.unwrap().message, "unexpected character `é`");
    }

    #[test]
    fn braces() {
        assert_eq!(toks("if x {}")[2], Tok::LBrace);
        assert_eq!(toks("let m = {}")[3], Tok::LMapBrace);
        assert_eq!(
            toks("struct P {\n a,\n b\n}"),
            vec![
                Tok::Struct,
                Tok::Ident("P".into()),
                Tok::LBrace,
                Tok::Ident("a".into()),
                Tok::Comma,
                Tok::Ident("b".into()),
                Tok::RBrace
            ]
        );
    }
}
