//! Password hashing on a bounded pool. argon2id costs milliseconds and ~19 MiB
//! per hash, so it runs on `hash_concurrency` dedicated threads, each of which
//! keeps its working memory between hashes (no 19 MiB mapping and page faults per
//! sign-in; wiped and returned after five idle seconds). At most `hash_queue` more
//! wait; a flood beyond that is shed with 503 rather than allowed to exhaust
//! memory. Hashes made with older parameters, and imported bcrypt hashes, are
//! reported as needing a rehash so sign-in can upgrade them.
//!
//! The argon2 implementation is `argon2-rust`, a port of the reference C code
//! with SIMD compression chosen at run time (AVX-512, AVX2, SSE2, NEON): twice
//! as fast as the RustCrypto crate on the same parameters (bench/: hashtime).
//! Its PHC strings are the standard ones, so hashes made by either verify.

use std::sync::Arc;
use std::time::Duration;

use argon2_rust::params::Memory;
use argon2_rust::{Algorithm, Argon2, Params, Version};
use tessera_kernel::ApiError;
use tessera_kernel::crypto::ct_eq;
use tokio::sync::{Semaphore, oneshot};

use crate::config::PasswordConfig;
use crate::model::Secret;

/// Idle time after which a worker gives its working memory back.
const IDLE_RELEASE: Duration = Duration::from_secs(5);
/// Salt length of new hashes.
const SALT_LEN: usize = 16;

/// The outcome of checking a password against a stored hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub ok: bool,
    /// The hash uses other parameters or another algorithm: store a fresh one.
    pub needs_rehash: bool,
}

/// A hashing thread's reusable state: the argon2 arena it keeps between hashes.
type Worker = argon2_rust::Hasher;

/// Work for a hashing thread, given that thread's reusable state.
type Task = Box<dyn FnOnce(&mut Worker) + Send>;

/// Hashes and verifies passwords on a bounded set of dedicated threads.
pub struct Hasher {
    argon: Argon2,
    tasks: crossbeam_channel::Sender<Task>,
    /// One permit per hash running or waiting.
    admission: Arc<Semaphore>,
    /// A hash of a random password, verified when the account does not exist so
    /// the answer takes as long as for a real account.
    decoy: String,
}

impl Hasher {
    pub(crate) fn new(cfg: &PasswordConfig) -> Result<Self, String> {
        let params = Params::builder()
            .memory(Memory::kib(u64::from(cfg.argon2_memory_kib)))
            .passes(cfg.argon2_iterations)
            .lanes(cfg.argon2_parallelism)
            .threads(1)
            .build()
            .map_err(|e| format!("identity.password.argon2_*: {e}"))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let workers = if cfg.hash_concurrency == 0 {
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2)
        } else {
            cfg.hash_concurrency
        };
        let (tasks, queue) = crossbeam_channel::unbounded::<Task>();
        for i in 0..workers {
            let queue = queue.clone();
            let worker = argon.hasher();
            std::thread::Builder::new()
                .name(format!("tessera-hash-{i}"))
                .spawn(move || work(&queue, worker))
                .map_err(|e| format!("cannot start a hashing thread: {e}"))?;
        }
        let decoy = decoy(&params)?;
        Ok(Self { argon, tasks, admission: Arc::new(Semaphore::new(workers + cfg.hash_queue)), decoy })
    }

    /// Hashes a new password with the configured argon2id parameters.
    pub(crate) async fn hash(&self, password: &Secret) -> Result<String, ApiError> {
        let argon = self.argon;
        let pw = password.clone();
        self.run(move |worker| hash_with(argon, pw.expose().as_bytes(), worker)).await?.map_err(ApiError::internal)
    }

    /// Checks `password` against `stored` (argon2 PHC or bcrypt string). With no
    /// stored hash, spends the same time on a decoy and answers "no".
    pub(crate) async fn verify(&self, password: &Secret, stored: Option<&str>) -> Result<Verified, ApiError> {
        let pw = password.clone();
        let (stored, real) = match stored {
            Some(s) => (s.to_owned(), true),
            None => (self.decoy.clone(), false),
        };
        let params = *self.argon.params();
        let verified = self.run(move |worker| check(&params, pw.expose(), &stored, worker)).await?;
        Ok(Verified { ok: verified.ok && real, needs_rehash: verified.needs_rehash && real })
    }

    /// Runs `f` on a hashing thread. At most `workers + hash_queue` calls are
    /// admitted; the rest are shed. The permit travels with the work, so a caller
    /// who gives up frees its place only once the thread is done with it.
    async fn run<T: Send + 'static>(&self, f: impl FnOnce(&mut Worker) -> T + Send + 'static) -> Result<T, ApiError> {
        let Ok(admitted) = self.admission.clone().try_acquire_owned() else {
            metrics::counter!("tessera_password_hash_shed_total").increment(1);
            return Err(ApiError::unavailable("the server is busy; try again in a moment").with_retry_after(1));
        };
        let (done, result) = oneshot::channel();
        let task: Task = Box::new(move |worker| {
            let out = f(worker);
            // Free the place before answering, so the caller's next call is admitted.
            drop(admitted);
            let _ = done.send(out);
        });
        self.tasks.send(task).map_err(|_| ApiError::internal("the hashing threads have stopped"))?;
        result.await.map_err(|_| ApiError::internal("a hashing thread failed"))
    }
}

