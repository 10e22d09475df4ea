//! Command-line interface. Every flag can also be set in `tessera.toml` or by a
//! `TESSERA_*` environment variable; flags win.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "tessera", version, about = "One fast, secure backend for user platforms")]
pub struct Cli {
    /// Configuration file (default: ./tessera.toml when present).
    #[arg(long, global = true, env = "TESSERA_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub command: Command,
}

/// Settings every command may need to reach the database.
#[derive(Debug, Args)]
pub struct Common {
    /// Database URL: sqlite://…, postgres://… or mysql://… [config: database.url]
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// Directory for the SQLite database, keys and local files [config: data.dir]
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (migrates the database first).
    Serve(ServeArgs),
    /// Apply or inspect database migrations.
    Migrate {
        #[command(subcommand)]
        action: Option<MigrateAction>,
    },
    /// Print the effective configuration with secrets redacted.
    Config,
    /// Manage user accounts.
    Users {
        #[command(subcommand)]
        action: UsersAction,
    },
    /// Manage token-signing keys and the data keys that seal stored secrets.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on, e.g. 0.0.0.0:8080 [config: server.bind]
    #[arg(long)]
    pub bind: Option<String>,
    /// URL clients use to reach this server [config: server.public_url]
    #[arg(long)]
    pub public_url: Option<String>,
    /// Modules to run: all, or a comma-separated list such as identity [config: server.modules]
    #[arg(long)]
    pub modules: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum MigrateAction {
    /// Apply pending migrations (the default).
    Apply,
    /// List migrations and whether each is applied.
    Status,
}

#[derive(Debug, Subcommand)]
pub enum UsersAction {
    /// Create a user. The password is read from standard input when it is not a
    /// terminal; otherwise a one-time set-password link is printed.
    Create {
        /// E-mail address of the new user.
        #[arg(long)]
        email: String,
        /// Display name (default: the part of the address before @).
        #[arg(long)]
        name: Option<String>,
        /// Make the user a platform administrator.
        #[arg(long)]
        admin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysAction {
    /// Make a new signing key current; the previous one keeps verifying until its tokens expire.
    Rotate,
    /// Add a data key, make it current, and re-seal every stored secret under it
    /// while the nodes keep serving (progress on standard error).
    RotateData,
    /// Open every stored secret and count them by data key; fails if any does not open.
    VerifyData,
}
