//! RFC 8693 token exchange and the RFC 7523 JWT bearer grant: property tests for the exchange
//! response parser and the two request builders.
// covers: E-2, E-4, E-5, E-6, T-10, V-11

use mcp_oauth_core::http::HttpResponse;
use mcp_oauth_core::secret::{Assertion, SubjectToken};
use mcp_oauth_core::token::{
    ClientAuth, GRANT_TYPE_JWT_BEARER, GRANT_TYPE_TOKEN_EXCHANGE, IssuedToken, TOKEN_TYPE_ID_JAG,
    TOKEN_TYPE_ID_TOKEN, TokenExchangeError, TokenExchangeRequest, TokenRequest,
    parse_token_exchange_response,
};
use mcp_oauth_core::urls::UrlPolicy;
use mcp_oauth_core::{Scopes, Timestamp};
use proptest::prelude::*;
use serde_json::{Value, json};

const NOW: Timestamp = Timestamp::from_unix_seconds(1_700_000_000);

fn response(status: u16, content_type: Option<&str>, body: &[u8]) -> HttpResponse {
    let headers = content_type
        .map(|ct| vec![("Content-Type".to_string(), ct.as_bytes().to_vec())])
        .unwrap_or_default();
    HttpResponse::new(status, headers, body.to_vec())
}

fn parse(r: &HttpResponse) -> Result<IssuedToken, TokenExchangeError> {
    parse_token_exchange_response(r, NOW, &Scopes::parse("a"), Some(TOKEN_TYPE_ID_JAG))
}

