//! Transport rules every adapter applies to the core's requests and to MCP requests.
//!
//! - **Body cap** ([`Limits::body_limit`], 1 MiB): every OAuth response body is read through a
//!   [`BodyBuffer`]; a larger body is [`TransportError::TooLarge`] (checklist Z-13).
//! - **Timeouts** ([`Limits::connect_timeout`], [`Limits::total_timeout`]).
//! - **Redirects** ([`oauth_redirect_target`]): never for `POST` (token, registration: P-14,
//!   T-11); `GET` (metadata) follows only same-origin redirects, at most
//!   [`Limits::max_redirects`] hops.
//! - **Credentials never cross origins** ([`same_origin`], [`is_credential_header`]): an MCP
//!   request's `Authorization` header goes only to the origin of the MCP server URL.
//! - **Logs** ([`loggable_url`]): URLs are logged without query, fragment or user info.
//!
//! ```
//! use mcp_oauth_batteries::http::{oauth_redirect_target, same_origin, loggable_url, Limits};
//! use mcp_oauth_core::http::Method;
//! use url::Url;
//!
//! let from = Url::parse("https://as.example.com/.well-known/oauth-authorization-server")?;
//! let same = oauth_redirect_target(Method::Get, &from, 301, Some(b"/meta"), 0, &Limits::default());
//! assert_eq!(same.unwrap().as_str(), "https://as.example.com/meta");
//! // Cross-origin or POST: not followed.
//! assert!(oauth_redirect_target(Method::Get, &from, 302, Some(b"https://evil.example/"), 0, &Limits::default()).is_none());
//! assert!(oauth_redirect_target(Method::Post, &from, 307, Some(b"/token2"), 0, &Limits::default()).is_none());
//! assert!(!same_origin(&from, &Url::parse("http://as.example.com/")?));
//! assert_eq!(loggable_url("https://as.example.com/cb?code=secret#x"), "https://as.example.com/cb");
//! # Ok::<(), url::ParseError>(())
//! ```

use core::time::Duration;

use mcp_oauth_core::flow::TransportError;
use mcp_oauth_core::http::Method;
use url::Url;

/// The default cap on an OAuth response body: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1 << 20;

/// Transport limits for OAuth requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The largest response body accepted. Default 1 MiB.
    pub body_limit: usize,
    /// Time allowed to establish a connection. Default 10 s.
    pub connect_timeout: Duration,
    /// Time allowed for a whole request, body included. Default 30 s.
    pub total_timeout: Duration,
    /// Same-origin redirects followed for a `GET`. Default 5.
    pub max_redirects: usize,
    /// Retries of a `GET` (metadata) answered 429/502/503/504; never of a `POST` (token,
    /// registration). Default 2. See [`crate::retry`].
    pub max_retries: u32,
    /// The first retry's pause when the server sends no `Retry-After`; doubled per retry.
    /// Default 200 ms.
    pub retry_backoff: Duration,
    /// The longest pause before a retry; a `Retry-After` asking for more is not waited for
    /// (the response is handed to the flow). Default 5 s.
    pub max_retry_delay: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            body_limit: DEFAULT_BODY_LIMIT,
            connect_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(30),
            max_redirects: 5,
            max_retries: 2,
            retry_backoff: Duration::from_millis(200),
            max_retry_delay: Duration::from_secs(5),
        }
    }
}

impl Limits {
    /// Set the body cap.
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Set the connect timeout.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Set the total timeout.
    #[must_use]
    pub fn total_timeout(mut self, timeout: Duration) -> Self {
        self.total_timeout = timeout;
        self
    }

    /// Set how many times a `GET` answered 429/502/503/504 is retried (0: never).
    #[must_use]
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// Set the first retry pause (without `Retry-After`) and the longest pause waited.
    #[must_use]
    pub fn retry_delays(mut self, backoff: Duration, max: Duration) -> Self {
        self.retry_backoff = backoff;
        self.max_retry_delay = max;
        self
    }
}

/// Collects a response body up to a cap.
///
/// ```
/// use mcp_oauth_batteries::http::BodyBuffer;
///
/// let mut body = BodyBuffer::new(4);
/// body.push(b"abc")?;
/// assert!(body.push(b"de").is_err()); // 5 bytes > 4
/// # Ok::<(), mcp_oauth_core::flow::TransportError>(())
/// ```
#[derive(Debug)]
pub struct BodyBuffer {
    bytes: Vec<u8>,
    limit: usize,
}

