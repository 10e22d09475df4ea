//! tessera's server: builds the shared core and every module, composes their
//! routers under `/api/v1` with the kernel's middleware, the OpenAPI document and
//! the docs UI, and runs the HTTP server and background workers.

pub mod health;
pub mod middleware;
pub mod openapi;
mod watchers;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Method, StatusCode, header};
use axum::middleware::{from_fn, from_fn_with_state};
use sea_orm_migration::{MigrationTrait, MigratorTrait};
use tessera_identity::{Identity, IdentityAuthenticator, IdentityConfig};
use tessera_kernel::actor::{API_KEY_PREFIX, Authenticator};
use tessera_kernel::clock::Clock;
use tessera_kernel::config::{ConfigError, KernelConfig, Settings};
use tessera_kernel::crypto::Keyring;
use tessera_kernel::db::Db;
use tessera_kernel::jobs::Jobs;
use tessera_kernel::mail::Mailer;
use tessera_kernel::ratelimit::MemoryRateLimiter;
use tessera_kernel::{ApiError, AppState, Core, CoreParts};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

/// Every module's migrations, in order.
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = tessera_kernel::migration::migrations();
        all.extend(tessera_identity::migrations());
        all.extend(tessera_orgs::migrations());
        all.extend(tessera_access::migrations());
        all.extend(tessera_audit::migrations());
        all.extend(tessera_events::migrations());
        all.extend(tessera_webhooks::migrations());
        all
    }
}

/// The embedded default configuration of the kernel and every module.
pub fn default_configs() -> Vec<&'static str> {
    vec![
        tessera_kernel::config::DEFAULT_CONFIG,
        tessera_identity::DEFAULT_CONFIG,
        tessera_audit::DEFAULT_CONFIG,
        tessera_access::DEFAULT_CONFIG,
        tessera_events::DEFAULT_CONFIG,
        tessera_webhooks::DEFAULT_CONFIG,
    ]
}

/// Why start-up failed.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("{0}")]
    Other(String),
}

impl From<ApiError> for StartError {
    fn from(e: ApiError) -> Self {
        Self::Other(e.message.to_string())
    }
}

/// A built application, ready to serve.
pub struct Tessera {
    pub core: Core,
    pub identity: Arc<Identity>,
    pub audit: Arc<tessera_audit::Audit>,
    pub events: Arc<tessera_events::Events>,
    pub webhooks: Arc<tessera_webhooks::Webhooks>,
    pub router: Router,
}

/// Parses the configuration and connects to the database, without migrating.
pub async fn connect(settings: &Settings) -> Result<(KernelConfig, Db), StartError> {
    let config = KernelConfig::from_settings(settings)?;
    create_data_dir(&config.data.dir)?;
    let db = Db::connect(&config.database, &config.data).await?;
    Ok((config, db))
}

/// Creates the data directory, readable by its owner only, unless it exists.
fn create_data_dir(dir: &std::path::Path) -> Result<(), StartError> {
    if dir.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(|e| StartError::Other(format!("`data.dir` {}: {e}", dir.display())))
}

