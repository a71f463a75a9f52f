//! The tracing output of a full flow (cold start, step-up, refresh after server-side expiry)
//! at TRACE level, every target included, holds no token, code, verifier or secret.

use std::io::Write;
use std::sync::{Arc, Mutex};

use mcp_oauth_fixtures::{FixtureConfig, Fixtures, RouteKind};
use mcp_oauth_reqwest::{AuthorizedClient, RedirectFollower};
use serde_json::json;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// covers: V-11 (no secrets in logs)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracing_output_of_a_full_flow_holds_no_secret() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();

    let fx = Fixtures::start(FixtureConfig::default()).await.unwrap();
    let c = AuthorizedClient::builder(fx.mcp_url())
        .client_name("log test")
        .follow_redirects(RedirectFollower::new().unwrap())
        .build()
        .unwrap();
    let echo = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                      "params": {"name": "echo", "arguments": {}}});
    let write = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                       "params": {"name": "write", "arguments": {}}});
    assert_eq!(c.post_json(&echo).await.unwrap().status(), 200);
    assert_eq!(c.post_json(&write).await.unwrap().status(), 200);
    fx.expire_access_tokens();
    assert_eq!(c.post_json(&echo).await.unwrap().status(), 200);
    println!("{}", c.report().await);

    // Every secret the client sent, as the fixtures recorded it.
    let mut secrets = Vec::new();
    for r in fx.requests() {
        if r.route == RouteKind::Token {
            for name in ["code", "code_verifier", "refresh_token", "client_secret"] {
                secrets.extend(r.form_param(name));
            }
        }
        if let Some(auth) = r.header("authorization") {
            secrets.push(auth.trim_start_matches("Bearer ").to_owned());
        }
    }
    assert!(
        secrets.iter().filter(|s| s.len() > 8).count() >= 6,
        "codes, verifiers, refresh and access tokens were collected: {}",
        secrets.len()
    );
    let log = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("mcp_oauth.flow"), "spans were recorded");
    assert!(log.contains("mcp_oauth.oauth_request"));
    for s in secrets.iter().filter(|s| s.len() > 8) {
        assert!(!log.contains(s.as_str()), "a secret appears in the log");
        // As it appears inside a URL (codes travel percent-encoded).
        let encoded: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
        assert!(
            !log.contains(&encoded),
            "an encoded secret appears in the log"
        );
    }
    // The redirect URL's query (code, state) never appears either.
    assert!(!log.contains("code="));
}
