//! Endpoint input checks and the shapes the API answers with.

use std::collections::BTreeMap;

use sea_orm::sea_query::StringLen;
use sea_orm::{ActiveEnum, DeriveActiveEnum, EnumIter};
use serde::Serialize;
use serde_json::Value;
use tessera_kernel::FieldError;
use tessera_kernel::clock::rfc3339_string;
use tessera_kernel::ids::OrgId;
use utoipa::ToSchema;

use crate::entity::endpoints;
use crate::ids::EndpointId;

/// Where a delivery stands; stored and answered as `PENDING`, `RETRYING`, `DELIVERED`, `FAILED`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, ToSchema)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeliveryStatus {
    /// Queued for its first attempt (or queued again by hand).
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// Failed, with another attempt due.
    #[sea_orm(string_value = "RETRYING")]
    Retrying,
    #[sea_orm(string_value = "DELIVERED")]
    Delivered,
    /// Failed for good.
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

impl DeliveryStatus {
    /// Waiting for an attempt.
    pub fn is_queued(self) -> bool {
        matches!(self, Self::Pending | Self::Retrying)
    }

    /// A status as a query names it, in any case.
    pub fn parse(field: &'static str, raw: &str) -> Result<Self, FieldError> {
        Self::try_from_value(&raw.to_ascii_uppercase())
            .map_err(|_| FieldError::new(field, "INVALID", "PENDING, RETRYING, DELIVERED or FAILED"))
    }
}

/// How an endpoint's messages are signed: `hmac` (`v1`) or `ed25519` (`v1a`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, ToSchema)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
#[serde(rename_all = "lowercase")]
pub enum Signing {
    #[sea_orm(string_value = "hmac")]
    Hmac,
    #[sea_orm(string_value = "ed25519")]
    Ed25519,
}

impl Signing {
    /// The scheme a request names; none: `hmac`.
    pub fn parse(field: &'static str, raw: Option<&str>) -> Result<Self, FieldError> {
        match raw {
            None => Ok(Self::Hmac),
            Some(raw) => {
                Self::try_from_value(&raw.to_owned()).map_err(|_| FieldError::new(field, "INVALID", "hmac or ed25519"))
            }
        }
    }
}

/// Why an endpoint is off: `manual` (a person or key turned it off), `gone` (it
/// answered 410) or `failing` (no success for `disable_after_days`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, ToSchema)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
#[serde(rename_all = "lowercase")]
pub enum DisabledReason {
    #[sea_orm(string_value = "manual")]
    Manual,
    #[sea_orm(string_value = "gone")]
    Gone,
    #[sea_orm(string_value = "failing")]
    Failing,
}

/// Headers an endpoint cannot set: the signature's, and those the transport owns.
const RESERVED_HEADERS: &[&str] =
    &["content-type", "content-length", "host", "user-agent", "connection", "transfer-encoding", "te", "upgrade"];

/// Checks the event selection: 1..=100 exact names, `prefix.*` or `*`.
pub fn parse_events(raw: &[String]) -> Result<Vec<String>, FieldError> {
    let bad = |m: &str| FieldError::new("events", "INVALID", m.to_owned());
    if raw.is_empty() || raw.len() > 100 {
        return Err(bad("list 1 to 100 event types"));
    }
    let mut out = Vec::with_capacity(raw.len());
    for p in raw {
        let p = p.trim();
        let name = p.strip_suffix(".*").unwrap_or(p);
        let part_ok =
            |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        let ok =
            p == "*" || (p.len() <= 128 && name.split('.').all(part_ok) && (name.contains('.') || p.ends_with(".*")));
        if !ok {
            return Err(bad("each must be an event type (member.added), a prefix (member.*) or *"));
        }
        if !out.iter().any(|o: &String| o == p) {
            out.push(p.to_owned());
        }
    }
    Ok(out)
}

