//! Assertion grants on the virtual-clock harness: workload identity federation (SEP-1933, the
//! RFC 7523 JWT bearer grant) and enterprise-managed authorization (SEP-990: RFC 8693 token
//! exchange at the IdP for an ID-JAG, then the JWT bearer grant at the MCP authorization server).

mod flow_support;

use std::cell::RefCell;
use std::rc::Rc;

use flow_support::*;
use mcp_oauth_core::flow::{
    AssertionSource, ClientConfig, ConfigError, FlowConfig, FlowErrorKind, FlowStatus, IdpConfig,
    PreRegisteredClient,
};
use mcp_oauth_core::secret::{Assertion, ClientSecret, SubjectToken};
use mcp_oauth_core::token::{
    ClientAuth, GRANT_TYPE_JWT_BEARER, GRANT_TYPE_TOKEN_EXCHANGE, TOKEN_TYPE_ID_JAG,
    TOKEN_TYPE_ID_TOKEN, TokenErrorCode, TokenExchangeError, TokenResponseError,
};
use mcp_oauth_core::urls::UrlPolicy;
use mcp_oauth_core::{Scopes, Timestamp};

const IDP_TOKEN: &str = "https://idp.example.com/token";
const AS_TOKEN: &str = "https://auth.example.com/token";
const WORKLOAD_JWT: &str = "eyJ.workload-jwt-1.sig";
const ID_TOKEN: &str = "eyJ.user-id-token.sig";

fn workload_client() -> PreRegisteredClient {
    PreRegisteredClient::unbound("workload")
}

fn wif(source: AssertionSource) -> FlowConfig {
    FlowConfig::new(RS, ClientConfig::jwt_bearer(source)).pre_registered(workload_client())
}

fn enterprise() -> FlowConfig {
    let idp = IdpConfig::new(
        IDP_TOKEN,
        ClientAuth::None {
            client_id: "idp-client".into(),
        },
        SubjectToken::new(ID_TOKEN.into()),
    );
    FlowConfig::new(RS, ClientConfig::enterprise(idp)).pre_registered(
        PreRegisteredClient::new(AS, "xaa-client")
            .with_secret(ClientSecret::new("xaa-secret".into())),
    )
}

/// A world whose AS only takes the jwt-bearer grant (plus refresh when `refresh`).
fn world(config: FlowConfig, expires_in: u64, refresh: bool) -> World {
    let mut w = standard(config, expires_in, refresh);
    let mut md = as_metadata(AS);
    md["grant_types_supported"] = serde_json::json!([GRANT_TYPE_JWT_BEARER, "refresh_token"]);
    w.serve("GET", AS_META, 200, md);
    w.trap(
        "POST",
        "https://auth.example.com/register",
        "no-registration",
    );
    w.trap("GET", "https://auth.example.com/authorize", "no-browser");
    w
}

/// An IdP that exchanges the ID token for `jag-N`, recording what it checked.
fn idp(w: &mut World) {
    let checks = w.checks.clone();
    let mut n = 0;
    w.route(
        "POST",
        IDP_TOKEN,
        Box::new(move |req: &Req| {
            n += 1;
            let ok = req.param("grant_type") == Some(GRANT_TYPE_TOKEN_EXCHANGE)
                && req.param("requested_token_type") == Some(TOKEN_TYPE_ID_JAG)
                && req.param("subject_token") == Some(ID_TOKEN)
                && req.param("subject_token_type") == Some(TOKEN_TYPE_ID_TOKEN)
                && req.param("audience") == Some(AS)
                && req.param("resource") == Some(RS)
                && req.param("client_id") == Some("idp-client")
                && req.param("actor_token").is_none()
                && req.header("authorization").is_none();
            checks.record("token-exchange-params", ok, format!("{:?}", req.form));
            json(
                200,
                serde_json::json!({
                    "access_token": format!("jag-{n}"),
                    "issued_token_type": TOKEN_TYPE_ID_JAG,
                    "token_type": "N_A",
                    "expires_in": 300,
                }),
            )
        }),
    );
}

fn token_requests(w: &World) -> Vec<&Req> {
    w.requests
        .iter()
        .filter(|r| r.url == AS_TOKEN || r.url == IDP_TOKEN)
        .collect()
}

fn assert_no_secret_in_report(w: &World) {
    let report = w.flow.report().to_string();
    for needle in ["workload-jwt", "user-id-token", "jag-", "at-", "xaa-secret"] {
        assert!(!report.contains(needle), "report leaks {needle}:\n{report}");
    }
}

