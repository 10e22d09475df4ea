//! Endpoints: create (the secret is shown once), list, read, change, delete,
//! rotate the secret (the old one keeps signing for a grace period). Secrets and
//! custom header values are sealed under the data key at rest.

use std::collections::BTreeMap;

use super::endpoint_change;
use serde_json::{Value, json};
use tessera_kernel::audit::Target;
use tessera_kernel::ids::OrgId;
use tessera_kernel::{Actor, ChangeCtx, PageReq};
use tessera_kernel::{ActorRef, ApiError, ApiResult};

use super::Webhooks;
use crate::entity::endpoints;
use crate::events;
use crate::ids::EndpointId;
use crate::model::{DisabledReason, EndpointOut, Signing, patterns_of};
use crate::signing::SigningSecret;
use crate::store;

pub(crate) const SEAL_PURPOSE: &str = "webhook-secret";

/// A new endpoint, checked.
pub struct NewEndpoint {
    pub url: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub events: Vec<String>,
    pub integration_id: Option<String>,
    pub headers: BTreeMap<String, String>,
    pub rate_limit_per_second: Option<i32>,
    pub metadata: Value,
    pub is_active: bool,
    pub signing: Signing,
}

/// Changes to an endpoint, checked; `None` leaves a field as it is.
#[derive(Default)]
pub struct EndpointPatch {
    pub url: Option<String>,
    pub name: Option<Option<String>>,
    pub description: Option<Option<String>>,
    pub events: Option<Vec<String>>,
    pub integration_id: Option<Option<String>>,
    /// `[redacted]` as a value keeps that header's current value.
    pub headers: Option<BTreeMap<String, String>>,
    pub rate_limit_per_second: Option<Option<i32>>,
    pub metadata: Option<Value>,
    pub is_active: Option<bool>,
}

impl Webhooks {
    /// The signing secrets of `row` in force at `now`: the current one first.
    pub(crate) fn secrets(&self, row: &endpoints::Model, now: i64) -> Vec<SigningSecret> {
        let mut out = Vec::with_capacity(2);
        let open = |sealed: &str| {
            let plain = self.core.keyring.open(SEAL_PURPOSE, sealed).ok()?;
            SigningSecret::parse(std::str::from_utf8(&plain).ok()?).ok()
        };
        out.extend(open(&row.secret_sealed));
        if let (Some(prev), Some(until)) = (&row.previous_secret_sealed, row.previous_secret_until)
            && until > now
        {
            out.extend(open(prev));
        }
        out
    }

    pub(crate) fn view(&self, row: &endpoints::Model, secret: Option<String>) -> EndpointOut {
        let public = if row.signing == Signing::Ed25519 {
            self.secrets(row, i64::MAX).first().and_then(SigningSecret::public_key_string)
        } else {
            None
        };
        EndpointOut::new(row, self.shown_headers(row), public, secret)
    }

    fn seal(&self, secret: &SigningSecret) -> String {
        self.core.keyring.seal(SEAL_PURPOSE, secret.to_secret_string().as_bytes())
    }

    pub async fn create_endpoint(&self, actor: &Actor, org: OrgId, new: NewEndpoint) -> ApiResult<EndpointOut> {
        self.check_target(&new.url).await?;
        let secret = new_secret(new.signing);
        let now = self.core.clock.now_ms();
        let row = endpoints::Model {
            id: EndpointId::new(),
            org_id: org,
            url: new.url,
            name: new.name,
            description: new.description,
            event_types: json!(new.events),
            integration_id: new.integration_id,
            headers: self.seal_headers(&new.headers),
            rate_limit_per_second: new.rate_limit_per_second,
            metadata: new.metadata,
            is_active: new.is_active,
            disabled_reason: (!new.is_active).then_some(DisabledReason::Manual),
            signing: new.signing,
            secret_sealed: self.seal(&secret),
            previous_secret_sealed: None,
            previous_secret_until: None,
            failing_since: None,
            last_success_at: None,
            last_triggered_at: None,
            created_by: Some(actor.as_ref().id_string()),
            created_at: now,
            updated_at: now,
        };
        let txn = self.core.db.begin_write().await?;
        store::endpoints::insert(&*txn, row.clone()).await?;
        let target = Target::new("webhook_endpoint", row.id).diff(Value::Null, self.audit_view(&row));
        self.core
            .record(
                &txn,
                &ChangeCtx::in_org(actor.as_ref(), row.org_id),
                endpoint_change(events::ENDPOINT_CREATED, &row, target),
            )
            .await?;
        txn.commit().await?;
        Ok(self.view(&row, Some(secret.to_secret_string().to_string())))
    }

