//! Time travel on the virtual clock: expiry, proactive renewal, deadlines, clocks that jump.
//!
//! `flow_scenarios.rs` already covers: the renewal timer at expiry − 60 s with one rotation, a
//! refresh without a refresh token keeping the old one, `invalid_grant` from the timer refresh
//! starting a new authorization, a backwards jump before the first refresh, a metadata request
//! timing out, a redirect refused after the authorization deadline, and one client-credentials
//! re-acquisition. This file adds:
//!
//! - the exact expiry boundary, and a token without a refresh token (no timer, re-authorize on
//!   the next 401, no refresh request ever);
//! - renewal exactly at expiry − a configured margin, not a millisecond earlier, with the old
//!   token usable while the refresh is in flight;
//! - `poll_timeout` strictly advances after every `handle_timeout(at)` (no busy loop), for
//!   margins larger than the token lifetime too (example and proptest);
//! - rotation over many cycles: every refresh token is sent once, always the newest one, with
//!   responses with and without a new refresh token mixed;
//! - refresh-token expiry (`invalid_grant`) on the timer and on a 401, then a full
//!   authorization, and the dead refresh token never sent again;
//! - clocks going backwards while a request is in flight, while the browser is out, and to the
//!   extremes of `Timestamp` (no panic, nothing early, deadlines still fire later);
//! - request timeouts of a code exchange and of a renewal, at the exact deadline, and the late
//!   response ignored;
//! - the authorization timeout through `handle_timeout`, then a new attempt;
//! - client-credentials re-acquisition at expiry − margin over many cycles without using up
//!   the authorization budget (M-8).

mod flow_support;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use flow_support::*;
use mcp_oauth_core::Timestamp;
use mcp_oauth_core::flow::{
    ClientConfig, Event, FlowConfig, FlowErrorKind, FlowStatus, PreRegisteredClient, RequestPurpose,
};
use mcp_oauth_core::registration::TokenEndpointAuthMethod;
use mcp_oauth_core::secret::ClientSecret;
use proptest::prelude::*;

const TOKEN: &str = "https://auth.example.com/token";
const AUTHORIZE: &str = "https://auth.example.com/authorize";

fn code_config() -> FlowConfig {
    FlowConfig::new(
        RS,
        ClientConfig::authorization_code("Test Client", REDIRECT),
    )
}

fn cc_config() -> FlowConfig {
    FlowConfig::new(RS, ClientConfig::client_credentials()).pre_registered(
        PreRegisteredClient::unbound("cc-client")
            .with_secret(ClientSecret::new("cc-secret".into()))
            .with_auth_method(TokenEndpointAuthMethod::ClientSecretBasic),
    )
}

fn at(seconds: u64) -> Timestamp {
    Timestamp::from_unix_seconds(T0 + seconds)
}

fn ms(t: Timestamp, delta: i64) -> Timestamp {
    Timestamp::from_unix_millis(t.unix_millis().saturating_add_signed(delta))
}

fn refreshes(w: &World) -> Vec<String> {
    w.requests
        .iter()
        .filter(|r| r.param("grant_type") == Some("refresh_token"))
        .map(|r| r.param("refresh_token").unwrap_or("").to_string())
        .collect()
}

fn header(w: &World, now: Timestamp) -> Option<String> {
    w.flow
        .authorization_header(now)
        .map(|h| h.as_str().to_string())
}

/// `handle_timeout(now)` then the drain rule, without the harness jumping the clock.
fn timeout_at(w: &mut World, now: Timestamp) {
    w.now = now;
    w.flow.handle_timeout(now);
    w.drive();
}

