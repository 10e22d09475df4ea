//! Field parsers more than one module takes its input through, so the same kind
//! of value is checked the same way (and answers the same error) everywhere.

use crate::error::FieldError;

/// The longest display name, in characters.
pub const NAME_MAX_CHARS: usize = 200;

/// A display name (of a person, an organization, a team): trimmed, 1–200
/// characters, no control characters.
pub fn parse_name(field: &'static str, raw: &str) -> Result<String, FieldError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > NAME_MAX_CHARS || name.chars().any(char::is_control) {
        return Err(FieldError::new(field, "INVALID_NAME", "must be 1 to 200 printable characters"));
    }
    Ok(name.to_owned())
}

/// The largest free-form JSON object a field takes (settings, metadata, preferences), serialized.
pub const JSON_OBJECT_MAX_BYTES: usize = 16 * 1024;

/// A free-form JSON object of at most 16 KiB.
pub fn parse_json_object(field: &'static str, value: serde_json::Value) -> Result<serde_json::Value, FieldError> {
    if !value.is_object() {
        return Err(FieldError::new(field, "INVALID_TYPE", "must be a JSON object"));
    }
    if value.to_string().len() > JSON_OBJECT_MAX_BYTES {
        return Err(FieldError::new(field, "TOO_LARGE", "must be at most 16 KiB"));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(parse_name("name", "  Ada Lovelace ").ok().as_deref(), Some("Ada Lovelace"));
        assert_eq!(parse_name("name", &"é".repeat(200)).map(|n| n.chars().count()).ok(), Some(200));
        for bad in ["", "   ", "line\nbreak", &"x".repeat(201)] {
            assert!(parse_name("name", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn json_fields_are_bounded_objects() {
        assert!(parse_json_object("metadata", serde_json::json!({"a": 1})).is_ok());
        assert!(parse_json_object("metadata", serde_json::json!([1])).is_err());
        let big = serde_json::json!({ "a": "x".repeat(JSON_OBJECT_MAX_BYTES) });
        assert!(parse_json_object("metadata", big).is_err());
    }
}
