//! Queries on `webhook_deliveries`, which is also the delivery queue.

use std::collections::HashSet;

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect,
    UpdateMany,
};
use tessera_kernel::Millis;
use tessera_kernel::ids::{EventId, OrgId};

use crate::entity::deliveries::{ActiveModel, Column, Entity, Model};
use crate::ids::{DeliveryId, EndpointId};
use crate::model::DeliveryStatus;

/// The statuses of deliveries no attempt will follow.
const FINISHED: [DeliveryStatus; 2] = [DeliveryStatus::Delivered, DeliveryStatus::Failed];

/// Which deliveries of an endpoint to list.
#[derive(Debug, Default)]
pub struct Filter {
    pub status: Option<DeliveryStatus>,
    pub event_type: Option<String>,
    pub event_id: Option<EventId>,
    pub from: Option<Millis>,
    pub to: Option<Millis>,
    /// Older than this (created_at, id) (the previous page's cursor).
    pub before: Option<(Millis, DeliveryId)>,
    pub limit: u64,
}

/// Which deliveries to queue again.
pub enum Requeue {
    /// This one.
    One(DeliveryId),
    /// The endpoint's failed ones created since then.
    FailedSince(EndpointId, Millis),
}

/// The `(created_at, id)` cursor of a page after `rows`, when there are more.
pub type Cursor = (Millis, DeliveryId);

/// `update`, also ending the lease of the rows it changes.
fn ending_lease(update: UpdateMany<Entity>) -> UpdateMany<Entity> {
    update
        .col_expr(Column::LeaseUntil, Expr::value(Option::<i64>::None))
        .col_expr(Column::LeasedBy, Expr::value(Option::<String>::None))
}

pub async fn insert<C: ConnectionTrait>(conn: &C, row: ActiveModel) -> Result<(), DbErr> {
    Entity::insert(row).exec_without_returning(conn).await.map(|_| ())
}

/// Inserts `chunk`, skipping those that exist for the same endpoint and event;
/// with `report`, returns the ids actually written.
pub async fn insert_new<C: ConnectionTrait>(
    conn: &C,
    chunk: &[ActiveModel],
    report: bool,
) -> Result<Option<HashSet<DeliveryId>>, DbErr> {
    let cols = [Column::EndpointId, Column::EventId];
    let insert =
        Entity::insert_many(chunk.to_vec()).on_conflict(OnConflict::columns(cols).do_nothing_on(cols).to_owned());
    if !report {
        insert.exec_without_returning(conn).await?;
        return Ok(None);
    }
    if conn.support_returning() {
        return match insert.exec_with_returning_keys(conn).await {
            Ok(keys) => Ok(Some(keys.into_iter().collect())),
            Err(DbErr::RecordNotInserted) => Ok(Some(HashSet::new())),
            Err(err) => Err(err),
        };
    }
    // Without RETURNING (MySQL): the new rows are those whose fresh ids are now present.
    insert.exec_without_returning(conn).await?;
    let ids = chunk.iter().filter_map(|r| r.id.try_as_ref().copied());
    let found = Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::Id.is_in(ids))
        .into_tuple::<DeliveryId>()
        .all(conn)
        .await?;
    Ok(Some(found.into_iter().collect()))
}

/// The delivery `id` of `endpoint` in `org`.
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    org: OrgId,
    endpoint: EndpointId,
    id: DeliveryId,
) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(id).filter(Column::OrgId.eq(org)).filter(Column::EndpointId.eq(endpoint)).one(conn).await
}

