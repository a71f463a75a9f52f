//! The device authorization grant (RFC 8628) and logout with revocation (RFC 7009), driven on
//! the virtual clock against scripted servers.
//!
//! Device grant: pending × N then tokens, the poll spacing (5 s default, `interval`,
//! `slow_down` adding 5 s for good), `expired_token`, `access_denied`, the device code running
//! out on the machine's own timer, and an AS without `device_authorization_endpoint` (fallback
//! to the redirect flow, or a typed error when the device grant is required).
//!
//! Logout: refresh token revoked before the access token, tokens gone from the flow and the
//! persisted state, `LoggedOut` with what the server confirmed (503 kept as a failure), and a
//! server without a revocation endpoint (cleared locally, nothing revoked server-side).

mod flow_support;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use flow_support::*;
use mcp_oauth_core::Timestamp;
use mcp_oauth_core::device::DevicePollError;
use mcp_oauth_core::flow::{
    ClientConfig, Event, FlowConfig, FlowErrorKind, FlowStatus, RevocationFailure,
};
use mcp_oauth_core::revocation::{RevocationError, TokenTypeHint};

const DEVICE: &str = "https://auth.example.com/device";
const TOKEN: &str = "https://auth.example.com/token";
const REVOKE: &str = "https://auth.example.com/revoke";
const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

fn at(seconds: u64) -> Timestamp {
    Timestamp::from_unix_seconds(T0 + seconds)
}

fn device_config() -> FlowConfig {
    FlowConfig::new(
        RS,
        ClientConfig::authorization_code("Test Client", REDIRECT),
    )
    .device_authorization(true)
}

fn device_answer(expires_in: u64, interval: Option<u64>) -> serde_json::Value {
    let mut v = serde_json::json!({
        "device_code": "dev-code-1",
        "user_code": "WDJB-MJHT",
        "verification_uri": "https://auth.example.com/activate",
        "verification_uri_complete": "https://auth.example.com/activate?user_code=WDJB-MJHT",
        "expires_in": expires_in,
    });
    if let Some(i) = interval {
        v["interval"] = serde_json::json!(i);
    }
    v
}

