//! Liveness, readiness and Prometheus metrics.

use std::sync::OnceLock;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use serde_json::json;
use tessera_kernel::AppState;

static PROMETHEUS: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide metrics recorder once; later calls reuse it.
pub fn prometheus() -> Option<PrometheusHandle> {
    PROMETHEUS
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("http_request_duration_seconds".into()),
                    &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0],
                )
                .ok()?
                .install_recorder()
                .map_err(|e| tracing::warn!(error = %e, "metrics recorder not installed"))
                .ok()
        })
        .clone()
}

pub fn routes(app: AppState) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics_text))
        .with_state(app)
}

/// Liveness: the process answers.
async fn health() -> impl IntoResponse {
    axum::Json(json!({ "status": "ok" }))
}

/// Readiness: the database answers. Redis, when configured, is reported but does
/// not make a node unready: without it each node keeps limits in its own memory.
async fn ready(State(app): State<AppState>) -> impl IntoResponse {
    let mut checks = serde_json::Map::new();
    if let Some(redis) = &app.redis {
        let state = match redis.ping().await {
            Ok(()) => "ok",
            Err(error) => {
                tracing::warn!(%error, "readiness: redis unreachable; limits are per node");
                "unreachable"
            }
        };
        checks.insert("redis".into(), json!(state));
    }
    match app.db.ping().await {
        Ok(()) => {
            checks.insert("database".into(), json!("ok"));
            (StatusCode::OK, axum::Json(json!({ "status": "ready", "checks": checks })))
        }
        Err(e) => {
            tracing::warn!(error = %e, "readiness: database unreachable");
            checks.insert("database".into(), json!("unreachable"));
            (StatusCode::SERVICE_UNAVAILABLE, axum::Json(json!({ "status": "unavailable", "checks": checks })))
        }
    }
}

/// Prometheus text exposition.
async fn metrics_text() -> impl IntoResponse {
    let body = prometheus().map(|h| h.render()).unwrap_or_default();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}
