//! Every client auth scenario of the conformance world (`tests/conformance_world/`) replayed
//! through the real [`AuthFlow`], under both suite releases, driven exactly as a real client
//! (and the conformance client binary) drives it:
//!
//! - MCP calls `initialize` → `notifications/initialized` → `tools/list` → `tools/call`, each
//!   carrying the flow's token when it has one;
//! - a 401 / 403 goes to [`AuthFlow::handle_challenge`], then the drain rule: every request from
//!   `poll_request` is performed against the world, `OpenAuthorizationUrl` is the browser step
//!   ([`World::authorize`]) whose `Location` goes to [`AuthFlow::handle_redirect`];
//! - after `Event::Authorized` the call is retried; 200/202 → [`AuthFlow::handle_resource_success`];
//!   `Event::Failed` ends the run.
//!
//! The flow is configured like the conformance client binary: TS-SDK path-prefix resource match,
//! loopback http allowed, the suite's CIMD URL, pre-registered credentials from
//! `MCP_CONFORMANCE_CONTEXT`, client credentials for that scenario, legacy fallback on.
//!
//! Each test asserts the world's verdict (the suite's single-scenario rule plus the world's
//! stricter `world-*` checks), the expected typed refusal for must-refuse scenarios, and the
//! discovery traps (no root PRM probe when the path one exists, no root AS metadata probe for a
//! path issuer).

#[path = "conformance_world/mod.rs"]
mod conformance_world;

use conformance_world::{Check, McpCall, Scenario, Suite, World};
use mcp_oauth_core::flow::{AssertionSource, IdpConfig};
use mcp_oauth_core::flow::{
    AuthFlow, ClientConfig, Event, FlowConfig, FlowError, FlowErrorKind, FlowStatus,
    PreRegisteredClient,
};
use mcp_oauth_core::metadata::resource::ResourceMatch;
use mcp_oauth_core::metadata::{ResourceMetadataError, ServerMetadataError};
use mcp_oauth_core::redirect::RedirectError;
use mcp_oauth_core::secret::{Assertion, ClientSecret, SubjectToken};
use mcp_oauth_core::token::ClientAuth;
use mcp_oauth_core::urls::UrlPolicy;
use mcp_oauth_core::{Entropy, Timestamp};

/// The suite's fixed CIMD `client_id` (gotcha G7).
const CIMD_URL: &str = "https://conformance-test.local/client-metadata.json";
/// A loopback redirect URI; the suite never contacts it (G11).
const REDIRECT: &str = "http://127.0.0.1:33418/callback";
const CLIENT_NAME: &str = "mcp-oauth conformance client";
const RS_ORIGIN: &str = "http://localhost:3000";
const ROOT_PRM: &str = "http://localhost:3000/.well-known/oauth-protected-resource";
const ROOT_AS_METADATA: &str = "http://localhost:3001/.well-known/oauth-authorization-server";
const CALLS: [McpCall; 4] = [
    McpCall::Initialize,
    McpCall::Initialized,
    McpCall::ToolsList,
    McpCall::ToolsCall,
];

