//! The authorization request URL (checklist Q, K-6): cases, round-trip properties, a snapshot of a
//! fully-featured URL and a corpus snapshot over real `authorization_endpoint` values.

use std::collections::HashMap;

use mcp_oauth_core::authorize::{AuthorizationRequest, AuthorizeError};
use mcp_oauth_core::pkce::PkcePair;
use mcp_oauth_core::redirect::{AuthorizationResponse, ExpectedResponse};
use mcp_oauth_core::state::StateToken;
use mcp_oauth_core::urls::UrlPolicy;
use mcp_oauth_core::{Entropy, Scopes};
use proptest::prelude::*;

const REDIRECT: &str = "http://127.0.0.1:33418/callback";

fn pkce() -> PkcePair {
    PkcePair::from_entropy(Entropy::new([0x11; 32]))
}

fn state() -> StateToken {
    StateToken::from_entropy(Entropy::new([0x22; 32]))
}

/// Query pairs of `url` as decoded by the `url` crate (an independent parser).
fn pairs(url: &str) -> Vec<(String, String)> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn counts(pairs: &[(String, String)]) -> HashMap<&str, usize> {
    let mut m = HashMap::new();
    for (k, _) in pairs {
        *m.entry(k.as_str()).or_default() += 1;
    }
    m
}

fn get<'p>(pairs: &'p [(String, String)], key: &str) -> Option<&'p str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

// covers: Q-2, K-1, K-6
#[test]
fn exactly_the_required_keys_q2_k6() {
    let (p, s) = (pkce(), state());
    let scopes = Scopes::parse("mcp:tools");
    let url = AuthorizationRequest::new(
        "https://as.example/authorize",
        "cid",
        REDIRECT,
        p.challenge(),
        &s,
    )
    .scopes(&scopes)
    .resource("https://mcp.example.com/mcp")
    .to_url()
    .unwrap();
    let pairs = pairs(&url);
    let mut keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "client_id",
            "code_challenge",
            "code_challenge_method",
            "redirect_uri",
            "resource",
            "response_type",
            "scope",
            "state"
        ]
    );
    assert_eq!(get(&pairs, "response_type"), Some("code"));
    assert_eq!(get(&pairs, "code_challenge_method"), Some("S256"));
    assert_eq!(get(&pairs, "code_challenge"), Some(p.challenge().as_str()));
    assert_eq!(get(&pairs, "state"), Some(s.as_str()));
}

//
#[test]
fn endpoint_query_kept_no_duplicates_q1() {
    let (p, s) = (pkce(), state());
    let url = AuthorizationRequest::new(
        "https://as/authorize?tenant=t",
        "cid",
        REDIRECT,
        p.challenge(),
        &s,
    )
    .to_url()
    .unwrap();
    let pairs = pairs(&url);
    assert_eq!(get(&pairs, "tenant"), Some("t"));
    assert!(counts(&pairs).values().all(|&n| n == 1), "{url}");
    let conflict = AuthorizationRequest::new(
        "https://as/authorize?response_type=token",
        "cid",
        REDIRECT,
        p.challenge(),
        &s,
    );
    assert_eq!(
        conflict.validate(),
        Err(AuthorizeError::EndpointParameterConflict("response_type"))
    );
}

//
#[test]
fn redirect_uri_byte_for_byte_q3() {
    let (p, s) = (pkce(), state());
    for registered in [
        "http://127.0.0.1:33418/callback",
        "http://localhost/cb/",
        "http://[::1]:8080/a%20b?x=1&y=2",
        "https://app.example.com/oauth/callback",
    ] {
        let url =
            AuthorizationRequest::new("https://as/authorize", "cid", registered, p.challenge(), &s)
                .to_url()
                .unwrap();
        assert_eq!(get(&pairs(&url), "redirect_uri"), Some(registered));
    }
}

//
#[test]
fn resource_sent_exactly_q4_q6() {
    let (p, s) = (pkce(), state());
    let url = AuthorizationRequest::new("https://as/authorize", "cid", REDIRECT, p.challenge(), &s)
        .resource("https://mcp.example.com")
        .to_url()
        .unwrap();
    assert!(url.contains("resource=https%3A%2F%2Fmcp.example.com"));
    assert!(
        !url.contains("resource=https%3A%2F%2Fmcp.example.com%2F"),
        "{url}"
    );
    assert_eq!(
        get(&pairs(&url), "resource"),
        Some("https://mcp.example.com")
    );
}

