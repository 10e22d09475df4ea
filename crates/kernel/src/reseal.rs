//! Re-sealing stored secrets under the current data key, and proving they all
//! open. Each module names the columns it seals ([`crate::Module::SEALED`]);
//! `tessera keys rotate-data` adds a key and calls [`reseal`] over all of them
//! while the nodes keep serving, `tessera keys verify-data` calls [`verify`].
//!
//! Values are walked in pages by their own order (a sealed string) or by the
//! row's key (a JSON object of sealed values), and each is replaced only if it
//! is still what was read (`… WHERE column = old`), so a value a node changes
//! meanwhile is never overwritten with a stale one.

use std::collections::BTreeMap;

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr};
use serde::Serialize;
use serde_json::Value;

use crate::keyring::Keyring;

/// Rows read at once.
const PAGE: u64 = 200;

/// Where a module keeps sealed values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SealedColumn {
    pub table: &'static str,
    pub column: &'static str,
    /// The purpose the values were sealed for ([`Keyring::seal`]).
    pub purpose: &'static str,
    pub form: SealedForm,
}

/// How a column holds its sealed values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SealedForm {
    /// One sealed string (or NULL).
    Text,
    /// A JSON object whose string values are each sealed (custom headers); `key`
    /// is the table's UUID primary key.
    JsonValues { key: &'static str },
}

/// What one column holds, by key id.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ColumnReport {
    pub table: &'static str,
    pub column: &'static str,
    /// Sealed values seen.
    pub values: u64,
    /// Values re-sealed under the current key by this run.
    pub resealed: u64,
    /// Values that do not open with any key this node holds.
    pub unopenable: u64,
    /// Values by the key id they name (after this run).
    pub by_key: BTreeMap<String, u64>,
}

impl ColumnReport {
    fn new(column: &SealedColumn) -> Self {
        Self { table: column.table, column: column.column, ..Self::default() }
    }

    fn saw(&mut self, kid: Option<&str>, opens: bool) {
        self.values += 1;
        *self.by_key.entry(kid.unwrap_or("(malformed)").to_owned()).or_default() += 1;
        self.unopenable += u64::from(!opens);
    }
}

/// Re-seals every value of `columns` not sealed under the current key; calls
/// `progress` after each page. Values that do not open are counted and left.
pub async fn reseal<C: ConnectionTrait>(
    db: &C,
    keyring: &Keyring,
    columns: &[SealedColumn],
    mut progress: impl FnMut(&ColumnReport),
) -> Result<Vec<ColumnReport>, DbErr> {
    let mut reports = Vec::new();
    for column in columns {
        let mut report = ColumnReport::new(column);
        walk(db, column, &mut report, &mut progress, |value, report| {
            let Some(kid) = Keyring::kid_of(value) else {
                report.saw(None, false);
                return None;
            };
            if kid == keyring.current() {
                report.saw(Some(kid), true);
                return None;
            }
            match keyring.reseal(column.purpose, value) {
                Ok(new) => Some(new),
                Err(_) => {
                    report.saw(Some(kid), false);
                    None
                }
            }
        })
        .await?;
        reports.push(report);
    }
    Ok(reports)
}

/// Opens every value of `columns` and counts them by key id.
pub async fn verify<C: ConnectionTrait>(
    db: &C,
    keyring: &Keyring,
    columns: &[SealedColumn],
) -> Result<Vec<ColumnReport>, DbErr> {
    let mut reports = Vec::new();
    for column in columns {
        let mut report = ColumnReport::new(column);
        walk(db, column, &mut report, &mut |_| {}, |value, report| {
            report.saw(Keyring::kid_of(value), keyring.open(column.purpose, value).is_ok());
            None
        })
        .await?;
        reports.push(report);
    }
    Ok(reports)
}

