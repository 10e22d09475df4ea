//! The Redis that nodes share rate limits and sign-in strikes through
//! (`redis.url`). Every call is bounded by `redis.timeout_ms` and never fails a
//! request: a call that does not answer in time gives `None`, the caller falls
//! back to its in-process counterpart, a warning is logged once per outage, and
//! `tessera_redis_failures_total` counts the failed calls. After a failure the
//! node leaves Redis alone for a second, so an outage costs requests no waiting.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ::redis::aio::{ConnectionManager, ConnectionManagerConfig};
use ::redis::{FromRedisValue, Script};

use crate::config::RedisConfig;

/// How long a node leaves Redis alone after a failed call.
const BACKOFF: Duration = Duration::from_secs(1);

/// A lazily connected, shared handle (it reconnects by itself).
pub struct Redis {
    conn: ConnectionManager,
    prefix: String,
    timeout: Duration,
    started: Instant,
    /// Milliseconds after `started` before which calls are not tried.
    resume_at_ms: AtomicU64,
    up: AtomicBool,
}

impl Redis {
    /// The handle for `redis.url`, or `None` when no URL is set. Does not connect:
    /// a Redis that is down at start is tried again on use.
    pub fn open(cfg: &RedisConfig) -> Result<Option<Arc<Self>>, String> {
        let Some(url) = cfg.url() else { return Ok(None) };
        let client = ::redis::Client::open(url).map_err(|e| format!("`redis.url`: {e}"))?;
        let timeout = Duration::from_millis(cfg.timeout_ms);
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(0);
        let conn = ConnectionManager::new_lazy_with_config(client, config).map_err(|e| format!("redis: {e}"))?;
        Ok(Some(Arc::new(Self {
            conn,
            prefix: cfg.key_prefix.clone(),
            timeout,
            started: Instant::now(),
            resume_at_ms: AtomicU64::new(0),
            up: AtomicBool::new(true),
        })))
    }

    /// `<prefix>:<part>:<part>…`
    pub fn key(&self, parts: &[&str]) -> String {
        let mut key = self.prefix.clone();
        for p in parts {
            key.push(':');
            key.push_str(p);
        }
        key
    }

    /// Runs `script` on `keys` and `args`; `None` when Redis did not answer in time
    /// (or is in its back-off after a failure).
    pub async fn run<T: FromRedisValue>(
        &self,
        op: &'static str,
        script: &Script,
        keys: &[&str],
        args: &[i64],
    ) -> Option<T> {
        if self.since_start_ms() < self.resume_at_ms.load(Ordering::Relaxed) {
            return None;
        }
        let mut invocation = script.prepare_invoke();
        for k in keys {
            invocation.key(*k);
        }
        for a in args {
            invocation.arg(*a);
        }
        let mut conn = self.conn.clone();
        let outcome = tokio::time::timeout(self.timeout, invocation.invoke_async::<T>(&mut conn)).await;
        match outcome {
            Ok(Ok(value)) => {
                if !self.up.swap(true, Ordering::Relaxed) {
                    tracing::info!("redis answers again; limits are shared by the nodes again");
                }
                Some(value)
            }
            Ok(Err(e)) => self.failed(op, &e.to_string()),
            Err(_) => self.failed(op, "timed out"),
        }
    }

    /// Whether Redis answers a PING within the timeout (for `/ready` and start-up).
    pub async fn ping(&self) -> Result<(), String> {
        let mut conn = self.conn.clone();
        let ping = ::redis::cmd("PING");
        match tokio::time::timeout(self.timeout, ping.query_async::<String>(&mut conn)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("timed out".into()),
        }
    }

    fn failed<T>(&self, op: &'static str, error: &str) -> Option<T> {
        metrics::counter!("tessera_redis_failures_total", "op" => op).increment(1);
        let resume = self.since_start_ms() + BACKOFF.as_millis() as u64;
        self.resume_at_ms.store(resume, Ordering::Relaxed);
        if self.up.swap(false, Ordering::Relaxed) {
            tracing::warn!(op, error, "redis unreachable; this node falls back to its own in-memory limits");
        }
        None
    }

    fn since_start_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }
}

/// Handles for the kernel's own tests: the machine's Redis (`TESSERA_TEST_REDIS_URL`,
/// default `redis://127.0.0.1:6379`) under a fresh key prefix, and one nobody listens on.
#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    fn open(url: &str) -> Arc<Redis> {
        let cfg = RedisConfig {
            url: url.to_owned(),
            key_prefix: format!("tessera-test-{}", uuid::Uuid::now_v7().simple()),
            timeout_ms: 500,
        };
        Redis::open(&cfg).ok().flatten().unwrap_or_else(|| unreachable!("a URL is set"))
    }

    pub(crate) fn test_redis() -> Arc<Redis> {
        open(&std::env::var("TESSERA_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into()))
    }

    /// Port 1 on loopback: connections are refused at once.
    pub(crate) fn dead_redis() -> Arc<Redis> {
        open("redis://127.0.0.1:1")
    }
}
