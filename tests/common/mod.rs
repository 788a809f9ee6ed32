//! Helpers shared by the integration tests that drive a `memo` child process.

use std::io::Read;
use std::sync::{Arc, Mutex};

/// Reads a child's stream on a thread into a shared string (so a test can
/// poll what has arrived so far without blocking).
pub fn collect(mut r: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let buf = Arc::new(Mutex::new(String::new()));
    let b = buf.clone();
    std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        while let Ok(n) = r.read(&mut chunk) {
            if n == 0 {
                break;
            }
            b.lock().unwrap().push_str(&String::from_utf8_lossy(&chunk[..n]));
        }
    });
    buf
}
