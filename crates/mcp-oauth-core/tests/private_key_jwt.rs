//! `private_key_jwt` client authentication (RFC 7523 §2.2, §3) on every grant: the body, the
//! assertion claims, and the signature checked with the public key the way an authorization
//! server (and the conformance suite) checks it.

#![cfg(feature = "jose")]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mcp_oauth_core::http::HttpRequest;
use mcp_oauth_core::jose::{JwsHeader, SigningKey};
use mcp_oauth_core::secret::{AuthorizationCode, ClientAssertion, RefreshToken};
use mcp_oauth_core::token::{
    CLIENT_ASSERTION_TYPE, ClientAuth, ClientAuthError, ClientAuthMethod, TokenRequest,
    TokenRequestError,
};
use mcp_oauth_core::urls::UrlPolicy;
use mcp_oauth_core::{Entropy, Scopes, Timestamp};
use p256::ecdsa::signature::Verifier as _;
use proptest::prelude::*;
use url::form_urlencoded;

const ENDPOINT: &str = "https://as.example.com/oauth/token";
const ISSUER: &str = "https://as.example.com";
const RESOURCE: &str = "https://mcp.example.com/mcp";
const NOW: u64 = 1_750_000_000;

fn key() -> SigningKey {
    SigningKey::es256_from_secret_bytes(&[0x42; 32]).unwrap()
}

fn auth(jti: u8) -> ClientAuth {
    ClientAuth::private_key_jwt(
        "svc-client".into(),
        &key(),
        None,
        ISSUER,
        Timestamp::from_unix_seconds(NOW),
        &Entropy::new([jti; 32]),
    )
    .unwrap()
}

