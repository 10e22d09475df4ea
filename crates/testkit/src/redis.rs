//! Redis for tests of limits shared by several nodes: the machine's Redis
//! (`TESSERA_TEST_REDIS_URL`, default `redis://127.0.0.1:6379`) under a fresh key
//! prefix per test, so parallel tests never share a counter; and a throwaway
//! `redis-server` a test can kill.

use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::TestConfig;

/// The machine's Redis.
pub fn redis_url() -> String {
    std::env::var("TESSERA_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// A key prefix no other test uses.
pub fn fresh_prefix() -> String {
    format!("tessera-test-{}", uuid::Uuid::now_v7().simple())
}

impl TestConfig {
    /// Shares limits through the Redis at `url` under `prefix` (nodes of one test pass the same).
    pub fn redis(&mut self, url: &str, prefix: &str) -> &mut Self {
        self.set("redis.url", json!(url)).set("redis.key_prefix", json!(prefix))
    }
}

/// A `redis-server` (from PATH) on a free loopback port, without persistence;
/// killed by [`ThrowawayRedis::kill`] or when dropped.
pub struct ThrowawayRedis {
    pub url: String,
    child: Option<Child>,
}

impl ThrowawayRedis {
    /// Starts it and waits (at most 10 s) until it accepts connections.
    pub fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &port.to_string(), "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server on PATH");
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not open port {port} within 10 s");
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { url: format!("redis://127.0.0.1:{port}"), child: Some(child) }
    }

    /// Kills the server and waits until it is gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for ThrowawayRedis {
    fn drop(&mut self) {
        self.kill();
    }
}
