//! The request id of the request being served, kept in a task-local so errors and
//! logs can carry it without threading it through every call.

use std::future::Future;

tokio::task_local! {
    static REQUEST_ID: String;
}

/// The id of the request this task serves, if any.
pub fn current() -> Option<String> {
    REQUEST_ID.try_with(Clone::clone).ok()
}

/// Runs `fut` with `id` as the current request id.
pub async fn scope<F: Future>(id: String, fut: F) -> F::Output {
    REQUEST_ID.scope(id, fut).await
}

/// Accepts a client-supplied id only when it is short and printable, so it is safe in logs.
pub fn is_acceptable(raw: &str) -> bool {
    (1..=128).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}
