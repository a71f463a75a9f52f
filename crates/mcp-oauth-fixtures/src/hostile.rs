//! The hostile-peer suite's case list, shared by every adapter's `tests/hostile.rs` so that all
//! adapters run exactly the same cases with exactly the same expectations.
//!
//! Each [`Case`] names the threat, the checklist IDs it covers, the faults to inject
//! ([`Misbehaviour`] per [`RouteKind`]), the moment they are injected ([`Phase`]), the
//! transport limits the client gets, and the expected end: a correct recovery or a typed error
//! ([`Expect`]), plus post-conditions on what the fixtures saw. An adapter's runner performs
//! the case, turns its result into an [`Outcome`] and calls [`verify`], which also checks that
//! no fixture secret (access or refresh token, code, client secret, PKCE verifier) appears in
//! the captured log or in the error's `Display`/`Debug`, and that the decoy origin never
//! received a credential.
//!
//! ```
//! use mcp_oauth_fixtures::hostile::cases;
//!
//! let all = cases();
//! assert!(all.len() > 30);
//! assert!(all.iter().all(|c| !c.covers.is_empty()));
//! ```

use std::collections::BTreeSet;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mcp_oauth_batteries::loopback::{Expected, LoopbackListener};
use mcp_oauth_batteries::{Interaction, InteractionError};
use mcp_oauth_core::flow::{FlowError, FlowErrorKind, RequestPurpose, TransportError};
use mcp_oauth_core::metadata::{ResourceMetadataError, ServerMetadataError};
use mcp_oauth_core::redirect::RedirectError;
use mcp_oauth_core::token::TokenResponseError;
use mcp_oauth_core::urls::UrlError;

use crate::{FixtureConfig, Fixtures, Misbehaviour, RouteKind, Stats};

/// The threat family of a case (the sections of `docs/security.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Threat {
    /// Authorization-server mix-up.
    MixUp,
    /// Cross-site request forgery on the authorization response.
    Csrf,
    /// Server-side request forgery through server-supplied URLs.
    Ssrf,
    /// PKCE downgrade.
    Downgrade,
    /// A token or code sent where it does not belong.
    TokenLeakage,
    /// Exhaustion and malformed input.
    ResourceAbuse,
}

/// When the faults are switched on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Phase {
    /// From the start; a cold client makes one MCP call (discovery, registration,
    /// authorization, code exchange).
    Cold,
    /// After a clean authorization; the access tokens are expired server-side and the client
    /// calls again (a refresh).
    Refresh,
    /// After a clean authorization; the client calls the `write` tool (403
    /// `insufficient_scope` → a step-up authorization).
    StepUp,
    /// After a clean authorization; the client calls again with its token.
    Call,
}

/// How the interactive step is performed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// The adapter's non-interactive redirect follower.
    Follow,
    /// A real [`LoopbackListener`] that receives forged and replayed callbacks besides the real
    /// one ([`LoopbackProbe`]).
    LoopbackWithForgeries,
}

/// How the case must end.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Expect {
    /// The MCP call succeeds (200): the client recovered.
    Recovers,
    /// The MCP call returns this status to the caller unchanged.
    Returned(u16),
    /// The call fails with a flow error for which the predicate holds (description, predicate).
    Flow(&'static str, fn(&FlowErrorKind) -> bool),
}

/// What the adapter's call ended with.
#[derive(Debug)]
#[non_exhaustive]
pub enum Outcome {
    /// A response with this status.
    Status(u16),
    /// The adapter's flow error.
    Flow(FlowError),
    /// The MCP request itself failed.
    Transport(TransportError),
    /// Any other adapter error, as its `Debug` text.
    Other(String),
}

/// One hostile-peer case.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Case {
    /// A unique snake-case name.
    pub name: &'static str,
    /// The threat family.
    pub threat: Threat,
    /// What the peer does, in words.
    pub what: &'static str,
    /// Checklist IDs (`/work/shared/spec/checklist.md`) the case covers.
    pub covers: &'static [&'static str],
    /// When the faults are switched on.
    pub phase: Phase,
    /// The faults.
    pub faults: Vec<(RouteKind, Misbehaviour)>,
    /// The client's response-body cap, if not the default.
    pub body_limit: Option<usize>,
    /// The client's total timeout per OAuth request.
    pub total_timeout: Duration,
    /// The interactive step.
    pub step: Step,
    /// The expected end.
    pub expect: Expect,
    /// A host no request may ever be made to (an SSRF target); checked in the flow's report.
    pub never_contacted: Option<&'static str>,
    /// Post-conditions on the fixtures' counters after the case.
    pub after: fn(&Stats) -> Result<(), String>,
}

fn ok(_: &Stats) -> Result<(), String> {
    Ok(())
}

