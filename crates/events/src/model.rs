//! The event envelope every consumer receives (`tessera_kernel::bus::Event`),
//! read from the numbered log.

use tessera_kernel::bus::Event;
use tessera_kernel::clock::rfc3339_string;

use crate::entity::event_log;

/// A logged event as consumers receive it.
pub(crate) fn event_of(row: event_log::Model) -> Event {
    Event {
        id: row.id,
        event_type: row.event_type,
        occurred_at: rfc3339_string(row.occurred_at),
        org_id: row.org_id,
        actor: row.actor,
        data: row.data,
        seq: row.seq,
        occurred_ms: row.occurred_at,
    }
}
