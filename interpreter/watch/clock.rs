//! The local wall-clock time for the separator lines (`14:03:07`).

/// `HH:MM:SS` in the local time zone (UTC where it cannot be known).
pub fn local_hms() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    #[cfg(unix)]
    {
        if let Some(s) = unix_local(secs) {
            return s;
        }
    }
    let s = secs % 86_400;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

#[cfg(unix)]
fn unix_local(secs: u64) -> Option<String> {
    let t = libc::time_t::try_from(secs).ok()?;
    // SAFETY: `localtime_r` only writes the `tm` we pass (zeroed, a valid
    // value of that plain C struct) and reads `t`; it is thread-safe.
    let tm = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&t, &mut tm).is_null() {
            return None;
        }
        tm
    };
    Some(format!("{:02}:{:02}:{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec))
}

#[cfg(test)]
mod tests {
    #[test]
    fn shape() {
        let s = super::local_hms();
        assert_eq!(s.len(), 8, "{s}");
        assert_eq!(&s[2..3], ":");
        assert_eq!(&s[5..6], ":");
    }
}
