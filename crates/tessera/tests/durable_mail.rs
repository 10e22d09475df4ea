//! Mail survives a crash. A password-reset request is answered only once its
//! mail is a job in the database; the process is killed (SIGKILL) right after
//! the answer, while its SMTP server refuses connections so nothing could have
//! been sent; after a restart on the same database the mail arrives at a real
//! SMTP server, and its link resets the password.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use serde_json::json;
use support::{Scratch, Server};
use tessera_testkit::{Client, Engine, SmtpSink, TestDatabase, TestUser};

const PASSWORD: &str = "correct horse battery staple";

/// A loopback port nothing listens on: connections to it are refused.
fn refused_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn a_reset_mail_requested_just_before_a_crash_is_sent_after_the_restart() {
    let scratch = Scratch::new();
    let db = TestDatabase::create(Engine::from_env(), &scratch.data()).await;
    let nowhere = format!("smtp://127.0.0.1:{}", refused_port());
    let env = |mail: &str| {
        vec![
            ("TESSERA_DATABASE_URL".to_owned(), db.url.clone()),
            ("TESSERA_MAIL_URL".to_owned(), mail.to_owned()),
            // A job the killed node held is taken over soon after its lease runs out.
            ("TESSERA_JOBS__LEASE_SECS".to_owned(), "2".to_owned()),
        ]
    };
    let first_env = env(&nowhere);
    let first = Server::start(&scratch, &refs(&first_env)).ready().await;
    let email = "crash@example.test";
    let before = Client::at(&first.base);
    let res =
        before.post("/api/v1/auth/register", &json!({ "email": email, "password": PASSWORD, "name": "Crash" })).await;
    assert_eq!(res.status, 201, "{}", res.text);
    let res = before.post("/api/v1/auth/forgot-password", &json!({ "email": email })).await;
    assert_eq!(res.status, 202, "{}", res.text);
    first.signal("-KILL");
    drop(first);

    let sink = SmtpSink::start().await;
    let second_env = env(&sink.url());
    let second = Server::start(&scratch, &refs(&second_env)).ready().await;
    let mail = wait_for_mail(&sink, email, "Reset your password").await;
    let token = mail.token("http").expect("the mail carries a reset link");
    let new_password = "another long password 42";
    let after = Client::at(&second.base);
    let res = after.post("/api/v1/auth/reset-password", &json!({ "token": token, "newPassword": new_password })).await;
    assert_eq!(res.status, 200, "{}", res.text);
    TestUser::login(&after, email, new_password).await;
    // The verification mail of the sign-up, also queued before the crash, arrives too.
    wait_for_mail(&sink, email, "Confirm your e-mail address").await;
}

fn refs(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// Waits (at most 60 s: a failed send waits out its back-off first) for a mail.
async fn wait_for_mail(sink: &SmtpSink, to: &str, subject: &str) -> tessera_testkit::ReceivedMail {
    for _ in 0..600 {
        if let Some(m) = sink.received().into_iter().find(|m| m.to == to && m.subject.contains(subject)) {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no mail to {to} about {subject:?} within 60 s");
}
