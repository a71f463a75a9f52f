//! PKCE (checklist K) and `state` (Q-8, C-6): vectors, grammar and properties.

use std::collections::HashSet;

use mcp_oauth_core::Entropy;
use mcp_oauth_core::pkce::{CodeChallenge, CodeVerifier, PkceError, PkcePair};
use mcp_oauth_core::state::{StateError, StateToken};
use proptest::prelude::*;

const RFC_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const RFC_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn is_b64url_43(s: &str) -> bool {
    s.len() == 43
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn is_verifier_grammar(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// SplitMix64: a deterministic stand-in for the caller's CSPRNG.
fn entropy_stream(seed: u64) -> impl FnMut() -> Entropy {
    let mut x = seed;
    move || {
        let mut bytes = [0u8; 32];
        for chunk in bytes.chunks_mut(8) {
            x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes());
        }
        Entropy::new(bytes)
    }
}

#[test]
fn s256_test_vector_k5() {
    let v = CodeVerifier::new(RFC_VERIFIER).unwrap();
    assert_eq!(v.challenge().as_str(), RFC_CHALLENGE);
    assert_eq!(v.challenge().to_string(), RFC_CHALLENGE);
    let pair = PkcePair::from_verifier(v);
    assert_eq!(pair.challenge().as_str(), RFC_CHALLENGE);
    assert_eq!(pair.into_verifier().secret(), RFC_VERIFIER);
}

#[test]
fn method_is_always_s256_k6() {
    let pair = PkcePair::from_entropy(Entropy::new([0; 32]));
    assert_eq!(pair.challenge().method(), "S256");
    assert_eq!(CodeChallenge::METHOD, "S256");
}

#[test]
fn generated_verifier_grammar_k2() {
    let mut next = entropy_stream(1);
    for _ in 0..1000 {
        let v = CodeVerifier::from_entropy(next());
        assert!(is_verifier_grammar(v.secret()), "{}", v.secret());
        assert!(is_b64url_43(v.secret()));
    }
}

#[test]
fn verifier_bounds_k2() {
    for len in [0, 1, 42, 129, 500] {
        assert_eq!(
            CodeVerifier::new(&"A".repeat(len)).map(|_| ()),
            Err(PkceError::Length),
            "{len}"
        );
    }
    for len in [43, 64, 128] {
        assert!(CodeVerifier::new(&"A".repeat(len)).is_ok(), "{len}");
    }
    // Standard base64 characters are bugs in a verifier (grammar details, PKCE).
    for c in ['+', '/', '=', ' ', '%'] {
        let s = format!("{}{c}", "A".repeat(42));
        assert_eq!(
            CodeVerifier::new(&s).map(|_| ()),
            Err(PkceError::Character),
            "{c}"
        );
    }
}

#[test]
fn ten_thousand_verifiers_are_distinct_k3_k4() {
    let mut next = entropy_stream(42);
    let mut verifiers = HashSet::new();
    let mut challenges = HashSet::new();
    for _ in 0..10_000 {
        let pair = PkcePair::from_entropy(next());
        assert!(verifiers.insert(pair.verifier().secret().to_owned()));
        assert!(challenges.insert(pair.challenge().as_str().to_owned()));
    }
}

#[test]
fn verifier_is_redacted() {
    let v = CodeVerifier::new(RFC_VERIFIER).unwrap();
    let pair = PkcePair::from_verifier(CodeVerifier::new(RFC_VERIFIER).unwrap());
    let all = format!("{v:?} {pair:?}");
    assert!(!all.contains(RFC_VERIFIER), "{all}");
    assert!(all.contains("CodeVerifier([redacted])"));
    // The challenge is public and visible.
    assert!(all.contains(RFC_CHALLENGE));
}

#[test]
fn state_has_128_bits_and_differs_per_flow_q8() {
    let mut next = entropy_stream(7);
    let mut seen = HashSet::new();
    for _ in 0..10_000 {
        let s = StateToken::from_entropy(next());
        // 43 base64url characters carry 256 bits.
        assert!(is_b64url_43(s.as_str()));
        assert!(seen.insert(s.as_str().to_owned()));
    }
}

#[test]
fn state_verify_c6() {
    let s = StateToken::from_entropy(Entropy::new([3; 32]));
    let copy = s.as_str().to_owned();
    assert!(s.verify(&copy));
    assert!(s.verify_bytes(copy.as_bytes()));
    let mut flipped = copy.clone().into_bytes();
    flipped[42] ^= 1;
    assert!(!s.verify_bytes(&flipped));
    assert!(!s.verify(&copy[..42]));
    assert!(!s.verify(""));
    assert_eq!(format!("{s:?}"), "StateToken([redacted])");
    assert_eq!(StateToken::new(&copy).unwrap(), s);
    assert_eq!(
        StateToken::new("tooshort").map(|_| ()),
        Err(StateError::Length)
    );
}

proptest! {
    #[test]
    fn verifier_from_any_entropy_is_43_b64url(bytes in any::<[u8; 32]>()) {
        let pair = PkcePair::from_entropy(Entropy::new(bytes));
        prop_assert!(is_b64url_43(pair.verifier().secret()));
        prop_assert!(is_b64url_43(pair.challenge().as_str()));
        // Re-parsing the generated verifier gives the same challenge.
        let again = CodeVerifier::new(pair.verifier().secret()).unwrap();
        prop_assert_eq!(again.challenge(), *pair.challenge());
    }

    #[test]
    fn state_from_any_entropy_is_43_b64url(bytes in any::<[u8; 32]>()) {
        let s = StateToken::from_entropy(Entropy::new(bytes));
        prop_assert!(is_b64url_43(s.as_str()));
        prop_assert!(s.verify(s.as_str()));
    }

    #[test]
    fn any_valid_verifier_gives_43_char_challenge(v in "[A-Za-z0-9._~-]{43,128}") {
        let verifier = CodeVerifier::new(&v).unwrap();
        prop_assert_eq!(verifier.secret(), v.as_str());
        prop_assert!(is_b64url_43(verifier.challenge().as_str()));
    }

    #[test]
    fn verifier_new_agrees_with_grammar(s in "\\PC{0,140}|[A-Za-z0-9._~+/=-]{40,130}") {
        let r = CodeVerifier::new(&s);
        prop_assert_eq!(r.is_ok(), is_verifier_grammar(&s));
    }

    #[test]
    fn state_verify_matches_equality(a in "[A-Za-z0-9._~-]{22,128}", b in "\\PC{0,130}") {
        let s = StateToken::new(&a).unwrap();
        prop_assert!(s.verify(&a));
        prop_assert_eq!(s.verify(&b), a == b);
    }
}
