//! Fixture configuration: a builder with defaults that make an honest, strict server pair.

use std::time::Duration;

/// How a client authenticates at the token endpoint (RFC 6749 §2.3, RFC 7591 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthMethod {
    /// Public client: `client_id` in the body, no secret.
    None,
    /// `Authorization: Basic` with form-urlencoded `client_id:client_secret` (RFC 6749 §2.3.1).
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
}

impl AuthMethod {
    /// The RFC 7591 registered name (`none`, `client_secret_basic`, `client_secret_post`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
        }
    }

    /// Parses a registered name; `None` for methods the fixture does not implement.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "none" => Some(Self::None),
            "client_secret_basic" => Some(Self::ClientSecretBasic),
            "client_secret_post" => Some(Self::ClientSecretPost),
            _ => None,
        }
    }

    /// Whether this method needs a client secret.
    #[must_use]
    pub fn needs_secret(self) -> bool {
        !matches!(self, Self::None)
    }
}

/// How `/authorize` obtains the (automatic) consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ConsentMode {
    /// `/authorize` answers 302 straight to the client's redirect URI.
    #[default]
    Immediate,
    /// `/authorize` → 302 `/login` (sets a session cookie) → 302 `/consent` (requires the
    /// cookie) → 302 to the redirect URI. Exercises a redirect follower with a cookie jar.
    MultiHop,
}

/// Where the resource server publishes its RFC 9728 Protected Resource Metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PrmLocation {
    /// Only the path-inserted URL `/.well-known/oauth-protected-resource/mcp`.
    #[default]
    PathInserted,
    /// Only the root URL `/.well-known/oauth-protected-resource` (tests the fallback probe).
    Root,
    /// Both URLs.
    Both,
}

/// The kinds of route the fixtures serve; stats and misbehaviours are keyed by them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum RouteKind {
    /// RS: RFC 9728 Protected Resource Metadata.
    ProtectedResourceMetadata,
    /// AS: RFC 8414 metadata (and OIDC discovery when enabled).
    AuthorizationServerMetadata,
    /// AS: RFC 7591 dynamic client registration.
    Registration,
    /// AS: authorization endpoint.
    Authorization,
    /// AS: multi-hop login step.
    Login,
    /// AS: multi-hop consent step.
    Consent,
    /// AS: token endpoint.
    Token,
    /// RS: the MCP Streamable HTTP endpoint.
    Mcp,
    /// The decoy "other origin" that redirects point at.
    Decoy,
    /// AS: RFC 8628 device authorization endpoint.
    DeviceAuthorization,
    /// AS: RFC 7009 revocation endpoint.
    Revocation,
    /// Anything else (answered 404).
    Unknown,
}

