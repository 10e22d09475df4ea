//! The OpenAPI 3.1 document, assembled from the module routers, and the Swagger UI
//! served from files compiled into the binary (no CDN, works offline).
//!
//! Handlers declare what they answer themselves; what is answered before a
//! handler runs is added here, derived from what each operation declares, so
//! that list cannot drift from the code: a request body gets the kernel's
//! [`JSON_FAILURES`], query parameters [`QUERY_FAILURES`], path parameters
//! [`PATH_FAILURES`], the bearer scheme [`ACTOR_FAILURES`], and every route what
//! the server's layers answer ([`EVERY_ROUTE`]). Every error answer carries the
//! `ErrorEnvelope` schema. A declaration an operation lacks (a body it reads, a
//! scheme it checks) shows up as an undocumented status in `scripts/api-fuzz`.

use axum::Router;
use axum::http::{StatusCode, header};
use axum::routing::get;
use bytes::Bytes;
use tessera_kernel::actor::ACTOR_FAILURES;
use tessera_kernel::error::{Body, Envelope, Failure};
use tessera_kernel::extract::{JSON_FAILURES, PATH_FAILURES, QUERY_FAILURES};
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    Content, HeaderBuilder, InfoBuilder, ObjectBuilder, OpenApi, PathItem, Ref, RefOr, Response, Type,
};
use utoipa::{PartialSchema, ToSchema};
use utoipa_swagger_ui::{Config, SwaggerUi};

/// What the server's layers can answer on any route: the request timeout, the
/// global per-address limit (and every stricter one), and the internal error
/// that a failed database or a caught panic becomes.
pub const EVERY_ROUTE: &[Failure] = &[
    Failure {
        status: StatusCode::REQUEST_TIMEOUT,
        description: "REQUEST_TIMEOUT: the request took longer than server.request_timeout_secs",
    },
    Failure {
        status: StatusCode::TOO_MANY_REQUESTS,
        description: "RATE_LIMITED: a rate limit refused the request; Retry-After says when to try again",
    },
    Failure { status: StatusCode::INTERNAL_SERVER_ERROR, description: "INTERNAL: something went wrong on our side" },
];

/// `/openapi.json`, serialized once here (the document itself is not kept: its
/// structures take several times the memory of its 300 KB of JSON), and the
/// Swagger UI at `/docs` reading it.
pub fn routes(doc: OpenApi) -> Router {
    // Serializing a document of string-keyed maps cannot fail; an empty body would show at once in /docs.
    let json = Bytes::from(serde_json::to_vec(&doc).unwrap_or_default());
    drop(doc);
    let serve = move || {
        let json = json.clone();
        async move { ([(header::CONTENT_TYPE, "application/json")], json) }
    };
    Router::new()
        .route("/openapi.json", get(serve))
        .merge(SwaggerUi::new("/docs").config(Config::from("/openapi.json")))
}

/// Adds the document's title, version and bearer security scheme, and the
/// failures every operation can answer besides those it declares.
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
    components.schemas.insert(Envelope::name().into_owned(), Envelope::schema());
    components.schemas.insert(Body::name().into_owned(), Body::schema());
    for item in doc.paths.paths.values_mut() {
        for op in operations(item) {
            document_failures(op);
        }
    }
    doc
}

fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    let PathItem { get, put, post, delete, options, head, patch, trace, query, additional_operations, .. } = item;
    [get, put, post, delete, options, head, patch, trace, query]
        .into_iter()
        .filter_map(Option::as_mut)
        .chain(additional_operations.values_mut())
}

/// The failures answered before `op`'s handler runs, from what it declares.
fn failures_of(op: &Operation) -> Vec<Failure> {
    let mut out = Vec::new();
    if op.request_body.is_some() {
        out.extend_from_slice(JSON_FAILURES);
    }
    let params = op.parameters.iter().flatten().filter_map(|p| match p {
        RefOr::T(p) => Some(&p.parameter_in),
        RefOr::Ref(_) => None,
    });
    let (mut query, mut path) = (false, false);
    for place in params {
        query |= matches!(place, ParameterIn::Query);
        path |= matches!(place, ParameterIn::Path);
    }
    if query {
        out.extend_from_slice(QUERY_FAILURES);
    }
    if path {
        out.extend_from_slice(PATH_FAILURES);
    }
    // `security((), ("bearer" = []))` (credentials optional) still refuses bad ones.
    let authenticated = op.security.iter().flatten().any(|req| {
        serde_json::to_value(req).ok().and_then(|v| v.as_object().map(|o| o.contains_key("bearer"))).unwrap_or(false)
    });
    if authenticated {
        out.extend_from_slice(ACTOR_FAILURES);
    }
    out.extend_from_slice(EVERY_ROUTE);
    out
}

