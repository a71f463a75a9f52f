// covers: X-1 (RFC 9449 proofs, ath, nonces)
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use proptest::prelude::*;
use serde_json::Value;

use super::*;

fn b64(part: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(part).expect("base64url")
}

/// Header, claims, and whether the ES256 signature verifies with the embedded `jwk`.
fn open(jws: &str) -> (Value, Value, bool) {
    use p256::ecdsa::signature::Verifier as _;
    let mut it = jws.split('.');
    let (Some(h), Some(p), Some(s), None) = (it.next(), it.next(), it.next(), it.next()) else {
        panic!("not a compact JWS");
    };
    let header: Value = serde_json::from_slice(&b64(h)).expect("header json");
    let claims: Value = serde_json::from_slice(&b64(p)).expect("claims json");
    let jwk = &header["jwk"];
    let mut sec1 = alloc::vec![4u8];
    sec1.extend(b64(jwk["x"].as_str().expect("x")));
    sec1.extend(b64(jwk["y"].as_str().expect("y")));
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).expect("valid point");
    let ok = p256::ecdsa::Signature::from_slice(&b64(s))
        .is_ok_and(|sig| key.verify(format!("{h}.{p}").as_bytes(), &sig).is_ok());
    (header, claims, ok)
}

fn key() -> DpopKey {
    DpopKey::from_secret_bytes(&[7; 32]).expect("valid scalar")
}

fn at() -> Timestamp {
    Timestamp::from_unix_seconds(1_562_262_616)
}

/// RFC 9449 §7.1 (figures 12 and 13): the `ath` of the example access token.
#[test]
fn ath_rfc9449_section_7_1_vector() {
    let token = AccessToken::new("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU".into());
    assert_eq!(
        access_token_hash(&token),
        "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"
    );
}

/// RFC 9449 §4.2 / figure 4: a token-request proof has exactly `jti`, `htm`, `htu`, `iat`; its
/// header `typ`, `alg` and the public `jwk` (no private member), and it verifies with that key.
#[test]
fn token_request_proof_shape_rfc9449_4_2() {
    let k = key();
    let proof = proof(
        &k,
        "-BwC3ESc6acc2lTc",
        at(),
        &ProofRequest::new("POST", "https://server.example.com/token"),
    )
    .expect("proof");
    let (header, claims, verifies) = open(proof.as_str());
    assert!(verifies);
    assert_eq!(header["typ"], "dpop+jwt");
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["jwk"]["kty"], "EC");
    assert_eq!(header["jwk"]["crv"], "P-256");
    assert!(header["jwk"].get("d").is_none());
    assert_eq!(header.as_object().map(|o| o.len()), Some(3));
    assert_eq!(
        claims,
        serde_json::json!({
            "jti": "-BwC3ESc6acc2lTc",
            "htm": "POST",
            "htu": "https://server.example.com/token",
            "iat": 1_562_262_616_u64,
        })
    );
    assert!(proof.is_sensitive());
    assert_eq!(format!("{proof:?}"), "[redacted]");
}

/// RFC 9449 §7.1 / figure 13: a resource proof adds `ath`; §9 figure 21: and `nonce`. The
/// query and fragment are not part of `htu`.
#[test]
fn resource_proof_has_ath_and_nonce_rfc9449_7_1_and_9() {
    let token = AccessToken::new("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU".into());
    let request = ProofRequest::new(
        "GET",
        "https://resource.example.org/protectedresource?a=b#c",
    )
    .access_token(&token)
    .nonce(Some("eyJ7S_zG.eyJbYu3.xQmBj-1"));
    let proof = proof(&key(), "e1j3V_bKic8-LAEB", at(), &request).expect("proof");
    let (_, claims, verifies) = open(proof.as_str());
    assert!(verifies);
    assert_eq!(claims["htm"], "GET");
    assert_eq!(
        claims["htu"],
        "https://resource.example.org/protectedresource"
    );
    assert_eq!(claims["ath"], "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
    assert_eq!(claims["nonce"], "eyJ7S_zG.eyJbYu3.xQmBj-1");
    assert!(!proof.as_str().contains("Kz~8mXK1"));
}

#[test]
fn the_jwk_in_the_proof_has_the_keys_thumbprint() {
    let k = key();
    let proof = proof(
        &k,
        "j",
        at(),
        &ProofRequest::new("POST", "https://a.example/t"),
    )
    .expect("proof");
    let (header, _, _) = open(proof.as_str());
    // RFC 7638 §3: the required members in lexicographic order, no whitespace.
    let canonical = format!(
        r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
        header["jwk"]["x"].as_str().expect("x"),
        header["jwk"]["y"].as_str().expect("y")
    );
    let expected = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(canonical.as_bytes()));
    assert_eq!(k.thumbprint(), expected);
    assert_eq!(k.public_jwk().thumbprint(), expected);
}

