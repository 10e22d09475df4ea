//! Password hashing on a bounded pool. argon2id costs tens of milliseconds and
//! ~19 MiB per hash, so at most `hash_concurrency` run at once and at most
//! `hash_queue` wait; a flood beyond that is shed with 503 rather than allowed to
//! exhaust memory. Hashes made with older parameters, and imported bcrypt hashes,
//! are reported as needing a rehash so sign-in can upgrade them.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher as _, PasswordVerifier, Version};
use tessera_kernel::ApiError;
use tokio::sync::Semaphore;

use crate::config::PasswordConfig;
use crate::model::Secret;

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub ok: bool,
    /// The hash uses other parameters or another algorithm: store a fresh one.
    pub needs_rehash: bool,
}

/// Hashes and verifies passwords on a bounded set of blocking threads.
pub struct Hasher {
    params: Params,
    permits: Arc<Semaphore>,
    queued: AtomicUsize,
    max_queued: usize,
    /// A hash of a random password, verified when the account does not exist so
    /// the answer takes as long as for a real account.
    decoy: String,
}

impl Hasher {
    pub fn new(cfg: &PasswordConfig) -> Result<Self, String> {
        let params = Params::new(cfg.argon2_memory_kib, cfg.argon2_iterations, cfg.argon2_parallelism, None)
            .map_err(|e| format!("identity.password.argon2_*: {e}"))?;
        let workers = if cfg.hash_concurrency == 0 {
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
        } else {
            cfg.hash_concurrency
        };
        let decoy = argon(&params)
            .hash_password(tessera_kernel::crypto::random_token("", 16).as_bytes())
            .map_err(|e| e.to_string())?
            .to_string();
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(workers)),
            queued: AtomicUsize::new(0),
            max_queued: cfg.hash_queue,
            decoy,
        })
    }

    /// Hashes a new password with the configured argon2id parameters.
    pub async fn hash(&self, password: &Secret) -> Result<String, ApiError> {
        let params = self.params.clone();
        let pw = password.clone();
        self.run(move || argon(&params).hash_password(pw.expose().as_bytes()).map(|h| h.to_string()))
            .await?
            .map_err(ApiError::internal)
    }

    /// Checks `password` against `stored` (argon2 or bcrypt PHC/MCF string). With no
    /// stored hash, spends the same time on a decoy and answers "no".
    pub async fn verify(&self, password: &Secret, stored: Option<&str>) -> Result<Verified, ApiError> {
        let pw = password.clone();
        let (stored, real) = match stored {
            Some(s) => (s.to_owned(), true),
            None => (self.decoy.clone(), false),
        };
        let params = self.params.clone();
        let verified = self.run(move || check(&params, pw.expose(), &stored)).await?;
        Ok(Verified { ok: verified.ok && real, needs_rehash: verified.needs_rehash && real })
    }

    /// Runs `f` on a blocking thread once a permit is free, shedding load past the queue bound.
    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                if self.queued.fetch_add(1, Ordering::AcqRel) >= self.max_queued {
                    self.queued.fetch_sub(1, Ordering::AcqRel);
                    metrics::counter!("tessera_password_hash_shed_total").increment(1);
                    return Err(ApiError::unavailable("the server is busy; try again in a moment").with_retry_after(1));
                }
                let p = self.permits.clone().acquire_owned().await;
                self.queued.fetch_sub(1, Ordering::AcqRel);
                p.map_err(ApiError::internal)?
            }
        };
        tokio::task::spawn_blocking(move || {
            let out = f();
            drop(permit);
            out
        })
        .await
        .map_err(ApiError::internal)
    }
}

fn argon(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

fn check(params: &Params, password: &str, stored: &str) -> Verified {
    if stored.starts_with("$2") {
        let ok = bcrypt::verify(password, stored).unwrap_or(false);
        return Verified { ok, needs_rehash: true };
    }
    let Ok(parsed) = PasswordHash::new(stored) else {
        return Verified { ok: false, needs_rehash: false };
    };
    let ok = argon(params).verify_password(password.as_bytes(), &parsed).is_ok();
    let current = parsed.algorithm.as_str() == "argon2id"
        && Params::try_from(&parsed).is_ok_and(|p| {
            p.m_cost() == params.m_cost() && p.t_cost() == params.t_cost() && p.p_cost() == params.p_cost()
        });
    Verified { ok, needs_rehash: !current }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(m: u32) -> PasswordConfig {
        PasswordConfig {
            min_length: 8,
            max_length: 256,
            reject_common: true,
            argon2_memory_kib: m,
            argon2_iterations: 1,
            argon2_parallelism: 1,
            hash_concurrency: 1,
            hash_queue: 0,
        }
    }

    #[tokio::test]
    async fn hashes_verify_and_old_parameters_need_a_rehash() {
        let old = Hasher::new(&cfg(64)).unwrap();
        let new = Hasher::new(&cfg(128)).unwrap();
        let pw = Secret::new("a long enough password");
        let hash = old.hash(&pw).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert_eq!(old.verify(&pw, Some(&hash)).await.unwrap(), Verified { ok: true, needs_rehash: false });
        assert_eq!(new.verify(&pw, Some(&hash)).await.unwrap(), Verified { ok: true, needs_rehash: true });
        assert!(!new.verify(&Secret::new("wrong"), Some(&hash)).await.unwrap().ok);
        assert!(!new.verify(&pw, None).await.unwrap().ok, "no account never verifies");
    }

    #[tokio::test]
    async fn imported_bcrypt_hashes_verify_and_need_a_rehash() {
        let h = Hasher::new(&cfg(64)).unwrap();
        let bc = bcrypt::hash("imported password", 4).unwrap();
        assert_eq!(
            h.verify(&Secret::new("imported password"), Some(&bc)).await.unwrap(),
            Verified { ok: true, needs_rehash: true }
        );
        assert!(!h.verify(&Secret::new("other"), Some(&bc)).await.unwrap().ok);
    }

    #[tokio::test]
    async fn a_full_queue_sheds_with_503() {
        let h = Arc::new(Hasher::new(&cfg(64)).unwrap());
        // Hold the only permit so the next caller would have to queue; the queue bound is 0.
        let permit = h.permits.clone().acquire_owned().await.unwrap();
        let err = h.hash(&Secret::new("whatever password")).await.unwrap_err();
        assert_eq!(err.status.as_u16(), 503);
        assert_eq!(err.retry_after, Some(1));
        drop(permit);
        assert!(h.hash(&Secret::new("whatever password")).await.is_ok());
    }
}
