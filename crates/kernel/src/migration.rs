//! The kernel's tables: the outbox and the job queue.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Migrations owned by the kernel, in order.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(CreateOutboxAndJobs)]
}

struct CreateOutboxAndJobs;

impl MigrationName for CreateOutboxAndJobs {
    fn name(&self) -> &str {
        "m20261125_000001_kernel_create_outbox_and_jobs"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateOutboxAndJobs {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("outbox_events")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len("event_type", 128))
                .col(uuid_null("org_id"))
                .col(json("actor"))
                .col(json("data"))
                .col(big_integer("occurred_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create().name("ix_outbox_events_org").table("outbox_events").col("org_id").col("id").to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("jobs")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(string_len("kind", 64))
                .col(json("payload"))
                .col(string_len("status", 16))
                .col(integer("attempts"))
                .col(integer("max_attempts"))
                .col(big_integer("run_at"))
                .col(big_integer_null("lease_until"))
                .col(string_len_null("leased_by", 64))
                .col(text_null("last_error"))
                .col(big_integer("created_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_jobs_due").table("jobs").col("status").col("run_at").to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("jobs").to_owned()).await?;
        m.drop_table(Table::drop().table("outbox_events").to_owned()).await
    }
}
