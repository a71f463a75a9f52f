//! Flow configuration: required values in constructors, options by builder methods. There is no
//! `Default`: a flow always needs the MCP server URL and a client description.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use super::assertion::{AssertionSource, IdpConfig};
use super::error::ConfigError;
use crate::metadata::resource::ResourceMatch;
use crate::registration::{ClientIdUrl, ClientMetadata, TokenEndpointAuthMethod};
use crate::secret::{ClientSecret, InitialAccessToken};
use crate::urls::UrlPolicy;

/// How a repeated `resource_metadata` parameter in one challenge is handled (checklist D-12).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DuplicatePolicy {
    /// Ignore the parameter and probe the well-known URLs. The default.
    #[default]
    Strict,
    /// Try each value in order; accept only a document that validates.
    Lenient,
}

/// Chooses the order in which the authorization servers a protected resource lists are tried
/// (checklist P-11).
pub trait SelectAuthorizationServer: Send + Sync {
    /// Indices into `listed` in the order to try. Out-of-range and repeated indices are ignored;
    /// unlisted servers are not tried. `resource` is the validated PRM `resource`.
    fn order(&self, resource: &str, listed: &[String]) -> Vec<usize>;
}

/// The default [`SelectAuthorizationServer`]: as listed; the first that yields valid metadata
/// wins.
#[derive(Debug, Clone, Copy, Default)]
pub struct AsListed;

impl SelectAuthorizationServer for AsListed {
    fn order(&self, _resource: &str, listed: &[String]) -> Vec<usize> {
        (0..listed.len()).collect()
    }
}

/// Client credentials obtained out of band (checklist R-3).
///
/// `client_secret` and the private key are secrets: redacted in `Debug`.
///
/// With the `jose` feature the client can authenticate with `private_key_jwt` instead of a
/// secret (RFC 7523 §2.2): give it the private key registered with the authorization server,
/// see [`PreRegisteredClient::with_private_key`].
#[derive(Debug, Clone)]
pub struct PreRegisteredClient {
    /// The issuer these credentials belong to. `None` means "usable with whichever
    /// authorization server the protected resource names": convenient for a single-server
    /// deployment, but it lets the credentials go to any listed server, so bind them when you
    /// know the issuer (checklist R-4). Bound credentials are never offered to another issuer.
    pub issuer: Option<String>,
    /// The client identifier.
    pub client_id: String,
    /// The client secret, for confidential clients.
    pub client_secret: Option<ClientSecret>,
    /// The registered token endpoint authentication method; `None` lets the flow choose from
    /// the server metadata (checklist T-4).
    pub auth_method: Option<TokenEndpointAuthMethod>,
    /// The private key for `private_key_jwt` and its assertion options (feature `jose`).
    #[cfg(feature = "jose")]
    pub private_key: Option<crate::token::ClientAssertionKey>,
}

impl PreRegisteredClient {
    /// Credentials bound to `issuer`.
    #[must_use]
    pub fn new(issuer: impl Into<String>, client_id: impl Into<String>) -> Self {
        Self {
            issuer: Some(issuer.into()),
            client_id: client_id.into(),
            client_secret: None,
            auth_method: None,
            #[cfg(feature = "jose")]
            private_key: None,
        }
    }

    /// Credentials for whichever authorization server the protected resource names.
    #[must_use]
    pub fn unbound(client_id: impl Into<String>) -> Self {
        Self {
            issuer: None,
            client_id: client_id.into(),
            client_secret: None,
            auth_method: None,
            #[cfg(feature = "jose")]
            private_key: None,
        }
    }

    /// Add a client secret.
    #[must_use]
    pub fn with_secret(mut self, secret: ClientSecret) -> Self {
        self.client_secret = Some(secret);
        self
    }

    /// Set the registered authentication method.
    #[must_use]
    pub fn with_auth_method(mut self, method: TokenEndpointAuthMethod) -> Self {
        self.auth_method = Some(method);
        self
    }

