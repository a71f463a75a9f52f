//! What goes in and out of the machine besides HTTP messages: request ids, purposes, events,
//! transport failures and the coarse status.

use alloc::string::String;
use core::fmt;

use super::error::FlowError;
use super::logout::LogoutOutcome;
use crate::Timestamp;

/// Identifies one request handed out by [`AuthFlow::poll_request`](super::AuthFlow::poll_request).
///
/// Ids increase monotonically for the life of a flow. A response for an id the flow is not
/// waiting for (unknown, already answered, or from an abandoned phase) is ignored and recorded in
/// the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u64);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Why the flow made a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RequestPurpose {
    /// Protected Resource Metadata (RFC 9728).
    ResourceMetadata,
    /// Authorization server metadata (RFC 8414 or OpenID Connect Discovery).
    AuthorizationServerMetadata,
    /// Authorization server metadata at the MCP origin (2025-03-26 legacy mode).
    LegacyServerMetadata,
    /// Dynamic client registration (RFC 7591).
    ClientRegistration,
    /// Authorization code exchange (RFC 6749 §4.1.3).
    CodeExchange,
    /// Refresh (RFC 6749 §6).
    Refresh,
    /// Client credentials grant (RFC 6749 §4.4).
    ClientCredentials,
    /// Device authorization request (RFC 8628 §3.1).
    DeviceAuthorization,
    /// Device access token request, one poll (RFC 8628 §3.4).
    DeviceTokenPoll,
    /// Token revocation (RFC 7009 §2.1).
    Revocation,
    /// Token exchange at the enterprise IdP for an ID-JAG (RFC 8693, SEP-990).
    TokenExchange,
    /// JWT bearer grant (RFC 7523 §2.1; SEP-1933, SEP-990).
    JwtBearer,
}

impl fmt::Display for RequestPurpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ResourceMetadata => "protected resource metadata",
            Self::AuthorizationServerMetadata => "authorization server metadata",
            Self::LegacyServerMetadata => "legacy authorization server metadata",
            Self::ClientRegistration => "client registration",
            Self::CodeExchange => "code exchange",
            Self::Refresh => "refresh",
            Self::ClientCredentials => "client credentials",
            Self::DeviceAuthorization => "device authorization",
            Self::DeviceTokenPoll => "device token poll",
            Self::Revocation => "revocation",
            Self::TokenExchange => "token exchange",
            Self::JwtBearer => "jwt-bearer grant",
        })
    }
}

/// Why a request produced no response. The driver maps its HTTP library's error onto one of
/// these; no text from the library is kept (it may contain URLs with secrets or server bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// Name resolution failed.
    #[error("DNS resolution failed")]
    Dns,
    /// The connection could not be established.
    #[error("connection failed")]
    Connect,
    /// TLS failed (certificate validation included, checklist P-13, Z-3).
    #[error("TLS failed")]
    Tls,
    /// The connection was reset or closed before a complete response arrived.
    #[error("connection reset")]
    Reset,
    /// The driver's own timeout fired.
    #[error("timed out")]
    Timeout,
    /// The response body exceeded the driver's size cap (checklist Z-13).
    #[error("response too large")]
    TooLarge,
    /// The server redirected and the driver (correctly) did not follow (P-14, T-11). Drivers may
    /// also hand the 3xx response itself to the flow, which treats it as unexpected.
    #[error("redirect not followed")]
    Redirect,
    /// Anything else.
    #[error("transport error")]
    Other,
}

/// Something the caller must act on. Drain with [`AuthFlow::poll_event`](super::AuthFlow::poll_event).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Event {
    /// Open `url` in the user's external browser (never an embedded web view, never through a
    /// shell; checklist Q-12), then listen on `redirect_uri` and hand the redirect to
    /// [`AuthFlow::handle_redirect`](super::AuthFlow::handle_redirect).
    OpenAuthorizationUrl {
        /// The authorization URL.
        url: String,
        /// The redirect URI the authorization server will send the browser to.
        redirect_uri: String,
        /// The authorization server's issuer, to show the user where they are about to log in
        /// (anti-phishing, checklist Z-14).
        issuer: String,
    },
    /// The device authorization grant is waiting for the user (RFC 8628 §3.3; only with
    /// [`FlowConfig::device_authorization`](super::FlowConfig::device_authorization)): show
    /// `user_code` and `verification_uri` (or `verification_uri_complete`, for example as a
    /// link or QR code) and tell the user to approve there before `expires_at`. Nothing needs
    /// to be handed back: the flow polls by itself through
    /// [`AuthFlow::poll_timeout`](super::AuthFlow::poll_timeout) and ends with
    /// [`Event::Authorized`] or [`Event::Failed`]. Open the URI in a browser only if the user
    /// is on this machine; never through a shell.
    DeviceAuthorization {
        /// The code the user enters (not a secret on its own, but short-lived: show it only to
        /// the user).
        user_code: String,
        /// Where the user enters the code; accepted by the URL policy.
        verification_uri: String,
        /// The verification URI with the code filled in, if the server gave one.
        verification_uri_complete: Option<String>,
        /// When the code expires.
        expires_at: Timestamp,
        /// The authorization server's issuer, to show where the user is about to log in
        /// (anti-phishing, checklist Z-14).
        issuer: String,
    },
    /// [`AuthFlow::logout`](super::AuthFlow::logout) finished: the tokens are gone from the flow
    /// (a [`Event::StateChanged`] came first). What the authorization server confirmed is in
    /// the outcome.
    LoggedOut(LogoutOutcome),
    /// A usable access token now exists (code exchange, client credentials, refresh, or a warm
    /// restore). Retry the MCP request with
    /// [`AuthFlow::authorization_header`](super::AuthFlow::authorization_header).
    Authorized,
    /// A refresh succeeded (emitted before [`Event::Authorized`]).
    Refreshed,
    /// The persistent state changed: store [`AuthFlow::persisted_state`](super::AuthFlow::persisted_state)
    /// now, before using new tokens (checklist F-4).
    StateChanged,
    /// A JWT bearer grant is due and the flow was configured with
    /// [`AssertionSource::OnDemand`](super::AssertionSource::OnDemand): obtain a fresh workload
    /// JWT whose audience is `issuer` and hand it to
    /// [`AuthFlow::handle_assertion`](super::AuthFlow::handle_assertion).
    AssertionRequired {
        /// The authorization server's issuer, the audience the assertion must name (RFC 7523
        /// §3).
        issuer: String,
    },
    /// The attempt failed; the error carries the discovery report. Terminal for this attempt: a
    /// later challenge or [`AuthFlow::start`](super::AuthFlow::start) may begin another.
    Failed(FlowError),
}

/// The coarse phase of the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FlowStatus {
    /// Nothing started.
    Idle,
    /// Fetching protected resource or authorization server metadata.
    Discovering,
    /// Registering the client (RFC 7591).
    Registering,
    /// Waiting for the browser to come back with the authorization response.
    AwaitingAuthorization,
    /// Requesting tokens (code exchange, refresh, client credentials, token exchange or a JWT
    /// bearer grant).
    RequestingToken,
    /// Waiting for the caller's assertion ([`Event::AssertionRequired`]).
    AwaitingAssertion,
    /// A token is held.
    Authorized,
    /// [`AuthFlow::logout`](super::AuthFlow::logout) is revoking tokens.
    LoggingOut,
    /// The last attempt failed.
    Failed,
}
