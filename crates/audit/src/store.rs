//! Queries on `audit_log` and `audit_chains`. Appending lives in `chain.rs`, next
//! to the hashing it must agree with.

use sea_orm::sea_query::{Expr, LikeExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use serde_json::Value;
use tessera_kernel::Millis;
use tessera_kernel::db::escape_like;
use tessera_kernel::ids::{AuditId, UserId};

use crate::commitments;
use crate::entity::audit_chains;
use crate::entity::audit_log::{Column, Entity, Model};
use crate::model::{ActionFilter, Cursor, LogFilter};

/// Narrows `query` to the entries `f` covers.
fn filtered(mut query: Select<Entity>, f: &LogFilter) -> Select<Entity> {
    use sea_orm::ExprTrait;
    if let Some(chain) = &f.chain {
        query = query.filter(Column::ChainKey.eq(chain.as_str()));
    }
    if let Some(actor) = &f.actor {
        query = query.filter(
            Condition::any().add(Column::ActorId.eq(actor.as_str())).add(Column::ActorOwner.eq(actor.as_str())),
        );
    }
    if let Some(kind) = f.actor_type {
        query = query.filter(Column::ActorType.eq(kind));
    }
    match &f.action {
        Some(ActionFilter::Exact(action)) => query = query.filter(Column::Action.eq(action.as_str())),
        Some(ActionFilter::Prefix(prefix)) => {
            let pattern = format!("{}%", escape_like(prefix));
            query = query.filter(Expr::col(Column::Action).like(LikeExpr::new(pattern).escape('\\')));
        }
        None => {}
    }
    if let Some(kind) = &f.target_type {
        query = query.filter(Column::TargetType.eq(kind.as_str()));
    }
    if let Some(id) = &f.target_id {
        query = query.filter(Column::TargetId.eq(id.as_str()));
    }
    if let Some(from) = f.from {
        query = query.filter(Column::CreatedAt.gte(from));
    }
    if let Some(to) = f.to {
        query = query.filter(Column::CreatedAt.lt(to));
    }
    query
}

/// Up to `limit` entries after `after` in `(created_at, id)` order, newest first
/// or oldest first.
pub async fn page(
    conn: &sea_orm::DatabaseConnection,
    f: &LogFilter,
    after: Option<Cursor>,
    limit: u64,
    newest_first: bool,
) -> Result<Vec<Model>, DbErr> {
    use sea_orm::TransactionTrait;
    if conn.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        return page_on(conn, f, after, limit, newest_first).await;
    }
    // A filter's selectivity depends on its values (one actor of thousands, or the
    // one behind half the log): PostgreSQL's generic plan of the prepared statement
    // fits neither, so this query is planned for its values each time.
    let txn = conn.begin().await?;
    txn.execute_unprepared("SET LOCAL plan_cache_mode = force_custom_plan").await?;
    let rows = page_on(&txn, f, after, limit, newest_first).await?;
    txn.commit().await?;
    Ok(rows)
}

async fn page_on<C: ConnectionTrait>(
    conn: &C,
    f: &LogFilter,
    after: Option<Cursor>,
    limit: u64,
    newest_first: bool,
) -> Result<Vec<Model>, DbErr> {
    let mut query = filtered(Entity::find(), f);
    if let Some(c) = after {
        let (time, id) = if newest_first {
            (Column::CreatedAt.lt(c.created_at), Column::Id.lt(c.id))
        } else {
            (Column::CreatedAt.gt(c.created_at), Column::Id.gt(c.id))
        };
        let same_time = Condition::all().add(Column::CreatedAt.eq(c.created_at)).add(id);
        // The redundant bound lets the engines seek the (…, created_at, id) index to the
        // cursor; the `OR` alone makes PostgreSQL and SQLite scan every newer entry first.
        let bound =
            if newest_first { Column::CreatedAt.lte(c.created_at) } else { Column::CreatedAt.gte(c.created_at) };
        query = query.filter(bound).filter(Condition::any().add(time).add(same_time));
    }
    let query = if newest_first {
        query.order_by_desc(Column::CreatedAt).order_by_desc(Column::Id)
    } else {
        query.order_by_asc(Column::CreatedAt).order_by_asc(Column::Id)
    };
    query.limit(limit).all(conn).await
}

/// Whether `user` acted, directly or through a key they own.
fn acted(user: UserId) -> Condition {
    let id = user.to_string();
    Condition::any().add(Column::ActorId.eq(id.clone())).add(Column::ActorOwner.eq(id))
}

/// Every entry `user` is the actor of, oldest first.
pub async fn by_actor<C: ConnectionTrait>(conn: &C, user: UserId) -> Result<Vec<Model>, DbErr> {
    Entity::find().filter(acted(user)).order_by_asc(Column::CreatedAt).order_by_asc(Column::Id).all(conn).await
}