// covers: Q-5 (the absolute / fragment-free half; canonicalisation belongs to PRM handling)
#[test]
fn resource_must_be_absolute_without_fragment_q5() {
    let (p, s) = (pkce(), state());
    let base =
        AuthorizationRequest::new("https://as/authorize", "cid", REDIRECT, p.challenge(), &s);
    assert_eq!(
        base.resource("https://MCP.example.com/mcp#x").validate(),
        Err(AuthorizeError::InvalidResource)
    );
    assert_eq!(
        base.resource("//mcp.example.com").validate(),
        Err(AuthorizeError::InvalidResource)
    );
}

//
#[test]
fn no_scope_key_when_empty_q7() {
    let (p, s) = (pkce(), state());
    let empty = Scopes::new();
    let url = AuthorizationRequest::new("https://as/authorize", "cid", REDIRECT, p.challenge(), &s)
        .scopes(&empty)
        .to_url()
        .unwrap();
    assert!(get(&pairs(&url), "scope").is_none());
    assert!(!url.contains("scope="));
    let scopes = Scopes::parse("openid mcp:read offline_access");
    let url = AuthorizationRequest::new("https://as/authorize", "cid", REDIRECT, p.challenge(), &s)
        .scopes(&scopes)
        .to_url()
        .unwrap();
    assert!(url.contains("&scope=openid+mcp%3Aread+offline_access&"));
    assert_eq!(
        get(&pairs(&url), "scope"),
        Some("openid mcp:read offline_access")
    );
}

// covers: Q-8, K-4
#[test]
fn two_flows_differ_q8_k4() {
    let (p1, s1) = (
        PkcePair::from_entropy(Entropy::new([1; 32])),
        StateToken::from_entropy(Entropy::new([2; 32])),
    );
    let (p2, s2) = (
        PkcePair::from_entropy(Entropy::new([3; 32])),
        StateToken::from_entropy(Entropy::new([4; 32])),
    );
    let u1 = AuthorizationRequest::new("https://as/a", "c", REDIRECT, p1.challenge(), &s1)
        .to_url()
        .unwrap();
    let u2 = AuthorizationRequest::new("https://as/a", "c", REDIRECT, p2.challenge(), &s2)
        .to_url()
        .unwrap();
    let (a, b) = (pairs(&u1), pairs(&u2));
    assert_ne!(get(&a, "state"), get(&b, "state"));
    assert_ne!(get(&a, "code_challenge"), get(&b, "code_challenge"));
}

//
#[test]
fn no_client_secret_q10() {
    let (p, s) = (pkce(), state());
    let extra = [("client_secret", "hunter2")];
    let r = AuthorizationRequest::new("https://as/authorize", "cid", REDIRECT, p.challenge(), &s)
        .extra_params(&extra);
    assert_eq!(
        r.to_url(),
        Err(AuthorizeError::ForbiddenParameter("client_secret"))
    );
    let url = AuthorizationRequest::new("https://as/authorize", "cid", REDIRECT, p.challenge(), &s)
        .to_url()
        .unwrap();
    assert!(!url.contains("client_secret"));
    assert!(!url.contains(p.verifier().secret()));
}

// covers: Q-12 (the URL is inert text: shell metacharacters stay encoded)
#[test]
fn shell_metacharacters_stay_encoded_q12() {
    let (p, s) = (pkce(), state());
    let extra = [("login_hint", "a&b;$(touch /tmp/x)`id`")];
    let url = AuthorizationRequest::new("https://as/authorize", "cid", REDIRECT, p.challenge(), &s)
        .extra_params(&extra)
        .to_url()
        .unwrap();
    for c in [';', '$', '(', ')', '`', ' '] {
        assert!(!url.contains(c), "{c} in {url}");
    }
    assert_eq!(
        get(&pairs(&url), "login_hint"),
        Some("a&b;$(touch /tmp/x)`id`")
    );
}

// covers, C-1
#[test]
fn scheme_rechecked_q13_a14() {
    let (p, s) = (pkce(), state());
    let mk = |ep: &'static str| AuthorizationRequest::new(ep, "cid", REDIRECT, p.challenge(), &s);
    assert_eq!(
        mk("javascript:alert(1)").validate(),
        Err(AuthorizeError::EndpointUnsupportedScheme)
    );
    assert_eq!(
        mk("data:text/html,x").validate(),
        Err(AuthorizeError::EndpointUnsupportedScheme)
    );
    assert_eq!(
        mk("http://as.example/authorize").validate(),
        Err(AuthorizeError::EndpointInsecure)
    );
    let dev = UrlPolicy::https_only().allow_loopback_http();
    assert!(
        mk("http://127.0.0.1:9/authorize")
            .url_policy(dev)
            .validate()
            .is_ok()
    );
    assert_eq!(
        mk("http://127.0.0.1:9/authorize").validate(),
        Err(AuthorizeError::EndpointInsecure)
    );
}

