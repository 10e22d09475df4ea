//! What the system withdraws on its own is recorded like any other change: the
//! grants of a member who leaves or is removed, and an erased account's personal
//! keys and grants, each with its event and an audit entry whose actor is the system.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use tessera_kernel::ids::{OrgId, TeamId};
use tessera_testkit::{TestUser, spawn_app};

use crate::support::{audit_entries, personal_key};

/// Grants `permission` on `team` to `subject` as `owner`; returns the grant's id.
async fn grant(
    owner: &TestUser,
    org: OrgId,
    subject: impl std::fmt::Display,
    permission: &str,
    team: TeamId,
) -> String {
    let body =
        json!({ "subject": subject.to_string(), "permission": permission, "resourceType": "team", "resourceId": team });
    let res = owner.client.post(&format!("/api/v1/orgs/{org}/grants"), &body).await;
    assert_eq!(res.status, 201, "grant: {}", res.text);
    res.data()["id"].as_str().unwrap().to_owned()
}

fn ids(entries: &[Value]) -> BTreeSet<String> {
    entries.iter().map(|e| e["target"]["id"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn grants_withdrawn_when_members_leave_or_are_removed_are_each_audited() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let removed = app.join_new(&owner, org, "viewer").await;
    let leaving = app.join_new(&owner, org, "member").await;
    let team = app.create_team(&owner, org, "Core").await;
    let of_removed = [
        grant(&owner, org, removed.id, "teams:manage", team).await,
        grant(&owner, org, removed.id, "teams:read", team).await,
    ];
    let of_leaving = grant(&owner, org, leaving.id, "teams:manage", team).await;
    // A grant to the leaving member's personal key goes with them too.
    let key = personal_key(&leaving, json!({ "name": "laptop" })).await;
    let of_key = grant(&owner, org, key.id, "teams:read", team).await;

    let res = owner.client.delete(&format!("/api/v1/orgs/{org}/members/{}", removed.id)).await;
    assert_eq!(res.status, 204, "{}", res.text);
    let res = leaving.client.post_empty(&format!("/api/v1/orgs/{org}/leave")).await;
    assert_eq!(res.status, 200, "{}", res.text);

    let entries = audit_entries(&owner, org, "grant.deleted").await;
    let expected: BTreeSet<String> = of_removed.iter().chain([&of_leaving, &of_key]).cloned().collect();
    assert_eq!(ids(&entries), expected, "one entry per withdrawn grant: {entries:?}");
    for e in &entries {
        assert_eq!(e["actor"]["type"], "system", "{e}");
        assert_eq!(e["target"]["type"], "grant");
        let subject = e["changes"]["before"]["subjectId"].as_str().unwrap();
        let whose = match e["target"]["id"].as_str().unwrap() {
            id if id == of_leaving => leaving.id.to_string(),
            id if id == of_key => key.id.to_string(),
            _ => removed.id.to_string(),
        };
        assert_eq!(subject, whose, "{e}");
        assert_eq!(e["changes"]["after"], Value::Null);
    }
    let events: BTreeSet<String> =
        app.events_of("grant.deleted").await.iter().map(|d| d["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(events, expected, "and one grant.deleted event each");
    let grants = owner.client.get(&format!("/api/v1/orgs/{org}/grants")).await;
    assert_eq!(grants.json["meta"]["total"], 0, "{}", grants.text);
    let v = owner.client.get(&format!("/api/v1/orgs/{org}/audit-logs/verify")).await;
    assert_eq!(v.data()["valid"], true, "{}", v.text);
}

#[tokio::test]
async fn an_erased_accounts_key_revocations_and_withdrawn_grants_are_audited() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let team = app.create_team(&owner, org, "Core").await;
    let leaving = app.join_new(&owner, org, "viewer").await;
    let key = personal_key(&leaving, json!({ "name": "laptop" })).await;
    let to_user = grant(&owner, org, leaving.id, "teams:manage", team).await;
    let to_key = grant(&owner, org, key.id, "teams:manage", team).await;
    let admin = app.admin().await;

    let res = leaving.client.delete("/api/v1/users/me").await;

    assert_eq!(res.status, 204, "{}", res.text);
    let entries = audit_entries(&owner, org, "grant.deleted").await;
    assert_eq!(ids(&entries), BTreeSet::from([to_user, to_key]), "{entries:?}");
    assert!(entries.iter().all(|e| e["actor"]["type"] == "system"), "{entries:?}");
    // A personal key belongs to no organization: its revocation is in the platform log.
    let res = admin.client.get("/api/v1/audit-logs?orgId=platform&action=api_key.revoked").await;
    assert_eq!(res.status, 200, "{}", res.text);
    let revoked = res.data().as_array().unwrap();
    assert_eq!(revoked.len(), 1, "{revoked:?}");
    assert_eq!(revoked[0]["target"], json!({ "type": "api_key", "id": key.id }));
    assert_eq!(revoked[0]["actor"]["type"], "system");
    assert_eq!(revoked[0]["changes"]["after"]["revoked"], true);
    assert_eq!(app.events_of("api_key.revoked").await.len(), 1);
    for chain in [org.to_string(), "platform".to_owned()] {
        let v = admin.client.get(&format!("/api/v1/audit-logs/verify?chain={chain}")).await;
        assert_eq!(v.data()["valid"], true, "{chain}: {}", v.text);
    }
}
