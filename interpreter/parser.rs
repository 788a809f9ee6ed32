//! The parser: runs the lexer and its layout pass (`lexer.rs`), feeds the
//! tokens to the LALRPOP-generated LR parser (`grammar/memo.lalrpop`) and
//! turns its errors into readable `SyntaxError`s. Also answers the REPL's
//! question "is this input merely unfinished?" ([`is_incomplete`]).

use crate::ast::{self, BinOp, Expr, ExprKind, UnOp};
use crate::error::MemoError;
use crate::lexer::{self, LexicalError, Tok};
use crate::source::Span;

mod hints;
mod lints;
mod recover;

pub use lints::lints;

lalrpop_util::lalrpop_mod!(
    #[allow(clippy::all, unused)]
    grammar,
    "/memo.rs"
);

/// Parses a whole source file. `file` is the file's id in the `SourceMap`;
/// it goes into every span. A file that does not parse is parsed again to
/// find all its syntax errors: the first is returned, with the others in
/// its `more` (see `recover`).
pub fn parse_program(text: &str, file: u32) -> Result<ast::Program, MemoError> {
    parse(text, file).map_err(|f| recover::all_errors(text, file, f.error))
}

/// True when `text` fails to parse only because the input ended early: an
/// unclosed bracket, an unterminated string or block comment, a trailing
/// binary operator or comma, `if x {` with no close. The REPL then asks for
/// another line.
pub fn is_incomplete(text: &str) -> bool {
    matches!(parse(text, 0), Err(Failure { incomplete: true, .. }))
}

/// A parse failure and whether it was caused by the end of the input.
struct Failure {
    error: MemoError,
    incomplete: bool,
}

type LrError = lalrpop_util::ParseError<usize, Tok, LexicalError>;

fn parse(text: &str, file: u32) -> Result<ast::Program, Failure> {
    let lex_failure = |e: LexicalError| Failure {
        incomplete: e.incomplete,
        error: MemoError::syntax(e.message, Span::new(file, e.start, e.end)),
    };
    let (raw, lex_error) = lexer::scan(text);
    // A layout error (nesting too deep) lies before any scanner error.
    let tokens = lexer::layout(raw).map_err(lex_failure)?;
    // The scanner error, if any, is fed to the parser after the good tokens,
    // so that an earlier syntax error is reported first.
    let stream = tokens.into_iter().map(Ok).chain(lex_error.map(Err));
    grammar::ProgramParser::new().parse(file, stream).map_err(|e| match e {
        LrError::User { error } => lex_failure(error),
        other => Failure { incomplete: matches!(other, LrError::UnrecognizedEof { .. }), error: convert(other, text, file) },
    })
}

/// Turns a LALRPOP error into a `SyntaxError` pointing at the culprit token.
fn convert(e: LrError, text: &str, file: u32) -> MemoError {
    match e {
        LrError::UnrecognizedEof { expected, .. } => {
            let end = text.trim_end().len();
            let at = Span::new(file, end, end);
            let message = match describe_expected(&expected) {
                Some(exp) => format!("unexpected end of input (expected {exp})"),
                None => "unexpected end of input".to_string(),
            };
            MemoError::syntax(message, at)
        }
        LrError::UnrecognizedToken { token: (l, tok, r), expected } => {
            let after_expression = expected.iter().any(|e| e == "\"and\"");
            let comparison = matches!(tok, Tok::EqEq | Tok::NotEq | Tok::Lt | Tok::Le | Tok::Gt | Tok::Ge);
            let range = matches!(tok, Tok::DotDot | Tok::DotDotEq);
            let message = match describe_expected(&expected) {
                _ if after_expression && comparison => {
                    format!("comparison operators cannot be chained: unexpected {tok} (use `and`)")
                }
                _ if after_expression && range => {
                    format!("range operators cannot be chained: unexpected {tok}")
                }
                Some(exp) => format!("expected {exp}, found {tok}"),
                None => format!("unexpected {tok}"),
            };
            MemoError::syntax(message, Span::new(file, l, r))
        }
        LrError::ExtraToken { token: (l, tok, r) } => MemoError::syntax(format!("unexpected {tok}"), Span::new(file, l, r)),
        LrError::InvalidToken { location } => MemoError::syntax("invalid token", Span::new(file, location, location)),
        LrError::User { error } => MemoError::syntax(error.message, Span::new(file, error.start, error.end)),
    }
}

