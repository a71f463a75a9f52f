//! `mcp-oauth-reqwest` against oidc-provider on loopback (see the crate docs). The blocking
//! twin, `oidc_ureq.rs`, runs the same scenarios through `mcp-oauth-ureq`.

use core::time::Duration;

use mcp_oauth_core::Timestamp;

use mcp_oauth_core::flow::{FlowErrorKind, FlowStatus};
use mcp_oauth_core::redirect::RedirectError;
use mcp_oauth_interop::OidcServers;
use mcp_oauth_reqwest::{
    AuthorizedClient, Clock, Error, MemoryStore, OffsetClock, RedirectFollower, StoreKey,
    TokenStore,
};
use serde_json::{Value, json};

const NAME: &str = "oidc interop (reqwest)";

fn servers() -> OidcServers {
    OidcServers::start().unwrap_or_else(|e| panic!("{e}"))
}

fn client(mcp_url: &str) -> mcp_oauth_reqwest::AuthorizedClientBuilder {
    AuthorizedClient::builder(mcp_url)
        .client_name(NAME)
        .follow_redirects(RedirectFollower::new().unwrap())
}

async fn rpc(c: &AuthorizedClient, body: &Value) -> (u16, Value) {
    let r = c.post_json(body).await.unwrap();
    let status = r.status().as_u16();
    let bytes = r.bytes().await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn echo(text: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
           "params": {"name": "echo", "arguments": {"text": text}}})
}

fn stored(store: &dyn TokenStore, mcp_url: &str) -> Value {
    let e = store
        .load(&StoreKey::new(mcp_url, NAME))
        .unwrap()
        .expect("an entry is stored");
    serde_json::to_value(&e.state).unwrap()
}

