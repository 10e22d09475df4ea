//! E-mail flows end to end through a real SMTP server started by the test: the
//! links are read out of the received messages and followed.

use serde_json::json;
use tessera_testkit::{SmtpSecurity, SmtpSink, spawn_app_with};

#[tokio::test]
async fn register_verify_sign_in_reset_through_a_real_smtp_server() {
    let smtp = SmtpSink::start().await;
    let app = spawn_app_with(|c| {
        c.set("mail.url", json!(smtp.url())).set("identity.allow_unverified_login", json!(false));
    })
    .await;
    let email = "mallory.smtp@example.test";

    let res = app
        .anonymous()
        .post(
            "/api/v1/auth/register",
            &json!({"email": email, "password": "first password of hers", "name": "Mallory"}),
        )
        .await;
    assert_eq!(res.status, 201);
    let mail = smtp.mail_to(email, "Confirm your e-mail").await;
    let link = mail.link(&format!("{}/verify-email?token=", app.base_url)).expect("a verification link");
    let token = url::Url::parse(&link).unwrap().query_pairs().find(|(k, _)| k == "token").unwrap().1.into_owned();
    // The link opens a page served by tessera itself, whose script posts the token.
    let path = link.trim_start_matches(&app.base_url);
    let page = app.anonymous().send(app.anonymous().request(reqwest::Method::GET, path)).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(page.text.contains("/assets/account.js") && !page.text.contains(&token), "the token is not echoed");
    let script = app.anonymous().get("/assets/account.js").await;
    assert!(script.text.contains("/api/v1/auth/") && script.text.contains("verify-email"));

    let res = app.anonymous().post("/api/v1/auth/verify-email", &json!({"token": token})).await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(res.data()["emailVerified"], true);
    let again = app.anonymous().post("/api/v1/auth/verify-email", &json!({"token": token})).await;
    assert_eq!(again.error_code(), "INVALID_TOKEN", "a verification link works once");

    let user = app.login(email, "first password of hers").await;
    let sessions = user.client.get("/api/v1/sessions").await;
    assert_eq!(sessions.data().as_array().unwrap().len(), 1);

    app.anonymous().post("/api/v1/auth/forgot-password", &json!({"email": email})).await;
    let reset = smtp.mail_to(email, "Reset your password").await;
    let token = reset.token(&format!("{}/reset-password", app.base_url)).expect("a reset link");
    let res = app
        .anonymous()
        .post("/api/v1/auth/reset-password", &json!({"token": token, "newPassword": "second password of hers"}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    assert_eq!(user.client.get("/api/v1/users/me").await.status, 401);
    app.login(email, "second password of hers").await;
}

#[tokio::test]
async fn resend_verification_sends_a_fresh_link_and_voids_the_old_one() {
    let smtp = SmtpSink::start().await;
    let app = spawn_app_with(|c| {
        c.set("mail.url", json!(smtp.url()));
    })
    .await;
    let email = "resend@example.test";
    app.anonymous()
        .post("/api/v1/auth/register", &json!({"email": email, "password": "first password of hers", "name": "R"}))
        .await;
    let first = smtp.mail_to(email, "Confirm").await.token(&app.base_url).unwrap();

    let res = app.anonymous().post("/api/v1/auth/resend-verification", &json!({"email": email})).await;
    assert_eq!(res.status, 202);
    let unknown =
        app.anonymous().post("/api/v1/auth/resend-verification", &json!({"email": "nobody@example.test"})).await;
    assert_eq!(unknown.json, res.json);
    let mut second = None;
    for _ in 0..200 {
        let tokens: Vec<String> =
            smtp.received().iter().filter(|m| m.to == email).filter_map(|m| m.token(&app.base_url)).collect();
        if tokens.len() == 2 {
            second = Some(tokens[1].clone());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let second = second.expect("a second verification mail");

    assert_eq!(app.anonymous().post("/api/v1/auth/verify-email", &json!({"token": first})).await.status, 400);
    assert_eq!(app.anonymous().post("/api/v1/auth/verify-email", &json!({"token": second})).await.status, 200);
}

#[tokio::test]
async fn a_user_created_by_an_administrator_chooses_a_password_from_the_mailed_link() {
    let smtp = SmtpSink::start().await;
    let app = spawn_app_with(|c| {
        c.set("mail.url", json!(smtp.url()));
    })
    .await;
    let admin = app.admin().await;

    let res = admin.client.post("/api/v1/users", &json!({"email": "newbie@example.test", "name": "Newbie"})).await;
    assert_eq!(res.status, 201, "{}", res.text);
    let mail = smtp.mail_to("newbie@example.test", "Your new account").await;
    let token = mail.token(&app.base_url).expect("a set-password link");

    let res = app
        .anonymous()
        .post("/api/v1/auth/reset-password", &json!({"token": token, "newPassword": "newbie picked this one"}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text);
    let user = app.login("newbie@example.test", "newbie picked this one").await;
    let me = user.client.get("/api/v1/users/me").await;
    assert_eq!(me.data()["emailVerified"], true, "the mailed link proved the address");
}

#[tokio::test]
async fn a_mail_server_that_is_down_does_not_slow_requests_and_the_mail_is_retried() {
    // Point at a port nobody listens on; the request must still succeed promptly,
    // and the message must wait in the job queue for a retry.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app = spawn_app_with(|c| {
        c.set("mail.url", json!(format!("smtp://127.0.0.1:{port}")));
    })
    .await;
    let res = app
        .anonymous()
        .post(
            "/api/v1/auth/register",
            &json!({"email": "patient@example.test", "password": "first password of hers", "name": "P"}),
        )
        .await;
    assert_eq!(res.status, 201);

    use sea_orm::EntityTrait;
    use tessera_kernel::jobs::entity::Entity as Jobs;
    let mut retried = false;
    for _ in 0..200 {
        let jobs = Jobs::find().all(&app.core.db.conn).await.unwrap();
        if jobs
            .iter()
            .any(|j| j.kind == "mail.send" && j.attempts >= 1 && j.status == "pending" && j.last_error.is_some())
        {
            retried = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(retried, "the failed send is queued for a retry with its error recorded");
}

async fn register_via(smtp: &SmtpSink, ca: Option<std::path::PathBuf>, email: &str) -> tessera_testkit::TestApp {
    let app = spawn_app_with(|c| {
        c.set("mail.url", json!(smtp.url()));
        if let Some(ca) = &ca {
            c.set("mail.tls_ca_file", json!(ca));
        }
    })
    .await;
    let res = app
        .anonymous()
        .post("/api/v1/auth/register", &json!({"email": email, "password": "first password of hers", "name": "S"}))
        .await;
    assert_eq!(res.status, 201);
    app
}

/// The first recorded failure of the mail job, waiting at most 10 s for one.
async fn mail_job_error(app: &tessera_testkit::TestApp) -> String {
    use sea_orm::EntityTrait;
    use tessera_kernel::jobs::entity::Entity as Jobs;
    for _ in 0..200 {
        let jobs = Jobs::find().all(&app.core.db.conn).await.unwrap();
        if let Some(err) = jobs.iter().find(|j| j.kind == "mail.send").and_then(|j| j.last_error.clone()) {
            return err;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the mail job recorded no failure");
}

#[tokio::test]
async fn mail_goes_over_starttls_with_authentication() {
    let smtp = SmtpSink::start_with(SmtpSecurity::StartTls, Some(("mailer", "s3cret-relay"))).await;
    let app = register_via(&smtp, Some(smtp.ca_file()), "starttls@example.test").await;
    let mail = smtp.mail_to("starttls@example.test", "Confirm").await;
    assert!(mail.token(&app.base_url).is_some());
}

#[tokio::test]
async fn mail_goes_over_implicit_tls_with_authentication() {
    let smtp = SmtpSink::start_with(SmtpSecurity::Tls, Some(("mailer", "s3cret-relay"))).await;
    let app = register_via(&smtp, Some(smtp.ca_file()), "smtps@example.test").await;
    let mail = smtp.mail_to("smtps@example.test", "Confirm").await;
    assert!(mail.token(&app.base_url).is_some());
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_and_nothing_is_sent() {
    let smtp = SmtpSink::start_with(SmtpSecurity::StartTls, Some(("mailer", "s3cret-relay"))).await;
    let app = register_via(&smtp, None, "untrusted@example.test").await;
    let err = mail_job_error(&app).await;
    assert!(err.to_lowercase().contains("certificate"), "{err}");
    assert!(smtp.received().is_empty());
}

#[tokio::test]
async fn wrong_smtp_credentials_send_nothing() {
    let smtp = SmtpSink::start_with(SmtpSecurity::StartTls, Some(("mailer", "s3cret-relay"))).await;
    let mut url = url::Url::parse(&smtp.url()).unwrap();
    url.set_password(Some("wrong")).unwrap();
    let app = spawn_app_with(|c| {
        c.set("mail.url", json!(url.to_string())).set("mail.tls_ca_file", json!(smtp.ca_file()));
    })
    .await;
    app.anonymous()
        .post(
            "/api/v1/auth/register",
            &json!({"email": "badauth@example.test", "password": "first password of hers", "name": "S"}),
        )
        .await;
    let err = mail_job_error(&app).await;
    assert!(err.to_lowercase().contains("auth") || err.contains("535"), "{err}");
    assert!(smtp.received().is_empty());
}
