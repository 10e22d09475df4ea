//! The request id and client of the request being served, kept in task-locals so
//! errors, logs and audit entries can carry them without threading them through
//! every call.

use std::future::Future;

tokio::task_local! {
    static REQUEST_ID: String;
    static CLIENT: (String, Option<String>);
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

/// The address and user agent of the request this task serves, if any.
pub fn client() -> Option<(String, Option<String>)> {
    CLIENT.try_with(Clone::clone).ok()
}

/// Runs `fut` with the client's address and user agent at hand (for audit entries).
pub async fn scope_client<F: Future>(ip: String, user_agent: Option<String>, fut: F) -> F::Output {
    CLIENT.scope((ip, user_agent), fut).await
}
