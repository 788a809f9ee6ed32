//! `show_spinner`: on a terminal, a miss that runs longer than 0.5 s shows
//! `Running name(args)…` on stderr until it finishes.
//!
//! The spinner draws from a thread of its own, so it coordinates with the
//! script's output: an engine with the spinner on writes its output and
//! error output through [`Coordinated`], which erases the spinner's line
//! before any text while a spinner runs, and flushes the text at once (the
//! spinner draws again below it). One lock orders the spinner's frames and
//! those writes, so no frame lands in the middle of a line of output.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::sync::Mutex;
use std::thread::JoinHandle;
use std::time::Duration;

/// Whether a spinner's line is on the terminal; held while a frame is
/// drawn or output is written during a spinner.
static LINE: Mutex<bool> = Mutex::new(false);
/// Spinners started and not yet stopped (any thread).
static RUNNING: AtomicUsize = AtomicUsize::new(0);

const ERASE: &str = "\r\x1b[K";

fn line() -> std::sync::MutexGuard<'static, bool> {
    LINE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Erases the spinner's line if it is shown (the lock held).
fn erase(shown: &mut bool) {
    if std::mem::take(shown) {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(ERASE.as_bytes());
        let _ = err.flush();
    }
}

pub struct Spinner {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Spinner {
    pub fn start(label: String) -> Spinner {
        RUNNING.fetch_add(1, Ordering::SeqCst);
        let (tx, rx) = channel::<()>();
        let thread = std::thread::spawn(move || {
            if !matches!(rx.recv_timeout(Duration::from_millis(500)), Err(RecvTimeoutError::Timeout)) {
                return;
            }
            let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
            let mut i = 0;
            loop {
                {
                    let mut shown = line();
                    let mut err = std::io::stderr().lock();
                    let _ = write!(err, "\r{} Running {label}…", frames[i % frames.len()]);
                    let _ = err.flush();
                    *shown = true;
                }
                i += 1;
                if !matches!(rx.recv_timeout(Duration::from_millis(100)), Err(RecvTimeoutError::Timeout)) {
                    break;
                }
            }
            erase(&mut line());
        });
        Spinner { stop: Some(tx), thread: Some(thread) }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        RUNNING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A writer for text that shares the terminal with spinners: while one
/// runs, each write first erases the spinner's line, and is flushed at
/// once, under the lock the spinner draws with. Otherwise it writes
/// straight through (buffering as the inner writer does).
pub struct Coordinated<W: Write>(pub W);

impl<W: Write> Write for Coordinated<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if RUNNING.load(Ordering::SeqCst) == 0 {
            return self.0.write(buf);
        }
        let mut shown = line();
        erase(&mut shown);
        self.0.write_all(buf)?;
        self.0.flush()?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A spinner counts as running until it is dropped: while one runs,
    /// output is written through the erase-and-flush path.
    #[test]
    fn a_spinner_runs_until_dropped() {
        let before = RUNNING.load(Ordering::SeqCst);
        let s = Spinner::start("x()".into());
        assert_eq!(RUNNING.load(Ordering::SeqCst), before + 1);
        drop(s);
        assert_eq!(RUNNING.load(Ordering::SeqCst), before);
    }
}
