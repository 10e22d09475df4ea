//! The query strings of listings and exports, and their parsing into a
//! [`LogFilter`]. Every listing and export takes the same filters; the platform
//! variants add `orgId`, listings add `cursor` and `limit`, exports `format`.

use serde::Deserialize;
use tessera_kernel::clock::parse_time_field as parse_time;
use tessera_kernel::{ApiResult, FieldError, FieldErrors};
use utoipa::{IntoParams, ToSchema};

use crate::chain::PLATFORM;
use crate::model::{ActionFilter, Cursor, LogFilter};

/// The kind of actor to keep.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ActorType {
    User,
    Apikey,
    System,
}

impl ActorType {
    fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Apikey => "apikey",
            Self::System => "system",
        }
    }
}

/// Declares a query struct with the shared filters and its own extra fields.
macro_rules! log_query {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Default, Deserialize, IntoParams)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        #[into_params(parameter_in = Query)]
        pub struct $name {
            /// A user or API key id; a user id also matches the keys acting for that user.
            pub actor: Option<String>,
            /// `user`, `apikey` or `system`.
            #[param(inline)]
            pub actor_type: Option<ActorType>,
            /// An action (`member.role_changed`), or every action under a prefix (`member.*`).
            pub action: Option<String>,
            /// The kind of target (`user`, `member`, `team`, …).
            pub target_type: Option<String>,
            pub target_id: Option<String>,
            /// Entries at or after this time (RFC 3339).
            pub from: Option<String>,
            /// Entries before this time (RFC 3339).
            pub to: Option<String>,
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl $name {
            fn common(&self) -> Common<'_> {
                Common {
                    actor: self.actor.as_deref(),
                    actor_type: self.actor_type,
                    action: self.action.as_deref(),
                    target_type: self.target_type.as_deref(),
                    target_id: self.target_id.as_deref(),
                    from: self.from.as_deref(),
                    to: self.to.as_deref(),
                }
            }
        }
    };
}

log_query!(
    /// Filters and page of an organization's audit log.
    OrgLogsQuery {
        /// `meta.nextCursor` of the previous page.
        cursor: Option<String>,
        /// Entries per page, 1..=200 (default 50).
        limit: Option<u64>,
    }
);

log_query!(
    /// Filters and page of the platform-wide audit log.
    PlatformLogsQuery {
        /// One organization's entries, or `platform` for those outside any organization.
        org_id: Option<String>,
        /// `meta.nextCursor` of the previous page.
        cursor: Option<String>,
        /// Entries per page, 1..=200 (default 50).
        limit: Option<u64>,
    }
);

log_query!(
    /// Filters and format of an organization's audit export.
    OrgExportQuery {
        /// `jsonl` (default) or `csv`.
        #[param(inline)]
        format: Option<crate::service::export::ExportFormat>,
    }
);

log_query!(
    /// Filters and format of a platform-wide audit export.
    PlatformExportQuery {
        /// One organization's entries, or `platform` for those outside any organization.
        org_id: Option<String>,
        /// `jsonl` (default) or `csv`.
        #[param(inline)]
        format: Option<crate::service::export::ExportFormat>,
    }
);

/// The filters every query shares, borrowed from one of the structs above.
struct Common<'a> {
    actor: Option<&'a str>,
    actor_type: Option<ActorType>,
    action: Option<&'a str>,
    target_type: Option<&'a str>,
    target_id: Option<&'a str>,
    from: Option<&'a str>,
    to: Option<&'a str>,
}

impl Common<'_> {
    fn parse(&self, errors: &mut FieldErrors) -> LogFilter {
        let actor = self.actor.and_then(|a| {
            errors.check(
                uuid::Uuid::parse_str(a.trim())
                    .map(|u| u.to_string())
                    .map_err(|_| FieldError::new("actor", "INVALID", "must be a user or API key id")),
            )
        });
        let action = self.action.and_then(|a| errors.check(parse_action(a)));
        let mut text = |field: &'static str, raw: Option<&str>, max: usize| {
            raw.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()).and_then(|v| {
                if v.chars().count() > max {
                    errors.push(FieldError::new(field, "TOO_LONG", format!("must be at most {max} characters")));
                    return None;
                }
                Some(v)
            })
        };
        let target_type = text("targetType", self.target_type, 64);
        let target_id = text("targetId", self.target_id, 128);
        let from = self.from.and_then(|t| errors.check(parse_time("from", t)));
        let to = self.to.and_then(|t| errors.check(parse_time("to", t)));
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            errors.push(FieldError::new("to", "OUT_OF_RANGE", "must not be before `from`"));
        }
        LogFilter {
            chain: None,
            actor,
            actor_type: self.actor_type.map(ActorType::as_str),
            action,
            target_type,
            target_id,
            from,
            to,
        }
    }
}

