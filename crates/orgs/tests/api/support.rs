//! Helpers of this suite (organizations, members and invitations come from the
//! test kit's fixtures): reads behind the application's back to check what a
//! response cannot show, the audit log and the recorded events of an organization.

use std::str::FromStr;

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::Value;
use tessera_kernel::ids::OrgId;
use tessera_testkit::{TestApp, TestUser};

/// How many rows of the orgs module's table `E` belong to `org` (read behind the application's back).
pub async fn rows_of<E>(app: &TestApp, org: OrgId) -> u64
where
    E: EntityTrait,
    E::Model: Sync,
{
    let column = E::Column::from_str("org_id").ok().or_else(|| E::Column::from_str("id").ok()).unwrap();
    E::find().filter(column.eq(org)).count(&app.core.db.conn).await.unwrap()
}

/// The actions of an organization's audit log, oldest first, as its owner reads them.
pub async fn audit_actions(owner: &TestUser, org: OrgId) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("/api/v1/orgs/{org}/audit-logs?limit=100&cursor={c}"),
            None => format!("/api/v1/orgs/{org}/audit-logs?limit=100"),
        };
        let res = owner.client.get(&url).await;
        assert_eq!(res.status, 200, "audit log: {}", res.text);
        out.extend(res.data().as_array().unwrap().iter().cloned());
        match res.json["meta"]["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    out.reverse();
    out
}

/// The outbox events of `type` whose data has `orgId` = `org`.
pub async fn events_of(app: &TestApp, event_type: &str, org: OrgId) -> Vec<Value> {
    app.events_of(event_type).await.into_iter().filter(|d| d["orgId"] == org.to_string()).collect()
}
