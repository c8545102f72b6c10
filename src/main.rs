//! The `vicinity` command line: generate data, compute ground truth, build an index, search it.
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
            // `{:#}` joins the context chain with ": "; a message must stay on one line.
            let message = format!("{e:#}").replace(['\n', '\r'], " ");
            // Nothing more can be done if stderr itself is gone.
            let _ = writeln!(std::io::stderr().lock(), "vicinity: {message}");
            ExitCode::FAILURE
        }
    }
}
