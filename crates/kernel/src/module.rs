//! The module contract. Every bounded context (identity, orgs, webhooks, …) is
//! one type implementing [`Module`]: its name, embedded configuration, tables,
//! permissions and event types are associated items the compiler asks for, and
//! [`Module::build`] turns its parsed configuration and the services earlier
//! modules provided ([`Wiring`]) into a [`Running`] module: routes with their
//! OpenAPI, and background work started with a stop signal. The server composes
//! a list of them (`tessera::modules()`); adding a module is one line there.

use std::any::{Any, TypeId, type_name};
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::Arc;

use sea_orm_migration::MigrationTrait;
use serde::de::DeserializeOwned;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use utoipa_axum::router::OpenApiRouter;

use crate::actor::Authenticator;
use crate::authz::PermissionInfo;
use crate::config::{ConfigError, Settings};
use crate::error::ApiError;
use crate::event_types::EventType;
use crate::state::{AppState, Core};

/// Turns true when the node shuts down; background work stops then.
pub type Stop = watch::Receiver<bool>;

/// A module's routes: `api` is mounted under `/api/v1`, `root` at the site's root
/// (pages behind e-mailed links, well-known documents).
#[derive(Default)]
pub struct Routes {
    pub api: OpenApiRouter,
    pub root: OpenApiRouter,
}

impl Routes {
    /// Routes under `/api/v1` only.
    pub fn api(api: OpenApiRouter) -> Self {
        Self { api, root: OpenApiRouter::new() }
    }

    /// Adds routes at the site's root.
    pub fn with_root(mut self, root: OpenApiRouter) -> Self {
        self.root = self.root.merge(root);
        self
    }
}

/// A module's `[section]` of the configuration, parsed once at start-up from the
/// layered sources over the module's embedded defaults.
pub trait ModuleConfig: DeserializeOwned + Send + Sync + 'static {
    /// Checks what the types alone cannot; errors name the key.
    fn validate(&self) -> Result<(), ConfigError> {
        Ok(())
    }
}

/// The configuration of a module that has none.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize)]
pub struct NoConfig {}

impl ModuleConfig for NoConfig {}

/// A bounded context as the server composes it.
#[async_trait::async_trait]
pub trait Module: Send + Sync + 'static {
    /// The name `--modules` selects it by, which is also its configuration section.
    const NAME: &'static str;
    /// Its embedded, commented defaults (a TOML `[NAME]` section), or `""`.
    const DEFAULT_CONFIG: &'static str = "";
    /// The permissions it declares and checks.
    const PERMISSIONS: &'static [PermissionInfo] = &[];
    /// The event types it emits.
    const EVENT_TYPES: &'static [EventType] = &[];
    /// Queue tables it turns over quickly (vacuumed by the kernel on PostgreSQL).
    const HOT_TABLES: &'static [&'static str] = &[];
    /// The columns where it keeps values sealed by the keyring, which
    /// `tessera keys rotate-data` re-seals under a new key.
    const SEALED: &'static [crate::reseal::SealedColumn] = &[];
    /// Its parsed configuration section.
    type Config: ModuleConfig;

    /// Its migrations, oldest first.
    fn migrations() -> Vec<Box<dyn MigrationTrait>>;

    /// Builds the module on a migrated database: takes what it needs from earlier
    /// modules out of `wiring`, provides what later ones need, registers its hooks
    /// (personal data, organization cleanup, event subscribers).
    async fn build(config: Self::Config, wiring: &mut Wiring) -> Result<Arc<dyn Running>, ApiError>;
}

/// A built module: what it mounts and starts on a node that runs it.
#[async_trait::async_trait]
pub trait Running: Send + Sync + 'static {
    /// Runs once every module is built, before the node serves (the events
    /// module creates the cursors of the subscribers others registered).
    async fn prepare(self: Arc<Self>) -> Result<(), ApiError> {
        Ok(())
    }

    /// Its routes, with their OpenAPI operations.
    fn routes(self: Arc<Self>, _app: &AppState) -> Routes {
        Routes::default()
    }

    /// Starts its background work, which ends when `stop` turns true.
    fn start(self: Arc<Self>, _stop: &Stop) -> Vec<JoinHandle<()>> {
        Vec::new()
    }
}

