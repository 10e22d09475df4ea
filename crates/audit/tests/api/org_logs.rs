//! An organization's own audit log over HTTP: who may read, export and verify it,
//! pages and filters over entries that real changes wrote, and bad queries.

use reqwest::Method;
use serde_json::{Value, json};
use tessera_testkit::spawn_app;

use crate::support::{all_pages, entries, parse_csv, send_as};

#[tokio::test]
async fn only_members_holding_audit_permissions_read_export_and_verify_the_log() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Guarded").await.id;
    let admin = app.join_new(&owner, org, "admin").await;
    let member = app.join_new(&owner, org, "member").await;
    let viewer = app.join_new(&owner, org, "viewer").await;
    let outsider = app.signed_up_user().await;
    let paths = [
        format!("/api/v1/orgs/{org}/audit-logs"),
        format!("/api/v1/orgs/{org}/audit-logs/export"),
        format!("/api/v1/orgs/{org}/audit-logs/verify"),
    ];

    for path in &paths {
        for (who, client) in [("owner", &owner.client), ("admin", &admin.client)] {
            assert_eq!(client.get(path).await.status, 200, "{who} {path}");
        }
        for (who, client) in [("member", &member.client), ("viewer", &viewer.client)] {
            let res = client.get(path).await;
            assert_eq!(res.status, 403, "{who} {path}: {}", res.text);
            assert_eq!(res.error_code(), "FORBIDDEN");
        }
        let res = outsider.client.get(path).await;
        assert_eq!(res.status, 404, "a non-member learns nothing: {path}: {}", res.text);
        assert_eq!(res.error_code(), "NOT_FOUND");
        assert_eq!(app.anonymous().get(path).await.status, 401, "{path}");
        let unknown = path.replace(&org.to_string(), &uuid::Uuid::now_v7().to_string());
        assert_eq!(owner.client.get(&unknown).await.status, 404, "{unknown}");
    }
}

#[tokio::test]
async fn an_api_key_reads_the_log_only_with_audit_read() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Keys").await.id;
    let key = |perms: Value| {
        let client = owner.client.clone();
        async move {
            let res = client
                .post(&format!("/api/v1/orgs/{org}/api-keys"), &json!({ "name": "k", "permissions": perms }))
                .await;
            assert_eq!(res.status, 201, "{}", res.text);
            res.data()["secret"].as_str().unwrap().to_owned()
        }
    };
    let reader = app.with_token(&key(json!(["audit:read"])).await);
    let other = app.with_token(&key(json!(["teams:read"])).await);

    let res = reader.get(&format!("/api/v1/orgs/{org}/audit-logs")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert!(res.data().as_array().unwrap().iter().any(|e| e["action"] == "org.created"));
    assert_eq!(other.get(&format!("/api/v1/orgs/{org}/audit-logs")).await.status, 403);
    assert_eq!(
        reader.get(&format!("/api/v1/orgs/{org}/audit-logs/export")).await.status,
        403,
        "export needs audit:export"
    );
    let elsewhere = app.create_org(&app.signed_up_user().await, "Elsewhere").await.id;
    assert_eq!(reader.get(&format!("/api/v1/orgs/{elsewhere}/audit-logs")).await.status, 404);
}

#[tokio::test]
async fn the_owner_pages_and_filters_what_real_changes_wrote() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Busy").await.id;
    let member = app.join_new(&owner, org, "member").await;
    let mut teams = Vec::new();
    for i in 0..7 {
        teams.push(app.create_team(&owner, org, &format!("Team {i}")).await);
    }
    let before_member = app.clock.now();
    app.clock.advance(time::Duration::minutes(2));
    let members_team = app.create_team(&member, org, "Member's").await;
    let base = format!("/api/v1/orgs/{org}/audit-logs");

    let all = all_pages(&owner.client, &base, 3).await;

    let seqs: Vec<i64> = all.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, (1..=all.len() as i64).rev().collect::<Vec<_>>(), "every entry once, newest first");
    let actions = |list: &[Value]| list.iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    let created = all_pages(&owner.client, &format!("{base}?action=team.created"), 2).await;
    assert_eq!(created.len(), 8);
    let by_member = entries(&owner.client, &format!("{base}?actor={}", member.id)).await;
    assert_eq!(actions(&by_member), ["team.member_added", "team.created", "member.added", "invitation.accepted"]);
    let target = entries(&owner.client, &format!("{base}?targetType=team&targetId={}", teams[3])).await;
    assert_eq!(actions(&target), ["team.created"]);
    let team_family = entries(&owner.client, &format!("{base}?action=team.*&limit=200")).await;
    assert_eq!(team_family.len(), 16, "a created team and its first seat, eight times");
    let cut =
        (before_member + time::Duration::minutes(1)).format(&time::format_description::well_known::Rfc3339).unwrap();
    let since = entries(&owner.client, &format!("{base}?from={cut}")).await;
    assert_eq!(actions(&since), ["team.member_added", "team.created"]);
    assert!(
        since
            .iter()
            .all(|e| e["target"]["id"] == members_team.to_string() || e["actor"]["id"] == member.id.to_string())
    );
    let until = entries(&owner.client, &format!("{base}?to={cut}&limit=200")).await;
    assert_eq!(until.len() + since.len(), all.len(), "from and to split the log at the same instant");
    let other = app.create_org(&owner, "Quiet").await.id;
    let quiet = entries(&owner.client, &format!("/api/v1/orgs/{other}/audit-logs?limit=200")).await;
    assert!(quiet.iter().all(|e| e["orgId"] == other.to_string()), "one organization's log holds only its entries");
}