/// Builds everything: database (migrated), keys, jobs, mail, modules, router.
pub async fn build(settings: Settings, clock: Clock) -> Result<Tessera, StartError> {
    let (config, db) = connect(&settings).await?;
    health::prometheus(); // record from the first request on
    let identity_cfg = IdentityConfig::from_settings(&settings)?;
    tessera_access::AccessConfig::from_settings(&settings)?; // fail start-up on a bad [access] key
    let events_cfg = tessera_events::EventsConfig::from_settings(&settings)?;
    let webhooks_cfg = tessera_webhooks::WebhooksConfig::from_settings(&settings)?;
    db.migrate::<Migrator>().await?;
    let keyring = Keyring::load_or_create(&config.data.dir).map_err(|e| StartError::Other(e.to_string()))?;
    let jobs = Jobs::new(db.clone(), clock.clone(), config.jobs.clone());
    let mailer = Arc::new(Mailer::new(&config.mail, &config.data).map_err(|e| StartError::Other(e.to_string()))?);
    mailer.register(&jobs);
    let core = Core::new(CoreParts {
        db,
        config: Arc::new(config),
        settings,
        audit: Arc::new(tessera_audit::AuditLog::new(clock.clone())),
        clock,
        jobs,
        mailer,
        limiter: MemoryRateLimiter::new(),
        keyring: Arc::new(keyring),
        personal: Arc::default(),
        org_cleanup: Arc::default(),
        permissions: Arc::new(permission_catalogue()),
    });
    // Every module is built (they answer each other's questions); only those
    // that run mount their routes.
    let identity = Identity::new(core.clone(), identity_cfg).await?;
    let orgs = tessera_orgs::Orgs::new(core.clone(), identity.clone());
    let access = tessera_access::Access::new(core.clone(), orgs.clone());
    let audit = tessera_audit::Audit::new(core.clone())?;
    let events = tessera_events::Events::new(core.clone(), events_cfg, event_catalogue());
    let webhooks = tessera_webhooks::Webhooks::new(core.clone(), webhooks_cfg, orgs.clone())?;
    if core.config.server.runs("webhooks") {
        tessera_webhooks::subscribe(&events, &webhooks);
    }
    watchers::register(&events, &orgs, &access);
    events.prepare().await?;
    let auth = Arc::new(Credentials { identity: IdentityAuthenticator(identity.clone()), keys: access.clone() });
    let app = AppState::new(core.clone(), auth, access.clone());
    let modules = Modules {
        identity: identity.clone(),
        orgs,
        access,
        audit: audit.clone(),
        events: events.clone(),
        webhooks: webhooks.clone(),
    };
    let router = compose(app, modules);
    Ok(Tessera { core, identity, audit, events, webhooks, router })
}

/// Every module's permissions.
fn permission_catalogue() -> Vec<tessera_kernel::authz::PermissionInfo> {
    [
        tessera_orgs::PERMISSIONS,
        tessera_access::PERMISSIONS,
        tessera_audit::PERMISSIONS,
        tessera_events::PERMISSIONS,
        tessera_webhooks::PERMISSIONS,
    ]
    .concat()
}

/// Every module's event types.
fn event_catalogue() -> Vec<tessera_kernel::event_types::EventType> {
    [
        tessera_identity::EVENT_TYPES,
        tessera_orgs::EVENT_TYPES,
        tessera_access::EVENT_TYPES,
        tessera_webhooks::EVENT_TYPES,
    ]
    .concat()
}

/// The built modules.
struct Modules {
    identity: Arc<Identity>,
    orgs: Arc<tessera_orgs::Orgs>,
    access: Arc<tessera_access::Access>,
    audit: Arc<tessera_audit::Audit>,
    events: Arc<tessera_events::Events>,
    webhooks: Arc<tessera_webhooks::Webhooks>,
}

/// Sends API keys (`tsk_…`) to the access module, everything else to identity.
struct Credentials {
    identity: IdentityAuthenticator,
    keys: Arc<tessera_access::Access>,
}

#[async_trait::async_trait]
impl Authenticator for Credentials {
    async fn authenticate(&self, credential: &str) -> Result<tessera_kernel::Actor, ApiError> {
        if credential.starts_with(API_KEY_PREFIX) {
            self.keys.authenticate(credential).await
        } else {
            self.identity.authenticate(credential).await
        }
    }
}

