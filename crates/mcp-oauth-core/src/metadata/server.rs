//! Authorization server metadata: RFC 8414 and OpenID Connect Discovery 1.0.
//!
//! # Locating the document
//!
//! [`discovery_urls`] lists the URLs to try for an issuer, in order (MCP 2025-11-25 and later;
//! RFC 8414 §3.1, §5; OIDC Discovery §4; checklist A-2 to A-5). A terminating `/` of the issuer
//! path is removed first; then:
//!
//! | Issuer | URLs, in order |
//! |---|---|
//! | `https://as.example/tenant1` | `https://as.example/.well-known/oauth-authorization-server/tenant1`, `https://as.example/.well-known/openid-configuration/tenant1`, `https://as.example/tenant1/.well-known/openid-configuration` |
//! | `https://as.example` | `https://as.example/.well-known/oauth-authorization-server`, `https://as.example/.well-known/openid-configuration` |
//!
//! The root `/.well-known/oauth-authorization-server` is never listed for an issuer with a path: it
//! describes a different issuer (A-4). Move to the next URL on a 404 (or another 4xx); stop at the
//! first 200; treat 5xx and transport errors as errors (A-6).
//!
//! # Validating it
//!
//! 1. [`AuthorizationServerMetadata::from_response`]: status 200, a JSON object with a string
//!    `issuer`. Unknown members are ignored; optional members of the wrong type are treated as
//!    absent and reported in [`warnings`](AuthorizationServerMetadata::warnings) (A-12).
//! 2. [`AuthorizationServerMetadata::validate_issuer`]: `issuer` must be identical (simple string
//!    comparison) to the issuer the URL was built from (RFC 8414 §3.3, OIDC Discovery §4.3, A-7).
//!    On a mismatch, do not use the document **and do not try the remaining URLs**: fail closed.
//!    Only an issuer the client synthesised itself (2025-03-26 legacy mode) may differ by a `/`
//!    as the whole path (A-8, [`IssuerSource::Synthesized`]).
//! 3. [`AuthorizationServerMetadata::code_flow`]: what the authorization-code flow needs (A-9 to
//!    A-11, A-13, A-14), returning the endpoints as URLs that passed the [`UrlPolicy`].
//!
//! ## Deliberate choices
//!
//! - **`response_types_supported` absent**: RFC 8414 makes it required, but its absence carries no
//!   risk (an authorization server without the code flow answers `unsupported_response_type`
//!   visibly), so [`code_flow`](AuthorizationServerMetadata::code_flow) proceeds and reports
//!   [`CodeFlow::response_type_assumed`]. A list **without** `code` is refused.
//! - **`grant_types_supported` present without `authorization_code`** is refused; absent means the
//!   RFC 8414 default, which includes `authorization_code`.
//! - **`code_challenge_methods_supported` absent is refused** (A-10; RFC 8414 §2: absent means no
//!   PKCE), also for OIDC documents. Present without `S256` is refused unless
//!   [`PkceRequirement::S256OrPlain`] (A-11). Other entries are ignored: PayPal lists signature
//!   algorithms (`["RS256","ES256","S256"]`) there, and still offers `S256`.
//! - **Booleans sent as strings**: `"true"`/`"false"` are read as booleans, with a warning. For
//!   `authorization_response_iss_parameter_supported` this deliberately departs from checklist
//!   A-12's example (which treats `"true"` as not advertised): reading it as `true` makes the
//!   client *require* `iss` in the authorization response (RFC 9207), the stricter and safer
//!   reading. Any other wrong type is treated as absent.
//! - A known member appearing twice makes the document ambiguous: refused
//!   ([`DocumentError::DuplicateMember`]).
//! - `signed_metadata` is not processed (RFC 8414 §2.1 makes it optional); its presence is a
//!   warning.
//!
//! # 2025-03-26 legacy servers
//!
//! [`LegacyBase`] implements the first MCP authorization spec (checklist B-1, B-2, B-4, B-5,
//! B-8): the authorization base URL is the MCP URL without its path; metadata is fetched from
//! `<base>/.well-known/oauth-authorization-server` and its issuer compared with
//! [`IssuerSource::Synthesized`]; only on a 404 does the client use
//! [`LegacyBase::default_metadata`] (`/authorize`, `/token`, `/register` at the base). When
//! metadata exists its endpoints are used, wherever they are (B-5).
//!
//! ```
//! use mcp_oauth_core::metadata::server::{
//!     discovery_urls, AuthorizationServerMetadata, DocumentKind, IssuerSource, PkceRequirement,
//! };
//! use mcp_oauth_core::metadata::ServerMetadataError;
//! use mcp_oauth_core::urls::UrlPolicy;
//!
//! let issuer = "https://auth.example.com/tenant1/";
//! let urls = discovery_urls(issuer)?;
//! let listed: Vec<_> = urls.iter().map(|u| (u.kind(), u.url())).collect();
//! assert_eq!(listed, [
//!     (DocumentKind::OAuth, "https://auth.example.com/.well-known/oauth-authorization-server/tenant1"),
//!     (DocumentKind::OpenIdConnect, "https://auth.example.com/.well-known/openid-configuration/tenant1"),
//!     (DocumentKind::OpenIdConnect, "https://auth.example.com/tenant1/.well-known/openid-configuration"),
//! ]);
//!
//! // The document must echo the issuer exactly, trailing slash included.
//! let body = br#"{"issuer":"https://auth.example.com/tenant1",
//!   "authorization_endpoint":"https://auth.example.com/tenant1/authorize",
//!   "token_endpoint":"https://auth.example.com/tenant1/token",
//!   "response_types_supported":["code"],"code_challenge_methods_supported":["S256"]}"#;
//! let md = AuthorizationServerMetadata::from_json(body)?;
//! assert!(matches!(
//!     md.validate_issuer(issuer, IssuerSource::Listed),
//!     Err(ServerMetadataError::IssuerMismatch { .. })
//! ));
//! md.validate_issuer("https://auth.example.com/tenant1", IssuerSource::Listed)?;
//! let flow = md.code_flow(&UrlPolicy::https_only(), PkceRequirement::S256)?;
//! assert_eq!(flow.authorization_endpoint().as_str(), "https://auth.example.com/tenant1/authorize");
//! # Ok::<(), ServerMetadataError>(())
//! ```

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use url::Url;