/// `a.b_c` exactly, or `a.*` / `a*` for every action starting with `a.` / `a`.
fn parse_action(raw: &str) -> Result<ActionFilter, FieldError> {
    let raw = raw.trim();
    let (text, prefix) = match raw.strip_suffix('*') {
        Some(p) => (p, true),
        None => (raw, false),
    };
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.';
    if text.len() > 96 || !text.chars().all(allowed) || (!prefix && text.is_empty()) {
        return Err(FieldError::new(
            "action",
            "INVALID",
            "must be an action such as member.role_changed, or a prefix such as member.*",
        ));
    }
    Ok(if prefix { ActionFilter::Prefix(text.to_owned()) } else { ActionFilter::Exact(text.to_owned()) })
}

fn parse_page(cursor: Option<&str>, limit: Option<u64>, errors: &mut FieldErrors) -> (Option<Cursor>, u64) {
    let limit = limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        errors.push(FieldError::new("limit", "OUT_OF_RANGE", "must be 1..=200"));
    }
    let cursor = cursor.filter(|c| !c.is_empty()).and_then(|c| {
        errors.check(
            Cursor::decode(c).ok_or_else(|| FieldError::new("cursor", "INVALID_CURSOR", "not a cursor this API gave")),
        )
    });
    (cursor, limit)
}

/// `platform`, or an organization id, as a chain key.
pub fn parse_chain(field: &'static str, raw: &str) -> Result<String, FieldError> {
    let raw = raw.trim();
    if raw == PLATFORM {
        return Ok(PLATFORM.to_owned());
    }
    uuid::Uuid::parse_str(raw)
        .map(|u| u.to_string())
        .map_err(|_| FieldError::new(field, "INVALID", "must be an organization id or `platform`"))
}

/// A page request: the filter, where to start, how many.
pub struct PageRequest {
    pub filter: LogFilter,
    pub cursor: Option<Cursor>,
    pub limit: u64,
}

impl OrgLogsQuery {
    /// Parses the query for the chain `chain`.
    pub fn parse(self, chain: String) -> ApiResult<PageRequest> {
        let mut errors = FieldErrors::new();
        let mut filter = self.common().parse(&mut errors);
        let (cursor, limit) = parse_page(self.cursor.as_deref(), self.limit, &mut errors);
        errors.finish()?;
        filter.chain = Some(chain);
        Ok(PageRequest { filter, cursor, limit })
    }
}

impl PlatformLogsQuery {
    pub fn parse(self) -> ApiResult<PageRequest> {
        let mut errors = FieldErrors::new();
        let mut filter = self.common().parse(&mut errors);
        filter.chain = self.org_id.as_deref().and_then(|o| errors.check(parse_chain("orgId", o)));
        let (cursor, limit) = parse_page(self.cursor.as_deref(), self.limit, &mut errors);
        errors.finish()?;
        Ok(PageRequest { filter, cursor, limit })
    }
}

impl OrgExportQuery {
    pub fn parse(self, chain: String) -> ApiResult<(LogFilter, crate::service::export::ExportFormat)> {
        let mut errors = FieldErrors::new();
        let mut filter = self.common().parse(&mut errors);
        errors.finish()?;
        filter.chain = Some(chain);
        Ok((filter, self.format.unwrap_or_default()))
    }
}

impl PlatformExportQuery {
    pub fn parse(self) -> ApiResult<(LogFilter, crate::service::export::ExportFormat)> {
        let mut errors = FieldErrors::new();
        let mut filter = self.common().parse(&mut errors);
        filter.chain = self.org_id.as_deref().and_then(|o| errors.check(parse_chain("orgId", o)));
        errors.finish()?;
        Ok((filter, self.format.unwrap_or_default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_exact_or_prefixes() {
        assert_eq!(parse_action("member.role_changed").ok(), Some(ActionFilter::Exact("member.role_changed".into())));
        assert_eq!(parse_action("member.*").ok(), Some(ActionFilter::Prefix("member.".into())));
        assert_eq!(parse_action("*").ok(), Some(ActionFilter::Prefix(String::new())));
        assert!(parse_action("").is_err());
        assert!(parse_action("member.%").is_err());
        assert!(parse_action("a*b").is_err());
    }
}
