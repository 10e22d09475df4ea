//! tessera's server: builds the shared core and every module, composes their
//! routers under `/api/v1` with the kernel's middleware, the OpenAPI document and
//! the docs UI, and runs the HTTP server and background workers.

pub mod health;
pub mod middleware;
pub mod openapi;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, Method, StatusCode, header};
use axum::middleware::{from_fn, from_fn_with_state};
use std::sync::OnceLock;

use tessera_kernel::actor::Authenticator;
use tessera_kernel::clock::Clock;
use tessera_kernel::config::{ConfigError, KernelConfig, Settings};
use tessera_kernel::crypto::Keyring;
use tessera_kernel::db::Db;
use tessera_kernel::jobs::Jobs;
use tessera_kernel::mail::Mailer;
pub use tessera_kernel::module::Migrator;
use tessera_kernel::module::{AnyModule, ModuleList, Running, Services, Wiring};
use tessera_kernel::redis::Redis;
use tessera_kernel::{ApiError, AppState, Core, CoreParts};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa_axum::router::OpenApiRouter;

/// The embedded default configuration of the kernel and of every module of `L`.
pub fn default_configs<L: ModuleList>() -> Vec<&'static str> {
    let mut all = vec![tessera_kernel::config::DEFAULT_CONFIG];
    all.extend(L::modules().iter().map(|m| m.default_config()).filter(|c| !c.is_empty()));
    all
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

/// A built module, and whether it serves and works on this node.
struct Mounted {
    name: &'static str,
    runs: bool,
    hot_tables: &'static [&'static str],
    running: Arc<dyn Running>,
}

/// A built application, ready to serve.
pub struct Tessera {
    pub core: Core,
    pub router: Router,
    modules: Vec<Mounted>,
    /// What the modules provided (their `api` handles), as other modules get them:
    /// for operators' commands and the test kit.
    pub services: Services,
}

impl Tessera {
    /// A service a module provided.
    pub fn service<T: ?Sized + Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.services.get::<T>()
    }

    /// The names of the composed modules, in build order, and whether each runs here.
    pub fn modules(&self) -> Vec<(&'static str, bool)> {
        self.modules.iter().map(|m| (m.name, m.runs)).collect()
    }
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

/// Builds everything: configuration of every module (checked before anything
/// else), database (migrated), keys, jobs, mail, then the modules of `L` in
/// order, each taking what earlier ones provided, and the router.
pub async fn build<L: ModuleList>(settings: Settings, clock: Clock) -> Result<Tessera, StartError> {
    let list = L::modules();
    let (config, db) = connect(&settings).await?;
    check_selection(&config.server.modules, &list)?;
    health::prometheus(); // record from the first request on
    let configs = list.iter().map(|m| m.configure(&settings)).collect::<Result<Vec<_>, _>>()?;
    db.migrate::<Migrator<L>>().await?;
    let keyring = Keyring::load_or_create(&config.data.dir).map_err(|e| StartError::Other(e.to_string()))?;
    let jobs = Jobs::new(db.clone(), clock.clone(), config.jobs.clone());
    let mailer = Arc::new(Mailer::new(&config.mail, &config.data).map_err(|e| StartError::Other(e.to_string()))?);
    mailer.register(&jobs);
    let redis = shared_limits(&config).await?;
    let core = Core::new(CoreParts {
        db,
        config: Arc::new(config),
        settings,
        clock,
        jobs,
        mailer,
        limiter: tessera_kernel::ratelimit::limiter(redis.clone()),
        redis,
        keyring: Arc::new(keyring),
        audit: OnceLock::new(),
        authz: OnceLock::new(),
        personal: Arc::default(),
        org_cleanup: Arc::default(),
        bus: Arc::default(),
        permissions: Arc::new(list.iter().flat_map(|m| m.permissions().iter().copied()).collect()),
        event_types: Arc::new(list.iter().flat_map(|m| m.event_types().iter().copied()).collect()),
    });
    // Every module is built (they answer each other's questions); only those
    // that run on this node mount their routes and start their work.
    let mut wiring = Wiring::new(core.clone());
    let mut modules = Vec::with_capacity(list.len());
    for (module, config) in list.iter().zip(configs) {
        let runs = core.config.server.runs(module.name());
        wiring.building(module.name(), runs);
        let running = module.build(config, &mut wiring).await?;
        modules.push(Mounted { name: module.name(), runs, hot_tables: module.hot_tables(), running });
    }
    core.audit_sink()?;
    let authz = core.authorizer()?.clone();
    let auth = Arc::new(Credentials(wiring.authenticators().to_vec()));
    for m in &modules {
        m.running.clone().prepare().await?;
    }
    let app = AppState::new(core.clone(), auth, authz);
    let router = compose(app, &modules);
    Ok(Tessera { core, router, modules, services: wiring.services() })
}

