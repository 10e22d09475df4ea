//! The OpenAPI 3.1 document and the Swagger UI, which must work offline: every
//! asset the page loads comes from this server.

use tessera_testkit::spawn_app;

#[tokio::test]
async fn the_openapi_document_is_3_1_with_the_login_route_and_a_bearer_scheme() {
    let app = spawn_app().await;

    let res = app.anonymous().get("/openapi.json").await;

    assert_eq!(res.status, 200);
    let doc = &res.json;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{}", doc["openapi"]);
    assert_eq!(doc["info"]["title"], "tessera");
    let login = &doc["paths"]["/api/v1/auth/login"]["post"];
    assert_eq!(login["operationId"], "identity.auth.login");
    let bearer = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(bearer["type"], "http");
    assert_eq!(bearer["scheme"], "bearer");
    assert_eq!(bearer["bearerFormat"], "JWT");
    let logout = &doc["paths"]["/api/v1/auth/logout"]["post"];
    assert!(logout["security"][0].get("bearer").is_some(), "{logout}");
}

#[tokio::test]
async fn docs_redirects_to_the_ui_folder() {
    let app = spawn_app().await;

    let res = app.anonymous().get("/docs").await;

    assert!((301..=308).contains(&res.status), "{}", res.status);
    assert_eq!(res.header("location"), Some("/docs/"));
}

/// Values of `attr="…"` in `html`.
fn attributes<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let needle = format!("{attr}=\"");
    html.match_indices(&needle)
        .filter_map(|(i, _)| {
            let rest = &html[i + needle.len()..];
            rest.find('"').map(|end| &rest[..end])
        })
        .collect()
}

#[tokio::test]
async fn the_docs_page_loads_every_script_and_style_from_this_server() {
    let app = spawn_app().await;
    let client = app.anonymous();

    let page = client.get("/docs/").await;

    assert_eq!(page.status, 200);
    assert!(page.header("content-type").unwrap_or_default().starts_with("text/html"));
    let mut assets = attributes(&page.text, "src");
    assets.extend(attributes(&page.text, "href"));
    assert!(assets.iter().any(|a| a.ends_with(".js")), "{}", page.text);
    assert!(assets.iter().any(|a| a.ends_with(".css")), "{}", page.text);
    for asset in assets {
        assert!(!asset.contains("//") && !asset.starts_with("http"), "{asset} is not served by this server");
        let path = format!("/docs/{}", asset.trim_start_matches("./"));
        let res = client.get(&path).await;
        assert_eq!(res.status, 200, "{path}");
        assert!(!res.text.is_empty() || path.ends_with(".png"), "{path} is empty");
        let ct = res.header("content-type").unwrap_or_default();
        if path.ends_with(".js") {
            assert!(ct.contains("javascript"), "{path}: {ct}");
        } else if path.ends_with(".css") {
            assert!(ct.starts_with("text/css"), "{path}: {ct}");
        }
    }
}

#[tokio::test]
async fn the_docs_ui_reads_the_document_from_this_server() {
    let app = spawn_app().await;

    let init = app.anonymous().get("/docs/swagger-initializer.js").await;

    assert_eq!(init.status, 200);
    assert!(init.text.contains(r#""url": "/openapi.json""#), "{}", init.text);
}
