//! The MCP resource server: challenges, token validation, step-up, JSON-RPC, SSE framing,
//! multi-hop consent, counters and lifecycle.

mod support;

use mcp_oauth_fixtures::{ConsentMode, FixtureConfig, Fixtures, PrmLocation, RouteKind};
use serde_json::{Value, json};
use support::*;

// covers: D-1, D-3, D-11, G-22, U-1, S-1
#[tokio::test]
async fn unauthenticated_401_then_token_then_200() {
    let fx = Fixtures::start(FixtureConfig::default()).await.unwrap();
    let r = mcp(&fx, None, &tools_list()).await;
    assert_eq!(r.status, 401);
    assert_eq!(
        r.header("www-authenticate").unwrap(),
        format!(
            "Bearer scope=\"mcp:basic\", resource_metadata=\"{}\"",
            fx.prm_url()
        )
    );
    let r = mcp(&fx, Some("not-a-token"), &tools_list()).await;
    assert_eq!(r.status, 401);
    assert!(
        r.header("www-authenticate")
            .unwrap()
            .starts_with("Bearer error=\"invalid_token\"")
    );

    let c = register(&fx, "none", &["authorization_code"]).await;
    let t = public_tokens(&fx, str_of(&c, "client_id"), "mcp:basic").await;
    let access = str_of(&t, "access_token");
    let r = mcp(&fx, Some(access), &json!({"jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json()["result"]["protocolVersion"], json!("2025-06-18"));
    let session = r.header("mcp-session-id").unwrap().to_owned();
    let r = mcp(
        &fx,
        Some(access),
        &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
    )
    .await;
    assert_eq!(r.status, 202);
    let r = mcp(&fx, Some(access), &tools_list()).await;
    let listed = r.json();
    let names: Vec<&str> = listed["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| str_of(t, "name"))
        .collect();
    assert_eq!(names, ["echo", "write"]);
    let r = mcp(&fx, Some(access), &call("echo", &json!({"x": 1}))).await;
    assert_eq!(r.json()["result"]["content"][0]["text"], json!("{\"x\":1}"));
    let r = mcp(
        &fx,
        Some(access),
        &json!({"jsonrpc": "2.0", "id": 9, "method": "nope"}),
    )
    .await;
    assert_eq!(r.json()["error"]["code"], json!(-32601));

    // Session id and protocol version headers are checked when present.
    let auth = format!("Bearer {access}");
    let headers = |extra: (&'static str, &'static str)| {
        vec![
            ("content-type", "application/json"),
            ("accept", "application/json, text/event-stream"),
            ("authorization", auth.as_str()),
            extra,
        ]
    };
    let body = tools_list().to_string().into_bytes();
    let r = send(
        "POST",
        fx.mcp_url(),
        &headers(("mcp-session-id", "bogus")),
        body.clone(),
    )
    .await;
    assert_eq!(r.status, 404);
    let r = send(
        "POST",
        fx.mcp_url(),
        &headers(("mcp-protocol-version", "1999-01-01")),
        body.clone(),
    )
    .await;
    assert_eq!(r.status, 400);
    let mut ok = headers(("mcp-protocol-version", "2025-06-18"));
    ok.push(("mcp-session-id", &session));
    assert_eq!(
        send("POST", fx.mcp_url(), &ok, body.clone()).await.status,
        200
    );

    let stats = fx.stats();
    assert_eq!(
        (
            stats.mcp(401),
            stats.mcp(200),
            stats.mcp(202),
            stats.mcp(404),
            stats.mcp(400)
        ),
        (2, 5, 1, 1, 1)
    );
    assert_eq!(stats.mcp_total(), 10);
}

// covers: U-1, U-3
#[tokio::test]
async fn request_shape_is_checked() {
    let fx = Fixtures::start(FixtureConfig::default()).await.unwrap();
    let auth = basic(fx.service_client_id(), fx.service_client_secret());
    let t = token(
        &fx,
        &[
            ("grant_type", "client_credentials"),
            ("resource", fx.mcp_url()),
        ],
        Some(&auth),
    )
    .await
    .json();
    let bearer = format!("Bearer {}", str_of(&t, "access_token"));
    let body = tools_list().to_string().into_bytes();
    let r = send(
        "POST",
        fx.mcp_url(),
        &[
            ("authorization", &bearer),
            ("content-type", "application/json"),
            ("accept", "application/json"),
        ],
        body.clone(),
    )
    .await;
    assert_eq!(r.status, 406);
    let r = send(
        "POST",
        fx.mcp_url(),
        &[
            ("authorization", &bearer),
            ("content-type", "text/plain"),
            ("accept", "application/json, text/event-stream"),
        ],
        body,
    )
    .await;
    assert_eq!(r.status, 415);
    let r = send(
        "POST",
        fx.mcp_url(),
        &[
            ("authorization", &bearer),
            ("content-type", "application/json"),
            ("accept", "text/event-stream, application/json;q=0.9"),
        ],
        b"{not json".to_vec(),
    )
    .await;
    assert_eq!(
        (r.status, r.json()["error"]["code"].clone()),
        (400, json!(-32700))
    );
    let r = send(
        "GET",
        fx.mcp_url(),
        &[("authorization", &bearer)],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, 405);
    // Token in the query or with another scheme is not a bearer token.
    let r = send(
        "POST",
        &format!("{}?access_token=x", fx.mcp_url()),
        &[("content-type", "application/json")],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, 401);
    let r = send(
        "POST",
        fx.mcp_url(),
        &[("authorization", &bearer.replace("Bearer", "DPoP"))],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, 401);
}

// covers: S-4, S-5, D-17
#[tokio::test]
async fn write_needs_step_up() {
    let fx = Fixtures::start(FixtureConfig::default()).await.unwrap();
    let c = register(&fx, "none", &["authorization_code"]).await;
    let id = str_of(&c, "client_id");
    let basic_only = public_tokens(&fx, id, "mcp:basic").await;
    let r = mcp(
        &fx,
        Some(str_of(&basic_only, "access_token")),
        &call("write", &json!({})),
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(
        r.header("www-authenticate").unwrap(),
        format!(
            "Bearer error=\"insufficient_scope\", scope=\"mcp:basic mcp:write\", resource_metadata=\"{}\"",
            fx.prm_url()
        )
    );
    let both = public_tokens(&fx, id, "mcp:basic mcp:write").await;
    let r = mcp(
        &fx,
        Some(str_of(&both, "access_token")),
        &call("write", &json!({})),
    )
    .await;
    assert_eq!(r.status, 200);
    // A token without the base scope gets a 403 naming it.
    let only_write = public_tokens(&fx, id, "mcp:write").await;
    let r = mcp(
        &fx,
        Some(str_of(&only_write, "access_token")),
        &tools_list(),
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(fx.stats().mcp(403), 2);
}

// covers: U-5, Z-5
#[tokio::test]
async fn audience_must_match() {
    // Two fixture pairs: a token for one resource is useless at the other.
    let a = Fixtures::start(FixtureConfig::default()).await.unwrap();
    let b = Fixtures::start(FixtureConfig::default()).await.unwrap();
    let c = register(&a, "none", &["authorization_code"]).await;
    let t = public_tokens(&a, str_of(&c, "client_id"), "mcp:basic").await;
    assert_eq!(
        mcp(&a, Some(str_of(&t, "access_token")), &tools_list())
            .await
            .status,
        200
    );
    assert_eq!(
        mcp(&b, Some(str_of(&t, "access_token")), &tools_list())
            .await
            .status,
        401
    );
}

// covers: D-4, P-4, A-1, A-3, R-5
#[tokio::test]
async fn sse_framing_and_root_prm_without_challenge_url() {
    let cfg = FixtureConfig::default()
        .sse(true)
        .prm_location(PrmLocation::Root)
        .resource_metadata_in_challenge(false)
        .openid_configuration(true)
        .rfc8414_metadata(false)
        .client_id_metadata_document_supported(true);
    let fx = Fixtures::start(cfg).await.unwrap();
    let r = mcp(&fx, None, &tools_list()).await;
    assert_eq!(
        r.header("www-authenticate"),
        Some("Bearer scope=\"mcp:basic\"")
    );
    assert_eq!(
        get(&format!(
            "{}/.well-known/oauth-protected-resource/mcp",
            fx.rs_origin()
        ))
        .await
        .status,
        404
    );
    assert_eq!(
        str_of(&get(fx.prm_url()).await.json(), "resource"),
        fx.mcp_url()
    );
    assert_eq!(get(&fx.as_metadata_url()).await.status, 404);
    let oidc = get(&format!("{}/.well-known/openid-configuration", fx.issuer()))
        .await
        .json();
    assert_eq!(oidc["client_id_metadata_document_supported"], json!(true));

    let auth = basic(fx.service_client_id(), fx.service_client_secret());
    let t = token(
        &fx,
        &[
            ("grant_type", "client_credentials"),
            ("resource", fx.mcp_url()),
        ],
        Some(&auth),
    )
    .await
    .json();
    let r = mcp(&fx, Some(str_of(&t, "access_token")), &tools_list()).await;
    assert_eq!(r.header("content-type"), Some("text/event-stream"));
    let text = String::from_utf8(r.body).unwrap();
    let data = text
        .strip_prefix("event: message\ndata: ")
        .and_then(|s| s.strip_suffix("\n\n"))
        .unwrap();
    let msg: Value = serde_json::from_str(data).unwrap();
    assert_eq!(msg["id"], json!(1));
}

#[tokio::test]
async fn multi_hop_consent_needs_the_cookie() {
    let fx = Fixtures::start(FixtureConfig::default().consent(ConsentMode::MultiHop))
        .await
        .unwrap();
    let c = register(&fx, "none", &["authorization_code"]).await;
    let (verifier, challenge) = pkce();
    let r = get(&authorize_url(
        &fx,
        str_of(&c, "client_id"),
        &challenge,
        "mcp:basic",
    ))
    .await;
    assert_eq!(r.status, 302);
    let login = r.header("location").unwrap().to_owned();
    assert!(login.starts_with(&format!("{}/login?txn=", fx.issuer())));
    let r = get(&login).await;
    assert_eq!(r.status, 302);
    let cookie = r
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let consent = r.header("location").unwrap().to_owned();
    // Without the cookie: refused.
    assert_eq!(get(&consent).await.status, 403);
    let r = send(
        "GET",
        &consent,
        &[("cookie", &format!("other=1; {cookie}"))],
        Vec::new(),
    )
    .await;
    assert_eq!(r.status, 302);
    let p = r.location_params();
    assert_eq!(
        (p["state"].as_str(), p["iss"].as_str()),
        ("st-123", fx.issuer())
    );
    // The transaction is finished.
    assert_eq!(
        send("GET", &consent, &[("cookie", &cookie)], Vec::new())
            .await
            .status,
        400
    );
    let r = token(
        &fx,
        &[
            ("grant_type", "authorization_code"),
            ("code", &p["code"]),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
            ("client_id", str_of(&c, "client_id")),
            ("resource", fx.mcp_url()),
        ],
        None,
    )
    .await;
    assert_eq!(r.status, 200);
    let stats = fx.stats();
    assert_eq!((stats.authorize, stats.login, stats.consent), (1, 1, 3));
}

// covers: P-2, A-15, T-10
#[tokio::test]
async fn requests_are_recorded() {
    let fx = Fixtures::start(FixtureConfig::default()).await.unwrap();
    let auth = basic(fx.service_client_id(), fx.service_client_secret());
    let _ = get(fx.prm_url()).await;
    let _ = token(
        &fx,
        &[
            ("grant_type", "client_credentials"),
            ("resource", fx.mcp_url()),
        ],
        Some(&auth),
    )
    .await;
    let prm = fx.requests_for(RouteKind::ProtectedResourceMetadata);
    assert_eq!(prm.len(), 1);
    assert_eq!(prm[0].method, "GET");
    assert_eq!(prm[0].header("authorization"), None);
    let tok = &fx.requests_for(RouteKind::Token)[0];
    assert_eq!(tok.header("Authorization"), Some(auth.as_str()));
    assert_eq!(tok.form_param("resource").as_deref(), Some(fx.mcp_url()));
    assert_eq!(fx.requests().len(), 2);
    fx.reset_stats();
    assert_eq!(fx.stats(), mcp_oauth_fixtures::Stats::default());
}

#[test]
fn blocking_start_serves_and_drop_shuts_down() {
    let fx = Fixtures::start_blocking(FixtureConfig::default()).unwrap();
    let port = url::Url::parse(fx.mcp_url()).unwrap().port().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = rt.block_on(async { mcp(&fx, None, &tools_list()).await.status });
    assert_eq!(status, 401);
    assert_eq!(fx.stats().mcp(401), 1);
    drop(fx);
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "listener closed on drop"
    );
}
