use super::*;

fn table(toml: &str) -> toml::Table {
    toml.parse().unwrap()
}

fn embedded() -> Catalogue {
    Catalogue::load(&toml::Table::new()).unwrap()
}

const SEED_001: [&str; 20] = [
    "TIKTOK",
    "INSTAGRAM",
    "FACEBOOK",
    "YOUTUBE",
    "TWITTER",
    "LINKEDIN",
    "HUBSPOT",
    "SALESFORCE",
    "SHOPIFY",
    "WOOCOMMERCE",
    "META_ADS",
    "GOOGLE_ADS",
    "TIKTOK_ADS",
    "MAILCHIMP",
    "SENDGRID",
    "STRIPE",
    "PAYPAL",
    "ZAPIER",
    "SLACK",
    "DISCORD",
];

#[test]
fn the_embedded_catalogue_holds_every_seed_provider_by_its_enum_name() {
    let catalogue = embedded();
    for name in SEED_001 {
        let provider = catalogue.get(name).unwrap_or_else(|| panic!("{name} is missing"));
        assert_eq!(provider.key, name.to_ascii_lowercase());
    }
    let login: Vec<&str> = catalogue.iter().filter(|p| p.login).map(|p| p.key.as_str()).collect();
    assert_eq!(login, ["discord", "facebook", "github", "google", "linkedin", "twitter"]);
    assert_eq!(catalogue.iter().count(), 22);
    assert!(catalogue.get("myspace").is_none());
}

#[test]
fn provider_quirks_are_data() {
    let c = embedded();
    let get = |k: &str| c.get(k).unwrap().clone();
    assert_eq!(get("tiktok").client_id_param, "client_key");
    assert_eq!(
        (get("tiktok_ads").client_id_param.as_str(), get("tiktok_ads").client_secret_param.as_str()),
        ("app_id", "secret")
    );
    assert_eq!(get("twitter").client_auth, ClientAuth::Basic);
    assert!(get("twitter").refresh_rotates);
    let slack = get("slack");
    assert_eq!(slack.scope_string(&slack.default_scopes), "chat:write,channels:read");
    assert_eq!(slack.token_response.error_flag.as_deref(), Some("ok"));
    assert_eq!(slack.token_response.account_id.as_deref(), Some("team.id"));
    assert!(!slack.pkce && get("google").pkce);
    assert_eq!(get("google").authorization_params.get("access_type").map(String::as_str), Some("offline"));
    assert_eq!(get("shopify").inputs.get("shop"), Some(&InputKind::Subdomain));
    assert_eq!(get("sendgrid").auth_mode, AuthMode::ApiKey);
    assert_eq!(get("woocommerce").auth_mode, AuthMode::Basic);
    assert!(!get("sendgrid").is_oauth() && get("linkedin").is_oauth());
    assert_eq!(get("google").auth_mode, AuthMode::Oidc);
}

#[test]
fn operators_override_fields_and_add_any_oidc_issuer() {
    let c = Catalogue::load(&table(
        r#"
        [google]
        default_scopes = ["openid", "email"]
        token_response = { account_id = "sub" }

        [okta]
        name = "Okta"
        login = true
        auth_mode = "oidc"
        issuer = "https://acme.okta.com"
        "#,
    ))
    .unwrap();
    let google = c.get("google").unwrap();
    assert_eq!(google.default_scopes, ["openid", "email"]);
    assert_eq!(google.issuer.as_deref(), Some("https://accounts.google.com"), "fields not overridden stay");
    assert_eq!(google.token_response.account_id.as_deref(), Some("sub"));
    assert_eq!(google.token_response.access_token, "access_token", "nested tables merge field by field");
    let okta = c.get("okta").unwrap();
    assert!(okta.login && okta.pkce);
    assert_eq!(okta.scope_separator, " ");
}

fn refused(toml: &str) -> CatalogueError {
    Catalogue::load(&table(toml)).unwrap_err()
}

