//! What the module's own tests (and those of modules following the log, such
//! as webhooks) reach inside it for (feature `testing`, never in a build that
//! serves): the log and cursor tables, a relay to drive by hand, the log's head
//! and retention on demand.

pub use crate::entity::{event_cursors, event_log};
pub use crate::relay::Relay;
pub use crate::service::Events;
pub use crate::service::retention::apply as apply_retention;
pub use crate::store::head::get as head;

use std::sync::Arc;

use sea_orm::EntityTrait;
use tessera_kernel::Core;
use tessera_kernel::bus::{Event, Subscriber};

use crate::config::EventsConfig;

/// Starts another node of the events module on `core`'s database, running only
/// `subscribers` (its own relay, no watchers), until `stop` turns true.
pub fn start_node(
    core: &Core,
    config: EventsConfig,
    subscribers: Vec<Arc<dyn Subscriber>>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    Events::new(core.clone(), config).start_with(subscribers, Vec::new(), stop)
}

/// Every event recorded, relayed or still in the outbox, oldest first.
pub async fn recorded(core: &Core) -> Result<Vec<Event>, sea_orm::DbErr> {
    // The outbox first: an event the relay moves meanwhile is then found in the log.
    let pending = tessera_kernel::outbox::oldest(&core.db.conn, i64::MAX.unsigned_abs()).await?;
    let logged = event_log::Entity::find().all(&core.db.conn).await?;
    let mut all: Vec<Event> = pending.into_iter().map(crate::model::pending_event).collect();
    for row in logged {
        if !all.iter().any(|e| e.id == row.id) {
            all.push(crate::model::event_of(row));
        }
    }
    all.sort_by_key(|e| e.id.as_uuid());
    Ok(all)
}
