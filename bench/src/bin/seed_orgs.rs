//! Seeds the database of the organizations benchmark (see `tessera_bench::seed`):
//! connects to the database tessera will use, applies every module's migrations,
//! inserts users, organizations, members, teams, seats and the audit log directly,
//! writes `checks.txt` into `--out` and prints one JSON line with the layout, the
//! ids the load needs and how long each part took.
//!
//! Usage: seed_orgs --database-url URL --data-dir DIR --out DIR [--users N] [--orgs N] [--teams N]
//!        [--members N] [--audit N] [--export-entries N] [--hot-share F] [--batch N] [--password P]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use serde_json::json;
use tessera::{Migrator, Modules};
use tessera_bench::seed::{self, Plan};
use tessera_identity::IdentityModule;
use tessera_kernel::clock::Clock;
use tessera_kernel::config::Settings;
use tessera_kernel::module::config_of;

struct Opts {
    database_url: String,
    data_dir: String,
    plan: Plan,
}

fn parse() -> Result<Opts, String> {
    let mut plan = Plan {
        users: 10_000,
        orgs: 1_000,
        teams_per_org: 20,
        members_per_org: 10,
        audit_entries: 1_000_000,
        export_entries: 10_000,
        hot_share: 0.5,
        password: "bench password 12345 xyz".into(),
        batch: 1000,
        out_dir: PathBuf::from("."),
    };
    let (mut database_url, mut data_dir) = (None, None);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let n = |v: &str| v.parse::<usize>().map_err(|e| format!("{flag} {v}: {e}"));
        match flag.as_str() {
            "--database-url" => database_url = Some(value),
            "--data-dir" => data_dir = Some(value),
            "--out" => plan.out_dir = PathBuf::from(value),
            "--users" => plan.users = n(&value)?,
            "--orgs" => plan.orgs = n(&value)?,
            "--teams" => plan.teams_per_org = n(&value)?,
            "--members" => plan.members_per_org = n(&value)?,
            "--audit" => plan.audit_entries = n(&value)?,
            "--export-entries" => plan.export_entries = n(&value)?,
            "--batch" => plan.batch = n(&value)?,
            "--hot-share" => plan.hot_share = value.parse().map_err(|e| format!("{flag} {value}: {e}"))?,
            "--password" => plan.password = value,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(Opts {
        database_url: database_url.ok_or("--database-url is required")?,
        data_dir: data_dir.ok_or("--data-dir is required")?,
        plan,
    })
}

async fn run(o: Opts) -> Result<serde_json::Value, String> {
    let overrides = [("database.url", json!(o.database_url)), ("data.dir", json!(o.data_dir))];
    let settings =
        Settings::load(&tessera_server::default_configs::<Modules>(), None, &overrides).map_err(|e| e.to_string())?;
    let password = config_of::<IdentityModule>(&settings).map_err(|e| e.to_string())?.password;
    let t = Instant::now();
    let (_, db) = tessera_server::connect(&settings).await.map_err(|e| e.to_string())?;
    db.migrate::<Migrator>().await.map_err(|e| format!("migrating: {e}"))?;
    let migrate_s = seed::secs(t);
    let mut report = seed::run(&db, o.plan, &password, Clock::system().now_ms()).await?;
    report["migrateSeconds"] = json!(migrate_s);
    Ok(report)
}

#[tokio::main]
async fn main() -> ExitCode {
    let opts = match parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("seed_orgs: {e}");
            return ExitCode::from(2);
        }
    };
    match run(opts).await {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("seed_orgs: {e}");
            ExitCode::FAILURE
        }
    }
}
