//! Runs every `examples/*.memo` and `tests/scripts/*.memo` with the `memo`
//! binary and snapshots stdout, stderr and the exit code.
//!
//! A script may start with `// test-args: ...` to pass extra command-line
//! arguments (e.g. `--explain`, `--set b=9`). Scripts run with the crate
//! root as working directory and without a disk cache unless their args say
//! `--cache-dir`, in which case a fresh temporary directory replaces the
//! given one.
//!
//! `specializations_change_nothing` runs every script again with the
//! evaluator's specializations off (`MEMO_SPECIALIZE=off`, see
//! `codegen::spec`) and requires the very same output.
//!
//! The tests take one lock: scripts write scratch files under `target/`,
//! and a snapshot failure must be reported under its own test.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

fn run_script(path: &Path) -> String {
    run_script_with(path, true)
}

fn run_script_with(path: &Path, specialize: bool) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rel = path.strip_prefix(root).unwrap_or(path);
    let text = std::fs::read_to_string(path).expect("script readable");
    let mut args: Vec<String> = Vec::new();
    for line in text.lines().take_while(|l| l.starts_with("//")) {
        if let Some(rest) = line.strip_prefix("// test-args:") {
            args.extend(rest.split_whitespace().map(String::from));
        }
    }
    let tmp = tempfile::tempdir().expect("temp dir");
    if let Some(i) = args.iter().position(|a| a == "--cache-dir") {
        if i + 1 < args.len() {
            args[i + 1] = tmp.path().display().to_string();
        }
    } else {
        args.push("--no-disk-cache".into());
    }
    // Some scripts write scratch files under target/ (which exists after a
    // build unless CARGO_TARGET_DIR points elsewhere).
    std::fs::create_dir_all(root.join("target")).expect("target/ can be created");
    let out = Command::new(env!("CARGO_BIN_EXE_memo"))
        .arg("run")
        .args(&args)
        .arg(rel)
        .current_dir(root)
        .env_remove("MEMO_CACHE_DIR")
        .env("MEMO_SPECIALIZE", if specialize { "on" } else { "off" })
        .output()
        .expect("memo runs");
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().map(|c| c.to_string()).unwrap_or_else(|| "killed by a signal".into()),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn examples() {
    let _one = lock();
    insta::glob!("../examples", "*.memo", |path| {
        insta::assert_snapshot!(run_script(path));
    });
}

#[test]
fn scripts() {
    let _one = lock();
    insta::glob!("scripts", "*.memo", |path| {
        insta::assert_snapshot!(run_script(path));
    });
}

fn memo_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("dir readable")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "memo"))
        .collect();
    v.sort();
    v
}

#[test]
fn specializations_change_nothing() {
    let _one = lock();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = memo_files(&root.join("examples"));
    files.extend(memo_files(&root.join("tests/scripts")));
    assert!(files.len() > 50, "found the scripts");
    let mut differ = Vec::new();
    for f in &files {
        let (on, off) = (run_script_with(f, true), run_script_with(f, false));
        if on != off {
            differ.push(format!("{}:\n--- specialized\n{on}\n--- general\n{off}", f.display()));
        }
    }
    assert!(differ.is_empty(), "{} script(s) print differently without specializations:\n{}", differ.len(), differ.join("\n"));
}
