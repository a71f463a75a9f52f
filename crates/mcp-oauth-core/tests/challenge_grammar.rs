//! Checklist cases for the `WWW-Authenticate` parser: "Grammar details → WWW-Authenticate"
//! (G-1 … G-22) and the parser-level rows of "Discovery via 401" (D-…), plus the recovery rules.

use mcp_oauth_core::challenge::{
    self, Challenge, ChallengeAction, ChallengeError, Field, OAuthChallenge, Position, TokenScheme,
    ValueSyntax,
};
use mcp_oauth_core::http::HttpResponse;
use mcp_oauth_core::urls::UrlPolicy;

fn oauth(s: &str) -> OAuthChallenge<'_> {
    challenge::parse(s).oauth()
}

/// The single value of a field as a String; panics (test failure) otherwise.
fn one(f: Field<'_>) -> String {
    match f {
        Field::One(v) => v.to_string(),
        other => panic!("expected one value, got {other:?}"),
    }
}

fn challenges(s: &str) -> Vec<Challenge<'_>> {
    challenge::parse(s).filter_map(Result::ok).collect()
}

fn errors(s: &str) -> Vec<ChallengeError> {
    challenge::parse(s).filter_map(Result::err).collect()
}

fn schemes(s: &str) -> Vec<&str> {
    challenges(s).iter().map(Challenge::scheme).collect()
}

/// Every parameter of every challenge as `scheme: name=value` lines (unescaped).
fn flat(c: challenge::Challenges<'_>) -> Vec<String> {
    c.filter_map(Result::ok)
        .flat_map(|c| {
            c.params()
                .map(move |p| format!("{}: {}={}", c.scheme(), p.name(), p.value()))
        })
        .collect()
}

// ---------------------------------------------------------------- G-1 … G-22

