//! Authorization: scope selection, PKCE and `state`, the authorization URL, and the redirect
//! (RFC 6749 §4.1, RFC 7636, RFC 8707, RFC 9207).

use alloc::string::String;
use alloc::vec::Vec;

use super::AuthFlow;
use super::error::FlowErrorKind;
use super::event::Event;
use super::report::Note;
use super::state::State;
use crate::Scopes;
use crate::Timestamp;
use crate::authorize::AuthorizationRequest;
use crate::pkce::{CodeVerifier, PkcePair};
use crate::redirect::{AuthorizationResponse, ExpectedResponse, RedirectError};
use crate::secret::AuthorizationCode;
use crate::state::StateToken;

/// The per-flow record (checklist K-9, C-8): used once, then dropped (C-14).
pub(super) struct PendingAuthorization {
    pub(super) verifier: CodeVerifier,
    pub(super) state: StateToken,
    /// The issuer an RFC 9207 `iss` must equal (`None`: legacy defaults, no metadata).
    pub(super) issuer: Option<String>,
    pub(super) iss_supported: bool,
    pub(super) redirect_uri: String,
    pub(super) resource: Option<String>,
    pub(super) scopes: Scopes,
    pub(super) client_id: String,
    pub(super) deadline: Timestamp,
}

/// What became of a redirect.
enum RedirectOutcome {
    Code(AuthorizationCode),
    /// Refused, but it did not carry this flow's `state`: keep waiting.
    Unsolicited(RedirectError),
    /// Refused although it carried this flow's `state`: the attempt is over.
    Fatal(RedirectError),
}

impl AuthFlow {
    /// The scope for a fresh authorization (S-1, S-2, S-3): the challenge's, else the PRM's
    /// `scopes_supported`, else none. Never the AS `scopes_supported`.
    pub(super) fn default_scopes(&self) -> Scopes {
        if let Some(s) = &self.challenge_scope {
            return s.clone();
        }
        self.resource
            .as_ref()
            .and_then(|r| r.scopes_supported.as_ref())
            .map(|list| Scopes::from_tokens(list.iter()))
            .unwrap_or_default()
    }

    /// `offline_access` only when refresh tokens are wanted, the AS lists it, and a scope is
    /// sent at all (adding it to an omitted scope would replace the server's default scope).
    pub(super) fn with_offline_access(&self, mut scopes: Scopes) -> Scopes {
        let listed = self.server.as_ref().is_some_and(|s| {
            s.metadata
                .scopes_supported()
                .is_some_and(|l| l.iter().any(|x| x == "offline_access"))
        });
        if self.config.refresh_tokens && listed && !scopes.is_empty() {
            scopes.insert("offline_access");
        }
        scopes
    }

    /// The value sent as `resource` (Q-4, Q-6, B-7), or `None` under the omit quirk.
    pub(super) fn resource_param(&self) -> Option<String> {
        if self.config.omit_resource {
            return None;
        }
        Some(
            self.resource
                .as_ref()
                .map_or_else(|| self.config.resource_url.clone(), |r| r.resource.clone()),
        )
    }

