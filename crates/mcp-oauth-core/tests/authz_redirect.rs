//! The authorization response (checklist C): cases, a snapshot table of typed results and
//! properties, including a differential check of the lazy decoder against `url::form_urlencoded`.

use std::fmt::Write as _;

use mcp_oauth_core::redirect::{
    AuthorizationErrorCode, AuthorizationResponse, ExpectedResponse, Param, RedirectError,
    RedirectUriError, check_redirect_uri,
};
use mcp_oauth_core::state::StateToken;
use proptest::prelude::*;

const STATE: &str = "kT3vQ9xWm2LpZr8sYc1nFb6hJd0aUe4gVi7oNq5tXyw";
const ISSUER: &str = "https://as.example.com";

fn state() -> StateToken {
    StateToken::new(STATE).unwrap()
}

fn run(input: &str, issuer: Option<&str>, advertised: bool) -> Result<String, RedirectError> {
    let st = state();
    let exp = ExpectedResponse::new(&st, issuer, advertised);
    AuthorizationResponse::parse(input)
        .and_then(|r| r.into_code(&exp))
        .map(|c| c.secret().to_owned())
}

// covers: C-1
#[test]
fn redirect_uri_https_or_loopback_c1() {
    assert_eq!(
        check_redirect_uri("http://example.com/cb"),
        Err(RedirectUriError::InsecureScheme)
    );
    for ok in [
        "http://localhost:3000/callback",
        "http://127.0.0.1/callback",
        "http://[::1]:8080/callback",
        "https://client.example.com/cb",
    ] {
        assert_eq!(check_redirect_uri(ok), Ok(()), "{ok}");
    }
    assert_eq!(
        check_redirect_uri("com.example.app:/oauth2redirect"),
        Err(RedirectUriError::UnsupportedScheme)
    );
}

// covers: C-4
#[test]
fn iss_is_form_decoded_c4() {
    let q = format!("?code=c&state={STATE}&iss=https%3A%2F%2Fas.example.com");
    assert_eq!(run(&q, Some(ISSUER), true).unwrap(), "c");
    let r = AuthorizationResponse::parse(&q).unwrap();
    assert_eq!(r.iss().unwrap().to_string(), ISSUER);
    assert_eq!(r.iss().unwrap().raw(), "https%3A%2F%2Fas.example.com");
    // `+` is a space.
    let q = format!("?code=a+b&state={STATE}");
    assert_eq!(run(&q, None, false).unwrap(), "a b");
}

// covers: C-5
#[test]
fn duplicates_and_empty_values_c5() {
    for (q, p) in [
        ("?code=a&code=b", Param::Code),
        ("?state=a&state=b", Param::State),
        ("?iss=a&iss=a", Param::Iss),
        ("?code=a&c%6Fde=b", Param::Code),
    ] {
        assert_eq!(
            AuthorizationResponse::parse(q).unwrap_err(),
            RedirectError::DuplicateParameter(p),
            "{q}"
        );
    }
    assert_eq!(
        run("?code=c&state=", None, false),
        Err(RedirectError::MissingState)
    );
    let q = format!("?code=c&state={STATE}&iss=");
    assert_eq!(
        run(&q, Some(ISSUER), true),
        Err(RedirectError::MissingIssuer)
    );
    assert_eq!(run(&q, Some(ISSUER), false).unwrap(), "c");
}

// covers: C-6, C-7 (unknown state)
#[test]
fn state_must_match_c6_c7() {
    assert_eq!(
        run("?code=c", None, false),
        Err(RedirectError::MissingState)
    );
    assert_eq!(
        run("?code=c&state=someone-elses-flow-value-xx", None, false),
        Err(RedirectError::StateMismatch)
    );
    let long = format!("?code=c&state={}", "A".repeat(10_000));
    assert_eq!(run(&long, None, false), Err(RedirectError::StateMismatch));
}

