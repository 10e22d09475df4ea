//! Queries on `org_invitations`. Status changes are conditional on the status
//! read, so two requests racing on one token cannot both use it.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use tessera_kernel::Millis;
use tessera_kernel::PageReq;
use tessera_kernel::ids::{InvitationId, OrgId, UserId};

use crate::entity::invitations::{ActiveModel, Column, Entity, Model};
use crate::model::InvitationStatus;

pub async fn insert<C: ConnectionTrait>(conn: &C, invitation: Model) -> Result<(), DbErr> {
    Entity::insert(ActiveModel::from(invitation)).exec_without_returning(conn).await.map(|_| ())
}

/// The invitation `id` of `org`.
pub async fn find<C: ConnectionTrait>(conn: &C, org: OrgId, id: InvitationId) -> Result<Option<Model>, DbErr> {
    Entity::find_by_id(id).filter(Column::OrgId.eq(org)).one(conn).await
}

pub async fn find_by_token_hash<C: ConnectionTrait>(conn: &C, hash: &str) -> Result<Option<Model>, DbErr> {
    Entity::find().filter(Column::TokenHash.eq(hash)).one(conn).await
}

/// The condition for a status as seen at `now` (pending ones past their expiry are expired).
fn status_is(status: InvitationStatus, now: Millis) -> Condition {
    let stored = |s: InvitationStatus| Column::Status.eq(s);
    match status {
        InvitationStatus::Pending => Condition::all().add(stored(status)).add(Column::ExpiresAt.gt(now)),
        InvitationStatus::Expired => Condition::any()
            .add(stored(status))
            .add(Condition::all().add(stored(InvitationStatus::Pending)).add(Column::ExpiresAt.lte(now))),
        other => Condition::all().add(stored(other)),
    }
}

/// One page of the invitations of `org`, newest first, and the total.
pub async fn page<C: ConnectionTrait>(
    conn: &C,
    org: OrgId,
    status: Option<InvitationStatus>,
    now: Millis,
    page: PageReq,
) -> Result<(Vec<Model>, u64), DbErr> {
    let mut query = Entity::find().filter(Column::OrgId.eq(org));
    if let Some(status) = status {
        query = query.filter(status_is(status, now));
    }
    let total = query.clone().count(conn).await?;
    let rows = query
        .order_by_desc(Column::CreatedAt)
        .order_by_desc(Column::Id)
        .offset(page.offset())
        .limit(page.limit)
        .all(conn)
        .await?;
    Ok((rows, total))
}

/// The pending, unexpired invitations of `org` to any of `emails`.
pub async fn pending_for<C: ConnectionTrait>(
    conn: &C,
    org: OrgId,
    emails: &[String],
    now: Millis,
) -> Result<Vec<Model>, DbErr> {
    let mut out = Vec::new();
    for chunk in emails.chunks(super::CHUNK) {
        out.extend(
            Entity::find()
                .filter(Column::OrgId.eq(org))
                .filter(Column::Email.is_in(chunk.iter().cloned()))
                .filter(status_is(InvitationStatus::Pending, now))
                .all(conn)
                .await?,
        );
    }
    Ok(out)
}

/// The invitations of `org` still stored as pending although expired.
pub async fn unmarked_expired<C: ConnectionTrait>(conn: &C, org: OrgId, now: Millis) -> Result<Vec<Model>, DbErr> {
    Entity::find()
        .filter(Column::OrgId.eq(org))
        .filter(Column::Status.eq(InvitationStatus::Pending))
        .filter(Column::ExpiresAt.lte(now))
        .all(conn)
        .await
}

/// Moves `id` from pending to `to`; false when it was no longer pending.
pub async fn finish<C: ConnectionTrait>(
    conn: &C,
    id: InvitationId,
    to: InvitationStatus,
    accepted_by: Option<UserId>,
    now: Millis,
) -> Result<bool, DbErr> {
    let res = Entity::update_many()
        .col_expr(Column::Status, Expr::value(to))
        .col_expr(Column::AcceptedBy, Expr::value(accepted_by))
        .col_expr(Column::RespondedAt, Expr::value(Some(now)))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(InvitationStatus::Pending))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Marks `id` expired; false when someone else did, or it is not pending.
