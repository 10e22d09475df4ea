//! Audit-log listings and exports: `/orgs/{orgId}/audit-logs` for members holding
//! `audit:read` (`audit:export` for exports), `/audit-logs` for platform
//! administrators.

use crate::{AUDIT_EXPORT, AUDIT_READ};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use tessera_kernel::{ApiResult, CursorPage, OrgScope, PlatformAdmin, Query};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AuditState;
use super::query::{OrgExportQuery, OrgLogsQuery, PageRequest, PlatformExportQuery, PlatformLogsQuery};
use crate::model::{EntryOut, LogFilter};
use crate::service::export::{self, ExportFormat};

pub fn routes() -> OpenApiRouter<AuditState> {
    OpenApiRouter::new()
        .routes(routes!(list_org_logs))
        .routes(routes!(export_org_logs))
        .routes(routes!(list_logs))
        .routes(routes!(export_logs))
}

/// Entries, newest first.
type EntryPageOut = CursorPage<EntryOut>;

async fn list(s: &AuditState, req: PageRequest) -> ApiResult<EntryPageOut> {
    let page = s.audit.list(&req.filter, req.cursor, req.limit).await?;
    Ok(CursorPage::new(page.entries, page.next.map(|c| c.encode()), req.limit))
}

/// Lists an organization's audit entries, newest first (needs `audit:read`).
#[utoipa::path(get, path = "/orgs/{orgId}/audit-logs", tag = "audit", operation_id = "audit.org_logs.list",
    params(("orgId" = tessera_kernel::ids::OrgId, Path, description = "The organization"), OrgLogsQuery),
    responses((status = 200, body = CursorPage<EntryOut>), (status = 401), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn list_org_logs(
    State(s): State<AuditState>,
    scope: OrgScope,
    Query(q): Query<OrgLogsQuery>,
) -> ApiResult<EntryPageOut> {
    scope.require(&s.app, AUDIT_READ).await?;
    list(&s, q.parse(scope.org_id.to_string())?).await
}

/// Lists audit entries of every organization and the platform, newest first
/// (platform administrators).
#[utoipa::path(get, path = "/audit-logs", tag = "audit", operation_id = "audit.logs.list", params(PlatformLogsQuery),
    responses((status = 200, body = CursorPage<EntryOut>), (status = 401), (status = 403), (status = 422)),
    security(("bearer" = [])))]
async fn list_logs(
    State(s): State<AuditState>,
    _admin: PlatformAdmin,
    Query(q): Query<PlatformLogsQuery>,
) -> ApiResult<EntryPageOut> {
    list(&s, q.parse()?).await
}

/// The streamed export: entries oldest first, up to the moment it started.
fn export_response(s: &AuditState, mut filter: LogFilter, format: ExportFormat, name: &str) -> Response {
    let started = s.app.clock.now_ms() + 1;
    filter.to = Some(filter.to.map_or(started, |to| to.min(started)));
    let body = Body::from_stream(export::stream(s.app.db.conn.clone(), filter, format));
    let disposition = format!("attachment; filename=\"{name}.{}\"", format.extension());
    let mut res = Response::new(body);
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Exports an organization's audit entries as JSON Lines or CSV, oldest first,
/// streamed (needs `audit:export`). In CSV, a field that starts like a
/// spreadsheet formula is prefixed with `'`.
#[utoipa::path(get, path = "/orgs/{orgId}/audit-logs/export", tag = "audit", operation_id = "audit.org_logs.export",
    params(("orgId" = tessera_kernel::ids::OrgId, Path, description = "The organization"), OrgExportQuery),
    responses(
        (status = 200, description = "The entries, one per line", content(
            (String = "application/x-ndjson"), (String = "text/csv"))),
        (status = 401), (status = 403), (status = 404), (status = 422)),
    security(("bearer" = [])))]
async fn export_org_logs(
    State(s): State<AuditState>,
    scope: OrgScope,
    Query(q): Query<OrgExportQuery>,
) -> ApiResult<Response> {
    scope.require(&s.app, AUDIT_EXPORT).await?;
    let (filter, format) = q.parse(scope.org_id.to_string())?;
    Ok(export_response(&s, filter, format, &format!("audit-{}", scope.org_id)))
}

/// Exports audit entries of every organization and the platform as JSON Lines or
/// CSV, oldest first, streamed (platform administrators).
#[utoipa::path(get, path = "/audit-logs/export", tag = "audit", operation_id = "audit.logs.export",
    params(PlatformExportQuery),
    responses(
        (status = 200, description = "The entries, one per line", content(
            (String = "application/x-ndjson"), (String = "text/csv"))),
        (status = 401), (status = 403), (status = 422)),
    security(("bearer" = [])))]
async fn export_logs(
    State(s): State<AuditState>,
    _admin: PlatformAdmin,
    Query(q): Query<PlatformExportQuery>,
) -> ApiResult<Response> {
    let (filter, format) = q.parse()?;
    let name = filter.chain.as_deref().map_or_else(|| "audit".to_owned(), |c| format!("audit-{c}"));
    Ok(export_response(&s, filter, format, &name))
}
