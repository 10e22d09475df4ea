//! Fixtures that make what most tests start from — organizations, teams,
//! invitations, members, keys, published events — through the HTTP API, the way
//! a client makes them: a member joins by accepting the invitation the
//! application mailed.

use serde_json::{Value, json};
use tessera_kernel::ids::{ApiKeyId, InvitationId, OrgId, TeamId};

use crate::mail::{Inbox, ReceivedMail};
use crate::{Client, TestApp, TestResponse, TestUser};

/// An organization as created: its id, name and slug, and the answer's `data`.
#[derive(Clone, Debug)]
pub struct Org {
    pub id: OrgId,
    pub name: String,
    pub slug: String,
    pub data: Value,
}

/// An invitation as sent: its id, the invited address and the token of the mailed link.
#[derive(Clone, Debug)]
pub struct Invitation {
    pub id: InvitationId,
    pub org: OrgId,
    pub email: String,
    pub token: String,
}

impl Org {
    /// Creates an organization owned by `owner` (`POST /orgs`).
    pub async fn create(owner: &TestUser, name: &str) -> Self {
        let res = owner.client.post("/api/v1/orgs", &json!({ "name": name })).await;
        assert_eq!(res.status, 201, "create org: {}", res.text);
        let data = res.data().clone();
        let text = |key: &str| data[key].as_str().unwrap_or_else(|| panic!("no {key} in {data}")).to_owned();
        Self { id: typed_id_of(&data), name: text("name"), slug: text("slug"), data }
    }
}

impl Invitation {
    /// The link the mail carried: the invitation's page (`<public url>/invitations/<token>`).
    pub fn link(&self, app: &TestApp) -> String {
        format!("{}/invitations/{}", app.base_url, self.token)
    }

    /// `/api/v1/invitations/{token}/accept`.
    pub fn accept_path(&self) -> String {
        format!("/api/v1/invitations/{}/accept", self.token)
    }
}

/// An API key as issued: its id and its secret (shown once).
#[derive(Clone, Debug)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub secret: String,
}

impl ApiKey {
    /// The key of a `201` answer to a key creation.
    pub fn of(res: &TestResponse) -> Self {
        let data = res.data();
        Self { id: typed_id_of(data), secret: data["secret"].as_str().unwrap().to_owned() }
    }
}

/// The password of accounts made by accepting an invitation.
const MEMBER_PASSWORD: &str = "a long password for joining";

/// The `id` of a JSON object.
pub fn id_of(value: &Value) -> String {
    value["id"].as_str().unwrap_or_else(|| panic!("no id in {value}")).to_owned()
}

/// The `id` of a JSON object, as a typed id.
pub(crate) fn typed_id_of<T: std::str::FromStr>(value: &Value) -> T {
    let raw = id_of(value);
    raw.parse().unwrap_or_else(|_| panic!("{raw} is not an id of {}", std::any::type_name::<T>()))
}

/// A fresh address no account uses yet, starting with `tag`.
pub fn fresh_email(tag: &str) -> String {
    format!("{tag}-{}@example.test", uuid::Uuid::now_v7().simple())
}

impl TestApp {
    /// Creates an organization owned by `owner` (`POST /orgs`).
    pub async fn create_org(&self, owner: &TestUser, name: &str) -> Org {
        Org::create(owner, name).await
    }

    /// A new account owning a new organization: `(owner, the organization's id)`.
    pub async fn owned_org(&self, name: &str) -> (TestUser, OrgId) {
        let owner = self.signed_up_user().await;
        let org = self.create_org(&owner, name).await;
        (owner, org.id)
    }

    /// Creates a team in `org` as `user` (`POST /orgs/{org}/teams`).
    pub async fn create_team(&self, user: &TestUser, org: OrgId, name: &str) -> TeamId {
        let res = user.client.post(&format!("/api/v1/orgs/{org}/teams"), &json!({ "name": name })).await;
        assert_eq!(res.status, 201, "create team: {}", res.text);
        typed_id_of(res.data())
    }

    /// Invites `email` into `org` as `role`; waits for the mail the file transport wrote.
    pub async fn invite(&self, inviter: &TestUser, org: OrgId, email: &str, role: &str) -> Invitation {
        self.invite_via(self, inviter, org, email, role).await
    }

    /// [`TestApp::invite`], reading the mail from `inbox` (an [`crate::SmtpSink`], say).
    /// The token is the one of the mail this invitation sent, also when the address
    /// was invited before.
    pub async fn invite_via(
        &self,
        inbox: &dyn Inbox,
        inviter: &TestUser,
        org: OrgId,
        email: &str,
        role: &str,
    ) -> Invitation {
        let before = self.invitation_tokens_now(inbox, email).len();
        let body = json!({ "email": email, "role": role });
        let res = inviter.client.post(&format!("/api/v1/orgs/{org}/invitations"), &body).await;
        assert_eq!(res.status, 201, "invite {email} as {role}: {}", res.text);
        let token = self.invitation_tokens(inbox, email, before + 1).await.pop().unwrap();
        Invitation { id: typed_id_of(res.data()), org, email: email.to_owned(), token }
    }

