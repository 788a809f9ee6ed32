//! Runs the code examples of every `docs/*.md` file, so the documentation
//! cannot drift from the interpreter.
//!
//! # Conventions for writing docs
//!
//! * A fenced block whose info string starts with `memo` is an example. Fences
//!   are three backticks at the start of a line (no indentation).
//!
//!   ````text
//!   ```memo
//!   print(1 + 2)
//!   ```
//!   ```text
//!   3
//!   ```
//!   ````
//!
//! * Each example is written to a fresh temporary directory as `script.memo`
//!   and run there with `memo run --no-disk-cache script.memo` (so error
//!   messages name `script.memo`). Examples are independent: nothing carries
//!   over from one block to the next.
//!
//! * By default an example must exit with code 0.
//!
//! * A ```` ```text ```` block that *immediately* follows a `memo` block (only
//!   blank lines may separate them) holds the exact expected output: stdout,
//!   or stderr for `error` blocks and `stderr` blocks (see below). Without a
//!   text block the output is not checked, only the exit code.
//!
//! * Flags, after `memo` and separated by commas (no spaces around them):
//!   - `memo,error`: the example must fail with exit code 1; its text block,
//!     if any, is compared with stderr.
//!   - `memo,norun`: the example is only checked with `memo check` (syntax
//!     and compile errors); it is not run, and a following text block is not
//!     compared. Use it for examples that read files, sleep, or need a host.
//!   - `memo,stderr`: run normally (exit 0), but compare the text block with
//!     stderr instead of stdout (warnings, `--explain` output).
//!   - `memo,args=--explain --set b=9`: extra command-line arguments for
//!     `memo run`, split on spaces; they go before the script name. May be
//!     combined: `memo,stderr,args=--explain`. `args=` must be the last flag.
//!
//!   Unknown flags fail the test (to catch typos).
//!
//! * Any other fenced block (```` ```text ```` not after an example,
//!   ```` ```sh ````, ```` ```rust ````, ...) is ignored.
//!
//! * Every example runs, then the test fails listing each failing block with
//!   its doc file, line, code, and expected vs actual output. An example that
//!   runs longer than 60 seconds is killed and reported.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How an example is run and checked.
#[derive(Debug, Default, Clone, PartialEq)]
struct Flags {
    error: bool,
    norun: bool,
    stderr: bool,
    args: Vec<String>,
}

/// One `memo` block of a doc file.
#[derive(Debug)]
struct Example {
    file: PathBuf,
    /// 1-based line of the opening fence.
    line: usize,
    info: String,
    code: String,
    /// The text block right after the example, if any.
    expected: Option<String>,
}

/// A fenced block: (line of the opening fence, info string, content).
struct Fence {
    line: usize,
    info: String,
    body: String,
    /// Line index (0-based) just after the closing fence.
    end: usize,
}

/// Reads the fenced block opening at `lines[i]`, if there is one.
fn fence_at(lines: &[&str], i: usize) -> Option<Fence> {
    let info = lines[i].strip_prefix("```")?.trim().to_string();
    let mut body = String::new();
    let mut j = i + 1;
    while j < lines.len() {
        if lines[j].trim_end() == "```" {
            return Some(Fence { line: i + 1, info, body, end: j + 1 });
        }
        body.push_str(lines[j]);
        body.push('\n');
        j += 1;
    }
    // Unclosed fence: runs to the end of the file (reported by the caller
    // as a failure if it is a memo block).
    Some(Fence { line: i + 1, info, body, end: lines.len() })
}

/// Extracts every example of a markdown file.
fn examples_of(file: &Path, text: &str) -> Vec<Example> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let Some(fence) = fence_at(&lines, i) else {
            i += 1;
            continue;
        };
        i = fence.end;
        if !(fence.info == "memo" || fence.info.starts_with("memo,")) {
            continue;
        }
        // A text block right after it (blank lines allowed in between)?
        let mut k = fence.end;
        while k < lines.len() && lines[k].trim().is_empty() {
            k += 1;
        }
        let mut expected = None;
        if k < lines.len() {
            if let Some(t) = fence_at(&lines, k) {
                if t.info == "text" {
                    expected = Some(t.body);
                    i = t.end;
                }
            }
        }
        out.push(Example { file: file.to_path_buf(), line: fence.line, info: fence.info, code: fence.body, expected });
    }
    out
}

/// Parses `memo,error,args=...` into flags.
fn parse_flags(info: &str) -> Result<Flags, String> {
    let mut flags = Flags::default();
    let rest = info.strip_prefix("memo").unwrap_or(info);
    let mut rest = rest.strip_prefix(',').unwrap_or(rest);
    while !rest.is_empty() {
        if let Some(args) = rest.strip_prefix("args=") {
            flags.args = args.split_whitespace().map(String::from).collect();
            break;
        }
        let (flag, tail) = rest.split_once(',').unwrap_or((rest, ""));
        match flag {
            "error" => flags.error = true,
            "norun" => flags.norun = true,
            "stderr" => flags.stderr = true,
            other => return Err(format!("unknown flag `{other}` in info string `{info}`")),
        }
        rest = tail;
    }
    if flags.error && flags.norun {
        return Err(format!("`error` and `norun` cannot be combined (info string `{info}`)"));
    }
    Ok(flags)
}

