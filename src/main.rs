//! The `recsys` command: parse flags, call the library, print. See `recsys --help`.

fn main() {
    std::process::exit(recsys_cli::run());
}

#[path = "cli/mod.rs"]
mod recsys_cli;