    /// Waits (at most 10 s) until `n` invitation mails to `to` arrived; returns their tokens, oldest first.
    pub async fn invitation_tokens(&self, inbox: &dyn Inbox, to: &str, n: usize) -> Vec<String> {
        for _ in 0..200 {
            let tokens = self.invitation_tokens_now(inbox, to);
            if tokens.len() >= n {
                return tokens;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("fewer than {n} invitation mails to {to} within 10 s");
    }

    /// The token of the newest invitation mail to `to` (waiting at most 10 s for one).
    pub async fn invitation_token(&self, inbox: &dyn Inbox, to: &str) -> String {
        self.invitation_tokens(inbox, to, 1).await.pop().unwrap()
    }

    /// The token in an invitation mail's link (`<public url>/invitations/<token>`).
    pub fn invitation_token_of(&self, mail: &ReceivedMail) -> Option<String> {
        let prefix = format!("{}/invitations/", self.base_url);
        let link = mail.link(&prefix)?;
        Some(link.trim_start_matches(&prefix).trim_end_matches(['.', ',', '>', ')']).to_owned())
    }

    fn invitation_tokens_now(&self, inbox: &dyn Inbox, to: &str) -> Vec<String> {
        inbox
            .received()
            .iter()
            .filter(|m| m.to.eq_ignore_ascii_case(to) && m.subject.contains("You are invited"))
            .filter_map(|m| self.invitation_token_of(m))
            .collect()
    }

    /// The signed-in `user` (whose verified address is the invited one) accepts.
    pub async fn accept(&self, user: &TestUser, invitation: &Invitation) {
        let res = user.client.post_empty(&invitation.accept_path()).await;
        assert_eq!(res.status, 200, "accept as {}: {}", user.email, res.text);
    }

    /// The invited person registers as `name` while accepting (the link proves the
    /// address), then signs in.
    pub async fn accept_new(&self, invitation: &Invitation, name: &str) -> TestUser {
        let body = json!({ "name": name, "password": MEMBER_PASSWORD });
        let res = self.anonymous().post(&invitation.accept_path(), &body).await;
        assert_eq!(res.status, 200, "accept: {}", res.text);
        self.login(&invitation.email, MEMBER_PASSWORD).await
    }

    /// `user` (signed up and verified) joins `org` as `role`: invited by `inviter`, then accepting.
    pub async fn join(&self, inviter: &TestUser, org: OrgId, user: &TestUser, role: &str) -> Invitation {
        let invitation = self.invite(inviter, org, &user.email, role).await;
        self.accept(user, &invitation).await;
        invitation
    }

    /// A new person who joins `org` as `role`: invited by `inviter`, registering
    /// while accepting (named `New <role>`), then signed in.
    pub async fn join_new(&self, inviter: &TestUser, org: OrgId, role: &str) -> TestUser {
        self.join_new_via(self, inviter, org, role).await
    }

    /// [`TestApp::join_new`], reading the invitation from `inbox`.
    pub async fn join_new_via(&self, inbox: &dyn Inbox, inviter: &TestUser, org: OrgId, role: &str) -> TestUser {
        let simple = role.len() <= 16 && role.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        let email = fresh_email(if simple { role } else { "custom" });
        let invitation = self.invite_via(inbox, inviter, org, &email, role).await;
        self.accept_new(&invitation, &format!("New {role}")).await
    }

    /// Creates an organization key named `ci` holding `permissions`, as `creator`.
    pub async fn org_key(&self, creator: &Client, org: OrgId, permissions: &[&str]) -> ApiKey {
        let body = json!({ "name": "ci", "permissions": permissions });
        let res = creator.post(&format!("/api/v1/orgs/{org}/api-keys"), &body).await;
        assert_eq!(res.status, 201, "create key: {}", res.text);
        ApiKey::of(&res)
    }

    /// A client that authenticates with the key (`Authorization: Bearer <secret>`).
    pub fn as_key(&self, key: &ApiKey) -> Client {
        self.with_token(&key.secret)
    }

    /// The data of every recorded event of `event_type`, oldest first.
    pub async fn events_of(&self, event_type: &str) -> Vec<Value> {
        self.events().await.into_iter().filter(|(t, _)| t == event_type).map(|(_, d)| d).collect()
    }
}

/// Publishes a custom event in `org` as `client` (`POST /orgs/{org}/events`, 202); returns its envelope.
pub async fn publish(client: &Client, org: OrgId, event_type: &str, data: Value) -> Value {
    let body = json!({ "type": event_type, "data": data });
    let res = client.post(&format!("/api/v1/orgs/{org}/events"), &body).await;
    assert_eq!(res.status, 202, "publish {event_type}: {}", res.text);
    res.data().clone()
}
