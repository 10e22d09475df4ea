//! `/orgs`: create (the creator owns it), list mine with my role, read, change,
//! delete with everything in it.

use serde_json::json;
use tessera_kernel::ids::OrgId;
use tessera_orgs::testing::{invitations, members, team_members, teams};
use tessera_testkit::{assert_error, spawn_app};

use crate::support::{events_of, rows_of};

#[tokio::test]
async fn the_creator_owns_a_new_organization_with_a_derived_slug() {
    let app = spawn_app().await;
    let alice = app.signed_up_user().await;

    let res = alice.client.post("/api/v1/orgs", &json!({ "name": "Acme, Inc." })).await;

    assert_eq!(res.status, 201, "{}", res.text);
    let org = res.data();
    assert_eq!(org["name"], "Acme, Inc.");
    assert_eq!(org["slug"], "acme-inc");
    assert_eq!(org["role"], "owner");
    assert_eq!(org["settings"], json!({}));
    assert_eq!(org["metadata"], json!({}));
    let id: OrgId = org["id"].as_str().unwrap().parse().unwrap();
    let members = alice.client.get(&format!("/api/v1/orgs/{id}/members")).await;
    assert_eq!(members.data()[0]["userId"], alice.id.to_string());
    assert_eq!(members.data()[0]["role"], "owner");
    assert_eq!(events_of(&app, "org.created", id).await.len(), 1);
    assert_eq!(events_of(&app, "member.added", id).await[0]["userId"], alice.id.to_string());
}

#[tokio::test]
async fn derived_slugs_get_a_suffix_and_chosen_slugs_must_be_free() {
    let app = spawn_app().await;
    let alice = app.signed_up_user().await;
    let bob = app.signed_up_user().await;

    assert_eq!(app.create_org(&alice, "Acme").await.slug, "acme");
    assert_eq!(app.create_org(&bob, "ACME").await.slug, "acme-2");
    assert_eq!(app.create_org(&bob, "acme!").await.slug, "acme-3");

    let taken = bob.client.post("/api/v1/orgs", &json!({ "name": "Other", "slug": "acme" })).await;
    assert_error(&taken, 409, "SLUG_TAKEN");
    let chosen = bob.client.post("/api/v1/orgs", &json!({ "name": "Other", "slug": "other-co" })).await;
    assert_eq!(chosen.status, 201);
    assert_eq!(chosen.data()["slug"], "other-co");
    for bad in ["ab", "Upper", "under_score", "with space"] {
        let res = bob.client.post("/api/v1/orgs", &json!({ "name": "X", "slug": bad })).await;
        assert_error(&res, 422, "VALIDATION_FAILED");
        assert_eq!(res.json["error"]["details"]["fields"][0]["field"], "slug", "{bad}");
    }
    for bad in [json!(""), json!("   "), json!("a".repeat(201))] {
        let res = bob.client.post("/api/v1/orgs", &json!({ "name": bad })).await;
        assert_error(&res, 422, "VALIDATION_FAILED");
    }
}

#[tokio::test]
async fn each_user_lists_only_their_organizations_with_their_role() {
    let app = spawn_app().await;
    let alice = app.signed_up_user().await;
    let bob = app.signed_up_user().await;
    let a1 = app.create_org(&alice, "Alpha").await.id;
    let a2 = app.create_org(&alice, "Beta").await.id;
    let b1 = app.create_org(&bob, "Bravo").await.id;
    let member = app.join_new(&alice, a2, "member").await;

    let mine = alice.client.get("/api/v1/orgs").await;
    assert_eq!(mine.status, 200);
    let ids: Vec<&str> = mine.data().as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [a1.to_string(), a2.to_string()]);
    assert_eq!(mine.json["meta"]["total"], 2);
    assert!(mine.data().as_array().unwrap().iter().all(|o| o["role"] == "owner"));

    let theirs = member.client.get("/api/v1/orgs").await;
    assert_eq!(theirs.data().as_array().unwrap().len(), 1);
    assert_eq!(theirs.data()[0]["id"], a2.to_string());
    assert_eq!(theirs.data()[0]["role"], "member");

    let paged = alice.client.get("/api/v1/orgs?limit=1&page=2").await;
    assert_eq!(paged.data().as_array().unwrap().len(), 1);
    assert_eq!(paged.data()[0]["id"], a2.to_string());
    assert_eq!(paged.json["meta"], json!({ "page": 2, "limit": 1, "total": 2 }));

    let bobs = bob.client.get("/api/v1/orgs").await;
    assert_eq!(bobs.data().as_array().unwrap().len(), 1);
    assert_eq!(bobs.data()[0]["id"], b1.to_string());
    assert_eq!(app.anonymous().get("/api/v1/orgs").await.status, 401);
}

