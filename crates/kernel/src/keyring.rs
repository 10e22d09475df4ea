//! The data-encryption keyring: stored secrets (signing keys, webhook secrets,
//! OAuth tokens) are sealed with AES-256-GCM under the current key, and every
//! sealed value names its key id (`v1.<kid>.<base64 nonce‖ciphertext>`), so
//! several keys can be active at once and the key can rotate.
//!
//! The keys live in `<data dir>/keys/data.key` (mode 0600), one `<kid> <base64
//! key>` line each; the last line is the current key. `tessera keys rotate-data`
//! appends a key ([`Keyring::add_key`]) and re-seals what is stored
//! ([`crate::reseal`]). A node that meets a key id it does not know reads the
//! file again (at most once a second), and a node notices a new current key
//! within [`FRESHNESS`], so nodes sharing the data dir follow a rotation without
//! a restart.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use crate::crypto::write_private_file;

/// How often a node looks whether the key file changed.
pub const FRESHNESS: Duration = Duration::from_secs(10);
/// The least time between two reads of the file for an unknown key id.
const RELOAD_GAP: Duration = Duration::from_secs(1);

/// Errors of the keyring.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key file {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("sealed value is malformed or was sealed under an unknown key")]
    Unsealable,
}

/// The keys one file holds.
struct Keys {
    current: String,
    by_kid: HashMap<String, Zeroizing<[u8; 32]>>,
    /// The file's size and modification time when it was read.
    stamp: Option<(u64, SystemTime)>,
}

/// The data-encryption keys: the current one seals, every known one opens.
pub struct Keyring {
    path: Option<PathBuf>,
    keys: RwLock<Keys>,
    /// When the file was last looked at for a new current key (never, at first).
    followed: Mutex<Option<Instant>>,
    /// When the file was last read for an unknown key id although it looked unchanged.
    forced: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring").field("current", &self.current()).field("keys", &"<redacted>").finish()
    }
}

fn fresh_key() -> (String, Zeroizing<[u8; 32]>) {
    let mut key = Zeroizing::new([0u8; 32]);
    rand::fill(&mut key[..]);
    (format!("dk-{}", &uuid::Uuid::now_v7().simple().to_string()[20..]), key)
}

fn line_of(kid: &str, key: &[u8; 32]) -> String {
    format!("{kid} {}\n", STANDARD.encode(key))
}

impl Keyring {
    /// Loads `<dir>/keys/data.key`, creating it (mode 0600) on first start.
    pub fn load_or_create(data_dir: &Path) -> Result<Self, KeyError> {
        let path = data_dir.join("keys").join("data.key");
        if !path.exists() {
            let (kid, key) = fresh_key();
            let line = Zeroizing::new(line_of(&kid, &key));
            write_private_file(&path, line.as_bytes()).map_err(|e| file_error(&path, e.to_string()))?;
        }
        let keys = read(&path)?;
        Ok(Self { path: Some(path), keys: RwLock::new(keys), followed: Mutex::new(None), forced: Mutex::new(None) })
    }

    /// A keyring with one fresh key and no file, for tests.
    pub fn ephemeral() -> Self {
        let (kid, key) = fresh_key();
        let keys = Keys { current: kid.clone(), by_kid: HashMap::from([(kid, key)]), stamp: None };
        Self { path: None, keys: RwLock::new(keys), followed: Mutex::new(None), forced: Mutex::new(None) }
    }

    /// The id of the key that seals.
    pub fn current(&self) -> String {
        self.keys.read().unwrap_or_else(PoisonError::into_inner).current.clone()
    }

