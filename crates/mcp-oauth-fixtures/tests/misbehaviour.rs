//! Injected faults, per route kind.

mod support;

use std::time::{Duration, Instant};

use mcp_oauth_fixtures::{FixtureConfig, Fixtures, Misbehaviour, RouteKind};
use support::*;

// covers: P-5, A-6
#[tokio::test]
async fn server_errors_n_times_with_and_without_retry_after() {
    let cfg = FixtureConfig::default()
        .misbehave(
            RouteKind::ProtectedResourceMetadata,
            Misbehaviour::server_error_retry_after(2, 7),
        )
        .misbehave(
            RouteKind::AuthorizationServerMetadata,
            Misbehaviour::server_error(1),
        );
    let fx = Fixtures::start(cfg).await.unwrap();
    for _ in 0..2 {
        let r = get(fx.prm_url()).await;
        assert_eq!((r.status, r.header("retry-after")), (503, Some("7")));
    }
    assert_eq!(get(fx.prm_url()).await.status, 200);
    let r = get(&fx.as_metadata_url()).await;
    assert_eq!((r.status, r.header("retry-after")), (503, None));
    assert_eq!(get(&fx.as_metadata_url()).await.status, 200);
    let stats = fx.stats();
    assert_eq!(
        (stats.prm, stats.as_metadata, stats.injected_faults),
        (3, 2, 3)
    );
}

#[tokio::test]
async fn delay_before_answering() {
    let cfg = FixtureConfig::default().misbehave(
        RouteKind::ProtectedResourceMetadata,
        Misbehaviour::Delay(Duration::from_millis(150)),
    );
    let fx = Fixtures::start(cfg).await.unwrap();
    let started = Instant::now();
    assert_eq!(get(fx.prm_url()).await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
}

// covers: V-8, Z-13
#[tokio::test]
async fn garbage_and_oversized_bodies() {
    let cfg = FixtureConfig::default()
        .misbehave(
            RouteKind::AuthorizationServerMetadata,
            Misbehaviour::GarbageBody,
        )
        .misbehave(
            RouteKind::ProtectedResourceMetadata,
            Misbehaviour::oversized(),
        );
    let fx = Fixtures::start(cfg).await.unwrap();
    let r = get(&fx.as_metadata_url()).await;
    assert_eq!(r.status, 200);
    assert!(serde_json::from_slice::<serde_json::Value>(&r.body).is_err());
    let r = get(fx.prm_url()).await;
    assert_eq!(r.body.len(), 5 * 1024 * 1024);
    assert_eq!(r.header("content-length"), Some("5242880"));
    // Faults can be changed at run time.
    fx.clear_misbehaviours();
    assert!(
        serde_json::from_slice::<serde_json::Value>(&get(&fx.as_metadata_url()).await.body).is_ok()
    );
    fx.set_misbehaviour(RouteKind::Token, Misbehaviour::GarbageBody);
    let r = token(&fx, &[("grant_type", "client_credentials")], None).await;
    assert!(r.json().is_null());
}

// covers: A-7, C-9, C-10
#[tokio::test]
async fn wrong_issuers() {
    let cfg = FixtureConfig::default()
        .misbehave(
            RouteKind::AuthorizationServerMetadata,
            Misbehaviour::WrongIssuerInMetadata,
        )
        .misbehave(
            RouteKind::Authorization,
            Misbehaviour::WrongIssuerInRedirect,
        );
    let fx = Fixtures::start(cfg).await.unwrap();
    let meta = get(&fx.as_metadata_url()).await.json();
    assert_eq!(str_of(&meta, "issuer"), fx.decoy_origin());
    assert_eq!(str_of(&meta, "token_endpoint"), fx.token_endpoint());
    let c = register(&fx, "none", &["authorization_code"]).await;
    let (_, challenge) = pkce();
    let r = get(&authorize_url(
        &fx,
        str_of(&c, "client_id"),
        &challenge,
        "mcp:basic",
    ))
    .await;
    assert_eq!(r.location_params()["iss"], fx.decoy_origin());
}

// covers: T-11, U-6, P-14
#[tokio::test]
async fn token_and_mcp_redirect_to_another_origin() {
    let cfg = FixtureConfig::default()
        .misbehave(RouteKind::Token, Misbehaviour::redirect_elsewhere())
        .misbehave(
            RouteKind::Mcp,
            Misbehaviour::RedirectToOtherOrigin { status: 308 },
        );
    let fx = Fixtures::start(cfg).await.unwrap();
    let auth = basic(fx.service_client_id(), fx.service_client_secret());
    let r = token(
        &fx,
        &[
            ("grant_type", "client_credentials"),
            ("resource", fx.mcp_url()),
        ],
        Some(&auth),
    )
    .await;
    assert_eq!(r.status, 307);
    let location = r.header("location").unwrap().to_owned();
    assert_eq!(location, format!("{}/token", fx.decoy_origin()));
    let r = mcp(&fx, None, &tools_list()).await;
    assert_eq!(
        (r.status, r.header("location")),
        (308, Some(format!("{}/mcp", fx.decoy_origin())).as_deref())
    );
    // A client that (wrongly) follows the redirect shows up at the decoy with its secrets.
    let followed = send("POST", &location, &[("authorization", &auth)], Vec::new()).await;
    assert_eq!(followed.status, 404);
    let decoy = fx.requests_for(RouteKind::Decoy);
    assert_eq!(decoy.len(), 1);
    assert_eq!(decoy[0].header("authorization"), Some(auth.as_str()));
    let stats = fx.stats();
    assert_eq!(
        (stats.decoy, stats.injected_faults, stats.mcp(308)),
        (1, 2, 1)
    );
    assert_eq!(fx.stats().tokens_issued, 0);
}

#[tokio::test]
async fn oversized_request_bodies_get_413() {
    let fx = Fixtures::start(FixtureConfig::default().max_request_body(1024))
        .await
        .unwrap();
    let r = send(
        "POST",
        &fx.registration_endpoint(),
        &[("content-type", "application/json")],
        vec![b' '; 4096],
    )
    .await;
    assert_eq!(r.status, 413);
    assert_eq!(fx.stats().register, 1);
}