#[tokio::test]
async fn an_owner_changes_name_slug_settings_and_metadata() {
    let app = spawn_app().await;
    let alice = app.signed_up_user().await;
    let id = app.create_org(&alice, "Acme").await.id;
    app.create_org(&alice, "Taken Slug").await;
    let path = format!("/api/v1/orgs/{id}");

    let res = alice
        .client
        .patch(
            &path,
            &json!({ "name": "Acme Corp", "slug": "acme-corp", "settings": { "theme": "dark", "seats": 5 },
                     "metadata": { "crm": { "id": "c-1" } } }),
        )
        .await;

    assert_eq!(res.status, 200, "{}", res.text);
    let org = res.data();
    assert_eq!(org["name"], "Acme Corp");
    assert_eq!(org["slug"], "acme-corp");
    assert_eq!(org["settings"], json!({ "theme": "dark", "seats": 5 }));
    assert_eq!(org["metadata"], json!({ "crm": { "id": "c-1" } }));
    assert_eq!(org["role"], "owner");
    let read = alice.client.get(&path).await;
    assert_eq!(read.data()["settings"], json!({ "theme": "dark", "seats": 5 }));
    assert_eq!(read.data()["metadata"], json!({ "crm": { "id": "c-1" } }));
    let updated = events_of(&app, "org.updated", id).await;
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0]["changed"], json!(["name", "slug", "settings", "metadata"]));

    // Nothing changes: no event.
    let same = alice.client.patch(&path, &json!({ "name": "Acme Corp" })).await;
    assert_eq!(same.status, 200);
    assert_eq!(events_of(&app, "org.updated", id).await.len(), 1);

    assert_error(&alice.client.patch(&path, &json!({ "slug": "taken-slug" })).await, 409, "SLUG_TAKEN");
    for bad in [
        json!({ "settings": [1, 2] }),
        json!({ "metadata": "text" }),
        json!({ "settings": { "x": "y".repeat(17_000) } }),
    ] {
        let res = alice.client.patch(&path, &bad).await;
        assert_error(&res, 422, "VALIDATION_FAILED");
    }
    assert_eq!(alice.client.get(&path).await.data()["slug"], "acme-corp");
}

#[tokio::test]
async fn members_read_but_only_admins_change_and_only_owners_delete() {
    let app = spawn_app().await;
    let alice = app.signed_up_user().await;
    let id = app.create_org(&alice, "Acme").await.id;
    let admin = app.join_new(&alice, id, "admin").await;
    let member = app.join_new(&alice, id, "member").await;
    let viewer = app.join_new(&alice, id, "viewer").await;
    let path = format!("/api/v1/orgs/{id}");

    for (user, role) in [(&admin, "admin"), (&member, "member"), (&viewer, "viewer")] {
        let res = user.client.get(&path).await;
        assert_eq!(res.status, 200);
        assert_eq!(res.data()["role"], role);
    }
    for user in [&member, &viewer] {
        assert_error(&user.client.patch(&path, &json!({ "name": "Mine" })).await, 403, "FORBIDDEN");
        assert_error(&user.client.delete(&path).await, 403, "FORBIDDEN");
    }
    assert_eq!(admin.client.patch(&path, &json!({ "name": "Renamed" })).await.status, 200);
    assert_error(&admin.client.delete(&path).await, 403, "FORBIDDEN");
    assert_eq!(alice.client.get(&path).await.data()["name"], "Renamed");
}