/// Runs a command with a time limit; returns (exit code, stdout, stderr).
fn run_with_timeout(mut cmd: Command, limit: Duration) -> Result<(Option<i32>, String, String), String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start memo: {e}"))?;
    // Drain the pipes on threads so a chatty example cannot block on a full pipe.
    let mut out_pipe = child.stdout.take().expect("piped stdout");
    let mut err_pipe = child.stderr.take().expect("piped stderr");
    let out_thread = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = std::io::Read::read_to_end(&mut out_pipe, &mut s);
        s
    });
    let err_thread = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = std::io::Read::read_to_end(&mut err_pipe, &mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(status) => break status,
            None if start.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("timed out after {} s", limit.as_secs()));
            }
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    let stdout = String::from_utf8_lossy(&out_thread.join().unwrap_or_default()).into_owned();
    let stderr = String::from_utf8_lossy(&err_thread.join().unwrap_or_default()).into_owned();
    Ok((status.code(), stdout, stderr))
}

/// Runs one example; `Err` describes the failure.
fn check(ex: &Example) -> Result<(), String> {
    let flags = parse_flags(&ex.info)?;
    let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
    std::fs::write(dir.path().join("script.memo"), &ex.code).map_err(|e| format!("writing the script: {e}"))?;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_memo"));
    if flags.norun {
        cmd.arg("check");
    } else {
        cmd.arg("run").arg("--no-disk-cache").args(&flags.args);
    }
    cmd.arg("script.memo").current_dir(dir.path()).env_remove("MEMO_CACHE_DIR");
    let (code, stdout, stderr) = run_with_timeout(cmd, Duration::from_secs(60))?;
    let want_code = if flags.error { 1 } else { 0 };
    let shown = |code: Option<i32>| code.map(|c| c.to_string()).unwrap_or_else(|| "killed by a signal".into());
    if code != Some(want_code) {
        return Err(format!("expected exit code {want_code}, got {}\n--- stdout\n{stdout}--- stderr\n{stderr}", shown(code)));
    }
    if flags.norun {
        return Ok(());
    }
    if let Some(expected) = &ex.expected {
        let (which, actual) = if flags.error || flags.stderr { ("stderr", &stderr) } else { ("stdout", &stdout) };
        if actual != expected {
            return Err(format!(
                "{which} differs from the text block\n--- expected {which}\n{expected}--- actual {which}\n{actual}{}",
                if which == "stdout" { format!("--- stderr\n{stderr}") } else { String::new() }
            ));
        }
    }
    Ok(())
}

fn doc_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    files.sort();
    // The README's tour is documentation too.
    files.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"));
    files
}

#[test]
fn doc_examples() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut failures = Vec::new();
    let mut count = 0;
    for file in doc_files() {
        let text = std::fs::read_to_string(&file).expect("doc readable");
        for ex in examples_of(&file, &text) {
            count += 1;
            if let Err(why) = check(&ex) {
                let rel = ex.file.strip_prefix(root).unwrap_or(&ex.file);
                failures.push(format!("{}:{}: ```{}\n{}```\n{}", rel.display(), ex.line, ex.info, ex.code, why.trim_end()));
            }
        }
    }
    assert!(count > 0, "no ```memo blocks found in docs/*.md");
    if !failures.is_empty() {
        panic!(
            "{} of {count} doc examples failed:\n\n{}",
            failures.len(),
            failures.join("\n\n========================================\n\n")
        );
    }
    eprintln!("{count} doc examples passed");
}

#[cfg(test)]
mod conventions {
    use super::*;

    #[test]
    fn flags() {
        assert_eq!(parse_flags("memo").unwrap(), Flags::default());
        assert!(parse_flags("memo,error").unwrap().error);
        assert!(parse_flags("memo,norun").unwrap().norun);
        let f = parse_flags("memo,stderr,args=--explain --set b=9").unwrap();
        assert!(f.stderr);
        assert_eq!(f.args, vec!["--explain", "--set", "b=9"]);
        assert!(parse_flags("memo,eror").is_err());
        assert!(parse_flags("memo,error,norun").is_err());
    }

    #[test]
    fn extraction() {
        let md = "# T\n\n```memo\nprint(1)\n```\n\n```text\n1\n```\n\n```text\nnot an expectation\n```\n\n\
                  ```memo,error\nx\n```\n```sh\nmemo run x\n```\n```memo\nlast\n```\n";
        let ex = examples_of(Path::new("t.md"), md);
        assert_eq!(ex.len(), 3);
        assert_eq!((ex[0].line, ex[0].code.as_str(), ex[0].expected.as_deref()), (3, "print(1)\n", Some("1\n")));
        assert_eq!((ex[1].line, ex[1].info.as_str(), ex[1].expected.as_deref()), (15, "memo,error", None));
        assert_eq!((ex[2].code.as_str(), ex[2].expected.as_deref()), ("last\n", None));
    }
}
