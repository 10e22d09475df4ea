//! The audit module's tables.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Migrations owned by the audit module, in order.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(CreateAuditTables)]
}

struct CreateAuditTables;

impl MigrationName for CreateAuditTables {
    fn name(&self) -> &str {
        "m20261125_000401_audit_create_tables"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateAuditTables {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("audit_log")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len("chain_key", 64))
                .col(big_integer("seq"))
                .col(uuid_null("org_id"))
                .col(string_len("actor_type", 16))
                .col(string_len_null("actor_id", 64))
                .col(string_len_null("actor_owner", 64))
                .col(string_len("action", 96))
                .col(string_len("target_type", 64))
                .col(string_len("target_id", 128))
                .col(json_null("changes"))
                .col(string_len_null("ip", 64))
                .col(string_len_null("user_agent", 512))
                .col(string_len_null("request_id", 128))
                .col(big_integer("created_at"))
                // Five SHA-256 commitments and five 128-bit salts, hex, comma-separated.
                .col(string_len("personal_commitments", 330))
                .col(string_len("personal_salts", 170))
                .col(big_integer_null("erased_at"))
                .col(string_len("prev_hash", 64))
                .col(string_len("hash", 64))
                .to_owned(),
        )
        .await?;
        for (name, cols) in [
            ("ux_audit_log_chain_seq", &["chain_key", "seq"][..]),
            // Listings page newest first by (created_at, id), within a chain or across all.
            ("ix_audit_log_chain_time", &["chain_key", "created_at", "id"][..]),
            ("ix_audit_log_time", &["created_at", "id"][..]),
            // A user's entries (GDPR export and erasure): as actor, as a key's owner, as target.
            ("ix_audit_log_actor", &["actor_id"][..]),
            ("ix_audit_log_owner", &["actor_owner"][..]),
            ("ix_audit_log_target", &["target_id"][..]),
        ] {
            let mut idx = Index::create().name(name).table("audit_log").to_owned();
            for c in cols {
                idx.col(*c);
            }
            if name.starts_with("ux_") {
                idx.unique();
            }
            m.create_index(idx).await?;
        }
        m.create_table(
            Table::create()
                .table("audit_chains")
                .if_not_exists()
                .col(string_len("chain_key", 64).primary_key())
                .col(big_integer("seq"))
                .col(string_len("last_hash", 64))
                .col(big_integer("cut_seq"))
                .col(string_len("cut_hash", 64))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("audit_chains").to_owned()).await?;
        m.drop_table(Table::drop().table("audit_log").to_owned()).await
    }
}
