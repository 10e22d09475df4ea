//! Headless Chromium driven over WebDriver (Debian's chromium and
//! chromium-driver, installed by `scripts/test-deps`). The browser is kept on
//! loopback: every host name but 127.0.0.1 fails to resolve, and its
//! background services (updates, sync, metrics) are off.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

/// A browser session and the chromedriver behind it (killed on drop).
pub struct Browser {
    pub client: Client,
    driver: Child,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn tool(var: &str, default: &str) -> String {
    let path = std::env::var(var).unwrap_or_else(|_| default.to_owned());
    assert!(std::path::Path::new(&path).exists(), "{path} is missing: run `eval \"$(scripts/test-deps)\"` first");
    path
}

impl Browser {
    pub async fn start() -> Self {
        let chromium = tool("TESSERA_TEST_CHROMIUM", "/usr/bin/chromium");
        let chromedriver = tool("TESSERA_TEST_CHROMEDRIVER", "/usr/bin/chromedriver");
        let port = free_port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            "--disable-domain-reliability",
            "--disable-client-side-phishing-detection",
            "--no-pings",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        ];
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), json!({ "binary": chromium, "args": args }));
        let url = format!("http://127.0.0.1:{port}");
        let mut last = String::new();
        for _ in 0..100 {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(client) => return Self { client, driver },
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start a session within 10 s: {last}");
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }

    /// Types into the field `css`.
    pub async fn fill(&self, css: &str, text: &str) {
        self.client.wait().for_element(Locator::Css(css)).await.unwrap().send_keys(text).await.unwrap();
    }

    pub async fn click(&self, css: &str) {
        self.client.wait().for_element(Locator::Css(css)).await.unwrap().click().await.unwrap();
    }

    /// Waits (at most 10 s) until the text of `css` contains `expected`; returns it.
    pub async fn text_containing(&self, css: &str, expected: &str) -> String {
        let mut seen = String::new();
        for _ in 0..100 {
            if let Ok(el) = self.client.find(Locator::Css(css)).await {
                seen = el.text().await.unwrap_or_default();
                if seen.contains(expected) {
                    return seen;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{css} never showed {expected:?}; last seen {seen:?}");
    }
}
