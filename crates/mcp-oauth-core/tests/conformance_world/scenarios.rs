//! The scenarios: how each one configures the servers, its hooks on the AS endpoints, and its
//! end-of-run checks (the TS `getChecks()`).

use serde_json::json;

use super::auth_server::{
    AuthServer, AuthorizeSeen, IssMode, Registration, TokenDecision, TokenSeen,
};
use super::resource_server::{Middleware, ResourceServer};
use super::wire;
use super::{Status, Suite, World};

const RS: &str = "http://localhost:3000";
const AS: &str = "http://localhost:3001";
const AS2: &str = "http://localhost:3002";
/// The enterprise IdP of the SEP-990 scenario (its token endpoint is `<IDP>/token`).
pub(super) const IDP: &str = "http://localhost:3003";
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const XAA_CLIENT: &str = "conformance-test-xaa-client";
const XAA_SECRET: &str = "conformance-test-xaa-secret";
const IDP_CLIENT: &str = "conformance-test-idp-client";
/// Stand-ins for the signed JWTs the suite mints (the world verifies by equality).
const WIF_VALID: &str = "eyJ.wif-valid.sig";
const WIF_WRONG_AUDIENCE: &str = "eyJ.wif-wrong-audience.sig";
const WIF_EXPIRED: &str = "eyJ.wif-expired.sig";
const IDP_ID_TOKEN: &str = "eyJ.idp-id-token-demo-user.sig";

/// The CIMD `client_id` the suite expects (gotcha G7).
pub(crate) const CIMD_URL: &str = "https://conformance-test.local/client-metadata.json";
const AS1_CLIENT_ID: &str = "as1-client-id-LEAKED-IF-SEEN-AT-AS2";

/// Every implemented client auth scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Scenario {
    MetadataDefault,
    MetadataVar1,
    MetadataVar2,
    MetadataVar3,
    BasicCimd,
    ScopeFromWwwAuthenticate,
    ScopeFromScopesSupported,
    ScopeOmittedWhenUndefined,
    ScopeStepUp,
    ScopeRetryLimit,
    TokenEndpointAuthBasic,
    TokenEndpointAuthPost,
    TokenEndpointAuthNone,
    PreRegistration,
    /// `issuer` is `<origin>/oauth` under [`Suite::V0_1_16`] (G1) and the bare origin under
    /// [`Suite::V0_2_0Alpha12`].
    OauthMetadataBackcompat,
    OauthEndpointFallback,
    ResourceMismatch,
    OfflineAccessScope,
    OfflineAccessNotSupported,
    ClientCredentialsBasic,
    /// `private_key_jwt` (ES256) client assertion. Replayed only with the `jose` feature (the
    /// flow needs it to sign, the world to verify).
    ClientCredentialsJwt,
    IssSupported,
    IssNotAdvertised,
    IssSupportedMissing,
    IssWrongIssuer,
    IssUnexpected,
    IssNormalized,
    MetadataIssuerMismatch,
    AuthorizationServerMigration,
    /// `auth/wif-jwt-bearer` (alpha): an RFC 7523 jwt-bearer grant with the context's workload
    /// JWT (SEP-1933).
    WifJwtBearer,
    /// `auth/enterprise-managed-authorization` (alpha; `auth/cross-app-access-complete-flow` in
    /// 0.1.16): RFC 8693 ID-JAG exchange at the IdP, then an RFC 7523 jwt-bearer grant with
    /// Basic client authentication (SEP-990).
    EnterpriseManagedAuthorization,
}

/// Scenarios whose servers are not modelled yet (they need DPoP).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum DeferredScenario {
    /// `auth/dpop`: RFC 9449 proofs at the token endpoint and the RS.
    Dpop,
    /// `auth/dpop-nonce`: DPoP with AS and RS nonces.
    DpopNonce,
}

