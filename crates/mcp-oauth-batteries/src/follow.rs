//! The pure parts of a non-interactive redirect follower.
//!
//! Some authorization servers approve without a user (test servers, pre-consented service
//! accounts) after a few redirects, setting cookies on the way. An adapter's follower fetches
//! the authorization URL without following redirects itself, and after each response asks
//! [`next_hop`] what to do: go to the next URL (with the cookies from [`CookieJar`]), or stop
//! because the redirect URI was reached; the URL it stops at is what
//! [`AuthFlow::handle_redirect`](mcp_oauth_core::flow::AuthFlow::handle_redirect) wants. The
//! follower never requests the redirect URI itself.
//!
//! ```
//! use mcp_oauth_batteries::follow::{next_hop, CookieJar, Hop};
//! use url::Url;
//!
//! let redirect_uri = Url::parse("http://127.0.0.1:8765/callback")?;
//! let mut jar = CookieJar::default();
//! let at = Url::parse("https://as.example.com/authorize?client_id=c")?;
//! jar.store(&at, b"session=abc; Path=/; HttpOnly");
//!
//! let hop = next_hop(&at, 302, Some(b"/consent"), &redirect_uri)?;
//! let Hop::Next(next) = hop else { unreachable!() };
//! assert_eq!(jar.header_for(&next).as_deref(), Some("session=abc"));
//!
//! let hop = next_hop(&next, 302, Some(b"http://127.0.0.1:8765/callback?code=x&state=y"), &redirect_uri)?;
//! assert!(matches!(hop, Hop::Reached(url) if url.ends_with("code=x&state=y")));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use url::Url;

use crate::http::is_redirect_status;

/// Redirect hops a follower takes before giving up.
pub const MAX_HOPS: usize = 16;

/// What to do after a response.
///
/// `Debug` prints [`Hop::Reached`] without its query (it holds the authorization code).
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Hop {
    /// Fetch this URL next.
    Next(Url),
    /// The redirect URI was reached: this is the full redirect URL for the flow.
    Reached(String),
}

impl core::fmt::Debug for Hop {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Next(url) => f
                .debug_tuple("Next")
                .field(&crate::http::loggable_url(url.as_str()))
                .finish(),
            Self::Reached(url) => f
                .debug_tuple("Reached")
                .field(&crate::http::loggable_url(url))
                .finish(),
        }
    }
}

/// Why following stopped without reaching the redirect URI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FollowError {
    /// A response that is not a redirect (for example a login page that needs a person).
    #[error("the authorization server answered HTTP {status} instead of redirecting")]
    NotARedirect {
        /// The status.
        status: u16,
    },
    /// A redirect without a usable `Location`.
    #[error("redirect without a valid Location")]
    BadLocation,
    /// A redirect to a scheme other than http or https.
    #[error("redirect to an unsupported scheme")]
    UnsupportedScheme,
    /// More than [`MAX_HOPS`] redirects.
    #[error("too many redirects")]
    TooManyRedirects,
    /// The HTTP request failed.
    #[error("request failed: {0}")]
    Transport(mcp_oauth_core::flow::TransportError),
}

/// Whether `url` is at the redirect URI (same scheme, host, port and path; the query is the
/// authorization response).
#[must_use]
pub fn reaches_redirect_uri(url: &Url, redirect_uri: &Url) -> bool {
    url.scheme() == redirect_uri.scheme()
        && url.host() == redirect_uri.host()
        && url.port_or_known_default() == redirect_uri.port_or_known_default()
        && url.path() == redirect_uri.path()
}

/// Decide the next step after a response to `current` with `status` and `location`.
///
/// # Errors
///
/// [`FollowError`] for a non-redirect, a bad `Location`, or a non-http(s) target.
pub fn next_hop(
    current: &Url,
    status: u16,
    location: Option<&[u8]>,
    redirect_uri: &Url,
) -> Result<Hop, FollowError> {
    if !is_redirect_status(status) {
        return Err(FollowError::NotARedirect { status });
    }
    let location = location
        .and_then(|l| core::str::from_utf8(l).ok())
        .ok_or(FollowError::BadLocation)?;
    let target = current
        .join(location.trim())
        .map_err(|_| FollowError::BadLocation)?;
    if reaches_redirect_uri(&target, redirect_uri) {
        return Ok(Hop::Reached(target.into()));
    }
    if !matches!(target.scheme(), "http" | "https") {
        return Err(FollowError::UnsupportedScheme);
    }
    Ok(Hop::Next(target))
}

