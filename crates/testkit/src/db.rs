//! A database per test: a SQLite file in the test's temp dir, or a fresh
//! `tessera_t_<uuid>` database on the machine's PostgreSQL or MariaDB that is
//! dropped when the test ends.

use std::path::Path;

use sea_orm::{ConnectionTrait, Database};

/// The engine the suite runs on, chosen by `TESSERA_TEST_DB`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
    Mysql,
}

impl Engine {
    /// `TESSERA_TEST_DB` = `sqlite` (default), `postgres` or `mysql`.
    pub fn from_env() -> Self {
        match std::env::var("TESSERA_TEST_DB").unwrap_or_default().to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" | "pg" => Self::Postgres,
            "mysql" | "mariadb" => Self::Mysql,
            _ => Self::Sqlite,
        }
    }

    /// The server URL to create test databases on.
    fn admin_url(self) -> String {
        match self {
            Self::Postgres => std::env::var("TESSERA_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into()),
            Self::Mysql => {
                std::env::var("TESSERA_TEST_MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/mysql".into())
            }
            Self::Sqlite => String::new(),
        }
    }
}

/// A database made for one test, dropped with this value.
pub struct TestDatabase {
    pub url: String,
    engine: Engine,
    name: String,
}

impl TestDatabase {
    /// Creates an empty database on `engine` (SQLite: a file under `dir`).
    pub async fn create(engine: Engine, dir: &Path) -> Self {
        if engine == Engine::Sqlite {
            let url = format!("sqlite://{}/tessera.db", dir.display());
            return Self { url, engine, name: String::new() };
        }
        let name = format!("tessera_t_{}", uuid::Uuid::now_v7().simple());
        let admin = engine.admin_url();
        let conn =
            Database::connect(&admin).await.unwrap_or_else(|e| panic!("cannot reach {engine:?} at {admin}: {e}"));
        let sql = match engine {
            Engine::Mysql => {
                format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin")
            }
            _ => format!("CREATE DATABASE \"{name}\""),
        };
        conn.execute_unprepared(&sql).await.unwrap_or_else(|e| panic!("create {name}: {e}"));
        let _ = conn.close().await;
        let mut url = url::Url::parse(&admin).expect("admin URL");
        url.set_path(&format!("/{name}"));
        Self { url: url.to_string(), engine, name }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if self.engine == Engine::Sqlite {
            return;
        }
        let (engine, name) = (self.engine, self.name.clone());
        // Drop runs inside the test's runtime; use a thread with its own.
        let done = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            rt.block_on(async move {
                let Ok(conn) = Database::connect(&engine.admin_url()).await else {
                    return;
                };
                if engine == Engine::Mysql {
                    kill_mysql_sessions(&conn, &name).await;
                }
                let sql = match engine {
                    Engine::Mysql => format!("DROP DATABASE IF EXISTS `{name}`"),
                    _ => format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
                };
                if let Err(e) = conn.execute_unprepared(&sql).await {
                    eprintln!("could not drop test database {name}: {e}");
                }
                let _ = conn.close().await;
            });
        });
        let _ = done.join();
    }
}

/// MySQL has no `DROP DATABASE … WITH (FORCE)`: end the test's sessions first.
async fn kill_mysql_sessions(conn: &sea_orm::DatabaseConnection, name: &str) {
    use sea_orm::{Statement, TryGetable};
    // The name is ours (tessera_t_<hex>), safe to inline.
    let stmt = Statement::from_string(
        sea_orm::DatabaseBackend::MySql,
        format!("SELECT ID AS pid FROM information_schema.processlist WHERE DB = '{name}'"),
    );
    let rows = match conn.query_all_raw(stmt).await {
        Ok(rows) => rows,
        Err(e) => return eprintln!("listing sessions of {name}: {e}"),
    };
    for row in rows {
        match i64::try_get_by(&row, "pid") {
            Ok(id) => {
                if let Err(e) = conn.execute_unprepared(&format!("KILL {id}")).await {
                    eprintln!("KILL {id}: {e}");
                }
            }
            Err(e) => eprintln!("session id of {name}: {e:?}"),
        }
    }
}
