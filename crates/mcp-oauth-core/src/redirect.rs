//! The authorization response: the redirect back to the client (RFC 6749 §4.1.2, §4.1.2.1;
//! RFC 9207; OAuth 2.1 §4.1.2).
//!
//! Handling a redirect takes two steps:
//!
//! 1. [`AuthorizationResponse::parse`] reads the query of the redirect. It accepts a full URL
//!    (`http://127.0.0.1:8080/cb?code=…`), an HTTP request target (`/cb?code=…`), a query with a
//!    leading `?`, or the bare query. It allocates nothing: values are kept as raw spans of the
//!    input and form-decoded lazily (`+` is a space, then percent-decoding, once; checklist C-4).
//!    `code`, `state`, `iss`, `error`, `error_description` and `error_uri` may each appear only
//!    once (C-5, RFC 6749 §3.1); an empty value counts as absent (C-5); any other parameter is
//!    ignored (C-13).
//! 2. [`AuthorizationResponse::verify`] checks the response against the pending flow's
//!    [`ExpectedResponse`], in this order:
//!    1. the RFC 9207 §2.4 `iss` table (C-9): if the authorization server advertised
//!       `authorization_response_iss_parameter_supported`, `iss` must be present; whenever `iss`
//!       is present it must equal the issuer recorded for the flow, byte for byte after
//!       form-decoding, with no normalisation (C-10);
//!    2. `state` must be present and equal to the flow's [`StateToken`], compared in constant time
//!       (C-6);
//!    3. only then is an `error` response looked at and turned into a typed
//!       [`AuthorizationError`] (C-12). When step 1 or 2 fails, the response is reported as an
//!       invalid response whatever `error` it carries, and none of its text is kept (C-11);
//!    4. otherwise `code` must be present and well-formed.
//!
//!    Success is a [`VerifiedCode`], still borrowed and allocation-free; [`VerifiedCode::into_code`]
//!    turns it into the owned [`AuthorizationCode`] for the token request.
//!
//! [`check_redirect_uri`] is the configuration-time rule for the client's own redirect URI (C-1).
//!
//! ```
//! use mcp_oauth_core::Entropy;
//! use mcp_oauth_core::redirect::{
//!     AuthorizationErrorCode, AuthorizationResponse, ExpectedResponse, RedirectError,
//! };
//! use mcp_oauth_core::state::StateToken;
//!
//! let state = StateToken::new("s7JmSXoVw1q3a9dyNqLqRkFZ9Uu5cTn0yQ2cWmVHqaU").unwrap();
//! let expected = ExpectedResponse::new(&state, Some("https://as.example.com"), true);
//!
//! let good = "http://127.0.0.1:8765/callback?code=SplxlOBeZQQYbYS6WxSbIA\
//!             &state=s7JmSXoVw1q3a9dyNqLqRkFZ9Uu5cTn0yQ2cWmVHqaU\
//!             &iss=https%3A%2F%2Fas.example.com&session_state=ignored";
//! let code = AuthorizationResponse::parse(good)
//!     .and_then(|r| r.verify(&expected))
//!     .map(|v| v.into_code())
//!     .unwrap();
//! assert_eq!(code.secret(), "SplxlOBeZQQYbYS6WxSbIA");
//!
//! // A valid error response becomes a typed error.
//! let denied = "?error=access_denied&state=s7JmSXoVw1q3a9dyNqLqRkFZ9Uu5cTn0yQ2cWmVHqaU\
//!               &iss=https://as.example.com";
//! match AuthorizationResponse::parse(denied).and_then(|r| r.verify(&expected)) {
//!     Err(RedirectError::Authorization(e)) => {
//!         assert_eq!(e.code(), AuthorizationErrorCode::AccessDenied)
//!     }
//!     other => panic!("{other:?}"),
//! }
//!
//! // A forged one (wrong issuer) is only ever an invalid response.
//! let forged = "?error=access_denied&error_description=Call+555-0100\
//!               &state=s7JmSXoVw1q3a9dyNqLqRkFZ9Uu5cTn0yQ2cWmVHqaU&iss=https://evil.example";
//! let err = AuthorizationResponse::parse(forged).and_then(|r| r.verify(&expected));
//! assert_eq!(err.unwrap_err(), RedirectError::IssuerMismatch);
//! ```

use alloc::string::String;
use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};

use crate::secret::AuthorizationCode;
use crate::state::StateToken;
use crate::untrusted::CappedText;
use crate::urls::is_localhost_name;

// ---------------------------------------------------------------------------------------------
// Lazy form decoding (application/x-www-form-urlencoded, WHATWG URL §5.1)
// ---------------------------------------------------------------------------------------------

/// A raw `application/x-www-form-urlencoded` value borrowed from the input, decoded lazily.
///
/// Decoding follows the WHATWG rules also used by `url::form_urlencoded`: `+` is a space, `%XY`
/// with two hex digits is the byte `0xXY`, and a `%` not followed by two hex digits stays as is.
/// The decoded bytes need not be UTF-8.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct FormValue<'a> {
    raw: &'a str,
}

impl<'a> FormValue<'a> {
    pub(crate) const fn new(raw: &'a str) -> Self {
        Self { raw }
    }

