//! `/users` for platform administrators: list, create, read, change, delete,
//! set a password, disable and enable accounts.

use axum::extract::State;
use serde::Deserialize;
use tessera_kernel::fields::parse_name;
use tessera_kernel::ids::UserId;
use tessera_kernel::{
    ApiError, ApiResult, Created, Data, Done, FieldError, FieldErrors, Json, NoContent, Page, Path, PlatformAdmin,
    PlatformRole, Query,
};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::IdentityState;
use super::users::{ProfilePatchIn, UserOut};
use crate::entity::users::Column;
use crate::error::IdentityError;
use crate::model::{self, Email, NewPassword, Secret, UserStatus};
use crate::service::users::{AdminPatch, NewUser};
use crate::store::users::ListFilter;

pub fn routes() -> OpenApiRouter<IdentityState> {
    OpenApiRouter::new()
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user, delete_user))
        .routes(routes!(set_password))
        .routes(routes!(disable_user))
        .routes(routes!(enable_user))
}

/// Query of the user list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListUsersQuery {
    /// 1-based page number.
    pub page: Option<u64>,
    /// Page size, 1..=100 (default 20).
    pub limit: Option<u64>,
    /// `createdAt`, `email`, `name`, `lastLoginAt`; prefix `-` for descending (default `-createdAt`).
    pub sort: Option<String>,
    pub status: Option<UserStatus>,
    pub role: Option<PlatformRole>,
    /// Text searched in e-mail and name.
    pub q: Option<String>,
}

impl ListUsersQuery {
    fn parse(self) -> Result<ListFilter, ApiError> {
        let mut errors = FieldErrors::new();
        let page = tessera_kernel::PageReq::check(self.page, self.limit, &mut errors);
        let sort = self.sort.unwrap_or_else(|| "-createdAt".into());
        let (descending, key) = match sort.strip_prefix('-') {
            Some(k) => (true, k),
            None => (false, sort.as_str()),
        };
        let column = match key {
            "createdAt" => Some(Column::CreatedAt),
            "email" => Some(Column::Email),
            "name" => Some(Column::Name),
            "lastLoginAt" => Some(Column::LastLoginAt),
            _ => None,
        };
        if column.is_none() {
            errors.push(FieldError::new(
                "sort",
                "INVALID",
                "must be createdAt, email, name or lastLoginAt, optionally prefixed by -",
            ));
        }
        errors.finish()?;
        Ok(ListFilter {
            status: self.status,
            role: self.role,
            q: self.q.map(|q| q.trim().to_lowercase()).filter(|q| !q.is_empty()),
            sort: column.unwrap_or(Column::CreatedAt),
            descending,
            page,
        })
    }
}

/// Lists users (platform administrators).
#[utoipa::path(get, path = "/users", tag = "admin", operation_id = "identity.users.list", params(ListUsersQuery),
    responses((status = 200, body = Page<UserOut>), (status = 401), (status = 403), (status = 422)), security(("bearer" = [])))]
async fn list_users(
    State(s): State<IdentityState>,
    _admin: PlatformAdmin,
    Query(q): Query<ListUsersQuery>,
) -> ApiResult<Page<UserOut>> {
    let filter = q.parse()?;
    let (rows, total) = crate::store::users::list(&s.app.db.conn, &filter).await?;
    Ok(Page::new(rows.iter().map(UserOut::from).collect(), filter.page.meta(total)))
}

/// A new account created by an administrator.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateUserIn {
    pub email: String,
    pub name: String,
    /// Without one, the user is mailed a link to choose a password.
    pub password: Option<Secret>,
    pub role: Option<PlatformRole>,
    /// Mark the address verified (default false).
    pub email_verified: Option<bool>,
}