use super::lenient::{self, Converter};
use super::resource::ResourceMatch;
use super::{DocumentError, IdentifierError, MetadataWarning, parse_object, split_identifier};
use crate::http::HttpResponse;
use crate::urls::{UrlError, UrlPolicy};

/// The RFC 8414 well-known path segment.
pub const OAUTH_WELL_KNOWN_SEGMENT: &str = "/.well-known/oauth-authorization-server";
/// The OpenID Connect Discovery well-known path segment.
pub const OPENID_WELL_KNOWN_SEGMENT: &str = "/.well-known/openid-configuration";

/// Why authorization server metadata could not be located, parsed or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ServerMetadataError {
    /// The issuer (or, in legacy mode, the MCP URL) cannot be used to build discovery URLs.
    #[error("issuer cannot be used for discovery: {0}")]
    InvalidIssuer(IdentifierError),
    /// The response is not a metadata document (status, JSON, shape, `issuer`).
    #[error(transparent)]
    Document(#[from] DocumentError),
    /// The document's `issuer` is not the issuer its URL was built from (RFC 8414 §3.3,
    /// checklist A-7). Do not use the document and do not try further URLs.
    #[error(
        "issuer mismatch: expected `{expected}` (the issuer the metadata URL was built from), found `{found}`{}",
        mismatch_hint(.expected, .found)
    )]
    IssuerMismatch {
        /// The issuer the discovery URL was built from.
        expected: String,
        /// The `issuer` the document declares.
        found: String,
    },
    /// A member the authorization-code flow needs is missing (checklist A-9).
    #[error("authorization server metadata has no `{0}`")]
    MissingEndpoint(&'static str),
    /// `response_types_supported` is present and does not contain `code` (A-9).
    #[error("authorization server does not support response type `code`")]
    CodeResponseTypeNotSupported,
    /// `grant_types_supported` is present and does not contain `authorization_code`.
    #[error("authorization server does not support the `authorization_code` grant")]
    CodeGrantNotSupported,
    /// `code_challenge_methods_supported` is absent: the server does not advertise PKCE
    /// (RFC 8414 §2; MCP 2025-11-25 and later; checklist A-10).
    #[error("authorization server does not advertise PKCE support")]
    PkceNotAdvertised,
    /// `code_challenge_methods_supported` does not contain `S256` (and `plain` was not allowed or
    /// not offered either; checklist A-11).
    #[error("authorization server does not support PKCE method S256")]
    S256NotSupported,
    /// An endpoint URL was refused by the URL policy (checklist A-13, A-14).
    #[error("`{member}` refused: {error}")]
    Endpoint {
        /// The member name, e.g. `token_endpoint`.
        member: &'static str,
        /// Why it was refused.
        error: UrlError,
    },
}

fn mismatch_hint(expected: &str, found: &str) -> &'static str {
    let e = expected.strip_suffix('/').unwrap_or(expected);
    let f = found.strip_suffix('/').unwrap_or(found);
    if e == f {
        " (they differ only by a trailing `/`; RFC 8414 §3.3 requires identical strings)"
    } else {
        ""
    }
}