    /// The value as it appeared in the input, still encoded.
    #[must_use]
    pub const fn raw(&self) -> &'a str {
        self.raw
    }

    /// The decoded bytes, one at a time.
    pub fn decoded_bytes(&self) -> DecodedBytes<'a> {
        DecodedBytes {
            rest: self.raw.as_bytes(),
        }
    }

    /// Whether the decoded value equals `expected` byte for byte (no normalisation).
    #[must_use]
    pub fn decoded_eq(&self, expected: &[u8]) -> bool {
        decoded_eq(self.raw.as_bytes(), expected)
    }

    /// Decode into `buf`, returning the decoded bytes, or `None` if they do not fit.
    pub fn decode_into<'b>(&self, buf: &'b mut [u8]) -> Option<&'b [u8]> {
        let mut n = 0usize;
        for b in self.decoded_bytes() {
            *buf.get_mut(n)? = b;
            n = n.checked_add(1)?;
        }
        buf.get(..n)
    }

    /// The number of decoded bytes.
    #[must_use]
    pub fn decoded_len(&self) -> usize {
        self.decoded_bytes().count()
    }
}

impl fmt::Debug for FormValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("FormValue").field(&self.raw).finish()
    }
}

impl fmt::Display for FormValue<'_> {
    /// The decoded value; byte sequences that are not UTF-8 become U+FFFD.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_lossy(self.decoded_bytes(), f)
    }
}

/// Iterator over the form-decoded bytes of a [`FormValue`].
#[derive(Debug, Clone)]
pub struct DecodedBytes<'a> {
    rest: &'a [u8],
}

#[inline]
const fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

