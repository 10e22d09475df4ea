use serde_json::json;
use tessera_testkit::{assert_error, spawn_app};

#[tokio::test]
async fn administrators_list_users_with_filters_search_sort_and_pages() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for (name, email) in
        [("Zoe Zed", "zoe@example.test"), ("Adam Apple", "adam@example.test"), ("Bea Banana", "bea@other.test")]
    {
        let res = admin
            .client
            .post(
                "/api/v1/users",
                &json!({"email": email, "name": name, "password": "a fine long password", "emailVerified": true}),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.text);
    }

    let res = admin.client.get("/api/v1/users?sort=email&limit=2&page=1").await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.json["meta"], json!({"page": 1, "limit": 2, "total": 4}));
    let emails: Vec<&str> = res.json["data"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap()).collect();
    assert_eq!(emails, vec!["adam@example.test", admin.email.as_str()]);

    let res = admin.client.get("/api/v1/users?q=BANANA").await;
    assert_eq!(res.json["meta"]["total"], 1, "q searches names case-insensitively");
    let res = admin.client.get("/api/v1/users?q=example.test&sort=-name").await;
    let names: Vec<&str> = res.json["data"].as_array().unwrap().iter().map(|u| u["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["Zoe Zed", "Admin", "Adam Apple"]);
    let res = admin.client.get("/api/v1/users?role=admin").await;
    assert_eq!(res.json["meta"]["total"], 1);
    let res = admin.client.get("/api/v1/users?status=active&q=%25").await;
    assert_eq!(res.json["meta"]["total"], 0, "LIKE wildcards in q are literal");

    let res = admin.client.get("/api/v1/users?limit=1000&sort=password_hash&status=weird").await;
    assert_eq!(res.status, 422);
    let res = admin.client.get("/api/v1/users?page=9223372036854775808").await;
    assert_eq!(res.status, 422, "a page past any offset is refused: {}", res.text);
}

#[tokio::test]
async fn administrators_read_change_and_delete_a_user() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let user = app.signed_up_user().await;
    let path = format!("/api/v1/users/{}", user.id);

    assert_eq!(admin.client.get(&path).await.data()["email"], user.email.as_str());
    let res = admin
        .client
        .patch(&path, &json!({"name": "Changed", "role": "admin", "emailVerified": true, "metadata": {"plan": "pro"}, "email": "moved@example.test"}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let u = res.data();
    assert_eq!(
        (u["name"].as_str(), u["role"].as_str(), u["status"].as_str()),
        (Some("Changed"), Some("admin"), Some("active"))
    );
    assert_eq!(u["metadata"], json!({"plan": "pro"}));
    assert_eq!(u["email"], "moved@example.test");
    let taken = admin.client.patch(&path, &json!({"email": admin.email})).await;
    assert_error(&taken, 409, "EMAIL_TAKEN");

    assert_eq!(admin.client.delete(&path).await.status, 204);
    assert_eq!(admin.client.get(&path).await.status, 404);
    assert_eq!(admin.client.delete(&path).await.status, 404);
    assert_eq!(user.client.get("/api/v1/users/me").await.status, 401);
}

#[tokio::test]
async fn an_administrator_sets_a_password_and_the_user_is_signed_out() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let user = app.signed_up_user().await;

    let res = admin
        .client
        .post(&format!("/api/v1/users/{}/password", user.id), &json!({"password": "set by the administrator"}))
        .await;

    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(user.client.get("/api/v1/users/me").await.status, 401);
    app.login(&user.email, "set by the administrator").await;
}

#[tokio::test]
async fn disabling_revokes_sessions_and_enabling_restores_access() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let user = app.signed_up_user().await;

    let res = admin.client.post_empty(&format!("/api/v1/users/{}/disable", user.id)).await;
    assert_eq!(res.data()["status"], "disabled");
    assert_eq!(user.client.get("/api/v1/users/me").await.status, 401);
    assert_eq!(
        app.anonymous().post("/api/v1/auth/refresh", &json!({"refreshToken": user.refresh_token})).await.status,
        401
    );

    let res = admin.client.post_empty(&format!("/api/v1/users/{}/enable", user.id)).await;
    assert_eq!(res.data()["status"], "pending_verification", "back to what the address allows");
    app.login(&user.email, &user.password).await;
}

#[tokio::test]
async fn users_who_are_not_administrators_get_403_everywhere() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;
    let victim = app.signed_up_user().await;
    let id = &victim.id;
    let attempts = [
        user.client.get("/api/v1/users").await,
        user.client.post("/api/v1/users", &json!({"email": "x@example.test", "name": "X"})).await,
        user.client.get(&format!("/api/v1/users/{id}")).await,
        user.client.patch(&format!("/api/v1/users/{id}"), &json!({"role": "admin"})).await,
        user.client.patch(&format!("/api/v1/users/{}", user.id), &json!({"role": "admin"})).await,
        user.client.delete(&format!("/api/v1/users/{id}")).await,
        user.client.post(&format!("/api/v1/users/{id}/password"), &json!({"password": "hijacked password 1"})).await,
        user.client.post_empty(&format!("/api/v1/users/{id}/disable")).await,
        user.client.post_empty(&format!("/api/v1/users/{id}/enable")).await,
    ];
    for res in attempts {
        assert_error(&res, 403, "FORBIDDEN");
    }
    assert_eq!(app.anonymous().get("/api/v1/users").await.status, 401);
    assert_eq!(victim.client.get("/api/v1/users/me").await.status, 200, "nothing happened to the victim");
    assert_eq!(user.client.get("/api/v1/users/me").await.data()["role"], "user");
}

#[tokio::test]
async fn an_administrator_cannot_lock_themselves_out() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let me = format!("/api/v1/users/{}", admin.id);
    assert_eq!(admin.client.post_empty(&format!("{me}/disable")).await.status, 403);
    assert_eq!(admin.client.delete(&me).await.status, 403);
    assert_eq!(admin.client.patch(&me, &json!({"role": "user"})).await.status, 403);
    let own_password =
        admin.client.post(&format!("{me}/password"), &json!({"password": "no current password asked"})).await;
    assert_eq!(own_password.status, 403, "their own password changes with the current one");
    assert_eq!(admin.client.get("/api/v1/users").await.status, 200);
}

#[tokio::test]
async fn unknown_and_malformed_user_ids() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let res = admin.client.get("/api/v1/users/01900000-0000-7000-8000-000000000000").await;
    assert_error(&res, 404, "NOT_FOUND");
    let res = admin.client.get("/api/v1/users/12345").await;
    assert_error(&res, 400, "BAD_REQUEST");
}

#[tokio::test]
async fn a_demoted_administrator_loses_admin_access_at_once() {
    let app = spawn_app().await;
    let root = app.admin().await;
    let other = app.admin().await;
    assert_eq!(other.client.get("/api/v1/users").await.status, 200);

    root.client.patch(&format!("/api/v1/users/{}", other.id), &json!({"role": "user"})).await;
    // The session view is cached briefly per node; this node forgot it on the change.
    app.clock.advance(time::Duration::seconds(6));

    assert_eq!(other.client.get("/api/v1/users").await.status, 403);
}