/// A built module with nothing to mount or start.
pub struct Passive;

impl Running for Passive {}

/// What a module gives and takes at build time: the core, the services modules
/// built earlier provided (by type), and the authenticators of credentials.
pub struct Wiring {
    pub core: Core,
    module: &'static str,
    runs: bool,
    provided: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
    authenticators: Vec<(&'static str, Arc<dyn Authenticator>)>,
}

impl Wiring {
    pub fn new(core: Core) -> Self {
        Self { core, module: "", runs: false, provided: HashMap::new(), authenticators: Vec::new() }
    }

    /// Notes which module is being built and whether it runs on this node.
    pub fn building(&mut self, module: &'static str, runs: bool) {
        self.module = module;
        self.runs = runs;
    }

    /// Whether the module being built serves routes and runs background work on
    /// this node (`--modules`); every module is built either way, as others ask it questions.
    pub fn runs(&self) -> bool {
        self.runs
    }

    /// Offers `service` to the modules built after this one.
    pub fn provide<T: ?Sized + Send + Sync + 'static>(&mut self, service: Arc<T>) {
        self.provided.insert(TypeId::of::<Arc<T>>(), Arc::new(service));
    }

    /// A service an earlier module provided; a start-up error names what is missing.
    pub fn get<T: ?Sized + Send + Sync + 'static>(&self) -> Result<Arc<T>, ApiError> {
        self.find::<T>().ok_or_else(|| {
            ApiError::internal(format!(
                "module `{}` needs {}, which no module built before it provides (check the order of tessera::modules())",
                self.module,
                type_name::<T>()
            ))
        })
    }

    /// A service an earlier module provided, if one did.
    pub fn find<T: ?Sized + Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.provided.get(&TypeId::of::<Arc<T>>()).and_then(|s| s.downcast_ref::<Arc<T>>()).cloned()
    }

    /// What the modules provided, kept once the build is over.
    pub fn services(&self) -> Services {
        Services(Arc::new(self.provided.clone()))
    }

    /// Authenticates credentials that start with `prefix` (`""`: every other one).
    pub fn authenticate(&mut self, prefix: &'static str, authenticator: Arc<dyn Authenticator>) {
        self.authenticators.push((prefix, authenticator));
    }

    /// The authenticators registered, by prefix.
    pub fn authenticators(&self) -> &[(&'static str, Arc<dyn Authenticator>)] {
        &self.authenticators
    }
}

/// The services modules provided while being built (their `api` handles), for
/// operators' commands and the test kit, which reach modules the way other
/// modules do. A cheap handle.
#[derive(Clone, Default)]
pub struct Services(Arc<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>);

impl Services {
    /// The service of type `T`, if a module provided one.
    pub fn get<T: ?Sized + Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.0.get(&TypeId::of::<Arc<T>>()).and_then(|s| s.downcast_ref::<Arc<T>>()).cloned()
    }
}

/// A [`Module`] seen through an object-safe lens, so the server can hold a list.
#[async_trait::async_trait]
pub trait AnyModule: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    fn default_config(&self) -> &'static str;
    fn permissions(&self) -> &'static [PermissionInfo];
    fn event_types(&self) -> &'static [EventType];
    fn hot_tables(&self) -> &'static [&'static str];
    fn sealed(&self) -> &'static [crate::reseal::SealedColumn];
    fn migrations(&self) -> Vec<Box<dyn MigrationTrait>>;
    /// Parses and checks the module's section; errors name the key.
    fn configure(&self, settings: &Settings) -> Result<Box<dyn Any + Send>, ConfigError>;
    /// Builds the module from what [`AnyModule::configure`] returned.
    async fn build(&self, config: Box<dyn Any + Send>, wiring: &mut Wiring) -> Result<Arc<dyn Running>, ApiError>;
}

struct Entry<M>(PhantomData<fn() -> M>);

