//! The identity module's tables.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Migrations owned by the identity module, in order.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(CreateIdentityTables)]
}

struct CreateIdentityTables;

impl MigrationName for CreateIdentityTables {
    fn name(&self) -> &str {
        "m20261125_000101_identity_create_tables"
    }
}

fn cascade(
    name: &str,
    from: (&'static str, &'static str),
    to: (&'static str, &'static str),
) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(name).from(from.0, from.1).to(to.0, to.1).on_delete(ForeignKeyAction::Cascade).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for CreateIdentityTables {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("users")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len_uniq("email", 320))
                .col(big_integer_null("email_verified_at"))
                .col(text_null("password_hash"))
                .col(string_len("name", 200))
                .col(text_null("avatar_url"))
                .col(string_len_null("locale", 35))
                .col(string_len_null("timezone", 64))
                .col(string_len("status", 32))
                .col(string_len("role", 16))
                .col(json("metadata"))
                .col(json("preferences"))
                .col(integer("failed_logins"))
                .col(integer("lockouts"))
                .col(big_integer_null("locked_until"))
                .col(big_integer_null("last_failed_login_at"))
                .col(big_integer_null("password_changed_at"))
                .col(big_integer_null("last_login_at"))
                .col(big_integer("created_at"))
                .col(big_integer("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_users_created").table("users").col("created_at").to_owned()).await?;
        m.create_table(
            Table::create()
                .table("sessions")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("user_id"))
                .col(string_len_null("user_agent", 512))
                .col(string_len_null("ip", 64))
                .col(big_integer("created_at"))
                .col(big_integer("last_used_at"))
                .col(big_integer("expires_at"))
                .col(big_integer_null("revoked_at"))
                .col(string_len_null("revoke_reason", 64))
                .foreign_key(&mut cascade("fk_sessions_user", ("sessions", "user_id"), ("users", "id")))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_sessions_user").table("sessions").col("user_id").to_owned()).await?;
        m.create_table(
            Table::create()
                .table("refresh_tokens")
                .if_not_exists()
                .col(string_len("token_hash", 64).primary_key())
                .col(uuid("session_id"))
                .col(big_integer("created_at"))
                .col(big_integer_null("used_at"))
                .foreign_key(&mut cascade(
                    "fk_refresh_tokens_session",
                    ("refresh_tokens", "session_id"),
                    ("sessions", "id"),
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_refresh_tokens_session").table("refresh_tokens").col("session_id").to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("user_action_tokens")
                .if_not_exists()
                .col(string_len("token_hash", 64).primary_key())
                .col(uuid("user_id"))
                .col(string_len("purpose", 32))
                .col(big_integer("expires_at"))
                .col(big_integer_null("used_at"))
                .col(big_integer("created_at"))
                .foreign_key(&mut cascade("fk_action_tokens_user", ("user_action_tokens", "user_id"), ("users", "id")))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_action_tokens_user").table("user_action_tokens").col("user_id").to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("signing_keys")
                .if_not_exists()
                .col(string_len("kid", 64).primary_key())
                .col(string_len("algorithm", 16))
                .col(text("private_sealed"))
                .col(string_len("public_x", 128))
                .col(big_integer("created_at"))
                .col(big_integer_null("retired_at"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["signing_keys", "user_action_tokens", "refresh_tokens", "sessions", "users"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
