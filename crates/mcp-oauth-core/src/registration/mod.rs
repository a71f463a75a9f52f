//! Client registration: how an MCP client gets a `client_id` (checklist section 4, R-1 … R-25).
//!
//! There are three ways, tried in this order (MCP 2025-11-25 "Client Registration Approaches",
//! checklist R-2); [`select_approach`] makes the choice:
//!
//! 1. **Pre-registered** credentials for this authorization server (R-3, R-4). Nothing to build
//!    here: the caller supplies `client_id` (and perhaps a [`ClientSecret`](crate::secret::ClientSecret)).
//! 2. **Client ID Metadata Documents** (draft-ietf-oauth-client-id-metadata-document, MCP
//!    2025-11-25): the `client_id` is an https URL that serves a JSON document describing the
//!    client. See [`cimd`]: [`ClientIdUrl`] validates the URL (R-6),
//!    [`ClientMetadata::client_id_metadata_document`] writes the document (R-7 … R-9, R-17),
//!    [`cimd::ClientIdMetadataDocument`] checks a fetched copy (R-10 self-check) and
//!    [`ClientMetadata::check_redirect_uri`] warns about loopback ports (R-12).
//! 3. **Dynamic Client Registration** (RFC 7591): see [`dcr`].
//!    [`ClientMetadata::registration_request`] builds the `POST` (R-15 … R-18, R-25) and
//!    [`ClientMetadata::parse_registration_response`] reads the answer (R-19 … R-22).
//!
//! Both CIMD and DCR describe the client with the same [`ClientMetadata`] (RFC 7591 §2).
//!
//! # Redirect URIs
//!
//! Every redirect URI must be `https`, or `http` on a loopback host (`localhost`, `*.localhost`,
//! `127.0.0.0/8`, `[::1]`) (checklist C-1; MCP "Communication Security": "All redirect URIs
//! MUST be either localhost or use HTTPS"). They must not carry a fragment (RFC 6749 §3.1.2) or
//! user info, and must be plain printable ASCII, because they are sent and later compared byte
//! for byte.
//!
//! **Private-use URI schemes** (`com.example.app:/callback`, RFC 8252 §7.1) are refused. OAuth
//! allows them for native apps, but every MCP revision restricts redirect URIs to https or
//! localhost, so an MCP authorization server may refuse them, and a private-use scheme can be
//! claimed by any other app on the device. Native apps should use a loopback redirect
//! (RFC 8252 §7.3) or a claimed https URI (RFC 8252 §7.2; set
//! [`ApplicationType::Native`] explicitly in that case). If an authorization server needs a
//! custom scheme, register the client out of band (pre-registration).
//!
//! # Example
//!
//! ```
//! use mcp_oauth_core::registration::{ApplicationType, ClientMetadata, RegistrationApproach,
//!     RegistrationInputs, select_approach};
//!
//! let approach = select_approach(
//!     RegistrationInputs::new()
//!         .client_id_metadata_document_url(true)
//!         .server_supports_client_id_metadata_document(true)
//!         .registration_endpoint(true),
//! );
//! assert_eq!(approach, RegistrationApproach::ClientIdMetadataDocument);
//!
//! let metadata = ClientMetadata::new("Example MCP Client")
//!     .with_redirect_uri("http://127.0.0.1:53211/callback")
//!     .with_refresh_tokens();
//! assert!(metadata.validate().is_ok());
//! assert_eq!(metadata.application_type(), ApplicationType::Native);
//! assert_eq!(metadata.grant_types(), ["authorization_code", "refresh_token"]);
//! ```

use alloc::string::String;
use alloc::vec::Vec;

use url::Url;

use crate::redirect;
use crate::scope::Scopes;
use crate::urls::{UrlPolicy, is_loopback_host};

pub mod cimd;
pub mod dcr;

pub use cimd::{ClientIdMetadataDocument, ClientIdUrl, ClientIdUrlError, DocumentError};
pub use dcr::{RegisteredClient, RegistrationError, RegistrationRequestError, RegistrationWarning};

// ---------------------------------------------------------------------------------------------
// Registration approach (R-2, R-5, R-14)
// ---------------------------------------------------------------------------------------------

