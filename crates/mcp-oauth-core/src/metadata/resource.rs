//! OAuth 2.0 Protected Resource Metadata (RFC 9728).
//!
//! # Locating the document
//!
//! If the 401 challenge carried `resource_metadata`, fetch exactly that URL (checklist D-3).
//! Otherwise probe the URLs from [`well_known_urls`] in order (RFC 9728 §3.1, checklist P-3, P-4):
//! `/.well-known/oauth-protected-resource` inserted between the host and the path (and query) of
//! the MCP URL, then the root `/.well-known/oauth-protected-resource`. When the MCP URL has neither
//! path nor query there is only the root URL. The path is kept exactly as written: it is copied as
//! text, never re-serialised through `url::Url`.
//!
//! Move to the next probe on a 404 (or another 4xx); treat 5xx and transport errors as errors
//! (checklist P-5). Fetch with a plain `GET`, no access token, no client credentials (P-2).
//!
//! # Reading and validating it
//!
//! [`ProtectedResourceMetadata::from_response`] accepts only status 200 and a JSON object
//! (RFC 9728 §3.2, checklist P-6); unknown members are ignored. `resource` and a non-empty
//! `authorization_servers` are required (P-10). `signed_metadata` is **not processed**: its
//! presence is reported as [`MetadataWarning::SignedMetadataIgnored`] and the plain values are used
//! (RFC 9728 §2.2 allows this; checklist P-15).
//!
//! [`ProtectedResourceMetadata::validate`] then checks (RFC 9728 §3.3, §7.3, checklist P-7, P-8):
//!
//! - `resource` equals the identifier the client expected: the MCP URL the well-known URL was
//!   built from or, when the document URL came from a `resource_metadata` challenge parameter, the
//!   URL of the request that was challenged. The comparison is by Unicode code points after JSON
//!   unescaping, with no normalisation. Relaxations are opt-in ([`ResourceMatch`], P-9).
//! - every `authorization_servers` entry is a usable issuer under the caller's
//!   [`UrlPolicy`]; entries that are not are dropped with a warning (they are never contacted,
//!   so dropping them is safe), and if none remains the document is refused.
//!
//! The result exposes the document's `resource` string unchanged
//! ([`ValidatedResourceMetadata::resource`]): send exactly that as the RFC 8707 `resource`
//! parameter later (checklist Q-6). Never round-trip it through `url::Url`, which would turn
//! `https://mcp.example.com` into `https://mcp.example.com/`.
//!
//! ```
//! use mcp_oauth_core::http::HttpResponse;
//! use mcp_oauth_core::metadata::resource::{well_known_urls, ProtectedResourceMetadata, ResourceMatch};
//! use mcp_oauth_core::urls::UrlPolicy;
//!
//! let mcp = "https://rs.example:8443/public/mcp?t=1";
//! let urls = well_known_urls(mcp)?;
//! assert_eq!(
//!     urls.iter().collect::<Vec<_>>(),
//!     [
//!         "https://rs.example:8443/.well-known/oauth-protected-resource/public/mcp?t=1",
//!         "https://rs.example:8443/.well-known/oauth-protected-resource",
//!     ]
//! );
//!
//! let body = br#"{"resource":"https://rs.example:8443/public/mcp?t=1",
//!                 "authorization_servers":["https://as.example/tenant"],
//!                 "scopes_supported":["mcp:tools"],"x_vendor":{}}"#;
//! let response = HttpResponse::new(200, vec![], body.to_vec());
//! let prm = ProtectedResourceMetadata::from_response(&response)?
//!     .validate(mcp, ResourceMatch::exact(), &UrlPolicy::https_only())?;
//! assert_eq!(prm.resource(), mcp);
//! assert_eq!(prm.authorization_servers(), ["https://as.example/tenant"]);
//! # Ok::<(), mcp_oauth_core::metadata::ResourceMetadataError>(())
//! ```

use alloc::string::String;
use alloc::vec::Vec;