/// A hashing thread: runs tasks with its own arena, wiped and released when idle.
fn work(queue: &crossbeam_channel::Receiver<Task>, mut worker: Worker) {
    loop {
        match queue.recv_timeout(IDLE_RELEASE) {
            Ok(task) => task(&mut worker),
            Err(crossbeam_channel::RecvTimeoutError::Timeout) => worker.clear(),
            Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
        }
    }
}

/// A well-formed hash with the configured parameters that no password matches
/// (random salt and output): verifying against it costs a real verification.
fn decoy(params: &Params) -> Result<String, String> {
    let mut salt = [0u8; SALT_LEN];
    let mut out = vec![0u8; params.tag_len_bytes()];
    rand::fill(&mut salt);
    rand::fill(&mut out[..]);
    argon2_rust::encode_string_alloc(Algorithm::Argon2id, Version::V0x13, params, &salt, &out)
        .map_err(|e| e.to_string())
}

fn hash_with(argon: Argon2, password: &[u8], worker: &mut Worker) -> Result<String, String> {
    let mut salt = [0u8; SALT_LEN];
    rand::fill(&mut salt);
    worker.set_argon2(argon);
    worker.hash_encoded(password, &salt).map_err(|e| e.to_string())
}

fn check(params: &Params, password: &str, stored: &str, worker: &mut Worker) -> Verified {
    if stored.starts_with("$2") {
        let ok = bcrypt::verify(password, stored).unwrap_or(false);
        return Verified { ok, needs_rehash: true };
    }
    let no = Verified { ok: false, needs_rehash: false };
    let Ok(theirs) = argon2_rust::decode_phc(stored) else { return no };
    let Ok(their_params) = theirs.params.to_builder().threads(1).build() else { return no };
    let mut out = vec![0u8; theirs.hash.len()];
    worker.set_argon2(Argon2::new(theirs.algorithm, theirs.version, their_params));
    let ok = worker.hash_into_with_ad(password.as_bytes(), &theirs.salt, &[], &theirs.ad, &mut out).is_ok()
        && ct_eq(&out, &theirs.hash);
    let current = theirs.algorithm == Algorithm::Argon2id
        && theirs.version == Version::V0x13
        && theirs.params.memory_kib() == params.memory_kib()
        && theirs.params.passes() == params.passes()
        && theirs.params.lanes() == params.lanes();
    Verified { ok, needs_rehash: !current }
}

#[cfg(test)]
mod tests {
    use argon2::{PasswordHash, PasswordHasher, PasswordVerifier};

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
        let reference = argon2::Argon2::default();
        assert!(reference.verify_password(b"interop password", &PasswordHash::new(&ours).unwrap()).is_ok());
        let theirs = argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            argon2::Params::new(64, 1, 1, None).unwrap(),
        )
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
