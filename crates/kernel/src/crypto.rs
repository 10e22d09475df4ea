//! Secrets at rest: random tokens (shown once, stored as SHA-256), constant-time
//! comparison, private files, and (in [`crate::keyring`]) the data-encryption
//! keyring that seals stored secrets with AES-256-GCM under a key id.

use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

pub use crate::keyring::{KeyError, Keyring};

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
    fn tokens_are_random_and_hash_stably() {
        let a = random_token("tsk_", 32);
        assert!(a.starts_with("tsk_") && a.len() >= 4 + 43);
        assert_ne!(a, random_token("tsk_", 32));
        assert_eq!(token_hash(&a), token_hash(&a));
        assert!(ct_eq(b"abc", b"abc") && !ct_eq(b"abc", b"abd"));
    }
}