/// A fault to inject on one route kind (see [`FixtureConfig::misbehave`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Misbehaviour {
    /// Answer `status` (a 5xx) for the next `times` requests, then behave.
    ServerError {
        /// The status code to send.
        status: u16,
        /// How many requests get it.
        times: u32,
        /// `Retry-After` seconds to send with it, if any.
        retry_after: Option<u32>,
    },
    /// Wait this long before answering.
    Delay(Duration),
    /// Replace the body with bytes that are not JSON (content type kept).
    GarbageBody,
    /// Replace the body with a syntactically valid JSON document of about this many bytes.
    OversizedBody {
        /// Body size in bytes.
        bytes: usize,
    },
    /// `/authorize` (or `/consent`): put the decoy origin in the redirect's `iss`.
    WrongIssuerInRedirect,
    /// AS metadata: publish the decoy origin as `issuer`.
    WrongIssuerInMetadata,
    /// Answer a redirect with this status (307 or 308) to the same path on the decoy origin.
    RedirectToOtherOrigin {
        /// The redirect status.
        status: u16,
    },
    // Hostile-peer knobs (applied by `knobs.rs`). In the strings below, `{as_port}` is
    // replaced by the AS port and `{decoy}` by the decoy origin.
    /// `/authorize`: leave RFC 9207 `iss` out of the redirect.
    MissingIssInRedirect,
    /// `/authorize`: put another `state` in the redirect.
    WrongStateInRedirect,
    /// `/authorize`: answer with the previous successful redirect (old code, old `state`).
    ReplayPreviousRedirect,
    /// PRM: publish these `authorization_servers`.
    PrmAuthorizationServers(Vec<String>),
    /// PRM: publish this `resource`.
    PrmResource(String),
    /// MCP 401/403: put this URL in the challenge's `resource_metadata`.
    ChallengeResourceMetadata(String),
    /// MCP 401/403: add this `WWW-Authenticate` field line before the real one.
    ExtraChallenge(String),
    /// AS metadata: publish these `code_challenge_methods_supported` (`None`: leave it out).
    PkceMethods(Option<Vec<String>>),
    /// Replace the body with `depth` nested JSON arrays.
    NestedJson {
        /// Nesting depth.
        depth: usize,
    },
    /// Replace the body with a JSON object whose string value is not UTF-8.
    InvalidUtf8Json,
    /// Answer 200 with a body that never ends (whitespace after `{`, 1 KiB every 2 ms).
    EndlessBody,
    /// Send the real body one byte per `interval`.
    SlowBody {
        /// Pause between bytes.
        interval: Duration,
    },
    /// Close the connection without answering (after reading the request).
    ResetConnection,
    /// Token endpoint: answer `200 OK` with an RFC 6749 §5.2 error body.
    ErrorBodyWithOk,
}

impl Misbehaviour {
    /// `503` for the next `times` requests, without `Retry-After`.
    #[must_use]
    pub fn server_error(times: u32) -> Self {
        Self::ServerError {
            status: 503,
            times,
            retry_after: None,
        }
    }

    /// `503` for the next `times` requests, with `Retry-After: seconds`.
    #[must_use]
    pub fn server_error_retry_after(times: u32, seconds: u32) -> Self {
        Self::ServerError {
            status: 503,
            times,
            retry_after: Some(seconds),
        }
    }

    /// A 5 MiB JSON body.
    #[must_use]
    pub fn oversized() -> Self {
        Self::OversizedBody {
            bytes: 5 * 1024 * 1024,
        }
    }

    /// A `307 Temporary Redirect` to the decoy origin.
    #[must_use]
    pub fn redirect_elsewhere() -> Self {
        Self::RedirectToOtherOrigin { status: 307 }
    }
}

/// A client known to the AS before the test starts (RFC 6749 §2 pre-registration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreregisteredClient {
    pub(crate) client_id: String,
    pub(crate) secret: Option<String>,
    pub(crate) auth_method: AuthMethod,
    pub(crate) redirect_uris: Vec<String>,
    pub(crate) grant_types: Vec<String>,
}

impl PreregisteredClient {
    /// A public client (`none`) allowed the authorization-code and refresh grants.
    #[must_use]
    pub fn public(client_id: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            secret: None,
            auth_method: AuthMethod::None,
            redirect_uris: Vec::new(),
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        }
    }

    /// A confidential client with a secret and authentication method.
    #[must_use]
    pub fn confidential(
        client_id: impl Into<String>,
        secret: impl Into<String>,
        auth_method: AuthMethod,
    ) -> Self {
        Self {
            client_id: client_id.into(),
            secret: Some(secret.into()),
            auth_method,
            redirect_uris: Vec::new(),
            grant_types: vec![
                "authorization_code".into(),
                "refresh_token".into(),
                "client_credentials".into(),
            ],
        }
    }

    /// Adds an allowed redirect URI (compared exactly).
    #[must_use]
    pub fn redirect_uri(mut self, uri: impl Into<String>) -> Self {
        self.redirect_uris.push(uri.into());
        self
    }

    /// Replaces the allowed grant types.
    #[must_use]
    pub fn grant_types<I, S>(mut self, grants: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.grant_types = grants.into_iter().map(Into::into).collect();
        self
    }
}

