//! Secrets at rest: random tokens (shown once, stored as SHA-256), constant-time
//! comparison, and the data-encryption keyring that seals stored secrets with
//! AES-256-GCM under a key id, so keys can rotate.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// A random URL-safe token of `bytes` random bytes, with an optional prefix.
pub fn random_token(prefix: &str, bytes: usize) -> String {
    let mut buf = Zeroizing::new(vec![0u8; bytes]);
    rand::fill(&mut buf[..]);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(&buf[..]))
}

/// SHA-256 of a token in hex: how tokens are stored and looked up.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares two secrets without leaking where they differ.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Errors of the keyring.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("key file {path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("sealed value is malformed or was sealed under an unknown key")]
    Unsealable,
}

/// The data-encryption keys: the current one seals, every known one opens.
#[derive(Clone)]
pub struct Keyring {
    current: String,
    keys: HashMap<String, Zeroizing<[u8; 32]>>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring").field("current", &self.current).field("keys", &"<redacted>").finish()
    }
}

impl Keyring {
    /// Loads `<dir>/keys/data.key`, creating it (mode 0600) on first start.
    /// Each line is `<kid> <base64 key>`; the last line is the current key.
    pub fn load_or_create(data_dir: &Path) -> Result<Self, KeyError> {
        let path = data_dir.join("keys").join("data.key");
        let err = |message: String| KeyError::File { path: path.clone(), message };
        if !path.exists() {
            let mut key = Zeroizing::new([0u8; 32]);
            rand::fill(&mut key[..]);
            let kid = format!("dk-{}", &uuid::Uuid::now_v7().simple().to_string()[..12]);
            let line = format!("{kid} {}\n", STANDARD.encode(&key[..]));
            write_private_file(&path, line.as_bytes()).map_err(|e| err(e.to_string()))?;
        }
        let text = Zeroizing::new(std::fs::read_to_string(&path).map_err(|e| err(e.to_string()))?);
        Self::parse(&text).map_err(err)
    }

    fn parse(text: &str) -> Result<Self, String> {
        let mut keys = HashMap::new();
        let mut current = None;
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let (kid, b64) = line.split_once(' ').ok_or("each line must be `<kid> <base64 key>`")?;
            let raw = Zeroizing::new(STANDARD.decode(b64.trim()).map_err(|e| format!("key {kid}: {e}"))?);
            let key: [u8; 32] = raw[..].try_into().map_err(|_| format!("key {kid} must be 32 bytes"))?;
            keys.insert(kid.to_owned(), Zeroizing::new(key));
            current = Some(kid.to_owned());
        }
        let current = current.ok_or("the file holds no key")?;
        Ok(Self { current, keys })
    }

    /// A keyring with one fresh key, for tests.
    pub fn ephemeral() -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        rand::fill(&mut key[..]);
        Self { current: "dk-test".into(), keys: HashMap::from([("dk-test".into(), key)]) }
    }

    /// Encrypts `plain`, bound to `purpose`: `v1.<kid>.<base64 nonce‖ciphertext>`.
    pub fn seal(&self, purpose: &str, plain: &[u8]) -> String {
        let Some(key) = self.keys.get(&self.current) else {
            return String::new();
        };
        let cipher = Aes256Gcm::new(&(**key).into());
        let mut nonce = [0u8; 12];
        rand::fill(&mut nonce);
        let sealed =
            cipher.encrypt(&Nonce::from(nonce), Payload { msg: plain, aad: purpose.as_bytes() }).unwrap_or_default();
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&sealed);
        format!("v1.{}.{}", self.current, STANDARD.encode(blob))
    }

    /// Decrypts a value made by [`Keyring::seal`] with the same `purpose`.
    pub fn open(&self, purpose: &str, sealed: &str) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let mut parts = sealed.splitn(3, '.');
        let (Some("v1"), Some(kid), Some(b64)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(KeyError::Unsealable);
        };
        let key = self.keys.get(kid).ok_or(KeyError::Unsealable)?;
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
}

/// Creates a file readable by its owner only (0600) in a folder only it can enter
/// (0700). The file appears whole or not at all, and an existing file is never
/// replaced: when two processes race, the first one's content wins for both.
pub fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    let tmp = dir.join(format!(".tmp-{}", uuid::Uuid::now_v7().simple()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let written = opts.open(&tmp).and_then(|mut file| {
        file.write_all(contents)?;
        file.sync_all()
    });
    // A hard link never overwrites: exactly one racer publishes its file.
    let linked = written.and_then(|()| std::fs::hard_link(&tmp, path));
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_same_purpose() {
        let ring = Keyring::ephemeral();
        let sealed = ring.seal("signing-key", b"secret");
        assert!(!sealed.contains("secret"));
        assert_eq!(&ring.open("signing-key", &sealed).unwrap()[..], b"secret");
        assert!(ring.open("other", &sealed).is_err());
        let mut tampered = sealed.clone();
        tampered.pop();
        tampered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(ring.open("signing-key", &tampered).is_err());
    }

    #[test]
    fn key_file_is_created_private_and_reloads() {
        let dir = tempfile::tempdir().unwrap();
        let first = Keyring::load_or_create(dir.path()).unwrap();
        let sealed = first.seal("p", b"x");
        let again = Keyring::load_or_create(dir.path()).unwrap();
        assert_eq!(&again.open("p", &sealed).unwrap()[..], b"x");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("keys/data.key")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn racing_creators_agree_on_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let rings: Vec<Keyring> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8).map(|_| s.spawn(|| Keyring::load_or_create(dir.path()).unwrap())).collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let sealed = rings[0].seal("p", b"same");
        for ring in &rings {
            assert_eq!(&ring.open("p", &sealed).unwrap()[..], b"same");
        }
    }

    #[test]
    fn tokens_are_random_and_hash_stably() {
        let a = random_token("tsk_", 32);
        assert!(a.starts_with("tsk_") && a.len() >= 4 + 43);
        assert_ne!(a, random_token("tsk_", 32));
        assert_eq!(token_hash(&a), token_hash(&a));
        assert!(ct_eq(b"abc", b"abc") && !ct_eq(b"abc", b"abd"));
    }
}