/// The flow configured the way the conformance client binary configures it.
fn config(world: &World) -> FlowConfig {
    let context = world.context().unwrap_or_default();
    let text = |key: &str| {
        context
            .get(key)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let client = match world.scenario() {
        Scenario::ClientCredentialsBasic | Scenario::ClientCredentialsJwt => {
            ClientConfig::client_credentials()
        }
        Scenario::WifJwtBearer => {
            ClientConfig::jwt_bearer(AssertionSource::Fixed(Assertion::new(text("valid_jwt"))))
        }
        Scenario::EnterpriseManagedAuthorization => ClientConfig::enterprise(IdpConfig::new(
            text("idp_token_endpoint"),
            ClientAuth::None {
                client_id: text("idp_client_id"),
            },
            SubjectToken::new(text("idp_id_token")),
        )),
        _ => ClientConfig::authorization_code(CLIENT_NAME, REDIRECT),
    };
    let mut config = FlowConfig::new(world.mcp_url(), client)
        .url_policy(UrlPolicy::https_only().allow_loopback_http())
        .resource_match(ResourceMatch::typescript_sdk())
        .client_id_metadata_document(CIMD_URL)
        .legacy_fallback(true);
    if let Some(context) = world.context() {
        let text = |key: &str| context.get(key).and_then(|v| v.as_str()).map(str::to_owned);
        let mut client = PreRegisteredClient::unbound(text("client_id").unwrap_or_default());
        if let Some(secret) = text("client_secret") {
            client = client.with_secret(ClientSecret::new(secret));
        }
        #[cfg(feature = "jose")]
        if let Some(pem) = text("private_key_pem") {
            let key = mcp_oauth_core::jose::SigningKey::from_pkcs8_pem(&pem)
                .expect("the world's key is a valid PKCS#8 P-256 key");
            client = client.with_private_key(key);
        }
        config = config.pre_registered(client);
    }
    config
}

/// How a run ended.
#[derive(Debug)]
#[allow(
    dead_code,
    reason = "the fields are read through Debug in failure messages"
)]
enum Ending {
    /// `tools/call` answered 200.
    Completed,
    /// The flow failed (`Event::Failed` or an error from `handle_challenge`).
    Failed(FlowError),
    /// An MCP call answered something else than 200/202/401/403.
    Status(McpCall, u16),
    /// The flow settled in another status after a challenge (for example still waiting for a
    /// browser that never came back).
    Stalled(FlowStatus),
}

struct Replay {
    world: World,
    flow: AuthFlow,
    now: Timestamp,
    failure: Option<FlowError>,
    /// Every redirect `handle_redirect` refused, rendered.
    refused_redirects: Vec<String>,
}

impl Replay {
    fn new(scenario: Scenario, suite: Suite) -> Self {
        let world = World::with_suite(scenario, suite);
        let flow = AuthFlow::new(config(&world), Entropy::new([7; 32]));
        Self {
            world,
            flow,
            now: Timestamp::from_unix_seconds(1_700_000_000),
            failure: None,
            refused_redirects: Vec::new(),
        }
    }

    /// The drain rule: requests and events until both are empty.
    fn drain(&mut self) {
        for _ in 0..200 {
            if let Some((id, request)) = self.flow.poll_request() {
                // P-2, A-15: metadata requests never carry a bearer.
                if request.method == mcp_oauth_core::http::Method::Get {
                    assert!(request.header("authorization").is_none(), "{}", request.url);
                }
                let response = self.world.handle(&request);
                self.flow.handle_response(self.now, id, response);
                continue;
            }
            match self.flow.poll_event() {
                Some(Event::OpenAuthorizationUrl { url, .. }) => {
                    let location = self
                        .world
                        .authorize(&url)
                        .unwrap_or_else(|e| panic!("the mock AS refused {url}: {e}"));
                    if let Err(e) = self.flow.handle_redirect(self.now, &location) {
                        self.refused_redirects.push(e.kind().to_string());
                    }
                }
                Some(Event::Failed(e)) => self.failure = Some(e),
                Some(_) => {}
                None => return,
            }
        }
        panic!("the drain loop did not settle");
    }

    /// The reference call sequence.
    fn run(&mut self) -> Ending {
        for call in CALLS {
            for _ in 0..10 {
                let bearer = self
                    .flow
                    .access_token(self.now)
                    .map(|t| t.secret().to_owned());
                let response = self.world.mcp(call, bearer.as_deref());
                match response.status {
                    200 | 202 => {
                        self.flow.handle_resource_success(self.now);
                        break;
                    }
                    401 | 403 => {
                        self.failure = None;
                        let result = self.flow.handle_challenge(self.now, &response);
                        self.drain();
                        if let Err(e) = result {
                            return Ending::Failed(e);
                        }
                        if let Some(e) = self.failure.take() {
                            return Ending::Failed(e);
                        }
                        if self.flow.status() != FlowStatus::Authorized {
                            return Ending::Stalled(self.flow.status());
                        }
                    }
                    status => return Ending::Status(call, status),
                }
            }
        }
        if self
            .world
            .requests()
            .last()
            .is_some_and(|r| r.call == Some(McpCall::ToolsCall) && r.status == 200)
        {
            Ending::Completed
        } else {
            Ending::Stalled(self.flow.status())
        }
    }