/// Cold start: 401 → PRM → provider metadata → DCR → authorization (PKCE S256, `resource`,
/// five redirect hops with cookies, RFC 9207 `iss` checked) → code exchange → JWT access token
/// with `aud` = the MCP resource → the MCP session works.
// covers: D-1, D-3, R-2, A-2, C-9, T-1, Z-5, U-1 (real authorization server)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cold_start_dcr_pkce_resource_indicator_jwt_tool_call() {
    let s = servers();
    let store = MemoryStore::new();
    let c = client(s.mcp_url()).store(store.clone()).build().unwrap();

    let (status, init) = rpc(
        &c,
        &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": NAME, "version": "0"}}}),
    )
    .await;
    assert_eq!(status, 200, "{}", c.report().await);
    assert_eq!(init["result"]["serverInfo"]["name"], "mcp-oauth-interop-rs");
    let (status, _) = rpc(
        &c,
        &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    )
    .await;
    assert_eq!(status, 202);
    let (_, tools) = rpc(
        &c,
        &json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
    )
    .await;
    assert_eq!(tools["result"]["tools"][0]["name"], "echo");
    let (status, called) = rpc(&c, &echo("hello oidc-provider")).await;
    assert_eq!(status, 200);
    assert_eq!(
        called["result"]["content"][0]["text"],
        "hello oidc-provider"
    );
    assert_eq!(c.status().await, FlowStatus::Authorized);

    let st = s.stats().unwrap();
    assert_eq!(st.mcp("/mcp", 401), 1, "one challenge, then the token");
    assert_eq!(st.register(), 1);
    assert_eq!(st.authorize(), 1);
    assert_eq!(st.token_authorization_code(), 1);
    assert_eq!(st.token_refresh_token(), 0);
    let state = stored(&store, s.mcp_url());
    let client_id = state["registrations"][0]["client_id"].clone();
    assert!(client_id.is_string());
    assert_eq!(state["registrations"][0]["issuer"], s.issuer());
    assert!(
        state["tokens"]["refresh_token"].is_string(),
        "refresh token issued"
    );
    let accepted = st.accepted_tokens();
    assert_eq!(accepted.len(), 4, "every MCP request carried a valid JWT");
    for t in &accepted {
        assert_eq!(t["aud"], s.mcp_url(), "audience is the MCP resource");
        assert_eq!(t["iss"], s.issuer());
        assert_eq!(t["client_id"], client_id);
        assert!(t["scope"].as_str().unwrap().contains("mcp:tools"));
    }
    assert!(st.rejected_tokens().is_empty());

    // What the client sent, as the provider parsed it.
    let reg = &st.registrations()[0];
    assert_eq!(reg["status"], 201);
    assert_eq!(reg["redirect_uris"], json!([c.redirect_uri().await]));
    assert_eq!(reg["token_endpoint_auth_method"], "none");
    assert_eq!(
        reg["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    let auth = &st.authorization_requests()[0];
    assert_eq!(auth["response_type"], "code");
    assert_eq!(auth["code_challenge_method"], "S256");
    assert_eq!(
        (
            auth["has_code_challenge"].clone(),
            auth["has_state"].clone()
        ),
        (json!(true), json!(true))
    );
    assert_eq!(
        auth["resource"],
        s.mcp_url(),
        "RFC 8707 resource on the authorization request"
    );
    // the PRM's scope plus `offline_access`, which the provider lists.
    assert_eq!(auth["sent_scope"], "mcp:tools offline_access");
    let tok = &st.token_requests()[0];
    assert_eq!(tok["grant_type"], "authorization_code");
    assert_eq!(tok["has_code_verifier"], true);
    assert_eq!(
        tok["resource"],
        s.mcp_url(),
        "RFC 8707 resource on the token request"
    );

    // The resource server really checks signatures: the same JWT with a flipped signature
    // character is refused, with a challenge pointing at the PRM.
    let jwt = state["tokens"]["access_token"].as_str().unwrap();
    let (status, challenge) = s.post_with_bearer(s.mcp_url(), &tamper(jwt)).unwrap();
    assert_eq!(status, 401);
    let challenge = challenge.unwrap();
    assert!(challenge.starts_with("Bearer "), "{challenge}");
    assert!(challenge.contains("error=\"invalid_token\""), "{challenge}");
    assert!(challenge.contains("resource_metadata="), "{challenge}");
    assert_eq!(
        s.stats().unwrap().rejected_tokens(),
        ["ERR_JWS_SIGNATURE_VERIFICATION_FAILED"]
    );
}

/// `jwt` with the first character of its signature changed.
fn tamper(jwt: &str) -> String {
    let (head, sig) = jwt.rsplit_once('.').unwrap();
    let mut sig: Vec<char> = sig.chars().collect();
    sig[0] = if sig[0] == 'A' { 'B' } else { 'A' };
    format!("{head}.{}", sig.into_iter().collect::<String>())
}

/// Refresh with rotation: after expiry (the adapter's clock moved past the JWT's `exp`) the
/// client refreshes once, stores the rotated refresh token and uses the new access token; the
/// spent refresh token is rejected by the provider when replayed. oidc-provider treats that
/// replay as theft and revokes the grant, so the next refresh fails and the client must fall
/// back to a fresh authorization, which it does.
// covers: U-8, F-3, F-5, D-15 (real authorization server)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_rotates_and_the_old_refresh_token_is_rejected() {
    let s = servers();
    let store = MemoryStore::new();
    let clock = OffsetClock::new();
    let c = client(s.mcp_url())
        .store(store.clone())
        .clock(clock.clone())
        .build()
        .unwrap();
    assert_eq!(rpc(&c, &echo("one")).await.0, 200);
    let before = stored(&store, s.mcp_url());
    let rt0 = before["tokens"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let client_id = before["registrations"][0]["client_id"]
        .as_str()
        .unwrap()
        .to_owned();

    clock.advance(Duration::from_secs(600));
    assert_eq!(rpc(&c, &echo("two")).await.0, 200, "{}", c.report().await);
    let st = s.stats().unwrap();
    assert_eq!(st.token_refresh_token(), 1);
    assert_eq!(st.authorize(), 1, "no new authorization");
    let refresh = &st.token_requests()[1];
    assert_eq!(refresh["grant_type"], "refresh_token");
    assert_eq!(
        refresh["resource"],
        s.mcp_url(),
        "RFC 8707 resource on the refresh"
    );
    let after = stored(&store, s.mcp_url());
    let rt1 = after["tokens"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(rt0, rt1, "the provider rotated the refresh token");
    assert_ne!(
        before["tokens"]["access_token"],
        after["tokens"]["access_token"]
    );
    let accepted = st.accepted_tokens();
    assert_eq!(accepted.len(), 2);
    assert_ne!(accepted[0]["jti"], accepted[1]["jti"], "a new JWT was used");

    // The spent refresh token is refused.
    let (status, body) = s
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt0),
            ("client_id", &client_id),
        ])
        .unwrap();
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    // Reuse detection revoked the grant: the next refresh fails and the client re-authorizes.
    clock.advance(Duration::from_secs(600));
    assert_eq!(rpc(&c, &echo("three")).await.0, 200, "{}", c.report().await);
    let st = s.stats().unwrap();
    assert_eq!(
        st.token_refresh_token(),
        3,
        "replay + the client's failed refresh"
    );
    assert_eq!(st.authorize(), 2, "fell back to a new authorization");
    assert_eq!(st.register(), 1, "the registration was kept");
    let errors = st.token_errors();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors.iter().all(|e| e["error"] == "invalid_grant"));
}

