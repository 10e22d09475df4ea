//! Tests of the `tessera` binary as an operator runs it: every command's help,
//! `serve` on an empty data dir (files, modes, readiness, the docs URL in the log),
//! SIGTERM/SIGINT draining, invalid configuration, `migrate`, `users create`,
//! `keys rotate` and `config` — each in its own temp folder, on loopback, SQLite.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Output, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use support::{Scratch, Server, finish, get_json, stderr, stdout, wait_until_server_read};
use tessera_testkit::{Client, TestUser};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PASSWORD: &str = "violet-Harbor-93-lantern";

#[test]
fn every_command_explains_itself_with_help() {
    let scratch = Scratch::new();
    let cases: &[(&[&str], &[&str])] = &[
        (&[], &["serve", "migrate", "config", "users", "keys", "--data-dir"]),
        (&["serve"], &["--bind", "--public-url", "--modules", "--database-url"]),
        (&["migrate"], &["apply", "status"]),
        (&["migrate", "apply"], &["Usage"]),
        (&["migrate", "status"], &["Usage"]),
        (&["config"], &["Usage"]),
        (&["users"], &["create"]),
        (&["users", "create"], &["--email", "--admin", "--name"]),
        (&["keys"], &["rotate"]),
        (&["keys", "rotate"], &["Usage"]),
    ];
    for (args, expected) in cases {
        let mut all = args.to_vec();
        all.push("--help");

        let out = scratch.run(&all, &[]);

        assert!(out.status.success(), "{all:?}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains("Usage: tessera"), "{all:?}: {text}");
        for word in *expected {
            assert!(text.contains(word), "{all:?} help lacks {word}: {text}");
        }
    }
}

#[tokio::test]
async fn serve_on_an_empty_data_dir_creates_database_and_keys_and_becomes_ready() {
    let scratch = Scratch::new();
    assert!(!scratch.data().exists());

    let server = Server::start(&scratch, &[]).ready().await;

    let (status, ready) = get_json(&server.url("/ready")).await;
    assert_eq!(status, 200);
    assert_eq!(ready["checks"]["database"], "ok");
    let mode = |p: PathBuf| std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
    assert!(scratch.data().join("tessera.db").is_file());
    assert_eq!(mode(scratch.data().join("keys")), 0o700, "keys/");
    assert_eq!(mode(scratch.data().join("keys/data.key")), 0o600, "data.key");
    let (_, jwks) = get_json(&server.url("/.well-known/jwks.json")).await;
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1, "{jwks}");
    let log = server.log();
    let docs = format!("{}/docs", server.base);
    let announced = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|l| l["fields"]["docs"] == docs.as_str())
        .unwrap_or_else(|| panic!("no JSON log line with the docs URL: {log}"));
    assert!(announced["fields"]["message"].as_str().unwrap().contains(&docs));
}

#[tokio::test]
async fn metrics_count_requests_made_before_the_first_scrape() {
    let scratch = Scratch::new();
    let server = Server::start(&scratch, &[]).ready().await;
    let (status, _) = get_json(&server.url("/health")).await;
    assert_eq!(status, 200);

    let text = reqwest::get(server.url("/metrics")).await.unwrap().text().await.unwrap();

    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/health",status="200"} 1"#),
        "the /health request before the first scrape is missing:\n{text}"
    );
}