/// Configuration for [`Fixtures::start`](crate::Fixtures::start). Every setter consumes and
/// returns the builder; [`FixtureConfig::default`] is strict and spec-conformant.
#[derive(Debug, Clone)]
#[must_use]
pub struct FixtureConfig {
    pub(crate) access_token_ttl: Duration,
    pub(crate) code_ttl: Duration,
    pub(crate) refresh_tokens: bool,
    pub(crate) rotate_refresh_tokens: bool,
    pub(crate) scopes_supported: Vec<String>,
    pub(crate) default_scope: String,
    pub(crate) write_scope: String,
    pub(crate) consent: ConsentMode,
    pub(crate) prm_location: PrmLocation,
    pub(crate) resource_metadata_in_challenge: bool,
    pub(crate) openid_configuration: bool,
    pub(crate) rfc8414_metadata: bool,
    pub(crate) cimd_supported: bool,
    pub(crate) require_resource: bool,
    pub(crate) require_state: bool,
    pub(crate) require_mcp_accept: bool,
    pub(crate) loopback_any_port: bool,
    pub(crate) awkward_secrets: bool,
    pub(crate) sse: bool,
    pub(crate) service_client_auth: AuthMethod,
    pub(crate) preregistered: Vec<PreregisteredClient>,
    pub(crate) misbehaviours: Vec<(RouteKind, Misbehaviour)>,
    pub(crate) max_request_body: usize,
    /// RFC 8628: `Some(n)` serves `/device` and approves after `n` pending polls.
    pub(crate) device_approve_after: Option<u32>,
    /// RFC 7009: serve and advertise `/revoke`.
    pub(crate) revocation: bool,
}

impl Default for FixtureConfig {
    fn default() -> Self {
        Self {
            access_token_ttl: Duration::from_secs(3600),
            code_ttl: Duration::from_secs(60),
            refresh_tokens: true,
            rotate_refresh_tokens: true,
            scopes_supported: vec!["mcp:basic".into(), "mcp:write".into()],
            default_scope: "mcp:basic".into(),
            write_scope: "mcp:write".into(),
            consent: ConsentMode::Immediate,
            prm_location: PrmLocation::PathInserted,
            resource_metadata_in_challenge: true,
            openid_configuration: false,
            rfc8414_metadata: true,
            cimd_supported: false,
            require_resource: true,
            require_state: true,
            require_mcp_accept: true,
            loopback_any_port: false,
            awkward_secrets: true,
            sse: false,
            service_client_auth: AuthMethod::ClientSecretBasic,
            preregistered: Vec::new(),
            misbehaviours: Vec::new(),
            max_request_body: 1024 * 1024,
            device_approve_after: None,
            revocation: true,
        }
    }
}

impl FixtureConfig {
    /// Same as [`FixtureConfig::default`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Serve the device authorization grant (RFC 8628): advertise
    /// `device_authorization_endpoint` (`/device`) and let the "user" approve after
    /// `pending_polls` polls answered `authorization_pending`. The interval is 1 s. Off by
    /// default.
    pub fn device_authorization(mut self, pending_polls: u32) -> Self {
        self.device_approve_after = Some(pending_polls);
        self
    }

    /// Serve and advertise the revocation endpoint (RFC 7009, `/revoke`); default on.
    pub fn revocation_endpoint(mut self, on: bool) -> Self {
        self.revocation = on;
        self
    }

    /// Access-token lifetime (`expires_in`); default one hour. Whole seconds are sent.
    pub fn access_token_ttl(mut self, ttl: Duration) -> Self {
        self.access_token_ttl = ttl;
        self
    }

    /// Authorization-code lifetime; default 60 s.
    pub fn code_ttl(mut self, ttl: Duration) -> Self {
        self.code_ttl = ttl;
        self
    }

    /// Issue refresh tokens (to clients registered for the `refresh_token` grant); default on.
    pub fn refresh_tokens(mut self, on: bool) -> Self {
        self.refresh_tokens = on;
        self
    }

