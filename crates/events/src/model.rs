//! The event envelope every consumer receives (`tessera_kernel::bus::Event`),
//! read from the numbered log (or, before it is relayed, from the outbox).

use tessera_kernel::bus::Event;
use tessera_kernel::clock::rfc3339_string;
use tessera_kernel::outbox::Pending;

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

/// An event still in the outbox, as it will be received (without its number yet).
pub(crate) fn pending_event(row: Pending) -> Event {
    Event {
        id: row.id,
        event_type: row.event_type,
        occurred_at: rfc3339_string(row.occurred_at),
        org_id: row.org_id,
        actor: row.actor,
        data: row.data,
        seq: 0,
        occurred_ms: row.occurred_at,
    }
}
