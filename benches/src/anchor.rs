//! The anchors: the same operations with `oauth2` 5.x and `openidconnect` 4.x.
//!
//! Where neither library has the operation (WWW-Authenticate, RFC 9728 PRM, parsing the
//! redirect), there is no anchor; the cold flow fills those steps with the [`crate::bound`]
//! code, as a client built on these libraries must write them itself, and the redirect uses the
//! idiom of oauth2's own examples (`url::Url::query_pairs`).

use std::convert::Infallible;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauth2::basic::{BasicClient, BasicTokenResponse};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenUrl,
};
use openidconnect::IssuerUrl;
use openidconnect::core::CoreProviderMetadata;

use crate::bound;
use crate::inputs::{self, world};

/// A client with the authorization and token endpoints set.
pub type Client =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// `openidconnect`'s provider metadata from a JSON body (what `discover` deserializes into).
///
/// # Errors
///
/// When the document is not OpenID provider metadata (for example a plain RFC 8414 document
/// without `jwks_uri`).
pub fn as_metadata(body: &[u8]) -> Result<CoreProviderMetadata, serde_json::Error> {
    serde_json::from_slice(body)
}

/// The PKCE pair for fixed entropy, as `PkceCodeChallenge::new_random_sha256` builds it after
/// drawing its random bytes.
#[must_use]
pub fn pkce(entropy: &[u8; 32]) -> (PkceCodeChallenge, PkceCodeVerifier) {
    let verifier = PkceCodeVerifier::new(URL_SAFE_NO_PAD.encode(entropy));
    (
        PkceCodeChallenge::from_code_verifier_sha256(&verifier),
        verifier,
    )
}

/// What the authorization URL is built from (prepared once, outside the timed loop).
#[derive(Debug)]
pub struct AuthorizeInput {
    /// The configured client.
    pub client: Client,
    /// The PKCE challenge (cloned per URL: `set_pkce_challenge` takes it by value).
    pub challenge: PkceCodeChallenge,
    /// The scopes.
    pub scopes: Vec<Scope>,
}

impl AuthorizeInput {
    /// From [`inputs`].
    ///
    /// # Panics
    ///
    /// Never: the inputs are valid URLs.
    #[must_use]
    pub fn new() -> Self {
        let client = BasicClient::new(ClientId::new(inputs::CLIENT_ID.into()))
            .set_auth_uri(AuthUrl::new(inputs::AUTHORIZATION_ENDPOINT.into()).expect("valid"))
            .set_token_uri(TokenUrl::new("https://mcp.linear.app/token".into()).expect("valid"))
            .set_redirect_uri(RedirectUrl::new(inputs::REDIRECT_URI.into()).expect("valid"));
        Self {
            client,
            challenge: pkce(&inputs::PKCE_ENTROPY).0,
            scopes: inputs::SCOPES
                .split(' ')
                .map(|s| Scope::new(s.into()))
                .collect(),
        }
    }
}

impl Default for AuthorizeInput {
    fn default() -> Self {
        Self::new()
    }
}

/// The authorization URL.
#[must_use]
pub fn authorize_url(input: &AuthorizeInput) -> url::Url {
    input
        .client
        .authorize_url(|| CsrfToken::new(inputs::STATE.into()))
        .add_scopes(input.scopes.iter().cloned())
        .set_pkce_challenge(input.challenge.clone())
        .add_extra_param("resource", inputs::RESOURCE)
        .url()
        .0
}

/// Why the redirect was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectRefused {
    /// Not a URL.
    Url,
    /// No code.
    NoCode,
    /// `state` differs.
    State,
    /// `iss` differs.
    Issuer,
}

/// The redirect as oauth2's examples parse it: `Url::parse`, then `query_pairs`, comparing
/// `state` with the `CsrfToken` (plus the RFC 9207 `iss` check the examples leave out).
///
/// # Errors
///
/// [`RedirectRefused`].
pub fn redirect(
    redirect: &str,
    state: &CsrfToken,
    issuer: &str,
) -> Result<AuthorizationCode, RedirectRefused> {
    let url = url::Url::parse(redirect).map_err(|_| RedirectRefused::Url)?;
    let (mut code, mut got_state, mut iss) = (None, None, None);
    for (k, v) in url.query_pairs() {
        match &*k {
            "code" => code = Some(v),
            "state" => got_state = Some(v),
            "iss" => iss = Some(v),
            _ => {}
        }
    }
    if got_state.as_deref() != Some(state.secret().as_str()) {
        return Err(RedirectRefused::State);
    }
    if iss.as_deref() != Some(issuer) {
        return Err(RedirectRefused::Issuer);
    }
    code.map(|c| AuthorizationCode::new(c.into_owned()))
        .ok_or(RedirectRefused::NoCode)
}

