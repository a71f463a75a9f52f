//! Typed errors of the flow. None of them holds a token, code, verifier, client secret or a raw
//! response body.

use alloc::string::String;
use core::fmt;

use super::event::{RequestPurpose, TransportError};
use super::report::DiscoveryReport;
use crate::authorize::AuthorizeError;
use crate::device::{DeviceAuthorizationError, DevicePollError, DeviceRequestError};
use crate::metadata::{ResourceMetadataError, ServerMetadataError};
use crate::redirect::RedirectError;
use crate::registration::{
    ClientIdUrlError, MetadataError, RegistrationError, RegistrationRequestError,
};
use crate::token::{ClientAuthError, TokenExchangeError, TokenRequestError, TokenResponseError};
use crate::urls::UrlError;

/// A failed flow attempt: what went wrong ([`FlowError::kind`]) and every request the flow made
/// on the way ([`FlowError::report`]).
///
/// `Display` prints the kind only; print the report separately for diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowError {
    kind: FlowErrorKind,
    report: DiscoveryReport,
}

impl FlowError {
    pub(super) fn new(kind: FlowErrorKind, report: DiscoveryReport) -> Self {
        Self { kind, report }
    }

    /// What went wrong.
    #[must_use]
    pub fn kind(&self) -> &FlowErrorKind {
        &self.kind
    }

    /// Every request and decision up to the failure.
    #[must_use]
    pub fn report(&self) -> &DiscoveryReport {
        &self.report
    }
}

impl fmt::Display for FlowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.kind, f)
    }
}

impl core::error::Error for FlowError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        Some(&self.kind)
    }
}

/// What went wrong in a flow attempt.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FlowErrorKind {
    /// The configuration is unusable.
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),
    /// [`AuthFlow::handle_challenge`](super::AuthFlow::handle_challenge) got a status that is not
    /// 401 or 403 (a caller error).
    #[error("HTTP {status} is not an authorization challenge")]
    NotAChallenge {
        /// The status.
        status: u16,
    },
    /// A 403 without `error="insufficient_scope"` (for example a rejected `Origin`): no
    /// authorization can fix it, so no flow was started (checklist D-17).
    #[error("the MCP server refused the request (403) for a reason authorization cannot fix")]
    Forbidden,
    /// The `resource_metadata` URL of a challenge was refused by the URL policy before any
    /// request was made (checklist D-14).
    #[error("resource_metadata URL refused: {0}")]
    ResourceMetadataUrlRefused(UrlError),
    /// Protected Resource Metadata was refused (resource mismatch, no authorization server, …).
    #[error(transparent)]
    ResourceMetadata(ResourceMetadataError),
    /// Every Protected Resource Metadata probe answered 4xx and legacy mode is off (or also found
    /// nothing usable).
    #[error("no protected resource metadata found")]
    NoResourceMetadata,
    /// Authorization server metadata was refused (issuer mismatch, no PKCE, insecure endpoint, …).
    /// With several listed servers this is the first server's reason; the report has all.
    #[error(transparent)]
    ServerMetadata(ServerMetadataError),
    /// No discovery URL of the authorization server answered with metadata (all 4xx).
    #[error("no metadata found for authorization server `{issuer}`")]
    NoServerMetadata {
        /// The issuer whose discovery URLs were tried.
        issuer: String,
    },
    /// In legacy mode, the metadata's issuer is not on the MCP server's origin.
    #[error("legacy metadata issuer `{found}` is not on the MCP server origin `{base}`")]
    LegacyIssuerMismatch {
        /// The MCP origin.
        base: String,
        /// The issuer the document declares.
        found: String,
    },
    /// A server answered with an error status (5xx) where a document was expected; the flow does
    /// not fall back silently (checklist P-5, A-6, B-6).
    #[error("{purpose} request failed with HTTP {status}")]
    ServerError {
        /// The request.
        purpose: RequestPurpose,
        /// The status.
        status: u16,
    },
    /// A status that is neither success, 4xx nor 5xx (redirects are not followed, P-14, T-11).
    #[error("{purpose} request got unexpected HTTP {status}")]
    UnexpectedStatus {
        /// The request.
        purpose: RequestPurpose,
        /// The status.
        status: u16,
    },
    /// A request produced no response.
    #[error("{purpose} request failed: {error}")]
    Transport {
        /// The request.
        purpose: RequestPurpose,
        /// What the driver reported.
        error: TransportError,
    },
    /// A request got no response before its deadline.
    #[error("{purpose} request timed out")]
    Timeout {
        /// The request.
        purpose: RequestPurpose,
    },
    /// Pre-registered credentials exist only for another authorization server, and no other way
    /// to identify the client is available (checklist R-4).
    #[error("pre-registered credentials are bound to another authorization server than `{issuer}`")]
    PreRegisteredForOtherIssuer {
        /// The authorization server the protected resource names.
        issuer: String,
    },
    /// No way to obtain a `client_id` for this authorization server (checklist R-1).
    #[error("no client identity for authorization server `{issuer}`")]
    NoClientIdentity {
        /// The authorization server.
        issuer: String,
    },
    /// The registration request could not be built.
    #[error("registration request: {0}")]
    RegistrationRequest(RegistrationRequestError),
    /// The registration endpoint refused the registration or answered unusably.
    #[error(transparent)]
    Registration(RegistrationError),
    /// The registered redirect URIs do not include the one the client uses (checklist C-2).
    #[error("the redirect URI is not among the registered redirect URIs")]
    RedirectUriNotRegistered,
    /// No client authentication method fits the authorization server (T-4).
    #[error("client authentication: {0}")]
    ClientAuth(ClientAuthError),
    /// The authorization URL could not be built.
    #[error("authorization URL: {0}")]
    Authorize(AuthorizeError),
    /// The authorization response was refused (state, iss, error response, …).
    #[error(transparent)]
    Redirect(RedirectError),
    /// A redirect arrived while no authorization was pending (unsolicited or replayed, C-7, C-14).
    #[error("no authorization is pending")]
    NoPendingAuthorization,
    /// The browser did not come back before the authorization deadline.
    #[error("the authorization request expired")]
    AuthorizationExpired,
    /// A token request could not be built.
    #[error("token request: {0}")]
    TokenRequest(TokenRequestError),
    /// The token endpoint refused the request or answered unusably.
    #[error(transparent)]
    Token(TokenResponseError),
    /// The step-up / re-authorization budget is spent (checklist S-6).
    #[error("gave up after {max} authorization requests")]
    TooManyAuthorizationAttempts {
        /// The configured maximum.
        max: u8,
    },
    /// The MCP server keeps answering 401 after a refresh and a fresh authorization (D-15).
    #[error("the MCP server rejects freshly issued tokens")]
    TokenRejected,
    /// The device authorization grant is required but the authorization server does not
    /// advertise `device_authorization_endpoint` (RFC 8628 §4).
    #[error("the authorization server offers no device authorization endpoint")]
    DeviceAuthorizationUnsupported,
    /// A device authorization or device token request could not be built.
    #[error("device request: {0}")]
    DeviceRequest(DeviceRequestError),
    /// The device authorization endpoint refused the request or answered unusably (RFC 8628
    /// §3.2).
    #[error("device authorization: {0}")]
    DeviceAuthorization(DeviceAuthorizationError),
    /// Polling ended without tokens: `access_denied`, `expired_token` or another token error
    /// (RFC 8628 §3.5). The device code reaching its `expires_in` without an answer is
    /// [`FlowErrorKind::AuthorizationExpired`].
    #[error("device authorization: {0}")]
    DevicePoll(DevicePollError),
    /// The enterprise IdP refused the token exchange or answered unusably (RFC 8693 §2.2,
    /// SEP-990).
    #[error("token exchange: {0}")]
    TokenExchange(TokenExchangeError),
    /// [`AuthFlow::handle_assertion`](super::AuthFlow::handle_assertion) was called while the
    /// flow was not waiting for an assertion.
    #[error("no assertion was requested")]
    NoAssertionRequested,
    /// DPoP is on and the authorization server's `dpop_signing_alg_values_supported` does not
    /// list the key's algorithm (RFC 9449 §5.1): no token request was sent rather than
    /// silently falling back to bearer tokens.
    #[error("the authorization server does not accept {algorithm} DPoP proofs")]
    DpopAlgorithmNotSupported {
        /// The key's algorithm (`ES256`, …).
        algorithm: &'static str,
    },
    /// A DPoP proof could not be made (an unusable URL or method, a signing failure).
    #[cfg(feature = "dpop")]
    #[error(transparent)]
    Dpop(crate::dpop::DpopError),
}

