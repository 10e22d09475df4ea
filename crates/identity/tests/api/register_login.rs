use serde_json::json;
use tessera_testkit::{assert_error, spawn_app};

#[tokio::test]
async fn registering_creates_a_pending_user_and_mails_a_verification_link() {
    let app = spawn_app().await;

    let res = app
        .anonymous()
        .post(
            "/api/v1/auth/register",
            &json!({"email": "  Alice@Example.TEST ", "password": "a fine long password", "name": "Alice"}),
        )
        .await;

    assert_eq!(res.status, 201, "{}", res.text);
    let user = res.data();
    assert_eq!(user["email"], "alice@example.test");
    assert_eq!(user["status"], "pending_verification");
    assert_eq!(user["emailVerified"], false);
    assert_eq!(user["role"], "user");
    assert!(user.get("passwordHash").is_none() && !res.text.contains("argon2"));
    let mail = app.mail_to("alice@example.test", "Confirm your e-mail").await;
    assert!(mail.link(&format!("{}/verify-email?token=", app.base_url)).is_some(), "{}", mail.text);
    assert_eq!(app.event_types().await, vec!["user.created"]);
}

#[tokio::test]
async fn an_address_is_taken_whatever_its_case() {
    let app = spawn_app().await;
    let body = json!({"email": "bob@example.test", "password": "a fine long password", "name": "Bob"});
    assert_eq!(app.anonymous().post("/api/v1/auth/register", &body).await.status, 201);

    let again = json!({"email": "BOB@example.test", "password": "another long password", "name": "Bob 2"});
    let res = app.anonymous().post("/api/v1/auth/register", &again).await;

    assert_error(&res, 409, "EMAIL_TAKEN");
}

#[tokio::test]
async fn login_returns_a_bearer_pair_and_the_user() {
    let app = spawn_app().await;
    let user = app.register_and_login("carol@example.test", "a fine long password").await;

    let res = app
        .anonymous()
        .post("/api/v1/auth/login", &json!({"email": "CAROL@example.test", "password": "a fine long password"}))
        .await;

    assert_eq!(res.status, 200);
    let data = res.data();
    assert_eq!(data["tokenType"], "Bearer");
    assert_eq!(data["expiresIn"], 900);
    assert_eq!(data["user"]["id"], user.id.to_string());
    assert!(data["user"]["lastLoginAt"].is_string());
    assert_eq!(data["accessToken"].as_str().unwrap().split('.').count(), 3);
    assert!(data["refreshToken"].as_str().unwrap().len() >= 43);
    let me = app.with_token(data["accessToken"].as_str().unwrap()).get("/api/v1/users/me").await;
    assert_eq!(me.data()["email"], "carol@example.test");
    assert!(app.event_types().await.contains(&"user.logged_in".to_owned()));
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_account_get_the_same_answer() {
    let app = spawn_app().await;
    app.register_and_login("dave@example.test", "a fine long password").await;

    let wrong = app
        .anonymous()
        .post("/api/v1/auth/login", &json!({"email": "dave@example.test", "password": "not the password"}))
        .await;
    let unknown = app
        .anonymous()
        .post("/api/v1/auth/login", &json!({"email": "nobody@example.test", "password": "not the password"}))
        .await;

    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, 401);
    assert_eq!(wrong.error_code(), "INVALID_CREDENTIALS");
    assert_eq!(wrong.json["error"]["message"], unknown.json["error"]["message"]);
}

#[tokio::test]
async fn unverified_accounts_cannot_sign_in_when_the_setting_forbids_it() {
    let app = tessera_testkit::spawn_app_with(|c| {
        c.set("identity.allow_unverified_login", json!(false));
    })
    .await;
    let body = json!({"email": "erin@example.test", "password": "a fine long password", "name": "Erin"});
    app.anonymous().post("/api/v1/auth/register", &body).await;

    let res = app
        .anonymous()
        .post("/api/v1/auth/login", &json!({"email": "erin@example.test", "password": "a fine long password"}))
        .await;
    assert_error(&res, 403, "EMAIL_NOT_VERIFIED");

    let mail = app.mail_to("erin@example.test", "Confirm").await;
    let token = mail.token(&app.base_url).unwrap();
    let verified = app.anonymous().post("/api/v1/auth/verify-email", &json!({"token": token})).await;
    assert_eq!(verified.status, 200, "{}", verified.text);
    assert_eq!(verified.data()["status"], "active");
    let res = app
        .anonymous()
        .post("/api/v1/auth/login", &json!({"email": "erin@example.test", "password": "a fine long password"}))
        .await;
    assert_eq!(res.status, 200);
}

#[tokio::test]
async fn weak_passwords_are_refused_with_field_details() {
    let app = spawn_app().await;
    for (pw, code) in
        [("short", "PASSWORD_TOO_SHORT"), ("password123", "PASSWORD_TOO_COMMON"), ("iloveyou", "PASSWORD_TOO_COMMON")]
    {
        let res = app
            .anonymous()
            .post("/api/v1/auth/register", &json!({"email": "frank@example.test", "password": pw, "name": "Frank"}))
            .await;
        assert_eq!(res.status, 422, "{pw}");
        assert_eq!(res.error_code(), "VALIDATION_FAILED");
        let fields = res.json["error"]["details"]["fields"].as_array().unwrap();
        assert!(fields.iter().any(|f| f["field"] == "password" && f["code"] == code), "{pw}: {}", res.text);
    }
    let res = app
        .anonymous()
        .post("/api/v1/auth/register", &json!({"email": "not-an-email", "password": "x", "name": ""}))
        .await;
    let fields: Vec<&str> = res.json["error"]["details"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, vec!["email", "password", "name"], "every problem is reported at once");
}

#[tokio::test]
async fn a_disabled_account_cannot_sign_in() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let user = app.signed_up_user().await;
    let res = admin.client.post_empty(&format!("/api/v1/users/{}/disable", user.id)).await;
    assert_eq!(res.status, 200, "{}", res.text);

    let res =
        app.anonymous().post("/api/v1/auth/login", &json!({"email": user.email, "password": user.password})).await;

    assert_error(&res, 403, "ACCOUNT_DISABLED");
}
