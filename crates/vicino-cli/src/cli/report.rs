//! What the subcommands tell the user: one JSON object per run on stdout (fields in a fixed
//! order, so a person can read it and a script can parse it), progress bars on stderr, and the
//! resident memory figure from `/proc`.

use std::io::Write;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

/// A JSON object whose fields keep the order they were added in (serde_json's own objects sort
/// their keys), each value held already rendered.
#[derive(Debug, Default)]
pub struct JsonLine {
    fields: Vec<(&'static str, String)>,
}

impl JsonLine {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `key: value`. Non-finite floats and `None` become `null`.
    pub fn field(mut self, key: &'static str, value: impl Into<Value>) -> Self {
        self.fields.push((key, value.into().to_string()));
        self
    }

    /// Adds `key: [objects...]`, each object keeping its own field order.
    pub fn objects(
        mut self,
        key: &'static str,
        objects: impl IntoIterator<Item = JsonLine>,
    ) -> Self {
        let items: Vec<String> = objects.into_iter().map(|o| o.render()).collect();
        self.fields.push((key, format!("[{}]", items.join(","))));
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
    fn nested_objects_keep_order() {
        let inner = |n: u32| JsonLine::new().field("name", "s").field("bytes", n);
        let line = JsonLine::new()
            .objects("list", [inner(1), inner(2)])
            .objects("none", [])
            .render();
        assert_eq!(
            line,
            r#"{"list":[{"name":"s","bytes":1},{"name":"s","bytes":2}],"none":[]}"#
        );
    }

    #[test]
    fn delta_needs_both() {
        assert_eq!(delta(Some(10), Some(4)), Some(-6));
        assert_eq!(delta(None, Some(4)), None);
    }
}
