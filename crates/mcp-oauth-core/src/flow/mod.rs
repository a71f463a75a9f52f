//! The MCP authorization flow as one sans-IO state machine: from a 401 to a usable token.
//!
//! [`AuthFlow`] drives discovery (RFC 9728, RFC 8414, OpenID Connect Discovery, the 2025-03-26
//! legacy fallback), client identity (pre-registration, Client ID Metadata Documents, RFC 7591),
//! authorization (RFC 6749 §4.1 with RFC 7636 PKCE, RFC 8707 `resource`, RFC 9207 `iss`), the
//! token requests (code exchange, refresh, client credentials, the RFC 7523 JWT bearer grant and
//! the RFC 8693 token exchange of enterprise-managed authorization), step-up (RFC 6750 §3.1) and
//! proactive renewal, without doing any IO. It composes the other modules of this crate.
//!
//! # The drive loop
//!
//! Inputs go in through `handle_*` methods, outputs come out of `poll_*` methods:
//!
//! | Input | When |
//! |---|---|
//! | [`AuthFlow::handle_challenge`] | the MCP server answered 401 or 403 |
//! | [`AuthFlow::start`] | authorize without a challenge (client credentials, "log in now") |
//! | [`AuthFlow::handle_response`] | a response to a request from [`AuthFlow::poll_request`] |
//! | [`AuthFlow::handle_transport_error`] | that request produced no response |
//! | [`AuthFlow::handle_redirect`] | the browser came back to the redirect URI |
//! | [`AuthFlow::handle_timeout`] | the time from [`AuthFlow::poll_timeout`] was reached |
//! | [`AuthFlow::handle_resource_success`] | an MCP request carrying the token succeeded |
//! | [`AuthFlow::logout`] | forget the tokens and revoke them (RFC 7009) |
//! | [`AuthFlow::handle_assertion`] | the caller's workload JWT, after [`Event::AssertionRequired`] |
//!
//! **The drain rule**: after every `handle_*` call (and after [`AuthFlow::new`] /
//! [`AuthFlow::restore`]), call [`AuthFlow::poll_request`] and [`AuthFlow::poll_event`] until
//! both return `None`, performing each request and acting on each event; then read
//! [`AuthFlow::poll_timeout`] and call [`AuthFlow::handle_timeout`] when that time comes. A
//! driver that forgets to drain simply stalls; it never corrupts the machine.
//!
//! Requests are performed one at a time: the flow has at most one outstanding request. Perform
//! them **without following redirects** (checklist P-14, T-11) and with TLS certificate
//! validation (Z-3). A response for an unknown or stale [`RequestId`] is ignored and recorded in
//! the report, never a panic.
//!
//! # Decisions
//!
//! - **Discovery**: `resource_metadata` from the challenge, then the path-inserted and root
//!   well-known PRM URLs (D-3, D-4, P-4); a challenge URL that answers 4xx falls through to
//!   well-known probing. 4xx moves on, 5xx and transport errors stop (P-5, A-6). Legacy mode
//!   only when every PRM probe answered 4xx (B-6), with the issuer relaxed to "on the MCP
//!   origin" in that mode only (gotcha G1) and noted in the report.
//! - **Authorization servers**: tried in the [`SelectAuthorizationServer`] order (P-11). A
//!   server whose metadata is refused (issuer mismatch, no S256, insecure endpoint, …) is given
//!   up without trying its remaining URLs (A-7) and the next one is tried; the failure reports
//!   the first server's reason.
//! - **Identity**: pre-registered for this issuer → stored registration (unless its secret
//!   expired, R-22) → CIMD when advertised → DCR (R-2). `invalid_client` on a code exchange with
//!   a dynamic registration registers once more and starts a new authorization (the code is
//!   spent, T-12).
//! - **Scope**: the challenge's, else the PRM's `scopes_supported`, else none (S-1, S-2);
//!   `offline_access` is added only when wanted, listed by the AS, and some scope is sent (Q-9).
//! - **401** (D-15): without a token → authorize; with one → one refresh (if a refresh token
//!   exists), then a full authorization, then [`FlowErrorKind::TokenRejected`]. The ladder resets
//!   on [`AuthFlow::handle_resource_success`] or [`AuthFlow::start`]. The full authorization
//!   after a rejected token discovers again first (PRM, then AS metadata): the server may have
//!   moved to another authorization server behind the same `resource_metadata` URL (SEP-2352,
//!   R-24); an unchanged issuer keeps its stored registration.
//! - **403 `insufficient_scope`** (S-4 … S-7): a new authorization with granted ∪ challenged
//!   scopes; client-credentials clients request a new token with the union instead (M-7). At
//!   most `max_authorization_attempts` authorization (or client-credentials) requests between
//!   resource successes (S-6). Any other 403 is [`FlowErrorKind::Forbidden`] and starts nothing.
//! - **One attempt at a time**: a challenge that arrives while an attempt runs is absorbed (and
//!   noted); the caller retries after [`Event::Authorized`].
//! - **Redirects**: a redirect without a pending record, after its deadline, or replayed is
//!   refused (C-7, C-14). A refused redirect that does not carry the pending `state` leaves the
//!   pending authorization alone (a forged callback cannot cancel it); one that carries it ends
//!   the attempt (for example an `iss` mismatch, RFC 9207).
//! - **Renewal**: [`AuthFlow::poll_timeout`] returns expiry − margin while a refresh token (or
//!   client credentials) can renew the token without the user (U-8, M-8), but never earlier
//!   than half the token's lifetime (a margin as long as the lifetime would otherwise renew
//!   every new token at once, forever), and no timer for a token whose half lifetime is under
//!   a second: `poll_timeout` always moves forward after a renewal. `invalid_grant` drops
//!   the tokens and starts a full authorization (F-6); a refresh without a new refresh token keeps
//!   the old one (F-3).
//! - **Device grant** (opt-in, [`FlowConfig::device_authorization`], RFC 8628): instead of the
//!   authorization URL, a server advertising `device_authorization_endpoint` gets a device
//!   authorization request; [`Event::DeviceAuthorization`] carries the user code and
//!   verification URI, and the machine polls the token endpoint on its own timer
//!   ([`AuthFlow::poll_timeout`]): every `interval` (5 s by default), 5 s more after each
//!   `slow_down`, never after the code's expiry. `access_denied` and `expired_token` are
//!   [`FlowErrorKind::DevicePoll`]; a server without the endpoint gets the redirect flow unless
//!   [`FlowConfig::require_device_authorization`] (then
//!   [`FlowErrorKind::DeviceAuthorizationUnsupported`]).
//! - **Logout** ([`AuthFlow::logout`]): the tokens are dropped at once (`StateChanged`), then
//!   the refresh token and the access token are revoked at the issuer's `revocation_endpoint`
//!   (refresh first, RFC 7009 §2.1); [`Event::LoggedOut`] says what the server confirmed.
//! - **Assertion grants** ([`ClientConfig::jwt_bearer`], [`ClientConfig::enterprise`]): after
//!   discovery and with a pre-registered client for the authorization server, a JWT bearer
//!   grant (RFC 7523 §2.1) with the workload's JWT ([`AssertionSource`]), or first an RFC 8693
//!   token exchange at the enterprise IdP for an ID-JAG (`audience` = issuer, `resource` = the
//!   PRM `resource`). No browser, no registration; a refused grant fails the attempt (no retry,
//!   no other grant); renewal repeats the grant unless a refresh token was issued.
//! - **Randomness**: every PKCE verifier and `state` is `HMAC-SHA256(seed, label ‖ counter)`, a
//!   deterministic CSPRNG keyed by the caller's 32-byte seed: the same seed gives the same
//!   transcript. Give each flow (and each [`AuthFlow::restore`]) a fresh seed from the OS CSPRNG.
//! - **Time** comes in as `now`; all arithmetic saturates, so a clock that jumps back only makes
//!   deadlines fire later.
//!
//! # Example
//!
//! A complete flow against canned responses (dynamic registration, then the code exchange):
//!
//! ```
//! use mcp_oauth_core::flow::{AuthFlow, ClientConfig, Event, FlowConfig, FlowStatus};
//! use mcp_oauth_core::http::{HttpRequest, HttpResponse};
//! use mcp_oauth_core::{Entropy, Timestamp};
//!
//! fn json(status: u16, body: &str) -> HttpResponse {
//!     HttpResponse::new(
//!         status,
//!         vec![("content-type".into(), b"application/json".to_vec())],
//!         body.as_bytes().to_vec(),
//!     )
//! }
//!
//! // The canned world: one MCP server and one authorization server.
//! fn serve(request: &HttpRequest) -> HttpResponse {
//!     match request.url.as_str() {
//!         "https://mcp.example.com/.well-known/oauth-protected-resource/mcp" => json(200,
//!             r#"{"resource":"https://mcp.example.com/mcp",
//!                 "authorization_servers":["https://auth.example.com"]}"#),
//!         "https://auth.example.com/.well-known/oauth-authorization-server" => json(200,
//!             r#"{"issuer":"https://auth.example.com",
//!                 "authorization_endpoint":"https://auth.example.com/authorize",
//!                 "token_endpoint":"https://auth.example.com/token",
//!                 "registration_endpoint":"https://auth.example.com/register",
//!                 "response_types_supported":["code"],
//!                 "code_challenge_methods_supported":["S256"]}"#),
//!         "https://auth.example.com/register" => json(201,
//!             r#"{"client_id":"c-123","token_endpoint_auth_method":"none",
//!                 "redirect_uris":["http://127.0.0.1:8765/callback"]}"#),
//!         "https://auth.example.com/token" => json(200,
//!             r#"{"access_token":"at-1","token_type":"Bearer","expires_in":3600}"#),
//!         _ => json(404, "{}"),
//!     }
//! }
//!
//! let config = FlowConfig::new(
//!     "https://mcp.example.com/mcp",
//!     ClientConfig::authorization_code("Example", "http://127.0.0.1:8765/callback"),
//! );
//! let mut flow = AuthFlow::new(config, Entropy::new([7; 32])); // use OS randomness
//! let now = Timestamp::from_unix_seconds(1_700_000_000);
//!
//! // The MCP server answered 401 without a challenge header.
//! flow.handle_challenge(now, &HttpResponse::new(401, vec![], vec![]))?;
//!
//! // The drive loop: drain requests and events until the flow is settled.
//! loop {
//!     if let Some((id, request)) = flow.poll_request() {
//!         assert!(request.header("authorization").is_none()); // P-2, A-15
//!         flow.handle_response(now, id, serve(&request));
//!         continue;
//!     }
//!     match flow.poll_event() {
//!         Some(Event::OpenAuthorizationUrl { url, .. }) => {
//!             // A real client opens `url` in the browser and waits for the redirect. Here
//!             // the "user" approves at once; the AS echoes `state`.
//!             let state = url.split("state=").nth(1).unwrap().split('&').next().unwrap();
//!             let redirect = format!("http://127.0.0.1:8765/callback?code=abc&state={state}");
//!             flow.handle_redirect(now, &redirect)?;
//!         }
//!         Some(Event::StateChanged) => { /* store flow.persisted_state() */ }
//!         Some(Event::Failed(e)) => panic!("{e}\n{}", e.report()),
//!         Some(_) => {}
//!         None => break,
//!     }
//! }
//! assert_eq!(flow.status(), FlowStatus::Authorized);
//! assert_eq!(flow.authorization_header(now).unwrap().as_str(), "Bearer at-1");
//! println!("{}", flow.report()); // one line per request, no secrets
//! # Ok::<(), mcp_oauth_core::flow::FlowError>(())
//! ```

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;