impl Scenario {
    /// Every implemented scenario.
    pub(crate) fn all() -> &'static [Self] {
        use Scenario::*;
        &[
            MetadataDefault,
            MetadataVar1,
            MetadataVar2,
            MetadataVar3,
            BasicCimd,
            ScopeFromWwwAuthenticate,
            ScopeFromScopesSupported,
            ScopeOmittedWhenUndefined,
            ScopeStepUp,
            ScopeRetryLimit,
            TokenEndpointAuthBasic,
            TokenEndpointAuthPost,
            TokenEndpointAuthNone,
            PreRegistration,
            OauthMetadataBackcompat,
            OauthEndpointFallback,
            ResourceMismatch,
            OfflineAccessScope,
            OfflineAccessNotSupported,
            ClientCredentialsBasic,
            #[cfg(feature = "jose")]
            ClientCredentialsJwt,
            IssSupported,
            IssNotAdvertised,
            IssSupportedMissing,
            IssWrongIssuer,
            IssUnexpected,
            IssNormalized,
            MetadataIssuerMismatch,
            AuthorizationServerMigration,
            WifJwtBearer,
            EnterpriseManagedAuthorization,
        ]
    }

    /// The suite's scenario name.
    pub(crate) fn name(self) -> &'static str {
        use Scenario::*;
        match self {
            MetadataDefault => "auth/metadata-default",
            MetadataVar1 => "auth/metadata-var1",
            MetadataVar2 => "auth/metadata-var2",
            MetadataVar3 => "auth/metadata-var3",
            BasicCimd => "auth/basic-cimd",
            ScopeFromWwwAuthenticate => "auth/scope-from-www-authenticate",
            ScopeFromScopesSupported => "auth/scope-from-scopes-supported",
            ScopeOmittedWhenUndefined => "auth/scope-omitted-when-undefined",
            ScopeStepUp => "auth/scope-step-up",
            ScopeRetryLimit => "auth/scope-retry-limit",
            TokenEndpointAuthBasic => "auth/token-endpoint-auth-basic",
            TokenEndpointAuthPost => "auth/token-endpoint-auth-post",
            TokenEndpointAuthNone => "auth/token-endpoint-auth-none",
            PreRegistration => "auth/pre-registration",
            OauthMetadataBackcompat => "auth/2025-03-26-oauth-metadata-backcompat",
            OauthEndpointFallback => "auth/2025-03-26-oauth-endpoint-fallback",
            ResourceMismatch => "auth/resource-mismatch",
            OfflineAccessScope => "auth/offline-access-scope",
            OfflineAccessNotSupported => "auth/offline-access-not-supported",
            ClientCredentialsBasic => "auth/client-credentials-basic",
            ClientCredentialsJwt => "auth/client-credentials-jwt",
            IssSupported => "auth/iss-supported",
            IssNotAdvertised => "auth/iss-not-advertised",
            IssSupportedMissing => "auth/iss-supported-missing",
            IssWrongIssuer => "auth/iss-wrong-issuer",
            IssUnexpected => "auth/iss-unexpected",
            IssNormalized => "auth/iss-normalized",
            MetadataIssuerMismatch => "auth/metadata-issuer-mismatch",
            AuthorizationServerMigration => "auth/authorization-server-migration",
            WifJwtBearer => "auth/wif-jwt-bearer",
            EnterpriseManagedAuthorization => "auth/enterprise-managed-authorization",
        }
    }

    /// The scenario named `name` (`auth/…`).
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Self::all().iter().copied().find(|s| s.name() == name)
    }

    /// Whether a correct client gets a token and a successful `tools/call` here. The others
    /// must refuse (or, for retry-limit, give up) and `allowClientError` is set for them.
    pub(crate) fn completes(self) -> bool {
        !matches!(
            self,
            Self::ResourceMismatch
                | Self::ScopeRetryLimit
                | Self::IssSupportedMissing
                | Self::IssWrongIssuer
                | Self::IssUnexpected
                | Self::IssNormalized
                | Self::MetadataIssuerMismatch
        )
    }

    /// Whether the client is expected to refuse the flow before using a token.
    pub(crate) fn must_refuse(self) -> bool {
        !self.completes() && self != Self::ScopeRetryLimit
    }

    fn token_endpoint_method(self) -> Option<&'static str> {
        match self {
            Self::TokenEndpointAuthBasic => Some("client_secret_basic"),
            Self::TokenEndpointAuthPost => Some("client_secret_post"),
            Self::TokenEndpointAuthNone => Some("none"),
            _ => None,
        }
    }
}

