//! Seeds the database of the organizations benchmark directly, through the
//! modules' own entities: users (all sharing one precomputed argon2id hash of the
//! bench password, made with tessera's own hasher), organizations with members,
//! teams and team seats, and a real audit log whose per-organization hash chains
//! are computed with the audit module's own functions (`tessera_audit::chain`,
//! `tessera_audit::commitments`), so `/audit-logs/verify` accepts them. On
//! PostgreSQL the tables are then vacuumed and analyzed, as autovacuum would have
//! done long before a log grown over 90 days reached this size; SQLite keeps no
//! statistics unless told, and tessera does not, so it gets none. Registering 10,000 users over HTTP would
//! spend most of the run in argon2.
//!
//! Who is who: user 0 (`seed-0@…`, "the service") owns organization 0 and is an
//! admin of every other one, so it may ask `/authz/check` about anyone; user 1
//! (`seed-1@…`, "the exporter") is an admin of organization 0 and the actor of
//! `export_entries` of its audit entries. Organization 0 ("the hot organization")
//! holds `hot_share` of all audit entries; the rest are spread over the others.

pub mod audit;
pub mod people;

use std::path::PathBuf;
use std::time::Instant;

use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait};
use serde_json::{Value, json};
use tessera_identity::PasswordConfig;
use tessera_kernel::db::Db;
use tessera_kernel::ids::{OrgId, TeamId, UserId};
use tessera_kernel::roles::BuiltInRole;

/// How much to seed.
#[derive(Clone, Debug)]
pub struct Plan {
    pub users: usize,
    pub orgs: usize,
    pub teams_per_org: usize,
    pub members_per_org: usize,
    pub audit_entries: usize,
    /// Audit entries of the hot organization whose actor is the exporter.
    pub export_entries: usize,
    /// Share of all audit entries that belong to the hot organization (0..=1).
    pub hot_share: f64,
    pub password: String,
    /// Rows per `INSERT`.
    pub batch: usize,
    /// Where `checks.txt` goes.
    pub out_dir: PathBuf,
}

impl Plan {
    /// Rejects sizes the layout cannot honour.
    pub fn check(&self) -> Result<(), String> {
        if self.users < 2 || self.orgs < 2 || self.teams_per_org < 1 {
            return Err("need at least 2 users, 2 organizations and 1 team per organization".into());
        }
        if self.members_per_org < 2 || self.members_per_org > self.users {
            return Err("members per organization must be 2..=users".into());
        }
        if !(0.0..=1.0).contains(&self.hot_share) {
            return Err("hot share must be within 0..=1".into());
        }
        if self.batch == 0 || self.batch > 1000 {
            return Err("batch must be 1..=1000 (statement parameter limits)".into());
        }
        Ok(())
    }
}

/// The ids seeded, to derive who is where.
pub struct Fixture {
    pub plan: Plan,
    pub users: Vec<UserId>,
    pub orgs: Vec<OrgId>,
    /// `teams[org]`: the organization's teams.
    pub teams: Vec<Vec<TeamId>>,
    /// When the people were created (ms); audit entries come after.
    pub created_at: i64,
}

impl Fixture {
    /// The user index of member `j` of organization `org`.
    pub fn member(&self, org: usize, j: usize) -> usize {
        (org * self.plan.members_per_org + j) % self.plan.users
    }

    /// The organization role of member `j`: one owner, one admin, then members and viewers.
    pub fn role_of(&self, j: usize) -> BuiltInRole {
        match j {
            0 => BuiltInRole::Owner,
            1 => BuiltInRole::Admin,
            _ if j * 10 < self.plan.members_per_org * 7 => BuiltInRole::Member,
            _ => BuiltInRole::Viewer,
        }
    }

    /// The email of user `i`.
    pub fn email(i: usize) -> String {
        format!("seed-{i}@example.com")
    }
}

/// Seconds since `start`, to three decimals.
pub fn secs(start: Instant) -> f64 {
    (start.elapsed().as_secs_f64() * 1000.0).round() / 1000.0
}

/// Inserts `rows` in statements of `batch` rows each, in one write transaction.
pub async fn insert_all<A>(db: &Db, rows: Vec<A>, batch: usize) -> Result<(), DbErr>
where
    A: ActiveModelTrait + Send,
{
    let txn = db.begin_write().await?;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<A> = rows.by_ref().take(batch).collect();
        <A::Entity as EntityTrait>::insert_many(chunk).exec_without_returning(&*txn).await?;
    }
    txn.commit().await
}

/// Seeds everything and reports what and how long, as JSON.
pub async fn run(db: &Db, plan: Plan, password: &PasswordConfig, now_ms: i64) -> Result<Value, String> {
    plan.check()?;
    let started = Instant::now();
    let t = Instant::now();
    let hash = people::password_hash(password, &plan.password).await?;
    let hash_s = secs(t);
    let (fixture, people) = people::seed(db, plan, hash, now_ms).await.map_err(|e| e.to_string())?;
    let audit = audit::seed(db, &fixture, now_ms).await.map_err(|e| e.to_string())?;
    let checks = people::write_checks(&fixture).map_err(|e| format!("writing checks.txt: {e}"))?;
    let t = Instant::now();
    let analyzed = match db.backend() {
        DatabaseBackend::Postgres => Some("VACUUM (ANALYZE)"),
        DatabaseBackend::MySql => Some("ANALYZE TABLE users, orgs, org_members, teams, team_members, audit_log"),
        _ => None,
    };
    if let Some(sql) = analyzed {
        db.conn.execute_unprepared(sql).await.map_err(|e| format!("{sql}: {e}"))?;
    }
    let analyze_s = secs(t);
    let p = &fixture.plan;
    Ok(json!({
        "seconds": secs(started),
        "hashSeconds": hash_s,
        "analyzed": analyzed,
        "analyzeSeconds": analyze_s,
        "plan": {
            "users": p.users, "orgs": p.orgs, "teamsPerOrg": p.teams_per_org, "membersPerOrg": p.members_per_org,
            "auditEntries": p.audit_entries, "exportEntries": p.export_entries, "hotShare": p.hot_share,
            "batch": p.batch,
        },
        "people": people,
        "audit": audit,
        "checksFile": checks,
        "service": { "userId": fixture.users[0], "email": Fixture::email(0) },
        "exporter": { "userId": fixture.users[1], "email": Fixture::email(1) },
        "hotOrgId": fixture.orgs[0],
        "otherOrgId": fixture.orgs[fixture.orgs.len() / 2],
    }))
}