#[test]
fn scheme_is_case_insensitive_g1_d5() {
    for h in [
        r#"bearer scope="a""#,
        r#"BEARER scope="a""#,
        r#"BeArEr scope="a""#,
    ] {
        let o = oauth(h);
        assert_eq!(o.bearer().map(|b| b.scheme()), Some(TokenScheme::Bearer));
        assert_eq!(one(o.scope()), "a");
    }
    assert_eq!(
        one(oauth(r#"BEARER resource_metadata="U""#).resource_metadata()),
        "U"
    );
    assert!(challenges("dpop algs=ES256")[0].is_scheme("DPoP"));
    assert!(oauth("dpop algs=ES256").dpop().is_some());
}

#[test]
fn param_names_are_case_insensitive_g2_d6() {
    let o = oauth(r#"Bearer SCOPE="a", Resource_Metadata="https://x/p""#);
    assert_eq!(one(o.scope()), "a");
    assert_eq!(one(o.resource_metadata()), "https://x/p");
    let c = challenges(r#"Bearer SCOPE="a""#);
    assert_eq!(one(c[0].param("scope")), "a");
    assert_eq!(c[0].params().next().map(|p| p.name()), Some("SCOPE"));
}

#[test]
fn token_value_is_as_valid_as_quoted_g3() {
    let o = oauth("Bearer error=invalid_token");
    let e = o.error().single().unwrap();
    assert_eq!(e.syntax(), ValueSyntax::Token);
    assert!(e.eq_str("invalid_token"));
    assert_eq!(o.error_count(), 0);
}

#[test]
fn whitespace_around_equals_g4() {
    assert_eq!(one(oauth(r#"Bearer scope = "a b""#).scope()), "a b");
    assert_eq!(one(oauth("Bearer scope\t=\t\"a b\"").scope()), "a b");
    let o = oauth(r#"Bearer realm="r" , scope  ="a b"  , error= x"#);
    assert_eq!(one(o.scope()), "a b");
    assert_eq!(one(o.error()), "x");
    assert_eq!(o.error_count(), 0);
}

#[test]
fn quoted_pairs_are_unescaped_g5() {
    let o = oauth(r#"Bearer error_description="say \"hi\" \\ ok""#);
    let d = o.error_description().single().unwrap();
    assert!(d.has_escapes());
    assert!(d.eq_str(r#"say "hi" \ ok"#));
    assert_eq!(d.to_string(), r#"say "hi" \ ok"#);
    assert_eq!(d.raw(), br#"say \"hi\" \\ ok"#);
}

#[test]
fn token_or_quoted_values_unescaped_d7() {
    let o = oauth(r#"Bearer error=insufficient_scope, error_description="need \"write\"""#);
    assert_eq!(one(o.error()), "insufficient_scope");
    assert_eq!(one(o.error_description()), r#"need "write""#);
}

#[test]
fn commas_and_equals_inside_quotes_are_data_g6() {
    let o = oauth(
        r#"Bearer scope="urn:x:channel=HBO&urn:x:rating=G,PG-13", error="insufficient_scope""#,
    );
    assert_eq!(one(o.scope()), "urn:x:channel=HBO&urn:x:rating=G,PG-13");
    assert_eq!(one(o.error()), "insufficient_scope");
    assert_eq!(o.challenge_count(), 1);
}

#[test]
fn several_challenges_in_one_line_g7() {
    let h = r#"Basic realm="a, b", Bearer resource_metadata="https://x/p""#;
    let c = challenges(h);
    assert_eq!(schemes(h), ["Basic", "Bearer"]);
    assert_eq!(one(c[0].param("realm")), "a, b");
    assert_eq!(one(oauth(h).resource_metadata()), "https://x/p");
}

#[test]
fn several_field_lines_are_one_list_g8_d2() {
    let lines: [&[u8]; 2] = [b"Negotiate", br#"Bearer scope="s""#];
    let split = flat(challenge::parse_lines(&lines));
    let joined = flat(challenge::parse(r#"Negotiate, Bearer scope="s""#));
    assert_eq!(split, joined);
    assert_eq!(one(challenge::parse_lines(&lines).oauth().scope()), "s");

    // D-2: a Basic line and a Bearer line on a real response.
    let resp = HttpResponse::new(
        401,
        vec![
            ("Content-Type".into(), b"text/plain".to_vec()),
            ("WWW-Authenticate".into(), br#"Basic realm="x""#.to_vec()),
            (
                "www-authenticate".into(),
                br#"Bearer resource_metadata="U""#.to_vec(),
            ),
        ],
        vec![],
    );
    assert_eq!(
        one(OAuthChallenge::from_response(&resp).resource_metadata()),
        "U"
    );
    let schemes: Vec<_> = challenge::parse_response(&resp)
        .filter_map(Result::ok)
        .map(|c| c.scheme())
        .collect();
    assert_eq!(schemes, ["Basic", "Bearer"]);

    // A challenge's parameters may continue on the next line, as after joining with ", ".
    let lines: [&str; 2] = [r#"Bearer realm="r""#, r#"scope="s""#];
    assert_eq!(one(challenge::parse_str_lines(&lines).oauth().scope()), "s");
}

#[test]
fn token68_then_another_challenge_g9() {
    let h = r#"Negotiate YIIB+g==, Bearer scope="s""#;
    let c = challenges(h);
    assert_eq!(c[0].token68(), Some("YIIB+g=="));
    assert_eq!(c[0].params().count(), 0);
    assert_eq!(one(oauth(h).scope()), "s");
    assert!(errors(h).is_empty());
    // token68 shapes: no padding, slash, padding followed by whitespace.
    assert_eq!(
        challenges("Basic dXNlcjpwYXNz")[0].token68(),
        Some("dXNlcjpwYXNz")
    );
    assert_eq!(
        challenges("X a/b.c~d-e_f= ,Y")[0].token68(),
        Some("a/b.c~d-e_f=")
    );
    assert_eq!(challenges("X abc=")[0].token68(), Some("abc="));
    assert_eq!(schemes("X abc= ,Y"), ["X", "Y"]);
}

#[test]
fn token_equals_continues_token_space_starts_new_g10() {
    let h = r#"Bearer realm="r", DPoP algs="ES256""#;
    assert_eq!(schemes(h), ["Bearer", "DPoP"]);
    let c = challenges(h);
    assert!(c[0].param("algs").is_absent());
    assert_eq!(one(c[1].param("algs")), "ES256");
    // A bare token at the end is a new challenge too.
    assert_eq!(schemes(r#"Bearer realm="r", Foo"#), ["Bearer", "Foo"]);
}

#[test]
fn empty_list_elements_are_tolerated_g11() {
    let h = r#", Bearer ,, scope="s" ,"#;
    assert_eq!(schemes(h), ["Bearer"]);
    assert_eq!(one(oauth(h).scope()), "s");
    assert!(errors(h).is_empty());
    assert!(errors(" , ,, ").is_empty());
    assert!(challenges(" , ,, ").is_empty());
}

#[test]
fn bare_scheme_without_params_g12() {
    let o = oauth("Bearer");
    let b = o.bearer().unwrap();
    assert_eq!(b.challenge().params().count(), 0);
    assert!(o.resource_metadata().is_absent(), "→ well-known probing");
    // In the middle of a list (VSTS): parameters of its neighbours stay with them.
    let h = r#"Basic realm="https://tfs.app.visualstudio.com/", Bearer, TFS-Federated"#;
    assert_eq!(schemes(h), ["Basic", "Bearer", "TFS-Federated"]);
    assert!(oauth(h).realm().is_absent());
    assert!(errors(h).is_empty());
}

#[test]
fn empty_quoted_value_counts_as_absent_g13() {
    let o = oauth(r#"Bearer resource_metadata="", scope="", realm="""#);
    assert!(o.resource_metadata().is_absent());
    assert!(o.scope().is_absent());
    // Only resource_metadata and scope get this rule.
    assert_eq!(one(o.realm()), "");
    // The raw challenge still shows them.
    assert!(
        o.bearer()
            .unwrap()
            .challenge()
            .param("scope")
            .single()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn duplicate_param_reported_d12_g14() {
    let o = oauth(r#"Bearer scope="a", scope="b""#);
    let f = o.scope();
    assert!(f.is_duplicated());
    assert_eq!(f.single(), None, "never first-wins silently");
    assert_eq!(f.count(), 2);
    let values: Vec<String> = f.values().map(|v| v.to_string()).collect();
    assert_eq!(values, ["a", "b"]);

    // D-12: both policies can be built on top: strict drops, lenient tries each in order.
    let o = oauth(r#"Bearer resource_metadata="A", resource_metadata="B""#);
    let Field::Duplicated(d) = o.resource_metadata() else {
        panic!("not reported as duplicated")
    };
    assert_eq!(d.count(), 2);
    let tried: Vec<String> = d.values().map(|v| v.to_string()).collect();
    assert_eq!(tried, ["A", "B"]);

    // Names differing only in case are the same name.
    let o = oauth(r#"Bearer SCOPE="a", error="e", scope="b", Scope=c"#);
    let values: Vec<String> = o.scope().values().map(|v| v.to_string()).collect();
    assert_eq!(values, ["a", "b", "c"]);
    assert_eq!(one(o.error()), "e");

    // Through the generic lookup too.
    let c = challenges(r#"Bearer foo=1, foo="2""#);
    assert!(c[0].param("FOO").is_duplicated());
}

#[test]
fn unquoted_url_is_accepted_leniently_g15() {
    let o = oauth("Bearer resource_metadata=https://x/p");
    let v = o.resource_metadata().single().unwrap();
    assert_eq!(v.as_str(), Some("https://x/p"));
    // Marked, so a strict caller can refuse it.
    assert_eq!(v.syntax(), ValueSyntax::Bare);
    assert_eq!(o.error_count(), 0);
    // It ends at a comma (Azure Artifacts) ...
    let h =
        "Bearer authorization_uri=https://login.windows.net/t, Basic realm=\"r\", TFS-Federated";
    assert_eq!(schemes(h), ["Bearer", "Basic", "TFS-Federated"]);
    // ... or at whitespace (Azure Storage: the missing comma is reported, the param kept).
    let h = "Bearer authorization_uri=https://a/b resource_id=https://c";
    let c = challenges(h);
    assert_eq!(one(c[0].param("resource_id")), "https://c");
    assert!(matches!(
        errors(h)[..],
        [ChallengeError::ExpectedComma { .. }]
    ));
    // A URL with a query keeps its `=` and `&`.
    let v = oauth("Bearer resource_metadata=https://x/p?a=b&c=d, scope=s");
    assert_eq!(one(v.resource_metadata()), "https://x/p?a=b&c=d");
    assert_eq!(one(v.scope()), "s");
}

#[test]
fn single_quotes_are_not_quoting_g16() {
    let o = oauth("Bearer resource_metadata='https://x/p'");
    let v = o.resource_metadata().single().unwrap();
    // Kept verbatim (quotes included), so the URL check fails and the flow probes well-known.
    assert_eq!(v.as_str(), Some("'https://x/p'"));
    assert_eq!(v.syntax(), ValueSyntax::Bare);
    assert!(UrlPolicy::https_only().check(v.as_str().unwrap()).is_err());
    // A token containing `'` is still a token.
    assert_eq!(
        oauth("Bearer error=it's")
            .error()
            .single()
            .unwrap()
            .syntax(),
        ValueSyntax::Token
    );
}

#[test]
fn no_substring_matching_g17() {
    let o = oauth(r#"Bearer xscope="z", insufficient_scope_hint="q", scope="a""#);
    assert_eq!(one(o.scope()), "a");
    let o = oauth(r#"Bearer error_description="scope=\"evil\" resource_metadata=x", scope_x=1"#);
    assert!(o.scope().is_absent());
    assert!(o.resource_metadata().is_absent());
}

#[test]
fn no_leakage_between_schemes_g18_d8() {
    let o = oauth(r#"DPoP error="use_dpop_nonce", Bearer realm="r""#);
    assert!(o.error().is_absent());
    assert_eq!(one(o.dpop().unwrap().error()), "use_dpop_nonce");

    let o = oauth(r#"DPoP algs="ES256", scope="x", Bearer scope="y""#);
    assert_eq!(one(o.scope()), "y");
    let o = oauth(r#"Bearer scope="y", DPoP algs="ES256", scope="x""#);
    assert_eq!(one(o.scope()), "y");
    assert_eq!(one(o.dpop().unwrap().scope()), "x");
}

#[test]
fn obs_text_in_quoted_string_g19() {
    let raw: &[u8] = b"Bearer error_description=\"caf\xe9\", scope=\"s\"";
    let o = challenge::parse_bytes(raw).oauth();
    let d = o.error_description().single().unwrap();
    assert_eq!(d.bytes().collect::<Vec<u8>>(), b"caf\xe9");
    assert_eq!(d.as_str(), None, "not UTF-8");
    assert_eq!(d.to_string(), "caf\u{fffd}");
    assert_eq!(one(o.scope()), "s");
    assert_eq!(o.error_count(), 0);
    // UTF-8 text survives as text.
    let o = oauth("Bearer error_description=\"Kein Token – bitte anmelden\"");
    assert_eq!(
        o.error_description().single().unwrap().as_str(),
        Some("Kein Token – bitte anmelden")
    );
    // And through a response whose value is not valid UTF-8.
    let resp = HttpResponse::new(401, vec![("WWW-Authenticate".into(), raw.to_vec())], vec![]);
    assert_eq!(one(OAuthChallenge::from_response(&resp).scope()), "s");
}

#[test]
fn multiple_bearer_challenges_rule_g20() {
    // The first Bearer challenge with resource_metadata, scope or error is used ...
    let o = oauth(r#"Bearer realm="a", Bearer realm="b", scope="s""#);
    assert_eq!(o.bearer_count(), 2);
    assert_eq!(one(o.realm()), "b");
    assert_eq!(one(o.scope()), "s");
    // ... and when several have some, the first of those; values are never mixed.
    let o = oauth(r#"Bearer scope="s1", Bearer resource_metadata="U2", scope="s2""#);
    assert_eq!(one(o.scope()), "s1");
    assert!(o.resource_metadata().is_absent());
    assert_eq!(
        o.bearer_count(),
        2,
        "strict callers can treat this as ambiguous"
    );
    // Without any, the first.
    let o = oauth(r#"Bearer realm="a", Bearer realm="b""#);
    assert_eq!(one(o.realm()), "a");
}

#[test]
fn scope_is_space_delimited_and_case_sensitive_g21() {
    let o = oauth(r#"Bearer scope="  a   b A ""#);
    let v = o.scope().single().unwrap();
    let tokens: Vec<&str> = v.scope_tokens().map(|t| t.as_str().unwrap()).collect();
    assert_eq!(tokens, ["a", "b", "A"]);
    let scopes = v.to_scopes();
    assert!(scopes.contains_all(&mcp_oauth_core::Scopes::parse("b a")));
    assert_eq!(scopes.len(), 3);
}

#[test]
fn error_often_absent_on_first_401_g22() {
    let o = oauth(
        r#"Bearer resource_metadata="https://rs.example/.well-known/oauth-protected-resource""#,
    );
    assert!(o.error().is_absent());
    assert_eq!(o.action(401), ChallengeAction::Authenticate);
}

// ---------------------------------------------------------------- D rows

#[test]
fn resource_metadata_taken_verbatim_d3() {
    let o = oauth(
        r#"Bearer resource_metadata="https://huggingface.co/.well-known/oauth-protected-resource/mcp?login""#,
    );
    assert_eq!(
        o.resource_metadata().single().unwrap().as_str(),
        Some("https://huggingface.co/.well-known/oauth-protected-resource/mcp?login")
    );
    assert_eq!(o.resource_metadata_scheme(), Some(TokenScheme::Bearer));
}

#[test]
fn no_usable_pointer_means_probing_d4() {
    let no_header = HttpResponse::new(401, vec![], vec![]);
    let o = OAuthChallenge::from_response(&no_header);
    assert!(o.bearer().is_none());
    assert!(o.resource_metadata().is_absent());
    assert_eq!(o.challenge_count(), 0);
    assert_eq!(
        challenge::classify_response(&no_header),
        ChallengeAction::Authenticate
    );
    for h in [
        "Basic realm=\"x\"",
        "Bearer realm=\"x\"",
        "Bearer resource_metadata=\"\"",
        "",
    ] {
        assert!(oauth(h).resource_metadata().is_absent(), "{h}");
    }
}

#[test]
fn resource_metadata_may_come_from_dpop_d9() {
    let o = oauth(r#"DPoP resource_metadata="U", algs="ES256""#);
    assert_eq!(one(o.resource_metadata()), "U");
    assert_eq!(o.resource_metadata_scheme(), Some(TokenScheme::DPoP));
    // But not scope or error.
    let o = oauth(
        r#"DPoP resource_metadata="U", scope="d", error="insufficient_scope", Bearer realm="r""#,
    );
    assert_eq!(one(o.resource_metadata()), "U");
    assert!(o.scope().is_absent());
    assert_eq!(o.action(403), ChallengeAction::Forbidden);
    // Bearer's wins when both have one.
    let o = oauth(r#"DPoP resource_metadata="D", Bearer resource_metadata="B""#);
    assert_eq!(one(o.resource_metadata()), "B");
    assert_eq!(o.resource_metadata_scheme(), Some(TokenScheme::Bearer));
}

#[test]
fn unknown_challenges_and_params_ignored_d10() {
    let o = oauth(r#"Bearer realm="mcp", max_age=0, foo=bar, resource_metadata="U""#);
    assert_eq!(one(o.resource_metadata()), "U");
    assert_eq!(o.error_count(), 0);
    let o = oauth(r#"Custom a=b, Bearer resource_metadata="U", x_vendor="{\"j\":1}""#);
    assert_eq!(one(o.resource_metadata()), "U");
}

#[test]
fn scope_read_from_bearer_d11() {
    let o = oauth(r#"Bearer scope="files:read""#);
    assert_eq!(
        o.scope().single().unwrap().to_scopes().to_string(),
        "files:read"
    );
}

#[test]
fn non_bearer_challenge_yields_no_pointer_d13() {
    // The parser reports nothing for a Negotiate-only 401; the flow must then keep the URL it
    // learned earlier (D-13) instead of treating "absent" as "erase".
    let o = oauth("Negotiate");
    assert!(o.bearer().is_none());
    assert!(o.resource_metadata().is_absent());
    assert_eq!(o.challenge_count(), 1);
}

#[test]
fn extracted_url_goes_through_url_policy_d14() {
    let o = oauth(r#"Bearer resource_metadata="http://169.254.169.254/latest/meta-data""#);
    let url = o.resource_metadata().single().unwrap();
    assert!(
        UrlPolicy::https_only()
            .check(url.as_str().unwrap())
            .is_err()
    );
}

#[test]
fn classify_error_cases_d17_d1() {
    use ChallengeAction::*;
    let step_up = oauth(r#"Bearer error="insufficient_scope", scope="files:write""#);
    let plain = oauth("");
    let invalid = oauth(r#"Bearer error="invalid_request""#);
    assert_eq!(challenge::classify(401, &plain), Authenticate, "D-1");
    assert_eq!(challenge::classify(401, &step_up), Authenticate);
    assert_eq!(challenge::classify(403, &step_up), StepUp);
    assert_eq!(
        challenge::classify(403, &plain),
        Forbidden,
        "no browser for a bare 403"
    );
    assert_eq!(challenge::classify(403, &invalid), Forbidden);
    assert_eq!(challenge::classify(400, &invalid), BadRequest);
    assert_eq!(challenge::classify(200, &plain), NotAuthError);
    assert_eq!(challenge::classify(500, &step_up), NotAuthError);
    // Ambiguous or wrong-place values are not a step-up.
    let dup = oauth(r#"Bearer error="insufficient_scope", error="insufficient_scope""#);
    assert_eq!(challenge::classify(403, &dup), Forbidden);
    let desc = oauth(r#"Bearer error_description="insufficient_scope""#);
    assert_eq!(challenge::classify(403, &desc), Forbidden);
    let case = oauth(r#"Bearer error="INSUFFICIENT_SCOPE""#);
    assert_eq!(
        challenge::classify(403, &case),
        Forbidden,
        "error codes are case-sensitive"
    );
    // Through a response.
    let resp = HttpResponse::new(
        403,
        vec![(
            "www-authenticate".into(),
            br#"Bearer error=insufficient_scope, scope="a b""#.to_vec(),
        )],
        vec![],
    );
    assert_eq!(challenge::classify_response(&resp), StepUp);
}

// ---------------------------------------------------------------- recovery

#[test]
fn garbage_challenge_does_not_hide_later_bearer() {
    for h in [
        r#"Foo/bar x, Bearer resource_metadata="U""#,
        r#""junk", Bearer resource_metadata="U""#,
        r#"=, Bearer resource_metadata="U""#,
        r#"Basic realm="a" junk more, Bearer resource_metadata="U""#,
        r#"Foo "x", Bearer resource_metadata="U""#,
        r#"Foo a="1\"", b=, c="\u{1}", Bearer resource_metadata="U""#,
        r#"Negotiate abc def, Bearer resource_metadata="U""#,
    ] {
        let o = oauth(h);
        assert_eq!(one(o.resource_metadata()), "U", "{h}");
        assert!(
            o.error_count() > 0 || h.contains("Foo a="),
            "{h}: {:?}",
            o.first_error()
        );
    }
}

#[test]
fn unterminated_quote_consumes_only_its_line() {
    let lines: [&[u8]; 2] = [
        br#"Basic realm="oops, Bearer scope=no"#,
        br#"Bearer scope="yes""#,
    ];
    let o = challenge::parse_lines(&lines).oauth();
    assert_eq!(one(o.scope()), "yes");
    let errs: Vec<_> = challenge::parse_lines(&lines)
        .filter_map(Result::err)
        .collect();
    assert!(
        matches!(errs[..], [ChallengeError::UnterminatedQuotedString { at }] if at.line() == 0),
        "{errs:?}"
    );
    // A quoted comma inside a well-formed quoted-string is data, even inside junk.
    let h = r#"Foo "a, Bearer scope=no" junk, Bearer scope="yes""#;
    assert_eq!(one(oauth(h).scope()), "yes");
}

#[test]
fn params_after_junk_are_attributed_to_no_challenge() {
    let h = r#"Basic realm="a" junk, scope="s", Bearer scope="t""#;
    let o = oauth(h);
    assert_eq!(one(o.scope()), "t");
    let c = challenges(h);
    assert!(
        c[0].param("scope").is_absent(),
        "scope must not attach to Basic"
    );
    let errs = errors(h);
    assert!(matches!(
        errs[..],
        [
            ChallengeError::ExpectedComma { .. },
            ChallengeError::ParamOutsideChallenge { .. }
        ]
    ));
    // The same after a value that cannot be read, or an unterminated quote (also across lines).
    let o = oauth(r#"Bearer realm="r", error_description=\bad DPoP, scope="s""#);
    assert!(o.scope().is_absent());
    assert_eq!(one(o.realm()), "r");
    let lines: [&str; 2] = [r#"Bearer realm="oops, DPoP x=y"#, r#"scope="s""#];
    assert!(
        challenge::parse_str_lines(&lines)
            .oauth()
            .scope()
            .is_absent()
    );
    // The same after junk glued to a scheme, which might have been a Bearer challenge.
    let o = oauth(r#"Basic realm="a", Bearer/2 x, scope="s""#);
    assert!(o.scope().is_absent());
    assert!(o.bearer().is_none());
}

#[test]
fn malformed_value_drops_only_that_param() {
    let h = "Bearer scope=, error=\"x\", error_description=\"a\u{1}b\", realm=r";
    let o = oauth(h);
    assert!(o.scope().is_absent());
    assert_eq!(one(o.error()), "x");
    assert!(o.error_description().is_absent());
    assert_eq!(one(o.realm()), "r");
    let errs = errors(h);
    assert!(matches!(
        errs[..],
        [
            ChallengeError::MissingValue { .. },
            ChallengeError::InvalidQuotedByte { .. }
        ]
    ));
}

#[test]
fn empty_first_param_is_not_a_token68() {
    // `scope=` right after the scheme would be a token68 by the grammar; when parameters follow
    // it is read as an empty parameter instead, so they stay with their challenge.
    let h = r#"Bearer scope=, error="x""#;
    assert_eq!(one(oauth(h).error()), "x");
    assert!(matches!(
        errors(h)[..],
        [ChallengeError::MissingValue { .. }]
    ));
    let lines: [&str; 2] = ["Bearer scope=", r#"error="x""#];
    assert_eq!(one(challenge::parse_str_lines(&lines).oauth().error()), "x");
    // A real token68 before another challenge stays a token68.
    let h = r#"Negotiate abc=, Bearer scope="s""#;
    assert_eq!(challenges(h)[0].token68(), Some("abc="));
    assert_eq!(one(oauth(h).scope()), "s");
    assert_eq!(challenges("Bearer scope=")[0].token68(), Some("scope="));
}

#[test]
fn params_outside_challenges_are_errors() {
    let h = r#"scope="s", Bearer"#;
    assert!(oauth(h).scope().is_absent());
    assert!(matches!(
        errors(h)[..],
        [ChallengeError::ParamOutsideChallenge { .. }]
    ));
    let h = r#"Negotiate abc==, scope="s""#;
    assert!(matches!(
        errors(h)[..],
        [ChallengeError::ParamAfterToken68 { .. }]
    ));
    assert_eq!(challenges(h)[0].params().count(), 0);
}

#[test]
fn error_positions_and_messages() {
    let lines: [&str; 2] = ["Bearer realm=\"r\"", "Bearer scope=\"x"];
    let errs: Vec<_> = challenge::parse_str_lines(&lines)
        .filter_map(Result::err)
        .collect();
    assert_eq!(
        errs,
        [ChallengeError::UnterminatedQuotedString {
            at: errs[0].position()
        }]
    );
    let at: Position = errs[0].position();
    assert_eq!((at.line(), at.offset()), (1, 13));
    assert_eq!(
        errs[0].to_string(),
        "unterminated quoted string at line 1, byte 13"
    );
    let e = errors("Bearer a=\"1\" b");
    assert_eq!(e[0].to_string(), "expected a comma at line 0, byte 13");
}

#[test]
fn challenges_and_params_iterators_are_reusable() {
    let h = r#"Basic realm="a", Bearer scope="s", error=e, DPoP algs="ES256 PS256""#;
    let all = challenge::parse(h);
    assert_eq!(all.clone().count(), 3);
    let bearer = all
        .filter_map(Result::ok)
        .find(|c| c.is_scheme("bearer"))
        .unwrap();
    let names: Vec<_> = bearer.params().map(|p| p.name()).collect();
    assert_eq!(names, ["scope", "error"]);
    assert_eq!(bearer.params().count(), 2, "params() starts over each time");
    assert_eq!(
        format!("{bearer:?}"),
        r#"Challenge { scheme: "Bearer", params: {"scope": Quoted("s"), "error": Token("e")} }"#
    );
}
