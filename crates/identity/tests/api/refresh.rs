use serde_json::json;
use tessera_testkit::{assert_error, spawn_app};

#[tokio::test]
async fn refreshing_rotates_the_pair() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;

    let res = app.anonymous().post("/api/v1/auth/refresh", &json!({"refreshToken": user.refresh_token})).await;

    assert_eq!(res.status, 200, "{}", res.text);
    let data = res.data();
    let next = data["refreshToken"].as_str().unwrap();
    assert_ne!(next, user.refresh_token);
    assert_eq!(data["tokenType"], "Bearer");
    let access = data["accessToken"].as_str().unwrap();
    assert_eq!(app.with_token(access).get("/api/v1/users/me").await.status, 200);
    let again = app.anonymous().post("/api/v1/auth/refresh", &json!({"refreshToken": next})).await;
    assert_eq!(again.status, 200, "the new token works once too");
}

#[tokio::test]
async fn reusing_a_refresh_token_revokes_the_whole_session() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;
    let first = app.anonymous().post("/api/v1/auth/refresh", &json!({"refreshToken": user.refresh_token})).await;
    let stolen_next = first.data()["refreshToken"].as_str().unwrap().to_owned();
    let access = first.data()["accessToken"].as_str().unwrap().to_owned();

    // An attacker replays the token that was already spent.
    let replay = app.anonymous().post("/api/v1/auth/refresh", &json!({"refreshToken": user.refresh_token})).await;

    assert_error(&replay, 401, "REFRESH_TOKEN_REUSED");
    let after = app.anonymous().post("/api/v1/auth/refresh", &json!({"refreshToken": stolen_next})).await;
    assert_eq!(after.status, 401, "the newest token of the family is dead too");
    let me = app.with_token(&access).get("/api/v1/users/me").await;
    assert_eq!(me.status, 401, "and so are the session's access tokens");
    assert_eq!(me.error_code(), "SESSION_REVOKED");
    let events = app.events().await;
    assert!(events.iter().any(|(t, d)| t == "session.revoked" && d["reason"] == "refresh_token_reuse"));
}

#[tokio::test]
async fn an_unknown_refresh_token_is_refused() {
    let app = spawn_app().await;
    let res = app.anonymous().post("/api/v1/auth/refresh", &json!({"refreshToken": "made-up"})).await;
    assert_error(&res, 401, "INVALID_REFRESH_TOKEN");
}

#[tokio::test]
async fn a_refresh_token_expires_after_its_sliding_lifetime() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;
    app.clock.advance(time::Duration::days(20));
    let res = app.anonymous().post("/api/v1/auth/refresh", &json!({"refreshToken": user.refresh_token})).await;
    assert_eq!(res.status, 200, "20 days in, the session slides forward");
    let next = res.data()["refreshToken"].as_str().unwrap().to_owned();

    app.clock.advance(time::Duration::days(31));
    let res = app.anonymous().post("/api/v1/auth/refresh", &json!({"refreshToken": next})).await;

    assert_error(&res, 401, "INVALID_REFRESH_TOKEN");
}

#[tokio::test]
async fn logout_ends_this_session_only_and_logout_all_ends_every_one() {
    let app = spawn_app().await;
    let a = app.signed_up_user().await;
    let b = app.login(&a.email, &a.password).await;
    let c = app.login(&a.email, &a.password).await;

    let res = a.client.post_empty("/api/v1/auth/logout").await;
    assert_eq!(res.status, 200);
    assert_eq!(a.client.get("/api/v1/users/me").await.status, 401);
    assert_eq!(
        app.anonymous().post("/api/v1/auth/refresh", &json!({"refreshToken": a.refresh_token})).await.status,
        401
    );
    assert_eq!(b.client.get("/api/v1/users/me").await.status, 200);

    let res = b.client.post_empty("/api/v1/auth/logout-all").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.data()["revoked"], 2);
    assert_eq!(b.client.get("/api/v1/users/me").await.status, 401);
    assert_eq!(c.client.get("/api/v1/users/me").await.status, 401);
    assert_eq!(
        app.anonymous().post("/api/v1/auth/refresh", &json!({"refreshToken": c.refresh_token})).await.status,
        401
    );
}