#[tokio::test]
async fn deleting_an_organization_removes_everything_in_it() {
    let app = spawn_app().await;
    let alice = app.signed_up_user().await;
    let id = app.create_org(&alice, "Doomed").await.id;
    let other = app.create_org(&alice, "Kept").await.id;
    let member = app.join_new(&alice, id, "member").await;
    let team_id = app.create_team(&alice, id, "Core").await;
    let seat =
        alice.client.post(&format!("/api/v1/orgs/{id}/teams/{team_id}/members"), &json!({ "userId": member.id })).await;
    assert_eq!(seat.status, 201, "{}", seat.text);
    let inv = alice
        .client
        .post(&format!("/api/v1/orgs/{id}/invitations"), &json!({ "email": "later@example.test", "role": "viewer" }))
        .await;
    assert_eq!(inv.status, 201);
    let key = alice
        .client
        .post(&format!("/api/v1/orgs/{id}/api-keys"), &json!({ "name": "ci", "permissions": ["members:read"] }))
        .await;
    assert_eq!(key.status, 201, "{}", key.text);
    let secret = key.data()["secret"].as_str().unwrap().to_owned();
    assert_eq!(app.with_token(&secret).get(&format!("/api/v1/orgs/{id}/members")).await.status, 200);

    let res = alice.client.delete(&format!("/api/v1/orgs/{id}")).await;

    assert_eq!(res.status, 204, "{}", res.text);
    assert_error(&alice.client.get(&format!("/api/v1/orgs/{id}")).await, 404, "NOT_FOUND");
    assert_error(&member.client.get(&format!("/api/v1/orgs/{id}")).await, 404, "NOT_FOUND");
    assert_eq!(app.with_token(&secret).get(&format!("/api/v1/orgs/{id}/members")).await.status, 401);
    assert_eq!(rows_of::<members::Entity>(&app, id).await, 0);
    assert_eq!(rows_of::<teams::Entity>(&app, id).await, 0);
    assert_eq!(rows_of::<team_members::Entity>(&app, id).await, 0);
    assert_eq!(rows_of::<invitations::Entity>(&app, id).await, 0);
    assert_eq!(rows_of::<members::Entity>(&app, other).await, 1);
    let deleted = events_of(&app, "org.deleted", id).await;
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0]["name"], "Doomed");
    let mine = alice.client.get("/api/v1/orgs").await;
    assert_eq!(mine.data().as_array().unwrap().len(), 1);
    assert!(member.client.get("/api/v1/orgs").await.data().as_array().unwrap().is_empty());
}

#[tokio::test]
async fn another_organizations_owner_sees_nothing() {
    let app = spawn_app().await;
    let alice = app.signed_up_user().await;
    let mallory = app.signed_up_user().await;
    let id = app.create_org(&alice, "Acme").await.id;
    app.create_org(&mallory, "Evil").await;
    let path = format!("/api/v1/orgs/{id}");

    let get = mallory.client.get(&path).await;
    let patch = mallory.client.patch(&path, &json!({ "name": "Pwned" })).await;
    let delete = mallory.client.delete(&path).await;
    let unknown = mallory.client.get(&format!("/api/v1/orgs/{}", uuid::Uuid::now_v7())).await;

    for res in [&get, &patch, &delete] {
        assert_error(res, 404, "NOT_FOUND");
        assert_eq!(res.json["error"]["message"], unknown.json["error"]["message"], "no sign the org exists");
    }
    assert_eq!(alice.client.get(&path).await.data()["name"], "Acme");
}

#[tokio::test]
async fn an_organizations_key_sees_only_its_organization_and_acts_within_its_permissions() {
    let app = spawn_app().await;
    let alice = app.signed_up_user().await;
    let id = app.create_org(&alice, "Acme").await.id;
    app.create_org(&alice, "Other").await;
    let res = alice
        .client
        .post(
            &format!("/api/v1/orgs/{id}/api-keys"),
            &json!({ "name": "ci", "permissions": ["members:read", "org:update"] }),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text);
    let key = app.with_token(res.data()["secret"].as_str().unwrap());

    let mine = key.get("/api/v1/orgs").await;
    assert_eq!(mine.status, 200, "{}", mine.text);
    assert_eq!(mine.data().as_array().unwrap().len(), 1);
    assert_eq!(mine.data()[0]["id"], id.to_string());
    assert_eq!(mine.data()[0]["role"], serde_json::Value::Null, "a key holds no role");
    assert_eq!(key.get(&format!("/api/v1/orgs/{id}/members")).await.status, 200);
    assert_eq!(key.patch(&format!("/api/v1/orgs/{id}"), &json!({ "metadata": { "by": "ci" } })).await.status, 200);
    let invite = key
        .post(&format!("/api/v1/orgs/{id}/invitations"), &json!({ "email": "k@example.test", "role": "viewer" }))
        .await;
    assert_error(&invite, 403, "FORBIDDEN");
    assert_error(&key.post("/api/v1/orgs", &json!({ "name": "Keyed" })).await, 403, "FORBIDDEN");
    assert_error(&key.post_empty(&format!("/api/v1/orgs/{id}/leave")).await, 403, "FORBIDDEN");
    let transfer = key.post(&format!("/api/v1/orgs/{id}/transfer-ownership"), &json!({ "userId": alice.id })).await;
    assert_error(&transfer, 403, "FORBIDDEN");
    assert_eq!(alice.client.get(&format!("/api/v1/orgs/{id}")).await.data()["role"], "owner");
    let updated = events_of(&app, "org.updated", id).await;
    assert_eq!(updated.len(), 1);
}