mod assertion;
mod authorization;
mod config;
mod device;
mod discovery;
#[cfg(feature = "dpop")]
mod dpop;
mod error;
mod event;
mod identity;
mod logout;
mod persist;
mod report;
mod rng;
mod state;
mod tokens;

pub use assertion::{AssertionSource, IdpConfig};
pub use config::{
    AsListed, ClientConfig, DuplicatePolicy, FlowConfig, PreRegisteredClient,
    SelectAuthorizationServer,
};
pub use error::{ConfigError, FlowError, FlowErrorKind, RestoreError};
pub use event::{Event, FlowStatus, RequestId, RequestPurpose, TransportError};
pub use logout::{LogoutOutcome, RevocationFailure};
pub use persist::{PERSISTED_STATE_VERSION, PersistedState};
pub use report::{DiscoveryReport, Note, Outcome, ReportEntry, Verdict};

use self::identity::ClientIdentity;
use self::report::Note as ReportNote;
use self::state::{Goal, InFlight, ResourceInfo, ServerInfo, State, Tokens};
use crate::challenge::{ChallengeAction, Field, OAuthChallenge};
use crate::http::{HeaderValue, HttpRequest, HttpResponse};
use crate::secret::AccessToken;
use crate::{Entropy, Scopes, Timestamp};