    /// Authenticate with `private_key_jwt` (RFC 7523 §2.2) using `key`, whose public half is
    /// registered with the authorization server (feature `jose`; `RS256` keys need `jose-rsa`).
    /// Pass a [`SigningKey`](crate::jose::SigningKey), or a
    /// [`ClientAssertionKey`](crate::token::ClientAssertionKey) to set a `kid` or the audience.
    ///
    /// Every token request (code exchange, refresh, client credentials) then carries a fresh
    /// client assertion: `iss` = `sub` = the client id, `aud` = the server's issuer, valid for
    /// 60 s, with a random `jti` from the flow's generator (see
    /// [`token`](crate::token#private_key_jwt)). The method is used when the server metadata
    /// lists `private_key_jwt` in `token_endpoint_auth_methods_supported` and the key's
    /// algorithm in `token_endpoint_auth_signing_alg_values_supported` (or omits that list). If
    /// it does not, a client that also has a secret falls back to the secret methods; one without
    /// a secret fails with
    /// [`ClientAuthError::PrivateKeyJwtNotAccepted`](crate::token::ClientAuthError::PrivateKeyJwtNotAccepted)
    /// rather than pose as a public client.
    ///
    /// ```
    /// use mcp_oauth_core::flow::{ClientConfig, FlowConfig, PreRegisteredClient};
    /// use mcp_oauth_core::jose::SigningKey;
    /// use mcp_oauth_core::token::ClientAssertionKey;
    ///
    /// # let pem = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgjpsQnnGQmL+YBIff\nH1136cspYG6+0iY7X1fCE9+E9LKhRANCAAR/zc4ncPbEXUGDy+5v20t7WAczNXvp\n7xO6z248e9FURcfxRM0bvZt+hyzf7bnuufSzaV1uqQskrYpGIyiFiOWt\n-----END PRIVATE KEY-----\n";
    /// let key = SigningKey::from_pkcs8_pem(pem)?;
    /// let client = PreRegisteredClient::new("https://auth.example.com", "my-service")
    ///     .with_private_key(ClientAssertionKey::new(key).key_id("2026-key"));
    /// assert!(!format!("{client:?}").contains("jpsQ"));
    /// let config = FlowConfig::new("https://mcp.example.com/mcp", ClientConfig::client_credentials())
    ///     .pre_registered(client);
    /// # Ok::<(), mcp_oauth_core::jose::JoseError>(())
    /// ```
    #[cfg(feature = "jose")]
    #[must_use]
    pub fn with_private_key(mut self, key: impl Into<crate::token::ClientAssertionKey>) -> Self {
        self.private_key = Some(key.into());
        self
    }
}

#[derive(Debug, Clone)]
pub(super) enum ClientKind {
    AuthorizationCode {
        client_name: String,
        redirect_uri: String,
    },
    ClientCredentials,
    JwtBearer(AssertionSource),
    Enterprise(IdpConfig),
}

/// Which grant the client uses.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub(super) kind: ClientKind,
}

impl ClientConfig {
    /// An interactive client: authorization code with PKCE. `redirect_uri` must be https or
    /// loopback http (checklist C-1); it is sent byte for byte.
    #[must_use]
    pub fn authorization_code(
        client_name: impl Into<String>,
        redirect_uri: impl Into<String>,
    ) -> Self {
        Self {
            kind: ClientKind::AuthorizationCode {
                client_name: client_name.into(),
                redirect_uri: redirect_uri.into(),
            },
        }
    }

    /// A machine-to-machine client (MCP client-credentials extension). Needs a
    /// [`FlowConfig::pre_registered`] client; never registers, never opens a browser (M-2).
    #[must_use]
    pub fn client_credentials() -> Self {
        Self {
            kind: ClientKind::ClientCredentials,
        }
    }

    /// Workload identity federation (SEP-1933): an RFC 7523 JWT bearer grant with the
    /// workload's JWT from `source` (see [`AssertionSource`] for fixed and on-demand tokens).
    /// Needs a [`FlowConfig::pre_registered`] client (the `client_id` the authorization server
    /// knows the workload by; `none` authentication sends it in the body); never registers,
    /// never opens a browser, and does not fall back to another grant when the grant is refused.
    #[must_use]
    pub fn jwt_bearer(source: AssertionSource) -> Self {
        Self {
            kind: ClientKind::JwtBearer(source),
        }
    }