fn pairs(req: &HttpRequest) -> Vec<(String, String)> {
    form_urlencoded::parse(&req.body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn value(req: &HttpRequest, name: &str) -> Option<String> {
    pairs(req)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Verify an ES256 JWS with `key`'s public half and return its claims.
fn verified_claims(jws: &str, key: &SigningKey) -> Option<serde_json::Value> {
    let jwk = serde_json::to_value(key.public_jwk()).unwrap();
    let mut point = vec![4u8];
    point.extend(URL_SAFE_NO_PAD.decode(jwk["x"].as_str()?).ok()?);
    point.extend(URL_SAFE_NO_PAD.decode(jwk["y"].as_str()?).ok()?);
    let verifying = p256::ecdsa::VerifyingKey::from_sec1_bytes(&point).ok()?;
    let (input, signature) = jws.rsplit_once('.')?;
    let signature =
        p256::ecdsa::Signature::from_slice(&URL_SAFE_NO_PAD.decode(signature).ok()?).ok()?;
    verifying.verify(input.as_bytes(), &signature).ok()?;
    let payload = input.split_once('.')?.1;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

fn requests() -> Vec<(&'static str, HttpRequest)> {
    let build = |req: TokenRequest, jti: u8| {
        req.build(ENDPOINT, &auth(jti), UrlPolicy::https_only())
            .unwrap()
    };
    vec![
        (
            "authorization_code",
            build(
                TokenRequest::authorization_code(
                    AuthorizationCode::new("c0de".into()),
                    "http://127.0.0.1:3000/cb",
                    "verifier-verifier-verifier-verifier-verifier",
                    RESOURCE,
                ),
                1,
            ),
        ),
        (
            "refresh_token",
            build(
                TokenRequest::refresh(&RefreshToken::new("rt".into()), RESOURCE),
                2,
            ),
        ),
        (
            "client_credentials",
            build(
                TokenRequest::client_credentials(RESOURCE, &Scopes::new()),
                3,
            ),
        ),
    ]
}

#[test]
fn every_grant_carries_the_assertion_and_nothing_else_t8_t9() {
    // covers: T-8, T-9, T-10, M-5; RFC 7521 §4.2, RFC 7523 §2.2
    for (grant, req) in requests() {
        assert_eq!(value(&req, "grant_type").as_deref(), Some(grant));
        assert_eq!(value(&req, "client_id").as_deref(), Some("svc-client"));
        assert_eq!(
            value(&req, "client_assertion_type").as_deref(),
            Some(CLIENT_ASSERTION_TYPE)
        );
        assert_eq!(
            CLIENT_ASSERTION_TYPE,
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        );
        assert_eq!(value(&req, "resource").as_deref(), Some(RESOURCE));
        // Exactly one method: no secret, no Basic header.
        assert_eq!(value(&req, "client_secret"), None);
        assert_eq!(req.header("authorization"), None);
        // Each parameter once.
        let names: Vec<String> = pairs(&req).into_iter().map(|(k, _)| k).collect();
        for n in &names {
            assert_eq!(
                names.iter().filter(|m| *m == n).count(),
                1,
                "{n} in {grant}"
            );
        }
        // The body is redacted in Debug.
        assert!(!format!("{req:?}").contains("eyJ"), "{grant}");
    }
}

#[test]
fn assertion_claims_verify_like_the_server_checks_them_t9() {
    // covers: T-9; RFC 7523 §3 items 1–4, 6, 7
    let key = key();
    let mut jtis = Vec::new();
    for (grant, req) in requests() {
        let jws = value(&req, "client_assertion").unwrap();
        let claims = verified_claims(&jws, &key).expect("signature verifies");
        assert_eq!(claims["iss"], "svc-client", "{grant}");
        assert_eq!(claims["sub"], "svc-client");
        assert_eq!(claims["aud"], ISSUER);
        assert_eq!(claims["iat"], NOW);
        let exp = claims["exp"].as_u64().unwrap();
        assert!(exp > NOW && exp - NOW <= 300, "short-lived: {exp}");
        jtis.push(claims["jti"].as_str().unwrap().to_owned());
        // A tampered assertion does not verify (the check above can fail).
        let tampered = jws.replacen(".eyJ", ".eyK", 1);
        assert!(verified_claims(&tampered, &key).is_none());
        // Another key does not verify it either.
        let other = SigningKey::es256_from_secret_bytes(&[0x43; 32]).unwrap();
        assert!(verified_claims(&jws, &other).is_none());
    }
    jtis.sort();
    jtis.dedup();
    assert_eq!(jtis.len(), 3, "jti unique across requests");
}

#[test]
fn externally_signed_assertion_is_sent_as_given() {
    // An assertion from an HSM or KMS, wrapped without the signing helper.
    let jws = key()
        .sign_compact(
            &JwsHeader::new().typ("client-authentication+jwt"),
            &serde_json::json!({"iss": "c", "sub": "c", "aud": ISSUER, "exp": NOW + 60, "jti": "x"}),
        )
        .unwrap();
    let auth = ClientAuth::PrivateKeyJwt {
        client_id: "c".into(),
        assertion: ClientAssertion::new(jws.clone()),
    };
    assert_eq!(auth.method(), ClientAuthMethod::PrivateKeyJwt);
    let req = TokenRequest::client_credentials(RESOURCE, &Scopes::new())
        .build(ENDPOINT, &auth, UrlPolicy::https_only())
        .unwrap();
    assert_eq!(value(&req, "client_assertion"), Some(jws));

    // An empty assertion is a configuration error, not an empty parameter on the wire.
    let empty = ClientAuth::PrivateKeyJwt {
        client_id: "c".into(),
        assertion: ClientAssertion::new(String::new()),
    };
    assert_eq!(
        TokenRequest::client_credentials(RESOURCE, &Scopes::new())
            .build(ENDPOINT, &empty, UrlPolicy::https_only())
            .unwrap_err(),
        TokenRequestError::ClientAuth(ClientAuthError::MissingAssertion)
    );
}

#[test]
fn extra_params_cannot_smuggle_a_second_assertion_t8() {
    for name in ["client_assertion", "client_assertion_type", "client_secret"] {
        let err = TokenRequest::client_credentials(RESOURCE, &Scopes::new())
            .extra_param(name, "x")
            .build(ENDPOINT, &auth(9), UrlPolicy::https_only())
            .unwrap_err();
        assert_eq!(err, TokenRequestError::ReservedParameter(name.into()));
    }
}

proptest! {
    #[test]
    fn any_client_id_and_issuer_round_trip_through_the_assertion(
        client_id in "[ -~]{1,40}",
        issuer in "https://[a-z]{1,12}\\.example(/[a-z]{0,8})?",
        now in 0u64..4_000_000_000,
        jti in any::<[u8; 32]>(),
    ) {
        let key = key();
        let auth = ClientAuth::private_key_jwt(
            client_id.clone(), &key, Some("k"), &issuer, Timestamp::from_unix_seconds(now), &Entropy::new(jti),
        ).unwrap();
        let req = TokenRequest::client_credentials(RESOURCE, &Scopes::new())
            .build(ENDPOINT, &auth, UrlPolicy::https_only())
            .unwrap();
        prop_assert_eq!(value(&req, "client_id"), Some(client_id.clone()));
        let claims = verified_claims(&value(&req, "client_assertion").unwrap(), &key).unwrap();
        prop_assert_eq!(&claims["iss"], &serde_json::Value::from(client_id.clone()));
        prop_assert_eq!(&claims["sub"], &serde_json::Value::from(client_id));
        prop_assert_eq!(&claims["aud"], &serde_json::Value::from(issuer));
        prop_assert_eq!(claims["exp"].as_u64(), Some(now + 60));
        prop_assert_eq!(claims["jti"].as_str().map(str::len), Some(43));
    }
}