    /// Everything needed to understand a failure.
    fn explain(&self, ending: &Ending) -> String {
        let checks = self
            .world
            .finish()
            .iter()
            .map(Check::to_string)
            .collect::<Vec<_>>()
            .join("\n  ");
        let requests = self
            .world
            .requests()
            .iter()
            .map(|r| match r.call {
                Some(call) => format!("{} {} [{}] → {}", r.method, r.url, call.method(), r.status),
                None => format!("{} {} → {}", r.method, r.url, r.status),
            })
            .collect::<Vec<_>>()
            .join("\n  ");
        format!(
            "{} ({:?})\nending: {ending:?}\nproblems: {:?}\nrefused redirects: {:?}\nflow report:\n{}\nworld checks:\n  {checks}\nworld requests:\n  {requests}",
            self.world.scenario().name(),
            self.world.suite(),
            self.world.verdict().problems,
            self.refused_redirects,
            self.flow.report(),
        )
    }

    fn got(&self, url: &str) -> bool {
        self.world
            .requests()
            .iter()
            .any(|r| r.method == "GET" && r.url == url)
    }
}

/// The typed refusal each must-refuse (or give-up) scenario must end with.
fn expected_refusal(scenario: Scenario, kind: &FlowErrorKind) -> bool {
    use Scenario::*;
    match scenario {
        // P-7, G6.
        ResourceMismatch => matches!(
            kind,
            FlowErrorKind::ResourceMetadata(ResourceMetadataError::ResourceMismatch { found, .. })
                if found == "https://evil.example.com/mcp"
        ),
        // the only listed AS is refused, fail closed.
        MetadataIssuerMismatch => matches!(
            kind,
            FlowErrorKind::ServerMetadata(ServerMetadataError::IssuerMismatch { .. })
        ),
        // C-9: advertised but missing.
        IssSupportedMissing => {
            matches!(kind, FlowErrorKind::Redirect(RedirectError::MissingIssuer))
        }
        // C-9, C-10: wrong (advertised or not), or equal only after normalisation.
        IssWrongIssuer | IssUnexpected | IssNormalized => {
            matches!(kind, FlowErrorKind::Redirect(RedirectError::IssuerMismatch))
        }
        // S-6.
        ScopeRetryLimit => matches!(kind, FlowErrorKind::TooManyAuthorizationAttempts { max: 3 }),
        _ => false,
    }
}

/// Where the scenario serves its PRM: `Some(true)` at a path-aware or challenge URL (the root
/// must never be probed), `Some(false)` only at the root, `None` nowhere (2025-03-26).
fn path_prm(scenario: Scenario) -> Option<bool> {
    use Scenario::*;
    match scenario {
        MetadataVar2 => Some(false),
        OauthMetadataBackcompat | OauthEndpointFallback => None,
        _ => Some(true),
    }
}

fn path_issuer(scenario: Scenario) -> bool {
    matches!(scenario, Scenario::MetadataVar2 | Scenario::MetadataVar3)
}

