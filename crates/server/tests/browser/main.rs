//! The pages behind e-mailed links, in a real browser: a person opens the link
//! from the mail, fills the form and presses the button; the API then shows the
//! result (address verified, password changed, organization joined).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod driver;

use driver::Browser;
use serde_json::json;
use tessera_testkit::{fresh_email, spawn_app};

#[tokio::test]
async fn the_verification_link_confirms_the_address() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;
    let me = user.client.get("/api/v1/users/me").await;
    assert_eq!(me.data()["emailVerified"], json!(false), "{}", me.text);
    let link = app.mail_to(&user.email, "Confirm").await.link("http").unwrap();
    let browser = Browser::start().await;
    browser.goto(&link).await;
    browser.click("#verify-email button").await;
    browser.text_containing("#result", "confirmed").await;
    let me = user.client.get("/api/v1/users/me").await;
    assert_eq!(me.data()["emailVerified"], json!(true), "{}", me.text);
}

#[tokio::test]
async fn the_reset_link_sets_a_new_password() {
    let app = spawn_app().await;
    let user = app.signed_up_user().await;
    let res = app.anonymous().post("/api/v1/auth/forgot-password", &json!({ "email": user.email })).await;
    assert_eq!(res.status, 202, "{}", res.text);
    let link = app.mail_to(&user.email, "password").await.link("http").unwrap();
    let browser = Browser::start().await;
    browser.goto(&link).await;
    let new_password = "a brand new browser password";
    browser.fill("#reset-password input[name=password]", new_password).await;
    browser.fill("#reset-password input[name=confirm]", new_password).await;
    browser.click("#reset-password button").await;
    browser.text_containing("#result", "password is set").await;
    app.login(&user.email, new_password).await;
}

#[tokio::test]
async fn the_invitation_page_registers_and_joins() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org_id = app.create_org(&owner, "Browser Org").await.id;
    let email = fresh_email("invitee");
    let invitation = app.invite(&owner, org_id, &email, "member").await;
    let link = invitation.link(&app);
    let browser = Browser::start().await;
    browser.goto(&link).await;
    let summary = browser.text_containing("#summary", "Browser Org").await;
    assert!(summary.contains("as member"), "{summary}");
    browser.fill("#register input[name=name]", "Invitee").await;
    let password = "invitee browser password";
    browser.fill("#register input[name=password]", password).await;
    browser.click("#register button").await;
    browser.text_containing("#result", "joined Browser Org").await;
    let invitee = app.login(&email, password).await;
    let orgs = invitee.client.get("/api/v1/orgs").await;
    assert_eq!(orgs.data()[0]["id"], json!(org_id), "{}", orgs.text);
    assert_eq!(orgs.data()[0]["role"], json!("member"), "{}", orgs.text);
}

#[tokio::test]
async fn the_invitation_page_declines() {
    let app = spawn_app().await;
    let owner = app.signed_up_user().await;
    let org_id = app.create_org(&owner, "Declined Org").await.id;
    let link = app.invite(&owner, org_id, &fresh_email("decliner"), "viewer").await.link(&app);
    let browser = Browser::start().await;
    browser.goto(&link).await;
    browser.text_containing("#summary", "Declined Org").await;
    browser.click("#decline button").await;
    browser.text_containing("#result", "declined").await;
    let list = owner.client.get(&format!("/api/v1/orgs/{org_id}/invitations?status=declined")).await;
    assert_eq!(list.data().as_array().unwrap().len(), 1, "{}", list.text);
    // The link is spent: opening it again says so.
    browser.goto(&link).await;
    browser.text_containing("#result", "already used").await;
}
