//! `tessera keys rotate-data` and `tessera keys verify-data`: the data key that
//! seals stored secrets (signing keys, webhook secrets and headers, provider
//! tokens) rotates without a restart, and every secret can be proven to open.

use tessera::{Migrator, Modules};
use tessera_kernel::config::Settings;
use tessera_kernel::db::Db;
use tessera_kernel::keyring::Keyring;
use tessera_kernel::module::ModuleList;
use tessera_kernel::reseal::{self, ColumnReport, SealedColumn};
use tessera_server::StartError;

/// The database (migrated) and the data keys, without building the modules: a
/// key that no longer opens a signing key must not stop the check that says so.
async fn open(settings: &Settings) -> Result<(Db, Keyring), StartError> {
    let (config, db) = tessera_server::connect(settings).await?;
    db.migrate::<Migrator>().await?;
    let keyring = Keyring::load_or_create(&config.data.dir).map_err(|e| StartError::Other(e.to_string()))?;
    Ok((db, keyring))
}

/// Every sealed column of the composed modules.
fn sealed_columns() -> Vec<SealedColumn> {
    Modules::modules().iter().flat_map(|m| m.sealed().iter().copied()).collect()
}

fn db_error(e: sea_orm_migration::sea_orm::DbErr) -> StartError {
    StartError::Other(format!("database: {e}"))
}

fn print_table(reports: &[ColumnReport]) {
    println!("{:<44} {:>8} {:>9} {:>11}  by key", "column", "values", "resealed", "unopenable");
    for r in reports {
        let keys: Vec<String> = r.by_key.iter().map(|(kid, n)| format!("{kid}={n}")).collect();
        let name = format!("{}.{}", r.table, r.column);
        println!("{name:<44} {:>8} {:>9} {:>11}  {}", r.values, r.resealed, r.unopenable, keys.join(" "));
    }
}

pub async fn rotate(settings: Settings) -> Result<(), StartError> {
    let (db, keyring) = open(&settings).await?;
    let keyring = &keyring;
    let kid = keyring.add_key().map_err(|e| StartError::Other(e.to_string()))?;
    eprintln!("new data key {kid} is current; re-sealing stored secrets under it");
    let columns = sealed_columns();
    let reports = reseal::reseal(db.writer(), keyring, &columns, |r| {
        eprintln!("  {}.{}: {} re-sealed", r.table, r.column, r.resealed);
    })
    .await
    .map_err(db_error)?;
    // What a node sealed under the old key meanwhile is re-sealed by a second pass.
    let again = reseal::reseal(db.writer(), keyring, &columns, |_| {}).await.map_err(db_error)?;
    let verified = reseal::verify(db.writer(), keyring, &columns).await.map_err(db_error)?;
    let resealed: u64 = reports.iter().chain(&again).map(|r| r.resealed).sum();
    let mut shown = verified.clone();
    for (shown, (first, second)) in shown.iter_mut().zip(reports.iter().zip(&again)) {
        shown.resealed = first.resealed + second.resealed;
    }
    print_table(&shown);
    println!("data key {kid} is current; {resealed} values re-sealed");
    outcome(&verified, &kid)
}

pub async fn verify(settings: Settings) -> Result<(), StartError> {
    let (db, keyring) = open(&settings).await?;
    let keyring = &keyring;
    let reports = reseal::verify(db.writer(), keyring, &sealed_columns()).await.map_err(db_error)?;
    print_table(&reports);
    outcome(&reports, &keyring.current())
}

/// Fails when a value does not open; says how many are under older keys.
fn outcome(reports: &[ColumnReport], current: &str) -> Result<(), StartError> {
    let unopenable: u64 = reports.iter().map(|r| r.unopenable).sum();
    let values: u64 = reports.iter().map(|r| r.values).sum();
    let older: u64 = reports.iter().flat_map(|r| r.by_key.iter()).filter(|(k, _)| *k != current).map(|(_, n)| n).sum();
    if unopenable > 0 {
        return Err(StartError::Other(format!(
            "{unopenable} of {values} stored secrets do not open with the data keys"
        )));
    }
    println!("all {values} stored secrets open; {older} are sealed under keys older than {current}");
    Ok(())
}
