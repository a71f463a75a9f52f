//! Every implementation gives the same answer: checked once, before anything is timed.

use mcp_oauth_core::Timestamp;

use crate::inputs::{self, world};
use crate::{anchor, bound, ours};

/// AS metadata, reduced to what all three parsers expose.
#[derive(Debug, PartialEq, Eq)]
pub struct AsSummary {
    /// `issuer`.
    pub issuer: String,
    /// `authorization_endpoint`.
    pub authorization_endpoint: Option<String>,
    /// `token_endpoint`.
    pub token_endpoint: Option<String>,
    /// `scopes_supported`.
    pub scopes_supported: Option<Vec<String>>,
    /// `code_challenge_methods_supported` (`None` for openidconnect, which does not read it).
    pub code_challenge_methods_supported: Option<Vec<String>>,
}

fn ours_as(body: &[u8]) -> AsSummary {
    let m = ours::as_metadata(body).expect("ours parses the document");
    AsSummary {
        issuer: m.issuer().to_owned(),
        authorization_endpoint: m.authorization_endpoint().map(str::to_owned),
        token_endpoint: m.token_endpoint().map(str::to_owned),
        scopes_supported: m.scopes_supported().map(<[String]>::to_vec),
        code_challenge_methods_supported: m
            .code_challenge_methods_supported()
            .map(<[String]>::to_vec),
    }
}

fn bound_as(body: &[u8]) -> AsSummary {
    let m = bound::as_metadata(body).expect("serde parses the document");
    AsSummary {
        issuer: m.issuer,
        authorization_endpoint: m.authorization_endpoint,
        token_endpoint: m.token_endpoint,
        scopes_supported: m.scopes_supported,
        code_challenge_methods_supported: m.code_challenge_methods_supported,
    }
}

fn anchor_as(body: &[u8]) -> AsSummary {
    let m = anchor::as_metadata(body).expect("openidconnect parses the document");
    AsSummary {
        issuer: m.issuer().as_str().to_owned(),
        authorization_endpoint: Some(m.authorization_endpoint().as_str().to_owned()),
        token_endpoint: m.token_endpoint().map(|t| t.as_str().to_owned()),
        scopes_supported: m
            .scopes_supported()
            .map(|s| s.iter().map(|s| s.as_str().to_owned()).collect()),
        code_challenge_methods_supported: None,
    }
}

/// The query of a URL as sorted, decoded pairs, with the URL before the `?`.
fn url_parts(url: &str) -> (String, Vec<(String, String)>) {
    let parsed = url::Url::parse(url).expect("a URL");
    let mut pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.sort();
    let base = url.split_once('?').map_or(url, |(b, _)| b).to_owned();
    (base, pairs)
}

