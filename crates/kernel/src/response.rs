//! Success envelopes: `{"success":true,"data":…}`, with `meta` for pages and a
//! 201 variant for creations.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// `200 {"success":true,"data":T}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Data<T> {
    pub success: bool,
    pub data: T,
}

impl<T> Data<T> {
    pub fn new(data: T) -> Self {
        Self { success: true, data }
    }
}

impl<T: Serialize> IntoResponse for Data<T> {
    fn into_response(self) -> Response {
        Json(self).into_response()
    }
}

/// `201 {"success":true,"data":T}`.
#[derive(Debug)]
pub struct Created<T>(pub T);

impl<T: Serialize> IntoResponse for Created<T> {
    fn into_response(self) -> Response {
        (StatusCode::CREATED, Json(Data::new(self.0))).into_response()
    }
}

/// `202 {"success":true,"data":T}`: accepted, the work goes on in the background.
#[derive(Debug)]
pub struct Accepted<T>(pub T);

impl<T: Serialize> IntoResponse for Accepted<T> {
    fn into_response(self) -> Response {
        (StatusCode::ACCEPTED, Json(Data::new(self.0))).into_response()
    }
}

/// `204` with no body.
#[derive(Debug)]
pub struct NoContent;

impl IntoResponse for NoContent {
    fn into_response(self) -> Response {
        StatusCode::NO_CONTENT.into_response()
    }
}

/// Page position of a list answer.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct PageMeta {
    pub page: u64,
    pub limit: u64,
    pub total: u64,
}

/// `200 {"success":true,"data":[T],"meta":{page,limit,total}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T> {
    pub success: bool,
    pub data: Vec<T>,
    pub meta: PageMeta,
}

impl<T> Page<T> {
    pub fn new(data: Vec<T>, meta: PageMeta) -> Self {
        Self { success: true, data, meta }
    }
}

impl<T: Serialize> IntoResponse for Page<T> {
    fn into_response(self) -> Response {
        Json(self).into_response()
    }
}

/// `{"success":true,"data":{}}`-style acknowledgement for actions without a resource.
#[derive(Debug, Serialize, ToSchema)]
pub struct Done {
    pub ok: bool,
}

impl Done {
    pub fn ok() -> Data<Done> {
        Data::new(Done { ok: true })
    }
}

/// Where the next page of a cursor listing starts.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CursorMeta {
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
    pub limit: u64,
}

/// `200 {"success":true,"data":[T],"meta":{"nextCursor":…,"limit":…}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CursorPage<T> {
    pub success: bool,
    pub data: Vec<T>,
    pub meta: CursorMeta,
}

impl<T> CursorPage<T> {
    pub fn new(data: Vec<T>, next_cursor: Option<String>, limit: u64) -> Self {
        Self { success: true, data, meta: CursorMeta { next_cursor, limit } }
    }
}

impl<T: Serialize> IntoResponse for CursorPage<T> {
    fn into_response(self) -> Response {
        Json(self).into_response()
    }
}