impl BodyBuffer {
    /// An empty buffer accepting at most `limit` bytes.
    #[must_use]
    pub fn new(limit: usize) -> Self {
        Self {
            bytes: Vec::new(),
            limit,
        }
    }

    /// Append `chunk`.
    ///
    /// # Errors
    ///
    /// [`TransportError::TooLarge`] when the total would exceed the limit (nothing is appended).
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), TransportError> {
        let total = self
            .bytes
            .len()
            .checked_add(chunk.len())
            .ok_or(TransportError::TooLarge)?;
        if total > self.limit {
            return Err(TransportError::TooLarge);
        }
        self.bytes.extend_from_slice(chunk);
        Ok(())
    }

    /// Whether a declared `Content-Length` already exceeds the limit.
    #[must_use]
    pub fn declared_too_large(&self, content_length: Option<u64>) -> bool {
        content_length.is_some_and(|n| usize::try_from(n).map_or(true, |n| n > self.limit))
    }

    /// The collected bytes.
    #[must_use]
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// Same scheme, host and port (default ports made explicit): RFC 6454 origins.
#[must_use]
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host() == b.host()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// Whether a redirect status (301, 302, 303, 307, 308).
#[must_use]
pub fn is_redirect_status(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// Where an OAuth request should continue after a redirect response, or `None` to hand the
/// response to the flow as it is. Only `GET` requests, only same-origin targets, only while
/// `hops_so_far < limits.max_redirects`.
#[must_use]
pub fn oauth_redirect_target(
    method: Method,
    from: &Url,
    status: u16,
    location: Option<&[u8]>,
    hops_so_far: usize,
    limits: &Limits,
) -> Option<Url> {
    if method != Method::Get || !is_redirect_status(status) || hops_so_far >= limits.max_redirects {
        return None;
    }
    let location = core::str::from_utf8(location?).ok()?;
    let target = from.join(location.trim()).ok()?;
    same_origin(from, &target).then_some(target)
}

/// Header fields that carry credentials and must never be sent to another origin.
#[must_use]
pub fn is_credential_header(name: &str) -> bool {
    ["authorization", "cookie", "proxy-authorization"]
        .iter()
        .any(|n| n.eq_ignore_ascii_case(name))
}

/// `url` for logs: scheme, host, port and path; no user info, query or fragment (a redirect
/// URL's query holds the authorization code). Unparseable input gives `"<invalid url>"`.
#[must_use]
pub fn loggable_url(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) => {
            u.set_query(None);
            u.set_fragment(None);
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.into()
        }
        Err(_) => "<invalid url>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_cap_exact_and_over() {
        let mut b = BodyBuffer::new(3);
        b.push(b"ab").unwrap();
        b.push(b"c").unwrap();
        assert_eq!(b.push(b"d"), Err(TransportError::TooLarge));
        assert!(b.declared_too_large(Some(4)));
        assert!(!b.declared_too_large(Some(3)));
        assert!(!b.declared_too_large(None));
        assert_eq!(b.into_bytes(), b"abc");
    }

    #[test]
    fn redirect_rules() {
        let l = Limits::default();
        let from = Url::parse("https://a.example/x").unwrap();
        assert!(oauth_redirect_target(Method::Get, &from, 308, Some(b"/y"), 4, &l).is_some());
        assert!(oauth_redirect_target(Method::Get, &from, 308, Some(b"/y"), 5, &l).is_none());
        assert!(oauth_redirect_target(Method::Get, &from, 200, Some(b"/y"), 0, &l).is_none());
        assert!(oauth_redirect_target(Method::Get, &from, 302, None, 0, &l).is_none());
        assert!(oauth_redirect_target(Method::Get, &from, 302, Some(b"\xff"), 0, &l).is_none());
        assert!(
            oauth_redirect_target(
                Method::Get,
                &from,
                302,
                Some(b"https://a.example:444/"),
                0,
                &l
            )
            .is_none()
        );
        assert!(
            oauth_redirect_target(
                Method::Get,
                &from,
                302,
                Some(b"https://a.example:443/z"),
                0,
                &l
            )
            .is_some()
        );
    }

    #[test]
    fn credential_headers_and_log_urls() {
        assert!(is_credential_header("Authorization"));
        assert!(is_credential_header("COOKIE"));
        assert!(!is_credential_header("accept"));
        assert_eq!(
            loggable_url("http://u:p@127.0.0.1:8/cb?code=c&state=s"),
            "http://127.0.0.1:8/cb"
        );
        assert_eq!(loggable_url("not a url"), "<invalid url>");
    }
}