/// How the client should identify itself to one authorization server. See [`select_approach`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RegistrationApproach {
    /// Use the pre-registered credentials configured for this issuer (R-3).
    PreRegistered,
    /// Use the configured Client ID Metadata Document URL as `client_id` (R-5).
    ClientIdMetadataDocument,
    /// Register dynamically (RFC 7591) at the given endpoint (R-14).
    Dynamic(DynamicEndpoint),
    /// No way to obtain a `client_id`: ask the user for client information, or fail with a typed
    /// error. No authorization request may be sent (R-1).
    None,
}

/// Which registration endpoint a [`RegistrationApproach::Dynamic`] registration uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DynamicEndpoint {
    /// The `registration_endpoint` advertised in the authorization server metadata.
    Advertised,
    /// The MCP 2025-03-26 default `/register` on the authorization base URL (legacy fallback,
    /// used only when the server published no metadata at all).
    LegacyDefault,
}

/// The facts [`select_approach`] decides on. Every fact defaults to `false`.
///
/// Plain booleans on purpose: the caller reads them from its configuration and from the
/// authorization server metadata, whatever types those use.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RegistrationInputs {
    pre_registered: bool,
    cimd_url: bool,
    cimd_supported: bool,
    registration_endpoint: bool,
    legacy_register: bool,
}

impl RegistrationInputs {
    /// All facts `false`.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            pre_registered: false,
            cimd_url: false,
            cimd_supported: false,
            registration_endpoint: false,
            legacy_register: false,
        }
    }

    /// Pre-registered credentials exist **for this issuer** (R-3, R-4: credentials bound to a
    /// different issuer do not count).
    #[must_use]
    pub const fn pre_registered(mut self, present: bool) -> Self {
        self.pre_registered = present;
        self
    }

    /// The client has a Client ID Metadata Document URL configured.
    #[must_use]
    pub const fn client_id_metadata_document_url(mut self, configured: bool) -> Self {
        self.cimd_url = configured;
        self
    }

    /// The authorization server metadata says `"client_id_metadata_document_supported": true`.
    #[must_use]
    pub const fn server_supports_client_id_metadata_document(mut self, supported: bool) -> Self {
        self.cimd_supported = supported;
        self
    }

    /// The authorization server metadata has a `registration_endpoint`.
    #[must_use]
    pub const fn registration_endpoint(mut self, advertised: bool) -> Self {
        self.registration_endpoint = advertised;
        self
    }

    /// The 2025-03-26 fallback is in force (no authorization server metadata was found) and the
    /// caller allows registering at the default `/register` (R-14, checklist B rows).
    #[must_use]
    pub const fn legacy_default_register(mut self, allowed: bool) -> Self {
        self.legacy_register = allowed;
        self
    }
}

/// Pick the registration approach by the MCP priority order (checklist R-2, R-5, R-14).
///
/// 1. Pre-registered credentials for this issuer win.
/// 2. A configured CIMD URL is used only when the server advertises
///    `client_id_metadata_document_supported: true` (R-5); otherwise the client falls back.
/// 3. Dynamic registration only at an advertised `registration_endpoint`, or at the 2025-03-26
///    default `/register` when the caller allows that legacy fallback (R-14).
/// 4. Otherwise [`RegistrationApproach::None`]: the user must supply client information.
///
/// ```
/// use mcp_oauth_core::registration::{
///     DynamicEndpoint, RegistrationApproach, RegistrationInputs, select_approach,
/// };
///
/// // A CIMD URL is configured, but the server does not advertise CIMD support (R-5).
/// let inputs = RegistrationInputs::new()
///     .client_id_metadata_document_url(true)
///     .registration_endpoint(true);
/// assert_eq!(
///     select_approach(inputs),
///     RegistrationApproach::Dynamic(DynamicEndpoint::Advertised)
/// );
/// ```
#[must_use]
pub const fn select_approach(inputs: RegistrationInputs) -> RegistrationApproach {
    if inputs.pre_registered {
        RegistrationApproach::PreRegistered
    } else if inputs.cimd_url && inputs.cimd_supported {
        RegistrationApproach::ClientIdMetadataDocument
    } else if inputs.registration_endpoint {
        RegistrationApproach::Dynamic(DynamicEndpoint::Advertised)
    } else if inputs.legacy_register {
        RegistrationApproach::Dynamic(DynamicEndpoint::LegacyDefault)
    } else {
        RegistrationApproach::None
    }
}