#[async_trait::async_trait]
impl<M: Module> AnyModule for Entry<M> {
    fn name(&self) -> &'static str {
        M::NAME
    }
    fn default_config(&self) -> &'static str {
        M::DEFAULT_CONFIG
    }
    fn permissions(&self) -> &'static [PermissionInfo] {
        M::PERMISSIONS
    }
    fn event_types(&self) -> &'static [EventType] {
        M::EVENT_TYPES
    }
    fn hot_tables(&self) -> &'static [&'static str] {
        M::HOT_TABLES
    }
    fn sealed(&self) -> &'static [crate::reseal::SealedColumn] {
        M::SEALED
    }
    fn migrations(&self) -> Vec<Box<dyn MigrationTrait>> {
        M::migrations()
    }
    fn configure(&self, settings: &Settings) -> Result<Box<dyn Any + Send>, ConfigError> {
        Ok(Box::new(config_of::<M>(settings)?))
    }
    async fn build(&self, config: Box<dyn Any + Send>, wiring: &mut Wiring) -> Result<Arc<dyn Running>, ApiError> {
        let config = config
            .downcast::<M::Config>()
            .map_err(|_| ApiError::internal(format!("module {}: configuration of another type", M::NAME)))?;
        M::build(*config, wiring).await
    }
}

/// `M`'s section of `settings`, parsed and checked (errors name the key).
pub fn config_of<M: Module>(settings: &Settings) -> Result<M::Config, ConfigError> {
    let config: M::Config = if M::DEFAULT_CONFIG.is_empty() {
        serde_json::from_value(serde_json::json!({}))
            .map_err(|e| ConfigError(format!("module {} has no configuration section: {e}", M::NAME)))?
    } else {
        settings.section(M::NAME)?
    };
    config.validate()?;
    Ok(config)
}

/// `M` as an entry of the server's module list.
pub fn module<M: Module>() -> Box<dyn AnyModule> {
    Box::new(Entry::<M>(PhantomData))
}

/// The modules a binary composes, as a tuple type in build order:
/// `type Modules = (IdentityModule, OrgsModule, …);`, so adding a module is one
/// line and the list is known to the type system (the migrator is built from it).
pub trait ModuleList: Send + Sync + 'static {
    /// The list, in build order.
    fn modules() -> Vec<Box<dyn AnyModule>>;
}

macro_rules! module_list {
    ($($m:ident),+) => {
        impl<$($m: Module),+> ModuleList for ($($m,)+) {
            fn modules() -> Vec<Box<dyn AnyModule>> {
                vec![$(module::<$m>()),+]
            }
        }
    };
}

module_list!(A);
module_list!(A, B);
module_list!(A, B, C);
module_list!(A, B, C, D);
module_list!(A, B, C, D, E);
module_list!(A, B, C, D, E, F);
module_list!(A, B, C, D, E, F, G);
module_list!(A, B, C, D, E, F, G, H);
module_list!(A, B, C, D, E, F, G, H, I);
module_list!(A, B, C, D, E, F, G, H, I, J);
module_list!(A, B, C, D, E, F, G, H, I, J, K);
module_list!(A, B, C, D, E, F, G, H, I, J, K, L);
module_list!(A, B, C, D, E, F, G, H, I, J, K, L, M);
module_list!(A, B, C, D, E, F, G, H, I, J, K, L, M, N);
module_list!(A, B, C, D, E, F, G, H, I, J, K, L, M, N, O);
module_list!(A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P);
module_list!(A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q);
module_list!(A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R);
module_list!(A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R, S);
module_list!(A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R, S, T);
module_list!(A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R, S, T, U);
module_list!(A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R, S, T, U, V);
module_list!(A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R, S, T, U, V, W);
module_list!(A, B, C, D, E, F, G, H, I, J, K, L, M, N, O, P, Q, R, S, T, U, V, W, X);

/// Every migration of the kernel and of the modules of `L`, in order.
pub struct Migrator<L>(PhantomData<fn() -> L>);

impl<L: ModuleList> sea_orm_migration::MigratorTrait for Migrator<L> {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = crate::migration::migrations();
        for m in L::modules() {
            all.extend(m.migrations());
        }
        all
    }
}