impl Iterator for DecodedBytes<'_> {
    type Item = u8;

    #[inline]
    fn next(&mut self) -> Option<u8> {
        let (&b, tail) = self.rest.split_first()?;
        match b {
            b'+' => {
                self.rest = tail;
                Some(b' ')
            }
            b'%' => {
                if let [h, l, after @ ..] = tail
                    && let (Some(h), Some(l)) = (hex_val(*h), hex_val(*l))
                {
                    self.rest = after;
                    return Some((h << 4) | l);
                }
                self.rest = tail;
                Some(b'%')
            }
            _ => {
                self.rest = tail;
                Some(b)
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.rest.len();
        (n.div_ceil(3), Some(n))
    }
}

#[inline]
fn needs_decoding(raw: &[u8]) -> bool {
    raw.iter().any(|&b| b == b'%' || b == b'+')
}

/// Whether the form-decoding of `raw` equals `expected`.
#[inline]
pub(crate) fn decoded_eq(raw: &[u8], expected: &[u8]) -> bool {
    if !needs_decoding(raw) {
        return raw == expected;
    }
    // Each decoded byte takes 1 to 3 raw bytes.
    if expected.len() > raw.len() || expected.len().saturating_mul(3) < raw.len() {
        return false;
    }
    DecodedBytes { rest: raw }.eq(expected.iter().copied())
}

/// Write bytes as UTF-8, replacing invalid sequences with U+FFFD, without allocating.
fn write_lossy(bytes: impl Iterator<Item = u8>, out: &mut dyn fmt::Write) -> fmt::Result {
    let mut buf = [0u8; 64];
    let mut len = 0usize;
    for b in bytes {
        if len == buf.len() {
            len = flush_lossy(&mut buf, len, false, out)?;
        }
        if let Some(slot) = buf.get_mut(len) {
            *slot = b;
            len += 1;
        }
    }
    flush_lossy(&mut buf, len, true, out).map(|_| ())
}

/// Write the valid UTF-8 in `buf[..len]`; keep an incomplete trailing sequence (unless `last`)
/// at the front of `buf` and return its length.
fn flush_lossy(
    buf: &mut [u8],
    mut len: usize,
    last: bool,
    out: &mut dyn fmt::Write,
) -> Result<usize, fmt::Error> {
    let mut start = 0usize;
    loop {
        let chunk = buf.get(start..len).unwrap_or_default();
        match core::str::from_utf8(chunk) {
            Ok(s) => {
                out.write_str(s)?;
                return Ok(0);
            }
            Err(e) => {
                let valid = e.valid_up_to();
                out.write_str(
                    chunk
                        .get(..valid)
                        .and_then(|v| core::str::from_utf8(v).ok())
                        .unwrap_or_default(),
                )?;
                match e.error_len() {
                    Some(bad) => {
                        out.write_char(char::REPLACEMENT_CHARACTER)?;
                        start = start.saturating_add(valid).saturating_add(bad).min(len);
                    }
                    None if last => {
                        out.write_char(char::REPLACEMENT_CHARACTER)?;
                        return Ok(0);
                    }
                    None => {
                        let from = start.saturating_add(valid).min(len);
                        buf.copy_within(from..len, 0);
                        len -= from;
                        return Ok(len);
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Light, allocation-free URL splitting (shared with `authorize`)
// ---------------------------------------------------------------------------------------------

/// The parts of an absolute `scheme://authority/path?query#fragment` URL, as borrowed spans.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UrlParts<'a> {
    pub(crate) scheme: &'a str,
    pub(crate) has_userinfo: bool,
    /// The host, with brackets for an IPv6 literal.
    pub(crate) host: &'a str,
    pub(crate) port_ok: bool,
    pub(crate) query: Option<&'a str>,
    pub(crate) fragment: Option<&'a str>,
}

/// Why a string is not an acceptable absolute hierarchical URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UrlShape {
    /// A byte outside printable ASCII, a space or a backslash.
    BadCharacter,
    /// No `scheme:` prefix.
    NoScheme,
    /// No `//authority`.
    NoAuthority,
}

/// Length of a leading RFC 3986 scheme (`ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`) followed by
/// `:`, not counting the colon.
pub(crate) fn scheme_len(s: &[u8]) -> Option<usize> {
    let first = s.first()?;
    if !first.is_ascii_alphabetic() {
        return None;
    }
    let n = s
        .iter()
        .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')))?;
    (s.get(n) == Some(&b':')).then_some(n)
}

/// Whether every byte of `s` is printable ASCII (`0x21..=0x7E`) other than `\\`: text that every
/// URL parser reads the same way, so it still compares equal to itself byte for byte later.
pub(crate) fn is_uri_text(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
}

/// Split an absolute URL with an authority. Refuses bytes outside `0x21..=0x7E` and `\`, which
/// WHATWG parsers treat as `/` (a source of host confusion).
pub(crate) fn split_url(s: &str) -> Result<UrlParts<'_>, UrlShape> {
    let bytes = s.as_bytes();
    if !is_uri_text(s) {
        return Err(UrlShape::BadCharacter);
    }
    let scheme_end = scheme_len(bytes).ok_or(UrlShape::NoScheme)?;
    let scheme = s.get(..scheme_end).ok_or(UrlShape::NoScheme)?;
    let after = s
        .get(scheme_end.saturating_add(1)..)
        .ok_or(UrlShape::NoScheme)?;
    let after = after.strip_prefix("//").ok_or(UrlShape::NoAuthority)?;

    let (before_frag, fragment) = match after.split_once('#') {
        Some((a, f)) => (a, Some(f)),
        None => (after, None),
    };
    let (before_query, query) = match before_frag.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (before_frag, None),
    };
    let authority = before_query
        .split_once('/')
        .map_or(before_query, |(a, _)| a);
    let (has_userinfo, host_port) = match authority.rsplit_once('@') {
        Some((_, hp)) => (true, hp),
        None => (false, authority),
    };
    let (host, port) = if host_port.starts_with('[') {
        match host_port.split_once(']') {
            Some((h, rest)) => {
                let host = host_port.get(..h.len().saturating_add(1)).unwrap_or(h);
                match rest.strip_prefix(':') {
                    Some(p) => (host, Some(p)),
                    None if rest.is_empty() => (host, None),
                    // Anything else after `]` is not a port.
                    None => (host, Some(rest)),
                }
            }
            None => (host_port, None),
        }
    } else {
        match host_port.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (host_port, None),
        }
    };
    let port_ok = port.is_none_or(|p| {
        p.is_empty()
            || (p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u16>().is_ok())
    });
    Ok(UrlParts {
        scheme,
        has_userinfo,
        host,
        port_ok,
        query,
        fragment,
    })
}

/// Whether `host` (as written in a URL) is a loopback literal: `localhost` (any case), a dotted
/// IPv4 address in `127.0.0.0/8`, or the bracketed IPv6 loopback `[::1]` (also as
/// `[::ffff:127.x.y.z]`). With `subdomains`, names under `.localhost` count too.
///
/// Only the strict textual forms are recognised: `127.1` or `0x7f000001` are not loopback here,
/// so they are treated as remote hosts (the safe direction).
pub(crate) fn is_loopback_literal(host: &str, subdomains: bool) -> bool {
    if is_localhost_name(host, subdomains) {
        return true;
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.parse::<Ipv6Addr>().is_ok_and(|a| {
            a.is_loopback() || a.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        });
    }
    host.parse::<Ipv4Addr>().is_ok_and(|a| a.is_loopback())
}

// ---------------------------------------------------------------------------------------------
// Redirect URI rule (C-1)
// ---------------------------------------------------------------------------------------------

/// Why a redirect URI cannot be used by an MCP client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RedirectUriError {
    /// Not an absolute `scheme://host…` URI, or it holds spaces, control or non-ASCII characters.
    #[error("redirect URI is not an absolute URI")]
    Invalid,
    /// A scheme other than `http` or `https`, including private-use schemes such as
    /// `com.example.app:/cb` (MCP allows only loopback and https redirect URIs).
    #[error("redirect URI scheme is not http or https")]
    UnsupportedScheme,
    /// Plain `http` on a host that is not a loopback literal.
    #[error("redirect URI must be https unless it is on a loopback host")]
    InsecureScheme,
    /// No host, or a port that is not a number.
    #[error("redirect URI has no valid host")]
    InvalidHost,
    /// The URI carries `user:password@`.
    #[error("redirect URI carries user info")]
    UserInfo,
    /// The URI carries a fragment (RFC 6749 §3.1.2 forbids it).
    #[error("redirect URI carries a fragment")]
    Fragment,
}

/// Check a redirect URI against MCP's rule: `https`, or `http` on a loopback host
/// (checklist C-1; RFC 8252 §7.3, §8.3; RFC 6749 §3.1.2). No heap allocation.
///
/// Accepted loopback hosts for `http`: `localhost`, dotted IPv4 `127.0.0.0/8` (RFC 8252
/// prefers `127.0.0.1`) and `[::1]`. Names under `.localhost` are refused for `http`: a resolver
/// may not map them to loopback. Private-use URI schemes (RFC 8252 §7.1) are refused because the
/// MCP specification allows only localhost and https redirect URIs.
///
/// ```
/// use mcp_oauth_core::redirect::{RedirectUriError, check_redirect_uri};
///
/// assert!(check_redirect_uri("http://127.0.0.1:33418/callback").is_ok());
/// assert!(check_redirect_uri("https://app.example.com/oauth/cb").is_ok());
/// assert_eq!(
///     check_redirect_uri("http://example.com/cb"),
///     Err(RedirectUriError::InsecureScheme)
/// );
/// ```
///
/// # Errors
///
/// The first rule the URI breaks, as a [`RedirectUriError`].
pub fn check_redirect_uri(uri: &str) -> Result<(), RedirectUriError> {
    let (is_http, host) = redirect_uri_shape(uri)?;
    if is_http && !is_loopback_literal(host, false) {
        return Err(RedirectUriError::InsecureScheme);
    }
    Ok(())
}

/// The part of the redirect URI rule (C-1) that does not depend on which hosts count as loopback:
/// printable ASCII, an `http`/`https` scheme with an authority, no user info, a host and a
/// numeric port, no fragment. Returns whether the scheme is `http`, and the host as written.
///
/// Shared by [`check_redirect_uri`] (loopback = [`is_loopback_literal`] without subdomains) and
/// the registration metadata check (loopback = [`crate::urls::is_loopback_host`] after the `url`
/// parser's normalisation), which must refuse the same shapes. No heap allocation.
pub(crate) fn redirect_uri_shape(uri: &str) -> Result<(bool, &str), RedirectUriError> {
    let parts = match split_url(uri) {
        Ok(p) => p,
        Err(UrlShape::NoAuthority)
            if scheme_len(uri.as_bytes())
                .and_then(|n| uri.get(..n))
                .is_some_and(|s| is_http_scheme(s).is_none()) =>
        {
            return Err(RedirectUriError::UnsupportedScheme);
        }
        Err(_) => return Err(RedirectUriError::Invalid),
    };
    let is_http = is_http_scheme(parts.scheme).ok_or(RedirectUriError::UnsupportedScheme)?;
    if parts.has_userinfo {
        return Err(RedirectUriError::UserInfo);
    }
    if parts.host.is_empty() || !parts.port_ok || !host_syntax_ok(parts.host) {
        return Err(RedirectUriError::InvalidHost);
    }
    if parts.fragment.is_some() {
        return Err(RedirectUriError::Fragment);
    }
    Ok((is_http, parts.host))
}

/// Whether `host` is syntactically a host: a bracketed IPv6 literal made of hex digits, `:` and
/// `.`, or a name free of the WHATWG URL standard's forbidden host code points (`<`, `>`, `^`,
/// `|`, `[`, `]`, …), so this check refuses what the `url` parser refuses.
fn host_syntax_ok(host: &str) -> bool {
    match host.strip_prefix('[') {
        Some(rest) => rest.strip_suffix(']').is_some_and(|inner| {
            !inner.is_empty()
                && inner
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        }),
        None => host.bytes().all(|b| {
            b.is_ascii_graphic()
                && !matches!(
                    b,
                    b'#' | b'/'
                        | b':'
                        | b'<'
                        | b'>'
                        | b'?'
                        | b'@'
                        | b'['
                        | b'\\'
                        | b']'
                        | b'^'
                        | b'|'
                )
        }),
    }
}

/// `Some(true)` for `http`, `Some(false)` for `https` (any case), `None` otherwise.
pub(crate) fn is_http_scheme(scheme: &str) -> Option<bool> {
    if scheme.eq_ignore_ascii_case("https") {
        Some(false)
    } else if scheme.eq_ignore_ascii_case("http") {
        Some(true)
    } else {
        None
    }
}

// ---------------------------------------------------------------------------------------------
// Authorization response
// ---------------------------------------------------------------------------------------------

/// A response parameter this module reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Param {
    /// `code`.
    Code,
    /// `state`.
    State,
    /// `iss` (RFC 9207).
    Iss,
    /// `error`.
    Error,
    /// `error_description`.
    ErrorDescription,
    /// `error_uri`.
    ErrorUri,
}

