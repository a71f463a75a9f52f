//! A client restored from the store (warm start) whose token is due refreshes it with the
//! stored registration, without discovery (regression: the restored flow had no client
//! identity, so the refresh failed with `NoResourceMetadata`).

use core::time::Duration;

use mcp_oauth_fixtures::{FixtureConfig, Fixtures, RouteKind};
use mcp_oauth_reqwest::{AuthorizedClient, FileStore, OffsetClock, RedirectFollower};
use serde_json::json;

// covers: U-8 (renewal after a warm start), F-1 (same client authentication), F-3
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restored_client_refreshes_a_due_token_without_discovery() {
    let fx = Fixtures::start(FixtureConfig::default()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    let echo = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                      "params": {"name": "echo", "arguments": {}}});
    let build = |clock: OffsetClock| {
        AuthorizedClient::builder(fx.mcp_url())
            .client_name("restore")
            .store(FileStore::new(&path))
            .clock(clock)
            .follow_redirects(RedirectFollower::new().unwrap())
            .build()
            .unwrap()
    };
    let first = build(OffsetClock::new());
    assert_eq!(first.post_json(&echo).await.unwrap().status(), 200);
    drop(first);
    fx.reset_stats();

    let clock = OffsetClock::new();
    clock.advance(Duration::from_secs(3600 + 1));
    let restored = build(clock);
    assert_eq!(restored.post_json(&echo).await.unwrap().status(), 200);
    let s = fx.stats();
    assert_eq!(s.token_refresh_token, 1);
    assert_eq!(
        (s.prm, s.as_metadata, s.register, s.authorize),
        (0, 0, 0, 0)
    );
    let refresh = fx.requests_for(RouteKind::Token);
    let client_id = refresh[0].form_param("client_id");
    assert!(
        client_id.is_some_and(|c| c.starts_with("c-")),
        "the stored client authenticated"
    );
}