#[test]
fn fully_featured_url_snapshot() {
    let p = PkcePair::from_entropy(Entropy::new(*b"0123456789abcdef0123456789abcdef"));
    let s = StateToken::from_entropy(Entropy::new(*b"state-entropy-for-the-snapshot!!"));
    let scopes = Scopes::parse("openid mcp:tools mcp:resources offline_access");
    let extra = [
        ("access_type", "offline"),
        ("prompt", "consent"),
        ("login_hint", "Zoë+test@example.com"),
    ];
    let request = AuthorizationRequest::new(
        "https://accounts.example.com/o/oauth2/v2/auth?tenant=acme&hd=example.com",
        "https://client.example.net/oauth/client-metadata.json",
        "http://127.0.0.1:33418/callback",
        p.challenge(),
        &s,
    )
    .scopes(&scopes)
    .resource("https://mcp.example.com")
    .extra_params(&extra);
    let url = request.to_url().unwrap();
    let mut buf = [0u8; 1024];
    assert_eq!(request.write_to_slice(&mut buf).unwrap(), url);
    assert_eq!(request.encoded_len().unwrap(), url.len());
    insta::assert_snapshot!(url);
}

/// Each real `authorization_endpoint` (dev policy: loopback http allowed), plus a simulated
/// redirect carrying the metadata `issuer` as `iss` and verified with the metadata's RFC 9207
/// flag.
#[test]
fn corpus_as_metadata_authorize_urls() {
    insta::glob!("corpus", "as-metadata/*.json", |path| {
        let bytes = std::fs::read(path).unwrap();
        let out = match serde_json::from_slice::<serde_json::Value>(&bytes) {
            Err(_) => "not JSON (fragment)".to_owned(),
            Ok(doc) => {
                let endpoint = doc["authorization_endpoint"].as_str();
                let issuer = doc["issuer"].as_str();
                let iss_flag = doc["authorization_response_iss_parameter_supported"]
                    .as_bool()
                    .unwrap_or(false);
                match endpoint {
                    None => "no authorization_endpoint".to_owned(),
                    Some(ep) => {
                        let (p, s) = (
                            PkcePair::from_entropy(Entropy::new([5; 32])),
                            StateToken::from_entropy(Entropy::new([6; 32])),
                        );
                        let scopes = Scopes::parse("mcp:tools");
                        let built =
                            AuthorizationRequest::new(ep, "client-1", REDIRECT, p.challenge(), &s)
                                .scopes(&scopes)
                                .resource("https://mcp.example.com")
                                .url_policy(UrlPolicy::https_only().allow_loopback_http())
                                .to_url();
                        let without_iss = {
                            let q = format!("{REDIRECT}?code=abc&state={}", s.as_str());
                            let exp = ExpectedResponse::new(&s, issuer, iss_flag);
                            AuthorizationResponse::parse(&q)
                                .and_then(|r| r.into_code(&exp))
                                .map(|c| c.secret().to_owned())
                        };
                        let redirect = issuer.map(|iss| {
                            let q = format!(
                                "{REDIRECT}?code=abc&state={}&iss={}",
                                s.as_str(),
                                url::form_urlencoded::byte_serialize(iss.as_bytes())
                                    .collect::<String>()
                            );
                            let exp = ExpectedResponse::new(&s, Some(iss), iss_flag);
                            AuthorizationResponse::parse(&q)
                                .and_then(|r| r.into_code(&exp))
                                .map(|c| c.secret().to_owned())
                        });
                        format!(
                            "endpoint: {ep}\nurl: {built:?}\niss_parameter_supported: {iss_flag}\nredirect with iss: {redirect:?}\nredirect without iss: {without_iss:?}"
                        )
                    }
                }
            }
        };
        insta::assert_snapshot!(out);
    });
}

fn extra_key() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z_]{1,12}", "\\PC{1,8}", "[&=#+% a-z]{1,6}",]
}

fn any_value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "\\PC*",
        "[&=#+%?/ a-zA-Z0-9\u{e9}\u{1F600}]*"
    ]
}

