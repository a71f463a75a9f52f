//! The device authorization grant (RFC 8628) and logout with revocation (RFC 7009) against the
//! fixture servers. The blocking twin runs the same scenarios.

use std::sync::{Arc, Mutex};

use mcp_oauth_core::revocation::TokenTypeHint;
use mcp_oauth_fixtures::{FixtureConfig, Fixtures};
use mcp_oauth_reqwest::{
    AuthorizedClient, DevicePrompt, Interaction, MemoryStore, RedirectFollower, StoreKey,
    TokenStore,
};
use serde_json::{Value, json};

const NAME: &str = "device and logout test";

fn echo() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
           "params": {"name": "echo", "arguments": {"text": "hi"}}})
}

// covers: RFC 8628 §3.1–§3.5 end to end
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_grant_polls_until_approved_then_calls_the_tool() {
    let fx = Fixtures::start(FixtureConfig::default().device_authorization(2))
        .await
        .unwrap();
    let shown: Arc<Mutex<Vec<DevicePrompt>>> = Arc::default();
    let seen = Arc::clone(&shown);
    let c = AuthorizedClient::builder(fx.mcp_url())
        .client_name(NAME)
        .device_authorization(true)
        .interaction(Interaction::device_callback(move |p: &DevicePrompt| {
            seen.lock().unwrap().push(p.clone());
            Ok(())
        }))
        .build()
        .unwrap();
    let r = c.post_json(&echo()).await.unwrap();
    assert_eq!(r.status(), 200);
    let s = fx.stats();
    assert_eq!(s.authorize, 0, "no browser redirect");
    assert_eq!(s.device_authorization, 1);
    // Two `authorization_pending` polls, then the tokens; never `slow_down`.
    assert_eq!(s.token_other, 3);
    let shown = shown.lock().unwrap();
    assert_eq!(shown.len(), 1);
    assert!(!shown[0].user_code().is_empty());
    assert!(
        shown[0]
            .verification_uri()
            .starts_with(&format!("{}/device/verify", fx.issuer()))
    );
    assert_eq!(shown[0].issuer(), fx.issuer());
    // Registered for the device grant.
    let reg = fx.registered_clients();
    assert!(reg.iter().any(|r| {
        r.grant_types
            .iter()
            .any(|g| g == "urn:ietf:params:oauth:grant-type:device_code")
    }));
}

// covers: RFC 7009 §2.1, §2.2
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_revokes_the_tokens_and_deletes_the_store_entry() {
    let fx = Fixtures::start(FixtureConfig::default()).await.unwrap();
    let store = MemoryStore::new();
    let c = AuthorizedClient::builder(fx.mcp_url())
        .client_name(NAME)
        .store(store.clone())
        .follow_redirects(RedirectFollower::new().unwrap())
        .build()
        .unwrap();
    assert_eq!(c.post_json(&echo()).await.unwrap().status(), 200);
    let key = StoreKey::new(fx.mcp_url(), NAME);
    let entry = store.load(&key).unwrap().expect("stored");
    let state = serde_json::to_value(&entry.state).unwrap();
    let old = state["tokens"]["access_token"].as_str().unwrap().to_owned();

    let outcome = c.logout().await.unwrap();
    assert!(outcome.revocation_endpoint);
    assert_eq!(
        outcome.revoked,
        [TokenTypeHint::RefreshToken, TokenTypeHint::AccessToken]
    );
    assert!(outcome.not_revoked.is_empty());
    assert!(store.load(&key).unwrap().is_none(), "store entry deleted");
    assert_eq!(fx.stats().revocation, 2);

    // The old access token is rejected by the MCP server.
    // Sent directly on the client's MCP connection pool, outside the OAuth handling.
    let raw = c
        .request(reqwest::Method::POST, fx.mcp_url())
        .bearer_auth(&old)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(echo().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 401);

    // The client itself authorizes again on the next call.
    assert_eq!(c.post_json(&echo()).await.unwrap().status(), 200);
    assert_eq!(
        fx.stats().register,
        2,
        "the registration went with the entry"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_without_a_revocation_endpoint_forgets_locally() {
    let fx = Fixtures::start(FixtureConfig::default().revocation_endpoint(false))
        .await
        .unwrap();
    let store = MemoryStore::new();
    let c = AuthorizedClient::builder(fx.mcp_url())
        .client_name(NAME)
        .store(store.clone())
        .follow_redirects(RedirectFollower::new().unwrap())
        .build()
        .unwrap();
    assert_eq!(c.post_json(&echo()).await.unwrap().status(), 200);
    let outcome = c.logout().await.unwrap();
    assert!(!outcome.revocation_endpoint);
    assert!(outcome.revoked.is_empty());
    assert!(
        store
            .load(&StoreKey::new(fx.mcp_url(), NAME))
            .unwrap()
            .is_none()
    );
    assert_eq!(fx.stats().revocation, 0);
}
