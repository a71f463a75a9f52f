//! HTTP requests and responses as plain values.
//!
//! The core never performs a request. Builders (token requests, registration) and, later, the flow
//! machine return an [`HttpRequest`] for the caller to send; the caller hands back an
//! [`HttpResponse`]. Both types redact what may be secret in their `Debug` output: the body
//! (authorization codes, verifiers, refresh tokens, client secrets, access tokens) and sensitive
//! header values (`Authorization`).
//!
//! ```
//! use mcp_oauth_core::http::{HttpRequest, HttpResponse, Method};
//!
//! let request = HttpRequest::get_json("https://as.example.com/.well-known/oauth-authorization-server".into());
//! assert_eq!((request.method, request.header("accept")), (Method::Get, Some("application/json")));
//!
//! let response = HttpResponse::new(
//!     401,
//!     vec![("WWW-Authenticate".into(), br#"Bearer resource_metadata="https://rs.example/prm""#.to_vec())],
//!     br#"{"access_token":"never printed"}"#.to_vec(),
//! );
//! assert_eq!(response.header_values("www-authenticate").count(), 1);
//! assert!(!format!("{response:?}").contains("never printed"));
//! ```

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// The HTTP methods the protocol uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Method {
    /// `GET`: metadata discovery.
    Get,
    /// `POST`: token and registration requests.
    Post,
}

impl Method {
    /// The method name as it appears on the wire.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
        }
    }
}

/// A header value, marked sensitive when it carries a credential.
#[derive(Clone, PartialEq, Eq)]
pub struct HeaderValue {
    value: String,
    sensitive: bool,
}

impl HeaderValue {
    /// A value that may be logged.
    #[must_use]
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            sensitive: false,
        }
    }

    /// A value that carries a credential: redacted in `Debug`, wiped on drop.
    #[must_use]
    pub fn sensitive(value: String) -> Self {
        Self {
            value,
            sensitive: true,
        }
    }

    /// The value to put on the wire.
    ///
    /// # Security
    ///
    /// When [`HeaderValue::is_sensitive`] is true this is a live credential.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.value
    }

    /// Whether the value carries a credential.
    #[must_use]
    pub fn is_sensitive(&self) -> bool {
        self.sensitive
    }
}

impl fmt::Debug for HeaderValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.sensitive {
            f.write_str("[redacted]")
        } else {
            fmt::Debug::fmt(&self.value, f)
        }
    }
}

impl Drop for HeaderValue {
    fn drop(&mut self) {
        if self.sensitive {
            crate::secret::wipe_string(&mut self.value);
        }
    }
}

/// An HTTP request for the caller to perform.
///
/// The caller MUST send it exactly as described (method, URL, every header, body), MUST NOT
/// follow redirects for `POST` requests, and MUST NOT add credentials of its own (in particular no
/// MCP access token: checklist P-2, A-15).
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// The request method.
    pub method: Method,
    /// The absolute request URL.
    pub url: String,
    /// Header fields in order; names are lower-case.
    pub headers: Vec<(&'static str, HeaderValue)>,
    /// The request body; empty for `GET`. May contain secrets: it is redacted in `Debug` and wiped
    /// on drop.
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// A `GET` with `Accept: application/json` and no body.
    #[must_use]
    pub fn get_json(url: String) -> Self {
        Self {
            method: Method::Get,
            url,
            headers: alloc::vec![("accept", HeaderValue::new("application/json"))],
            body: Vec::new(),
        }
    }

    /// The first value of header `name` (case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &self.headers)
            .field("body", &RedactedLen(self.body.len()))
            .finish()
    }
}

impl Drop for HttpRequest {
    fn drop(&mut self) {
        crate::secret::wipe_bytes(&mut self.body);
    }
}

