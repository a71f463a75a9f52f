use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use proptest::prelude::*;

use super::*;

/// The EC P-256 key of RFC 7515 appendix A.3, as PKCS#8.
const A3_PEM: &str = include_str!("testdata/rfc7515_a3.pem");
/// The same key as SEC1 (`EC PRIVATE KEY`), which is not PKCS#8.
const A3_SEC1_PEM: &str = include_str!("testdata/rfc7515_a3-sec1.pem");
/// The 2048-bit RSA key of RFC 7515 appendix A.2, as PKCS#8.
const A2_PEM: &str = include_str!("testdata/rfc7515_a2.pem");
const RSA_1024_PEM: &str = include_str!("testdata/rsa1024-too-small.pem");
const P384_PEM: &str = include_str!("testdata/ec-p384.pem");
const ED25519_PEM: &str = include_str!("testdata/ed25519.pem");

/// The JWS Payload octets shared by RFC 7515 A.1–A.3 (with its CRLFs and spaces).
const A_PAYLOAD: &[u8] =
    b"{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";
/// The complete JWS of RFC 7515 A.3.1 (ECDSA signatures are randomized there, so this one
/// can only be verified, not reproduced).
const A3_JWS: &str = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
/// The public coordinates of the A.3 key.
const A3_X: &str = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
const A3_Y: &str = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";

fn b64(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(s).expect("test data is base64url")
}

/// Split a compact JWS into its three parts.
fn parts(jws: &str) -> (&str, &str, &str) {
    let mut it = jws.split('.');
    let (Some(h), Some(p), Some(s), None) = (it.next(), it.next(), it.next(), it.next()) else {
        panic!("not three parts: {jws}");
    };
    (h, p, s)
}

/// Verify an ES256 JWS with the given uncompressed public point coordinates.
fn es256_verifies(jws: &str, x: &str, y: &str) -> bool {
    use p256::ecdsa::signature::Verifier as _;
    let (h, p, s) = parts(jws);
    let mut sec1 = alloc::vec![4u8];
    sec1.extend(b64(x));
    sec1.extend(b64(y));
    let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).expect("valid point");
    let Ok(signature) = p256::ecdsa::Signature::from_slice(&b64(s)) else {
        return false;
    };
    key.verify(format!("{h}.{p}").as_bytes(), &signature)
        .is_ok()
}

fn header_json(jws: &str) -> String {
    String::from_utf8(b64(parts(jws).0)).expect("utf-8 header")
}

#[test]
fn algorithm_names_are_the_jwa_identifiers() {
    // covers: RFC 7518 §3.1
    assert_eq!(Algorithm::Es256.name(), "ES256");
    assert_eq!(Algorithm::Rs256.name(), "RS256");
}

