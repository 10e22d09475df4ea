//! Helpers: organizations and members made through the API the way a client
//! makes them (members join by accepting an e-mailed invitation), mail read from
//! the file transport or a real SMTP sink, and reads behind the application's back
//! to check what a response cannot show.

use std::str::FromStr;

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use tessera_kernel::ids::OrgId;
use tessera_testkit::{ReceivedMail, SmtpSink, TestApp, TestUser};

/// Where the application's mail goes: its file transport, or an SMTP sink.
pub enum Mailbox<'a> {
    Files(&'a TestApp),
    Smtp(&'a SmtpSink),
}

impl Mailbox<'_> {
    pub async fn mail_to(&self, to: &str, subject: &str) -> ReceivedMail {
        match self {
            Self::Files(app) => app.mail_to(to, subject).await,
            Self::Smtp(sink) => sink.mail_to(to, subject).await,
        }
    }

    pub fn received(&self) -> Vec<ReceivedMail> {
        match self {
            Self::Files(app) => app.mails(),
            Self::Smtp(sink) => sink.received(),
        }
    }

    /// Waits (at most 10 s) until `n` invitation mails to `to` arrived; returns their tokens, oldest first.
    pub async fn invitation_tokens(&self, app: &TestApp, to: &str, n: usize) -> Vec<String> {
        for _ in 0..200 {
            let tokens: Vec<String> = self
                .received()
                .iter()
                .filter(|m| m.to.eq_ignore_ascii_case(to) && m.subject.contains("You are invited"))
                .filter_map(|m| token_of(app, m))
                .collect();
            if tokens.len() >= n {
                return tokens;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("fewer than {n} invitation mails to {to}");
    }

    /// The token of the newest invitation mail to `to`.
    pub async fn invitation_token(&self, app: &TestApp, to: &str) -> String {
        let mail = self.mail_to(to, "You are invited").await;
        token_of(app, &mail).unwrap_or_else(|| panic!("no invitation link in: {}", mail.text))
    }
}

/// The token in an invitation mail's link (`<public url>/invitations/<token>`).
pub fn token_of(app: &TestApp, mail: &ReceivedMail) -> Option<String> {
    let prefix = format!("{}/invitations/", app.base_url);
    let link = mail.link(&prefix)?;
    Some(link.trim_start_matches(&prefix).to_owned())
}

/// A fresh address no account uses yet.
pub fn fresh_email(tag: &str) -> String {
    format!("{tag}-{}@example.test", uuid::Uuid::now_v7().simple())
}

/// Creates an organization owned by `user`; returns its JSON.
pub async fn create_org(user: &TestUser, name: &str) -> Value {
    let res = user.client.post("/api/v1/orgs", &json!({ "name": name })).await;
    assert_eq!(res.status, 201, "create org: {}", res.text);
    res.data().clone()
}

/// Creates an organization owned by `user`; returns its id.
pub async fn org_id(user: &TestUser, name: &str) -> String {
    create_org(user, name).await["id"].as_str().unwrap().to_owned()
}

/// Invites `email` into `org` as `role`; returns the token from the mail.
pub async fn invite(
    app: &TestApp,
    mailbox: &Mailbox<'_>,
    inviter: &TestUser,
    org: &str,
    email: &str,
    role: &str,
) -> String {
    let res =
        inviter.client.post(&format!("/api/v1/orgs/{org}/invitations"), &json!({ "email": email, "role": role })).await;
    assert_eq!(res.status, 201, "invite: {}", res.text);
    mailbox.invitation_token(app, email).await
}

/// A new person who joins `org` as `role`: invited by `inviter`, registering and
/// accepting in one call, then signed in.
pub async fn join_with(app: &TestApp, mailbox: &Mailbox<'_>, inviter: &TestUser, org: &str, role: &str) -> TestUser {
    let email = fresh_email(if role.len() <= 16 { role } else { "custom" });
    let token = invite(app, mailbox, inviter, org, &email, role).await;
    let password = "a long password for joining";
    let res = app
        .anonymous()
        .post(
            &format!("/api/v1/invitations/{token}/accept"),
            &json!({ "name": format!("New {role}"), "password": password }),
        )
        .await;
    assert_eq!(res.status, 200, "accept: {}", res.text);
    app.login(&email, password).await
}

/// [`join_with`] through the file transport.
pub async fn join(app: &TestApp, inviter: &TestUser, org: &str, role: &str) -> TestUser {
    join_with(app, &Mailbox::Files(app), inviter, org, role).await
}

/// Registers `email`, confirms it with the link from the mail, and signs in.
pub async fn verified_user(app: &TestApp, mailbox: &Mailbox<'_>, email: &str) -> TestUser {
    let user = app.register_and_login(email, "correct horse battery staple").await;
    let mail = mailbox.mail_to(email, "Confirm your e-mail").await;
    let token = mail.token(&format!("{}/verify-email", app.base_url)).expect("a verification link");
    let res = app.anonymous().post("/api/v1/auth/verify-email", &json!({ "token": token })).await;
    assert_eq!(res.status, 200, "verify: {}", res.text);
    user
}

/// A new team of `org`; returns its id.
pub async fn team(user: &TestUser, org: &str, name: &str) -> String {
    let res = user.client.post(&format!("/api/v1/orgs/{org}/teams"), &json!({ "name": name })).await;
    assert_eq!(res.status, 201, "create team: {}", res.text);
    res.data()["id"].as_str().unwrap().to_owned()
}

/// How many rows of the orgs module's table `E` belong to `org` (read behind the application's back).
pub async fn rows_of<E>(app: &TestApp, org: &str) -> u64
where
    E: EntityTrait,
    E::Model: Sync,
{
    let org: OrgId = org.parse().unwrap();
    let column = E::Column::from_str("org_id").ok().or_else(|| E::Column::from_str("id").ok()).unwrap();
    E::find().filter(column.eq(org)).count(&app.core.db.conn).await.unwrap()
}

/// The actions of an organization's audit log, oldest first, as its owner reads them.
pub async fn audit_actions(owner: &TestUser, org: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("/api/v1/orgs/{org}/audit-logs?limit=100&cursor={c}"),
            None => format!("/api/v1/orgs/{org}/audit-logs?limit=100"),
        };
        let res = owner.client.get(&url).await;
        assert_eq!(res.status, 200, "audit log: {}", res.text);
        out.extend(res.data().as_array().unwrap().iter().cloned());
        match res.json["meta"]["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    out.reverse();
    out
}

/// The outbox events of `type` whose data has `orgId` = `org`.
pub async fn events_of(app: &TestApp, event_type: &str, org: &str) -> Vec<Value> {
    app.events().await.into_iter().filter(|(t, d)| t == event_type && d["orgId"] == org).map(|(_, d)| d).collect()
}

/// Asserts a failure with `status` and `code`.
#[track_caller]
pub fn assert_error(res: &tessera_testkit::TestResponse, status: u16, code: &str) {
    assert_eq!(res.status, status, "{}", res.text);
    assert_eq!(res.error_code(), code, "{}", res.text);
}