// ---------------------------------------------------------------------------------------------
// Shared metadata values
// ---------------------------------------------------------------------------------------------

/// The OIDC `application_type` client metadata (OpenID Connect Registration 1.0 §2), which MCP
/// requires in registrations (checklist R-18).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApplicationType {
    /// Desktop, mobile and CLI applications, and anything redirecting to a loopback address.
    Native,
    /// Browser applications served from a remote host.
    Web,
}

impl ApplicationType {
    /// The value on the wire.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Native => "native",
            Self::Web => "web",
        }
    }
}

/// A `token_endpoint_auth_method` value (RFC 7591 §2, IANA "OAuth Token Endpoint Authentication
/// Methods").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenEndpointAuthMethod {
    /// `none`: a public client; the token request carries `client_id` and no secret.
    None,
    /// `client_secret_basic`: HTTP Basic with the client secret (RFC 6749 §2.3.1).
    ClientSecretBasic,
    /// `client_secret_post`: the client secret in the request body (RFC 6749 §2.3.1).
    ClientSecretPost,
    /// `client_secret_jwt`: a JWT signed with the client secret (RFC 7523).
    ClientSecretJwt,
    /// `private_key_jwt`: a JWT signed with the client's private key (RFC 7523).
    PrivateKeyJwt,
    /// Any other method, as the server wrote it (for example `tls_client_auth`).
    Other(String),
}

impl TokenEndpointAuthMethod {
    /// Map a wire value to a method (exact, case-sensitive comparison).
    #[must_use]
    pub fn from_wire(value: &str) -> Self {
        match value {
            "none" => Self::None,
            "client_secret_basic" => Self::ClientSecretBasic,
            "client_secret_post" => Self::ClientSecretPost,
            "client_secret_jwt" => Self::ClientSecretJwt,
            "private_key_jwt" => Self::PrivateKeyJwt,
            other => Self::Other(String::from(other)),
        }
    }

    /// The value on the wire.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::None => "none",
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::ClientSecretJwt => "client_secret_jwt",
            Self::PrivateKeyJwt => "private_key_jwt",
            Self::Other(s) => s,
        }
    }

    /// Whether the method is based on a shared client secret (`client_secret_*`).
    #[must_use]
    pub fn uses_client_secret(&self) -> bool {
        matches!(
            self,
            Self::ClientSecretBasic | Self::ClientSecretPost | Self::ClientSecretJwt
        )
    }
}

/// The public keys of a client that authenticates with `private_key_jwt` (RFC 7591 §2).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ClientKeys {
    /// `jwks_uri`: an https URL serving the client's JWK Set.
    JwksUri(String),
    /// `jwks`: the JWK Set inline (a JSON object with a `keys` array). Public keys only.
    Jwks(serde_json::Value),
}

/// Why a redirect URI was refused (checklist C-1). See the [module docs](self#redirect-uris).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RedirectUriError {
    /// Not an absolute URL.
    #[error("redirect URI is not an absolute URL")]
    Invalid,
    /// Contains whitespace, control or non-ASCII characters, which URL parsers silently drop or
    /// re-encode, so the URI would not compare equal to itself later.
    #[error("redirect URI contains whitespace, control or non-ASCII characters")]
    InvalidCharacter,
    /// Plain `http` on a host that is not loopback.
    #[error("redirect URI uses http on a host that is not loopback")]
    InsecureHttp,
    /// A scheme other than `https` or loopback `http` (private-use schemes included).
    #[error("redirect URI scheme is not https or loopback http")]
    UnsupportedScheme,
    /// No host.
    #[error("redirect URI has no host")]
    MissingHost,
    /// User info (`user:pass@`).
    #[error("redirect URI carries user info")]
    UserInfo,
    /// A fragment (RFC 6749 §3.1.2).
    #[error("redirect URI carries a fragment")]
    Fragment,
}

