//! The one place that reads the time. Production uses the system clock; tests use a
//! manual clock they can move forward.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use time::OffsetDateTime;

/// Milliseconds since the Unix epoch, the storage form of every timestamp.
pub type Millis = i64;

/// A clock shared by the whole application.
#[derive(Clone, Debug)]
pub struct Clock {
    /// Offset in milliseconds added to the system time (tests advance it).
    offset: Arc<AtomicI64>,
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl Clock {
    /// The real time; tests move it forward with [`Clock::advance`].
    pub fn system() -> Self {
        Self { offset: Arc::new(AtomicI64::new(0)) }
    }

    /// The current time in milliseconds since the epoch.
    pub fn now_ms(&self) -> Millis {
        #[allow(clippy::disallowed_methods)] // the single sanctioned read of the wall clock
        let now = OffsetDateTime::now_utc();
        to_millis(now) + self.offset.load(Ordering::Relaxed)
    }

    /// The current time.
    pub fn now(&self) -> OffsetDateTime {
        from_millis(self.now_ms())
    }

    /// The current time in whole seconds since the epoch.
    pub fn now_secs(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: time::Duration) {
        let ms = i64::try_from(by.whole_milliseconds()).unwrap_or(i64::MAX);
        self.offset.fetch_add(ms, Ordering::Relaxed);
    }
}

/// Converts a time to storage milliseconds.
pub fn to_millis(t: OffsetDateTime) -> Millis {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// Converts storage milliseconds to a time (clamped to the representable range).
pub fn from_millis(ms: Millis) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The one form every time the API returns takes: RFC 3339 in UTC with exactly
/// three fraction digits (`2026-01-31T12:00:00.930Z`), so clients may compare
/// them as strings and always parse the same shape.
const API_TIME: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// Storage milliseconds as the API writes times (see [`API_TIME`]).
pub fn rfc3339_string(ms: Millis) -> String {
    from_millis(ms).format(API_TIME).unwrap_or_default()
}

/// Parses a query or body field holding an RFC 3339 time into storage milliseconds.
pub fn parse_time_field(field: &'static str, raw: &str) -> Result<Millis, crate::error::FieldError> {
    OffsetDateTime::parse(raw.trim(), &time::format_description::well_known::Rfc3339).map(to_millis).map_err(|_| {
        crate::error::FieldError::new(field, "INVALID", "must be an RFC 3339 time such as 2026-01-31T12:00:00Z")
    })
}

/// Serde helpers to write storage milliseconds as RFC 3339 strings in DTOs.
pub mod rfc3339 {
    use serde::Serializer;

    use super::Millis;

    pub fn serialize<S: Serializer>(ms: &Millis, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::rfc3339_string(*ms))
    }

    pub mod option {
        use serde::Serializer;

        use super::super::Millis;

        pub fn serialize<S: Serializer>(ms: &Option<Millis>, s: S) -> Result<S::Ok, S::Error> {
            match ms {
                Some(ms) => s.serialize_some(&super::super::rfc3339_string(*ms)),
                None => s.serialize_none(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_every_clone() {
        let clock = Clock::system();
        let other = clock.clone();
        let before = other.now_ms();
        clock.advance(time::Duration::days(1));
        assert!(other.now_ms() - before >= 86_400_000);
    }

    #[test]
    fn millis_round_trip() {
        let t = from_millis(1_764_000_000_123);
        assert_eq!(to_millis(t), 1_764_000_000_123);
    }

    #[test]
    fn api_times_always_carry_three_fraction_digits() {
        assert_eq!(rfc3339_string(1_764_000_000_930), "2025-11-24T16:00:00.930Z");
        assert_eq!(rfc3339_string(1_764_000_000_000), "2025-11-24T16:00:00.000Z");
        assert_eq!(rfc3339_string(1_764_000_000_007), "2025-11-24T16:00:00.007Z");
    }
}
