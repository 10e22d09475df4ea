//! The OpenAPI 3.1 document, assembled from the module routers, and the Swagger UI
//! served from files compiled into the binary (no CDN, works offline).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{InfoBuilder, OpenApi};

/// Adds the document's title, version and bearer security scheme.
pub fn finish(mut doc: OpenApi) -> OpenApi {
    doc.info = InfoBuilder::new()
        .title("tessera")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "One backend for user-facing products: identity, organizations, access control, \
             webhooks and more. Every answer uses the envelope {success, data} or \
             {success:false, error:{code, message, details, requestId}}.",
        ))
        .build();
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
    );
    doc
}