/// A token endpoint that answers device polls with `script` in order (error codes), then
/// tokens; the times of the polls are not visible to handlers, so tests read `w.now`.
fn scripted_token(script: &[&'static str]) -> Handler {
    let mut left: Vec<&'static str> = script.iter().rev().copied().collect();
    Box::new(move |req: &Req| {
        if req.param("grant_type") != Some(GRANT) {
            return status(400);
        }
        match left.pop() {
            Some(code) => json(400, serde_json::json!({ "error": code })),
            None => json(
                200,
                serde_json::json!({"access_token": "at-dev", "token_type": "Bearer",
                    "expires_in": 3600, "refresh_token": "rt-dev"}),
            ),
        }
    })
}

/// The standard world with a device endpoint (and a revocation endpoint) advertised.
fn device_world(config: FlowConfig, answer: serde_json::Value, polls: &[&'static str]) -> World {
    let mut w = standard(config, 3600, true);
    let mut md = as_metadata(AS);
    md["device_authorization_endpoint"] = serde_json::json!(DEVICE);
    md["revocation_endpoint"] = serde_json::json!(REVOKE);
    w.serve("GET", AS_META, 200, md);
    w.serve("POST", DEVICE, 200, answer);
    w.route("POST", TOKEN, scripted_token(polls));
    w.trap("GET", "https://auth.example.com/authorize", "no-browser");
    w
}

fn polls(w: &World) -> usize {
    w.requests
        .iter()
        .filter(|r| r.param("grant_type") == Some(GRANT))
        .count()
}

// covers: RFC 8628 §3.1, §3.2, §3.4, §3.5 (authorization_pending), Q-4, T-10
#[test]
fn pending_three_times_then_tokens_every_five_seconds() {
    let mut w = device_world(
        device_config(),
        device_answer(600, None),
        &["authorization_pending"; 3],
    );
    w.challenge(challenge(401, Some(r#"Bearer scope="mcp:read""#)))
        .unwrap();
    assert!(w.checks.failures().is_empty(), "{:?}", w.checks.failures());
    assert_eq!(w.flow.status(), FlowStatus::Authorized);
    // Four polls, the first one interval after the answer, then one per 5 s (default interval).
    assert_eq!(polls(&w), 4);
    assert_eq!(w.now, at(20));
    assert_eq!(
        w.flow.authorization_header(w.now).unwrap().as_str(),
        "Bearer at-dev"
    );
    // The prompt came instead of a browser, with what the user needs.
    assert!(!w.events.iter().any(|e| e == "OpenAuthorizationUrl"));
    let prompt = w
        .events
        .iter()
        .find(|e| e.starts_with("DeviceAuthorization"))
        .expect("device prompt");
    assert!(prompt.contains("WDJB-MJHT") && prompt.contains("https://auth.example.com/activate"));
    assert!(
        !prompt.contains("dev-code-1"),
        "the device code is a secret"
    );
    // The device authorization request: client_id, scope and resource; polls carry the code,
    // the resource and the client id.
    let dev = w.requests.iter().find(|r| r.url == DEVICE).unwrap();
    assert_eq!(dev.param("client_id"), Some("dcr-client"));
    assert_eq!(dev.param("scope"), Some("mcp:read"));
    assert_eq!(dev.param("resource"), Some(RS));
    let poll = w
        .requests
        .iter()
        .find(|r| r.param("grant_type") == Some(GRANT))
        .unwrap();
    assert_eq!(poll.param("device_code"), Some("dev-code-1"));
    assert_eq!(poll.param("resource"), Some(RS));
    assert_eq!(poll.param("client_id"), Some("dcr-client"));
    // DCR asked for the device grant type.
    let reg = w
        .requests
        .iter()
        .find(|r| r.url.ends_with("/register"))
        .unwrap();
    let grants = reg.json.as_ref().unwrap()["grant_types"].to_string();
    assert!(grants.contains(GRANT), "{grants}");
    // The usual token handling follows: renewal timer armed (refresh token, 1 h).
    assert_eq!(w.flow.poll_timeout(), Some(at(20 + 3600 - 60)));
}

// covers: RFC 8628 §3.5 (slow_down), §3.2 (interval)
#[test]
fn slow_down_adds_five_seconds_for_good() {
    let mut w = device_world(
        device_config(),
        device_answer(600, Some(3)),
        &[
            "authorization_pending",
            "slow_down",
            "authorization_pending",
        ],
    );
    w.challenge(challenge(401, None)).unwrap();
    // Polls at 3, 6 (slow_down → 8 s), 14, 22.
    assert_eq!(polls(&w), 4);
    assert_eq!(w.now, at(3 + 3 + 8 + 8));
    assert_eq!(w.flow.status(), FlowStatus::Authorized);
}

// covers: RFC 8628 §3.5: no poll before the interval has passed
#[test]
fn no_poll_before_the_interval() {
    let mut w = device_world(
        device_config(),
        device_answer(600, Some(10)),
        &["authorization_pending"],
    );
    w.manual_browser = true; // the harness does not jump the clock while the user is asked
    w.flow
        .handle_challenge(w.now, &challenge(401, None))
        .unwrap();
    w.drive();
    assert!(w.events.last().unwrap().starts_with("DeviceAuthorization"));
    assert_eq!(polls(&w), 0);
    assert_eq!(w.flow.poll_timeout(), Some(at(10)));
    w.flow.handle_timeout(at(9));
    assert!(w.flow.poll_request().is_none(), "too early");
    w.flow.handle_timeout(at(10));
    let (_, req) = w.flow.poll_request().expect("poll due");
    assert_eq!(req.url, TOKEN);
    // While the poll is in flight only the request deadline is armed.
    assert_eq!(w.flow.poll_timeout(), Some(at(10 + 30)));
}

// covers: RFC 8628 §3.5 (expired_token)
#[test]
fn expired_token_ends_the_attempt() {
    let mut w = device_world(
        device_config(),
        device_answer(600, None),
        &["authorization_pending", "expired_token"],
    );
    let err = w.challenge(challenge(401, None)).unwrap_err();
    assert_eq!(
        err,
        FlowErrorKind::DevicePoll(DevicePollError::ExpiredToken).to_string()
    );
    assert_eq!(w.flow.status(), FlowStatus::Failed);
    assert_eq!(polls(&w), 2);
    assert!(w.flow.access_token(w.now).is_none());
}

// covers: RFC 8628 §3.5 (access_denied)
#[test]
fn access_denied_ends_the_attempt() {
    let mut w = device_world(
        device_config(),
        device_answer(600, None),
        &["access_denied"],
    );
    let err = w.challenge(challenge(401, None)).unwrap_err();
    assert_eq!(
        err,
        FlowErrorKind::DevicePoll(DevicePollError::AccessDenied).to_string()
    );
    assert_eq!(polls(&w), 1);
}

// covers: RFC 8628 §3.5 (a timed-out poll reduces the polling frequency before retrying)
#[test]
fn a_timed_out_poll_backs_off_and_polling_goes_on() {
    let mut w = device_world(device_config(), device_answer(600, None), &[]);
    let mut n = 0;
    w.route(
        "POST",
        TOKEN,
        Box::new(move |_req: &Req| {
            n += 1;
            match n {
                // The driver's own timeout: interval 5 s → 10 s.
                1 => Reply::Transport(mcp_oauth_core::flow::TransportError::Timeout),
                // No answer: the request deadline (30 s) fires, interval 10 s → 20 s.
                2 => Reply::Silence,
                _ => json(
                    200,
                    serde_json::json!({"access_token": "at-dev", "token_type": "Bearer",
                        "expires_in": 3600}),
                ),
            }
        }),
    );
    w.challenge(challenge(401, None)).unwrap();
    assert_eq!(w.flow.status(), FlowStatus::Authorized);
    assert_eq!(polls(&w), 3);
    // Polls at 5, 15 (+10), then the deadline at 45 and a poll at 65 (+20).
    assert_eq!(w.now, at(65));
}

// covers: RFC 8628 §3.2 expires_in: the machine stops polling at expiry
#[test]
fn device_code_runs_out_on_the_machines_timer() {
    let mut w = device_world(
        device_config(),
        device_answer(12, None),
        &["authorization_pending"; 10],
    );
    let err = w.challenge(challenge(401, None)).unwrap_err();
    assert_eq!(err, FlowErrorKind::AuthorizationExpired.to_string());
    // Polls at 5 and 10; at 12 the code is dead and no poll is sent.
    assert_eq!(polls(&w), 2);
    assert_eq!(w.now, at(12));
    assert_eq!(w.flow.poll_timeout(), None);
}

#[test]
fn without_a_device_endpoint_preferred_falls_back_to_the_browser() {
    let mut w = standard(device_config(), 3600, true);
    w.challenge(challenge(401, None)).unwrap();
    assert!(w.events.iter().any(|e| e == "OpenAuthorizationUrl"));
    assert_eq!(w.flow.status(), FlowStatus::Authorized);
    assert_eq!(polls(&w), 0);
}

#[test]
fn without_a_device_endpoint_required_is_a_typed_error() {
    let config = FlowConfig::new(
        RS,
        ClientConfig::authorization_code("Test Client", REDIRECT),
    )
    .require_device_authorization();
    let mut w = standard(config, 3600, true);
    w.trap("GET", "https://auth.example.com/authorize", "no-browser");
    let err = w.challenge(challenge(401, None)).unwrap_err();
    assert_eq!(
        err,
        FlowErrorKind::DeviceAuthorizationUnsupported.to_string()
    );
    assert!(w.checks.failures().is_empty());
}

#[test]
fn required_mode_needs_no_authorization_endpoint() {
    let config = FlowConfig::new(
        RS,
        ClientConfig::authorization_code("Test Client", REDIRECT),
    )
    .require_device_authorization();
    let mut w = device_world(config, device_answer(600, None), &[]);
    let mut md = as_metadata(AS);
    md.as_object_mut().unwrap().remove("authorization_endpoint");
    md["device_authorization_endpoint"] = serde_json::json!(DEVICE);
    w.serve("GET", AS_META, 200, md);
    w.challenge(challenge(401, None)).unwrap();
    assert_eq!(w.flow.status(), FlowStatus::Authorized);
}

#[test]
fn an_http_device_endpoint_is_refused() {
    let mut w = device_world(device_config(), device_answer(600, None), &[]);
    let mut md = as_metadata(AS);
    md["device_authorization_endpoint"] = serde_json::json!("http://auth.example.com/device");
    w.serve("GET", AS_META, 200, md);
    assert!(w.challenge(challenge(401, None)).is_err());
    assert_eq!(w.count("POST", "http://auth.example.com/device"), 0);
}

// ---------------------------------------------------------------------------------------------
// Logout (RFC 7009)
// ---------------------------------------------------------------------------------------------

fn logged_in(revocation: Option<Handler>) -> World {
    let mut w = standard(
        FlowConfig::new(
            RS,
            ClientConfig::authorization_code("Test Client", REDIRECT),
        ),
        3600,
        true,
    );
    if let Some(h) = revocation {
        let mut md = as_metadata(AS);
        md["revocation_endpoint"] = serde_json::json!(REVOKE);
        w.serve("GET", AS_META, 200, md);
        w.route("POST", REVOKE, h);
    }
    w.challenge(challenge(401, None)).unwrap();
    assert_eq!(w.flow.status(), FlowStatus::Authorized);
    w
}

fn logout(w: &mut World) -> Vec<Event> {
    w.flow.logout(w.now);
    let mut events = Vec::new();
    loop {
        assert!(
            w.flow.poll_request().is_none(),
            "no revocation request expected"
        );
        match w.flow.poll_event() {
            Some(e) => events.push(e),
            None => break,
        }
    }
    events
}

// covers: RFC 7009 §2.1 (refresh token first, client authentication), §2.2
#[test]
fn logout_revokes_refresh_then_access_and_clears_the_tokens() {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let log = seen.clone();
    let mut w = logged_in(Some(Box::new(move |req: &Req| {
        log.borrow_mut().push((
            req.param("token").unwrap_or("").to_string(),
            req.param("token_type_hint").unwrap_or("").to_string(),
            req.param("client_id").unwrap_or("").to_string(),
        ));
        status(200)
    })));
    let events_before = w.events.len();
    w.flow.logout(w.now);
    w.drive();
    assert_eq!(
        *seen.borrow(),
        [
            ("rt-1".into(), "refresh_token".into(), "dcr-client".into()),
            ("at-1".into(), "access_token".into(), "dcr-client".into()),
        ]
    );
    assert!(w.flow.access_token(w.now).is_none());
    assert!(!w.flow.persisted_state().is_some_and(|p| p.has_tokens()));
    let after: Vec<_> = w.events[events_before..].to_vec();
    assert_eq!(after.first().map(String::as_str), Some("StateChanged"));
    let last = after.last().unwrap();
    assert!(last.starts_with("LoggedOut"), "{after:?}");
    assert!(last.contains("revocation_endpoint: true"));
    assert!(last.contains("revoked: [RefreshToken, AccessToken]"));
    assert!(last.contains("not_revoked: []"));
    assert_eq!(w.flow.status(), FlowStatus::Idle);
    // The next 401 authorizes from scratch (registration kept: no second DCR).
    w.challenge(challenge(401, None)).unwrap();
    assert_eq!(w.count("POST", "https://auth.example.com/register"), 1);
    assert_eq!(w.flow.status(), FlowStatus::Authorized);
}

// covers: RFC 7009 §2.2.1 (503 + Retry-After, unsupported_token_type)
#[test]
fn logout_reports_what_the_server_did_not_confirm() {
    let mut n = 0;
    let mut w = logged_in(Some(Box::new(move |_req: &Req| {
        n += 1;
        if n == 1 {
            let mut r = status(503);
            if let Reply::Http(h) = &mut r {
                h.headers.push(("retry-after".into(), b"30".to_vec()));
            }
            r
        } else {
            json(400, serde_json::json!({"error": "unsupported_token_type"}))
        }
    })));
    w.flow.logout(w.now);
    w.drive();
    let last = w.events.last().unwrap().clone();
    let expected = format!(
        "{:?}",
        [
            (
                TokenTypeHint::RefreshToken,
                RevocationFailure::Server(RevocationError::Unavailable {
                    retry_after_seconds: Some(30)
                })
            ),
            (
                TokenTypeHint::AccessToken,
                RevocationFailure::Server(RevocationError::UnsupportedTokenType)
            ),
        ]
    );
    assert!(last.contains(&expected), "{last}");
    assert!(
        w.flow.access_token(w.now).is_none(),
        "cleared locally anyway"
    );
    // Typed access: a second logout holds nothing and revokes nothing.
    let events = logout(&mut w);
    match events.as_slice() {
        [Event::LoggedOut(o)] => {
            assert!(o.revocation_endpoint);
            assert!(o.revoked.is_empty() && o.not_revoked.is_empty());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn logout_without_a_revocation_endpoint_clears_locally() {
    let mut w = logged_in(None);
    let events = logout(&mut w);
    match events.as_slice() {
        [Event::StateChanged, Event::LoggedOut(o)] => {
            assert!(!o.revocation_endpoint);
            assert!(o.revoked.is_empty());
            assert!(!o.fully_revoked());
        }
        other => panic!("{other:?}"),
    }
    assert!(w.flow.access_token(w.now).is_none());
    assert_eq!(w.count("POST", REVOKE), 0);
}

#[test]
fn logout_transport_failure_goes_on_to_the_next_token() {
    let mut n = 0;
    let mut w = logged_in(Some(Box::new(move |_req: &Req| {
        n += 1;
        if n == 1 {
            Reply::Transport(mcp_oauth_core::flow::TransportError::Connect)
        } else {
            status(200)
        }
    })));
    w.flow.logout(w.now);
    w.drive();
    let last = w.events.last().unwrap();
    assert!(last.contains("revoked: [AccessToken]"), "{last}");
    assert!(last.contains("Transport(Connect)"), "{last}");
    assert_eq!(w.flow.status(), FlowStatus::Idle);
}

#[test]
fn logout_abandons_a_running_device_grant() {
    let mut w = device_world(
        device_config(),
        device_answer(600, None),
        &["authorization_pending"; 100],
    );
    w.manual_browser = true;
    w.flow
        .handle_challenge(w.now, &challenge(401, None))
        .unwrap();
    w.drive();
    assert_eq!(w.flow.status(), FlowStatus::AwaitingAuthorization);
    let events = logout(&mut w);
    assert!(matches!(events.as_slice(), [Event::LoggedOut(_)]));
    assert_eq!(w.flow.status(), FlowStatus::Idle);
    assert_eq!(w.flow.poll_timeout(), None);
    // Nothing fires later either.
    w.flow
        .handle_timeout(w.now.saturating_add(Duration::from_secs(3600)));
    assert!(w.flow.poll_request().is_none());
}
