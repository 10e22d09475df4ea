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
}