/// A mix-up: the PRM names an authorization server whose metadata claims issuer X but whose
/// endpoints are oidc-provider's, which answers with its own `iss`. The flow must refuse the
/// authorization response (RFC 9207 §2.4) and never send the code to a token endpoint.
// covers: C-9, C-10 (real authorization server)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_iss_is_refused_without_a_token_request() {
    let s = servers();
    let c = client(s.mixup_mcp_url()).build().unwrap();
    let err = c.post_json(&echo("never")).await.unwrap_err();
    match &err {
        Error::Flow(e) => assert!(
            matches!(
                e.kind(),
                FlowErrorKind::Redirect(RedirectError::IssuerMismatch)
            ),
            "{e:?}"
        ),
        other => panic!("expected an iss mismatch, got {other:?}"),
    }
    let st = s.stats().unwrap();
    assert!(st.mixup_metadata() >= 1, "the mix-up metadata was used");
    assert_eq!(st.register(), 1);
    assert_eq!(st.authorize(), 1, "the authorization response was reached");
    assert_eq!(st.token_total(), 0, "no token request");
    assert!(st.accepted_tokens().is_empty());
    assert_ne!(c.status().await, FlowStatus::Authorized);
    assert_eq!(
        s.mixup_issuer(),
        format!("{}/mixup", s.mcp_url().trim_end_matches("/mcp"))
    );
}

/// A clock that never moves: the client believes its token is fresh, so only the resource
/// server's own `exp` check can notice that it is not.
#[derive(Debug)]
struct Frozen(Timestamp);

impl Clock for Frozen {
    fn now(&self) -> Timestamp {
        self.0
    }
}

/// Server-side expiry: the provider issues 5-second JWTs; once one has expired the resource
/// server answers 401 `invalid_token` (its `exp` check), and the client refreshes once
/// (rotating the refresh token) and retries with the new JWT.
// covers: D-15, F-3, F-5 (real authorization server, real `exp`)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_jwt_gets_401_then_one_refresh_and_a_retry() {
    let s = OidcServers::start_with(&[("ACCESS_TOKEN_TTL", "5")]).unwrap_or_else(|e| panic!("{e}"));
    let store = MemoryStore::new();
    let c = client(s.mcp_url())
        .store(store.clone())
        .clock(Frozen(Timestamp::from(std::time::SystemTime::now())))
        .build()
        .unwrap();
    assert_eq!(rpc(&c, &echo("fresh")).await.0, 200, "{}", c.report().await);
    let rt0 = stored(&store, s.mcp_url())["tokens"]["refresh_token"].clone();
    // Wait until the JWT's `exp` (whole seconds) has certainly passed on the server.
    let wait = until_expired(&s.stats().unwrap().accepted_tokens()[0]);
    tokio::time::sleep(wait).await;
    assert_eq!(
        rpc(&c, &echo("expired")).await.0,
        200,
        "{}",
        c.report().await
    );
    let st = s.stats().unwrap();
    assert_eq!(
        st.mcp("/mcp", 401),
        2,
        "the initial challenge and the expired JWT"
    );
    assert_eq!(
        st.rejected_tokens(),
        ["ERR_JWT_EXPIRED"],
        "the JWT was sent and expired"
    );
    assert_eq!(st.token_refresh_token(), 1);
    assert_eq!(st.authorize(), 1, "refreshed, not re-authorized");
    assert_ne!(stored(&store, s.mcp_url())["tokens"]["refresh_token"], rt0);
    assert_eq!(st.accepted_tokens().len(), 2);
}

/// How long until the token with these claims is past its `exp` by a safe second.
fn until_expired(claims: &Value) -> Duration {
    let exp = Duration::from_secs(claims["exp"].as_u64().unwrap() + 1);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    exp.saturating_sub(now)
}
