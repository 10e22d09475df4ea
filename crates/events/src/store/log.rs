//! Queries on `event_log`, the numbered log of relayed events.

use sea_orm::sea_query::{Expr, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect,
};
use tessera_kernel::Millis;
use tessera_kernel::db::escape_like;
use tessera_kernel::ids::{EventId, OrgId};

use crate::entity::event_log::{ActiveModel, Column, Entity, Model};

/// Which events of an organization to list.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// Exact types or `prefix.*` patterns; empty: every type.
    pub types: Vec<String>,
    /// At or after (ms).
    pub from: Option<Millis>,
    /// Before (ms).
    pub to: Option<Millis>,
    /// Older than this `seq` (the previous page's cursor).
    pub before_seq: Option<i64>,
    pub limit: u64,
}

/// Up to `limit` events of `org` matching `f` (but its limit), newest first.
pub async fn newest<C: ConnectionTrait>(conn: &C, org: OrgId, f: &Filter, limit: u64) -> Result<Vec<Model>, DbErr> {
    let mut cond = Condition::all().add(Column::OrgId.eq(org));
    if !f.types.is_empty() {
        let mut any = Condition::any();
        for t in &f.types {
            any = match t.strip_suffix('*') {
                // `_` is a LIKE wildcard and a character of event types: escape it.
                Some(prefix) => {
                    let pattern = LikeExpr::new(format!("{}%", escape_like(prefix))).escape('\\');
                    any.add(Expr::col(Column::EventType).like(pattern))
                }
                None => any.add(Column::EventType.eq(t.as_str())),
            };
        }
        cond = cond.add(any);
    }
    if let Some(from) = f.from {
        cond = cond.add(Column::OccurredAt.gte(from));
    }
    if let Some(to) = f.to {
        cond = cond.add(Column::OccurredAt.lt(to));
    }
    if let Some(seq) = f.before_seq {
        cond = cond.add(Column::Seq.lt(seq));
    }
    Entity::find().filter(cond).order_by_desc(Column::Seq).limit(limit).all(conn).await
}

/// The event `id` of `org`.
pub async fn find<C: ConnectionTrait>(conn: &C, org: OrgId, id: EventId) -> Result<Option<Model>, DbErr> {
    Entity::find().filter(Column::Id.eq(id)).filter(Column::OrgId.eq(org)).one(conn).await
}

/// Up to `limit` events after `position`, in order.
pub async fn after<C: ConnectionTrait>(conn: &C, position: i64, limit: u64) -> Result<Vec<Model>, DbErr> {
    Entity::find().filter(Column::Seq.gt(position)).order_by_asc(Column::Seq).limit(limit).all(conn).await
}

/// The events of `types` after `from` up to `until`, in order.
pub async fn of_types_between<C: ConnectionTrait>(
    conn: &C,
    types: &[String],
    from: i64,
    until: i64,
) -> Result<Vec<Model>, DbErr> {
    Entity::find()
        .filter(Column::Seq.gt(from))
        .filter(Column::Seq.lte(until))
        .filter(Column::EventType.is_in(types.iter().cloned()))
        .order_by_asc(Column::Seq)
        .all(conn)
        .await
}

/// Appends `rows` in statements of at most 1,000 rows (a statement binds at most 65,535 values).
pub async fn append<C: ConnectionTrait>(txn: &C, rows: Vec<ActiveModel>) -> Result<(), DbErr> {
    for chunk in rows.chunks(1_000) {
        Entity::insert_many(chunk.to_vec()).exec_without_returning(txn).await?;
    }
    Ok(())
}

/// The numbers of up to `limit` events that occurred before `before`, up to `max_seq` when given, oldest first.
pub async fn seqs_before<C: ConnectionTrait>(
    conn: &C,
    before: Millis,
    max_seq: Option<i64>,
    limit: u64,
) -> Result<Vec<i64>, DbErr> {
    let mut query = Entity::find()
        .select_only()
        .column(Column::Seq)
        .filter(Column::OccurredAt.lt(before))
        .order_by_asc(Column::Seq)
        .limit(limit);
    if let Some(max) = max_seq {
        query = query.filter(Column::Seq.lte(max));
    }
    query.into_tuple().all(conn).await
}

pub async fn delete<C: ConnectionTrait>(conn: &C, seqs: Vec<i64>) -> Result<u64, DbErr> {
    Ok(Entity::delete_many().filter(Column::Seq.is_in(seqs)).exec(conn).await?.rows_affected)
}