impl Param {
    /// The parameter name on the wire.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::State => "state",
            Self::Iss => "iss",
            Self::Error => "error",
            Self::ErrorDescription => "error_description",
            Self::ErrorUri => "error_uri",
        }
    }

    const fn bit(self) -> u8 {
        1 << (self as u8)
    }

    fn from_name(name: &[u8]) -> Option<Self> {
        Some(match name {
            b"code" => Self::Code,
            b"state" => Self::State,
            b"iss" => Self::Iss,
            b"error" => Self::Error,
            b"error_description" => Self::ErrorDescription,
            b"error_uri" => Self::ErrorUri,
            _ => return None,
        })
    }

    /// Recognise a raw (still encoded) parameter name.
    fn from_raw(raw: &str) -> Option<Self> {
        let bytes = raw.as_bytes();
        if !needs_decoding(bytes) {
            return Self::from_name(bytes);
        }
        let mut buf = [0u8; 17]; // "error_description", the longest name
        let decoded = FormValue::new(raw).decode_into(&mut buf)?;
        Self::from_name(decoded)
    }
}

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The standard error codes of an authorization error response (RFC 6749 §4.1.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthorizationErrorCode {
    /// `invalid_request`: the request is missing a parameter or is malformed.
    InvalidRequest,
    /// `unauthorized_client`: the client may not use this method.
    UnauthorizedClient,
    /// `access_denied`: the resource owner or the server denied the request.
    AccessDenied,
    /// `unsupported_response_type`: the server does not support `response_type=code`.
    UnsupportedResponseType,
    /// `invalid_scope`: the requested scope is invalid, unknown or malformed.
    InvalidScope,
    /// `server_error`: the server hit an unexpected condition.
    ServerError,
    /// `temporarily_unavailable`: the server is overloaded or under maintenance.
    TemporarilyUnavailable,
    /// Any other code (for example OpenID Connect's `login_required`); see
    /// [`AuthorizationError::error`].
    Unknown,
}

impl AuthorizationErrorCode {
    fn from_value(v: FormValue<'_>) -> Self {
        const TABLE: [(&str, AuthorizationErrorCode); 7] = [
            ("invalid_request", AuthorizationErrorCode::InvalidRequest),
            (
                "unauthorized_client",
                AuthorizationErrorCode::UnauthorizedClient,
            ),
            ("access_denied", AuthorizationErrorCode::AccessDenied),
            (
                "unsupported_response_type",
                AuthorizationErrorCode::UnsupportedResponseType,
            ),
            ("invalid_scope", AuthorizationErrorCode::InvalidScope),
            ("server_error", AuthorizationErrorCode::ServerError),
            (
                "temporarily_unavailable",
                AuthorizationErrorCode::TemporarilyUnavailable,
            ),
        ];
        TABLE
            .iter()
            .find(|(name, _)| v.decoded_eq(name.as_bytes()))
            .map_or(Self::Unknown, |&(_, code)| code)
    }

    /// The wire name, or `None` for [`AuthorizationErrorCode::Unknown`].
    #[must_use]
    pub const fn as_str(self) -> Option<&'static str> {
        Some(match self {
            Self::InvalidRequest => "invalid_request",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::AccessDenied => "access_denied",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::InvalidScope => "invalid_scope",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::Unknown => return None,
        })
    }
}

