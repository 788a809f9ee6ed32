//! `show_spinner`: on a terminal, a miss that runs longer than 0.5 s shows
//! `Running name(args)…` on stderr until it finishes.

use std::io::Write;
use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

pub struct Spinner {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Spinner {
    pub fn start(label: String) -> Spinner {
        let (tx, rx) = channel::<()>();
        let thread = std::thread::spawn(move || {
            if !matches!(rx.recv_timeout(Duration::from_millis(500)), Err(RecvTimeoutError::Timeout)) {
                return;
            }
            let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
            let mut i = 0;
            loop {
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "\r{} Running {label}…", frames[i % frames.len()]);
                let _ = err.flush();
                drop(err);
                i += 1;
                if !matches!(rx.recv_timeout(Duration::from_millis(100)), Err(RecvTimeoutError::Timeout)) {
                    break;
                }
            }
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[K");
            let _ = err.flush();
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
    }
}