/// Lists `op`'s implicit failures beside its declared answers; gives every error
/// answer the envelope schema and every answer a description.
fn document_failures(op: &mut Operation) {
    for failure in failures_of(op) {
        let key = failure.status.as_str().to_owned();
        let entry = op.responses.responses.entry(key).or_insert_with(|| RefOr::T(Response::new("")));
        if let RefOr::T(res) = entry {
            if res.description.is_empty() {
                res.description = failure.description.to_owned();
            } else if !res.description.contains(failure.description) {
                res.description = format!("{}; {}", res.description, failure.description);
            }
        }
    }
    for (status, entry) in op.responses.responses.iter_mut() {
        let RefOr::T(res) = entry else { continue };
        let code = status.parse::<StatusCode>().ok();
        if res.description.is_empty() {
            res.description = code.and_then(|c| c.canonical_reason()).unwrap_or("").to_owned();
        }
        let is_error = code.is_some_and(|c| c.is_client_error() || c.is_server_error());
        if is_error && res.content.is_empty() {
            let schema = Ref::from_schema_name(Envelope::name());
            res.content.insert("application/json".into(), RefOr::T(Content::new(Some(schema))));
        }
        if code == Some(StatusCode::TOO_MANY_REQUESTS) {
            let seconds = ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(1));
            let header = HeaderBuilder::new()
                .schema(Some(seconds))
                .description(Some("Seconds after which the request may be retried"))
                .build();
            res.headers.entry("Retry-After".into()).or_insert(RefOr::T(header));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::{Value, json};
    use utoipa::openapi::path::{OperationBuilder, ParameterBuilder};
    use utoipa::openapi::request_body::RequestBodyBuilder;
    use utoipa::openapi::{PathsBuilder, SecurityRequirement};

    use super::*;

    fn document(op: Operation) -> Value {
        let paths = PathsBuilder::new()
            .path("/things/{thingId}", utoipa::openapi::PathItem::new(utoipa::openapi::HttpMethod::Post, op))
            .build();
        let doc = utoipa::openapi::OpenApiBuilder::new().paths(paths).build();
        serde_json::to_value(finish(doc)).unwrap()["paths"]["/things/{thingId}"]["post"]["responses"].clone()
    }

    fn statuses(responses: &Value) -> Vec<&str> {
        responses.as_object().unwrap().keys().map(String::as_str).collect()
    }

    #[test]
    fn an_operation_declaring_nothing_lists_only_what_every_route_answers() {
        let responses = document(OperationBuilder::new().response("204", Response::new("")).build());

        assert_eq!(statuses(&responses), ["204", "408", "429", "500"]);
        assert_eq!(responses["204"]["description"], "No Content");
        assert!(responses["204"].get("content").is_none());
        assert_eq!(responses["429"]["headers"]["Retry-After"]["schema"]["type"], "integer");
    }

    #[test]
    fn a_body_a_query_a_path_and_the_bearer_scheme_each_add_what_their_extractor_answers() {
        let op = OperationBuilder::new()
            .request_body(Some(RequestBodyBuilder::new().build()))
            .parameter(ParameterBuilder::new().name("thingId").parameter_in(ParameterIn::Path))
            .parameter(ParameterBuilder::new().name("page").parameter_in(ParameterIn::Query))
            .security(SecurityRequirement::default())
            .security(SecurityRequirement::new("bearer", Vec::<String>::new()))
            .response("200", Response::new("the thing"))
            .response("400", Response::new("THING_BROKEN"))
            .build();

        let responses = document(op);

        assert_eq!(statuses(&responses), ["200", "400", "401", "404", "408", "413", "415", "422", "429", "500"]);
        let described = |s: &str| responses[s]["description"].as_str().unwrap().to_owned();
        assert!(described("400").starts_with("THING_BROKEN; INVALID_JSON"), "{}", described("400"));
        assert!(described("400").contains("BAD_REQUEST"), "{}", described("400"));
        assert!(described("401").starts_with("UNAUTHORIZED"));
        assert!(described("422").contains("a field is missing") && described("422").contains("a parameter"));
        assert!(responses["200"].get("content").is_none(), "a success keeps what it declared");
        for status in ["400", "401", "404", "408", "413", "415", "422", "429", "500"] {
            assert_eq!(
                responses[status]["content"]["application/json"]["schema"],
                json!({ "$ref": "#/components/schemas/ErrorEnvelope" }),
                "{status}"
            );
        }
    }

    #[test]
    fn the_envelope_schema_describes_what_an_api_error_sends() {
        let doc = serde_json::to_value(finish(utoipa::openapi::OpenApiBuilder::new().build())).unwrap();
        let schemas = &doc["components"]["schemas"];

        assert_eq!(schemas["ErrorEnvelope"]["required"], json!(["success", "error"]));
        assert_eq!(schemas["ErrorEnvelope"]["properties"]["error"]["$ref"], "#/components/schemas/ErrorBody");
        assert_eq!(schemas["ErrorBody"]["required"], json!(["code", "message"]));
        let mut props: Vec<&String> = schemas["ErrorBody"]["properties"].as_object().unwrap().keys().collect();
        props.sort_unstable();
        assert_eq!(props, ["code", "details", "message", "requestId"]);
    }
}
