//! Arbitrary client input never makes a route fail with 5xx (or panic): a bounded,
//! deterministic pseudo-random sweep over every route.

mod support;

use base64::Engine as _;
use mcp_oauth_fixtures::{ConsentMode, FixtureConfig, Fixtures};
use support::*;

/// xorshift64*: deterministic, dependency-free noise.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let len = usize::try_from(self.next() % (max as u64 + 1)).unwrap();
        (0..len).map(|_| self.next().to_le_bytes()[0]).collect()
    }

    /// Near-valid form data: known parameter names with noisy or duplicated values.
    fn form(&mut self) -> Vec<u8> {
        const NAMES: [&str; 12] = [
            "grant_type",
            "code",
            "redirect_uri",
            "code_verifier",
            "client_id",
            "client_secret",
            "refresh_token",
            "resource",
            "scope",
            "state",
            "code_challenge",
            "txn",
        ];
        const VALUES: [&str; 8] = [
            "authorization_code",
            "refresh_token",
            "client_credentials",
            "S256",
            "",
            "%",
            "mcp:basic",
            "http://127.0.0.1:1/mcp",
        ];
        let mut out = Vec::new();
        for _ in 0..(self.next() % 8) {
            let name = NAMES[usize::try_from(self.next() % 12).unwrap()];
            out.extend_from_slice(name.as_bytes());
            out.push(b'=');
            if self.next().is_multiple_of(2) {
                out.extend_from_slice(VALUES[usize::try_from(self.next() % 8).unwrap()].as_bytes());
            } else {
                let raw = self.bytes(40);
                out.extend(url::form_urlencoded::byte_serialize(&raw).flat_map(str::bytes));
            }
            out.push(b'&');
        }
        out
    }
}

#[tokio::test]
async fn arbitrary_input_gets_4xx_not_5xx() {
    let fx = Fixtures::start(FixtureConfig::default().consent(ConsentMode::MultiHop))
        .await
        .unwrap();
    let _ = register(
        &fx,
        "client_secret_basic",
        &["authorization_code", "refresh_token"],
    )
    .await;
    let urls = [
        fx.as_metadata_url(),
        fx.registration_endpoint(),
        fx.authorization_endpoint(),
        format!("{}/login", fx.issuer()),
        format!("{}/consent", fx.issuer()),
        fx.token_endpoint(),
        fx.prm_url().to_owned(),
        fx.mcp_url().to_owned(),
        format!("{}/nothing", fx.rs_origin()),
    ];
    let content_types = [
        "application/x-www-form-urlencoded",
        "application/json",
        "text/plain",
    ];
    let mut noise = Noise(0x9e37_79b9_7f4a_7c15);
    // Bounded: 9 URLs × 40 rounds.
    for round in 0..40u64 {
        for url in &urls {
            let query = String::from_utf8(noise.form()).unwrap_or_default();
            let target = format!("{url}?{query}");
            let body = if round.is_multiple_of(3) {
                noise.bytes(200)
            } else {
                noise.form()
            };
            let auth = match round % 4 {
                0 => format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(noise.bytes(30))
                ),
                1 => format!(
                    "Bearer {}",
                    base64::engine::general_purpose::STANDARD.encode(noise.bytes(30))
                ),
                2 => "Basic %%%".to_owned(),
                _ => "Basic".to_owned(),
            };
            let ct = content_types[usize::try_from(round % 3).unwrap()];
            let cookie = format!("fixture_session={}", noise.next());
            for method in ["GET", "POST", "PUT"] {
                let headers = [
                    ("content-type", ct),
                    ("authorization", auth.as_str()),
                    ("cookie", cookie.as_str()),
                    ("accept", "application/json, text/event-stream"),
                ];
                let r = send(method, &target, &headers, body.clone()).await;
                assert!(r.status < 500, "{method} {target} -> {}", r.status);
            }
        }
    }
    // JSON-shaped noise at /register and (with a valid token) /mcp.
    let auth = basic(fx.service_client_id(), fx.service_client_secret());
    let t = token(
        &fx,
        &[
            ("grant_type", "client_credentials"),
            ("resource", fx.mcp_url()),
            ("scope", "mcp:basic mcp:write"),
        ],
        Some(&auth),
    )
    .await;
    let bearer = format!("Bearer {}", str_of(&t.json(), "access_token"));
    for body in [
        "[]",
        "null",
        "{\"redirect_uris\":[1]}",
        "{\"redirect_uris\":[\"\"]}",
        "{\"jsonrpc\":\"2.0\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"tools/call\",\"params\":[]}",
        "{\"redirect_uris\":[\"http://[::1]:5/cb\"],\"token_endpoint_auth_method\":\"none\"}",
    ] {
        let r = post_json(
            &fx.registration_endpoint(),
            &serde_json::from_str(body).unwrap(),
        )
        .await;
        assert!(r.status < 500);
        let headers = [
            ("content-type", "application/json"),
            ("accept", "application/json, text/event-stream"),
            ("authorization", bearer.as_str()),
        ];
        let r = send("POST", fx.mcp_url(), &headers, body.as_bytes().to_vec()).await;
        assert!(r.status < 500, "{body} -> {}", r.status);
    }
    // Those reached the JSON-RPC layer (not stopped at the token check).
    let stats = fx.stats();
    assert_eq!(stats.mcp(200) + stats.mcp(202) + stats.mcp(400), 7);
    assert!(fx.stats().not_found >= 120);
}