    /// Enterprise-managed authorization (SEP-990, "cross-app access"): after discovery, an
    /// RFC 8693 token exchange at the enterprise IdP turns the user's ID token into an ID-JAG
    /// for the MCP authorization server, which the flow then presents there in an RFC 7523 JWT
    /// bearer grant. Needs a [`FlowConfig::pre_registered`] client for the authorization
    /// server (its authentication there, e.g. `client_secret_basic`); never registers, never
    /// opens a browser.
    #[must_use]
    pub fn enterprise(idp: IdpConfig) -> Self {
        Self {
            kind: ClientKind::Enterprise(idp),
        }
    }
}

/// Everything a flow needs to know up front. See the builder methods for the options and their
/// defaults.
pub struct FlowConfig {
    pub(super) resource_url: String,
    pub(super) client: ClientConfig,
    pub(super) pre_registered: Vec<PreRegisteredClient>,
    pub(super) cimd_url: Option<String>,
    pub(super) dynamic_registration: bool,
    pub(super) initial_access_token: Option<InitialAccessToken>,
    pub(super) refresh_tokens: bool,
    pub(super) url_policy: UrlPolicy,
    pub(super) resource_match: ResourceMatch,
    pub(super) duplicate_params: DuplicatePolicy,
    pub(super) legacy_fallback: bool,
    pub(super) protocol_version: Option<String>,
    pub(super) refresh_margin: Duration,
    pub(super) request_timeout: Duration,
    pub(super) authorization_timeout: Duration,
    pub(super) max_authorization_attempts: u8,
    pub(super) selection: Box<dyn SelectAuthorizationServer>,
    pub(super) extra_authorize_params: Vec<(String, String)>,
    pub(super) omit_resource: bool,
    pub(super) issuer_overrides: Vec<(String, String)>,
    /// DPoP (RFC 9449): the proof key, when on.
    #[cfg(feature = "dpop")]
    pub(super) dpop: Option<crate::dpop::DpopKey>,
    pub(super) device: DeviceMode,
}

/// Whether the device authorization grant (RFC 8628) replaces the browser redirect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DeviceMode {
    /// Never (the default).
    Off,
    /// When the AS advertises `device_authorization_endpoint`; otherwise the redirect flow.
    Preferred,
    /// Always; an AS without the endpoint is an error.
    Required,
}

impl fmt::Debug for FlowConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut f = f.debug_struct("FlowConfig");
        f.field("resource_url", &self.resource_url)
            .field("client", &self.client)
            .field("pre_registered", &self.pre_registered)
            .field("cimd_url", &self.cimd_url)
            .field("dynamic_registration", &self.dynamic_registration)
            .field("initial_access_token", &self.initial_access_token)
            .field("refresh_tokens", &self.refresh_tokens)
            .field("url_policy", &self.url_policy)
            .field("resource_match", &self.resource_match)
            .field("duplicate_params", &self.duplicate_params)
            .field("legacy_fallback", &self.legacy_fallback)
            .field("protocol_version", &self.protocol_version)
            .field("refresh_margin", &self.refresh_margin)
            .field("request_timeout", &self.request_timeout)
            .field("authorization_timeout", &self.authorization_timeout)
            .field(
                "max_authorization_attempts",
                &self.max_authorization_attempts,
            )
            .field("extra_authorize_params", &self.extra_authorize_params)
            .field("omit_resource", &self.omit_resource)
            .field("issuer_overrides", &self.issuer_overrides)
            .field("device", &self.device);
        #[cfg(feature = "dpop")]
        f.field("dpop", &self.dpop);
        f.finish_non_exhaustive()
    }
}