/// The token response, deserialized as oauth2 does it after checking the status.
///
/// # Errors
///
/// When the body is not a token response.
pub fn token(body: &[u8]) -> Result<BasicTokenResponse, serde_json::Error> {
    serde_json::from_slice(body)
}

/// The canned world as an oauth2 `SyncHttpClient`.
fn http_client(request: oauth2::HttpRequest) -> Result<oauth2::HttpResponse, Infallible> {
    let (status, body) = world::serve(&request.uri().to_string());
    let mut response = oauth2::HttpResponse::new(body.to_vec());
    *response.status_mut() = oauth2::http::StatusCode::from_u16(status)
        .unwrap_or(oauth2::http::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        oauth2::http::header::CONTENT_TYPE,
        oauth2::http::HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

/// Why the anchor flow stopped.
#[derive(Debug)]
pub enum FlowFailed {
    /// A step failed; the text says which.
    Step(&'static str),
}

/// The same cold flow as [`crate::ours::flow`], written on oauth2 + openidconnect: the
/// challenge and PRM steps (which neither library has) use [`bound`]; AS metadata as
/// `CoreProviderMetadata::discover` reads it (without its JWKS fetch); `authorize_url` with PKCE and `resource`; the redirect
/// via [`redirect`]; `exchange_code` through a canned `SyncHttpClient`.
///
/// # Errors
///
/// [`FlowFailed`] naming the step.
pub fn flow() -> Result<(String, BasicTokenResponse), FlowFailed> {
    let prm_url = bound::challenge(world::CHALLENGE).ok_or(FlowFailed::Step("challenge"))?;
    let (_, body) = world::serve(prm_url);
    let prm = bound::prm(body).map_err(|_| FlowFailed::Step("prm"))?;
    if prm.resource != world::MCP_URL {
        return Err(FlowFailed::Step("prm resource"));
    }
    let issuer = prm
        .authorization_servers
        .first()
        .ok_or(FlowFailed::Step("prm servers"))?;
    // `CoreProviderMetadata::discover` would also fetch the JWKS, which this flow (and ours)
    // never needs: fetch and deserialize the document the same way, without that request.
    let issuer = IssuerUrl::new(issuer.clone()).map_err(|_| FlowFailed::Step("issuer"))?;
    let request = oauth2::http::Request::get(world::OIDC_URL)
        .body(Vec::new())
        .map_err(|_| FlowFailed::Step("request"))?;
    let Ok(response) = http_client(request);
    if response.status() != oauth2::http::StatusCode::OK {
        return Err(FlowFailed::Step("discovery status"));
    }
    let metadata = as_metadata(response.body()).map_err(|_| FlowFailed::Step("discover"))?;
    if metadata.issuer() != &issuer {
        return Err(FlowFailed::Step("issuer mismatch"));
    }
    let token_url = metadata
        .token_endpoint()
        .ok_or(FlowFailed::Step("token endpoint"))?;
    let client = BasicClient::new(ClientId::new(world::CLIENT_ID.into()))
        .set_auth_uri(AuthUrl::from_url(
            metadata.authorization_endpoint().url().clone(),
        ))
        .set_token_uri(TokenUrl::from_url(token_url.url().clone()))
        .set_redirect_uri(
            RedirectUrl::new(world::REDIRECT_URI.into()).map_err(|_| FlowFailed::Step("uri"))?,
        );
    let (challenge, verifier) = pkce(&world::SEED);
    let csrf = CsrfToken::new(URL_SAFE_NO_PAD.encode(inputs::STATE_ENTROPY));
    let scopes = prm.scopes_supported.unwrap_or_default();
    let (url, csrf) = client
        .authorize_url(|| csrf)
        .add_scopes(scopes.into_iter().map(Scope::new))
        .set_pkce_challenge(challenge)
        .add_extra_param("resource", prm.resource.as_str())
        .url();
    let mut browser = String::with_capacity(256);
    let back = world::redirect_for(url.as_str(), &mut browser);
    let code = redirect(back, &csrf, issuer.as_str()).map_err(|_| FlowFailed::Step("redirect"))?;
    let tokens = client
        .exchange_code(code)
        .set_pkce_verifier(verifier)
        .add_extra_param("resource", prm.resource.as_str())
        .request(&http_client)
        .map_err(|_| FlowFailed::Step("exchange"))?;
    Ok((issuer.as_str().to_owned(), tokens))
}
