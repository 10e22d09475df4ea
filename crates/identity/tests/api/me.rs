use serde_json::json;
use tessera_testkit::spawn_app;

#[tokio::test]
async fn i_update_my_profile_and_preferences() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;

    let res = user
        .client
        .patch(
            "/api/v1/users/me",
            &json!({"name": "Renamed", "avatarUrl": "https://cdn.example.test/a.png", "locale": "pt-BR",
                    "timezone": "Europe/Paris", "preferences": {"theme": "dark", "digest": "weekly"}}),
        )
        .await;

    assert_eq!(res.status, 200, "{}", res.text);
    let me = res.data();
    assert_eq!(me["name"], "Renamed");
    assert_eq!(me["avatarUrl"], "https://cdn.example.test/a.png");
    assert_eq!(me["locale"], "pt-BR");
    assert_eq!(me["timezone"], "Europe/Paris");
    assert_eq!(me["preferences"], json!({"theme": "dark", "digest": "weekly"}));

    let res = user
        .client
        .patch("/api/v1/users/me", &json!({"avatarUrl": null, "preferences": {"digest": null, "lang": "fr"}}))
        .await;
    let me = res.data();
    assert!(me["avatarUrl"].is_null(), "null clears a field");
    assert_eq!(me["preferences"], json!({"theme": "dark", "lang": "fr"}), "preferences merge; null removes a key");
    assert_eq!(me["name"], "Renamed", "absent fields stay");
    let (_, data) = app.events().await.into_iter().rev().find(|(t, _)| t == "user.updated").unwrap();
    assert_eq!(data["changed"], json!(["avatarUrl", "preferences"]));
}

#[tokio::test]
async fn my_profile_refuses_bad_values_and_fields_i_may_not_set() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;

    let res = user
        .client
        .patch("/api/v1/users/me", &json!({"avatarUrl": "javascript:alert(1)", "locale": "!!", "timezone": "../../etc/passwd", "preferences": [1]}))
        .await;
    assert_eq!(res.status, 422);
    let fields: Vec<&str> = res.json["error"]["details"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["avatarUrl", "locale", "timezone", "preferences"]);

    for forbidden in [
        json!({"role": "admin"}),
        json!({"email": "x@example.test"}),
        json!({"status": "active"}),
        json!({"metadata": {}}),
    ] {
        let res = user.client.patch("/api/v1/users/me", &forbidden).await;
        assert_eq!(res.status, 422, "{forbidden}");
        assert_eq!(res.json["error"]["details"]["fields"][0]["code"], "UNKNOWN_FIELD");
    }
    let me = user.client.get("/api/v1/users/me").await;
    assert_eq!(me.data()["role"], "user");
}

#[tokio::test]
async fn deleting_my_account_removes_it_and_its_sessions() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;
    let other = app.login(&user.email, &user.password).await;

    let res = user.client.delete("/api/v1/users/me").await;

    assert_eq!(res.status, 204);
    assert_eq!(other.client.get("/api/v1/users/me").await.status, 401);
    let login =
        app.anonymous().post("/api/v1/auth/login", &json!({"email": user.email, "password": user.password})).await;
    assert_eq!(login.status, 401);
    assert_eq!(
        app.anonymous().post("/api/v1/auth/refresh", &json!({"refreshToken": other.refresh_token})).await.status,
        401
    );
    let (_, data) = app.events().await.into_iter().find(|(t, _)| t == "user.deleted").unwrap();
    assert_eq!(data["id"], user.id.to_string());
    // The address is free again.
    app.register_and_login(&user.email, "a completely new password").await;
}

#[tokio::test]
async fn me_needs_a_valid_token() {
    let app = spawn_app().await;
    for auth in ["", "Bearer", "Bearer ", "Basic abc", "Bearer abc.def.ghi"] {
        let req = app.anonymous().request(reqwest::Method::GET, "/api/v1/users/me").header("authorization", auth);
        let res = app.anonymous().send(req).await;
        assert_eq!(res.status, 401, "{auth:?}");
    }
}