use super::lenient::{self, Converter, Member};
use super::{
    DocumentError, ExpectedType, IdentifierError, MetadataWarning, parse_object, split_identifier,
};
use crate::http::HttpResponse;
use crate::urls::UrlPolicy;

/// The RFC 9728 well-known path segment.
pub const WELL_KNOWN_SEGMENT: &str = "/.well-known/oauth-protected-resource";

/// Why Protected Resource Metadata could not be located, parsed or validated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResourceMetadataError {
    /// The MCP URL cannot be used to build the well-known URLs.
    #[error("MCP server URL cannot be used for discovery: {0}")]
    InvalidResourceUrl(IdentifierError),
    /// The response is not a metadata document (status, JSON, shape, required members).
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// `authorization_servers` is missing or empty (RFC 9728 §2, checklist P-10). Abort, or use a
    /// pre-configured authorization server.
    #[error("protected resource metadata names no authorization server")]
    NoAuthorizationServers,
    /// `resource` is not the identifier the client expected (RFC 9728 §3.3, checklist P-7). The
    /// document must not be used.
    #[error("protected resource metadata is for `{found}`, expected `{expected}`")]
    ResourceMismatch {
        /// The identifier the client expected (its own MCP URL or the challenged request URL).
        expected: String,
        /// The `resource` the document declares.
        found: String,
    },
    /// Every `authorization_servers` entry was refused by the URL policy.
    #[error("no usable authorization server: `{issuer}` refused: {error}")]
    NoUsableAuthorizationServer {
        /// The first entry.
        issuer: String,
        /// Why it was refused.
        error: IdentifierError,
    },
}

/// A Protected Resource Metadata document as received (RFC 9728 §2), not yet validated.
///
/// Optional members of the wrong type are `None` and reported in [`warnings`](Self::warnings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectedResourceMetadata {
    resource: String,
    authorization_servers: Vec<String>,
    jwks_uri: Option<String>,
    scopes_supported: Option<Vec<String>>,
    bearer_methods_supported: Option<Vec<String>>,
    resource_signing_alg_values_supported: Option<Vec<String>>,
    resource_name: Option<String>,
    resource_documentation: Option<String>,
    resource_policy_uri: Option<String>,
    resource_tos_uri: Option<String>,
    tls_client_certificate_bound_access_tokens: Option<bool>,
    authorization_details_types_supported: Option<Vec<String>>,
    dpop_signing_alg_values_supported: Option<Vec<String>>,
    dpop_bound_access_tokens_required: Option<bool>,
    warnings: Vec<MetadataWarning>,
}

const NAMES: [&str; 15] = [
    "resource",
    "authorization_servers",
    "jwks_uri",
    "scopes_supported",
    "bearer_methods_supported",
    "resource_signing_alg_values_supported",
    "resource_name",
    "resource_documentation",
    "resource_policy_uri",
    "resource_tos_uri",
    "tls_client_certificate_bound_access_tokens",
    "authorization_details_types_supported",
    "dpop_signing_alg_values_supported",
    "dpop_bound_access_tokens_required",
    "signed_metadata",
];

/// The position of `name` in `NAMES`.
fn index(name: &str) -> Option<usize> {
    Some(match name {
        "resource" => 0,
        "authorization_servers" => 1,
        "jwks_uri" => 2,
        "scopes_supported" => 3,
        "bearer_methods_supported" => 4,
        "resource_signing_alg_values_supported" => 5,
        "resource_name" => 6,
        "resource_documentation" => 7,
        "resource_policy_uri" => 8,
        "resource_tos_uri" => 9,
        "tls_client_certificate_bound_access_tokens" => 10,
        "authorization_details_types_supported" => 11,
        "dpop_signing_alg_values_supported" => 12,
        "dpop_bound_access_tokens_required" => 13,
        "signed_metadata" => 14,
        _ => return None,
    })
}

