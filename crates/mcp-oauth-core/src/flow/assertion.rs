//! Assertion grants: the RFC 7523 JWT bearer grant for workload identity federation (SEP-1933)
//! and enterprise-managed authorization (SEP-990: an RFC 8693 token exchange at the enterprise
//! IdP for an ID-JAG, then the JWT bearer grant at the MCP authorization server).
//!
//! Both run after the usual discovery (PRM, then AS metadata) and client identity (a
//! pre-registered client for the authorization server), never open a browser, and are re-run
//! when the token is due for renewal (or refreshed first, if the server issued a refresh token).

use alloc::string::String;

use super::AuthFlow;
use super::config::ClientKind;
use super::error::{FlowError, FlowErrorKind};
use super::event::{Event, RequestPurpose};
use super::report::Verdict;
use super::state::State;
use super::tokens::TokenStep;
use crate::Scopes;
use crate::Timestamp;
use crate::http::HttpResponse;
use crate::secret::{Assertion, SubjectToken};
use crate::token::{
    ClientAuth, TOKEN_TYPE_ID_JAG, TokenExchangeRequest, TokenRequest,
    parse_token_exchange_response,
};

/// Where a workload identity flow ([`ClientConfig::jwt_bearer`](super::ClientConfig::jwt_bearer))
/// gets the JWT it presents as the RFC 7523 `assertion`.
///
/// The core never reads files or the environment, so the workload token (a Kubernetes
/// projected service account token, a cloud metadata-server token, a CI OIDC token, …) comes
/// from the caller, in one of two ways:
///
/// - [`AssertionSource::Fixed`]: one JWT, given at construction and used for every grant. Fine
///   for short-lived processes; once it expires, the authorization server refuses the grant and
///   the attempt fails with `invalid_grant`.
/// - [`AssertionSource::OnDemand`]: before every JWT bearer grant the flow emits
///   [`Event::AssertionRequired`] and waits; the caller reads a fresh token and hands it in with
///   [`AuthFlow::handle_assertion`]. Renewal (expiry − margin) asks again, so a long-running
///   workload never presents an expired assertion. This is the sans-IO equivalent of a
///   "token file" callback.
///
/// ```
/// use mcp_oauth_core::flow::{AssertionSource, ClientConfig};
/// use mcp_oauth_core::secret::Assertion;
///
/// let fixed = ClientConfig::jwt_bearer(AssertionSource::Fixed(Assertion::new("eyJ…".into())));
/// let asked = ClientConfig::jwt_bearer(AssertionSource::OnDemand);
/// # let _ = (fixed, asked);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum AssertionSource {
    /// This JWT, for every grant.
    Fixed(Assertion),
    /// Ask the caller with [`Event::AssertionRequired`] before every grant.
    OnDemand,
}

/// The enterprise identity provider of enterprise-managed authorization (SEP-990): where the
/// user's ID token is exchanged for an Identity Assertion JWT Authorization Grant (ID-JAG,
/// RFC 8693 token exchange).
///
/// - `token_endpoint`: the IdP's token endpoint. It must pass the flow's
///   [`UrlPolicy`](crate::urls::UrlPolicy) (https, or loopback http when allowed), checked when
///   the flow starts and again before the ID token is put into a request.
/// - `client_auth`: how the client authenticates at the IdP (its IdP registration, which is
///   not its registration at the MCP authorization server): for example
///   `ClientAuth::None { client_id }` for a public client.
/// - `id_token`: the user's OpenID Connect ID token from single sign-on at this IdP, sent as
///   the `subject_token` (type `urn:ietf:params:oauth:token-type:id_token`).
///
/// The exchange asks for `requested_token_type=urn:ietf:params:oauth:token-type:id-jag` with
/// `audience` = the MCP authorization server's issuer and `resource` = the PRM `resource`, and
/// the scope the flow would otherwise request (challenge, then PRM `scopes_supported`).
///
/// ```
/// use mcp_oauth_core::flow::{ClientConfig, FlowConfig, IdpConfig, PreRegisteredClient};
/// use mcp_oauth_core::secret::{ClientSecret, SubjectToken};
/// use mcp_oauth_core::token::ClientAuth;
///
/// let idp = IdpConfig::new(
///     "https://idp.example.com/oauth2/token",
///     ClientAuth::None { client_id: "mcp-client-at-idp".into() },
///     SubjectToken::new("eyJ…the user's ID token…".into()),
/// );
/// let config = FlowConfig::new("https://mcp.example.com/mcp", ClientConfig::enterprise(idp))
///     // The client as the MCP authorization server knows it (client_secret_basic here).
///     .pre_registered(
///         PreRegisteredClient::new("https://auth.example.com", "mcp-client")
///             .with_secret(ClientSecret::new("s3cret".into())),
///     );
/// # let _ = config;
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct IdpConfig {
    /// The IdP's token endpoint.
    pub token_endpoint: String,
    /// Client authentication at the IdP.
    pub client_auth: ClientAuth,
    /// The user's ID token (the RFC 8693 `subject_token`).
    pub id_token: SubjectToken,
}

