//! Tokens: the code exchange, refresh, client credentials and the renewal timer
//! (RFC 6749 §4.1.3, §4.4, §5, §6; RFC 8707).

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::AuthFlow;
use super::authorization::PendingAuthorization;
use super::error::FlowErrorKind;
use super::event::{Event, RequestPurpose};
use super::identity::IdentitySource;
use super::report::{Note, Verdict};
use super::state::{Goal, State, Tokens};
use crate::Scopes;
use crate::Timestamp;
use crate::http::{HttpRequest, HttpResponse};
use crate::secret::AuthorizationCode;
use crate::token::{
    TokenErrorCode, TokenRequest, TokenResponseError, TokenSet, TokenType, parse_refresh_typed,
    parse_typed,
};

/// The token request in flight.
pub(super) enum TokenStep {
    /// Code exchange; the scope the authorization asked for (V-4).
    Exchange { requested: Scopes },
    /// Refresh of the held grant.
    Refresh,
    /// Client credentials with this scope.
    ClientCredentials { requested: Scopes },
    /// JWT bearer grant with this scope (SEP-1933, SEP-990).
    JwtBearer { requested: Scopes },
    /// Token exchange at the enterprise IdP for an ID-JAG with this scope (SEP-990).
    IdJag { requested: Scopes },
}

/// The shortest automatic renewal interval: a token whose half lifetime is shorter gets no
/// renewal timer (it is renewed on the next 401 instead).
const MIN_RENEWAL_INTERVAL: Duration = Duration::from_secs(1);

/// When to renew a token obtained at `now` that expires at `expiry` (U-8, M-8): `expiry −
/// margin`, but never before half its lifetime has passed. Without that floor, a margin as long
/// as the lifetime (or a server handing out very short tokens) would make every renewed token
/// due at once: a renewal loop. A token whose half lifetime is under [`MIN_RENEWAL_INTERVAL`]
/// gets no timer. So the renewal time is always at least one second after `now`, and
/// `poll_timeout` moves forward after every renewal.
pub(super) fn renewal_time(
    now: Timestamp,
    expiry: Timestamp,
    margin: Duration,
) -> Option<Timestamp> {
    let half = expiry.saturating_duration_since(now) / 2;
    if half < MIN_RENEWAL_INTERVAL {
        return None;
    }
    Some(expiry.saturating_sub(margin).max(now.saturating_add(half)))
}

/// Remove the `resource` pair from a form body (the omit-resource quirk), wiping the old buffer.
fn strip_resource(request: &mut HttpRequest) {
    let mut body = Vec::with_capacity(request.body.len());
    for pair in request.body.split(|b| *b == b'&') {
        if pair.starts_with(b"resource=") || pair == b"resource" || pair.is_empty() {
            continue;
        }
        if !body.is_empty() {
            body.push(b'&');
        }
        body.extend_from_slice(pair);
    }
    let mut old = core::mem::replace(&mut request.body, body);
    crate::secret::wipe_bytes(&mut old);
}

impl AuthFlow {
    /// Build and send a token request.
    pub(super) fn send_token_request(
        &mut self,
        now: Timestamp,
        request: TokenRequest,
        purpose: RequestPurpose,
        step: TokenStep,
    ) {
        let auth = match self.client_auth(now) {
            Ok(a) => a,
            Err(kind) => return self.fail(kind),
        };
        let Some(endpoint) = self
            .server
            .as_ref()
            .and_then(|s| s.metadata.token_endpoint())
            .map(String::from)
        else {
            return self.fail(FlowErrorKind::ServerMetadata(
                crate::metadata::ServerMetadataError::MissingEndpoint("token_endpoint"),
            ));
        };
        match request.build(&endpoint, &auth, self.config.url_policy) {
            Ok(mut http) => {
                if self.config.omit_resource {
                    strip_resource(&mut http);
                }
                #[cfg(feature = "dpop")]
                if let Err(kind) = self.attach_dpop(now, &mut http, false) {
                    return self.fail(kind);
                }
                self.send(now, purpose, http);
                self.state = State::RequestingToken(step);
            }
            Err(e) => self.fail(FlowErrorKind::TokenRequest(e)),
        }
    }

    /// The `resource` for token requests: the same string as the authorization request.
    /// Under the omit quirk the MCP URL stands in and is stripped from the body afterwards.
    pub(super) fn token_resource(&self) -> String {
        self.resource_param()
            .unwrap_or_else(|| self.config.resource_url.clone())
    }