impl ProtectedResourceMetadata {
    /// Parse a document from a response: status 200 required, then [`Self::from_json`].
    ///
    /// The `Content-Type` is not checked: servers mislabel JSON often enough, and a body that is
    /// not a JSON object is refused anyway.
    ///
    /// # Errors
    ///
    /// [`DocumentError::UnexpectedStatus`] for any status but 200, else as [`Self::from_json`].
    pub fn from_response(response: &HttpResponse) -> Result<Self, ResourceMetadataError> {
        if response.status != 200 {
            return Err(DocumentError::UnexpectedStatus(response.status).into());
        }
        Self::from_json(&response.body)
    }

    /// Parse a document from a JSON body.
    ///
    /// # Errors
    ///
    /// A [`DocumentError`] when the body is not a JSON object, when `resource` is missing or not
    /// a string, when `authorization_servers` is not an array of strings, or when a member appears
    /// twice; [`ResourceMetadataError::NoAuthorizationServers`] when `authorization_servers` is
    /// missing or empty (checklist P-10).
    pub fn from_json(body: &[u8]) -> Result<Self, ResourceMetadataError> {
        let mut raw = parse_object(body, &NAMES, index)?;
        let resource = lenient::required_string(raw.take(0), "resource")?;
        let authorization_servers = match raw.take(1) {
            None | Some(Member::Null) => return Err(ResourceMetadataError::NoAuthorizationServers),
            Some(Member::StrList(v)) if v.is_empty() => {
                return Err(ResourceMetadataError::NoAuthorizationServers);
            }
            Some(Member::StrList(v)) => v,
            Some(Member::BadList { found, .. }) => {
                return Err(DocumentError::InvalidMember {
                    member: "authorization_servers",
                    expected: ExpectedType::NonEmptyStringArray,
                    found,
                }
                .into());
            }
            Some(other) => {
                return Err(DocumentError::InvalidMember {
                    member: "authorization_servers",
                    expected: ExpectedType::NonEmptyStringArray,
                    found: other.json_type(),
                }
                .into());
            }
        };
        let mut c = Converter::default();
        let mut doc = Self {
            resource,
            authorization_servers,
            jwks_uri: c.string(raw.take(2), "jwks_uri"),
            scopes_supported: c.list(raw.take(3), "scopes_supported"),
            bearer_methods_supported: c.list(raw.take(4), "bearer_methods_supported"),
            resource_signing_alg_values_supported: c
                .list(raw.take(5), "resource_signing_alg_values_supported"),
            resource_name: c.string(raw.take(6), "resource_name"),
            resource_documentation: c.string(raw.take(7), "resource_documentation"),
            resource_policy_uri: c.string(raw.take(8), "resource_policy_uri"),
            resource_tos_uri: c.string(raw.take(9), "resource_tos_uri"),
            tls_client_certificate_bound_access_tokens: c
                .boolean(raw.take(10), "tls_client_certificate_bound_access_tokens"),
            authorization_details_types_supported: c
                .list(raw.take(11), "authorization_details_types_supported"),
            dpop_signing_alg_values_supported: c
                .list(raw.take(12), "dpop_signing_alg_values_supported"),
            dpop_bound_access_tokens_required: c
                .boolean(raw.take(13), "dpop_bound_access_tokens_required"),
            warnings: c.warnings,
        };
        if raw.take(14).is_some() {
            doc.warnings.push(MetadataWarning::SignedMetadataIgnored);
        }
        Ok(doc)
    }

