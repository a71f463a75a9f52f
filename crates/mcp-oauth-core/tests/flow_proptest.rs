//! Arbitrary inputs in arbitrary order never panic the flow, and never leak secrets into the
//! report.

use mcp_oauth_core::flow::{AuthFlow, ClientConfig, FlowConfig, RequestId, TransportError};
use mcp_oauth_core::http::HttpResponse;
use mcp_oauth_core::{Entropy, Timestamp};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Input {
    Challenge(u16, Vec<u8>),
    Respond(u64, u16, Vec<u8>),
    RespondCurrent(u16, Vec<u8>),
    Transport(u64),
    Redirect(String),
    Timeout(u64),
    Success,
    Start,
}

fn input() -> impl Strategy<Value = Input> {
    let bodies = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..64),
        Just(br#"{"resource":"https://mcp.example.com/mcp","authorization_servers":["https://auth.example.com"]}"#.to_vec()),
        Just(br#"{"issuer":"https://auth.example.com","authorization_endpoint":"https://auth.example.com/a","token_endpoint":"https://auth.example.com/t","registration_endpoint":"https://auth.example.com/r","code_challenge_methods_supported":["S256"]}"#.to_vec()),
        Just(br#"{"client_id":"c","token_endpoint_auth_method":"none","redirect_uris":["http://127.0.0.1:8765/cb"]}"#.to_vec()),
        Just(br#"{"access_token":"SECRET-AT","token_type":"Bearer","expires_in":5,"refresh_token":"SECRET-RT"}"#.to_vec()),
        Just(br#"{"error":"invalid_grant"}"#.to_vec()),
    ];
    prop_oneof![
        (
            prop_oneof![Just(401u16), Just(403), any::<u16>()],
            proptest::collection::vec(any::<u8>(), 0..80)
        )
            .prop_map(|(s, h)| Input::Challenge(s, h)),
        (
            0u64..20,
            prop_oneof![Just(200u16), Just(201), Just(404), Just(500), any::<u16>()],
            bodies.clone()
        )
            .prop_map(|(i, s, b)| Input::Respond(i, s, b)),
        (
            prop_oneof![Just(200u16), Just(201), Just(404), Just(400)],
            bodies
        )
            .prop_map(|(s, b)| Input::RespondCurrent(s, b)),
        (0u64..20).prop_map(Input::Transport),
        ".{0,80}".prop_map(Input::Redirect),
        (0u64..100_000).prop_map(Input::Timeout),
        Just(Input::Success),
        Just(Input::Start),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn arbitrary_input_sequences_never_panic(inputs in proptest::collection::vec(input(), 0..40)) {
        let config = FlowConfig::new(
            "https://mcp.example.com/mcp",
            ClientConfig::authorization_code("P", "http://127.0.0.1:8765/cb"),
        );
        let mut flow = AuthFlow::new(config, Entropy::new([5; 32]));
        let mut now = Timestamp::from_unix_seconds(1_700_000_000);
        let mut current = None;
        for input in inputs {
            match input {
                Input::Challenge(status, header) => {
                    let r = HttpResponse::new(status, vec![("www-authenticate".into(), header)], vec![]);
                    let _ = flow.handle_challenge(now, &r);
                }
                Input::Respond(id, status, body) => {
                    flow.handle_response(now, RequestId(id), HttpResponse::new(status, vec![], body));
                }
                Input::RespondCurrent(status, body) => {
                    if let Some(id) = current.take() {
                        flow.handle_response(now, id, HttpResponse::new(status, vec![("content-type".into(), b"application/json".to_vec())], body));
                    }
                }
                Input::Transport(id) => flow.handle_transport_error(now, RequestId(id), TransportError::Reset),
                Input::Redirect(r) => { let _ = flow.handle_redirect(now, &r); }
                Input::Timeout(ms) => {
                    // Time may also go backwards.
                    now = if ms % 7 == 0 {
                        Timestamp::from_unix_millis(now.unix_millis().saturating_sub(ms))
                    } else {
                        Timestamp::from_unix_millis(now.unix_millis().saturating_add(ms * 1000))
                    };
                    flow.handle_timeout(now);
                }
                Input::Success => flow.handle_resource_success(now),
                Input::Start => flow.start(now),
            }
            while let Some((id, _)) = flow.poll_request() {
                current = Some(id);
            }
            while flow.poll_event().is_some() {}
            let _ = flow.poll_timeout();
            let _ = flow.authorization_header(now);
            let _ = flow.persisted_state();
        }
        let report = flow.report().to_string();
        prop_assert!(!report.contains("SECRET"));
        let debug = format!("{:?}", flow);
        prop_assert!(!debug.contains("SECRET"));
        if let Some(state) = flow.persisted_state() {
            let debug = format!("{:?}", state);
            prop_assert!(!debug.contains("SECRET"));
        }
    }
}
