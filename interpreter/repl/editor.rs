//! The terminal side of the REPL: rustyline with a persistent history,
//! Tab completion (names in scope, keywords, REPL commands, file names after
//! `:run`/`:load`), hints and syntax highlighting.

use super::{Line, COMMANDS, KEYWORDS};
use memo::lexer::{scan, Tok};
use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::config::{ColorMode, CompletionType, Config};
use rustyline::error::ReadlineError;
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hint, Hinter, HistoryHinter};
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{Context, Editor, Helper};
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::rc::Rc;

/// The history file: `$XDG_DATA_HOME/memo/history`, else
/// `~/.local/share/memo/history`.
pub fn history_path() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_DATA_HOME").map(PathBuf::from).filter(|p| p.is_absolute()) {
        Some(d) => d,
        None => PathBuf::from(std::env::var_os("HOME").filter(|h| !h.is_empty())?).join(".local").join("share"),
    };
    Some(base.join("memo").join("history"))
}

/// rustyline with the memo helper and the history file.
pub(super) struct LineEditor {
    rl: Editor<MemoHelper, DefaultHistory>,
    names: Rc<RefCell<Names>>,
    history: Option<PathBuf>,
    warned_history: bool,
}

impl LineEditor {
    pub fn new() -> rustyline::Result<LineEditor> {
        let color = std::env::var_os("NO_COLOR").map_or(true, |v| v.is_empty());
        let config = Config::builder()
            .max_history_size(2000)?
            .history_ignore_dups(true)?
            .history_ignore_space(true)
            .auto_add_history(false)
            .completion_type(CompletionType::List)
            .color_mode(if color { ColorMode::Enabled } else { ColorMode::Disabled })
            .build();
        let mut rl: Editor<MemoHelper, DefaultHistory> = Editor::with_config(config)?;
        let names = Rc::new(RefCell::new(Names::default()));
        rl.set_helper(Some(MemoHelper { names: names.clone(), files: FilenameCompleter::new(), history: HistoryHinter::new() }));
        let history = history_path();
        if let Some(h) = &history {
            if let Some(dir) = h.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let _ = rl.load_history(h);
        }
        Ok(LineEditor { rl, names, history, warned_history: false })
    }

    pub fn read_line(&mut self, prompt: &str) -> Line {
        match self.rl.readline(prompt) {
            Ok(l) => Line::Text(l),
            Err(ReadlineError::Interrupted) => Line::Interrupted,
            Err(ReadlineError::Eof) => Line::Eof,
            Err(e) => {
                eprintln!("error: cannot read input: {e}");
                Line::Eof
            }
        }
    }

    /// Adds an entry and appends it to the history file at once (so a
    /// killed session keeps its history); a file that cannot be written
    /// only warns, once.
    pub fn add_history(&mut self, entry: &str) {
        if !matches!(self.rl.add_history_entry(entry), Ok(true)) {
            return;
        }
        let Some(path) = &self.history else { return };
        if let Err(e) = self.rl.append_history(path) {
            if !self.warned_history {
                self.warned_history = true;
                eprintln!("warning: cannot save the history to `{}`: {e}", path.display());
            }
        }
    }

    /// The globals defined now, the cached fns with entries, and the
    /// fields of the globals that hold a struct.
    pub fn set_names(&mut self, names: Vec<String>, cached: Vec<String>, fields: HashMap<String, Vec<String>>) {
        *self.names.borrow_mut() = Names { globals: names, cached, fields };
    }
}

/// What Tab completes besides keywords and commands.
#[derive(Default)]
pub(super) struct Names {
    /// Globals defined in the session.
    globals: Vec<String>,
    /// Cached fns with entries in the cache (for `:clear`).
    cached: Vec<String>,
    /// Globals holding a struct, with its field names (after `p.`).
    fields: HashMap<String, Vec<String>>,
}

/// Completion, hints and highlighting.
pub(super) struct MemoHelper {
    /// Names in scope (updated after each input).
    names: Rc<RefCell<Names>>,
    files: FilenameCompleter,
    history: HistoryHinter,
}

