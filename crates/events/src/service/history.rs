//! Event history: an organization's relayed events, newest first, with filters
//! and cursor pages, and one event with what each consumer reports of its delivery.

use serde_json::{Map, Value};
use tessera_kernel::ids::{EventId, OrgId};
use tessera_kernel::{ApiError, ApiResult};

use super::Events;
use crate::model::event_of;
use crate::store;
use tessera_kernel::bus::Event;

pub use crate::store::log::Filter as HistoryFilter;

/// A page of events and where the next one starts.
pub struct HistoryPage {
    pub events: Vec<Event>,
    pub next: Option<i64>,
}

impl Events {
    /// `org`'s events matching `filter`, newest first.
    pub async fn list(&self, org: OrgId, filter: &HistoryFilter) -> ApiResult<HistoryPage> {
        let limit = filter.limit.clamp(1, 200);
        let rows = store::log::newest(&self.core.db.conn, org, filter, limit + 1).await?;
        let more = rows.len() as u64 > limit;
        let events: Vec<Event> = rows.into_iter().take(limit as usize).map(event_of).collect();
        let next = if more { events.last().map(|e| e.seq) } else { None };
        Ok(HistoryPage { events, next })
    }

    /// One event of `org` (relayed or still pending) with each consumer's delivery report.
    pub async fn get(&self, org: OrgId, id: EventId) -> ApiResult<(Event, Map<String, Value>)> {
        let event =
            self.find_anywhere(org, id).await?.ok_or_else(|| ApiError::not_found_as("EVENT_NOT_FOUND", "event"))?;
        let reports = self.core.bus.reports();
        let mut out = Map::new();
        for report in reports {
            out.insert(report.section().to_owned(), report.report(org, id).await?);
        }
        Ok((event, out))
    }
}