    /// Validate the document for the resource the client is accessing (checklist P-7 to P-9) and
    /// the `authorization_servers` entries against `policy`.
    ///
    /// `expected_resource` is the MCP URL the well-known URL was built from, or, when the document
    /// URL came from a `resource_metadata` challenge parameter, the URL of the challenged request.
    ///
    /// # Errors
    ///
    /// [`ResourceMetadataError::ResourceMismatch`] when `resource` does not match under
    /// `matching`; [`ResourceMetadataError::NoUsableAuthorizationServer`] when every
    /// `authorization_servers` entry is refused.
    pub fn validate(
        mut self,
        expected_resource: &str,
        matching: ResourceMatch,
        policy: &UrlPolicy,
    ) -> Result<ValidatedResourceMetadata, ResourceMetadataError> {
        if !matching.matches(expected_resource, &self.resource) {
            return Err(ResourceMetadataError::ResourceMismatch {
                expected: String::from(expected_resource),
                found: self.resource,
            });
        }
        let mut first_refusal = None;
        let mut refused = Vec::new();
        self.authorization_servers
            .retain(|issuer| match super::check_issuer(issuer, policy) {
                Ok(()) => true,
                Err(error) => {
                    first_refusal.get_or_insert_with(|| (issuer.clone(), error));
                    refused.push(MetadataWarning::AuthorizationServerRefused {
                        issuer: issuer.clone(),
                        error,
                    });
                    false
                }
            });
        if self.authorization_servers.is_empty() {
            // `from_json` guarantees a non-empty list, so a refusal was recorded.
            return Err(match first_refusal {
                Some((issuer, error)) => {
                    ResourceMetadataError::NoUsableAuthorizationServer { issuer, error }
                }
                None => ResourceMetadataError::NoAuthorizationServers,
            });
        }
        self.warnings.extend(refused);
        Ok(ValidatedResourceMetadata { doc: self })
    }

    /// `resource`: the protected resource's identifier, exactly as sent (after JSON unescaping).
    #[must_use]
    pub fn resource(&self) -> &str {
        &self.resource
    }

    /// `authorization_servers`: issuer identifiers, in the server's order, as listed (not yet
    /// checked against a URL policy).
    #[must_use]
    pub fn authorization_servers(&self) -> &[String] {
        &self.authorization_servers
    }

    /// `jwks_uri`.
    #[must_use]
    pub fn jwks_uri(&self) -> Option<&str> {
        self.jwks_uri.as_deref()
    }

    /// `scopes_supported`. Use it only as the scope-selection fallback (checklist P-16, S-1).
    #[must_use]
    pub fn scopes_supported(&self) -> Option<&[String]> {
        self.scopes_supported.as_deref()
    }

    /// `bearer_methods_supported` (`header`, `body`, `query`).
    #[must_use]
    pub fn bearer_methods_supported(&self) -> Option<&[String]> {
        self.bearer_methods_supported.as_deref()
    }

    /// `resource_signing_alg_values_supported`.
    #[must_use]
    pub fn resource_signing_alg_values_supported(&self) -> Option<&[String]> {
        self.resource_signing_alg_values_supported.as_deref()
    }

    /// `resource_name`: human-readable, server-controlled text.
    #[must_use]
    pub fn resource_name(&self) -> Option<&str> {
        self.resource_name.as_deref()
    }

    /// `resource_documentation`: a URL, server-controlled and not checked.
    #[must_use]
    pub fn resource_documentation(&self) -> Option<&str> {
        self.resource_documentation.as_deref()
    }

    /// `resource_policy_uri`: a URL, server-controlled and not checked.
    #[must_use]
    pub fn resource_policy_uri(&self) -> Option<&str> {
        self.resource_policy_uri.as_deref()
    }

    /// `resource_tos_uri`: a URL, server-controlled and not checked.
    #[must_use]
    pub fn resource_tos_uri(&self) -> Option<&str> {
        self.resource_tos_uri.as_deref()
    }

    /// `tls_client_certificate_bound_access_tokens`; absent means `false` (RFC 9728 §2).
    #[must_use]
    pub fn tls_client_certificate_bound_access_tokens(&self) -> bool {
        self.tls_client_certificate_bound_access_tokens
            .unwrap_or(false)
    }

    /// `authorization_details_types_supported` (RFC 9396).
    #[must_use]
    pub fn authorization_details_types_supported(&self) -> Option<&[String]> {
        self.authorization_details_types_supported.as_deref()
    }

