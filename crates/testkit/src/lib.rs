//! Boots the real tessera server for tests: a random port on 127.0.0.1, its own
//! database (a temp-dir SQLite file, or a fresh `tessera_t_<uuid>` database on the
//! machine's PostgreSQL or MariaDB, dropped afterwards), a clock tests can move,
//! and helpers to drive it the way a client would.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod assert;
mod client;
mod db;
mod fixtures;
mod mail;
mod redis;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

pub use assert::{assert_error, assert_field_error, error_fields, field_codes};
pub use client::{Client, TestResponse};
pub use db::{Engine, TestDatabase};
pub use fixtures::{ApiKey, Invitation, Org, fresh_email, id_of, publish};
pub use mail::{Inbox, ReceivedMail, SmtpSecurity, SmtpSink};
pub use redis::{ThrowawayRedis, fresh_prefix, redis_url};
use serde_json::{Value, json};
use tessera::Modules;
use tessera_identity::api::{Identity, NewAccount, Secret};
use tessera_kernel::config::Settings;
use tessera_kernel::ids::UserId;
use tessera_kernel::module::Services;
use tessera_kernel::{Clock, Core};
use tokio::sync::oneshot;

/// A running application.
pub struct TestApp {
    pub addr: SocketAddr,
    pub base_url: String,
    pub clock: Clock,
    pub core: Core,
    /// What the modules provided (their `api` handles), as other modules reach them.
    pub services: Services,
    pub data_dir: PathBuf,
    /// The database URL this app uses.
    pub database_url: String,
    /// Where the file mail transport writes, unless an SMTP sink is used.
    pub mail_dir: PathBuf,
    http: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    _db: db::TestDatabase,
    _dir: tempfile::TempDir,
}

/// Extra configuration for [`spawn_app_with`]: dotted keys and values.
#[derive(Default)]
pub struct TestConfig {
    pub overrides: Vec<(String, Value)>,
}

impl TestConfig {
    pub fn set(&mut self, key: &str, value: Value) -> &mut Self {
        self.overrides.push((key.to_owned(), value));
        self
    }
}

/// Boots the application with the test defaults.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Two nodes of one deployment: the first as [`spawn_app_with`] makes it, the second
/// on its database, data dir (the key that seals secrets) and public URL (the
/// token issuer), both configured by `configure`.
pub async fn spawn_nodes(configure: impl Fn(&mut TestConfig)) -> (TestApp, TestApp) {
    let first = spawn_app_with(&configure).await;
    let second = spawn_app_with(|cfg| {
        configure(cfg);
        cfg.set("database.url", json!(first.database_url))
            .set("data.dir", json!(first.data_dir))
            .set("server.public_url", json!(first.base_url));
    })
    .await;
    (first, second)
}