/// The servers of `scenario` under `suite`.
pub(super) fn build(scenario: Scenario, suite: Suite) -> (ResourceServer, Vec<AuthServer>) {
    use Scenario::*;
    let mut rs = ResourceServer::new(RS, AS);
    let mut auth = AuthServer::new(AS, suite);
    let tenant = |auth: &mut AuthServer, rs: &mut ResourceServer| {
        auth.prefix = "/tenant1";
        auth.issuer = format!("{AS}/tenant1");
        auth.trap_root_metadata = true;
        rs.as_urls = vec![auth.issuer.clone()];
    };
    match scenario {
        MetadataDefault => rs.trap_root_prm = true,
        MetadataVar1 => {
            rs.include_prm_in_www_auth = false;
            auth.metadata_path = Some("/.well-known/openid-configuration".to_owned());
            auth.openid = true;
        }
        MetadataVar2 => {
            rs.prm_path = Some("/.well-known/oauth-protected-resource");
            rs.include_prm_in_www_auth = false;
            tenant(&mut auth, &mut rs);
            auth.metadata_path = Some("/.well-known/oauth-authorization-server/tenant1".to_owned());
        }
        MetadataVar3 => {
            rs.prm_path = Some("/custom/metadata/location.json");
            tenant(&mut auth, &mut rs);
            auth.metadata_path = Some("/tenant1/.well-known/openid-configuration".to_owned());
            auth.openid = true;
        }
        BasicCimd => auth.cimd_supported = Some(true),
        ScopeFromWwwAuthenticate => {
            rs.middleware = Middleware::Standard {
                required_scopes: vec!["mcp:basic"],
                include_scope: true,
            };
        }
        ScopeFromScopesSupported => {
            let scopes = vec!["mcp:basic", "mcp:read", "mcp:write"];
            rs.scopes_supported = Some(scopes.clone());
            rs.middleware = Middleware::Standard {
                required_scopes: scopes,
                include_scope: false,
            };
        }
        ScopeOmittedWhenUndefined => {}
        ScopeStepUp => match suite {
            Suite::V0_1_16 => {
                rs.scopes_supported = Some(vec!["mcp:basic", "mcp:write"]);
                rs.middleware = Middleware::StepUp {
                    tools_call: vec!["mcp:basic", "mcp:write"],
                    challenge: "mcp:basic mcp:write",
                };
            }
            Suite::V0_2_0Alpha12 => {
                rs.scopes_supported = Some(vec!["mcp:profile"]);
                rs.middleware = Middleware::StepUp {
                    tools_call: vec!["mcp:write"],
                    challenge: "mcp:write",
                };
            }
        },
        ScopeRetryLimit => {
            rs.scopes_supported = Some(vec!["mcp:admin"]);
            rs.middleware = Middleware::RetryLimit;
        }
        TokenEndpointAuthBasic | TokenEndpointAuthPost | TokenEndpointAuthNone => {
            auth.auth_methods = scenario.token_endpoint_method().into_iter().collect();
        }
        PreRegistration => {
            auth.dcr = false;
            auth.auth_methods = vec!["client_secret_basic"];
        }
        OauthMetadataBackcompat => {
            rs.prm_path = None;
            auth = AuthServer::new(RS, suite);
            auth.prefix = "/oauth";
            auth.issuer = match suite {
                Suite::V0_1_16 => format!("{RS}/oauth"),
                Suite::V0_2_0Alpha12 => RS.to_owned(),
            };
        }
        OauthEndpointFallback => {
            rs.prm_path = None;
            auth = AuthServer::new(RS, suite);
            auth.metadata_path = None;
            auth.fallback = true;
            auth.iss_mode = IssMode::Omit;
        }
        ResourceMismatch => rs.resource_override = Some("https://evil.example.com/mcp"),
        OfflineAccessScope => {
            auth.scopes_supported = Some(vec!["mcp:basic", "offline_access"]);
            auth.cimd_supported = Some(true);
            rs.scopes_supported = Some(vec!["mcp:basic"]);
        }
        OfflineAccessNotSupported => {
            auth.scopes_supported = Some(vec!["mcp:basic", "mcp:read"]);
            rs.scopes_supported = Some(vec!["mcp:basic", "mcp:read"]);
        }
        ClientCredentialsBasic => {
            auth.grant_types = vec!["client_credentials"];
            auth.auth_methods = vec!["client_secret_basic"];
        }
        ClientCredentialsJwt => {
            auth.grant_types = vec!["client_credentials"];
            auth.auth_methods = vec!["private_key_jwt"];
            auth.auth_signing_algs = Some(vec!["ES256"]);
        }
        IssSupported => (auth.iss_supported, auth.iss_mode) = (Some(true), IssMode::Correct),
        IssNotAdvertised => (auth.iss_supported, auth.iss_mode) = (None, IssMode::Omit),
        IssSupportedMissing => (auth.iss_supported, auth.iss_mode) = (Some(true), IssMode::Omit),
        IssWrongIssuer => (auth.iss_supported, auth.iss_mode) = (Some(true), IssMode::Wrong),
        IssUnexpected => (auth.iss_supported, auth.iss_mode) = (None, IssMode::Wrong),
        IssNormalized => (auth.iss_supported, auth.iss_mode) = (Some(true), IssMode::Normalized),
        MetadataIssuerMismatch => {
            auth.issuer = "https://attacker.example.com".to_owned();
            auth.prefix = "/mismatched-as";
        }
        WifJwtBearer => {
            auth.grant_types = vec![JWT_BEARER];
            auth.auth_methods = vec!["none"];
            auth.dcr = false;
        }
        EnterpriseManagedAuthorization => {
            auth.grant_types = vec![JWT_BEARER];
            auth.auth_methods = vec!["client_secret_basic"];
        }
        AuthorizationServerMigration => {
            rs.middleware = Middleware::Migration;
            rs.as_urls = vec![AS.to_owned(), AS2.to_owned()];
            return (rs, vec![auth, AuthServer::new(AS2, suite)]);
        }
    }
    (rs, vec![auth])
}

