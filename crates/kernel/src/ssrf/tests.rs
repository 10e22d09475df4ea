//! Classification and parsing only: no test here opens a connection.

use super::*;

fn guard() -> SsrfGuard {
    SsrfGuard::default()
}

fn loopback_allowed() -> SsrfGuard {
    SsrfGuard::new("127.0.0.0/8, ::1/128, internal.test").unwrap()
}

fn blocked(addr: &str, reason: &'static str) -> SsrfError {
    SsrfError::BlockedAddress { addr: addr.parse().unwrap(), reason }
}

#[test]
fn blocked_addresses_are_refused_in_every_notation() {
    let cases = [
        ("http://127.0.0.1/", "127.0.0.1", "loopback"),
        ("http://[::1]/", "::1", "loopback"),
        ("http://0.0.0.0/", "0.0.0.0", "unspecified"),
        ("http://[::]/", "::", "unspecified"),
        ("http://10.0.0.1/", "10.0.0.1", "private"),
        ("http://172.16.5.4/", "172.16.5.4", "private"),
        ("https://192.168.1.1:8443/x", "192.168.1.1", "private"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254", "link-local (cloud metadata service)"),
        ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1", "loopback"),
        ("http://[::ffff:7f00:1]/", "::ffff:127.0.0.1", "loopback"),
        ("http://[::127.0.0.1]/", "::127.0.0.1", "loopback"),
        ("http://[64:ff9b::7f00:1]/", "64:ff9b::7f00:1", "loopback"),
        ("http://[fe80::1]/", "fe80::1", "link-local"),
        ("http://[fc00::1]/", "fc00::1", "unique-local"),
        ("http://[fd12::1]/", "fd12::1", "unique-local"),
        ("http://224.0.0.1/", "224.0.0.1", "multicast"),
        ("http://[ff02::1]/", "ff02::1", "multicast"),
        ("http://100.64.0.1/", "100.64.0.1", "shared address space (CGNAT)"),
        ("http://255.255.255.255/", "255.255.255.255", "broadcast"),
        // Decimal, octal, hexadecimal and short forms: WHATWG parsing makes them 127.0.0.1.
        ("http://2130706433/", "127.0.0.1", "loopback"),
        ("http://0177.0.0.1/", "127.0.0.1", "loopback"),
        ("http://0x7f000001/", "127.0.0.1", "loopback"),
        ("http://0x7f.1/", "127.0.0.1", "loopback"),
        ("http://127.1/", "127.0.0.1", "loopback"),
        ("http://127.0.0.1./", "127.0.0.1", "loopback"),
        ("http://0/", "0.0.0.0", "unspecified"),
        ("http://012.0.0.1/", "10.0.0.1", "private"),
        ("http://0xa9fea9fe/", "169.254.169.254", "link-local (cloud metadata service)"),
    ];
    for (url, addr, reason) in cases {
        assert_eq!(guard().check_url(url).unwrap_err(), blocked(addr, reason), "{url}");
    }
}

#[test]
fn numeric_host_forms_normalize_to_dotted_quads() {
    for raw in ["http://2130706433/", "http://0177.0.0.1/", "http://0x7f000001/", "http://0x7f.1/", "http://127.1/"] {
        let url = Url::parse(raw).unwrap();
        assert_eq!(url.host(), Some(Host::Ipv4(Ipv4Addr::LOCALHOST)), "{raw}");
        assert_eq!(url.as_str(), "http://127.0.0.1/", "{raw}");
    }
}

#[test]
fn localhost_names_are_refused() {
    for url in ["http://localhost/", "http://LocalHost:8080/x", "http://localhost./", "http://foo.localhost/"] {
        let err = guard().check_url(url).unwrap_err();
        assert!(matches!(err, SsrfError::BlockedHost { reason: "loopback", .. }), "{url}: {err:?}");
    }
    let err = guard().check_url("http://foo.localhost/").unwrap_err();
    assert_eq!(err.to_string(), "target host foo.localhost is loopback");
}

#[test]
fn other_schemes_and_credentials_are_refused() {
    for url in ["ftp://example.com/file", "file:///etc/passwd", "gopher://example.com/", "ws://example.com/"] {
        let err = guard().check_url(url).unwrap_err();
        assert!(matches!(err, SsrfError::UnsupportedScheme(_)), "{url}: {err:?}");
    }
    for url in [
        "http://user:pw@example.com/",
        "https://user@example.com/",
        "http://:pw@example.com/",
        "http://localhost:80@127.0.0.1/",
    ] {
        assert_eq!(guard().check_url(url).unwrap_err(), SsrfError::Credentials, "{url}");
    }
    for url in ["not a url", "http://", "http://[::1/", "http://exa mple.com/", "/relative/path"] {
        let err = guard().check_url(url).unwrap_err();
        assert!(matches!(err, SsrfError::InvalidUrl(_)), "{url}: {err:?}");
    }
}

#[test]
fn public_targets_pass() {
    for url in [
        "http://93.184.216.34/",
        "https://1.1.1.1/hook",
        "https://[2606:4700::1111]/",
        "https://example.com:8443/hooks?x=1",
        "http://[::ffff:93.184.216.34]/",
        "https://hooks.localhost.example.com/",
    ] {
        let checked = guard().check_url(url).unwrap();
        assert_eq!(checked.as_str(), Url::parse(url).unwrap().as_str());
    }
}

#[test]
fn the_allowlist_admits_chosen_private_targets() {
    let guard = loopback_allowed();
    for url in [
        "http://127.0.0.1:9000/",
        "http://127.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://internal.test/",
        "http://INTERNAL.Test./",
        "http://localhost:3000/",
    ] {
        guard.check_url(url).unwrap();
    }
    // Only what is listed: other private ranges and hosts stay refused.
    assert_eq!(guard.check_url("http://10.0.0.1/").unwrap_err(), blocked("10.0.0.1", "private"));
    assert_eq!(guard.check_url("http://[fd12::1]/").unwrap_err(), blocked("fd12::1", "unique-local"));
    assert!(!guard.allows_host("other.test"));
    assert!(!guard.allows_host("sub.internal.test"));
    // The allowlist never admits another scheme or credentials.
    assert!(guard.check_url("ftp://127.0.0.1/").is_err());
    assert!(guard.check_url("http://u:p@internal.test/").is_err());
}

#[test]
fn allowlist_entries_parse_or_name_the_bad_one() {
    let guard = SsrfGuard::new(" 10.0.0.5 ,, fd00::/8, Hooks.Example.,192.168.1.77/16").unwrap();
    assert!(guard.allows_ip("10.0.0.5".parse().unwrap()));
    assert!(!guard.allows_ip("10.0.0.6".parse().unwrap()));
    assert!(guard.allows_ip("fd12::1".parse().unwrap()));
    assert!(guard.allows_ip("192.168.200.1".parse().unwrap()), "host bits of a CIDR are ignored");
    assert!(guard.allows_host("hooks.example"));
    assert!(guard.allows_host("HOOKS.EXAMPLE."));
    assert!(SsrfGuard::new("").unwrap().allow.nets.is_empty());
    assert!(SsrfGuard::from_entries(["127.0.0.0/8", "  "]).unwrap().allows_ip("127.0.0.1".parse().unwrap()));

    for bad in ["10.0.0.0/33", "::1/129", "300.1.1.1", "*.internal", "a b", "http://x", "10.0.0.0/8, [::1"] {
        let err = SsrfGuard::new(bad).unwrap_err();
        assert!(err.contains('`'), "{bad}: {err}");
    }
    let err = SsrfGuard::new("127.0.0.0/8,10.0.0.0/33").unwrap_err();
    assert!(err.contains("10.0.0.0/33"), "{err}");
}

#[test]
fn errors_read_well_and_carry_one_code() {
    let err = guard().check_url("http://127.0.0.1/").unwrap_err();
    assert_eq!(err.to_string(), "target address 127.0.0.1 is loopback");
    assert_eq!(err.code(), "URL_NOT_ALLOWED");
    let field = err.field_error("url");
    assert_eq!((field.field.as_ref(), field.code.as_ref()), ("url", "URL_NOT_ALLOWED"));
    let api: ApiError = err.into();
    assert_eq!(api.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(api.code, "URL_NOT_ALLOWED");
    assert_eq!(api.message, "target address 127.0.0.1 is loopback");
}

#[tokio::test]
async fn resolving_localhost_is_refused_unless_loopback_is_allowed() {
    let err = guard().resolve("localhost", 80).await.unwrap_err();
    assert!(matches!(err, SsrfError::BlockedHost { reason: "loopback", .. }), "{err:?}");
    let err = guard().resolve("127.0.0.1", 80).await.unwrap_err();
    assert_eq!(err, blocked("127.0.0.1", "loopback"));
    let err = guard().resolve("[::1]", 80).await.unwrap_err();
    assert_eq!(err, blocked("::1", "loopback"));

    let addrs = loopback_allowed().resolve("localhost", 80).await.unwrap();
    assert!(!addrs.is_empty());
    assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 80), "{addrs:?}");
    // Allowing only IPv4 loopback still refuses a name that also resolves to ::1, if it does.
    let v4_only = SsrfGuard::new("127.0.0.0/8").unwrap();
    match v4_only.resolve("localhost", 80).await {
        Ok(addrs) => assert!(addrs.iter().all(|a| a.is_ipv4())),
        Err(err) => assert_eq!(err, blocked("::1", "loopback")),
    }
    // An allow-listed host name may resolve to anything.
    SsrfGuard::new("localhost").unwrap().resolve("localhost", 80).await.unwrap();
}