/// Why a [`ClientMetadata`] cannot be sent as a registration or served as a document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MetadataError {
    /// `client_name` is empty or blank (R-8).
    #[error("client_name is empty")]
    EmptyClientName,
    /// No redirect URI was given (R-8, R-15).
    #[error("no redirect URI")]
    NoRedirectUris,
    /// A redirect URI breaks the rules (C-1).
    #[error("redirect URI #{index} refused: {reason}")]
    InvalidRedirectUri {
        /// Position in the list, from 0.
        index: usize,
        /// The rule it breaks.
        reason: RedirectUriError,
    },
    /// `client_uri`, `logo_uri` or `jwks_uri` is not an https URL without fragment or user info.
    #[error("{member} is not an https URL")]
    InvalidUri {
        /// The member name.
        member: &'static str,
    },
    /// A contact is empty.
    #[error("a contact is empty")]
    EmptyContact,
    /// `private_key_jwt` was chosen but no `jwks` / `jwks_uri` was given.
    #[error("private_key_jwt needs jwks or jwks_uri")]
    MissingKeys,
    /// The inline `jwks` is not an object with a `keys` array of objects.
    #[error("jwks is not a JWK Set")]
    InvalidJwks,
    /// The inline `jwks` contains private key material (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`
    /// or `k`) (R-9).
    #[error("jwks contains private key material")]
    PrivateKeyMaterial,
    /// A Client ID Metadata Document cannot use a shared-secret method (`client_secret_*`) (R-9).
    #[error("a client ID metadata document cannot use shared-secret authentication")]
    SharedSecretNotAllowed,
    /// A Client ID Metadata Document can use only `none` or `private_key_jwt` (R-9, R-11).
    #[error("a client ID metadata document must use none or private_key_jwt")]
    AuthMethodNotAllowed,
}

/// What the client tells the authorization server about itself (RFC 7591 §2): the body of a
/// dynamic registration and the content of a Client ID Metadata Document.
///
/// Defaults: public client (`token_endpoint_auth_method: "none"`, R-16), grant type
/// `authorization_code` only, `response_types: ["code"]`, `application_type` derived from the
/// redirect URIs (R-18). Setters never fail; [`ClientMetadata::validate`] (called by every
/// builder) reports the first problem.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientMetadata {
    client_name: String,
    redirect_uris: Vec<String>,
    refresh_tokens: bool,
    device_code: bool,
    auth_method: TokenEndpointAuthMethod,
    application_type: Option<ApplicationType>,
    scope: Scopes,
    client_uri: Option<String>,
    logo_uri: Option<String>,
    software_id: Option<String>,
    software_version: Option<String>,
    contacts: Vec<String>,
    keys: Option<ClientKeys>,
}

impl ClientMetadata {
    /// A public client called `client_name`, with no redirect URI yet.
    #[must_use]
    pub fn new(client_name: impl Into<String>) -> Self {
        Self {
            client_name: client_name.into(),
            redirect_uris: Vec::new(),
            refresh_tokens: false,
            device_code: false,
            auth_method: TokenEndpointAuthMethod::None,
            application_type: None,
            scope: Scopes::new(),
            client_uri: None,
            logo_uri: None,
            software_id: None,
            software_version: None,
            contacts: Vec::new(),
            keys: None,
        }
    }

    /// Add a redirect URI, kept byte for byte (exact duplicates are dropped).
    #[must_use]
    pub fn with_redirect_uri(mut self, uri: impl Into<String>) -> Self {
        let uri = uri.into();
        if !self.redirect_uris.contains(&uri) {
            self.redirect_uris.push(uri);
        }
        self
    }

    /// Ask for refresh tokens: `grant_types` becomes `["authorization_code", "refresh_token"]`
    /// (R-17).
    #[must_use]
    pub fn with_refresh_tokens(mut self) -> Self {
        self.refresh_tokens = true;
        self
    }

    /// Also ask for the device authorization grant (RFC 8628): `grant_types` gains
    /// `urn:ietf:params:oauth:grant-type:device_code`.
    #[must_use]
    pub fn with_device_code_grant(mut self) -> Self {
        self.device_code = true;
        self
    }

    /// Set the token endpoint authentication method (default `none`, R-16). `private_key_jwt`
    /// also needs [`ClientMetadata::with_keys`].
    #[must_use]
    pub fn with_token_endpoint_auth_method(mut self, method: TokenEndpointAuthMethod) -> Self {
        self.auth_method = method;
        self
    }

    /// Override the `application_type` derived from the redirect URIs (R-18).
    #[must_use]
    pub fn with_application_type(mut self, application_type: ApplicationType) -> Self {
        self.application_type = Some(application_type);
        self
    }