    /// Exchange a verified code (T-2, K-7). The code is consumed whatever happens (C-14, T-12).
    pub(super) fn exchange_code(
        &mut self,
        now: Timestamp,
        pending: PendingAuthorization,
        code: AuthorizationCode,
    ) {
        let resource = pending
            .resource
            .clone()
            .unwrap_or_else(|| self.config.resource_url.clone());
        let request = TokenRequest::authorization_code(
            code,
            &pending.redirect_uri,
            pending.verifier.secret(),
            &resource,
        );
        // K-9: the code is redeemed by the client the record was made for.
        let same_client = self
            .identity
            .as_ref()
            .is_some_and(|(_, i)| i.client_id == pending.client_id);
        if !same_client {
            return self.fail(FlowErrorKind::NoPendingAuthorization);
        }
        self.send_token_request(
            now,
            request,
            RequestPurpose::CodeExchange,
            TokenStep::Exchange {
                requested: pending.scopes.clone(),
            },
        );
    }

    /// Refresh the held grant (F-1): same client authentication, same `resource`, no `scope`.
    pub(super) fn begin_refresh(&mut self, now: Timestamp) {
        let Some(rt) = self
            .tokens
            .as_ref()
            .and_then(|t| t.set.refresh_token().cloned())
        else {
            return self.begin_reauthorization(now);
        };
        let request = TokenRequest::refresh(&rt, &self.token_resource());
        self.send_token_request(now, request, RequestPurpose::Refresh, TokenStep::Refresh);
    }

    /// Request a client-credentials token (M-4). `counted`: whether it uses up one of the
    /// authorization attempts (challenge-driven requests do; the renewal timer does not).
    pub(super) fn begin_client_credentials(
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
        let request = TokenRequest::client_credentials(&self.token_resource(), &scopes);
        self.send_token_request(
            now,
            request,
            RequestPurpose::ClientCredentials,
            TokenStep::ClientCredentials { requested: scopes },
        );
    }

    /// A full new authorization with the scope of the grant being replaced.
    fn begin_reauthorization(&mut self, now: Timestamp) {
        let scopes = self.tokens.as_ref().map(|t| t.set.scope().clone());
        self.drop_tokens("re-authorizing");
        self.begin(now, self.goal(scopes), false);
    }

    pub(super) fn drop_tokens(&mut self, reason: &'static str) {
        if self.tokens.take().is_some() {
            self.report.note(Note::TokensDropped { reason });
            self.events.push_back(Event::StateChanged);
        }
    }

    pub(super) fn store_tokens(&mut self, now: Timestamp, set: TokenSet) {
        let issuer = self
            .server
            .as_ref()
            .map(|s| s.issuer.clone())
            .unwrap_or_default();
        let dpop_jkt = if self.proof_sent() {
            if set.token_type() == TokenType::Bearer {
                self.report.note(Note::DpopBearerIssued);
            }
            self.dpop_key_thumbprint().map(String::from)
        } else {
            None
        };
        let renew_at = set
            .expires_at()
            .and_then(|expiry| renewal_time(now, expiry, self.config.refresh_margin));
        self.tokens = Some(Tokens {
            set,
            issuer,
            resource: self.token_resource(),
            renew_at,
            dpop_jkt,
        });
        self.state = State::Authorized;
        // F-4: persist before use.
        self.events.push_back(Event::StateChanged);
    }