/// Which specification a discovery URL belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DocumentKind {
    /// RFC 8414 `/.well-known/oauth-authorization-server`.
    OAuth,
    /// OpenID Connect Discovery `/.well-known/openid-configuration`.
    OpenIdConnect,
}

/// One discovery URL with the kind of document expected there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryUrl {
    kind: DocumentKind,
    url: String,
}

impl DiscoveryUrl {
    /// The kind of document.
    #[must_use]
    pub const fn kind(&self) -> DocumentKind {
        self.kind
    }

    /// The URL to `GET`.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The URL, owned.
    #[must_use]
    pub fn into_url(self) -> String {
        self.url
    }
}

/// The discovery URLs of an issuer in probing order: three for an issuer with a path, two without.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveryUrls {
    urls: heapless::Vec<DiscoveryUrl, 3>,
}

impl DiscoveryUrls {
    /// The URLs in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &DiscoveryUrl> + '_ {
        self.urls.iter()
    }

    /// The first URL to try (RFC 8414, path-inserted).
    ///
    /// # Panics
    ///
    /// Never: a `DiscoveryUrls` always holds at least two URLs.
    #[must_use]
    pub fn first(&self) -> &DiscoveryUrl {
        // Built only by `discovery_urls`, which always pushes two or three entries.
        self.urls
            .first()
            .expect("discovery URL list is never empty")
    }

    /// The URL at position `i`.
    #[must_use]
    pub fn get(&self, i: usize) -> Option<&DiscoveryUrl> {
        self.urls.get(i)
    }

    /// How many URLs there are: 2 or 3.
    #[must_use]
    pub fn len(&self) -> usize {
        self.urls.len()
    }

    /// Always `false`.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.urls.is_empty()
    }
}

/// The discovery URLs for `issuer`, in the order MCP prescribes (checklist A-2 to A-5; see the
/// [module docs](self)). The issuer's path is copied as text (one terminating `/` removed);
/// scheme and host come from the WHATWG-parsed URL.
///
/// Only the shape of `issuer` is checked here; check it against the caller's [`UrlPolicy`]
/// beforehand ([`ProtectedResourceMetadata::validate`](super::resource::ProtectedResourceMetadata::validate)
/// does so for every listed authorization server).
///
/// # Errors
///
/// [`ServerMetadataError::InvalidIssuer`] when `issuer` is not an `http`/`https` URL with a host,
/// or has a query, fragment, user info, dot segment or a character RFC 3986 does not allow
/// (such as Entra's `{tenantid}` template).
pub fn discovery_urls(issuer: &str) -> Result<DiscoveryUrls, ServerMetadataError> {
    let id = split_identifier(issuer).map_err(ServerMetadataError::InvalidIssuer)?;
    if !id.query.is_empty() {
        return Err(ServerMetadataError::InvalidIssuer(IdentifierError::Query));
    }
    let path = id.path.strip_suffix('/').unwrap_or(id.path);
    let origin_len = id.origin_len();
    let build = |kind, parts: [&str; 2]| {
        let mut s = String::with_capacity(origin_len + parts[0].len() + parts[1].len());
        id.push_origin(&mut s);
        s.push_str(parts[0]);
        s.push_str(parts[1]);
        DiscoveryUrl { kind, url: s }
    };
    let mut urls = heapless::Vec::new();
    let list = if path.is_empty() {
        [
            Some(build(DocumentKind::OAuth, [OAUTH_WELL_KNOWN_SEGMENT, ""])),
            Some(build(
                DocumentKind::OpenIdConnect,
                [OPENID_WELL_KNOWN_SEGMENT, ""],
            )),
            None,
        ]
    } else {
        [
            Some(build(DocumentKind::OAuth, [OAUTH_WELL_KNOWN_SEGMENT, path])),
            Some(build(
                DocumentKind::OpenIdConnect,
                [OPENID_WELL_KNOWN_SEGMENT, path],
            )),
            Some(build(
                DocumentKind::OpenIdConnect,
                [path, OPENID_WELL_KNOWN_SEGMENT],
            )),
        ]
    };
    for u in list.into_iter().flatten() {
        // At most three pushes into a capacity-3 vector: cannot fail.
        let _ = urls.push(u);
    }
    Ok(DiscoveryUrls { urls })
}

/// Where the issuer a document is compared with came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IssuerSource {
    /// Listed by the protected resource (`authorization_servers`) or configured: exact comparison.
    Listed,
    /// Synthesised by the client from the MCP URL (2025-03-26 legacy mode): a `/` as the whole
    /// path may differ (`https://rs/` vs `https://rs`, checklist A-8). Nothing else.
    Synthesized,
}

/// Which PKCE methods the client accepts (checklist A-11).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PkceRequirement {
    /// `S256` only. The default.
    #[default]
    S256,
    /// `S256`, or `plain` when the server offers only `plain`. An explicit, discouraged opt-in.
    S256OrPlain,
}