fn eq(what: &str, got: u64, want: u64) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: {got} (expected {want})"))
    }
}

/// Default total timeout per OAuth request: short, so that no case can stall the suite.
const TIMEOUT: Duration = Duration::from_secs(5);

fn case(
    name: &'static str,
    threat: Threat,
    what: &'static str,
    covers: &'static [&'static str],
    phase: Phase,
    faults: Vec<(RouteKind, Misbehaviour)>,
    expect: Expect,
) -> Case {
    Case {
        name,
        threat,
        what,
        covers,
        phase,
        faults,
        body_limit: None,
        total_timeout: TIMEOUT,
        step: Step::Follow,
        expect,
        never_contacted: None,
        after: ok,
    }
}

impl Case {
    fn after(mut self, f: fn(&Stats) -> Result<(), String>) -> Self {
        self.after = f;
        self
    }

    fn limit(mut self, bytes: usize) -> Self {
        self.body_limit = Some(bytes);
        self
    }

    fn timeout(mut self, t: Duration) -> Self {
        self.total_timeout = t;
        self
    }

    fn never(mut self, host: &'static str) -> Self {
        self.never_contacted = Some(host);
        self
    }

    fn step(mut self, step: Step) -> Self {
        self.step = step;
        self
    }

    /// The fixture configuration: the faults are configured from the start for
    /// [`Phase::Cold`], added at run time otherwise.
    pub fn config(&self) -> FixtureConfig {
        let mut config = FixtureConfig::default();
        if self.phase == Phase::Cold {
            for (route, m) in &self.faults {
                config = config.misbehave(*route, m.clone());
            }
        }
        config
    }

    /// Switches the faults on for the phases after a clean authorization, and expires the
    /// access tokens for [`Phase::Refresh`].
    pub fn arm(&self, fx: &Fixtures) {
        if self.phase == Phase::Cold {
            return;
        }
        for (route, m) in &self.faults {
            fx.set_misbehaviour(*route, m.clone());
        }
        if self.phase == Phase::Refresh {
            fx.expire_access_tokens();
        }
        fx.reset_stats();
    }
}

fn flow_kind(what: &'static str, f: fn(&FlowErrorKind) -> bool) -> Expect {
    Expect::Flow(what, f)
}

fn server_error(kind: &FlowErrorKind, purpose: RequestPurpose) -> bool {
    matches!(kind, FlowErrorKind::ServerError { purpose: p, status: 503 } if *p == purpose)
}

fn transport(kind: &FlowErrorKind, purpose: RequestPurpose, errors: &[TransportError]) -> bool {
    matches!(kind, FlowErrorKind::Transport { purpose: p, error } if *p == purpose && errors.contains(error))
}