impl Helper for MemoHelper {}
impl Validator for MemoHelper {}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Is byte offset `pos` inside a string literal (an odd number of unescaped
/// quotes before it)?
fn in_string(before: &str) -> bool {
    let mut inside = false;
    let mut escaped = false;
    for c in before.chars() {
        match c {
            '\\' if inside && !escaped => {
                escaped = true;
                continue;
            }
            '"' if !escaped => inside = !inside,
            _ => {}
        }
        escaped = false;
    }
    inside
}

impl MemoHelper {
    /// Candidates for the word that ends at `pos`: (start, candidates).
    pub fn candidates(&self, line: &str, pos: usize) -> (usize, Vec<String>) {
        let before = &line[..pos];
        let trimmed = before.trim_start();
        if trimmed.starts_with(':') {
            let (cmd, rest) = match trimmed.split_once(char::is_whitespace) {
                None => {
                    let start = pos - trimmed.len();
                    let v = COMMANDS.iter().map(|(c, _, _)| *c).filter(|c| c.starts_with(trimmed)).map(String::from).collect();
                    return (start, v);
                }
                Some(x) => x,
            };
            let word = rest.trim_start();
            let start = pos - word.len();
            let pool: Vec<String> = match cmd {
                ":explain" => vec!["on".into(), "off".into()],
                ":clear" => self.names.borrow().cached.clone(),
                ":doc" | ":d" => self.names.borrow().globals.clone(),
                _ => Vec::new(),
            };
            return (start, pool.into_iter().filter(|c| c.starts_with(word)).collect());
        }
        if in_string(before) {
            return (pos, Vec::new());
        }
        let word_len: usize = before.chars().rev().take_while(|c| is_ident_char(*c)).map(char::len_utf8).sum();
        let start = pos - word_len;
        let word = &before[start..];
        let names = self.names.borrow();
        // After `p.`: the fields of the struct `p` holds come first.
        let receiver = before[..start].strip_suffix('.').map(|r| {
            let n: usize = r.chars().rev().take_while(|c| is_ident_char(*c)).map(char::len_utf8).sum();
            &r[r.len() - n..]
        });
        if let Some(fields) = receiver.and_then(|r| names.fields.get(r)) {
            let mut v: Vec<String> = fields.iter().filter(|f| f.starts_with(word)).cloned().collect();
            if !v.is_empty() {
                v.sort();
                return (start, v);
            }
        }
        if word.is_empty() || word.starts_with(|c: char| c.is_ascii_digit()) {
            return (pos, Vec::new());
        }
        // After a `.` only a function can follow (`xs.len()`), not a keyword.
        let keywords: &[&str] = if receiver.is_some() { &[] } else { KEYWORDS };
        let mut v: Vec<String> = names
            .globals
            .iter()
            .map(String::as_str)
            .chain(keywords.iter().copied())
            .filter(|n| n.starts_with(word))
            .map(String::from)
            .collect();
        v.sort();
        v.dedup();
        (start, v)
    }
}

impl Completer for MemoHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        let trimmed = line[..pos].trim_start();
        if trimmed.starts_with(":run ")
            || trimmed.starts_with(":load ")
            || trimmed.starts_with(":r ")
            || trimmed.starts_with(":l ")
        {
            return self.files.complete(line, pos, ctx);
        }
        let (start, v) = self.candidates(line, pos);
        Ok((start, v.into_iter().map(|c| Pair { display: c.clone(), replacement: c }).collect()))
    }
}

/// A hint whose shown text may say more than what the right arrow inserts.
pub(super) struct CommandHint {
    display: String,
    completion: Option<String>,
}

impl Hint for CommandHint {
    fn display(&self) -> &str {
        &self.display
    }
    fn completion(&self) -> Option<&str> {
        self.completion.as_deref()
    }
}

impl Hinter for MemoHelper {
    type Hint = CommandHint;

    fn hint(&self, line: &str, pos: usize, ctx: &Context<'_>) -> Option<CommandHint> {
        if pos < line.len() || line.is_empty() {
            return None;
        }
        let t = line.trim_start();
        if t.starts_with(':') {
            if let Some((c, a, _)) = COMMANDS.iter().find(|(c, _, _)| c.starts_with(t) && t.len() >= 2) {
                let rest = &c[t.len()..];
                return Some(CommandHint { display: format!("{rest}{a}"), completion: Some(rest.to_string()) });
            }
            return None;
        }
        let h = self.history.hint(line, pos, ctx)?;
        Some(CommandHint { display: h.clone(), completion: Some(h) })
    }
}

const KEYWORD: &str = "\x1b[35m";
const LITERAL: &str = "\x1b[36m";
const STRING: &str = "\x1b[32m";
const COMMENT: &str = "\x1b[90m";
const RESET: &str = "\x1b[0m";

fn token_color(t: &Tok) -> Option<&'static str> {
    use Tok::*;
    match t {
        Let | Fn | Cached | Return | If | Else | While | For | In | Break | Continue | And | Or | Not | Struct | Try | Catch
        | Import => Some(KEYWORD),
        True | False | NoneKw | Int(_) | Float(_) => Some(LITERAL),
        Str(_) => Some(STRING),
        _ => None,
    }
}