/// The PKCE method to use with a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PkceMethod {
    /// `S256` (RFC 7636 §4.2).
    S256,
    /// `plain`; only with [`PkceRequirement::S256OrPlain`].
    Plain,
}

impl PkceMethod {
    /// The `code_challenge_method` value.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::S256 => "S256",
            Self::Plain => "plain",
        }
    }
}

/// An endpoint member of the metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Endpoint {
    /// `authorization_endpoint`.
    Authorization,
    /// `token_endpoint`.
    Token,
    /// `registration_endpoint` (RFC 7591).
    Registration,
    /// `jwks_uri`.
    Jwks,
    /// `revocation_endpoint` (RFC 7009).
    Revocation,
    /// `introspection_endpoint` (RFC 7662).
    Introspection,
    /// `device_authorization_endpoint` (RFC 8628).
    DeviceAuthorization,
    /// `userinfo_endpoint` (OpenID Connect).
    Userinfo,
}

impl Endpoint {
    /// Every endpoint, in document order.
    pub const ALL: [Self; 8] = [
        Self::Authorization,
        Self::Token,
        Self::Registration,
        Self::Jwks,
        Self::Revocation,
        Self::Introspection,
        Self::DeviceAuthorization,
        Self::Userinfo,
    ];

    /// The metadata member name.
    #[must_use]
    pub const fn member(self) -> &'static str {
        match self {
            Self::Authorization => "authorization_endpoint",
            Self::Token => "token_endpoint",
            Self::Registration => "registration_endpoint",
            Self::Jwks => "jwks_uri",
            Self::Revocation => "revocation_endpoint",
            Self::Introspection => "introspection_endpoint",
            Self::DeviceAuthorization => "device_authorization_endpoint",
            Self::Userinfo => "userinfo_endpoint",
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.member())
    }
}

/// What the authorization-code flow uses from a validated document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeFlow {
    authorization_endpoint: Url,
    token_endpoint: Url,
    pkce_method: PkceMethod,
    response_type_assumed: bool,
}

impl CodeFlow {
    /// The authorization endpoint, accepted by the URL policy.
    #[must_use]
    pub fn authorization_endpoint(&self) -> &Url {
        &self.authorization_endpoint
    }

    /// The token endpoint, accepted by the URL policy.
    #[must_use]
    pub fn token_endpoint(&self) -> &Url {
        &self.token_endpoint
    }

    /// The PKCE method to use.
    #[must_use]
    pub const fn pkce_method(&self) -> PkceMethod {
        self.pkce_method
    }

    /// Whether `response_types_supported` was absent and `code` support was assumed.
    #[must_use]
    pub const fn response_type_assumed(&self) -> bool {
        self.response_type_assumed
    }
}

/// An authorization server metadata document (RFC 8414 §2 / OIDC Discovery §3), as received.
///
/// Holds every member an MCP client uses. Optional members of the wrong type are `None` and
/// reported in [`warnings`](Self::warnings). Validate with [`validate_issuer`](Self::validate_issuer)
/// before using anything else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationServerMetadata {
    issuer: String,
    authorization_endpoint: Option<String>,
    token_endpoint: Option<String>,
    registration_endpoint: Option<String>,
    jwks_uri: Option<String>,
    scopes_supported: Option<Vec<String>>,
    response_types_supported: Option<Vec<String>>,
    response_modes_supported: Option<Vec<String>>,
    grant_types_supported: Option<Vec<String>>,
    code_challenge_methods_supported: Option<Vec<String>>,
    token_endpoint_auth_methods_supported: Option<Vec<String>>,
    token_endpoint_auth_signing_alg_values_supported: Option<Vec<String>>,
    revocation_endpoint: Option<String>,
    introspection_endpoint: Option<String>,
    device_authorization_endpoint: Option<String>,
    client_id_metadata_document_supported: Option<bool>,
    authorization_response_iss_parameter_supported: Option<bool>,
    dpop_signing_alg_values_supported: Option<Vec<String>>,
    userinfo_endpoint: Option<String>,
    legacy_defaults: bool,
    warnings: Vec<MetadataWarning>,
}

const NAMES: [&str; 20] = [
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "registration_endpoint",
    "jwks_uri",
    "scopes_supported",
    "response_types_supported",
    "response_modes_supported",
    "grant_types_supported",
    "code_challenge_methods_supported",
    "token_endpoint_auth_methods_supported",
    "token_endpoint_auth_signing_alg_values_supported",
    "revocation_endpoint",
    "introspection_endpoint",
    "device_authorization_endpoint",
    "client_id_metadata_document_supported",
    "authorization_response_iss_parameter_supported",
    "dpop_signing_alg_values_supported",
    "userinfo_endpoint",
    "signed_metadata",
];

