//! The one error type of the interpreter: syntax, compile and runtime errors,
//! with the span they point at and (for runtime errors) the call stack.

use crate::source::{SourceMap, Span};
use std::fmt::Write;

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
    pub kind: String,
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
    pub fn new(kind: impl Into<String>, message: impl Into<String>) -> MemoError {
        MemoError(Box::new(ErrorData {
            kind: kind.into(),
            message: message.into(),
            span: None,
            stack: Vec::new(),
            notes: Vec::new(),
            site: None,
        }))
    }

    pub fn at(kind: impl Into<String>, message: impl Into<String>, span: Span) -> MemoError {
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