/// An HTTP response handed back to the core.
///
/// Header names are compared case-insensitively; values are raw bytes because a
/// `WWW-Authenticate` value may contain obs-text that is not valid UTF-8 (checklist G-19).
#[derive(Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Every header field, in order, repeated fields kept as separate entries.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The body. May contain tokens: redacted in `Debug`, wiped on drop.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A response with the given status, headers and body.
    #[must_use]
    pub fn new(status: u16, headers: Vec<(String, Vec<u8>)>, body: Vec<u8>) -> Self {
        Self {
            status,
            headers,
            body,
        }
    }

    /// Every value of header `name` (case-insensitive), in order.
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        header_values(&self.headers, name)
    }

    /// The first value of header `name` (case-insensitive), if it is valid UTF-8.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| core::str::from_utf8(v).ok())
    }

    /// Whether the `Content-Type` is JSON (`application/json` or `application/*+json`, any
    /// parameters, any case).
    #[must_use]
    pub fn is_json(&self) -> bool {
        self.header("content-type").is_some_and(|ct| {
            let essence = ct.split(';').next().unwrap_or("").trim();
            let starts = essence
                .get(..12)
                .is_some_and(|p| p.eq_ignore_ascii_case("application/"));
            let ends = essence
                .len()
                .checked_sub(5)
                .and_then(|i| essence.get(i..))
                .is_some_and(|t| t.eq_ignore_ascii_case("+json"));
            essence.eq_ignore_ascii_case("application/json")
                || (starts && ends && essence.len() > 17)
        })
    }
}

impl fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("headers", &HeaderNames(&self.headers))
            .field("body", &RedactedLen(self.body.len()))
            .finish()
    }
}

impl Drop for HttpResponse {
    fn drop(&mut self) {
        crate::secret::wipe_bytes(&mut self.body);
    }
}

fn header_values<'a>(
    headers: &'a [(String, Vec<u8>)],
    name: &'a str,
) -> impl Iterator<Item = &'a [u8]> + 'a {
    headers
        .iter()
        .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_slice())
}

struct RedactedLen(usize);

impl fmt::Debug for RedactedLen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{} bytes redacted]", self.0)
    }
}

struct HeaderNames<'a>(&'a [(String, Vec<u8>)]);

impl fmt::Debug for HeaderNames<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(n, _)| n))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;
    use alloc::vec;

    #[test]
    fn request_debug_redacts_body_and_credentials() {
        let req = HttpRequest {
            method: Method::Post,
            url: "https://as.example/token".into(),
            headers: vec![
                (
                    "authorization",
                    HeaderValue::sensitive("Basic c2VjcmV0".into()),
                ),
                (
                    "content-type",
                    HeaderValue::new("application/x-www-form-urlencoded"),
                ),
            ],
            body: b"code=SECRETCODE&code_verifier=VERIFIER".to_vec(),
        };
        let dbg = format!("{req:?}");
        assert!(
            !dbg.contains("SECRETCODE") && !dbg.contains("VERIFIER") && !dbg.contains("c2VjcmV0"),
            "{dbg}"
        );
        assert!(dbg.contains("application/x-www-form-urlencoded"));
        assert_eq!(req.header("Authorization"), Some("Basic c2VjcmV0"));
    }

    #[test]
    fn response_debug_redacts_body() {
        let resp = HttpResponse::new(
            200,
            vec![(
                "Content-Type".to_string(),
                b"application/json; charset=utf-8".to_vec(),
            )],
            br#"{"access_token":"AT-SECRET"}"#.to_vec(),
        );
        let dbg = format!("{resp:?}");
        assert!(!dbg.contains("AT-SECRET"), "{dbg}");
        assert!(resp.is_json());
    }

    #[test]
    fn json_content_types() {
        let ct = |v: &str| {
            HttpResponse::new(
                200,
                vec![("content-type".into(), v.as_bytes().to_vec())],
                vec![],
            )
        };
        assert!(ct("APPLICATION/JSON").is_json());
        assert!(ct("application/problem+json").is_json());
        assert!(!ct("text/html; charset=utf-8").is_json());
        assert!(!ct("application/x-www-form-urlencoded").is_json());
        assert!(!HttpResponse::new(200, vec![], vec![]).is_json());
        assert!(!ct("application/+json").is_json());
        assert!(!ct("applicatio\u{e9}n/json").is_json());
    }
}
