//! The discovery report: every request the flow made, what came back, and which check accepted
//! or rejected what. Printable for humans (`Display`, one line per entry) and free of secrets:
//! URLs and statuses only, never bodies, tokens or codes.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use super::error::FlowErrorKind;
use super::event::{RequestId, RequestPurpose, TransportError};
use crate::http::{HttpRequest, Method};

/// What happened to one request on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Outcome {
    /// No response yet.
    Pending,
    /// A response with this status arrived.
    Status(u16),
    /// The driver reported a transport failure.
    Transport(TransportError),
    /// The deadline passed without a response.
    TimedOut,
    /// The flow moved on before a response arrived (the response, if any, is ignored).
    Abandoned,
}

/// What the flow concluded from a response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// Not decided yet.
    Pending,
    /// The response was used.
    Accepted,
    /// Not found here (4xx): the flow moved on to the next candidate.
    NotFound,
    /// The response was refused for this reason.
    Rejected(FlowErrorKind),
}

/// A decision or event that is not a single request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Note {
    /// A challenge was handed to the flow.
    Challenge {
        /// Its status.
        status: u16,
        /// The `resource_metadata` URL it named, if any.
        resource_metadata: Option<String>,
    },
    /// A response arrived for a request the flow is not waiting for; it was ignored.
    StaleResponse(RequestId),
    /// A challenge arrived while an attempt was already running; it was absorbed (one flow at a
    /// time).
    ChallengeWhileBusy,
    /// A challenge named a different `resource_metadata` URL: discovery runs again (D-16).
    ResourceMetadataChanged,
    /// The MCP server rejected the token and the flow authorizes again: discovery runs again
    /// first, because the server may now name another authorization server behind the same
    /// `resource_metadata` URL (SEP-2352, checklist R-24).
    TokenRejectedRediscovering,
    /// Every PRM probe answered 4xx: 2025-03-26 legacy mode (B-6).
    LegacyMode {
        /// The MCP origin used as the authorization base URL (B-1).
        base: String,
    },
    /// Legacy mode: the metadata issuer differs from the MCP origin but is on it (gotcha G1).
    LegacyIssuerRelaxed {
        /// The MCP origin.
        base: String,
        /// The issuer the document declares.
        issuer: String,
    },
    /// Legacy mode: no metadata, the default endpoints are used (B-4).
    LegacyDefaultEndpoints,
    /// The caller-approved issuer override was applied.
    IssuerOverride {
        /// The issuer the protected resource lists.
        listed: String,
        /// The issuer the metadata declares and the override accepts.
        actual: String,
    },
    /// An authorization server was given up; the next listed one is tried.
    AuthorizationServerSkipped {
        /// The issuer.
        issuer: String,
    },
    /// The chosen authorization server.
    AuthorizationServer {
        /// Its issuer.
        issuer: String,
    },
    /// How the client identifies itself.
    ClientIdentity {
        /// `pre-registered`, `client ID metadata document`, `dynamic registration` or `stored
        /// registration`.
        source: &'static str,
        /// The client id (not a secret).
        client_id: String,
    },
    /// A stored registration was dropped (expired secret, `invalid_client`, another issuer).
    RegistrationDropped {
        /// Why.
        reason: &'static str,
    },
    /// Stored tokens were dropped.
    TokensDropped {
        /// Why.
        reason: &'static str,
    },
    /// An authorization URL was handed out.
    AuthorizationRequested {
        /// The attempt number since the last success.
        attempt: u8,
    },
    /// A redirect was refused (its text is never kept, C-11).
    RedirectRejected(FlowErrorKind),
    /// The access token is due for refresh (or re-acquisition).
    RefreshDue,
    /// A server asked for a DPoP nonce (`use_dpop_nonce`, RFC 9449 §8, §9); the request is
    /// sent again with a proof carrying it.
    DpopNonceRequired {
        /// `authorization server` or `resource server`.
        server: &'static str,
    },
    /// The token endpoint answered a request with a DPoP proof with a `Bearer` token (it does
    /// not do DPoP, RFC 9449 §5): the token is used as an unbound bearer token.
    DpopBearerIssued,
}

/// One report line.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReportEntry {
    /// A request the flow made.
    Request {
        /// Its id.
        id: RequestId,
        /// `GET` or `POST`.
        method: Method,
        /// The URL (no secrets are ever put in URLs).
        url: String,
        /// Why it was made.
        purpose: RequestPurpose,
        /// What came back.
        outcome: Outcome,
        /// What the flow made of it.
        verdict: Verdict,
    },
    /// Something else the flow decided.
    Note(Note),
}

/// Every request and decision of a flow, in order: available after success
/// ([`AuthFlow::report`](super::AuthFlow::report)) and attached to every failure.
///
/// `Display` prints one line per entry for humans; it holds URLs and statuses only, never
/// bodies, tokens or codes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DiscoveryReport {
    entries: Vec<ReportEntry>,
}

