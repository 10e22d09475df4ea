//! The `tessera` binary: `serve`, `migrate`, `config`, `users`, `keys`.

mod cli;
mod commands;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc hands large freed blocks (argon2's 19 MiB working memory) back to the
/// system, where glibc keeps them in per-thread arenas: resident memory stays flat.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tessera: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tessera: {e}");
            ExitCode::from(2)
        }
    }
}
