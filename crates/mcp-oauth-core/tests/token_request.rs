//! Token endpoint requests: checklist T-1 … T-10, F-1, F-2, M-4, M-6, Q-6, Q-7.

use base64::Engine as _;
use mcp_oauth_core::Scopes;
use mcp_oauth_core::http::{HttpRequest, Method};
use mcp_oauth_core::secret::{AuthorizationCode, ClientSecret, RefreshToken};
use mcp_oauth_core::token::{
    ClientAuth, ClientAuthError, ClientAuthMethod, TokenRequest, TokenRequestError,
    basic_auth_header, select_client_auth_method,
};
use mcp_oauth_core::urls::{UrlError, UrlPolicy};
use proptest::prelude::*;
use url::form_urlencoded;

const ENDPOINT: &str = "https://as.example.com/oauth/token";
const RESOURCE: &str = "https://mcp.example.com/mcp";

fn pairs(req: &HttpRequest) -> Vec<(String, String)> {
    form_urlencoded::parse(&req.body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn keys(req: &HttpRequest) -> Vec<String> {
    pairs(req).into_iter().map(|(k, _)| k).collect()
}

fn value(req: &HttpRequest, key: &str) -> Option<String> {
    pairs(req)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

fn public() -> ClientAuth {
    ClientAuth::None {
        client_id: "client-1".into(),
    }
}

fn basic() -> ClientAuth {
    ClientAuth::ClientSecretBasic {
        client_id: "client-1".into(),
        client_secret: ClientSecret::new("s3cret".into()),
    }
}

fn post() -> ClientAuth {
    ClientAuth::ClientSecretPost {
        client_id: "client-1".into(),
        client_secret: ClientSecret::new("s3cret".into()),
    }
}

fn code_exchange() -> TokenRequest {
    TokenRequest::authorization_code(
        AuthorizationCode::new("the-code".into()),
        "http://127.0.0.1:8123/callback",
        "verifier-0123456789-0123456789-0123456789-xyz",
        RESOURCE,
    )
}

fn rt() -> RefreshToken {
    RefreshToken::new("the-refresh-token".into())
}

#[test]
fn post_form_and_accept_json_t1() {
    let req = code_exchange()
        .build(ENDPOINT, &public(), UrlPolicy::https_only())
        .unwrap();
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url, ENDPOINT);
    assert_eq!(
        req.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(req.header("accept"), Some("application/json"));
}

#[test]
fn code_exchange_body_t2_t7() {
    let req = code_exchange()
        .build(ENDPOINT, &public(), UrlPolicy::https_only())
        .unwrap();
    assert_eq!(
        keys(&req),
        [
            "grant_type",
            "code",
            "redirect_uri",
            "code_verifier",
            "resource",
            "client_id"
        ]
    );
    assert_eq!(
        value(&req, "grant_type").as_deref(),
        Some("authorization_code")
    );
    assert_eq!(value(&req, "code").as_deref(), Some("the-code"));
    assert_eq!(
        value(&req, "redirect_uri").as_deref(),
        Some("http://127.0.0.1:8123/callback")
    );
    assert_eq!(
        value(&req, "code_verifier").as_deref(),
        Some("verifier-0123456789-0123456789-0123456789-xyz")
    );
    assert_eq!(value(&req, "resource").as_deref(), Some(RESOURCE));
    assert_eq!(value(&req, "client_id").as_deref(), Some("client-1"));
    // T-7: a public client sends no secret and no Authorization header.
    assert_eq!(req.header("authorization"), None);
}

#[test]
fn insecure_endpoint_refused_t3() {
    let http = "http://as.example.com/token";
    let err = code_exchange()
        .build(
            http,
            &public(),
            UrlPolicy::https_only().allow_loopback_http(),
        )
        .unwrap_err();
    assert_eq!(err, TokenRequestError::Endpoint(UrlError::InsecureScheme));

    let loopback = "http://127.0.0.1:9000/token";
    let err = TokenRequest::refresh(&rt(), RESOURCE)
        .build(loopback, &basic(), UrlPolicy::https_only())
        .unwrap_err();
    assert_eq!(err, TokenRequestError::Endpoint(UrlError::InsecureScheme));
    assert!(
        TokenRequest::refresh(&rt(), RESOURCE)
            .build(
                loopback,
                &basic(),
                UrlPolicy::https_only().allow_loopback_http()
            )
            .is_ok()
    );
    for bad in [
        "javascript:alert(1)",
        "/token",
        "https://u:p@as.example.com/t",
    ] {
        assert!(matches!(
            TokenRequest::client_credentials(RESOURCE, &Scopes::new()).build(
                bad,
                &post(),
                UrlPolicy::https_only()
            ),
            Err(TokenRequestError::Endpoint(_))
        ));
    }
}

fn list(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn method_selection_t4_m6() {
    use ClientAuthMethod as M;
    // AS lists only client_secret_post → body secret, no Basic (T-4's test).
    assert_eq!(
        select_client_auth_method(None, true, Some(&list(&["client_secret_post"]))),
        Ok(M::ClientSecretPost)
    );
    // M-6: AS lists client_secret_basic → Basic.
    assert_eq!(
        select_client_auth_method(
            None,
            true,
            Some(&list(&["client_secret_post", "client_secret_basic"]))
        ),
        Ok(M::ClientSecretBasic)
    );
    // Absent list means client_secret_basic (RFC 8414 §2).
    assert_eq!(
        select_client_auth_method(None, true, None),
        Ok(M::ClientSecretBasic)
    );
    // The registered method wins when listed or when nothing is listed.
    assert_eq!(
        select_client_auth_method(Some("client_secret_post"), true, None),
        Ok(M::ClientSecretPost)
    );
    assert_eq!(
        select_client_auth_method(
            Some("client_secret_post"),
            true,
            Some(&list(&["client_secret_basic", "client_secret_post"]))
        ),
        Ok(M::ClientSecretPost)
    );
    // …but not when the AS does not list it.
    assert_eq!(
        select_client_auth_method(
            Some("client_secret_post"),
            true,
            Some(&list(&["client_secret_basic"]))
        ),
        Ok(M::ClientSecretBasic)
    );
    // A registered secret method without a secret is skipped.
    assert_eq!(
        select_client_auth_method(Some("client_secret_basic"), false, None),
        Ok(M::None)
    );
    // Registered `none` with a secret in hand: the secret is not sent.
    assert_eq!(
        select_client_auth_method(
            Some("none"),
            true,
            Some(&list(&["none", "client_secret_basic"]))
        ),
        Ok(M::None)
    );
    // No secret → none, even when the AS does not list it (Entra).
    assert_eq!(
        select_client_auth_method(
            None,
            false,
            Some(&list(&["client_secret_basic", "private_key_jwt"]))
        ),
        Ok(M::None)
    );
    // A secret, and the AS offers nothing we can do.
    assert_eq!(
        select_client_auth_method(
            Some("private_key_jwt"),
            true,
            Some(&list(&["private_key_jwt", "tls_client_auth"]))
        ),
        Err(ClientAuthError::NoCompatibleMethod)
    );
    // Stripe: only `none` listed.
    assert_eq!(
        select_client_auth_method(None, true, Some(&list(&["none"]))),
        Ok(M::None)
    );
}

#[test]
fn client_auth_from_method_t4() {
    let secret = || Some(ClientSecret::new("x".into()));
    assert_eq!(
        ClientAuth::new(ClientAuthMethod::ClientSecretBasic, "id".into(), None),
        Err(ClientAuthError::MissingClientSecret)
    );
    assert_eq!(
        ClientAuth::new(ClientAuthMethod::None, String::new(), None),
        Err(ClientAuthError::EmptyClientId)
    );
    let none = ClientAuth::new(ClientAuthMethod::None, "id".into(), secret()).unwrap();
    assert_eq!(none.method(), ClientAuthMethod::None);
    assert_eq!(none.client_id(), "id");
    let post = ClientAuth::new(ClientAuthMethod::ClientSecretPost, "id".into(), secret()).unwrap();
    assert_eq!(post.method(), ClientAuthMethod::ClientSecretPost);
    for m in [
        ClientAuthMethod::None,
        ClientAuthMethod::ClientSecretBasic,
        ClientAuthMethod::ClientSecretPost,
        ClientAuthMethod::PrivateKeyJwt,
    ] {
        assert_eq!(ClientAuthMethod::from_name(m.as_str()), Some(m));
        assert_eq!(m.to_string(), m.as_str());
    }
    assert!(ClientAuthMethod::PrivateKeyJwt.needs_key());
    assert!(!ClientAuthMethod::PrivateKeyJwt.needs_secret());
    // private_key_jwt needs a signed assertion, which `new` cannot make.
    assert_eq!(
        ClientAuth::new(ClientAuthMethod::PrivateKeyJwt, "id".into(), secret()),
        Err(ClientAuthError::MissingAssertion)
    );
    assert_eq!(ClientAuthMethod::from_name("tls_client_auth"), None);
    assert_eq!(ClientAuthMethod::from_name("Client_Secret_Basic"), None);
}

#[test]
fn basic_header_vector_t5() {
    let v = basic_auth_header("a:b", &ClientSecret::new("p@ss word".into()));
    assert_eq!(v.as_str(), "Basic YSUzQWI6cCU0MHNzK3dvcmQ=");
    assert!(v.is_sensitive());
    assert_eq!(format!("{v:?}"), "[redacted]");

    let auth = ClientAuth::ClientSecretBasic {
        client_id: "a:b".into(),
        client_secret: ClientSecret::new("p@ss word".into()),
    };
    let req = code_exchange()
        .build(ENDPOINT, &auth, UrlPolicy::https_only())
        .unwrap();
    assert_eq!(
        req.header("authorization"),
        Some("Basic YSUzQWI6cCU0MHNzK3dvcmQ=")
    );
    // T-2: no client_id in the body when the client authenticates with the header.
    assert_eq!(
        keys(&req),
        [
            "grant_type",
            "code",
            "redirect_uri",
            "code_verifier",
            "resource"
        ]
    );
}

#[test]
fn client_secret_post_body_t6() {
    let req = code_exchange()
        .build(ENDPOINT, &post(), UrlPolicy::https_only())
        .unwrap();
    assert_eq!(value(&req, "client_id").as_deref(), Some("client-1"));
    assert_eq!(value(&req, "client_secret").as_deref(), Some("s3cret"));
    assert_eq!(req.header("authorization"), None);
}

#[test]
fn exactly_one_auth_method_t8() {
    for auth in [public(), basic(), post()] {
        for req in [
            code_exchange(),
            TokenRequest::refresh(&rt(), RESOURCE),
            TokenRequest::client_credentials(RESOURCE, &Scopes::parse("a")),
        ] {
            let req = req.build(ENDPOINT, &auth, UrlPolicy::https_only()).unwrap();
            let header = req.header("authorization").is_some();
            let body_secret = value(&req, "client_secret").is_some();
            let body_id = value(&req, "client_id").is_some();
            match auth.method() {
                ClientAuthMethod::None => assert!(!header && !body_secret && body_id),
                ClientAuthMethod::ClientSecretBasic => {
                    assert!(header && !body_secret && !body_id)
                }
                ClientAuthMethod::ClientSecretPost => assert!(!header && body_secret && body_id),
                _ => unreachable!("no other method exists yet"),
            }
        }
    }
}

#[test]
fn resource_in_every_grant_t10() {
    for req in [
        code_exchange(),
        TokenRequest::refresh(&rt(), RESOURCE),
        TokenRequest::client_credentials(RESOURCE, &Scopes::new()),
    ] {
        let req = req
            .build(ENDPOINT, &basic(), UrlPolicy::https_only())
            .unwrap();
        assert_eq!(value(&req, "resource").as_deref(), Some(RESOURCE));
    }
}

#[test]
fn resource_sent_exactly_q6() {
    let req = TokenRequest::refresh(&rt(), "https://mcp.example.com")
        .build(ENDPOINT, &public(), UrlPolicy::https_only())
        .unwrap();
    let body = String::from_utf8(req.body.clone()).unwrap();
    assert!(
        body.contains("resource=https%3A%2F%2Fmcp.example.com&"),
        "{body}"
    );
    assert!(!body.contains("mcp.example.com%2F"), "{body}");
}

#[test]
fn invalid_resource_refused() {
    for bad in [
        "",
        "mcp.example.com/mcp",
        "https://mcp.example.com/mcp#frag",
    ] {
        let err = TokenRequest::refresh(&rt(), bad)
            .build(ENDPOINT, &public(), UrlPolicy::https_only())
            .unwrap_err();
        assert!(
            matches!(
                err,
                TokenRequestError::InvalidResource | TokenRequestError::EmptyParameter("resource")
            ),
            "{bad}: {err:?}"
        );
    }
}

#[test]
fn empty_parameters_refused() {
    let err = TokenRequest::authorization_code(
        AuthorizationCode::new(String::new()),
        "http://127.0.0.1/cb",
        "v",
        RESOURCE,
    )
    .build(ENDPOINT, &public(), UrlPolicy::https_only())
    .unwrap_err();
    assert_eq!(err, TokenRequestError::EmptyParameter("code"));
    let err =
        TokenRequest::authorization_code(AuthorizationCode::new("c".into()), "", "v", RESOURCE)
            .build(ENDPOINT, &public(), UrlPolicy::https_only())
            .unwrap_err();
    assert_eq!(err, TokenRequestError::EmptyParameter("redirect_uri"));
    let err = TokenRequest::authorization_code(
        AuthorizationCode::new("c".into()),
        "http://127.0.0.1/cb",
        "",
        RESOURCE,
    )
    .build(ENDPOINT, &public(), UrlPolicy::https_only())
    .unwrap_err();
    assert_eq!(err, TokenRequestError::EmptyParameter("code_verifier"));
    let err = TokenRequest::refresh(&RefreshToken::new(String::new()), RESOURCE)
        .build(ENDPOINT, &public(), UrlPolicy::https_only())
        .unwrap_err();
    assert_eq!(err, TokenRequestError::EmptyParameter("refresh_token"));
    let err = TokenRequest::refresh(&rt(), RESOURCE)
        .build(
            ENDPOINT,
            &ClientAuth::None {
                client_id: String::new(),
            },
            UrlPolicy::https_only(),
        )
        .unwrap_err();
    assert_eq!(
        err,
        TokenRequestError::ClientAuth(ClientAuthError::EmptyClientId)
    );
}

#[test]
fn refresh_body_f1() {
    let req = TokenRequest::refresh(&rt(), RESOURCE)
        .build(ENDPOINT, &public(), UrlPolicy::https_only())
        .unwrap();
    assert_eq!(req.method, Method::Post);
    assert_eq!(
        pairs(&req),
        [
            ("grant_type", "refresh_token"),
            ("refresh_token", "the-refresh-token"),
            ("resource", RESOURCE),
            ("client_id", "client-1"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
    );
}

#[test]
fn refresh_cannot_widen_f2() {
    let granted = Scopes::parse("mcp:read mcp:write");
    let err =
        TokenRequest::refresh_narrowed(&rt(), RESOURCE, &granted, &Scopes::parse("mcp:admin"))
            .unwrap_err();
    assert_eq!(err, TokenRequestError::ScopeNotGranted);
    let err = TokenRequest::refresh_narrowed(
        &rt(),
        RESOURCE,
        &granted,
        &Scopes::parse("mcp:read mcp:admin"),
    )
    .unwrap_err();
    assert_eq!(err, TokenRequestError::ScopeNotGranted);

    let req = TokenRequest::refresh_narrowed(&rt(), RESOURCE, &granted, &Scopes::parse("mcp:read"))
        .unwrap()
        .build(ENDPOINT, &public(), UrlPolicy::https_only())
        .unwrap();
    assert_eq!(value(&req, "scope").as_deref(), Some("mcp:read"));

    // an empty narrowed scope sends no `scope` at all (never `scope=`).
    let req = TokenRequest::refresh_narrowed(&rt(), RESOURCE, &granted, &Scopes::new())
        .unwrap()
        .build(ENDPOINT, &public(), UrlPolicy::https_only())
        .unwrap();
    assert_eq!(value(&req, "scope"), None);
}

#[test]
fn client_credentials_body_m4() {
    let req = TokenRequest::client_credentials(RESOURCE, &Scopes::parse("mcp:read mcp:write"))
        .build(ENDPOINT, &basic(), UrlPolicy::https_only())
        .unwrap();
    assert_eq!(
        pairs(&req),
        [
            ("grant_type", "client_credentials"),
            ("resource", RESOURCE),
            ("scope", "mcp:read mcp:write"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
    );
    assert!(req.header("authorization").is_some());
    // no scope → no parameter.
    let req = TokenRequest::client_credentials(RESOURCE, &Scopes::new())
        .build(ENDPOINT, &basic(), UrlPolicy::https_only())
        .unwrap();
    assert_eq!(value(&req, "scope"), None);
}

#[test]
fn extra_parameters() {
    let req = TokenRequest::client_credentials(RESOURCE, &Scopes::new())
        .extra_param("audience", "https://api.example.com")
        .extra_param("x-vendor", "a&b=c")
        .build(ENDPOINT, &public(), UrlPolicy::https_only())
        .unwrap();
    assert_eq!(
        value(&req, "audience").as_deref(),
        Some("https://api.example.com")
    );
    assert_eq!(value(&req, "x-vendor").as_deref(), Some("a&b=c"));

    for reserved in ["client_secret", "resource", "grant_type", "scope", "code"] {
        let err = TokenRequest::client_credentials(RESOURCE, &Scopes::new())
            .extra_param(reserved, "x")
            .build(ENDPOINT, &public(), UrlPolicy::https_only())
            .unwrap_err();
        assert_eq!(err, TokenRequestError::ReservedParameter(reserved.into()));
    }
    let err = TokenRequest::client_credentials(RESOURCE, &Scopes::new())
        .extra_param("a", "1")
        .extra_param("a", "2")
        .build(ENDPOINT, &public(), UrlPolicy::https_only())
        .unwrap_err();
    assert_eq!(err, TokenRequestError::DuplicateParameter("a".into()));
}

#[test]
fn debug_shows_no_secret_v11() {
    let builder = TokenRequest::authorization_code(
        AuthorizationCode::new("CODE-SECRET".into()),
        "http://127.0.0.1/cb",
        "VERIFIER-SECRET",
        RESOURCE,
    )
    .extra_param("assertion", "EXTRA-SECRET");
    let refresh = TokenRequest::refresh(&RefreshToken::new("RT-SECRET".into()), RESOURCE);
    let dbg = format!("{builder:?}{refresh:?}");
    let auth = ClientAuth::ClientSecretBasic {
        client_id: "id".into(),
        client_secret: ClientSecret::new("CLIENT-SECRET".into()),
    };
    let req = builder
        .build(ENDPOINT, &auth, UrlPolicy::https_only())
        .unwrap();
    let all = format!("{dbg}{req:?}{auth:?}");
    for secret in [
        "CODE-SECRET",
        "VERIFIER-SECRET",
        "EXTRA-SECRET",
        "RT-SECRET",
        "CLIENT-SECRET",
    ] {
        assert!(!all.contains(secret), "{secret} leaked: {all}");
    }
}

proptest! {
    /// Form bodies decode to exactly the intended parameters, each once, for arbitrary values.
    #[test]
    fn form_body_round_trips(
        code in "\\PC{1,40}",
        redirect in "\\PC{1,40}",
        verifier in "\\PC{1,40}",
        client_id in "\\PC{1,20}",
        secret in "\\PC{1,20}",
        extra_value in "\\PC{0,20}",
        method in 0u8..3,
    ) {
        let auth = match method {
            0 => ClientAuth::None { client_id: client_id.clone() },
            1 => ClientAuth::ClientSecretBasic {
                client_id: client_id.clone(),
                client_secret: ClientSecret::new(secret.clone()),
            },
            _ => ClientAuth::ClientSecretPost {
                client_id: client_id.clone(),
                client_secret: ClientSecret::new(secret.clone()),
            },
        };
        let req = TokenRequest::authorization_code(
            AuthorizationCode::new(code.clone()),
            &redirect,
            &verifier,
            RESOURCE,
        )
        .extra_param("x", &extra_value)
        .build(ENDPOINT, &auth, UrlPolicy::https_only())
        .unwrap();
        let mut expected = vec![
            ("grant_type".to_string(), "authorization_code".to_string()),
            ("code".into(), code),
            ("redirect_uri".into(), redirect),
            ("code_verifier".into(), verifier),
            ("resource".into(), RESOURCE.into()),
        ];
        match method {
            0 => expected.push(("client_id".into(), client_id.clone())),
            1 => {}
            _ => {
                expected.push(("client_id".into(), client_id.clone()));
                expected.push(("client_secret".into(), secret.clone()));
            }
        }
        expected.push(("x".into(), extra_value));
        prop_assert_eq!(pairs(&req), expected);

        if method == 1 {
            let header = req.header("authorization").unwrap();
            let b64 = header.strip_prefix("Basic ").unwrap();
            let mut buf = vec![0u8; b64.len()];
            let n = base64::engine::general_purpose::STANDARD.decode_slice(b64, &mut buf).unwrap();
            buf.truncate(n);
            let decoded = String::from_utf8(buf).unwrap();
            let (id_enc, secret_enc) = decoded.split_once(':').unwrap();
            // Both halves are form-encoded, so neither contains a raw ':' (T-5).
            let dec = |s: &str| form_urlencoded::parse(format!("v={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap();
            prop_assert_eq!(dec(id_enc), client_id);
            prop_assert_eq!(dec(secret_enc), secret);
        }
    }

    /// Refresh and client-credentials bodies round-trip too, with arbitrary scope tokens.
    #[test]
    fn refresh_and_cc_round_trip(
        refresh in "\\PC{1,40}",
        scopes in proptest::collection::vec("[!#-\\[\\]-~]{1,8}", 0..4),
    ) {
        let scope = Scopes::from_tokens(&scopes);
        let req = TokenRequest::refresh_narrowed(&RefreshToken::new(refresh.clone()), RESOURCE, &scope, &scope)
            .unwrap()
            .build(ENDPOINT, &public(), UrlPolicy::https_only())
            .unwrap();
        let mut expected = vec![
            ("grant_type".to_string(), "refresh_token".to_string()),
            ("refresh_token".into(), refresh),
            ("resource".into(), RESOURCE.into()),
        ];
        if !scope.is_empty() {
            expected.push(("scope".into(), scope.to_string()));
        }
        expected.push(("client_id".into(), "client-1".into()));
        prop_assert_eq!(pairs(&req), expected);

        let req = TokenRequest::client_credentials(RESOURCE, &scope)
            .build(ENDPOINT, &public(), UrlPolicy::https_only())
            .unwrap();
        let got = keys(&req);
        let mut unique = got.clone();
        unique.sort();
        unique.dedup();
        prop_assert_eq!(unique.len(), got.len());
    }

    /// Arbitrary endpoint, resource and extra-parameter strings never panic the builder.
    #[test]
    fn builder_never_panics(
        endpoint in "\\PC{0,40}",
        resource in "\\PC{0,40}",
        name in "\\PC{0,10}",
        value in "\\PC{0,10}",
    ) {
        let _ = TokenRequest::client_credentials(&resource, &Scopes::new())
            .extra_param(&name, &value)
            .build(&endpoint, &post(), UrlPolicy::https_only().allow_loopback_http());
    }
}
