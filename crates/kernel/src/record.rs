//! The one path every change is recorded through. A service describes who acts
//! and where ([`ChangeCtx`]) and what changed ([`Change`]: an event and the
//! audit target), and [`CoreParts::record`] writes the event into the outbox and
//! the audit entry through the audit sink, both in the change's own transaction,
//! so they exist exactly when the change does. [`CoreParts::record_all`] records
//! several changes, [`CoreParts::audit_only`] an audited action that publishes
//! no event, and [`CoreParts::publish`] system events that are not audited
//! (delivery outcomes).

use sea_orm::DatabaseTransaction;
use serde::Serialize;
use serde_json::Value;

use crate::actor::{Actor, ActorRef};
use crate::audit::Target;
use crate::error::ApiError;
use crate::ids::OrgId;
use crate::outbox::{self, NewEvent};
use crate::state::CoreParts;

/// Who makes a change and in which organization (`None`: a platform-level change).
#[derive(Clone, Debug)]
pub struct ChangeCtx {
    pub actor: ActorRef,
    pub org: Option<OrgId>,
}

impl ChangeCtx {
    /// A change in an organization.
    pub fn in_org(actor: impl Into<ActorRef>, org: OrgId) -> Self {
        Self { actor: actor.into(), org: Some(org) }
    }

    /// A change outside any organization (accounts, sessions, personal keys).
    pub fn platform(actor: impl Into<ActorRef>) -> Self {
        Self { actor: actor.into(), org: None }
    }

    /// Work tessera does on its own (expiry, retention, delivery health).
    pub fn system(org: Option<OrgId>) -> Self {
        Self { actor: ActorRef::System, org }
    }
}

impl From<&Actor> for ActorRef {
    fn from(actor: &Actor) -> Self {
        actor.as_ref()
    }
}

/// One change: the event it publishes (`<noun>.<past-tense verb>` and payload)
/// and what it changed, for the audit entry.
#[derive(Clone, Debug)]
pub struct Change {
    pub event_type: &'static str,
    pub target: Target,
    pub data: Value,
}

impl Change {
    pub fn new(event_type: &'static str, target: Target, data: impl Serialize) -> Self {
        Self { event_type, target, data: serde_json::to_value(data).unwrap_or(Value::Null) }
    }
}

impl CoreParts {
    /// Records `change` by `ctx` in `txn`, the change's own transaction.
    pub async fn record(&self, txn: &DatabaseTransaction, ctx: &ChangeCtx, change: Change) -> Result<(), ApiError> {
        let entry = change.target.entry(ctx.actor.clone(), change.event_type, ctx.org);
        let event =
            NewEvent { event_type: change.event_type, org_id: ctx.org, actor: ctx.actor.clone(), data: change.data };
        outbox::record(txn, self.clock.now_ms(), event).await?;
        self.audit_sink()?.record(txn, entry).await?;
        Ok(())
    }

    /// Records every one of `changes`, in order, in `txn`.
    pub async fn record_all(
        &self,
        txn: &DatabaseTransaction,
        ctx: &ChangeCtx,
        changes: impl IntoIterator<Item = Change>,
    ) -> Result<(), ApiError> {
        for change in changes {
            self.record(txn, ctx, change).await?;
        }
        Ok(())
    }

    /// Records an audited action that publishes no event (reading a secret,
    /// retrying a delivery, resending an invitation).
    pub async fn audit_only(
        &self,
        txn: &DatabaseTransaction,
        ctx: &ChangeCtx,
        action: &'static str,
        target: Target,
    ) -> Result<(), ApiError> {
        self.audit_sink()?.record(txn, target.entry(ctx.actor.clone(), action, ctx.org)).await?;
        Ok(())
    }

    /// Publishes system events that are facts about tessera's own work rather
    /// than changes someone made (webhook delivery outcomes), in one statement.
    pub async fn publish(&self, txn: &DatabaseTransaction, events: Vec<NewEvent>) -> Result<(), ApiError> {
        outbox::record_many(txn, self.clock.now_ms(), events).await?;
        Ok(())
    }
}