/// The Redis that limits are shared through, when `redis.url` is set. One that
/// does not answer at start does not stop start-up: limits stay per node until
/// it does (see `[redis]` in the kernel's default configuration).
async fn shared_limits(config: &KernelConfig) -> Result<Option<Arc<Redis>>, StartError> {
    let redis = Redis::open(&config.redis).map_err(|e| StartError::Config(ConfigError(e)))?;
    if let Some(redis) = &redis {
        match redis.ping().await {
            Ok(()) => tracing::info!("rate limits and sign-in strikes are shared through redis"),
            Err(error) => tracing::warn!(%error, "redis unreachable at start; limits stay per node until it answers"),
        }
    }
    Ok(redis)
}

/// Refuses a `server.modules` entry that names no composed module.
fn check_selection(selected: &[String], list: &[Box<dyn AnyModule>]) -> Result<(), StartError> {
    for name in selected {
        if name != "all" && !list.iter().any(|m| m.name() == name) {
            let known: Vec<&str> = list.iter().map(|m| m.name()).collect();
            let message = format!("no module is called {name} (the modules are: all, {})", known.join(", "));
            return Err(ConfigError::key("server.modules", message).into());
        }
    }
    Ok(())
}

/// Sends each credential to the authenticator of its prefix (`tsk_…` to the
/// access module), the rest to the one registered without a prefix (identity).
struct Credentials(Vec<(&'static str, Arc<dyn Authenticator>)>);

#[async_trait::async_trait]
impl Authenticator for Credentials {
    async fn authenticate(&self, credential: &str) -> Result<tessera_kernel::Actor, ApiError> {
        let by_prefix = self.0.iter().find(|(p, _)| !p.is_empty() && credential.starts_with(p));
        match by_prefix.or_else(|| self.0.iter().find(|(p, _)| p.is_empty())) {
            Some((_, auth)) => auth.authenticate(credential).await,
            None => Err(ApiError::unauthorized("no module authenticates this credential")),
        }
    }
}

/// Mounts the modules that run, the docs, health and metrics, and the middleware.
fn compose(app: AppState, modules: &[Mounted]) -> Router {
    let server = &app.config.server;
    let mut api = OpenApiRouter::new();
    let mut root = OpenApiRouter::new();
    for m in modules.iter().filter(|m| m.runs) {
        let routes = m.running.clone().routes(&app);
        api = api.merge(routes.api);
        root = root.merge(routes.root);
    }
    let (router, doc) = OpenApiRouter::new().nest("/api/v1", api).merge(root).split_for_parts();
    let mut router = router
        .merge(openapi::routes(openapi::finish(doc)))
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
    let mut hot = tessera_kernel::vacuum::KERNEL_TABLES.to_vec();
    hot.extend(app.modules.iter().flat_map(|m| m.hot_tables.iter().copied()));
    let vacuum = tessera_kernel::vacuum::start(
        app.core.db.clone(),
        hot,
        app.core.config.database.vacuum_dead_rows,
        stop_rx.clone(),
    );
    let mut background = Vec::new();
    for m in app.modules.iter().filter(|m| m.runs) {
        background.extend(m.running.clone().start(&stop_rx));
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
    for task in background.into_iter().chain(vacuum) {
        let _ = task.await;
    }
    result
}