/// The position of `name` in `NAMES`.
fn index(name: &str) -> Option<usize> {
    Some(match name {
        "issuer" => 0,
        "authorization_endpoint" => 1,
        "token_endpoint" => 2,
        "registration_endpoint" => 3,
        "jwks_uri" => 4,
        "scopes_supported" => 5,
        "response_types_supported" => 6,
        "response_modes_supported" => 7,
        "grant_types_supported" => 8,
        "code_challenge_methods_supported" => 9,
        "token_endpoint_auth_methods_supported" => 10,
        "token_endpoint_auth_signing_alg_values_supported" => 11,
        "revocation_endpoint" => 12,
        "introspection_endpoint" => 13,
        "device_authorization_endpoint" => 14,
        "client_id_metadata_document_supported" => 15,
        "authorization_response_iss_parameter_supported" => 16,
        "dpop_signing_alg_values_supported" => 17,
        "userinfo_endpoint" => 18,
        "signed_metadata" => 19,
        _ => return None,
    })
}

impl AuthorizationServerMetadata {
    /// Parse a document from a response: status 200 required, then [`Self::from_json`].
    ///
    /// The `Content-Type` is not checked.
    ///
    /// # Errors
    ///
    /// [`DocumentError::UnexpectedStatus`] for any status but 200, else as [`Self::from_json`].
    pub fn from_response(response: &HttpResponse) -> Result<Self, ServerMetadataError> {
        if response.status != 200 {
            return Err(DocumentError::UnexpectedStatus(response.status).into());
        }
        Self::from_json(&response.body)
    }

    /// Parse a document from a JSON body, in one pass.
    ///
    /// # Errors
    ///
    /// A [`DocumentError`] when the body is not a JSON object, when `issuer` is missing or not a
    /// string, or when a member this parser reads appears twice.
    pub fn from_json(body: &[u8]) -> Result<Self, ServerMetadataError> {
        let mut raw = parse_object(body, &NAMES, index)?;
        let issuer = lenient::required_string(raw.take(0), "issuer")?;
        let mut c = Converter::default();
        let mut doc = Self {
            issuer,
            authorization_endpoint: c.string(raw.take(1), "authorization_endpoint"),
            token_endpoint: c.string(raw.take(2), "token_endpoint"),
            registration_endpoint: c.string(raw.take(3), "registration_endpoint"),
            jwks_uri: c.string(raw.take(4), "jwks_uri"),
            scopes_supported: c.list(raw.take(5), "scopes_supported"),
            response_types_supported: c.list(raw.take(6), "response_types_supported"),
            response_modes_supported: c.list(raw.take(7), "response_modes_supported"),
            grant_types_supported: c.list(raw.take(8), "grant_types_supported"),
            code_challenge_methods_supported: c
                .list(raw.take(9), "code_challenge_methods_supported"),
            token_endpoint_auth_methods_supported: c
                .list(raw.take(10), "token_endpoint_auth_methods_supported"),
            token_endpoint_auth_signing_alg_values_supported: c.list(
                raw.take(11),
                "token_endpoint_auth_signing_alg_values_supported",
            ),
            revocation_endpoint: c.string(raw.take(12), "revocation_endpoint"),
            introspection_endpoint: c.string(raw.take(13), "introspection_endpoint"),
            device_authorization_endpoint: c.string(raw.take(14), "device_authorization_endpoint"),
            client_id_metadata_document_supported: c
                .boolean(raw.take(15), "client_id_metadata_document_supported"),
            authorization_response_iss_parameter_supported: c.boolean(
                raw.take(16),
                "authorization_response_iss_parameter_supported",
            ),
            dpop_signing_alg_values_supported: c
                .list(raw.take(17), "dpop_signing_alg_values_supported"),
            userinfo_endpoint: c.string(raw.take(18), "userinfo_endpoint"),
            legacy_defaults: false,
            warnings: c.warnings,
        };
        if raw.take(19).is_some() {
            doc.warnings.push(MetadataWarning::SignedMetadataIgnored);
        }
        Ok(doc)
    }

    /// Check that `issuer` is the issuer the discovery URL was built from (RFC 8414 §3.3, OIDC
    /// Discovery §4.3, checklist A-7, A-8). `expected` is compared as given, before the trailing
    /// `/` removal [`discovery_urls`] applies for building URLs.
    ///
    /// # Errors
    ///
    /// [`ServerMetadataError::IssuerMismatch`], naming both values. Stop discovery for this
    /// authorization server: do not try the remaining discovery URLs.
    pub fn validate_issuer(
        &self,
        expected: &str,
        source: IssuerSource,
    ) -> Result<(), ServerMetadataError> {
        let ok = match source {
            IssuerSource::Listed => self.issuer == expected,
            IssuerSource::Synthesized => ResourceMatch::exact()
                .allow_trailing_slash()
                .matches(expected, &self.issuer),
        };
        if ok {
            Ok(())
        } else {
            Err(ServerMetadataError::IssuerMismatch {
                expected: String::from(expected),
                found: self.issuer.clone(),
            })
        }
    }

