//! Bounded retry with backoff for the requests where it is safe.
//!
//! Only a `GET` (Protected Resource and authorization server metadata) is retried, and only
//! on 429, 502, 503 and 504: fetching a document twice changes nothing. A `POST` never is: a
//! token request may carry an authorization code or a rotating refresh token that the server
//! may already have consumed before it failed (checklist T-12, F-5), and a registration
//! creates a client. At most [`Limits::max_retries`] retries; the pause is the server's
//! `Retry-After` (delta-seconds, RFC 9110 §10.2.3) or, without one, an exponential backoff from
//! [`Limits::retry_backoff`]. A pause longer than [`Limits::max_retry_delay`] is not waited
//! for: the response goes to the flow, which reports a typed error (P-5, A-6).
//!
//! ```
//! use core::time::Duration;
//! use mcp_oauth_batteries::http::Limits;
//! use mcp_oauth_batteries::retry::retry_delay;
//! use mcp_oauth_core::http::Method;
//!
//! let limits = Limits::default();
//! assert_eq!(retry_delay(Method::Get, 503, Some(b"1"), 0, &limits), Some(Duration::from_secs(1)));
//! assert_eq!(retry_delay(Method::Get, 503, None, 1, &limits), Some(Duration::from_millis(400)));
//! assert_eq!(retry_delay(Method::Get, 503, None, 2, &limits), None); // budget spent
//! assert_eq!(retry_delay(Method::Post, 503, None, 0, &limits), None); // never a POST
//! assert_eq!(retry_delay(Method::Get, 500, None, 0, &limits), None); // not a transient status
//! assert_eq!(retry_delay(Method::Get, 503, Some(b"3600"), 0, &limits), None); // too long
//! ```

use core::time::Duration;

use mcp_oauth_core::http::Method;

use crate::http::Limits;

/// Statuses that say "try again later".
fn transient(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// The pause before retrying a request answered `status` (with `Retry-After` value
/// `retry_after`) after `retries_so_far` retries, or `None` when it must not be retried.
#[must_use]
pub fn retry_delay(
    method: Method,
    status: u16,
    retry_after: Option<&[u8]>,
    retries_so_far: u32,
    limits: &Limits,
) -> Option<Duration> {
    if method != Method::Get || !transient(status) || retries_so_far >= limits.max_retries {
        return None;
    }
    let delay = match retry_after.and_then(parse_delta_seconds) {
        Some(seconds) => Duration::from_secs(seconds),
        None => {
            let factor = 1u32.checked_shl(retries_so_far).unwrap_or(u32::MAX);
            limits.retry_backoff.saturating_mul(factor)
        }
    };
    (delay <= limits.max_retry_delay).then_some(delay)
}

/// `Retry-After` as delta-seconds (an HTTP-date is ignored: the backoff applies).
fn parse_delta_seconds(value: &[u8]) -> Option<u64> {
    let text = core::str::from_utf8(value).ok()?.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Longer than u64 means "very long": saturate, the cap then refuses it.
    Some(text.parse().unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_get_and_transient_statuses_are_retried() {
        let l = Limits::default();
        for status in [429, 502, 503, 504] {
            assert!(retry_delay(Method::Get, status, None, 0, &l).is_some());
            assert!(retry_delay(Method::Post, status, None, 0, &l).is_none());
        }
        for status in [200, 301, 400, 401, 404, 500, 501] {
            assert!(retry_delay(Method::Get, status, None, 0, &l).is_none());
        }
    }

    #[test]
    fn backoff_doubles_and_the_budget_is_bounded() {
        let l = Limits::default().max_retries(4);
        let delays: Vec<_> = (0..5)
            .map(|n| retry_delay(Method::Get, 503, None, n, &l))
            .collect();
        assert_eq!(
            delays,
            [
                Some(Duration::from_millis(200)),
                Some(Duration::from_millis(400)),
                Some(Duration::from_millis(800)),
                Some(Duration::from_millis(1600)),
                None
            ]
        );
        assert_eq!(
            retry_delay(Method::Get, 503, None, 0, &l.max_retries(0)),
            None
        );
        // A huge attempt count saturates instead of overflowing.
        let many = Limits::default().max_retries(u32::MAX);
        assert_eq!(retry_delay(Method::Get, 503, None, 40, &many), None);
    }

    #[test]
    fn retry_after_is_honoured_within_the_cap() {
        let l = Limits::default();
        assert_eq!(
            retry_delay(Method::Get, 429, Some(b" 2 "), 0, &l),
            Some(Duration::from_secs(2))
        );
        assert_eq!(retry_delay(Method::Get, 503, Some(b"6"), 0, &l), None);
        assert_eq!(
            retry_delay(Method::Get, 503, Some(b"99999999999999999999999"), 0, &l),
            None
        );
        // Not delta-seconds: the backoff applies.
        for v in [
            &b"Wed, 21 Oct 2015 07:28:00 GMT"[..],
            b"-1",
            b"1.5",
            b"",
            b"\xff",
        ] {
            assert_eq!(
                retry_delay(Method::Get, 503, Some(v), 0, &l),
                Some(Duration::from_millis(200))
            );
        }
    }
}
