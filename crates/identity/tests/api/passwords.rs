use serde_json::json;
use tessera_testkit::{assert_error, spawn_app};

#[tokio::test]
async fn forgot_password_answers_the_same_whether_or_not_the_account_exists() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;

    let known = app.anonymous().post("/api/v1/auth/forgot-password", &json!({"email": user.email})).await;
    let unknown = app.anonymous().post("/api/v1/auth/forgot-password", &json!({"email": "ghost@example.test"})).await;

    assert_eq!(known.status, 202);
    assert_eq!(unknown.status, 202);
    assert_eq!(known.json, unknown.json);
    let mail = app.mail_to(&user.email, "Reset your password").await;
    assert!(mail.token(&format!("{}/reset-password", app.base_url)).is_some(), "{}", mail.text);
    assert!(app.mails().iter().all(|m| m.to != "ghost@example.test"));
}

#[tokio::test]
async fn a_reset_link_sets_the_password_once_and_signs_out_everywhere() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;
    let other_device = app.login(&user.email, &user.password).await;
    app.anonymous().post("/api/v1/auth/forgot-password", &json!({"email": user.email})).await;
    let token = app.mail_to(&user.email, "Reset").await.token(&app.base_url).unwrap();

    let res = app
        .anonymous()
        .post("/api/v1/auth/reset-password", &json!({"token": token, "newPassword": "a brand new secret phrase"}))
        .await;

    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(user.client.get("/api/v1/users/me").await.status, 401);
    assert_eq!(other_device.client.get("/api/v1/users/me").await.status, 401);
    let old =
        app.anonymous().post("/api/v1/auth/login", &json!({"email": user.email, "password": user.password})).await;
    assert_eq!(old.status, 401);
    app.login(&user.email, "a brand new secret phrase").await;
    let again = app
        .anonymous()
        .post("/api/v1/auth/reset-password", &json!({"token": token, "newPassword": "yet another secret phrase"}))
        .await;
    assert_eq!(again.status, 400, "single use");
    assert_eq!(again.error_code(), "INVALID_TOKEN");
    let types = app.event_types().await;
    assert!(types.contains(&"user.password_changed".to_owned()));
    assert!(types.iter().filter(|t| *t == "session.revoked").count() >= 2);
}

#[tokio::test]
async fn a_reset_link_expires() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;
    app.anonymous().post("/api/v1/auth/forgot-password", &json!({"email": user.email})).await;
    let token = app.mail_to(&user.email, "Reset").await.token(&app.base_url).unwrap();

    app.clock.advance(time::Duration::minutes(61));

    let res = app
        .anonymous()
        .post("/api/v1/auth/reset-password", &json!({"token": token, "newPassword": "a brand new secret phrase"}))
        .await;
    assert_error(&res, 400, "INVALID_TOKEN");
    app.login(&user.email, &user.password).await;
}

#[tokio::test]
async fn a_reset_with_a_weak_password_changes_nothing() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;
    app.anonymous().post("/api/v1/auth/forgot-password", &json!({"email": user.email})).await;
    let token = app.mail_to(&user.email, "Reset").await.token(&app.base_url).unwrap();

    let res =
        app.anonymous().post("/api/v1/auth/reset-password", &json!({"token": token, "newPassword": "123456789"})).await;

    assert_eq!(res.status, 422);
    assert_eq!(user.client.get("/api/v1/users/me").await.status, 200, "sessions are untouched");
    let res = app
        .anonymous()
        .post("/api/v1/auth/reset-password", &json!({"token": token, "newPassword": "a brand new secret phrase"}))
        .await;
    assert_eq!(res.status, 200, "the token was not spent by the failed attempt");
}

