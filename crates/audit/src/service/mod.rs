//! Use cases of the audit module: queries, streamed exports, chain verification,
//! retention, and its part of a user's personal data. [`Audit`] holds what they
//! share.

pub mod export;
pub mod personal;
pub mod retention;

use std::sync::Arc;

use tessera_kernel::{ApiError, Core};

use crate::chain::{self, Verification};
use crate::config::AuditConfig;
use crate::model::{Cursor, EntryOut, LogFilter};
use crate::store;

/// The audit module's services.
pub struct Audit {
    pub(crate) core: Core,
    pub(crate) cfg: AuditConfig,
}

/// One page of entries and where the next one starts.
#[derive(Debug)]
pub struct EntryPage {
    pub entries: Vec<EntryOut>,
    pub next: Option<Cursor>,
}

impl Audit {
    /// Builds the module and registers its part of personal data, last, so that
    /// the entries every other part records during an erasure are pseudonymized too.
    pub fn new(core: Core, cfg: AuditConfig) -> Arc<Self> {
        core.personal.register_last(Arc::new(personal::AuditEntries::new(&core)));
        Arc::new(Self { core, cfg })
    }

    /// The entries `filter` covers, newest first, `limit` at a time.
    #[tracing::instrument(skip_all)]
    pub async fn list(&self, filter: &LogFilter, after: Option<Cursor>, limit: u64) -> Result<EntryPage, ApiError> {
        let mut rows = store::page(&self.core.db.conn, filter, after, limit + 1, true).await?;
        let more = rows.len() as u64 > limit;
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        let next = if more { rows.last().map(Cursor::of) } else { None };
        Ok(EntryPage { entries: rows.into_iter().map(EntryOut::from).collect(), next })
    }

    /// Checks `chain` (an organization id or `platform`) from its cut to its head.
    #[tracing::instrument(skip_all)]
    pub async fn verify(&self, chain: &str) -> Result<Verification, ApiError> {
        Ok(chain::verify_snapshot(&self.core.db, chain).await?)
    }
}
