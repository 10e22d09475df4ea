//! Password hashing on a bounded pool. argon2id costs tens of milliseconds and
//! ~19 MiB per hash, so it runs on `hash_concurrency` dedicated threads, each of
//! which keeps its working memory between hashes (no 19 MiB allocation per
//! sign-in; returned after five idle seconds). At most `hash_queue` more wait; a flood
//! beyond that is shed with 503 rather than allowed to exhaust memory. Hashes made
//! with older parameters, and imported bcrypt hashes, are reported as needing a
//! rehash so sign-in can upgrade them.

use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::phc::{Output, ParamsString, Salt};
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};
use tessera_kernel::ApiError;
use tessera_kernel::crypto::ct_eq;
use tokio::sync::{Semaphore, oneshot};

use crate::config::PasswordConfig;
use crate::model::Secret;

/// Idle time after which a worker gives its working memory back.
const IDLE_RELEASE: Duration = Duration::from_secs(5);

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub ok: bool,
    /// The hash uses other parameters or another algorithm: store a fresh one.
    pub needs_rehash: bool,
}

/// Work for a hashing thread, given that thread's reusable memory.
type Task = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// Hashes and verifies passwords on a bounded set of dedicated threads.
pub struct Hasher {
    params: Params,
    tasks: crossbeam_channel::Sender<Task>,
    /// One permit per hash running or waiting.
    admission: Arc<Semaphore>,
    /// A hash of a random password, verified when the account does not exist so
    /// the answer takes as long as for a real account.
    decoy: String,
}

impl Hasher {
    pub(crate) fn new(cfg: &PasswordConfig) -> Result<Self, String> {
        let params = Params::new(cfg.argon2_memory_kib, cfg.argon2_iterations, cfg.argon2_parallelism, None)
            .map_err(|e| format!("identity.password.argon2_*: {e}"))?;
        let workers = if cfg.hash_concurrency == 0 {
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
        } else {
            cfg.hash_concurrency
        };
        let (tasks, queue) = crossbeam_channel::unbounded::<Task>();
        for i in 0..workers {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("tessera-hash-{i}"))
                .spawn(move || work(&queue))
                .map_err(|e| format!("cannot start a hashing thread: {e}"))?;
        }
        let decoy = decoy(&params)?;
        Ok(Self { params, tasks, admission: Arc::new(Semaphore::new(workers + cfg.hash_queue)), decoy })
    }

    /// Hashes a new password with the configured argon2id parameters.
    pub(crate) async fn hash(&self, password: &Secret) -> Result<String, ApiError> {
        let params = self.params.clone();
        let pw = password.clone();
        self.run(move |memory| hash_with(&params, pw.expose().as_bytes(), memory)).await?.map_err(ApiError::internal)
    }

    /// Checks `password` against `stored` (argon2 PHC or bcrypt string). With no
    /// stored hash, spends the same time on a decoy and answers "no".
    pub(crate) async fn verify(&self, password: &Secret, stored: Option<&str>) -> Result<Verified, ApiError> {
        let pw = password.clone();
        let (stored, real) = match stored {
            Some(s) => (s.to_owned(), true),
            None => (self.decoy.clone(), false),
        };
        let params = self.params.clone();
        let verified = self.run(move |memory| check(&params, pw.expose(), &stored, memory)).await?;
        Ok(Verified { ok: verified.ok && real, needs_rehash: verified.needs_rehash && real })
    }

    /// Runs `f` on a hashing thread. At most `workers + hash_queue` calls are
    /// admitted; the rest are shed. The permit travels with the work, so a caller
    /// who gives up frees its place only once the thread is done with it.
    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let Ok(admitted) = self.admission.clone().try_acquire_owned() else {
            metrics::counter!("tessera_password_hash_shed_total").increment(1);
            return Err(ApiError::unavailable("the server is busy; try again in a moment").with_retry_after(1));
        };
        let (done, result) = oneshot::channel();
        let task: Task = Box::new(move |memory| {
            let out = f(memory);
            // Free the place before answering, so the caller's next call is admitted.
            drop(admitted);
            let _ = done.send(out);
        });
        self.tasks.send(task).map_err(|_| ApiError::internal("the hashing threads have stopped"))?;
        result.await.map_err(|_| ApiError::internal("a hashing thread failed"))
    }
}

/// A hashing thread: runs tasks with its own memory, released when idle.
fn work(queue: &crossbeam_channel::Receiver<Task>) {
    let mut memory: Vec<Block> = Vec::new();
    loop {
        match queue.recv_timeout(IDLE_RELEASE) {
            Ok(task) => task(&mut memory),
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => memory = Vec::new(),
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
        }
    }
}

/// Computes argon2id with `params` into `memory` (grown as needed; argon2's first
/// pass overwrites every block, so reused memory needs no clearing).
fn argon2_into(
    argon: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
    memory: &mut Vec<Block>,
) -> Result<(), argon2::Error> {
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    argon.hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
}

