use serde_json::json;
use tessera_testkit::{TestApp, TestResponse, assert_error, spawn_app, spawn_app_with};

async fn attempt(app: &TestApp, email: &str, password: &str) -> TestResponse {
    app.anonymous().post("/api/v1/auth/login", &json!({"email": email, "password": password})).await
}

#[tokio::test]
async fn five_failures_lock_the_account_and_the_right_password_reveals_nothing() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;
    for _ in 0..4 {
        assert_eq!(attempt(&app, &user.email, "wrong guess").await.error_code(), "INVALID_CREDENTIALS");
    }

    let fifth = attempt(&app, &user.email, "wrong guess").await;
    assert_error(&fifth, 423, "ACCOUNT_LOCKED");
    assert_eq!(fifth.header("retry-after"), Some("60"));

    let wrong = attempt(&app, &user.email, "another guess").await;
    let right = attempt(&app, &user.email, &user.password).await;
    assert_eq!((wrong.status, right.status), (423, 423));
    assert_eq!(wrong.json["error"]["message"], right.json["error"]["message"]);
    assert_eq!(wrong.json["error"]["details"], right.json["error"]["details"]);

    // Hammering during the lock does not extend it.
    app.clock.advance(time::Duration::seconds(40));
    for _ in 0..10 {
        attempt(&app, &user.email, "still guessing").await;
    }
    let res = attempt(&app, &user.email, &user.password).await;
    assert_eq!(res.header("retry-after"), Some("20"));
    app.clock.advance(time::Duration::seconds(21));
    assert_eq!(attempt(&app, &user.email, &user.password).await.status, 200, "the lock ends on time");
}

#[tokio::test]
async fn each_lock_in_a_row_doubles_up_to_the_cap_and_success_resets_it() {
    let app = spawn_app_with(|c| {
        c.set("identity.lockout.max_lock_secs", json!(150));
    })
    .await;
    let user = app.signed_up_user().await;
    let mut waits = Vec::new();
    for _ in 0..3 {
        let mut last = None;
        for _ in 0..5 {
            last = Some(attempt(&app, &user.email, "wrong guess").await);
        }
        let last = last.unwrap();
        assert_eq!(last.status, 423);
        let secs: i64 = last.header("retry-after").unwrap().parse().unwrap();
        waits.push(secs);
        app.clock.advance(time::Duration::seconds(secs + 1));
    }
    assert_eq!(waits, vec![60, 120, 150]);

    assert_eq!(attempt(&app, &user.email, &user.password).await.status, 200);
    for _ in 0..5 {
        attempt(&app, &user.email, "wrong guess").await;
    }
    let res = attempt(&app, &user.email, "wrong guess").await;
    assert_eq!(res.header("retry-after"), Some("60"), "a success starts the series again");
}

#[tokio::test]
async fn failures_spread_over_time_do_not_lock() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;
    for _ in 0..8 {
        assert_eq!(attempt(&app, &user.email, "typo").await.status, 401);
        app.clock.advance(time::Duration::minutes(16));
    }
    assert_eq!(attempt(&app, &user.email, &user.password).await.status, 200);
}

#[tokio::test]
async fn an_address_that_keeps_failing_must_wait_longer_and_longer() {
    let app = spawn_app_with(|c| {
        c.set("identity.lockout.ip_max_failures", json!(3));
    })
    .await;
    let victim = app.signed_up_user().await;
    // A credential-stuffing run: a different account each time, from one address.
    for i in 0..3 {
        assert_eq!(attempt(&app, &format!("target{i}@example.test"), "123456").await.status, 401);
    }

    let res = attempt(&app, "target9@example.test", "123456").await;
    assert_error(&res, 429, "RATE_LIMITED");
    assert_eq!(res.header("retry-after"), Some("1"));
    app.clock.advance(time::Duration::seconds(2));
    assert_eq!(attempt(&app, "target10@example.test", "123456").await.status, 401);
    let res = attempt(&app, "target11@example.test", "123456").await;
    assert_eq!(res.header("retry-after"), Some("2"), "the wait doubles");
    // Even the right password must wait; it is not checked.
    assert_eq!(attempt(&app, &victim.email, &victim.password).await.status, 429);
}

#[tokio::test]
async fn attempts_per_account_are_rate_limited() {
    let app = spawn_app_with(|c| {
        c.set("rate_limit.auth_per_account", json!(3));
    })
    .await;
    let user = app.signed_up_user().await;
    // signed_up_user already signed in once.
    for _ in 0..2 {
        attempt(&app, &user.email, "wrong guess").await;
    }

    let res = attempt(&app, &user.email.to_uppercase(), &user.password).await;

    assert_error(&res, 429, "RATE_LIMITED");
    assert!(res.header("retry-after").is_some());
    assert_eq!(res.header("ratelimit-limit"), Some("3"));
    assert_eq!(res.header("ratelimit-remaining"), Some("0"));
    let other = app.signed_up_user().await;
    assert_eq!(other.client.get("/api/v1/users/me").await.status, 200, "other accounts are unaffected");
}

#[tokio::test]
async fn login_events_and_metrics_count_successes_and_failures() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;
    attempt(&app, &user.email, "wrong guess").await;
    let metrics = app.anonymous().get("/metrics").await.text;
    assert!(metrics.contains("tessera_logins_total"), "{metrics}");
    assert!(metrics.contains("tessera_logins_failed_total"), "{metrics}");
}
