//! The command-line layer: flags → library calls → text or JSON. No logic lives here that
//! the library does not expose.

mod args;
mod commands;
mod common;
mod dnn;
mod evaluate;
mod explore;
mod handoff;
mod params;
mod query;
mod train;

use clap::Parser;

/// What kind of failure ended a command; the exit code tells scripts which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Flags that cannot work together or an invalid value (exit 2, as clap's own).
    Usage,
    /// Input that cannot be read as what it should be: a malformed row, a schema, a damaged
    /// or foreign model directory (exit 3).
    Data,
    /// A key, title, table or model that is not there (exit 4).
    NotFound,
    /// Reading or writing a file failed (exit 5).
    Io,
    /// Training diverged; nothing was saved (exit 6).
    Diverged,
    /// Anything else (exit 1).
    Other,
}

impl ErrorKind {
    /// The process exit code.
    #[must_use]
    pub fn code(self) -> i32 {
        match self {
            ErrorKind::Other => 1,
            ErrorKind::Usage => 2,
            ErrorKind::Data => 3,
            ErrorKind::NotFound => 4,
            ErrorKind::Io => 5,
            ErrorKind::Diverged => 6,
        }
    }

    /// The `kind` of a `--json` error.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Other => "other",
            ErrorKind::Usage => "usage",
            ErrorKind::Data => "data",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Io => "io",
            ErrorKind::Diverged => "diverged",
        }
    }

    /// The kind of an error: the library's typed error where the chain holds one, an I/O
    /// error, or else a usage error (what the CLI itself refuses is a combination of flags).
    #[must_use]
    pub fn of(e: &anyhow::Error) -> ErrorKind {
        for cause in e.chain() {
            if let Some(re) = cause.downcast_ref::<recsys::Error>() {
                return match re {
                    recsys::Error::Io { .. } => ErrorKind::Io,
                    recsys::Error::Parse { .. }
                    | recsys::Error::Data { .. }
                    | recsys::Error::Schema { .. }
                    | recsys::Error::Checkpoint { .. } => ErrorKind::Data,
                    recsys::Error::Param(_) => ErrorKind::Usage,
                    recsys::Error::NotFound(_) => ErrorKind::NotFound,
                    recsys::Error::Diverged { .. } => ErrorKind::Diverged,
                };
            }
            if cause.downcast_ref::<std::io::Error>().is_some() {
                return ErrorKind::Io;
            }
            if cause.downcast_ref::<serde_json::Error>().is_some() {
                return ErrorKind::Other;
            }
        }
        ErrorKind::Usage
    }
}

/// Print an error: one line on stderr, and with `--json` one object on stdout.
fn report(json: bool, kind: ErrorKind, msg: &str) {
    eprintln!("error: {msg}");
    if json {
        println!(
            "{}",
            serde_json::json!({"error": {"kind": kind.name(), "message": msg}})
        );
    }
}

/// Run the CLI; returns the process exit code (see [`ErrorKind`]).
pub fn run() -> i32 {
    let json = std::env::args().any(|a| a == "--json");
    let cli = match args::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind as C;
            if matches!(e.kind(), C::DisplayHelp | C::DisplayVersion)
                || e.kind() == C::DisplayHelpOnMissingArgumentOrSubcommand && !json
            {
                let _ = e.print();
                return if e.kind() == C::DisplayHelpOnMissingArgumentOrSubcommand {
                    ErrorKind::Usage.code()
                } else {
                    0
                };
            }
            if json {
                let text = e.to_string();
                let first = text
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .trim_start_matches("error: ");
                report(true, ErrorKind::Usage, first);
                return ErrorKind::Usage.code();
            }
            let _ = e.print();
            return ErrorKind::Usage.code();
        }
    };
    match commands::dispatch(&cli) {
        Ok(()) => 0,
        Err(e) => {
            let kind = ErrorKind::of(&e);
            let msg = format!("{e:#}").replace('\n', " ");
            report(cli.json, kind, &msg);
            kind.code()
        }
    }
}