    /// `dpop_signing_alg_values_supported` (RFC 9449).
    #[must_use]
    pub fn dpop_signing_alg_values_supported(&self) -> Option<&[String]> {
        self.dpop_signing_alg_values_supported.as_deref()
    }

    /// `dpop_bound_access_tokens_required`; absent means `false` (RFC 9728 §2). The string
    /// `"true"` is read as `true` (with a warning).
    #[must_use]
    pub fn dpop_bound_access_tokens_required(&self) -> bool {
        self.dpop_bound_access_tokens_required.unwrap_or(false)
    }

    /// What was tolerated while parsing (and, after validation, refused issuers).
    #[must_use]
    pub fn warnings(&self) -> &[MetadataWarning] {
        &self.warnings
    }
}

/// Protected Resource Metadata that passed [`ProtectedResourceMetadata::validate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedResourceMetadata {
    doc: ProtectedResourceMetadata,
}

impl ValidatedResourceMetadata {
    /// The document's `resource`, exactly as sent: the value for the RFC 8707 `resource`
    /// parameter of authorization and token requests (checklist Q-6). Do not re-serialise it.
    #[must_use]
    pub fn resource(&self) -> &str {
        &self.doc.resource
    }

    /// The authorization servers that passed the URL policy, in the server's order, exactly as
    /// listed: each is the issuer the authorization server metadata must echo (RFC 8414 §3.3).
    /// Never empty. Choosing among several is the caller's policy (checklist P-11); the first is
    /// the default.
    #[must_use]
    pub fn authorization_servers(&self) -> &[String] {
        &self.doc.authorization_servers
    }

    /// The whole document. Its `authorization_servers` holds only the usable entries.
    #[must_use]
    pub fn document(&self) -> &ProtectedResourceMetadata {
        &self.doc
    }

    /// Parse warnings plus one [`MetadataWarning::AuthorizationServerRefused`] per dropped entry.
    #[must_use]
    pub fn warnings(&self) -> &[MetadataWarning] {
        &self.doc.warnings
    }
}

/// How the document's `resource` is compared with the expected identifier (checklist P-7 to P-9).
///
/// The default, [`ResourceMatch::exact`], is RFC 9728 §3.3: equal by Unicode code points, no
/// normalisation. Each relaxation is opt-in and only ever accepts a `resource` with exactly the
/// same `scheme://authority` text as the expected identifier, no query (unless equal) and no
/// fragment. Another origin or a sibling path (`https://rs/other` for `https://rs/mcp`) is never
/// accepted, and prefixes only count on segment boundaries (`https://rs/mc` does not cover
/// `https://rs/mcp`).
///
/// | Relaxation | Accepts for expected `https://rs/mcp/tools` | Who needs it |
/// |---|---|---|
/// | [`allow_trailing_slash`](Self::allow_trailing_slash) | (only for an expected `https://rs`: `https://rs/`, and vice versa) | servers whose URL library adds `/` (Python SDK, Stripe) |
/// | [`allow_origin`](Self::allow_origin) | `https://rs`, `https://rs/` | root-level PRM (Notion); the C# SDK's rule |
/// | [`allow_path_prefix`](Self::allow_path_prefix) | `https://rs`, `https://rs/`, `https://rs/mcp`, `https://rs/mcp/`, `https://rs/mcp/tools/` | the TypeScript SDK's rule, which the official conformance suite expects |
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ResourceMatch {
    trailing_slash: bool,
    origin: bool,
    path_prefix: bool,
}

impl ResourceMatch {
    /// Exact code-point equality (RFC 9728 §3.3). The default.
    #[must_use]
    pub const fn exact() -> Self {
        Self {
            trailing_slash: false,
            origin: false,
            path_prefix: false,
        }
    }

    /// The TypeScript SDK's rule (`checkResourceAllowed`), which the MCP conformance suite
    /// assumes: [`allow_path_prefix`](Self::allow_path_prefix).
    #[must_use]
    pub const fn typescript_sdk() -> Self {
        Self::exact().allow_path_prefix()
    }

