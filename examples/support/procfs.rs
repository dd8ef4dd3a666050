//! Reading /proc (Linux) for the examples that report memory.

/// A field of /proc/<pid>/status in kB (`pid` may be "self").
pub fn status_kb(pid: &str, key: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
