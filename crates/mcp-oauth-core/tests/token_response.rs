//! Token endpoint responses: checklist V-1 … V-9, V-11, F-3, F-9, S-9.

use core::time::Duration;

use mcp_oauth_core::http::HttpResponse;
use mcp_oauth_core::secret::{AccessToken, RefreshToken};
use mcp_oauth_core::token::{
    TokenErrorCode, TokenResponseError, TokenSet, TokenType, parse_refresh_response,
    parse_token_response,
};
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

fn json_response(status: u16, body: &str) -> HttpResponse {
    response(status, Some("application/json"), body.as_bytes())
}

fn parse(status: u16, body: &str) -> Result<TokenSet, TokenResponseError> {
    parse_token_response(&json_response(status, body), NOW, &Scopes::parse("a b"))
}

fn server_error(result: Result<TokenSet, TokenResponseError>) -> (u16, TokenErrorCode) {
    match result {
        Err(TokenResponseError::Server(e)) => (e.status(), e.code().clone()),
        other => panic!("expected a server error, got {other:?}"),
    }
}

#[test]
fn access_token_required_v1() {
    assert_eq!(
        parse(200, r#"{"token_type":"Bearer"}"#),
        Err(TokenResponseError::MissingAccessToken)
    );
    assert_eq!(
        parse(200, r#"{"access_token":"","token_type":"Bearer"}"#),
        Err(TokenResponseError::MissingAccessToken)
    );
    assert_eq!(
        parse(200, r#"{"access_token":null,"token_type":"Bearer"}"#),
        Err(TokenResponseError::MissingAccessToken)
    );
    assert_eq!(
        parse(200, r#"{"access_token":42,"token_type":"Bearer"}"#),
        Err(TokenResponseError::InvalidMember("access_token"))
    );
    assert_eq!(
        parse(200, r#"{"access_token":"at"}"#),
        Err(TokenResponseError::MissingTokenType)
    );
    assert_eq!(
        parse(200, r#"{"access_token":"at","token_type":1}"#),
        Err(TokenResponseError::InvalidMember("token_type"))
    );
    assert_eq!(
        parse(200, "[]"),
        Err(TokenResponseError::NotAnObject { status: 200 })
    );
    assert_eq!(
        parse(200, r#""at""#),
        Err(TokenResponseError::NotAnObject { status: 200 })
    );
    // A 201 is not the RFC's success status.
    assert_eq!(
        parse(201, r#"{"access_token":"at","token_type":"Bearer"}"#),
        Err(TokenResponseError::UnexpectedStatus { status: 201 })
    );
}

#[test]
fn token_type_case_insensitive_v2() {
    for t in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let tokens = parse(
            200,
            &format!(r#"{{"access_token":"at","token_type":"{t}"}}"#),
        )
        .unwrap();
        assert_eq!(tokens.token_type(), TokenType::Bearer);
        assert_eq!(tokens.token_type().as_str(), "Bearer");
    }
    assert_eq!(
        parse(200, r#"{"access_token":"at","token_type":"mac"}"#),
        Err(TokenResponseError::UnsupportedTokenType("mac".into()))
    );
    assert_eq!(
        parse(200, r#"{"access_token":"at","token_type":"DPoP"}"#),
        Err(TokenResponseError::UnsupportedTokenType("DPoP".into()))
    );
    let err = parse(200, r#"{"access_token":"at","token_type":"N_A"}"#).unwrap_err();
    assert_eq!(err.to_string(), "unsupported token type `N_A`");
}

#[test]
fn expires_in_v3() {
    let exp = |v: &str| {
        parse(
            200,
            &format!(r#"{{"access_token":"at","token_type":"Bearer","expires_in":{v}}}"#),
        )
        .unwrap()
        .expires_at()
    };
    assert_eq!(
        exp("3600"),
        Some(Timestamp::from_unix_seconds(1_700_003_600))
    );
    assert_eq!(
        exp(r#""3600""#),
        Some(Timestamp::from_unix_seconds(1_700_003_600))
    );
    assert_eq!(exp("-5"), None);
    assert_eq!(exp(r#""""#), None);
    assert_eq!(exp("null"), None);
    assert_eq!(
        exp("18446744073709551615"),
        Some(Timestamp::from_unix_millis(u64::MAX))
    );
    assert_eq!(exp("1e300"), Some(Timestamp::from_unix_millis(u64::MAX)));
    assert_eq!(
        exp("12.7"),
        Some(Timestamp::from_unix_seconds(1_700_000_012))
    );
    // Out of f64 range: serde_json refuses the document.
    assert!(matches!(
        parse(
            200,
            r#"{"access_token":"at","token_type":"Bearer","expires_in":1e400}"#
        ),
        Err(TokenResponseError::InvalidJson { .. })
    ));
    let no_expiry = parse(200, r#"{"access_token":"at","token_type":"Bearer"}"#).unwrap();
    assert_eq!(no_expiry.expires_at(), None);
    assert!(!no_expiry.expires_within(NOW, Duration::from_secs(3600)));

    let t = parse(
        200,
        r#"{"access_token":"at","token_type":"Bearer","expires_in":30}"#,
    )
    .unwrap();
    // U-8 helper: due for refresh within a 60 s margin, not within 10 s.
    assert!(t.expires_within(NOW, Duration::from_secs(60)));
    assert!(!t.expires_within(NOW, Duration::from_secs(10)));
}

#[test]
fn scope_absent_or_authoritative_v4_s9() {
    let requested = Scopes::parse("a b");
    let t = parse(200, r#"{"access_token":"at","token_type":"Bearer"}"#).unwrap();
    assert_eq!(t.scope(), &requested);
    let t = parse(
        200,
        r#"{"access_token":"at","token_type":"Bearer","scope":"a"}"#,
    )
    .unwrap();
    assert_eq!(t.scope(), &Scopes::parse("a"));
    let t = parse(
        200,
        r#"{"access_token":"at","token_type":"Bearer","scope":"a b c"}"#,
    )
    .unwrap();
    assert_eq!(t.scope(), &Scopes::parse("a b c"));
    let t = parse(
        200,
        r#"{"access_token":"at","token_type":"Bearer","scope":["x","y"]}"#,
    )
    .unwrap();
    assert_eq!(t.scope(), &Scopes::parse("x y"));
    let t = parse(
        200,
        r#"{"access_token":"at","token_type":"Bearer","scope":"repo,gist"}"#,
    )
    .unwrap();
    assert_eq!(t.scope().iter().collect::<Vec<_>>(), ["repo,gist"]);
    let t = parse(
        200,
        r#"{"access_token":"at","token_type":"Bearer","scope":""}"#,
    )
    .unwrap();
    assert!(t.scope().is_empty());
    assert_eq!(
        parse(
            200,
            r#"{"access_token":"at","token_type":"Bearer","scope":["x",1]}"#
        ),
        Err(TokenResponseError::InvalidMember("scope"))
    );
}

#[test]
fn unknown_members_ignored_v5() {
    let t = parse(
        200,
        r#"{"access_token":"at","token_type":"Bearer","id_token":"eyJ.x.y","issued_token_type":"urn:x","ext_expires_in":1,"nested":{"a":[1,{"b":null}]}}"#,
    )
    .unwrap();
    assert_eq!(t.access_token().secret(), "at");
}

#[test]
fn typed_error_codes_v6() {
    let cases = [
        ("invalid_request", TokenErrorCode::InvalidRequest),
        ("invalid_client", TokenErrorCode::InvalidClient),
        ("invalid_grant", TokenErrorCode::InvalidGrant),
        ("unauthorized_client", TokenErrorCode::UnauthorizedClient),
        (
            "unsupported_grant_type",
            TokenErrorCode::UnsupportedGrantType,
        ),
        ("invalid_scope", TokenErrorCode::InvalidScope),
        ("invalid_target", TokenErrorCode::InvalidTarget),
        (
            "server_error",
            TokenErrorCode::Unknown("server_error".into()),
        ),
    ];
    for (code, expected) in cases {
        let (status, got) = server_error(parse(400, &format!(r#"{{"error":"{code}"}}"#)));
        assert_eq!(status, 400);
        assert_eq!(got, expected);
        assert_eq!(got.as_str(), code);
    }
    let result = parse(
        401,
        r#"{"error":"invalid_client","error_description":"Client authentication failed","error_uri":"https://as/err"}"#,
    );
    let Err(TokenResponseError::Server(e)) = result else {
        panic!("expected a server error");
    };
    assert_eq!(e.status(), 401);
    assert_eq!(e.code(), &TokenErrorCode::InvalidClient);
    assert_eq!(e.description(), Some("Client authentication failed"));
    assert_eq!(e.uri(), Some("https://as/err"));
    // The Display names the code and status, not the untrusted description.
    let shown = TokenResponseError::Server(e).to_string();
    assert_eq!(
        shown,
        "token endpoint returned error `invalid_client` (HTTP 401)"
    );
    // A long description is cut to 1 KiB.
    let long = "x".repeat(5000);
    let Err(TokenResponseError::Server(e)) = parse(
        400,
        &format!(r#"{{"error":"invalid_grant","error_description":"{long}"}}"#),
    ) else {
        panic!("expected a server error");
    };
    assert_eq!(e.description().map(str::len), Some(1024));
    // A non-string `error` is malformed.
    assert_eq!(
        parse(400, r#"{"error":{"code":1}}"#),
        Err(TokenResponseError::InvalidMember("error"))
    );
}

#[test]
fn http_200_with_error_v7() {
    let (status, code) = server_error(parse(200, r#"{"error":"bad_verification_code"}"#));
    assert_eq!(status, 200);
    assert_eq!(
        code,
        TokenErrorCode::Unknown("bad_verification_code".into())
    );
    // An `error` wins even next to an access_token.
    let (_, code) = server_error(parse(
        200,
        r#"{"access_token":"at","token_type":"Bearer","error":"invalid_grant"}"#,
    ));
    assert_eq!(code, TokenErrorCode::InvalidGrant);
    // `"error": null` or `""` means no error.
    assert!(
        parse(
            200,
            r#"{"access_token":"at","token_type":"Bearer","error":null}"#
        )
        .is_ok()
    );
    assert!(
        parse(
            200,
            r#"{"access_token":"at","token_type":"Bearer","error":""}"#
        )
        .is_ok()
    );
    // GitHub-style form-encoded error body on a 200.
    let r = response(
        200,
        Some("application/x-www-form-urlencoded"),
        b"error=bad_verification_code&error_description=The+code+passed+is+incorrect+or+expired.",
    );
    let Err(TokenResponseError::Server(e)) = parse_token_response(&r, NOW, &Scopes::new()) else {
        panic!("expected a server error");
    };
    assert_eq!(
        e.description(),
        Some("The code passed is incorrect or expired.")
    );
}

#[test]
fn non_json_bodies_v8() {
    let html = b"<html><body>502 Bad Gateway SECRET-IN-BODY</body></html>";
    let err = parse_token_response(
        &response(502, Some("text/html; charset=utf-8"), html),
        NOW,
        &Scopes::new(),
    )
    .unwrap_err();
    assert_eq!(
        err,
        TokenResponseError::UnexpectedContentType {
            status: 502,
            content_type: "text/html".into()
        }
    );
    assert!(!format!("{err}{err:?}").contains("SECRET-IN-BODY"));

    // JSON content type with parameters is fine.
    let ok = response(
        200,
        Some("application/json;charset=UTF-8"),
        br#"{"access_token":"at","token_type":"Bearer"}"#,
    );
    assert!(parse_token_response(&ok, NOW, &Scopes::new()).is_ok());

    // Invalid JSON: position only.
    let err = parse(200, "{\"access_token\":\"SECRET-AT\",").unwrap_err();
    assert!(
        matches!(err, TokenResponseError::InvalidJson { status: 200, .. }),
        "{err:?}"
    );
    assert!(!format!("{err}{err:?}").contains("SECRET-AT"));
    let err = parse(200, r#"{"access_token":"SECRET-AT","expires_in":1,}"#).unwrap_err();
    assert!(matches!(err, TokenResponseError::InvalidJson { .. }));
    assert!(!format!("{err}{err:?}").contains("SECRET-AT"));
    // HTML served as JSON.
    let err = parse(502, "<html>oops</html>").unwrap_err();
    assert!(matches!(
        err,
        TokenResponseError::InvalidJson { status: 502, .. }
    ));
    // Empty body.
    assert!(matches!(
        parse(200, ""),
        Err(TokenResponseError::InvalidJson { .. })
    ));
    // A non-200 JSON body without `error`.
    assert_eq!(
        parse(500, r#"{"message":"internal"}"#),
        Err(TokenResponseError::UnexpectedStatus { status: 500 })
    );
    // No content type: tried as JSON.
    let bare = response(200, None, br#"{"access_token":"at","token_type":"Bearer"}"#);
    assert!(parse_token_response(&bare, NOW, &Scopes::new()).is_ok());
    // Content type that is not UTF-8.
    let weird = response(200, Some("text/\u{ff}plain"), b"x");
    assert!(matches!(
        parse_token_response(&weird, NOW, &Scopes::new()),
        Err(TokenResponseError::UnexpectedContentType { .. })
    ));
}

#[test]
fn refresh_token_optional_v9() {
    let t = parse(200, r#"{"access_token":"at","token_type":"Bearer"}"#).unwrap();
    assert!(t.refresh_token().is_none());
    let t = parse(
        200,
        r#"{"access_token":"at","token_type":"Bearer","refresh_token":""}"#,
    )
    .unwrap();
    assert!(t.refresh_token().is_none());
    let t = parse(
        200,
        r#"{"access_token":"at","token_type":"Bearer","refresh_token":"rt"}"#,
    )
    .unwrap();
    assert_eq!(t.refresh_token().map(RefreshToken::secret), Some("rt"));
    assert_eq!(
        parse(
            200,
            r#"{"access_token":"at","token_type":"Bearer","refresh_token":7}"#
        ),
        Err(TokenResponseError::InvalidMember("refresh_token"))
    );
}

#[test]
fn duplicate_members_refused() {
    assert_eq!(
        parse(
            200,
            r#"{"access_token":"a1","access_token":"a2","token_type":"Bearer"}"#
        ),
        Err(TokenResponseError::DuplicateMember("access_token"))
    );
    let r = response(
        200,
        Some("application/x-www-form-urlencoded"),
        b"access_token=a&token_type=bearer&scope=x&scope=y",
    );
    assert_eq!(
        parse_token_response(&r, NOW, &Scopes::new()),
        Err(TokenResponseError::DuplicateMember("scope"))
    );
}

#[test]
fn form_encoded_success() {
    let r = response(
        200,
        Some("application/x-www-form-urlencoded; charset=utf-8"),
        b"access_token=gho_x&scope=repo%2Cgist&token_type=bearer&expires_in=28800&refresh_token=ghr_y",
    );
    let t = parse_token_response(&r, NOW, &Scopes::new()).unwrap();
    assert_eq!(t.access_token().secret(), "gho_x");
    assert_eq!(t.refresh_token().map(RefreshToken::secret), Some("ghr_y"));
    assert_eq!(t.scope().to_string(), "repo,gist");
    assert_eq!(
        t.expires_at(),
        Some(Timestamp::from_unix_seconds(1_700_028_800))
    );
}

#[test]
fn debug_redacts_tokens_v11() {
    let t = parse(
        200,
        r#"{"access_token":"AT-VALUE-123","token_type":"Bearer","refresh_token":"RT-VALUE-456"}"#,
    )
    .unwrap();
    let dbg = format!("{t:?}");
    assert!(
        !dbg.contains("AT-VALUE-123") && !dbg.contains("RT-VALUE-456"),
        "{dbg}"
    );
    // Token values echoed into other members do not leak into errors either.
    let err = parse(
        200,
        r#"{"access_token":"AT-VALUE-123","token_type":"weird AT-VALUE-123"}"#,
    )
    .unwrap_err();
    assert_eq!(
        err,
        TokenResponseError::UnsupportedTokenType("[redacted]".into())
    );
    let err = parse(
        400,
        r#"{"error":"RT-VALUE-456","refresh_token":"RT-VALUE-456"}"#,
    )
    .unwrap_err();
    assert!(!format!("{err}{err:?}").contains("RT-VALUE-456"));
}

fn previous() -> TokenSet {
    TokenSet::new(
        AccessToken::new("old-at".into()),
        Some(NOW),
        Some(RefreshToken::new("old-rt".into())),
        Scopes::parse("a b"),
    )
}

#[test]
fn refresh_merge_keeps_or_replaces_refresh_token_f3() {
    let later = Timestamp::from_unix_seconds(1_700_000_500);
    let r = json_response(
        200,
        r#"{"access_token":"new-at","token_type":"Bearer","expires_in":100}"#,
    );
    let next = parse_refresh_response(&r, later, &previous(), None).unwrap();
    assert_eq!(next.access_token().secret(), "new-at");
    assert_eq!(
        next.refresh_token().map(RefreshToken::secret),
        Some("old-rt")
    );
    assert_eq!(
        next.expires_at(),
        Some(Timestamp::from_unix_seconds(1_700_000_600))
    );

    let r = json_response(
        200,
        r#"{"access_token":"new-at","token_type":"Bearer","refresh_token":"new-rt"}"#,
    );
    let next = parse_refresh_response(&r, later, &previous(), None).unwrap();
    assert_eq!(
        next.refresh_token().map(RefreshToken::secret),
        Some("new-rt")
    );
    // No expires_in in the refresh response: the new token's lifetime is unknown.
    assert_eq!(next.expires_at(), None);

    let r = json_response(400, r#"{"error":"invalid_grant"}"#);
    let (_, code) = server_error(parse_refresh_response(&r, later, &previous(), None));
    assert_eq!(code, TokenErrorCode::InvalidGrant);
}

#[test]
fn refresh_merge_scope_f9() {
    let ok = |body: &str, requested: Option<&Scopes>| {
        parse_refresh_response(&json_response(200, body), NOW, &previous(), requested).unwrap()
    };
    let no_scope = r#"{"access_token":"n","token_type":"Bearer"}"#;
    assert_eq!(ok(no_scope, None).scope(), &Scopes::parse("a b"));
    assert_eq!(
        ok(no_scope, Some(&Scopes::parse("a"))).scope(),
        &Scopes::parse("a")
    );
    let with_scope = r#"{"access_token":"n","token_type":"Bearer","scope":"b"}"#;
    assert_eq!(ok(with_scope, None).scope(), &Scopes::parse("b"));
}

// ---------------------------------------------------------------------------------------------
// Properties

fn content_type() -> impl Strategy<Value = Option<&'static str>> {
    prop_oneof![
        Just(Some("application/json")),
        Just(Some("application/json; charset=utf-8")),
        Just(Some("application/x-www-form-urlencoded")),
        Just(Some("text/html")),
        Just(Some("application/problem+json")),
        Just(None),
    ]
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![Just(200u16), Just(400), Just(401), Just(502), 0u16..1000]
}

/// A token-like value: distinctive enough never to appear in fixed error text by chance.
fn token(prefix: &'static str) -> impl Strategy<Value = String> {
    "[A-Za-z0-9]{16,24}".prop_map(move |s| format!("{prefix}{s}"))
}

#[derive(Debug, Clone)]
enum Gen {
    At,
    Rt,
    AtInside(String, String),
    RtInside(String, String),
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
    Array(Vec<String>),
    Object,
}

fn gen_value() -> impl Strategy<Value = Gen> {
    prop_oneof![
        Just(Gen::At),
        Just(Gen::Rt),
        ("\\PC{0,4}", "\\PC{0,4}").prop_map(|(a, b)| Gen::AtInside(a, b)),
        ("\\PC{0,4}", "\\PC{0,4}").prop_map(|(a, b)| Gen::RtInside(a, b)),
        "\\PC{0,12}".prop_map(Gen::Text),
        prop_oneof![Just("Bearer".to_string()), Just("bearer".to_string())].prop_map(Gen::Text),
        any::<i64>().prop_map(Gen::Int),
        any::<f64>().prop_map(Gen::Float),
        any::<bool>().prop_map(Gen::Bool),
        Just(Gen::Null),
        proptest::collection::vec("\\PC{0,6}", 0..3).prop_map(Gen::Array),
        Just(Gen::Object),
    ]
}

fn member_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("access_token".to_string()),
        Just("token_type".to_string()),
        Just("expires_in".to_string()),
        Just("refresh_token".to_string()),
        Just("scope".to_string()),
        Just("error".to_string()),
        Just("error_description".to_string()),
        Just("error_uri".to_string()),
        Just("id_token".to_string()),
        "\\PC{0,8}",
    ]
}

fn render(g: &Gen, at: &str, rt: &str) -> Value {
    match g {
        Gen::At => json!(at),
        Gen::Rt => json!(rt),
        Gen::AtInside(a, b) => json!(format!("{a}{at}{b}")),
        Gen::RtInside(a, b) => json!(format!("{a}{rt}{b}")),
        Gen::Text(s) => json!(s),
        Gen::Int(i) => json!(i),
        Gen::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        Gen::Bool(b) => json!(b),
        Gen::Null => Value::Null,
        Gen::Array(v) => json!(v),
        Gen::Object => json!({ "access_token": at, "x": [1, 2] }),
    }
}

/// Build a JSON object text (keys may repeat) or a form body from the members; optionally cut it.
fn build_body(
    members: &[(String, Gen)],
    at: &str,
    rt: &str,
    form: bool,
    cut: Option<usize>,
) -> Vec<u8> {
    let mut body = if form {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, g) in members {
            let v = match render(g, at, rt) {
                Value::String(s) => s,
                other => other.to_string(),
            };
            s.append_pair(k, &v);
        }
        s.finish().into_bytes()
    } else {
        let parts: Vec<String> = members
            .iter()
            .map(|(k, g)| format!("{}:{}", Value::String(k.clone()), render(g, at, rt)))
            .collect();
        format!("{{{}}}", parts.join(",")).into_bytes()
    };
    if let Some(n) = cut {
        body.truncate(n % (body.len() + 1));
    }
    body
}

/// The `access_token` / `refresh_token` values the body really carries (read by a reference
/// parser), ignoring short ones that could collide with fixed error text by chance.
fn tokens_in_body(body: &[u8], form: bool) -> Vec<String> {
    let wanted = |k: &str| k == "access_token" || k == "refresh_token";
    let values: Vec<String> = if form {
        url::form_urlencoded::parse(body)
            .filter(|(k, _)| wanted(k))
            .map(|(_, v)| v.into_owned())
            .collect()
    } else {
        serde_json::from_slice::<serde_json::Map<String, Value>>(body)
            .map(|m| {
                m.into_iter()
                    .filter(|(k, _)| wanted(k))
                    .filter_map(|(_, v)| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    values.into_iter().filter(|v| v.len() >= 16).collect()
}

fn assert_no_leak(
    result: &Result<TokenSet, TokenResponseError>,
    tokens: &[String],
) -> Result<(), TestCaseError> {
    let text = match result {
        Ok(t) => format!("{t:?}"),
        Err(e) => format!("{e}\n{e:?}"),
    };
    for token in tokens {
        prop_assert!(!text.contains(token.as_str()), "token leaked: {}", text);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Arbitrary bytes with any status and content type never panic.
    #[test]
    fn arbitrary_bytes_never_panic(
        body in proptest::collection::vec(any::<u8>(), 0..256),
        status in status(),
        ct in content_type(),
        now in any::<u64>(),
    ) {
        let r = response(status, ct, &body);
        let _ = parse_token_response(&r, Timestamp::from_unix_millis(now), &Scopes::parse("a"));
        let _ = parse_refresh_response(&r, Timestamp::from_unix_millis(now), &previous(), None);
    }

    /// JSON-ish and form bodies built from token-response members never panic, and no error and
    /// no token set ever shows the access or refresh token of the body.
    #[test]
    fn structured_bodies_never_leak_tokens(
        members in proptest::collection::vec((member_name(), gen_value()), 0..8),
        at in token("AT"),
        rt in token("RT"),
        form in any::<bool>(),
        cut in proptest::option::weighted(0.2, any::<usize>()),
        status in status(),
        ct in content_type(),
        now in any::<u64>(),
    ) {
        let body = build_body(&members, &at, &rt, form, cut);
        let r = response(status, ct, &body);
        let tokens = tokens_in_body(&body, ct == Some("application/x-www-form-urlencoded"));
        let result = parse_token_response(&r, Timestamp::from_unix_millis(now), &Scopes::parse("a"));
        assert_no_leak(&result, &tokens)?;
        let result = parse_refresh_response(&r, Timestamp::from_unix_millis(now), &previous(), None);
        assert_no_leak(&result, &tokens)?;
    }

    /// A well-formed success always parses, whatever the token values, and keeps them exactly.
    #[test]
    fn valid_success_round_trips(
        at in "\\PC{1,40}",
        rt in proptest::option::of("\\PC{1,40}"),
        expires in proptest::option::of(any::<u32>()),
        scope in proptest::option::of(proptest::collection::vec("[!#-\\[\\]-~]{1,8}", 0..4)),
        form in any::<bool>(),
    ) {
        let mut members = vec![
            ("access_token".to_string(), json!(at)),
            ("token_type".to_string(), json!("Bearer")),
        ];
        if let Some(rt) = &rt { members.push(("refresh_token".into(), json!(rt))); }
        if let Some(e) = expires { members.push(("expires_in".into(), json!(e))); }
        if let Some(s) = &scope { members.push(("scope".into(), json!(s.join(" ")))); }
        let (ct, body) = if form {
            let mut s = url::form_urlencoded::Serializer::new(String::new());
            for (k, v) in &members {
                let v = match v { Value::String(s) => s.clone(), other => other.to_string() };
                s.append_pair(k, &v);
            }
            ("application/x-www-form-urlencoded", s.finish())
        } else {
            ("application/json", Value::Object(members.into_iter().collect()).to_string())
        };
        let requested = Scopes::parse("req");
        let t = parse_token_response(&response(200, Some(ct), body.as_bytes()), NOW, &requested).unwrap();
        prop_assert_eq!(t.access_token().secret(), at.as_str());
        prop_assert_eq!(t.refresh_token().map(RefreshToken::secret), rt.as_deref());
        prop_assert_eq!(
            t.expires_at(),
            expires.map(|e| NOW.saturating_add(Duration::from_secs(e.into())))
        );
        let expected_scope = scope.map_or(requested, Scopes::from_tokens);
        prop_assert_eq!(t.scope(), &expected_scope);
    }
}
