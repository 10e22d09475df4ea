//! `/users/me`: the caller's own profile.

use serde::Deserialize;
use tessera_kernel::fields::parse_name;
use tessera_kernel::{Actor, ApiResult, Data, FieldErrors, Json, NoContent};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::IdentityState;
use crate::model::{self};
use crate::service::users::ProfilePatch;
use axum::extract::State;

pub(crate) use crate::model::UserOut;

/// Changes to the caller's profile. Absent fields stay; `null` clears optional ones.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProfilePatchIn {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "tessera_kernel::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub avatar_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "tessera_kernel::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub locale: Option<Option<String>>,
    #[serde(default, deserialize_with = "tessera_kernel::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub timezone: Option<Option<String>>,
    /// Merged into the stored preferences; a key set to null is removed.
    pub preferences: Option<serde_json::Value>,
}

impl ProfilePatchIn {
    /// Parses every field, collecting every error.
    pub fn parse(self, errors: &mut FieldErrors) -> ProfilePatch {
        let opt = |errors: &mut FieldErrors,
                   v: Option<Option<String>>,
                   f: fn(&'static str, &str) -> Result<String, tessera_kernel::FieldError>,
                   name| {
            match v {
                Some(Some(s)) => errors.check(f(name, &s)).map(|s| Some(Some(s))).unwrap_or(None),
                Some(None) => Some(None),
                None => None,
            }
        };
        ProfilePatch {
            name: self.name.and_then(|n| errors.check(parse_name("name", &n))),
            avatar_url: opt(errors, self.avatar_url, model::parse_avatar_url, "avatarUrl"),
            locale: opt(errors, self.locale, model::parse_locale, "locale"),
            timezone: opt(errors, self.timezone, model::parse_timezone, "timezone"),
            preferences: self.preferences.and_then(|p| errors.check(model::parse_json_object("preferences", p))),
        }
    }
}

pub fn routes() -> OpenApiRouter<IdentityState> {
    OpenApiRouter::new().routes(routes!(get_me, update_me, delete_me))
}

/// The caller's profile.
#[utoipa::path(get, path = "/users/me", tag = "users", operation_id = "identity.me.get",
    responses((status = 200, body = Data<UserOut>), (status = 401)), security(("bearer" = [])))]
async fn get_me(State(s): State<IdentityState>, actor: Actor) -> ApiResult<Data<UserOut>> {
    let user = s.id.get_user(actor.user_id()).await?;
    Ok(Data::new(UserOut::from(&user)))
}

/// Updates the caller's profile and preferences.
#[utoipa::path(patch, path = "/users/me", tag = "users", operation_id = "identity.me.update",
    request_body = ProfilePatchIn,
    responses((status = 200, body = Data<UserOut>), (status = 401), (status = 422)), security(("bearer" = [])))]
async fn update_me(
    State(s): State<IdentityState>,
    actor: Actor,
    Json(input): Json<ProfilePatchIn>,
) -> ApiResult<Data<UserOut>> {
    let mut errors = FieldErrors::new();
    let patch = input.parse(&mut errors);
    errors.finish()?;
    let user = s.id.update_me(&actor, patch).await?;
    Ok(Data::new(UserOut::from(&user)))
}

/// Deletes the caller's account and every session; emits `user.deleted`.
#[utoipa::path(delete, path = "/users/me", tag = "users", operation_id = "identity.me.delete",
    responses((status = 204), (status = 401), (status = 403, description = "FORBIDDEN: an API key cannot"),
        (status = 409, description = "LAST_OWNER: transfer or delete those organizations first")),
    security(("bearer" = [])))]
async fn delete_me(State(s): State<IdentityState>, actor: Actor) -> ApiResult<NoContent> {
    actor.session_user()?; // deleting an account takes the person, not a key
    s.id.delete_user(&actor.as_ref(), actor.user_id()).await?;
    Ok(NoContent)
}