/// Mounts the modules that run, the docs, health and metrics, and the middleware.
fn compose(app: AppState, modules: Modules) -> Router {
    let server = &app.config.server;
    let mut api = OpenApiRouter::new();
    let mut root = OpenApiRouter::new();
    if server.runs("identity") {
        let (a, r) = tessera_identity::routes(app.clone(), modules.identity);
        api = api.merge(a);
        root = root.merge(r);
    }
    if server.runs("orgs") {
        api = api.merge(tessera_orgs::routes(app.clone(), modules.orgs));
        root = root.merge(OpenApiRouter::from(tessera_orgs::pages()));
    }
    if server.runs("access") {
        api = api.merge(tessera_access::routes(app.clone(), modules.access));
    }
    if server.runs("audit") {
        api = api.merge(tessera_audit::routes(app.clone(), modules.audit));
    }
    if server.runs("events") {
        api = api.merge(tessera_events::routes(app.clone(), modules.events));
    }
    if server.runs("webhooks") {
        api = api.merge(tessera_webhooks::routes(app.clone(), modules.webhooks));
    }
    let (router, doc) = OpenApiRouter::new().nest("/api/v1", api).merge(root).split_for_parts();
    let doc = openapi::finish(doc);
    let mut router = router
        .merge(SwaggerUi::new("/docs").url("/openapi.json", doc))
        .merge(health::routes(app.clone()))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "no such route") })
        .layer(from_fn_with_state(app.clone(), middleware::global_limit))
        .layer(from_fn_with_state(app.clone(), middleware::client_ip))
        .layer(DefaultBodyLimit::max(server.body_limit))
        .layer(RequestBodyLimitLayer::new(server.body_limit))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            Duration::from_secs(server.request_timeout_secs),
        ));
    if !server.cors_origins.is_empty() {
        let origins = server.cors_origins.iter().filter_map(|o| o.parse().ok()).collect::<Vec<_>>();
        router = router.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods([Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE])
                .allow_headers([
                    header::AUTHORIZATION,
                    header::CONTENT_TYPE,
                    middleware::REQUEST_ID,
                    HeaderName::from_static("x-api-key"),
                ])
                .expose_headers([
                    middleware::REQUEST_ID,
                    header::RETRY_AFTER,
                    HeaderName::from_static("ratelimit-limit"),
                    HeaderName::from_static("ratelimit-remaining"),
                    HeaderName::from_static("ratelimit-reset"),
                ])
                .max_age(Duration::from_secs(600)),
        );
    }
    router
        .layer(from_fn(middleware::security_headers))
        .layer(from_fn(middleware::envelope_errors))
        .layer(CatchPanicLayer::custom(middleware::panic_response))
        .layer(from_fn(middleware::observe))
}

/// Serves until `shutdown` resolves, then drains in-flight requests (at most
/// `server.shutdown_grace_secs`) and stops the background workers.
pub async fn serve(
    app: Tessera,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let workers = app.core.jobs.start(stop_rx.clone());
    let keys = spawn_key_refresh(app.identity.clone(), stop_rx.clone());
    let retention = app.audit.start_retention(stop_rx.clone());
    let hot = [tessera_kernel::vacuum::KERNEL_TABLES, tessera_webhooks::HOT_TABLES].concat();
    let vacuum = tessera_kernel::vacuum::start(
        app.core.db.clone(),
        hot,
        app.core.config.database.vacuum_dead_rows,
        stop_rx.clone(),
    );
    let mut background = app.events.start(stop_rx.clone());
    if app.core.config.server.runs("webhooks") {
        background.extend(app.webhooks.start(stop_rx.clone()));
    }
    let grace = Duration::from_secs(app.core.config.server.shutdown_grace_secs);
    let (drain_tx, mut drain_rx) = watch::channel(false);
    let signal = async move {
        shutdown.await;
        tracing::info!("shutting down: draining in-flight requests");
        let _ = drain_tx.send(true);
    };
    let server = axum::serve(listener, app.router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(signal);
    let server = tokio::spawn(async move { server.await });
    let result = tokio::select! {
        r = server => r.unwrap_or_else(|e| Err(std::io::Error::other(e))),
        _ = async {
            let _ = drain_rx.wait_for(|d| *d).await;
            tokio::time::sleep(grace).await;
        } => {
            tracing::warn!("grace period over; closing remaining connections");
            Ok(())
        }
    };
    let _ = stop_tx.send(true);
    let _ = workers.await;
    let _ = keys.await;
    for task in background {
        let _ = task.await;
    }
    for task in [retention, vacuum].into_iter().flatten() {
        let _ = task.await;
    }
    result
}

/// Picks up keys rotated by another node or by `tessera keys rotate`.
fn spawn_key_refresh(identity: Arc<Identity>, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(30)) => identity.tokens().refresh_if_older(Duration::from_secs(30)).await,
                _ = stop.changed() => break,
            }
        }
    })
}
