//! Bulk invitations: up to 1,000 addresses in one request, each reported with its
//! outcome, the valid ones sent through a real SMTP server.

use serde_json::{Value, json};
use tessera_testkit::{Inbox, ReceivedMail, SmtpSink, assert_error, spawn_app, spawn_app_with};

use crate::support::events_of;

#[tokio::test]
async fn a_thousand_addresses_are_invited_at_once_each_with_its_outcome() {
    let smtp = SmtpSink::start().await;
    let app = spawn_app_with(|c| {
        c.set("mail.url", json!(smtp.url())).set("jobs.workers", json!(16));
    })
    .await;
    let mail: &dyn Inbox = &smtp;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let member = app.join_new_via(mail, &owner, org, "member").await;
    let path = format!("/api/v1/orgs/{org}/invitations");
    let res = owner.client.post(&path, &json!({ "email": "pending@example.test", "role": "viewer" })).await;
    assert_eq!(res.status, 201);
    let mut entries: Vec<Value> =
        (0..1000).map(|i| json!({ "email": format!("bulk-{i}@example.test"), "role": "viewer" })).collect();
    entries[0] = json!({ "email": member.email.to_uppercase(), "role": "viewer" });
    entries[1] = json!({ "email": "pending@example.test", "role": "member" });
    entries[2] = json!({ "email": "not-an-address", "role": "viewer" });
    entries[3] = json!({ "email": "bulk-10@example.test", "role": "member" });
    entries[4] = json!({ "email": "bulk-4@example.test", "role": "superuser" });
    entries[5] = json!({ "email": 5, "role": "viewer" });
    entries[6] = json!({ "email": "bulk-6@example.test", "role": "viewer", "note": "x" });
    entries[7] = json!("bulk-7@example.test");
    entries[8] = json!({ "email": "bulk-8@example.test", "role": "member", "expiresInDays": 2 });

    let res = owner.client.post(&format!("{path}/bulk"), &json!({ "invitations": entries })).await;

    assert_eq!(res.status, 200, "{}", &res.text[..res.text.len().min(2000)]);
    let data = res.data();
    assert_eq!(data["summary"], json!({ "created": 992, "alreadyMember": 1, "alreadyInvited": 2, "invalid": 5 }));
    let results = data["results"].as_array().unwrap();
    assert_eq!(results.len(), 1000);
    let outcome = |i: usize| (results[i]["index"].as_u64().unwrap() as usize, results[i]["outcome"].as_str().unwrap());
    assert_eq!(outcome(0), (0, "already_member"));
    assert_eq!(outcome(1), (1, "already_invited"));
    assert_eq!(outcome(2), (2, "invalid"));
    assert_eq!(results[2]["email"], "not-an-address");
    assert_eq!(results[2]["error"]["details"]["fields"][0]["field"], "email");
    assert_eq!(outcome(3), (3, "created"), "the first of two entries for one address wins");
    assert_eq!(outcome(10), (10, "already_invited"));
    assert_eq!(outcome(4), (4, "invalid"));
    assert_eq!(results[4]["error"]["code"], "UNKNOWN_ROLE");
    assert_eq!((outcome(5), outcome(6), outcome(7)), ((5, "invalid"), (6, "invalid"), (7, "invalid")));
    assert_eq!(outcome(8), (8, "created"));
    assert_eq!(results[8]["invitation"]["role"], "member");
    assert_eq!(results[999]["invitation"]["email"], "bulk-999@example.test");
    assert!(results.iter().filter(|r| r["outcome"] != "created").all(|r| r["invitation"].is_null()));

    let pending = owner.client.get(&format!("{path}?status=pending&limit=1")).await;
    assert_eq!(pending.json["meta"]["total"], 993);
    // 992 now, one pending before, and the one the member joined through.
    assert_eq!(events_of(&app, "invitation.created", org).await.len(), 994);
    // Every created invitation is mailed with its own link (by the background workers, in their time).
    let invited = |m: &&ReceivedMail| m.subject.contains("You are invited to join Acme");
    for _ in 0..1200 {
        if smtp.received().iter().filter(invited).count() >= 994 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let received = smtp.received();
    assert_eq!(received.iter().filter(invited).count(), 994);
    let to = |addr: &str| received.iter().filter(|m| m.to == addr).collect::<Vec<_>>();
    assert_eq!(to("bulk-10@example.test").len(), 1, "one mail per address");
    assert!(to("bulk-10@example.test")[0].text.contains("as member"), "the first entry's role");
    assert!(to("bulk-8@example.test")[0].text.contains("valid for 2 days"));
    assert!(to("not-an-address").is_empty() && to("bulk-4@example.test").is_empty());
    assert_eq!(to("pending@example.test").len(), 1, "the pending invitation was not sent again");
    let token = app.invitation_token_of(to("bulk-999@example.test")[0]).unwrap();
    let preview = app.anonymous().get(&format!("/api/v1/invitations/{token}")).await;
    assert_eq!(preview.data()["role"], "viewer");
}

#[tokio::test]
async fn a_bulk_holds_one_to_a_thousand_invitations() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org = app.create_org(&owner, "Acme").await.id;
    let viewer = app.join_new(&owner, org, "viewer").await;
    let bulk = format!("/api/v1/orgs/{org}/invitations/bulk");
    let many: Vec<Value> =
        (0..1001).map(|i| json!({ "email": format!("many-{i}@example.test"), "role": "viewer" })).collect();

    let res = owner.client.post(&bulk, &json!({ "invitations": many })).await;
    assert_error(&res, 422, "VALIDATION_FAILED");
    assert_eq!(res.json["error"]["details"]["fields"][0]["field"], "invitations");
    assert_error(&owner.client.post(&bulk, &json!({ "invitations": [] })).await, 422, "VALIDATION_FAILED");
    assert_error(
        &owner.client.post(&bulk, &json!({ "invitations": "a@example.test" })).await,
        422,
        "VALIDATION_FAILED",
    );
    assert_error(&owner.client.post(&bulk, &json!({ "emails": [] })).await, 422, "VALIDATION_FAILED");
    let one = json!({ "invitations": [{ "email": "one@example.test", "role": "viewer" }] });
    assert_error(&viewer.client.post(&bulk, &one).await, 403, "FORBIDDEN");
    let pending = owner.client.get(&format!("/api/v1/orgs/{org}/invitations?status=pending")).await;
    assert_eq!(pending.json["meta"]["total"], 0, "nothing was created");
    let res = owner.client.post(&bulk, &one).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.data()["summary"]["created"], 1);
}
