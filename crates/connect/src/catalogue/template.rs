//! Provider URLs with per-connection inputs: `https://{shop}.myshopify.com/…`.
//! Each input has a kind that bounds what a connection may put there, so a
//! value can never move a URL to another host's path or add a query: a
//! `subdomain` is one DNS label, a `host` a DNS name, an `https_url` an origin
//! with an optional path. The filled URL still goes through the SSRF guard.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use url::Url;

/// What an input may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    /// One DNS label: `my-shop`.
    Subdomain,
    /// A DNS name: `acme.my.salesforce.com`.
    Host,
    /// An `https://` URL without credentials, query or fragment: `https://shop.example/wp`.
    HttpsUrl,
}

/// The inputs one connection supplies, by name.
pub type Inputs = BTreeMap<String, String>;

/// Why a connection's inputs do not fit its provider.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InputError {
    #[error("`{0}` is required by this provider")]
    Missing(String),
    #[error("`{0}` is not an input of this provider")]
    Unknown(String),
    #[error("`{name}` must be {expected}")]
    Invalid { name: String, expected: &'static str },
}

impl InputKind {
    fn expected(self) -> &'static str {
        match self {
            Self::Subdomain => "one DNS label (letters, digits and `-`)",
            Self::Host => "a DNS host name",
            Self::HttpsUrl => "an https:// URL without credentials, query or fragment",
        }
    }

    fn accepts(self, value: &str) -> bool {
        match self {
            Self::Subdomain => label(value),
            Self::Host => value.len() <= 253 && value.split('.').all(label),
            Self::HttpsUrl => Url::parse(value).is_ok_and(|u| {
                u.scheme() == "https"
                    && u.host_str().is_some()
                    && u.username().is_empty()
                    && u.password().is_none()
                    && u.query().is_none()
                    && u.fragment().is_none()
                    && !value.contains(['{', '}'])
            }),
        }
    }

    /// A value of this kind, to check templates with.
    fn sample(self) -> &'static str {
        match self {
            Self::Subdomain => "sample",
            Self::Host => "sample.example",
            Self::HttpsUrl => "https://sample.example/base",
        }
    }
}

fn label(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// The `{name}` placeholders of `template`, in order.
fn placeholders(template: &str) -> Result<Vec<&str>, String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or("an unclosed `{`")?;
        let name = &after[..close];
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            return Err(format!("`{{{name}}}` is not a placeholder (lower-case letters and `_`)"));
        }
        out.push(name);
        rest = &after[close + 1..];
    }
    if rest.contains('}') {
        return Err("a `}` without its `{`".into());
    }
    Ok(out)
}

fn substitute(template: &str, value_of: impl Fn(&str) -> String) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    for name in placeholders(template)? {
        let marker = format!("{{{name}}}");
        let at = rest.find(&marker).ok_or("placeholder out of order")?;
        out.push_str(&rest[..at]);
        out.push_str(&value_of(name));
        rest = &rest[at + marker.len()..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Checks a catalogue URL: its placeholders are declared inputs, and it is an
/// http(s) URL whatever valid values fill it.
pub(crate) fn check(template: &str, inputs: &BTreeMap<String, InputKind>) -> Result<(), String> {
    for name in placeholders(template)? {
        if !inputs.contains_key(name) {
            return Err(format!("`{{{name}}}` is not one of the provider's inputs"));
        }
    }
    let sample = substitute(template, |name| inputs.get(name).map(|k| k.sample()).unwrap_or_default().to_owned())?;
    let url = Url::parse(&sample).map_err(|e| format!("not a URL ({e})"))?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        return Err("not an http(s) URL with a host".into());
    }
    Ok(())
}

/// Checks a connection's inputs against what its provider declares.
pub fn check_inputs(declared: &BTreeMap<String, InputKind>, given: &Inputs) -> Result<(), InputError> {
    if let Some(unknown) = given.keys().find(|k| !declared.contains_key(*k)) {
        return Err(InputError::Unknown(unknown.clone()));
    }
    for (name, kind) in declared {
        let value = given.get(name).ok_or_else(|| InputError::Missing(name.clone()))?;
        if !kind.accepts(value) {
            return Err(InputError::Invalid { name: name.clone(), expected: kind.expected() });
        }
    }
    Ok(())
}

/// The URL `template` names for a connection with `given` inputs (already checked
/// with [`check_inputs`]); an `https_url` input is inserted without its trailing `/`.
pub fn fill(template: &str, declared: &BTreeMap<String, InputKind>, given: &Inputs) -> Result<Url, InputError> {
    check_inputs(declared, given)?;
    let filled =
        substitute(template, |name| given.get(name).map(|v| v.trim_end_matches('/').to_owned()).unwrap_or_default())
            .map_err(|_| InputError::Missing(template.to_owned()))?;
    Url::parse(&filled).map_err(|_| InputError::Invalid { name: template.to_owned(), expected: "a URL once filled" })
}
