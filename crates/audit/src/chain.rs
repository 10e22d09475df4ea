//! The hash chain. Each organization (and the platform) has its own chain; an
//! entry's hash covers the previous entry's hash, its own fields, and salted
//! commitments to its personal fields (actor, address, user agent, changes; see
//! `commitments.rs`), so erasing those for GDPR leaves the chain intact while
//! editing anything else breaks it.

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    AccessMode, ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DatabaseTransaction, DbErr,
    EntityTrait, IsolationLevel, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde_json::{Value, json};
use tessera_kernel::ActorRef;
use tessera_kernel::audit::{AuditEntry, AuditSink, RequestInfo, redact};
use tessera_kernel::clock::Clock;
use tessera_kernel::ids::AuditId;

use crate::commitments::{self, sha256_hex};
use crate::entity::{audit_chains, audit_log};

/// The `prev_hash` of the first entry of every chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The chain of platform-level entries (no organization).
pub const PLATFORM: &str = "platform";

/// The hash of an entry, given its predecessor's.
pub fn entry_hash(row: &audit_log::Model) -> String {
    let fields = json!([
        row.prev_hash,
        row.chain_key,
        row.seq,
        row.id,
        row.org_id,
        row.actor_type,
        row.action,
        row.target_type,
        row.target_id,
        row.request_id,
        row.created_at,
        row.personal_commitments,
    ]);
    sha256_hex(fields.to_string().as_bytes())
}

/// Records entries in the transaction of their change.
pub struct AuditLog {
    clock: Clock,
}

impl AuditLog {
    pub fn new(clock: Clock) -> Self {
        Self { clock }
    }

    /// Appends `entry` to its chain, locking the chain's head row until `txn` ends.
    pub async fn append(&self, txn: &DatabaseTransaction, entry: AuditEntry) -> Result<AuditId, DbErr> {
        let chain_key = entry.org_id.map(|o| o.to_string()).unwrap_or_else(|| PLATFORM.to_owned());
        let head = lock_head(txn, &chain_key).await?;
        // Read once the chain is ours, so times never go backwards along a chain
        // (retention cuts by time).
        let now = self.clock.now_ms();
        let (actor_type, actor_id, actor_owner) = match &entry.actor {
            ActorRef::User { id } => ("user", Some(id.to_string()), None),
            ActorRef::ApiKey { id, owner } => ("apikey", Some(id.to_string()), Some(owner.to_string())),
            ActorRef::System => ("system", None, None),
        };
        let changes = match (entry.before, entry.after) {
            (None, None) => None,
            (before, after) => {
                let mut v = json!({ "before": before.unwrap_or(Value::Null), "after": after.unwrap_or(Value::Null) });
                redact(&mut v);
                Some(v)
            }
        };
        let info = RequestInfo::current();
        let mut row = audit_log::Model {
            id: AuditId::new(),
            chain_key: chain_key.clone(),
            seq: head.seq + 1,
            org_id: entry.org_id,
            actor_type: actor_type.to_owned(),
            actor_id,
            actor_owner,
            action: entry.action.to_owned(),
            target_type: entry.target_type.to_owned(),
            target_id: entry.target_id,
            changes,
            ip: info.ip,
            user_agent: info.user_agent,
            request_id: info.request_id,
            created_at: now,
            personal_commitments: String::new(),
            personal_salts: String::new(),
            erased_at: None,
            prev_hash: head.last_hash.clone(),
            hash: String::new(),
        };
        (row.personal_commitments, row.personal_salts) = commitments::seal(&row);
        row.hash = entry_hash(&row);
        let id = row.id;
        let (seq, hash) = (row.seq, row.hash.clone());
        audit_log::Entity::insert(audit_log::ActiveModel::from(row)).exec_without_returning(txn).await?;
        let mut head: audit_chains::ActiveModel = head.into();
        head.seq = Set(seq);
        head.last_hash = Set(hash);
        head.update(txn).await?;
        Ok(id)
    }
}

#[async_trait::async_trait]
impl AuditSink for AuditLog {
    async fn record(&self, txn: &DatabaseTransaction, entry: AuditEntry) -> Result<(), DbErr> {
        self.append(txn, entry).await.map(|_| ())
    }

    async fn erase_changes(&self, txn: &DatabaseTransaction, target_type: &str, ids: &[String]) -> Result<u64, DbErr> {
        crate::store::erase_changes(txn, target_type, ids, self.clock.now_ms()).await
    }
}

/// The head of `chain_key`, created if missing and locked for the transaction
/// (SQLite has a single writer, so its transaction is the lock).
pub(crate) async fn lock_head(txn: &DatabaseTransaction, chain_key: &str) -> Result<audit_chains::Model, DbErr> {
    let genesis = audit_chains::ActiveModel {
        chain_key: Set(chain_key.to_owned()),
        seq: Set(0),
        last_hash: Set(GENESIS.to_owned()),
        cut_seq: Set(1),
        cut_hash: Set(GENESIS.to_owned()),
    };
    // Concurrent first entries of one chain: the loser's insert does nothing
    // (MySQL has no DO NOTHING: it gets a no-op `ON DUPLICATE KEY UPDATE`).
    let key = audit_chains::Column::ChainKey;
    audit_chains::Entity::insert(genesis)
        .on_conflict(OnConflict::column(key).do_nothing_on([key]).to_owned())
        .exec_without_returning(txn)
        .await?;
    let query = audit_chains::Entity::find_by_id(chain_key.to_owned());
    tessera_kernel::db::lock_for_update(query, txn)
        .one(txn)
        .await?
        .ok_or_else(|| DbErr::RecordNotFound(format!("audit chain {chain_key}")))
}

