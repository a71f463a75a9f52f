//! DPoP in the flow (RFC 9449): proofs on token requests, the `use_dpop_nonce` retry at the
//! token endpoint (§8) and at the MCP server (§9), and the resource-request headers (§7.1).

use alloc::string::String;
use alloc::vec::Vec;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::AuthFlow;
use super::error::FlowErrorKind;
use super::report::{Note, Verdict};
use super::state::State;
use super::tokens::TokenStep;
use crate::Timestamp;
use crate::dpop::{self, DPOP_HEADER, DpopKey, ProofRequest};
use crate::http::{HeaderValue, HttpRequest, HttpResponse};
use crate::secret::AccessToken;
use crate::token::TokenType;

/// The flow's DPoP bookkeeping.
#[derive(Debug, Default)]
pub(super) struct DpopState {
    /// The latest `DPoP-Nonce` per server origin.
    pub(super) nonces: dpop::NonceStore,
    /// The token request in flight, without its proof, for the nonce retry.
    pub(super) token_request: Option<HttpRequest>,
    /// The in-flight token request is already the nonce retry (retry once, §8).
    pub(super) retried: bool,
    /// The in-flight token request carried a proof (so `token_type` `DPoP` is acceptable, §5).
    pub(super) sent: bool,
}

impl AuthFlow {
    /// A fresh `jti`: 256 bits from the flow's generator (RFC 9449 §4.2, §11.1).
    fn dpop_jti(&mut self) -> String {
        URL_SAFE_NO_PAD.encode(self.rng.next(b"dpop-jti").bytes())
    }

    /// A proof signed with the configured key.
    fn dpop_proof(
        &mut self,
        key: &DpopKey,
        now: Timestamp,
        request: &ProofRequest<'_>,
    ) -> Result<HeaderValue, FlowErrorKind> {
        let jti = self.dpop_jti();
        dpop::proof(key, &jti, now, request).map_err(FlowErrorKind::Dpop)
    }

    /// Attach a proof to a token request (RFC 9449 §5) when DPoP is on, and keep the request
    /// for a nonce retry. `retry`: this is the retry after `use_dpop_nonce`.
    pub(super) fn attach_dpop(
        &mut self,
        now: Timestamp,
        http: &mut HttpRequest,
        retry: bool,
    ) -> Result<(), FlowErrorKind> {
        self.dpop.retried = retry;
        self.dpop.sent = false;
        self.dpop.token_request = None;
        let Some(key) = self.config.dpop.clone() else {
            return Ok(());
        };
        // §5.1: an authorization server that lists its algorithms and not ours would reject
        // the proof; refuse instead of downgrading to bearer tokens. Absent = not a refusal.
        let algorithm = key.algorithm().name();
        if let Some(algs) = self
            .server
            .as_ref()
            .and_then(|s| s.metadata.dpop_signing_alg_values_supported())
            && !algs.iter().any(|a| a == algorithm)
        {
            return Err(FlowErrorKind::DpopAlgorithmNotSupported { algorithm });
        }
        let template = http.clone();
        let nonce = self.dpop.nonces.get(&http.url).map(String::from);
        let request =
            ProofRequest::new(http.method.as_str(), &template.url).nonce(nonce.as_deref());
        let proof = self.dpop_proof(&key, now, &request)?;
        http.headers.retain(|(name, _)| *name != DPOP_HEADER);
        http.headers.push((DPOP_HEADER, proof));
        self.dpop.token_request = Some(template);
        self.dpop.sent = true;
        Ok(())
    }

    /// Whether the in-flight token request carried a proof.
    pub(super) fn dpop_sent(&self) -> bool {
        self.dpop.sent
    }

