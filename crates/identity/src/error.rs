//! The identity module's failures and their one mapping to the error envelope.

use axum::http::StatusCode;
use tessera_kernel::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("the e-mail or password is incorrect")]
    InvalidCredentials,
    #[error("too many failed sign-ins; the account is locked for a while")]
    AccountLocked { retry_after: u64 },
    #[error("this account is disabled")]
    AccountDisabled,
    #[error("verify your e-mail address before signing in")]
    EmailNotVerified,
    #[error("an account with this e-mail address already exists")]
    EmailTaken,
    #[error("the link is invalid, used or expired")]
    InvalidToken,
    #[error("the refresh token is invalid or expired")]
    InvalidRefreshToken,
    #[error("this refresh token was already used; the session has been revoked")]
    RefreshTokenReused,
    #[error("the session has been revoked or has expired")]
    SessionRevoked,
    #[error("user not found")]
    UserNotFound,
    #[error("session not found")]
    SessionNotFound,
    #[error("administrators manage their own account through /users/me")]
    SelfAdministration,
}

impl From<IdentityError> for ApiError {
    fn from(err: IdentityError) -> Self {
        use IdentityError as E;
        let msg = err.to_string();
        match err {
            E::InvalidCredentials => ApiError::new(StatusCode::UNAUTHORIZED, "INVALID_CREDENTIALS", msg),
            E::AccountLocked { retry_after } => ApiError::new(StatusCode::LOCKED, "ACCOUNT_LOCKED", msg)
                .with_retry_after(retry_after)
                .with_details(serde_json::json!({ "retryAfter": retry_after })),
            E::AccountDisabled => ApiError::new(StatusCode::FORBIDDEN, "ACCOUNT_DISABLED", msg),
            E::EmailNotVerified => ApiError::new(StatusCode::FORBIDDEN, "EMAIL_NOT_VERIFIED", msg),
            E::EmailTaken => ApiError::conflict("EMAIL_TAKEN", msg),
            E::InvalidToken => ApiError::new(StatusCode::BAD_REQUEST, "INVALID_TOKEN", msg),
            E::InvalidRefreshToken => ApiError::new(StatusCode::UNAUTHORIZED, "INVALID_REFRESH_TOKEN", msg),
            E::RefreshTokenReused => ApiError::new(StatusCode::UNAUTHORIZED, "REFRESH_TOKEN_REUSED", msg),
            E::SessionRevoked => ApiError::new(StatusCode::UNAUTHORIZED, "SESSION_REVOKED", msg),
            E::UserNotFound => ApiError::not_found("user"),
            E::SessionNotFound => ApiError::not_found("session"),
            E::SelfAdministration => ApiError::forbidden(msg),
        }
    }
}