/// Checks custom headers: at most 20, token names outside the reserved ones, short values.
pub fn parse_headers(raw: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>, FieldError> {
    let bad = |m: String| FieldError::new("headers", "INVALID", m);
    if raw.len() > 20 {
        return Err(bad("at most 20 headers".into()));
    }
    let mut out = BTreeMap::new();
    for (name, value) in raw {
        let lower = name.to_ascii_lowercase();
        if axum::http::HeaderName::from_bytes(lower.as_bytes()).is_err() || lower.is_empty() {
            return Err(bad(format!("`{name}` is not a header name")));
        }
        if RESERVED_HEADERS.contains(&lower.as_str()) || lower.starts_with("webhook-") {
            return Err(bad(format!("`{name}` is set by tessera")));
        }
        if value.len() > 1024 || axum::http::HeaderValue::from_str(value).is_err() {
            return Err(bad(format!("the value of `{name}` must be printable and at most 1024 bytes")));
        }
        out.insert(lower, value.clone());
    }
    Ok(out)
}

/// Checks free-form metadata: a JSON object of at most 8 KB.
pub fn parse_metadata(raw: &Value) -> Result<Value, FieldError> {
    if !raw.is_object() || raw.to_string().len() > 8_192 {
        return Err(FieldError::new("metadata", "INVALID", "must be a JSON object of at most 8 KB"));
    }
    Ok(raw.clone())
}

/// Does the endpoint selecting `patterns` want `event_type`? Outcome events
/// (`webhook.delivered`, `webhook.failed`) only by exact name.
pub fn wants(patterns: &[String], event_type: &str) -> bool {
    if crate::events::OUTCOMES.contains(&event_type) {
        return patterns.iter().any(|p| p == event_type);
    }
    patterns.iter().any(|p| tessera_kernel::bus::matches(p, event_type))
}

/// The event patterns stored with an endpoint.
pub fn patterns_of(row: &endpoints::Model) -> Vec<String> {
    serde_json::from_value(row.event_types.clone()).unwrap_or_default()
}

/// A webhook endpoint.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EndpointOut {
    pub id: EndpointId,
    pub org_id: OrgId,
    pub url: String,
    /// A short label.
    pub name: Option<String>,
    pub description: Option<String>,
    /// Exact event types, prefixes (`user.*`) or `*`.
    pub events: Vec<String>,
    pub integration_id: Option<String>,
    /// Sent with every request. Credentials (`authorization`, `cookie`, names with
    /// `auth`, `token`, `key`, `secret`, …) show as `[redacted]`; sending that back
    /// in a change keeps the value.
    #[schema(value_type = Object)]
    pub headers: Value,
    pub rate_limit_per_second: Option<i32>,
    #[schema(value_type = Object)]
    pub metadata: Value,
    pub is_active: bool,
    /// `manual`, `gone` (it answered 410) or `failing` (no success for days).
    pub disabled_reason: Option<DisabledReason>,
    /// `hmac` (`v1`) or `ed25519` (`v1a`).
    pub signing: Signing,
    /// For Ed25519 endpoints: the `whpk_` key receivers verify with.
    pub public_key: Option<String>,
    /// The signing secret: shown on creation and rotation only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Until when the previous secret signs too (after a rotation).
    pub previous_secret_until: Option<String>,
    pub failing_since: Option<String>,
    pub last_success_at: Option<String>,
    /// The last attempt, whatever its result.
    pub last_triggered_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

impl EndpointOut {
    /// `row` with its `headers` as shown.
    pub fn new(row: &endpoints::Model, headers: Value, public_key: Option<String>, secret: Option<String>) -> Self {
        Self {
            id: row.id,
            org_id: row.org_id,
            url: row.url.clone(),
            name: row.name.clone(),
            description: row.description.clone(),
            events: patterns_of(row),
            integration_id: row.integration_id.clone(),
            headers,
            rate_limit_per_second: row.rate_limit_per_second,
            metadata: row.metadata.clone(),
            is_active: row.is_active,
            disabled_reason: row.disabled_reason,
            signing: row.signing,
            public_key,
            secret,
            previous_secret_until: row.previous_secret_until.map(rfc3339_string),
            failing_since: row.failing_since.map(rfc3339_string),
            last_success_at: row.last_success_at.map(rfc3339_string),
            last_triggered_at: row.last_triggered_at.map(rfc3339_string),
            created_at: rfc3339_string(row.created_at),
            updated_at: rfc3339_string(row.updated_at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| (*x).to_owned()).collect()
    }

    #[test]
    fn event_selections_are_checked() {
        assert_eq!(
            parse_events(&s(&["user.*", "member.added", "*", "member.added"])).ok(),
            Some(s(&["user.*", "member.added", "*"]))
        );
        for bad in [&[][..], &["User.created"], &["user"], &["user.**"], &["a..b"], &[""]] {
            assert!(parse_events(&s(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn outcome_events_need_their_exact_name() {
        assert!(!wants(&s(&["*"]), "webhook.delivered"));
        assert!(!wants(&s(&["webhook.*"]), "webhook.failed"));
        assert!(wants(&s(&["webhook.failed"]), "webhook.failed"));
        assert!(wants(&s(&["webhook.*"]), "webhook.endpoint_disabled"));
        assert!(wants(&s(&["*"]), "invoice.paid"));
    }

    #[test]
    fn reserved_and_malformed_headers_are_refused() {
        let h = |k: &str, v: &str| BTreeMap::from([(k.to_owned(), v.to_owned())]);
        assert!(parse_headers(&h("X-Token", "abc")).is_ok());
        assert!(parse_headers(&h("webhook-signature", "x")).is_err());
        assert!(parse_headers(&h("Content-Type", "x")).is_err());
        assert!(parse_headers(&h("bad header", "x")).is_err());
        assert!(parse_headers(&h("x-a", "line\nbreak")).is_err());
    }
}
