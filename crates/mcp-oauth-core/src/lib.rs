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
//! | Which URLs may be contacted | [`urls`] | MCP security best practices |
//! | Secrets that never print | [`secret`] | |
//!
//! # Features
//!
//! - `std` (off by default): `From<std::time::SystemTime> for Timestamp` and `std` in
//!   dependencies. Everything else works without it; the crate is built for
//!   `thumbv7em-none-eabihf` in CI.
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
mod entropy;
pub mod flow;
pub mod http;
pub mod metadata;
pub mod pkce;
pub mod redirect;
pub mod registration;
pub mod scope;
pub mod secret;
pub mod state;
mod time;
pub mod token;
pub mod urls;

pub use entropy::Entropy;
pub use scope::Scopes;
pub use time::Timestamp;