// covers: C-9 (the four rows and the conformance scenarios)
#[test]
fn rfc9207_table_c9() {
    let with_iss = |iss: &str| format!("?code=c&state={STATE}&iss={iss}");
    let without = format!("?code=c&state={STATE}");
    // advertised, present → compare
    assert_eq!(run(&with_iss(ISSUER), Some(ISSUER), true).unwrap(), "c");
    assert_eq!(
        run(&with_iss("https://evil.example.com"), Some(ISSUER), true),
        Err(RedirectError::IssuerMismatch)
    );
    // advertised, absent → reject (sep-2468-client-reject-missing-iss)
    assert_eq!(
        run(&without, Some(ISSUER), true),
        Err(RedirectError::MissingIssuer)
    );
    // not advertised, present → compare (sep-2468-client-compare-iss-unadvertised)
    assert_eq!(
        run(&with_iss("https://evil.example.com"), Some(ISSUER), false),
        Err(RedirectError::IssuerMismatch)
    );
    assert_eq!(run(&with_iss(ISSUER), Some(ISSUER), false).unwrap(), "c");
    // neither → proceed (sep-2468-client-proceed-no-iss)
    assert_eq!(run(&without, Some(ISSUER), false).unwrap(), "c");
}

// covers: C-10
#[test]
fn iss_compared_exactly_c10() {
    for bad in [
        "https://as.example.com/",
        "HTTPS://as.example.com",
        "https://AS.EXAMPLE.COM",
        "https://as.example.com:443",
        "https://as.example.com%2F",
        "https://as%2Eexample.com%2Fx",
        "https://as.example.com ",
    ] {
        let q = format!("?code=c&state={STATE}&iss={bad}");
        assert_eq!(
            run(&q, Some(ISSUER), true),
            Err(RedirectError::IssuerMismatch),
            "{bad}"
        );
    }
    // Percent-encoding of an unreserved character decodes to the same bytes: that is decoding,
    // not normalisation, and is accepted.
    let q = format!("?code=c&state={STATE}&iss=https://as%2Eexample.com");
    assert_eq!(run(&q, Some(ISSUER), true).unwrap(), "c");
}

// covers: C-11
#[test]
fn forged_error_is_generic_c11() {
    let q = format!(
        "?error=access_denied&error_description=Call+555-0100+to+restore+access\
         &error_uri=https://evil.example/help&state={STATE}&iss=https://evil"
    );
    let err = run(&q, Some(ISSUER), false).unwrap_err();
    assert_eq!(err, RedirectError::IssuerMismatch);
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("555") && !shown.contains("evil"), "{shown}");
    // Wrong state: also generic.
    let q = "?error=access_denied&error_description=Call+555&state=wrong-state-value-000000";
    let err = run(q, None, false).unwrap_err();
    assert_eq!(err, RedirectError::StateMismatch);
    assert!(!format!("{err} {err:?}").contains("555"));
}

// covers: C-12
#[test]
fn typed_error_codes_c12() {
    for (wire, code) in [
        ("invalid_request", AuthorizationErrorCode::InvalidRequest),
        (
            "unauthorized_client",
            AuthorizationErrorCode::UnauthorizedClient,
        ),
        ("access_denied", AuthorizationErrorCode::AccessDenied),
        (
            "unsupported_response_type",
            AuthorizationErrorCode::UnsupportedResponseType,
        ),
        ("invalid_scope", AuthorizationErrorCode::InvalidScope),
        ("server_error", AuthorizationErrorCode::ServerError),
        (
            "temporarily_unavailable",
            AuthorizationErrorCode::TemporarilyUnavailable,
        ),
        ("consent_required", AuthorizationErrorCode::Unknown),
        ("ACCESS_DENIED", AuthorizationErrorCode::Unknown),
    ] {
        let q = format!("?error={wire}&state={STATE}&code=also-present");
        match run(&q, None, false) {
            Err(RedirectError::Authorization(e)) => {
                assert_eq!(e.code(), code, "{wire}");
                assert_eq!(e.error(), wire);
                assert_eq!(code.as_str().unwrap_or(wire), wire);
            }
            other => panic!("{wire}: {other:?}"),
        }
    }
}

// covers: C-13
#[test]
fn unknown_parameters_ignored_c13() {
    let q = format!("?session_state=abc.def&code=c&state={STATE}&scope=x+y&authuser=0&prompt=none");
    assert_eq!(run(&q, None, false).unwrap(), "c");
}