// covers: U-8, V-9, D-15
#[test]
fn expiry_boundary_and_no_refresh_token_means_reauthorize_on_401_v9() {
    let mut w = standard(code_config(), 600, false);
    w.challenge(challenge(401, None)).unwrap();
    let expiry = at(600);
    // Usable up to the last millisecond, inside the renewal margin too; unusable at expiry.
    assert_eq!(header(&w, at(539)).as_deref(), Some("Bearer at-1"));
    assert_eq!(header(&w, at(540)).as_deref(), Some("Bearer at-1"));
    assert_eq!(header(&w, ms(expiry, -1)).as_deref(), Some("Bearer at-1"));
    assert!(w.flow.access_token(expiry).is_none());
    assert!(w.flow.authorization_header(at(10_000)).is_none());
    // V-9: no refresh token → no renewal timer at all.
    assert_eq!(w.flow.poll_timeout(), None);
    // Far past expiry a timeout call does nothing.
    timeout_at(&mut w, at(10_000));
    assert!(w.flow.poll_request().is_none());
    assert_eq!(w.count("POST", TOKEN), 1);
    // The next 401 re-authorizes (browser), never a refresh.
    w.challenge(challenge(401, Some(r#"Bearer error="invalid_token""#)))
        .unwrap();
    assert_eq!(w.count("GET", AUTHORIZE), 2);
    assert!(refreshes(&w).is_empty());
    assert_eq!(header(&w, w.now).as_deref(), Some("Bearer at-2"));
}

// covers: U-8
#[test]
fn renewal_fires_exactly_at_expiry_minus_configured_margin_u8() {
    let config = code_config().refresh_margin(Duration::from_secs(120));
    let mut w = standard(config, 900, true);
    w.challenge(challenge(401, None)).unwrap();
    let due = at(900 - 120);
    assert_eq!(w.flow.poll_timeout(), Some(due));
    // One millisecond early: nothing, and the deadline stays where it was.
    timeout_at(&mut w, ms(due, -1));
    assert_eq!(w.count("POST", TOKEN), 1);
    assert_eq!(w.flow.poll_timeout(), Some(due));
    // Exactly at expiry − margin: the refresh goes out. Hold the response to look at the flow
    // while it is in flight.
    w.now = due;
    w.flow.handle_timeout(due);
    let (id, request) = w
        .flow
        .poll_request()
        .expect("refresh queued at the due time");
    assert!(
        String::from_utf8_lossy(&request.body).contains("grant_type=refresh_token"),
        "a refresh"
    );
    assert_eq!(w.flow.status(), FlowStatus::RequestingToken);
    // The old token stays usable while the refresh is in flight (no gap).
    assert_eq!(header(&w, due).as_deref(), Some("Bearer at-1"));
    // The request deadline is the only timer now.
    assert_eq!(
        w.flow.poll_timeout(),
        Some(due.saturating_add(Duration::from_secs(30)))
    );
    let body = serde_json::json!({"access_token": "at-2", "token_type": "Bearer",
        "expires_in": 900, "refresh_token": "rt-2"});
    w.flow.handle_response(
        due,
        id,
        mcp_oauth_core::http::HttpResponse::new(
            200,
            vec![("content-type".into(), b"application/json".to_vec())],
            body.to_string().into_bytes(),
        ),
    );
    let events: Vec<_> = std::iter::from_fn(|| w.flow.poll_event()).collect();
    assert!(matches!(
        events.as_slice(),
        [Event::StateChanged, Event::Refreshed, Event::Authorized]
    ));
    assert_eq!(header(&w, due).as_deref(), Some("Bearer at-2"));
    // The next renewal is relative to the new expiry.
    assert_eq!(
        w.flow.poll_timeout(),
        Some(due.saturating_add(Duration::from_secs(900 - 120)))
    );
}

/// Drive `cycles` timeouts and check that `poll_timeout` moves strictly forward after each.
fn assert_timeouts_advance(w: &mut World, cycles: usize) {
    for _ in 0..cycles {
        let Some(t) = w.flow.poll_timeout() else {
            return;
        };
        let fire = t.max(w.now);
        timeout_at(w, fire);
        if let Some(next) = w.flow.poll_timeout() {
            assert!(
                next > fire,
                "busy loop: handle_timeout({}) left poll_timeout at {}\n{}",
                fire.unix_millis(),
                next.unix_millis(),
                w.transcript()
            );
        }
    }
}

// covers: U-8 (no busy loop)
#[test]
fn poll_timeout_advances_after_every_timeout_no_busy_loop() {
    // Ordinary tokens, a margin larger than the lifetime, a zero lifetime, a one-second one.
    for (expires_in, margin) in [(600, 60), (30, 60), (0, 60), (1, 0), (60, 60), (3600, 0)] {
        let config = code_config().refresh_margin(Duration::from_secs(margin));
        let mut w = standard(config, expires_in, true);
        w.challenge(challenge(401, None)).unwrap();
        assert_timeouts_advance(&mut w, 20);
        assert!(
            w.count("POST", TOKEN) <= 21,
            "expires_in {expires_in}, margin {margin}"
        );
    }
    // A margin longer than the lifetime renews at half the lifetime, not at once.
    let config = code_config().refresh_margin(Duration::from_secs(60));
    let mut w = standard(config, 30, true);
    w.challenge(challenge(401, None)).unwrap();
    assert_eq!(w.flow.poll_timeout(), Some(at(15)));
    // A token too short to renew usefully gets no timer (the next 401 handles it).
    let mut w = standard(code_config(), 1, true);
    w.challenge(challenge(401, None)).unwrap();
    assert_eq!(w.flow.poll_timeout(), None);
    // Client credentials with a margin larger than the lifetime.
    let mut w = standard(cc_config(), 30, false);
    w.start();
    assert_timeouts_advance(&mut w, 20);
    // A request that never answers: its deadline fires once, then nothing is left.
    let mut w = standard(code_config(), 600, true);
    w.route("GET", PRM_URL, Box::new(|_| Reply::Silence));
    let _ = w.flow.handle_challenge(w.now, &challenge(401, None));
    assert_timeouts_advance(&mut w, 5);
    assert_eq!(w.flow.status(), FlowStatus::Failed);
    assert_eq!(w.flow.poll_timeout(), None);
    // A browser that never comes back.
    let mut w = standard(code_config(), 600, true);
    w.manual_browser = true;
    w.challenge(challenge(401, None)).unwrap();
    assert_timeouts_advance(&mut w, 5);
    assert_eq!(w.flow.status(), FlowStatus::Failed);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    // covers: U-8, M-8 (no busy loop for any lifetime / margin)
    #[test]
    fn timeouts_always_advance(
        expires_in in 0u64..20_000,
        margin in 0u64..20_000,
        client_credentials in any::<bool>(),
    ) {
        let mut w = if client_credentials {
            standard(cc_config().refresh_margin(Duration::from_secs(margin)), expires_in, false)
        } else {
            standard(code_config().refresh_margin(Duration::from_secs(margin)), expires_in, true)
        };
        if client_credentials {
            w.start();
        } else {
            w.challenge(challenge(401, None)).unwrap();
        }
        prop_assert_eq!(w.flow.status(), FlowStatus::Authorized);
        for _ in 0..6 {
            let Some(t) = w.flow.poll_timeout() else { break };
            let fire = t.max(w.now);
            timeout_at(&mut w, fire);
            if let Some(next) = w.flow.poll_timeout() {
                prop_assert!(next > fire, "poll_timeout {} after handle_timeout({})",
                    next.unix_millis(), fire.unix_millis());
            }
        }
    }
}

/// A token endpoint that rotates refresh tokens and refuses any refresh token that is not the
/// newest (reuse detection, as OAuth 2.1 §4.3.1 allows). `with_rt(n)`: whether response `n`
/// carries a new refresh token.
fn rotating_endpoint(checks: Checks, with_rt: fn(u32) -> bool) -> Handler {
    let newest: Rc<RefCell<Option<String>>> = Rc::new(RefCell::new(None));
    let mut n = 0u32;
    Box::new(move |req: &Req| {
        n += 1;
        if let Some(sent) = req.param("refresh_token") {
            let ok = newest.borrow().as_deref() == Some(sent);
            checks.record("refresh-token-is-newest", ok, sent.to_string());
            if !ok {
                return json(400, serde_json::json!({"error": "invalid_grant"}));
            }
        }
        let mut body = serde_json::json!({
            "access_token": format!("at-{n}"),
            "token_type": "Bearer",
            "expires_in": 600,
        });
        if n == 1 || with_rt(n) {
            let rt = format!("rt-{n}");
            body["refresh_token"] = serde_json::json!(rt);
            *newest.borrow_mut() = Some(rt);
        }
        json(200, body)
    })
}

// covers: F-2, F-3, U-8
#[test]
fn rotation_over_many_cycles_sends_each_refresh_token_once_f2() {
    let mut w = standard(code_config(), 600, true);
    // Responses 2, 3 and 5 rotate; 4 and 6 carry no refresh token (the old one stays, F-3).
    let with_rt: fn(u32) -> bool = |n| matches!(n, 2 | 3 | 5 | 7);
    let handler = rotating_endpoint(w.checks.clone(), with_rt);
    w.route("POST", TOKEN, handler);
    w.challenge(challenge(401, None)).unwrap();
    for _ in 0..6 {
        assert!(w.fire_timeout());
        assert_eq!(w.flow.status(), FlowStatus::Authorized);
    }
    assert_eq!(
        refreshes(&w),
        ["rt-1", "rt-2", "rt-3", "rt-3", "rt-5", "rt-5"],
        "always the newest refresh token; a response without one keeps the old"
    );
    assert!(w.checks.failures().is_empty(), "{:?}", w.checks.failures());
    assert_eq!(header(&w, w.now).as_deref(), Some("Bearer at-7"));
    // The persisted state carries the newest refresh token only.
    let saved = serde_json::to_string(&w.flow.persisted_state().unwrap()).unwrap();
    assert!(saved.contains("rt-7") && !saved.contains("rt-5"), "{saved}");
}

/// The refresh token dies after `lifetime`: `invalid_grant` for any refresh after that.
fn expiring_rt_endpoint(
    checks: Checks,
    challenge: Rc<RefCell<Option<String>>>,
    clock: Rc<RefCell<Timestamp>>,
    lifetime: Duration,
) -> Handler {
    let mut inner = token_endpoint(checks, challenge, 3600, true);
    let mut issued: Vec<(String, Timestamp)> = Vec::new();
    let mut n = 0;
    Box::new(move |req: &Req| {
        if let Some(rt) = req.param("refresh_token") {
            let now = *clock.borrow();
            let alive = issued
                .iter()
                .any(|(r, t)| r == rt && now < t.saturating_add(lifetime));
            if !alive {
                return json(
                    400,
                    serde_json::json!({"error": "invalid_grant",
                        "error_description": "refresh token expired"}),
                );
            }
        }
        n += 1;
        issued.push((format!("rt-{n}"), *clock.borrow()));
        inner(req)
    })
}

// covers: F-6, F-1, D-15
#[test]
fn refresh_token_expiry_on_timer_and_on_401_reauthorizes_f6() {
    let mut w = standard(code_config(), 3600, true);
    let clock = Rc::new(RefCell::new(w.now));
    let slot = Rc::new(RefCell::new(None));
    w.route("GET", AUTHORIZE, authorize_endpoint(slot.clone(), None));
    let handler = expiring_rt_endpoint(
        w.checks.clone(),
        slot,
        clock.clone(),
        Duration::from_secs(86_400),
    );
    w.route("POST", TOKEN, handler);
    w.challenge(challenge(401, None)).unwrap();

    // Two days pass with the process asleep; the timer fires late, the refresh token is dead.
    w.set_clock(at(2 * 86_400));
    *clock.borrow_mut() = w.now;
    let now = w.now;
    timeout_at(&mut w, now);
    assert_eq!(refreshes(&w), ["rt-1"]);
    assert_eq!(
        w.count("GET", AUTHORIZE),
        2,
        "a full authorization followed"
    );
    assert_eq!(w.flow.status(), FlowStatus::Authorized);
    assert!(w.events.iter().any(|e| e == "OpenAuthorizationUrl"));
    assert!(w.flow.report().to_string().contains("tokens dropped"));

    // Again two days later, this time discovered by a 401 (the D-15 refresh step).
    w.set_clock(at(4 * 86_400));
    *clock.borrow_mut() = w.now;
    w.challenge(challenge(401, Some(r#"Bearer error="invalid_token""#)))
        .unwrap();
    assert_eq!(refreshes(&w), ["rt-1", "rt-2"]);
    assert_eq!(w.count("GET", AUTHORIZE), 3);
    assert_eq!(w.flow.status(), FlowStatus::Authorized);
    // The dead refresh tokens are never sent again: the next renewal uses the newest.
    assert!(w.fire_timeout());
    assert_eq!(refreshes(&w), ["rt-1", "rt-2", "rt-3"]);
    assert!(w.checks.failures().is_empty(), "{:?}", w.checks.failures());
}

// covers: V-9 (clock going backwards), U-8
#[test]
fn clock_going_backwards_never_panics_or_fires_early() {
    // While a request is in flight: nothing fires before the original deadline, it fires at it.
    let mut w = standard(
        code_config().request_timeout(Duration::from_secs(10)),
        600,
        true,
    );
    w.route("GET", AS_META, Box::new(|_| Reply::Silence));
    let _ = w.flow.handle_challenge(w.now, &challenge(401, None));
    while let Some((id, request)) = w.flow.poll_request() {
        // Answer the PRM; leave the metadata request hanging.
        if request.url == PRM_URL {
            w.flow.handle_response(
                w.now,
                id,
                mcp_oauth_core::http::HttpResponse::new(
                    200,
                    vec![("content-type".into(), b"application/json".to_vec())],
                    prm(RS, &[AS], None).to_string().into_bytes(),
                ),
            );
        }
    }
    let deadline = w.flow.poll_timeout().unwrap();
    assert_eq!(deadline, at(10));
    for back in [
        Timestamp::from_unix_millis(0),
        at(0).saturating_sub(Duration::from_secs(3600)),
        ms(deadline, -1),
    ] {
        w.flow.handle_timeout(back);
        assert_eq!(w.flow.status(), FlowStatus::Discovering);
        assert_eq!(w.flow.poll_timeout(), Some(deadline));
    }
    w.flow.handle_timeout(deadline);
    assert!(matches!(
        w.flow.poll_event(),
        Some(Event::Failed(e)) if matches!(e.kind(), FlowErrorKind::Timeout {
            purpose: RequestPurpose::AuthorizationServerMetadata
        })
    ));

    // While the browser is out: a jump back keeps the authorization alive, the deadline fires
    // later at its original time.
    let mut w = standard(
        code_config().authorization_timeout(Duration::from_secs(120)),
        600,
        true,
    );
    w.manual_browser = true;
    w.challenge(challenge(401, None)).unwrap();
    let deadline = w.flow.poll_timeout().unwrap();
    assert_eq!(deadline, at(120));
    w.set_clock(Timestamp::from_unix_millis(0));
    let now = w.now;
    timeout_at(&mut w, now);
    assert_eq!(w.flow.status(), FlowStatus::AwaitingAuthorization);
    assert_eq!(w.flow.poll_timeout(), Some(deadline));

    // Authorized: jumps to the extremes of the clock never panic; going back never refreshes,
    // and the token is (correctly) still usable at the earlier time.
    let mut w = standard(code_config(), 600, true);
    w.challenge(challenge(401, None)).unwrap();
    let due = w.flow.poll_timeout().unwrap();
    for t in [
        Timestamp::from_unix_millis(0),
        Timestamp::from_unix_millis(1),
        at(0).saturating_sub(Duration::from_secs(86_400 * 365)),
    ] {
        timeout_at(&mut w, t);
        assert!(refreshes(&w).is_empty());
        assert_eq!(w.flow.poll_timeout(), Some(due));
        assert!(w.flow.access_token(t).is_some());
    }
    // The far future: the renewal fires once (late), and the new token's timer is ahead.
    let far = Timestamp::from_unix_millis(u64::MAX);
    timeout_at(&mut w, far);
    assert_eq!(refreshes(&w).len(), 1);
    assert!(w.flow.access_token(far).is_some() || w.flow.poll_timeout().is_none_or(|t| t >= far));
    let _ = w.flow.authorization_header(far);
    let _ = w.flow.persisted_state();
}

// covers: Z-13 (request deadline of token requests)
#[test]
fn token_request_timeouts_fire_at_the_deadline_and_late_answers_are_ignored() {
    // A code exchange that never answers.
    let mut w2 = standard(
        code_config().request_timeout(Duration::from_secs(5)),
        600,
        true,
    );
    w2.route("POST", TOKEN, Box::new(|_| Reply::Silence));
    w2.manual_browser = true;
    w2.challenge(challenge(401, None)).unwrap();
    let url = w2.last_authorization_url.clone().unwrap();
    let state = url
        .split("state=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let now = w2.now;
    w2.flow
        .handle_redirect(now, &format!("{REDIRECT}?code=c&state={state}"))
        .unwrap();
    let (exchange, request) = w2.flow.poll_request().unwrap();
    assert_eq!(request.url, TOKEN);
    let deadline = w2.flow.poll_timeout().unwrap();
    assert_eq!(deadline, now.saturating_add(Duration::from_secs(5)));
    w2.flow.handle_timeout(ms(deadline, -1));
    assert!(w2.flow.poll_event().is_none());
    w2.flow.handle_timeout(deadline);
    assert!(matches!(
        w2.flow.poll_event(),
        Some(Event::Failed(e)) if matches!(e.kind(), FlowErrorKind::Timeout {
            purpose: RequestPurpose::CodeExchange
        })
    ));
    // The answer arrives late: ignored, noted, no token.
    let late = serde_json::json!({"access_token": "late", "token_type": "Bearer"});
    w2.flow.handle_response(
        deadline,
        exchange,
        mcp_oauth_core::http::HttpResponse::new(
            200,
            vec![("content-type".into(), b"application/json".to_vec())],
            late.to_string().into_bytes(),
        ),
    );
    assert!(w2.flow.access_token(deadline).is_none());
    assert_eq!(w2.flow.status(), FlowStatus::Failed);
    assert!(w2.flow.report().to_string().contains("ignored response"));

    // A renewal that times out: the attempt fails, the old token stays usable until its expiry,
    // and the next 401 tries the refresh again.
    let mut w3 = standard(
        code_config().request_timeout(Duration::from_secs(5)),
        600,
        true,
    );
    w3.challenge(challenge(401, None)).unwrap();
    w3.route("POST", TOKEN, Box::new(|_| Reply::Silence));
    assert!(w3.fire_timeout()); // the renewal goes out and hangs; drive fires its deadline
    assert_eq!(w3.flow.status(), FlowStatus::Failed);
    assert!(
        w3.events
            .iter()
            .any(|e| e.contains("refresh request timed out")),
        "{:?}",
        w3.events
    );
    assert_eq!(header(&w3, w3.now).as_deref(), Some("Bearer at-1"));
    assert_eq!(
        w3.flow.poll_timeout(),
        None,
        "a failed attempt arms no timer"
    );
    let checks = w3.checks.clone();
    let slot = Rc::new(RefCell::new(None));
    w3.route("POST", TOKEN, token_endpoint(checks, slot, 600, true));
    w3.challenge(challenge(401, Some(r#"Bearer error="invalid_token""#)))
        .unwrap();
    assert_eq!(refreshes(&w3), ["rt-1", "rt-1"]);
    assert_eq!(w3.flow.status(), FlowStatus::Authorized);
}

// covers: C-7 (authorization deadline through handle_timeout)
#[test]
fn authorization_timeout_fires_then_a_new_attempt_starts_fresh() {
    let mut w = standard(
        code_config().authorization_timeout(Duration::from_secs(300)),
        600,
        true,
    );
    w.manual_browser = true;
    w.challenge(challenge(401, None)).unwrap();
    let first = w.last_authorization_url.clone().unwrap();
    let deadline = w.flow.poll_timeout().unwrap();
    assert_eq!(deadline, at(300));
    timeout_at(&mut w, ms(deadline, -1));
    assert_eq!(w.flow.status(), FlowStatus::AwaitingAuthorization);
    timeout_at(&mut w, deadline);
    assert_eq!(w.flow.status(), FlowStatus::Failed);
    assert!(
        w.events
            .iter()
            .any(|e| e.contains("the authorization request expired"))
    );
    assert_eq!(w.flow.poll_timeout(), None);
    // The browser comes back after all: nothing is pending any more.
    let state = first
        .split("state=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    let err = w
        .redirect(&format!("{REDIRECT}?code=c&state={state}"))
        .unwrap_err();
    assert!(err.contains("no authorization is pending"), "{err}");
    assert_eq!(w.count("POST", TOKEN), 0);
    // A new challenge starts a fresh authorization (new state, no re-discovery needed).
    w.manual_browser = false;
    w.challenge(challenge(401, None)).unwrap();
    assert_eq!(w.flow.status(), FlowStatus::Authorized);
    // (The first URL never reached the world: the browser was manual.)
    let second = w
        .requests
        .iter()
        .filter(|r| r.url.starts_with(AUTHORIZE))
        .collect::<Vec<_>>();
    assert_eq!(second.len(), 1);
    assert_ne!(second[0].param("state"), Some(state.as_str()));
    assert_eq!(w.count("GET", PRM_URL), 1);
}

// covers: M-8, S-6 (renewals are not authorization attempts)
#[test]
fn client_credentials_reacquired_every_cycle_at_expiry_minus_margin_m8() {
    let config = cc_config()
        .refresh_margin(Duration::from_secs(30))
        .max_authorization_attempts(2);
    let mut w = standard(config, 300, false);
    w.start();
    assert_eq!(w.flow.status(), FlowStatus::Authorized);
    let mut expected_due = at(300 - 30);
    for cycle in 2..=6 {
        assert_eq!(w.flow.poll_timeout(), Some(expected_due));
        timeout_at(&mut w, ms(expected_due, -1));
        assert_eq!(w.count("POST", TOKEN), cycle - 1);
        timeout_at(&mut w, expected_due);
        assert_eq!(w.count("POST", TOKEN), cycle);
        assert_eq!(
            header(&w, w.now).as_deref(),
            Some(format!("Bearer at-{cycle}").as_str())
        );
        expected_due = expected_due.saturating_add(Duration::from_secs(300 - 30));
    }
    // Five re-acquisitions without any resource success, budget 2: renewals are not counted.
    assert_eq!(w.flow.status(), FlowStatus::Authorized);
    assert!(!w.events.iter().any(|e| e == "OpenAuthorizationUrl"));
    assert!(
        w.requests
            .iter()
            .filter(|r| r.url == TOKEN)
            .all(|r| r.param("grant_type") == Some("client_credentials")
                && r.param("resource") == Some(RS))
    );
}
