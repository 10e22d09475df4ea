use super::*;
use crate::catalogue::Catalogue;
use serde_json::Value;

fn provider(key: &str) -> Provider {
    Catalogue::load(&toml::Table::new()).unwrap().get(key).unwrap().clone()
}

fn client() -> ClientCredentials {
    ClientCredentials { client_id: "the id".into(), client_secret: Zeroizing::new("s3cr:et".into()) }
}

fn query(url: &Url) -> Vec<(String, String)> {
    url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn param(url: &Url, name: &str) -> Option<String> {
    query(url).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

#[test]
fn pkce_challenges_are_s256_of_the_verifier() {
    // RFC 7636, appendix B.
    let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
    assert_eq!(pkce.challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    let fresh = Pkce::generate();
    assert!(fresh.verifier.len() >= 43 && fresh.verifier.len() <= 128);
    assert_ne!(fresh.verifier, Pkce::generate().verifier);
}

#[test]
fn authorization_urls_speak_each_providers_dialect() {
    let pkce = Pkce::generate();
    let scopes = vec!["user.info.basic".to_owned(), "video.list".to_owned()];
    let inputs = Inputs::new();
    let req = AuthorizeRequest {
        redirect_uri: "https://app.example/cb",
        scopes: &scopes,
        state: "st4te",
        pkce: Some(&pkce),
        nonce: None,
        inputs: &inputs,
    };
    let tiktok = provider("tiktok");
    let url = authorization_url(&tiktok, tiktok.authorization_url.as_deref().unwrap(), &client(), &req).unwrap();
    assert_eq!(param(&url, "client_key").as_deref(), Some("the id"), "TikTok renames client_id");
    assert_eq!(param(&url, "client_id"), None);
    assert_eq!(param(&url, "scope").as_deref(), Some("user.info.basic,video.list"));
    assert_eq!(param(&url, "code_challenge"), Some(pkce.challenge.clone()));
    assert_eq!(param(&url, "code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(param(&url, "state").as_deref(), Some("st4te"));

    let slack = provider("slack");
    let url = authorization_url(&slack, slack.authorization_url.as_deref().unwrap(), &client(), &req).unwrap();
    assert_eq!(param(&url, "code_challenge"), None, "no PKCE where the provider breaks on it");

    let google = provider("google");
    let req = AuthorizeRequest { nonce: Some("n0nce"), ..req };
    let url = authorization_url(&google, google.authorization_url.as_deref().unwrap(), &client(), &req).unwrap();
    assert_eq!(param(&url, "nonce").as_deref(), Some("n0nce"));
    assert_eq!(param(&url, "access_type").as_deref(), Some("offline"));
    assert_eq!(param(&url, "response_type").as_deref(), Some("code"));

    let shopify = provider("shopify");
    let shop: Inputs = [("shop".to_owned(), "acme".to_owned())].into();
    let req = AuthorizeRequest { inputs: &shop, ..req };
    let url = authorization_url(&shopify, shopify.authorization_url.as_deref().unwrap(), &client(), &req).unwrap();
    assert_eq!(url.host_str(), Some("acme.myshopify.com"));
}

#[test]
fn token_requests_authenticate_the_way_the_provider_asks() {
    let inputs = Inputs::new();
    let grant = Grant::Code { code: "c0de", redirect_uri: "https://app.example/cb", verifier: Some("v3rifier") };
    let twitter = provider("twitter");
    let req = token_request(&twitter, twitter.token_url.as_deref().unwrap(), &client(), &grant, &inputs).unwrap();
    // RFC 6749 §2.3.1: form-encoded id and secret, then Base64.
    let expected = format!("Basic {}", STANDARD.encode("the+id:s3cr%3Aet"));
    assert_eq!(req.authorization.as_deref().map(String::as_str), Some(expected.as_str()));
    assert_eq!(req.field("client_secret"), None, "Basic clients keep the secret out of the body");
    assert_eq!(req.field("code_verifier"), Some("v3rifier"));
    assert_eq!(req.field("grant_type"), Some("authorization_code"));

    let ads = provider("tiktok_ads");
    let req = token_request(&ads, ads.token_url.as_deref().unwrap(), &client(), &grant, &inputs).unwrap();
    assert!(req.authorization.is_none());
    assert_eq!((req.field("app_id"), req.field("secret")), (Some("the id"), Some("s3cr:et")));
    assert_eq!(req.field("code_verifier"), None, "no PKCE for this provider");

    let shopify = provider("shopify");
    let shop: Inputs = [("shop".to_owned(), "acme".to_owned())].into();
    let refresh = Grant::Refresh { refresh_token: "r1" };
    let req = token_request(&shopify, shopify.token_url.as_deref().unwrap(), &client(), &refresh, &shop).unwrap();
    assert_eq!(req.url.as_str(), "https://acme.myshopify.com/admin/oauth/access_token");
    assert_eq!((req.field("grant_type"), req.field("refresh_token")), (Some("refresh_token"), Some("r1")));
    assert!(!format!("{req:?}").contains("s3cr"), "secrets stay out of debug output");
}

#[test]
fn token_answers_are_read_through_the_providers_shape() {
    let slack = provider("slack");
    let ok = r#"{"ok":true,"access_token":"xoxb-1","refresh_token":"xoxe-1","expires_in":43200,
        "team":{"id":"T1","name":"Acme"},"incoming_webhook":{"url":"https://hooks.slack.com/x"}}"#;
    let set = read_token_answer(&slack, 200, None, ok).unwrap();
    assert_eq!(set.access_token.as_str(), "xoxb-1");
    assert_eq!(set.account_id.as_deref(), Some("T1"));
    assert_eq!(set.metadata.get("team.name"), Some(&Value::String("Acme".into())));
    assert_eq!(set.expires_in, Some(43200));
    let err = read_token_answer(&slack, 200, None, r#"{"ok":false,"error":"invalid_code"}"#).unwrap_err();
    assert_eq!(err, TokenError::Rejected { error: "invalid_code".into(), description: None });

    let github = provider("github");
    let err = read_token_answer(
        &github,
        200,
        None,
        r#"{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired."}"#,
    )
    .unwrap_err();
    assert!(matches!(&err, TokenError::Rejected { error, .. } if error == "bad_verification_code"), "{err}");
    let set = read_token_answer(&github, 200, None, "access_token=gho_1&scope=read%3Auser&token_type=bearer").unwrap();
    assert_eq!((set.access_token.as_str(), set.expires_in), ("gho_1", None), "never refreshed: it does not expire");

    let google = provider("google");
    let refreshed = r#"{"access_token":"ya29.new","expires_in":"3599","scope":"openid email","token_type":"Bearer"}"#;
    let set = read_token_answer(&google, 200, None, refreshed).unwrap();
    assert_eq!(set.refresh_token, None, "no refresh token in the answer: the caller keeps its own");
    assert_eq!(set.expires_in, Some(3599));
    let dead = read_token_answer(
        &google,
        400,
        None,
        r#"{"error":"invalid_grant","error_description":"Token has been expired or revoked."}"#,
    )
    .unwrap_err();
    assert!(dead.needs_reauth());
    let busy = read_token_answer(&google, 503, Some(30), "<html>down</html>").unwrap_err();
    assert_eq!(busy, TokenError::Unavailable { status: 503, retry_after_secs: Some(30) });
    assert!(!busy.needs_reauth());
    assert!(matches!(read_token_answer(&google, 200, None, "<html>hi</html>"), Err(TokenError::Malformed(_))));
    assert!(matches!(
        read_token_answer(&google, 200, None, r#"{"token_type":"Bearer"}"#),
        Err(TokenError::Malformed(_))
    ));

    let mailchimp = provider("mailchimp");
    let set = read_token_answer(&mailchimp, 200, None, r#"{"access_token":"mc","expires_in":0,"scope":null}"#).unwrap();
    assert_eq!((set.expires_in, set.scope), (None, None), "0 means it never expires");

    let ads = provider("tiktok_ads");
    let set = read_token_answer(
        &ads,
        200,
        None,
        r#"{"code":0,"data":{"access_token":"tt","advertiser_ids":["1","2"],"scope":[4]}}"#,
    )
    .unwrap();
    assert_eq!(set.access_token.as_str(), "tt");
    assert_eq!(set.account_id.as_deref(), Some(r#"["1","2"]"#));
}