impl FlowConfig {
    /// A flow for the MCP server at `resource_url` (the protected resource; its canonical URI).
    ///
    /// Defaults: https only, exact PRM `resource` match, strict duplicate handling, legacy
    /// fallback on, dynamic registration on, refresh tokens requested, refresh margin 60 s,
    /// request timeout 30 s, authorization timeout 10 min, at most 3 authorization requests
    /// between successes, authorization servers tried as listed.
    #[must_use]
    pub fn new(resource_url: impl Into<String>, client: ClientConfig) -> Self {
        Self {
            resource_url: resource_url.into(),
            client,
            pre_registered: Vec::new(),
            cimd_url: None,
            dynamic_registration: true,
            initial_access_token: None,
            refresh_tokens: true,
            url_policy: UrlPolicy::https_only(),
            resource_match: ResourceMatch::exact(),
            duplicate_params: DuplicatePolicy::Strict,
            legacy_fallback: true,
            protocol_version: None,
            refresh_margin: Duration::from_secs(60),
            request_timeout: Duration::from_secs(30),
            authorization_timeout: Duration::from_secs(600),
            max_authorization_attempts: 3,
            selection: Box::new(AsListed),
            extra_authorize_params: Vec::new(),
            omit_resource: false,
            issuer_overrides: Vec::new(),
            device: DeviceMode::Off,
            #[cfg(feature = "dpop")]
            dpop: None,
        }
    }

    /// Use DPoP (RFC 9449) with `key`: every token request (code exchange, refresh, client
    /// credentials) carries a fresh proof, so the tokens are bound to the key; a
    /// `use_dpop_nonce` error is retried once with the server's nonce (§8); resource requests
    /// get their headers from [`AuthFlow::authorization_headers`](super::AuthFlow::authorization_headers)
    /// (`Authorization: DPoP <token>` plus a proof with `ath`, §7.1).
    ///
    /// - Give the flow the **same key** on every [`AuthFlow::restore`](super::AuthFlow::restore):
    ///   stored tokens remember the thumbprint of the key they are bound to, and are not
    ///   restored under another key (a DPoP-bound refresh token is useless without its key).
    ///   The key itself is never part of [`PersistedState`](super::PersistedState); keep it
    ///   in your own key store (or accept a new authorization after a restart).
    /// - When the authorization server's metadata lists `dpop_signing_alg_values_supported`
    ///   without the key's algorithm, the token request is not sent:
    ///   [`FlowErrorKind::DpopAlgorithmNotSupported`](super::FlowErrorKind::DpopAlgorithmNotSupported)
    ///   (no silent downgrade to bearer tokens). Absent metadata is not a refusal (§5.1: the
    ///   parameter is optional).
    /// - Token type (§5): `DPoP` is accepted only from a request that carried a proof;
    ///   `Bearer` is still accepted (the server does not do DPoP and issued an unbound token,
    ///   which the flow then presents as a bearer token; noted in the report).
    ///
    /// ```
    /// use mcp_oauth_core::dpop::DpopKey;
    /// use mcp_oauth_core::flow::{ClientConfig, FlowConfig};
    /// use mcp_oauth_core::Entropy;
    ///
    /// let key = DpopKey::generate(Entropy::new([9; 32]))?; // 32 bytes from your CSPRNG
    /// let config = FlowConfig::new(
    ///     "https://mcp.example.com/mcp",
    ///     ClientConfig::authorization_code("Example", "http://127.0.0.1:8765/callback"),
    /// )
    /// .dpop(key);
    /// assert!(config.dpop_key().is_some());
    /// # Ok::<(), mcp_oauth_core::dpop::DpopError>(())
    /// ```
    #[cfg(feature = "dpop")]
    #[must_use]
    pub fn dpop(mut self, key: crate::dpop::DpopKey) -> Self {
        self.dpop = Some(key);
        self
    }

    /// The DPoP key, when DPoP is on.
    #[cfg(feature = "dpop")]
    #[must_use]
    pub fn dpop_key(&self) -> Option<&crate::dpop::DpopKey> {
        self.dpop.as_ref()
    }

    /// Add pre-registered credentials (several allowed, checked in order; R-3, R-4).
    #[must_use]
    pub fn pre_registered(mut self, client: PreRegisteredClient) -> Self {
        self.pre_registered.push(client);
        self
    }

    /// Use this https URL as a Client ID Metadata Document `client_id` when the authorization
    /// server advertises support (R-5, R-6). The document itself must be served by the caller.
    #[must_use]
    pub fn client_id_metadata_document(mut self, url: impl Into<String>) -> Self {
        self.cimd_url = Some(url.into());
        self
    }

    /// Allow dynamic client registration (RFC 7591). Default on.
    #[must_use]
    pub fn dynamic_registration(mut self, on: bool) -> Self {
        self.dynamic_registration = on;
        self
    }

