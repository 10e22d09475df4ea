//! Exports stream as JSON Lines or CSV: the entries are read in keyset-paged
//! batches inside the response body's stream, so an export of millions of entries
//! holds one batch in memory at a time.

use std::io;

use bytes::Bytes;
use futures::Stream;
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::entity::audit_log::Model;
use crate::model::{Cursor, EntryOut, LogFilter};
use crate::store;

/// Entries read per query.
const BATCH: u64 = 500;

/// The columns of a CSV export, in order.
pub const CSV_COLUMNS: [&str; 17] = [
    "id",
    "seq",
    "createdAt",
    "orgId",
    "actorType",
    "actorId",
    "actorOwner",
    "action",
    "targetType",
    "targetId",
    "changes",
    "ip",
    "userAgent",
    "requestId",
    "erasedAt",
    "prevHash",
    "hash",
];

/// The file format of an export.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// One JSON entry per line (`application/x-ndjson`).
    #[default]
    Jsonl,
    /// RFC 4180 CSV with a header row (`text/csv`).
    Csv,
}

impl ExportFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jsonl => "application/x-ndjson",
            Self::Csv => "text/csv; charset=utf-8",
        }
    }
    pub fn extension(self) -> &'static str {
        match self {
            Self::Jsonl => "jsonl",
            Self::Csv => "csv",
        }
    }
}

enum Step {
    Header,
    After(Option<Cursor>),
    Done,
}

/// The export of the entries `filter` covers, oldest first. Pass a filter bounded
/// in time (`to`) so entries recorded meanwhile do not keep it running.
pub fn stream(
    db: DatabaseConnection,
    filter: LogFilter,
    format: ExportFormat,
) -> impl Stream<Item = Result<Bytes, io::Error>> + Send + 'static {
    let first = match format {
        ExportFormat::Csv => Step::Header,
        ExportFormat::Jsonl => Step::After(None),
    };
    futures::stream::unfold((first, db, filter), move |(step, db, filter)| async move {
        match step {
            Step::Done => None,
            Step::Header => {
                let header = format!("{}\r\n", CSV_COLUMNS.join(","));
                Some((Ok(Bytes::from(header)), (Step::After(None), db, filter)))
            }
            Step::After(after) => match store::page(&db, &filter, after, BATCH, false).await {
                Err(err) => {
                    // The status line is gone already; cutting the body short is how
                    // the client learns the export is incomplete.
                    tracing::error!(error = %err, "an audit export failed mid-way");
                    Some((Err(io::Error::other(err.to_string())), (Step::Done, db, filter)))
                }
                Ok(rows) if rows.is_empty() => None,
                Ok(rows) => {
                    let next = match rows.last() {
                        Some(last) if rows.len() as u64 == BATCH => Step::After(Some(Cursor::of(last))),
                        _ => Step::Done,
                    };
                    Some((Ok(encode(&rows, format)), (next, db, filter)))
                }
            },
        }
    })
}

/// One batch in the export's format.
fn encode(rows: &[Model], format: ExportFormat) -> Bytes {
    let mut out = String::with_capacity(rows.len() * 512);
    for row in rows {
        match format {
            ExportFormat::Jsonl => {
                if let Ok(line) = serde_json::to_string(&EntryOut::from(row.clone())) {
                    out.push_str(&line);
                    out.push('\n');
                }
            }
            ExportFormat::Csv => csv_row(row, &mut out),
        }
    }
    Bytes::from(out)
}

fn csv_row(row: &Model, out: &mut String) {
    let time = tessera_kernel::clock::rfc3339_string;
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let fields = [
        row.id.to_string(),
        row.seq.to_string(),
        time(row.created_at),
        row.org_id.map(|o| o.to_string()).unwrap_or_default(),
        row.actor_type.clone(),
        opt(&row.actor_id),
        opt(&row.actor_owner),
        row.action.clone(),
        row.target_type.clone(),
        row.target_id.clone(),
        row.changes.as_ref().map(|c| c.to_string()).unwrap_or_default(),
        opt(&row.ip),
        opt(&row.user_agent),
        opt(&row.request_id),
        row.erased_at.map(time).unwrap_or_default(),
        row.prev_hash.clone(),
        row.hash.clone(),
    ];
    for (i, field) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        csv_field(field, out);
    }
    out.push_str("\r\n");
}

/// Writes one CSV field: quoted when it holds a separator, quote or line break,
/// and, when it starts like a spreadsheet formula, prefixed with `'` so opening
/// the export never runs what a client put in a user agent or an id.
fn csv_field(raw: &str, out: &mut String) {
    let formula = raw.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quote = formula || raw.contains([',', '"', '\r', '\n']);
    if quote {
        out.push('"');
    }
    if formula {
        out.push('\'');
    }
    for c in raw.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    if quote {
        out.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::csv_field;

    fn field(raw: &str) -> String {
        let mut out = String::new();
        csv_field(raw, &mut out);
        out
    }

    #[test]
    fn csv_fields_are_quoted_escaped_and_defused() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(field(""), "");
    }
}