fn pairs(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn member_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("access_token".to_string()),
        Just("issued_token_type".to_string()),
        Just("token_type".to_string()),
        Just("expires_in".to_string()),
        Just("refresh_token".to_string()),
        Just("scope".to_string()),
        Just("error".to_string()),
        Just("error_description".to_string()),
        "\\PC{0,8}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Arbitrary bytes with any status and content type never panic.
    #[test]
    fn arbitrary_bytes_never_panic(
        body in proptest::collection::vec(any::<u8>(), 0..256),
        status in prop_oneof![Just(200u16), Just(400), Just(401), any::<u16>()],
        form in any::<bool>(),
        now in any::<u64>(),
    ) {
        let ct = if form { "application/x-www-form-urlencoded" } else { "application/json" };
        let r = response(status, Some(ct), &body);
        let _ = parse_token_exchange_response(&r, Timestamp::from_unix_millis(now), &Scopes::new(), None);
        let _ = parse(&r);
    }

    /// Bodies built from exchange-response members never panic, and neither an error nor the
    /// parsed result's `Debug` ever shows the issued token or the refresh token of the body.
    #[test]
    fn structured_bodies_never_leak_the_issued_token(
        token in "[A-Za-z0-9_-]{20,32}",
        members in proptest::collection::vec((member_name(), any::<u8>()), 0..8),
        status in prop_oneof![Just(200u16), Just(400)],
    ) {
        let values: Vec<(String, Value)> = members
            .into_iter()
            .map(|(k, pick)| {
                let v = match pick % 5 {
                    0 => json!(token.clone()),
                    1 => json!(format!("x{token}y")),
                    2 => json!(TOKEN_TYPE_ID_JAG),
                    3 => json!("N_A"),
                    _ => json!(pick),
                };
                (k, v)
            })
            .collect();
        let parts: Vec<String> = values
            .iter()
            .map(|(k, v)| format!("{}:{}", Value::String(k.clone()), v))
            .collect();
        let body = format!("{{{}}}", parts.join(","));
        let result = parse(&response(status, Some("application/json"), body.as_bytes()));
        let text = match &result {
            Ok(t) => format!("{t:?}"),
            Err(e) => format!("{e}\n{e:?}"),
        };
        // The credentials this body really carries (the last value of a repeated member is
        // what a lenient reader would take; check every one).
        let secrets: Vec<&str> = values
            .iter()
            .filter(|(k, _)| k == "access_token" || k == "refresh_token")
            .filter_map(|(_, v)| v.as_str())
            // Only the generated credential: an access token that is one of the constants
            // (the ID-JAG type URN, `N_A`) is legitimately shown as another member's value.
            .filter(|v| v.len() >= 16 && v.contains(token.as_str()))
            .collect();
        for secret in secrets {
            prop_assert!(!text.contains(secret), "token leaked: {}", text);
        }
    }

    /// A well-formed ID-JAG response always parses and keeps the token and type exactly; the
    /// `token_type` may be anything non-empty (E-4: `N_A` accepted here).
    #[test]
    fn valid_id_jag_response_round_trips(
        token in "\\PC{1,60}",
        token_type in prop_oneof![Just("N_A".to_string()), "[A-Za-z_]{1,10}"],
        expires in proptest::option::of(any::<u32>()),
        scope in proptest::option::of(proptest::collection::vec("[!#-\\[\\]-~]{1,8}", 0..4)),
    ) {
        let mut body = json!({
            "access_token": token,
            "issued_token_type": TOKEN_TYPE_ID_JAG,
            "token_type": token_type,
        });
        if let Some(e) = expires { body["expires_in"] = json!(e); }
        if let Some(s) = &scope { body["scope"] = json!(s.join(" ")); }
        let t = parse(&response(200, Some("application/json"), body.to_string().as_bytes())).unwrap();
        prop_assert_eq!(t.issued_token_type(), TOKEN_TYPE_ID_JAG);
        prop_assert_eq!(
            t.expires_at(),
            expires.map(|e| NOW.saturating_add(core::time::Duration::from_secs(e.into())))
        );
        let expected_scope = scope.map_or(Scopes::parse("a"), Scopes::from_tokens);
        prop_assert_eq!(t.scope(), &expected_scope);
        let assertion = t.into_assertion();
        prop_assert_eq!(assertion.secret(), token.as_str());
    }

    /// The exchange request carries every value exactly once and exactly as given (E-2), and
    /// its `Debug` never shows the subject token.
    #[test]
    fn exchange_request_round_trips(
        subject in "[!-~]{16,40}",
        audience in "https://[a-z]{1,10}\\.example(/[a-z]{0,5})?",
        resource in "https://[a-z]{1,10}\\.example/[a-z]{0,8}",
        scope in proptest::collection::vec("[!#-\\[\\]-~]{1,8}", 0..3),
        client_id in "[!-~]{1,20}",
    ) {
        let scopes = Scopes::from_tokens(scope.iter());
        let request = TokenExchangeRequest::id_jag(
            SubjectToken::new(subject.clone()),
            &audience,
            &resource,
            &scopes,
        )
        .build(
            "https://idp.example/token",
            &ClientAuth::None { client_id: client_id.clone() },
            UrlPolicy::https_only(),
        )
        .unwrap();
        let got = pairs(&request.body);
        let one = |name: &str| {
            let v: Vec<&str> = got.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect();
            (v.len() == 1).then(|| v[0].to_string())
        };
        prop_assert_eq!(one("grant_type"), Some(GRANT_TYPE_TOKEN_EXCHANGE.to_string()));
        prop_assert_eq!(one("requested_token_type"), Some(TOKEN_TYPE_ID_JAG.to_string()));
        prop_assert_eq!(one("subject_token_type"), Some(TOKEN_TYPE_ID_TOKEN.to_string()));
        prop_assert_eq!(one("subject_token"), Some(subject.clone()));
        prop_assert_eq!(one("audience"), Some(audience));
        prop_assert_eq!(one("resource"), Some(resource));
        prop_assert_eq!(one("client_id"), Some(client_id));
        prop_assert_eq!(one("scope"), (!scopes.is_empty()).then(|| scopes.to_string()));
        let shown = format!("{request:?}");
        prop_assert!(!shown.contains(subject.as_str()));
    }

    /// The JWT bearer grant carries the assertion and `resource` exactly (E-5, T-10).
    #[test]
    fn jwt_bearer_request_round_trips(
        assertion in "[!-~]{1,60}",
        resource in "https://[a-z]{1,10}\\.example/[a-z]{0,8}",
    ) {
        let request = TokenRequest::jwt_bearer(
            Assertion::new(assertion.clone()),
            &resource,
            &Scopes::new(),
        )
        .build(
            "https://as.example/token",
            &ClientAuth::None { client_id: "c".into() },
            UrlPolicy::https_only(),
        )
        .unwrap();
        let got = pairs(&request.body);
        let expected: Vec<(String, String)> = [
            ("grant_type", GRANT_TYPE_JWT_BEARER),
            ("assertion", assertion.as_str()),
            ("resource", resource.as_str()),
            ("client_id", "c"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect();
        prop_assert_eq!(got, expected);
    }
}

#[test]
fn empty_assertion_is_refused() {
    let e = TokenRequest::jwt_bearer(
        Assertion::new(String::new()),
        "https://mcp.example/mcp",
        &Scopes::new(),
    )
    .build(
        "https://as.example/token",
        &ClientAuth::None {
            client_id: "c".into(),
        },
        UrlPolicy::https_only(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "token request parameter `assertion` is empty"
    );
    let extra = TokenRequest::jwt_bearer(
        Assertion::new("a".into()),
        "https://mcp.example/mcp",
        &Scopes::new(),
    )
    .extra_param("assertion", "x")
    .build(
        "https://as.example/token",
        &ClientAuth::None {
            client_id: "c".into(),
        },
        UrlPolicy::https_only(),
    )
    .unwrap_err();
    assert_eq!(extra.to_string(), "extra parameter `assertion` is reserved");
}