/// Every case, in the order of `docs/security.md`.
#[must_use]
#[allow(clippy::too_many_lines)]
pub fn cases() -> Vec<Case> {
    use Phase::{Call, Cold, Refresh, StepUp};
    use RouteKind::{
        Authorization, AuthorizationServerMetadata as AsMeta, Mcp,
        ProtectedResourceMetadata as Prm, Token,
    };
    use Threat::{Csrf, Downgrade, MixUp, ResourceAbuse, Ssrf, TokenLeakage};
    let prm_servers = |v: &[&str]| {
        Misbehaviour::PrmAuthorizationServers(v.iter().map(|s| (*s).to_owned()).collect())
    };
    let rm = |u: &str| Misbehaviour::ChallengeResourceMetadata(u.to_owned());
    vec![
        // ---- mix-up ----
        case("mixup_metadata_issuer_differs", MixUp,
            "AS metadata declares another issuer than the one it was fetched for",
            &["A-7", "Z-4"], Cold, vec![(AsMeta, Misbehaviour::WrongIssuerInMetadata)],
            flow_kind("ServerMetadata(IssuerMismatch)", |k| matches!(k, FlowErrorKind::ServerMetadata(ServerMetadataError::IssuerMismatch { .. }))))
            .after(|s| eq("registrations", s.register, 0).and(eq("authorizations", s.authorize, 0))),
        case("mixup_wrong_iss_in_redirect", MixUp,
            "the authorization response carries another issuer's `iss`",
            &["C-9", "C-10", "Z-4"], Cold, vec![(Authorization, Misbehaviour::WrongIssuerInRedirect)],
            flow_kind("Redirect(IssuerMismatch)", |k| matches!(k, FlowErrorKind::Redirect(RedirectError::IssuerMismatch))))
            .after(|s| eq("code exchanges", s.token_authorization_code, 0)),
        case("mixup_missing_iss_in_redirect", MixUp,
            "the AS advertises RFC 9207 but the authorization response has no `iss`",
            &["C-9", "Z-4"], Cold, vec![(Authorization, Misbehaviour::MissingIssInRedirect)],
            flow_kind("Redirect(MissingIssuer)", |k| matches!(k, FlowErrorKind::Redirect(RedirectError::MissingIssuer))))
            .after(|s| eq("code exchanges", s.token_authorization_code, 0)),
        case("mixup_prm_names_as_on_other_host_claiming_other_issuer", MixUp,
            "PRM names `http://localhost:PORT`; the server there claims to be `http://127.0.0.1:PORT`",
            &["A-7", "P-12", "Z-4"], Cold, vec![(Prm, prm_servers(&["http://localhost:{as_port}"]))],
            flow_kind("ServerMetadata(IssuerMismatch)", |k| matches!(k, FlowErrorKind::ServerMetadata(ServerMetadataError::IssuerMismatch { .. }))))
            .after(|s| eq("registrations", s.register, 0).and(eq("authorizations", s.authorize, 0))),
        // ---- CSRF ----
        case("csrf_wrong_state", Csrf,
            "the authorization response carries another `state`",
            &["C-6", "Q-8"], Cold, vec![(Authorization, Misbehaviour::WrongStateInRedirect)],
            flow_kind("Redirect(StateMismatch)", |k| matches!(k, FlowErrorKind::Redirect(RedirectError::StateMismatch))))
            .after(|s| eq("code exchanges", s.token_authorization_code, 0)),
        case("csrf_replayed_redirect", Csrf,
            "the step-up authorization answers with the previous (already redeemed) redirect",
            &["C-6", "C-7", "C-14"], StepUp, vec![(Authorization, Misbehaviour::ReplayPreviousRedirect)],
            flow_kind("Redirect(StateMismatch)", |k| matches!(k, FlowErrorKind::Redirect(RedirectError::StateMismatch))))
            .after(|s| eq("code exchanges", s.token_authorization_code, 0)),
        case("csrf_forged_and_second_requests_to_the_loopback_listener", Csrf,
            "a forged callback (wrong state) before the real one and a replay after it reach the loopback listener",
            &["C-3", "C-6", "C-7"], Cold, vec![],
            Expect::Recovers)
            .step(Step::LoopbackWithForgeries)
            .after(|s| eq("code exchanges", s.token_authorization_code, 1)),
        // ---- SSRF ----
        case("ssrf_resource_metadata_link_local", Ssrf,
            "the challenge's resource_metadata points at 169.254.169.254",
            &["D-14", "Z-6"], Cold, vec![(Mcp, rm("https://169.254.169.254/latest/meta-data/"))],
            flow_kind("ResourceMetadataUrlRefused(ForbiddenAddress)", |k| matches!(k, FlowErrorKind::ResourceMetadataUrlRefused(UrlError::ForbiddenAddress))))
            .never("169.254.169.254").after(|s| eq("PRM requests", s.prm, 0)),
        case("ssrf_resource_metadata_private_http", Ssrf,
            "the challenge's resource_metadata points at http://10.0.0.7",
            &["D-14", "Z-2", "Z-6"], Cold, vec![(Mcp, rm("http://10.0.0.7/.well-known/oauth-protected-resource"))],
            flow_kind("ResourceMetadataUrlRefused(InsecureScheme)", |k| matches!(k, FlowErrorKind::ResourceMetadataUrlRefused(UrlError::InsecureScheme))))
            .never("10.0.0.7").after(|s| eq("PRM requests", s.prm, 0)),
        case("ssrf_resource_metadata_cloud_metadata_name", Ssrf,
            "the challenge's resource_metadata points at metadata.google.internal",
            &["D-14", "Z-6"], Cold, vec![(Mcp, rm("https://metadata.google.internal/computeMetadata/v1/"))],
            flow_kind("ResourceMetadataUrlRefused(ForbiddenAddress)", |k| matches!(k, FlowErrorKind::ResourceMetadataUrlRefused(UrlError::ForbiddenAddress))))
            .never("metadata.google.internal").after(|s| eq("PRM requests", s.prm, 0)),
        case("ssrf_resource_metadata_http_non_loopback", Ssrf,
            "the challenge's resource_metadata is plain http on a public host",
            &["D-14", "Z-2"], Cold, vec![(Mcp, rm("http://mcp.example.com/.well-known/oauth-protected-resource"))],
            flow_kind("ResourceMetadataUrlRefused(InsecureScheme)", |k| matches!(k, FlowErrorKind::ResourceMetadataUrlRefused(UrlError::InsecureScheme))))
            .never("mcp.example.com").after(|s| eq("PRM requests", s.prm, 0)),
        case("ssrf_authorization_server_link_local", Ssrf,
            "PRM authorization_servers names https://169.254.169.254",
            &["P-10", "Z-6"], Cold, vec![(Prm, prm_servers(&["https://169.254.169.254"]))],
            flow_kind("a refusal of the AS URL", refused_as))
            .never("169.254.169.254").after(|s| eq("AS metadata requests", s.as_metadata, 0)),
        case("ssrf_authorization_server_private_http", Ssrf,
            "PRM authorization_servers names http://10.1.2.3",
            &["P-10", "Z-2", "Z-6"], Cold, vec![(Prm, prm_servers(&["http://10.1.2.3"]))],
            flow_kind("a refusal of the AS URL", refused_as))
            .never("10.1.2.3").after(|s| eq("AS metadata requests", s.as_metadata, 0)),
        case("ssrf_authorization_server_cloud_metadata_ipv6", Ssrf,
            "PRM authorization_servers names the AWS IPv6 instance-metadata address",
            &["P-10", "Z-6"], Cold, vec![(Prm, prm_servers(&["https://[fd00:ec2::254]"]))],
            flow_kind("a refusal of the AS URL", refused_as))
            .never("fd00:ec2::254").after(|s| eq("AS metadata requests", s.as_metadata, 0)),
        case("ssrf_authorization_server_http_non_loopback", Ssrf,
            "PRM authorization_servers names plain http on a public host",
            &["P-10", "Z-2", "A-13"], Cold, vec![(Prm, prm_servers(&["http://as.example.com"]))],
            flow_kind("a refusal of the AS URL", refused_as))
            .never("as.example.com").after(|s| eq("AS metadata requests", s.as_metadata, 0)),
        // ---- downgrade ----
        case("downgrade_only_plain_pkce", Downgrade,
            "AS metadata lists only `plain` in code_challenge_methods_supported",
            &["A-11", "K-8"], Cold, vec![(AsMeta, Misbehaviour::PkceMethods(Some(vec!["plain".into()])))],
            flow_kind("ServerMetadata(S256NotSupported)", |k| matches!(k, FlowErrorKind::ServerMetadata(ServerMetadataError::S256NotSupported))))
            .after(|s| eq("authorizations", s.authorize, 0)),
        case("downgrade_no_pkce_advertised", Downgrade,
            "AS metadata has no code_challenge_methods_supported",
            &["A-10", "K-8"], Cold, vec![(AsMeta, Misbehaviour::PkceMethods(None))],
            flow_kind("ServerMetadata(PkceNotAdvertised)", |k| matches!(k, FlowErrorKind::ServerMetadata(ServerMetadataError::PkceNotAdvertised))))
            .after(|s| eq("authorizations", s.authorize, 0)),
        // ---- token leakage ----
        case("leak_mcp_redirects_to_other_origin", TokenLeakage,
            "the MCP server answers 307 to the decoy origin",
            &["U-6", "P-14"], Call, vec![(Mcp, Misbehaviour::redirect_elsewhere())],
            Expect::Returned(307))
            .after(|s| eq("decoy requests", s.decoy, 0)),
        case("leak_token_endpoint_redirects_on_code_exchange", TokenLeakage,
            "the token endpoint answers the code exchange with 307 to the decoy origin",
            &["T-11", "T-12"], Cold, vec![(Token, Misbehaviour::redirect_elsewhere())],
            flow_kind("Token(_) with status 307 (not followed)", |k| token_status(k, 307)))
            .after(|s| eq("decoy requests", s.decoy, 0).and(eq("code exchanges", s.token_authorization_code, 1))),
        case("leak_token_endpoint_redirects_on_refresh", TokenLeakage,
            "the token endpoint answers the refresh with 307 to the decoy origin",
            &["T-11", "F-8"], Refresh, vec![(Token, Misbehaviour::redirect_elsewhere())],
            flow_kind("Token(_) with status 307 (not followed)", |k| token_status(k, 307)))
            .after(|s| eq("decoy requests", s.decoy, 0)),
        case("leak_metadata_redirects_to_other_origin", TokenLeakage,
            "AS metadata answers 307 to the decoy origin",
            &["P-14", "A-15"], Cold, vec![(AsMeta, Misbehaviour::redirect_elsewhere())],
            flow_kind("UnexpectedStatus(AuthorizationServerMetadata, 307)", |k| matches!(k, FlowErrorKind::UnexpectedStatus { purpose: RequestPurpose::AuthorizationServerMetadata, status: 307 })))
            .after(|s| eq("decoy requests", s.decoy, 0)),
        case("leak_prm_resource_is_another_origin", TokenLeakage,
            "PRM declares the decoy origin as the resource (an MCP server on another origin than the token's resource)",
            &["P-7", "U-5", "Z-5"], Cold, vec![(Prm, Misbehaviour::PrmResource("{decoy}/mcp".into()))],
            flow_kind("ResourceMetadata(ResourceMismatch)", |k| matches!(k, FlowErrorKind::ResourceMetadata(ResourceMetadataError::ResourceMismatch { .. }))))
            .after(|s| eq("decoy requests", s.decoy, 0).and(eq("authorizations", s.authorize, 0))),
        // ---- resource abuse ----
        case("abuse_oversized_metadata", ResourceAbuse,
            "AS metadata is 300 KB against a 64 KiB cap",
            &["Z-13"], Cold, vec![(AsMeta, Misbehaviour::OversizedBody { bytes: 300_000 })],
            flow_kind("Transport(AuthorizationServerMetadata, TooLarge)", |k| transport(k, RequestPurpose::AuthorizationServerMetadata, &[TransportError::TooLarge])))
            .limit(64 * 1024),
        case("abuse_oversized_token_response", ResourceAbuse,
            "the refresh response is 300 KB against a 64 KiB cap",
            &["Z-13"], Refresh, vec![(Token, Misbehaviour::OversizedBody { bytes: 300_000 })],
            flow_kind("Transport(Refresh, TooLarge)", |k| transport(k, RequestPurpose::Refresh, &[TransportError::TooLarge])))
            .limit(64 * 1024),
        case("abuse_endless_body_prm", ResourceAbuse,
            "PRM answers with a body that never ends",
            &["Z-13"], Cold, vec![(Prm, Misbehaviour::EndlessBody)],
            flow_kind("Transport(ResourceMetadata, TooLarge)", |k| transport(k, RequestPurpose::ResourceMetadata, &[TransportError::TooLarge])))
            .limit(64 * 1024),
        case("abuse_endless_body_token", ResourceAbuse,
            "the code exchange answers with a body that never ends",
            &["Z-13", "T-12"], Cold, vec![(Token, Misbehaviour::EndlessBody)],
            flow_kind("Transport(CodeExchange, TooLarge)", |k| transport(k, RequestPurpose::CodeExchange, &[TransportError::TooLarge])))
            .limit(64 * 1024).after(|s| eq("code exchanges", s.token_authorization_code, 1)),
        case("abuse_slow_body_metadata", ResourceAbuse,
            "AS metadata trickles one byte per 50 ms (a slowloris body)",
            &["Z-13"], Cold, vec![(AsMeta, Misbehaviour::SlowBody { interval: Duration::from_millis(50) })],
            flow_kind("Transport(AuthorizationServerMetadata, Timeout)", |k| transport(k, RequestPurpose::AuthorizationServerMetadata, &[TransportError::Timeout])))
            .timeout(Duration::from_millis(800)),
        case("abuse_slow_headers_refresh", ResourceAbuse,
            "the token endpoint waits 3 s before answering a refresh",
            &["Z-13"], Refresh, vec![(Token, Misbehaviour::Delay(Duration::from_secs(3)))],
            flow_kind("Transport(Refresh, Timeout)", |k| transport(k, RequestPurpose::Refresh, &[TransportError::Timeout])))
            .timeout(Duration::from_millis(500)),
        case("abuse_deeply_nested_json_prm", ResourceAbuse,
            "PRM is 100 000 nested arrays",
            &["P-6"], Cold, vec![(Prm, Misbehaviour::NestedJson { depth: 100_000 })],
            flow_kind("ResourceMetadata(Document)", |k| matches!(k, FlowErrorKind::ResourceMetadata(ResourceMetadataError::Document(_))))),
        case("abuse_deeply_nested_json_token", ResourceAbuse,
            "the refresh response is 100 000 nested arrays",
            &["V-1", "V-8"], Refresh, vec![(Token, Misbehaviour::NestedJson { depth: 100_000 })],
            flow_kind("Token(_)", |k| matches!(k, FlowErrorKind::Token(_)))),
        case("abuse_invalid_utf8_metadata", ResourceAbuse,
            "AS metadata is JSON with invalid UTF-8 in strings",
            &["A-12"], Cold, vec![(AsMeta, Misbehaviour::InvalidUtf8Json)],
            flow_kind("ServerMetadata(Document)", |k| matches!(k, FlowErrorKind::ServerMetadata(ServerMetadataError::Document(_))))),
        case("abuse_invalid_utf8_token", ResourceAbuse,
            "the refresh response is JSON with invalid UTF-8 in strings",
            &["V-8"], Refresh, vec![(Token, Misbehaviour::InvalidUtf8Json)],
            flow_kind("Token(InvalidJson)", |k| matches!(k, FlowErrorKind::Token(TokenResponseError::InvalidJson { .. })))),
        case("abuse_5xx_storm_metadata_recovers", ResourceAbuse,
            "AS metadata answers 503 twice (no Retry-After), then behaves",
            &["A-6", "Z-13"], Cold, vec![(AsMeta, Misbehaviour::server_error(2))],
            Expect::Recovers)
            .after(|s| eq("AS metadata requests", s.as_metadata, 3)),
        case("abuse_5xx_storm_metadata_retry_after", ResourceAbuse,
            "PRM answers 503 with Retry-After: 1 once, then behaves",
            &["P-5", "Z-13"], Cold, vec![(Prm, Misbehaviour::server_error_retry_after(1, 1))],
            Expect::Recovers)
            .after(|s| eq("PRM requests", s.prm, 2)),
        case("abuse_5xx_storm_metadata_exhausts_retries", ResourceAbuse,
            "AS metadata answers 503 without end",
            &["A-6", "Z-13"], Cold, vec![(AsMeta, Misbehaviour::server_error(1000))],
            flow_kind("ServerError(AuthorizationServerMetadata, 503)", |k| server_error(k, RequestPurpose::AuthorizationServerMetadata)))
            .after(|s| eq("AS metadata requests (1 + 2 retries)", s.as_metadata, 3)),
        case("abuse_5xx_retry_after_too_long", ResourceAbuse,
            "AS metadata answers 503 with Retry-After: 3600",
            &["A-6", "Z-13"], Cold, vec![(AsMeta, Misbehaviour::server_error_retry_after(1000, 3600))],
            flow_kind("ServerError(AuthorizationServerMetadata, 503)", |k| server_error(k, RequestPurpose::AuthorizationServerMetadata)))
            .after(|s| eq("AS metadata requests (no retry)", s.as_metadata, 1)),
        case("abuse_5xx_code_exchange_not_retried", ResourceAbuse,
            "the token endpoint answers the code exchange with 503 + Retry-After: 1",
            &["T-12"], Cold, vec![(Token, Misbehaviour::server_error_retry_after(1000, 1))],
            flow_kind("Token(_) with status 503", |k| token_status(k, 503)))
            .after(|s| eq("code exchanges (never retried)", s.token_authorization_code, 1)),
        case("abuse_5xx_refresh_not_retried", ResourceAbuse,
            "the token endpoint answers the refresh with 503",
            &["F-5", "Z-13"], Refresh, vec![(Token, Misbehaviour::server_error(1000))],
            flow_kind("Token(_) with status 503", |k| token_status(k, 503)))
            .after(|s| eq("refreshes (never retried)", s.token_refresh_token, 1)),
        case("abuse_reset_during_code_exchange", ResourceAbuse,
            "the token endpoint closes the connection without answering the code exchange",
            &["T-12"], Cold, vec![(Token, Misbehaviour::ResetConnection)],
            flow_kind("Transport(CodeExchange, Reset|Other)", |k| transport(k, RequestPurpose::CodeExchange, &[TransportError::Reset, TransportError::Other])))
            .after(|s| eq("code exchanges (never retried)", s.token_authorization_code, 1)),
        case("abuse_reset_during_refresh", ResourceAbuse,
            "the token endpoint closes the connection without answering the refresh",
            &["F-5"], Refresh, vec![(Token, Misbehaviour::ResetConnection)],
            flow_kind("Transport(Refresh, Reset|Other)", |k| transport(k, RequestPurpose::Refresh, &[TransportError::Reset, TransportError::Other])))
            .after(|s| eq("refreshes (never retried)", s.token_refresh_token, 1)),
        case("abuse_token_error_body_with_200", ResourceAbuse,
            "the token endpoint answers the code exchange 200 with an `error` body",
            &["V-7", "V-1"], Cold, vec![(Token, Misbehaviour::ErrorBodyWithOk)],
            flow_kind("Token(Server(invalid_grant))", |k| matches!(k, FlowErrorKind::Token(TokenResponseError::Server(_))))),
        case("abuse_multiple_www_authenticate_lines", ResourceAbuse,
            "the 401 carries a `Basic` field line before the `Bearer` one",
            &["D-2", "D-10"], Cold, vec![(Mcp, Misbehaviour::ExtraChallenge("Basic realm=\"fixture\"".into()))],
            Expect::Recovers),
        case("abuse_two_bearer_challenges", ResourceAbuse,
            "the 401 carries two `Bearer` field lines, the first naming a PRM URL on the decoy origin (which answers 404)",
            &["D-2", "D-4", "G-20"], Cold, vec![(Mcp, Misbehaviour::ExtraChallenge("Bearer resource_metadata=\"{decoy}/.well-known/oauth-protected-resource\"".into()))],
            Expect::Recovers)
            // The first challenge is followed (G-20): one credential-free PRM GET on the decoy
            // (`verify` checks it carried nothing), then the well-known probe (D-4).
            .after(|s| eq("decoy requests", s.decoy, 1)),
    ]
}