/// The longest `error`, `error_description` or `error_uri` text kept, in bytes.
pub const MAX_ERROR_TEXT: usize = 1024;

/// An error response from the authorization server, after its `state` and `iss` were verified
/// (RFC 6749 §4.1.2.1; checklist C-12). No code is exchanged after it.
///
/// `Debug` and `Display` show only the [`code`](Self::code): the server-supplied texts are
/// reachable only through the accessors below.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthorizationError {
    code: AuthorizationErrorCode,
    error: String,
    description: Option<String>,
    uri: Option<String>,
}

impl AuthorizationError {
    /// The error code.
    #[must_use]
    pub const fn code(&self) -> AuthorizationErrorCode {
        self.code
    }

    /// The raw `error` value as sent.
    ///
    /// # Security
    ///
    /// Untrusted server text (useful for [`AuthorizationErrorCode::Unknown`]). Control characters
    /// are replaced with U+FFFD and the text is cut at [`MAX_ERROR_TEXT`] bytes, but it is still
    /// chosen by the server: show it as plain text only.
    #[must_use]
    pub fn error(&self) -> &str {
        &self.error
    }

    /// The `error_description` text.
    ///
    /// # Security
    ///
    /// **Untrusted, attacker-influenced text.** Even with `state` and `iss` verified, the
    /// authorization server may echo user-controlled input here. Control characters are replaced
    /// with U+FFFD and the text is cut at [`MAX_ERROR_TEXT`] bytes. Never render it as HTML or
    /// markup, never follow instructions in it, and prefer [`Self::code`] for decisions.
    #[must_use]
    pub fn untrusted_description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// The `error_uri` text.
    ///
    /// # Security
    ///
    /// **Untrusted server text**, sanitised like [`Self::untrusted_description`]. Do not open it
    /// automatically.
    #[must_use]
    pub fn untrusted_uri(&self) -> Option<&str> {
        self.uri.as_deref()
    }
}

impl fmt::Debug for AuthorizationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationError")
            .field("code", &self.code)
            .field("has_description", &self.description.is_some())
            .field("has_uri", &self.uri.is_some())
            .finish()
    }
}

impl fmt::Display for AuthorizationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code.as_str() {
            Some(name) => write!(f, "authorization server returned `{name}`"),
            None => f.write_str("authorization server returned an unknown error code"),
        }
    }
}

impl core::error::Error for AuthorizationError {}

/// Why an authorization response was not accepted.
///
/// Every variant except [`RedirectError::Authorization`] means the response is not a valid
/// answer to the pending flow; none of them carries any text from the response (C-11).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RedirectError {
    /// A response parameter appeared more than once (C-5; RFC 6749 §3.1).
    #[error("invalid authorization response: `{0}` appears more than once")]
    DuplicateParameter(Param),
    /// The server advertises `authorization_response_iss_parameter_supported` but `iss` is
    /// missing (RFC 9207 §2.4; C-9).
    #[error("invalid authorization response: `iss` is missing")]
    MissingIssuer,
    /// `iss` differs from the issuer recorded for the flow (RFC 9207 §2.4; C-9, C-10), or `iss`
    /// was sent while the flow has no recorded issuer.
    #[error("invalid authorization response: `iss` does not match the expected issuer")]
    IssuerMismatch,
    /// `state` is missing or empty (C-6).
    #[error("invalid authorization response: `state` is missing")]
    MissingState,
    /// `state` differs from the flow's value (C-6).
    #[error("invalid authorization response: `state` does not match")]
    StateMismatch,
    /// Neither `code` nor `error` is present.
    #[error("invalid authorization response: `code` is missing")]
    MissingCode,
    /// `code` holds characters outside `%x20-7E` (RFC 6749 Appendix A.11).
    #[error("invalid authorization response: `code` is malformed")]
    InvalidCode,
    /// The server answered with a verified error response (C-12).
    #[error(transparent)]
    Authorization(AuthorizationError),
}

/// What the pending flow expects of the response: its `state`, the issuer recorded from the
/// validated authorization-server metadata (C-8), and whether that metadata advertised
/// `authorization_response_iss_parameter_supported` (RFC 9207 §3).
#[derive(Debug, Clone, Copy)]
pub struct ExpectedResponse<'a> {
    state: &'a StateToken,
    issuer: Option<&'a str>,
    iss_parameter_supported: bool,
}

impl<'a> ExpectedResponse<'a> {
    /// The expectations of one pending flow.
    ///
    /// `issuer` is the `issuer` of the validated authorization-server metadata, compared byte for
    /// byte (C-10). It is `None` only when no metadata exists (the legacy 2025-03-26 fallback);
    /// then any `iss` in the response is refused, since it cannot be checked.
    /// `iss_parameter_supported` is the metadata flag, `false` when absent.
    #[must_use]
    pub const fn new(
        state: &'a StateToken,
        issuer: Option<&'a str>,
        iss_parameter_supported: bool,
    ) -> Self {
        Self {
            state,
            issuer,
            iss_parameter_supported,
        }
    }
}

