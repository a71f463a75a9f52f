//! The authorization request URL (RFC 6749 §4.1.1, §3.1; RFC 7636 §4.3; RFC 8707 §2;
//! OAuth 2.1 §4.1.1).
//!
//! [`AuthorizationRequest`] starts from the metadata `authorization_endpoint`, keeps any query
//! it already has, and adds each parameter exactly once (checklist Q-1, Q-2):
//!
//! | Parameter | Value |
//! |---|---|
//! | `response_type` | `code` |
//! | `client_id` | the client identifier |
//! | `redirect_uri` | the registered string, byte for byte (Q-3), checked against C-1 |
//! | `scope` | space-separated tokens; **omitted** when the set is empty, never `scope=` (Q-7) |
//! | `state` | the flow's [`StateToken`] (Q-8) |
//! | `code_challenge`, `code_challenge_method` | the S256 [`CodeChallenge`] and `S256` (K-6) |
//! | `resource` | the canonical MCP server URI, exactly as given (Q-4, Q-6) |
//! | extra parameters | caller-supplied, e.g. Google's `access_type=offline`, `prompt=consent` |
//!
//! Every name and value is form-encoded (`application/x-www-form-urlencoded`). In particular
//! `resource` is never parsed into a URL type, so `https://mcp.example.com` is sent as
//! `https%3A%2F%2Fmcp.example.com`, without the `/` that `url::Url` would add (Q-6).
//!
//! Collisions are errors, never duplicate keys: an extra parameter, or a key already in the
//! endpoint's query, that names one of the parameters above is refused, as are two extra
//! parameters with the same name. Credentials cannot be added at all: `client_secret`,
//! `client_assertion`, `client_assertion_type`, `code_verifier`, `access_token`,
//! `refresh_token` and `password` are refused as extra or endpoint parameters (Q-10).
//!
//! The URL is written into a caller-supplied [`core::fmt::Write`] or byte buffer without any
//! heap allocation ([`AuthorizationRequest::write_to`], [`AuthorizationRequest::write_to_slice`]);
//! [`AuthorizationRequest::to_url`] is the allocating convenience.
//!
//! # Endpoint check
//!
//! The endpoint is expected to come from authorization-server metadata already validated with
//! [`UrlPolicy::check`](crate::urls::UrlPolicy::check). Since that check parses (and therefore
//! allocates), this module re-checks the scheme just before the URL is built (Q-13, A-14) with a
//! light, allocation-free test: an absolute `http`/`https` URL with a host, no user info, no
//! fragment, only printable ASCII and no `\`; `https` unless the host is a loopback literal
//! (`localhost`, `*.localhost`, dotted `127.0.0.0/8`, `[::1]`) and the [`UrlPolicy`] allows
//! loopback `http`.
//!
//! ```
//! use mcp_oauth_core::authorize::AuthorizationRequest;
//! use mcp_oauth_core::pkce::PkcePair;
//! use mcp_oauth_core::state::StateToken;
//! use mcp_oauth_core::{Entropy, Scopes};
//!
//! let pkce = PkcePair::from_entropy(Entropy::new([1u8; 32]));
//! let state = StateToken::from_entropy(Entropy::new([2u8; 32]));
//! let scopes = Scopes::parse("mcp:tools offline_access");
//! let extra = [("prompt", "consent")];
//! let request = AuthorizationRequest::new(
//!     "https://as.example.com/authorize?tenant=t",
//!     "my-client",
//!     "http://127.0.0.1:33418/callback",
//!     pkce.challenge(),
//!     &state,
//! )
//! .resource("https://mcp.example.com")
//! .scopes(&scopes)
//! .extra_params(&extra);
//!
//! // Into a stack buffer, no heap allocation.
//! let mut buf = [0u8; 512];
//! let url = request.write_to_slice(&mut buf).unwrap();
//! assert!(url.starts_with("https://as.example.com/authorize?tenant=t&response_type=code&"));
//! assert!(url.contains("&scope=mcp%3Atools+offline_access&"));
//! assert!(url.contains("&code_challenge_method=S256"));
//! assert!(url.contains("&resource=https%3A%2F%2Fmcp.example.com&"));
//! assert_eq!(request.to_url().unwrap(), url);
//! ```