/// A token-endpoint answer refused with this status (the core classifies the body it got).
fn token_status(k: &FlowErrorKind, want: u16) -> bool {
    matches!(k, FlowErrorKind::Token(
        TokenResponseError::UnexpectedStatus { status, .. }
            | TokenResponseError::UnexpectedContentType { status, .. }
            | TokenResponseError::InvalidJson { status, .. }
    ) if *status == want)
}

fn refused_as(k: &FlowErrorKind) -> bool {
    matches!(
        k,
        FlowErrorKind::ResourceMetadata(
            ResourceMetadataError::NoUsableAuthorizationServer { .. }
                | ResourceMetadataError::Document(_)
        ) | FlowErrorKind::ServerMetadata(ServerMetadataError::InvalidIssuer(_))
    )
}

impl Fixtures {
    /// Every secret the fixtures issued or received so far: access and refresh tokens,
    /// authorization codes, client secrets and the PKCE verifiers clients sent.
    #[must_use]
    pub fn issued_secrets(&self) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        {
            let state = self.shared.lock();
            out.extend(state.access.keys().cloned());
            out.extend(state.refresh.keys().cloned());
            out.extend(state.codes.keys().cloned());
            out.extend(state.clients.values().filter_map(|c| c.secret.clone()));
        }
        for r in self.requests() {
            for name in ["code", "code_verifier", "refresh_token", "client_secret"] {
                out.extend(r.form_param(name));
            }
        }
        out.insert(self.service_client_secret().to_owned());
        out.retain(|s| s.len() >= 8);
        out
    }
}

