//! `/.well-known/jwks.json`: the public keys that verify access tokens.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::IdentityState;

pub fn routes() -> OpenApiRouter<IdentityState> {
    OpenApiRouter::new().routes(routes!(jwks))
}

/// The JSON Web Key Set: the current signing key and those that may still verify
/// unexpired tokens (RFC 7517; not wrapped in the envelope).
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "auth", operation_id = "identity.jwks",
    responses((status = 200, description = "JWK Set", content_type = "application/jwk-set+json")))]
async fn jwks(State(s): State<IdentityState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/jwk-set+json"), (header::CACHE_CONTROL, "public, max-age=60")],
        s.id.tokens().jwks().to_string(),
    )
}
