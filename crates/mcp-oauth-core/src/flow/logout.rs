//! Logout: clear the tokens and revoke them at the authorization server (RFC 7009).

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;

use super::AuthFlow;
use super::event::{Event, RequestPurpose, TransportError};
use super::report::{Note, Outcome, Verdict};
use super::state::State;
use crate::Timestamp;
use crate::http::HttpResponse;
use crate::metadata::server::Endpoint;
use crate::revocation::{
    RevocationError, RevocationRequest, RevocationRequestError, TokenTypeHint,
    parse_revocation_response,
};
use crate::secret::WipedString;

/// Why one token was not confirmed revoked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RevocationFailure {
    /// The server answered with an error (503, `unsupported_token_type`, `invalid_client`, …).
    #[error("{0}")]
    Server(RevocationError),
    /// The request could not be built (refused endpoint, unsupported client authentication).
    #[error("revocation request: {0}")]
    Request(RevocationRequestError),
    /// No client identity to authenticate the request with.
    #[error("no client identity for the revocation request")]
    NoClientIdentity,
    /// The request produced no response.
    #[error("revocation: {0}")]
    Transport(TransportError),
    /// The request got no response before its deadline.
    #[error("revocation request timed out")]
    Timeout,
}

/// What [`AuthFlow::logout`] achieved, carried by [`Event::LoggedOut`]. Locally the tokens are
/// always gone; this says what the authorization server confirmed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogoutOutcome {
    /// Whether the authorization server advertises a usable `revocation_endpoint` (RFC 8414
    /// §2) for the issuer of the tokens. Without one nothing was revoked server-side: the
    /// tokens stay valid there until they expire.
    pub revocation_endpoint: bool,
    /// The tokens the server confirmed revoked (HTTP 200), in request order.
    pub revoked: Vec<TokenTypeHint>,
    /// The tokens it did not confirm, with why.
    pub not_revoked: Vec<(TokenTypeHint, RevocationFailure)>,
}

impl LogoutOutcome {
    /// Whether every token held was confirmed revoked (vacuously true when none was held and
    /// an endpoint exists).
    #[must_use]
    pub fn fully_revoked(&self) -> bool {
        self.revocation_endpoint && self.not_revoked.is_empty()
    }
}

/// A logout in progress.
pub(super) struct Revocation {
    /// Tokens still to revoke, refresh token first (RFC 7009 §2.1).
    queue: VecDeque<(TokenTypeHint, WipedString)>,
    /// The one in flight.
    current: Option<TokenTypeHint>,
    endpoint: String,
    outcome: LogoutOutcome,
}

