//! The one error type of the interpreter: syntax, compile and runtime errors,
//! with the span they point at and (for runtime errors) the call stack.

use crate::source::{SourceMap, Span};
use std::fmt::Write;
use std::sync::Arc;

/// What went wrong, by kind: the name `try/catch` shows as `e["kind"]` and
/// the CLI as `error[Kind]`. Control flow compares kinds, never strings.
/// `From<&str>` maps a known name to its kind (so `MemoError::new("TypeError",
/// ..)` is typed), anything else (a host's own kinds) to `Other`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    SyntaxError,
    CompileError,
    TypeError,
    ValueError,
    NameError,
    IndexError,
    KeyError,
    AttributeError,
    ZeroDivisionError,
    OverflowError,
    RecursionError,
    /// An operation, length, depth or memory limit was exceeded.
    LimitError,
    /// Stopped from outside (Ctrl-C, a host's interrupt handle): not catchable.
    Interrupted,
    PermissionError,
    IOError,
    ImportError,
    UnhashableTypeError,
    SqliteError,
    HttpError,
    AssertionError,
    InternalError,
    /// `error(msg)` in a script.
    Error,
    /// A kind named by a host.
    Other(Arc<str>),
}

impl ErrorKind {
    const KNOWN: &'static [ErrorKind] = &[
        ErrorKind::SyntaxError,
        ErrorKind::CompileError,
        ErrorKind::TypeError,
        ErrorKind::ValueError,
        ErrorKind::NameError,
        ErrorKind::IndexError,
        ErrorKind::KeyError,
        ErrorKind::AttributeError,
        ErrorKind::ZeroDivisionError,
        ErrorKind::OverflowError,
        ErrorKind::RecursionError,
        ErrorKind::LimitError,
        ErrorKind::Interrupted,
        ErrorKind::PermissionError,
        ErrorKind::IOError,
        ErrorKind::ImportError,
        ErrorKind::UnhashableTypeError,
        ErrorKind::SqliteError,
        ErrorKind::HttpError,
        ErrorKind::AssertionError,
        ErrorKind::InternalError,
        ErrorKind::Error,
    ];

    /// The kind's name (`TypeError`).
    pub fn name(&self) -> &str {
        match self {
            ErrorKind::SyntaxError => "SyntaxError",
            ErrorKind::CompileError => "CompileError",
            ErrorKind::TypeError => "TypeError",
            ErrorKind::ValueError => "ValueError",
            ErrorKind::NameError => "NameError",
            ErrorKind::IndexError => "IndexError",
            ErrorKind::KeyError => "KeyError",
            ErrorKind::AttributeError => "AttributeError",
            ErrorKind::ZeroDivisionError => "ZeroDivisionError",
            ErrorKind::OverflowError => "OverflowError",
            ErrorKind::RecursionError => "RecursionError",
            ErrorKind::LimitError => "LimitError",
            ErrorKind::Interrupted => "Interrupted",
            ErrorKind::PermissionError => "PermissionError",
            ErrorKind::IOError => "IOError",
            ErrorKind::ImportError => "ImportError",
            ErrorKind::UnhashableTypeError => "UnhashableTypeError",
            ErrorKind::SqliteError => "SqliteError",
            ErrorKind::HttpError => "HttpError",
            ErrorKind::AssertionError => "AssertionError",
            ErrorKind::InternalError => "InternalError",
            ErrorKind::Error => "Error",
            ErrorKind::Other(s) => s,
        }
    }

    /// May a script's `try` catch it? (Not an interrupt.)
    pub fn catchable(&self) -> bool {
        *self != ErrorKind::Interrupted
    }
}

impl From<&str> for ErrorKind {
    fn from(s: &str) -> ErrorKind {
        ErrorKind::KNOWN.iter().find(|k| k.name() == s).cloned().unwrap_or_else(|| ErrorKind::Other(Arc::from(s)))
    }
}

impl From<String> for ErrorKind {
    fn from(s: String) -> ErrorKind {
        ErrorKind::from(s.as_str())
    }
}

