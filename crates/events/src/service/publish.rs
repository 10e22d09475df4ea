//! Custom events: `POST /orgs/{orgId}/events` makes tessera a webhook service for
//! the customer's own events. They go through the outbox like every other event;
//! an idempotency key returns the first event for 24 hours instead of a second one.

use serde_json::Value;
use tessera_kernel::clock::rfc3339_string;
use tessera_kernel::db::is_unique_violation;
use tessera_kernel::ids::{EventId, OrgId};
use tessera_kernel::outbox;
use tessera_kernel::{ActorRef, ApiError, ApiResult, FieldError};

use super::Events;
use crate::model::{event_of, pending_event};
use crate::store;
use tessera_kernel::bus::Event;

/// How long an idempotency key returns its first event.
pub const IDEMPOTENCY_MS: i64 = 24 * 3_600_000;

/// A custom event to publish.
pub struct Publish {
    pub event_type: String,
    pub data: Value,
    pub idempotency_key: Option<String>,
}

/// The event, and whether it is the one an earlier call with the same key created.
pub struct Published {
    pub event: Event,
    pub replayed: bool,
}

/// Checks a custom event type: `<noun>.<verb>` in lowercase letters, digits and
/// `_`, dot-separated, and not in a namespace tessera's own events use.
pub fn check_type(event_type: &str, reserved: &[&str]) -> Result<(), FieldError> {
    let bad = |msg: &'static str| Err(FieldError::new("type", "INVALID", msg));
    if event_type.len() > 128 {
        return bad("at most 128 characters");
    }
    let parts: Vec<&str> = event_type.split('.').collect();
    let part_ok = |p: &str| {
        p.chars().next().is_some_and(|c| c.is_ascii_lowercase())
            && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    };
    if parts.len() < 2 || !parts.iter().all(|p| part_ok(p)) {
        return bad("like `invoice.paid`: two or more dot-separated parts of lowercase letters, digits and _");
    }
    if reserved.contains(&parts[0]) {
        return bad("this namespace belongs to tessera's own events (see GET /event-types)");
    }
    Ok(())
}