/// A page of the deliveries of `endpoint` in `org`, newest first, and the cursor of the next one.
pub async fn page<C: ConnectionTrait>(
    conn: &C,
    org: OrgId,
    endpoint: EndpointId,
    f: &Filter,
) -> Result<(Vec<Model>, Option<Cursor>), DbErr> {
    let mut cond = Condition::all().add(Column::EndpointId.eq(endpoint)).add(Column::OrgId.eq(org));
    if let Some(s) = f.status {
        cond = cond.add(Column::Status.eq(s));
    }
    if let Some(t) = &f.event_type {
        cond = cond.add(Column::EventType.eq(t.as_str()));
    }
    if let Some(e) = f.event_id {
        cond = cond.add(Column::EventId.eq(e));
    }
    if let Some(from) = f.from {
        cond = cond.add(Column::CreatedAt.gte(from));
    }
    if let Some(to) = f.to {
        cond = cond.add(Column::CreatedAt.lt(to));
    }
    if let Some((at, id)) = f.before {
        cond = cond.add(
            Condition::any()
                .add(Column::CreatedAt.lt(at))
                .add(Condition::all().add(Column::CreatedAt.eq(at)).add(Column::Id.lt(id))),
        );
    }
    let rows = Entity::find()
        .filter(cond)
        .order_by_desc(Column::CreatedAt)
        .order_by_desc(Column::Id)
        .limit(f.limit + 1)
        .all(conn)
        .await?;
    let more = rows.len() as u64 > f.limit;
    let rows: Vec<_> = rows.into_iter().take(f.limit as usize).collect();
    let next = if more { rows.last().map(|r| (r.created_at, r.id)) } else { None };
    Ok((rows, next))
}

/// The first `limit` deliveries of `event` in `org`, oldest first.
pub async fn of_event<C: ConnectionTrait>(
    conn: &C,
    org: OrgId,
    event: EventId,
    limit: u64,
) -> Result<Vec<Model>, DbErr> {
    Entity::find()
        .filter(Column::OrgId.eq(org))
        .filter(Column::EventId.eq(event))
        .order_by_asc(Column::CreatedAt)
        .limit(limit)
        .all(conn)
        .await
}

/// Queues the deliveries `which` names again, due at `now` and leased to no one; how many.
pub async fn requeue<C: ConnectionTrait>(conn: &C, which: Requeue, now: Millis) -> Result<u64, DbErr> {
    let cond = match which {
        Requeue::One(id) => Condition::all().add(Column::Id.eq(id)),
        Requeue::FailedSince(endpoint, since) => Condition::all()
            .add(Column::EndpointId.eq(endpoint))
            .add(Column::Status.eq(DeliveryStatus::Failed))
            .add(Column::CreatedAt.gte(since)),
    };
    let res = ending_lease(Entity::update_many())
        .col_expr(Column::Status, Expr::value(DeliveryStatus::Pending))
        .col_expr(Column::NextAttemptAt, Expr::value(now))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(cond)
        .exec(conn)
        .await?;
    Ok(res.rows_affected)
}

/// Up to `limit` queued deliveries due at `now` and leased to no one, oldest due first, outside
/// the endpoints `skip`; locked until the transaction ends, skipping rows another claim holds.
pub async fn lock_due<C: ConnectionTrait>(
    txn: &C,
    now: Millis,
    skip: Vec<EndpointId>,
    limit: u64,
) -> Result<Vec<Model>, DbErr> {
    // The statuses as literals, spelled as the queue index's predicate: a bound
    // parameter would keep the planner from proving the partial index applies.
    let mut due = Condition::all()
        .add(Expr::cust(crate::migration::QUEUED))
        .add(Column::NextAttemptAt.lte(now))
        .add(Column::LeaseUntil.is_null().or(Column::LeaseUntil.lt(now)));
    if !skip.is_empty() {
        due = due.add(Column::EndpointId.is_not_in(skip));
    }
    let query = Entity::find().filter(due).order_by_asc(Column::NextAttemptAt).limit(limit);
    tessera_kernel::db::lock_skip_locked(query, txn).all(txn).await
}

/// Leases the deliveries `ids` to `node` until `until`.
pub async fn lease<C: ConnectionTrait>(
    conn: &C,
    ids: impl IntoIterator<Item = DeliveryId>,
    until: Millis,
    node: &str,
) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::LeaseUntil, Expr::value(until))
        .col_expr(Column::LeasedBy, Expr::value(node))
        .filter(Column::Id.is_in(ids))
        .exec(conn)
        .await
        .map(|_| ())
}