impl DiscoveryReport {
    /// The entries in order.
    #[must_use]
    pub fn entries(&self) -> &[ReportEntry] {
        &self.entries
    }

    /// The requests only: `(method, url, purpose, outcome, verdict)`.
    pub fn requests(
        &self,
    ) -> impl Iterator<Item = (Method, &str, RequestPurpose, Outcome, &Verdict)> + '_ {
        self.entries.iter().filter_map(|e| match e {
            ReportEntry::Request {
                method,
                url,
                purpose,
                outcome,
                verdict,
                ..
            } => Some((*method, url.as_str(), *purpose, *outcome, verdict)),
            ReportEntry::Note(_) => None,
        })
    }

    pub(super) fn push_request(
        &mut self,
        id: RequestId,
        request: &HttpRequest,
        purpose: RequestPurpose,
    ) -> usize {
        self.entries.push(ReportEntry::Request {
            id,
            method: request.method,
            url: request.url.clone(),
            purpose,
            outcome: Outcome::Pending,
            verdict: Verdict::Pending,
        });
        self.entries.len().saturating_sub(1)
    }

    pub(super) fn note(&mut self, note: Note) {
        self.entries.push(ReportEntry::Note(note));
    }

    pub(super) fn set_outcome(&mut self, index: usize, new: Outcome) {
        if let Some(ReportEntry::Request { outcome, .. }) = self.entries.get_mut(index) {
            *outcome = new;
        }
    }

    pub(super) fn set_verdict(&mut self, index: usize, new: Verdict) {
        if let Some(ReportEntry::Request { verdict, .. }) = self.entries.get_mut(index) {
            *verdict = new;
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pending => f.write_str("pending"),
            Self::Status(s) => write!(f, "{s}"),
            Self::Transport(e) => write!(f, "{e}"),
            Self::TimedOut => f.write_str("timed out"),
            Self::Abandoned => f.write_str("abandoned"),
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pending => f.write_str("pending"),
            Self::Accepted => f.write_str("accepted"),
            Self::NotFound => f.write_str("not found, next"),
            Self::Rejected(why) => write!(f, "rejected: {why}"),
        }
    }
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Challenge {
                status,
                resource_metadata,
            } => match resource_metadata {
                Some(url) => write!(f, "challenge {status} (resource_metadata {url})"),
                None => write!(f, "challenge {status}"),
            },
            Self::StaleResponse(id) => write!(f, "ignored response for unknown request {id}"),
            Self::ChallengeWhileBusy => f.write_str("challenge absorbed: an attempt is running"),
            Self::ResourceMetadataChanged => {
                f.write_str("resource_metadata changed: discovering again")
            }
            Self::TokenRejectedRediscovering => {
                f.write_str("token rejected: discovering again before re-authorizing")
            }
            Self::LegacyMode { base } => write!(f, "no PRM: 2025-03-26 legacy mode at {base}"),
            Self::LegacyIssuerRelaxed { base, issuer } => write!(
                f,
                "legacy mode: accepted issuer {issuer} on the MCP origin {base} (relaxed check)"
            ),
            Self::LegacyDefaultEndpoints => {
                f.write_str("legacy mode: no metadata, using default endpoints")
            }
            Self::IssuerOverride { listed, actual } => {
                write!(f, "issuer override: {listed} accepted as {actual}")
            }
            Self::AuthorizationServerSkipped { issuer } => {
                write!(f, "authorization server {issuer} skipped")
            }
            Self::AuthorizationServer { issuer } => write!(f, "authorization server {issuer}"),
            Self::ClientIdentity { source, client_id } => {
                write!(f, "client identity: {source} ({client_id})")
            }
            Self::RegistrationDropped { reason } => write!(f, "registration dropped: {reason}"),
            Self::TokensDropped { reason } => write!(f, "tokens dropped: {reason}"),
            Self::AuthorizationRequested { attempt } => {
                write!(f, "authorization URL issued (attempt {attempt})")
            }
            Self::RedirectRejected(why) => write!(f, "redirect rejected: {why}"),
            Self::RefreshDue => f.write_str("token due for renewal"),
            Self::DpopNonceRequired { server } => {
                write!(f, "the {server} asked for a DPoP nonce; retrying with it")
            }
            Self::DpopBearerIssued => {
                f.write_str("a DPoP proof was sent but a Bearer token was issued (not DPoP-bound)")
            }
        }
    }
}

impl fmt::Display for DiscoveryReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for entry in &self.entries {
            match entry {
                ReportEntry::Request {
                    id,
                    method,
                    url,
                    purpose,
                    outcome,
                    verdict,
                } => writeln!(
                    f,
                    "{id} {} {url} ({purpose}): {outcome}, {verdict}",
                    method.as_str()
                )?,
                ReportEntry::Note(note) => writeln!(f, "   {note}")?,
            }
        }
        Ok(())
    }
}
