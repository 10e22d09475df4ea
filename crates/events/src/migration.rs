//! The events module's tables: the relayed event log (history, with the order
//! every consumer sees), the relay's head, each consumer's position, and
//! idempotency keys of custom events.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Migrations owned by the events module, in order.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(CreateEventTables)]
}

struct CreateEventTables;

impl MigrationName for CreateEventTables {
    fn name(&self) -> &str {
        "m20261126_000501_events_create_tables"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateEventTables {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("event_log")
                .if_not_exists()
                .col(big_integer("seq").primary_key())
                .col(uuid("id"))
                .col(string_len("event_type", 128))
                .col(uuid_null("org_id"))
                .col(json("actor"))
                .col(json("data"))
                .col(big_integer("occurred_at"))
                .col(big_integer("relayed_at"))
                .to_owned(),
        )
        .await?;
        for (name, cols, unique) in [
            ("ux_event_log_id", &["id"][..], true),
            ("ix_event_log_org", &["org_id", "seq"][..], false),
            ("ix_event_log_org_type", &["org_id", "event_type", "seq"][..], false),
            ("ix_event_log_time", &["occurred_at"][..], false),
        ] {
            let mut idx = Index::create().name(name).table("event_log").to_owned();
            for c in cols {
                idx.col(*c);
            }
            if unique {
                idx.unique();
            }
            m.create_index(idx).await?;
        }
        m.create_table(
            Table::create()
                .table("event_relay")
                .if_not_exists()
                .col(string_len("name", 32).primary_key())
                .col(big_integer("last_seq"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("event_cursors")
                .if_not_exists()
                .col(string_len("consumer", 128).primary_key())
                .col(big_integer("position"))
                .col(integer("failures"))
                .col(big_integer("retry_at"))
                .col(text_null("last_error"))
                .col(string_len_null("leased_by", 64))
                .col(big_integer_null("lease_until"))
                .col(big_integer("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("event_idempotency")
                .if_not_exists()
                .col(uuid("org_id"))
                .col(string_len("idem_key", 255))
                .col(uuid("event_id"))
                .col(big_integer("created_at"))
                .primary_key(Index::create().col("org_id").col("idem_key"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_event_idempotency_time").table("event_idempotency").col("created_at").to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["event_idempotency", "event_cursors", "event_relay", "event_log"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
