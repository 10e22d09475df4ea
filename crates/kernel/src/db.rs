//! Database connections on SQLite, PostgreSQL and MySQL/MariaDB from one URL, write
//! transactions that behave the same on all three, and migrations that several
//! nodes can start at once.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx;
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr, SqlErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::config::{DataConfig, DatabaseConfig};

/// Key of the advisory lock that serializes migrations across nodes.
const MIGRATION_LOCK: i64 = 0x0074_6573_7365_7261; // "tessera"

/// The application's database. On SQLite, writes go through a pool of exactly one
/// connection: SQLite allows one writer at a time, and one connection that keeps
/// its page cache hot beats several that invalidate each other's at every commit.
/// Reads use the other pool.
#[derive(Clone, Debug)]
pub struct Db {
    /// For reads (and, on PostgreSQL and MySQL, everything).
    pub conn: DatabaseConnection,
    writer: DatabaseConnection,
    /// For bookkeeping that is redone when lost (see [`Db::relaxed`]): on
    /// PostgreSQL a pool whose commits do not wait for the WAL flush; elsewhere the writer.
    relaxed: DatabaseConnection,
    /// On SQLite, a fair queue in front of the writer: cheaper under contention
    /// than many tasks waiting on the pool for its one connection.
    write_gate: Option<Arc<Mutex<()>>>,
    /// The SQLite file, when the database is one.
    sqlite_path: Option<String>,
}

/// A write transaction: commit it, or drop it to roll back.
pub struct WriteTxn {
    /// `Some` until committed.
    txn: Option<DatabaseTransaction>,
    gate: Option<OwnedMutexGuard<()>>,
}

impl std::ops::Deref for WriteTxn {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &Self::Target {
        match &self.txn {
            Some(txn) => txn,
            // `commit` consumes the value, so no one can look at it afterwards.
            None => unreachable!("a committed transaction is never used again"),
        }
    }
}

impl WriteTxn {
    pub async fn commit(mut self) -> Result<(), DbErr> {
        match self.txn.take() {
            Some(txn) => txn.commit().await,
            None => Ok(()),
        }
    }
}

impl Drop for WriteTxn {
    /// Rolls back now rather than when the pooled connection is next used, so an
    /// abandoned transaction never keeps its locks (MySQL metadata locks, the
    /// SQLite write lock) while the connection sits idle.
    fn drop(&mut self) {
        let (Some(txn), gate) = (self.txn.take(), self.gate.take()) else { return };
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                if let Err(e) = txn.rollback().await {
                    tracing::warn!(error = %e, "rolling back an abandoned transaction failed");
                }
                drop(gate);
            });
        }
    }
}

