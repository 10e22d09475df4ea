//! Event history: an organization's relayed events, newest first, with filters
//! and cursor pages, and one event with what each consumer reports of its delivery.

use sea_orm::sea_query::{Expr, LikeExpr};
use sea_orm::{ColumnTrait, Condition, EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Map, Value};
use tessera_kernel::db::escape_like;
use tessera_kernel::ids::{EventId, OrgId};
use tessera_kernel::{ApiError, ApiResult, Millis};

use super::Events;
use crate::entity::event_log;
use crate::model::event_of;
use tessera_kernel::bus::Event;

/// Which events to list.
#[derive(Debug, Default, Clone)]
pub struct HistoryFilter {
    /// Exact types or `prefix.*` patterns; empty: every type.
    pub types: Vec<String>,
    /// At or after (ms).
    pub from: Option<Millis>,
    /// Before (ms).
    pub to: Option<Millis>,
    /// Older than this `seq` (the previous page's cursor).
    pub before_seq: Option<i64>,
    pub limit: u64,
}

/// A page of events and where the next one starts.
pub struct HistoryPage {
    pub events: Vec<Event>,
    pub next: Option<i64>,
}

impl Events {
    /// `org`'s events matching `filter`, newest first.
    pub async fn list(&self, org: OrgId, filter: &HistoryFilter) -> ApiResult<HistoryPage> {
        let mut cond = Condition::all().add(event_log::Column::OrgId.eq(org));
        if !filter.types.is_empty() {
            let mut any = Condition::any();
            for t in &filter.types {
                any = match t.strip_suffix('*') {
                    // `_` is a LIKE wildcard and a character of event types: escape it.
                    Some(prefix) => {
                        let pattern = LikeExpr::new(format!("{}%", escape_like(prefix))).escape('\\');
                        any.add(Expr::col(event_log::Column::EventType).like(pattern))
                    }
                    None => any.add(event_log::Column::EventType.eq(t.as_str())),
                };
            }
            cond = cond.add(any);
        }
        if let Some(from) = filter.from {
            cond = cond.add(event_log::Column::OccurredAt.gte(from));
        }
        if let Some(to) = filter.to {
            cond = cond.add(event_log::Column::OccurredAt.lt(to));
        }
        if let Some(seq) = filter.before_seq {
            cond = cond.add(event_log::Column::Seq.lt(seq));
        }
        let limit = filter.limit.clamp(1, 200);
        let rows = event_log::Entity::find()
            .filter(cond)
            .order_by_desc(event_log::Column::Seq)
            .limit(limit + 1)
            .all(&self.core.db.conn)
            .await?;
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