/// A well-formed hash with the configured parameters that no password matches
/// (random salt and output): verifying against it costs a real verification.
fn decoy(params: &Params) -> Result<String, String> {
    let mut salt = [0u8; 16];
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    rand::fill(&mut salt);
    rand::fill(&mut out);
    phc_string(params, &salt, &out)
}

fn phc_string(params: &Params, salt: &[u8], out: &[u8]) -> Result<String, String> {
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(|e| e.to_string())?,
        salt: Some(Salt::new(salt).map_err(|e| e.to_string())?),
        hash: Some(Output::new(out).map_err(|e| e.to_string())?),
    };
    Ok(phc.to_string())
}

fn hash_with(params: &Params, password: &[u8], memory: &mut Vec<Block>) -> Result<String, String> {
    let mut salt = [0u8; 16];
    rand::fill(&mut salt);
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    argon2_into(&argon, params, password, &salt, &mut out, memory).map_err(|e| e.to_string())?;
    phc_string(params, &salt, &out)
}

fn check(params: &Params, password: &str, stored: &str, memory: &mut Vec<Block>) -> Verified {
    let no = Verified { ok: false, needs_rehash: false };
    if stored.starts_with("$2") {
        let ok = bcrypt::verify(password, stored).unwrap_or(false);
        return Verified { ok, needs_rehash: true };
    }
    let Ok(parsed) = PasswordHash::new(stored) else { return no };
    let (Ok(algorithm), Ok(their)) = (Algorithm::try_from(parsed.algorithm.as_str()), Params::try_from(&parsed)) else {
        return no;
    };
    let version = parsed.version.and_then(|v| Version::try_from(v).ok()).unwrap_or_default();
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else { return no };
    let mut out = vec![0u8; expected.len()];
    let argon = Argon2::new(algorithm, version, their.clone());
    let ok = argon2_into(&argon, &their, password.as_bytes(), salt.as_ref(), &mut out, memory).is_ok()
        && ct_eq(&out, expected.as_bytes());
    let current = algorithm == Algorithm::Argon2id
        && their.m_cost() == params.m_cost()
        && their.t_cost() == params.t_cost()
        && their.p_cost() == params.p_cost();
    Verified { ok, needs_rehash: !current }
}

#[cfg(test)]
mod tests {
    use argon2::{PasswordHasher, PasswordVerifier};

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
        assert!(hash.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{hash}");
        assert_eq!(old.verify(&pw, Some(&hash)).await.unwrap(), Verified { ok: true, needs_rehash: false });
        assert_eq!(new.verify(&pw, Some(&hash)).await.unwrap(), Verified { ok: true, needs_rehash: true });
        assert!(!new.verify(&Secret::new("wrong"), Some(&hash)).await.unwrap().ok);
        assert!(!new.verify(&pw, None).await.unwrap().ok, "no account never verifies");
        // Memory grown for the larger hash is reused correctly for smaller ones.
        assert!(old.verify(&pw, Some(&new.hash(&pw).await.unwrap())).await.unwrap().ok);
    }

    #[tokio::test]
    async fn hashes_interoperate_with_the_reference_implementation() {
        let h = Hasher::new(&cfg(64)).unwrap();
        let ours = h.hash(&Secret::new("interop password")).await.unwrap();
        let reference = Argon2::default();
        assert!(reference.verify_password(b"interop password", &PasswordHash::new(&ours).unwrap()).is_ok());
        let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, Params::new(64, 1, 1, None).unwrap())
            .hash_password(b"interop password")
            .unwrap()
            .to_string();
        assert!(h.verify(&Secret::new("interop password"), Some(&theirs)).await.unwrap().ok);
        assert!(!h.verify(&Secret::new("interop passwore"), Some(&theirs)).await.unwrap().ok);
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
    async fn a_full_queue_sheds_with_503_and_callers_who_give_up_free_their_place() {
        let mut c = cfg(64);
        c.hash_queue = 1;
        let h = Arc::new(Hasher::new(&c).unwrap());
        // Block the only thread, as a long hash would.
        let (release, gate) = std::sync::mpsc::channel::<()>();
        let blocker = {
            let h = h.clone();
            tokio::spawn(async move { h.run(move |_| gate.recv().ok()).await })
        };
        while h.admission.available_permits() > 1 {
            tokio::task::yield_now().await;
        }
        let queued = {
            let h = h.clone();
            tokio::spawn(async move { h.hash(&Secret::new("whatever password")).await })
        };
        while h.admission.available_permits() > 0 {
            tokio::task::yield_now().await;
        }
        let err = h.hash(&Secret::new("whatever password")).await.unwrap_err();
        assert_eq!((err.status.as_u16(), err.retry_after), (503, Some(1)), "one running + one queued: shed");

        // The queued caller gives up; once the thread is free everything drains.
        queued.abort();
        release.send(()).unwrap();
        blocker.await.unwrap().unwrap();
        assert!(h.hash(&Secret::new("whatever password")).await.is_ok());
        assert_eq!(h.admission.available_permits(), 2, "no leaked admission");
    }
}
