//! `private_key_jwt` through the flow machine (RFC 7523 §2.2): the client credentials grant as
//! the conformance scenario `auth/client-credentials-jwt` checks it (signature, `iss`, `sub`,
//! `aud` = issuer with or without a trailing `/`), the code exchange and the refresh, and the
//! method selection against the server metadata (checklist T-4, T-9, M-5).

#![cfg(feature = "jose")]

mod flow_support;

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use flow_support::*;
use mcp_oauth_core::flow::{ClientConfig, FlowConfig, FlowStatus, PreRegisteredClient};
use mcp_oauth_core::jose::SigningKey;
use mcp_oauth_core::secret::ClientSecret;
use mcp_oauth_core::token::{AssertionAudience, ClientAssertionKey};
use p256::ecdsa::signature::Verifier as _;

/// A PKCS#8 P-256 key, as the suite hands it over in `private_key_pem` (RFC 7515 A.3's key).
const PEM: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgjpsQnnGQmL+YBIff
H1136cspYG6+0iY7X1fCE9+E9LKhRANCAAR/zc4ncPbEXUGDy+5v20t7WAczNXvp
7xO6z248e9FURcfxRM0bvZt+hyzf7bnuufSzaV1uqQskrYpGIyiFiOWt
-----END PRIVATE KEY-----
";
const CLIENT_ID: &str = "conformance-test-client";
const TOKEN_URL: &str = "https://auth.example.com/token";

fn key() -> SigningKey {
    SigningKey::from_pkcs8_pem(PEM).unwrap()
}

/// AS metadata advertising `private_key_jwt` with `algs` (omitted when `None`).
fn pkj_metadata(methods: &[&str], algs: Option<&[&str]>) -> serde_json::Value {
    let mut md = as_metadata(AS);
    md["token_endpoint_auth_methods_supported"] = serde_json::json!(methods);
    if let Some(algs) = algs {
        md["token_endpoint_auth_signing_alg_values_supported"] = serde_json::json!(algs);
    }
    md
}

fn cc_world(client: PreRegisteredClient, md: serde_json::Value) -> World {
    let config = FlowConfig::new(RS, ClientConfig::client_credentials()).pre_registered(client);
    let mut w = standard(config, 600, false);
    w.serve("GET", AS_META, 200, md);
    w.trap("POST", "https://auth.example.com/register", "no-dcr");
    w
}

/// The suite's check: `jose.jwtVerify(assertion, publicKey, {audience: [issuer, issuer + "/"]})`
/// then `iss` and `sub` against the client id. Returns the claims when every check passes.
fn suite_verifies(req: &Req, key: &SigningKey) -> Option<serde_json::Value> {
    if req.param("client_assertion_type")
        != Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    {
        return None;
    }
    let jws = req.param("client_assertion")?;
    let jwk = serde_json::to_value(key.public_jwk()).ok()?;
    let mut point = vec![4u8];
    point.extend(URL_SAFE_NO_PAD.decode(jwk["x"].as_str()?).ok()?);
    point.extend(URL_SAFE_NO_PAD.decode(jwk["y"].as_str()?).ok()?);
    let verifying = p256::ecdsa::VerifyingKey::from_sec1_bytes(&point).ok()?;
    let (input, signature) = jws.rsplit_once('.')?;
    let signature =
        p256::ecdsa::Signature::from_slice(&URL_SAFE_NO_PAD.decode(signature).ok()?).ok()?;
    verifying.verify(input.as_bytes(), &signature).ok()?;
    let (header, payload) = input.split_once('.')?;
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
    if header["alg"] != "ES256" {
        return None;
    }
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    let aud = claims["aud"].as_str()?;
    let aud_ok = aud == AS || aud == format!("{AS}/");
    (aud_ok && claims["iss"] == CLIENT_ID && claims["sub"] == CLIENT_ID).then_some(claims)
}

fn token_requests(w: &World) -> Vec<&Req> {
    w.requests.iter().filter(|r| r.url == TOKEN_URL).collect()
}

// covers: T-4, T-9, M-4, M-5, M-8, T-10
#[test]
fn client_credentials_with_private_key_jwt_passes_the_suite_checks() {
    let client = PreRegisteredClient::unbound(CLIENT_ID).with_private_key(key());
    let mut w = cc_world(client, pkj_metadata(&["private_key_jwt"], Some(&["ES256"])));
    w.start();
    assert_eq!(
        w.flow.status(),
        FlowStatus::Authorized,
        "{}",
        w.transcript()
    );
    let first = token_requests(&w)[0];
    assert_eq!(first.param("grant_type"), Some("client_credentials"));
    assert_eq!(first.param("client_id"), Some(CLIENT_ID));
    assert_eq!(first.param("resource"), Some(RS));
    assert_eq!(first.param("client_secret"), None);
    assert!(first.header("authorization").is_none());
    let claims = suite_verifies(first, &key()).expect("the suite accepts the assertion");
    assert_eq!(claims["iat"], T0);
    assert_eq!(claims["exp"], T0 + 60);
    // A wrong key would not verify (the check can fail).
    let other = SigningKey::es256_from_secret_bytes(&[9; 32]).unwrap();
    assert!(suite_verifies(first, &other).is_none());

    // M-8: re-acquired at expiry − margin with a fresh assertion (new iat, new jti).
    assert!(w.fire_timeout());
    let requests = token_requests(&w);
    assert_eq!(requests.len(), 2);
    let again = suite_verifies(requests[1], &key()).unwrap();
    assert_eq!(again["iat"], T0 + 600 - 60);
    assert_ne!(again["jti"], claims["jti"]);
    assert!(!w.flow.report().to_string().contains("eyJ"));
}