    /// Check what the authorization-code flow needs (checklist A-9 to A-11, A-13, A-14) and
    /// return its endpoints as URLs accepted by `policy`. See the [module docs](self) for the
    /// choices made on absent members.
    ///
    /// # Errors
    ///
    /// In this order: [`ServerMetadataError::MissingEndpoint`],
    /// [`ServerMetadataError::CodeResponseTypeNotSupported`],
    /// [`ServerMetadataError::CodeGrantNotSupported`], [`ServerMetadataError::PkceNotAdvertised`],
    /// [`ServerMetadataError::S256NotSupported`], [`ServerMetadataError::Endpoint`].
    pub fn code_flow(
        &self,
        policy: &UrlPolicy,
        pkce: PkceRequirement,
    ) -> Result<CodeFlow, ServerMetadataError> {
        let authorization =
            self.authorization_endpoint
                .as_deref()
                .ok_or(ServerMetadataError::MissingEndpoint(
                    "authorization_endpoint",
                ))?;
        let token = self
            .token_endpoint
            .as_deref()
            .ok_or(ServerMetadataError::MissingEndpoint("token_endpoint"))?;
        let response_type_assumed = match &self.response_types_supported {
            None => true,
            Some(types) if types.iter().any(|t| t == "code") => false,
            Some(_) => return Err(ServerMetadataError::CodeResponseTypeNotSupported),
        };
        if let Some(grants) = &self.grant_types_supported
            && !grants.iter().any(|g| g == "authorization_code")
        {
            return Err(ServerMetadataError::CodeGrantNotSupported);
        }
        let methods = self
            .code_challenge_methods_supported
            .as_deref()
            .ok_or(ServerMetadataError::PkceNotAdvertised)?;
        let pkce_method = if methods.iter().any(|m| m == "S256") {
            PkceMethod::S256
        } else if pkce == PkceRequirement::S256OrPlain && methods.iter().any(|m| m == "plain") {
            PkceMethod::Plain
        } else {
            return Err(ServerMetadataError::S256NotSupported);
        };
        let check = |member, value: &str| {
            policy
                .check(value)
                .map_err(|error| ServerMetadataError::Endpoint { member, error })
        };
        Ok(CodeFlow {
            authorization_endpoint: check("authorization_endpoint", authorization)?,
            token_endpoint: check("token_endpoint", token)?,
            pkce_method,
            response_type_assumed,
        })
    }

    /// The raw value of an endpoint member.
    #[must_use]
    pub fn endpoint(&self, which: Endpoint) -> Option<&str> {
        match which {
            Endpoint::Authorization => self.authorization_endpoint.as_deref(),
            Endpoint::Token => self.token_endpoint.as_deref(),
            Endpoint::Registration => self.registration_endpoint.as_deref(),
            Endpoint::Jwks => self.jwks_uri.as_deref(),
            Endpoint::Revocation => self.revocation_endpoint.as_deref(),
            Endpoint::Introspection => self.introspection_endpoint.as_deref(),
            Endpoint::DeviceAuthorization => self.device_authorization_endpoint.as_deref(),
            Endpoint::Userinfo => self.userinfo_endpoint.as_deref(),
        }
    }

    /// An endpoint checked against `policy` (checklist A-13, A-14): `Ok(None)` when absent.
    /// Use it before sending anything to an endpoint other than the two
    /// [`code_flow`](Self::code_flow) checks (registration, revocation, …).
    ///
    /// # Errors
    ///
    /// [`ServerMetadataError::Endpoint`] when the URL is refused.
    pub fn checked_endpoint(
        &self,
        which: Endpoint,
        policy: &UrlPolicy,
    ) -> Result<Option<Url>, ServerMetadataError> {
        self.endpoint(which)
            .map(|v| {
                policy
                    .check(v)
                    .map_err(|error| ServerMetadataError::Endpoint {
                        member: which.member(),
                        error,
                    })
            })
            .transpose()
    }

    /// Check every endpoint present against `policy`, in [`Endpoint::ALL`] order.
    ///
    /// # Errors
    ///
    /// [`ServerMetadataError::Endpoint`] for the first refused endpoint.
    pub fn check_endpoints(&self, policy: &UrlPolicy) -> Result<(), ServerMetadataError> {
        for which in Endpoint::ALL {
            self.checked_endpoint(which, policy)?;
        }
        Ok(())
    }