    /// The key id a sealed value names.
    pub fn kid_of(sealed: &str) -> Option<&str> {
        let mut parts = sealed.splitn(3, '.');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("v1"), Some(kid), Some(_)) => Some(kid),
            _ => None,
        }
    }

    /// Encrypts `plain`, bound to `purpose`: `v1.<kid>.<base64 nonce‖ciphertext>`.
    pub fn seal(&self, purpose: &str, plain: &[u8]) -> String {
        self.follow_file();
        let keys = self.keys.read().unwrap_or_else(PoisonError::into_inner);
        let Some(key) = keys.by_kid.get(&keys.current) else {
            return String::new();
        };
        let cipher = Aes256Gcm::new(&(**key).into());
        let mut nonce = [0u8; 12];
        rand::fill(&mut nonce);
        let sealed =
            cipher.encrypt(&Nonce::from(nonce), Payload { msg: plain, aad: purpose.as_bytes() }).unwrap_or_default();
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&sealed);
        format!("v1.{}.{}", keys.current, STANDARD.encode(blob))
    }

    /// Decrypts a value made by [`Keyring::seal`] with the same `purpose`.
    pub fn open(&self, purpose: &str, sealed: &str) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let kid = Self::kid_of(sealed).ok_or(KeyError::Unsealable)?;
        let known = self.keys.read().unwrap_or_else(PoisonError::into_inner).by_kid.contains_key(kid);
        if !known {
            // Another process may have added it: read the file again, now and then.
            self.reload_for_unknown_key();
        }
        let keys = self.keys.read().unwrap_or_else(PoisonError::into_inner);
        let key = keys.by_kid.get(kid).ok_or(KeyError::Unsealable)?;
        let b64 = sealed.splitn(3, '.').nth(2).ok_or(KeyError::Unsealable)?;
        let blob = STANDARD.decode(b64).map_err(|_| KeyError::Unsealable)?;
        if blob.len() < 12 + 16 {
            return Err(KeyError::Unsealable);
        }
        let (nonce, ct) = blob.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| KeyError::Unsealable)?;
        let cipher = Aes256Gcm::new(&(**key).into());
        cipher
            .decrypt(&Nonce::from(nonce), Payload { msg: ct, aad: purpose.as_bytes() })
            .map(Zeroizing::new)
            .map_err(|_| KeyError::Unsealable)
    }

    /// `sealed` sealed again under the current key.
    pub fn reseal(&self, purpose: &str, sealed: &str) -> Result<String, KeyError> {
        let plain = self.open(purpose, sealed)?;
        Ok(self.seal(purpose, &plain))
    }

    /// Adds a fresh key to the file and makes it current; the others still open
    /// what they sealed. Returns its id.
    pub fn add_key(&self) -> Result<String, KeyError> {
        let Some(path) = &self.path else {
            let (kid, key) = fresh_key();
            let mut keys = self.keys.write().unwrap_or_else(PoisonError::into_inner);
            keys.by_kid.insert(kid.clone(), key);
            keys.current = kid.clone();
            return Ok(kid);
        };
        let (kid, key) = fresh_key();
        let line = Zeroizing::new(line_of(&kid, &key));
        let appended = std::fs::OpenOptions::new().append(true).open(path).and_then(|mut file| {
            file.write_all(line.as_bytes())?;
            file.sync_all()
        });
        appended.map_err(|e| file_error(path, e.to_string()))?;
        self.read_file();
        Ok(kid)
    }

    /// Reads the file again when it changed, looking at most every [`FRESHNESS`].
    fn follow_file(&self) {
        if self.path.is_none() || !due(&self.followed, FRESHNESS) {
            return;
        }
        if self.changed() {
            self.read_file();
        }
    }

    /// Reads the file again for a key id this node does not hold: at once when
    /// it changed, and at most every [`RELOAD_GAP`] when it looks the same (a
    /// change within the file system's time resolution).
    fn reload_for_unknown_key(&self) {
        if self.path.is_some() && (self.changed() || due(&self.forced, RELOAD_GAP)) {
            self.read_file();
        }
    }

    /// Whether the file's size or time differ from when it was read.
    fn changed(&self) -> bool {
        let Some(path) = &self.path else { return false };
        stamp(path) != self.keys.read().unwrap_or_else(PoisonError::into_inner).stamp
    }

    /// Reads the file; a file that no longer reads keeps the keys held.
    fn read_file(&self) {
        let Some(path) = &self.path else { return };
        match read(path) {
            Ok(keys) => *self.keys.write().unwrap_or_else(PoisonError::into_inner) = keys,
            Err(e) => tracing::warn!(error = %e, "the data key file does not read; keeping the keys held"),
        }
    }
}

/// Whether `gap` has passed since `last` (then `last` becomes now).
fn due(last: &Mutex<Option<Instant>>, gap: Duration) -> bool {
    let mut last = last.lock().unwrap_or_else(PoisonError::into_inner);
    if last.is_some_and(|at| at.elapsed() < gap) {
        return false;
    }
    *last = Some(Instant::now());
    true
}

fn file_error(path: &Path, message: String) -> KeyError {
    KeyError::File { path: path.to_owned(), message }
}

fn stamp(path: &Path) -> Option<(u64, SystemTime)> {
    std::fs::metadata(path).and_then(|m| Ok((m.len(), m.modified()?))).ok()
}

fn read(path: &Path) -> Result<Keys, KeyError> {
    let err = |message: String| file_error(path, message);
    let stamp = stamp(path);
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?);
    let mut by_kid = HashMap::new();
    let mut current = None;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (kid, b64) = line.split_once(' ').ok_or_else(|| err("each line must be `<kid> <base64 key>`".into()))?;
        let raw = Zeroizing::new(STANDARD.decode(b64.trim()).map_err(|e| err(format!("key {kid}: {e}")))?);
        let key: [u8; 32] = raw[..].try_into().map_err(|_| err(format!("key {kid} must be 32 bytes")))?;
        by_kid.insert(kid.to_owned(), Zeroizing::new(key));
        current = Some(kid.to_owned());
    }
    let current = current.ok_or_else(|| err("the file holds no key".into()))?;
    Ok(Keys { current, by_kid, stamp })
}

#[cfg(test)]
mod tests;
