//! Assertions on the error envelope
//! `{"success":false,"error":{"code","message","details","requestId"}}`.

use crate::TestResponse;

/// Asserts a failure envelope with `status` and `error.code` = `code`.
#[track_caller]
pub fn assert_error(res: &TestResponse, status: u16, code: &str) {
    assert_eq!(res.status, status, "{}", res.text);
    assert_eq!(res.error_code(), code, "{}", res.text);
}

/// The field errors of a failure (`error.details.fields`), in order, as `field:CODE`.
pub fn field_codes(res: &TestResponse) -> Vec<String> {
    let fields = res.json["error"]["details"]["fields"].as_array().cloned().unwrap_or_default();
    fields
        .iter()
        .map(|f| format!("{}:{}", f["field"].as_str().unwrap_or_default(), f["code"].as_str().unwrap_or_default()))
        .collect()
}

/// The fields named by a failure's field errors, in order.
pub fn error_fields(res: &TestResponse) -> Vec<String> {
    let fields = res.json["error"]["details"]["fields"].as_array().cloned().unwrap_or_default();
    fields.iter().map(|f| f["field"].as_str().unwrap_or_default().to_owned()).collect()
}

/// Asserts a `422 VALIDATION_FAILED` whose field errors include `field` with `code`.
#[track_caller]
pub fn assert_field_error(res: &TestResponse, field: &str, code: &str) {
    assert_error(res, 422, "VALIDATION_FAILED");
    let wanted = format!("{field}:{code}");
    assert!(field_codes(res).contains(&wanted), "no {wanted} in: {}", res.text);
}
