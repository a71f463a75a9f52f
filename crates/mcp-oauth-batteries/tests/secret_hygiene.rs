//! Secret hygiene of every type that holds a secret, in the core and in this crate: `Debug` is
//! redacted and no error text carries a secret. (That no secret type implements `Display` is a
//! compile-time fact checked by `no_display` below.)

use core::time::Duration;

use mcp_oauth_batteries::follow::{CookieJar, Hop, next_hop};
use mcp_oauth_batteries::store::{FileStore, StoreError, StoreKey, StoredEntry, TokenStore};
use mcp_oauth_batteries::{AuthorizationPrompt, InteractionError};
use mcp_oauth_core::Entropy;
use mcp_oauth_core::flow::PersistedState;
use mcp_oauth_core::pkce::{CodeVerifier, PkcePair};
use mcp_oauth_core::secret::{
    AccessToken, AuthorizationCode, ClientSecret, InitialAccessToken, RefreshToken,
    RegistrationAccessToken,
};
use mcp_oauth_core::state::StateToken;
use url::Url;

const SECRET: &str = "S3cr3t-Value_0123456789abcdefghijklmnopqrstuvwxyz";

/// Fails to compile if `T` implements `Display` (two impls of the probe trait would apply).
macro_rules! no_display {
    ($($t:ty),* $(,)?) => {$({
        trait Probe<A> { fn probe() {} }
        impl<T: ?Sized> Probe<()> for T {}
        struct Yes;
        impl<T: ?Sized + core::fmt::Display> Probe<Yes> for T {}
        // Ambiguous (a compile error) exactly when `$t: Display`.
        let _ = <$t as Probe<_>>::probe;
    })*};
}

// covers: V-11 (redacted Debug, no Display), F-7
#[test]
fn every_core_secret_type_is_redacted_in_debug_and_has_no_display() {
    no_display!(
        AccessToken,
        RefreshToken,
        ClientSecret,
        AuthorizationCode,
        InitialAccessToken,
        RegistrationAccessToken,
        CodeVerifier,
        StateToken,
        Entropy,
        PersistedState,
    );
    let entropy = Entropy::new([7; 32]);
    let verifier = CodeVerifier::new(SECRET).unwrap();
    let state = StateToken::new(SECRET).unwrap();
    let pair = PkcePair::from_verifier(CodeVerifier::new(SECRET).unwrap());
    let texts = [
        format!("{:?}", AccessToken::new(SECRET.into())),
        format!("{:?}", RefreshToken::new(SECRET.into())),
        format!("{:?}", ClientSecret::new(SECRET.into())),
        format!("{:?}", AuthorizationCode::new(SECRET.into())),
        format!("{:?}", InitialAccessToken::new(SECRET.into())),
        format!("{:?}", RegistrationAccessToken::new(SECRET.into())),
        format!("{verifier:?}"),
        format!("{state:?}"),
        format!("{pair:?}"),
        format!("{entropy:?}"),
    ];
    for t in &texts {
        assert!(!t.contains(SECRET), "{t}");
        assert!(!t.contains("7, 7, 7"), "{t}");
    }
}

fn state_with_tokens() -> PersistedState {
    serde_json::from_value(serde_json::json!({
        "version": 1,
        "resource_url": "https://mcp.example.com/mcp",
        "registrations": [{
            "issuer": "https://as.example.com",
            "client_id": "client-1",
            "client_secret": format!("{SECRET}-client"),
        }],
        "tokens": {
            "issuer": "https://as.example.com",
            "resource": "https://mcp.example.com/mcp",
            "access_token": format!("{SECRET}-access"),
            "refresh_token": format!("{SECRET}-refresh"),
        },
    }))
    .expect("the persisted schema")
}

// covers: V-11, F-7 (stored entries and store errors)
#[test]
fn stored_entries_and_store_errors_hold_no_secret_text() {
    let entry = StoredEntry::new(state_with_tokens()).with_redirect_uri("http://127.0.0.1:1/cb");
    let debug = format!("{entry:?}");
    assert!(!debug.contains(SECRET), "{debug}");
    assert!(debug.contains("[redacted]"));

    // A store file whose content is secrets but does not parse: the error names the file only.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    std::fs::write(
        &path,
        format!("{{\"version\":1,\"entries\":[\"{SECRET}\"").as_bytes(),
    )
    .unwrap();
    let store = FileStore::new(&path);
    let key = StoreKey::new("https://mcp.example.com/mcp", "c");
    let errors: Vec<StoreError> = vec![
        store.load(&key).unwrap_err(),
        store.save(&key, &entry).unwrap_err(),
        store
            .lock(&key, Duration::from_millis(1))
            .map(|_| ())
            .and_then(|()| {
                let _held = store.lock(&key, Duration::from_secs(1))?;
                store.lock(&key, Duration::from_millis(1)).map(|_| ())
            })
            .unwrap_err(),
    ];
    for e in &errors {
        for text in [e.to_string(), format!("{e:?}")] {
            assert!(!text.contains(SECRET), "{text}");
        }
    }
    // Saved then loaded, the secrets round-trip (the file is the only place they are plain).
    std::fs::remove_file(&path).unwrap();
    store.save(&key, &entry).unwrap();
    assert_eq!(store.load(&key).unwrap(), Some(entry));
}

// covers: V-11, C-15 (the redirect with the code, the cookie jar, the prompt)
#[test]
fn follower_and_interaction_values_redact_codes_state_and_cookies() {
    let redirect = Url::parse("http://127.0.0.1:9/cb").unwrap();
    let from = Url::parse("https://as.example.com/authorize").unwrap();
    let location = format!("http://127.0.0.1:9/cb?code={SECRET}&state=st-{SECRET}");
    let hop = next_hop(&from, 302, Some(location.as_bytes()), &redirect).unwrap();
    assert!(
        matches!(&hop, Hop::Reached(u) if u.contains(SECRET)),
        "the flow gets the code"
    );
    let debug = format!("{hop:?}");
    assert!(!debug.contains(SECRET), "{debug}");

    let mut jar = CookieJar::default();
    jar.store(&from, format!("session={SECRET}; HttpOnly").as_bytes());
    assert!(jar.header_for(&from).is_some_and(|h| h.contains(SECRET)));
    let debug = format!("{jar:?}");
    assert!(
        !debug.contains(SECRET) && debug.contains("session"),
        "{debug}"
    );

    let prompt = AuthorizationPrompt::new(
        format!("https://as.example.com/authorize?state={SECRET}&code_challenge=x"),
        "http://127.0.0.1:9/cb",
        "https://as.example.com",
    );
    let debug = format!("{prompt:?}");
    assert!(!debug.contains(SECRET), "{debug}");

    let e = InteractionError::Follow(mcp_oauth_batteries::follow::FollowError::BadLocation);
    assert!(!format!("{e} {e:?}").contains(SECRET));
}