#[test]
fn bad_methods_and_urls_are_refused() {
    let k = key();
    for method in ["", "GE T", "GET\r\n", "PÖST"] {
        assert_eq!(
            proof(
                &k,
                "j",
                at(),
                &ProofRequest::new(method, "https://a.example/")
            )
            .err(),
            Some(DpopError::InvalidMethod),
            "{method:?}"
        );
    }
    for url in [
        "",
        "/relative",
        "mailto:a@b.example",
        "data:text/plain,x",
        "file:///etc/passwd",
    ] {
        assert_eq!(
            proof(&k, "j", at(), &ProofRequest::new("GET", url)).err(),
            Some(DpopError::InvalidUrl),
            "{url:?}"
        );
    }
}

#[test]
fn keys_debug_without_secrets_and_clone_shares_the_key() {
    let k = key();
    let text = format!("{k:?}");
    assert!(
        text.contains("ES256") && text.contains(k.thumbprint()),
        "{text}"
    );
    let copy = k.clone();
    assert_eq!(copy.thumbprint(), k.thumbprint());
}

#[test]
fn generated_keys_are_deterministic_per_entropy_and_survive_invalid_scalars() {
    let a = DpopKey::generate(Entropy::new([1; 32])).expect("key");
    let b = DpopKey::generate(Entropy::new([1; 32])).expect("key");
    let c = DpopKey::generate(Entropy::new([2; 32])).expect("key");
    assert_eq!(a.thumbprint(), b.thumbprint());
    assert_ne!(a.thumbprint(), c.thumbprint());
    // Zero and 2²⁵⁶−1 are not valid P-256 scalars: the derivation step takes over.
    assert!(DpopKey::from_secret_bytes(&[0; 32]).is_err());
    assert!(DpopKey::from_secret_bytes(&[0xff; 32]).is_err());
    let zero = DpopKey::generate(Entropy::new([0; 32])).expect("derived key");
    let ones = DpopKey::generate(Entropy::new([0xff; 32])).expect("derived key");
    assert_ne!(zero.thumbprint(), ones.thumbprint());
}

#[test]
fn htu_drops_query_and_fragment_and_normalises() {
    let cases = [
        (
            "https://server.example.com/token",
            "https://server.example.com/token",
        ),
        (
            "https://server.example.com/token?x=1",
            "https://server.example.com/token",
        ),
        (
            "https://server.example.com/token#frag",
            "https://server.example.com/token",
        ),
        (
            "HTTPS://SERVER.example.com:443/Token",
            "https://server.example.com/Token",
        ),
        ("http://127.0.0.1:3000/mcp?", "http://127.0.0.1:3000/mcp"),
        ("http://localhost", "http://localhost/"),
        ("https://[::1]:8443/a/../b", "https://[::1]:8443/b"),
    ];
    for (input, want) in cases {
        assert_eq!(htu(input).as_deref(), Ok(want), "{input}");
    }
}

fn response(status: u16, headers: &[(&str, &str)], body: &str) -> HttpResponse {
    HttpResponse::new(
        status,
        headers
            .iter()
            .map(|(n, v)| ((*n).to_string(), v.as_bytes().to_vec()))
            .collect(),
        body.as_bytes().to_vec(),
    )
}