/// Terminals that can start an expression.
const EXPR_START: &[&str] = &[
    "identifier",
    "integer",
    "float",
    "string",
    "none",
    "true",
    "false",
    "(",
    "[",
    "#{",
    "-",
    "~",
    "not",
    "if",
    "fn",
    "cached",
    "try",
];

/// Terminals that can continue a complete expression.
const CONTINUATIONS: &[&str] = &[
    "+", "-", "*", "/", "%", "**", "==", "!=", "<", "<=", ">", ">=", "..", "..=", ".", "(", "[", "and", "or", "=", "+=", "-=",
    "*=", "/=", "%=", "&", "|", "^", "<<", ">>", "&=", "|=", "^=", "<<=", ">>=",
];

/// Renders LALRPOP's expected-terminal list in user terms, e.g.
/// "`)` or `,`", "an expression" or "end of statement". `None` when the
/// list is too long to be useful.
fn describe_expected(expected: &[String]) -> Option<String> {
    // LALRPOP gives the terminal names Debug-quoted: "\")\"".
    let mut names: Vec<String> =
        expected.iter().map(|e| e.trim_matches('"').replace("\\\"", "\"").replace("\\\\", "\\")).collect();
    let has = |names: &[String], n: &str| names.iter().any(|x| x == n);
    let expression_position = has(&names, "identifier") && has(&names, "integer");
    let after_expression = has(&names, "and") && has(&names, "or");
    let mut extra = Vec::new();
    if expression_position {
        names.retain(|n| !EXPR_START.contains(&n.as_str()));
        extra.push("an expression".to_string());
    }
    if after_expression {
        let kept: Vec<String> = names.iter().filter(|n| !CONTINUATIONS.contains(&n.as_str())).cloned().collect();
        if !kept.is_empty() {
            names = kept;
        }
    }
    if has(&names, "newline") && has(&names, ";") {
        names.retain(|n| n != "newline" && n != ";" && n != "}");
        extra.push("end of statement".to_string());
    }
    // Closing brackets first: "expected `)` or `,`" reads best.
    names.sort_by_key(|n| !matches!(n.as_str(), ")" | "]" | "}"));
    let mut items: Vec<String> = names
        .iter()
        .map(|n| match n.as_str() {
            "identifier" | "integer" | "float" | "string" => n.clone(),
            "#{" => "`{`".to_string(),
            "newline" => "end of line".to_string(),
            other => format!("`{other}`"),
        })
        .collect();
    items.dedup();
    items.extend(extra);
    match items.len() {
        0 => None,
        n if n > 5 => {
            if expression_position {
                Some("an expression".to_string())
            } else {
                None
            }
        }
        1 => Some(items.remove(0)),
        _ => {
            let last = items.pop().unwrap_or_default();
            Some(format!("{} or {}", items.join(", "), last))
        }
    }
}

/// Builds a binary expression (used by the grammar).
pub(crate) fn bin(file: u32, l: usize, r: usize, op: BinOp, a: Expr, b: Expr) -> Expr {
    Expr { kind: ExprKind::Binary(op, Box::new(a), Box::new(b)), span: Span::new(file, l, r) }
}

