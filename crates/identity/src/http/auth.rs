//! `/auth/*`: sign-up, sign-in, refresh, sign-out, e-mail verification, password
//! flows, and token verification for other services.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tessera_kernel::fields::parse_name;
use tessera_kernel::ratelimit::enforce;
use tessera_kernel::{
    Accepted, Actor, ApiError, ApiResult, ClientInfo, Created, Data, Done, FieldErrors, Json, PlatformAdmin,
};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::IdentityState;
use super::users::UserOut;
use crate::jwt::Claims;
use crate::model::{Email, NewPassword, Secret};
use crate::service::auth::{Registration, TokenPair};
use crate::store::sessions::Origin;

pub fn routes() -> OpenApiRouter<IdentityState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(logout_all))
        .routes(routes!(verify_email))
        .routes(routes!(resend_verification))
        .routes(routes!(forgot_password))
        .routes(routes!(reset_password))
        .routes(routes!(change_password))
        .routes(routes!(verify_token))
        .routes(routes!(introspect))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterIn {
    pub email: String,
    pub password: Secret,
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginIn {
    pub email: String,
    pub password: Secret,
}

/// Tokens and the signed-in user.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoginOut {
    #[serde(flatten)]
    pub tokens: TokenPair,
    pub user: UserOut,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefreshIn {
    pub refresh_token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmailIn {
    pub email: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TokenIn {
    pub token: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResetPasswordIn {
    pub token: String,
    pub new_password: Secret,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChangePasswordIn {
    pub current_password: Secret,
    pub new_password: Secret,
}

/// Acknowledgement of a request handled in the background.
#[derive(Debug, Serialize, ToSchema)]
pub struct AcceptedOut {
    pub message: &'static str,
}

fn origin(client: &ClientInfo) -> Origin {
    Origin { ip: Some(client.ip.to_string()), user_agent: client.user_agent.clone() }
}

/// Per-address limit of the sign-in, sign-up and password routes.
async fn limit_ip(s: &IdentityState, client: &ClientInfo) -> ApiResult<()> {
    let rule = s.app.config.rate_limit.auth_ip_rule();
    enforce(&s.app, rule, &client.ip.to_string()).await
}

/// Per-account limit of the sign-in and password routes.
async fn limit_account(s: &IdentityState, email: &Email) -> ApiResult<()> {
    let rule = s.app.config.rate_limit.auth_account_rule();
    enforce(&s.app, rule, email.as_str()).await
}

/// Creates an account and mails a verification link.
#[utoipa::path(post, path = "/auth/register", tag = "auth", operation_id = "identity.auth.register",
    request_body = RegisterIn,
    responses((status = 201, body = Data<UserOut>), (status = 409, description = "EMAIL_TAKEN"), (status = 422), (status = 429)))]
async fn register(
    State(s): State<IdentityState>,
    client: ClientInfo,
    Json(input): Json<RegisterIn>,
) -> ApiResult<Created<UserOut>> {
    limit_ip(&s, &client).await?;
    let policy = &s.id.cfg.password;
    let mut errors = FieldErrors::new();
    let email = errors.check(Email::parse("email", &input.email));
    let password = errors.check(NewPassword::parse("password", &input.password, policy));
    let name = errors.check(parse_name("name", &input.name));
    errors.finish()?;
    let (Some(email), Some(password), Some(name)) = (email, password, name) else {
        return Err(ApiError::bad_request("invalid registration"));
    };
    let user = s.id.register(Registration { email, password, name }).await?;
    Ok(Created(UserOut::from(&user)))
}

/// Signs in with e-mail and password.
#[utoipa::path(post, path = "/auth/login", tag = "auth", operation_id = "identity.auth.login",
    request_body = LoginIn,
    responses((status = 200, body = Data<LoginOut>), (status = 401, description = "INVALID_CREDENTIALS"),
        (status = 403, description = "ACCOUNT_DISABLED or EMAIL_NOT_VERIFIED"), (status = 423, description = "ACCOUNT_LOCKED"),
        (status = 429), (status = 503, description = "password hashing is saturated")))]
async fn login(
    State(s): State<IdentityState>,
    client: ClientInfo,
    Json(input): Json<LoginIn>,
) -> ApiResult<Data<LoginOut>> {
    limit_ip(&s, &client).await?;
    let email = Email::parse("email", &input.email)?;
    limit_account(&s, &email).await?;
    let signed = s.id.login(&email, &input.password, &origin(&client), client.ip).await?;
    Ok(Data::new(LoginOut { tokens: signed.tokens, user: UserOut::from(&signed.user) }))
}

/// Trades a refresh token for a new pair; the old one stops working.
#[utoipa::path(post, path = "/auth/refresh", tag = "auth", operation_id = "identity.auth.refresh",
    request_body = RefreshIn,
    responses((status = 200, body = Data<TokenPair>), (status = 401, description = "INVALID_REFRESH_TOKEN or REFRESH_TOKEN_REUSED")))]