    /// The C# SDK's rule: exact, or the bare origin.
    /// [`allow_trailing_slash`](Self::allow_trailing_slash) plus
    /// [`allow_origin`](Self::allow_origin).
    #[must_use]
    pub const fn csharp_sdk() -> Self {
        Self::exact().allow_trailing_slash().allow_origin()
    }

    /// Relaxation (a): accept a `resource` that differs from the expected identifier only by a
    /// `/` as the whole path (`https://rs` vs `https://rs/`), with an identical query.
    #[must_use]
    pub const fn allow_trailing_slash(mut self) -> Self {
        self.trailing_slash = true;
        self
    }

    /// Relaxation (b): accept an origin-only `resource` (`https://rs` or `https://rs/`, no query)
    /// for an expected identifier with a deeper path on the same origin. This is what a root
    /// `/.well-known/oauth-protected-resource` document often says.
    #[must_use]
    pub const fn allow_origin(mut self) -> Self {
        self.origin = true;
        self
    }

    /// Relaxation (c): accept a `resource` (no query) whose path is a prefix of the expected path
    /// on a segment boundary, both paths taken with a `/` appended when they do not end in one.
    /// Implies (a) and (b).
    #[must_use]
    pub const fn allow_path_prefix(mut self) -> Self {
        self.path_prefix = true;
        self
    }

    /// Whether `found` (the document's `resource`) is acceptable for `expected`.
    #[must_use]
    pub fn matches(&self, expected: &str, found: &str) -> bool {
        if expected == found {
            return true;
        }
        if !(self.trailing_slash || self.origin || self.path_prefix) {
            return false;
        }
        let (Some(e), Some(f)) = (TextUrl::split(expected), TextUrl::split(found)) else {
            return false;
        };
        if e.origin != f.origin {
            return false;
        }
        let empty = |p: &str| p.is_empty() || p == "/";
        if self.trailing_slash && e.query == f.query && empty(e.path) && empty(f.path) {
            return true;
        }
        if !f.query.is_empty() {
            return false;
        }
        if self.origin && empty(f.path) {
            return true;
        }
        if self.path_prefix {
            return segment_prefix(f.path, e.path);
        }
        false
    }
}

/// Whether `prefix` covers `path` on a segment boundary, treating both as ending in `/`.
fn segment_prefix(prefix: &str, path: &str) -> bool {
    let prefix = prefix.strip_suffix('/').unwrap_or(prefix);
    let path_trimmed = path.strip_suffix('/').unwrap_or(path);
    match path_trimmed.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

/// A URL split as text: `scheme://authority`, path, query (with `?`).
struct TextUrl<'a> {
    origin: &'a str,
    path: &'a str,
    query: &'a str,
}

impl<'a> TextUrl<'a> {
    fn split(s: &'a str) -> Option<Self> {
        if s.contains('#') {
            return None;
        }
        let scheme_end = s.find("://")?;
        let auth_start = scheme_end.checked_add(3)?;
        let rest = s.get(auth_start..)?;
        let auth_len = rest.find(['/', '?']).unwrap_or(rest.len());
        if auth_len == 0 {
            return None;
        }
        let origin_end = auth_start.checked_add(auth_len)?;
        let origin = s.get(..origin_end)?;
        let after = s.get(origin_end..)?;
        let (path, query) = match after.find('?') {
            Some(q) => (after.get(..q)?, after.get(q..)?),
            None => (after, ""),
        };
        Some(Self {
            origin,
            path,
            query,
        })
    }
}

/// The candidate Protected Resource Metadata URLs for an MCP URL, in probing order (one or two).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceMetadataUrls {
    urls: heapless::Vec<String, 2>,
}