/// Creates an account (platform administrators).
#[utoipa::path(post, path = "/users", tag = "admin", operation_id = "identity.users.create", request_body = CreateUserIn,
    responses((status = 201, body = Data<UserOut>), (status = 401), (status = 403), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn create_user(
    State(s): State<IdentityState>,
    admin: PlatformAdmin,
    Json(input): Json<CreateUserIn>,
) -> ApiResult<Created<UserOut>> {
    let mut errors = FieldErrors::new();
    let email = errors.check(Email::parse("email", &input.email));
    let name = errors.check(parse_name("name", &input.name));
    let password = match &input.password {
        Some(p) => errors.check(NewPassword::parse("password", p, &s.id.cfg.password)).map(Some),
        None => Some(None),
    };
    errors.finish()?;
    let (Some(email), Some(name), Some(password)) = (email, name, password) else {
        return Err(ApiError::bad_request("invalid user"));
    };
    let new = NewUser {
        email,
        name,
        password,
        role: input.role.unwrap_or(PlatformRole::User),
        email_verified: input.email_verified.unwrap_or(false),
    };
    let created = s.id.create_user(&admin.0.as_ref(), new).await?;
    Ok(Created(UserOut::from(&created.user)))
}

/// One user (platform administrators).
#[utoipa::path(get, path = "/users/{userId}", tag = "admin", operation_id = "identity.users.get", params(("userId" = UserId, Path)),
    responses((status = 200, body = Data<UserOut>), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn get_user(
    State(s): State<IdentityState>,
    _admin: PlatformAdmin,
    Path(id): Path<UserId>,
) -> ApiResult<Data<UserOut>> {
    Ok(Data::new(UserOut::from(&s.id.get_user(id).await?)))
}

/// Changes an administrator may make to any account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdminPatchIn {
    pub email: Option<String>,
    pub role: Option<PlatformRole>,
    pub email_verified: Option<bool>,
    /// Replaces the stored metadata.
    pub metadata: Option<serde_json::Value>,
    #[serde(flatten)]
    pub profile: ProfilePatchIn,
}

/// Changes a user (platform administrators).
#[utoipa::path(patch, path = "/users/{userId}", tag = "admin", operation_id = "identity.users.update", params(("userId" = UserId, Path)),
    request_body = AdminPatchIn,
    responses((status = 200, body = Data<UserOut>), (status = 401), (status = 403), (status = 404), (status = 409), (status = 422)),
    security(("bearer" = [])))]
async fn update_user(
    State(s): State<IdentityState>,
    admin: PlatformAdmin,
    Path(id): Path<UserId>,
    Json(input): Json<AdminPatchIn>,
) -> ApiResult<Data<UserOut>> {
    if id == admin.0.user_id() && input.role.is_some_and(|r| r != PlatformRole::Admin) {
        return Err(IdentityError::SelfAdministration.into());
    }
    let mut errors = FieldErrors::new();
    let email = input.email.and_then(|e| errors.check(Email::parse("email", &e)));
    let metadata = input.metadata.and_then(|m| errors.check(model::parse_json_object("metadata", m)));
    let profile = input.profile.parse(&mut errors);
    errors.finish()?;
    let patch = AdminPatch { profile, email, role: input.role, email_verified: input.email_verified, metadata };
    let user = s.id.update_user(&admin.0, id, patch).await?;
    Ok(Data::new(UserOut::from(&user)))
}

/// Deletes a user with their sessions (platform administrators).
#[utoipa::path(delete, path = "/users/{userId}", tag = "admin", operation_id = "identity.users.delete", params(("userId" = UserId, Path)),
    responses((status = 204), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn delete_user(
    State(s): State<IdentityState>,
    admin: PlatformAdmin,
    Path(id): Path<UserId>,
) -> ApiResult<NoContent> {
    if id == admin.0.user_id() {
        return Err(IdentityError::SelfAdministration.into());
    }
    s.id.delete_user(&admin.0.as_ref(), id).await?;
    Ok(NoContent)
}

/// A password set by an administrator.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SetPasswordIn {
    pub password: Secret,
}

/// Sets a user's password and signs them out everywhere (platform administrators).
#[utoipa::path(post, path = "/users/{userId}/password", tag = "admin", operation_id = "identity.users.set_password",
    params(("userId" = UserId, Path)), request_body = SetPasswordIn,
    responses((status = 200, body = Data<Done>), (status = 401), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn set_password(
    State(s): State<IdentityState>,
    admin: PlatformAdmin,
    Path(id): Path<UserId>,
    Json(input): Json<SetPasswordIn>,
) -> ApiResult<Data<Done>> {
    let password = NewPassword::parse("password", &input.password, &s.id.cfg.password)?;
    s.id.set_password(&admin.0, id, password).await?;
    Ok(Done::ok())
}

/// Disables an account and revokes its sessions (platform administrators).
#[utoipa::path(post, path = "/users/{userId}/disable", tag = "admin", operation_id = "identity.users.disable",
    params(("userId" = UserId, Path)),
    responses((status = 200, body = Data<UserOut>), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn disable_user(
    State(s): State<IdentityState>,
    admin: PlatformAdmin,
    Path(id): Path<UserId>,
) -> ApiResult<Data<UserOut>> {
    Ok(Data::new(UserOut::from(&s.id.set_disabled(&admin.0, id, true).await?)))
}

/// Re-enables a disabled account (platform administrators).
#[utoipa::path(post, path = "/users/{userId}/enable", tag = "admin", operation_id = "identity.users.enable",
    params(("userId" = UserId, Path)),
    responses((status = 200, body = Data<UserOut>), (status = 401), (status = 403), (status = 404)), security(("bearer" = [])))]
async fn enable_user(
    State(s): State<IdentityState>,
    admin: PlatformAdmin,
    Path(id): Path<UserId>,
) -> ApiResult<Data<UserOut>> {
    Ok(Data::new(UserOut::from(&s.id.set_disabled(&admin.0, id, false).await?)))
}