/// One row per path through `parse` + `verify`.
#[test]
fn redirect_results_snapshot() {
    let ok_state = format!("state={STATE}");
    let rows: Vec<(&str, String, Option<&str>, bool)> = vec![
        (
            "success, full URL",
            format!("http://127.0.0.1:33418/callback?code=SplxlOBeZQQYbYS6WxSbIA&{ok_state}"),
            Some(ISSUER),
            false,
        ),
        (
            "success, request target",
            format!("/callback?code=Splx%2BlOB+e&{ok_state}"),
            Some(ISSUER),
            false,
        ),
        (
            "success, bare query, extra params",
            format!("session_state=x&code=c0de&{ok_state}&foo"),
            Some(ISSUER),
            false,
        ),
        (
            "iss: advertised + present + equal",
            format!("?code=c&{ok_state}&iss=https%3A%2F%2Fas.example.com"),
            Some(ISSUER),
            true,
        ),
        (
            "iss: advertised + present + different",
            format!("?code=c&{ok_state}&iss=https%3A%2F%2Fevil.example.com"),
            Some(ISSUER),
            true,
        ),
        (
            "iss: advertised + absent",
            format!("?code=c&{ok_state}"),
            Some(ISSUER),
            true,
        ),
        (
            "iss: not advertised + present + equal",
            format!("?code=c&{ok_state}&iss=https://as.example.com"),
            Some(ISSUER),
            false,
        ),
        (
            "iss: not advertised + present + different",
            format!("?code=c&{ok_state}&iss=https://evil.example.com"),
            Some(ISSUER),
            false,
        ),
        (
            "iss: not advertised + absent",
            format!("?code=c&{ok_state}"),
            Some(ISSUER),
            false,
        ),
        (
            "iss: trailing slash",
            format!("?code=c&{ok_state}&iss=https://as.example.com/"),
            Some(ISSUER),
            true,
        ),
        (
            "iss: present, no issuer recorded",
            format!("?code=c&{ok_state}&iss=https://as.example.com"),
            None,
            false,
        ),
        (
            "iss: empty counts as absent",
            format!("?code=c&{ok_state}&iss="),
            Some(ISSUER),
            true,
        ),
        ("state missing", "?code=c".to_owned(), Some(ISSUER), false),
        (
            "state empty",
            "?code=c&state=".to_owned(),
            Some(ISSUER),
            false,
        ),
        (
            "state mismatch",
            "?code=c&state=forged".to_owned(),
            Some(ISSUER),
            false,
        ),
        (
            "duplicate code",
            format!("?code=a&code=b&{ok_state}"),
            Some(ISSUER),
            false,
        ),
        (
            "duplicate state",
            format!("?{ok_state}&{ok_state}&code=a"),
            Some(ISSUER),
            false,
        ),
        (
            "duplicate iss",
            format!("?code=a&{ok_state}&iss=x&iss=x"),
            Some(ISSUER),
            false,
        ),
        ("code missing", format!("?{ok_state}"), Some(ISSUER), false),
        (
            "code with control character",
            format!("?code=a%00b&{ok_state}"),
            Some(ISSUER),
            false,
        ),
        (
            "error, valid",
            format!(
                "?error=access_denied&error_description=The+user+said+no&error_uri=https%3A%2F%2Fas.example.com%2Fhelp&{ok_state}"
            ),
            Some(ISSUER),
            false,
        ),
        (
            "error, valid, unknown code",
            format!("?error=interaction_required&{ok_state}&iss=https://as.example.com"),
            Some(ISSUER),
            true,
        ),
        (
            "error, escape sequences in description",
            format!("?error=server_error&error_description=%1B%5B2J+boom%0D%0Anext&{ok_state}"),
            Some(ISSUER),
            false,
        ),
        (
            "error, wrong iss (C-11)",
            format!(
                "?error=access_denied&error_description=Call+555-0100&{ok_state}&iss=https://evil"
            ),
            Some(ISSUER),
            false,
        ),
        (
            "error, missing iss while advertised",
            format!("?error=access_denied&{ok_state}"),
            Some(ISSUER),
            true,
        ),
        (
            "error, wrong state (C-11)",
            "?error=access_denied&error_description=Call+555-0100&state=nope".to_owned(),
            Some(ISSUER),
            false,
        ),
        (
            "error, no state (C-11)",
            "?error=access_denied&error_description=Call+555-0100".to_owned(),
            Some(ISSUER),
            false,
        ),
    ];
    let st = state();
    let mut out = String::new();
    for (name, input, issuer, advertised) in &rows {
        let exp = ExpectedResponse::new(&st, *issuer, *advertised);
        let result = AuthorizationResponse::parse(input).and_then(|r| r.into_code(&exp));
        writeln!(out, "## {name}").unwrap();
        writeln!(out, "input: {input}").unwrap();
        writeln!(
            out,
            "expected issuer: {issuer:?}, iss advertised: {advertised}"
        )
        .unwrap();
        match result {
            Ok(code) => writeln!(out, "=> Ok(code = {:?})", code.secret()).unwrap(),
            Err(RedirectError::Authorization(e)) => {
                writeln!(out, "=> Err({e:?})").unwrap();
                writeln!(out, "   display: {e}").unwrap();
                writeln!(out, "   error: {:?}", e.error()).unwrap();
                writeln!(
                    out,
                    "   untrusted_description: {:?}",
                    e.untrusted_description()
                )
                .unwrap();
                writeln!(out, "   untrusted_uri: {:?}", e.untrusted_uri()).unwrap();
            }
            Err(e) => writeln!(out, "=> Err({e:?})\n   display: {e}").unwrap(),
        }
        out.push('\n');
    }
    insta::assert_snapshot!(out);
}