impl AuthFlow {
    /// Log out: forget the tokens at once, then revoke them at the authorization server
    /// (RFC 7009): the refresh token first, because revoking it may revoke the access tokens of
    /// the same grant (RFC 7009 §2.1), then the access token. Any running attempt is abandoned.
    ///
    /// Emits [`Event::StateChanged`] (persist: the stored entry no longer holds tokens), then
    /// runs the revocation requests through [`AuthFlow::poll_request`], then
    /// [`Event::LoggedOut`] with what the server confirmed. Without a `revocation_endpoint` in
    /// the metadata (or without tokens) it emits [`Event::LoggedOut`] at once with
    /// `revocation_endpoint: false` / nothing revoked. Registrations and discovery results are
    /// kept; the next challenge authorizes again.
    ///
    /// ```
    /// use mcp_oauth_core::flow::{AuthFlow, ClientConfig, Event, FlowConfig, FlowStatus};
    /// use mcp_oauth_core::{Entropy, Timestamp};
    ///
    /// let config = FlowConfig::new(
    ///     "https://mcp.example.com/mcp",
    ///     ClientConfig::authorization_code("Example", "http://127.0.0.1:8765/callback"),
    /// );
    /// let mut flow = AuthFlow::new(config, Entropy::new([7; 32]));
    /// flow.logout(Timestamp::from_unix_seconds(1_700_000_000));
    /// // Nothing was held and no server is known: logged out locally at once.
    /// match flow.poll_event() {
    ///     Some(Event::LoggedOut(outcome)) => {
    ///         assert!(!outcome.revocation_endpoint);
    ///         assert!(outcome.revoked.is_empty());
    ///     }
    ///     other => panic!("{other:?}"),
    /// }
    /// assert!(flow.poll_request().is_none());
    /// assert_eq!(flow.status(), FlowStatus::Idle);
    /// ```
    pub fn logout(&mut self, now: Timestamp) {
        if let Some(old) = self.in_flight.take() {
            self.report.set_outcome(old.entry, Outcome::Abandoned);
        }
        self.queue.clear();
        self.state = State::Idle;
        self.attempts = 0;
        self.unauthorized_stage = 0;
        let tokens = self.tokens.take();
        if tokens.is_some() {
            self.report.note(Note::TokensDropped { reason: "logout" });
            self.events.push_back(Event::StateChanged);
        }
        // Credentials go only to the issuer that issued them (P-12): the endpoint of the
        // current server, and only if it issued these tokens.
        let endpoint = self.server.as_ref().and_then(|s| {
            let same_issuer = tokens.as_ref().is_none_or(|t| t.issuer == s.issuer);
            match s
                .metadata
                .checked_endpoint(Endpoint::Revocation, &self.config.url_policy)
            {
                Ok(Some(_)) if same_issuer => s.metadata.revocation_endpoint().map(String::from),
                _ => None,
            }
        });
        let mut queue = VecDeque::new();
        if let Some(t) = &tokens {
            if let Some(rt) = t.set.refresh_token() {
                queue.push_back((
                    TokenTypeHint::RefreshToken,
                    WipedString::new(String::from(rt.secret())),
                ));
            }
            queue.push_back((
                TokenTypeHint::AccessToken,
                WipedString::new(String::from(t.set.access_token().secret())),
            ));
        }
        drop(tokens);
        let outcome = LogoutOutcome {
            revocation_endpoint: endpoint.is_some(),
            revoked: Vec::new(),
            not_revoked: Vec::new(),
        };
        let Some(endpoint) = endpoint else {
            self.events.push_back(Event::LoggedOut(outcome));
            return;
        };
        let revocation = Revocation {
            queue,
            current: None,
            endpoint,
            outcome,
        };
        self.next_revocation(now, revocation);
    }

    /// Send the next revocation request, or finish.
    fn next_revocation(&mut self, now: Timestamp, mut r: Revocation) {
        while let Some((hint, token)) = r.queue.pop_front() {
            let Ok(auth) = self.client_auth(now) else {
                r.outcome
                    .not_revoked
                    .push((hint, RevocationFailure::NoClientIdentity));
                continue;
            };
            match RevocationRequest::new(token.as_str(), hint).build(
                &r.endpoint,
                &auth,
                self.config.url_policy,
            ) {
                Ok(http) => {
                    r.current = Some(hint);
                    self.send(now, RequestPurpose::Revocation, http);
                    self.state = State::Revoking(r);
                    return;
                }
                Err(e) => r
                    .outcome
                    .not_revoked
                    .push((hint, RevocationFailure::Request(e))),
            }
        }
        self.state = State::Idle;
        self.events.push_back(Event::LoggedOut(r.outcome));
    }

    /// The response to a revocation request.
    pub(super) fn revocation_response(
        &mut self,
        now: Timestamp,
        mut r: Revocation,
        entry: usize,
        response: &HttpResponse,
    ) {
        let hint = r.current.take().unwrap_or(TokenTypeHint::AccessToken);
        match parse_revocation_response(response) {
            Ok(()) => {
                self.report.set_verdict(entry, Verdict::Accepted);
                r.outcome.revoked.push(hint);
            }
            Err(e) => {
                r.outcome
                    .not_revoked
                    .push((hint, RevocationFailure::Server(e)));
            }
        }
        self.next_revocation(now, r);
    }

    /// A revocation request failed without a response (transport error or timeout): record it
    /// and go on. Returns `false` when no logout is running.
    pub(super) fn revocation_failed(&mut self, now: Timestamp, failure: RevocationFailure) -> bool {
        if !matches!(self.state, State::Revoking(_)) {
            return false;
        }
        let State::Revoking(mut r) = core::mem::replace(&mut self.state, State::Idle) else {
            return false;
        };
        let hint = r.current.take().unwrap_or(TokenTypeHint::AccessToken);
        r.outcome.not_revoked.push((hint, failure));
        self.next_revocation(now, r);
        true
    }
}