impl ResourceMetadataUrls {
    /// The URLs in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.urls.iter().map(String::as_str)
    }

    /// The first URL to probe (the path-inserted one, or the only one).
    #[must_use]
    pub fn first(&self) -> &str {
        self.urls.first().map_or("", String::as_str)
    }

    /// The URL at position `i`.
    #[must_use]
    pub fn get(&self, i: usize) -> Option<&str> {
        self.urls.get(i).map(String::as_str)
    }

    /// How many URLs there are: 1 or 2.
    #[must_use]
    pub fn len(&self) -> usize {
        self.urls.len()
    }

    /// Always `false`: there is at least the root URL.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.urls.is_empty()
    }
}

/// The well-known Protected Resource Metadata URLs for `mcp_url` (RFC 9728 §3.1, checklist P-3,
/// P-4): the path-inserted URL (path and query kept exactly as written; a lone `/` path counts as
/// no path), then the root URL. Exactly one URL when the MCP URL has no path and no query.
///
/// Scheme and host are taken from the WHATWG-parsed URL (lower-cased, default port dropped); the
/// path and query are copied as text. Two allocations at most (one per URL).
///
/// # Errors
///
/// [`ResourceMetadataError::InvalidResourceUrl`] when `mcp_url` is not an `http`/`https` URL with
/// a host, or has user info, a fragment, a dot segment or a character RFC 3986 does not allow.
pub fn well_known_urls(mcp_url: &str) -> Result<ResourceMetadataUrls, ResourceMetadataError> {
    let id = split_identifier(mcp_url).map_err(ResourceMetadataError::InvalidResourceUrl)?;
    let path = if id.path == "/" { "" } else { id.path };
    let origin_len = id.origin_len();
    let mut urls = heapless::Vec::new();
    if !path.is_empty() || !id.query.is_empty() {
        let len = origin_len + WELL_KNOWN_SEGMENT.len() + path.len() + id.query.len();
        let mut s = String::with_capacity(len);
        id.push_origin(&mut s);
        s.push_str(WELL_KNOWN_SEGMENT);
        s.push_str(path);
        s.push_str(id.query);
        // Capacity 2, first push: cannot fail.
        let _ = urls.push(s);
    }
    let mut root = String::with_capacity(origin_len + WELL_KNOWN_SEGMENT.len());
    id.push_origin(&mut root);
    root.push_str(WELL_KNOWN_SEGMENT);
    // Capacity 2, at most second push: cannot fail.
    let _ = urls.push(root);
    Ok(ResourceMetadataUrls { urls })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn index_matches_names() {
        for (i, n) in NAMES.iter().enumerate() {
            assert_eq!(index(n), Some(i));
        }
        assert_eq!(index("x"), None);
    }

    #[test]
    fn segment_prefix_rules() {
        assert!(segment_prefix("", "/mcp"));
        assert!(segment_prefix("/", "/mcp"));
        assert!(segment_prefix("/mcp", "/mcp/tools"));
        assert!(segment_prefix("/mcp/", "/mcp"));
        assert!(!segment_prefix("/mc", "/mcp"));
        assert!(!segment_prefix("/other", "/mcp"));
        assert!(!segment_prefix("/mcp/tools", "/mcp"));
    }

    #[test]
    fn text_url_split() {
        let t = TextUrl::split("https://h:1/a?b").unwrap();
        assert_eq!((t.origin, t.path, t.query), ("https://h:1", "/a", "?b"));
        assert!(TextUrl::split("https:///a").is_none());
        assert!(TextUrl::split("https://h/a#x").is_none());
        assert!(TextUrl::split("nope").is_none());
    }

    #[test]
    fn one_probe_without_path_p4() {
        for u in ["https://rs.example", "https://rs.example/"] {
            let urls = well_known_urls(u).unwrap();
            assert_eq!(urls.len(), 1);
            assert_eq!(
                urls.first(),
                "https://rs.example/.well-known/oauth-protected-resource"
            );
        }
        let urls = well_known_urls("https://rs.example/?q=1").unwrap();
        assert_eq!(
            urls.iter().collect::<Vec<_>>(),
            vec![
                "https://rs.example/.well-known/oauth-protected-resource?q=1",
                "https://rs.example/.well-known/oauth-protected-resource"
            ]
        );
    }
}