/// What `url::form_urlencoded` says the six parameters are: `Err(param)` on a duplicate,
/// otherwise each value (empty = absent).
fn reference(query: &str) -> Result<[Option<String>; 6], Param> {
    const NAMES: [(&str, Param); 6] = [
        ("code", Param::Code),
        ("state", Param::State),
        ("iss", Param::Iss),
        ("error", Param::Error),
        ("error_description", Param::ErrorDescription),
        ("error_uri", Param::ErrorUri),
    ];
    let mut seen = [false; 6];
    let mut out: [Option<String>; 6] = Default::default();
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        if let Some(i) = NAMES.iter().position(|(n, _)| *n == k) {
            if seen[i] {
                return Err(NAMES[i].1);
            }
            seen[i] = true;
            if !v.is_empty() {
                out[i] = Some(v.into_owned());
            }
        }
    }
    Ok(out)
}

fn query_part() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        Just("code".to_owned()),
        Just("state".to_owned()),
        Just("iss".to_owned()),
        Just("error".to_owned()),
        Just("error_description".to_owned()),
        Just("error_uri".to_owned()),
        Just("st%61te".to_owned()),
        Just("co+de".to_owned()),
        "[a-z_%+0-9A-F]{0,8}",
    ];
    let value = prop_oneof![
        Just(STATE.to_owned()),
        Just("https%3A%2F%2Fas.example.com".to_owned()),
        Just(ISSUER.to_owned()),
        Just("access_denied".to_owned()),
        "[a-zA-Z0-9%+._~:/=-]{0,12}",
        "%[0-9A-Fa-f]{0,2}(%[C-F][0-9A-F]){0,3}",
        "\\PC{0,6}",
    ];
    (name, prop::option::of(value)).prop_map(|(n, v)| match v {
        Some(v) => format!("{n}={v}"),
        None => n,
    })
}

fn near_valid_query() -> impl Strategy<Value = String> {
    prop::collection::vec(query_part(), 0..5).prop_map(|parts| parts.join("&"))
}