use alloc::string::String;
use core::fmt;

use crate::Scopes;
use crate::pkce::CodeChallenge;
use crate::redirect::{
    RedirectUriError, UrlShape, check_redirect_uri, decoded_eq, is_http_scheme,
    is_loopback_literal, scheme_len, split_url,
};
use crate::state::StateToken;
use crate::urls::UrlPolicy;

/// The parameters this module sets itself; no extra or endpoint parameter may repeat them.
const RESERVED: [&str; 8] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "resource",
];

/// Credentials that never belong in a URL (Q-10).
const FORBIDDEN: [&str; 7] = [
    "client_secret",
    "client_assertion",
    "client_assertion_type",
    "code_verifier",
    "access_token",
    "refresh_token",
    "password",
];

/// Why an authorization URL could not be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorizeError {
    /// The endpoint is not an absolute `scheme://host…` URL, has an invalid port, or holds spaces,
    /// control characters, non-ASCII characters or `\`.
    #[error("authorization endpoint is not a valid absolute URL")]
    EndpointInvalid,
    /// The endpoint scheme is neither `http` nor `https` (A-14, Q-13).
    #[error("authorization endpoint scheme is not http or https")]
    EndpointUnsupportedScheme,
    /// The endpoint is plain `http` on a non-loopback host, or loopback `http` is not allowed.
    #[error("authorization endpoint is not https")]
    EndpointInsecure,
    /// The endpoint carries user info.
    #[error("authorization endpoint carries user info")]
    EndpointUserInfo,
    /// The endpoint carries a fragment (RFC 6749 §3.1).
    #[error("authorization endpoint carries a fragment")]
    EndpointFragment,
    /// The redirect URI breaks the MCP rule (C-1).
    #[error("invalid redirect URI: {0}")]
    RedirectUri(#[from] RedirectUriError),
    /// The client identifier is empty.
    #[error("client_id is empty")]
    EmptyClientId,
    /// `resource` is not an absolute URI, carries a fragment, or holds spaces or control
    /// characters (RFC 8707 §2, Q-5).
    #[error("resource is not an absolute URI without a fragment")]
    InvalidResource,
    /// The endpoint's own query already sets a parameter this request sets (Q-1).
    #[error("authorization endpoint query already contains `{0}`")]
    EndpointParameterConflict(&'static str),
    /// An extra parameter names a parameter this request sets itself.
    #[error("extra parameter `{0}` is set by the authorization request itself")]
    ReservedParameter(&'static str),
    /// An extra or endpoint parameter would put a credential into the URL (Q-10).
    #[error("parameter `{0}` must never appear in an authorization URL")]
    ForbiddenParameter(&'static str),
    /// The extra parameter at this index repeats an earlier extra parameter or a key of the
    /// endpoint's query.
    #[error("extra parameter #{0} appears more than once")]
    DuplicateExtraParameter(usize),
    /// The extra parameter at this index has an empty name.
    #[error("extra parameter #{0} has an empty name")]
    EmptyParameterName(usize),
    /// The output buffer is too small; `needed` bytes are required.
    #[error("output buffer too small: {needed} bytes needed")]
    BufferTooSmall {
        /// The full length of the URL in bytes.
        needed: usize,
    },
    /// The [`core::fmt::Write`] target reported an error (for a fixed-capacity string, usually
    /// that it is full: see [`AuthorizationRequest::encoded_len`]).
    #[error("writing the URL failed")]
    Write,
}

/// An authorization request for the authorization-code flow with PKCE. See the
/// [module docs](self).
///
/// Borrows everything; building and writing it allocates nothing.
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct AuthorizationRequest<'a> {
    endpoint: &'a str,
    client_id: &'a str,
    redirect_uri: &'a str,
    challenge: &'a CodeChallenge,
    state: &'a StateToken,
    scopes: Option<&'a Scopes>,
    resource: Option<&'a str>,
    extra: &'a [(&'a str, &'a str)],
    allow_loopback_http: bool,
}

impl<'a> AuthorizationRequest<'a> {
    /// A request with the required parameters. `endpoint` is the validated metadata
    /// `authorization_endpoint`; `redirect_uri` the exact registered string (Q-3).
    ///
    /// The MCP specification (2025-06-18 on) also requires [`Self::resource`] (Q-4).
    pub const fn new(
        endpoint: &'a str,
        client_id: &'a str,
        redirect_uri: &'a str,
        challenge: &'a CodeChallenge,
        state: &'a StateToken,
    ) -> Self {
        Self {
            endpoint,
            client_id,
            redirect_uri,
            challenge,
            state,
            scopes: None,
            resource: None,
            extra: &[],
            allow_loopback_http: false,
        }
    }

    /// The RFC 8707 `resource`: the canonical URI of the MCP server, normally the validated
    /// Protected Resource Metadata `resource`, sent exactly as given (Q-4, Q-6). Use the same
    /// string in every token request of the flow (Q-11).
    pub const fn resource(mut self, resource: &'a str) -> Self {
        self.resource = Some(resource);
        self
    }

    /// The requested scopes. An empty set omits the `scope` parameter (Q-7).
    pub const fn scopes(mut self, scopes: &'a Scopes) -> Self {
        self.scopes = Some(scopes);
        self
    }

    /// Extra `(name, value)` parameters appended after the standard ones, in order, for example
    /// `[("access_type", "offline"), ("prompt", "consent")]`. Names and values are form-encoded.
    pub const fn extra_params(mut self, params: &'a [(&'a str, &'a str)]) -> Self {
        self.extra = params;
        self
    }

    /// Take the loopback-`http` allowance from a [`UrlPolicy`] (development and test servers).
    /// The default is https only. Private-address blocking does not apply here: the URL is opened
    /// by the user's browser, not fetched by the client.
    pub const fn url_policy(mut self, policy: UrlPolicy) -> Self {
        self.allow_loopback_http = policy.allows_loopback_http();
        self
    }

    /// Check every input without writing anything.
    ///
    /// # Errors
    ///
    /// The first problem found, as an [`AuthorizeError`].
    pub fn validate(&self) -> Result<(), AuthorizeError> {
        self.checked_query().map(|_| ())
    }

    /// Validate and return the endpoint's existing query (if any).
    fn checked_query(&self) -> Result<Option<&'a str>, AuthorizeError> {
        let parts = match split_url(self.endpoint) {
            Ok(p) => p,
            Err(UrlShape::NoAuthority)
                if scheme_len(self.endpoint.as_bytes())
                    .and_then(|n| self.endpoint.get(..n))
                    .is_some_and(|s| is_http_scheme(s).is_none()) =>
            {
                return Err(AuthorizeError::EndpointUnsupportedScheme);
            }
            Err(_) => return Err(AuthorizeError::EndpointInvalid),
        };
        let is_http =
            is_http_scheme(parts.scheme).ok_or(AuthorizeError::EndpointUnsupportedScheme)?;
        if parts.has_userinfo {
            return Err(AuthorizeError::EndpointUserInfo);
        }
        if parts.host.is_empty() || !parts.port_ok {
            return Err(AuthorizeError::EndpointInvalid);
        }
        if parts.fragment.is_some() {
            return Err(AuthorizeError::EndpointFragment);
        }
        if is_http && !(self.allow_loopback_http && is_loopback_literal(parts.host, true)) {
            return Err(AuthorizeError::EndpointInsecure);
        }
        check_redirect_uri(self.redirect_uri)?;
        if self.client_id.is_empty() {
            return Err(AuthorizeError::EmptyClientId);
        }
        if let Some(resource) = self.resource {
            check_resource(resource)?;
        }
        for (i, &(name, _)) in self.extra.iter().enumerate() {
            if name.is_empty() {
                return Err(AuthorizeError::EmptyParameterName(i));
            }
            if let Some(&r) = RESERVED.iter().find(|&&r| r == name) {
                return Err(AuthorizeError::ReservedParameter(r));
            }
            if let Some(&f) = FORBIDDEN.iter().find(|&&f| f == name) {
                return Err(AuthorizeError::ForbiddenParameter(f));
            }
            let earlier = self.extra.get(..i).unwrap_or_default();
            if earlier.iter().any(|&(n, _)| n == name) {
                return Err(AuthorizeError::DuplicateExtraParameter(i));
            }
        }
        if let Some(query) = parts.query {
            for pair in query.split('&') {
                let key = pair.split_once('=').map_or(pair, |(k, _)| k);
                if key.is_empty() {
                    continue;
                }
                let key = key.as_bytes();
                if let Some(&r) = RESERVED.iter().find(|r| decoded_eq(key, r.as_bytes())) {
                    return Err(AuthorizeError::EndpointParameterConflict(r));
                }
                if let Some(&f) = FORBIDDEN.iter().find(|f| decoded_eq(key, f.as_bytes())) {
                    return Err(AuthorizeError::ForbiddenParameter(f));
                }
                if let Some(i) = self
                    .extra
                    .iter()
                    .position(|(n, _)| decoded_eq(key, n.as_bytes()))
                {
                    return Err(AuthorizeError::DuplicateExtraParameter(i));
                }
            }
        }
        Ok(parts.query)
    }

    /// Validate, then write the URL into `out`. No heap allocation of its own.
    ///
    /// # Errors
    ///
    /// A validation error, or [`AuthorizeError::Write`] if `out` fails (for example a
    /// `heapless::String` that is too short).
    pub fn write_to<W: fmt::Write + ?Sized>(&self, out: &mut W) -> Result<(), AuthorizeError> {
        let query = self.checked_query()?;
        self.write_unchecked(query, out)
            .map_err(|fmt::Error| AuthorizeError::Write)
    }

    /// Validate, then write the URL into `buf` and return it as `&str`. No heap allocation.
    ///
    /// # Errors
    ///
    /// A validation error, or [`AuthorizeError::BufferTooSmall`] with the length needed.
    pub fn write_to_slice<'b>(&self, buf: &'b mut [u8]) -> Result<&'b str, AuthorizeError> {
        let query = self.checked_query()?;
        let mut w = SliceWriter { buf, len: 0 };
        self.write_unchecked(query, &mut w)
            .map_err(|fmt::Error| AuthorizeError::Write)?;
        let SliceWriter { buf, len } = w;
        match buf.get(..len) {
            // Everything written is ASCII (checked endpoint, form-encoded parameters).
            Some(written) => core::str::from_utf8(written).map_err(|_| AuthorizeError::Write),
            None => Err(AuthorizeError::BufferTooSmall { needed: len }),
        }
    }

    /// The length of the URL in bytes (every byte is ASCII). No heap allocation.
    ///
    /// # Errors
    ///
    /// A validation error.
    pub fn encoded_len(&self) -> Result<usize, AuthorizeError> {
        let query = self.checked_query()?;
        let mut w = CountingWriter(0);
        self.write_unchecked(query, &mut w)
            .map_err(|fmt::Error| AuthorizeError::Write)?;
        Ok(w.0)
    }

    /// Validate and return the URL as a new `String` (one allocation of the exact size).
    ///
    /// # Errors
    ///
    /// A validation error.
    pub fn to_url(&self) -> Result<String, AuthorizeError> {
        let query = self.checked_query()?;
        let mut count = CountingWriter(0);
        self.write_unchecked(query, &mut count)
            .map_err(|fmt::Error| AuthorizeError::Write)?;
        let mut s = String::with_capacity(count.0);
        self.write_unchecked(query, &mut s)
            .map_err(|fmt::Error| AuthorizeError::Write)?;
        Ok(s)
    }

    fn write_unchecked<W: fmt::Write + ?Sized>(
        &self,
        query: Option<&str>,
        out: &mut W,
    ) -> fmt::Result {
        out.write_str(self.endpoint)?;
        match query {
            None => out.write_char('?')?,
            Some(q) if q.is_empty() || q.ends_with('&') => {}
            Some(_) => out.write_char('&')?,
        }
        out.write_str("response_type=code&client_id=")?;
        encode(out, self.client_id)?;
        out.write_str("&redirect_uri=")?;
        encode(out, self.redirect_uri)?;
        if let Some(scopes) = self.scopes.filter(|s| !s.is_empty()) {
            out.write_str("&scope=")?;
            for (i, token) in scopes.iter().enumerate() {
                if i > 0 {
                    out.write_char('+')?;
                }
                encode(out, token)?;
            }
        }
        out.write_str("&state=")?;
        encode(out, self.state.as_str())?;
        out.write_str("&code_challenge=")?;
        encode(out, self.challenge.as_str())?;
        out.write_str("&code_challenge_method=")?;
        out.write_str(CodeChallenge::METHOD)?;
        if let Some(resource) = self.resource {
            out.write_str("&resource=")?;
            encode(out, resource)?;
        }
        for &(name, value) in self.extra {
            out.write_char('&')?;
            encode(out, name)?;
            out.write_char('=')?;
            encode(out, value)?;
        }
        Ok(())
    }
}

