//! The hash chain. Each organization (and the platform) has its own chain; an
//! entry's hash covers the previous entry's hash, its own fields, and a digest of
//! its personal fields (actor, address, user agent, changes), so erasing those for
//! GDPR leaves the chain intact while editing anything else breaks it.

use sea_orm::sea_query::{LockType, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tessera_kernel::audit::{AuditEntry, AuditSink, RequestInfo, redact};
use tessera_kernel::clock::Clock;
use tessera_kernel::ids::AuditId;
use tessera_kernel::{ActorRef, Millis};

use crate::entity::{audit_chains, audit_log};

/// The `prev_hash` of the first entry of every chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The chain of platform-level entries (no organization).
pub const PLATFORM: &str = "platform";

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Digest of the personal fields as recorded.
pub fn personal_digest(row: &audit_log::Model) -> String {
    let personal = json!([row.actor_id, row.actor_owner, row.ip, row.user_agent, row.changes]);
    sha256_hex(personal.to_string().as_bytes())
}

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
        row.personal_digest,
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
    pub async fn append(&self, txn: &DatabaseTransaction, entry: AuditEntry, now: Millis) -> Result<AuditId, DbErr> {
        let chain_key = entry.org_id.map(|o| o.to_string()).unwrap_or_else(|| PLATFORM.to_owned());
        let head = lock_head(txn, &chain_key).await?;
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
            personal_digest: String::new(),
            erased_at: None,
            prev_hash: head.last_hash.clone(),
            hash: String::new(),
        };
        row.personal_digest = personal_digest(&row);
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
        self.append(txn, entry, self.clock.now_ms()).await.map(|_| ())
    }
}

/// The head of `chain_key`, created if missing and locked for the transaction
/// (SQLite has a single writer, so its transaction is the lock).
async fn lock_head(txn: &DatabaseTransaction, chain_key: &str) -> Result<audit_chains::Model, DbErr> {
    let genesis = audit_chains::ActiveModel {
        chain_key: Set(chain_key.to_owned()),
        seq: Set(0),
        last_hash: Set(GENESIS.to_owned()),
        cut_seq: Set(1),
        cut_hash: Set(GENESIS.to_owned()),
    };
    // Concurrent first entries of one chain: the loser's insert does nothing.
    audit_chains::Entity::insert(genesis)
        .on_conflict(OnConflict::column(audit_chains::Column::ChainKey).do_nothing().to_owned())
        .exec_without_returning(txn)
        .await?;
    let mut query = audit_chains::Entity::find_by_id(chain_key.to_owned());
    if txn.get_database_backend() != DatabaseBackend::Sqlite {
        query = query.lock(LockType::Update);
    }
    query.one(txn).await?.ok_or_else(|| DbErr::RecordNotFound(format!("audit chain {chain_key}")))
}

/// The outcome of verifying a chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    pub valid: bool,
    /// Entries checked.
    pub checked: u64,
    /// The first entry whose hash or link does not match, when there is one.
    pub first_broken_id: Option<AuditId>,
    pub first_broken_seq: Option<i64>,
    pub reason: Option<String>,
}

/// Walks `chain_key` from its cut (retention) to its head, in pages.
pub async fn verify<C: ConnectionTrait>(conn: &C, chain_key: &str) -> Result<Verification, DbErr> {
    let Some(head) = audit_chains::Entity::find_by_id(chain_key.to_owned()).one(conn).await? else {
        return Ok(Verification {
            valid: true,
            checked: 0,
            first_broken_id: None,
            first_broken_seq: None,
            reason: None,
        });
    };
    let broken = |row: &audit_log::Model, checked: u64, reason: &str| Verification {
        valid: false,
        checked,
        first_broken_id: Some(row.id),
        first_broken_seq: Some(row.seq),
        reason: Some(reason.to_owned()),
    };
    let (mut expected_seq, mut prev_hash, mut checked) = (head.cut_seq, head.cut_hash.clone(), 0u64);
    loop {
        let page = audit_log::Entity::find()
            .filter(audit_log::Column::ChainKey.eq(chain_key))
            .filter(audit_log::Column::Seq.gte(expected_seq))
            .order_by_asc(audit_log::Column::Seq)
            .limit(1000)
            .all(conn)
            .await?;
        if page.is_empty() {
            break;
        }
        for row in &page {
            if row.seq != expected_seq {
                return Ok(broken(row, checked, "an entry before this one is missing"));
            }
            if row.prev_hash != prev_hash {
                return Ok(broken(row, checked, "the link to the previous entry does not match"));
            }
            if row.erased_at.is_none() && personal_digest(row) != row.personal_digest {
                return Ok(broken(row, checked, "the actor, address, user agent or changes were altered"));
            }
            if entry_hash(row) != row.hash {
                return Ok(broken(row, checked, "the entry was altered"));
            }
            checked += 1;
            expected_seq += 1;
            prev_hash = row.hash.clone();
        }
    }
    if expected_seq - 1 != head.seq || prev_hash != head.last_hash {
        return Ok(Verification {
            valid: false,
            checked,
            first_broken_id: None,
            first_broken_seq: Some(expected_seq),
            reason: Some("the last entries of the chain are missing".into()),
        });
    }
    Ok(Verification { valid: true, checked, first_broken_id: None, first_broken_seq: None, reason: None })
}