/// The MCP authorization flow for one MCP server (protected resource). See the
/// [module docs](self) for the drive loop, the drain rule and the behaviour.
pub struct AuthFlow {
    config: FlowConfig,
    config_error: Option<ConfigError>,
    rng: rng::Rng,
    state: State,
    /// `resource_metadata` URLs from the latest challenge that carried any (D-13).
    learned_prm_urls: Option<Vec<String>>,
    /// The Bearer `scope` of the latest 401 (S-1, D-11).
    challenge_scope: Option<Scopes>,
    resource: Option<ResourceInfo>,
    server: Option<ServerInfo>,
    /// Dynamic registrations by issuer (R-23).
    registrations: Vec<(String, ClientIdentity)>,
    /// The identity in use, with the issuer it belongs to (P-12).
    identity: Option<(String, ClientIdentity)>,
    tokens: Option<Tokens>,
    /// Authorization (or client-credentials) requests since the last resource success (S-6).
    attempts: u8,
    /// D-15 ladder: 0 fresh, 1 refreshed after a 401, 2 re-authorized after a 401.
    unauthorized_stage: u8,
    /// `invalid_client` re-registration already used (once per attempt).
    reregistered: bool,
    queue: VecDeque<(RequestId, HttpRequest)>,
    in_flight: Option<InFlight>,
    events: VecDeque<Event>,
    next_id: u64,
    report: DiscoveryReport,
    /// DPoP nonces and the token request kept for the nonce retry (RFC 9449 §8).
    #[cfg(feature = "dpop")]
    dpop: dpop::DpopState,
}

