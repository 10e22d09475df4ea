//! The `tessera` binary: `serve`, `migrate`, `config`, `users`, `keys`.

mod cli;
mod commands;
mod data_keys;

use std::process::ExitCode;

use clap::Parser;

/// jemalloc, configured in `.cargo/config.toml` to hand freed memory back to the
/// system from a background thread; glibc keeps argon2's 19 MiB working areas in
/// per-thread arenas, so resident memory would only grow.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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
