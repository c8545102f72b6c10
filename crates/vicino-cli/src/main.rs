//! The `vicino` command line: generate data, compute ground truth, build an index, search it,
//! inspect an index file.
//!
//! Everything lives in `cli/`; this file parses the arguments, runs the subcommand and turns an
//! error into one line on stderr and exit status 1. Usage errors (a missing or malformed flag)
//! are clap's, with its message and exit status 2.

mod cli;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Nothing more can be done if stderr itself is gone.
            let _ = writeln!(std::io::stderr().lock(), "vicino: {}", one_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes joined by ": " on one line. A cause whose text its parent already
/// shows (the library's `Io` error prints its `io::Error` and also returns it as the source) is
/// left out rather than repeated.
fn one_line(e: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if message.contains(&text) {
            continue;
        }
        if !message.is_empty() {
            message.push_str(": ");
        }
        message.push_str(&text);
    }
    message.replace(['\n', '\r'], " ")
}