#[tokio::test]
async fn sigterm_lets_the_request_in_flight_finish_and_exits_zero() {
    let scratch = Scratch::new();
    // About a second of argon2id per sign-in: the request is still running at SIGTERM.
    let slow = [
        ("TESSERA_IDENTITY__PASSWORD__ARGON2_MEMORY_KIB", "65536"),
        ("TESSERA_IDENTITY__PASSWORD__ARGON2_ITERATIONS", "16"),
        ("TESSERA_SERVER__SHUTDOWN_GRACE_SECS", "60"),
    ];
    let mut server = Server::start(&scratch, &slow).ready().await;
    let body = json!({ "email": "nobody@example.test", "password": "wrong-password-1" }).to_string();
    let request = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         x-request-id: sigterm-in-flight\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).await.unwrap();
    let client_port = stream.local_addr().unwrap().port();
    stream.write_all(request.as_bytes()).await.unwrap();
    wait_until_server_read(server.port, client_port).await;

    server.signal("-TERM");
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(60), stream.read_to_string(&mut answer))
        .await
        .expect("an answer within 60 s")
        .unwrap();
    let status = server.exit_status();

    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(answer.contains(r#""code":"INVALID_CREDENTIALS""#), "{answer}");
    assert!(answer.contains(r#""requestId":"sigterm-in-flight""#), "{answer}");
    assert_eq!(status.code(), Some(0), "{}", server.log());
    let log = server.log();
    let draining = log.find("draining in-flight requests").expect("drain logged");
    let served = log.find(r#""request_id":"sigterm-in-flight""#).expect("access log of the request");
    assert!(draining < served, "the request ended after shutdown began: {log}");
}

#[tokio::test]
async fn sigint_stops_an_idle_server_with_exit_status_zero() {
    let scratch = Scratch::new();
    let mut server = Server::start(&scratch, &[]).ready().await;

    server.signal("-INT");

    assert_eq!(server.exit_status().code(), Some(0), "{}", server.log());
}

#[test]
fn an_invalid_bind_in_the_environment_stops_start_up_naming_the_key() {
    let scratch = Scratch::new();

    let out = scratch.run(&["serve"], &[("TESSERA_BIND", "nonsense")]);

    assert!(!out.status.success());
    assert!(stderr(&out).contains("server.bind"), "{}", stderr(&out));
}

#[test]
fn an_unparsable_bind_in_tessera_toml_stops_start_up_naming_the_key() {
    let scratch = Scratch::new();
    std::fs::write(scratch.path().join("tessera.toml"), "[server]\nbind = \"nope\"\n").unwrap();

    let out = scratch.run(&["serve"], &[]);

    assert!(!out.status.success());
    assert!(stderr(&out).contains("server.bind"), "{}", stderr(&out));
}

#[test]
fn a_too_small_body_limit_in_tessera_toml_stops_start_up_naming_the_key() {
    let scratch = Scratch::new();
    std::fs::write(scratch.path().join("tessera.toml"), "[server]\nbody_limit = 10\n").unwrap();

    let out = scratch.run(&["serve"], &[]);

    assert!(!out.status.success());
    assert!(stderr(&out).contains("server.body_limit"), "{}", stderr(&out));
}

#[test]
fn migrate_applies_the_migrations_and_status_lists_them() {
    let scratch = Scratch::new();
    let before = scratch.run(&["migrate", "status"], &[]);

    let applied = scratch.run(&["migrate"], &[]);
    let after = scratch.run(&["migrate", "status"], &[]);

    assert!(applied.status.success(), "{}", stderr(&applied));
    assert!(stdout(&applied).contains("migrations applied"));
    let listed = |out: &Output| -> Vec<(String, String)> {
        assert!(out.status.success(), "{}", stderr(out));
        stdout(out)
            .lines()
            .filter_map(|l| l.split_once(char::is_whitespace))
            .map(|(s, n)| (s.to_owned(), n.trim().to_owned()))
            .collect()
    };
    let (before, after) = (listed(&before), listed(&after));
    assert!(after.len() >= 2, "{after:?}");
    assert!(before.iter().all(|(s, _)| s == "pending"), "{before:?}");
    assert!(after.iter().all(|(s, _)| s == "applied"), "{after:?}");
    let names: Vec<&str> = after.iter().map(|(_, n)| n.as_str()).collect();
    assert!(names.iter().any(|n| n.contains("kernel")), "{names:?}");
    assert!(names.iter().any(|n| n.contains("identity")), "{names:?}");
}

#[tokio::test]
async fn users_create_with_a_piped_password_makes_an_admin_who_can_sign_in() {
    let scratch = Scratch::new();

    let out = create_user(&scratch, &["--email", "admin@example.test", "--admin"], PASSWORD);
    let server = Server::start(&scratch, &[]).ready().await;
    let admin = TestUser::login(&Client::at(&server.base), "admin@example.test", PASSWORD).await;
    let me = admin.client.get("/api/v1/users/me").await;

    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("admin@example.test"), "{}", stdout(&out));
    assert!(!stdout(&out).contains("token="), "{}", stdout(&out));
    assert_eq!(me.data()["role"], "admin", "{}", me.text);
    assert_eq!(me.data()["email"], "admin@example.test");
}

#[test]
fn users_create_without_a_piped_password_prints_a_one_time_link() {
    let scratch = Scratch::new();

    let out = scratch.run(&["users", "create", "--email", "someone@example.test"], &[]);

    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("someone@example.test"), "{text}");
    let link =
        text.split_whitespace().find(|w| w.contains("token=")).unwrap_or_else(|| panic!("no link with token=: {text}"));
    assert!(link.starts_with("http"), "{link}");
    assert!(link.split("token=").nth(1).is_some_and(|t| t.len() >= 20), "{link}");
}

#[tokio::test]
async fn keys_rotate_prints_the_new_kid_and_jwks_then_lists_both_keys() {
    let scratch = Scratch::new();

    let out = scratch.run(&["keys", "rotate"], &[]);
    let server = Server::start(&scratch, &[]).ready().await;
    let (_, jwks) = get_json(&server.url("/.well-known/jwks.json")).await;

    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let kid = text.split_whitespace().skip_while(|w| *w != "key").nth(1).unwrap_or_else(|| panic!("no kid in {text}"));
    let kids: Vec<&str> = jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert_eq!(kids.len(), 2, "{jwks}");
    assert!(kids.contains(&kid), "{kid} not in {kids:?}");
}

#[test]
fn config_prints_toml_with_the_database_password_redacted() {
    let scratch = Scratch::new();
    let url = "postgres://app:hunter2@127.0.0.1/x";

    let mail = "smtp://mailer:topsecret@127.0.0.1:2525";

    let out = scratch.run(&["config"], &[("TESSERA_DATABASE_URL", url), ("TESSERA_MAIL_URL", mail)]);

    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(!text.contains("hunter2"), "{text}");
    assert!(!text.contains("topsecret"), "{text}");
    assert!(text.contains("***"), "{text}");
    let shown: toml::Value = toml::from_str(&text).unwrap();
    assert_eq!(shown["database"]["url"].as_str(), Some("postgres://app:***@127.0.0.1/x"));
}

#[test]
fn config_shows_flags_winning_over_the_environment() {
    let scratch = Scratch::new();
    let env = [("TESSERA_DATA_DIR", "/from/the/environment"), ("TESSERA_SERVER__BODY_LIMIT", "4096")];

    let out = scratch.run(&["config"], &env);

    assert!(out.status.success(), "{}", stderr(&out));
    let shown: toml::Value = toml::from_str(&stdout(&out)).unwrap();
    let flag = scratch.data();
    assert_eq!(shown["data"]["dir"].as_str(), flag.to_str());
    assert_eq!(shown["server"]["body_limit"].as_integer(), Some(4096));
}

#[test]
fn an_unknown_key_in_the_environment_stops_start_up_naming_it() {
    let scratch = Scratch::new();

    let out = scratch.run(&["serve"], &[("TESSERA_SERVER__BODYLIMIT", "4096")]);

    assert!(!out.status.success());
    assert!(stderr(&out).contains("server.bodylimit"), "{}", stderr(&out));
}

#[test]
fn serve_on_a_port_in_use_exits_non_zero_naming_the_bind_key() {
    let scratch = Scratch::new();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let bind = taken.local_addr().unwrap().to_string();

    let out = scratch.run(&["serve", "--bind", &bind], &[]);

    assert!(!out.status.success());
    assert!(stderr(&out).contains("server.bind"), "{}", stderr(&out));
}

/// Runs `users create <args>` with `password` piped on stdin.
fn create_user(scratch: &Scratch, args: &[&str], password: &str) -> Output {
    let mut cmd = scratch.tessera();
    cmd.args(["users", "create"]).args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{password}").unwrap();
    drop(stdin);
    finish(child)
}

#[test]
fn users_create_refuses_an_address_that_is_taken() {
    let scratch = Scratch::new();
    let first = create_user(&scratch, &["--email", "taken@example.test"], PASSWORD);

    let second = create_user(&scratch, &["--email", "taken@example.test"], PASSWORD);

    assert!(first.status.success(), "{}", stderr(&first));
    assert!(!second.status.success());
    assert!(stderr(&second).contains("already exists"), "{}", stderr(&second));
}

#[test]
fn users_create_refuses_a_weak_piped_password_naming_the_rule() {
    let scratch = Scratch::new();

    let out = create_user(&scratch, &["--email", "weak@example.test"], "short");

    assert!(!out.status.success());
    assert!(stderr(&out).contains("password"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty(), "no user created: {}", stdout(&out));
}

#[tokio::test]
async fn the_access_log_keeps_tokens_in_paths_out() {
    let scratch = Scratch::new();
    let mut server = Server::start(&scratch, &[]).ready().await;
    let token = "SecretInvitationToken0123456789abcdefghijklm";
    let url = format!("http://127.0.0.1:{}/api/v1/invitations/{token}", server.port);
    let res = reqwest::get(&url).await.unwrap();
    assert_eq!(res.status(), 404);
    let page = reqwest::get(format!("http://127.0.0.1:{}/invitations/{token}", server.port)).await.unwrap();
    assert_eq!(page.status(), 200);
    server.signal("-TERM");
    server.exit_status();
    let log = server.log();
    assert!(log.contains(r#""route":"/api/v1/invitations/{token}""#), "{log}");
    assert!(!log.contains(token), "the token stays out of the log: {log}");
}