/// RFC 8707 §2: an absolute URI without a fragment. Light check: a scheme, no `#`, no spaces or
/// control characters. The value itself is sent unchanged.
fn check_resource(resource: &str) -> Result<(), AuthorizeError> {
    let bytes = resource.as_bytes();
    let has_rest = scheme_len(bytes)
        .and_then(|n| bytes.get(n.saturating_add(1)..))
        .is_some_and(|rest| !rest.is_empty());
    if !has_rest || bytes.iter().any(|&b| b == b'#' || b <= 0x20 || b == 0x7f) {
        return Err(AuthorizeError::InvalidResource);
    }
    Ok(())
}

/// Write `value` form-encoded.
#[inline]
fn encode<W: fmt::Write + ?Sized>(out: &mut W, value: &str) -> fmt::Result {
    // The output of `form_urlencoded::byte_serialize` (alphanumerics and `*-._` as they are,
    // space as `+`, any other byte `%XX`), written with one `write_str` per run of unchanged
    // bytes and one per run of escapes (gathered on the stack) instead of one per escape.
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let run_end = bytes
            .get(i..)
            .and_then(|rest| rest.iter().position(|&b| !is_form_safe(b)))
            .map_or(bytes.len(), |k| i.saturating_add(k));
        if run_end > i {
            // `i` and `run_end` border ASCII bytes (or the ends), so they are char boundaries.
            out.write_str(value.get(i..run_end).unwrap_or_default())?;
            i = run_end;
        }
        let mut buf = [0u8; 48];
        let mut n: usize = 0;
        while let Some(&b) = bytes.get(i) {
            if is_form_safe(b) {
                break;
            }
            let Some(dst) = buf.get_mut(n..n.saturating_add(3)) else {
                break;
            };
            if b == b' ' {
                dst.copy_from_slice(b"+\0\0");
                n += 1;
            } else {
                let hi = HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0');
                let lo = HEX.get(usize::from(b & 0xF)).copied().unwrap_or(b'0');
                dst.copy_from_slice(&[b'%', hi, lo]);
                n += 3;
            }
            i += 1;
        }
        if n > 0 {
            out.write_str(crate::fixed::ascii_str(buf.get(..n).unwrap_or_default()))?;
        }
    }
    Ok(())
}

