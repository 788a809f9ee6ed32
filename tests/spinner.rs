//! The spinner on a real terminal (a pseudo-terminal): a cached fn that
//! prints while its spinner runs must leave no spinner text on the final
//! screen (issue 18). Linux only (`openpty`), with the `cli` feature (the
//! binary, and the `libc` crate).
#![cfg(all(target_os = "linux", feature = "cli"))]

use std::io::Read;
use std::process::{Command, Stdio};

#[path = "common/pty.rs"]
mod pty;
use pty::{openpty, screen};

#[test]
fn output_during_a_spinner_erases_it_first() {
    let dir = tempfile::tempdir().unwrap();
    // The spinner shows after 0.5 s; the fn prints in the middle of it, and
    // again after it would have drawn more frames.
    let script = "cached fn outer(n) {\n  sleep(0.8)\n  print(\"step 1\")\n  sleep(0.4)\n  print(\"step 2\")\n  n\n}\nprint(\"result\", outer(1))\nsleep(0.3)\nprint(\"end\")\n";
    std::fs::write(dir.path().join("app.memo"), script).unwrap();
    let (mut master, slave) = openpty();
    let mut child = Command::new(env!("CARGO_BIN_EXE_memo"))
        .args(["run", "--no-disk-cache", "app.memo"])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(slave.try_clone().unwrap())
        .stderr(slave)
        .spawn()
        .expect("memo starts");
    let status = child.wait().expect("memo ends");
    // Every writer of the slave is gone: reading the master ends (EIO).
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match master.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    assert!(status.success(), "{}", String::from_utf8_lossy(&out));
    let raw = String::from_utf8_lossy(&out);
    assert!(raw.contains("Running outer(1)…"), "the spinner was drawn: {raw:?}");
    // It turns: over the 0.7 s it runs, several of its frames are drawn.
    let frames: std::collections::BTreeSet<char> = raw.chars().filter(|c| ('⠀'..='⣿').contains(c)).collect();
    assert!(frames.len() >= 3, "frames drawn: {frames:?} in {raw:?}");
    let lines = screen(&out);
    let shown: Vec<&str> = lines.iter().map(|l| l.trim_end()).filter(|l| !l.is_empty()).collect();
    // The cached fn printed (a miss), so memo warns once on stderr.
    let printed: Vec<&str> = shown.iter().copied().filter(|l| !l.starts_with("warning:")).collect();
    assert_eq!(printed, ["step 1", "step 2", "result 1", "end"], "no spinner text is left: {raw:?}");
    // The spinner stopped with its call: nothing of it after the result.
    let after = &raw[raw.find("result 1").expect("the result")..];
    assert!(!after.contains("Running"), "the spinner went on after its call: {raw:?}");
}