impl core::fmt::Debug for AuthFlow {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AuthFlow")
            .field("resource_url", &self.config.resource_url)
            .field("status", &self.status())
            .field("issuer", &self.server.as_ref().map(|s| &s.issuer))
            .field("has_tokens", &self.tokens.is_some())
            .finish_non_exhaustive()
    }
}

impl AuthFlow {
    /// A flow for the MCP server in `config`. `seed`: 32 bytes from a CSPRNG, used to derive
    /// every PKCE verifier and `state` (see the [module docs](self)). An invalid configuration is
    /// reported by the first [`AuthFlow::start`] or [`AuthFlow::handle_challenge`].
    #[must_use]
    pub fn new(config: FlowConfig, seed: Entropy) -> Self {
        let config_error = config.validate().err();
        Self {
            config,
            config_error,
            rng: rng::Rng::new(&seed),
            state: State::Idle,
            learned_prm_urls: None,
            challenge_scope: None,
            resource: None,
            server: None,
            registrations: Vec::new(),
            identity: None,
            tokens: None,
            attempts: 0,
            unauthorized_stage: 0,
            reregistered: false,
            queue: VecDeque::new(),
            in_flight: None,
            events: VecDeque::new(),
            next_id: 0,
            report: DiscoveryReport::default(),
            #[cfg(feature = "dpop")]
            dpop: dpop::DpopState::default(),
        }
    }

    /// Resume from persisted state with a fresh `seed`. A warm start makes no discovery request:
    /// with a stored token the flow is [`FlowStatus::Authorized`] at once (and emits
    /// [`Event::Authorized`]); otherwise it authorizes with the stored metadata and registration.
    ///
    /// # Errors
    ///
    /// [`RestoreError`] when the configuration is invalid, the state is for another server or
    /// schema, or the stored metadata no longer validates.
    pub fn restore(
        config: FlowConfig,
        seed: Entropy,
        state: PersistedState,
    ) -> Result<Self, RestoreError> {
        let mut flow = Self::new(config, seed);
        if let Some(e) = flow.config_error.clone() {
            return Err(RestoreError::Config(e));
        }
        flow.import(state)?;
        if flow.tokens.is_some() {
            // The refresh of restored tokens authenticates as the client that obtained them.
            flow.restore_identity();
            flow.state = State::Authorized;
            flow.events.push_back(Event::Authorized);
        }
        Ok(flow)
    }

    // ------------------------------------------------------------------------------------------
    // Inputs
    // ------------------------------------------------------------------------------------------

