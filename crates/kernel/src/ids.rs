//! Typed UUIDv7 identifiers: one newtype per entity, so a `UserId` can never be
//! passed where a `SessionId` is expected.

/// Declares a UUIDv7 id newtype usable in SeaORM models, serde, utoipa and paths.
#[macro_export]
macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, sea_orm::DeriveValueType,
        )]
        #[serde(transparent)]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(uuid::Uuid::now_v7())
            }
            pub fn as_uuid(&self) -> uuid::Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                uuid::Uuid::parse_str(s).map(Self)
            }
        }

        impl sea_orm::TryFromU64 for $name {
            fn try_from_u64(_: u64) -> Result<Self, sea_orm::DbErr> {
                Err(sea_orm::DbErr::ConvertFromU64(stringify!($name)))
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::ids::uuid_schema()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

typed_id!(
    /// A user account.
    UserId
);
typed_id!(
    /// A login session (one refresh-token family).
    SessionId
);
typed_id!(
    /// An organization (tenant).
    OrgId
);
typed_id!(
    /// An event in the outbox.
    EventId
);
typed_id!(
    /// A team inside an organization.
    TeamId
);
typed_id!(
    /// An invitation to an organization.
    InvitationId
);
typed_id!(
    /// A custom role of an organization.
    RoleId
);
typed_id!(
    /// A direct grant of a permission on one resource.
    GrantId
);
typed_id!(
    /// An API key (organization or personal).
    ApiKeyId
);
typed_id!(
    /// An audit-log entry.
    AuditId
);
typed_id!(
    /// A background job.
    JobId
);

/// The OpenAPI schema of every id: a string in UUID format.
pub fn uuid_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
    ObjectBuilder::new().schema_type(Type::String).format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid))).into()
}
