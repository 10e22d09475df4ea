//! The webhooks module's tables: endpoints, deliveries (the delivery queue,
//! claimed with leases) and every attempt.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Migrations owned by the webhooks module, in order.
pub fn migrations() -> Vec<Box<dyn MigrationTrait>> {
    vec![Box::new(CreateWebhookTables), Box::new(CreatePacing), Box::new(QueueIndex), Box::new(EndpointNameAndTrigger)]
}

struct CreateWebhookTables;

impl MigrationName for CreateWebhookTables {
    fn name(&self) -> &str {
        "m20261126_000601_webhooks_create_tables"
    }
}

fn index(m: &SchemaManager<'_>, table: &str, name: &str, cols: &[&str], unique: bool) -> IndexCreateStatement {
    let _ = m;
    let mut idx = Index::create().name(name).table(table.to_owned()).to_owned();
    for c in cols {
        idx.col(ToString::to_string(c));
    }
    if unique {
        idx.unique();
    }
    idx
}

#[async_trait::async_trait]
impl MigrationTrait for CreateWebhookTables {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("webhook_endpoints")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("org_id"))
                .col(string_len("url", 2048))
                .col(string_len_null("description", 500))
                .col(json("event_types"))
                .col(string_len_null("integration_id", 128))
                .col(json("headers"))
                .col(integer_null("rate_limit_per_second"))
                .col(json("metadata"))
                .col(boolean("is_active"))
                .col(string_len_null("disabled_reason", 32))
                .col(string_len("signing", 16))
                .col(text("secret_sealed"))
                .col(text_null("previous_secret_sealed"))
                .col(big_integer_null("previous_secret_until"))
                .col(big_integer_null("failing_since"))
                .col(big_integer_null("last_success_at"))
                .col(string_len_null("created_by", 64))
                .col(big_integer("created_at"))
                .col(big_integer("updated_at"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(m, "webhook_endpoints", "ix_webhook_endpoints_org", &["org_id", "created_at"], false))
            .await?;
        m.create_table(
            Table::create()
                .table("webhook_deliveries")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("org_id"))
                .col(uuid("endpoint_id"))
                .col(uuid("event_id"))
                .col(string_len("event_type", 128))
                .col(json("payload"))
                .col(string_len("status", 16))
                .col(integer("attempts"))
                .col(big_integer("next_attempt_at"))
                .col(big_integer_null("lease_until"))
                .col(string_len_null("leased_by", 64))
                .col(integer_null("last_status_code"))
                .col(text_null("last_error"))
                .col(big_integer("created_at"))
                .col(big_integer("updated_at"))
                .col(big_integer_null("delivered_at"))
                .to_owned(),
        )
        .await?;
        for (name, cols, unique) in [
            ("ux_webhook_deliveries_event", &["endpoint_id", "event_id"][..], true),
            ("ix_webhook_deliveries_due", &["status", "next_attempt_at"][..], false),
            ("ix_webhook_deliveries_endpoint", &["endpoint_id", "created_at"][..], false),
            ("ix_webhook_deliveries_org_event", &["org_id", "event_id"][..], false),
        ] {
            m.create_index(index(m, "webhook_deliveries", name, cols, unique)).await?;
        }
        m.create_table(
            Table::create()
                .table("webhook_attempts")
                .if_not_exists()
                .col(pk_uuid("id"))
                .col(uuid("delivery_id"))
                .col(uuid("endpoint_id"))
                .col(big_integer("attempted_at"))
                .col(integer("duration_ms"))
                .col(integer_null("status_code"))
                .col(json_null("response_headers"))
                .col(text_null("response_body"))
                .col(text_null("error"))
                .to_owned(),
        )
        .await?;
        m.create_index(index(
            m,
            "webhook_attempts",
            "ix_webhook_attempts_delivery",
            &["delivery_id", "attempted_at"],
            false,
        ))
        .await?;
        m.create_index(index(
            m,
            "webhook_attempts",
            "ix_webhook_attempts_endpoint",
            &["endpoint_id", "attempted_at"],
            false,
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["webhook_attempts", "webhook_deliveries", "webhook_endpoints"] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}

/// The shared send schedule of rate-limited endpoints.
struct CreatePacing;

impl MigrationName for CreatePacing {
    fn name(&self) -> &str {
        "m20261202_000602_webhooks_create_pacing"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreatePacing {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("webhook_pacing")
                .if_not_exists()
                .col(pk_uuid("endpoint_id"))
                .col(big_integer("next_at_us"))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("webhook_pacing").to_owned()).await
    }
}

/// The claim's index: only deliveries still to attempt, in due order. On
/// PostgreSQL the index on `(status, next_attempt_at)` keeps an entry for every
/// version a delivery ever had (each claim and outcome writes one), so a claim
/// scanned them all; this one holds the queue alone and is read in order up to
/// the claim's limit. Also room on each page for a claim's lease to be written
/// beside its row (a HOT update, with no new index entries). PostgreSQL only:
/// SQLite keeps one version of a row and MySQL's purge removes old ones, so the
/// composite index stays lean there.
struct QueueIndex;

/// The statuses a claim looks at, as the index predicate spells them (claims must spell them the same way).
pub const QUEUED: &str = "status IN ('PENDING', 'RETRYING')";

impl MigrationName for QueueIndex {
    fn name(&self) -> &str {
        "m20261202_000603_webhooks_queue_index"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for QueueIndex {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = m.get_connection();
        db.execute_unprepared(&format!(
            "CREATE INDEX IF NOT EXISTS ix_webhook_deliveries_queue ON webhook_deliveries (next_attempt_at) WHERE {QUEUED}"
        ))
        .await?;
        db.execute_unprepared("ALTER TABLE webhook_deliveries SET (fillfactor = 80)").await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        m.get_connection().execute_unprepared("DROP INDEX IF EXISTS ix_webhook_deliveries_queue").await?;
        Ok(())
    }
}

/// Two endpoint columns clients of the seed services know: `name` and `lastTriggeredAt`.
struct EndpointNameAndTrigger;

impl MigrationName for EndpointNameAndTrigger {
    fn name(&self) -> &str {
        "m20261207_000604_webhooks_endpoint_name_and_trigger"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for EndpointNameAndTrigger {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters one at a time.
        for col in [string_len_null("name", 200), big_integer_null("last_triggered_at")] {
            m.alter_table(Table::alter().table("webhook_endpoints").add_column(col).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for col in ["last_triggered_at", "name"] {
            m.alter_table(Table::alter().table("webhook_endpoints").drop_column(col).to_owned()).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use sea_orm::ActiveEnum;

    use crate::model::DeliveryStatus;

    #[test]
    fn the_queue_predicate_names_the_statuses_a_claim_takes() {
        let (pending, retrying) = (DeliveryStatus::Pending.to_value(), DeliveryStatus::Retrying.to_value());
        assert_eq!(super::QUEUED, format!("status IN ('{pending}', '{retrying}')"));
    }
}