/// Checks that no secret appears in any of `texts`, as it is or form-encoded.
///
/// # Errors
/// The name of the text a secret appeared in (never the secret).
pub fn assert_no_secret(secrets: &BTreeSet<String>, texts: &[(&str, &str)]) -> Result<(), String> {
    for s in secrets {
        let encoded: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
        for (what, text) in texts {
            if text.contains(s.as_str()) || text.contains(&encoded) {
                return Err(format!("a fixture secret appears in {what}"));
            }
        }
    }
    Ok(())
}

/// Checks a case's end: the outcome against [`Case::expect`], the post-conditions, the SSRF
/// target never contacted, no credential on the decoy origin, and no fixture secret in `log`
/// or in the error's `Display`/`Debug`/report.
///
/// # Errors
/// What did not hold, without any secret.
pub fn verify(case: &Case, fx: &Fixtures, outcome: &Outcome, log: &str) -> Result<(), String> {
    match (&case.expect, outcome) {
        (Expect::Recovers, Outcome::Status(200)) => {}
        (Expect::Returned(want), Outcome::Status(got)) if want == got => {}
        (Expect::Flow(_, pred), Outcome::Flow(e)) if pred(e.kind()) => {}
        (expect, got) => {
            let got = match got {
                Outcome::Flow(e) => {
                    format!("flow error {:?}: {e}\nreport:\n{}", e.kind(), e.report())
                }
                other => format!("{other:?}"),
            };
            return Err(format!("expected {expect:?}, got {got}"));
        }
    }
    (case.after)(&fx.stats())?;
    if let (Some(host), Outcome::Flow(e)) = (case.never_contacted, outcome)
        && let Some((_, url, ..)) = e
            .report()
            .requests()
            .find(|(_, url, ..)| url.contains(host))
    {
        return Err(format!("a request was made to {url}"));
    }
    for r in fx.requests_for(RouteKind::Decoy) {
        if r.header("authorization").is_some() || !r.body.is_empty() {
            return Err(format!(
                "the decoy origin received credentials on {}",
                r.path_and_query
            ));
        }
    }
    let (display, debug, report) = match outcome {
        Outcome::Flow(e) => (e.to_string(), format!("{e:?}"), e.report().to_string()),
        Outcome::Other(s) => (s.clone(), s.clone(), String::new()),
        Outcome::Transport(t) => (t.to_string(), format!("{t:?}"), String::new()),
        Outcome::Status(_) => (String::new(), String::new(), String::new()),
    };
    assert_no_secret(
        &fx.issued_secrets(),
        &[
            ("the log", log),
            ("the error's Display", &display),
            ("the error's Debug", &debug),
            ("the flow report", &report),
        ],
    )
}

