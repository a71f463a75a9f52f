//! The `tracing` conventions of the adapters, so that logs from `mcp-oauth-reqwest` and
//! `mcp-oauth-ureq` read the same.
//!
//! Spans (all at `INFO`, target = the adapter crate):
//!
//! | Span | Fields | Around |
//! |---|---|---|
//! | [`SPAN_SEND`] | `method`, `url` | one MCP request, retries included |
//! | [`SPAN_FLOW`] | `trigger` ([`TRIGGER_CHALLENGE`], [`TRIGGER_STEP_UP`], [`TRIGGER_RENEWAL`], [`TRIGGER_START`]) | one drive of the flow until it settles |
//! | [`SPAN_OAUTH_REQUEST`] | `method`, `url`, `status` (the purpose is in the flow report) | one request the flow asked for |
//! | [`SPAN_INTERACTION`] | `issuer`, `redirect_uri` | the interactive step |
//! | [`SPAN_STORE`] | `op` | a store load, save or lock |
//!
//! Rules: URLs are logged through [`loggable_url`](crate::http::loggable_url) (no query: a
//! redirect URL's query holds the code); no header value, no body, no token, code, verifier or
//! client secret is ever a field; core types are logged by their redacted `Debug`.

/// One MCP request through the authorized client.
pub const SPAN_SEND: &str = "mcp_oauth.send";
/// One drive of the flow.
pub const SPAN_FLOW: &str = "mcp_oauth.flow";
/// One HTTP request the flow asked for.
pub const SPAN_OAUTH_REQUEST: &str = "mcp_oauth.oauth_request";
/// The interactive authorization step.
pub const SPAN_INTERACTION: &str = "mcp_oauth.interaction";
/// A token store operation.
pub const SPAN_STORE: &str = "mcp_oauth.store";

/// `trigger` value: a 401 from the MCP server.
pub const TRIGGER_CHALLENGE: &str = "challenge";
/// `trigger` value: a 403 `insufficient_scope`.
pub const TRIGGER_STEP_UP: &str = "step_up";
/// `trigger` value: the token is near expiry.
pub const TRIGGER_RENEWAL: &str = "renewal";
/// `trigger` value: an explicit "authorize now".
pub const TRIGGER_START: &str = "start";
