//! Pagination, checked in one place: `?page=&limit=` of offset-paged lists
//! ([`PageQuery`] → [`PageReq`]) and the `limit` of cursor-paged ones
//! ([`cursor_limit`]). Out-of-range values are field errors (422), never clamped
//! silently.

use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::{ApiResult, FieldError, FieldErrors};
use crate::response::PageMeta;

/// The page size when none is asked for.
pub const DEFAULT_LIMIT: u64 = 20;
/// The largest page of an offset-paged list.
pub const MAX_LIMIT: u64 = 100;
/// The highest page number a list accepts: far past any real list, and low
/// enough that the offset it makes (`page × limit`) fits every engine's integer.
pub const MAX_PAGE: u64 = 1_000_000_000;

/// `?page=&limit=` of an offset-paged list.
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1-based page number.
    pub page: Option<u64>,
    /// Page size, 1..=100 (default 20).
    pub limit: Option<u64>,
}

impl PageQuery {
    /// The checked request; range errors are pushed onto `errors`.
    pub fn check(self, errors: &mut FieldErrors) -> PageReq {
        PageReq::check(self.page, self.limit, errors)
    }

    /// The checked request, or the 422 listing what is out of range.
    pub fn parse(self) -> ApiResult<PageReq> {
        let mut errors = FieldErrors::new();
        let req = self.check(&mut errors);
        errors.finish()?;
        Ok(req)
    }
}

/// One page of a list: 1-based `page`, `limit` rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageReq {
    pub page: u64,
    pub limit: u64,
}

impl PageReq {
    /// `page` and `limit` as a query carries them (fields of a larger query).
    pub fn check(page: Option<u64>, limit: Option<u64>, errors: &mut FieldErrors) -> Self {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            errors.push(FieldError::new("limit", "OUT_OF_RANGE", format!("must be 1..={MAX_LIMIT}")));
        }
        let page = page.unwrap_or(1);
        if !(1..=MAX_PAGE).contains(&page) {
            errors.push(FieldError::new("page", "OUT_OF_RANGE", format!("must be 1..={MAX_PAGE}")));
        }
        Self { page, limit }
    }

    /// The rows to skip.
    pub fn offset(&self) -> u64 {
        (self.page.max(1) - 1).saturating_mul(self.limit)
    }

    /// This page of a list already in memory.
    pub fn slice<T>(&self, items: Vec<T>) -> Vec<T> {
        let skip = usize::try_from(self.offset()).unwrap_or(usize::MAX);
        items.into_iter().skip(skip).take(usize::try_from(self.limit).unwrap_or(usize::MAX)).collect()
    }

    /// The `meta` of the answer, with the total the query found.
    pub fn meta(&self, total: u64) -> PageMeta {
        PageMeta { page: self.page, limit: self.limit, total }
    }
}

/// The `limit` of a cursor-paged list: `default` when absent, 1..=`max`.
pub fn cursor_limit(limit: Option<u64>, default: u64, max: u64, errors: &mut FieldErrors) -> u64 {
    let limit = limit.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        errors.push(FieldError::new("limit", "OUT_OF_RANGE", format!("must be 1..={max}")));
    }
    limit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_default_and_refuse_out_of_range_values() {
        let req = PageQuery::default().parse().unwrap();
        assert_eq!((req.page, req.limit, req.offset()), (1, 20, 0));
        let req = PageQuery { page: Some(3), limit: Some(50) }.parse().unwrap();
        assert_eq!(req.offset(), 100);
        assert_eq!(PageReq { page: 2, limit: 2 }.slice(vec![1, 2, 3, 4, 5]), vec![3, 4]);
        assert!(PageReq { page: MAX_PAGE, limit: MAX_LIMIT }.slice(vec![1]).is_empty());
        assert!(PageQuery { page: Some(0), limit: None }.parse().is_err());
        assert!(PageQuery { page: None, limit: Some(101) }.parse().is_err());
        assert!(PageQuery { page: Some(MAX_PAGE + 1), limit: None }.parse().is_err());
        assert!(PageQuery { page: Some(MAX_PAGE), limit: Some(MAX_LIMIT) }.parse().is_ok());
        let mut errors = FieldErrors::new();
        assert_eq!(cursor_limit(None, 50, 200, &mut errors), 50);
        cursor_limit(Some(201), 50, 200, &mut errors);
        assert!(errors.finish().is_err());
    }
}