/// Pseudonymizes `user`: the entries they acted in (directly or through a key
/// they own) lose actor, key owner, address, user agent and changes; the other
/// entries about them (as the target, or in a compound target such as a team
/// seat `team:user`) lose their changes. Each erased field loses its salt with it
/// (see `commitments.rs`). Returns the rows changed.
pub async fn erase_person<C: ConnectionTrait>(conn: &C, user: UserId, now: Millis) -> Result<u64, DbErr> {
    let none = || Expr::value(Option::<String>::None);
    let as_actor = Entity::update_many()
        .col_expr(Column::ActorId, none())
        .col_expr(Column::ActorOwner, none())
        .col_expr(Column::Ip, none())
        .col_expr(Column::UserAgent, none())
        .col_expr(Column::Changes, Expr::value(Option::<Value>::None))
        .col_expr(Column::PersonalSalts, Expr::value(commitments::drop_salts("", &commitments::ALL)))
        .col_expr(Column::ErasedAt, Expr::value(Some(now)))
        .filter(acted(user))
        .exec(conn)
        .await?;
    // The id itself stays as the target: without the account it names no one.
    let id = user.to_string();
    let about = Condition::any()
        .add(Column::TargetId.eq(id.as_str()))
        .add(Column::TargetId.like(format!("%:{id}")))
        .add(Column::TargetId.like(format!("{id}:%")));
    Ok(as_actor.rows_affected + erase_changes_where(conn, about, now).await?)
}

/// Pseudonymizes the changes of the entries about one of `ids` of `target_type`
/// (records of other modules that named an erased person). Returns the rows changed.
pub async fn erase_changes<C: ConnectionTrait>(
    conn: &C,
    target_type: &str,
    ids: &[String],
    now: Millis,
) -> Result<u64, DbErr> {
    if ids.is_empty() {
        return Ok(0);
    }
    let about =
        Condition::all().add(Column::TargetType.eq(target_type)).add(Column::TargetId.is_in(ids.iter().cloned()));
    erase_changes_where(conn, about, now).await
}

/// Empties the changes of the entries `about` selects that still have them,
/// dropping each one's salt of the changes (see `commitments.rs`), so the chain
/// still verifies. Returns the rows changed.
async fn erase_changes_where<C: ConnectionTrait>(conn: &C, about: Condition, now: Millis) -> Result<u64, DbErr> {
    let rows = Entity::find()
        .select_only()
        .columns([Column::Id, Column::PersonalSalts])
        .filter(about)
        .filter(Column::Changes.is_not_null())
        .into_tuple::<(AuditId, String)>()
        .all(conn)
        .await?;
    for (entry, salts) in &rows {
        Entity::update_many()
            .col_expr(Column::Changes, Expr::value(Option::<Value>::None))
            .col_expr(Column::PersonalSalts, Expr::value(commitments::drop_salts(salts, &[commitments::CHANGES])))
            .col_expr(Column::ErasedAt, Expr::value(Some(now)))
            .filter(Column::Id.eq(*entry))
            .exec(conn)
            .await?;
    }
    Ok(rows.len() as u64)
}

/// Erases the address and user agent of the entries the system recorded in
/// request `request_id` from `ip` with `user_agent`: an account deletion's
/// cascade (memberships, seats, keys), which happens on the person's behalf. The
/// request id stays, tying them to the deletion's own entry and its actor.
pub async fn erase_request_client<C: ConnectionTrait>(
    conn: &C,
    request_id: &str,
    ip: &str,
    user_agent: Option<&str>,
    now: Millis,
) -> Result<u64, DbErr> {
    let agent = match user_agent {
        Some(ua) => Column::UserAgent.eq(ua),
        None => Column::UserAgent.is_null(),
    };
    let rows = Entity::find()
        .select_only()
        .columns([Column::Id, Column::PersonalSalts])
        .filter(Column::RequestId.eq(request_id))
        .filter(Column::ActorType.eq("system"))
        .filter(Column::Ip.eq(ip))
        .filter(agent)
        .into_tuple::<(AuditId, String)>()
        .all(conn)
        .await?;
    for (entry, salts) in &rows {
        let salts = commitments::drop_salts(salts, &[commitments::IP, commitments::USER_AGENT]);
        Entity::update_many()
            .col_expr(Column::Ip, Expr::value(Option::<String>::None))
            .col_expr(Column::UserAgent, Expr::value(Option::<String>::None))
            .col_expr(Column::PersonalSalts, Expr::value(salts))
            .col_expr(Column::ErasedAt, Expr::value(Some(now)))
            .filter(Column::Id.eq(*entry))
            .exec(conn)
            .await?;
    }
    Ok(rows.len() as u64)
}

/// Every chain's key.
pub async fn chain_keys<C: ConnectionTrait>(conn: &C) -> Result<Vec<String>, DbErr> {
    audit_chains::Entity::find()
        .select_only()
        .column(audit_chains::Column::ChainKey)
        .into_tuple::<String>()
        .all(conn)
        .await
}

/// The first entry of `chain` recorded at or after `since` (times grow along a
/// chain, so it is also the first by position).
pub async fn first_since<C: ConnectionTrait>(conn: &C, chain: &str, since: Millis) -> Result<Option<Model>, DbErr> {
    Entity::find()
        .filter(Column::ChainKey.eq(chain))
        .filter(Column::CreatedAt.gte(since))
        .order_by_asc(Column::CreatedAt)
        .order_by_asc(Column::Id)
        .one(conn)
        .await
}

/// The entry at `seq` of `chain`.
pub async fn at_seq<C: ConnectionTrait>(conn: &C, chain: &str, seq: i64) -> Result<Option<Model>, DbErr> {
    Entity::find().filter(Column::ChainKey.eq(chain)).filter(Column::Seq.eq(seq)).one(conn).await
}

/// Deletes the entries of `chain` before `seq`.
pub async fn delete_before<C: ConnectionTrait>(conn: &C, chain: &str, seq: i64) -> Result<u64, DbErr> {
    let res = Entity::delete_many().filter(Column::ChainKey.eq(chain)).filter(Column::Seq.lt(seq)).exec(conn).await?;
    Ok(res.rows_affected)
}