/// Run every implementation once and assert they agree.
///
/// # Panics
///
/// On any disagreement: the bench is wrong, nothing is timed.
pub fn all() {
    // Challenge.
    let o = ours::challenge(inputs::CHALLENGE);
    assert_eq!(
        o,
        Some("https://mcp.linear.app/.well-known/oauth-protected-resource/mcp")
    );
    assert_eq!(o, bound::challenge(inputs::CHALLENGE), "challenge: bound");

    // PRM.
    let o = ours::prm(inputs::PRM).expect("ours parses the PRM");
    let b = bound::prm(inputs::PRM).expect("serde parses the PRM");
    assert_eq!(o.resource(), b.resource, "prm resource");
    assert_eq!(
        o.authorization_servers(),
        b.authorization_servers,
        "prm servers"
    );
    assert_eq!(
        o.scopes_supported(),
        b.scopes_supported.as_deref(),
        "prm scopes"
    );
    assert_eq!(
        o.bearer_methods_supported(),
        b.bearer_methods_supported.as_deref(),
        "prm bearer methods"
    );

    // AS metadata.
    let keycloak = ours_as(inputs::AS_KEYCLOAK);
    assert_eq!(keycloak, bound_as(inputs::AS_KEYCLOAK), "keycloak: bound");
    let oidc = anchor_as(inputs::AS_KEYCLOAK);
    assert_eq!(
        (
            &oidc.issuer,
            &oidc.authorization_endpoint,
            &oidc.token_endpoint,
            &oidc.scopes_supported
        ),
        (
            &keycloak.issuer,
            &keycloak.authorization_endpoint,
            &keycloak.token_endpoint,
            &keycloak.scopes_supported
        ),
        "keycloak: openidconnect"
    );
    assert_eq!(
        ours_as(inputs::AS_LINEAR),
        bound_as(inputs::AS_LINEAR),
        "linear: bound"
    );
    assert!(
        anchor::as_metadata(inputs::AS_LINEAR).is_err(),
        "openidconnect refuses Linear's RFC 8414 document (no jwks_uri etc.): no anchor there"
    );

    // PKCE.
    let o = ours::pkce(&inputs::PKCE_ENTROPY);
    let (ac, av) = anchor::pkce(&inputs::PKCE_ENTROPY);
    let (bv, bc) = bound::pkce(&inputs::PKCE_ENTROPY);
    assert_eq!(o.verifier().secret(), av.secret(), "pkce verifier: oauth2");
    assert_eq!(
        o.challenge().as_str(),
        ac.as_str(),
        "pkce challenge: oauth2"
    );
    assert_eq!(o.verifier().secret().as_bytes(), bv, "pkce verifier: bound");
    assert_eq!(
        o.challenge().as_str().as_bytes(),
        bc,
        "pkce challenge: bound"
    );

    // Authorization URL.
    let input = ours::AuthorizeInput::new();
    assert_eq!(input.state().as_str(), inputs::STATE, "state derivation");
    let mut buf = [0u8; 1024];
    let o = url_parts(ours::authorize_url(&input, &mut buf).expect("ours writes the URL"));
    let a = url_parts(anchor::authorize_url(&anchor::AuthorizeInput::new()).as_str());
    let mut buf2 = [0u8; 1024];
    let (_, challenge) = bound::pkce(&inputs::PKCE_ENTROPY);
    let b = url_parts(bound::authorize_url(&challenge, inputs::STATE, &mut buf2).expect("fits"));
    assert_eq!(o, a, "authorize url: oauth2");
    assert_eq!(o, b, "authorize url: bound");

    // Redirect.
    let o = ours::redirect(inputs::REDIRECT, input.state())
        .expect("ours accepts the redirect")
        .into_code();
    let csrf = oauth2::CsrfToken::new(inputs::STATE.into());
    let a = anchor::redirect(inputs::REDIRECT, &csrf, inputs::ISSUER).expect("idiom accepts");
    let mut code = [0u8; 256];
    let b = bound::redirect(inputs::REDIRECT, inputs::STATE, inputs::ISSUER, &mut code)
        .expect("bound accepts");
    assert_eq!(o.secret(), "SplxlOBeZQQYbYS6WxSbIA+v2");
    assert_eq!(o.secret(), a.secret(), "redirect: url idiom");
    assert_eq!(o.secret(), b, "redirect: bound");

    // Token response.
    let o = ours::token(&ours::TokenInput::new()).expect("ours parses the token response");
    let a = anchor::token(inputs::TOKEN).expect("oauth2 parses the token response");
    let b = bound::token(inputs::TOKEN).expect("serde parses the token response");
    let expires_in = o
        .expires_at()
        .map(|t| t.unix_seconds() - Timestamp::from_unix_seconds(inputs::NOW).unix_seconds());
    let o_sum = (
        o.access_token().secret().to_owned(),
        expires_in,
        o.refresh_token().map(|r| r.secret().to_owned()),
        o.scope().to_string(),
    );
    let a_sum = {
        use oauth2::TokenResponse as _;
        (
            a.access_token().secret().clone(),
            a.expires_in().map(|d| d.as_secs()),
            a.refresh_token().map(|r| r.secret().clone()),
            a.scopes()
                .map(|s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" "))
                .unwrap_or_default(),
        )
    };
    let b_sum = (
        b.access_token,
        b.expires_in,
        b.refresh_token,
        b.scope.unwrap_or_default(),
    );
    assert_eq!(o_sum, a_sum, "token: oauth2");
    assert_eq!(o_sum, b_sum, "token: bound");

    // The cold flow.
    let now = Timestamp::from_unix_seconds(inputs::NOW);
    let flow = ours::flow();
    let o = (
        flow.issuer().map(str::to_owned),
        flow.access_token(now).map(|t| t.secret().to_owned()),
        flow.granted_scopes().map(ToString::to_string),
    );
    let (issuer, tokens) = anchor::flow().expect("the anchor flow completes");
    let a = {
        use oauth2::TokenResponse as _;
        (
            Some(issuer),
            Some(tokens.access_token().secret().clone()),
            tokens
                .scopes()
                .map(|s| s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")),
        )
    };
    let mut browser = String::with_capacity(256);
    let (issuer, tokens) = bound::flow(&mut browser).expect("the bound flow completes");
    let b = (Some(issuer), Some(tokens.access_token), tokens.scope);
    assert_eq!(o.0.as_deref(), Some(world::ISSUER));
    assert_eq!(o, a, "flow: oauth2 + openidconnect");
    assert_eq!(o, b, "flow: bound");
}
