//! What the module's own tests reach inside it for (feature `testing`, never in
//! a build that serves): the users table, to read a stored hash or plant an
//! imported one, and the token signer, to sign tokens with wrong claims and
//! prove they are refused.

pub use crate::entity::users;
pub use crate::jwt::Claims;
pub use crate::model::UserStatus;
use crate::service::Identity;

/// Signs `claims` with the current key, as the module would.
pub fn sign(identity: &Identity, claims: &Claims) -> Result<String, tessera_kernel::ApiError> {
    identity.tokens().sign(claims)
}

/// `password` hashed as the module stores it (the benchmark seeds users this way).
pub async fn hash_password(cfg: &crate::PasswordConfig, password: &str) -> Result<String, String> {
    let hasher = crate::password::Hasher::new(cfg)?;
    hasher.hash(&crate::model::Secret::new(password)).await.map_err(|e| e.message.to_string())
}
