//! The command-line forms of `memo` (issue 18): `memo FILE`, `memo -e`,
//! `memo run -` (stdin), `memo check` reporting every error of a file,
//! `memo cache stats --for FILE` / `memo cache stats FUNCTION`, the
//! examples in the help, and `memo completions`. Each test runs the real
//! binary in a temporary directory.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `memo ARGS` in `dir` with `stdin`; (exit code, stdout, stderr).
fn memo(dir: &Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_memo"))
        .args(args)
        .current_dir(dir)
        .env_remove("MEMO_CACHE_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("memo starts");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    let out = child.wait_with_output().expect("memo ends");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_file_argument_runs_the_script() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("app.memo"), "print(\"hi\", 6 * 7)\n").unwrap();
    assert_eq!(memo(dir.path(), &["app.memo", "--no-disk-cache"], ""), (0, "hi 42\n".into(), String::new()));
    // The run options go with it, as with `memo run`.
    std::fs::write(dir.path().join("p.memo"), "print(param(\"b\", 0))\n").unwrap();
    assert_eq!(memo(dir.path(), &["--set", "b=9", "p.memo", "--no-disk-cache"], "").1, "9\n");
}

#[test]
fn code_from_the_command_line_and_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(memo(dir.path(), &["-e", "print(2 ** 10)"], ""), (0, "1024\n".into(), String::new()));
    assert_eq!(memo(dir.path(), &["run", "-e", "print(len(\"memo\"))"], ""), (0, "4\n".into(), String::new()));
    assert_eq!(memo(dir.path(), &["run", "-"], "print(1 + 1)\n"), (0, "2\n".into(), String::new()));
    let (code, out, err) = memo(dir.path(), &["run", "-"], "print(\"before\")\nprint(1 / 0)\n");
    assert_eq!((code, out.as_str()), (1, "before\n"));
    assert!(err.starts_with("error[ZeroDivisionError]: integer division by zero\n --> <stdin>:2:7\n"), "{err}");
}

#[test]
fn no_arguments_start_the_repl() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = memo(dir.path(), &["--no-disk-cache"], "let x = 20\nx * 2 + 2\n");
    assert_eq!((code, out.as_str(), err.as_str()), (0, "42\n", ""));
}

#[test]
fn check_reports_every_error_of_a_file_and_runs_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let src = "print(\"not run\")\nfn add(a, b) { a + b }\nprint(add(1))\nlet total = 1\nprint(totl)\nstruct P { x, y }\nprint(P(x: 1, z: 2))\n";
    std::fs::write(dir.path().join("bad.memo"), src).unwrap();
    let (code, out, err) = memo(dir.path(), &["check", "bad.memo"], "");
    assert_eq!((code, out.as_str()), (1, ""));
    let headings: Vec<&str> = err.lines().filter(|l| l.starts_with("error")).collect();
    assert_eq!(
        headings,
        [
            "error[TypeError]: `add` expects 2 arguments, got 1",
            "error[CompileError]: undefined variable `totl`",
            "error[TypeError]: struct `P` has no field `z`",
            "error: aborting due to 3 previous errors",
        ],
        "{err}"
    );
    assert!(err.contains(" --> bad.memo:3:7\n"), "the call of add: {err}");
    assert!(err.contains(" --> bad.memo:5:7\n"), "totl: {err}");
    assert!(err.contains(" --> bad.memo:7:15\n"), "the field z: {err}");
    assert!(err.contains("= help: did you mean `total`?"), "{err}");
    // A run reports the arity error only when the call happens (a script
    // may catch it).
    std::fs::write(dir.path().join("caught.memo"), "fn add(a, b) { a + b }\nprint(try { add(1) } catch e { e[\"kind\"] })\n")
        .unwrap();
    assert_eq!(memo(dir.path(), &["caught.memo", "--no-disk-cache"], "").1, "TypeError\n");
    assert_eq!(memo(dir.path(), &["check", "caught.memo"], "").0, 1);
    // A file without errors.
    std::fs::write(dir.path().join("ok.memo"), "print(1)\n").unwrap();
    assert_eq!(memo(dir.path(), &["check", "ok.memo"], ""), (0, "ok.memo: ok\n".into(), String::new()));
    assert_eq!(memo(dir.path(), &["check", "-e", "let x = "], "").0, 1);
}