    /// Set `scope` (omitted when empty).
    #[must_use]
    pub fn with_scope(mut self, scope: Scopes) -> Self {
        self.scope = scope;
        self
    }

    /// Set `client_uri`, the client's home page (https).
    #[must_use]
    pub fn with_client_uri(mut self, uri: impl Into<String>) -> Self {
        self.client_uri = Some(uri.into());
        self
    }

    /// Set `logo_uri` (https).
    #[must_use]
    pub fn with_logo_uri(mut self, uri: impl Into<String>) -> Self {
        self.logo_uri = Some(uri.into());
        self
    }

    /// Set `software_id`, a stable identifier of the client software across installations.
    #[must_use]
    pub fn with_software_id(mut self, id: impl Into<String>) -> Self {
        self.software_id = Some(id.into());
        self
    }

    /// Set `software_version`.
    #[must_use]
    pub fn with_software_version(mut self, version: impl Into<String>) -> Self {
        self.software_version = Some(version.into());
        self
    }

    /// Add a contact (usually an e-mail address).
    #[must_use]
    pub fn with_contact(mut self, contact: impl Into<String>) -> Self {
        self.contacts.push(contact.into());
        self
    }

    /// Set the public keys for `private_key_jwt` (`jwks_uri` or `jwks`).
    #[must_use]
    pub fn with_keys(mut self, keys: ClientKeys) -> Self {
        self.keys = Some(keys);
        self
    }

    /// `client_name`.
    #[must_use]
    pub fn client_name(&self) -> &str {
        &self.client_name
    }

    /// The redirect URIs, as given.
    #[must_use]
    pub fn redirect_uris(&self) -> &[String] {
        &self.redirect_uris
    }

    /// Whether refresh tokens are requested (R-17).
    #[must_use]
    pub fn wants_refresh_tokens(&self) -> bool {
        self.refresh_tokens
    }

    /// The requested `token_endpoint_auth_method`.
    #[must_use]
    pub fn token_endpoint_auth_method(&self) -> &TokenEndpointAuthMethod {
        &self.auth_method
    }

    /// `scope`, possibly empty.
    #[must_use]
    pub fn scope(&self) -> &Scopes {
        &self.scope
    }

    /// `client_uri`.
    #[must_use]
    pub fn client_uri(&self) -> Option<&str> {
        self.client_uri.as_deref()
    }

    /// `logo_uri`.
    #[must_use]
    pub fn logo_uri(&self) -> Option<&str> {
        self.logo_uri.as_deref()
    }

    /// `software_id`.
    #[must_use]
    pub fn software_id(&self) -> Option<&str> {
        self.software_id.as_deref()
    }

    /// `software_version`.
    #[must_use]
    pub fn software_version(&self) -> Option<&str> {
        self.software_version.as_deref()
    }

    /// `contacts`.
    #[must_use]
    pub fn contacts(&self) -> &[String] {
        &self.contacts
    }

    /// The public keys, if any.
    #[must_use]
    pub fn keys(&self) -> Option<&ClientKeys> {
        self.keys.as_ref()
    }

