//! A pseudo-terminal for the tests that need memo on a real terminal
//! (the spinner, the REPL's line editor). Linux only (`openpty`).

use std::fs::File;
use std::os::fd::FromRawFd;

/// Opens a pseudo-terminal: (master, slave).
pub fn openpty() -> (File, File) {
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two file descriptors it opened into the
    // pointers; the name, termios and window size arguments may be null.
    let r = unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), std::ptr::null()) };
    assert_eq!(r, 0, "openpty failed");
    // SAFETY: both descriptors were just opened and are owned by nobody else.
    unsafe { (File::from_raw_fd(master), File::from_raw_fd(slave)) }
}

/// What a terminal shows for `bytes`: `\r` returns to the line's start,
/// `ESC [ K` erases to its end, `\n` starts a new line (other escape
/// sequences are dropped), and a character overwrites what is under the
/// cursor.
pub fn screen(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = Vec::new();
    let mut line: Vec<char> = Vec::new();
    let mut col = 0;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => col = 0,
            '\n' => {
                lines.push(line.iter().collect::<String>());
                line.clear();
                col = 0;
            }
            '\x1b' => {
                let mut seq = String::new();
                for d in chars.by_ref() {
                    seq.push(d);
                    if d.is_ascii_alphabetic() {
                        break;
                    }
                }
                if seq == "[K" {
                    line.truncate(col);
                }
            }
            c => {
                if col < line.len() {
                    line[col] = c;
                } else {
                    line.push(c);
                }
                col += 1;
            }
        }
    }
    if !line.is_empty() {
        lines.push(line.iter().collect());
    }
    lines
}