// covers: X-2, M-2, M-3, M-8, T-10
#[test]
fn wif_fixed_assertion_jwt_bearer_and_renewal_x2() {
    let source = AssertionSource::Fixed(Assertion::new(WORKLOAD_JWT.into()));
    let mut w = world(wif(source), 600, false);
    w.challenge(challenge(401, Some(r#"Bearer scope="mcp:tools""#)))
        .unwrap();
    assert_eq!(w.flow.status(), FlowStatus::Authorized);
    // Discovery still happens (M-3): PRM, then AS metadata, then the grant.
    let urls: Vec<&str> = w.requests.iter().map(|r| r.url.as_str()).collect();
    assert_eq!(urls, [PRM_URL, AS_META, AS_TOKEN]);
    let grant = token_requests(&w)[0];
    assert_eq!(grant.param("grant_type"), Some(GRANT_TYPE_JWT_BEARER));
    assert_eq!(grant.param("assertion"), Some(WORKLOAD_JWT));
    assert_eq!(grant.param("resource"), Some(RS));
    assert_eq!(grant.param("scope"), Some("mcp:tools"));
    assert_eq!(grant.param("client_id"), Some("workload"));
    assert!(grant.header("authorization").is_none());
    // M-8: renewed at expiry − margin by repeating the grant; the old token stays usable.
    assert_eq!(
        w.flow.poll_timeout(),
        Some(Timestamp::from_unix_seconds(T0 + 540))
    );
    assert!(w.fire_timeout());
    let grants = token_requests(&w);
    assert_eq!(grants.len(), 2);
    assert_eq!(grants[1].param("assertion"), Some(WORKLOAD_JWT));
    assert_eq!(grants[1].param("scope"), Some("mcp:tools"));
    assert_eq!(
        w.flow.authorization_header(w.now).unwrap().as_str(),
        "Bearer at-2"
    );
    assert!(w.checks.failures().is_empty(), "{:?}", w.checks.failures());
    assert!(!w.events.iter().any(|e| e.contains("OpenAuthorizationUrl")));
    assert_no_secret_in_report(&w);
}

// covers: X-2
#[test]
fn wif_on_demand_asks_for_a_fresh_assertion_before_each_grant() {
    let mut w = world(wif(AssertionSource::OnDemand), 600, false);
    // Not waiting yet: an assertion is refused and dropped.
    let early = w
        .flow
        .handle_assertion(w.now, Assertion::new("unasked".into()));
    assert_eq!(
        early.unwrap_err().kind(),
        &FlowErrorKind::NoAssertionRequested
    );
    w.challenge(challenge(401, None)).unwrap();
    assert_eq!(w.flow.status(), FlowStatus::AwaitingAssertion);
    assert!(
        w.events
            .iter()
            .any(|e| e.contains("AssertionRequired") && e.contains(AS)),
        "{:?}",
        w.events
    );
    assert!(token_requests(&w).is_empty());
    assert_eq!(w.flow.poll_timeout(), None);
    let now = w.now;
    w.flow
        .handle_assertion(now, Assertion::new("eyJ.fresh-1.sig".into()))
        .unwrap();
    w.drive();
    assert_eq!(w.flow.status(), FlowStatus::Authorized);
    assert_eq!(
        token_requests(&w)[0].param("assertion"),
        Some("eyJ.fresh-1.sig")
    );
    assert_eq!(token_requests(&w)[0].param("scope"), None);
    // Renewal asks again; the held token stays usable meanwhile.
    assert!(w.fire_timeout());
    assert_eq!(w.flow.status(), FlowStatus::AwaitingAssertion);
    assert!(w.flow.authorization_header(w.now).is_some());
    let now = w.now;
    w.flow
        .handle_assertion(now, Assertion::new("eyJ.fresh-2.sig".into()))
        .unwrap();
    w.drive();
    assert_eq!(
        token_requests(&w)[1].param("assertion"),
        Some("eyJ.fresh-2.sig")
    );
    assert_eq!(
        w.flow.authorization_header(w.now).unwrap().as_str(),
        "Bearer at-2"
    );
}

// covers: X-2
#[test]
fn wif_errors_surface_without_retry_or_grant_switch_x2() {
    for code in ["invalid_grant", "invalid_scope", "unauthorized_client"] {
        let source = AssertionSource::Fixed(Assertion::new(WORKLOAD_JWT.into()));
        let mut w = world(wif(source), 600, false);
        w.serve(
            "POST",
            AS_TOKEN,
            400,
            serde_json::json!({"error": code, "error_description": "no"}),
        );
        let err = w.challenge(challenge(401, None)).unwrap_err();
        assert!(err.contains(code), "{err}");
        assert_eq!(w.flow.status(), FlowStatus::Failed);
        let grants = token_requests(&w);
        assert_eq!(grants.len(), 1, "{code}: retried");
        assert_eq!(grants[0].param("grant_type"), Some(GRANT_TYPE_JWT_BEARER));
        assert!(w.checks.failures().is_empty(), "{:?}", w.checks.failures());
    }
}

// covers: E-2, E-3, E-4, E-5, T-10, M-2, M-3
#[test]
fn enterprise_exchange_then_jwt_bearer_e2_e5() {
    let mut w = world(enterprise(), 3600, false);
    idp(&mut w);
    w.challenge(challenge(401, Some(r#"Bearer scope="chat.read""#)))
        .unwrap();
    assert_eq!(w.flow.status(), FlowStatus::Authorized);
    let urls: Vec<&str> = w.requests.iter().map(|r| r.url.as_str()).collect();
    assert_eq!(urls, [PRM_URL, AS_META, IDP_TOKEN, AS_TOKEN]);
    assert!(
        w.checks.passed("token-exchange-params"),
        "{:?}",
        w.checks.all()
    );
    let [exchange, grant] = token_requests(&w)[..] else {
        panic!("two token requests expected");
    };
    assert_eq!(exchange.param("scope"), Some("chat.read"));
    assert_eq!(grant.param("grant_type"), Some(GRANT_TYPE_JWT_BEARER));
    assert_eq!(grant.param("assertion"), Some("jag-1"));
    assert_eq!(grant.param("resource"), Some(RS));
    assert_eq!(grant.param("scope"), Some("chat.read"));
    // The client's credentials at the AS (client_secret_basic), never the IdP's.
    assert!(grant.header("authorization").unwrap().starts_with("Basic "));
    assert_eq!(grant.param("client_id"), None);
    assert_eq!(
        w.flow.authorization_header(w.now).unwrap().as_str(),
        "Bearer at-1"
    );
    assert_eq!(w.flow.granted_scopes(), Some(&Scopes::parse("chat.read")));
    // No refresh token: renewal repeats both steps.
    assert!(w.fire_timeout());
    assert_eq!(token_requests(&w).len(), 4);
    assert_eq!(token_requests(&w)[3].param("assertion"), Some("jag-2"));
    assert!(w.checks.failures().is_empty(), "{:?}", w.checks.failures());
    assert_no_secret_in_report(&w);
}

// covers: E-6, F-1
#[test]
fn enterprise_refresh_token_is_used_when_issued() {
    let mut w = world(enterprise(), 3600, true);
    idp(&mut w);
    w.challenge(challenge(401, None)).unwrap();
    assert!(w.fire_timeout());
    let grants = token_requests(&w);
    assert_eq!(grants.len(), 3);
    assert_eq!(grants[2].url, AS_TOKEN);
    assert_eq!(grants[2].param("grant_type"), Some("refresh_token"));
    assert_eq!(grants[2].param("refresh_token"), Some("rt-1"));
    // The AS forgets the grant: back to the IdP (F-6), then the AS.
    w.serve(
        "POST",
        AS_TOKEN,
        400,
        serde_json::json!({"error": "invalid_grant"}),
    );
    assert!(w.fire_timeout());
    let grants = token_requests(&w);
    assert_eq!(grants[3].param("grant_type"), Some("refresh_token"));
    assert_eq!(grants[4].url, IDP_TOKEN);
    assert_eq!(grants[5].param("assertion"), Some("jag-2"));
    assert_eq!(w.flow.status(), FlowStatus::Failed);
}

// covers: E-4, E-6
#[test]
fn enterprise_idp_errors_are_typed_e6() {
    let mut w = world(enterprise(), 3600, false);
    w.serve(
        "POST",
        IDP_TOKEN,
        400,
        serde_json::json!({"error": "invalid_grant", "error_description": "Invalid ID token"}),
    );
    w.challenge(challenge(401, None)).unwrap_err();
    assert_eq!(w.flow.status(), FlowStatus::Failed);
    assert_eq!(w.count("POST", AS_TOKEN), 0);
    let last = w.flow.report().entries().len();
    assert!(last > 0);
    // The IdP answers with another token type: refused, never presented to the AS.
    let mut w = world(enterprise(), 3600, false);
    w.serve(
        "POST",
        IDP_TOKEN,
        200,
        serde_json::json!({
            "access_token": "an-access-token",
            "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
            "token_type": "Bearer",
        }),
    );
    let err = w.challenge(challenge(401, None)).unwrap_err();
    assert!(err.contains("token exchange"), "{err}");
    assert_eq!(w.count("POST", AS_TOKEN), 0);
    // And the typed error itself.
    let mut w = world(enterprise(), 3600, false);
    w.serve(
        "POST",
        IDP_TOKEN,
        400,
        serde_json::json!({"error": "invalid_target"}),
    );
    let captured: Rc<RefCell<Option<FlowErrorKind>>> = Rc::default();
    let r = w.flow.handle_challenge(w.now, &challenge(401, None));
    assert!(r.is_ok());
    while let Some((id, req)) = w.flow.poll_request() {
        let reply = match req.url.as_str() {
            PRM_URL => json(200, prm(RS, &[AS], None)),
            AS_META => json(200, as_metadata(AS)),
            _ => json(400, serde_json::json!({"error": "invalid_target"})),
        };
        let Reply::Http(resp) = reply else {
            unreachable!()
        };
        w.flow.handle_response(w.now, id, resp);
    }
    while let Some(event) = w.flow.poll_event() {
        if let mcp_oauth_core::flow::Event::Failed(e) = event {
            *captured.borrow_mut() = Some(e.kind().clone());
        }
    }
    match captured.borrow().as_ref() {
        Some(FlowErrorKind::TokenExchange(TokenExchangeError::Response(
            TokenResponseError::Server(s),
        ))) => assert_eq!(s.code(), &TokenErrorCode::InvalidTarget),
        other => panic!("{other:?}"),
    }
}

// covers: T-3, R-3
#[test]
fn configuration_is_checked_before_any_request() {
    // An http IdP endpoint that is not loopback is refused, even with loopback http allowed.
    let idp = IdpConfig::new(
        "http://idp.example.com/token",
        ClientAuth::None {
            client_id: "c".into(),
        },
        SubjectToken::new(ID_TOKEN.into()),
    );
    let config = FlowConfig::new(RS, ClientConfig::enterprise(idp))
        .pre_registered(workload_client())
        .url_policy(UrlPolicy::https_only().allow_loopback_http());
    let mut w = world(config, 3600, false);
    let err = w.challenge(challenge(401, None)).unwrap_err();
    assert!(err.contains("IdP token endpoint refused"), "{err}");
    assert!(w.requests.is_empty());
    // Without a client for the AS.
    let config = FlowConfig::new(RS, ClientConfig::jwt_bearer(AssertionSource::OnDemand));
    let mut w = world(config, 3600, false);
    let err = w.challenge(challenge(401, None)).unwrap_err();
    assert_eq!(
        err,
        FlowErrorKind::Config(ConfigError::AssertionGrantWithoutClient).to_string()
    );
    assert!(w.requests.is_empty());
}

// covers: S-4, S-5, S-6, M-7
#[test]
fn step_up_repeats_the_grant_with_the_scope_union() {
    let source = AssertionSource::Fixed(Assertion::new(WORKLOAD_JWT.into()));
    let mut w = world(wif(source), 3600, false);
    w.challenge(challenge(401, Some(r#"Bearer scope="mcp:read""#)))
        .unwrap();
    w.resource_success();
    w.challenge(challenge(
        403,
        Some(r#"Bearer error="insufficient_scope", scope="mcp:write""#),
    ))
    .unwrap();
    let scopes: Vec<Option<&str>> = token_requests(&w)
        .iter()
        .map(|r| r.param("scope"))
        .collect();
    assert_eq!(scopes, [Some("mcp:read"), Some("mcp:read mcp:write")]);
    // Bounded like every other step-up (S-6): three grants between resource successes.
    for _ in 0..4 {
        let _ = w.challenge(challenge(
            403,
            Some(r#"Bearer error="insufficient_scope", scope="mcp:admin""#),
        ));
    }
    assert_eq!(token_requests(&w).len(), 4);
    assert_eq!(w.flow.status(), FlowStatus::Failed);
    assert!(w.events.iter().any(|e| e.contains("gave up after 3")));
}