    /// The MCP server answered 401 or 403 (only the status and `WWW-Authenticate` fields are
    /// read). Starts, restarts, refreshes or steps up per the [module docs](self).
    ///
    /// # Errors
    ///
    /// [`FlowErrorKind::NotAChallenge`] for other statuses and [`FlowErrorKind::Forbidden`] for a
    /// 403 that is not `insufficient_scope` (the flow is unchanged); any error that ends the
    /// attempt at once (also emitted as [`Event::Failed`]).
    pub fn handle_challenge(
        &mut self,
        now: Timestamp,
        response: &HttpResponse,
    ) -> Result<(), FlowError> {
        // RFC 9449 §9: a DPoP nonce request is answered by retrying, not by authorizing.
        if response.status == 401 && self.tokens.is_some() && self.dpop_resource_challenge(response)
        {
            return Ok(());
        }
        let oauth = OAuthChallenge::from_response(response);
        let action = oauth.action(response.status);
        let urls: Option<Vec<String>> = match oauth.resource_metadata() {
            Field::Absent => None,
            Field::One(v) => Some(alloc::vec![alloc::string::ToString::to_string(&v)]),
            Field::Duplicated(d) => match self.config.duplicate_params {
                DuplicatePolicy::Strict => None,
                DuplicatePolicy::Lenient => Some(
                    d.values()
                        .filter(|v| !v.is_empty())
                        .map(|v| alloc::string::ToString::to_string(&v))
                        .collect(),
                ),
            },
        };
        let scope = oauth
            .scope()
            .single()
            .map(|v| v.to_scopes())
            .filter(|s| !s.is_empty());
        self.report.note(ReportNote::Challenge {
            status: response.status,
            resource_metadata: urls.as_ref().and_then(|u| u.first().cloned()),
        });
        match action {
            ChallengeAction::Authenticate | ChallengeAction::StepUp => {}
            ChallengeAction::Forbidden => return Err(self.error(FlowErrorKind::Forbidden)),
            _ => {
                return Err(self.error(FlowErrorKind::NotAChallenge {
                    status: response.status,
                }));
            }
        }
        if let Some(e) = self.config_error.clone() {
            return self.fail_now(FlowErrorKind::Config(e));
        }
        if self.state.is_busy() {
            self.report.note(ReportNote::ChallengeWhileBusy);
            return Ok(());
        }
        // D-13: only a challenge that names a URL replaces the learned one. D-16, S-8: a URL
        // other than the one that produced the PRM means discovering again.
        let mut rediscover = false;
        if let Some(urls) = urls.filter(|u| !u.is_empty()) {
            let used = self
                .resource
                .as_ref()
                .and_then(|r| r.metadata_url.as_deref());
            if self.resource.is_some() && !used.is_some_and(|u| urls.iter().any(|x| x == u)) {
                rediscover = true;
                self.report.note(ReportNote::ResourceMetadataChanged);
            }
            self.learned_prm_urls = Some(urls);
        }
        match action {
            ChallengeAction::StepUp => self.on_insufficient_scope(now, scope, rediscover),
            _ => {
                self.challenge_scope = scope;
                self.on_unauthorized(now, rediscover);
            }
        }
        self.result_of_attempt()
    }

    /// Start without a challenge (client credentials, or "authorize now"). Resets the 401 and
    /// step-up budgets. With a usable token nothing is requested and [`Event::Authorized`] is
    /// emitted again; while an attempt runs it does nothing.
    pub fn start(&mut self, now: Timestamp) {
        if self.state.is_busy() {
            return;
        }
        if let Some(e) = self.config_error.clone() {
            return self.fail(FlowErrorKind::Config(e));
        }
        self.attempts = 0;
        self.unauthorized_stage = 0;
        self.reregistered = false;
        if self.access_token(now).is_some() {
            self.state = State::Authorized;
            self.events.push_back(Event::Authorized);
            return;
        }
        let goal = self.goal(None);
        self.begin(now, goal, false);
    }

    /// The response to the request `id` from [`AuthFlow::poll_request`]. Unknown or stale ids are
    /// ignored (and noted in the report).
    pub fn handle_response(&mut self, now: Timestamp, id: RequestId, response: HttpResponse) {
        let Some(inflight) = self.in_flight.take_if(|f| f.id == id) else {
            self.report.note(ReportNote::StaleResponse(id));
            return;
        };
        self.report
            .set_outcome(inflight.entry, Outcome::Status(response.status));
        let entry = inflight.entry;
        match core::mem::replace(&mut self.state, State::Idle) {
            State::Discovering(d) => self.discovery_response(now, d, entry, &response),
            State::Registering(goal) => self.registration_response(now, goal, entry, &response),
            State::RequestingToken(step) => self.token_response(now, step, entry, &response),
            State::Device(step) => self.device_response(now, step, entry, &response),
            State::Revoking(r) => self.revocation_response(now, r, entry, &response),
            other => self.state = other,
        }
    }

