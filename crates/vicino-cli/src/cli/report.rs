//! What the subcommands tell the user: one JSON object per run on stdout (each command's report
//! struct, fields in a fixed order, so a person can read it and a script can parse it), progress
//! bars on stderr, and the resident memory figure from `/proc`.

use std::io::Write;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use vicino_bench::report::json_line;

/// Writes `value` as one JSON line to stdout (fields in declaration order). An error, such as
/// a closed pipe, is returned rather than panicking as `println!` would.
pub fn print_json<T: Serialize>(value: &T) -> Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", json_line(value))
        .and_then(|()| out.flush())
        .context("cannot write to stdout")
}

/// Resident set size of this process in bytes (`VmRSS` in `/proc/self/status`), if the system
/// has one.
pub fn rss_bytes() -> Option<u64> {
    status_bytes("VmRSS:")
}

/// Resident anonymous memory (heap, not file pages): what a mapped index should keep small.
pub fn rss_anon_bytes() -> Option<u64> {
    status_bytes("RssAnon:")
}

/// Resident pages of mapped files (the index file's pages, when mapped).
pub fn rss_file_bytes() -> Option<u64> {
    status_bytes("RssFile:")
}

/// A `/proc/self/status` line of kibibytes, in bytes (Linux only; `None` elsewhere).
fn status_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// `after - before`, or `None` if either is unknown.
pub fn delta(before: Option<u64>, after: Option<u64>) -> Option<i64> {
    let (b, a) = (i64::try_from(before?).ok()?, i64::try_from(after?).ok()?);
    Some(a - b)
}

/// A progress bar over `len` steps on stderr; it draws nothing when stderr is not a terminal.
pub fn progress(len: usize, message: &'static str) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{elapsed_precise}] {wide_bar} {pos}/{len} (eta {eta})")
    {
        bar.set_style(style);
    }
    bar.set_message(message);
    bar
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delta_needs_both() {
        assert_eq!(delta(Some(10), Some(4)), Some(-6));
        assert_eq!(delta(None, Some(4)), None);
    }
}
