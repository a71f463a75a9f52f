//! A blocking MCP client with OAuth handled, on ureq.
//!
//! [`AuthorizedClient`] sends requests to an MCP server and takes care of the MCP
//! Authorization spec by driving [`mcp-oauth-core`](mcp_oauth_core)'s sans-IO
//! [`AuthFlow`](mcp_oauth_core::flow::AuthFlow). It makes no OAuth decision itself: it performs
//! the flow's requests, supplies the clock and the entropy, runs the interactive step, stores
//! the state, and feeds the results back. It is the blocking twin of `mcp-oauth-reqwest`
//! (same builder, same behaviour, same tests), for programs without an async runtime.
//!
//! - **401** → the flow runs (refresh, or discovery + registration + authorization), then the
//!   request is retried once. **403 `insufficient_scope`** → step-up, then one retry.
//! - **Ahead of expiry** the token is refreshed before the request is sent.
//! - **Single flight**: one flow per client behind a `std::sync::Mutex`; N threads that find
//!   the token expired cause one refresh, the others wait on the lock and use its result.
//! - **Persistence**: every `StateChanged` is written to the [`TokenStore`] before the new token
//!   is used (F-4); a store failure is an error. A warm start restores from the store without a
//!   single discovery request. The store's lock and a re-read before each drive keep two
//!   processes from spending the same refresh token.
//! - **The interactive step**: [`Interaction::Browser`] (default: system browser + loopback
//!   listener), [`Interaction::Headless`] (paste the URL), [`Interaction::Callback`], or the
//!   non-interactive [`RedirectFollower`]. A machine-to-machine client uses the client
//!   credentials grant instead, with no interactive step at all
//!   ([`AuthorizedClientBuilder::client_credentials`]), workload identity federation
//!   ([`AuthorizedClientBuilder::workload_identity`]) or enterprise-managed authorization
//!   ([`AuthorizedClientBuilder::enterprise`]).
//! - **Transport**: OAuth `POST`s never follow redirects, metadata `GET`s follow only
//!   same-origin redirects (at most 5); OAuth bodies are capped at 1 MiB; connect and total
//!   timeouts; rustls with ureq's default `ring` provider and the platform verifier. MCP
//!   requests follow only same-origin redirects (at most 5); the `Authorization` header never
//!   goes to another origin ([`Error::ForeignOrigin`]).
//! - **Observability**: `tracing` spans per the
//!   [batteries conventions](mcp_oauth_batteries::trace); no token, code, verifier or secret is
//!   ever logged. ureq itself logs through the `log` crate: at `DEBUG` it redacts paths,
//!   queries and credential headers, but at **`TRACE` it prints full URLs and `Location`
//!   headers, and an authorization server's redirect `Location` carries the authorization
//!   code**, and its protocol crate (target `ureq_proto`) hex-dumps every byte on the wire,
//!   token request and response bodies included. A library cannot filter another crate's log
//!   records: keep the `ureq` and `ureq_proto` targets at `DEBUG` or below in production
//!   (`docs/security.md`).
//!
//! # Blocking
//!
//! Every method blocks the calling thread. While one thread drives the flow (which may include
//! the interactive step, bounded by
//! [`authorization_timeout`](AuthorizedClientBuilder::authorization_timeout)), other threads
//! using the same client wait on the flow lock until it settles (that is the single flight),
//! then send with its result. MCP responses ([`Response`]) are returned with their
//! body unread and uncapped (they may be event streams); every OAuth response body is capped.
//!
//! # Example
//!
//! Against the in-repo fixture servers (loopback, automatic consent):
//!
//! ```
//! use mcp_oauth_fixtures::{FixtureConfig, Fixtures};
//! use mcp_oauth_ureq::{AuthorizedClient, RedirectFollower};
//!
//! let fixtures = Fixtures::start_blocking(FixtureConfig::default())?;
//! let client = AuthorizedClient::builder(fixtures.mcp_url())
//!     .client_name("Doc example")
//!     .follow_redirects(RedirectFollower::new()) // the browser, for a test server
//!     .build()?;
//! let mut response = client.post_json(&serde_json::json!({
//!     "jsonrpc": "2.0", "id": 1, "method": "tools/call",
//!     "params": {"name": "echo", "arguments": {"text": "hi"}}
//! }))?;
//! assert_eq!(response.status(), 200); // 401 → discovery, registration, authorization, retry
//! let text = response.body_mut().read_to_string()?;
//! assert!(text.contains(r#"\"text\":\"hi\""#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! With a file store and the browser (the default interaction):
//!
//! ```no_run
//! use mcp_oauth_ureq::{AuthorizedClient, FileStore};
//!
//! let client = AuthorizedClient::builder("https://mcp.example.com/mcp")
//!     .client_name("My MCP client")
//!     .store(FileStore::new("/home/me/.config/my-client/tokens.json"))
//!     .build()?;
//! let response =
//!     client.post_json(&serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}))?;
//! # Ok::<(), mcp_oauth_ureq::Error>(())
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

mod client;
mod transport;

pub use client::{AuthorizedClient, AuthorizedClientBuilder, Response};
pub use mcp_oauth_batteries::clock::{Clock, OffsetClock, SystemClock};
pub use mcp_oauth_batteries::http::Limits;
pub use mcp_oauth_batteries::{
    AuthorizationPrompt, DevicePrompt, FileStore, Interaction, InteractionError, MemoryStore,
    StoreError, StoreKey, StoredEntry, TokenStore,
};
pub use transport::RedirectFollower;
/// The ureq this crate is built on: its `http` types ([`ureq::http::Request`],
/// [`ureq::http::Method`]) and [`ureq::Body`] appear in this crate's API.
pub use ureq;

use mcp_oauth_core::flow::{FlowError, TransportError};

/// What went wrong. Holds no token, code, verifier, secret or response body.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The authorization flow failed (the error carries the flow's report).
    #[error("authorization failed: {0}")]
    Flow(FlowError),
    /// The MCP server could not be reached.
    #[error("MCP request failed: {0}")]
    Transport(TransportError),
    /// The token store failed (nothing was lost: the stored state is unchanged).
    #[error(transparent)]
    Store(StoreError),
    /// The interactive step failed.
    #[error(transparent)]
    Interaction(InteractionError),
    /// The operating system's random number generator failed.
    #[error(transparent)]
    Entropy(mcp_oauth_batteries::clock::EntropyError),
    /// The DPoP key could not be made (see [`mcp_oauth_core::dpop::DpopError`]).
    #[error(transparent)]
    Dpop(mcp_oauth_core::dpop::DpopError),
    /// The MCP URL does not parse.
    #[error("invalid MCP server URL")]
    InvalidUrl,
    /// The request is not on the MCP server's origin: the token is not sent there.
    #[error("the request URL is not on the MCP server's origin")]
    ForeignOrigin,
    /// The request could not be built.
    #[error("invalid request")]
    InvalidRequest,
    /// The flow stopped without a token and without an error (a bug; reported, not hidden).
    #[error("the authorization flow stopped without a result")]
    Stalled,
    /// A workload identity grant was due and the assertion provider returned no JWT
    /// ([`AuthorizedClientBuilder::workload_identity`](crate::AuthorizedClientBuilder::workload_identity)).
    #[error("the assertion provider returned no workload token")]
    NoAssertion,
}