/// Ends `node`'s lease on the delivery `id` (none if another node holds it).
pub async fn release<C: ConnectionTrait>(conn: &C, id: DeliveryId, node: &str) -> Result<(), DbErr> {
    ending_lease(Entity::update_many())
        .filter(Column::Id.eq(id))
        .filter(Column::LeasedBy.eq(node))
        .exec(conn)
        .await
        .map(|_| ())
}

/// The deliveries `ids` are due again at `at`.
pub async fn due_again<C: ConnectionTrait>(conn: &C, ids: Vec<DeliveryId>, at: Millis) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::NextAttemptAt, Expr::value(at))
        .filter(Column::Id.is_in(ids))
        .exec(conn)
        .await
        .map(|_| ())
}

/// The deliveries `ids` leased to `node` were delivered at `now` (answered `code`): one more attempt, lease ended.
pub async fn mark_delivered<C: ConnectionTrait>(
    conn: &C,
    ids: Vec<DeliveryId>,
    code: i32,
    now: Millis,
    node: &str,
) -> Result<(), DbErr> {
    ending_lease(Entity::update_many())
        .col_expr(Column::Status, Expr::value(DeliveryStatus::Delivered))
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .col_expr(Column::LastStatusCode, Expr::value(code))
        .col_expr(Column::LastError, Expr::value(Option::<String>::None))
        .col_expr(Column::DeliveredAt, Expr::value(now))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.is_in(ids))
        .filter(Column::LeasedBy.eq(node))
        .exec(conn)
        .await
        .map(|_| ())
}

/// What an attempt that did not deliver leaves on its delivery.
pub struct Undelivered<'a> {
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: Millis,
    pub status_code: Option<i32>,
    pub error: Option<&'a str>,
}

/// The delivery `id` leased to `node` was not delivered at `now`; its lease ends.
pub async fn mark_undelivered<C: ConnectionTrait>(
    conn: &C,
    id: DeliveryId,
    u: Undelivered<'_>,
    now: Millis,
    node: &str,
) -> Result<(), DbErr> {
    ending_lease(Entity::update_many())
        .col_expr(Column::Status, Expr::value(u.status))
        .col_expr(Column::Attempts, Expr::value(u.attempts))
        .col_expr(Column::NextAttemptAt, Expr::value(u.next_attempt_at))
        .col_expr(Column::LastStatusCode, Expr::value(u.status_code))
        .col_expr(Column::LastError, Expr::value(u.error.map(str::to_owned)))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::LeasedBy.eq(node))
        .exec(conn)
        .await
        .map(|_| ())
}

/// Up to `limit` finished (delivered or failed) deliveries last changed before `before`, oldest first.
pub async fn finished_before<C: ConnectionTrait>(
    conn: &C,
    before: Millis,
    limit: u64,
) -> Result<Vec<DeliveryId>, DbErr> {
    Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::Status.is_in(FINISHED))
        .filter(Column::UpdatedAt.lt(before))
        .order_by_asc(Column::UpdatedAt)
        .limit(limit)
        .into_tuple()
        .all(conn)
        .await
}

/// Deletes those of the deliveries `ids` that are finished; how many.
pub async fn delete_finished<C: ConnectionTrait>(conn: &C, ids: Vec<DeliveryId>) -> Result<u64, DbErr> {
    let res =
        Entity::delete_many().filter(Column::Id.is_in(ids)).filter(Column::Status.is_in(FINISHED)).exec(conn).await?;
    Ok(res.rows_affected)
}

pub async fn delete_of_endpoint<C: ConnectionTrait>(conn: &C, endpoint: EndpointId) -> Result<u64, DbErr> {
    Ok(Entity::delete_many().filter(Column::EndpointId.eq(endpoint)).exec(conn).await?.rows_affected)
}

pub async fn delete_of_org<C: ConnectionTrait>(conn: &C, org: OrgId) -> Result<u64, DbErr> {
    Ok(Entity::delete_many().filter(Column::OrgId.eq(org)).exec(conn).await?.rows_affected)
}