/// The parameters of an authorization response, borrowed from the redirect. See the
/// [module docs](self).
///
/// `Debug` shows which parameters are present, never their values.
#[derive(Clone, Copy, Default)]
pub struct AuthorizationResponse<'a> {
    code: Option<FormValue<'a>>,
    state: Option<FormValue<'a>>,
    iss: Option<FormValue<'a>>,
    error: Option<FormValue<'a>>,
    error_description: Option<FormValue<'a>>,
    error_uri: Option<FormValue<'a>>,
}

impl fmt::Debug for AuthorizationResponse<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationResponse")
            .field("code", &self.code.is_some())
            .field("state", &self.state.is_some())
            .field("iss", &self.iss.is_some())
            .field("error", &self.error.is_some())
            .field("error_description", &self.error_description.is_some())
            .field("error_uri", &self.error_uri.is_some())
            .finish()
    }
}

/// The query part of a redirect given as a full URL, a request target, `?query` or a bare query.
/// Anything from `#` on is dropped.
fn query_of(input: &str) -> &str {
    let s = input.split_once('#').map_or(input, |(a, _)| a);
    if let Some(q) = s.strip_prefix('?') {
        return q;
    }
    if s.starts_with('/') || scheme_len(s.as_bytes()).is_some() {
        return s.split_once('?').map_or("", |(_, q)| q);
    }
    s
}

impl<'a> AuthorizationResponse<'a> {
    /// Read the response parameters from a redirect. No heap allocation.
    ///
    /// `input` may be the full redirect URL, the HTTP request target (`/callback?…`), `?query` or
    /// the bare query string.
    ///
    /// # Errors
    ///
    /// [`RedirectError::DuplicateParameter`] when one of the six parameters read here appears
    /// more than once (empty occurrences count).
    pub fn parse(input: &'a str) -> Result<Self, RedirectError> {
        let mut out = Self::default();
        let mut seen = 0u8;
        for pair in query_of(input).split('&') {
            if pair.is_empty() {
                continue;
            }
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let Some(param) = Param::from_raw(name) else {
                continue; // C-13
            };
            if seen & param.bit() != 0 {
                return Err(RedirectError::DuplicateParameter(param));
            }
            seen |= param.bit();
            let value = (!value.is_empty()).then_some(FormValue::new(value)); // C-5
            match param {
                Param::Code => out.code = value,
                Param::State => out.state = value,
                Param::Iss => out.iss = value,
                Param::Error => out.error = value,
                Param::ErrorDescription => out.error_description = value,
                Param::ErrorUri => out.error_uri = value,
            }
        }
        Ok(out)
    }

    /// The raw `state`, for finding the pending flow this response belongs to (C-7).
    #[must_use]
    pub const fn state(&self) -> Option<FormValue<'a>> {
        self.state
    }

    /// The raw `iss`, if present.
    #[must_use]
    pub const fn iss(&self) -> Option<FormValue<'a>> {
        self.iss
    }

    /// Whether the response carries an `error` (its content is available only after
    /// [`Self::verify`], C-11).
    #[must_use]
    pub const fn is_error(&self) -> bool {
        self.error.is_some()
    }

    /// Whether the response carries a `code`.
    #[must_use]
    pub const fn has_code(&self) -> bool {
        self.code.is_some()
    }

    /// Verify the response against the pending flow. No heap allocation on success or on any
    /// invalid-response error; a verified error response allocates its texts. See the
    /// [module docs](self) for the order of checks.
    ///
    /// # Errors
    ///
    /// A [`RedirectError`]; only [`RedirectError::Authorization`] comes from a response that
    /// passed the `iss` and `state` checks.
    pub fn verify(
        &self,
        expected: &ExpectedResponse<'_>,
    ) -> Result<VerifiedCode<'a>, RedirectError> {
        // RFC 9207 §2.4, before anything else (C-9, C-10).
        match (self.iss, expected.iss_parameter_supported) {
            (Some(iss), _) => {
                let matches = expected
                    .issuer
                    .is_some_and(|want| iss.decoded_eq(want.as_bytes()));
                if !matches {
                    return Err(RedirectError::IssuerMismatch);
                }
            }
            (None, true) => return Err(RedirectError::MissingIssuer),
            (None, false) => {}
        }
        // state (C-6).
        let state = self.state.ok_or(RedirectError::MissingState)?;
        let mut buf = [0u8; StateToken::MAX_LEN];
        let ok = state
            .decode_into(&mut buf)
            .is_some_and(|got| expected.state.verify_bytes(got));
        crate::secret::wipe_slice(&mut buf);
        if !ok {
            return Err(RedirectError::StateMismatch);
        }
        // Only now may an error response be acted upon (C-11, C-12).
        if let Some(error) = self.error {
            return Err(RedirectError::Authorization(AuthorizationError {
                code: AuthorizationErrorCode::from_value(error),
                error: sanitized(error),
                description: self.error_description.map(sanitized),
                uri: self.error_uri.map(sanitized),
            }));
        }
        let code = self.code.ok_or(RedirectError::MissingCode)?;
        let mut len = 0usize;
        for b in code.decoded_bytes() {
            if !(0x20..=0x7e).contains(&b) {
                return Err(RedirectError::InvalidCode);
            }
            len = len.saturating_add(1);
        }
        Ok(VerifiedCode { raw: code, len })
    }

    /// [`Self::verify`] followed by [`VerifiedCode::into_code`].
    ///
    /// # Errors
    ///
    /// As [`Self::verify`].
    pub fn into_code(
        self,
        expected: &ExpectedResponse<'_>,
    ) -> Result<AuthorizationCode, RedirectError> {
        self.verify(expected).map(VerifiedCode::into_code)
    }
}

