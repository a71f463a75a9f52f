//! The clock and the randomness the core asks its caller for.
//!
//! [`now`] reads the system clock as a [`Timestamp`]; [`entropy`] fills an [`Entropy`] from the
//! operating system's CSPRNG (`getrandom`), as every [`AuthFlow`](mcp_oauth_core::flow::AuthFlow)
//! and every restore needs a fresh seed. [`Clock`] lets a test move time forward without
//! sleeping ([`OffsetClock`]).
//!
//! ```
//! use core::time::Duration;
//! use mcp_oauth_batteries::clock::{Clock, OffsetClock, SystemClock};
//!
//! let seed = mcp_oauth_batteries::entropy()?; // 32 bytes from the OS
//! assert_eq!(format!("{seed:?}"), "Entropy([redacted])");
//!
//! let clock = OffsetClock::new();
//! let before = clock.now();
//! clock.advance(Duration::from_secs(3600)); // "an hour later", at once
//! assert!(clock.now().saturating_duration_since(before) >= Duration::from_secs(3600));
//! assert!(SystemClock.now() >= before);
//! # Ok::<(), mcp_oauth_batteries::clock::EntropyError>(())
//! ```

use core::fmt;
use core::time::Duration;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use mcp_oauth_core::{Entropy, Timestamp};

/// The current wall-clock time.
#[must_use]
pub fn now() -> Timestamp {
    Timestamp::from(SystemTime::now())
}

/// 32 bytes from the operating system's CSPRNG.
///
/// # Errors
///
/// [`EntropyError`] when the OS has no randomness to give (a broken sandbox, an early-boot
/// system). The flow must not run with predictable randomness, so there is no fallback.
pub fn entropy() -> Result<Entropy, EntropyError> {
    let mut bytes = [0u8; Entropy::LEN];
    getrandom::fill(&mut bytes).map_err(|_| EntropyError)?;
    let seed = Entropy::new(bytes);
    bytes.fill(0);
    Ok(seed)
}

/// The operating system's random number generator failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the operating system's random number generator failed")]
pub struct EntropyError;

/// A source of wall-clock time. Adapters read the time through this, so tests can move it.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The system clock ([`now`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        now()
    }
}

/// The system clock plus an offset that only grows: for tests of expiry and renewal that must
/// not sleep. Clones share the offset.
#[derive(Debug, Clone, Default)]
pub struct OffsetClock {
    offset_ms: Arc<AtomicU64>,
}

impl OffsetClock {
    /// A clock that starts at the system time.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Move this clock (and its clones) forward by `by`.
    pub fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        let _ = self
            .offset_ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |o| {
                Some(o.saturating_add(ms))
            });
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> Timestamp {
        now().saturating_add(Duration::from_millis(self.offset_ms.load(Ordering::SeqCst)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_differs_between_calls() {
        let a = entropy().unwrap();
        let b = entropy().unwrap();
        assert_ne!(a.bytes(), b.bytes());
    }

    #[test]
    fn offset_clock_advances_and_clones_share() {
        let c = OffsetClock::new();
        let d = c.clone();
        let t0 = SystemClock.now();
        d.advance(Duration::from_secs(100));
        assert!(c.now().saturating_duration_since(t0) >= Duration::from_secs(100));
        c.advance(Duration::MAX);
        assert!(c.now() >= t0);
    }
}