/// `MCP_CONFORMANCE_CONTEXT` (without it the client sees no variable at all).
pub(super) fn context(scenario: Scenario) -> Option<serde_json::Value> {
    match scenario {
        Scenario::PreRegistration => Some(json!({
            "name": scenario.name(),
            "client_id": "pre-registered-client",
            "client_secret": "pre-registered-secret",
        })),
        Scenario::ClientCredentialsBasic => Some(json!({
            "name": scenario.name(),
            "client_id": "conformance-test-client",
            "client_secret": "conformance-test-secret",
        })),
        Scenario::WifJwtBearer => Some(json!({
            "name": scenario.name(),
            "client_id": "conformance-wif-workload",
            "valid_jwt": WIF_VALID,
            "wrong_audience_jwt": WIF_WRONG_AUDIENCE,
            "expired_jwt": WIF_EXPIRED,
        })),
        Scenario::EnterpriseManagedAuthorization => Some(json!({
            "name": scenario.name(),
            "client_id": XAA_CLIENT,
            "client_secret": XAA_SECRET,
            "idp_client_id": IDP_CLIENT,
            "idp_id_token": IDP_ID_TOKEN,
            "idp_issuer": IDP,
            "idp_token_endpoint": format!("{IDP}/token"),
        })),
        // The suite generates a fresh ES256 key per run and hands over its PKCS#8 PEM; the world
        // uses a fixed one (RFC 7515 A.3's) so runs are reproducible.
        Scenario::ClientCredentialsJwt => Some(json!({
            "name": scenario.name(),
            "client_id": "conformance-test-client",
            "private_key_pem": wire::CLIENT_JWT_KEY_PEM,
            "signing_algorithm": "ES256",
        })),
        _ => None,
    }
}

fn status(ok: bool, otherwise: Status) -> Status {
    if ok { Status::Success } else { otherwise }
}

impl World {
    /// `onAuthorizationRequest` of the scenario.
    pub(super) fn on_authorize(&mut self, index: usize, seen: &AuthorizeSeen) {
        use Scenario::*;
        let scopes = seen.scopes();
        let scope_text = seen.scope.clone().unwrap_or_else(|| "none".to_owned());
        let count = self.obs.authorize_requests;
        match self.scenario {
            BasicCimd => {
                let ok = seen.client_id.as_deref() == Some(CIMD_URL);
                self.push(
                    "cimd-client-id-used",
                    status(ok, Status::Warning),
                    format!("client_id {:?}, expected {CIMD_URL}", seen.client_id),
                );
            }
            ScopeFromWwwAuthenticate => {
                let ok = scopes.contains(&"mcp:basic");
                self.push(
                    "scope-from-www-authenticate",
                    status(ok, Status::Warning),
                    format!("requested scope {scope_text}, expected mcp:basic"),
                );
            }
            ScopeFromScopesSupported => {
                let wanted = ["mcp:basic", "mcp:read", "mcp:write"];
                let ok = wanted.iter().all(|s| scopes.contains(s));
                self.push(
                    "scope-from-scopes-supported",
                    status(ok, Status::Warning),
                    format!(
                        "requested scope {scope_text}, expected all of {}",
                        wanted.join(" ")
                    ),
                );
            }
            ScopeOmittedWhenUndefined => {
                let ok = seen.scope.as_deref().is_none_or(|s| s.trim().is_empty());
                self.push(
                    "scope-omitted-when-undefined",
                    status(ok, Status::Warning),
                    format!("scope parameter: {scope_text}"),
                );
            }
            ScopeStepUp => self.step_up_authorize(count, &scopes, &scope_text),
            ScopeRetryLimit => self.push(
                "scope-retry-auth-attempt",
                Status::Info,
                format!("authorization attempt {count} (scope {scope_text})"),
            ),
            TokenEndpointAuthBasic | TokenEndpointAuthPost | TokenEndpointAuthNone => {
                self.obs.authorization_resource = seen.resource.clone();
            }
            ResourceMismatch | IssSupportedMissing | IssWrongIssuer | IssUnexpected
            | IssNormalized => self.obs.auth_reached = true,
            MetadataIssuerMismatch => self.obs.metadata_endpoints_used = true,
            OfflineAccessScope => {
                if seen
                    .client_id
                    .as_deref()
                    .is_some_and(|c| c.starts_with("http"))
                {
                    self.obs.cimd_client_id = seen.client_id.clone();
                }
                let ok = scopes.contains(&"offline_access");
                self.push(
                    "sep-2207-offline-access-requested",
                    status(ok, Status::Info),
                    format!("requested scope {scope_text} (AS lists mcp:basic offline_access)"),
                );
            }
            OfflineAccessNotSupported => {
                let ok = !scopes.contains(&"offline_access");
                self.push(
                    "sep-2207-offline-access-not-requested",
                    status(ok, Status::Failure),
                    format!("requested scope {scope_text} (AS lists mcp:basic mcp:read)"),
                );
            }
            AuthorizationServerMigration
                if index == 1 && seen.client_id.as_deref() == Some(AS1_CLIENT_ID) =>
            {
                self.obs.as2_saw_as1_client_id = true;
            }
            _ => {}
        }
    }