/// The [`Step::LoopbackWithForgeries`] interaction: a real [`LoopbackListener`] on the
/// prompt's redirect URI; a "browser" thread first sends a forged callback (right path, wrong
/// `state`), then fetches the authorization URL and delivers the real redirect, then replays it
/// once the listener has returned. [`LoopbackProbe::verify`] checks that the forgery got a 400
/// without ending the wait, the real callback a 200, and the replay found no listener.
#[derive(Debug, Clone, Default)]
pub struct LoopbackProbe {
    seen: Arc<Mutex<Vec<String>>>,
}

impl LoopbackProbe {
    /// A new probe.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The interaction to give the client.
    #[must_use]
    pub fn interaction(&self) -> Interaction {
        let seen = Arc::clone(&self.seen);
        Interaction::callback(move |prompt| {
            let listener = LoopbackListener::bind(prompt.redirect_uri())?;
            let port = listener.port();
            let url = prompt.url().to_owned();
            let path = url::Url::parse(prompt.redirect_uri())
                .map(|u| u.path().to_owned())
                .unwrap_or_default();
            let seen_browser = Arc::clone(&seen);
            let browser = std::thread::spawn(move || {
                let record = |s: String| {
                    seen_browser
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(s)
                };
                record(format!(
                    "forged:{}",
                    get(
                        port,
                        &format!("{path}?code=forged-code-123&state=forged-state")
                    )
                ));
                let location = fetch_location(&url).unwrap_or_default();
                let target = url::Url::parse(&location)
                    .map(|u| format!("{}?{}", u.path(), u.query().unwrap_or("")))
                    .unwrap_or_default();
                record(format!("real:{}", get(port, &target)));
                target
            });
            let state = prompt.state();
            let expected = Expected {
                state: state.as_deref(),
                issuer: Some(prompt.issuer()),
            };
            let result = listener.wait(&expected, Duration::from_secs(10));
            let target = browser
                .join()
                .map_err(|_| InteractionError::Other("browser thread panicked".into()))?;
            // The listener is gone now: a second delivery of the same redirect finds nobody.
            let replay = get(port, &target);
            seen.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(format!("replay:{replay}"));
            Ok(result?)
        })
    }