    /// `grant_types`: `authorization_code`, plus `refresh_token` when refresh tokens are wanted
    /// (R-17), plus the device code grant when asked for.
    #[must_use]
    pub fn grant_types(&self) -> &'static [&'static str] {
        const DEVICE: &str = crate::device::DEVICE_CODE_GRANT_TYPE;
        match (self.refresh_tokens, self.device_code) {
            (true, false) => &["authorization_code", "refresh_token"],
            (false, false) => &["authorization_code"],
            (true, true) => &["authorization_code", "refresh_token", DEVICE],
            (false, true) => &["authorization_code", DEVICE],
        }
    }

    /// The `application_type` that is sent (R-18): the override if one was set; otherwise
    /// `native` when any redirect URI points at a loopback host, `web` when all are remote https.
    ///
    /// A mix of loopback and remote redirect URIs is registered as `native`, because OIDC servers
    /// refuse loopback redirects for `web` clients.
    #[must_use]
    pub fn application_type(&self) -> ApplicationType {
        if let Some(t) = self.application_type {
            return t;
        }
        let any_loopback = self
            .redirect_uris
            .iter()
            .any(|u| matches!(classify_redirect_uri(u), Ok(RedirectKind::Loopback)));
        if any_loopback || self.redirect_uris.is_empty() {
            ApplicationType::Native
        } else {
            ApplicationType::Web
        }
    }

    /// Check everything a registration or document needs: a client name, at least one redirect
    /// URI, every redirect URI allowed (C-1), https `client_uri` / `logo_uri` / `jwks_uri`, keys
    /// for `private_key_jwt` and no private key material (R-9).
    ///
    /// # Errors
    ///
    /// The first [`MetadataError`] found.
    pub fn validate(&self) -> Result<(), MetadataError> {
        if self.client_name.trim().is_empty() {
            return Err(MetadataError::EmptyClientName);
        }
        if self.redirect_uris.is_empty() {
            return Err(MetadataError::NoRedirectUris);
        }
        for (index, uri) in self.redirect_uris.iter().enumerate() {
            classify_redirect_uri(uri)
                .map_err(|reason| MetadataError::InvalidRedirectUri { index, reason })?;
        }
        check_https_uri("client_uri", self.client_uri.as_deref())?;
        check_https_uri("logo_uri", self.logo_uri.as_deref())?;
        if self.contacts.iter().any(|c| c.trim().is_empty()) {
            return Err(MetadataError::EmptyContact);
        }
        match &self.keys {
            None if self.auth_method == TokenEndpointAuthMethod::PrivateKeyJwt => {
                return Err(MetadataError::MissingKeys);
            }
            None => {}
            Some(ClientKeys::JwksUri(uri)) => check_https_uri("jwks_uri", Some(uri))?,
            Some(ClientKeys::Jwks(jwks)) => check_public_jwks(jwks)?,
        }
        Ok(())
    }

    /// Compare the redirect URI the client will actually use with the registered ones
    /// (checklist C-2, R-12).
    ///
    /// ```
    /// use mcp_oauth_core::registration::{ClientMetadata, RedirectUriCheck};
    ///
    /// let m = ClientMetadata::new("App").with_redirect_uri("http://127.0.0.1:3000/callback");
    /// assert_eq!(m.check_redirect_uri("http://127.0.0.1:3000/callback"), RedirectUriCheck::Listed);
    /// assert_eq!(
    ///     m.check_redirect_uri("http://127.0.0.1:53211/callback"),
    ///     RedirectUriCheck::LoopbackPortNotListed
    /// );
    /// ```
    #[must_use]
    pub fn check_redirect_uri(&self, redirect_uri: &str) -> RedirectUriCheck {
        check_redirect_uri_against(&self.redirect_uris, redirect_uri)
    }
}

/// How a redirect URI compares with a registered list (checklist C-2, R-12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RedirectUriCheck {
    /// Listed byte for byte.
    Listed,
    /// A loopback URI that matches a listed one except for the port. RFC 8252 §7.3 requires the
    /// authorization server to accept any port for loopback redirects, but not every server
    /// does: a warning, not an error (R-12).
    LoopbackPortNotListed,
    /// Not listed: the authorization server will refuse it (C-2). A configuration error.
    NotListed,
}

impl RedirectUriCheck {
    /// Whether the authorization request may go ahead (`Listed` or the loopback-port warning).
    #[must_use]
    pub const fn is_usable(self) -> bool {
        matches!(self, Self::Listed | Self::LoopbackPortNotListed)
    }
}

/// What a valid redirect URI points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RedirectKind {
    Loopback,
    Remote,
}

/// The private redirect URI validator (C-1). See the [module docs](self#redirect-uris).
///
/// The shape rules are [`redirect::redirect_uri_shape`], shared with
/// [`redirect::check_redirect_uri`]. What differs is deliberate: the `url` parser must accept
/// the URI too (it is sent to and compared by the authorization server), and loopback is judged
/// on the parsed host with [`is_loopback_host`], so `*.localhost` counts, where the redirect
/// module accepts only loopback literals.
fn classify_redirect_uri(raw: &str) -> Result<RedirectKind, RedirectUriError> {
    if raw.is_empty() {
        return Err(RedirectUriError::Invalid);
    }
    if !redirect::is_uri_text(raw) {
        return Err(RedirectUriError::InvalidCharacter);
    }
    let url = Url::parse(raw).map_err(|_| RedirectUriError::Invalid)?;
    let (is_http, _) = redirect::redirect_uri_shape(raw).map_err(|e| match e {
        redirect::RedirectUriError::UnsupportedScheme => RedirectUriError::UnsupportedScheme,
        redirect::RedirectUriError::UserInfo => RedirectUriError::UserInfo,
        redirect::RedirectUriError::InvalidHost => RedirectUriError::MissingHost,
        redirect::RedirectUriError::Fragment => RedirectUriError::Fragment,
        redirect::RedirectUriError::InsecureScheme => RedirectUriError::InsecureHttp,
        _ => RedirectUriError::Invalid,
    })?;
    let host = url.host().ok_or(RedirectUriError::MissingHost)?;
    let loopback = is_loopback_host(&host);
    if is_http && !loopback {
        return Err(RedirectUriError::InsecureHttp);
    }
    Ok(if loopback {
        RedirectKind::Loopback
    } else {
        RedirectKind::Remote
    })
}