    fn step_up_authorize(&mut self, count: u32, scopes: &[&str], scope_text: &str) {
        let union = self.suite == Suite::V0_2_0Alpha12;
        if count == 1 {
            self.push(
                "scope-step-up-initial",
                status(scopes.contains(&"mcp:basic"), Status::Warning),
                format!("initial authorization requested {scope_text}, expected mcp:basic"),
            );
        } else if count == 2 {
            let escalated = if union {
                scopes.contains(&"mcp:write")
            } else {
                scopes.contains(&"mcp:basic") && scopes.contains(&"mcp:write")
            };
            self.push(
                "scope-step-up-escalation",
                status(escalated, Status::Warning),
                format!("second authorization requested {scope_text}"),
            );
            if union {
                self.push(
                    "sep-2350-scope-union-on-reauth",
                    status(scopes.contains(&"mcp:basic"), Status::Warning),
                    format!(
                        "re-authorization requested {scope_text}; previously granted mcp:basic"
                    ),
                );
            }
        }
    }

    /// `onTokenRequest` of the scenario; `None` = the default token.
    pub(super) fn on_token(&mut self, index: usize, seen: &TokenSeen) -> Option<TokenDecision> {
        use Scenario::*;
        match self.scenario {
            TokenEndpointAuthBasic | TokenEndpointAuthPost | TokenEndpointAuthNone => {
                self.obs.token_resource = seen.body.get("resource").map(str::to_owned);
                let expected = self.scenario.token_endpoint_method().unwrap_or("none");
                let header = seen.authorization.as_deref();
                let actual = if header.is_some_and(|h| h.starts_with("Basic ")) {
                    "client_secret_basic"
                } else if seen.body.non_empty("client_secret").is_some() {
                    "client_secret_post"
                } else {
                    "none"
                };
                let format_error = header
                    .filter(|_| actual == "client_secret_basic")
                    .and_then(|h| wire::basic_has_colon(h).err());
                let ok = actual == expected && format_error.is_none();
                self.push(
                    "token-endpoint-auth-method",
                    status(ok, Status::Failure),
                    match format_error {
                        Some(e) => format!("client sent Basic auth header but {e}"),
                        None => format!("client used {actual}, server supports only {expected}"),
                    },
                );
                Some(self.issue("test-token", Vec::new()))
            }
            PreRegistration => Some(self.pre_registration_token(seen)),
            ClientCredentialsBasic => Some(self.client_credentials_token(seen)),
            WifJwtBearer => Some(self.wif_token(seen)),
            EnterpriseManagedAuthorization => Some(self.jwt_bearer_with_jag(seen)),
            ClientCredentialsJwt => Some(self.client_credentials_jwt_token(seen)),
            IssSupported | IssNotAdvertised | IssSupportedMissing | IssWrongIssuer
            | IssUnexpected | IssNormalized => {
                self.obs.token_request_made = true;
                Some(self.issue("test-token", Vec::new()))
            }
            MetadataIssuerMismatch => {
                self.obs.metadata_endpoints_used = true;
                Some(self.issue("test-token", Vec::new()))
            }
            AuthorizationServerMigration if index == 1 => {
                let client_id = seen.body.get("client_id").map(str::to_owned).or_else(|| {
                    wire::basic_credentials(seen.authorization.as_deref()).map(|(id, _)| id)
                });
                if client_id.as_deref() == Some(AS1_CLIENT_ID) {
                    self.obs.as2_saw_as1_client_id_at_token = true;
                }
                let scopes = seen.body.non_empty("scope").map_or_else(
                    || vec!["mcp:basic".to_owned()],
                    |s| s.split(' ').map(str::to_owned).collect(),
                );
                Some(self.issue("test-token-as2", scopes))
            }
            _ => None,
        }
    }