    /// An initial access token for a protected registration endpoint (R-25).
    #[must_use]
    pub fn initial_access_token(mut self, token: InitialAccessToken) -> Self {
        self.initial_access_token = Some(token);
        self
    }

    /// Ask for refresh tokens: `refresh_token` in the registered grant types, and
    /// `offline_access` when the authorization server lists it (Q-9, R-17). Default on.
    #[must_use]
    pub fn request_refresh_tokens(mut self, on: bool) -> Self {
        self.refresh_tokens = on;
        self
    }

    /// Which URLs may be contacted. Default [`UrlPolicy::https_only`].
    #[must_use]
    pub fn url_policy(mut self, policy: UrlPolicy) -> Self {
        self.url_policy = policy;
        self
    }

    /// How the PRM `resource` is compared with the MCP server URL (P-7 to P-9). Default exact.
    #[must_use]
    pub fn resource_match(mut self, matching: ResourceMatch) -> Self {
        self.resource_match = matching;
        self
    }

    /// How a repeated `resource_metadata` parameter is handled (D-12). Default strict.
    #[must_use]
    pub fn duplicate_params(mut self, policy: DuplicatePolicy) -> Self {
        self.duplicate_params = policy;
        self
    }

    /// Fall back to 2025-03-26 behaviour when every PRM probe answers 4xx (B-6). Default on.
    #[must_use]
    pub fn legacy_fallback(mut self, on: bool) -> Self {
        self.legacy_fallback = on;
        self
    }

    /// Send `MCP-Protocol-Version: <version>` on metadata requests (A-18, B-3).
    #[must_use]
    pub fn protocol_version(mut self, version: &str) -> Self {
        self.protocol_version = Some(String::from(version));
        self
    }

    /// Renew this long before a known expiry (U-8). Default 60 s. A margin longer than half a
    /// token's lifetime renews that token at half its lifetime instead (no renewal loop).
    #[must_use]
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// Deadline for each HTTP request. Default 30 s.
    #[must_use]
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Deadline for the browser to come back. Default 10 min.
    #[must_use]
    pub fn authorization_timeout(mut self, timeout: Duration) -> Self {
        self.authorization_timeout = timeout;
        self
    }

    /// Authorization requests allowed between two
    /// [`handle_resource_success`](super::AuthFlow::handle_resource_success) calls (S-6). Default 3.
    #[must_use]
    pub fn max_authorization_attempts(mut self, max: u8) -> Self {
        self.max_authorization_attempts = max;
        self
    }

    /// The authorization server selection policy (P-11). Default [`AsListed`].
    #[must_use]
    pub fn authorization_server_selection(
        mut self,
        policy: Box<dyn SelectAuthorizationServer>,
    ) -> Self {
        self.selection = policy;
        self
    }

    /// **Quirk**: extra authorization request parameters (e.g. Google's `access_type=offline`).
    /// Names the authorization request sets itself are refused when the URL is built.
    #[must_use]
    pub fn extra_authorize_params(mut self, params: &[(&str, &str)]) -> Self {
        self.extra_authorize_params.extend(
            params
                .iter()
                .map(|(k, v)| (String::from(*k), String::from(*v))),
        );
        self
    }

    /// Authorize with the device authorization grant (RFC 8628) instead of a browser redirect
    /// when the authorization server advertises `device_authorization_endpoint`: the flow emits
    /// [`Event::DeviceAuthorization`](super::Event::DeviceAuthorization) (a user code and a
    /// verification URI to show) in place of
    /// [`Event::OpenAuthorizationUrl`](super::Event::OpenAuthorizationUrl), and polls the token
    /// endpoint on its own timers ([`AuthFlow::poll_timeout`](super::AuthFlow::poll_timeout)),
    /// honouring `interval` and `slow_down`, until approval, denial or expiry. For headless
    /// clients (SSH sessions, CI). An AS without the endpoint falls back to the redirect flow
    /// (noted in the report); see [`FlowConfig::require_device_authorization`]. Dynamic
    /// registration then also asks for the device code grant type. Off by default.
    #[must_use]
    pub fn device_authorization(mut self, on: bool) -> Self {
        self.device = if on {
            DeviceMode::Preferred
        } else {
            DeviceMode::Off
        };
        self
    }