impl From<&String> for ErrorKind {
    fn from(s: &String) -> ErrorKind {
        ErrorKind::from(s.as_str())
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl PartialEq<str> for ErrorKind {
    fn eq(&self, other: &str) -> bool {
        self.name() == other
    }
}

impl PartialEq<&str> for ErrorKind {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

/// A frame of the call stack at the time of a runtime error.
#[derive(Debug, Clone)]
pub struct StackFrame {
    /// The function that was running (`<script>` at top level).
    pub function: String,
    /// Where in that function the error passed through.
    pub span: Span,
}

/// Any error memo reports. `kind` is what `try/catch` sees as `e["kind"]`
/// (`SyntaxError`, `CompileError`, `TypeError`, `UnhashableTypeError`, ...).
///
/// One pointer wide (the details are boxed), so `Result<Value, MemoError>`
/// stays small on the hot paths; fields are reached through `Deref`.
#[derive(Debug, Clone)]
pub struct MemoError(Box<ErrorData>);

/// The details of a [`MemoError`].
#[derive(Debug, Clone)]
pub struct ErrorData {
    pub kind: ErrorKind,
    pub message: String,
    pub span: Option<Span>,
    /// Innermost first.
    pub stack: Vec<StackFrame>,
    pub notes: Vec<String>,
    /// While unwinding: the call site in the caller, recorded by the call
    /// that the error is leaving (see `interp::call`).
    pub(crate) site: Option<Span>,
}

pub type Result<T> = std::result::Result<T, MemoError>;

impl MemoError {
    pub fn new(kind: impl Into<ErrorKind>, message: impl Into<String>) -> MemoError {
        MemoError(Box::new(ErrorData {
            kind: kind.into(),
            message: message.into(),
            span: None,
            stack: Vec::new(),
            notes: Vec::new(),
            site: None,
        }))
    }

    pub fn at(kind: impl Into<ErrorKind>, message: impl Into<String>, span: Span) -> MemoError {
        let mut e = MemoError::new(kind, message);
        e.span = Some(span);
        e
    }

    pub fn syntax(message: impl Into<String>, span: Span) -> MemoError {
        MemoError::at("SyntaxError", message, span)
    }

    pub fn compile(message: impl Into<String>, span: Span) -> MemoError {
        MemoError::at("CompileError", message, span)
    }

    pub fn with_note(mut self, note: impl Into<String>) -> MemoError {
        self.notes.push(note.into());
        self
    }

    /// Sets the span if none is set yet.
    pub fn or_at(mut self, span: Span) -> MemoError {
        if self.span.is_none() {
            self.span = Some(span);
        }
        self
    }

    /// Renders the error the way the CLI prints it:
    ///
    /// ```text
    /// error: division by zero
    ///  --> script.memo:3:9
    ///   |
    /// 3 | let x = 1 / 0
    ///   |         ^^^^^
    ///   = stack: f (script.memo:3:9), <script> (script.memo:5:1)
    /// ```
    pub fn render(&self, sources: &SourceMap) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "error: {}", self.message);
        if let Some(span) = self.span {
            if let Some(file) = sources.get(span.file) {
                let (line, col) = file.line_col(span.start as usize);
                let _ = writeln!(out, " --> {}:{}:{}", file.name, line, col);
                let text = file.line_text(line);
                let gutter = line.to_string().len();
                let pad = " ".repeat(gutter);
                let _ = writeln!(out, "{pad} |");
                let _ = writeln!(out, "{line} | {text}");
                let (end_line, end_col) = file.line_col(span.end as usize);
                let width = if end_line == line && end_col > col { end_col - col } else { 1 };
                let width = width.min(text.chars().count().saturating_sub(col - 1).max(1));
                let lead: String = text.chars().take(col - 1).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
                let _ = writeln!(out, "{pad} | {lead}{}", "^".repeat(width));
            }
        }
        for note in &self.notes {
            let _ = writeln!(out, "  = note: {note}");
        }
        if !self.stack.is_empty() {
            let _ = writeln!(out, "stack (innermost first):");
            // Runs of the same frame (deep recursion) print once with a count.
            let mut i = 0;
            while i < self.stack.len() {
                let frame = &self.stack[i];
                let mut run = 1;
                while i + run < self.stack.len()
                    && self.stack[i + run].function == frame.function
                    && self.stack[i + run].span == frame.span
                {
                    run += 1;
                }
                let _ = writeln!(out, "  in {} at {}", frame.function, sources.location(frame.span));
                if run > 1 {
                    let _ = writeln!(out, "  ... the frame above repeats {} more times", run - 1);
                }
                i += run;
            }
        }
        out
    }
}

impl std::ops::Deref for MemoError {
    type Target = ErrorData;
    fn deref(&self) -> &ErrorData {
        &self.0
    }
}

impl std::ops::DerefMut for MemoError {
    fn deref_mut(&mut self) -> &mut ErrorData {
        &mut self.0
    }
}

impl std::fmt::Display for MemoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for MemoError {}
