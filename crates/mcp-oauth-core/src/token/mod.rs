//! Token endpoint requests and responses: RFC 6749 §2.3.1, §4.1.3, §4.4, §5.1, §5.2 and §6,
//! RFC 7636 §4.5 (PKCE verifier), RFC 8707 (`resource`), the RFC 7523 §2.1 JWT bearer grant
//! ([`TokenRequest::jwt_bearer`]) and RFC 8693 token exchange ([`TokenExchangeRequest`],
//! [`parse_token_exchange_response`]).
//!
//! # Requests
//!
//! [`TokenRequest`] builds the `POST` for the three grants an MCP client uses: the code exchange,
//! a refresh, and client credentials (the MCP client-credentials extension). Every request
//! carries `resource`, sent as the exact string given (checklist T-10, Q-6), and exactly one
//! client authentication ([`ClientAuth`], T-8): `none` (client id in the body), `client_secret_basic`
//! (form-urlencoded id and secret, then base64, [`basic_auth_header`]), `client_secret_post`, or
//! `private_key_jwt` (a signed client assertion, see [below](#private_key_jwt)).
//! [`select_client_auth_method`] picks the method from the registration and the server metadata
//! (T-4, M-6). The endpoint is checked against a [`UrlPolicy`](crate::urls::UrlPolicy) before
//! any credential is put into a request (T-3).
//!
//! ```
//! use mcp_oauth_core::secret::AuthorizationCode;
//! use mcp_oauth_core::token::{ClientAuth, TokenRequest};
//! use mcp_oauth_core::urls::UrlPolicy;
//!
//! let request = TokenRequest::authorization_code(
//!     AuthorizationCode::new("code-from-redirect".into()),
//!     "http://127.0.0.1:33418/callback",
//!     "the-pkce-verifier-of-this-flow-0123456789abcdef",
//!     "https://mcp.example.com",
//! )
//! .build(
//!     "https://auth.example.com/token",
//!     &ClientAuth::None { client_id: "my-client".into() },
//!     UrlPolicy::https_only(),
//! )
//! .unwrap();
//! assert_eq!(request.header("content-type"), Some("application/x-www-form-urlencoded"));
//! assert_eq!(request.header("accept"), Some("application/json"));
//! let body = String::from_utf8(request.body.clone()).unwrap();
//! assert!(body.starts_with("grant_type=authorization_code&code=code-from-redirect&"));
//! assert!(body.contains("&resource=https%3A%2F%2Fmcp.example.com&client_id=my-client"));
//!
//! // Plain http is refused unless the policy allows it for loopback hosts.
//! let refused = TokenRequest::client_credentials("https://mcp.example.com", &Default::default())
//!     .build(
//!         "http://auth.example.com/token",
//!         &ClientAuth::None { client_id: "my-client".into() },
//!         UrlPolicy::https_only().allow_loopback_http(),
//!     );
//! assert!(refused.is_err());
//! ```
//!
//! # Responses
//!
//! [`parse_token_response`] turns the [`HttpResponse`](crate::http::HttpResponse) into a
//! [`TokenSet`] (access token, type, absolute expiry, optional refresh token, granted scope) or a
//! [`TokenResponseError`]. [`parse_refresh_response`] does the same for a refresh and keeps the
//! old refresh token and scope when the server sends none (F-3, F-9). No error value holds the
//! body or a token; the server's `error_description` is kept as explicitly untrusted text.
//!
//! ```
//! use mcp_oauth_core::http::HttpResponse;
//! use mcp_oauth_core::token::{TokenErrorCode, TokenResponseError, parse_token_response};
//! use mcp_oauth_core::{Scopes, Timestamp};
//!
//! let now = Timestamp::from_unix_seconds(1_700_000_000);
//! let requested = Scopes::parse("mcp:read");
//! let json = |status, body: &str| {
//!     HttpResponse::new(
//!         status,
//!         vec![("Content-Type".into(), b"application/json; charset=utf-8".to_vec())],
//!         body.as_bytes().to_vec(),
//!     )
//! };
//!
//! let ok = json(200, r#"{"access_token":"at","token_type":"bearer","expires_in":"3600"}"#);
//! let tokens = parse_token_response(&ok, now, &requested).unwrap();
//! assert_eq!(tokens.access_token().secret(), "at");
//! assert_eq!(tokens.expires_at().unwrap().unix_seconds(), 1_700_003_600);
//! assert_eq!(tokens.scope(), &requested); // no `scope` member: as requested
//! assert!(tokens.refresh_token().is_none());
//! assert_eq!(format!("{tokens:?}").contains("\"at\""), false);
//!
//! let err = json(400, r#"{"error":"invalid_target","error_description":"bad resource"}"#);
//! match parse_token_response(&err, now, &requested) {
//!     Err(TokenResponseError::Server(e)) => {
//!         assert_eq!(e.code(), &TokenErrorCode::InvalidTarget);
//!         assert_eq!(e.description(), Some("bad resource"));
//!     }
//!     other => panic!("{other:?}"),
//! }
//! ```
//!
//! # Decisions on real-world responses
//!
//! The test corpus (`tests/corpus/token/`) holds responses from real providers. What this module
//! does with their quirks, and why:
//!
//! - **`expires_in` as a string** (Azure, form bodies): accepted when it is a non-negative
//!   integer. Negative, non-numeric or otherwise unusable values count as absent, so the token
//!   has no known expiry and a 401 tells when it ends; huge values (Keycloak's absolute epoch)
//!   saturate instead of overflowing.
//! - **`scope` as a JSON array** (Twitch): accepted, each string one token.
//! - **Comma-separated `scope`** (GitHub `repo,gist`, Slack): kept as RFC 6749 §3.3 reads it,
//!   one token. A comma is a valid scope character, and real scopes contain commas (Docker's
//!   `repository:x:pull,push`), so splitting on it would corrupt them.
//! - **Present but empty `scope`** (Docker, GitHub Apps): authoritative, an empty grant.
//! - **`token_type` in any case** (`bearer`): accepted (RFC 6749 §5.1 says case-insensitive).
//! - **Missing `token_type`** (Twitch Kraken, Salesforce docs, Docker registry):
//!   [`TokenResponseError::MissingTokenType`]. RFC 6749 §5.1 requires it, checklist V-1 makes it
//!   an error, and guessing `Bearer` could misuse a token bound to another scheme.
//! - **Other token types** (Slack `bot`, `mac`, `N_A`): [`TokenResponseError::UnsupportedTokenType`].
//! - **Form-encoded bodies** (`application/x-www-form-urlencoded`, GitHub's default): parsed with
//!   the same rules as JSON. It is the same data, and we always send `Accept: application/json`
//!   anyway. All values are strings there, which the lenient `expires_in` handles.
//! - **HTTP 200 with `error`** (GitHub, Slack): the typed server error (V-7). An `error` member
//!   wins even next to an `access_token`: a token in an error response is not used.
//! - **HTML or other bodies** (Google 2013, proxies' 502 pages):
//!   [`TokenResponseError::UnexpectedContentType`] with status and media type, never the body.
//! - **Invalid JSON** (Entra docs' trailing comma, cut-off fragments):
//!   [`TokenResponseError::InvalidJson`] with status and position only: serde's own messages can
//!   quote body text, so they are dropped.
//! - **A missing `Content-Type`**: the body is tried as JSON.
//! - **`id_token`** and every other unknown member (V-5): ignored and not stored. MCP
//!   authorization is plain OAuth; keeping an ID token would only retain personal data and a
//!   credential nobody here verifies.
//! - **A member given twice**: [`TokenResponseError::DuplicateMember`], rather than guessing
//!   which one the server meant.
//!
//! # `private_key_jwt`
//!
//! The assertion is a JWT the client signs for one token request:
//!
//! | Member | Value | Why |
//! |---|---|---|
//! | header `typ` | `client-authentication+jwt` | explicit typing (RFC 7523bis §4, RFC 8725 §3.11) |
//! | header `kid` | the configured key id, if any | lets a server with several registered keys pick one |
//! | `iss`, `sub` | the `client_id` | RFC 7523 §3 items 1 and 2 |
//! | `aud` | the authorization server's **issuer identifier**, one string ([`AssertionAudience`]) | RFC 7523bis §4; the value the MCP conformance suite checks |
//! | `exp` | `iat` + [`CLIENT_ASSERTION_LIFETIME`] (60 s) | RFC 7523 §3 item 4: short-lived |
//! | `iat` | the current time | RFC 7523 §3 item 6 |
//! | `jti` | 256 random bits, base64url | RFC 7523 §3 item 7: lets the server refuse replays |
//!
//! RFC 7523 allowed the token endpoint URL as audience too; RFC 7523bis (`draft-ietf-oauth-rfc7523bis`, approved for publication) replaced
//! that with the issuer identifier only, because an audience of "any of the server's URLs" let
//! one server replay an assertion it received at another (the audience-injection attack). The
//! issuer is also the one value that is right at every endpoint of the server (token, device
//! authorization, revocation), so one rule serves them all. For a server that still insists on
//! its token endpoint URL, [`AssertionAudience::TokenEndpoint`] is available (checklist T-9).
//!
//! With the `jose` feature, [`ClientAuth::private_key_jwt`] signs the assertion with a
//! [`SigningKey`](crate::jose::SigningKey) (`ES256`, or `RS256` with `jose-rsa`; the flow takes
//! a [`ClientAssertionKey`]), and
//! [`accepts_private_key_jwt`] tells whether the server metadata allows it. Without the feature
//! (or with a key in an HSM), sign the JWT elsewhere by these rules and pass it as
//! [`ClientAuth::PrivateKeyJwt`] with a [`ClientAssertion`](crate::secret::ClientAssertion).
//! The body then carries `client_id`, `client_assertion_type` ([`CLIENT_ASSERTION_TYPE`]) and
//! `client_assertion`, for every grant.
//!
//! # Secrets
//!
//! The request body and the `Authorization` header value are redacted in `Debug` and wiped on
//! drop (see [`crate::http`]); the buffer holding the body is sized up front so it is never
//! reallocated with a credential inside. Tokens parsed from a response move straight into
//! [`AccessToken`](crate::secret::AccessToken) / [`RefreshToken`](crate::secret::RefreshToken);
//! token strings the parser drops are wiped. Copies inside `serde_json`'s scratch buffer (strings
//! with escapes) cannot be reached.

mod assertion;
mod exchange;
mod request;
mod response;

pub use assertion::{
    AssertionAudience, CLIENT_ASSERTION_JWT_TYPE, CLIENT_ASSERTION_LIFETIME, CLIENT_ASSERTION_TYPE,
};
#[cfg(feature = "jose")]
pub use assertion::{ClientAssertionKey, accepts_private_key_jwt};
pub use exchange::{
    GRANT_TYPE_JWT_BEARER, GRANT_TYPE_TOKEN_EXCHANGE, IssuedToken, TOKEN_TYPE_ACCESS_TOKEN,
    TOKEN_TYPE_ID_JAG, TOKEN_TYPE_ID_TOKEN, TOKEN_TYPE_JWT, TOKEN_TYPE_SAML2, TokenExchangeError,
    TokenExchangeRequest, parse_token_exchange_response,
};
pub use request::{
    ClientAuth, ClientAuthError, ClientAuthMethod, TokenRequest, TokenRequestError,
    basic_auth_header, select_client_auth_method,
};
pub use response::{
    TokenErrorCode, TokenErrorResponse, TokenResponseError, TokenSet, TokenType,
    parse_refresh_response, parse_token_response,
};
pub(crate) use response::{parse_refresh_typed, parse_typed};