/// Why a [`FlowConfig`](super::FlowConfig) cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The MCP server URL is not usable under the URL policy.
    #[error("MCP server URL refused: {0}")]
    ResourceUrl(UrlError),
    /// The redirect URI breaks the https-or-loopback rule (checklist C-1).
    #[error("redirect URI refused: {0}")]
    RedirectUri(crate::redirect::RedirectUriError),
    /// The client metadata for registration is invalid.
    #[error("client metadata: {0}")]
    ClientMetadata(MetadataError),
    /// The Client ID Metadata Document URL breaks the CIMD rules (checklist R-6).
    #[error("client ID metadata document URL: {0}")]
    ClientIdUrl(ClientIdUrlError),
    /// A client-credentials flow needs at least one pre-registered client (checklist M-2).
    #[error("client credentials need a pre-registered client")]
    NoPreRegisteredClient,
    /// A pre-registered client has an empty `client_id`.
    #[error("a pre-registered client has an empty client_id")]
    EmptyClientId,
    /// A JWT bearer (workload identity or enterprise) flow needs a pre-registered client for the
    /// authorization server.
    #[error("a jwt-bearer grant needs a pre-registered client")]
    AssertionGrantWithoutClient,
    /// The enterprise IdP's token endpoint is not usable under the URL policy.
    #[error("IdP token endpoint refused: {0}")]
    IdpTokenEndpoint(UrlError),
}

/// Why [`AuthFlow::restore`](super::AuthFlow::restore) refused a persisted state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RestoreError {
    /// The configuration is unusable.
    #[error("invalid configuration: {0}")]
    Config(#[from] ConfigError),
    /// The state was written by an unknown schema version.
    #[error("unsupported persisted state version {0}")]
    Version(u32),
    /// The state belongs to another MCP server URL.
    #[error("persisted state is for another MCP server")]
    ResourceUrlMismatch,
    /// The stored authorization server metadata no longer validates.
    #[error("stored authorization server metadata: {0}")]
    ServerMetadata(ServerMetadataError),
    /// The stored state is inconsistent (for example tokens bound to an issuer other than the
    /// stored authorization server).
    #[error("persisted state is inconsistent: {0}")]
    Inconsistent(&'static str),
}
