//! The std parts every `mcp-oauth` adapter shares, with no HTTP client and no async runtime.
//!
//! [`mcp-oauth-core`](mcp_oauth_core) is sans-IO: it never reads a clock, draws randomness,
//! touches a file or opens a socket. An adapter (`mcp-oauth-reqwest`, `mcp-oauth-ureq`) drives
//! its [`AuthFlow`](mcp_oauth_core::flow::AuthFlow) with an HTTP client; this crate holds
//! everything else the adapters need, so that they differ only in how they speak HTTP:
//!
//! | Module | What |
//! |---|---|
//! | [`clock`] | wall-clock `Timestamp`s and OS-CSPRNG `Entropy` |
//! | [`store`] | [`TokenStore`], [`MemoryStore`], [`FileStore`] (0600, atomic replace, lock) |
//! | [`loopback`] | the RFC 8252 loopback redirect listener (127.0.0.1, one request, `state`/`iss` checked) |
//! | [`interaction`] | the pluggable interactive step: browser, headless (stdin), callback; device-code prompts (RFC 8628) |
//! | [`follow`] | the pure parts of a non-interactive redirect follower (Location, cookies, "reached?") |
//! | [`http`] | transport rules: body cap, timeouts, same-origin redirects, loggable URLs |
//! | [`trace`] | the `tracing` span and field names the adapters use |
//!
//! Nothing here makes an OAuth decision; the core does.
//!
//! The `driver` feature adds a hidden module with the non-IO half of the adapters'
//! `AuthorizedClient` (builder options and setters, the drain loop's decisions): an
//! implementation detail of `mcp-oauth-reqwest` and `mcp-oauth-ureq`, with no stability promise.
//!
//! # Example
//!
//! A warm-start building block: a store entry survives a process restart.
//!
//! ```
//! use mcp_oauth_batteries::store::{FileStore, StoreKey, TokenStore};
//!
//! let dir = std::env::temp_dir().join(format!("mcp-oauth-doc-{}", std::process::id()));
//! let store = FileStore::new(dir.join("tokens.json"));
//! let key = StoreKey::new("https://mcp.example.com/mcp", "My Client");
//! assert!(store.load(&key)?.is_none()); // nothing stored yet: a cold start
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok::<(), mcp_oauth_batteries::store::StoreError>(())
//! ```

#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod clock;
#[cfg(feature = "driver")]
#[doc(hidden)]
pub mod driver;
pub mod follow;
pub mod http;
pub mod interaction;
pub mod loopback;
pub mod retry;
mod secret;
pub mod store;
pub mod trace;

pub use clock::{Clock, SystemClock, entropy, now};
pub use interaction::{AuthorizationPrompt, DevicePrompt, Interaction, InteractionError};
pub use store::{FileStore, MemoryStore, StoreError, StoreKey, StoredEntry, TokenStore};
