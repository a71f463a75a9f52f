//! The authorization server: metadata, registration, authorization endpoint, code exchange,
//! client authentication, refresh rotation and client credentials.

mod support;

use mcp_oauth_fixtures::{FixtureConfig, Fixtures, PreregisteredClient, RouteKind};
use serde_json::{Value, json};
use support::*;

// covers, P-3, P-4, P-7 (server side: what a client must check)
#[tokio::test]
async fn metadata_documents_are_exact() {
    let fx = Fixtures::start(FixtureConfig::default()).await.unwrap();
    let meta = get(&fx.as_metadata_url()).await;
    assert_eq!(meta.status, 200);
    let m = meta.json();
    assert_eq!(str_of(&m, "issuer"), fx.issuer());
    assert_eq!(m["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(
        m["authorization_response_iss_parameter_supported"],
        json!(true)
    );
    assert_eq!(
        str_of(&m, "registration_endpoint"),
        fx.registration_endpoint()
    );
    assert_eq!(str_of(&m, "token_endpoint"), fx.token_endpoint());
    assert_eq!(m["scopes_supported"], json!(["mcp:basic", "mcp:write"]));
    assert!(m.get("client_id_metadata_document_supported").is_none());
    // OIDC discovery is off by default, so a client must use the RFC 8414 location.
    assert_eq!(
        get(&format!("{}/.well-known/openid-configuration", fx.issuer()))
            .await
            .status,
        404
    );

    let prm = get(fx.prm_url()).await;
    assert_eq!(prm.status, 200);
    let p = prm.json();
    assert_eq!(str_of(&p, "resource"), fx.mcp_url());
    assert_eq!(p["authorization_servers"], json!([fx.issuer()]));
    assert_eq!(
        get(&format!(
            "{}/.well-known/oauth-protected-resource",
            fx.rs_origin()
        ))
        .await
        .status,
        404
    );
    assert_ne!(fx.issuer(), fx.rs_origin());

    let stats = fx.stats();
    assert_eq!((stats.as_metadata, stats.prm, stats.not_found), (1, 1, 2));
}

// covers, C-1, T-5
#[tokio::test]
async fn dynamic_registration_validates_and_records() {
    let fx = Fixtures::start(FixtureConfig::default()).await.unwrap();
    let public = register(&fx, "none", &["authorization_code", "refresh_token"]).await;
    assert!(public.get("client_secret").is_none());
    assert_eq!(str_of(&public, "token_endpoint_auth_method"), "none");
    let confidential = register(&fx, "client_secret_basic", &["authorization_code"]).await;
    let secret = str_of(&confidential, "client_secret");
    assert!(
        secret.contains('%') && secret.contains('+'),
        "awkward secret by default"
    );
    assert_eq!(confidential["client_secret_expires_at"], json!(0));

    let recorded = fx.registered_clients();
    let c = recorded
        .iter()
        .find(|c| c.client_id == str_of(&public, "client_id"))
        .unwrap();
    assert_eq!(c.application_type.as_deref(), Some("native"));
    assert!(c.dynamic);

    let bad = |body: Value| {
        let url = fx.registration_endpoint();
        async move { post_json(&url, &body).await }
    };
    let r = bad(
        json!({"redirect_uris": ["http://example.com/cb"], "token_endpoint_auth_method": "none"}),
    )
    .await;
    assert_eq!(
        (r.status, str_of(&r.json(), "error").to_owned()),
        (400, "invalid_redirect_uri".into())
    );
    let r = bad(json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none", "application_type": "web"})).await;
    assert_eq!(str_of(&r.json(), "error"), "invalid_redirect_uri");
    let r = bad(json!({"redirect_uris": ["https://app.example/cb#frag"]})).await;
    assert_eq!(str_of(&r.json(), "error"), "invalid_redirect_uri");
    let r = bad(json!({"redirect_uris": "not-a-list"})).await;
    assert_eq!(str_of(&r.json(), "error"), "invalid_client_metadata");
    let r =
        bad(json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "private_key_jwt"}))
            .await;
    assert_eq!(str_of(&r.json(), "error"), "invalid_client_metadata");
    let r =
        bad(json!({"token_endpoint_auth_method": "none", "grant_types": ["client_credentials"]}))
            .await;
    assert_eq!(str_of(&r.json(), "error"), "invalid_client_metadata");
    let r = send(
        "POST",
        &fx.registration_endpoint(),
        &[("content-type", "text/plain")],
        b"{}".to_vec(),
    )
    .await;
    assert_eq!(r.status, 400);
    let r = send(
        "POST",
        &fx.registration_endpoint(),
        &[("content-type", "application/json")],
        b"\xff{".to_vec(),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(fx.stats().register, 10);
}

// covers, C-8, C-9
#[tokio::test]
async fn authorize_redirects_with_code_state_and_iss() {
    let fx = Fixtures::start(FixtureConfig::default()).await.unwrap();
    let client = register(&fx, "none", &["authorization_code"]).await;
    let client_id = str_of(&client, "client_id");
    let (_, challenge) = pkce();
    let resp = get(&authorize_url(&fx, client_id, &challenge, "mcp:basic")).await;
    assert_eq!(resp.status, 302);
    assert!(resp.header("location").unwrap().starts_with(REDIRECT));
    let p = resp.location_params();
    assert_eq!(p["state"], "st-123");
    assert_eq!(p["iss"], fx.issuer());
    assert!(!p["code"].is_empty());
    let auths = fx.authorizations();
    assert_eq!(auths.len(), 1);
    assert_eq!(auths[0].resource.as_deref(), Some(fx.mcp_url()));
    assert_eq!(auths[0].scope.as_deref(), Some("mcp:basic"));
}

// covers: K-6, Q-2, Q-3, Q-4, Q-8, C-11, C-12
#[tokio::test]
async fn authorize_rejects_bad_requests() {
    let fx = Fixtures::start(FixtureConfig::default()).await.unwrap();
    let client = register(&fx, "none", &["authorization_code"]).await;
    let client_id = str_of(&client, "client_id").to_owned();
    let (_, challenge) = pkce();
    let good = authorize_url(&fx, &client_id, &challenge, "mcp:basic");
    let edit = |from: &str, to: &str| good.replace(from, to);

    // Unregistered redirect or client: 400, never a redirect.
    let r = get(&edit("callback", "other")).await;
    assert_eq!((r.status, r.header("location")), (400, None));
    let r = get(&edit(&client_id, "nobody")).await;
    assert_eq!((r.status, r.header("location")), (400, None));

    let error_of = |r: Resp| {
        r.location_params()
            .get("error")
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(
        error_of(
            get(&edit(
                "code_challenge_method=S256",
                "code_challenge_method=plain"
            ))
            .await
        ),
        "invalid_request"
    );
    assert_eq!(
        error_of(get(&edit("&code_challenge_method=S256", "")).await),
        "invalid_request"
    );
    assert_eq!(
        error_of(get(&edit("response_type=code", "response_type=token")).await),
        "unsupported_response_type"
    );
    assert_eq!(
        error_of(get(&edit("scope=mcp%3Abasic", "scope=admin")).await),
        "invalid_scope"
    );
    assert_eq!(
        error_of(get(&edit("&state=st-123", "")).await),
        "invalid_request"
    );
    assert_eq!(
        error_of(get(&format!("{good}&state=again")).await),
        "invalid_request"
    );
    let other_resource =
        url::form_urlencoded::byte_serialize(format!("{}/", fx.mcp_url()).as_bytes())
            .collect::<String>();
    let this_resource =
        url::form_urlencoded::byte_serialize(fx.mcp_url().as_bytes()).collect::<String>();
    assert_eq!(
        error_of(get(&edit(&this_resource, &other_resource)).await),
        "invalid_target"
    );
    let r = get(&edit(&format!("&resource={this_resource}"), "")).await;
    assert_eq!(r.location_params()["error"], "invalid_target");
    assert_eq!(r.location_params()["iss"], fx.issuer());
    assert!(fx.authorizations().is_empty());
}

// covers: K-5, K-7, T-2, T-10, Q-11, C-14, T-12
#[tokio::test]
async fn code_exchange_checks_pkce_single_use_redirect_and_resource() {
    let fx = Fixtures::start(FixtureConfig::default()).await.unwrap();
    let client = register(&fx, "none", &["authorization_code", "refresh_token"]).await;
    let id = str_of(&client, "client_id");
    let exchange = |code: String, verifier: String, redirect: &'static str, resource: String| {
        let fx = &fx;
        async move {
            token(
                fx,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", redirect),
                    ("code_verifier", &verifier),
                    ("client_id", id),
                    ("resource", &resource),
                ],
                None,
            )
            .await
        }
    };
    let mcp_url = fx.mcp_url().to_owned();

    // Wrong verifier: rejected, and the code is consumed.
    let (code, _) = code_for(&fx, id, "mcp:basic").await;
    let (other_verifier, _) = pkce();
    let r = exchange(code.clone(), other_verifier, REDIRECT, mcp_url.clone()).await;
    assert_eq!(
        (r.status, str_of(&r.json(), "error").to_owned()),
        (400, "invalid_grant".into())
    );

    // Redirect or resource mismatch.
    let (code, verifier) = code_for(&fx, id, "mcp:basic").await;
    let r = exchange(
        code,
        verifier,
        "http://127.0.0.1:9999/other",
        mcp_url.clone(),
    )
    .await;
    assert_eq!(str_of(&r.json(), "error"), "invalid_grant");
    let (code, verifier) = code_for(&fx, id, "mcp:basic").await;
    let r = exchange(code, verifier, REDIRECT, format!("{mcp_url}/x")).await;
    assert_eq!(str_of(&r.json(), "error"), "invalid_target");

    // Success, then a replay revokes what the code produced.
    let (code, verifier) = code_for(&fx, id, "mcp:basic").await;
    let r = exchange(code.clone(), verifier.clone(), REDIRECT, mcp_url.clone()).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let t = r.json();
    assert_eq!(str_of(&t, "token_type"), "Bearer");
    assert_eq!(t["expires_in"], json!(3600));
    assert_eq!(str_of(&t, "scope"), "mcp:basic");
    assert!(t.get("refresh_token").is_some());
    let access = str_of(&t, "access_token").to_owned();
    assert_eq!(mcp(&fx, Some(&access), &tools_list()).await.status, 200);
    let r = exchange(code, verifier, REDIRECT, mcp_url.clone()).await;
    assert_eq!(str_of(&r.json(), "error"), "invalid_grant");
    assert_eq!(mcp(&fx, Some(&access), &tools_list()).await.status, 401);

    // Missing resource (required by default).
    let (code, verifier) = code_for(&fx, id, "mcp:basic").await;
    let r = token(
        &fx,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
            ("client_id", id),
        ],
        None,
    )
    .await;
    assert_eq!(str_of(&r.json(), "error"), "invalid_target");
    assert_eq!(fx.stats().token_authorization_code, 6);
}