    /// `issuer`, exactly as sent: the identity to key registrations and tokens by once validated
    /// (checklist A-16), and the value to compare the RFC 9207 `iss` parameter with.
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// `authorization_endpoint`, unchecked (see [`code_flow`](Self::code_flow)).
    #[must_use]
    pub fn authorization_endpoint(&self) -> Option<&str> {
        self.authorization_endpoint.as_deref()
    }

    /// `token_endpoint`, unchecked (see [`code_flow`](Self::code_flow)).
    #[must_use]
    pub fn token_endpoint(&self) -> Option<&str> {
        self.token_endpoint.as_deref()
    }

    /// `registration_endpoint` (RFC 7591), unchecked (see [`checked_endpoint`](Self::checked_endpoint)).
    #[must_use]
    pub fn registration_endpoint(&self) -> Option<&str> {
        self.registration_endpoint.as_deref()
    }

    /// `jwks_uri`, unchecked.
    #[must_use]
    pub fn jwks_uri(&self) -> Option<&str> {
        self.jwks_uri.as_deref()
    }

    /// `scopes_supported`.
    #[must_use]
    pub fn scopes_supported(&self) -> Option<&[String]> {
        self.scopes_supported.as_deref()
    }

    /// `response_types_supported`.
    #[must_use]
    pub fn response_types_supported(&self) -> Option<&[String]> {
        self.response_types_supported.as_deref()
    }

    /// `response_modes_supported`.
    #[must_use]
    pub fn response_modes_supported(&self) -> Option<&[String]> {
        self.response_modes_supported.as_deref()
    }

    /// `grant_types_supported`; absent means `["authorization_code", "implicit"]` (RFC 8414 §2).
    #[must_use]
    pub fn grant_types_supported(&self) -> Option<&[String]> {
        self.grant_types_supported.as_deref()
    }

    /// `code_challenge_methods_supported`; absent means PKCE is not supported (RFC 8414 §2).
    #[must_use]
    pub fn code_challenge_methods_supported(&self) -> Option<&[String]> {
        self.code_challenge_methods_supported.as_deref()
    }

    /// `token_endpoint_auth_methods_supported`; absent means `["client_secret_basic"]`
    /// (RFC 8414 §2).
    #[must_use]
    pub fn token_endpoint_auth_methods_supported(&self) -> Option<&[String]> {
        self.token_endpoint_auth_methods_supported.as_deref()
    }

    /// `token_endpoint_auth_signing_alg_values_supported`.
    #[must_use]
    pub fn token_endpoint_auth_signing_alg_values_supported(&self) -> Option<&[String]> {
        self.token_endpoint_auth_signing_alg_values_supported
            .as_deref()
    }

    /// `revocation_endpoint` (RFC 7009), unchecked.
    #[must_use]
    pub fn revocation_endpoint(&self) -> Option<&str> {
        self.revocation_endpoint.as_deref()
    }

    /// `introspection_endpoint` (RFC 7662), unchecked.
    #[must_use]
    pub fn introspection_endpoint(&self) -> Option<&str> {
        self.introspection_endpoint.as_deref()
    }

    /// `device_authorization_endpoint` (RFC 8628), unchecked.
    #[must_use]
    pub fn device_authorization_endpoint(&self) -> Option<&str> {
        self.device_authorization_endpoint.as_deref()
    }

    /// `client_id_metadata_document_supported` (Client ID Metadata Documents); absent means
    /// `false`. The string `"true"` is read as `true` (with a warning).
    #[must_use]
    pub fn client_id_metadata_document_supported(&self) -> bool {
        self.client_id_metadata_document_supported.unwrap_or(false)
    }

    /// `authorization_response_iss_parameter_supported` (RFC 9207 §3); absent means `false`.
    /// The string `"true"` is read as `true` (with a warning): the client then requires `iss`,
    /// the stricter reading (see the [module docs](self)).
    #[must_use]
    pub fn authorization_response_iss_parameter_supported(&self) -> bool {
        self.authorization_response_iss_parameter_supported
            .unwrap_or(false)
    }

    /// `dpop_signing_alg_values_supported` (RFC 9449).
    #[must_use]
    pub fn dpop_signing_alg_values_supported(&self) -> Option<&[String]> {
        self.dpop_signing_alg_values_supported.as_deref()
    }

    /// `userinfo_endpoint` (OpenID Connect), unchecked.
    #[must_use]
    pub fn userinfo_endpoint(&self) -> Option<&str> {
        self.userinfo_endpoint.as_deref()
    }

    /// Whether this value was made by [`LegacyBase::default_metadata`] rather than received.
    #[must_use]
    pub const fn is_legacy_default(&self) -> bool {
        self.legacy_defaults
    }