#[test]
fn cache_commands_find_the_cache_of_a_script_in_another_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(
        dir.path().join("sub/app.memo"),
        "cached fn double(x) { x * 2 }\ncached fn inc(x) { x + 1 }\nprint(double(2), inc(1))\n",
    )
    .unwrap();
    assert_eq!(memo(dir.path(), &["run", "sub/app.memo"], "").1, "4 2\n");
    assert!(dir.path().join("sub/.memo-cache").is_dir());
    // In the parent directory there is no ./.memo-cache: the only cache one
    // level down is the one meant, and the command says so.
    let (code, out, err) = memo(dir.path(), &["cache", "stats"], "");
    assert_eq!(code, 0);
    assert!(out.contains("cache: sub/.memo-cache") && out.contains("double") && out.contains("inc"), "{out}");
    assert!(err.contains("no cache at .memo-cache; using sub/.memo-cache"), "{err}");
    let (code, out, _) = memo(dir.path(), &["cache", "ls", "double"], "");
    assert_eq!(code, 0);
    assert!(out.contains("double(2)"), "{out}");
    let (code, out, _) = memo(dir.path(), &["cache", "stats", "--for", "sub/app.memo"], "");
    assert_eq!(code, 0);
    assert!(out.contains("cache: sub/.memo-cache") && out.contains("double") && out.contains("inc"), "{out}");
    // One function's row.
    let (code, out, _) = memo(dir.path(), &["cache", "stats", "double", "--for", "sub/app.memo"], "");
    assert_eq!(code, 0);
    assert!(out.contains("double") && !out.contains("inc "), "{out}");
    let (code, _, err) = memo(dir.path(), &["cache", "stats", "dubble", "--for", "sub/app.memo"], "");
    assert_eq!(code, 1);
    assert!(err.contains("no entries of `dubble`") && err.contains("did you mean `double`?"), "{err}");
    let (code, out, _) = memo(dir.path(), &["cache", "clear", "double", "--for", "sub/app.memo"], "");
    assert_eq!((code, out.as_str()), (0, "removed 1 entries of `double` from sub/.memo-cache\n"));
    let (code, out, _) = memo(dir.path(), &["cache", "clear", "inc"], "");
    assert_eq!((code, out.as_str()), (0, "removed 1 entries of `inc` from sub/.memo-cache\n"));
    // With two such caches, neither is guessed: the command names both.
    std::fs::create_dir(dir.path().join("other")).unwrap();
    std::fs::write(dir.path().join("other/b.memo"), "cached fn one() { 1 }\nprint(one())\n").unwrap();
    assert_eq!(memo(dir.path(), &["run", "other/b.memo"], "").1, "1\n");
    let (code, out, _) = memo(dir.path(), &["cache", "stats"], "");
    assert_eq!(code, 0);
    assert!(out.contains("no cache at .memo-cache") && out.contains("other/.memo-cache, sub/.memo-cache"), "{out}");
}

#[test]
fn help_shows_examples_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, _) = memo(dir.path(), &["--help"], "");
    assert_eq!(code, 0);
    assert!(out.contains("Examples:\n  memo app.memo") && out.contains("130  stopped by Ctrl-C"), "{out}");
    for cmd in
        [&["run", "--help"][..], &["check", "--help"], &["repl", "--help"], &["watch", "--help"], &["cache", "stats", "--help"]]
    {
        let (code, out, _) = memo(dir.path(), cmd, "");
        assert_eq!(code, 0);
        assert!(out.contains("Examples:\n  memo "), "{cmd:?}: {out}");
    }
}

#[test]
fn completions_for_each_shell() {
    let dir = tempfile::tempdir().unwrap();
    for (shell, marker) in [("bash", "_memo()"), ("zsh", "#compdef memo"), ("fish", "complete -c memo")] {
        let (code, out, err) = memo(dir.path(), &["completions", shell], "");
        assert_eq!((code, err.as_str()), (0, ""), "{shell}");
        assert!(out.contains(marker) && out.contains("cache"), "{shell}: {out}");
    }
    assert_eq!(memo(dir.path(), &["completions", "tcsh"], "").0, 2);
}

#[test]
fn lints_warn_and_no_lints_silences_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("half.memo"), "let n = 7\nprint(7 / 2)\nprint(n // 2\n)\n").unwrap();
    let (code, out, err) = memo(dir.path(), &["run", "half.memo"], "");
    assert_eq!((code, out.as_str()), (0, "3\n7\n"));
    assert!(err.contains("`7 / 2` divides two ints") && err.contains("`// 2` is a comment, not a division"), "{err}");
    let (code, out, err) = memo(dir.path(), &["run", "--no-lints", "half.memo"], "");
    assert_eq!((code, out.as_str(), err.as_str()), (0, "3\n7\n", ""));
    let (code, _, err) = memo(dir.path(), &["check", "half.memo"], "");
    assert!(code == 0 && err.contains("divides two ints"), "{err}");
    let (code, out, err) = memo(dir.path(), &["check", "--no-lints", "half.memo"], "");
    assert_eq!((code, out.as_str(), err.as_str()), (0, "half.memo: ok\n", ""));
}
