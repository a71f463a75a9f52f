//! Whole-flow scenarios on the virtual-clock harness; each transcript is an insta snapshot.

mod flow_support;

use std::time::Duration;

use flow_support::*;
use mcp_oauth_core::flow::{
    AuthFlow, ClientConfig, Event, FlowConfig, FlowErrorKind, FlowStatus, PreRegisteredClient,
    TransportError,
};
use mcp_oauth_core::metadata::ServerMetadataError;
use mcp_oauth_core::metadata::resource::ResourceMatch;
use mcp_oauth_core::registration::TokenEndpointAuthMethod;
use mcp_oauth_core::secret::ClientSecret;
use mcp_oauth_core::urls::UrlPolicy;
use mcp_oauth_core::{Entropy, Timestamp};

fn code_config() -> FlowConfig {
    FlowConfig::new(
        RS,
        ClientConfig::authorization_code("Test Client", REDIRECT),
    )
}

fn assert_no_secret_in_report(w: &World) {
    let report = w.flow.report().to_string();
    for needle in ["at-", "rt-", "test-auth-code", "secret"] {
        assert!(!report.contains(needle), "report leaks {needle}:\n{report}");
    }
}

// covers: D-1, D-4, P-2, P-3, A-3, R-14, R-15, R-16, K-1, K-6, K-7, Q-2, Q-4, T-2, T-7, U-1
#[test]
fn cold_flow_with_dynamic_registration() {
    let mut w = standard(code_config(), 3600, true);
    w.trap(
        "GET",
        "https://mcp.example.com/.well-known/oauth-protected-resource",
        "prm-priority-order",
    );
    w.challenge(challenge(401, None)).unwrap();
    assert_eq!(w.flow.status(), FlowStatus::Authorized);
    assert_eq!(
        w.flow.authorization_header(w.now).unwrap().as_str(),
        "Bearer at-1"
    );
    assert!(w.checks.passed("pkce-verifier-matches-challenge"));
    assert!(w.checks.failures().is_empty(), "{:?}", w.checks.failures());
    // P-2, A-15: no Authorization header on metadata requests.
    assert!(
        w.requests
            .iter()
            .filter(|r| r.method == "GET")
            .all(|r| r.header("authorization").is_none())
    );
    assert_no_secret_in_report(&w);
    insta::assert_snapshot!(w.transcript());
    insta::assert_snapshot!("cold_flow_report", w.flow.report().to_string());
}

// covers: D-3, D-11, S-1, S-3, Q-7
#[test]
fn challenge_pointer_and_scope_are_used_d3_d11() {
    let mut w = standard(code_config(), 3600, false);
    let custom = "https://mcp.example.com/custom/metadata/location.json";
    w.serve(
        "GET",
        custom,
        200,
        prm(RS, &[AS], Some(&["mcp:basic", "mcp:read"])),
    );
    w.trap("GET", PRM_URL, "prm-well-known-probed");
    w.challenge(challenge(
        401,
        Some(&format!(
            r#"Bearer resource_metadata="{custom}", scope="files:read""#
        )),
    ))
    .unwrap();
    let auth = w
        .requests
        .iter()
        .find(|r| r.url.starts_with("https://auth.example.com/authorize"))
        .unwrap();
    assert_eq!(auth.param("scope"), Some("files:read"));
    assert!(w.checks.failures().is_empty());
    insta::assert_snapshot!(w.transcript());
}

// covers: S-1, S-2, Q-7
#[test]
fn scope_from_prm_then_omitted_s1_s2() {
    let mut w = standard(code_config(), 3600, false);
    w.serve(
        "GET",
        PRM_URL,
        200,
        prm(RS, &[AS], Some(&["mcp:basic", "mcp:read"])),
    );
    w.challenge(challenge(401, None)).unwrap();
    let auth = w
        .requests
        .iter()
        .find(|r| r.url.contains("/authorize"))
        .unwrap();
    assert_eq!(auth.param("scope"), Some("mcp:basic mcp:read"));

    let mut w = standard(code_config(), 3600, false);
    let mut md = as_metadata(AS);
    md["scopes_supported"] = serde_json::json!(["x", "offline_access"]);
    w.serve("GET", AS_META, 200, md);
    w.challenge(challenge(401, None)).unwrap();
    let auth = w
        .requests
        .iter()
        .find(|r| r.url.contains("/authorize"))
        .unwrap();
    assert_eq!(
        auth.param("scope"),
        None,
        "S-2: never the AS scopes_supported"
    );
}

// covers: Q-9, R-17
#[test]
fn offline_access_only_when_listed_q9() {
    let mut w = standard(code_config(), 3600, true);
    let mut md = as_metadata(AS);
    md["scopes_supported"] = serde_json::json!(["mcp:basic", "offline_access"]);
    w.serve("GET", AS_META, 200, md);
    w.serve("GET", PRM_URL, 200, prm(RS, &[AS], Some(&["mcp:basic"])));
    w.challenge(challenge(401, None)).unwrap();
    let auth = w
        .requests
        .iter()
        .find(|r| r.url.contains("/authorize"))
        .unwrap();
    assert_eq!(auth.param("scope"), Some("mcp:basic offline_access"));
    let reg = w
        .requests
        .iter()
        .find(|r| r.url.ends_with("/register"))
        .unwrap();
    assert_eq!(
        reg.json.as_ref().unwrap()["grant_types"],
        serde_json::json!(["authorization_code", "refresh_token"])
    );

    let mut w = standard(code_config(), 3600, true);
    w.serve("GET", PRM_URL, 200, prm(RS, &[AS], Some(&["mcp:basic"])));
    w.challenge(challenge(401, None)).unwrap();
    let auth = w
        .requests
        .iter()
        .find(|r| r.url.contains("/authorize"))
        .unwrap();
    assert_eq!(auth.param("scope"), Some("mcp:basic"));
}