// covers: T-4, T-5, T-6, T-7, T-8, T-1
#[tokio::test]
async fn client_authentication_is_exactly_the_registered_method() {
    let fx = Fixtures::start(FixtureConfig::default()).await.unwrap();
    let c = register(&fx, "client_secret_basic", &["authorization_code"]).await;
    let (id, secret) = (str_of(&c, "client_id"), str_of(&c, "client_secret"));
    let attempt = |auth: Option<String>, extra: Vec<(&'static str, String)>| {
        let fx = &fx;
        async move {
            let (code, verifier) = code_for(fx, id, "mcp:basic").await;
            let mut pairs = vec![
                ("grant_type", "authorization_code".to_owned()),
                ("code", code),
                ("redirect_uri", REDIRECT.to_owned()),
                ("code_verifier", verifier),
                ("resource", fx.mcp_url().to_owned()),
            ];
            pairs.extend(extra);
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            token(fx, &pairs, auth.as_deref()).await
        }
    };
    assert_eq!(attempt(Some(basic(id, secret)), vec![]).await.status, 200);
    // Secret not form-urlencoded inside Basic (RFC 6749 §2.3.1): its '%' and '+' break it.
    let raw = format!("Basic {}", base64_std(&format!("{id}:{secret}")));
    let r = attempt(Some(raw), vec![]).await;
    assert_eq!(
        (r.status, str_of(&r.json(), "error").to_owned()),
        (401, "invalid_client".into())
    );
    assert!(r.header("www-authenticate").unwrap().starts_with("Basic"));
    // Two methods at once.
    let r = attempt(
        Some(basic(id, secret)),
        vec![("client_secret", secret.to_owned())],
    )
    .await;
    assert_eq!(str_of(&r.json(), "error"), "invalid_request");
    // The wrong method.
    let r = attempt(
        None,
        vec![
            ("client_id", id.to_owned()),
            ("client_secret", secret.to_owned()),
        ],
    )
    .await;
    assert_eq!(str_of(&r.json(), "error"), "invalid_client");
    let r = attempt(Some(basic(id, "wrong")), vec![]).await;
    assert_eq!(r.status, 401);
    let r = attempt(None, vec![]).await;
    assert_eq!(r.status, 401);

    // client_secret_post client, and a public client that sends a secret.
    let post = register(&fx, "client_secret_post", &["authorization_code"]).await;
    let (pid, psecret) = (str_of(&post, "client_id"), str_of(&post, "client_secret"));
    let (code, verifier) = code_for(&fx, pid, "mcp:basic").await;
    let r = token(
        &fx,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
            ("resource", fx.mcp_url()),
            ("client_id", pid),
            ("client_secret", psecret),
        ],
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    let public = register(&fx, "none", &["authorization_code"]).await;
    let r = token(
        &fx,
        &[
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("client_id", str_of(&public, "client_id")),
            ("client_secret", "s"),
        ],
        None,
    )
    .await;
    assert_eq!(str_of(&r.json(), "error"), "invalid_client");
    // Wrong content type, unknown grant.
    let r = send(
        "POST",
        &fx.token_endpoint(),
        &[("content-type", "application/json")],
        b"{}".to_vec(),
    )
    .await;
    assert_eq!(str_of(&r.json(), "error"), "invalid_request");
    let r = token(
        &fx,
        &[
            ("grant_type", "password"),
            ("client_id", pid),
            ("client_secret", psecret),
        ],
        None,
    )
    .await;
    assert_eq!(str_of(&r.json(), "error"), "unsupported_grant_type");
}

