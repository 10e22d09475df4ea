//! The binary composes every module of `tessera::Modules` completely: each
//! module's migrations are applied, its permissions and event types are in the
//! catalogues, and every route it mounts on its own is in the composed API (and
//! only its routes when it runs alone). A module that forgot to hand the server
//! one of these fails here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use tessera::{ModuleList, Modules};
use tessera_testkit::{TestApp, spawn_app, spawn_app_with};

/// The operation ids of the app's OpenAPI document.
async fn operations(app: &TestApp) -> BTreeSet<String> {
    let res = app.anonymous().get("/openapi.json").await;
    assert_eq!(res.status, 200);
    let doc: Value = serde_json::from_str(&res.text).unwrap();
    let mut ops = BTreeSet::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            if let Some(id) = op["operationId"].as_str() {
                ops.insert(id.to_owned());
            }
        }
    }
    ops
}

/// The names of the migrations the app's database records as applied.
async fn applied_migrations(app: &TestApp) -> BTreeSet<String> {
    let conn = &app.core.db.conn;
    let sql = Statement::from_string(conn.get_database_backend(), "SELECT version FROM seaql_migrations");
    let rows = conn.query_all_raw(sql).await.unwrap();
    rows.iter().map(|r| r.try_get::<String>("", "version").unwrap()).collect()
}

/// `GET path` as a list of objects, by `field`.
async fn listed(app: &TestApp, token: &str, path: &str, field: &str) -> BTreeSet<(String, String)> {
    let res = app.with_token(token).get(path).await;
    assert_eq!(res.status, 200, "{path}: {}", res.text);
    let items = res.data();
    let items = items.as_array().unwrap_or_else(|| panic!("{path} lists nothing: {}", res.text));
    items.iter().map(|i| (i[field].as_str().unwrap().to_owned(), i["module"].as_str().unwrap().to_owned())).collect()
}

#[tokio::test]
async fn every_module_hands_the_server_its_migrations_permissions_event_types_and_routes() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;
    let migrations = applied_migrations(&app).await;
    let permissions = listed(&app, &user.access_token, "/api/v1/permissions", "key").await;
    let event_types = listed(&app, &user.access_token, "/api/v1/event-types", "name").await;
    let composed = operations(&app).await;
    let modules = Modules::modules();
    assert!(modules.len() >= 6, "the binary composes its modules");

    for module in &modules {
        let name = module.name();
        for m in module.migrations() {
            assert!(migrations.contains(m.name()), "{name}: migration {} not applied", m.name());
        }
        for p in module.permissions() {
            assert!(permissions.contains(&(p.key.to_string(), name.to_owned())), "{name}: permission {}", p.key);
        }
        for t in module.event_types() {
            assert!(event_types.contains(&(t.name.to_owned(), name.to_owned())), "{name}: event type {}", t.name);
        }
        // What the module mounts running alone is in the composed API, and is its own.
        let alone = spawn_app_with(|cfg| {
            cfg.set("server.modules", json!(name));
        })
        .await;
        let own = operations(&alone).await;
        assert!(!own.is_empty(), "{name} mounts no route");
        for op in &own {
            assert!(op.starts_with(&format!("{name}.")), "{name} alone mounts {op}, another module's operation");
            assert!(composed.contains(op), "{name}: {op} is missing from the composed API");
        }
    }
    let declared: usize = modules.iter().map(|m| m.permissions().len()).sum();
    assert_eq!(permissions.len(), declared, "the catalogue holds exactly the modules' permissions");
}

#[tokio::test]
async fn a_module_selection_naming_no_module_stops_start_up_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let settings = tessera_kernel::config::Settings::for_test(
        &tessera_server::default_configs::<Modules>(),
        &[("server.modules", json!("identity, billing")), ("data.dir", json!(dir.path()))],
    );
    let err = match tessera_server::build::<Modules>(settings, tessera_kernel::Clock::system()).await {
        Ok(_) => panic!("an unknown module was accepted"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("`server.modules`") && err.contains("billing"), "{err}");
}