/// RFC 9449 §8 (figure 20) and §9 (figure 22).
#[test]
fn use_dpop_nonce_is_recognised_at_the_as_and_the_rs() {
    let nonce = ("DPoP-Nonce", "eyJ7S_zG.eyJH0-Z.HX4w-7v");
    let json = ("Content-Type", "application/json");
    assert!(is_use_dpop_nonce(&response(
        400,
        &[json, nonce],
        r#"{"error":"use_dpop_nonce","error_description":"Authorization server requires nonce in DPoP proof"}"#
    )));
    assert!(is_use_dpop_nonce(&response(
        401,
        &[
            (
                "WWW-Authenticate",
                r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#
            ),
            nonce
        ],
        ""
    )));
    // Without the nonce header there is nothing to retry with.
    assert!(!is_use_dpop_nonce(&response(
        400,
        &[json],
        r#"{"error":"use_dpop_nonce"}"#
    )));
    // Another error, another status, or the error in the Bearer challenge: not a nonce request.
    assert!(!is_use_dpop_nonce(&response(
        400,
        &[json, nonce],
        r#"{"error":"invalid_grant"}"#
    )));
    assert!(!is_use_dpop_nonce(&response(
        403,
        &[json, nonce],
        r#"{"error":"use_dpop_nonce"}"#
    )));
    assert!(!is_use_dpop_nonce(&response(
        401,
        &[
            ("WWW-Authenticate", r#"Bearer error="use_dpop_nonce""#),
            nonce
        ],
        ""
    )));
    assert!(!is_use_dpop_nonce(&response(
        400,
        &[json, nonce],
        "not json"
    )));
}

#[test]
fn nonces_are_kept_per_origin() {
    let mut store = NonceStore::default();
    let with = |n: &str| response(200, &[("DPoP-Nonce", n)], "");
    assert!(store.update("https://as.example/token", &with("n1")));
    assert!(!store.update("https://as.example/token", &with("n1")));
    assert!(store.update("https://rs.example/mcp", &with("r1")));
    assert_eq!(store.get("https://as.example/other?x"), Some("n1"));
    assert_eq!(store.get("https://rs.example/mcp"), Some("r1"));
    assert_eq!(store.get("https://rs.example:8443/mcp"), None);
    assert_eq!(store.get("http://as.example/token"), None);
    assert!(store.update("https://as.example/token", &with("n2")));
    assert_eq!(store.get("https://as.example/"), Some("n2"));
    // Invalid values (RFC 9449 §8.1 NQCHAR), two values, or none change nothing.
    for bad in ["", "with space", "quo\"te", "back\\slash", "ä"] {
        assert!(
            !store.update("https://as.example/token", &with(bad)),
            "{bad:?}"
        );
    }
    let two = response(200, &[("DPoP-Nonce", "a"), ("DPoP-Nonce", "b")], "");
    assert!(!store.update("https://as.example/token", &two));
    assert!(!store.update("https://as.example/token", &response(200, &[], "")));
    assert!(!store.set("not a url", "n"));
    assert_eq!(store.get("https://as.example/"), Some("n2"));
    let long = "n".repeat(MAX_NONCE_LEN + 1);
    assert!(!store.set("https://as.example/", &long));
}

#[test]
fn the_nonce_store_is_bounded() {
    let mut store = NonceStore::default();
    for i in 0..(MAX_NONCE_ORIGINS + 3) {
        assert!(store.set(&format!("https://s{i}.example/"), "n"));
    }
    assert_eq!(store.entries.len(), MAX_NONCE_ORIGINS);
    assert_eq!(store.get("https://s0.example/"), None);
    let last = format!("https://s{}.example/", MAX_NONCE_ORIGINS + 2);
    assert_eq!(store.get(&last), Some("n"));
}

proptest! {
    /// `htu` never keeps a query or fragment, is idempotent, and keeps the origin and path.
    #[test]
    fn htu_properties(
        host in "[a-z][a-z0-9-]{0,12}(\\.[a-z]{2,5}){0,2}",
        port in proptest::option::of(1u16..),
        path in "(/[A-Za-z0-9._~%!$&'()*+,;=:@-]{0,8}){0,4}",
        query in proptest::option::of("[ -~]{0,16}"),
        fragment in proptest::option::of("[ -~]{0,16}"),
    ) {
        let mut url = format!("https://{host}");
        if let Some(p) = port {
            url.push_str(&format!(":{p}"));
        }
        url.push_str(&path);
        if let Some(q) = &query {
            url.push('?');
            url.push_str(&q.replace('#', ""));
        }
        if let Some(f) = &fragment {
            url.push('#');
            url.push_str(f);
        }
        let Ok(out) = htu(&url) else {
            // Only URLs the WHATWG parser refuses are refused.
            prop_assert!(url::Url::parse(&url).is_err());
            return Ok(());
        };
        prop_assert!(!out.contains('?') && !out.contains('#'), "{}", out);
        let again = htu(&out);
        prop_assert_eq!(again.as_deref(), Ok(out.as_str()));
        let parsed = url::Url::parse(&url).expect("parsed once");
        let back = url::Url::parse(&out).expect("htu parses");
        prop_assert_eq!(parsed.origin(), back.origin());
        prop_assert_eq!(parsed.path(), back.path());
    }

    /// Nonce validation is exactly RFC 9449 §8.1 `1*NQCHAR` (bounded).
    #[test]
    fn nonce_syntax(s in "\\PC{0,40}") {
        let expected = !s.is_empty()
            && s.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b'"' && b != b'\\');
        prop_assert_eq!(is_valid_nonce(&s), expected);
    }

    /// Every proof verifies, carries its inputs, and `iat` is `now` in seconds.
    #[test]
    fn proofs_verify(jti in "[A-Za-z0-9_-]{1,43}", secs in 0u64..4_000_000_000, get in any::<bool>()) {
        let method = if get { "GET" } else { "POST" };
        let p = proof(&key(), &jti, Timestamp::from_unix_seconds(secs),
            &ProofRequest::new(method, "https://rs.example/mcp")).expect("proof");
        let (_, claims, verifies) = open(p.as_str());
        prop_assert!(verifies);
        prop_assert_eq!(claims["jti"].as_str(), Some(jti.as_str()));
        prop_assert_eq!(claims["htm"].as_str(), Some(method));
        prop_assert_eq!(claims["iat"].as_u64(), Some(secs));
    }
}

#[test]
fn errors_hold_no_secrets_and_read_well() {
    let e = DpopError::InvalidUrl;
    assert_eq!(e.to_string(), "dpop: the request URL is not absolute");
    let _: String = DpopError::KeyDerivation.to_string();
}