fn base64_std(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

// covers: F-1, F-2, F-3, F-5, F-6, T-10
#[tokio::test]
async fn refresh_rotation_and_reuse_detection() {
    let fx = Fixtures::start(FixtureConfig::default()).await.unwrap();
    let c = register(&fx, "none", &["authorization_code", "refresh_token"]).await;
    let id = str_of(&c, "client_id");
    let t = public_tokens(&fx, id, "mcp:basic mcp:write").await;
    let rt1 = str_of(&t, "refresh_token").to_owned();
    let refresh = |rt: String, scope: Option<&'static str>| {
        let fx = &fx;
        async move {
            let mut pairs = vec![
                ("grant_type", "refresh_token"),
                ("refresh_token", &rt),
                ("client_id", id),
                ("resource", fx.mcp_url()),
            ];
            if let Some(s) = scope {
                pairs.push(("scope", s));
            }
            token(fx, &pairs, None).await
        }
    };
    // Narrowing is fine; widening is not.
    let r = refresh(rt1.clone(), Some("mcp:basic")).await;
    assert_eq!(r.status, 200);
    let t2 = r.json();
    assert_eq!(str_of(&t2, "scope"), "mcp:basic");
    let rt2 = str_of(&t2, "refresh_token").to_owned();
    assert_ne!(rt1, rt2);
    let r = refresh(rt2.clone(), Some("mcp:basic mcp:other")).await;
    assert_eq!(str_of(&r.json(), "error"), "invalid_scope");
    // The rotated-out token is reused: the whole grant dies.
    let access2 = str_of(&t2, "access_token").to_owned();
    assert_eq!(mcp(&fx, Some(&access2), &tools_list()).await.status, 200);
    let r = refresh(rt1, None).await;
    assert_eq!(str_of(&r.json(), "error"), "invalid_grant");
    assert_eq!(
        str_of(&refresh(rt2, None).await.json(), "error"),
        "invalid_grant"
    );
    assert_eq!(mcp(&fx, Some(&access2), &tools_list()).await.status, 401);
    assert_eq!(fx.stats().token_refresh_token, 4);
}