    fn issue(&mut self, prefix: &str, scopes: Vec<String>) -> TokenDecision {
        let n = self.next();
        TokenDecision::Issue {
            token: format!("{prefix}-{n}"),
            scopes,
        }
    }

    fn pre_registration_token(&mut self, seen: &TokenSeen) -> TokenDecision {
        let refuse = |description: &str| TokenDecision::Error {
            status: 401,
            error: "invalid_client",
            description: description.to_owned(),
        };
        let Some((id, secret)) = wire::basic_credentials(seen.authorization.as_deref()) else {
            self.push(
                "pre-registration-auth",
                Status::Failure,
                "client did not use Basic authentication with pre-registered credentials",
            );
            return refuse("Missing or invalid Authorization header");
        };
        if id != "pre-registered-client" || secret.as_deref() != Some("pre-registered-secret") {
            self.push(
                "pre-registration-auth",
                Status::Failure,
                format!("client used incorrect pre-registered credentials (client_id {id:?})"),
            );
            return refuse("Invalid pre-registered credentials");
        }
        self.push(
            "pre-registration-auth",
            Status::Success,
            "client used the pre-registered credentials",
        );
        self.issue("test-token-prereg", Vec::new())
    }

    fn client_credentials_token(&mut self, seen: &TokenSeen) -> TokenDecision {
        if seen.grant_type.as_deref() != Some("client_credentials") {
            self.push(
                "client-credentials-grant-type",
                Status::Failure,
                format!(
                    "expected grant_type=client_credentials, got {:?}",
                    seen.grant_type
                ),
            );
            return TokenDecision::Error {
                status: 400,
                error: "unsupported_grant_type",
                description: "Only client_credentials grant is supported".to_owned(),
            };
        }
        let credentials = seen
            .authorization
            .as_deref()
            .filter(|h| h.starts_with("Basic "))
            .and_then(|h| wire::basic_credentials(Some(h)));
        let ok = credentials.as_ref().is_some_and(|(id, secret)| {
            id == "conformance-test-client" && secret.as_deref() == Some("conformance-test-secret")
        });
        self.push(
            "client-credentials-basic-auth",
            status(ok, Status::Failure),
            match &credentials {
                None => "missing or invalid Authorization header for Basic auth".to_owned(),
                Some((id, _)) if !ok => format!("invalid client credentials (client_id {id:?})"),
                Some(_) => "client authenticated with client_secret_basic".to_owned(),
            },
        );
        if !ok {
            return TokenDecision::Error {
                status: 401,
                error: "invalid_client",
                description: "Invalid client credentials".to_owned(),
            };
        }
        self.issue("cc-token", seen.body.scopes("scope"))
    }

