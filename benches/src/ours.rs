//! `mcp-oauth-core`, used as a client would.

use mcp_oauth_core::authorize::{AuthorizationRequest, AuthorizeError};
use mcp_oauth_core::challenge;
use mcp_oauth_core::flow::{AuthFlow, ClientConfig, Event, FlowConfig, PreRegisteredClient};
use mcp_oauth_core::http::HttpResponse;
use mcp_oauth_core::metadata::resource::{ProtectedResourceMetadata, ResourceMetadataError};
use mcp_oauth_core::metadata::server::{AuthorizationServerMetadata, ServerMetadataError};
use mcp_oauth_core::pkce::PkcePair;
use mcp_oauth_core::redirect::{
    AuthorizationResponse, ExpectedResponse, RedirectError, VerifiedCode,
};
use mcp_oauth_core::state::StateToken;
use mcp_oauth_core::token::{TokenResponseError, TokenSet, parse_token_response};
use mcp_oauth_core::{Entropy, Scopes, Timestamp};

use crate::inputs::{self, world};

/// The `resource_metadata` URL of a `WWW-Authenticate` header (full RFC 9110 parse, borrowed).
#[must_use]
pub fn challenge(header: &str) -> Option<&str> {
    challenge::parse(header)
        .oauth()
        .resource_metadata()
        .single()
        .and_then(|v| v.as_str())
}

/// Protected Resource Metadata from a JSON body.
///
/// # Errors
///
/// As [`ProtectedResourceMetadata::from_json`].
pub fn prm(body: &[u8]) -> Result<ProtectedResourceMetadata, ResourceMetadataError> {
    ProtectedResourceMetadata::from_json(body)
}

/// Authorization server metadata from a JSON body.
///
/// # Errors
///
/// As [`AuthorizationServerMetadata::from_json`].
pub fn as_metadata(body: &[u8]) -> Result<AuthorizationServerMetadata, ServerMetadataError> {
    AuthorizationServerMetadata::from_json(body)
}

/// The PKCE pair for fixed entropy.
#[must_use]
pub fn pkce(entropy: &[u8; 32]) -> PkcePair {
    PkcePair::from_entropy(Entropy::new(*entropy))
}

/// What the authorization URL is built from (prepared once, outside the timed loop).
#[derive(Debug)]
pub struct AuthorizeInput {
    pkce: PkcePair,
    state: StateToken,
    scopes: Scopes,
}

impl AuthorizeInput {
    /// From [`inputs`].
    #[must_use]
    pub fn new() -> Self {
        Self {
            pkce: pkce(&inputs::PKCE_ENTROPY),
            state: StateToken::from_entropy(Entropy::new(inputs::STATE_ENTROPY)),
            scopes: Scopes::parse(inputs::SCOPES),
        }
    }

    /// The `state` value.
    #[must_use]
    pub fn state(&self) -> &StateToken {
        &self.state
    }
}

impl Default for AuthorizeInput {
    fn default() -> Self {
        Self::new()
    }
}

/// The authorization URL, written into `buf`.
///
/// # Errors
///
/// As [`AuthorizationRequest::write_to_slice`].
pub fn authorize_url<'b>(
    input: &AuthorizeInput,
    buf: &'b mut [u8],
) -> Result<&'b str, AuthorizeError> {
    AuthorizationRequest::new(
        inputs::AUTHORIZATION_ENDPOINT,
        inputs::CLIENT_ID,
        inputs::REDIRECT_URI,
        input.pkce.challenge(),
        &input.state,
    )
    .scopes(&input.scopes)
    .resource(inputs::RESOURCE)
    .write_to_slice(buf)
}

/// Parse the redirect and verify `state` and `iss` (RFC 9207), up to the borrowed code.
///
/// # Errors
///
/// As [`AuthorizationResponse::verify`].
pub fn redirect<'a>(
    redirect: &'a str,
    state: &StateToken,
) -> Result<VerifiedCode<'a>, RedirectError> {
    let expected = ExpectedResponse::new(state, Some(inputs::ISSUER), true);
    AuthorizationResponse::parse(redirect)?.verify(&expected)
}

/// What the token response is parsed with (prepared once).
#[derive(Debug)]
pub struct TokenInput {
    /// The response, as a driver hands it over.
    pub response: HttpResponse,
    /// The requested scopes.
    pub requested: Scopes,
}

impl TokenInput {
    /// From [`inputs::TOKEN`].
    #[must_use]
    pub fn new() -> Self {
        Self {
            response: json(200, inputs::TOKEN),
            requested: Scopes::parse(inputs::SCOPES),
        }
    }
}

impl Default for TokenInput {
    fn default() -> Self {
        Self::new()
    }
}

/// The token response.
///
/// # Errors
///
/// As [`parse_token_response`].
pub fn token(input: &TokenInput) -> Result<TokenSet, TokenResponseError> {
    parse_token_response(
        &input.response,
        Timestamp::from_unix_seconds(inputs::NOW),
        &input.requested,
    )
}

/// A JSON response.
#[must_use]
pub fn json(status: u16, body: &[u8]) -> HttpResponse {
    HttpResponse::new(
        status,
        vec![("content-type".into(), b"application/json".to_vec())],
        body.to_vec(),
    )
}

/// A whole cold flow through [`AuthFlow`]: 401 → PRM → AS metadata → authorization URL →
/// redirect → code exchange, against [`world`]. Returns the settled flow.
///
/// # Panics
///
/// When the flow does not reach `Authorized` (a bench bug, caught by [`crate::check::all`]).
#[must_use]
pub fn flow() -> AuthFlow {
    let config = FlowConfig::new(
        world::MCP_URL,
        ClientConfig::authorization_code("Bench", world::REDIRECT_URI),
    )
    .pre_registered(PreRegisteredClient::new(world::ISSUER, world::CLIENT_ID));
    let mut flow = AuthFlow::new(config, Entropy::new(world::SEED));
    let now = Timestamp::from_unix_seconds(inputs::NOW);
    let challenge = HttpResponse::new(
        401,
        vec![(
            "www-authenticate".into(),
            world::CHALLENGE.as_bytes().to_vec(),
        )],
        Vec::new(),
    );
    let mut browser = String::with_capacity(256);
    flow.handle_challenge(now, &challenge)
        .expect("a valid configuration");
    loop {
        if let Some((id, request)) = flow.poll_request() {
            let (status, body) = world::serve(&request.url);
            flow.handle_response(now, id, json(status, body));
            continue;
        }
        match flow.poll_event() {
            Some(Event::OpenAuthorizationUrl { url, .. }) => {
                let redirect = world::redirect_for(&url, &mut browser);
                flow.handle_redirect(now, redirect)
                    .expect("the redirect matches");
            }
            Some(Event::Failed(e)) => panic!("bench flow failed: {e}\n{}", e.report()),
            Some(_) => {}
            None => break,
        }
    }
    flow
}