    /// What was tolerated while parsing.
    #[must_use]
    pub fn warnings(&self) -> &[MetadataWarning] {
        &self.warnings
    }
}

/// The 2025-03-26 authorization base URL: the MCP URL with its path (and query) discarded
/// (checklist B-1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LegacyBase {
    base: String,
}

impl LegacyBase {
    /// The base of `mcp_url`: `scheme://host[:port]`, without a trailing `/`.
    ///
    /// # Errors
    ///
    /// [`ServerMetadataError::InvalidIssuer`] when `mcp_url` is not a usable `http`/`https` URL.
    pub fn from_mcp_url(mcp_url: &str) -> Result<Self, ServerMetadataError> {
        let id = split_identifier(mcp_url).map_err(ServerMetadataError::InvalidIssuer)?;
        let mut base = String::with_capacity(id.origin_len());
        id.push_origin(&mut base);
        Ok(Self { base })
    }

    /// The base URL, e.g. `https://api.example.com`. In legacy mode it is the issuer to bind
    /// credentials to when no metadata exists (checklist B-8), and the `expected` value for
    /// [`AuthorizationServerMetadata::validate_issuer`] with [`IssuerSource::Synthesized`].
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.base
    }

    /// `<base>/.well-known/oauth-authorization-server`, the only metadata URL of 2025-03-26
    /// (checklist B-2).
    #[must_use]
    pub fn metadata_url(&self) -> String {
        let mut s = String::with_capacity(self.base.len() + OAUTH_WELL_KNOWN_SEGMENT.len());
        s.push_str(&self.base);
        s.push_str(OAUTH_WELL_KNOWN_SEGMENT);
        s
    }

    /// The metadata to use when [`metadata_url`](Self::metadata_url) answers 404 (checklist B-4):
    /// issuer = the base, `authorization_endpoint` = `<base>/authorize`, `token_endpoint` =
    /// `<base>/token`, `registration_endpoint` = `<base>/register`, `response_types_supported`
    /// = `["code"]`, `grant_types_supported` = `["authorization_code", "refresh_token"]`,
    /// `code_challenge_methods_supported` = `["S256"]` (2025-03-26 requires PKCE of every
    /// server, so S256 is assumed). [`is_legacy_default`](AuthorizationServerMetadata::is_legacy_default)
    /// is `true`. Never use it when metadata exists (B-5).
    #[must_use]
    pub fn default_metadata(&self) -> AuthorizationServerMetadata {
        let at = |path: &str| {
            let mut s = String::with_capacity(self.base.len() + path.len());
            s.push_str(&self.base);
            s.push_str(path);
            Some(s)
        };
        let list = |items: &[&str]| Some(items.iter().map(|s| String::from(*s)).collect());
        AuthorizationServerMetadata {
            issuer: self.base.clone(),
            authorization_endpoint: at("/authorize"),
            token_endpoint: at("/token"),
            registration_endpoint: at("/register"),
            jwks_uri: None,
            scopes_supported: None,
            response_types_supported: list(&["code"]),
            response_modes_supported: None,
            grant_types_supported: list(&["authorization_code", "refresh_token"]),
            code_challenge_methods_supported: list(&["S256"]),
            token_endpoint_auth_methods_supported: None,
            token_endpoint_auth_signing_alg_values_supported: None,
            revocation_endpoint: None,
            introspection_endpoint: None,
            device_authorization_endpoint: None,
            client_id_metadata_document_supported: None,
            authorization_response_iss_parameter_supported: None,
            dpop_signing_alg_values_supported: None,
            userinfo_endpoint: None,
            legacy_defaults: true,
            warnings: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hint_only_for_slash_difference() {
        assert!(!mismatch_hint("https://a/", "https://a").is_empty());
        assert!(mismatch_hint("https://a", "https://b").is_empty());
    }

    #[test]
    fn index_matches_names() {
        for (i, n) in NAMES.iter().enumerate() {
            assert_eq!(index(n), Some(i));
        }
        assert_eq!(index("x"), None);
    }

    #[test]
    fn endpoint_names_match_table() {
        for e in Endpoint::ALL {
            assert!(NAMES.contains(&e.member()), "{e}");
        }
    }

    #[test]
    fn legacy_default_passes_code_flow() {
        let base = LegacyBase::from_mcp_url("https://api.example.com/v1/mcp").unwrap();
        let md = base.default_metadata();
        assert!(md.is_legacy_default());
        md.validate_issuer(base.as_str(), IssuerSource::Synthesized)
            .unwrap();
        let flow = md
            .code_flow(&UrlPolicy::https_only(), PkceRequirement::S256)
            .unwrap();
        assert_eq!(
            flow.authorization_endpoint().as_str(),
            "https://api.example.com/authorize"
        );
    }
}
