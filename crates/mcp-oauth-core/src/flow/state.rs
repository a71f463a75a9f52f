//! The machine's private state: the phase enum and what the flow has learned so far.

use alloc::string::String;
use alloc::vec::Vec;

use super::authorization::PendingAuthorization;
use super::device::DeviceStep;
use super::discovery::Discovery;
use super::event::{FlowStatus, RequestId, RequestPurpose};
use super::logout::Revocation;
use super::tokens::TokenStep;
use crate::Scopes;
use crate::Timestamp;
use crate::metadata::server::AuthorizationServerMetadata;
use crate::token::TokenSet;

/// The phase of the machine. Exactly one request is in flight at a time, and the phase knows
/// what the response to it means.
pub(super) enum State {
    /// Nothing running.
    Idle,
    /// Fetching PRM / AS metadata.
    Discovering(Discovery),
    /// Waiting for the registration response; then continue towards `Goal`.
    Registering(Goal),
    /// The authorization URL is out; waiting for the redirect.
    AwaitingAuthorization(PendingAuthorization),
    /// A token request is in flight.
    RequestingToken(TokenStep),
    /// Waiting for the caller's JWT (`Event::AssertionRequired`) for a JWT bearer grant with
    /// this scope.
    AwaitingAssertion(Scopes),
    /// A token is held; the renewal timer may be armed.
    Authorized,
    /// The device authorization grant (RFC 8628) is running.
    Device(DeviceStep),
    /// Logging out: revocation requests (RFC 7009) are being sent.
    Revoking(Revocation),
    /// The last attempt failed.
    Failed,
}

impl State {
    pub(super) fn status(&self) -> FlowStatus {
        match self {
            Self::Idle => FlowStatus::Idle,
            Self::Discovering(_) => FlowStatus::Discovering,
            Self::Registering(_) => FlowStatus::Registering,
            Self::AwaitingAuthorization(_) => FlowStatus::AwaitingAuthorization,
            Self::RequestingToken(_) => FlowStatus::RequestingToken,
            Self::AwaitingAssertion(_) => FlowStatus::AwaitingAssertion,
            Self::Authorized => FlowStatus::Authorized,
            Self::Device(_) => FlowStatus::AwaitingAuthorization,
            Self::Revoking(_) => FlowStatus::LoggingOut,
            Self::Failed => FlowStatus::Failed,
        }
    }

    /// Whether an attempt is running (a request or a browser round trip is outstanding).
    pub(super) fn is_busy(&self) -> bool {
        !matches!(self, Self::Idle | Self::Authorized | Self::Failed)
    }
}

/// Where an attempt is heading once discovery and identity are settled.
#[derive(Debug, Clone)]
pub(super) enum Goal {
    /// An authorization-code flow; `None` = scope by the selection rule (S-1), `Some` = this
    /// exact set (step-up union, re-authorization).
    Authorize(Option<Scopes>),
    /// A client-credentials token with this scope (`None`: challenge → PRM → omit).
    ClientCredentials(Option<Scopes>),
    /// A token from a JWT bearer grant (workload identity, or enterprise-managed authorization
    /// after the IdP's token exchange) with this scope (`None`: challenge → PRM → omit).
    Assertion(Option<Scopes>),
}

/// The request the flow is waiting for.
pub(super) struct InFlight {
    pub(super) id: RequestId,
    pub(super) deadline: Timestamp,
    pub(super) purpose: RequestPurpose,
    /// Index of the report entry.
    pub(super) entry: usize,
}

/// The validated Protected Resource Metadata, or the legacy stand-in.
#[derive(Debug, Clone)]
pub(super) struct ResourceInfo {
    /// The value sent as `resource`: the PRM `resource` verbatim, or the configured MCP
    /// URL in legacy mode (B-7).
    pub(super) resource: String,
    /// PRM `scopes_supported` (S-1 fallback).
    pub(super) scopes_supported: Option<Vec<String>>,
    /// The PRM URL that produced the document (`None` in legacy mode).
    pub(super) metadata_url: Option<String>,
}

/// How the metadata issuer was checked; re-applied on restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum IssuerCheck {
    /// Exact comparison with the listed issuer (RFC 8414 §3.3).
    Listed(String),
    /// The caller-approved override `listed → actual`.
    Override {
        /// As listed by the PRM.
        listed: String,
    },
    /// Legacy mode: the issuer is on this MCP origin.
    Legacy {
        /// The MCP origin.
        base: String,
    },
    /// Legacy default endpoints: no document at all.
    LegacyDefault {
        /// The MCP origin.
        base: String,
    },
}

/// The accepted authorization server.
#[derive(Debug, Clone)]
pub(super) struct ServerInfo {
    /// The issuer: the key for registrations and tokens and the expected `iss`.
    pub(super) issuer: String,
    pub(super) metadata: AuthorizationServerMetadata,
    /// The document as received (persisted and re-validated on restore).
    pub(super) raw: Option<String>,
    pub(super) check: IssuerCheck,
}

impl ServerInfo {
    /// The issuer an RFC 9207 `iss` must equal; `None` when no metadata exists (legacy defaults).
    pub(super) fn expected_iss(&self) -> Option<&str> {
        match self.check {
            IssuerCheck::LegacyDefault { .. } => None,
            _ => Some(&self.issuer),
        }
    }
}

/// Tokens with what they are bound to (V-10).
#[derive(Debug, Clone)]
pub(super) struct Tokens {
    pub(super) set: TokenSet,
    pub(super) issuer: String,
    pub(super) resource: String,
    /// When to renew without the user, if the token expires (see `tokens::renewal_time`).
    pub(super) renew_at: Option<Timestamp>,
    /// The thumbprint of the DPoP key the token request proved (RFC 9449 §6.1): the tokens,
    /// the refresh token included, are useless with any other key.
    pub(super) dpop_jkt: Option<String>,
}
