//! The adapter against the fixture servers over real loopback sockets.
//!
//! Scenario list (the same names as the async twin, `mcp-oauth-reqwest`): cold start, warm start from the
//! file store, proactive refresh, refresh rotation, 50 concurrent requests at expiry (client-
//! and server-side), step-up, two clients sharing a file store, failures (5xx, timeout,
//! garbage, oversized) with the stored state intact, and origin rules.

use core::time::Duration;

use mcp_oauth_core::flow::{FlowErrorKind, RequestPurpose, TransportError};
use mcp_oauth_fixtures::{FixtureConfig, Fixtures, Misbehaviour, RouteKind};
use mcp_oauth_ureq::{
    AuthorizedClient, Error, FileStore, Limits, MemoryStore, OffsetClock, RedirectFollower,
    StoreKey, TokenStore,
};
use serde_json::{Value, json};

const NAME: &str = "adapter test";

fn echo() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
           "params": {"name": "echo", "arguments": {"text": "hi"}}})
}

fn write_tool() -> Value {
    json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
           "params": {"name": "write", "arguments": {}}})
}

fn client(fx: &Fixtures) -> mcp_oauth_ureq::AuthorizedClientBuilder {
    AuthorizedClient::builder(fx.mcp_url())
        .client_name(NAME)
        .follow_redirects(RedirectFollower::new())
}

fn call(c: &AuthorizedClient, body: &Value) -> Value {
    let mut r = c.post_json(body).unwrap();
    assert_eq!(r.status(), 200);
    serde_json::from_slice(&r.body_mut().read_to_vec().unwrap()).unwrap()
}

fn stored(store: &dyn TokenStore, fx: &Fixtures) -> Value {
    let e = store
        .load(&StoreKey::new(fx.mcp_url(), NAME))
        .unwrap()
        .expect("an entry is stored");
    serde_json::to_value(&e.state).unwrap()
}

// covers: D-1, D-3, R-2, C-1, T-1, U-1
#[test]
fn cold_start_runs_the_whole_flow_and_retries_once() {
    let fx = Fixtures::start_blocking(FixtureConfig::default()).unwrap();
    let c = client(&fx).build().unwrap();
    let v = call(&c, &echo());
    assert_eq!(v["result"]["isError"], json!(false));
    let s = fx.stats();
    assert_eq!((s.mcp(401), s.mcp(200)), (1, 1));
    assert_eq!(s.prm, 1);
    assert_eq!(s.as_metadata, 1);
    assert_eq!(s.register, 1);
    assert_eq!(s.authorize, 1);
    assert_eq!(s.token_authorization_code, 1);
    // The redirect URI registered is the loopback one the client chose.
    let reg: Vec<_> = fx
        .registered_clients()
        .into_iter()
        .filter(|r| r.dynamic)
        .collect();
    assert_eq!(reg.len(), 1);
    assert_eq!(reg[0].redirect_uris, vec![c.redirect_uri()]);
}