// covers: T-9, T-10
#[test]
fn code_exchange_and_refresh_carry_assertions() {
    let client = PreRegisteredClient::new(AS, CLIENT_ID).with_private_key(key());
    let config = FlowConfig::new(
        RS,
        ClientConfig::authorization_code("Test Client", REDIRECT),
    )
    .pre_registered(client);
    let mut w = standard(config, 3600, true);
    w.serve(
        "GET",
        AS_META,
        200,
        pkj_metadata(&["none", "private_key_jwt"], None),
    );
    w.challenge(challenge(401, Some("Bearer"))).unwrap();
    w.resource_success();
    assert_eq!(w.flow.status(), FlowStatus::Authorized);
    w.advance(Duration::from_secs(3600));
    w.challenge(challenge(401, Some("Bearer"))).unwrap();
    let requests = token_requests(&w);
    let grants: Vec<_> = requests
        .iter()
        .map(|r| r.param("grant_type").unwrap_or_default())
        .collect();
    assert_eq!(grants, ["authorization_code", "refresh_token"]);
    for r in &requests {
        assert!(
            suite_verifies(r, &key()).is_some(),
            "{:?}",
            r.param("grant_type")
        );
    }
    assert!(w.checks.failures().is_empty(), "{:?}", w.checks.failures());
}

// covers: T-4
#[test]
fn unadvertised_private_key_jwt_falls_back_to_the_secret_or_fails() {
    // Not listed, but a secret is configured: the secret methods, as before.
    let client = PreRegisteredClient::unbound(CLIENT_ID)
        .with_secret(ClientSecret::new("s3cret".into()))
        .with_private_key(key());
    let mut w = cc_world(client, pkj_metadata(&["client_secret_post"], None));
    w.start();
    assert_eq!(w.flow.status(), FlowStatus::Authorized);
    let req = token_requests(&w)[0];
    assert_eq!(req.param("client_secret"), Some("s3cret"));
    assert_eq!(req.param("client_assertion"), None);

    // Listed, with a secret too: the key wins (M-5 prefers JWT authentication).
    let client = PreRegisteredClient::unbound(CLIENT_ID)
        .with_secret(ClientSecret::new("s3cret".into()))
        .with_private_key(key());
    let mut w = cc_world(
        client,
        pkj_metadata(&["client_secret_basic", "private_key_jwt"], None),
    );
    w.start();
    let req = token_requests(&w)[0];
    assert!(suite_verifies(req, &key()).is_some());
    assert!(req.header("authorization").is_none());
    assert_eq!(req.param("client_secret"), None);

    // Only a key, and the server lists another algorithm or omits the method: a typed failure
    // before any credential is sent, never a silent downgrade to a public client.
    for md in [
        pkj_metadata(&["private_key_jwt"], Some(&["RS256", "PS256"])),
        pkj_metadata(&["none", "client_secret_basic"], None),
    ] {
        let client = PreRegisteredClient::unbound(CLIENT_ID).with_private_key(key());
        let mut w = cc_world(client, md);
        w.start();
        assert_eq!(w.flow.status(), FlowStatus::Failed);
        assert!(token_requests(&w).is_empty());
        let failure = w.last_failure.clone().unwrap_or_default();
        assert!(failure.contains("private_key_jwt"), "{failure}");
    }
}

// covers: T-9 (configurable audience)
#[test]
fn token_endpoint_audience_when_configured() {
    let client = PreRegisteredClient::unbound(CLIENT_ID).with_private_key(
        ClientAssertionKey::new(key())
            .key_id("k-2026")
            .audience(AssertionAudience::TokenEndpoint),
    );
    let mut w = cc_world(client, pkj_metadata(&["private_key_jwt"], None));
    w.start();
    let jws = token_requests(&w)[0].param("client_assertion").unwrap();
    let mut parts = jws.split('.');
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap()).unwrap();
    let claims: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap()).unwrap();
    assert_eq!(header["kid"], "k-2026");
    assert_eq!(header["typ"], "client-authentication+jwt");
    assert_eq!(claims["aud"], TOKEN_URL);
}