/// Boots the application after `configure` adjusts the test configuration.
pub async fn spawn_app_with(configure: impl FnOnce(&mut TestConfig)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = db::TestDatabase::create(Engine::from_env(), dir.path()).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let base_url = format!("http://{addr}");
    let mail_dir = dir.path().join("mail");
    let mut cfg = TestConfig::default();
    cfg.set("server.bind", json!(addr.to_string()))
        .set("server.public_url", json!(base_url))
        .set("server.shutdown_grace_secs", json!(2))
        .set("data.dir", json!(dir.path()))
        .set("database.url", json!(database.url))
        .set("database.max_connections", json!(5))
        .set("mail.url", json!(format!("file://{}", mail_dir.display())))
        .set("rate_limit.global_per_ip", json!(100_000))
        .set("rate_limit.auth_per_ip", json!(100_000))
        .set("rate_limit.auth_per_account", json!(100_000))
        .set("identity.password.argon2_memory_kib", json!(64))
        .set("identity.password.argon2_iterations", json!(1))
        .set("identity.lockout.ip_max_failures", json!(100_000));
    configure(&mut cfg);
    let overrides: Vec<(&str, Value)> = cfg.overrides.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    let last = |key: &str| {
        overrides
            .iter()
            .rev()
            .find(|(k, _)| *k == key)
            .and_then(|(_, v)| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    let (database_url, data_dir) = (last("database.url"), PathBuf::from(last("data.dir")));
    let settings = Settings::for_test(&tessera_server::default_configs::<Modules>(), &overrides);
    let clock = Clock::system();
    let app = tessera_server::build::<Modules>(settings, clock.clone()).await.expect("the application builds");
    let core = app.core.clone();
    let services = app.services.clone();
    let (tx, rx) = oneshot::channel();
    let server = tokio::spawn(async move {
        let shutdown = async move {
            let _ = rx.await;
        };
        if let Err(e) = tessera_server::serve(app, listener, shutdown).await {
            eprintln!("test server stopped: {e}");
        }
    });
    TestApp {
        addr,
        base_url,
        clock,
        core,
        services,
        data_dir,
        database_url,
        mail_dir,
        http: reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client"),
        shutdown: Some(tx),
        server: Some(server),
        _db: database,
        _dir: dir,
    }
}

impl TestApp {
    /// The service a module provided (its `api`), e.g. `app.service::<tessera_identity::api::Identity>()`.
    pub fn service<T: ?Sized + Send + Sync + 'static>(&self) -> Arc<T> {
        self.services.get::<T>().unwrap_or_else(|| panic!("no module provides {}", std::any::type_name::<T>()))
    }

    /// A client without credentials.
    pub fn anonymous(&self) -> Client {
        Client::new(self.http.clone(), self.base_url.clone(), None)
    }

    /// A client sending `Authorization: Bearer <token>`.
    pub fn with_token(&self, token: &str) -> Client {
        Client::new(self.http.clone(), self.base_url.clone(), Some(token.to_owned()))
    }

    /// Stops the server, waiting for in-flight requests, as SIGTERM would.
    pub async fn stop(mut self) {
        self.halt().await;
    }

    /// Stops the server and its background work like [`TestApp::stop`], but keeps the
    /// database and the data dir (with the key that seals secrets) until this value is
    /// dropped, so another app can be started on them: `database.url` = `database_url`,
    /// `data.dir` = `data_dir`.
    pub async fn halt(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }

    /// Registers a new account through the API and signs it in.
    pub async fn signed_up_user(&self) -> TestUser {
        self.register_and_login(&fresh_email("user"), "correct horse battery staple").await
    }

    /// Registers `email` with `password` and signs in.
    pub async fn register_and_login(&self, email: &str, password: &str) -> TestUser {
        TestUser::register(&self.anonymous(), email, password).await
    }

    /// Signs in an existing account.
    pub async fn login(&self, email: &str, password: &str) -> TestUser {
        TestUser::login(&self.anonymous(), email, password).await
    }

    /// A new account whose address is confirmed with the link from its mail, signed in.
    pub async fn verified_user(&self) -> TestUser {
        self.verified_user_via(self, &fresh_email("user")).await
    }

    /// Registers `email`, confirms it with the link from the mail `inbox` received, and signs in.
    pub async fn verified_user_via(&self, inbox: &dyn Inbox, email: &str) -> TestUser {
        let user = self.register_and_login(email, "correct horse battery staple").await;
        let mail = inbox.mail_to(email, "Confirm your e-mail").await;
        let token = mail.token(&format!("{}/verify-email", self.base_url)).expect("a verification link");
        let res = self.anonymous().post("/api/v1/auth/verify-email", &json!({ "token": token })).await;
        assert_eq!(res.status, 200, "verify: {}", res.text);
        user
    }

    /// A platform administrator, created the way the CLI does, then signed in.
    pub async fn admin(&self) -> TestUser {
        let email = fresh_email("admin");
        let password = "admin password for tests";
        let secret = Secret::new(password.to_owned());
        let new = NewAccount { email: &email, name: Some("Admin"), password: Some(&secret), admin: true };
        self.service::<Identity>().create_account(new).await.unwrap();
        self.login(&email, password).await
    }

    /// Mails written by the file transport so far.
    pub fn mails(&self) -> Vec<ReceivedMail> {
        mail::read_dir(&self.mail_dir)
    }

    /// Waits (at most 10 s) for a mail to `to` whose subject contains `subject`.
    pub async fn mail_to(&self, to: &str, subject: &str) -> ReceivedMail {
        (self as &dyn Inbox).mail_to(to, subject).await
    }

    /// Every event recorded, relayed or still in the outbox, oldest first: `(type, data)`.
    pub async fn events(&self) -> Vec<(String, Value)> {
        let all = tessera_events::testing::recorded(&self.core).await.unwrap();
        all.into_iter().map(|e| (e.event_type, e.data)).collect()
    }

    /// Event types recorded, oldest first.
    pub async fn event_types(&self) -> Vec<String> {
        self.events().await.into_iter().map(|(t, _)| t).collect()
    }
}

/// The file transport's mail.
impl Inbox for TestApp {
    fn received(&self) -> Vec<ReceivedMail> {
        self.mails()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A signed-in account.
#[derive(Clone, Debug)]
pub struct TestUser {
    pub id: UserId,
    pub email: String,
    pub password: String,
    pub access_token: String,
    pub refresh_token: String,
    pub client: Client,
}

impl TestUser {
    /// Registers `email` with `password` through `anonymous` (any server's client) and signs in.
    pub async fn register(anonymous: &Client, email: &str, password: &str) -> Self {
        let body = json!({ "email": email, "password": password, "name": "Test User" });
        let res = anonymous.post("/api/v1/auth/register", &body).await;
        assert_eq!(res.status, 201, "register: {}", res.text);
        Self::login(anonymous, email, password).await
    }

    /// Signs in an existing account through `anonymous`.
    pub async fn login(anonymous: &Client, email: &str, password: &str) -> Self {
        let res = anonymous.post("/api/v1/auth/login", &json!({ "email": email, "password": password })).await;
        assert_eq!(res.status, 200, "login: {}", res.text);
        let data = res.data();
        let access = data["accessToken"].as_str().unwrap().to_owned();
        Self {
            id: fixtures::typed_id_of(&data["user"]),
            email: email.to_owned(),
            password: password.to_owned(),
            refresh_token: data["refreshToken"].as_str().unwrap().to_owned(),
            client: anonymous.with_token(&access),
            access_token: access,
        }
    }
}

/// The time an API field holds, parsed (tests compare times, never their text).
/// Panics unless the field is RFC 3339 in UTC with exactly three fraction digits,
/// the one form the API writes.
pub fn time_of(field: &Value) -> time::OffsetDateTime {
    let raw = field.as_str().unwrap_or_else(|| panic!("not a time: {field}"));
    let shape = raw.len() == 24 && raw.ends_with('Z') && raw.as_bytes()[19] == b'.';
    assert!(shape, "times are written as 2026-01-31T12:00:00.000Z, not {raw}");
    time::OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|e| panic!("{raw} is not RFC 3339: {e}"))
}