    /// `auth/wif-jwt-bearer`'s `onTokenRequest`: one attempt, the valid workload JWT.
    fn wif_token(&mut self, seen: &TokenSeen) -> TokenDecision {
        let refuse = |status: u16, error: &'static str, description: &str| TokenDecision::Error {
            status,
            error,
            description: description.to_owned(),
        };
        if self.obs.token_request_made && self.obs.wif_failed {
            let (id, text) = if seen.grant_type.as_deref() == Some(JWT_BEARER) {
                (
                    "wif-no-retry",
                    "client retried the JWT-bearer request after a failure",
                )
            } else {
                ("wif-grant-fallback", "client fell back to another grant")
            };
            self.push(id, Status::Warning, text);
            return refuse(400, "invalid_request", "retry not allowed");
        }
        self.obs.token_request_made = true;
        if seen.grant_type.as_deref() != Some(JWT_BEARER) {
            self.obs.wif_failed = true;
            self.push(
                "wif-grant-type",
                Status::Failure,
                format!(
                    "expected grant_type={JWT_BEARER}, got {:?}",
                    seen.grant_type
                ),
            );
            return refuse(400, "unsupported_grant_type", "only jwt-bearer");
        }
        let (id, error) = match seen.body.non_empty("assertion") {
            None => ("wif-assertion-missing", "invalid_request"),
            Some(WIF_VALID) => ("wif-assertion-verified", ""),
            Some(WIF_WRONG_AUDIENCE) => ("wif-assertion-audience", "invalid_grant"),
            Some(WIF_EXPIRED) => ("wif-assertion-expired", "invalid_grant"),
            Some(_) => ("wif-assertion-malformed", "invalid_grant"),
        };
        if !error.is_empty() {
            self.obs.wif_failed = true;
            self.push(
                id,
                Status::Failure,
                "the assertion is not the valid workload JWT",
            );
            return refuse(400, error, "JWT assertion verification failed");
        }
        self.push(id, Status::Success, "workload JWT assertion verified");
        self.issue("test-token", seen.body.scopes("scope"))
    }

    /// The SEP-990 IdP's token endpoint (`POST <IDP>/token`): the ID token → an ID-JAG.
    pub(super) fn serve_idp(
        &mut self,
        req: &mcp_oauth_core::http::HttpRequest,
    ) -> mcp_oauth_core::http::HttpResponse {
        let body = wire::Params::from_body(req);
        let id = "complete-flow-token-exchange";
        if body.get("grant_type") != Some("urn:ietf:params:oauth:grant-type:token-exchange") {
            self.push(id, Status::Failure, "IdP expected the token-exchange grant");
            return wire::json(400, &json!({"error": "unsupported_grant_type"}));
        }
        let mut missing = Vec::new();
        if body.non_empty("subject_token").is_none() {
            missing.push("subject_token");
        }
        if body.get("subject_token_type") != Some("urn:ietf:params:oauth:token-type:id_token") {
            missing.push("subject_token_type");
        }
        if body.get("requested_token_type") != Some("urn:ietf:params:oauth:token-type:id-jag") {
            missing.push("requested_token_type");
        }
        if body.non_empty("audience").is_none() {
            missing.push("audience");
        }
        if body.non_empty("resource").is_none() {
            missing.push("resource");
        }
        if !missing.is_empty() {
            self.push(
                id,
                Status::Failure,
                format!("missing or invalid: {missing:?}"),
            );
            return wire::json(400, &json!({"error": "invalid_request"}));
        }
        if body.get("subject_token") != Some(IDP_ID_TOKEN) {
            self.push(id, Status::Failure, "invalid ID token");
            return wire::json(400, &json!({"error": "invalid_grant"}));
        }
        self.push(id, Status::Success, "exchanged the ID token for an ID-JAG");
        let n = self.next();
        let jag = format!("id-jag-{n}");
        self.obs.id_jags.push((
            jag.clone(),
            body.get("audience").unwrap_or_default().to_owned(),
            body.get("resource").unwrap_or_default().to_owned(),
        ));
        wire::json(
            200,
            &json!({
                "access_token": jag,
                "issued_token_type": "urn:ietf:params:oauth:token-type:id-jag",
                "token_type": "N_A",
            }),
        )
    }

    /// The SEP-990 AS's jwt-bearer handling: Basic client auth, an ID-JAG for this AS and the
    /// MCP resource.
    fn jwt_bearer_with_jag(&mut self, seen: &TokenSeen) -> TokenDecision {
        let id = "complete-flow-jwt-bearer";
        let refuse = |status: u16, error: &'static str| TokenDecision::Error {
            status,
            error,
            description: "refused".to_owned(),
        };
        if seen.grant_type.as_deref() != Some(JWT_BEARER) {
            return refuse(400, "unsupported_grant_type");
        }
        let credentials = seen
            .authorization
            .as_deref()
            .filter(|h| h.starts_with("Basic "))
            .and_then(|h| wire::basic_credentials(Some(h)));
        let authenticated = credentials.as_ref().is_some_and(|(client, secret)| {
            client == XAA_CLIENT && secret.as_deref() == Some(XAA_SECRET)
        });
        if !authenticated {
            self.push(
                id,
                Status::Failure,
                "missing or invalid client_secret_basic",
            );
            return refuse(401, "invalid_client");
        }
        let jag = seen.body.non_empty("assertion").unwrap_or_default();
        let issued = self.obs.id_jags.iter().find(|(j, _, _)| j == jag).cloned();
        let issuer = self
            .servers
            .first()
            .map(|s| s.issuer.clone())
            .unwrap_or_default();
        let ok = issued.as_ref().is_some_and(|(_, audience, resource)| {
            audience.trim_end_matches('/') == issuer.trim_end_matches('/')
                && *resource == self.rs.mcp_url
        });
        if !ok {
            self.push(
                id,
                Status::Failure,
                "unknown ID-JAG, or wrong audience or resource",
            );
            return refuse(400, "invalid_grant");
        }
        self.push(id, Status::Success, "client auth and ID-JAG verified");
        self.issue("test-token", seen.body.scopes("scope"))
    }

    /// `auth/client-credentials-jwt`'s token endpoint: the assertion type, then
    /// `jwtVerify(assertion, publicKey, {audience: [issuer, issuer + "/"], clockTolerance: 30})`
    /// and `iss` / `sub` = the client id.
    fn client_credentials_jwt_token(&mut self, seen: &TokenSeen) -> TokenDecision {
        const CLIENT_ID: &str = "conformance-test-client";
        if seen.grant_type.as_deref() != Some("client_credentials") {
            self.push(
                "client-credentials-grant-type",
                Status::Failure,
                format!(
                    "expected grant_type=client_credentials, got {:?}",
                    seen.grant_type
                ),
            );
            return TokenDecision::Error {
                status: 400,
                error: "unsupported_grant_type",
                description: "Only client_credentials grant is supported".to_owned(),
            };
        }
        let invalid = |description: &str| TokenDecision::Error {
            status: 401,
            error: "invalid_client",
            description: description.to_owned(),
        };
        let assertion_type = seen.body.get("client_assertion_type");
        if assertion_type != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer") {
            self.push(
                "client-credentials-assertion-type",
                Status::Failure,
                format!("invalid client_assertion_type: {assertion_type:?}"),
            );
            return invalid("Invalid client_assertion_type");
        }
        let audiences = [AS.to_owned(), format!("{AS}/")];
        let claims = match wire::verify_es256_jwt(
            seen.body.get("client_assertion").unwrap_or_default(),
            &audiences,
        ) {
            Ok(claims) => claims,
            Err(e) => {
                self.push(
                    "client-credentials-jwt-verified",
                    Status::Failure,
                    format!("JWT verification failed: {e}"),
                );
                return invalid("JWT verification failed");
            }
        };
        for (claim, id) in [
            ("iss", "client-credentials-jwt-iss"),
            ("sub", "client-credentials-jwt-sub"),
        ] {
            if claims[claim] != CLIENT_ID {
                self.push(
                    id,
                    Status::Failure,
                    format!(
                        "JWT {claim} claim {} does not match the client id",
                        claims[claim]
                    ),
                );
                return invalid("JWT claim mismatch");
            }
        }
        self.push(
            "client-credentials-jwt-verified",
            Status::Success,
            "client authenticated with a signed JWT assertion",
        );
        self.issue("cc-token", seen.body.scopes("scope"))
    }

    /// `onRegistrationRequest` of the scenario; `None` = the default registration.
    pub(super) fn on_register(
        &mut self,
        index: usize,
        body: &serde_json::Value,
    ) -> Option<Registration> {
        use Scenario::*;
        match self.scenario {
            TokenEndpointAuthBasic | TokenEndpointAuthPost | TokenEndpointAuthNone => {
                let method = self.scenario.token_endpoint_method();
                let n = self.next();
                Some(Registration {
                    client_id: format!("test-client-{n}"),
                    client_secret: (method != Some("none")).then(|| format!("test-secret-{n}")),
                    method,
                })
            }
            OfflineAccessScope => {
                let grant_types: Vec<&str> = body
                    .get("grant_types")
                    .and_then(|v| v.as_array())
                    .map(|a| a.iter().filter_map(|g| g.as_str()).collect())
                    .unwrap_or_default();
                self.obs.grant_types_checked = true;
                self.push(
                    "sep-2207-client-metadata-grant-types",
                    status(grant_types.contains(&"refresh_token"), Status::Warning),
                    format!("DCR grant_types: {}", grant_types.join(" ")),
                );
                Some(self.public_registration())
            }
            ResourceMismatch => Some(self.public_registration()),
            MetadataIssuerMismatch => {
                self.obs.metadata_endpoints_used = true;
                None
            }
            AuthorizationServerMigration if index == 0 => Some(Registration {
                client_id: AS1_CLIENT_ID.to_owned(),
                client_secret: Some("as1-client-secret".to_owned()),
                method: None,
            }),
            AuthorizationServerMigration => {
                self.obs.as2_saw_register = true;
                Some(Registration {
                    client_id: "as2-client-id".to_owned(),
                    client_secret: Some("as2-client-secret".to_owned()),
                    method: None,
                })
            }
            _ => None,
        }
    }

    fn public_registration(&mut self) -> Registration {
        let n = self.next();
        Registration {
            client_id: format!("test-client-{n}"),
            client_secret: None,
            method: Some("none"),
        }
    }
}
