//! The webhooks service: endpoints, fan-out of events into deliveries, the
//! dispatcher that attempts them, and delivery history.

pub mod cleanup;
pub mod deliveries;
pub mod dispatch;
pub mod endpoints;
pub mod fanout;
pub mod headers;
pub mod pacing;
pub mod record;
pub mod retention;
pub mod send;
pub mod stats;

use std::sync::Arc;
use std::time::Duration;

use moka::sync::Cache;
use tessera_kernel::audit::Target;
use tessera_kernel::ssrf::SsrfGuard;
use tessera_kernel::{ApiError, Change, Core};
use tessera_orgs::api::Orgs;
use tokio::sync::Notify;

use crate::config::WebhooksConfig;
use crate::entity::endpoints as endpoint_rows;
use crate::events::EndpointEvent;
use crate::ids::EndpointId;
use crate::model::patterns_of;

/// The webhooks module.
pub struct Webhooks {
    pub(crate) core: Core,
    pub(crate) cfg: WebhooksConfig,
    pub(crate) guard: SsrfGuard,
    pub(crate) orgs: Arc<Orgs>,
    pub(crate) client: reqwest::Client,
    /// Endpoints as the dispatcher and fan-out last read them (brief; cleared here on change).
    pub(crate) endpoints: Cache<EndpointId, Option<Arc<endpoint_rows::Model>>>,
    /// Wakes the dispatcher when deliveries were added on this node.
    pub(crate) wake: Arc<Notify>,
    pub(crate) node: String,
    /// This node's running dispatcher, which takes new deliveries it can start at once.
    pub(crate) local: std::sync::Mutex<std::sync::Weak<dispatch::Dispatcher>>,
}

impl Webhooks {
    pub(crate) fn new(core: Core, cfg: WebhooksConfig, orgs: Arc<Orgs>) -> Result<Arc<Self>, ApiError> {
        let guard = SsrfGuard::from_entries(core.config.outbound.ssrf_allow.iter()).map_err(ApiError::internal)?;
        let agent = concat!("tessera-webhooks/", env!("CARGO_PKG_VERSION"));
        let client = guard
            .client_builder(Duration::from_secs(cfg.attempt_timeout_secs), agent)
            .pool_max_idle_per_host(cfg.max_in_flight_per_endpoint)
            .build()
            .map_err(ApiError::internal)?;
        let hooks = Arc::new(Self {
            core,
            cfg,
            guard,
            orgs,
            client,
            endpoints: Cache::builder().max_capacity(10_000).time_to_live(Duration::from_secs(2)).build(),
            wake: Arc::new(Notify::new()),
            node: format!("node-{}", uuid::Uuid::now_v7()),
            local: std::sync::Mutex::default(),
        });
        cleanup::register(&hooks);
        Ok(hooks)
    }
}

/// The change `event_type` of the endpoint `row`: its event and audit target.
pub(crate) fn endpoint_change(event_type: &'static str, row: &endpoint_rows::Model, target: Target) -> Change {
    let data = EndpointEvent {
        endpoint_id: row.id,
        url: row.url.clone(),
        name: row.name.clone(),
        events: patterns_of(row),
        is_active: row.is_active,
        disabled_reason: row.disabled_reason,
    };
    Change::new(event_type, target, data)
}

impl Webhooks {
    /// Starts the dispatcher and the recorder; they stop when `stop` turns true.
    pub fn start(self: &Arc<Self>, stop: tokio::sync::watch::Receiver<bool>) -> Vec<tokio::task::JoinHandle<()>> {
        let (tx, rx) = tokio::sync::mpsc::channel(4_096);
        let recorder = record::start(self.clone(), rx, stop.clone());
        let retention = retention::start(self.clone(), stop.clone());
        let dispatcher = dispatch::Dispatcher::start(self.clone(), tx, stop);
        vec![dispatcher, recorder, retention]
    }
}
