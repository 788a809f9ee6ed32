//! The REPL's line editor on a real terminal (a pseudo-terminal): tab
//! completion of names and of the fields of a struct a global holds
//! (issue 18). Linux only (`openpty`), with the `cli` feature.
#![cfg(all(target_os = "linux", feature = "cli"))]

#[path = "common/pty.rs"]
mod pty;

use std::io::{Read, Write};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A `memo repl` on a pseudo-terminal, its output collected by a thread.
struct Tty {
    child: std::process::Child,
    master: std::fs::File,
    out: Arc<Mutex<Vec<u8>>>,
}

impl Tty {
    fn start(dir: &std::path::Path) -> Tty {
        let (master, slave) = pty::openpty();
        let child = Command::new(env!("CARGO_BIN_EXE_memo"))
            .args(["repl", "--no-disk-cache"])
            .current_dir(dir)
            .env("TERM", "xterm")
            // A history of its own: none of the user's, and none left behind.
            .env("XDG_DATA_HOME", dir)
            .stdin(slave.try_clone().unwrap())
            .stdout(slave.try_clone().unwrap())
            .stderr(slave)
            .spawn()
            .expect("memo starts");
        let out = Arc::new(Mutex::new(Vec::new()));
        let mut reader = master.try_clone().unwrap();
        let sink = out.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Tty { child, master, out }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().unwrap()).into_owned()
    }

    /// Waits until the output shows `needle` `times` times (20 s at most).
    fn wait_for(&self, needle: &str, times: usize) {
        let t0 = Instant::now();
        while self.text().matches(needle).count() < times {
            assert!(t0.elapsed() < Duration::from_secs(20), "no {times}× {needle:?} in {:?}", self.text());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the `n`th prompt. The editor redraws the line (and its
    /// prompt) at every key, so prompts are counted by what it writes once
    /// per line read: it turns bracketed paste on (xterm).
    fn wait_prompt(&self, n: usize) {
        self.wait_for("\x1b[?2004h", n);
    }

    fn keys(&mut self, s: &str) {
        self.master.write_all(s.as_bytes()).unwrap();
        self.master.flush().unwrap();
    }
}

impl Drop for Tty {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn tab_completes_struct_fields_and_names() {
    let dir = tempfile::tempdir().unwrap();
    let mut tty = Tty::start(dir.path());
    tty.wait_prompt(1);
    tty.keys("struct Point { x, label }\r");
    tty.wait_prompt(2);
    tty.keys("let here = Point(3, \"home\")\r");
    tty.wait_prompt(3);
    // `here.la` + Tab: the only field starting so is `label`.
    tty.keys("here.la\t\r");
    tty.wait_prompt(4);
    // A global's name: `he` + Tab completes to `here`.
    tty.keys("he\t.x + 1\r");
    tty.wait_prompt(5);
    tty.keys(":quit\r");
    let t0 = Instant::now();
    while tty.child.try_wait().unwrap().is_none() {
        assert!(t0.elapsed() < Duration::from_secs(20), "the REPL did not quit: {:?}", tty.text());
        std::thread::sleep(Duration::from_millis(20));
    }
    let lines = pty::screen(tty.text().as_bytes());
    let shown: Vec<&str> = lines.iter().map(|l| l.trim_end()).filter(|l| !l.is_empty()).collect();
    assert!(shown.contains(&"memo> here.label"), "the field was completed on the line: {shown:?}");
    assert!(shown.contains(&"memo> here.x + 1"), "the name was completed on the line: {shown:?}");
    assert!(shown.contains(&"\"home\"") && shown.contains(&"4"), "{shown:?}");
}