/// Bytes `application/x-www-form-urlencoded` leaves as they are.
const fn is_form_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'*' | b'-' | b'.' | b'_')
}

/// Writes into a byte slice; keeps counting past the end so the needed size is known.
struct SliceWriter<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl fmt::Write for SliceWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        if let Some(dst) = self.buf.get_mut(self.len..end) {
            dst.copy_from_slice(s.as_bytes());
        }
        self.len = end;
        Ok(())
    }
}

/// Counts bytes written.
struct CountingWriter(usize);

impl fmt::Write for CountingWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 = self.0.checked_add(s.len()).ok_or(fmt::Error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn encode_matches_form_urlencoded() {
        let mut all = String::new();
        for c in (0u8..0x80).map(char::from) {
            all.push(c);
        }
        let long = "é ".repeat(40);
        for v in [
            "",
            "plain",
            "a b+c&d=e",
            "http://127.0.0.1:1234/cb?x=1#f",
            "Ünïcödé ✓",
            all.as_str(),
            long.as_str(),
        ] {
            let mut ours = String::new();
            encode(&mut ours, v).unwrap();
            let theirs: String = url::form_urlencoded::byte_serialize(v.as_bytes()).collect();
            assert_eq!(ours, theirs, "{v:?}");
        }
    }

    use super::*;
    use crate::Entropy;
    use crate::pkce::PkcePair;

    struct Fixture {
        pkce: PkcePair,
        state: StateToken,
    }

    fn fixture() -> Fixture {
        Fixture {
            pkce: PkcePair::from_entropy(Entropy::new([1; 32])),
            state: StateToken::from_entropy(Entropy::new([2; 32])),
        }
    }

    fn req<'a>(f: &'a Fixture, endpoint: &'a str) -> AuthorizationRequest<'a> {
        AuthorizationRequest::new(
            endpoint,
            "client",
            "http://127.0.0.1:1234/cb",
            f.pkce.challenge(),
            &f.state,
        )
    }

    fn keys(url: &str) -> alloc::vec::Vec<&str> {
        let q = url.split_once('?').map_or("", |(_, q)| q);
        q.split('&')
            .map(|p| p.split_once('=').map_or(p, |(k, _)| k))
            .collect()
    }

    #[test]
    fn parameters_q2_k6() {
        let f = fixture();
        let s = Scopes::parse("a b");
        let url = req(&f, "https://as.example/authorize")
            .scopes(&s)
            .resource("https://mcp.example.com/mcp")
            .to_url()
            .unwrap();
        assert_eq!(
            keys(&url),
            [
                "response_type",
                "client_id",
                "redirect_uri",
                "scope",
                "state",
                "code_challenge",
                "code_challenge_method",
                "resource"
            ]
        );
        assert!(url.contains("code_challenge_method=S256"));
        assert!(url.contains("&scope=a+b&"));
        assert!(url.contains(&alloc::format!("&code_challenge={}&", f.pkce.challenge())));
    }

    #[test]
    fn keeps_endpoint_query_q1() {
        let f = fixture();
        for (ep, prefix) in [
            (
                "https://as/authorize?tenant=t",
                "https://as/authorize?tenant=t&response_type",
            ),
            (
                "https://as/authorize?",
                "https://as/authorize?response_type",
            ),
            (
                "https://as/authorize?a=1&",
                "https://as/authorize?a=1&response_type",
            ),
            ("https://as/authorize", "https://as/authorize?response_type"),
        ] {
            let url = req(&f, ep).to_url().unwrap();
            assert!(url.starts_with(prefix), "{url}");
        }
        assert_eq!(
            req(&f, "https://as/authorize?client%5Fid=x").to_url(),
            Err(AuthorizeError::EndpointParameterConflict("client_id"))
        );
        assert_eq!(
            req(&f, "https://as/authorize?scope=openid").to_url(),
            Err(AuthorizeError::EndpointParameterConflict("scope"))
        );
        let extra = [("tenant", "u")];
        assert_eq!(
            req(&f, "https://as/authorize?tenant=t")
                .extra_params(&extra)
                .to_url(),
            Err(AuthorizeError::DuplicateExtraParameter(0))
        );
    }

    #[test]
    fn redirect_uri_exact_q3() {
        let f = fixture();
        let url = AuthorizationRequest::new(
            "https://as/authorize",
            "c",
            "http://localhost:8080/cb?x=1",
            f.pkce.challenge(),
            &f.state,
        )
        .to_url()
        .unwrap();
        assert!(url.contains("&redirect_uri=http%3A%2F%2Flocalhost%3A8080%2Fcb%3Fx%3D1&"));
        let bad = AuthorizationRequest::new(
            "https://as/authorize",
            "c",
            "http://example.com/cb",
            f.pkce.challenge(),
            &f.state,
        );
        assert_eq!(
            bad.validate(),
            Err(AuthorizeError::RedirectUri(
                RedirectUriError::InsecureScheme
            ))
        );
    }

    #[test]
    fn resource_as_given_q4_q6() {
        let f = fixture();
        let url = req(&f, "https://as/authorize")
            .resource("https://mcp.example.com")
            .to_url()
            .unwrap();
        assert!(
            url.ends_with("&resource=https%3A%2F%2Fmcp.example.com"),
            "{url}"
        );
        for bad in [
            "mcp.example.com",
            "https://mcp.example.com/#x",
            "https://a b",
            "",
        ] {
            assert_eq!(
                req(&f, "https://as/authorize").resource(bad).validate(),
                Err(AuthorizeError::InvalidResource),
                "{bad}"
            );
        }
    }

    #[test]
    fn empty_scope_omitted_q7() {
        let f = fixture();
        let empty = Scopes::new();
        let url = req(&f, "https://as/authorize")
            .scopes(&empty)
            .to_url()
            .unwrap();
        assert!(!url.contains("scope"), "{url}");
        let url = req(&f, "https://as/authorize").to_url().unwrap();
        assert!(!url.contains("scope"), "{url}");
    }

    #[test]
    fn no_secrets_q10() {
        let f = fixture();
        for name in FORBIDDEN {
            let extra = [(name, "x")];
            assert_eq!(
                req(&f, "https://as/authorize")
                    .extra_params(&extra)
                    .validate(),
                Err(AuthorizeError::ForbiddenParameter(name))
            );
            let ep = alloc::format!("https://as/authorize?{name}=x");
            assert_eq!(
                req(&f, &ep).validate(),
                Err(AuthorizeError::ForbiddenParameter(name))
            );
        }
    }

    #[test]
    fn extra_params_and_collisions() {
        let f = fixture();
        let extra = [("access_type", "offline"), ("prompt", "consent")];
        let url = req(&f, "https://accounts.google.com/o/oauth2/v2/auth")
            .extra_params(&extra)
            .to_url()
            .unwrap();
        assert!(
            url.ends_with("&access_type=offline&prompt=consent"),
            "{url}"
        );
        let dup = [("prompt", "a"), ("prompt", "b")];
        assert_eq!(
            req(&f, "https://as/a").extra_params(&dup).validate(),
            Err(AuthorizeError::DuplicateExtraParameter(1))
        );
        let reserved = [("code_challenge_method", "plain")];
        assert_eq!(
            req(&f, "https://as/a").extra_params(&reserved).validate(),
            Err(AuthorizeError::ReservedParameter("code_challenge_method"))
        );
        let empty = [("", "x")];
        assert_eq!(
            req(&f, "https://as/a").extra_params(&empty).validate(),
            Err(AuthorizeError::EmptyParameterName(0))
        );
    }

    #[test]
    fn endpoint_scheme_q13_a14() {
        let f = fixture();
        let dev = UrlPolicy::https_only().allow_loopback_http();
        assert_eq!(
            req(&f, "http://as.example/authorize").validate(),
            Err(AuthorizeError::EndpointInsecure)
        );
        assert_eq!(
            req(&f, "http://localhost:9000/authorize").validate(),
            Err(AuthorizeError::EndpointInsecure)
        );
        assert!(
            req(&f, "http://localhost:9000/authorize")
                .url_policy(dev)
                .validate()
                .is_ok()
        );
        assert!(
            req(&f, "http://[::1]:9000/authorize")
                .url_policy(dev)
                .validate()
                .is_ok()
        );
        assert_eq!(
            req(&f, "http://as.example/authorize")
                .url_policy(dev)
                .validate(),
            Err(AuthorizeError::EndpointInsecure)
        );
        for (bad, why) in [
            (
                "javascript:alert(1)",
                AuthorizeError::EndpointUnsupportedScheme,
            ),
            (
                "file:///etc/passwd",
                AuthorizeError::EndpointUnsupportedScheme,
            ),
            (
                "ftp://as/authorize",
                AuthorizeError::EndpointUnsupportedScheme,
            ),
            ("https://as/authorize#f", AuthorizeError::EndpointFragment),
            ("https://u:p@as/authorize", AuthorizeError::EndpointUserInfo),
            ("https:///authorize", AuthorizeError::EndpointInvalid),
            ("https://as/a b", AuthorizeError::EndpointInvalid),
            ("/authorize", AuthorizeError::EndpointInvalid),
            ("https://as:99999/a", AuthorizeError::EndpointInvalid),
        ] {
            assert_eq!(req(&f, bad).validate(), Err(why), "{bad}");
        }
    }

    #[test]
    fn slice_and_len() {
        let f = fixture();
        let r = req(&f, "https://as/authorize");
        let n = r.encoded_len().unwrap();
        let mut small = [0u8; 16];
        assert_eq!(
            r.write_to_slice(&mut small),
            Err(AuthorizeError::BufferTooSmall { needed: n })
        );
        let mut exact = alloc::vec![0u8; n];
        assert_eq!(r.write_to_slice(&mut exact).unwrap(), r.to_url().unwrap());
        let mut hs: heapless::String<16> = heapless::String::new();
        assert_eq!(r.write_to(&mut hs), Err(AuthorizeError::Write));
    }
}
