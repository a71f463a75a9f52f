//! The operations `benches/ops.rs` times, three ways each:
//!
//! - [`ours`]: `mcp-oauth-core`, the way a client uses it (zero-allocation entry points where
//!   the crate has them);
//! - [`anchor`]: the same operation with `oauth2` 5.x / `openidconnect` 4.x, or the idiom their
//!   documentation shows where the library has no such operation;
//! - [`bound`]: a minimal hand-written lower bound (borrowed parsing, stack buffers, or a
//!   `serde_json` derive into an owned struct of the same fields).
//!
//! [`check::all`] runs every implementation once and asserts that they agree (through the
//! `Summary` types in [`check`]) before anything is timed.
//!
//! [`e2e`] drives both adapters (`mcp-oauth-reqwest`, `mcp-oauth-ureq`) against the
//! `mcp-oauth-fixtures` loopback servers: request counts, and the authorized client against the
//! plain HTTP client for one authenticated `POST`.

pub mod anchor;
pub mod bound;
pub mod check;
pub mod e2e;
pub mod inputs;
pub mod ours;