proptest! {
    #[test]
    fn arbitrary_input_never_panics(input in any::<String>(), issuer in prop::option::of("\\PC{0,20}"), adv in any::<bool>()) {
        let st = state();
        let exp = ExpectedResponse::new(&st, issuer.as_deref(), adv);
        if let Ok(r) = AuthorizationResponse::parse(&input) {
            let _ = format!("{r:?}");
            let _ = r.verify(&exp);
            let _ = r.into_code(&exp);
        }
    }

    #[test]
    fn arbitrary_bytes_as_query_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let input = String::from_utf8_lossy(&bytes);
        let st = state();
        let exp = ExpectedResponse::new(&st, Some(ISSUER), true);
        let _ = AuthorizationResponse::parse(&input).and_then(|r| r.into_code(&exp));
    }

    // covers: C-4 (the lazy decoder against url::form_urlencoded, on one value)
    #[test]
    fn value_decoding_matches_url_crate(raw in "([+%a-fA-F0-9]|%[0-9A-Fa-f]{2}|%[89A-F][0-9A-F]|\\PC){0,24}") {
        prop_assume!(!raw.contains(['&', '#']));
        let input = format!("?iss={raw}");
        let r = AuthorizationResponse::parse(&input).unwrap();
        let want: Option<String> = url::form_urlencoded::parse(format!("iss={raw}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .filter(|v| !v.is_empty());
        prop_assert_eq!(r.iss().map(|v| v.to_string()), want.clone());
        if let (Some(v), Some(w)) = (r.iss(), &want)
            && !w.contains('\u{fffd}')
        {
            prop_assert!(v.decoded_eq(w.as_bytes()));
            prop_assert_eq!(v.decoded_len(), w.len());
        }
    }

    // covers: C-4, C-5 (differential against url::form_urlencoded)
    #[test]
    fn parse_agrees_with_form_urlencoded(q in near_valid_query()) {
        let input = format!("?{q}");
        let ours = AuthorizationResponse::parse(&input);
        let q_no_frag = q.split('#').next().unwrap_or("");
        match (ours, reference(q_no_frag)) {
            (Err(RedirectError::DuplicateParameter(a)), Err(b)) => prop_assert_eq!(a, b),
            (Ok(r), Ok(want)) => {
                prop_assert_eq!(r.state().map(|v| v.to_string()), want[1].clone());
                prop_assert_eq!(r.iss().map(|v| v.to_string()), want[2].clone());
                prop_assert_eq!(r.has_code(), want[0].is_some());
                prop_assert_eq!(r.is_error(), want[3].is_some());
            }
            (a, b) => prop_assert!(false, "{:?} vs {:?}", a, b),
        }
    }

    // covers: C-6, C-9, C-11, C-12
    #[test]
    fn verify_accepts_only_consistent_responses(q in near_valid_query(), adv in any::<bool>()) {
        let st = state();
        let exp = ExpectedResponse::new(&st, Some(ISSUER), adv);
        let Ok(r) = AuthorizationResponse::parse(&q) else { return Ok(()); };
        let Ok(want) = reference(q.split('#').next().unwrap_or("")) else {
            return Err(TestCaseError::fail("parse accepted a duplicate"));
        };
        let state_ok = want[1].as_deref() == Some(STATE);
        let iss_ok = match &want[2] {
            Some(iss) => iss == ISSUER,
            None => !adv,
        };
        match r.into_code(&exp) {
            Ok(code) => {
                prop_assert!(state_ok && iss_ok && want[3].is_none());
                prop_assert_eq!(Some(code.secret()), want[0].as_deref());
            }
            Err(RedirectError::Authorization(e)) => {
                prop_assert!(state_ok && iss_ok);
                let sanitized = want[3]
                    .as_deref()
                    .map(|w| w.chars().map(|c| if c.is_control() { '\u{fffd}' } else { c }).collect::<String>());
                prop_assert_eq!(Some(e.error()), sanitized.as_deref());
            }
            Err(RedirectError::IssuerMismatch | RedirectError::MissingIssuer) => prop_assert!(!iss_ok),
            Err(RedirectError::MissingState | RedirectError::StateMismatch) => {
                prop_assert!(iss_ok && !state_ok);
            }
            Err(RedirectError::MissingCode) => prop_assert!(want[0].is_none()),
            Err(RedirectError::InvalidCode) => prop_assert!(want[0].is_some()),
            Err(e) => prop_assert!(false, "unexpected {:?}", e),
        }
    }
}
