//! The command-line layer: flags → library calls → text or JSON. No logic lives here that
//! the library does not expose.

mod args;
mod commands;
mod dnn;
mod explore;

use clap::Parser;

/// Run the CLI; returns the process exit code. Errors print one line on stderr.
pub fn run() -> i32 {
    let cli = args::Cli::parse();
    match commands::dispatch(&cli) {
        Ok(()) => 0,
        Err(e) => {
            let msg = format!("{e:#}").replace('\n', " ");
            eprintln!("error: {msg}");
            1
        }
    }
}