async fn refresh(State(s): State<IdentityState>, Json(input): Json<RefreshIn>) -> ApiResult<Data<TokenPair>> {
    Ok(Data::new(s.id.refresh(input.refresh_token.trim()).await?))
}

/// Ends the current session.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", operation_id = "identity.auth.logout",
    responses((status = 200, body = Data<Done>), (status = 401), (status = 403, description = "FORBIDDEN: an API key cannot; sign in")), security(("bearer" = [])))]
async fn logout(State(s): State<IdentityState>, actor: Actor) -> ApiResult<Data<Done>> {
    s.id.logout(&actor).await?;
    Ok(Done::ok())
}

/// How many sessions a sign-out ended.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevokedOut {
    pub revoked: usize,
}

/// Ends every session of the caller.
#[utoipa::path(post, path = "/auth/logout-all", tag = "auth", operation_id = "identity.auth.logout_all",
    responses((status = 200, body = Data<RevokedOut>), (status = 401), (status = 403, description = "FORBIDDEN: an API key cannot; sign in")),
    security(("bearer" = [])))]
async fn logout_all(State(s): State<IdentityState>, actor: Actor) -> ApiResult<Data<RevokedOut>> {
    let revoked = s.id.logout_all(&actor).await?;
    Ok(Data::new(RevokedOut { revoked }))
}

/// Confirms an e-mail address with the token from the verification link.
#[utoipa::path(post, path = "/auth/verify-email", tag = "auth", operation_id = "identity.auth.verify_email",
    request_body = TokenIn, responses((status = 200, body = Data<UserOut>), (status = 400, description = "INVALID_TOKEN")))]
async fn verify_email(
    State(s): State<IdentityState>,
    client: ClientInfo,
    Json(input): Json<TokenIn>,
) -> ApiResult<Data<UserOut>> {
    limit_ip(&s, &client).await?;
    let user = s.id.verify_email(input.token.trim()).await?;
    Ok(Data::new(UserOut::from(&user)))
}

const SENT_IF_EXISTS: &str = "if an account with this address exists, an e-mail is on its way";

/// Sends a new verification link (the answer is the same whether the account exists or not).
#[utoipa::path(post, path = "/auth/resend-verification", tag = "auth", operation_id = "identity.auth.resend_verification",
    request_body = EmailIn, responses((status = 202, body = Data<AcceptedOut>), (status = 429)))]
async fn resend_verification(
    State(s): State<IdentityState>,
    client: ClientInfo,
    Json(input): Json<EmailIn>,
) -> ApiResult<Accepted<AcceptedOut>> {
    limit_ip(&s, &client).await?;
    let email = Email::parse("email", &input.email)?;
    limit_account(&s, &email).await?;
    s.id.resend_verification(email).await?;
    Ok(Accepted(AcceptedOut { message: SENT_IF_EXISTS }))
}

/// Mails a password-reset link; answers 202 at once whether the account exists or not (the mail is a
/// job written before the answer, so a crash after it loses nothing).
#[utoipa::path(post, path = "/auth/forgot-password", tag = "auth", operation_id = "identity.auth.forgot_password",
    request_body = EmailIn, responses((status = 202, body = Data<AcceptedOut>), (status = 429)))]
async fn forgot_password(
    State(s): State<IdentityState>,
    client: ClientInfo,
    Json(input): Json<EmailIn>,
) -> ApiResult<Accepted<AcceptedOut>> {
    limit_ip(&s, &client).await?;
    let email = Email::parse("email", &input.email)?;
    limit_account(&s, &email).await?;
    s.id.forgot_password(email).await?;
    Ok(Accepted(AcceptedOut { message: SENT_IF_EXISTS }))
}