    /// Rotate refresh tokens on every use; reuse of a rotated one revokes the grant. Default on.
    pub fn rotate_refresh_tokens(mut self, on: bool) -> Self {
        self.rotate_refresh_tokens = on;
        self
    }

    /// Scopes advertised in PRM and AS metadata; default `mcp:basic mcp:write`.
    pub fn scopes_supported<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes_supported = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Consent mode; default [`ConsentMode::Immediate`].
    pub fn consent(mut self, mode: ConsentMode) -> Self {
        self.consent = mode;
        self
    }

    /// PRM location; default [`PrmLocation::PathInserted`].
    pub fn prm_location(mut self, location: PrmLocation) -> Self {
        self.prm_location = location;
        self
    }

    /// Put `resource_metadata` in the MCP 401/403 challenges; default on. Off forces clients
    /// to probe the well-known URLs.
    pub fn resource_metadata_in_challenge(mut self, on: bool) -> Self {
        self.resource_metadata_in_challenge = on;
        self
    }

    /// Serve the RFC 8414 document at `/.well-known/oauth-authorization-server`; default on.
    pub fn rfc8414_metadata(mut self, on: bool) -> Self {
        self.rfc8414_metadata = on;
        self
    }

    /// Also serve the metadata at `/.well-known/openid-configuration`; default off.
    pub fn openid_configuration(mut self, on: bool) -> Self {
        self.openid_configuration = on;
        self
    }

    /// Advertise `client_id_metadata_document_supported: true`; default off. The fixture does
    /// not fetch such documents.
    pub fn client_id_metadata_document_supported(mut self, on: bool) -> Self {
        self.cimd_supported = on;
        self
    }

    /// Require the RFC 8707 `resource` parameter on authorization and token requests; default on.
    pub fn require_resource(mut self, on: bool) -> Self {
        self.require_resource = on;
        self
    }

    /// Require `state` on authorization requests; default on.
    pub fn require_state(mut self, on: bool) -> Self {
        self.require_state = on;
        self
    }

    /// Require `Accept: application/json, text/event-stream` on `POST /mcp`; default on.
    pub fn require_mcp_accept(mut self, on: bool) -> Self {
        self.require_mcp_accept = on;
        self
    }

    /// Accept any port on a registered loopback-IP redirect URI (RFC 8252 §7.3); default off
    /// (exact string match).
    pub fn loopback_redirect_any_port(mut self, on: bool) -> Self {
        self.loopback_any_port = on;
        self
    }

    /// Generated client secrets contain `+`, `/` and `=`, so a client that skips the RFC 6749
    /// §2.3.1 form-urlencoding inside the Basic header fails; default on.
    pub fn awkward_secrets(mut self, on: bool) -> Self {
        self.awkward_secrets = on;
        self
    }

    /// Answer MCP requests as `text/event-stream` (`event: message`) instead of JSON.
    pub fn sse(mut self, on: bool) -> Self {
        self.sse = on;
        self
    }

    /// Authentication method of the built-in `client_credentials` service client; default
    /// [`AuthMethod::ClientSecretBasic`].
    pub fn service_client_auth(mut self, method: AuthMethod) -> Self {
        self.service_client_auth = method;
        self
    }

    /// Adds a pre-registered client.
    pub fn preregister(mut self, client: PreregisteredClient) -> Self {
        self.preregistered.push(client);
        self
    }

    /// Injects a fault on a route kind. Several may be stacked; they can also be changed at
    /// run time with [`Fixtures::set_misbehaviour`](crate::Fixtures::set_misbehaviour).
    pub fn misbehave(mut self, route: RouteKind, misbehaviour: Misbehaviour) -> Self {
        self.misbehaviours.push((route, misbehaviour));
        self
    }

    /// Largest request body the servers read (larger → 413); default 1 MiB.
    pub fn max_request_body(mut self, bytes: usize) -> Self {
        self.max_request_body = bytes;
        self
    }
}