impl Db {
    /// Connects using the configured URL, creating the SQLite file and its folder when needed.
    pub async fn connect(cfg: &DatabaseConfig, data: &DataConfig) -> Result<Self, DbErr> {
        let url = loopback_without_tls(&cfg.effective_url(data));
        let mut opts = ConnectOptions::new(url.clone());
        opts.sqlx_logging(false)
            .acquire_timeout(Duration::from_secs(cfg.acquire_timeout_secs))
            .max_connections(cfg.max_connections);
        let sqlite = url.starts_with("sqlite:");
        if !sqlite {
            let conn = Database::connect(opts.clone()).await?;
            let relaxed = if conn.get_database_backend() == DatabaseBackend::Postgres {
                opts.max_connections(cfg.max_connections.div_ceil(2).max(2))
                    .map_sqlx_postgres_opts(|o| o.options([("synchronous_commit", "off")]));
                Database::connect(opts).await?
            } else {
                conn.clone()
            };
            return Ok(Self { writer: conn.clone(), conn, relaxed, write_gate: None, sqlite_path: None });
        }
        create_sqlite_parent(&url)?;
        opts.map_sqlx_sqlite_opts(|o| {
            use sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
        let mut write_opts = opts.clone();
        write_opts.max_connections(1).min_connections(1);
        opts.max_connections(cfg.max_connections.clamp(1, 4));
        let writer = connect_retrying(write_opts).await?;
        let conn = connect_retrying(opts).await?;
        let file = sqlite_file(&url);
        let sqlite_path = (!file.is_empty() && file != ":memory:").then(|| file.to_owned());
        Ok(Self { conn, relaxed: writer.clone(), writer, write_gate: Some(Arc::new(Mutex::new(()))), sqlite_path })
    }

    pub fn backend(&self) -> DatabaseBackend {
        self.conn.get_database_backend()
    }

    /// The connection for statements that write outside a transaction.
    pub fn writer(&self) -> &DatabaseConnection {
        &self.writer
    }

    /// The connection for bookkeeping that is redone when lost: moving events
    /// along, leases, cursors, delivery outcomes. On PostgreSQL its commits do not
    /// wait for the WAL to reach the disk (`synchronous_commit = off`), so they
    /// cost no flush of their own. A crash of the database server (not of a node)
    /// may then forget the last fraction of a second of them, but only as a whole
    /// suffix: every commit before one that waited (a client's change, answered
    /// only once durable) survives, and the database is consistent as of an
    /// earlier moment, from which the at-least-once machinery redoes the rest.
    /// Never for a change a client is told has happened.
    pub fn relaxed(&self) -> &DatabaseConnection {
        &self.relaxed
    }

    /// Begins a transaction that will write. On SQLite it takes the write lock up
    /// front (`BEGIN IMMEDIATE`), so it never fails half-way on a lock upgrade.
    pub async fn begin_write(&self) -> Result<WriteTxn, DbErr> {
        self.begin_on(&self.writer).await
    }

    /// [`Db::begin_write`] on the [`Db::relaxed`] connection.
    pub async fn begin_relaxed(&self) -> Result<WriteTxn, DbErr> {
        self.begin_on(&self.relaxed).await
    }

    async fn begin_on(&self, writer: &DatabaseConnection) -> Result<WriteTxn, DbErr> {
        let gate = match &self.write_gate {
            Some(gate) => Some(gate.clone().lock_owned().await),
            None => None,
        };
        let txn = if gate.is_some() {
            writer
                .begin_with_options(TransactionOptions {
                    sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                    ..Default::default()
                })
                .await?
        } else {
            writer.begin().await?
        };
        Ok(WriteTxn { txn: Some(txn), gate })
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<(), DbErr> {
        self.conn.ping().await
    }

    /// Applies pending migrations of `M`, holding a cross-node lock on PostgreSQL
    /// and MySQL so nodes starting together do not race.
    pub async fn migrate<M: MigratorTrait>(&self) -> Result<(), DbErr> {
        match self.backend() {
            DatabaseBackend::Postgres => {
                let mut lock = self.conn.get_postgres_connection_pool().acquire().await.map_err(sqlx_err)?;
                sqlx::query("SELECT pg_advisory_lock($1)")
                    .bind(MIGRATION_LOCK)
                    .execute(&mut *lock)
                    .await
                    .map_err(sqlx_err)?;
                let result = M::up(&self.conn, None).await;
                sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(MIGRATION_LOCK)
                    .execute(&mut *lock)
                    .await
                    .map_err(sqlx_err)?;
                result
            }
            DatabaseBackend::MySql => {
                let mut lock = self.conn.get_mysql_connection_pool().acquire().await.map_err(sqlx_err)?;
                sqlx::query("SELECT GET_LOCK('tessera_migrations', 600)")
                    .execute(&mut *lock)
                    .await
                    .map_err(sqlx_err)?;
                let result = M::up(&self.conn, None).await;
                sqlx::query("SELECT RELEASE_LOCK('tessera_migrations')").execute(&mut *lock).await.map_err(sqlx_err)?;
                result
            }
            _ => {
                // Another process (a second `tessera` on the same file, or `tessera
                // migrate` beside `serve`) waits on a lock file next to the database.
                let lock = match &self.sqlite_path {
                    Some(path) => Some(lock_file(&format!("{path}.migrate.lock")).await?),
                    None => None,
                };
                let result = M::up(&self.writer, None).await;
                drop(lock);
                result
            }
        }
    }
}

fn sqlx_err(err: sqlx::Error) -> DbErr {
    DbErr::Custom(format!("database lock: {err}"))
}

/// Connects; on SQLite, retries for a few seconds while another process holds the
/// file's lock (switching a new connection to WAL needs it briefly).
async fn connect_retrying(opts: ConnectOptions) -> Result<DatabaseConnection, DbErr> {
    let mut delay = Duration::from_millis(20);
    for _ in 0..8 {
        match Database::connect(opts.clone()).await {
            Err(e) if e.to_string().contains("database is locked") => {
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
            other => return other,
        }
    }
    Database::connect(opts).await
}

/// The file path of a SQLite URL.
fn sqlite_file(url: &str) -> &str {
    let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    path.split('?').next().unwrap_or_default()
}

/// Takes an exclusive lock on `path` (created if needed), released when dropped.
async fn lock_file(path: &str) -> Result<std::fs::File, DbErr> {
    let path = path.to_owned();
    let locked = tokio::task::spawn_blocking(move || {
        let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path)?;
        file.lock()?;
        Ok::<_, std::io::Error>(file)
    })
    .await;
    match locked {
        Ok(Ok(file)) => Ok(file),
        Ok(Err(e)) => Err(DbErr::Custom(format!("migration lock: {e}"))),
        Err(e) => Err(DbErr::Custom(format!("migration lock: {e}"))),
    }
}

/// Creates the folder that will hold a SQLite file.
fn create_sqlite_parent(url: &str) -> Result<(), DbErr> {
    let path = sqlite_file(url);
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(parent) = std::path::Path::new(path).parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", parent.display())))?;
    }
    Ok(())
}

/// `query` taking row locks until the transaction ends: `FOR UPDATE` where the
/// engine has it. SQLite has one writer, so a write transaction already excludes
/// every other and it needs none.
pub fn lock_for_update<E: sea_orm::EntityTrait, C: ConnectionTrait>(
    query: sea_orm::Select<E>,
    conn: &C,
) -> sea_orm::Select<E> {
    row_lock(query, conn, None)
}

/// Like [`lock_for_update`], skipping rows another transaction holds
/// (`FOR UPDATE SKIP LOCKED`): queue claims, where any free row will do.
pub fn lock_skip_locked<E: sea_orm::EntityTrait, C: ConnectionTrait>(
    query: sea_orm::Select<E>,
    conn: &C,
) -> sea_orm::Select<E> {
    row_lock(query, conn, Some(sea_orm::sea_query::LockBehavior::SkipLocked))
}

fn row_lock<E: sea_orm::EntityTrait, C: ConnectionTrait>(
    query: sea_orm::Select<E>,
    conn: &C,
    behavior: Option<sea_orm::sea_query::LockBehavior>,
) -> sea_orm::Select<E> {
    use sea_orm::QuerySelect;
    use sea_orm::sea_query::LockType;
    match (conn.get_database_backend(), behavior) {
        (DatabaseBackend::Sqlite, _) => query,
        (_, None) => query.lock(LockType::Update),
        (_, Some(behavior)) => query.lock_with_behavior(LockType::Update, behavior),
    }
}

/// Whether the error is a unique-constraint violation (a conflict, not a fault).
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// `raw` with the `LIKE` wildcards (and the escape character) escaped, for
/// patterns built with `LikeExpr::new(…).escape(…)` with a backslash.
pub fn escape_like(raw: &str) -> String {
    raw.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// A database server on this machine is reached without TLS unless the URL says
/// otherwise (`sslmode` on PostgreSQL, `ssl-mode` on MySQL): loopback traffic never
/// leaves the host, and encrypting it costs both ends CPU on every round trip (on
/// PostgreSQL, the default `prefer` more than quadrupled the event pipeline's
/// latency at 1,000 events/s on a 2-core machine). Any other host keeps the
/// driver's default, which uses TLS when the server offers it.
fn loopback_without_tls(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else { return url.to_owned() };
    let (key, off) = match parsed.scheme() {
        "postgres" | "postgresql" => ("sslmode", "disable"),
        "mysql" | "mariadb" => ("ssl-mode", "DISABLED"),
        _ => return url.to_owned(),
    };
    let loopback = match parsed.host() {
        // A URL of a scheme the url crate does not know keeps an IPv4 address as a name.
        Some(url::Host::Domain(name)) => {
            name.eq_ignore_ascii_case("localhost")
                || name.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    let chosen = parsed.query_pairs().any(|(k, _)| matches!(k.as_ref(), "sslmode" | "ssl-mode" | "ssl_mode"));
    if !loopback || chosen {
        return url.to_owned();
    }
    parsed.query_pairs_mut().append_pair(key, off);
    parsed.to_string()
}

#[cfg(test)]
mod tests {
    use super::loopback_without_tls as plain;

    #[test]
    fn only_loopback_servers_without_a_chosen_tls_mode_go_without_tls() {
        assert_eq!(plain("postgres://u@127.0.0.1:5432/db"), "postgres://u@127.0.0.1:5432/db?sslmode=disable");
        assert_eq!(plain("postgres://u@localhost/db?x=1"), "postgres://u@localhost/db?x=1&sslmode=disable");
        assert_eq!(plain("postgresql://u@[::1]:5432/db"), "postgresql://u@[::1]:5432/db?sslmode=disable");
        assert_eq!(plain("mysql://root@127.0.0.1:3306/t"), "mysql://root@127.0.0.1:3306/t?ssl-mode=DISABLED");
        // The operator's choice stands, and other hosts keep the driver's default.
        assert_eq!(plain("postgres://u@127.0.0.1/db?sslmode=require"), "postgres://u@127.0.0.1/db?sslmode=require");
        assert_eq!(plain("postgres://u@db.internal/db"), "postgres://u@db.internal/db");
        assert_eq!(plain("mysql://u@10.0.0.5/t"), "mysql://u@10.0.0.5/t");
        assert_eq!(plain("sqlite://./tessera-data/tessera.db"), "sqlite://./tessera-data/tessera.db");
    }
}
