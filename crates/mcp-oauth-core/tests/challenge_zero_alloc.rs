//! Parsing a realistic multi-line, multi-challenge `WWW-Authenticate` header with escapes,
//! extracting and comparing every Bearer field, iterating every challenge and parameter and
//! classifying the response makes no heap allocation at all.

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use core::fmt::Write as _;

use mcp_oauth_core::challenge::{self, ChallengeAction, Field, TokenScheme, ValueSyntax};
use mcp_oauth_core::http::HttpResponse;

const LINES: [&[u8]; 3] = [
    b"Negotiate YIIB+g==, Basic realm=\"corp, inc\", x_dup=\"1\", X_Dup=2",
    b"DPoP algs=\"ES256 PS256\", error=\"use_dpop_nonce\", , Bearer realm=\"mcp\", \
      resource_metadata=\"https://mcp.example.com/.well-known/oauth-protected-resource/mcp\"",
    b"scope=\"files:read  files:write\\ admin\", error=insufficient_scope, \
      error_description=\"needs \\\"files:write\\\" \\\\ caf\xc3\xa9\", \
      error_uri=\"https://docs.example.com/errors#scope\", max_age=0",
];

fn exercise(lines: &[&[u8]]) -> bool {
    let mut ok = true;
    let mut check = |b: bool| ok &= b;

    let oauth = challenge::parse_lines(lines).oauth();
    check(oauth.challenge_count() == 4 && oauth.error_count() == 0);
    check(oauth.bearer_count() == 1 && oauth.dpop_count() == 1);
    check(oauth.action(403) == ChallengeAction::StepUp);
    check(challenge::classify(401, &oauth) == ChallengeAction::Authenticate);

    let rm = oauth.resource_metadata().single();
    check(rm.is_some_and(|v| {
        v.as_str() == Some("https://mcp.example.com/.well-known/oauth-protected-resource/mcp")
    }));
    check(oauth.resource_metadata_scheme() == Some(TokenScheme::Bearer));
    check(oauth.realm().single().is_some_and(|v| v.eq_str("mcp")));
    check(
        oauth
            .error()
            .single()
            .is_some_and(|v| v.eq_str("insufficient_scope") && v.syntax() == ValueSyntax::Token),
    );
    check(
        oauth
            .error_uri()
            .single()
            .is_some_and(|v| v.eq_str("https://docs.example.com/errors#scope")),
    );

    // Escapes: compare, iterate bytes and chars, write into a fixed buffer.
    let expected = "needs \"files:write\" \\ café";
    match oauth.error_description() {
        Field::One(d) => {
            check(d.has_escapes() && d.as_str().is_none());
            check(d.eq_str(expected));
            check(d.bytes().eq(expected.bytes()));
            check(d.chars().eq(expected.chars()));
            let mut buf = heapless::String::<64>::new();
            check(d.write_to(&mut buf).is_ok() && buf.as_str() == expected);
            buf.clear();
            check(write!(buf, "{d}").is_ok() && buf.as_str() == expected);
        }
        _ => check(false),
    }

    // Scope tokens, including an escaped space separator.
    if let Some(scope) = oauth.scope().single() {
        let mut tokens = scope.scope_tokens();
        check(tokens.next().and_then(|t| t.as_str()) == Some("files:read"));
        check(tokens.next().and_then(|t| t.as_str()) == Some("files:write"));
        check(tokens.next().and_then(|t| t.as_str()) == Some("admin"));
        check(tokens.next().is_none());
    } else {
        check(false);
    }

    // DPoP's error stays with DPoP.
    check(oauth.dpop().is_some_and(|d| {
        d.error()
            .single()
            .is_some_and(|e| e.eq_str("use_dpop_nonce"))
    }));

    // Every challenge and every parameter, plus a duplicated one.
    let mut n_params = 0;
    for c in challenge::parse_lines(lines) {
        let Ok(c) = c else {
            check(false);
            continue;
        };
        for p in c.params() {
            n_params += 1;
            check(!p.name().is_empty() && p.value().chars().count() < 200);
        }
        if c.is_scheme("negotiate") {
            check(c.token68() == Some("YIIB+g=="));
        }
        if c.is_scheme("basic") {
            check(
                c.param("realm")
                    .single()
                    .is_some_and(|v| v.eq_str("corp, inc")),
            );
            let dup = c.param("x_dup");
            check(dup.is_duplicated() && dup.count() == 2);
            let mut values = dup.values();
            check(values.next().is_some_and(|v| v.eq_str("1")));
            check(values.next().is_some_and(|v| v.eq_str("2")));
            check(values.next().is_none());
        }
    }
    check(n_params == 12);
    ok
}

#[test]
fn parse_and_extract_without_allocating() {
    let (ok, allocs) = counting_alloc::allocations(|| exercise(&LINES));
    assert!(ok, "wrong parse result");
    assert_eq!(allocs, 0, "the challenge parser allocated");
}

#[test]
fn response_convenience_without_allocating() {
    let response = HttpResponse::new(
        403,
        LINES
            .iter()
            .map(|l| ("WWW-Authenticate".to_owned(), l.to_vec()))
            .collect(),
        Vec::new(),
    );
    let (ok, allocs) = counting_alloc::allocations(|| {
        let oauth = challenge::OAuthChallenge::from_response(&response);
        challenge::classify_response(&response) == ChallengeAction::StepUp
            && oauth
                .scope()
                .single()
                .is_some_and(|s| s.scope_tokens().count() == 3)
            && challenge::parse_response(&response).count() == 4
    });
    assert!(ok, "wrong parse result");
    assert_eq!(allocs, 0, "the challenge parser allocated");
}