    /// Build the authorization URL and wait for the redirect.
    pub(super) fn begin_authorization(&mut self, now: Timestamp, scopes: Option<Scopes>) {
        let max = self.config.max_authorization_attempts;
        if self.attempts >= max {
            return self.fail(FlowErrorKind::TooManyAuthorizationAttempts { max });
        }
        self.attempts = self.attempts.saturating_add(1);
        // RFC 8628 instead of the redirect, when configured and offered.
        match self.use_device_grant() {
            Ok(true) => {
                let scopes =
                    self.with_offline_access(scopes.unwrap_or_else(|| self.default_scopes()));
                return self.begin_device_authorization(now, scopes);
            }
            Ok(false) => {}
            Err(kind) => return self.fail(kind),
        }
        let (Some(server), Some((_, identity)), Some(redirect_uri)) =
            (&self.server, &self.identity, self.config.redirect_uri())
        else {
            return self.fail(FlowErrorKind::NoResourceMetadata);
        };
        let Some(endpoint) = server.metadata.authorization_endpoint() else {
            return self.fail(FlowErrorKind::ServerMetadata(
                crate::metadata::ServerMetadataError::MissingEndpoint("authorization_endpoint"),
            ));
        };
        let scopes = self.with_offline_access(scopes.unwrap_or_else(|| self.default_scopes()));
        let resource = self.resource_param();
        // Fresh PKCE and state for every request, step-up included (K-4).
        let pkce = PkcePair::from_entropy(self.rng.next(b"pkce"));
        let state = StateToken::from_entropy(self.rng.next(b"state"));
        let extra: Vec<(&str, &str)> = self
            .config
            .extra_authorize_params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut request = AuthorizationRequest::new(
            endpoint,
            &identity.client_id,
            redirect_uri,
            pkce.challenge(),
            &state,
        )
        .scopes(&scopes)
        .extra_params(&extra)
        .url_policy(self.config.url_policy);
        if let Some(r) = &resource {
            request = request.resource(r);
        }
        let url = match request.to_url() {
            Ok(u) => u,
            Err(e) => return self.fail(FlowErrorKind::Authorize(e)),
        };
        let pending = PendingAuthorization {
            verifier: pkce.into_verifier(),
            state,
            issuer: server.expected_iss().map(String::from),
            iss_supported: server
                .metadata
                .authorization_response_iss_parameter_supported(),
            redirect_uri: String::from(redirect_uri),
            resource,
            scopes,
            client_id: identity.client_id.clone(),
            deadline: now.saturating_add(self.config.authorization_timeout),
        };
        let event = Event::OpenAuthorizationUrl {
            url,
            redirect_uri: pending.redirect_uri.clone(),
            issuer: server.issuer.clone(),
        };
        self.report.note(Note::AuthorizationRequested {
            attempt: self.attempts,
        });
        self.state = State::AwaitingAuthorization(pending);
        self.events.push_back(event);
    }

    /// Verify a redirect against the pending record (C-4 … C-14, RFC 9207).
    pub(super) fn redirect(&mut self, now: Timestamp, redirect: &str) -> Result<(), FlowErrorKind> {
        let State::AwaitingAuthorization(pending) = &self.state else {
            let kind = FlowErrorKind::NoPendingAuthorization;
            self.report.note(Note::RedirectRejected(kind.clone()));
            return Err(kind);
        };
        if now >= pending.deadline {
            let kind = FlowErrorKind::AuthorizationExpired;
            self.fail(kind.clone());
            return Err(kind);
        }
        let outcome = {
            let expected = ExpectedResponse::new(
                &pending.state,
                pending.issuer.as_deref(),
                pending.iss_supported,
            );
            match AuthorizationResponse::parse(redirect) {
                Err(e) => RedirectOutcome::Unsolicited(e),
                Ok(response) => match response.verify(&expected) {
                    Ok(code) => RedirectOutcome::Code(code.into_code()),
                    Err(e) => {
                        let ours = response.state().is_some_and(|s| {
                            let mut buf = [0u8; StateToken::MAX_LEN];
                            let same = s
                                .decode_into(&mut buf)
                                .and_then(|b| core::str::from_utf8(b).ok())
                                .is_some_and(|b| pending.state.verify(b));
                            crate::secret::wipe_slice(&mut buf);
                            same
                        });
                        if ours {
                            RedirectOutcome::Fatal(e)
                        } else {
                            RedirectOutcome::Unsolicited(e)
                        }
                    }
                },
            }
        };
        match outcome {
            RedirectOutcome::Code(code) => {
                let State::AwaitingAuthorization(pending) =
                    core::mem::replace(&mut self.state, State::Idle)
                else {
                    return Err(FlowErrorKind::NoPendingAuthorization);
                };
                self.exchange_code(now, pending, code);
                Ok(())
            }
            RedirectOutcome::Unsolicited(e) => {
                let kind = FlowErrorKind::Redirect(e);
                self.report.note(Note::RedirectRejected(kind.clone()));
                Err(kind)
            }
            RedirectOutcome::Fatal(e) => {
                let kind = FlowErrorKind::Redirect(e);
                self.report.note(Note::RedirectRejected(kind.clone()));
                self.fail(kind.clone());
                Err(kind)
            }
        }
    }
}
