//! The pages behind the links in e-mails (`/verify-email`, `/reset-password`), so
//! the default links work with no front end of one's own. Static HTML and a script
//! from the binary; the token stays in the page and goes to the API by POST.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

fn page(html: &'static str) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], html)
}

pub fn routes() -> Router {
    Router::new()
        .route("/verify-email", get(|| async { page(include_str!("../../assets/verify-email.html")) }))
        .route("/reset-password", get(|| async { page(include_str!("../../assets/reset-password.html")) }))
        .route(
            "/assets/account.js",
            get(|| async {
                ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("../../assets/account.js"))
            }),
        )
        .route(
            "/assets/account.css",
            get(|| async {
                ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("../../assets/account.css"))
            }),
        )
}