/// Sets a new password with the token from a reset link; every session ends.
#[utoipa::path(post, path = "/auth/reset-password", tag = "auth", operation_id = "identity.auth.reset_password",
    request_body = ResetPasswordIn,
    responses((status = 200, body = Data<Done>), (status = 400, description = "INVALID_TOKEN"), (status = 422)))]
async fn reset_password(
    State(s): State<IdentityState>,
    client: ClientInfo,
    Json(input): Json<ResetPasswordIn>,
) -> ApiResult<Data<Done>> {
    limit_ip(&s, &client).await?;
    let password = NewPassword::parse("newPassword", &input.new_password, &s.id.cfg.password)?;
    s.id.reset_password(input.token.trim(), password).await?;
    Ok(Done::ok())
}

/// Changes the caller's password; other sessions end.
#[utoipa::path(post, path = "/auth/change-password", tag = "auth", operation_id = "identity.auth.change_password",
    request_body = ChangePasswordIn,
    responses((status = 200, body = Data<Done>), (status = 401), (status = 403, description = "FORBIDDEN: an API key cannot; sign in"), (status = 422)),
    security(("bearer" = [])))]
async fn change_password(
    State(s): State<IdentityState>,
    actor: Actor,
    Json(input): Json<ChangePasswordIn>,
) -> ApiResult<Data<Done>> {
    let rule = s.app.config.rate_limit.auth_account_rule();
    enforce(&s.app, rule, &actor.user_id().to_string()).await?;
    let password = NewPassword::parse("newPassword", &input.new_password, &s.id.cfg.password)?;
    s.id.change_password(&actor, &input.current_password, password).await?;
    Ok(Done::ok())
}

/// Validity of a bearer token and its claims.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifiedToken {
    pub valid: bool,
    pub claims: Claims,
}

/// Checks the bearer access token (signature, expiry, session) and returns its claims.
#[utoipa::path(get, path = "/auth/verify-token", tag = "auth", operation_id = "identity.auth.verify_token",
    responses((status = 200, body = Data<VerifiedToken>), (status = 401, description = "UNAUTHORIZED or TOKEN_EXPIRED")),
    security(("bearer" = [])))]
async fn verify_token(State(s): State<IdentityState>, headers: HeaderMap) -> ApiResult<Data<VerifiedToken>> {
    let token = tessera_kernel::actor::bearer(&headers)
        .ok_or_else(|| ApiError::unauthorized("send Authorization: Bearer <token>"))?;
    let (claims, _) = s.id.authenticate_token(token).await?;
    Ok(Data::new(VerifiedToken { valid: true, claims: (*claims).clone() }))
}

/// RFC 7662 request: the token to inspect.
#[derive(Debug, Deserialize, ToSchema)]
pub struct IntrospectIn {
    pub token: String,
    /// Accepted as RFC 7662 allows; tessera tells its token kinds apart itself.
    #[expect(dead_code, reason = "part of the RFC 7662 request, read by no rule")]
    pub token_type_hint: Option<String>,
}

/// RFC 7662 answer (not wrapped in the envelope, so standard clients read it).
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct IntrospectOut {
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<tessera_kernel::PlatformRole>,
}

/// RFC 7662 token introspection for services (form or JSON body; platform administrators).
#[utoipa::path(post, path = "/auth/introspect", tag = "auth", operation_id = "identity.auth.introspect",
    request_body(content = IntrospectIn, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = IntrospectOut), (status = 401), (status = 403)), security(("bearer" = [])))]
async fn introspect(
    State(s): State<IdentityState>,
    _admin: PlatformAdmin,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    let input: IntrospectIn = if form {
        serde_urlencoded::from_bytes(&body).map_err(|e| ApiError::bad_request(format!("invalid form: {e}")))?
    } else {
        tessera_kernel::extract::parse_json(&body)?
    };
    let out = match s.id.authenticate_token(input.token.trim()).await {
        Ok((c, _)) => IntrospectOut {
            active: true,
            sub: Some(c.sub.to_string()),
            sid: Some(c.sid.to_string()),
            iss: Some(c.iss.clone()),
            aud: Some(c.aud.clone()),
            exp: Some(c.exp),
            iat: Some(c.iat),
            nbf: Some(c.nbf),
            jti: Some(c.jti.clone()),
            token_type: Some("Bearer"),
            role: Some(c.role),
        },
        Err(_) => IntrospectOut::default(),
    };
    Ok(([(header::CACHE_CONTROL, "no-store")], axum::Json(out)).into_response())
}