    /// Like [`FlowConfig::device_authorization`], without the fallback: an authorization server
    /// that does not advertise `device_authorization_endpoint` fails the attempt with
    /// [`FlowErrorKind::DeviceAuthorizationUnsupported`](super::FlowErrorKind::DeviceAuthorizationUnsupported),
    /// and its metadata needs no `authorization_endpoint`.
    #[must_use]
    pub fn require_device_authorization(mut self) -> Self {
        self.device = DeviceMode::Required;
        self
    }

    /// **Quirk**: send no `resource` parameter anywhere (Microsoft Entra v2 rejects it). This
    /// gives up audience binding (Z-5); use it only for servers known to need it.
    #[must_use]
    pub fn omit_resource_parameter(mut self) -> Self {
        self.omit_resource = true;
        self
    }

    /// **Quirk**: when the protected resource lists `listed`, accept metadata whose `issuer` is
    /// exactly `actual` (for servers whose metadata is known to be broken). `actual` then becomes
    /// the issuer for `iss` checks and credential binding. Approve each pair explicitly; it
    /// weakens the RFC 8414 §3.3 check for that pair only.
    #[must_use]
    pub fn issuer_override(mut self, listed: impl Into<String>, actual: impl Into<String>) -> Self {
        self.issuer_overrides.push((listed.into(), actual.into()));
        self
    }

    /// The MCP server URL.
    #[must_use]
    pub fn resource_url(&self) -> &str {
        &self.resource_url
    }

    pub(super) fn redirect_uri(&self) -> Option<&str> {
        match &self.client.kind {
            ClientKind::AuthorizationCode { redirect_uri, .. } => Some(redirect_uri),
            _ => None,
        }
    }

    pub(super) fn is_client_credentials(&self) -> bool {
        matches!(self.client.kind, ClientKind::ClientCredentials)
    }

    /// A JWT bearer grant mode: workload identity or enterprise-managed authorization.
    pub(super) fn is_assertion_grant(&self) -> bool {
        matches!(
            self.client.kind,
            ClientKind::JwtBearer(_) | ClientKind::Enterprise(_)
        )
    }

    /// A grant that needs no user: only the token endpoint is used, and tokens are renewed by
    /// repeating the grant.
    pub(super) fn is_headless(&self) -> bool {
        self.is_client_credentials() || self.is_assertion_grant()
    }

    /// The client metadata for DCR (built from the client name and redirect URI).
    pub(super) fn client_metadata(&self) -> Option<ClientMetadata> {
        match &self.client.kind {
            ClientKind::AuthorizationCode {
                client_name,
                redirect_uri,
            } => {
                let mut m = ClientMetadata::new(client_name.clone())
                    .with_redirect_uri(redirect_uri.clone());
                if self.device != DeviceMode::Off {
                    m = m.with_device_code_grant();
                }
                Some(if self.refresh_tokens {
                    m.with_refresh_tokens()
                } else {
                    m
                })
            }
            _ => None,
        }
    }

    /// Check everything that can be checked without a server.
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        self.url_policy
            .check(&self.resource_url)
            .map_err(ConfigError::ResourceUrl)?;
        if let Some(redirect) = self.redirect_uri() {
            crate::redirect::check_redirect_uri(redirect).map_err(ConfigError::RedirectUri)?;
        }
        if let Some(m) = self.client_metadata() {
            m.validate().map_err(ConfigError::ClientMetadata)?;
        }
        if let Some(url) = &self.cimd_url {
            ClientIdUrl::parse(url).map_err(ConfigError::ClientIdUrl)?;
        }
        if self.pre_registered.iter().any(|c| c.client_id.is_empty()) {
            return Err(ConfigError::EmptyClientId);
        }
        if self.is_client_credentials() && self.pre_registered.is_empty() {
            return Err(ConfigError::NoPreRegisteredClient);
        }
        if self.is_assertion_grant() && self.pre_registered.is_empty() {
            return Err(ConfigError::AssertionGrantWithoutClient);
        }
        if let ClientKind::Enterprise(idp) = &self.client.kind {
            self.url_policy
                .check(&idp.token_endpoint)
                .map_err(ConfigError::IdpTokenEndpoint)?;
        }
        Ok(())
    }
}