    /// The request `id` produced no response. Fails the attempt with a typed error (no silent
    /// fallback, checklist P-5, B-6). Unknown ids are ignored.
    pub fn handle_transport_error(&mut self, now: Timestamp, id: RequestId, error: TransportError) {
        let _ = now;
        let Some(inflight) = self.in_flight.take_if(|f| f.id == id) else {
            self.report.note(ReportNote::StaleResponse(id));
            return;
        };
        self.report
            .set_outcome(inflight.entry, Outcome::Transport(error));
        if self.revocation_failed(now, RevocationFailure::Transport(error)) {
            return;
        }
        if error == TransportError::Timeout && self.device_poll_timed_out(now) {
            return;
        }
        let kind = FlowErrorKind::Transport {
            purpose: inflight.purpose,
            error,
        };
        self.report
            .set_verdict(inflight.entry, Verdict::Rejected(kind.clone()));
        self.fail(kind);
    }

    /// The browser came back: the full redirect URL, the request target, or the query. Verified
    /// against the pending record (state, RFC 9207 `iss`, single use).
    ///
    /// # Errors
    ///
    /// Why the redirect was refused. A refused redirect that carries the pending `state` also
    /// ends the attempt ([`Event::Failed`]); one that does not leaves it waiting.
    pub fn handle_redirect(&mut self, now: Timestamp, redirect: &str) -> Result<(), FlowError> {
        self.redirect(now, redirect)
            .map_err(|kind| self.error(kind))
    }