fn check_https_uri(member: &'static str, uri: Option<&str>) -> Result<(), MetadataError> {
    match uri {
        None => Ok(()),
        Some(u) if u.bytes().all(|b| b.is_ascii_graphic()) => UrlPolicy::https_only()
            .check(u)
            .map(|_| ())
            .map_err(|_| MetadataError::InvalidUri { member }),
        Some(_) => Err(MetadataError::InvalidUri { member }),
    }
}

/// JWK members that hold private key material (RFC 7518 §6.2.2, §6.3.2, §6.4).
const PRIVATE_JWK_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

fn check_public_jwks(jwks: &serde_json::Value) -> Result<(), MetadataError> {
    let keys = jwks
        .get("keys")
        .and_then(serde_json::Value::as_array)
        .ok_or(MetadataError::InvalidJwks)?;
    for key in keys {
        let key = key.as_object().ok_or(MetadataError::InvalidJwks)?;
        if PRIVATE_JWK_MEMBERS.iter().any(|m| key.contains_key(*m)) {
            return Err(MetadataError::PrivateKeyMaterial);
        }
    }
    Ok(())
}

/// Compare `uri` with `listed`: byte for byte first, then for loopback URIs ignoring the port.
fn check_redirect_uri_against(listed: &[String], uri: &str) -> RedirectUriCheck {
    if listed.iter().any(|l| l == uri) {
        return RedirectUriCheck::Listed;
    }
    let Ok(RedirectKind::Loopback) = classify_redirect_uri(uri) else {
        return RedirectUriCheck::NotListed;
    };
    let Ok(used) = Url::parse(uri) else {
        return RedirectUriCheck::NotListed;
    };
    let same_but_port = listed.iter().any(|l| {
        Url::parse(l).is_ok_and(|l| {
            l.scheme() == used.scheme()
                && l.host() == used.host()
                && l.path() == used.path()
                && l.query() == used.query()
        })
    });
    if same_but_port {
        RedirectUriCheck::LoopbackPortNotListed
    } else {
        RedirectUriCheck::NotListed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // covers: R-2
    #[test]
    fn priority_order_r2() {
        let all = RegistrationInputs::new()
            .pre_registered(true)
            .client_id_metadata_document_url(true)
            .server_supports_client_id_metadata_document(true)
            .registration_endpoint(true)
            .legacy_default_register(true);
        assert_eq!(select_approach(all), RegistrationApproach::PreRegistered);
        let no_pre = all.pre_registered(false);
        assert_eq!(
            select_approach(no_pre),
            RegistrationApproach::ClientIdMetadataDocument
        );
        let no_cimd = no_pre.client_id_metadata_document_url(false);
        assert_eq!(
            select_approach(no_cimd),
            RegistrationApproach::Dynamic(DynamicEndpoint::Advertised)
        );
    }

    #[test]
    fn cimd_needs_server_flag_r5() {
        let i = RegistrationInputs::new().client_id_metadata_document_url(true);
        assert_eq!(select_approach(i), RegistrationApproach::None);
        assert_eq!(
            select_approach(i.registration_endpoint(true)),
            RegistrationApproach::Dynamic(DynamicEndpoint::Advertised)
        );
        // The flag alone, without a configured URL, is not CIMD.
        let j = RegistrationInputs::new().server_supports_client_id_metadata_document(true);
        assert_eq!(select_approach(j), RegistrationApproach::None);
    }

    // covers: R-1, R-14
    #[test]
    fn dcr_only_with_endpoint_or_legacy_r14() {
        assert_eq!(
            select_approach(RegistrationInputs::new()),
            RegistrationApproach::None
        );
        assert_eq!(
            select_approach(RegistrationInputs::new().legacy_default_register(true)),
            RegistrationApproach::Dynamic(DynamicEndpoint::LegacyDefault)
        );
    }

    #[test]
    fn redirect_uri_rules_c1() {
        for ok in [
            "https://app.example.com/cb",
            "http://127.0.0.1:3000/callback",
            "http://[::1]:3000/callback",
            "http://localhost/cb",
            "https://127.0.0.1/cb",
        ] {
            assert!(classify_redirect_uri(ok).is_ok(), "{ok}");
        }
        let cases = [
            ("http://example.com/cb", RedirectUriError::InsecureHttp),
            (
                "com.example.app:/callback",
                RedirectUriError::UnsupportedScheme,
            ),
            ("javascript:alert(1)", RedirectUriError::UnsupportedScheme),
            ("https://a.example/cb#x", RedirectUriError::Fragment),
            ("https://u:p@a.example/cb", RedirectUriError::UserInfo),
            ("https://@a.example/cb", RedirectUriError::UserInfo),
            (" https://a.example/cb", RedirectUriError::InvalidCharacter),
            ("https://a.example/c\tb", RedirectUriError::InvalidCharacter),
            (
                "https://a.example/\u{e9}",
                RedirectUriError::InvalidCharacter,
            ),
            ("https:a.example/cb", RedirectUriError::Invalid),
            ("/cb", RedirectUriError::Invalid),
            ("", RedirectUriError::Invalid),
        ];
        for (uri, err) in cases {
            assert_eq!(classify_redirect_uri(uri), Err(err), "{uri}");
        }
    }

    // covers: R-18, C-1
    #[test]
    fn application_type_derived_r18() {
        let native = ClientMetadata::new("a").with_redirect_uri("http://127.0.0.1:1/cb");
        assert_eq!(native.application_type(), ApplicationType::Native);
        let web = ClientMetadata::new("a").with_redirect_uri("https://app.example.com/cb");
        assert_eq!(web.application_type(), ApplicationType::Web);
        let mixed = web.clone().with_redirect_uri("http://localhost:8080/cb");
        assert_eq!(mixed.application_type(), ApplicationType::Native);
        let overridden = web.with_application_type(ApplicationType::Native);
        assert_eq!(overridden.application_type(), ApplicationType::Native);
    }

    #[test]
    fn loopback_port_warning_r12() {
        let m = ClientMetadata::new("a")
            .with_redirect_uri("http://127.0.0.1:3000/callback")
            .with_redirect_uri("https://app.example.com/cb");
        assert_eq!(
            m.check_redirect_uri("http://127.0.0.1:3000/callback"),
            RedirectUriCheck::Listed
        );
        assert_eq!(
            m.check_redirect_uri("http://127.0.0.1:53211/callback"),
            RedirectUriCheck::LoopbackPortNotListed
        );
        assert_eq!(
            m.check_redirect_uri("http://127.0.0.1:53211/other"),
            RedirectUriCheck::NotListed
        );
        assert_eq!(
            m.check_redirect_uri("http://[::1]:3000/callback"),
            RedirectUriCheck::NotListed
        );
        assert_eq!(
            m.check_redirect_uri("https://app.example.com:8443/cb"),
            RedirectUriCheck::NotListed
        );
        assert!(!RedirectUriCheck::NotListed.is_usable());
    }

    #[test]
    fn private_keys_refused_r9() {
        let jwks = serde_json::json!({"keys": [{"kty": "EC", "crv": "P-256", "x": "a", "y": "b", "d": "secret"}]});
        let m = ClientMetadata::new("a")
            .with_redirect_uri("https://app.example.com/cb")
            .with_token_endpoint_auth_method(TokenEndpointAuthMethod::PrivateKeyJwt)
            .with_keys(ClientKeys::Jwks(jwks));
        assert_eq!(m.validate(), Err(MetadataError::PrivateKeyMaterial));
        let m = m.with_keys(ClientKeys::Jwks(serde_json::json!({"keys": {}})));
        assert_eq!(m.validate(), Err(MetadataError::InvalidJwks));
    }
}