impl Events {
    /// The first part of every catalogued event type (`user`, `org`, …): customers can't publish under them.
    pub fn reserved_namespaces(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.catalogue().iter().filter_map(|t| t.name.split('.').next()).collect();
        out.extend(["event", "tessera"]);
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Publishes a custom event in `org` as `actor`.
    pub async fn publish(&self, org: OrgId, actor: &ActorRef, req: Publish) -> ApiResult<Published> {
        check_type(&req.event_type, &self.reserved_namespaces()).map_err(|e| ApiError::validation(vec![e]))?;
        if !req.data.is_object() {
            return Err(ApiError::validation(vec![FieldError::new("data", "INVALID", "must be a JSON object")]));
        }
        if req.idempotency_key.as_ref().is_some_and(|k| k.is_empty() || k.len() > 255) {
            let err = FieldError::new("idempotencyKey", "INVALID", "1 to 255 characters");
            return Err(ApiError::validation(vec![err]));
        }
        let actor_json = serde_json::to_value(actor).unwrap_or(Value::Null);
        for _ in 0..3 {
            match self.try_publish(org, &actor_json, &req).await {
                Err(e) if e.is_unique => continue, // a concurrent call with the same key won: answer its event
                Err(e) => return Err(e.err),
                Ok(done) => return Ok(done),
            }
        }
        Err(ApiError::conflict("IDEMPOTENCY_CONFLICT", "concurrent requests with this idempotency key; try again"))
    }

    async fn try_publish(&self, org: OrgId, actor: &Value, req: &Publish) -> Result<Published, TryError> {
        let now = self.core.clock.now_ms();
        let id = EventId::new();
        let Some(key) = &req.idempotency_key else {
            // One row: a statement of its own is as atomic as a transaction, at a third of the round trips.
            outbox::record_as(
                self.core.db.writer(),
                id,
                now,
                &req.event_type,
                Some(org),
                actor.clone(),
                req.data.clone(),
            )
            .await
            .map_err(TryError::db)?;
            self.outbox_written.notify_one();
            return Ok(Published { event: self.published(id, now, org, actor, req), replayed: false });
        };
        let txn = self.core.db.begin_write().await.map_err(TryError::db)?;
        let found = store::idempotency::find(&*txn, org, key).await.map_err(TryError::db)?;
        let expired_key = found.as_ref().is_some_and(|r| now - r.created_at >= IDEMPOTENCY_MS);
        if let Some(row) = found.filter(|r| now - r.created_at < IDEMPOTENCY_MS) {
            drop(txn);
            let event = self.find_anywhere(org, row.event_id).await?.ok_or_else(|| TryError {
                err: ApiError::conflict("IDEMPOTENCY_CONFLICT", "the key's event was deleted by retention"),
                is_unique: false,
            })?;
            return Ok(Published { event, replayed: true });
        }
        outbox::record_as(&*txn, id, now, &req.event_type, Some(org), actor.clone(), req.data.clone())
            .await
            .map_err(TryError::db)?;
        // A key older than 24 h is taken over: delete then insert (portable upsert).
        // Only then: on MySQL, deleting a row that is not there takes a gap lock,
        // and two such deletes before their inserts deadlock. Only if still
        // expired: a concurrent call may have taken it over meanwhile.
        if expired_key {
            store::idempotency::delete_key_from(&*txn, org, key, now - IDEMPOTENCY_MS).await.map_err(TryError::db)?;
        }
        store::idempotency::insert(&*txn, org, key, id, now).await.map_err(TryError::db)?;
        txn.commit().await.map_err(TryError::db)?;
        self.outbox_written.notify_one();
        Ok(Published { event: self.published(id, now, org, actor, req), replayed: false })
    }

    /// The event `req` became, as published.
    fn published(&self, id: EventId, now: i64, org: OrgId, actor: &Value, req: &Publish) -> Event {
        Event {
            id,
            event_type: req.event_type.clone(),
            occurred_at: rfc3339_string(now),
            org_id: Some(org),
            actor: actor.clone(),
            data: req.data.clone(),
            seq: 0,
            occurred_ms: now,
        }
    }

    /// An event of `org`, relayed or still in the outbox.
    pub async fn find_anywhere(&self, org: OrgId, id: EventId) -> Result<Option<Event>, TryError> {
        let conn = &self.core.db.conn;
        // The outbox first: an event the relay moves between the two reads is then
        // found in the log (the other order would miss it).
        let pending = outbox::find(conn, id).await.map_err(TryError::db)?;
        if let Some(r) = pending {
            return Ok((r.org_id == Some(org)).then(|| pending_event(r)));
        }
        let logged = store::log::find(conn, org, id).await.map_err(TryError::db)?;
        Ok(logged.map(event_of))
    }
}

/// A failed attempt: an answer, or a lost race on the idempotency key.
pub struct TryError {
    pub err: ApiError,
    is_unique: bool,
}

impl TryError {
    fn db(e: sea_orm::DbErr) -> Self {
        Self { is_unique: is_unique_violation(&e), err: e.into() }
    }
}

impl From<TryError> for ApiError {
    fn from(e: TryError) -> Self {
        e.err
    }
}

#[cfg(test)]
mod tests {
    use super::check_type;

    #[test]
    fn custom_types_are_dotted_lowercase_outside_reserved_namespaces() {
        let reserved = ["user", "org"];
        assert!(check_type("invoice.paid", &reserved).is_ok());
        assert!(check_type("invoice.line_item.added2", &reserved).is_ok());
        for bad in [
            "invoice",
            "Invoice.paid",
            "invoice..paid",
            ".paid",
            "invoice.paid.",
            "invoice.pa id",
            "user.created",
            "org.x",
            "2fa.done",
        ] {
            assert!(check_type(bad, &reserved).is_err(), "{bad}");
        }
        assert!(check_type(&format!("a.{}", "b".repeat(127)), &reserved).is_err());
    }
}
