//! What the subcommands tell the user: one JSON object per run on stdout (fields in a fixed
//! order, so a person can read it and a script can parse it), progress bars on stderr, and the
//! resident memory figure from `/proc`.

use std::io::Write;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

/// A JSON object whose fields keep the order they were added in.
#[derive(Debug, Default)]
pub struct JsonLine {
    fields: Vec<(&'static str, Value)>,
}

impl JsonLine {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `key: value`. Non-finite floats and `None` become `null`.
    pub fn field(mut self, key: &'static str, value: impl Into<Value>) -> Self {
        self.fields.push((key, value.into()));
        self
    }

    /// The object on one line, without a newline.
    pub fn render(&self) -> String {
        let body: Vec<String> = self
            .fields
            .iter()
            .map(|(k, v)| format!("{}:{v}", Value::from(*k)))
            .collect();
        format!("{{{}}}", body.join(","))
    }

    /// Writes the object and a newline to stdout (an error, such as a closed pipe, is returned
    /// rather than panicking as `println!` would).
    pub fn print(&self) -> Result<()> {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", self.render())
            .and_then(|()| out.flush())
            .context("cannot write to stdout")
    }
}

/// Resident set size of this process in bytes (`VmRSS` in `/proc/self/status`), if the system
/// has one.
pub fn rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
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
    fn json_line_keeps_order_and_nulls() {
        let line = JsonLine::new()
            .field("z", 1)
            .field("a", "l2")
            .field("nan", f64::NAN)
            .field("none", None::<f64>)
            .render();
        assert_eq!(line, r#"{"z":1,"a":"l2","nan":null,"none":null}"#);
    }

    #[test]
    fn delta_needs_both() {
        assert_eq!(delta(Some(10), Some(4)), Some(-6));
        assert_eq!(delta(None, Some(4)), None);
    }
}