    /// Deadlines: request timeouts, the authorization timeout, device-grant polls and expiry,
    /// and proactive renewal.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        if let Some(f) = &self.in_flight
            && now >= f.deadline
        {
            let (entry, purpose) = (f.entry, f.purpose);
            self.in_flight = None;
            self.report.set_outcome(entry, Outcome::TimedOut);
            if self.revocation_failed(now, RevocationFailure::Timeout) {
                return;
            }
            if self.device_poll_timed_out(now) {
                return;
            }
            let kind = FlowErrorKind::Timeout { purpose };
            self.report
                .set_verdict(entry, Verdict::Rejected(kind.clone()));
            return self.fail(kind);
        }
        if let State::AwaitingAuthorization(p) = &self.state
            && now >= p.deadline
        {
            return self.fail(FlowErrorKind::AuthorizationExpired);
        }
        if matches!(self.state, State::Device(_)) {
            return self.device_timeout(now);
        }
        if matches!(self.state, State::Authorized) && self.renewal_at().is_some_and(|at| now >= at)
        {
            self.report.note(ReportNote::RefreshDue);
            let has_rt = self
                .tokens
                .as_ref()
                .is_some_and(|t| t.set.refresh_token().is_some());
            if self.config.is_client_credentials() {
                let scopes = self.tokens.as_ref().map(|t| t.set.scope().clone());
                self.begin_client_credentials(now, scopes, false);
            } else if self.config.is_assertion_grant() && !has_rt {
                // Repeat the grant; the token stays usable until the new one arrives.
                let scopes = self.tokens.as_ref().map(|t| t.set.scope().clone());
                self.begin_assertion_grant(now, scopes, false);
            } else {
                self.begin_refresh(now);
            }
        }
    }

    /// An MCP request carrying the token succeeded: resets the 401 ladder and the step-up budget.
    pub fn handle_resource_success(&mut self, now: Timestamp) {
        let _ = now;
        self.attempts = 0;
        self.unauthorized_stage = 0;
        self.reregistered = false;
    }

    // ------------------------------------------------------------------------------------------
    // Outputs
    // ------------------------------------------------------------------------------------------

    /// The next HTTP request to perform, with the id to answer it under.
    #[must_use]
    pub fn poll_request(&mut self) -> Option<(RequestId, HttpRequest)> {
        self.queue.pop_front()
    }

    /// The next event to act on.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`AuthFlow::handle_timeout`] must be called next: the earliest of the request
    /// deadline, the authorization deadline, the next device-grant poll (or the device code's
    /// expiry) and the renewal time.
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        let request = self.in_flight.as_ref().map(|f| f.deadline);
        let authorization = match &self.state {
            State::AwaitingAuthorization(p) => Some(p.deadline),
            _ => None,
        };
        let renewal = match self.state {
            State::Authorized => self.renewal_at(),
            _ => None,
        };
        [request, authorization, renewal, self.device_deadline()]
            .into_iter()
            .flatten()
            .min()
    }

    // ------------------------------------------------------------------------------------------
    // Using the result
    // ------------------------------------------------------------------------------------------

    /// The access token, if one is held and not expired at `now` (the renewal margin does not
    /// make it unusable).
    #[must_use]
    pub fn access_token(&self, now: Timestamp) -> Option<&AccessToken> {
        let t = self.tokens.as_ref()?;
        if t.set.expires_at().is_some_and(|at| now >= at) {
            return None;
        }
        Some(t.set.access_token())
    }

    /// `Bearer <token>` as a sensitive header value (checklist U-1, U-4, U-7); `DPoP <token>`
    /// for a DPoP-bound token, which also needs a proof: use
    /// [`AuthFlow::authorization_headers`] for requests.
    #[must_use]
    pub fn authorization_header(&self, now: Timestamp) -> Option<HeaderValue> {
        let token = self.access_token(now)?;
        let scheme = self
            .tokens
            .as_ref()
            .map_or("Bearer", |t| t.set.token_type().as_str());
        let mut value = String::with_capacity(token.secret().len().saturating_add(7));
        value.push_str(scheme);
        value.push(' ');
        value.push_str(token.secret());
        Some(HeaderValue::sensitive(value))
    }

    /// Every header a `method` request to `url` on the MCP server needs: `Authorization:
    /// Bearer <token>` (U-4), or for a DPoP-bound token `Authorization: DPoP <token>` plus a
    /// fresh `DPoP` proof (RFC 9449 §7.1: `htm` = `method`, `htu` = `url` without query and
    /// fragment, `ath` = hash of the token, `nonce` = the MCP server's latest nonce). Empty when
    /// no usable token is held. Call it for **every** request (a proof is single-use) and hand
    /// each response to [`AuthFlow::handle_resource_response`].
    ///
    /// ```
    /// # use mcp_oauth_core::flow::{AuthFlow, ClientConfig, FlowConfig};
    /// # use mcp_oauth_core::{Entropy, Timestamp};
    /// let mut flow = AuthFlow::new(
    ///     FlowConfig::new("https://mcp.example.com/mcp",
    ///         ClientConfig::authorization_code("Example", "http://127.0.0.1:8765/callback")),
    ///     Entropy::new([7; 32]),
    /// );
    /// let now = Timestamp::from_unix_seconds(1_700_000_000);
    /// // No token yet: nothing to attach.
    /// assert!(flow.authorization_headers(now, "POST", "https://mcp.example.com/mcp")?.is_empty());
    /// # Ok::<(), mcp_oauth_core::flow::FlowError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// With DPoP, when the proof cannot be made (`method` is not an HTTP method token, `url` is
    /// not absolute).
    pub fn authorization_headers(
        &mut self,
        now: Timestamp,
        method: &str,
        url: &str,
    ) -> Result<Vec<(&'static str, HeaderValue)>, FlowError> {
        let _ = (method, url);
        #[cfg(feature = "dpop")]
        if let Some(t) = self.tokens.as_ref()
            && t.set.token_type() == crate::token::TokenType::DPoP
        {
            let Some(token) = self.access_token(now).cloned() else {
                return Ok(Vec::new());
            };
            return self
                .dpop_resource_headers(now, method, url, &token)
                .map_err(|kind| self.error(kind));
        }
        Ok(self
            .authorization_header(now)
            .map(|h| alloc::vec![("authorization", h)])
            .unwrap_or_default())
    }

    /// A response from the MCP server to a request that carried
    /// [`AuthFlow::authorization_headers`]. With DPoP it keeps the server's `DPoP-Nonce` (RFC
    /// 9449 §9: a server may rotate its nonce on any response) and returns `true` for a
    /// `use_dpop_nonce` challenge (401 with a `DPoP` challenge `error="use_dpop_nonce"` and a
    /// `DPoP-Nonce`): send the request again with fresh headers, **without** a new
    /// authorization; retry at most once per request. Otherwise (and always without DPoP) it
    /// returns `false`: handle a 401/403 with [`AuthFlow::handle_challenge`] as usual.
    ///
    /// `url` is the URL the request went to (nonces are kept per origin).
    pub fn handle_resource_response(&mut self, url: &str, response: &HttpResponse) -> bool {
        #[cfg(feature = "dpop")]
        {
            self.dpop_resource_response(url, response)
        }
        #[cfg(not(feature = "dpop"))]
        {
            let _ = (url, response);
            false
        }
    }

    /// The coarse phase.
    #[must_use]
    pub fn status(&self) -> FlowStatus {
        self.state.status()
    }

    /// Every request and decision so far.
    #[must_use]
    pub fn report(&self) -> &DiscoveryReport {
        &self.report
    }

    /// The granted scope of the held token.
    #[must_use]
    pub fn granted_scopes(&self) -> Option<&Scopes> {
        self.tokens.as_ref().map(|t| t.set.scope())
    }

    /// The accepted authorization server's issuer.
    #[must_use]
    pub fn issuer(&self) -> Option<&str> {
        self.server.as_ref().map(|s| s.issuer.as_str())
    }

    // ------------------------------------------------------------------------------------------
    // Internals shared by the phases
    // ------------------------------------------------------------------------------------------

    fn goal(&self, scopes: Option<Scopes>) -> Goal {
        if self.config.is_client_credentials() {
            Goal::ClientCredentials(scopes)
        } else if self.config.is_assertion_grant() {
            Goal::Assertion(scopes)
        } else {
            Goal::Authorize(scopes)
        }
    }

    /// Discover (if needed), then identity, then authorization / client credentials.
    fn begin(&mut self, now: Timestamp, goal: Goal, rediscover: bool) {
        self.reregistered = self.reregistered && !rediscover;
        if rediscover || self.server.is_none() || self.resource.is_none() {
            self.begin_discovery(now, goal);
        } else {
            self.obtain_identity(now, goal);
        }
    }

    /// D-15.
    fn on_unauthorized(&mut self, now: Timestamp, rediscover: bool) {
        if self.tokens.is_none() {
            let goal = self.goal(None);
            return self.begin(now, goal, rediscover);
        }
        let has_rt = self
            .tokens
            .as_ref()
            .is_some_and(|t| t.set.refresh_token().is_some());
        match self.unauthorized_stage {
            0 if has_rt && !rediscover => {
                self.unauthorized_stage = 1;
                self.begin_refresh(now);
            }
            0 | 1 => {
                self.unauthorized_stage = 2;
                let scopes = self.tokens.as_ref().map(|t| t.set.scope().clone());
                self.drop_tokens("rejected by the MCP server");
                let goal = self.goal(
                    scopes
                        .filter(|s| !s.is_empty())
                        .or(self.challenge_scope.clone()),
                );
                // SEP-2352 (R-24): a server that moved to another authorization server keeps
                // naming the same PRM URL and simply rejects the old token. A full
                // re-authorization therefore re-fetches the PRM (and AS metadata) first; an
                // unchanged issuer keeps its stored registration (R-23).
                if !rediscover {
                    self.report.note(ReportNote::TokenRejectedRediscovering);
                }
                self.begin(now, goal, true);
            }
            _ => self.fail(FlowErrorKind::TokenRejected),
        }
    }

    /// S-4 … S-7, M-7.
    fn on_insufficient_scope(
        &mut self,
        now: Timestamp,
        required: Option<Scopes>,
        rediscover: bool,
    ) {
        let granted = self
            .tokens
            .as_ref()
            .map(|t| t.set.scope().clone())
            .unwrap_or_default();
        let union = granted.union(&required.unwrap_or_default());
        let goal = self.goal(Some(union).filter(|s| !s.is_empty()));
        self.begin(now, goal, rediscover);
    }

    /// Queue a request and arm its deadline.
    fn send(&mut self, now: Timestamp, purpose: RequestPurpose, request: HttpRequest) {
        let id = RequestId(self.next_id);
        self.next_id = self.next_id.saturating_add(1);
        if let Some(old) = self.in_flight.take() {
            self.report.set_outcome(old.entry, Outcome::Abandoned);
        }
        let entry = self.report.push_request(id, &request, purpose);
        self.in_flight = Some(InFlight {
            id,
            deadline: now.saturating_add(self.config.request_timeout),
            purpose,
            entry,
        });
        self.queue.push_back((id, request));
    }

    /// Without the `dpop` feature nothing asks for DPoP.
    #[cfg(not(feature = "dpop"))]
    fn dpop_resource_challenge(&mut self, response: &HttpResponse) -> bool {
        let _ = response;
        false
    }

    fn error(&self, kind: FlowErrorKind) -> FlowError {
        FlowError::new(kind, self.report.clone())
    }

    /// End the attempt.
    fn fail(&mut self, kind: FlowErrorKind) {
        if let Some(old) = self.in_flight.take() {
            self.report.set_outcome(old.entry, Outcome::Abandoned);
        }
        self.queue.clear();
        self.state = State::Failed;
        let error = self.error(kind);
        self.events.push_back(Event::Failed(error));
    }

    fn fail_now(&mut self, kind: FlowErrorKind) -> Result<(), FlowError> {
        self.fail(kind.clone());
        Err(self.error(kind))
    }

    /// After a challenge: `Err` when the attempt already failed synchronously.
    fn result_of_attempt(&self) -> Result<(), FlowError> {
        match (&self.state, self.events.back()) {
            (State::Failed, Some(Event::Failed(e))) => Err(e.clone()),
            _ => Ok(()),
        }
    }
}