    /// Checks what the browser thread saw.
    ///
    /// # Errors
    /// What did not hold.
    pub fn verify(&self) -> Result<(), String> {
        let seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let want = ["forged:400", "real:200", "replay:refused"];
        if seen == want {
            Ok(())
        } else {
            Err(format!(
                "loopback listener: saw {seen:?}, expected {want:?}"
            ))
        }
    }
}

/// A `GET` of `target` on `127.0.0.1:port`: the status, or `refused`/`error`.
fn get(port: u16, target: &str) -> String {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return "refused".into();
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    if write!(
        s,
        "GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .is_err()
    {
        return "error".into();
    }
    let mut resp = String::new();
    let _ = s.read_to_string(&mut resp);
    resp.split(' ').nth(1).unwrap_or("error").to_owned()
}

/// The `Location` of a plain-http `GET` of `url` (the fixture AS's automatic approval).
fn fetch_location(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    let port = u.port()?;
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let target = format!("{}?{}", u.path(), u.query().unwrap_or(""));
    write!(
        s,
        "GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut resp = String::new();
    s.read_to_string(&mut resp).ok()?;
    resp.lines()
        .find_map(|l| {
            l.strip_prefix("location: ")
                .or_else(|| l.strip_prefix("Location: "))
        })
        .map(str::to_owned)
}

/// Everything logged in this process, through `tracing` (every target, TRACE) and `log`
/// (every target at TRACE, except the TRACE records of `ureq` and `ureq_proto`: at that level
/// ureq prints full `Location` headers and hex-dumps every byte on the wire, request bodies
/// with codes and refresh tokens included, which no caller of ureq can prevent; keep those
/// targets at DEBUG or below, see `docs/security.md`).
#[derive(Debug, Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl LogCapture {
    /// Installs the capture as the global `tracing` subscriber and `log` logger (once per
    /// process) and returns it.
    ///
    /// # Panics
    /// If another global subscriber or logger was installed first (a test setup error).
    #[must_use]
    pub fn install() -> &'static Self {
        static CAPTURE: std::sync::OnceLock<LogCapture> = std::sync::OnceLock::new();
        CAPTURE.get_or_init(|| {
            let capture = Self::default();
            let writer = capture.clone();
            tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_writer(move || writer.clone())
                .with_ansi(false)
                .init();
            // expect: a test binary installs its logger once, here.
            log::set_boxed_logger(Box::new(capture.clone())).expect("no other logger");
            log::set_max_level(log::LevelFilter::Trace);
            capture
        })
    }

    /// The text captured so far.
    #[must_use]
    pub fn text(&self) -> String {
        String::from_utf8_lossy(
            &self
                .0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
        .into_owned()
    }
}

impl std::io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl log::Log for LogCapture {
    fn enabled(&self, m: &log::Metadata<'_>) -> bool {
        !(m.level() == log::Level::Trace && m.target().starts_with("ureq"))
    }
    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let line = format!(
            "LOG {} {}: {}\n",
            record.level(),
            record.target(),
            record.args()
        );
        let _ = self.clone().write_all(line.as_bytes());
    }
    fn flush(&self) {}
}