// covers: F-3, V-9, R-17, D-15, U-8
#[tokio::test]
async fn refresh_without_rotation_and_expiry() {
    let fx = Fixtures::start(FixtureConfig::default().rotate_refresh_tokens(false))
        .await
        .unwrap();
    let c = register(&fx, "none", &["authorization_code", "refresh_token"]).await;
    let id = str_of(&c, "client_id");
    let t = public_tokens(&fx, id, "mcp:basic").await;
    let rt = str_of(&t, "refresh_token").to_owned();
    fx.expire_access_tokens();
    let r = mcp(&fx, Some(str_of(&t, "access_token")), &tools_list()).await;
    assert_eq!(r.status, 401);
    assert!(
        r.header("www-authenticate")
            .unwrap()
            .contains("error=\"invalid_token\"")
    );
    for _ in 0..2 {
        let r = token(
            &fx,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &rt),
                ("client_id", id),
                ("resource", fx.mcp_url()),
            ],
            None,
        )
        .await;
        assert_eq!(r.status, 200);
        assert!(
            r.json().get("refresh_token").is_none(),
            "no rotation: old refresh token stays"
        );
        assert_eq!(
            mcp(&fx, Some(str_of(&r.json(), "access_token")), &tools_list())
                .await
                .status,
            200
        );
    }
    let r = token(
        &fx,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt),
            ("client_id", id),
            ("resource", "http://127.0.0.1:1/mcp"),
        ],
        None,
    )
    .await;
    assert_eq!(str_of(&r.json(), "error"), "invalid_target");
    // A client not registered for refresh_token gets none.
    let c2 = register(&fx, "none", &["authorization_code"]).await;
    let t2 = public_tokens(&fx, str_of(&c2, "client_id"), "mcp:basic").await;
    assert!(t2.get("refresh_token").is_none());
    let r = token(
        &fx,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt),
            ("client_id", str_of(&c2, "client_id")),
        ],
        None,
    )
    .await;
    assert_eq!(str_of(&r.json(), "error"), "unauthorized_client");
    fx.revoke_all_tokens();
    let r = token(
        &fx,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt),
            ("client_id", id),
            ("resource", fx.mcp_url()),
        ],
        None,
    )
    .await;
    assert_eq!(str_of(&r.json(), "error"), "invalid_grant");
}