/// Decode `v`, replace control characters with U+FFFD and cut at [`MAX_ERROR_TEXT`] bytes.
fn sanitized(v: FormValue<'_>) -> String {
    let mut out = String::with_capacity(v.raw().len().min(MAX_ERROR_TEXT));
    let mut sink = CappedText::new(&mut out, MAX_ERROR_TEXT);
    // An `Err` only means the text reached MAX_ERROR_TEXT; what fits is kept.
    let _ = write_lossy(v.decoded_bytes(), &mut sink);
    out
}

/// A `code` from a response that passed [`AuthorizationResponse::verify`]. Still borrowed from
/// the redirect; `Debug` is redacted.
pub struct VerifiedCode<'a> {
    raw: FormValue<'a>,
    /// Decoded length, counted during verification.
    len: usize,
}

impl VerifiedCode<'_> {
    /// The decoded code as the owned secret for the token request. Allocates once.
    #[must_use]
    pub fn into_code(self) -> AuthorizationCode {
        let mut s = String::with_capacity(self.len);
        // `verify` checked that every decoded byte is printable ASCII, so each byte is a char.
        s.extend(self.raw.decoded_bytes().map(char::from));
        AuthorizationCode::new(s)
    }

    /// Whether the decoded code equals `expected` (for tests and replay detection).
    #[must_use]
    pub fn decoded_eq(&self, expected: &str) -> bool {
        self.raw.decoded_eq(expected.as_bytes())
    }
}