/// Colors keywords, literals, strings and comments of one line.
pub fn highlight_line(line: &str) -> String {
    if line.trim_start().starts_with(':') {
        return format!("{KEYWORD}{line}{RESET}");
    }
    let (tokens, err) = scan(line);
    let mut out = String::with_capacity(line.len() * 2);
    let mut at = 0;
    // Text between tokens is blanks and comments.
    let gap = |out: &mut String, text: &str| {
        let code = text.trim_start();
        let blank = &text[..text.len() - code.len()];
        out.push_str(blank);
        if !code.is_empty() {
            out.push_str(COMMENT);
            out.push_str(code);
            out.push_str(RESET);
        }
    };
    for (start, tok, end) in &tokens {
        let (start, end) = (*start, *end);
        if start < at || end > line.len() || !line.is_char_boundary(start) || !line.is_char_boundary(end) {
            continue;
        }
        gap(&mut out, &line[at..start]);
        match token_color(tok) {
            Some(c) => {
                out.push_str(c);
                out.push_str(&line[start..end]);
                out.push_str(RESET);
            }
            None => out.push_str(&line[start..end]),
        }
        at = end;
    }
    let rest = &line[at..];
    match err {
        // An unterminated string (or other scanner error) runs to the end.
        Some(e) if e.start >= at && e.start <= line.len() && line.is_char_boundary(e.start) => {
            gap(&mut out, &line[at..e.start]);
            let tail = &line[e.start..];
            if tail.starts_with('"') {
                out.push_str(STRING);
                out.push_str(tail);
                out.push_str(RESET);
            } else {
                out.push_str(tail);
            }
        }
        _ => gap(&mut out, rest),
    }
    out
}

impl Highlighter for MemoHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        Cow::Owned(highlight_line(line))
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        Cow::Owned(format!("\x1b[2m{hint}{RESET}"))
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn helper(names: &[&str]) -> MemoHelper {
        let globals = names.iter().map(|s| s.to_string()).collect();
        let fields = HashMap::from([("p".to_string(), vec!["y".to_string(), "x".to_string(), "label".to_string()])]);
        MemoHelper {
            names: Rc::new(RefCell::new(Names { globals, cached: vec!["expensive".into()], fields })),
            files: FilenameCompleter::new(),
            history: HistoryHinter::new(),
        }
    }

    #[test]
    fn completes_names_keywords_and_commands() {
        let h = helper(&["expensive", "explain_me", "print"]);
        assert_eq!(h.candidates("let x = exp", 11), (8, vec!["expensive".to_string(), "explain_me".to_string()]));
        assert_eq!(h.candidates("cach", 4), (0, vec!["cached".to_string()]));
        assert_eq!(h.candidates(":ru", 3), (0, vec![":run".to_string()]));
        assert_eq!(h.candidates(":explain o", 10), (9, vec!["on".to_string(), "off".to_string()]));
        assert_eq!(h.candidates(":clear e", 8), (7, vec!["expensive".to_string()]));
        assert_eq!(h.candidates("print(\"exp", 10).1, Vec::<String>::new());
        assert_eq!(h.candidates("xs.pr", 5), (3, vec!["print".to_string()]));
        assert_eq!(h.candidates(":doc exp", 8), (5, vec!["expensive".to_string(), "explain_me".to_string()]));
    }

    #[test]
    fn completes_struct_fields_after_a_dot() {
        let h = helper(&["p", "print", "len"]);
        assert_eq!(h.candidates("p.", 2), (2, vec!["label".to_string(), "x".to_string(), "y".to_string()]));
        assert_eq!(h.candidates("print(p.x", 9), (8, vec!["x".to_string()]));
        assert_eq!(h.candidates("p.l", 3), (2, vec!["label".to_string()]));
        // No field starts so: the functions (uniform call syntax).
        assert_eq!(h.candidates("p.le", 4), (2, vec!["len".to_string()]));
    }

    #[test]
    fn highlighting_keeps_the_text() {
        for line in
            ["let x = 1 + 2.5 // note", "print(\"a\" + \"b", "fn f(a) { a * 2 }", ":run app.memo", "/* c */ x", "é = \"ü\""]
        {
            let h = highlight_line(line);
            let plain: String = strip_ansi(&h);
            assert_eq!(plain, line, "{h:?}");
        }
    }

    fn strip_ansi(s: &str) -> String {
        let mut out = String::new();
        let mut it = s.chars();
        while let Some(c) = it.next() {
            if c == '\x1b' {
                for d in it.by_ref() {
                    if d == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn history_path_prefers_xdg() {
        // Only checks the shape: the environment is not changed in tests.
        if let Some(p) = history_path() {
            assert!(p.ends_with("memo/history"));
        }
    }
}