#[test]
fn a_bad_entry_stops_the_load_naming_the_provider_and_the_field() {
    let e = refused("[acme]\nname = \"Acme\"\nauthorize_url = \"https://acme.example/auth\"");
    assert!(
        matches!(&e, CatalogueError::Parse { provider, why } if provider == "acme" && why.contains("authorize_url")),
        "{e}"
    );
    let e = refused("[acme]\nname = \"Acme\"\nauthorization_url = \"https://acme.example/auth\"");
    assert!(
        matches!(&e, CatalogueError::Invalid { provider, field, .. } if provider == "acme" && field == "auth_mode"),
        "{e}"
    );
    let e = refused(
        "[acme]\nname = \"A\"\nauthorization_url = \"https://{tenant}.acme.example/a\"\ntoken_url = \"https://acme.example/t\"",
    );
    assert!(
        matches!(&e, CatalogueError::Invalid { field, why, .. } if field == "authorization_url" && why.contains("tenant")),
        "{e}"
    );
    let e = refused("[acme]\nname = \"A\"\nauth_mode = \"oidc\"");
    assert!(matches!(&e, CatalogueError::Invalid { field, .. } if field == "issuer"), "{e}");
    let e = refused("[acme]\nname = \"A\"\nauth_mode = \"api_key\"\nlogin = true");
    assert!(matches!(&e, CatalogueError::Invalid { field, .. } if field == "login"), "{e}");
    let e = refused("[Acme]\nname = \"A\"\nauth_mode = \"api_key\"");
    assert!(matches!(&e, CatalogueError::Invalid { field, .. } if field == "key"), "{e}");
    let e = refused("[acme]\nname = \"A\"\nauth_mode = \"oidc\"\nissuer = \"ftp://acme.example\"");
    assert!(matches!(&e, CatalogueError::Invalid { field, .. } if field == "issuer"), "{e}");
    let e = refused("[slack]\ntoken_response = { error_flags = \"ok\" }");
    assert!(matches!(&e, CatalogueError::Parse { provider, .. } if provider == "slack"), "{e}");
}

fn inputs(pairs: &[(&str, &str)]) -> Inputs {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

#[test]
fn per_connection_inputs_fill_urls_and_cannot_move_them() {
    let c = embedded();
    let shopify = c.get("shopify").unwrap();
    let template = shopify.authorization_url.as_deref().unwrap();
    let url = fill(template, &shopify.inputs, &inputs(&[("shop", "acme-store")])).unwrap();
    assert_eq!(url.as_str(), "https://acme-store.myshopify.com/admin/oauth/authorize");
    for evil in ["evil.example/x?", "evil.example", "a@b", "-acme", "", "acme#", "acme/../x"] {
        let err = fill(template, &shopify.inputs, &inputs(&[("shop", evil)])).unwrap_err();
        assert!(matches!(err, InputError::Invalid { ref name, .. } if name == "shop"), "{evil}: {err}");
    }
    assert_eq!(fill(template, &shopify.inputs, &Inputs::new()).unwrap_err(), InputError::Missing("shop".into()));
    let extra = inputs(&[("shop", "acme"), ("host", "x")]);
    assert_eq!(check_inputs(&shopify.inputs, &extra).unwrap_err(), InputError::Unknown("host".into()));

    let salesforce = c.get("salesforce").unwrap();
    let token = salesforce.token_url.as_deref().unwrap();
    let url = fill(token, &salesforce.inputs, &inputs(&[("domain", "acme.my.salesforce.com")])).unwrap();
    assert_eq!(url.as_str(), "https://acme.my.salesforce.com/services/oauth2/token");
    assert!(fill(token, &salesforce.inputs, &inputs(&[("domain", "acme.example:8080")])).is_err());

    let woo = c.get("woocommerce").unwrap();
    assert!(check_inputs(&woo.inputs, &inputs(&[("store", "https://shop.example/wp/")])).is_ok());
    for evil in ["http://shop.example", "https://u:p@shop.example", "https://shop.example/?a=1", "shop.example"] {
        assert!(check_inputs(&woo.inputs, &inputs(&[("store", evil)])).is_err(), "{evil}");
    }
}
