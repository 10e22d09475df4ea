//! The orgs module's tables. No foreign keys point at `users`: a module never
//! reaches into another's tables; account erasure removes memberships through
//! the personal-data interface instead.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Migrations owned by the orgs module, in order.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(CreateOrgsTables)]
}

struct CreateOrgsTables;

impl MigrationName for CreateOrgsTables {
    fn name(&self) -> &str {
        "m20261125_000201_orgs_create_tables"
    }
}

fn cascade(
    name: &str,
    from: (&'static str, &'static str),
    to: (&'static str, &'static str),
) -> ForeignKeyCreateStatement {
    ForeignKey::create().name(name).from(from.0, from.1).to(to.0, to.1).on_delete(ForeignKeyAction::Cascade).to_owned()
}

fn index(name: &str, table: &'static str, cols: &[&'static str]) -> IndexCreateStatement {
    let mut ix = Index::create();
    ix.name(name).table(table);
    for c in cols {
        ix.col(*c);
    }
    ix.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for CreateOrgsTables {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("orgs")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len("name", 200))
                .col(string_len_uniq("slug", 48))
                .col(json("settings"))
                .col(json("metadata"))
                .col(big_integer("created_at"))
                .col(big_integer("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("org_members")
                .if_not_exists()
                .col(uuid("org_id"))
                .col(uuid("user_id"))
                .col(string_len("role", 64))
                .col(big_integer("joined_at"))
                .primary_key(Index::create().col("org_id").col("user_id"))
                .foreign_key(&mut cascade("fk_org_members_org", ("org_members", "org_id"), ("orgs", "id")))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_org_members_user", "org_members", &["user_id"])).await?;
        m.create_index(index("ix_org_members_role", "org_members", &["org_id", "role"])).await?;
        m.create_table(
            Table::create()
                .table("teams")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("org_id"))
                .col(string_len("name", 200))
                .col(text_null("description"))
                .col(big_integer("created_at"))
                .col(big_integer("updated_at"))
                .foreign_key(&mut cascade("fk_teams_org", ("teams", "org_id"), ("orgs", "id")))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ux_teams_org_name", "teams", &["org_id", "name"]).unique().to_owned()).await?;
        m.create_table(
            Table::create()
                .table("team_members")
                .if_not_exists()
                .col(uuid("team_id"))
                .col(uuid("user_id"))
                .col(uuid("org_id"))
                .col(string_len("role", 16))
                .col(big_integer("added_at"))
                .primary_key(Index::create().col("team_id").col("user_id"))
                .foreign_key(&mut cascade("fk_team_members_team", ("team_members", "team_id"), ("teams", "id")))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_team_members_org_user", "team_members", &["org_id", "user_id"])).await?;
        m.create_index(index("ix_team_members_user", "team_members", &["user_id"])).await?;
        m.create_table(
            Table::create()
                .table("org_invitations")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("org_id"))
                .col(string_len("email", 320))
                .col(string_len("role", 64))
                .col(json("team_ids"))
                .col(string_len_uniq("token_hash", 64))
                .col(uuid_null("invited_by"))
                .col(string_len("status", 16))
                .col(integer("ttl_days"))
                .col(big_integer("expires_at"))
                .col(uuid_null("accepted_by"))
                .col(big_integer_null("responded_at"))
                .col(big_integer("created_at"))
                .col(big_integer("updated_at"))
                .foreign_key(&mut cascade("fk_org_invitations_org", ("org_invitations", "org_id"), ("orgs", "id")))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_org_invitations_org", "org_invitations", &["org_id", "status"])).await?;
        m.create_index(index("ix_org_invitations_email", "org_invitations", &["email"])).await?;
        m.create_index(index("ix_org_invitations_inviter", "org_invitations", &["invited_by"])).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["org_invitations", "team_members", "teams", "org_members", "orgs"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