#[tokio::test]
async fn changing_the_password_keeps_this_session_and_ends_the_others() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;
    let other = app.login(&user.email, &user.password).await;

    let res = user
        .client
        .post(
            "/api/v1/auth/change-password",
            &json!({"currentPassword": user.password, "newPassword": "a brand new secret phrase"}),
        )
        .await;

    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(user.client.get("/api/v1/users/me").await.status, 200);
    assert_eq!(other.client.get("/api/v1/users/me").await.status, 401);
    app.login(&user.email, "a brand new secret phrase").await;
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;

    let res = user
        .client
        .post(
            "/api/v1/auth/change-password",
            &json!({"currentPassword": "wrong guess", "newPassword": "a brand new secret phrase"}),
        )
        .await;

    assert_eq!(res.status, 422);
    assert_eq!(res.json["error"]["details"]["fields"][0]["field"], "currentPassword");
    app.login(&user.email, &user.password).await;
    let res = app
        .anonymous()
        .post(
            "/api/v1/auth/change-password",
            &json!({"currentPassword": "x", "newPassword": "a brand new secret phrase"}),
        )
        .await;
    assert_eq!(res.status, 401);
}

#[tokio::test]
async fn passwords_never_reach_the_logs_or_the_database_in_clear() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = spawn_app().await;
    let user = app.register_and_login("secretive@example.test", "plain text never stored 42").await;

    let db = &app.core.db.conn;
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), "SELECT password_hash FROM users".to_owned()))
        .await
        .unwrap();
    for row in rows {
        let hash: String = row.try_get("", "password_hash").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
        assert!(!hash.contains("plain text"));
    }
    let refresh_rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT token_hash FROM refresh_tokens".to_owned(),
        ))
        .await
        .unwrap();
    for row in refresh_rows {
        let stored: String = row.try_get("", "token_hash").unwrap();
        assert_ne!(stored, user.refresh_token, "refresh tokens are stored hashed");
        assert_eq!(stored.len(), 64);
    }
}

async fn stored_hash(app: &tessera_testkit::TestApp, email: &str) -> String {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use tessera_identity::testing::users;
    let user =
        users::Entity::find().filter(users::Column::Email.eq(email)).one(&app.core.db.conn).await.unwrap().unwrap();
    user.password_hash.unwrap()
}

async fn store_hash(app: &tessera_testkit::TestApp, email: &str, hash: &str) {
    use sea_orm::sea_query::Expr;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    use tessera_identity::testing::users;
    users::Entity::update_many()
        .col_expr(users::Column::PasswordHash, Expr::value(hash))
        .filter(users::Column::Email.eq(email))
        .exec(&app.core.db.conn)
        .await
        .unwrap();
}

#[tokio::test]
async fn an_imported_bcrypt_hash_signs_in_and_is_upgraded_to_argon2id() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;
    // As if imported from a system that used bcrypt.
    store_hash(&app, &user.email, &bcrypt::hash("imported bcrypt password", 4).unwrap()).await;

    let wrong =
        app.anonymous().post("/api/v1/auth/login", &json!({"email": user.email, "password": "nope nope nope"})).await;
    assert_eq!(wrong.status, 401);
    assert!(stored_hash(&app, &user.email).await.starts_with("$2"), "a failed sign-in changes nothing");
    app.login(&user.email, "imported bcrypt password").await;

    let hash = stored_hash(&app, &user.email).await;
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    app.login(&user.email, "imported bcrypt password").await;
}

#[tokio::test]
async fn a_hash_made_with_older_parameters_is_upgraded_at_the_next_sign_in() {
    use argon2::{Algorithm, Argon2, Params, PasswordHasher, Version};
    let app = spawn_app().await;
    let user = app.signed_up_user().await;
    let old = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(32, 1, 1, None).unwrap())
        .hash_password(user.password.as_bytes())
        .unwrap()
        .to_string();
    store_hash(&app, &user.email, &old).await;

    app.login(&user.email, &user.password).await;

    let hash = stored_hash(&app, &user.email).await;
    assert_ne!(hash, old);
    assert!(hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "re-hashed with the configured parameters: {hash}");
}