    /// A token endpoint response under DPoP: remember its nonce (§8.2, any response may carry
    /// one); after a first `use_dpop_nonce` error send the same request again with a new proof
    /// carrying the nonce (§8; the code is not spent by a refused proof). `None` when the retry
    /// was sent; otherwise `step` back, to be handled as usual.
    pub(super) fn dpop_token_response(
        &mut self,
        now: Timestamp,
        step: TokenStep,
        entry: usize,
        response: &HttpResponse,
    ) -> Option<TokenStep> {
        let Some(template) = self.dpop.token_request.take() else {
            return Some(step);
        };
        self.dpop.nonces.update(&template.url, response);
        if self.dpop.retried || !dpop::is_use_dpop_nonce(response) {
            return Some(step);
        }
        if let Err(e) = crate::token::parse_typed(response, now, &crate::Scopes::new(), true) {
            self.report
                .set_verdict(entry, Verdict::Rejected(FlowErrorKind::Token(e)));
        }
        self.report.note(Note::DpopNonceRequired {
            server: "authorization server",
        });
        let mut http = template;
        if let Err(kind) = self.attach_dpop(now, &mut http, true) {
            self.fail(kind);
            return None;
        }
        let purpose = match step {
            TokenStep::Exchange { .. } => super::event::RequestPurpose::CodeExchange,
            TokenStep::Refresh => super::event::RequestPurpose::Refresh,
            TokenStep::ClientCredentials { .. } => super::event::RequestPurpose::ClientCredentials,
            TokenStep::JwtBearer { .. } => super::event::RequestPurpose::JwtBearer,
            TokenStep::IdJag { .. } => super::event::RequestPurpose::TokenExchange,
        };
        self.send(now, purpose, http);
        self.state = State::RequestingToken(step);
        None
    }

    /// A 401 from the MCP server that asks for a DPoP nonce (§9): remember the nonce for the
    /// MCP origin. `true` when the caller should simply retry (no new authorization).
    pub(super) fn dpop_resource_challenge(&mut self, response: &HttpResponse) -> bool {
        if self.config.dpop.is_none() || !dpop::is_use_dpop_nonce(response) {
            return false;
        }
        let url = self.config.resource_url.clone();
        self.dpop.nonces.update(&url, response);
        self.report.note(Note::DpopNonceRequired {
            server: "resource server",
        });
        true
    }

    /// See [`AuthFlow::handle_resource_response`].
    pub(super) fn dpop_resource_response(&mut self, url: &str, response: &HttpResponse) -> bool {
        if self.config.dpop.is_none() {
            return false;
        }
        self.dpop.nonces.update(url, response);
        let retry = response.status == 401 && dpop::is_use_dpop_nonce(response);
        if retry {
            self.report.note(Note::DpopNonceRequired {
                server: "resource server",
            });
        }
        retry
    }

    /// `Authorization: DPoP <token>` and a fresh proof for a `method` request to `url`
    /// (RFC 9449 §7.1): `ath` of the token and the MCP server's latest nonce.
    pub(super) fn dpop_resource_headers(
        &mut self,
        now: Timestamp,
        method: &str,
        url: &str,
        token: &AccessToken,
    ) -> Result<Vec<(&'static str, HeaderValue)>, FlowErrorKind> {
        let Some(key) = self.config.dpop.clone() else {
            return Ok(Vec::new());
        };
        let nonce = self.dpop.nonces.get(url).map(String::from);
        let request = ProofRequest::new(method, url)
            .access_token(token)
            .nonce(nonce.as_deref());
        let proof = self.dpop_proof(&key, now, &request)?;
        let mut value = String::with_capacity(token.secret().len().saturating_add(5));
        value.push_str(TokenType::DPoP.as_str());
        value.push(' ');
        value.push_str(token.secret());
        Ok(alloc::vec![
            ("authorization", HeaderValue::sensitive(value)),
            (DPOP_HEADER, proof),
        ])
    }

    /// The thumbprint of the configured key, if DPoP is on.
    pub(super) fn dpop_thumbprint(&self) -> Option<&str> {
        self.config.dpop.as_ref().map(DpopKey::thumbprint)
    }
}
