//! The sans-IO, `no_std` core of **mcp-oauth**: everything a Model Context Protocol client needs to
//! get from an HTTP 401 to a usable, correctly scoped OAuth access token, without doing any IO.
//!
//! # What sans-IO means here
//!
//! This crate never opens a socket, reads a clock, draws a random number, touches a file or reads
//! the environment. Instead:
//!
//! - **HTTP goes out and comes back as values.** Builders return an [`http::HttpRequest`] for you
//!   to send; you hand the [`http::HttpResponse`] back to a parser.
//! - **Time comes in as a value**: a [`Timestamp`] argument wherever time matters (token expiry).
//! - **Randomness comes in as a value**: an [`Entropy`] (32 bytes from your CSPRNG) wherever
//!   something must be unpredictable (the PKCE verifier, `state`).
//!
//! The same code therefore runs under tokio, in a blocking CLI, on a microcontroller or in a
//! deterministic test. The `mcp-oauth-reqwest` and `mcp-oauth-ureq` crates are ready-made drivers.
//!
//! # The pieces
//!
//! | Step | Module | Specification |
//! |---|---|---|
//! | Read the `WWW-Authenticate` challenge of a 401/403 | [`challenge`] | RFC 9110 §11, RFC 6750 §3, RFC 9728 §5 |
//! | Fetch and validate Protected Resource Metadata | [`metadata::resource`] | RFC 9728 |
//! | Fetch and validate authorization server metadata | [`metadata::server`] | RFC 8414, OpenID Connect Discovery |
//! | Identify the client (pre-registered, CIMD or DCR) | [`registration`] | RFC 7591, Client ID Metadata Documents |
//! | PKCE verifier and S256 challenge | [`pkce`] | RFC 7636 |
//! | `state` | [`state`] | RFC 6749 §10.12 |
//! | Authorization URL | [`authorize`] | RFC 6749 §4.1.1, RFC 8707 |
//! | Parse the redirect back | [`redirect`] | RFC 6749 §4.1.2, RFC 9207 |
//! | Token requests and responses | [`token`] | RFC 6749 §4.1.3, §5, §6 |
//! | Device authorization grant (headless) | [`device`] | RFC 8628 |
//! | Token revocation (logout) | [`revocation`] | RFC 7009 |
//! | Which URLs may be contacted | [`urls`] | MCP security best practices |
//! | Secrets that never print | [`secret`] | |
//!
//! # A walk through the pieces
//!
//! Every step of the authorization-code flow, with the HTTP exchanges written out as canned
//! values. (The flow state machine strings these steps together for you; this shows what each
//! piece does on its own.)
//!
//! ```
//! use mcp_oauth_core::authorize::AuthorizationRequest;
//! use mcp_oauth_core::challenge;
//! use mcp_oauth_core::http::HttpResponse;
//! use mcp_oauth_core::metadata::resource::{self, ProtectedResourceMetadata, ResourceMatch};
//! use mcp_oauth_core::metadata::server::{self, AuthorizationServerMetadata, IssuerSource, PkceRequirement};
//! use mcp_oauth_core::pkce::PkcePair;
//! use mcp_oauth_core::redirect::{AuthorizationResponse, ExpectedResponse};
//! use mcp_oauth_core::state::StateToken;
//! use mcp_oauth_core::token::{parse_token_response, ClientAuth, ClientAuthMethod, TokenRequest};
//! use mcp_oauth_core::urls::UrlPolicy;
//! use mcp_oauth_core::{Entropy, Timestamp};
//!
//! let mcp_url = "https://mcp.example.com/mcp";
//! let policy = UrlPolicy::https_only();
//! let json = |status: u16, body: &str| {
//!     HttpResponse::new(status, vec![("content-type".into(), b"application/json".to_vec())], body.into())
//! };
//!
//! // 1. The MCP server answered 401: read its challenge (RFC 9110 §11, RFC 9728 §5.1).
//! let header = r#"Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource/mcp", scope="files:read""#;
//! let oauth = challenge::parse(header).oauth();
//! let prm_url = oauth.resource_metadata().single().expect("one resource_metadata");
//! assert_eq!(prm_url.as_str(), Some("https://mcp.example.com/.well-known/oauth-protected-resource/mcp"));
//! let scopes = oauth.scope().single().expect("one scope").to_scopes();
//! // Without `resource_metadata`, the well-known candidates are probed in order (RFC 9728 §3.1).
//! assert_eq!(resource::well_known_urls(mcp_url)?.len(), 2);
//!
//! // 2. Protected Resource Metadata: `resource` must name this server (RFC 9728 §3.3).
//! let prm = ProtectedResourceMetadata::from_response(&json(200, r#"{
//!     "resource": "https://mcp.example.com/mcp",
//!     "authorization_servers": ["https://auth.example.com"]
//! }"#))?
//! .validate(mcp_url, ResourceMatch::exact(), &policy)?;
//! let issuer = prm.authorization_servers()[0].as_str();
//!
//! // 3. Authorization server metadata: probe in order, check the issuer echo (RFC 8414 §3.3),
//! //    the endpoints and PKCE S256 support.
//! let first = server::discovery_urls(issuer)?.first().url().to_owned();
//! assert_eq!(first, "https://auth.example.com/.well-known/oauth-authorization-server");
//! let asm = AuthorizationServerMetadata::from_response(&json(200, r#"{
//!     "issuer": "https://auth.example.com",
//!     "authorization_endpoint": "https://auth.example.com/authorize",
//!     "token_endpoint": "https://auth.example.com/token",
//!     "response_types_supported": ["code"],
//!     "code_challenge_methods_supported": ["S256"],
//!     "authorization_response_iss_parameter_supported": true
//! }"#))?;
//! asm.validate_issuer(issuer, IssuerSource::Listed)?;
//! let endpoints = asm.code_flow(&policy, PkceRequirement::S256)?;
//!
//! // 4. PKCE and state from caller entropy (RFC 7636), then the authorization URL (RFC 8707
//! //    `resource` exactly as the PRM published it).
//! let pkce = PkcePair::from_entropy(Entropy::new([7; 32]));
//! let state = StateToken::from_entropy(Entropy::new([9; 32]));
//! let redirect_uri = "http://127.0.0.1:8123/callback";
//! let url = AuthorizationRequest::new(
//!     endpoints.authorization_endpoint().as_str(), "my-client", redirect_uri, pkce.challenge(), &state,
//! )
//! .resource(prm.resource())
//! .scopes(&scopes)
//! .to_url()?;
//! assert!(url.starts_with("https://auth.example.com/authorize?response_type=code&client_id=my-client"));
//!
//! // 5. The browser comes back: check state and the RFC 9207 `iss` before touching the code.
//! let redirect = format!(
//!     "{redirect_uri}?code=SplxlOBeZQQYbYS6WxSbIA&state={}&iss=https%3A%2F%2Fauth.example.com",
//!     state.as_str()
//! );
//! let expected = ExpectedResponse::new(&state, Some(asm.issuer()), true);
//! let code = AuthorizationResponse::parse(&redirect)?.into_code(&expected)?;
//!
//! // 6. Redeem the code (RFC 6749 §4.1.3) and read the answer with the current time.
//! let auth = ClientAuth::new(ClientAuthMethod::None, "my-client".into(), None)?;
//! let request = TokenRequest::authorization_code(code, redirect_uri, pkce.verifier().secret(), prm.resource())
//!     .build(endpoints.token_endpoint().as_str(), &auth, policy)?;
//! assert_eq!(request.header("content-type"), Some("application/x-www-form-urlencoded"));
//! let now = Timestamp::from_unix_seconds(1_700_000_000);
//! let tokens = parse_token_response(
//!     &json(200, r#"{"access_token":"2YotnFZFEjr1zCsicMWpAA","token_type":"Bearer","expires_in":3600}"#),
//!     now,
//!     &scopes,
//! )?;
//! assert_eq!(tokens.expires_at(), Some(Timestamp::from_unix_seconds(1_700_003_600)));
//! assert_eq!(tokens.scope().to_string(), "files:read"); // absent scope = as requested (RFC 6749 §5.1)
//! assert_eq!(format!("{:?}", tokens.access_token()), "AccessToken([redacted])");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Features
//!
//! - `std` (off by default): `From<std::time::SystemTime> for Timestamp` and `std` in
//!   dependencies. Everything else works without it; the crate is built for
//!   `thumbv7em-none-eabihf` in CI.
//! - `jose` (off by default): the [`jose`] module, `ES256` signing with RustCrypto `p256`
//!   (RFC 7515, RFC 7518 §3.4, RFC 7638 thumbprints) for `private_key_jwt` client authentication
//!   (RFC 7523 §2.2). `no_std`.
//! - `jose-rsa` (off by default): `jose` plus `RS256` (RFC 7518 §3.3) with RustCrypto `rsa`.
//!   `no_std` + `alloc`.
//! - `dpop` (off by default): `jose` plus the `dpop` module and `flow::FlowConfig::dpop`:
//!   DPoP proofs, server nonces and DPoP-bound tokens (RFC 9449). `no_std`.
//!
//! # Panics
//!
//! No input from the network or the caller makes this crate panic. Malformed input is a typed
//! error.

#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(
    clippy::std_instead_of_core,
    clippy::alloc_instead_of_core,
    clippy::std_instead_of_alloc
)]

extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;

pub mod authorize;
pub mod challenge;
pub mod device;
#[cfg(feature = "dpop")]
#[cfg_attr(docsrs, doc(cfg(feature = "dpop")))]
pub mod dpop;
mod entropy;
mod fixed;
pub mod flow;
mod form;
pub mod http;
#[cfg(feature = "jose")]
#[cfg_attr(docsrs, doc(cfg(feature = "jose")))]
pub mod jose;
pub mod metadata;
pub mod pkce;
pub mod redirect;
pub mod registration;
pub mod revocation;
pub mod scope;
pub mod secret;
pub mod state;
mod time;
pub mod token;
mod untrusted;
pub mod urls;

pub use entropy::Entropy;
pub use scope::Scopes;
pub use secret::{AccessToken, AuthorizationCode, ClientSecret, RefreshToken};
pub use time::Timestamp;