    /// A token endpoint response.
    pub(super) fn token_response(
        &mut self,
        now: Timestamp,
        step: TokenStep,
        entry: usize,
        response: &HttpResponse,
    ) {
        #[cfg(feature = "dpop")]
        let Some(step) = self.dpop_token_response(now, step, entry, response) else {
            return;
        };
        let proof_sent = self.proof_sent();
        let result = match &step {
            TokenStep::Exchange { requested }
            | TokenStep::ClientCredentials { requested }
            | TokenStep::JwtBearer { requested } => {
                parse_typed(response, now, requested, proof_sent)
            }
            TokenStep::IdJag { requested } => {
                let requested = requested.clone();
                return self.id_jag_response(now, requested, entry, response);
            }
            TokenStep::Refresh => match &self.tokens {
                Some(t) => parse_refresh_typed(response, now, &t.set, None, proof_sent),
                None => return self.fail(FlowErrorKind::NoResourceMetadata),
            },
        };
        match result {
            Ok(set) => {
                self.report.set_verdict(entry, Verdict::Accepted);
                self.store_tokens(now, set);
                if matches!(step, TokenStep::Refresh) {
                    self.events.push_back(Event::Refreshed);
                }
                self.events.push_back(Event::Authorized);
            }
            Err(e) => {
                let code = match &e {
                    TokenResponseError::Server(s) => Some(s.code().clone()),
                    _ => None,
                };
                let kind = FlowErrorKind::Token(e);
                self.report
                    .set_verdict(entry, Verdict::Rejected(kind.clone()));
                let dynamic = self
                    .identity
                    .as_ref()
                    .is_some_and(|(_, i)| i.source == IdentitySource::Dynamic);
                match (step, code) {
                    // F-6: the grant is gone; authorize from scratch.
                    (TokenStep::Refresh, Some(TokenErrorCode::InvalidGrant)) => {
                        self.begin_reauthorization(now);
                    }
                    // The registration may be gone: register again, once (the code is spent).
                    (TokenStep::Exchange { requested }, Some(TokenErrorCode::InvalidClient))
                        if dynamic && !self.reregistered =>
                    {
                        self.reregistered = true;
                        self.drop_registration("invalid_client");
                        self.begin(now, Goal::Authorize(Some(requested)), false);
                    }
                    _ => self.fail(kind),
                }
            }
        }
    }

    /// Whether the token request in flight carried a DPoP proof.
    fn proof_sent(&self) -> bool {
        #[cfg(feature = "dpop")]
        {
            self.dpop_sent()
        }
        #[cfg(not(feature = "dpop"))]
        {
            false
        }
    }

    /// The RFC 7638 thumbprint of the DPoP key, if DPoP is on.
    pub(super) fn dpop_key_thumbprint(&self) -> Option<&str> {
        #[cfg(feature = "dpop")]
        {
            self.dpop_thumbprint()
        }
        #[cfg(not(feature = "dpop"))]
        {
            None
        }
    }

    /// When the held token should be renewed (see [`renewal_time`]), if it can be renewed
    /// without the user (a refresh token, or client credentials; U-8, M-8).
    pub(super) fn renewal_at(&self) -> Option<Timestamp> {
        let t = self.tokens.as_ref()?;
        let renewable = t.set.refresh_token().is_some() || self.config.is_headless();
        if !renewable {
            return None;
        }
        t.renew_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(seconds: u64) -> Timestamp {
        Timestamp::from_unix_seconds(1_000 + seconds)
    }

    #[test]
    fn renewal_at_expiry_minus_margin_u8() {
        let margin = Duration::from_secs(60);
        assert_eq!(renewal_time(t(0), t(600), margin), Some(t(540)));
        assert_eq!(renewal_time(t(0), t(3600), Duration::ZERO), Some(t(3600)));
    }

    #[test]
    fn margin_longer_than_half_the_lifetime_renews_at_half_life() {
        let margin = Duration::from_secs(60);
        assert_eq!(renewal_time(t(0), t(30), margin), Some(t(15)));
        assert_eq!(renewal_time(t(0), t(120), margin), Some(t(60)));
        assert_eq!(
            renewal_time(t(0), t(100), Duration::from_secs(100)),
            Some(t(50))
        );
    }

    #[test]
    fn too_short_or_already_expired_gets_no_timer() {
        let margin = Duration::from_secs(60);
        assert_eq!(renewal_time(t(0), t(0), margin), None);
        assert_eq!(renewal_time(t(0), t(1), Duration::ZERO), None);
        assert_eq!(renewal_time(t(10), t(5), margin), None);
        assert_eq!(renewal_time(t(0), t(2), Duration::ZERO), Some(t(2)));
        let end = Timestamp::from_unix_millis(u64::MAX);
        assert_eq!(renewal_time(end, end, margin), None);
    }

    #[test]
    fn renewal_is_always_after_now() {
        for lifetime in [2u64, 3, 59, 60, 61, 119, 120, 121, 86_400] {
            for margin in [0u64, 1, 30, 60, 120, 86_400, u64::MAX] {
                let due = renewal_time(t(0), t(lifetime), Duration::from_secs(margin));
                assert!(
                    due.is_some_and(|d| d > t(0) && d <= t(lifetime)),
                    "{lifetime} {margin}"
                );
            }
        }
    }
}
