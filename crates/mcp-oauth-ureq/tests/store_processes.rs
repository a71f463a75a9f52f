//! Two processes refreshing through the same file store never send the same refresh token
//! twice: the fixture AS rotates refresh tokens and revokes the grant on any reuse, and both
//! child processes renew on most calls (their clocks jump past the expiry each time).

use std::collections::BTreeSet;
use std::process::Command;
use std::time::Duration;

use mcp_oauth_fixtures::{FixtureConfig, Fixtures, RouteKind};
use mcp_oauth_ureq::{AuthorizedClient, FileStore, OffsetClock, RedirectFollower};
use serde_json::json;

const CHILD_URL: &str = "MCP_OAUTH_TWO_PROCESS_URL";
const CHILD_STORE: &str = "MCP_OAUTH_TWO_PROCESS_STORE";
const CALLS: usize = 20;

fn client(url: &str, store: &str, clock: OffsetClock) -> AuthorizedClient {
    AuthorizedClient::builder(url)
        .client_name("two processes")
        .store(FileStore::new(store))
        .clock(clock)
        .follow_redirects(RedirectFollower::new())
        .build()
        .unwrap()
}

fn echo() -> serde_json::Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
           "params": {"name": "echo", "arguments": {}}})
}

/// The child: `CALLS` calls, each one after the token's expiry by its own clock.
fn child(url: &str, store: &str) -> ! {
    let clock = OffsetClock::new();
    let c = client(url, store, clock.clone());
    for _ in 0..CALLS {
        clock.advance(Duration::from_secs(3601));
        let status = c.post_json(&echo()).map(|r| r.status().as_u16());
        if status.as_ref().ok() != Some(&200) {
            eprintln!("child call failed: {status:?}");
            std::process::exit(1);
        }
    }
    std::process::exit(0);
}

// covers: F-5 (no refresh token spent twice, across processes), F-3, F-4
#[test]
fn two_processes_sharing_a_file_store_never_send_the_same_refresh_token_twice() {
    if let (Some(url), Some(store)) = (std::env::var_os(CHILD_URL), std::env::var_os(CHILD_STORE)) {
        child(&url.to_string_lossy(), &store.to_string_lossy());
    }
    let fx =
        Fixtures::start_blocking(FixtureConfig::default().rotate_refresh_tokens(true)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("tokens.json");
    let store_s = store.to_string_lossy().into_owned();
    let first = client(fx.mcp_url(), &store_s, OffsetClock::new());
    assert_eq!(first.post_json(&echo()).unwrap().status(), 200);
    drop(first);
    fx.reset_stats();

    let children: Vec<_> = (0..2)
        .map(|_| {
            Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "two_processes_sharing_a_file_store_never_send_the_same_refresh_token_twice",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(CHILD_URL, fx.mcp_url())
                .env(CHILD_STORE, &store)
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success(), "a child's call failed");
    }

    let sent: Vec<String> = fx
        .requests_for(RouteKind::Token)
        .iter()
        .filter_map(|r| r.form_param("refresh_token"))
        .collect();
    let distinct: BTreeSet<&String> = sent.iter().collect();
    // Each process's clock is 3601 s × its calls so far. A call refreshes exactly when its
    // clock is past the newest stored token (re-read under the store lock), i.e. when it is the
    // first call to reach a new count: CALLS refreshes in all, however the calls interleave.
    // Without the lock and re-read, both processes would refresh (and reuse) far more often.
    assert_eq!(sent.len(), CALLS, "refreshes");
    assert_eq!(distinct.len(), sent.len(), "a refresh token was sent twice");
    let s = fx.stats();
    // A reused refresh token would have revoked the grant: a 401 and a new authorization.
    assert_eq!((s.authorize, s.token_authorization_code), (0, 0));
    assert_eq!(s.mcp(401), 0);
    assert_eq!(s.mcp(200), 2 * CALLS as u64);
}
