//! Wall-clock time as a value.
//!
//! The core never reads a clock. Every operation that needs the time takes a [`Timestamp`]
//! argument: milliseconds since the Unix epoch, supplied by the caller (an adapter reads
//! `SystemTime::now()`, a test passes constants). Wall-clock time is needed because token
//! lifetimes (`expires_in`, `client_secret_expires_at`) are wall-clock quantities.

use core::time::Duration;

/// A point in wall-clock time, in milliseconds since the Unix epoch (UTC).
///
/// ```
/// use core::time::Duration;
/// use mcp_oauth_core::Timestamp;
///
/// let now = Timestamp::from_unix_seconds(1_700_000_000);
/// let expiry = now.saturating_add(Duration::from_secs(3600));
/// assert_eq!(expiry.unix_seconds(), 1_700_003_600);
/// assert_eq!(expiry.saturating_duration_since(now), Duration::from_secs(3600));
/// ```
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct Timestamp(u64);

impl Timestamp {
    /// The Unix epoch, 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: Self = Self(0);

    /// A timestamp from milliseconds since the Unix epoch.
    #[must_use]
    pub const fn from_unix_millis(millis: u64) -> Self {
        Self(millis)
    }

    /// A timestamp from whole seconds since the Unix epoch (saturating on overflow).
    #[must_use]
    pub const fn from_unix_seconds(seconds: u64) -> Self {
        Self(seconds.saturating_mul(1000))
    }

    /// Milliseconds since the Unix epoch.
    #[must_use]
    pub const fn unix_millis(self) -> u64 {
        self.0
    }

    /// Whole seconds since the Unix epoch (rounded down).
    #[must_use]
    pub const fn unix_seconds(self) -> u64 {
        self.0 / 1000
    }

    /// `self + d`, saturating at the largest representable time.
    #[must_use]
    pub fn saturating_add(self, d: Duration) -> Self {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Self(self.0.saturating_add(ms))
    }

    /// `self - d`, saturating at the epoch.
    #[must_use]
    pub fn saturating_sub(self, d: Duration) -> Self {
        let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Self(self.0.saturating_sub(ms))
    }

    /// The time from `earlier` to `self`, or zero if `earlier` is later (clocks can go backwards).
    #[must_use]
    pub fn saturating_duration_since(self, earlier: Self) -> Duration {
        Duration::from_millis(self.0.saturating_sub(earlier.0))
    }
}

#[cfg(feature = "std")]
impl From<std::time::SystemTime> for Timestamp {
    /// Times before the epoch map to the epoch.
    fn from(t: std::time::SystemTime) -> Self {
        let d = t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        Self(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_saturates() {
        let t = Timestamp::from_unix_millis(u64::MAX - 1);
        assert_eq!(
            t.saturating_add(Duration::from_secs(10)).unix_millis(),
            u64::MAX
        );
        assert_eq!(
            Timestamp::UNIX_EPOCH.saturating_sub(Duration::from_secs(1)),
            Timestamp::UNIX_EPOCH
        );
        assert_eq!(
            Timestamp::from_unix_seconds(u64::MAX).unix_millis(),
            u64::MAX
        );
    }

    #[test]
    fn backwards_clock_gives_zero() {
        let a = Timestamp::from_unix_seconds(10);
        let b = Timestamp::from_unix_seconds(20);
        assert_eq!(a.saturating_duration_since(b), Duration::ZERO);
    }
}