/// The outcome of verifying a chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    /// The chain: an organization id, or `platform`.
    pub chain: String,
    pub valid: bool,
    /// Entries checked.
    pub checked: u64,
    /// The first entry whose hash or link does not match, when there is one.
    pub first_broken_id: Option<AuditId>,
    /// Its position (or, when entries are missing at the end, the first missing one).
    pub first_broken_seq: Option<i64>,
    /// Why it is broken.
    pub reason: Option<String>,
    /// Where verification started: retention deleted the entries before this one.
    pub from_seq: i64,
    /// The last position of the chain.
    pub head_seq: i64,
    /// The hash of the last entry: record it elsewhere to detect a rewritten chain later.
    pub head_hash: String,
}

/// Walks `chain_key` from its cut (retention) to its head, in pages. Run it on a
/// consistent snapshot (see [`verify_snapshot`]) when entries may be appended or
/// cut meanwhile.
pub async fn verify<C: ConnectionTrait>(conn: &C, chain_key: &str) -> Result<Verification, DbErr> {
    let found = audit_chains::Entity::find_by_id(chain_key.to_owned()).one(conn).await?;
    let head_missing = found.is_none();
    let head = found.unwrap_or_else(|| audit_chains::Model {
        chain_key: chain_key.to_owned(),
        seq: 0,
        last_hash: GENESIS.to_owned(),
        cut_seq: 1,
        cut_hash: GENESIS.to_owned(),
    });
    let mut out = Verification {
        chain: chain_key.to_owned(),
        valid: true,
        checked: 0,
        first_broken_id: None,
        first_broken_seq: None,
        reason: None,
        from_seq: head.cut_seq,
        head_seq: head.seq,
        head_hash: head.last_hash.clone(),
    };
    let broken = |mut out: Verification, id: Option<AuditId>, seq: i64, reason: &str| {
        out.valid = false;
        out.first_broken_id = id;
        out.first_broken_seq = Some(seq);
        out.reason = Some(reason.to_owned());
        out
    };
    if head_missing {
        // A chain without a head has no entries, unless its head was removed.
        let first = audit_log::Entity::find()
            .filter(audit_log::Column::ChainKey.eq(chain_key))
            .order_by_asc(audit_log::Column::Seq)
            .one(conn)
            .await?;
        if let Some(row) = first {
            return Ok(broken(out, Some(row.id), row.seq, "the chain's head record is missing"));
        }
    }
    let (mut expected_seq, mut prev_hash) = (head.cut_seq, head.cut_hash.clone());
    while expected_seq <= head.seq {
        let page = audit_log::Entity::find()
            .filter(audit_log::Column::ChainKey.eq(chain_key))
            .filter(audit_log::Column::Seq.gte(expected_seq))
            .filter(audit_log::Column::Seq.lte(head.seq))
            .order_by_asc(audit_log::Column::Seq)
            .limit(1000)
            .all(conn)
            .await?;
        if page.is_empty() {
            break;
        }
        for row in &page {
            let reason = if row.seq != expected_seq {
                Some("an entry before this one is missing")
            } else if row.prev_hash != prev_hash {
                Some("the link to the previous entry does not match")
            } else if !commitments::holds(row) {
                Some("the actor, address, user agent or changes were altered")
            } else if entry_hash(row) != row.hash {
                Some("the entry was altered")
            } else {
                None
            };
            if let Some(reason) = reason {
                return Ok(broken(out, Some(row.id), row.seq, reason));
            }
            out.checked += 1;
            expected_seq += 1;
            prev_hash = row.hash.clone();
        }
    }
    if expected_seq <= head.seq || prev_hash != head.last_hash {
        return Ok(broken(out, None, expected_seq, "the last entries of the chain are missing"));
    }
    // Rows outside the walked range were added behind the application's back:
    // past the head, or before the retention cut.
    let stray = audit_log::Entity::find()
        .filter(audit_log::Column::ChainKey.eq(chain_key))
        .filter(Condition::any().add(audit_log::Column::Seq.gt(head.seq)).add(audit_log::Column::Seq.lt(head.cut_seq)))
        .order_by_asc(audit_log::Column::Seq)
        .one(conn)
        .await?;
    if let Some(row) = stray {
        return Ok(broken(out, Some(row.id), row.seq, "an entry outside the chain was inserted"));
    }
    Ok(out)
}

/// [`verify`] inside a read-only transaction, so appends and retention running
/// meanwhile cannot make a sound chain look broken. (SQLite reads in WAL mode see
/// one snapshot per transaction anyway; PostgreSQL needs REPEATABLE READ for it.)
pub async fn verify_snapshot(db: &tessera_kernel::db::Db, chain_key: &str) -> Result<Verification, DbErr> {
    let (isolation, mode) = match db.backend() {
        DatabaseBackend::Sqlite => (None, None),
        _ => (Some(IsolationLevel::RepeatableRead), Some(AccessMode::ReadOnly)),
    };
    let txn = db.conn.begin_with_config(isolation, mode).await?;
    let outcome = verify(&txn, chain_key).await;
    txn.rollback().await?;
    outcome
}
