//! The connect module: tessera as an OAuth 2.0 / OpenID Connect client, for
//! social login, enterprise SSO and the integrations hub, on one core: a
//! provider catalogue, the authorization-code flow, a sealed token vault and
//! refresh. Built up in steps (issue 18): the catalogue and the OAuth client core
//! come first.

pub mod catalogue;
pub mod oauth;