/// Builds a unary expression (used by the grammar).
pub(crate) fn un(file: u32, l: usize, r: usize, op: UnOp, e: Expr) -> Expr {
    Expr { kind: ExprKind::Unary(op, Box::new(e)), span: Span::new(file, l, r) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::{Arg, Block, FnDef, Program, Stmt, StmtKind};
    use crate::source::SourceFile;

    // ------------------------------------------------------------ printer

    fn args(a: &[Arg]) -> String {
        a.iter()
            .map(|a| match &a.name {
                Some(n) => format!("{}: {}", n.name, e(&a.value)),
                None => e(&a.value),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn block(b: &Block) -> String {
        format!("{{{}}}", b.stmts.iter().map(s).collect::<Vec<_>>().join("; "))
    }

    fn fndef(f: &FnDef) -> String {
        let cached = match &f.cached {
            None => String::new(),
            Some(a) => format!("cached({}) ", args(a)),
        };
        let name = f.name.as_ref().map(|n| n.name.clone()).unwrap_or_default();
        let params: Vec<_> = f.params.iter().map(|p| p.name.clone()).collect();
        format!("({cached}fn {name}({}) {})", params.join(" "), block(&f.body))
    }

    fn e(x: &Expr) -> String {
        match &x.kind {
            ExprKind::None => "none".into(),
            ExprKind::Bool(b) => b.to_string(),
            ExprKind::Int(i) => i.to_string(),
            ExprKind::Float(f) => format!("{f:?}"),
            ExprKind::Str(s) => format!("{s:?}"),
            ExprKind::Ident(n) => n.clone(),
            ExprKind::List(items) => {
                format!("[{}]", items.iter().map(e).collect::<Vec<_>>().join(" "))
            }
            ExprKind::Map(entries) => {
                format!("{{{}}}", entries.iter().map(|(k, v)| format!("{}: {}", e(k), e(v))).collect::<Vec<_>>().join(" "))
            }
            ExprKind::Unary(UnOp::Neg, a) => format!("(neg {})", e(a)),
            ExprKind::Unary(UnOp::Not, a) => format!("(not {})", e(a)),
            ExprKind::Unary(UnOp::BitNot, a) => format!("(~ {})", e(a)),
            ExprKind::Binary(op, a, b) => format!("({} {} {})", op.symbol(), e(a), e(b)),
            ExprKind::Range { start, end, inclusive } => {
                format!("({} {} {})", if *inclusive { "..=" } else { ".." }, e(start), e(end))
            }
            ExprKind::Call { callee, args: a } => format!("(call {} {})", e(callee), args(a)),
            ExprKind::MethodCall { receiver, name, args: a } => format!("(method {} {} {})", e(receiver), name.name, args(a)),
            ExprKind::Index(a, i) => format!("(index {} {})", e(a), e(i)),
            ExprKind::Field(a, n) => format!("(field {} {})", e(a), n.name),
            ExprKind::If { cond, then, else_ } => match else_ {
                Some(el) => format!("(if {} {} {})", e(cond), block(then), e(el)),
                None => format!("(if {} {})", e(cond), block(then)),
            },
            ExprKind::Block(b) => block(b),
            ExprKind::Fn(f) => fndef(f),
            ExprKind::Try { body, var, handler } => {
                format!("(try {} {} {})", block(body), var.name, block(handler))
            }
        }
    }

    fn s(st: &Stmt) -> String {
        match &st.kind {
            StmtKind::Let { name, value } => format!("(let {} {})", name.name, e(value)),
            StmtKind::Assign { target, op, value } => {
                format!("({}= {} {})", op.map(|o| o.symbol()).unwrap_or(""), e(target), e(value))
            }
            StmtKind::FnDecl(f) => fndef(f),
            StmtKind::Struct { name, fields, mutable } => format!(
                "({}struct {} {})",
                if *mutable { "mut " } else { "" },
                name.name,
                fields.iter().map(|f| f.name.clone()).collect::<Vec<_>>().join(" ")
            ),
            StmtKind::While { cond, body } => format!("(while {} {})", e(cond), block(body)),
            StmtKind::For { var, iter, body } => {
                format!("(for {} {} {})", var.name, e(iter), block(body))
            }
            StmtKind::Break => "break".into(),
            StmtKind::Continue => "continue".into(),
            StmtKind::Return(None) => "return".into(),
            StmtKind::Return(Some(x)) => format!("(return {})", e(x)),
            StmtKind::Import(p) => format!("(import {p:?})"),
            StmtKind::Expr(x) => e(x),
        }
    }

    fn prog(p: &Program) -> String {
        p.stmts.iter().map(s).collect::<Vec<_>>().join("; ")
    }

    /// Parses and prints; panics with the error on failure.
    fn p(text: &str) -> String {
        match parse_program(text, 0) {
            Ok(pr) => prog(&pr),
            Err(err) => panic!("parse of {text:?} failed: {} at {:?}", err.message, err.span),
        }
    }

    /// The error message and 1-based line:col of a failing parse.
    fn err(text: &str) -> (String, usize, usize) {
        match parse_program(text, 0) {
            Ok(pr) => panic!("{text:?} parsed: {}", prog(&pr)),
            Err(err) => {
                let span = err.span.expect("syntax errors have a span");
                let (l, c) = SourceFile::new("t".into(), text.into()).line_col(span.start as usize);
                (err.message.clone(), l, c)
            }
        }
    }

    // ------------------------------------------------------------ constructs

    #[test]
    fn literals_and_operators() {
        assert_eq!(p("none; true; false; 42; 1.5; \"hi\"; x"), "none; true; false; 42; 1.5; \"hi\"; x");
        assert_eq!(p("1 + 2 * 3 - 4 / 5 % 6"), "(- (+ 1 (* 2 3)) (% (/ 4 5) 6))");
        assert_eq!(p("-2 ** 2"), "(neg (** 2 2))");
        assert_eq!(p("2 ** -1"), "(** 2 (neg 1))");
        assert_eq!(p("2 ** 3 ** 2"), "(** 2 (** 3 2))");
        assert_eq!(p("a or b and not c == d"), "(or a (and b (not (== c d))))");
        assert_eq!(p("a < b + 1"), "(< a (+ b 1))");
        assert_eq!(p("0..n + 1"), "(.. 0 (+ n 1))");
        assert_eq!(p("0..=9"), "(..= 0 9)");
        assert_eq!(p("x == 1..3"), "(== x (.. 1 3))");
        assert_eq!(p("(1 + 2) * 3"), "(* (+ 1 2) 3)");
        assert_eq!(p("a - -b"), "(- a (neg b))");
    }

    #[test]
    fn postfix() {
        assert_eq!(p("a.b.c(1)[2](3)"), "(call (index (method (field a b) c 1) 2) 3)");
        assert_eq!(p("f(x, y: 2,)"), "(call f x y: 2)");
        assert_eq!(p("(p.f)(1)"), "(call (field p f) 1)");
        assert_eq!(p("xs[1..3]"), "(index xs (.. 1 3))");
        assert_eq!(p("f()()"), "(call (call f ) )");
        assert_eq!(p("-x.y ** 2"), "(neg (** (field x y) 2))");
    }

    #[test]
    fn collections() {
        assert_eq!(p("[1, 2, [3],]"), "[1 2 [3]]");
        assert_eq!(p("[]"), "[]");
        assert_eq!(p("{}"), "{}");
        assert_eq!(p("let m = {\"a\": 1, 2: [3], k: {},}"), "(let m {\"a\": 1 2: [3] k: {}})");
        assert_eq!(p("f({1: 2})"), "(call f {1: 2})");
        assert_eq!(p("for k in {1: 2} { k }"), "(for k {1: 2} {k})");
        assert_eq!(p("if m == {} { 1 }"), "(if (== m {}) {1})");
    }

    #[test]
    fn statements() {
        assert_eq!(
            p("let x = 1\nx = 2\nx += 3; x -= 1; x *= 2; x /= 2; x %= 2"),
            "(let x 1); (= x 2); (+= x 3); (-= x 1); (*= x 2); (/= x 2); (%= x 2)"
        );
        assert_eq!(p("xs[i] = v\nm[k][j] = v\np.x = v"), "(= (index xs i) v); (= (index (index m k) j) v); (= (field p x) v)");
        assert_eq!(p("fn add(a, b,) { a + b }"), "(fn add(a b) {(+ a b)})");
        assert_eq!(p("cached fn f() {}"), "(cached() fn f() {})");
        assert_eq!(p("cached(ttl: 5, max: 3) fn f(x) { x }"), "(cached(ttl: 5 max: 3) fn f(x) {x})");
        assert_eq!(p("struct Point { x, y, }"), "(struct Point x y)");
        assert_eq!(p("struct E {}"), "(struct E )");
        assert_eq!(p("while i < 10 { i += 1 }"), "(while (< i 10) {(+= i 1)})");
        assert_eq!(p("for x in 0..3 { if x == 1 { continue }; break }"), "(for x (.. 0 3) {(if (== x 1) {continue}); break})");
        assert_eq!(p("fn f() { return }\nfn g() { return 1 }"), "(fn f() {return}); (fn g() {(return 1)})");
        assert_eq!(p("import \"lib.memo\""), "(import \"lib.memo\")");
        assert_eq!(p(";;\n\n; x ;\n\n"), "x");
        assert_eq!(p(""), "");
    }

    #[test]
    fn expression_forms() {
        assert_eq!(p("if a { 1 } else if b { 2 } else { 3 }"), "(if a {1} (if b {2} {3}))");
        assert_eq!(p("let y = if a { 1 } else { 2 }"), "(let y (if a {1} {2}))");
        assert_eq!(p("if x { print(1) }\nprint(2)"), "(if x {(call print 1)}); (call print 2)");
        assert_eq!(p("let f = fn(a) { a * 2 }"), "(let f (fn (a) {(* a 2)}))");
        assert_eq!(p("fn (a) { a }"), "(fn (a) {a})");
        assert_eq!(p("fn(a) { a }(3)"), "(call (fn (a) {a}) 3)");
        assert_eq!(p("let g = cached fn(x) { x }"), "(let g (cached() fn (x) {x}))");
        assert_eq!(p("let g = cached(ttl: 1) fn(x) { x }"), "(let g (cached(ttl: 1) fn (x) {x}))");
        assert_eq!(p("try { f() } catch e { e[\"message\"] }"), "(try {(call f )} e {(index e \"message\")})");
        assert_eq!(p("let r = try { 1 } catch e { 2 }"), "(let r (try {1} e {2}))");
        assert_eq!(p("map(xs, fn(x) {\n  let y = x\n  y * 2\n})"), "(call map xs (fn (x) {(let y x); (* y 2)}))");
    }

    #[test]
    fn newline_rules() {
        assert_eq!(p("xs\n  .map(f)\n  .filter(g)"), "(method (method xs map f) filter g)");
        assert_eq!(p("let x = 1 +\n  2"), "(let x (+ 1 2))");
        assert_eq!(p("let x =\n  2"), "(let x 2)");
        assert_eq!(p("f(\n  1,\n  2\n)"), "(call f 1 2)");
        assert_eq!(p("let m = {\n  \"a\": 1,\n  \"b\": 2\n}\nm"), "(let m {\"a\": 1 \"b\": 2}); m");
        assert_eq!(p("let l = [\n  1\n  , 2\n]"), "(let l [1 2])");
        assert_eq!(p("cached(ttl: 5)\nfn f(x) { x }"), "(cached(ttl: 5) fn f(x) {x})");
        assert_eq!(p("cached\nfn f(x) { x }"), "(cached() fn f(x) {x})");
        assert_eq!(p("if a {\n  1\n}\nelse {\n  2\n}"), "(if a {1} {2})");
        assert_eq!(p("try {\n  1\n}\ncatch e {\n  2\n}"), "(try {1} e {2})");
        assert_eq!(p("x = 1\n-1"), "(= x 1); (neg 1)");
        assert_eq!(p("// c\nlet x = 1 /* a\n b */\n\n\nx // end"), "(let x 1); x");
        assert_eq!(p("struct P {\n  x,\n  y\n}\nP(1, 2)"), "(struct P x y); (call P 1 2)");
        assert_eq!(p("fn f(a,\n b) {\n\n  a\n\n}\n"), "(fn f(a b) {a})");
    }

    #[test]
    fn spans() {
        let pr = parse_program("let x = 1 + foo", 7).unwrap();
        let st = &pr.stmts[0];
        assert_eq!(st.span, Span::new(7, 0, 15));
        let StmtKind::Let { name, value } = &st.kind else { panic!() };
        assert_eq!(name.span, Span::new(7, 4, 5));
        assert_eq!(value.span, Span::new(7, 8, 15));
        let ExprKind::Binary(_, a, b) = &value.kind else { panic!() };
        assert_eq!((a.span, b.span), (Span::new(7, 8, 9), Span::new(7, 12, 15)));
    }

    // ------------------------------------------------------------ errors

    #[test]
    fn keyword_typos_are_suggested_only_at_the_start_of_a_statement() {
        let helps = |text: &str| parse_program(text, 0).unwrap_err().helps.clone();
        assert_eq!(helps("cahced fn f(x) { x }"), ["`cahced` is not a keyword: did you mean `cached`?"]);
        assert_eq!(helps("fn f(x) {\n  retrun x\n}"), ["`retrun` is not a keyword: did you mean `return`?"]);
        assert!(helps("print(len xs)").is_empty(), "len is a name, not a mistyped `let`");
    }

    #[test]
    fn error_messages() {
        assert_eq!(err("f(1 }"), ("expected `)` or `,`, found `}`".into(), 1, 5));
        assert_eq!(err("let x = 1\nlet = 2"), ("expected identifier, found `=`".into(), 2, 5));
        assert_eq!(err("f(1"), ("this `(` is never closed".into(), 1, 2));
        assert_eq!(err("a < b < c"), ("comparison operators cannot be chained: unexpected `<` (use `and`)".into(), 1, 7));
        assert_eq!(err("a..b..c"), ("range operators cannot be chained: unexpected `..`".into(), 1, 5));
        assert_eq!(err("let x = "), ("unexpected end of input (expected an expression)".into(), 1, 8));
        assert_eq!(err("x = \"abc\n\ndef").0, "unterminated string");
        assert_eq!(err("x = \"abc\n\ndef").2, 5);
        assert_eq!(err("1 +\n /* x"), ("unterminated block comment".into(), 2, 2));
        assert_eq!(err("let x = 1 $"), ("unexpected character `$`".into(), 1, 11));
        assert_eq!(err("\"\\q\"").0, "unknown escape `\\q` in string");
        assert_eq!(err("x = 9223372036854775808").0, "integer literal too large");
        assert_eq!(err("if x\n{ 1 }").0, "expected `{`, found end of line");
        assert_eq!(err("let x = 1 2").0, "expected end of statement, found integer `2`");
        assert_eq!(err("(1 + )"), ("expected an expression, found `)`".into(), 1, 6));
        assert_eq!(err("{1 2}").0, "expected `:`, found integer `2`");
        assert_eq!(err("x.1").0, "expected identifier, found integer `1`");
        assert_eq!(err("if x { } else 3").0, "expected `if` or `{`, found integer `3`");
        assert_eq!(err("{a: 1\n b: 2}"), ("expected `}` or `,`, found identifier `b`".into(), 2, 2));
        // End of input points just after the last token.
        assert_eq!(err("let x = 1 +\n\n"), ("unexpected end of input (expected an expression)".into(), 1, 12));
        // An earlier syntax error wins over a later lexical one.
        assert_eq!(err("let = 1 $").0, "expected identifier, found `=`");
    }

    fn big_stack<F: FnOnce() + Send + 'static>(f: F) {
        std::thread::Builder::new().stack_size(256 << 20).spawn(f).unwrap().join().unwrap();
    }

    #[test]
    fn deep_nesting_is_an_error() {
        big_stack(|| {
            let text = "[".repeat(100_000);
            let (msg, _, col) = err(&text);
            assert_eq!((msg.as_str(), col), ("nesting too deep", 1001));
            let text = format!("x = {}1", "- ".repeat(100_000));
            assert_eq!(err(&text).0, "nesting too deep");
            let text = format!("x = {}1", "not ".repeat(400) + &"- ".repeat(400));
            assert!(parse_program(&text, 0).is_ok());
            let text = format!("{}1{}", "(".repeat(500), ")".repeat(500));
            assert_eq!(p(&text), "1");
        });
    }

    #[test]
    fn long_sum() {
        big_stack(|| {
            let text = vec!["1"; 3000].join(" + ");
            assert!(parse_program(&text, 0).is_ok());
            let lines = vec!["x = x + 1"; 20_000].join("\n");
            assert_eq!(parse_program(&lines, 0).unwrap().stmts.len(), 20_000);
        });
    }

    #[test]
    fn incomplete() {
        for text in [
            "f(1,",
            "[1, 2",
            "{\"a\": 1,",
            "1 +",
            "let x =",
            "if x {",
            "if x {\n  print(1)\n",
            "fn f(a) {",
            "\"abc",
            "/* a /* b */",
            "x.",
            "try { 1 } catch",
            "cached(ttl: 1)\n",
            "if a { 1 } else",
        ] {
            assert!(is_incomplete(text), "{text:?} should be incomplete");
        }
        assert!(is_incomplete("[[["));
        for text in ["", "1", "f(1)", "}", "f(1 }", "let = 1", "if x { 1 }", "\"\\q", "1 2", ")", "a < b < c"] {
            assert!(!is_incomplete(text), "{text:?} should not be incomplete");
        }
    }

    /// A tiny deterministic PRNG (xorshift64*).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn token_soup_never_panics() {
        const VOCAB: &[&str] = &[
            "let",
            "fn",
            "cached",
            "return",
            "if",
            "else",
            "while",
            "for",
            "in",
            "break",
            "continue",
            "true",
            "false",
            "none",
            "and",
            "or",
            "not",
            "struct",
            "try",
            "catch",
            "import",
            "x",
            "f",
            "_a1",
            "0",
            "42",
            "0xff",
            "1.5",
            "2e9",
            "1_0",
            "\"s\"",
            "\"\\n\"",
            "\"\\u{41}\"",
            "\"",
            "+",
            "-",
            "*",
            "/",
            "%",
            "**",
            "==",
            "!=",
            "<",
            "<=",
            ">",
            ">=",
            "=",
            "+=",
            "-=",
            "*=",
            "/=",
            "%=",
            "..",
            "..=",
            ".",
            ",",
            ":",
            ";",
            "(",
            ")",
            "[",
            "]",
            "{",
            "}",
            "\n",
            "\n",
            " ",
            "//c\n",
            "/*",
            "*/",
            "\\",
            "é",
            "$",
            "\t",
            "ttl:",
        ];
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut ok = 0;
        for _ in 0..2000 {
            let mut text = String::new();
            let len = rng.below(40);
            for _ in 0..len {
                if rng.below(10) == 0 {
                    // A random byte, kept valid UTF-8.
                    let b = rng.below(128) as u8;
                    text.push(b as char);
                } else {
                    text.push_str(VOCAB[rng.below(VOCAB.len())]);
                    if rng.below(2) == 0 {
                        text.push(' ');
                    }
                }
            }
            if parse_program(&text, 0).is_ok() {
                ok += 1;
            }
            let _ = is_incomplete(&text);
        }
        assert!(ok < 2000);
    }
}
