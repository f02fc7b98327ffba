//! The `recsys` command: parse flags, call the library, print. See `recsys --help`.

fn main() {
    // Rust ignores SIGPIPE, so writing to a closed pipe (`recsys … | head`) makes `println!`
    // panic. Restore the default action: the process ends quietly, as Unix tools do.
    #[cfg(unix)]
    // SAFETY: `signal` with `SIG_DFL` only resets the disposition of SIGPIPE; it is called
    // first thing in `main`, before any other thread exists, and installs no handler code.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    std::process::exit(recsys_cli::run());
}

#[path = "cli/mod.rs"]
mod recsys_cli;