// covers: R-2, R-5, R-11, R-13
#[test]
fn client_id_metadata_document_used_r2() {
    let cimd = "https://client.example.com/client-metadata.json";
    let mut w = standard(code_config().client_id_metadata_document(cimd), 3600, false);
    let mut md = as_metadata(AS);
    md["client_id_metadata_document_supported"] = serde_json::json!(true);
    w.serve("GET", AS_META, 200, md);
    w.trap(
        "POST",
        "https://auth.example.com/register",
        "no-dcr-with-cimd",
    );
    w.challenge(challenge(401, None)).unwrap();
    assert_eq!(w.flow.status(), FlowStatus::Authorized);
    assert!(w.checks.failures().is_empty());
    let token = w
        .requests
        .iter()
        .find(|r| r.url.ends_with("/token"))
        .unwrap();
    assert_eq!(token.param("client_id"), Some(cimd));
    insta::assert_snapshot!(w.transcript());
}

// covers: R-3, T-4, T-5
#[test]
fn pre_registered_client_basic_auth_r3() {
    let config = code_config().pre_registered(
        PreRegisteredClient::new(AS, "pre-registered-client")
            .with_secret(ClientSecret::new("pre-registered-secret".into())),
    );
    let mut w = standard(config, 3600, false);
    let mut md = as_metadata(AS);
    md.as_object_mut().unwrap().remove("registration_endpoint");
    md["token_endpoint_auth_methods_supported"] = serde_json::json!(["client_secret_basic"]);
    w.serve("GET", AS_META, 200, md);
    w.challenge(challenge(401, None)).unwrap();
    let token = w
        .requests
        .iter()
        .find(|r| r.url.ends_with("/token"))
        .unwrap();
    assert!(token.header("authorization").unwrap().starts_with("Basic "));
    assert_eq!(token.param("client_secret"), None);
    insta::assert_snapshot!(w.transcript());
}

// covers: R-4, P-12
#[test]
fn pre_registered_for_other_issuer_is_refused_r4() {
    let config =
        code_config()
            .dynamic_registration(false)
            .pre_registered(PreRegisteredClient::new(
                "https://other-as.example.com",
                "elsewhere",
            ));
    let mut w = standard(config, 3600, false);
    let err = w.challenge(challenge(401, None)).unwrap_err();
    assert!(err.contains("bound to another"), "{err}");
    assert_eq!(w.count("GET", "https://auth.example.com/authorize"), 0);
    assert_eq!(w.count("POST", "https://auth.example.com/token"), 0);
}

// covers: M-2, M-4, M-6, M-8, T-10
#[test]
fn client_credentials_basic_and_reacquire_m8() {
    let config = FlowConfig::new(RS, ClientConfig::client_credentials()).pre_registered(
        PreRegisteredClient::unbound("cc-client")
            .with_secret(ClientSecret::new("cc-secret".into()))
            .with_auth_method(TokenEndpointAuthMethod::ClientSecretBasic),
    );
    let mut w = standard(config, 600, false);
    w.trap("POST", "https://auth.example.com/register", "no-dcr");
    w.start();
    assert_eq!(w.flow.status(), FlowStatus::Authorized);
    let token = w
        .requests
        .iter()
        .find(|r| r.url.ends_with("/token"))
        .unwrap();
    assert_eq!(token.param("grant_type"), Some("client_credentials"));
    assert_eq!(token.param("resource"), Some(RS));
    assert!(token.header("authorization").unwrap().starts_with("Basic "));
    // M-8: re-acquired at expiry − margin, without a browser.
    assert_eq!(
        w.flow.poll_timeout(),
        Some(Timestamp::from_unix_seconds(T0 + 600 - 60))
    );
    assert!(w.fire_timeout());
    assert_eq!(w.count("POST", "https://auth.example.com/token"), 2);
    assert_eq!(
        w.flow.authorization_header(w.now).unwrap().as_str(),
        "Bearer at-2"
    );
    assert!(!w.events.iter().any(|e| e == "OpenAuthorizationUrl"));
    // client_secret_post when the AS lists only that.
    let config = FlowConfig::new(RS, ClientConfig::client_credentials()).pre_registered(
        PreRegisteredClient::unbound("cc-client")
            .with_secret(ClientSecret::new("cc-secret".into())),
    );
    let mut w2 = standard(config, 600, false);
    let mut md = as_metadata(AS);
    md["token_endpoint_auth_methods_supported"] = serde_json::json!(["client_secret_post"]);
    w2.serve("GET", AS_META, 200, md);
    w2.start();
    let token = w2
        .requests
        .iter()
        .find(|r| r.url.ends_with("/token"))
        .unwrap();
    assert_eq!(token.param("client_secret"), Some("cc-secret"));
    assert!(token.header("authorization").is_none());
    insta::assert_snapshot!(w.transcript());
}