proptest! {
    //
    #[test]
    fn url_round_trips_through_url_crate(
        client_id in any_value().prop_filter("non-empty", |s| !s.is_empty()),
        path in "[A-Za-z0-9._~!$&'()*+,;=:@/?%-]{0,20}",
        tokens in prop::collection::vec("[!#-\\[\\]-~]{1,10}", 0..4),
        resource_tail in "[^#\\x00-\\x20\\x7f]{0,20}",
        with_resource in any::<bool>(),
        extras in prop::collection::vec((extra_key(), any_value()), 0..5),
        state_bytes in any::<[u8; 32]>(),
        pkce_bytes in any::<[u8; 32]>(),
    ) {
        let redirect = format!("http://127.0.0.1:8080/{path}");
        let resource = format!("https://{resource_tail}");
        let scopes = Scopes::from_tokens(&tokens);
        // Keep only extras with a fresh, allowed name (collisions are tested separately).
        let mut seen: Vec<String> = vec!["tenant".into()];
        let mut extra: Vec<(&str, &str)> = Vec::new();
        for (k, v) in &extras {
            let reserved = [
                "response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge",
                "code_challenge_method", "resource", "client_secret", "client_assertion",
                "client_assertion_type", "code_verifier", "access_token", "refresh_token", "password",
            ];
            if reserved.contains(&k.as_str()) || seen.contains(k) {
                continue;
            }
            seen.push(k.clone());
            extra.push((k, v));
        }
        let p = PkcePair::from_entropy(Entropy::new(pkce_bytes));
        let s = StateToken::from_entropy(Entropy::new(state_bytes));
        let mut req = AuthorizationRequest::new(
            "https://as.example.com/authorize?tenant=t",
            &client_id,
            &redirect,
            p.challenge(),
            &s,
        )
        .scopes(&scopes)
        .extra_params(&extra);
        if with_resource {
            req = req.resource(&resource);
        }
        let url = req.to_url().unwrap();
        let mut buf = vec![0u8; url.len()];
        prop_assert_eq!(req.write_to_slice(&mut buf).unwrap(), url.as_str());

        let parsed = url::Url::parse(&url).unwrap();
        prop_assert_eq!(parsed.host_str(), Some("as.example.com"));
        prop_assert_eq!(parsed.path(), "/authorize");
        let got = pairs(&url);
        let c = counts(&got);
        prop_assert!(c.values().all(|&n| n == 1), "duplicate key in {}", url);
        let mut expected: Vec<(&str, String)> = vec![
            ("tenant", "t".into()),
            ("response_type", "code".into()),
            ("client_id", client_id.clone()),
            ("redirect_uri", redirect.clone()),
            ("state", s.as_str().into()),
            ("code_challenge", p.challenge().as_str().into()),
            ("code_challenge_method", "S256".into()),
        ];
        if !scopes.is_empty() {
            expected.push(("scope", scopes.to_string()));
        }
        if with_resource {
            expected.push(("resource", resource.clone()));
        }
        for &(k, v) in &extra {
            expected.push((k, v.to_owned()));
        }
        prop_assert_eq!(got.len(), expected.len());
        for (k, v) in &expected {
            prop_assert_eq!(get(&got, k), Some(v.as_str()), "key {}", k);
        }
    }

    #[test]
    fn arbitrary_inputs_never_panic(
        endpoint in "\\PC{0,40}|https?://[a-z0-9.:\\[\\]@]{0,20}(/[^#]{0,10})?(\\?[a-z_=&%+]{0,30})?(#.{0,3})?",
        client_id in "\\PC{0,10}",
        redirect in "\\PC{0,30}|https?://[a-z0-9.:\\[\\]@]{0,20}/[a-z#?]{0,5}",
        resource in "\\PC{0,20}",
        extras in prop::collection::vec((any::<String>(), any::<String>()), 0..4),
        cap in 0usize..400,
    ) {
        let (p, s) = (pkce(), state());
        let extra: Vec<(&str, &str)> = extras.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let req = AuthorizationRequest::new(&endpoint, &client_id, &redirect, p.challenge(), &s)
            .resource(&resource)
            .extra_params(&extra)
            .url_policy(UrlPolicy::https_only().allow_loopback_http());
        let full = req.to_url();
        let mut buf = vec![0u8; cap];
        match (req.write_to_slice(&mut buf), &full) {
            (Ok(written), Ok(url)) => prop_assert_eq!(written, url.as_str()),
            (Err(AuthorizeError::BufferTooSmall { needed }), Ok(url)) => {
                prop_assert_eq!(needed, url.len());
                prop_assert!(cap < needed);
            }
            (Err(e), Err(f)) => prop_assert_eq!(&e, f),
            (a, b) => prop_assert!(false, "{:?} vs {:?}", a, b),
        }
        if let Ok(url) = full {
            // Whatever passed validation parses as an http(s) URL, and every key we add
            // appears once (the endpoint's own query is kept as it is).
            let parsed = url::Url::parse(&url).unwrap();
            prop_assert!(matches!(parsed.scheme(), "http" | "https"));
            prop_assert!(parsed.fragment().is_none());
            let got = pairs(&url);
            let c = counts(&got);
            for key in ["response_type", "client_id", "redirect_uri", "state", "code_challenge",
                        "code_challenge_method", "resource"] {
                prop_assert_eq!(c.get(key).copied(), Some(1), "{} in {}", key, url);
            }
            prop_assert!(!c.contains_key("client_secret"));
        }
    }
}
