use serde_json::json;
use tessera_testkit::{assert_error, spawn_app};

#[tokio::test]
async fn i_see_my_sessions_with_the_current_one_marked() {
    let app = spawn_app().await;
    let a = app.signed_up_user().await;
    let b = app.login(&a.email, &a.password).await;

    let res = b
        .client
        .request(reqwest::Method::GET, "/api/v1/sessions")
        .header("user-agent", "agent-b")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    let list = body["data"].as_array().unwrap();

    assert_eq!(list.len(), 2);
    let current: Vec<_> = list.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["ip"], "127.0.0.1");
    for s in list {
        for f in ["id", "createdAt", "lastUsedAt", "expiresAt"] {
            assert!(s[f].is_string(), "{f} in {s}");
        }
    }
}

#[tokio::test]
async fn revoking_a_session_signs_that_device_out() {
    let app = spawn_app().await;
    let a = app.signed_up_user().await;
    let b = app.login(&a.email, &a.password).await;
    let list = a.client.get("/api/v1/sessions").await;
    let other = list.data().as_array().unwrap().iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let res = a.client.delete(&format!("/api/v1/sessions/{other}")).await;

    assert_eq!(res.status, 204);
    assert_eq!(b.client.get("/api/v1/users/me").await.status, 401);
    assert_eq!(a.client.get("/api/v1/users/me").await.status, 200);
    assert_eq!(a.client.get("/api/v1/sessions").await.data().as_array().unwrap().len(), 1);
    assert_eq!(
        app.anonymous().post("/api/v1/auth/refresh", &json!({"refreshToken": b.refresh_token})).await.status,
        401
    );
}

#[tokio::test]
async fn someone_elses_session_is_not_found_and_untouched() {
    let app = spawn_app().await;
    let victim = app.signed_up_user().await;
    let attacker = app.signed_up_user().await;
    let victim_session = victim.client.get("/api/v1/sessions").await.data()[0]["id"].as_str().unwrap().to_owned();

    let res = attacker.client.delete(&format!("/api/v1/sessions/{victim_session}")).await;

    assert_error(&res, 404, "NOT_FOUND");
    assert_eq!(victim.client.get("/api/v1/users/me").await.status, 200);
    let res = attacker.client.delete("/api/v1/sessions/not-a-uuid").await;
    assert_eq!(res.status, 400);
}

#[tokio::test]
async fn sessions_need_a_token() {
    let app = spawn_app().await;
    let res = app.anonymous().get("/api/v1/sessions").await;
    assert_error(&res, 401, "UNAUTHORIZED");
}