// covers: M-2, M-4, M-6
#[tokio::test]
async fn client_credentials_for_the_service_client() {
    let fx = Fixtures::start(FixtureConfig::default()).await.unwrap();
    let auth = basic(fx.service_client_id(), fx.service_client_secret());
    let r = token(
        &fx,
        &[
            ("grant_type", "client_credentials"),
            ("resource", fx.mcp_url()),
            ("scope", "mcp:basic mcp:write"),
        ],
        Some(&auth),
    )
    .await;
    assert_eq!(r.status, 200);
    let t = r.json();
    assert!(t.get("refresh_token").is_none());
    let access = str_of(&t, "access_token");
    assert_eq!(
        mcp(&fx, Some(access), &call("write", &json!({})))
            .await
            .status,
        200
    );
    let r = token(
        &fx,
        &[("grant_type", "client_credentials"), ("scope", "mcp:basic")],
        Some(&auth),
    )
    .await;
    assert_eq!(str_of(&r.json(), "error"), "invalid_target");
    let r = token(
        &fx,
        &[("grant_type", "authorization_code"), ("code", "c")],
        Some(&auth),
    )
    .await;
    assert_eq!(str_of(&r.json(), "error"), "unauthorized_client");
    let public = register(&fx, "none", &["authorization_code"]).await;
    let r = token(
        &fx,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", str_of(&public, "client_id")),
            ("resource", fx.mcp_url()),
        ],
        None,
    )
    .await;
    assert_eq!(str_of(&r.json(), "error"), "unauthorized_client");
    let stats = fx.stats();
    assert_eq!(
        (
            stats.token_client_credentials,
            stats.token_authorization_code,
            stats.tokens_issued
        ),
        (3, 1, 1)
    );
    assert_eq!(fx.requests_for(RouteKind::Token).len(), 4);
}

// covers, C-2
#[tokio::test]
async fn preregistered_client_and_loopback_any_port() {
    let cfg = FixtureConfig::default()
        .loopback_redirect_any_port(true)
        .preregister(PreregisteredClient::public("pre").redirect_uri("http://127.0.0.1/callback"));
    let fx = Fixtures::start(cfg).await.unwrap();
    let (_, challenge) = pkce();
    let url = authorize_url(&fx, "pre", &challenge, "mcp:basic");
    // REDIRECT has port 9999; registered without a port: allowed by RFC 8252 §7.3.
    assert_eq!(get(&url).await.status, 302);
    let other_path = url.replace("callback", "elsewhere");
    assert_eq!(get(&other_path).await.status, 400);
}