#[tokio::test]
async fn bad_queries_on_an_organizations_log_get_an_error_envelope_never_a_500() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Strict").await.id;
    let long = "x".repeat(5_000);
    for (path, field) in [
        ("audit-logs?cursor=garbage", "cursor"),
        ("audit-logs?cursor=bm90LWEtY3Vyc29y", "cursor"),
        ("audit-logs?cursor=MTIzNDUuMDE5YTAwMDAtMDAwMC03MDAwLTgwMDAtMDAwMDAwMDAwMDAw%00", "cursor"),
        (&format!("audit-logs?cursor={long}"), "cursor"),
        ("audit-logs?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "to"),
        ("audit-logs?from=2026-13-45T99:00:00Z", "from"),
        ("audit-logs?to=1700000000", "to"),
        ("audit-logs?limit=-1", "limit"),
        ("audit-logs?limit=abc", "limit"),
        ("audit-logs?actor=someone", "actor"),
        ("audit-logs?action=DROP%20TABLE", "action"),
        (&format!("audit-logs?targetId={long}"), "targetId"),
        ("audit-logs?orgId=platform", "orgId"),
        ("audit-logs?unknown=1", "unknown"),
        ("audit-logs/export?format=pdf", "format"),
        ("audit-logs/export?from=nope", "from"),
        ("audit-logs/export?cursor=abc", "cursor"),
    ] {
        let res = owner.client.get(&format!("/api/v1/orgs/{org}/{path}")).await;
        assert!(matches!(res.status, 400 | 422), "{path}: {} {}", res.status, res.text);
        let code = res.error_code().to_owned();
        assert!(!code.is_empty() && code != "INTERNAL", "{path}: {}", res.text);
        let details = res.json["error"]["details"].to_string();
        assert!(details.contains(field), "{path}: the error names {field}: {}", res.text);
    }
    for path in ["/api/v1/orgs/not-an-id/audit-logs", "/api/v1/orgs/not-an-id/audit-logs/verify"] {
        let res = owner.client.get(path).await;
        assert!(matches!(res.status, 400 | 404 | 422), "{path}: {} {}", res.status, res.text);
        res.error_code();
    }
}

#[tokio::test]
async fn an_organizations_export_streams_its_entries_as_json_lines_and_defused_csv() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Exported").await.id;
    let admin = app.join_new(&owner, org, "admin").await;
    let agent = "=cmd|' /C calc'!A0, \"quoted\"";
    let req = admin.client.request(Method::POST, &format!("/api/v1/orgs/{org}/teams"));
    let res = send_as(&admin.client, agent, req.json(&json!({ "name": "@SUM(1+1), \"the\" team" }))).await;
    assert_eq!(res.status, 201, "{}", res.text);
    let listed = all_pages(&owner.client, &format!("/api/v1/orgs/{org}/audit-logs"), 200).await;

    let res = admin.client.get(&format!("/api/v1/orgs/{org}/audit-logs/export")).await;

    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.header("content-type"), Some("application/x-ndjson"));
    assert_eq!(res.header("content-length"), None, "streamed, not buffered");
    let lines: Vec<Value> = res.text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let mut ids: Vec<&str> = listed.iter().map(|e| e["id"].as_str().unwrap()).collect();
    ids.reverse();
    assert_eq!(lines.iter().map(|e| e["id"].as_str().unwrap()).collect::<Vec<_>>(), ids, "oldest first, all of them");
    assert_eq!(lines, listed.into_iter().rev().collect::<Vec<_>>(), "each line as the listing shows it");

    let res = admin.client.get(&format!("/api/v1/orgs/{org}/audit-logs/export?format=csv&action=team.created")).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(res.header("content-disposition").unwrap().contains(&format!("audit-{org}.csv")));
    let rows = parse_csv(&res.text);
    assert_eq!(rows.len(), 2, "{}", res.text);
    let col = |name: &str| rows[0].iter().position(|h| h == name).unwrap();
    assert_eq!(rows[1][col("userAgent")], format!("'{agent}"), "a cell starting with = is defused");
    assert_eq!(rows[1][col("actorId")], admin.id.to_string());
    assert_eq!(rows[1][col("ip")], "127.0.0.1");
    let changes: Value = serde_json::from_str(&rows[1][col("changes")]).unwrap();
    assert_eq!(changes["after"]["name"], "@SUM(1+1), \"the\" team");
}