// covers: F-4 (persisted before use), U-5
#[test]
fn warm_start_from_the_file_store_makes_zero_discovery_requests() {
    let fx = Fixtures::start_blocking(FixtureConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let first = client(&fx).store(FileStore::new(&path)).build().unwrap();
    call(&first, &echo());
    let redirect = first.redirect_uri();
    drop(first);

    fx.reset_stats();
    let second = client(&fx).store(FileStore::new(&path)).build().unwrap();
    assert_eq!(second.redirect_uri(), redirect, "registered port reused");
    call(&second, &echo());
    let s = fx.stats();
    assert_eq!(
        (
            s.prm,
            s.as_metadata,
            s.register,
            s.authorize,
            s.token_total()
        ),
        (0, 0, 0, 0, 0)
    );
    assert_eq!((s.mcp(401), s.mcp(200)), (0, 1));
}

// covers: U-8 (renew ahead of expiry)
#[test]
fn proactive_refresh_before_expiry() {
    let fx = Fixtures::start_blocking(FixtureConfig::default()).unwrap();
    let clock = OffsetClock::new();
    let c = client(&fx).clock(clock.clone()).build().unwrap();
    call(&c, &echo());
    fx.reset_stats();
    // 30 s before expiry: inside the 60 s renewal margin, still valid.
    clock.advance(Duration::from_secs(3600 - 30));
    call(&c, &echo());
    let s = fx.stats();
    assert_eq!(s.token_refresh_token, 1);
    assert_eq!((s.mcp(401), s.mcp(200)), (0, 1), "no 401 was needed");
}

// covers: F-3, F-5 (rotated refresh token replaces the old one; never reused)
#[test]
fn refresh_rotation_stores_and_uses_the_new_refresh_token() {
    let fx =
        Fixtures::start_blocking(FixtureConfig::default().rotate_refresh_tokens(true)).unwrap();
    let store = MemoryStore::new();
    let clock = OffsetClock::new();
    let c = client(&fx)
        .store(store.clone())
        .clock(clock.clone())
        .build()
        .unwrap();
    call(&c, &echo());
    let rt0 = stored(&store, &fx)["tokens"]["refresh_token"].clone();
    for _ in 0..2 {
        clock.advance(Duration::from_secs(3600));
        call(&c, &echo());
    }
    let rt2 = stored(&store, &fx)["tokens"]["refresh_token"].clone();
    assert_ne!(rt0, rt2);
    let sent: Vec<String> = fx
        .requests_for(RouteKind::Token)
        .iter()
        .filter_map(|r| r.form_param("refresh_token"))
        .collect();
    assert_eq!(sent.len(), 2);
    assert_ne!(
        sent[0], sent[1],
        "each refresh used the newest refresh token"
    );
    assert_eq!(fx.stats().token_refresh_token, 2);
}

fn fifty_at_once(c: &AuthorizedClient) {
    let threads: Vec<_> = (0..50)
        .map(|_| {
            let c = c.clone();
            std::thread::spawn(move || c.post_json(&echo()).map(|r| r.status().as_u16()))
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap().unwrap(), 200);
    }
}

// covers: single-flight refresh (client-side expiry)
#[test]
fn fifty_concurrent_requests_at_expiry_cause_exactly_one_refresh() {
    let fx = Fixtures::start_blocking(FixtureConfig::default()).unwrap();
    let clock = OffsetClock::new();
    let c = client(&fx).clock(clock.clone()).build().unwrap();
    call(&c, &echo());
    fx.reset_stats();
    clock.advance(Duration::from_secs(3600 + 1));
    fifty_at_once(&c);
    let s = fx.stats();
    assert_eq!(s.token_refresh_token, 1);
    assert_eq!(s.mcp(200), 50);
}

// covers: D-15 (401 with a token → one refresh), single flight on 401s
#[test]
fn fifty_concurrent_401s_after_server_side_expiry_cause_exactly_one_refresh() {
    let fx = Fixtures::start_blocking(FixtureConfig::default()).unwrap();
    let c = client(&fx).build().unwrap();
    call(&c, &echo());
    fx.expire_access_tokens();
    fx.reset_stats();
    fifty_at_once(&c);
    let s = fx.stats();
    assert_eq!(s.token_refresh_token, 1);
    assert_eq!(s.authorize, 0);
    assert_eq!(s.mcp(200), 50);
}

// covers: S-4, S-5 (step-up with the union of scopes, then retry)
#[test]
fn insufficient_scope_steps_up_and_retries() {
    let fx = Fixtures::start_blocking(FixtureConfig::default()).unwrap();
    let c = client(&fx).build().unwrap();
    call(&c, &echo());
    let v = call(&c, &write_tool());
    assert_eq!(v["result"]["content"][0]["text"], json!("written"));
    let s = fx.stats();
    assert_eq!(s.mcp(403), 1);
    assert_eq!(s.authorize, 2);
    let scopes = fx.authorizations()[1].scope.clone().unwrap();
    assert!(scopes.contains("mcp:basic") && scopes.contains("mcp:write"));
}

// covers: two processes never spend the same refresh token (store lock + re-read)
#[test]
fn two_clients_sharing_a_file_store_refresh_once() {
    let fx = Fixtures::start_blocking(FixtureConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let a_clock = OffsetClock::new();
    let b_clock = OffsetClock::new();
    let a = client(&fx)
        .store(FileStore::new(&path))
        .clock(a_clock.clone())
        .build()
        .unwrap();
    call(&a, &echo());
    let b = client(&fx)
        .store(FileStore::new(&path))
        .clock(b_clock.clone())
        .build()
        .unwrap();
    fx.reset_stats();
    a_clock.advance(Duration::from_secs(3600 + 1));
    b_clock.advance(Duration::from_secs(3600 + 1));
    call(&a, &echo());
    call(&b, &echo()); // finds A's fresh tokens in the store instead of refreshing
    let s = fx.stats();
    assert_eq!(s.token_refresh_token, 1);
    assert_eq!(s.mcp(200), 2);
}

/// Authorize with a file store, break the token route, expire the token server-side, and
/// check the typed error and that the stored entry is byte-for-byte the same.
fn failing_refresh(misbehaviour: Misbehaviour, limits: Limits) -> Error {
    let fx = Fixtures::start_blocking(FixtureConfig::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let c = client(&fx)
        .store(FileStore::new(&path))
        .limits(limits)
        .build()
        .unwrap();
    call(&c, &echo());
    let before = std::fs::read(&path).unwrap();
    fx.set_misbehaviour(RouteKind::Token, misbehaviour);
    fx.expire_access_tokens();
    let err = c.post_json(&echo()).unwrap_err();
    assert_eq!(std::fs::read(&path).unwrap(), before, "stored state intact");
    // And the client recovers once the server behaves.
    fx.clear_misbehaviours();
    call(&c, &echo());
    err
}

fn flow_kind(e: &Error) -> &FlowErrorKind {
    match e {
        Error::Flow(f) => f.kind(),
        other => panic!("expected a flow error, got {other:?}"),
    }
}

// covers: P-5 (5xx is an error, no silent fallback)
#[test]
fn token_endpoint_5xx_is_a_typed_error_and_keeps_the_store() {
    let e = failing_refresh(Misbehaviour::server_error(1), Limits::default());
    // The core classifies a non-JSON 503 from the token endpoint as a token-response error
    // that carries the status.
    match flow_kind(&e) {
        FlowErrorKind::ServerError { status, .. } => assert_eq!(*status, 503),
        FlowErrorKind::Token(t) => assert!(format!("{t:?}").contains("503"), "{t:?}"),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn token_endpoint_timeout_is_a_typed_error_and_keeps_the_store() {
    let limits = Limits::default().total_timeout(Duration::from_millis(300));
    let e = failing_refresh(Misbehaviour::Delay(Duration::from_secs(2)), limits);
    assert!(matches!(
        flow_kind(&e),
        FlowErrorKind::Transport {
            purpose: RequestPurpose::Refresh,
            error: TransportError::Timeout
        }
    ));
}

#[test]
fn token_endpoint_garbage_is_a_typed_error_and_keeps_the_store() {
    let e = failing_refresh(Misbehaviour::GarbageBody, Limits::default());
    assert!(matches!(flow_kind(&e), FlowErrorKind::Token(_)), "{e:?}");
}

// covers: Z-13 (body cap)
#[test]
fn token_endpoint_oversized_body_is_a_typed_error_and_keeps_the_store() {
    let e = failing_refresh(Misbehaviour::oversized(), Limits::default());
    assert!(matches!(
        flow_kind(&e),
        FlowErrorKind::Transport {
            purpose: RequestPurpose::Refresh,
            error: TransportError::TooLarge
        }
    ));
}

// covers: P-5 on a cold start (discovery 5xx)
#[test]
fn metadata_5xx_on_a_cold_start_is_a_typed_error() {
    let fx = Fixtures::start_blocking(FixtureConfig::default().misbehave(
        RouteKind::AuthorizationServerMetadata,
        // One answer more than the metadata GET's retries (batteries::retry): still an error.
        Misbehaviour::server_error(1 + Limits::default().max_retries),
    ))
    .unwrap();
    let store = MemoryStore::new();
    let c = client(&fx).store(store.clone()).build().unwrap();
    let e = c.post_json(&echo()).unwrap_err();
    assert!(matches!(
        flow_kind(&e),
        FlowErrorKind::ServerError {
            purpose: RequestPurpose::AuthorizationServerMetadata,
            status: 503
        }
    ));
    // The next request starts again and succeeds.
    call(&c, &echo());
}

// covers: U-4 (token only to its origin), P-14 (no cross-origin redirects)
#[test]
fn the_token_never_leaves_the_mcp_origin() {
    let fx = Fixtures::start_blocking(FixtureConfig::default()).unwrap();
    let c = client(&fx).build().unwrap();
    call(&c, &echo());
    let foreign = c
        .request(ureq::http::Method::POST, fx.decoy_origin())
        .body(Vec::new())
        .unwrap();
    assert!(matches!(c.send(foreign), Err(Error::ForeignOrigin)));
    fx.set_misbehaviour(RouteKind::Mcp, Misbehaviour::redirect_elsewhere());
    let r = c.post_json(&echo()).unwrap();
    assert!(
        r.status().is_redirection(),
        "cross-origin redirect returned, not followed"
    );
    assert_eq!(fx.stats().decoy, 0);
}

// covers: the interactive step's typed error
#[test]
fn a_refused_interaction_is_a_typed_error_and_the_next_attempt_starts_fresh() {
    let fx = Fixtures::start_blocking(FixtureConfig::default()).unwrap();
    let c = AuthorizedClient::builder(fx.mcp_url())
        .client_name(NAME)
        .interaction(mcp_oauth_ureq::Interaction::callback(|_| {
            Err(mcp_oauth_ureq::InteractionError::Other(
                "user said no".into(),
            ))
        }))
        .build()
        .unwrap();
    for _ in 0..2 {
        let e = c.post_json(&echo()).unwrap_err();
        assert!(matches!(e, Error::Interaction(_)), "{e:?}");
    }
    assert_eq!(fx.stats().authorize, 0);
}

// ------------------------------------------------------------------------------------------
// Beyond the shared list: the blocking follower and the OAuth executor's redirect rules.
// ------------------------------------------------------------------------------------------

// covers: the non-interactive follower keeps the AS session cookie across its own redirects
#[test]
fn multi_hop_consent_is_followed_with_the_cookie_jar() {
    let fx = Fixtures::start_blocking(
        FixtureConfig::default().consent(mcp_oauth_fixtures::ConsentMode::MultiHop),
    )
    .unwrap();
    let c = client(&fx).build().unwrap();
    call(&c, &echo());
    let s = fx.stats();
    assert_eq!((s.authorize, s.login, s.consent), (1, 1, 1));
    let consent = fx.requests_for(RouteKind::Consent);
    assert!(consent[0].header("cookie").is_some(), "session cookie sent");
}

// covers: P-14, T-11 (token POSTs never follow a redirect)
#[test]
fn a_redirect_from_the_token_endpoint_is_not_followed() {
    let fx = Fixtures::start_blocking(
        FixtureConfig::default().misbehave(RouteKind::Token, Misbehaviour::redirect_elsewhere()),
    )
    .unwrap();
    let c = client(&fx).build().unwrap();
    let e = c.post_json(&echo()).unwrap_err();
    // The 307 reaches the flow as it is (no JSON token response: refused).
    assert!(matches!(flow_kind(&e), FlowErrorKind::Token(_)), "{e:?}");
    let token_posts = fx.requests_for(RouteKind::Token).len();
    assert_eq!(token_posts, 1, "the code was sent once, not re-posted");
    assert_eq!(fx.stats().decoy, 0);
}

// covers: metadata GETs follow same-origin redirects only
#[test]
fn a_cross_origin_metadata_redirect_is_not_followed() {
    let fx = Fixtures::start_blocking(FixtureConfig::default().misbehave(
        RouteKind::AuthorizationServerMetadata,
        Misbehaviour::redirect_elsewhere(),
    ))
    .unwrap();
    let c = client(&fx).build().unwrap();
    let e = c.post_json(&echo()).unwrap_err();
    assert!(matches!(e, Error::Flow(_)), "{e:?}");
    assert_eq!(fx.stats().decoy, 0);
    assert_eq!(fx.stats().token_total(), 0);
}

// covers: M-2, M-3, M-4, M-6 (the builder's client credentials option: no registration, no
// browser, a `client_credentials` grant with the pre-registered secret in a Basic header)
#[test]
fn client_credentials_option_uses_the_service_client_and_never_authorizes() {
    use mcp_oauth_core::flow::PreRegisteredClient;
    use mcp_oauth_core::secret::ClientSecret;
    let fx = Fixtures::start_blocking(FixtureConfig::default()).unwrap();
    let service = PreRegisteredClient::new(fx.issuer(), fx.service_client_id())
        .with_secret(ClientSecret::new(fx.service_client_secret().to_owned()));
    // No follower and no interaction: the default browser step must never be reached.
    let c = AuthorizedClient::builder(fx.mcp_url())
        .client_name(NAME)
        .client_credentials(service)
        .build()
        .unwrap();
    let v = call(&c, &echo());
    assert_eq!(v["result"]["isError"], json!(false));
    let s = fx.stats();
    assert_eq!((s.mcp(401), s.mcp(200)), (1, 1));
    assert_eq!((s.prm, s.as_metadata), (1, 1));
    assert_eq!((s.register, s.authorize), (0, 0));
    assert_eq!(
        (s.token_client_credentials, s.token_authorization_code),
        (1, 0)
    );
    let token = fx.requests_for(RouteKind::Token);
    assert_eq!(token.len(), 1);
    assert_eq!(
        token[0].form_param("grant_type").as_deref(),
        Some("client_credentials")
    );
    assert!(
        token[0]
            .header("authorization")
            .is_some_and(|h| h.starts_with("Basic "))
    );
    assert_eq!(token[0].form_param("client_secret"), None);
}

/// The header and claims of a compact JWS, decoded.
fn jws_parts(jws: &str) -> (Value, Value) {
    use base64::Engine as _;
    let decode = |part: &str| -> Value {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part)
            .expect("base64url");
        serde_json::from_slice(&bytes).expect("json")
    };
    let mut parts = jws.split('.');
    let header = decode(parts.next().expect("header"));
    let claims = decode(parts.next().expect("claims"));
    assert!(parts.next().is_some_and(|s| !s.is_empty()), "a signature");
    (header, claims)
}

// covers: X-1 (a proof on every token request; RFC 9449 §5: a Bearer answer is used unbound)
#[test]
fn dpop_sends_a_proof_to_the_token_endpoint_and_uses_a_bearer_answer_as_bearer() {
    let fx = Fixtures::start_blocking(FixtureConfig::default()).unwrap();
    let c = client(&fx).dpop().build().unwrap();
    let v = call(&c, &echo());
    assert_eq!(v["result"]["isError"], json!(false));
    let token = fx.requests_for(RouteKind::Token);
    assert_eq!(token.len(), 1);
    let proof = token[0].header("dpop").expect("a DPoP proof");
    let (header, claims) = jws_parts(proof);
    assert_eq!(header["typ"], "dpop+jwt");
    assert_eq!(header["alg"], "ES256");
    assert!(header["jwk"].get("d").is_none());
    assert_eq!(claims["htm"], "POST");
    assert_eq!(claims["htu"], json!(fx.token_endpoint()));
    // The fixture issues Bearer tokens: MCP requests carry them as Bearer, without a proof.
    let mcp = fx.requests_for(RouteKind::Mcp);
    let last = mcp.last().expect("an MCP request");
    assert!(
        last.header("authorization")
            .is_some_and(|a| a.starts_with("Bearer "))
    );
    assert!(last.header("dpop").is_none());
}

// covers: F-3, U-5 (a warm-started client refreshes as the client that got the tokens)
#[test]
fn warm_start_then_refresh_at_expiry() {
    let fx = Fixtures::start_blocking(FixtureConfig::default()).unwrap();
    let store = MemoryStore::new();
    let first = client(&fx).store(store.clone()).build().unwrap();
    call(&first, &echo());
    drop(first);
    let clock = OffsetClock::new();
    let second = client(&fx)
        .store(store.clone())
        .clock(clock.clone())
        .build()
        .unwrap();
    fx.reset_stats();
    clock.advance(Duration::from_secs(3600 + 1));
    call(&second, &echo());
    let s = fx.stats();
    assert_eq!(s.token_refresh_token, 1);
    assert_eq!(
        (s.prm, s.as_metadata, s.register, s.authorize),
        (0, 0, 0, 0)
    );
    assert_eq!((s.mcp(401), s.mcp(200)), (0, 1));
}