fn replay(scenario: Scenario, suite: Suite) {
    let mut r = Replay::new(scenario, suite);
    let ending = r.run();
    let why = r.explain(&ending);

    assert!(r.world.verdict().passed(), "verdict failed: {why}");

    if scenario.completes() {
        assert!(
            matches!(ending, Ending::Completed),
            "did not complete: {why}"
        );
        assert_eq!(r.flow.status(), FlowStatus::Authorized, "{why}");
    } else {
        let Ending::Failed(e) = &ending else {
            panic!("must end Failed: {why}");
        };
        assert!(
            expected_refusal(scenario, e.kind()),
            "unexpected refusal {:?}: {why}",
            e.kind()
        );
        assert_eq!(r.flow.status(), FlowStatus::Failed, "{why}");
        // The failure carries the report, which names the last thing the flow did.
        assert!(!e.report().entries().is_empty(), "{why}");
        let authorizations = r.world.count_requests("/authorize");
        let tokens = r.world.count_requests("/token");
        match scenario {
            // Refused during discovery: never reached /authorize (and nothing after it).
            Scenario::ResourceMismatch | Scenario::MetadataIssuerMismatch => {
                assert_eq!(authorizations, 0, "{why}");
                assert_eq!(r.world.count_requests("/register"), 0, "{why}");
                assert_eq!(tokens, 0, "{why}");
            }
            // RFC 9207: `iss` arrives with the redirect, so exactly one /authorize happens; the
            // code must never be redeemed.
            Scenario::IssSupportedMissing
            | Scenario::IssWrongIssuer
            | Scenario::IssUnexpected
            | Scenario::IssNormalized => {
                assert_eq!(authorizations, 1, "{why}");
                assert_eq!(tokens, 0, "{why}");
            }
            // S-6: at most three authorization requests, and it gave up on its own.
            Scenario::ScopeRetryLimit => {
                assert_eq!(authorizations, 3, "{why}");
                assert!(r.world.requests().iter().all(|q| q.status != 410), "{why}");
            }
            _ => unreachable!("{why}"),
        }
    }

    // The traps (P-4, A-4), asserted on the wire as well as through the world's checks.
    if path_prm(scenario) == Some(true) {
        assert!(!r.got(ROOT_PRM), "root PRM probed: {why}");
    }
    if path_issuer(scenario) {
        assert!(!r.got(ROOT_AS_METADATA), "root AS metadata probed: {why}");
    }
    // Nothing went to an origin outside the world (no CIMD fetch, no evil.example.com).
    for q in r.world.requests() {
        assert!(
            q.url.starts_with(RS_ORIGIN)
                || q.url.starts_with("http://localhost:3001")
                || q.url.starts_with("http://localhost:3003/") // the SEP-990 IdP
                || q.url.starts_with("http://localhost:3002"),
            "request outside the world {}: {why}",
            q.url
        );
    }
    // The report is printable and holds no secret.
    let report = r.flow.report().to_string();
    for secret in [
        "test-auth-code",
        "test-token",
        "cc-token",
        "pre-registered-secret",
        "conformance-test-secret",
        "test-client-secret",
        "as1-client-secret",
        "as2-client-secret",
        "test-secret-",
        "wif-valid",
        "idp-id-token",
        "id-jag-",
        "xaa-secret",
    ] {
        assert!(!report.contains(secret), "report leaks {secret}: {why}");
    }
}

