//! The access module's tables. They name organizations and users by id only:
//! those tables belong to other modules, which tell this one when an
//! organization or a user goes away (`OrgCleanup`, `PersonalData`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Migrations owned by the access module, in order.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(CreateAccessTables)]
}

struct CreateAccessTables;

impl MigrationName for CreateAccessTables {
    fn name(&self) -> &str {
        "m20261125_000301_access_create_tables"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateAccessTables {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("access_roles")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("org_id"))
                .col(string_len("name", 64))
                .col(string_len_null("description", 500))
                .col(json("permissions"))
                .col(big_integer("created_at"))
                .col(big_integer("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_access_roles_org_name")
                .table("access_roles")
                .col("org_id")
                .col("name")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("access_grants")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("org_id"))
                .col(string_len("subject_type", 16))
                .col(uuid("subject_id"))
                .col(string_len("permission", 100))
                .col(string_len("resource_type", 64))
                .col(string_len("resource_id", 191))
                .col(uuid("created_by"))
                .col(big_integer("created_at"))
                .to_owned(),
        )
        .await?;
        // Serves the check: (org, subject, permission, resource) is one index probe.
        m.create_index(
            Index::create()
                .name("ux_access_grants_lookup")
                .table("access_grants")
                .col("org_id")
                .col("subject_id")
                .col("permission")
                .col("resource_type")
                .col("resource_id")
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_access_grants_subject").table("access_grants").col("subject_id").to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("api_keys")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid_null("org_id"))
                .col(uuid("owner_id"))
                .col(string_len("name", 100))
                .col(string_len("prefix", 16))
                .col(json("permissions"))
                .col(big_integer("created_at"))
                .col(big_integer_null("last_used_at"))
                .col(big_integer_null("expires_at"))
                .col(big_integer_null("revoked_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_api_keys_org").table("api_keys").col("org_id").to_owned()).await?;
        m.create_index(Index::create().name("ix_api_keys_owner").table("api_keys").col("owner_id").to_owned()).await?;
        m.create_table(
            Table::create()
                .table("api_key_secrets")
                .if_not_exists()
                .col(string_len("token_hash", 64).primary_key())
                .col(uuid("key_id"))
                .col(big_integer("created_at"))
                .col(big_integer_null("expires_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_api_key_secrets_key")
                        .from("api_key_secrets", "key_id")
                        .to("api_keys", "id")
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_api_key_secrets_key").table("api_key_secrets").col("key_id").to_owned())
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["api_key_secrets", "api_keys", "access_grants", "access_roles"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