    /// What the audit log keeps of an endpoint (no secrets, no header values).
    fn audit_view(&self, row: &endpoints::Model) -> Value {
        let header_names: Vec<&String> = row.headers.as_object().map(|h| h.keys().collect()).unwrap_or_default();
        json!({
            "url": row.url, "name": row.name, "description": row.description, "events": patterns_of(row),
            "integrationId": row.integration_id, "headers": header_names,
            "rateLimitPerSecond": row.rate_limit_per_second, "isActive": row.is_active,
        })
    }

    /// Refuses a URL the SSRF guard refuses, resolving its host now (it is
    /// checked again on every attempt). A host that does not resolve yet is accepted.
    pub(crate) async fn check_target(&self, url: &str) -> ApiResult<()> {
        use tessera_kernel::ssrf::SsrfError;
        let parsed = self.guard.check_url(url).map_err(|e| ApiError::validation(vec![e.field_error("url")]))?;
        let host = parsed.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']').to_owned();
        let port = parsed.port_or_known_default().unwrap_or(443);
        match self.guard.resolve(&host, port).await {
            Ok(_) | Err(SsrfError::Unresolved { .. }) => Ok(()),
            Err(e) => Err(ApiError::validation(vec![e.field_error("url")])),
        }
    }

    pub async fn list_endpoints(&self, org: OrgId, page: PageReq) -> ApiResult<(Vec<EndpointOut>, u64)> {
        let (rows, total) = store::endpoints::page(&self.core.db.conn, org, page).await?;
        Ok((rows.iter().map(|r| self.view(r, None)).collect(), total))
    }

    /// The endpoint `id` of `org`, or 404.
    pub async fn endpoint(&self, org: OrgId, id: EndpointId) -> ApiResult<endpoints::Model> {
        find_endpoint(&self.core.db.conn, org, id).await
    }

    pub async fn update_endpoint(
        &self,
        actor: &Actor,
        org: OrgId,
        id: EndpointId,
        patch: EndpointPatch,
    ) -> ApiResult<EndpointOut> {
        if let Some(url) = &patch.url {
            self.check_target(url).await?;
        }
        let txn = self.core.db.begin_write().await?;
        let before = find_endpoint(&*txn, org, id).await?;
        let mut row = before.clone();
        if let Some(v) = patch.url {
            row.url = v;
        }
        if let Some(v) = patch.name {
            row.name = v;
        }
        if let Some(v) = patch.description {
            row.description = v;
        }
        if let Some(v) = patch.events {
            row.event_types = json!(v);
        }
        if let Some(v) = patch.integration_id {
            row.integration_id = v;
        }
        if let Some(v) = patch.headers {
            row.headers = self.changed_headers(&before, v);
        }
        if let Some(v) = patch.rate_limit_per_second {
            row.rate_limit_per_second = v;
        }
        if let Some(v) = patch.metadata {
            row.metadata = v;
        }
        if let Some(active) = patch.is_active {
            if active && !row.is_active {
                // Turned back on: failures before now no longer count toward disabling it.
                row.failing_since = None;
            }
            row.is_active = active;
            row.disabled_reason = if active { None } else { row.disabled_reason.or(Some(DisabledReason::Manual)) };
        }
        row.updated_at = self.core.clock.now_ms();
        // Only what a change may touch: the recorder keeps the health columns current meanwhile.
        use endpoints::Column as C;
        let mut changed = vec![
            C::Url,
            C::Name,
            C::Description,
            C::EventTypes,
            C::IntegrationId,
            C::Headers,
            C::RateLimitPerSecond,
            C::Metadata,
            C::IsActive,
            C::DisabledReason,
            C::UpdatedAt,
        ];
        if row.failing_since != before.failing_since {
            changed.push(C::FailingSince);
        }
        store::endpoints::write_columns(&*txn, &row, &changed).await?;
        let target = Target::new("webhook_endpoint", row.id).diff(self.audit_view(&before), self.audit_view(&row));
        self.core
            .record(
                &txn,
                &ChangeCtx::in_org(actor.as_ref(), row.org_id),
                endpoint_change(events::ENDPOINT_UPDATED, &row, target),
            )
            .await?;
        txn.commit().await?;
        self.endpoints.invalidate(&id);
        Ok(self.view(&row, None))
    }

    /// Deletes the endpoint with its deliveries and attempts.
    pub async fn delete_endpoint(&self, actor: &Actor, org: OrgId, id: EndpointId) -> ApiResult<()> {
        let txn = self.core.db.begin_write().await?;
        let row = find_endpoint(&*txn, org, id).await?;
        store::attempts::delete_of_endpoints(&*txn, vec![id]).await?;
        store::deliveries::delete_of_endpoint(&*txn, id).await?;
        store::endpoints::delete(&*txn, id).await?;
        let target = Target::new("webhook_endpoint", id).diff(self.audit_view(&row), Value::Null);
        self.core
            .record(
                &txn,
                &ChangeCtx::in_org(actor.as_ref(), row.org_id),
                endpoint_change(events::ENDPOINT_DELETED, &row, target),
            )
            .await?;
        txn.commit().await?;
        self.endpoints.invalidate(&id);
        Ok(())
    }

    /// A new secret; the old one signs too for `grace_hours` (0: stops at once).
    pub async fn rotate_secret(
        &self,
        actor: &Actor,
        org: OrgId,
        id: EndpointId,
        grace_hours: u32,
    ) -> ApiResult<EndpointOut> {
        let txn = self.core.db.begin_write().await?;
        let mut row = find_endpoint(&*txn, org, id).await?;
        let now = self.core.clock.now_ms();
        let secret = new_secret(row.signing);
        row.previous_secret_sealed = (grace_hours > 0).then(|| row.secret_sealed.clone());
        row.previous_secret_until = (grace_hours > 0).then(|| now + i64::from(grace_hours) * 3_600_000);
        row.secret_sealed = self.seal(&secret);
        row.updated_at = now;
        use endpoints::Column as C;
        let changed = [C::PreviousSecretSealed, C::PreviousSecretUntil, C::SecretSealed, C::UpdatedAt];
        store::endpoints::write_columns(&*txn, &row, &changed).await?;
        let target = Target::new("webhook_endpoint", row.id);
        self.core
            .record(
                &txn,
                &ChangeCtx::in_org(actor.as_ref(), row.org_id),
                endpoint_change(events::SECRET_ROTATED, &row, target),
            )
            .await?;
        txn.commit().await?;
        self.endpoints.invalidate(&id);
        Ok(self.view(&row, Some(secret.to_secret_string().to_string())))
    }

    /// Active endpoints of `org` (fan-out).
    pub(crate) async fn active_endpoints(&self, org: OrgId) -> ApiResult<Vec<endpoints::Model>> {
        Ok(store::endpoints::active(&self.core.db.conn, org).await?)
    }

    /// The endpoint by id, from this node's brief cache.
    pub(crate) async fn cached_endpoint(&self, id: EndpointId) -> ApiResult<Option<std::sync::Arc<endpoints::Model>>> {
        if let Some(hit) = self.endpoints.get(&id) {
            return Ok(hit);
        }
        let row = store::endpoints::by_id(&self.core.db.conn, id).await?.map(std::sync::Arc::new);
        self.endpoints.insert(id, row.clone());
        Ok(row)
    }
}

/// A fresh secret of the `signing` scheme.
fn new_secret(signing: Signing) -> SigningSecret {
    match signing {
        Signing::Hmac => SigningSecret::generate_hmac(),
        Signing::Ed25519 => SigningSecret::generate_ed25519(),
    }
}

/// The id an actor is recorded by.
trait IdString {
    fn id_string(&self) -> String;
}

impl IdString for ActorRef {
    fn id_string(&self) -> String {
        match self {
            ActorRef::User { id } => id.to_string(),
            ActorRef::ApiKey { id, .. } => id.to_string(),
            ActorRef::System => "system".to_owned(),
        }
    }
}

/// The endpoint `id` of `org` read through `db`, or 404 `WEBHOOK_NOT_FOUND` (seed 001's code).
async fn find_endpoint(db: &impl sea_orm::ConnectionTrait, org: OrgId, id: EndpointId) -> ApiResult<endpoints::Model> {
    store::endpoints::find(db, org, id)
        .await?
        .ok_or_else(|| ApiError::not_found_as("WEBHOOK_NOT_FOUND", "webhook endpoint"))
}
