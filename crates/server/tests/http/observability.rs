//! `/health`, `/ready` and the Prometheus metrics (request counter and histogram,
//! sign-in counters). The recorder is process-wide and other tests run at the same
//! time, so counters are compared before and after, as "at least".

use serde_json::json;
use tessera_testkit::{TestApp, spawn_app};

#[tokio::test]
async fn health_answers_ok() {
    let app = spawn_app().await;

    let res = app.anonymous().get("/health").await;

    assert_eq!(res.status, 200);
    assert_eq!(res.json, json!({ "status": "ok" }));
}

#[tokio::test]
async fn ready_reports_the_database_ok() {
    let app = spawn_app().await;

    let res = app.anonymous().get("/ready").await;

    assert_eq!(res.status, 200);
    assert_eq!(res.json["status"], "ready");
    assert_eq!(res.json["checks"]["database"], "ok");
}

async fn scrape(app: &TestApp) -> String {
    let res = app.anonymous().get("/metrics").await;
    assert_eq!(res.status, 200);
    assert!(res.header("content-type").unwrap_or_default().starts_with("text/plain"), "{:?}", res.headers);
    res.text
}

/// The value of the sample named exactly `series` (name and labels), 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')).map_or(0.0, |v| v.trim().parse().unwrap())
}

#[tokio::test]
async fn metrics_count_requests_by_method_route_and_status() {
    let app = spawn_app().await;
    let before = scrape(&app).await;
    let ready = r#"http_requests_total{method="GET",route="/ready",status="200"}"#;
    let login = r#"http_requests_total{method="POST",route="/api/v1/auth/login",status="422"}"#;

    app.anonymous().get("/ready").await;
    app.anonymous().get("/ready").await;
    app.anonymous().post("/api/v1/auth/login", &json!({ "email": 1 })).await;
    let after = scrape(&app).await;

    assert!(sample(&after, ready) >= sample(&before, ready) + 2.0, "{after}");
    assert!(sample(&after, login) >= sample(&before, login) + 1.0, "{after}");
    assert!(after.contains(r#"http_request_duration_seconds_count{method="GET",route="/ready"}"#), "{after}");
    assert!(
        after.contains(r#"http_request_duration_seconds_bucket{method="GET",route="/ready",le="0.005"}"#),
        "{after}"
    );
}

#[tokio::test]
async fn metrics_count_sign_ins_failed_sign_ins_and_refreshes() {
    let app = spawn_app().await;
    let before = scrape(&app).await;
    let (ok, failed, refreshed) = (
        "tessera_logins_total",
        r#"tessera_logins_failed_total{reason="credentials"}"#,
        "tessera_token_refreshes_total",
    );

    let user = app.signed_up_user().await;
    let bad = app
        .anonymous()
        .post("/api/v1/auth/login", &json!({ "email": user.email, "password": "not-the-password-1" }))
        .await;
    let refresh = app.anonymous().post("/api/v1/auth/refresh", &json!({ "refreshToken": user.refresh_token })).await;
    let after = scrape(&app).await;

    assert_eq!(bad.status, 401);
    assert_eq!(refresh.status, 200, "{}", refresh.text);
    assert!(sample(&after, ok) >= sample(&before, ok) + 1.0, "{after}");
    assert!(sample(&after, failed) >= sample(&before, failed) + 1.0, "{after}");
    assert!(sample(&after, refreshed) >= sample(&before, refreshed) + 1.0, "{after}");
}

#[tokio::test]
async fn unknown_paths_share_one_metrics_label_so_series_stay_few() {
    let app = spawn_app().await;
    scrape(&app).await;
    let path = format!("/probe-{}", std::process::id());

    let res = app.anonymous().get(&path).await;
    let text = scrape(&app).await;

    assert_eq!(res.status, 404);
    assert!(!text.contains(&path), "a raw path became a label: {text}");
    assert!(text.contains(r#"http_requests_total{method="GET",route="unmatched",status="404"}"#), "{text}");
}