#[tokio::test]
async fn public_ip_literals_resolve_to_themselves_without_dns() {
    let addrs = guard().resolve("93.184.216.34", 443).await.unwrap();
    assert_eq!(addrs, vec!["93.184.216.34:443".parse::<SocketAddr>().unwrap()]);
    let url = guard().check_url_resolved("https://[2606:4700::1111]/").await.unwrap();
    assert_eq!(url.host_str(), Some("[2606:4700::1111]"));
    assert!(guard().check_url_resolved("http://localhost/").await.is_err());
    assert!(guard().check_url_resolved("http://10.0.0.1/").await.is_err());
}

#[tokio::test]
async fn the_guarded_client_refuses_at_resolution_before_any_connection() {
    let client = guard().http_client(Duration::from_secs(5), "tessera-test").unwrap();
    for url in ["http://localhost:9/", "http://foo.localhost:9/"] {
        let err = client.get(url).send().await.unwrap_err();
        let ssrf = SsrfError::find_in(&err).unwrap_or_else(|| panic!("{url}: {err:?}"));
        assert!(matches!(ssrf, SsrfError::BlockedHost { reason: "loopback", .. }), "{ssrf:?}");
    }
    let plain = std::io::Error::other("unrelated");
    assert!(SsrfError::find_in(&plain).is_none());
}