macro_rules! scenarios {
    ($($(#[$meta:meta])* $name:ident => $scenario:ident,)*) => {
        /// Every scenario this file replays.
        const REPLAYED: &[Scenario] = &[$($(#[$meta])* Scenario::$scenario,)*];

        /// `@modelcontextprotocol/conformance` 0.1.16 (npm `latest`).
        mod suite_0_1_16 {
            use super::*;
            $( $(#[$meta])* #[test] fn $name() { replay(Scenario::$scenario, Suite::V0_1_16) } )*
        }

        /// `@modelcontextprotocol/conformance` 0.2.0-alpha.12 at the draft spec version.
        mod suite_0_2_0_alpha_12 {
            use super::*;
            $( $(#[$meta])* #[test] fn $name() { replay(Scenario::$scenario, Suite::V0_2_0Alpha12) } )*
        }
    };
}

scenarios! {
    // covers: D-3, D-4, P-3, P-4, A-3, R-14, R-15, K-6, K-7, Q-4
    metadata_default => MetadataDefault,
    // covers: D-4, A-3 (OIDC fallback for an issuer without a path)
    metadata_var1_openid_configuration => MetadataVar1,
    // covers: P-4, P-9, A-4 (root PRM, prefix resource, path-inserted RFC 8414 URL)
    metadata_var2_root_prm_path_issuer => MetadataVar2,
    // covers: D-3, A-4 (challenge PRM URL verbatim, OIDC path-appended URL)
    metadata_var3_custom_prm_url => MetadataVar3,
    //
    basic_cimd => BasicCimd,
    // covers: S-1, D-11
    scope_from_www_authenticate => ScopeFromWwwAuthenticate,
    // covers: S-1
    scope_from_scopes_supported => ScopeFromScopesSupported,
    // covers: S-1, S-2
    scope_omitted_when_undefined => ScopeOmittedWhenUndefined,
    // covers: S-4, S-5, K-4
    scope_step_up => ScopeStepUp,
    // covers: S-6
    scope_retry_limit => ScopeRetryLimit,
    // covers: R-20, T-4, T-5, Q-4, Q-11
    token_endpoint_auth_basic => TokenEndpointAuthBasic,
    // covers: R-20, T-4, Q-4, Q-11
    token_endpoint_auth_post => TokenEndpointAuthPost,
    // covers: R-20, T-4, Q-4, Q-11
    token_endpoint_auth_none => TokenEndpointAuthNone,
    // covers: R-3, T-4
    pre_registration => PreRegistration,
    // covers: B-1, B-2, B-5, B-6 (gotcha G1 under 0.1.16)
    legacy_2025_03_26_oauth_metadata_backcompat => OauthMetadataBackcompat,
    // covers: B-4, B-6
    legacy_2025_03_26_oauth_endpoint_fallback => OauthEndpointFallback,
    // covers: P-7 (gotcha G6)
    resource_mismatch => ResourceMismatch,
    //
    offline_access_scope => OfflineAccessScope,
    //
    offline_access_not_supported => OfflineAccessNotSupported,
    // covers: M-2, M-4, M-6
    client_credentials_basic => ClientCredentialsBasic,
    // covers: T-4, T-9, M-4, M-5 (private_key_jwt, ES256 assertion verified like the suite)
    #[cfg(feature = "jose")]
    client_credentials_jwt => ClientCredentialsJwt,
    // covers: C-9
    iss_supported => IssSupported,
    // covers: C-9
    iss_not_advertised => IssNotAdvertised,
    // covers: C-9
    iss_supported_missing => IssSupportedMissing,
    // covers: C-9
    iss_wrong_issuer => IssWrongIssuer,
    // covers: C-9, C-10
    iss_unexpected => IssUnexpected,
    // covers: C-10
    iss_normalized => IssNormalized,
    //
    metadata_issuer_mismatch => MetadataIssuerMismatch,
    // covers: D-15, R-23, R-24, P-12, F-8
    authorization_server_migration => AuthorizationServerMigration,
    // covers: X-2, M-2, M-3, T-10
    wif_jwt_bearer => WifJwtBearer,
    // covers: E-2, E-3, E-4, E-5, M-3, T-10
    enterprise_managed_authorization => EnterpriseManagedAuthorization,
}

#[test]
fn every_world_scenario_is_replayed() {
    for scenario in Scenario::all() {
        assert!(
            REPLAYED.contains(scenario),
            "{} is not replayed",
            scenario.name()
        );
    }
    assert_eq!(REPLAYED.len(), Scenario::all().len());
}

/// Same seed, same world → the same wire transcript (the replay is deterministic).
#[test]
fn replay_is_deterministic() {
    for &scenario in Scenario::all() {
        let transcript = |suite| {
            let mut r = Replay::new(scenario, suite);
            let _ = r.run();
            r.world.requests().to_vec()
        };
        for suite in [Suite::V0_1_16, Suite::V0_2_0Alpha12] {
            assert_eq!(transcript(suite), transcript(suite), "{}", scenario.name());
        }
    }
}