/// Visits each sealed value of `column`; a `Some` from `visit` replaces it (and
/// is counted as re-sealed under the current key once stored).
async fn walk<C: ConnectionTrait>(
    db: &C,
    column: &SealedColumn,
    report: &mut ColumnReport,
    progress: &mut impl FnMut(&ColumnReport),
    mut visit: impl FnMut(&str, &mut ColumnReport) -> Option<String>,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let (table, col) = (Alias::new(column.table), Alias::new(column.column));
    match column.form {
        SealedForm::Text => {
            let mut after: Option<String> = None;
            loop {
                let mut page = Query::select();
                page.column(col.clone())
                    .from(table.clone())
                    .and_where(Expr::col(col.clone()).is_not_null())
                    .order_by(col.clone(), Order::Asc)
                    .limit(PAGE);
                if let Some(after) = &after {
                    page.and_where(Expr::col(col.clone()).gt(after.clone()));
                }
                let rows = db.query_all(&page).await?;
                if rows.is_empty() {
                    return Ok(());
                }
                for row in rows {
                    let old: String = row.try_get_by_index(0)?;
                    if let Some(new) = visit(&old, report) {
                        let mut update = Query::update();
                        update
                            .table(table.clone())
                            .value(col.clone(), new.clone())
                            .and_where(Expr::col(col.clone()).eq(old.clone()));
                        let stored = db.execute(&update).await?.rows_affected() > 0;
                        count_replaced(report, stored, &new, &old);
                    }
                    after = Some(old);
                }
                progress(report);
            }
        }
        SealedForm::JsonValues { key } => {
            let key = Alias::new(key);
            let text = |e: Expr| e.cast_as(Alias::new(text_type(backend)));
            let mut after: Option<uuid::Uuid> = None;
            loop {
                let mut page = Query::select();
                page.column(key.clone())
                    .expr(text(Expr::col(col.clone())))
                    .from(table.clone())
                    .and_where(Expr::col(col.clone()).is_not_null())
                    .order_by(key.clone(), Order::Asc)
                    .limit(PAGE);
                if let Some(after) = after {
                    page.and_where(Expr::col(key.clone()).gt(after));
                }
                let rows = db.query_all(&page).await?;
                if rows.is_empty() {
                    return Ok(());
                }
                for row in rows {
                    let id: uuid::Uuid = row.try_get_by_index(0)?;
                    let old: String = row.try_get_by_index(1)?;
                    after = Some(id);
                    let Ok(Value::Object(mut object)) = serde_json::from_str::<Value>(&old) else { continue };
                    let mut replaced = Vec::new();
                    for value in object.values_mut() {
                        let Some(sealed) = value.as_str() else { continue };
                        if let Some(new) = visit(sealed, report) {
                            replaced.push((new.clone(), sealed.to_owned()));
                            *value = Value::String(new);
                        }
                    }
                    if !replaced.is_empty() {
                        let new = Value::Object(object);
                        let mut update = Query::update();
                        update
                            .table(table.clone())
                            .value(col.clone(), new.clone())
                            .and_where(Expr::col(key.clone()).eq(id))
                            .and_where(text(Expr::col(col.clone())).eq(old.clone()));
                        let stored = db.execute(&update).await?.rows_affected() > 0;
                        for (new, old) in &replaced {
                            count_replaced(report, stored, new, old);
                        }
                    }
                }
                progress(report);
            }
        }
    }
}

/// Counts a value `visit` replaced: under its new key when stored; when the row
/// changed meanwhile, the node that changed it sealed it anew (under the key it
/// holds), and the next run or `verify` sees it.
fn count_replaced(report: &mut ColumnReport, stored: bool, new: &str, old: &str) {
    if !stored {
        return;
    }
    let kid = Keyring::kid_of(new);
    if kid != Keyring::kid_of(old) {
        report.resealed += 1;
    }
    report.saw(kid, true);
}

/// The SQL type a JSON column is read as text through.
fn text_type(backend: DatabaseBackend) -> &'static str {
    match backend {
        DatabaseBackend::MySql => "CHAR",
        _ => "TEXT",
    }
}
