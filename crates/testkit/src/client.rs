//! An HTTP client that speaks to the test server and reads envelopes.

use reqwest::Method;
use serde_json::Value;

/// A client, optionally carrying a bearer token.
#[derive(Clone, Debug)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
}

/// An answer: status, headers and body (parsed as JSON when it is).
#[derive(Debug, Clone)]
pub struct TestResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub json: Value,
}

impl TestResponse {
    /// `data` of a success envelope.
    pub fn data(&self) -> &Value {
        assert_eq!(self.json["success"], Value::Bool(true), "not a success envelope: {}", self.text);
        &self.json["data"]
    }
    /// `error.code` of a failure envelope (checking the envelope's shape).
    pub fn error_code(&self) -> &str {
        assert_eq!(self.json["success"], Value::Bool(false), "not a failure envelope: {}", self.text);
        assert!(self.json["error"]["message"].is_string(), "error without message: {}", self.text);
        assert!(self.json["error"]["requestId"].is_string(), "error without requestId: {}", self.text);
        self.json["error"]["code"].as_str().unwrap_or_default()
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Client {
    pub(crate) fn new(http: reqwest::Client, base: String, token: Option<String>) -> Self {
        Self { http, base, token }
    }

    /// A client without credentials for a server at `base` (e.g. a `tessera serve`
    /// process a test started), following no redirects like the test app's.
    pub fn at(base: impl Into<String>) -> Self {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        Self::new(http, base.into(), None)
    }

    /// The same client with another token.
    pub fn with_token(&self, token: &str) -> Self {
        Self { token: Some(token.to_owned()), ..self.clone() }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.send(self.request(Method::GET, path)).await
    }
    pub async fn delete(&self, path: &str) -> TestResponse {
        self.send(self.request(Method::DELETE, path)).await
    }
    pub async fn post(&self, path: &str, body: &Value) -> TestResponse {
        self.send(self.request(Method::POST, path).json(body)).await
    }
    pub async fn post_empty(&self, path: &str) -> TestResponse {
        self.send(self.request(Method::POST, path)).await
    }
    pub async fn patch(&self, path: &str, body: &Value) -> TestResponse {
        self.send(self.request(Method::PATCH, path).json(body)).await
    }
    /// Sends a raw body with the given content type (malformed JSON, huge bodies…).
    pub async fn send_raw(
        &self,
        method: Method,
        path: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> TestResponse {
        self.send(self.request(method, path).header("content-type", content_type).body(body)).await
    }

    /// A request builder with the token set, for anything unusual.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut req = self.http.request(method, self.url(path));
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        req
    }

    pub async fn send(&self, req: reqwest::RequestBuilder) -> TestResponse {
        let res = req.send().await.expect("request sent");
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap_or_default();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        TestResponse { status, headers, text, json }
    }
}