#[test]
fn rfc7638_section_3_1_thumbprint_vector() {
    // covers: RFC 7638 §3.1 (the RSA key of the example, and its published thumbprint)
    let n = b64(concat!(
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECP",
        "ebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY",
        "368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0f",
        "M4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    ));
    let jwk = PublicJwk::rsa(&n, &b64("AQAB"));
    assert_eq!(jwk.kty(), "RSA");
    assert!(
        jwk.canonical_json()
            .starts_with(r#"{"e":"AQAB","kty":"RSA","n":"0vx7agoebGcQ"#)
    );
    assert_eq!(
        jwk.thumbprint(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
    // The serde form is the canonical form.
    assert_eq!(serde_json::to_string(&jwk).unwrap(), jwk.canonical_json());
}

#[test]
fn ec_jwk_serializes_required_members_in_lexicographic_order() {
    // covers: RFC 7518 §6.2.1, RFC 7638 §3.2
    let key = SigningKey::from_pkcs8_pem(A3_PEM).unwrap();
    let jwk = key.public_jwk();
    assert_eq!(jwk.kty(), "EC");
    let json = serde_json::to_string(&jwk).unwrap();
    assert_eq!(
        json,
        format!(r#"{{"crv":"P-256","kty":"EC","x":"{A3_X}","y":"{A3_Y}"}}"#)
    );
    assert_eq!(json, jwk.canonical_json());
    // The thumbprint is the SHA-256 of exactly that string.
    let digest: [u8; 32] = sha2::Sha256::digest(json.as_bytes()).into();
    assert_eq!(jwk.thumbprint(), URL_SAFE_NO_PAD.encode(digest));
    assert_eq!(jwk.thumbprint().len(), 43);
}

#[test]
fn rfc7515_a3_key_loads_with_the_published_public_coordinates() {
    // covers: RFC 7515 A.3, RFC 5958 (PKCS#8)
    let key = SigningKey::from_pkcs8_pem(A3_PEM).unwrap();
    assert_eq!(key.algorithm(), Algorithm::Es256);
    // The RFC's own A.3 signature verifies under the key we derived.
    assert!(es256_verifies(A3_JWS, A3_X, A3_Y));
    // And a tampered one does not (the check can fail).
    let tampered = A3_JWS.replace(".DtEh", ".DtEi");
    assert!(!es256_verifies(&tampered, A3_X, A3_Y));
}

#[test]
fn rfc7515_a3_structure_es256_signature_is_raw_r_s() {
    // covers: RFC 7515 A.3.1 (header and payload octets), RFC 7518 §3.4 (64-byte r ‖ s)
    let key = SigningKey::from_pkcs8_pem(A3_PEM).unwrap();
    let jws = key.sign_parts(br#"{"alg":"ES256"}"#, A_PAYLOAD).unwrap();
    let (h, p, s) = parts(&jws);
    let (rh, rp, rs) = parts(A3_JWS);
    assert_eq!(h, rh);
    assert_eq!(p, rp);
    assert_eq!(s.len(), rs.len());
    assert_eq!(b64(s).len(), 64);
    assert!(es256_verifies(&jws, A3_X, A3_Y));
    // RFC 6979: the same input gives the same signature.
    assert_eq!(
        key.sign_parts(br#"{"alg":"ES256"}"#, A_PAYLOAD).unwrap(),
        jws
    );
}

#[test]
fn es256_sign_compact_round_trip_with_header_members() {
    // covers: RFC 7515 §4.1.3, §4.1.4, §4.1.9, §7.1
    let key = SigningKey::from_pkcs8_pem(A3_PEM).unwrap();
    let claims = serde_json::json!({"iss": "client", "exp": 1_700_000_060, "jti": "abc"});
    let header = JwsHeader::new().typ("dpop+jwt").kid("k1").embed_jwk(true);
    let jws = key.sign_compact(&header, &claims).unwrap();
    assert_eq!(
        header_json(&jws),
        format!(
            r#"{{"alg":"ES256","typ":"dpop+jwt","kid":"k1","jwk":{{"crv":"P-256","kty":"EC","x":"{A3_X}","y":"{A3_Y}"}}}}"#
        )
    );
    let payload: serde_json::Value = serde_json::from_slice(&b64(parts(&jws).1)).unwrap();
    assert_eq!(payload, claims);
    assert!(es256_verifies(&jws, A3_X, A3_Y));

    // Only `alg` when nothing else is asked for.
    let bare = key.sign_compact(&JwsHeader::default(), &claims).unwrap();
    assert_eq!(header_json(&bare), r#"{"alg":"ES256"}"#);
    assert!(es256_verifies(&bare, A3_X, A3_Y));
}

#[test]
fn es256_from_secret_bytes_matches_the_pkcs8_key_and_rejects_bad_scalars() {
    // covers: SEC 1 §2.3.6 (scalar range)
    let d: [u8; 32] = b64("jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI")
        .try_into()
        .unwrap();
    let from_bytes = SigningKey::es256_from_secret_bytes(&d).unwrap();
    let from_pem = SigningKey::from_pkcs8_pem(A3_PEM).unwrap();
    assert_eq!(from_bytes.public_jwk(), from_pem.public_jwk());
    let claims = serde_json::json!({"a": 1});
    assert_eq!(
        from_bytes.sign_compact(&JwsHeader::new(), &claims).unwrap(),
        from_pem.sign_compact(&JwsHeader::new(), &claims).unwrap()
    );
    assert_eq!(
        SigningKey::es256_from_secret_bytes(&[0; 32]).unwrap_err(),
        JoseError::InvalidScalar
    );
    assert_eq!(
        SigningKey::es256_from_secret_bytes(&[0xff; 32]).unwrap_err(),
        JoseError::InvalidScalar
    );
}

#[test]
fn pem_and_pkcs8_errors_are_typed() {
    assert_eq!(SigningKey::from_pkcs8_pem("").unwrap_err(), JoseError::Pem);
    assert_eq!(
        SigningKey::from_pkcs8_pem("-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----")
            .unwrap_err(),
        JoseError::Pem
    );
    assert_eq!(
        SigningKey::from_pkcs8_pem(A3_SEC1_PEM).unwrap_err(),
        JoseError::NotPkcs8
    );
    assert_eq!(
        SigningKey::from_pkcs8_pem(
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
        )
        .unwrap_err(),
        JoseError::Pkcs8
    );
    assert_eq!(
        SigningKey::from_pkcs8_der(&[]).unwrap_err(),
        JoseError::Pkcs8
    );
    assert_eq!(
        SigningKey::from_pkcs8_pem(P384_PEM).unwrap_err(),
        JoseError::UnsupportedCurve
    );
    assert_eq!(
        SigningKey::from_pkcs8_pem(ED25519_PEM).unwrap_err(),
        JoseError::UnsupportedKeyType
    );
    // Surrounding whitespace (a trailing newline from a file or an env var) is fine.
    assert!(SigningKey::from_pkcs8_pem(&format!("\n  {A3_PEM}\n\n")).is_ok());
}

#[test]
fn errors_never_contain_key_material() {
    let body: String = A3_PEM.lines().nth(1).unwrap().to_string();
    let broken = A3_PEM.replace("MIGHAgEA", "MIGHAgEB");
    for pem in [
        A3_SEC1_PEM,
        broken.as_str(),
        P384_PEM,
        ED25519_PEM,
        RSA_1024_PEM,
    ] {
        if let Err(e) = SigningKey::from_pkcs8_pem(pem) {
            let text = format!("{e} {e:?}");
            assert!(!text.contains(&body[10..30]), "{text}");
            assert!(!text.contains("BEGIN"), "{text}");
        }
    }
}

#[test]
fn debug_is_redacted() {
    let key = SigningKey::from_pkcs8_pem(A3_PEM).unwrap();
    let debug = format!("{key:?}");
    assert_eq!(
        debug,
        r#"SigningKey { algorithm: "ES256", key: "[redacted]" }"#
    );
    assert!(!debug.contains("jpsQ"));
}

#[test]
fn failing_claims_serialization_is_a_typed_error() {
    struct Broken;
    impl Serialize for Broken {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            Err(serde::ser::Error::custom("nope"))
        }
    }
    let key = SigningKey::from_pkcs8_pem(A3_PEM).unwrap();
    assert_eq!(
        key.sign_compact(&JwsHeader::new(), &Broken).unwrap_err(),
        JoseError::Serialize
    );
}

#[cfg(feature = "jose-rsa")]
mod rsa {
    use super::*;

    /// The JWS Protected Header octets of RFC 7515 A.2.1 (`{"alg":"RS256"}`).
    const A2_HEADER: &[u8] = br#"{"alg":"RS256"}"#;
    /// The complete JWS of RFC 7515 A.2.1.
    const A2_JWS: &str = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqvhJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw";

    fn rs256_verifies(jws: &str, key: &SigningKey) -> bool {
        use ::rsa::signature::Verifier as _;
        let jwk: serde_json::Value = serde_json::to_value(key.public_jwk()).unwrap();
        let n = b64(jwk["n"].as_str().unwrap());
        let e = b64(jwk["e"].as_str().unwrap());
        let public = ::rsa::PublicKey::new(
            ::rsa::BoxedUint::from_be_slice_vartime(&n),
            ::rsa::BoxedUint::from_be_slice_vartime(&e),
        )
        .unwrap();
        let verifier = ::rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(public);
        let (h, p, s) = parts(jws);
        let Ok(signature) = ::rsa::pkcs1v15::Signature::try_from(b64(s).as_slice()) else {
            return false;
        };
        verifier
            .verify(format!("{h}.{p}").as_bytes(), &signature)
            .is_ok()
    }

    #[test]
    fn rfc7515_a2_rs256_vector_is_reproduced_exactly() {
        // covers: RFC 7515 A.2.1 (PKCS#1 v1.5 is deterministic: the whole JWS must match)
        let key = SigningKey::from_pkcs8_pem(A2_PEM).unwrap();
        assert_eq!(key.algorithm(), Algorithm::Rs256);
        assert_eq!(key.sign_parts(A2_HEADER, A_PAYLOAD).unwrap(), A2_JWS);
        assert!(rs256_verifies(A2_JWS, &key));
    }

    #[test]
    fn rsa_jwk_has_the_rfc7515_a2_modulus() {
        // covers: RFC 7518 §6.3.1
        let key = SigningKey::from_pkcs8_pem(A2_PEM).unwrap();
        let json = serde_json::to_string(&key.public_jwk()).unwrap();
        assert!(
            json.starts_with(r#"{"e":"AQAB","kty":"RSA","n":"ofgWCuLjybRlzo0tZWJjNiuSfb4p"#),
            "{json}"
        );
        assert!(json.ends_with(r#"h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ"}"#));
    }

    #[test]
    fn rs256_sign_compact_round_trip() {
        let key = SigningKey::from_pkcs8_pem(A2_PEM).unwrap();
        let claims = serde_json::json!({"iss": "client", "sub": "client", "aud": "https://as"});
        let jws = key
            .sign_compact(&JwsHeader::new().typ("JWT").kid("rsa-1"), &claims)
            .unwrap();
        assert_eq!(
            header_json(&jws),
            r#"{"alg":"RS256","typ":"JWT","kid":"rsa-1"}"#
        );
        assert_eq!(b64(parts(&jws).2).len(), 256);
        assert!(rs256_verifies(&jws, &key));
        let tampered = jws.replace("eyJhbGciOiJSUzI1NiIs", "eyJhbGciOiJSUzI1NiAs");
        assert!(!rs256_verifies(&tampered, &key));
    }

    #[test]
    fn short_rsa_keys_are_refused() {
        // covers: RFC 7518 §3.3 (2048 bits or larger)
        assert_eq!(
            SigningKey::from_pkcs8_pem(RSA_1024_PEM).unwrap_err(),
            JoseError::RsaKeyTooSmall { bits: 1024 }
        );
    }

    #[test]
    fn rsa_debug_is_redacted() {
        let key = SigningKey::from_pkcs8_pem(A2_PEM).unwrap();
        assert_eq!(
            format!("{key:?}"),
            r#"SigningKey { algorithm: "RS256", key: "[redacted]" }"#
        );
    }
}

#[cfg(not(feature = "jose-rsa"))]
#[test]
fn rsa_keys_need_the_jose_rsa_feature() {
    assert_eq!(
        SigningKey::from_pkcs8_pem(A2_PEM).unwrap_err(),
        JoseError::RsaNotEnabled
    );
}

proptest! {
    #[test]
    fn pem_parser_never_panics(text in ".{0,400}") {
        let _ = SigningKey::from_pkcs8_pem(&text);
        let wrapped = format!("-----BEGIN PRIVATE KEY-----\n{text}\n-----END PRIVATE KEY-----\n");
        let _ = SigningKey::from_pkcs8_pem(&wrapped);
    }

    #[test]
    fn der_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = SigningKey::from_pkcs8_der(&bytes);
    }

    #[test]
    fn der_parser_survives_bit_flips_of_a_real_key(index in 0usize..138, bit in 0u8..8) {
        let (_, der) = p256::pkcs8::der::pem::decode_vec(A3_PEM.trim().as_bytes()).unwrap();
        let mut der = der;
        if let Some(b) = der.get_mut(index) {
            *b ^= 1 << bit;
        }
        if let Ok(key) = SigningKey::from_pkcs8_der(&der) {
            // Whatever still decodes still signs verifiably.
            let jws = key.sign_compact(&JwsHeader::new(), &1u8).unwrap();
            let jwk = serde_json::to_value(key.public_jwk()).unwrap();
            prop_assert!(es256_verifies(&jws, jwk["x"].as_str().unwrap(), jwk["y"].as_str().unwrap()));
        }
    }

    #[test]
    fn es256_secret_bytes_sign_verifiably(bytes in any::<[u8; 32]>(), claim in ".{0,40}") {
        if let Ok(key) = SigningKey::es256_from_secret_bytes(&bytes) {
            let jws = key.sign_compact(&JwsHeader::new().typ("JWT"), &claim).unwrap();
            let jwk = serde_json::to_value(key.public_jwk()).unwrap();
            prop_assert!(es256_verifies(&jws, jwk["x"].as_str().unwrap(), jwk["y"].as_str().unwrap()));
        }
    }
}
