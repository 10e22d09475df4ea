//! What each command does.

use std::io::{IsTerminal, Read};

use sea_orm_migration::MigratorTrait;
use serde_json::{Value, json};
use tessera::{Migrator, Modules};
use tessera_identity::api::{Identity, NewAccount, Secret};
use tessera_kernel::Clock;
use tessera_kernel::config::Settings;
use tessera_server::{StartError, Tessera};

use crate::cli::{Cli, Command, KeysAction, MigrateAction, ServeArgs, UsersAction};

pub async fn run(cli: Cli) -> Result<(), StartError> {
    init_logging();
    let mut overrides: Vec<(&str, Value)> = Vec::new();
    if let Some(url) = &cli.common.database_url {
        overrides.push(("database.url", json!(url)));
    }
    if let Some(dir) = &cli.common.data_dir {
        overrides.push(("data.dir", json!(dir)));
    }
    if let Command::Serve(args) = &cli.command {
        serve_overrides(args, &mut overrides);
    }
    let settings = Settings::load(&tessera_server::default_configs::<Modules>(), cli.config.as_deref(), &overrides)?;
    match cli.command {
        Command::Serve(_) => serve(settings).await,
        Command::Migrate { action } => migrate(settings, action.unwrap_or(MigrateAction::Apply)).await,
        Command::Config => {
            let shown = settings.redacted()?;
            println!("{}", toml::to_string_pretty(&shown).map_err(|e| StartError::Other(e.to_string()))?);
            Ok(())
        }
        Command::Users { action: UsersAction::Create { email, name, admin } } => {
            create_user(settings, email, name, admin).await
        }
        Command::Keys { action: KeysAction::Rotate } => {
            let app = tessera_server::build::<Modules>(settings, Clock::system()).await?;
            let kid = identity(&app)?.rotate_keys().await?;
            println!("new signing key {kid} is current; the previous key verifies until its tokens expire");
            Ok(())
        }
        Command::Keys { action: KeysAction::RotateData } => crate::data_keys::rotate(settings).await,
        Command::Keys { action: KeysAction::VerifyData } => crate::data_keys::verify(settings).await,
    }
}

fn serve_overrides(args: &ServeArgs, overrides: &mut Vec<(&'static str, Value)>) {
    if let Some(bind) = &args.bind {
        overrides.push(("server.bind", json!(bind)));
    }
    if let Some(url) = &args.public_url {
        overrides.push(("server.public_url", json!(url)));
    }
    if let Some(modules) = &args.modules {
        overrides.push(("server.modules", json!(modules)));
    }
}

fn init_logging() {
    let filter = std::env::var("TESSERA_LOG").unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into());
    let _ = tracing_subscriber::fmt()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .try_init();
}

async fn serve(settings: Settings) -> Result<(), StartError> {
    let app = tessera_server::build::<Modules>(settings, Clock::system()).await?;
    let server = &app.core.config.server;
    let listener = tokio::net::TcpListener::bind(server.bind)
        .await
        .map_err(|e| StartError::Other(format!("`server.bind` {}: {e}", server.bind)))?;
    let addr = listener.local_addr().map_err(|e| StartError::Other(e.to_string()))?;
    tracing::info!(
        listening = %addr,
        docs = %server.link("/docs"),
        "tessera is ready; API docs at {}",
        server.link("/docs")
    );
    tessera_server::serve(app, listener, shutdown_signal()).await.map_err(|e| StartError::Other(e.to_string()))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}

async fn migrate(settings: Settings, action: MigrateAction) -> Result<(), StartError> {
    let (_, db) = tessera_server::connect(&settings).await?;
    match action {
        MigrateAction::Apply => {
            db.migrate::<Migrator>().await?;
            println!("migrations applied");
        }
        MigrateAction::Status => {
            for m in Migrator::get_migration_with_status(&db.conn).await? {
                println!("{:<10} {}", format!("{:?}", m.status()).to_lowercase(), m.name());
            }
        }
    }
    Ok(())
}

async fn create_user(settings: Settings, email: String, name: Option<String>, admin: bool) -> Result<(), StartError> {
    let app = tessera_server::build::<Modules>(settings, Clock::system()).await?;
    let password = read_password_from_stdin()?;
    let new = NewAccount { email: &email, name: name.as_deref(), password: password.as_ref(), admin };
    let created = identity(&app)?.create_account(new).await.map_err(plainly)?;
    println!("created user {} <{}>{}", created.id, created.email, if admin { " (platform admin)" } else { "" });
    if let Some(link) = created.set_password_link {
        println!("one-time link to choose the password: {link}");
    }
    Ok(())
}

/// An API error as a sentence for the terminal: each field error as `field: message`.
fn plainly(err: tessera_kernel::ApiError) -> StartError {
    let fields = err.details.as_ref().and_then(|d| d.get("fields")).and_then(|f| f.as_array());
    let Some(fields) = fields else { return StartError::from(err) };
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
    let parts: Vec<String> = fields.iter().map(|f| format!("{}: {}", text(f, "field"), text(f, "message"))).collect();
    StartError::Other(parts.join("; "))
}

/// The identity module's api, which these commands drive.
fn identity(app: &Tessera) -> Result<std::sync::Arc<Identity>, StartError> {
    app.service::<Identity>().ok_or_else(|| StartError::Other("this binary has no identity module".into()))
}

/// The password piped on standard input, if any (a terminal is never read).
fn read_password_from_stdin() -> Result<Option<Secret>, StartError> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Ok(None);
    }
    let mut raw = String::new();
    stdin.lock().read_to_string(&mut raw).map_err(|e| StartError::Other(format!("reading stdin: {e}")))?;
    let pw = raw.trim_end_matches(['\n', '\r']).to_owned();
    Ok((!pw.is_empty()).then(|| Secret::new(pw)))
}