/// Cloning copies `client_auth` as is: a [`ClientAuth::PrivateKeyJwt`] assertion signed
/// elsewhere would be replayed on every exchange, so prefer a reusable method at the IdP.
impl Clone for IdpConfig {
    fn clone(&self) -> Self {
        Self {
            token_endpoint: self.token_endpoint.clone(),
            client_auth: self.client_auth.copy_for_config(),
            id_token: self.id_token.clone(),
        }
    }
}

impl IdpConfig {
    /// The IdP at `token_endpoint`, the client's authentication there, and the user's ID token.
    #[must_use]
    pub fn new(
        token_endpoint: impl Into<String>,
        client_auth: ClientAuth,
        id_token: SubjectToken,
    ) -> Self {
        Self {
            token_endpoint: token_endpoint.into(),
            client_auth,
            id_token,
        }
    }
}

impl AuthFlow {
    /// The JWT the flow asked for with [`Event::AssertionRequired`]
    /// ([`AssertionSource::OnDemand`]): the flow sends the JWT bearer grant with it.
    ///
    /// # Errors
    ///
    /// [`FlowErrorKind::NoAssertionRequested`] when the flow is not waiting for an assertion
    /// (the assertion is dropped, and the flow is unchanged).
    pub fn handle_assertion(
        &mut self,
        now: Timestamp,
        assertion: Assertion,
    ) -> Result<(), FlowError> {
        match core::mem::replace(&mut self.state, State::Idle) {
            State::AwaitingAssertion(scopes) => {
                self.send_jwt_bearer(now, assertion, scopes);
                self.result_of_attempt()
            }
            other => {
                self.state = other;
                Err(self.error(FlowErrorKind::NoAssertionRequested))
            }
        }
    }

    /// Obtain a token with an assertion grant (SEP-1933, SEP-990). `counted`: whether it uses
    /// one of the authorization attempts (challenge-driven requests do; the renewal timer does
    /// not).
    pub(super) fn begin_assertion_grant(
        &mut self,
        now: Timestamp,
        scopes: Option<Scopes>,
        counted: bool,
    ) {
        if counted {
            let max = self.config.max_authorization_attempts;
            if self.attempts >= max {
                return self.fail(FlowErrorKind::TooManyAuthorizationAttempts { max });
            }
            self.attempts = self.attempts.saturating_add(1);
        }
        let scopes = scopes.unwrap_or_else(|| self.default_scopes());
        match &self.config.client.kind {
            ClientKind::JwtBearer(AssertionSource::Fixed(assertion)) => {
                let assertion = assertion.clone();
                self.send_jwt_bearer(now, assertion, scopes);
            }
            ClientKind::Enterprise(_) => self.send_id_jag_request(now, scopes),
            ClientKind::JwtBearer(AssertionSource::OnDemand) => {
                let issuer = self
                    .server
                    .as_ref()
                    .map(|s| s.issuer.clone())
                    .unwrap_or_default();
                self.state = State::AwaitingAssertion(scopes);
                self.events.push_back(Event::AssertionRequired { issuer });
            }
            ClientKind::AuthorizationCode { .. } | ClientKind::ClientCredentials => {
                self.fail(FlowErrorKind::NoAssertionRequested);
            }
        }
    }

    /// The RFC 7523 grant at the MCP authorization server, with the configured client
    /// authentication there.
    fn send_jwt_bearer(&mut self, now: Timestamp, assertion: Assertion, scopes: Scopes) {
        let request = TokenRequest::jwt_bearer(assertion, &self.token_resource(), &scopes);
        self.send_token_request(
            now,
            request,
            RequestPurpose::JwtBearer,
            TokenStep::JwtBearer { requested: scopes },
        );
    }

    /// The RFC 8693 exchange at the IdP: ID token → ID-JAG for this authorization server and
    /// resource (SEP-990).
    fn send_id_jag_request(&mut self, now: Timestamp, scopes: Scopes) {
        let (ClientKind::Enterprise(idp), Some(server)) = (&self.config.client.kind, &self.server)
        else {
            return self.fail(FlowErrorKind::NoResourceMetadata);
        };
        let request = TokenExchangeRequest::id_jag(
            idp.id_token.clone(),
            &server.issuer,
            &self.token_resource(),
            &scopes,
        )
        .build(
            &idp.token_endpoint,
            &idp.client_auth,
            self.config.url_policy,
        );
        match request {
            Ok(http) => {
                self.send(now, RequestPurpose::TokenExchange, http);
                self.state = State::RequestingToken(TokenStep::IdJag { requested: scopes });
            }
            Err(e) => self.fail(FlowErrorKind::TokenRequest(e)),
        }
    }

    /// The IdP's token exchange response: on success, present the ID-JAG at the authorization
    /// server at once.
    pub(super) fn id_jag_response(
        &mut self,
        now: Timestamp,
        requested: Scopes,
        entry: usize,
        response: &HttpResponse,
    ) {
        match parse_token_exchange_response(response, now, &requested, Some(TOKEN_TYPE_ID_JAG)) {
            Ok(issued) => {
                self.report.set_verdict(entry, Verdict::Accepted);
                self.send_jwt_bearer(now, issued.into_assertion(), requested);
            }
            Err(e) => {
                let kind = FlowErrorKind::TokenExchange(e);
                self.report
                    .set_verdict(entry, Verdict::Rejected(kind.clone()));
                self.fail(kind);
            }
        }
    }
}