pub async fn mark_expired<C: ConnectionTrait>(conn: &C, id: InvitationId, now: Millis) -> Result<bool, DbErr> {
    let res = Entity::update_many()
        .col_expr(Column::Status, Expr::value(InvitationStatus::Expired))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.eq(InvitationStatus::Pending))
        .filter(Column::ExpiresAt.lte(now))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Gives a pending (or expired) invitation a new token and expiry; false when it
/// was accepted, declined or revoked meanwhile.
pub async fn renew<C: ConnectionTrait>(
    conn: &C,
    id: InvitationId,
    token_hash: &str,
    expires_at: Millis,
    now: Millis,
) -> Result<bool, DbErr> {
    let res = Entity::update_many()
        .col_expr(Column::TokenHash, Expr::value(token_hash))
        .col_expr(Column::Status, Expr::value(InvitationStatus::Pending))
        .col_expr(Column::ExpiresAt, Expr::value(expires_at))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.eq(id))
        .filter(Column::Status.is_in([InvitationStatus::Pending, InvitationStatus::Expired]))
        .exec(conn)
        .await?;
    Ok(res.rows_affected == 1)
}

pub async fn delete_for_org<C: ConnectionTrait>(conn: &C, org: OrgId) -> Result<u64, DbErr> {
    Ok(Entity::delete_many().filter(Column::OrgId.eq(org)).exec(conn).await?.rows_affected)
}

/// Invitations `user` sent, newest first.
pub async fn sent_by<C: ConnectionTrait>(conn: &C, user: UserId) -> Result<Vec<Model>, DbErr> {
    Entity::find().filter(Column::InvitedBy.eq(user)).order_by_desc(Column::CreatedAt).all(conn).await
}

/// Invitations to `email`, newest first.
pub async fn received_by<C: ConnectionTrait>(conn: &C, email: &str) -> Result<Vec<Model>, DbErr> {
    Entity::find().filter(Column::Email.eq(email)).order_by_desc(Column::CreatedAt).all(conn).await
}

/// The invitations `user` accepted or that were sent to `email`, in any state
/// (erasure of that account: their audit entries name the person).
pub async fn received_ids<C: ConnectionTrait>(
    conn: &C,
    user: UserId,
    email: Option<&str>,
) -> Result<Vec<InvitationId>, DbErr> {
    let mut received = Condition::any().add(Column::AcceptedBy.eq(user));
    if let Some(email) = email {
        received = received.add(Column::Email.eq(email));
    }
    Entity::find().select_only().column(Column::Id).filter(received).into_tuple::<InvitationId>().all(conn).await
}

/// Forgets who sent invitations (erasure of that account).
pub async fn clear_inviter<C: ConnectionTrait>(conn: &C, user: UserId) -> Result<u64, DbErr> {
    let res = Entity::update_many()
        .col_expr(Column::InvitedBy, Expr::value(Option::<UserId>::None))
        .filter(Column::InvitedBy.eq(user))
        .exec(conn)
        .await?;
    Ok(res.rows_affected)
}

/// Replaces the address on the invitations `user` accepted, and on the answered
/// (not pending) ones sent to `email`, with a placeholder, and forgets who
/// accepted them (erasure of that account). Pending invitations stay: they are
/// the organization's open offer to an address, which it may revoke.
pub async fn pseudonymize_received<C: ConnectionTrait>(
    conn: &C,
    user: UserId,
    email: Option<&str>,
) -> Result<u64, DbErr> {
    let mut answered = Condition::any().add(Column::AcceptedBy.eq(user));
    if let Some(email) = email {
        answered = answered
            .add(Condition::all().add(Column::Email.eq(email)).add(Column::Status.ne(InvitationStatus::Pending)));
    }
    let rows = Entity::find().filter(answered).all(conn).await?;
    for row in &rows {
        Entity::update_many()
            .col_expr(Column::Email, Expr::value(format!("erased-{}@erased.invalid", row.id.as_uuid().simple())))
            .col_expr(Column::AcceptedBy, Expr::value(Option::<UserId>::None))
            .filter(Column::Id.eq(row.id))
            .exec(conn)
            .await?;
    }
    Ok(rows.len() as u64)
}