impl fmt::Debug for VerifiedCode<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VerifiedCode([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    const STATE: &str = "s7JmSXoVw1q3a9dyNqLqRkFZ9Uu5cTn0yQ2cWmVHqaU";
    const ISSUER: &str = "https://as.example.com";

    fn state() -> StateToken {
        StateToken::new(STATE).unwrap()
    }

    fn run(input: &str, issuer: Option<&str>, advertised: bool) -> Result<String, RedirectError> {
        let st = state();
        let exp = ExpectedResponse::new(&st, issuer, advertised);
        AuthorizationResponse::parse(input)
            .and_then(|r| r.into_code(&exp))
            .map(|c| c.secret().to_string())
    }

    #[test]
    fn decodes_form_encoding_once_c4() {
        let v = FormValue::new("https%3A%2F%2Fas.example");
        assert!(v.decoded_eq(b"https://as.example"));
        assert_eq!(v.to_string(), "https://as.example");
        assert_eq!(FormValue::new("a+b%2Bc").to_string(), "a b+c");
        // Decoded once: %2541 is "%41", not "A".
        assert_eq!(FormValue::new("%2541").to_string(), "%41");
        // Bad escapes stay literal.
        assert_eq!(FormValue::new("%zz%4").to_string(), "%zz%4");
        assert_eq!(FormValue::new("%FF%C3%A9").to_string(), "\u{fffd}\u{e9}");
    }

    #[test]
    fn lossy_across_chunk_boundary() {
        // A two-byte character split over the 64-byte internal buffer boundary.
        let mut raw = "a".repeat(63);
        raw.push_str("%C3%A9z%C3");
        assert_eq!(
            FormValue::new(&raw).to_string(),
            alloc::format!("{}\u{e9}z\u{fffd}", "a".repeat(63))
        );
    }

    #[test]
    fn duplicates_rejected_empty_is_absent_c5() {
        assert_eq!(
            AuthorizationResponse::parse("?code=a&code=b").unwrap_err(),
            RedirectError::DuplicateParameter(Param::Code)
        );
        assert_eq!(
            AuthorizationResponse::parse("state=&st%61te=x").unwrap_err(),
            RedirectError::DuplicateParameter(Param::State)
        );
        assert_eq!(
            AuthorizationResponse::parse("iss=a&iss=a").unwrap_err(),
            RedirectError::DuplicateParameter(Param::Iss)
        );
        assert_eq!(
            run("?code=c&state=", None, false),
            Err(RedirectError::MissingState)
        );
        assert_eq!(
            run(&alloc::format!("?code=&state={STATE}"), None, false),
            Err(RedirectError::MissingCode)
        );
    }

    #[test]
    fn state_checked_c6() {
        assert_eq!(
            run("?code=c", None, false),
            Err(RedirectError::MissingState)
        );
        assert_eq!(
            run("?code=c&state=other", None, false),
            Err(RedirectError::StateMismatch)
        );
        assert_eq!(
            run(&alloc::format!("?code=c&state={STATE}"), None, false).unwrap(),
            "c"
        );
    }

    #[test]
    fn rfc9207_table_c9() {
        let ok = |iss: &str| alloc::format!("?code=c&state={STATE}{iss}");
        // advertised + present → compare
        assert_eq!(
            run(&ok("&iss=https%3A%2F%2Fas.example.com"), Some(ISSUER), true).unwrap(),
            "c"
        );
        assert_eq!(
            run(&ok("&iss=https://evil.example.com"), Some(ISSUER), true),
            Err(RedirectError::IssuerMismatch)
        );
        // advertised + absent → reject
        assert_eq!(
            run(&ok(""), Some(ISSUER), true),
            Err(RedirectError::MissingIssuer)
        );
        // not advertised + present → compare
        assert_eq!(
            run(&ok("&iss=https://evil.example.com"), Some(ISSUER), false),
            Err(RedirectError::IssuerMismatch)
        );
        assert_eq!(
            run(&ok("&iss=https://as.example.com"), Some(ISSUER), false).unwrap(),
            "c"
        );
        // neither → proceed
        assert_eq!(run(&ok(""), Some(ISSUER), false).unwrap(), "c");
        // no recorded issuer + present → cannot compare → reject
        assert_eq!(
            run(&ok("&iss=https://as.example.com"), None, false),
            Err(RedirectError::IssuerMismatch)
        );
    }

    #[test]
    fn no_issuer_normalisation_c10() {
        for bad in [
            "https://as.example.com/",
            "HTTPS://as.example.com",
            "https://AS.example.com",
            "https://as.example.com:443",
            "https%3A%2F%2Fas.example.com%2F",
        ] {
            let q = alloc::format!("?code=c&state={STATE}&iss={bad}");
            assert_eq!(
                run(&q, Some(ISSUER), true),
                Err(RedirectError::IssuerMismatch),
                "{bad}"
            );
        }
    }

    #[test]
    fn error_needs_valid_state_and_iss_c11_c12() {
        let forged = alloc::format!(
            "?error=access_denied&error_description=Call+555&state={STATE}&iss=https://evil"
        );
        let err = run(&forged, Some(ISSUER), false).unwrap_err();
        assert_eq!(err, RedirectError::IssuerMismatch);
        assert!(!err.to_string().contains("555"));
        let no_state = "?error=access_denied&error_description=Call+555";
        assert_eq!(run(no_state, None, false), Err(RedirectError::MissingState));

        let valid = alloc::format!("?error=access_denied&state={STATE}");
        match run(&valid, None, false) {
            Err(RedirectError::Authorization(e)) => {
                assert_eq!(e.code(), AuthorizationErrorCode::AccessDenied);
                assert_eq!(e.error(), "access_denied");
                assert_eq!(e.untrusted_description(), None);
            }
            other => panic!("{other:?}"),
        }
        let unknown = alloc::format!(
            "?error=login_required&error_description=a%0Ab%1B[31m&state={STATE}&code=c"
        );
        match run(&unknown, None, false) {
            Err(RedirectError::Authorization(e)) => {
                assert_eq!(e.code(), AuthorizationErrorCode::Unknown);
                assert_eq!(e.error(), "login_required");
                assert_eq!(e.untrusted_description(), Some("a b\u{fffd}[31m"));
                assert!(!alloc::format!("{e:?}{e}").contains("[31m"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unknown_params_ignored_c13() {
        let q = alloc::format!("?session_state=x&code=c&&=&foo&state={STATE}&scope=a+b");
        assert_eq!(run(&q, None, false).unwrap(), "c");
    }

    #[test]
    fn input_forms() {
        for input in [
            alloc::format!("http://127.0.0.1:1/cb?code=c&state={STATE}"),
            alloc::format!("http://127.0.0.1:1/cb?code=c&state={STATE}#frag"),
            alloc::format!("/cb?code=c&state={STATE}"),
            alloc::format!("?code=c&state={STATE}"),
            alloc::format!("code=c&state={STATE}"),
        ] {
            assert_eq!(run(&input, None, false).unwrap(), "c", "{input}");
        }
        assert_eq!(
            run("http://127.0.0.1/cb", None, false),
            Err(RedirectError::MissingState)
        );
    }

    #[test]
    fn code_is_decoded_and_checked() {
        assert_eq!(
            run(&alloc::format!("code=a%2Bb+c&state={STATE}"), None, false).unwrap(),
            "a+b c"
        );
        assert_eq!(
            run(&alloc::format!("code=a%0Ab&state={STATE}"), None, false),
            Err(RedirectError::InvalidCode)
        );
        assert_eq!(
            run(&alloc::format!("code=%C3%A9&state={STATE}"), None, false),
            Err(RedirectError::InvalidCode)
        );
    }

    #[test]
    fn redirect_uri_rule_c1() {
        for ok in [
            "http://localhost/cb",
            "http://localhost:8080/cb",
            "http://LOCALHOST:8080/cb",
            "http://127.0.0.1:33418/callback",
            "http://127.5.6.7/cb",
            "http://[::1]:9000/cb",
            "https://app.example.com/cb",
            "https://app.example.com/cb?x=1",
        ] {
            assert_eq!(check_redirect_uri(ok), Ok(()), "{ok}");
        }
        for (bad, why) in [
            ("http://example.com/cb", RedirectUriError::InsecureScheme),
            (
                "http://localhost.evil.com/cb",
                RedirectUriError::InsecureScheme,
            ),
            ("http://app.localhost/cb", RedirectUriError::InsecureScheme),
            ("http://127.1/cb", RedirectUriError::InsecureScheme),
            ("http://[::2]/cb", RedirectUriError::InsecureScheme),
            ("com.example.app:/cb", RedirectUriError::UnsupportedScheme),
            ("myapp://cb", RedirectUriError::UnsupportedScheme),
            ("javascript:alert(1)", RedirectUriError::UnsupportedScheme),
            ("https://app.example.com/cb#x", RedirectUriError::Fragment),
            ("http://u:p@127.0.0.1/cb", RedirectUriError::UserInfo),
            ("http://evil.com\\@127.0.0.1/cb", RedirectUriError::Invalid),
            ("https:///cb", RedirectUriError::InvalidHost),
            ("http://127.0.0.1:99999/cb", RedirectUriError::InvalidHost),
            ("http://127.0.0.1:x/cb", RedirectUriError::InvalidHost),
            ("https://a<b/cb", RedirectUriError::InvalidHost),
            ("https://a|b.example/cb", RedirectUriError::InvalidHost),
            ("https://[::1/cb", RedirectUriError::InvalidHost),
            ("https://[]/cb", RedirectUriError::InvalidHost),
            ("/cb", RedirectUriError::Invalid),
            ("http://127.0.0.1/c b", RedirectUriError::Invalid),
            ("", RedirectUriError::Invalid),
        ] {
            assert_eq!(check_redirect_uri(bad), Err(why), "{bad}");
        }
    }

    #[test]
    fn debug_hides_values() {
        let r = AuthorizationResponse::parse("code=secret-code&state=st&error_description=boo")
            .unwrap();
        let d = alloc::format!("{r:?}");
        assert!(!d.contains("secret-code") && !d.contains("boo"), "{d}");
    }
}
