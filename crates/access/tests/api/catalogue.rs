//! `GET /permissions` and the built-in roles of `GET /orgs/{orgId}/roles`.

use tessera_testkit::{assert_error, spawn_app};

use crate::support::strings;

const ORGS: &[&str] = &[
    "org:update",
    "org:delete",
    "members:read",
    "members:invite",
    "members:manage",
    "teams:read",
    "teams:create",
    "teams:manage",
];
const ACCESS: &[&str] = &["roles:manage", "grants:manage", "api_keys:manage", "authz:check"];
const AUDIT: &[&str] = &["audit:read", "audit:export"];
const EVENTS: &[&str] = &["events:read", "events:publish"];
const WEBHOOKS: &[&str] = &["webhooks:read", "webhooks:manage"];

#[tokio::test]
async fn the_catalogue_lists_every_modules_permissions_with_their_module() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;

    let res = user.client.get("/api/v1/permissions").await;

    assert_eq!(res.status, 200, "{}", res.text);
    let list = res.data().as_array().unwrap();
    let modules = [("orgs", ORGS), ("access", ACCESS), ("audit", AUDIT), ("events", EVENTS), ("webhooks", WEBHOOKS)];
    assert_eq!(list.len(), modules.iter().map(|(_, k)| k.len()).sum::<usize>(), "{}", res.text);
    for (module, keys) in modules {
        for key in keys {
            let entry = list.iter().find(|p| p["key"] == *key).unwrap_or_else(|| panic!("{key} missing"));
            assert_eq!(entry["module"], module, "{entry}");
            assert!(!entry["description"].as_str().unwrap().is_empty(), "{entry}");
        }
    }
}

#[tokio::test]
async fn the_catalogue_needs_a_signed_in_caller() {
    let app = spawn_app().await;

    let res = app.anonymous().get("/api/v1/permissions").await;

    assert_error(&res, 401, "UNAUTHORIZED");
}

#[tokio::test]
async fn built_in_roles_carry_their_documented_permissions() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;

    let res = owner.client.get(&format!("/api/v1/orgs/{org}/roles")).await;

    assert_eq!(res.status, 200, "{}", res.text);
    let roles = res.data().as_array().unwrap();
    let names: Vec<&str> = roles.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(names, ["owner", "admin", "member", "viewer"]);
    let perms = |name: &str| strings(&roles.iter().find(|r| r["id"] == name).unwrap()["permissions"]);
    let mut all: Vec<String> =
        [ORGS, ACCESS, AUDIT, EVENTS, WEBHOOKS].concat().iter().map(|s| (*s).to_owned()).collect();
    all.sort();
    assert_eq!(perms("owner"), all);
    let admin: Vec<String> = all.iter().filter(|p| *p != "org:delete").cloned().collect();
    assert_eq!(perms("admin"), admin);
    assert_eq!(perms("member"), ["members:read", "teams:create", "teams:read"]);
    assert_eq!(perms("viewer"), ["members:read", "teams:read"]);
    assert!(roles.iter().all(|r| r["builtIn"] == true && r["description"].is_string()));
}

#[tokio::test]
async fn one_built_in_role_is_read_by_its_name() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;

    let res = owner.client.get(&format!("/api/v1/orgs/{org}/roles/viewer")).await;

    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.data()["name"], "viewer");
    assert_eq!(strings(&res.data()["permissions"]), ["members:read", "teams:read"]);
}
