//! The authorization-request side allocates nothing on its hot paths: PKCE, `state`, the
//! authorize URL written into a caller buffer, and redirect parsing plus verification up to (not
//! including) the owned authorization code.

#[path = "support/counting_alloc.rs"]
mod counting_alloc;

use counting_alloc::allocations;
use mcp_oauth_core::authorize::AuthorizationRequest;
use mcp_oauth_core::pkce::PkcePair;
use mcp_oauth_core::redirect::{
    AuthorizationResponse, ExpectedResponse, RedirectError, check_redirect_uri,
};
use mcp_oauth_core::state::StateToken;
use mcp_oauth_core::{Entropy, Scopes};

#[test]
fn pkce_pair_from_entropy_allocates_nothing() {
    let (pair, n) = allocations(|| {
        let pair = PkcePair::from_entropy(Entropy::new([0x5a; 32]));
        std::hint::black_box(pair.challenge().as_str().len());
        pair
    });
    assert_eq!(n, 0);
    assert_eq!(pair.verifier().secret().len(), 43);
}

#[test]
fn state_from_entropy_and_verify_allocate_nothing() {
    let (ok, n) = allocations(|| {
        let s = StateToken::from_entropy(Entropy::new([0xa5; 32]));
        let mut copy = [0u8; 43];
        copy.copy_from_slice(s.as_str().as_bytes());
        s.verify_bytes(&copy) && !s.verify("forged")
    });
    assert_eq!(n, 0);
    assert!(ok);
}

#[test]
fn authorize_url_into_caller_buffer_allocates_nothing() {
    // Built before measuring: `Scopes` owns its tokens.
    let scopes = Scopes::parse("openid mcp:tools offline_access");
    let extra = [
        ("access_type", "offline"),
        ("prompt", "consent"),
        ("login_hint", "Zoë+x@example.com"),
    ];
    let ((len_slice, len_heapless), n) = allocations(|| {
        let pair = PkcePair::from_entropy(Entropy::new([1; 32]));
        let state = StateToken::from_entropy(Entropy::new([2; 32]));
        let request = AuthorizationRequest::new(
            "https://as.example.com/authorize?tenant=t",
            "https://client.example.net/metadata.json",
            "http://127.0.0.1:33418/callback",
            pair.challenge(),
            &state,
        )
        .scopes(&scopes)
        .resource("https://mcp.example.com")
        .extra_params(&extra);

        let mut buf = [0u8; 1024];
        let a = request.write_to_slice(&mut buf).map(str::len);

        let mut hs: heapless::String<1024> = heapless::String::new();
        let b = request.write_to(&mut hs).map(|()| hs.len());

        let mut small = [0u8; 8];
        let too_small = request.write_to_slice(&mut small);
        assert!(too_small.is_err());
        (a, b)
    });
    assert_eq!(n, 0);
    assert_eq!(len_slice.unwrap(), len_heapless.unwrap());
}

#[test]
fn redirect_parse_and_verify_allocate_nothing() {
    let state = StateToken::new("kT3vQ9xWm2LpZr8sYc1nFb6hJd0aUe4gVi7oNq5tXyw").unwrap();
    let expected = ExpectedResponse::new(&state, Some("https://as.example.com"), true);
    let ok = "http://127.0.0.1:33418/callback?code=Splx%2BlOB+eZQ&state=kT3vQ9xWm2LpZr8sYc1nFb6hJd0aUe4gVi7oNq5tXyw\
              &iss=https%3A%2F%2Fas.example.com&session_state=abc";
    let (verified, n) =
        allocations(|| AuthorizationResponse::parse(ok).and_then(|r| r.verify(&expected)));
    assert_eq!(n, 0);
    let verified = verified.unwrap();
    assert!(verified.decoded_eq("Splx+lOB eZQ"));
    // The owned code is the one allocation, outside the measured part.
    let (code, n) = allocations(|| verified.into_code());
    assert_eq!(n, 1);
    assert_eq!(code.secret(), "Splx+lOB eZQ");

    // Invalid responses are rejected without allocating either.
    for bad in [
        "?code=c&state=kT3vQ9xWm2LpZr8sYc1nFb6hJd0aUe4gVi7oNq5tXyw",
        "?code=c&state=forged&iss=https://as.example.com",
        "?code=c&state=kT3vQ9xWm2LpZr8sYc1nFb6hJd0aUe4gVi7oNq5tXyw&iss=https://evil",
        "?error=access_denied&error_description=Call+555&iss=https://evil",
        "?code=a&code=b",
    ] {
        let (r, n) =
            allocations(|| AuthorizationResponse::parse(bad).and_then(|r| r.verify(&expected)));
        assert_eq!(n, 0, "{bad}");
        assert!(
            !matches!(r, Ok(_) | Err(RedirectError::Authorization(_))),
            "{bad}"
        );
    }
}

#[test]
fn redirect_uri_check_allocates_nothing() {
    let (r, n) = allocations(|| {
        (
            check_redirect_uri("http://[::1]:8080/callback"),
            check_redirect_uri("http://example.com/cb"),
        )
    });
    assert_eq!(n, 0);
    assert!(r.0.is_ok() && r.1.is_err());
}