// covers: S-4, S-5, S-6, S-7, K-4
#[test]
fn step_up_then_retry_limit_s6() {
    let mut w = standard(code_config(), 3600, false);
    w.challenge(challenge(401, Some(r#"Bearer scope="mcp:basic""#)))
        .unwrap();
    w.resource_success();
    w.challenge(challenge(
        403,
        Some(r#"Bearer error="insufficient_scope", scope="mcp:basic mcp:write""#),
    ))
    .unwrap();
    let scopes: Vec<_> = w
        .requests
        .iter()
        .filter(|r| r.url.contains("/authorize"))
        .map(|r| r.param("scope").unwrap_or("").to_string())
        .collect();
    assert_eq!(scopes, ["mcp:basic", "mcp:basic mcp:write"]);
    // The server keeps refusing: at most 3 authorization requests until a success.
    for _ in 0..5 {
        let _ = w.challenge(challenge(
            403,
            Some(r#"Bearer error="insufficient_scope", scope="mcp:admin""#),
        ));
    }
    assert_eq!(w.count("GET", "https://auth.example.com/authorize"), 4);
    assert_eq!(w.flow.status(), FlowStatus::Failed);
    assert!(w.events.iter().any(|e| e.contains("gave up after 3")));
    insta::assert_snapshot!(w.transcript());
}

// covers: D-17
#[test]
fn other_403_starts_nothing_d17() {
    let mut w = standard(code_config(), 3600, false);
    let err = w.challenge(challenge(403, None)).unwrap_err();
    assert!(err.contains("403"), "{err}");
    assert!(w.requests.is_empty());
    let err = w.challenge(challenge(500, None)).unwrap_err();
    assert!(err.contains("not an authorization challenge"));
    assert_eq!(w.flow.status(), FlowStatus::Idle);
}

// covers: D-15, F-1, F-3
#[test]
fn unauthorized_ladder_refresh_reauth_terminal_d15() {
    let mut w = standard(code_config(), 3600, true);
    w.challenge(challenge(401, None)).unwrap();
    assert_eq!(w.flow.status(), FlowStatus::Authorized);
    // 401 with a token → one refresh.
    w.challenge(challenge(401, Some(r#"Bearer error="invalid_token""#)))
        .unwrap();
    let refresh = w
        .requests
        .iter()
        .filter(|r| r.param("grant_type") == Some("refresh_token"))
        .count();
    assert_eq!(refresh, 1);
    // Another 401 → full authorization.
    w.challenge(challenge(401, Some(r#"Bearer error="invalid_token""#)))
        .unwrap();
    assert_eq!(w.count("GET", "https://auth.example.com/authorize"), 2);
    // Another → terminal, no further requests.
    let before = w.requests.len();
    let err = w
        .challenge(challenge(401, Some(r#"Bearer error="invalid_token""#)))
        .unwrap_err();
    assert!(err.contains("rejects freshly issued tokens"), "{err}");
    assert_eq!(w.requests.len(), before);
    insta::assert_snapshot!(w.transcript());
}

// covers: U-8, F-3, F-6, F-9, V-9
#[test]
fn refresh_timer_rotation_keep_old_rt_invalid_grant_and_clock_jumps() {
    let mut w = standard(code_config(), 600, true);
    w.challenge(challenge(401, None)).unwrap();
    let t1 = Timestamp::from_unix_seconds(T0 + 600 - 60);
    assert_eq!(w.flow.poll_timeout(), Some(t1));
    // The token is still usable inside the margin.
    assert!(
        w.flow
            .access_token(Timestamp::from_unix_seconds(T0 + 590))
            .is_some()
    );
    assert!(
        w.flow
            .access_token(Timestamp::from_unix_seconds(T0 + 600))
            .is_none()
    );
    // Clock jumps backwards: nothing fires early.
    w.set_clock(Timestamp::from_unix_seconds(T0 - 3600));
    w.flow.handle_timeout(w.now);
    assert!(w.flow.poll_request().is_none());
    w.set_clock(Timestamp::from_unix_seconds(T0));
    // Rotation: the refresh returns rt-2.
    assert!(w.fire_timeout());
    let last = w.requests.last().unwrap();
    assert_eq!(last.param("grant_type"), Some("refresh_token"));
    assert_eq!(last.param("refresh_token"), Some("rt-1"));
    assert_eq!(last.param("resource"), Some(RS));
    // A refresh that returns no refresh token keeps the old one (F-3).
    w.route(
        "POST",
        "https://auth.example.com/token",
        Box::new(|_| json(200, serde_json::json!({"access_token": "at-9", "token_type": "Bearer", "expires_in": 600}))),
    );
    assert!(w.fire_timeout());
    assert_eq!(
        w.flow.authorization_header(w.now).unwrap().as_str(),
        "Bearer at-9"
    );
    assert!(w.fire_timeout());
    assert_eq!(
        w.requests.last().unwrap().param("refresh_token"),
        Some("rt-2")
    );
    // invalid_grant → tokens dropped, a new authorization starts (F-6).
    w.route(
        "POST",
        "https://auth.example.com/token",
        Box::new(|req: &Req| {
            if req.param("grant_type") == Some("refresh_token") {
                json(400, serde_json::json!({"error": "invalid_grant"}))
            } else {
                json(
                    200,
                    serde_json::json!({"access_token": "at-new", "token_type": "Bearer"}),
                )
            }
        }),
    );
    assert!(w.fire_timeout());
    assert_eq!(w.count("GET", "https://auth.example.com/authorize"), 2);
    assert_eq!(
        w.flow.authorization_header(w.now).unwrap().as_str(),
        "Bearer at-new"
    );
    // No expiry, no refresh token: no timer.
    assert_eq!(w.flow.poll_timeout(), None);
    insta::assert_snapshot!(w.transcript());
}

// covers: B-1, B-2, B-3, B-5, B-7, A-18
#[test]
fn legacy_with_metadata_on_origin_g1() {
    let config = code_config().protocol_version("2025-03-26");
    let mut w = World::new(config);
    let challenge_slot = std::rc::Rc::new(std::cell::RefCell::new(None));
    let mut md = as_metadata("https://mcp.example.com/oauth");
    md["authorization_endpoint"] = serde_json::json!("https://mcp.example.com/oauth/authorize");
    md["token_endpoint"] = serde_json::json!("https://mcp.example.com/oauth/token");
    md["registration_endpoint"] = serde_json::json!("https://mcp.example.com/oauth/register");
    w.serve(
        "GET",
        "https://mcp.example.com/.well-known/oauth-authorization-server",
        200,
        md,
    );
    w.serve(
        "POST",
        "https://mcp.example.com/oauth/register",
        201,
        serde_json::json!({"client_id": "legacy", "token_endpoint_auth_method": "none"}),
    );
    w.route(
        "GET",
        "https://mcp.example.com/oauth/authorize",
        authorize_endpoint(challenge_slot.clone(), None),
    );
    w.route(
        "POST",
        "https://mcp.example.com/oauth/token",
        token_endpoint(w.checks.clone(), challenge_slot, 3600, false),
    );
    w.trap(
        "GET",
        "https://mcp.example.com/authorize",
        "legacy-default-used",
    );
    w.challenge(challenge(401, None)).unwrap();
    assert_eq!(w.flow.status(), FlowStatus::Authorized);
    assert!(w.checks.failures().is_empty());
    let meta = w
        .requests
        .iter()
        .find(|r| r.url.ends_with("oauth-authorization-server"))
        .unwrap();
    assert_eq!(meta.header("mcp-protocol-version"), Some("2025-03-26"));
    let auth = w
        .requests
        .iter()
        .find(|r| r.url.contains("/oauth/authorize"))
        .unwrap();
    assert_eq!(auth.param("resource"), Some(RS));
    insta::assert_snapshot!(w.transcript());
}

// covers: B-4, B-8
#[test]
fn legacy_default_endpoints_b4() {
    let mut w = World::new(code_config());
    let slot = std::rc::Rc::new(std::cell::RefCell::new(None));
    w.serve(
        "POST",
        "https://mcp.example.com/register",
        201,
        serde_json::json!({"client_id": "legacy", "token_endpoint_auth_method": "none"}),
    );
    w.route(
        "GET",
        "https://mcp.example.com/authorize",
        authorize_endpoint(slot.clone(), None),
    );
    w.route(
        "POST",
        "https://mcp.example.com/token",
        token_endpoint(w.checks.clone(), slot, 3600, false),
    );
    w.challenge(challenge(401, None)).unwrap();
    assert_eq!(w.flow.status(), FlowStatus::Authorized);
    assert_eq!(w.flow.issuer(), Some("https://mcp.example.com"));
    insta::assert_snapshot!(w.transcript());
}

// covers: B-6, P-5
#[test]
fn server_error_stops_without_legacy_p5() {
    let mut w = standard(code_config(), 3600, false);
    w.serve("GET", PRM_URL, 503, serde_json::json!({}));
    let err = w.challenge(challenge(401, None)).unwrap_err();
    assert!(err.contains("503"), "{err}");
    assert_eq!(w.requests.len(), 1);
    insta::assert_snapshot!(w.transcript());
}

// covers: B-6
#[test]
fn transport_error_stops_b6() {
    let mut w = standard(code_config(), 3600, false);
    w.route(
        "GET",
        PRM_URL,
        Box::new(|_| Reply::Transport(TransportError::Dns)),
    );
    let err = w.challenge(challenge(401, None)).unwrap_err();
    assert!(err.contains("DNS"), "{err}");
    assert_eq!(w.requests.len(), 1);
    insta::assert_snapshot!(w.transcript());
}

// covers: Z-13 (timeouts)
#[test]
fn request_timeout_fails_the_attempt() {
    let mut w = standard(
        code_config().request_timeout(Duration::from_secs(5)),
        3600,
        false,
    );
    w.route("GET", AS_META, Box::new(|_| Reply::Silence));
    let err = w.challenge(challenge(401, None)).unwrap_err();
    assert!(err.contains("timed out"), "{err}");
    assert_eq!(w.flow.status(), FlowStatus::Failed);
    assert!(w.events.iter().any(|e| e.contains("timed out")));
    insta::assert_snapshot!(w.transcript());
}

// covers: A-7
#[test]
fn issuer_mismatch_rejected_a7() {
    let mut w = standard(code_config(), 3600, false);
    w.serve(
        "GET",
        AS_META,
        200,
        as_metadata("https://honest.example.com"),
    );
    w.trap(
        "GET",
        "https://auth.example.com/.well-known/openid-configuration",
        "next-url-after-mismatch",
    );
    let err = w.challenge(challenge(401, None)).unwrap_err();
    assert!(err.contains("issuer mismatch"), "{err}");
    assert!(w.checks.failures().is_empty());
    assert_eq!(w.count("POST", "https://auth.example.com/"), 0);
    insta::assert_snapshot!(w.transcript());
}

// covers: P-11, A-7 (fail closed per server, next listed server)
#[test]
fn second_listed_server_used_after_rejection_p11() {
    let mut w = standard(code_config(), 3600, false);
    w.serve(
        "GET",
        PRM_URL,
        200,
        prm(RS, &["https://bad.example.com", AS], None),
    );
    w.serve(
        "GET",
        "https://bad.example.com/.well-known/oauth-authorization-server",
        200,
        as_metadata("https://evil.example.com"),
    );
    w.challenge(challenge(401, None)).unwrap();
    assert_eq!(w.flow.issuer(), Some(AS));
    assert_eq!(w.flow.status(), FlowStatus::Authorized);
}

// covers: P-7, G6
#[test]
fn resource_mismatch_refused_before_authorize_p7() {
    let mut w = standard(code_config(), 3600, false);
    w.serve(
        "GET",
        PRM_URL,
        200,
        prm("https://evil.example.com/mcp", &[AS], None),
    );
    let err = w.challenge(challenge(401, None)).unwrap_err();
    assert!(err.contains("evil.example.com"), "{err}");
    assert_eq!(w.count("GET", PRM_URL), 1, "the PRM was fetched");
    assert_eq!(w.count("GET", "https://auth.example.com/authorize"), 0);
    insta::assert_snapshot!(w.transcript());
}

// covers: P-9 (conformance var2: origin-only resource at the root PRM)
#[test]
fn root_prm_with_prefix_policy() {
    let config = code_config().resource_match(ResourceMatch::typescript_sdk());
    let mut w = standard(config, 3600, false);
    w.serve("GET", PRM_URL, 404, serde_json::json!({}));
    w.serve(
        "GET",
        "https://mcp.example.com/.well-known/oauth-protected-resource",
        200,
        prm("https://mcp.example.com", &[AS], None),
    );
    w.challenge(challenge(401, None)).unwrap();
    let auth = w
        .requests
        .iter()
        .find(|r| r.url.contains("/authorize"))
        .unwrap();
    assert_eq!(auth.param("resource"), Some("https://mcp.example.com"));
}

// covers: D-14
#[test]
fn private_resource_metadata_url_refused_d14() {
    let mut w = standard(code_config(), 3600, false);
    let err = w
        .challenge(challenge(
            401,
            Some(r#"Bearer resource_metadata="http://169.254.169.254/latest/meta-data""#),
        ))
        .unwrap_err();
    assert!(err.contains("resource_metadata URL refused"), "{err}");
    assert!(w.requests.is_empty());
}

// covers: A-10
#[test]
fn no_pkce_advertised_refused_a10() {
    let mut w = standard(code_config(), 3600, false);
    let mut md = as_metadata(AS);
    md.as_object_mut()
        .unwrap()
        .remove("code_challenge_methods_supported");
    w.serve("GET", AS_META, 200, md);
    let err = w.challenge(challenge(401, None)).unwrap_err();
    assert_eq!(err, ServerMetadataError::PkceNotAdvertised.to_string());
    assert_eq!(w.count("POST", "https://auth.example.com/register"), 0);
}

// covers: C-6, C-7, C-9, C-10, C-14
#[test]
fn redirect_rules_c7_c9_c14() {
    let mut w = standard(code_config(), 3600, false);
    w.manual_browser = true;
    // No pending flow.
    assert!(
        w.redirect("http://127.0.0.1:8765/callback?code=x&state=y")
            .unwrap_err()
            .contains("no authorization is pending")
    );
    w.challenge(challenge(401, None)).unwrap();
    assert_eq!(w.flow.status(), FlowStatus::AwaitingAuthorization);
    let url = w.last_authorization_url.clone().unwrap();
    let state = url
        .split("state=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    // Forged: wrong state → refused, the pending flow survives.
    assert!(
        w.redirect("?code=x&state=forged-state-value-0123456789")
            .is_err()
    );
    assert_eq!(w.flow.status(), FlowStatus::AwaitingAuthorization);
    // Our state with an unexpected iss (C-9 row 3) → the attempt ends, no token request.
    let err = w
        .redirect(&format!(
            "?code=x&state={state}&iss=https%3A%2F%2Fevil.example.com"
        ))
        .unwrap_err();
    assert!(err.contains("iss"), "{err}");
    assert_eq!(w.flow.status(), FlowStatus::Failed);
    assert_eq!(w.count("POST", "https://auth.example.com/token"), 0);

    // A good redirect, then a replay (C-14).
    let mut w = standard(code_config(), 3600, false);
    w.manual_browser = true;
    w.challenge(challenge(401, None)).unwrap();
    let url = w.last_authorization_url.clone().unwrap();
    let state = url
        .split("state=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let good = format!("{REDIRECT}?code=c1&state={state}&iss=https%3A%2F%2Fauth.example.com");
    w.redirect(&good).unwrap();
    assert_eq!(w.flow.status(), FlowStatus::Authorized);
    assert!(
        w.redirect(&good)
            .unwrap_err()
            .contains("no authorization is pending")
    );
    assert_eq!(w.count("POST", "https://auth.example.com/token"), 1);
}

// covers: C-7 (stale pending record)
#[test]
fn authorization_deadline_expires() {
    let mut w = standard(
        code_config().authorization_timeout(Duration::from_secs(60)),
        3600,
        false,
    );
    w.manual_browser = true;
    w.challenge(challenge(401, None)).unwrap();
    assert_eq!(
        w.flow.poll_timeout(),
        Some(Timestamp::from_unix_seconds(T0 + 60))
    );
    w.advance(Duration::from_secs(61));
    let url = w.last_authorization_url.clone().unwrap();
    let state = url
        .split("state=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let err = w.redirect(&format!("?code=c&state={state}")).unwrap_err();
    assert!(err.contains("expired"));
}

// covers: D-13, D-16, R-24, P-12, F-8
#[test]
fn new_resource_metadata_url_rediscovers_and_reregisters_d16() {
    let mut w = standard(code_config(), 3600, true);
    w.challenge(challenge(
        401,
        Some(&format!(r#"Bearer resource_metadata="{PRM_URL}""#)),
    ))
    .unwrap();
    // A Negotiate-only 401 later does not erase the learned URL (D-13): refresh, same PRM.
    w.resource_success();
    // The server moves to AS2 and names a new PRM URL.
    let prm2 = "https://mcp.example.com/prm2";
    let as2 = "https://as2.example.com";
    w.serve("GET", prm2, 200, prm(RS, &[as2], None));
    w.serve(
        "GET",
        "https://as2.example.com/.well-known/oauth-authorization-server",
        200,
        as_metadata(as2),
    );
    w.serve(
        "POST",
        "https://as2.example.com/register",
        201,
        serde_json::json!({"client_id": "as2-client", "token_endpoint_auth_method": "none"}),
    );
    let slot = std::rc::Rc::new(std::cell::RefCell::new(None));
    w.route(
        "GET",
        "https://as2.example.com/authorize",
        authorize_endpoint(slot.clone(), None),
    );
    w.route(
        "POST",
        "https://as2.example.com/token",
        token_endpoint(w.checks.clone(), slot, 3600, true),
    );
    w.challenge(challenge(
        401,
        Some(&format!(r#"Bearer resource_metadata="{prm2}""#)),
    ))
    .unwrap();
    assert_eq!(w.flow.issuer(), Some(as2));
    assert_eq!(w.count("POST", "https://as2.example.com/register"), 1);
    // Nothing of AS1 went to AS2.
    let to_as2: Vec<_> = w
        .requests
        .iter()
        .filter(|r| r.url.starts_with(as2))
        .collect();
    assert!(
        to_as2
            .iter()
            .all(|r| r.param("client_id") != Some("dcr-client")
                && r.param("refresh_token").is_none())
    );
    insta::assert_snapshot!(w.transcript());
}

// covers: D-13
#[test]
fn negotiate_only_challenge_keeps_learned_url_d13() {
    let mut w = standard(code_config(), 3600, false);
    let custom = "https://mcp.example.com/custom-prm";
    w.serve("GET", custom, 200, prm(RS, &[AS], None));
    w.challenge(challenge(
        401,
        Some(&format!(r#"Bearer resource_metadata="{custom}""#)),
    ))
    .unwrap();
    w.resource_success();
    let before = w.count("GET", custom);
    w.challenge(challenge(401, Some("Negotiate"))).unwrap();
    // The token was rejected: discovery runs again (R-24) and still uses the learned URL, not
    // the well-known ones.
    assert_eq!(w.count("GET", custom), before + 1);
    assert_eq!(w.count("GET", PRM_URL), 0);
    assert_eq!(
        w.count(
            "GET",
            "https://mcp.example.com/.well-known/oauth-protected-resource"
        ),
        0
    );
    assert_eq!(w.count("GET", "https://auth.example.com/authorize"), 2);
    // Same issuer: the stored registration is reused (R-23).
    assert_eq!(w.count("POST", "https://auth.example.com/register"), 1);
}

// covers: R-24, R-23, P-12, F-8, D-15 (SEP-2352: same PRM URL, new authorization server)
#[test]
fn rejected_token_rediscovers_and_follows_as_migration_r24() {
    let mut w = standard(code_config(), 3600, true);
    w.challenge(challenge(
        401,
        Some(&format!(r#"Bearer resource_metadata="{PRM_URL}""#)),
    ))
    .unwrap();
    w.resource_success();
    // The server moves to AS2 behind the same PRM URL and rejects the AS1 token.
    let as2 = "https://as2.example.com";
    w.serve("GET", PRM_URL, 200, prm(RS, &[as2], None));
    w.serve(
        "GET",
        "https://as2.example.com/.well-known/oauth-authorization-server",
        200,
        as_metadata(as2),
    );
    w.serve(
        "POST",
        "https://as2.example.com/register",
        201,
        serde_json::json!({"client_id": "as2-client", "token_endpoint_auth_method": "none",
            "redirect_uris": [REDIRECT]}),
    );
    let slot = std::rc::Rc::new(std::cell::RefCell::new(None));
    w.route(
        "GET",
        "https://as2.example.com/authorize",
        authorize_endpoint(slot.clone(), None),
    );
    w.route(
        "POST",
        "https://as2.example.com/token",
        token_endpoint(w.checks.clone(), slot, 3600, true),
    );
    let rejected = format!(r#"Bearer error="invalid_token", resource_metadata="{PRM_URL}""#);
    // First 401: one refresh at the AS that issued the refresh token (F-8), no discovery.
    w.challenge(challenge(401, Some(&rejected))).unwrap();
    assert_eq!(w.count("GET", PRM_URL), 1);
    assert_eq!(w.flow.issuer(), Some(AS));
    // Second 401: full re-authorization, which discovers again and finds AS2.
    w.challenge(challenge(401, Some(&rejected))).unwrap();
    assert_eq!(w.count("GET", PRM_URL), 2);
    assert_eq!(w.flow.issuer(), Some(as2));
    assert_eq!(w.flow.status(), FlowStatus::Authorized);
    assert_eq!(w.count("POST", "https://as2.example.com/register"), 1);
    assert!(w.checks.failures().is_empty(), "{:?}", w.checks.failures());
    // Nothing of AS1 (client id, refresh token) went to AS2.
    assert!(
        w.requests
            .iter()
            .filter(|r| r.url.starts_with(as2))
            .all(|r| r.param("client_id") != Some("dcr-client")
                && r.param("refresh_token").is_none())
    );
    assert!(
        w.flow
            .report()
            .to_string()
            .contains("token rejected: discovering again")
    );
    insta::assert_snapshot!(w.transcript());
}

// covers: F-4, V-10, V-11
#[test]
fn persistence_round_trip_warm_start() {
    let mut w = standard(code_config(), 3600, true);
    w.challenge(challenge(401, None)).unwrap();
    let saved = w.flow.persisted_state().unwrap();
    let debug = format!("{saved:?}");
    assert!(
        !debug.contains("at-1") && !debug.contains("rt-1"),
        "{debug}"
    );
    let json = serde_json::to_string_pretty(&saved).unwrap();
    let back: mcp_oauth_core::flow::PersistedState = serde_json::from_str(&json).unwrap();
    assert_eq!(back, saved);
    insta::assert_snapshot!("persisted_state_json", json);

    let flow = AuthFlow::restore(code_config(), Entropy::new([9; 32]), back).unwrap();
    let mut w2 = World::with_flow(flow);
    w2.drive();
    assert_eq!(w2.flow.status(), FlowStatus::Authorized);
    assert!(w2.requests.is_empty(), "warm start makes no request");
    assert_eq!(
        w2.flow.authorization_header(w2.now).unwrap().as_str(),
        "Bearer at-1"
    );

    // Without tokens: straight to authorization with the stored registration, no discovery.
    let mut saved_no_tokens: serde_json::Value = serde_json::from_str(&json).unwrap();
    saved_no_tokens.as_object_mut().unwrap().remove("tokens");
    let state = serde_json::from_value(saved_no_tokens).unwrap();
    let flow = AuthFlow::restore(code_config(), Entropy::new([9; 32]), state).unwrap();
    let mut w3 = standard(code_config(), 3600, true);
    w3.flow = flow;
    w3.challenge(challenge(401, None)).unwrap();
    assert_eq!(w3.flow.status(), FlowStatus::Authorized);
    assert_eq!(w3.count("GET", "https://mcp.example.com/.well-known"), 0);
    assert_eq!(w3.count("GET", AS_META), 0);
    assert_eq!(w3.count("POST", "https://auth.example.com/register"), 0);
}

// covers: F-3, V-11 (a warm-started flow refreshes as the client that got the tokens)
#[test]
fn restored_flow_refreshes_with_the_stored_registration() {
    let mut w = standard(code_config(), 3600, true);
    w.challenge(challenge(401, None)).unwrap();
    let saved = w.flow.persisted_state().unwrap();
    let flow = AuthFlow::restore(code_config(), Entropy::new([9; 32]), saved).unwrap();
    let mut w2 = standard(code_config(), 3600, true);
    w2.flow = flow;
    w2.drive();
    assert_eq!(w2.flow.status(), FlowStatus::Authorized);
    assert!(w2.fire_timeout(), "the renewal timer is armed");
    assert_eq!(
        w2.flow.status(),
        FlowStatus::Authorized,
        "{}",
        w2.transcript()
    );
    let refresh: Vec<_> = w2
        .requests
        .iter()
        .filter(|r| r.param("grant_type") == Some("refresh_token"))
        .collect();
    assert_eq!(refresh.len(), 1, "{}", w2.transcript());
    assert_eq!(refresh[0].param("client_id"), Some("dcr-client"));
    assert_eq!(refresh[0].param("refresh_token"), Some("rt-1"));
    // Still no discovery or registration: the restored state had all of it.
    assert_eq!(w2.count("POST", "https://auth.example.com/register"), 0);
    assert_eq!(w2.count("GET", AS_META), 0);
}

// covers: P-12 (restore refuses state of another server)
#[test]
fn restore_refuses_other_resource() {
    let mut w = standard(code_config(), 3600, true);
    w.challenge(challenge(401, None)).unwrap();
    let saved = w.flow.persisted_state().unwrap();
    let other = FlowConfig::new(
        "https://other.example.com/mcp",
        ClientConfig::authorization_code("Test Client", REDIRECT),
    );
    assert!(AuthFlow::restore(other, Entropy::new([1; 32]), saved).is_err());
}

// covers: D-12
#[test]
fn duplicate_resource_metadata_strict_and_lenient_d12() {
    let header = r#"Bearer resource_metadata="https://mcp.example.com/a", resource_metadata="https://mcp.example.com/b""#;
    let mut w = standard(code_config(), 3600, false);
    w.trap("GET", "https://mcp.example.com/a", "duplicate-used");
    w.challenge(challenge(401, Some(header))).unwrap();
    assert!(w.checks.failures().is_empty());
    assert_eq!(w.flow.status(), FlowStatus::Authorized);

    let config = code_config().duplicate_params(mcp_oauth_core::flow::DuplicatePolicy::Lenient);
    let mut w = standard(config, 3600, false);
    w.serve(
        "GET",
        "https://mcp.example.com/b",
        200,
        prm(RS, &[AS], None),
    );
    w.trap("GET", PRM_URL, "well-known-probed");
    w.challenge(challenge(401, Some(header))).unwrap();
    assert!(w.checks.failures().is_empty());
    assert_eq!(w.count("GET", "https://mcp.example.com/a"), 1);
    assert_eq!(w.flow.status(), FlowStatus::Authorized);
}

// covers: R-19
#[test]
fn registration_rejected_r19() {
    let mut w = standard(code_config(), 3600, false);
    w.serve(
        "POST",
        "https://auth.example.com/register",
        400,
        serde_json::json!({"error": "invalid_redirect_uri", "error_description": "nope"}),
    );
    let err = w.challenge(challenge(401, None)).unwrap_err();
    assert!(err.contains("invalid_redirect_uri"), "{err}");
}

// covers: R-20, T-4 (conformance default DCR response: secret, no method, AS lists only none)
#[test]
fn dcr_response_without_method_g8() {
    let mut w = standard(code_config(), 3600, false);
    let mut md = as_metadata(AS);
    md["token_endpoint_auth_methods_supported"] = serde_json::json!(["none"]);
    w.serve("GET", AS_META, 200, md);
    w.serve("POST", "https://auth.example.com/register", 201, serde_json::json!({"client_id": "test-client-id", "client_secret": "test-client-secret", "redirect_uris": [REDIRECT]}));
    w.challenge(challenge(401, None)).unwrap();
    let token = w
        .requests
        .iter()
        .find(|r| r.url.ends_with("/token"))
        .unwrap();
    assert_eq!(token.param("client_id"), Some("test-client-id"));
    assert_eq!(token.param("client_secret"), None);
    assert!(token.header("authorization").is_none());
}

// covers: invalid_client → register again once
#[test]
fn invalid_client_reregisters_once() {
    let mut w = standard(code_config(), 3600, false);
    w.serve(
        "POST",
        "https://auth.example.com/token",
        401,
        serde_json::json!({"error": "invalid_client"}),
    );
    let _ = w.challenge(challenge(401, None));
    assert_eq!(w.count("POST", "https://auth.example.com/register"), 2);
    assert_eq!(w.count("POST", "https://auth.example.com/token"), 2);
    assert_eq!(w.flow.status(), FlowStatus::Failed);
}

// covers: quirks (extra params, omit resource, issuer override)
#[test]
fn provider_quirks() {
    let config = code_config()
        .extra_authorize_params(&[("access_type", "offline")])
        .omit_resource_parameter()
        .issuer_override(AS, "https://login.example.com/v2.0");
    let mut w = standard(config, 3600, false);
    let mut md = as_metadata(AS);
    md["issuer"] = serde_json::json!("https://login.example.com/v2.0");
    w.serve("GET", AS_META, 200, md);
    w.challenge(challenge(401, None)).unwrap();
    assert_eq!(w.flow.status(), FlowStatus::Authorized);
    let auth = w
        .requests
        .iter()
        .find(|r| r.url.contains("/authorize"))
        .unwrap();
    assert_eq!(auth.param("access_type"), Some("offline"));
    assert_eq!(auth.param("resource"), None);
    let token = w
        .requests
        .iter()
        .find(|r| r.url.ends_with("/token"))
        .unwrap();
    assert_eq!(token.param("resource"), None);
    assert!(w.flow.report().to_string().contains("issuer override"));
}

// covers: stale and unknown request ids never panic
#[test]
fn unknown_ids_and_out_of_order_inputs_are_ignored() {
    let mut flow = AuthFlow::new(code_config(), Entropy::new([1; 32]));
    let now = Timestamp::from_unix_seconds(T0);
    flow.handle_response(
        now,
        mcp_oauth_core::flow::RequestId(99),
        mcp_oauth_core::http::HttpResponse::new(200, vec![], vec![]),
    );
    flow.handle_transport_error(
        now,
        mcp_oauth_core::flow::RequestId(7),
        TransportError::Reset,
    );
    flow.handle_timeout(now);
    flow.handle_resource_success(now);
    assert!(flow.handle_redirect(now, "garbage").is_err());
    assert_eq!(flow.status(), FlowStatus::Idle);
    flow.start(now);
    let (id, _) = flow.poll_request().unwrap();
    // Answer twice: the second is stale.
    flow.handle_response(
        now,
        id,
        mcp_oauth_core::http::HttpResponse::new(404, vec![], vec![]),
    );
    flow.handle_response(
        now,
        id,
        mcp_oauth_core::http::HttpResponse::new(404, vec![], vec![]),
    );
    assert!(flow.report().to_string().contains("ignored response"));
    // A challenge while busy is absorbed.
    assert!(flow.handle_challenge(now, &challenge(401, None)).is_ok());
    assert!(matches!(
        flow.poll_event(),
        None | Some(Event::StateChanged)
    ));
}

// covers: config errors are typed
#[test]
fn invalid_config_is_reported() {
    let bad = FlowConfig::new(
        RS,
        ClientConfig::authorization_code("x", "http://example.com/cb"),
    );
    let mut flow = AuthFlow::new(bad, Entropy::new([1; 32]));
    let err = flow
        .handle_challenge(Timestamp::from_unix_seconds(T0), &challenge(401, None))
        .unwrap_err();
    assert!(matches!(err.kind(), FlowErrorKind::Config(_)));
    let http = FlowConfig::new(
        "http://mcp.example.com/mcp",
        ClientConfig::authorization_code("x", REDIRECT),
    );
    let mut flow = AuthFlow::new(http, Entropy::new([1; 32]));
    flow.start(Timestamp::from_unix_seconds(T0));
    assert!(matches!(flow.poll_event(), Some(Event::Failed(_))));
    // Loopback http allowed by policy.
    let local = FlowConfig::new(
        "http://localhost:3000/mcp",
        ClientConfig::authorization_code("x", REDIRECT),
    )
    .url_policy(UrlPolicy::https_only().allow_loopback_http());
    let mut flow = AuthFlow::new(local, Entropy::new([1; 32]));
    flow.start(Timestamp::from_unix_seconds(T0));
    assert!(flow.poll_request().is_some());
}
