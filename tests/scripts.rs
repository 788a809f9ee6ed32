//! Runs every `examples/*.memo` and `tests/scripts/*.memo` with the `memo`
//! binary and snapshots stdout, stderr and the exit code.
//!
//! A script may start with `// test-args: ...` to pass extra command-line
//! arguments (e.g. `--explain`, `--set b=9`). Scripts run with the crate
//! root as working directory and without a disk cache unless their args say
//! `--cache-dir`, in which case a fresh temporary directory replaces the
//! given one.

use std::path::Path;
use std::process::Command;

fn run_script(path: &Path) -> String {
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
    insta::glob!("../examples", "*.memo", |path| {
        insta::assert_snapshot!(run_script(path));
    });
}

#[test]
fn scripts() {
    insta::glob!("scripts", "*.memo", |path| {
        insta::assert_snapshot!(run_script(path));
    });
}