/// A minimal cookie jar for a follower: host-only cookies (the `Domain` attribute is ignored,
/// which is stricter), name=value, replaced by name, `Max-Age=0` deletes. Enough for an
/// authorization server's session cookie across its own redirects; not a browser.
///
/// Cookie values are session secrets: `Debug` shows hosts and names only, and the values are
/// overwritten when the jar is dropped.
#[derive(Default, Clone)]
pub struct CookieJar {
    cookies: Vec<(String, String, String)>,
}

impl core::fmt::Debug for CookieJar {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_list()
            .entries(self.cookies.iter().map(|(h, n, _)| (h, n, "[redacted]")))
            .finish()
    }
}

impl Drop for CookieJar {
    fn drop(&mut self) {
        for (_, _, value) in &mut self.cookies {
            crate::secret::wipe(value);
        }
    }
}

impl CookieJar {
    /// Record one `Set-Cookie` field value received from `url`. Malformed values are ignored.
    pub fn store(&mut self, url: &Url, set_cookie: &[u8]) {
        let Some(host) = url.host_str() else { return };
        let Ok(text) = core::str::from_utf8(set_cookie) else {
            return;
        };
        let mut parts = text.split(';');
        let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
            return;
        };
        let (name, value) = (name.trim(), value.trim());
        if name.is_empty() || name.contains(|c: char| c.is_ascii_control() || c == ' ') {
            return;
        }
        let delete = parts.any(|a| {
            a.trim()
                .split_once('=')
                .is_some_and(|(k, v)| k.trim().eq_ignore_ascii_case("max-age") && v.trim() == "0")
        });
        self.cookies.retain(|(h, n, _)| !(h == host && n == name));
        if !delete {
            self.cookies
                .push((host.to_owned(), name.to_owned(), value.to_owned()));
        }
    }

    /// The `Cookie` header value for a request to `url`, if any cookie applies.
    #[must_use]
    pub fn header_for(&self, url: &Url) -> Option<String> {
        let host = url.host_str()?;
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .filter(|(h, _, _)| h == host)
            .map(|(_, n, v)| format!("{n}={v}"))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reached_ignores_query_but_not_port_or_path() {
        let r = Url::parse("http://127.0.0.1:8000/cb").unwrap();
        assert!(reaches_redirect_uri(
            &Url::parse("http://127.0.0.1:8000/cb?code=1").unwrap(),
            &r
        ));
        assert!(!reaches_redirect_uri(
            &Url::parse("http://127.0.0.1:8001/cb?code=1").unwrap(),
            &r
        ));
        assert!(!reaches_redirect_uri(
            &Url::parse("http://127.0.0.1:8000/cb2").unwrap(),
            &r
        ));
    }

    #[test]
    fn next_hop_errors() {
        let r = Url::parse("http://127.0.0.1:8000/cb").unwrap();
        let c = Url::parse("https://as.example/a").unwrap();
        assert_eq!(
            next_hop(&c, 200, None, &r),
            Err(FollowError::NotARedirect { status: 200 })
        );
        assert_eq!(next_hop(&c, 302, None, &r), Err(FollowError::BadLocation));
        assert_eq!(
            next_hop(&c, 302, Some(b"javascript:alert(1)"), &r),
            Err(FollowError::UnsupportedScheme)
        );
    }

    #[test]
    fn jar_replaces_deletes_and_scopes_by_host() {
        let a = Url::parse("https://a.example/").unwrap();
        let b = Url::parse("https://b.example/").unwrap();
        let mut jar = CookieJar::default();
        jar.store(&a, b"s=1; Path=/");
        jar.store(&a, b"t=2");
        jar.store(&a, b"s=3");
        jar.store(&a, b"garbage");
        assert_eq!(jar.header_for(&a).as_deref(), Some("t=2; s=3"));
        assert_eq!(jar.header_for(&b), None);
        jar.store(&a, b"t=; Max-Age=0");
        assert_eq!(jar.header_for(&a).as_deref(), Some("s=3"));
    }
}
