//! `mcp-oauth-conformance`: a minimal MCP Streamable HTTP client authorized by
//! [`mcp_oauth_reqwest::AuthorizedClient`], for the official MCP conformance suite
//! (`@modelcontextprotocol/conformance`, run by `cargo xtask conformance`) and for real servers.
//!
//! ```text
//! mcp-oauth-conformance [ignored …] <MCP server URL>
//! ```
//!
//! The server URL is the **last** argument (the suite appends it to the command). The rest of
//! the contract comes from the environment:
//!
//! - `MCP_CONFORMANCE_SCENARIO`: the suite's scenario name. When set, the flow is configured like
//!   the offline replay in `crates/mcp-oauth-core/tests/flow_conformance.rs`: TypeScript-SDK
//!   path-prefix `resource` match, loopback http allowed, the suite's Client ID Metadata
//!   Document URL `https://conformance-test.local/client-metadata.json`, legacy (2025-03-26)
//!   fallback on; `auth/client-credentials-*` use the client credentials grant;
//!   `auth/wif-jwt-bearer` uses workload identity federation (SEP-1933) with the context's
//!   `valid_jwt`; `auth/enterprise-managed-authorization` and
//!   `auth/cross-app-access-complete-flow` use enterprise-managed authorization (SEP-990) with
//!   the context's `idp_token_endpoint`, `idp_client_id` and `idp_id_token`. These modes declare
//!   their extension (`io.modelcontextprotocol/auth/wif`,
//!   `io.modelcontextprotocol/enterprise-managed-authorization`) in the client capabilities.
//!   `auth/dpop*` turn on DPoP (RFC 9449, the `io.modelcontextprotocol/auth/dpop` extension)
//!   with a fresh ES256 key. `MCP_DPOP=1` turns DPoP on for any server.
//! - `MCP_CONFORMANCE_CONTEXT`: JSON with pre-registered credentials (`client_id`,
//!   `client_secret`, or `private_key_pem` (PKCS#8) with `signing_algorithm` for
//!   `private_key_jwt`), used as a pre-registered client (or the client credentials client, or
//!   the client at the authorization server in the two JWT bearer modes).
//! - `MCP_CONFORMANCE_PROTOCOL_VERSION`: the MCP protocol version to request (default
//!   `2025-11-25`).
//! - `MCP_CALL_TOOL`: the tool to call with `{}` arguments (default: the first listed tool).
//! - `MCP_SOAK_SECONDS=N`: keep calling the tool for N seconds (so that refresh happens on real
//!   servers).
//! - `RUST_LOG`: `tracing` filter for the library's spans (default `warn`).
//!
//! The sequence is `initialize` → `notifications/initialized` → (a `GET` for the server's
//! event stream; 404/405 tolerated) → `tools/list` → `tools/call`. Every request carries
//! `Accept: application/json, text/event-stream` and `MCP-Protocol-Version`; responses may be
//! JSON or SSE-framed. For a protocol version after `2025-11-25` (the stateless wire of
//! SEP-2575, draft `2026-07-28`) there is no `initialize`: the sequence is `server/discover` →
//! `tools/list` → `tools/call`, each request carrying `_meta` (`protocolVersion`, `clientInfo`,
//! `clientCapabilities`) and the `Mcp-Method` / `Mcp-Name` headers. Authorization is the adapter's: a 401 runs discovery, registration and
//! the authorization request, whose redirects the non-interactive [`RedirectFollower`] follows
//! (the suite's authorization servers approve automatically).
//!
//! It prints each step and, at the end, the flow's report (every discovery request and
//! decision); neither contains a token, code, verifier or secret. The exit status is 0 only
//! when the last MCP call succeeded (a JSON-RPC result; a tool's own `isError` result is
//! reported but counts as a completed call, since the arguments are always `{}`).

use std::process::ExitCode;
use std::time::{Duration, Instant};

use mcp_oauth_core::flow::{FlowConfig, IdpConfig, PreRegisteredClient};
use mcp_oauth_core::jose::SigningKey;
use mcp_oauth_core::metadata::resource::ResourceMatch;
use mcp_oauth_core::secret::{Assertion, ClientSecret, SubjectToken};
use mcp_oauth_core::token::ClientAuth;
use mcp_oauth_core::urls::UrlPolicy;
use mcp_oauth_reqwest::{AuthorizedClient, RedirectFollower};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderValue};
use serde_json::{Value, json};

/// The suite's fixed Client ID Metadata Document URL (conformance gotcha G7).
const CIMD_URL: &str = "https://conformance-test.local/client-metadata.json";
/// The protocol version requested when the suite does not name one.
const DEFAULT_PROTOCOL_VERSION: &str = "2025-11-25";
const CLIENT_NAME: &str = "mcp-oauth conformance client";
const ACCEPT_BOTH: &str = "application/json, text/event-stream";
/// Protocol versions with the `initialize` handshake; later ones use the stateless wire.
const STATEFUL_VERSIONS: [&str; 4] = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];
/// Pause between two calls in soak mode.
const SOAK_INTERVAL: Duration = Duration::from_secs(5);
/// Cap on an MCP response body (JSON or the SSE stream up to our response).
const MAX_BODY: usize = 4 * 1024 * 1024;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => {
            println!("result: the last call succeeded");
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("result: FAILED: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What the environment asks for.
struct Settings {
    url: String,
    scenario: Option<String>,
    context: Value,
    protocol_version: String,
    tool: Option<String>,
    soak: Option<Duration>,
}

impl Settings {
    fn from_env() -> Result<Self, String> {
        let url = std::env::args().skip(1).last().ok_or(
            "usage: mcp-oauth-conformance <MCP server URL> (the URL is the last argument)",
        )?;
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let context = match var("MCP_CONFORMANCE_CONTEXT") {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| format!("MCP_CONFORMANCE_CONTEXT is not JSON: {e}"))?,
            None => Value::Null,
        };
        let soak = match var("MCP_SOAK_SECONDS") {
            Some(s) => Some(Duration::from_secs(s.parse().map_err(|_| {
                format!("MCP_SOAK_SECONDS must be a number of seconds, not `{s}`")
            })?)),
            None => None,
        };
        Ok(Self {
            url,
            scenario: var("MCP_CONFORMANCE_SCENARIO"),
            context,
            protocol_version: var("MCP_CONFORMANCE_PROTOCOL_VERSION")
                .unwrap_or_else(|| DEFAULT_PROTOCOL_VERSION.to_owned()),
            tool: var("MCP_CALL_TOOL"),
            soak,
        })
    }

    fn context_text(&self, key: &str) -> Option<String> {
        self.context.get(key)?.as_str().map(str::to_owned)
    }

    /// The context's credentials as an (unbound) pre-registered client: the suite names no
    /// issuer, and its one authorization server is the one the resource lists. A
    /// `private_key_pem` makes it a `private_key_jwt` client (RFC 7523 §2.2).
    fn context_client(&self) -> Result<Option<PreRegisteredClient>, String> {
        let Some(id) = self.context_text("client_id") else {
            return Ok(None);
        };
        let mut client = PreRegisteredClient::unbound(id);
        if let Some(secret) = self.context_text("client_secret") {
            client = client.with_secret(ClientSecret::new(secret));
        }
        if let Some(pem) = self.context_text("private_key_pem") {
            let key = SigningKey::from_pkcs8_pem(&pem)
                .map_err(|e| format!("MCP_CONFORMANCE_CONTEXT private_key_pem: {e}"))?;
            if let Some(alg) = self.context_text("signing_algorithm")
                && alg != key.algorithm().name()
            {
                return Err(format!(
                    "MCP_CONFORMANCE_CONTEXT signing_algorithm `{alg}` does not match the {} key",
                    key.algorithm().name()
                ));
            }
            println!(
                "client: private_key_jwt with an {} key from the context",
                key.algorithm().name()
            );
            client = client.with_private_key(key);
        }
        Ok(Some(client))
    }

    /// DPoP (RFC 9449): the `auth/dpop*` scenarios, or `MCP_DPOP=1`.
    fn wants_dpop(&self) -> bool {
        self.scenario
            .as_deref()
            .is_some_and(|s| s.starts_with("auth/dpop"))
            || std::env::var("MCP_DPOP").is_ok_and(|v| v == "1")
    }

    fn is_client_credentials(&self) -> bool {
        self.scenario
            .as_deref()
            .is_some_and(|s| s.starts_with("auth/client-credentials"))
    }

    /// The JWT bearer mode the scenario asks for, if any.
    fn assertion_mode(&self) -> Option<AssertionMode> {
        match self.scenario.as_deref()? {
            "auth/wif-jwt-bearer" => Some(AssertionMode::Workload),
            "auth/enterprise-managed-authorization" | "auth/cross-app-access-complete-flow" => {
                Some(AssertionMode::Enterprise)
            }
            _ => None,
        }
    }

    /// The extension the client declares in its capabilities (`capabilities.extensions`).
    fn extension(&self) -> Option<&'static str> {
        Some(match self.assertion_mode()? {
            AssertionMode::Workload => "io.modelcontextprotocol/auth/wif",
            AssertionMode::Enterprise => "io.modelcontextprotocol/enterprise-managed-authorization",
        })
    }

    /// The client capabilities sent in `initialize` (or `_meta` on the stateless wire).
    fn capabilities(&self) -> Value {
        match self.extension() {
            Some(ext) => json!({"extensions": {ext: {}}}),
            None => json!({}),
        }
    }
}

/// The two JWT bearer modes (RFC 7523 §2.1).
#[derive(Clone, Copy)]
enum AssertionMode {
    /// Workload identity federation (SEP-1933).
    Workload,
    /// Enterprise-managed authorization (SEP-990): token exchange at the IdP first.
    Enterprise,
}

async fn run() -> Result<(), String> {
    let settings = Settings::from_env()?;
    println!("server: {}", settings.url);
    println!(
        "scenario: {}",
        settings
            .scenario
            .as_deref()
            .unwrap_or("(none: any MCP server)")
    );
    println!("protocol version: {}", settings.protocol_version);
    let client = build_client(&settings)?;
    let mut mcp = Mcp::new(client.clone(), &settings);
    let outcome = mcp.session(&settings).await;
    println!(
        "\n== flow report ==\n{}\n== end of flow report ==",
        client.report().await
    );
    outcome
}

fn build_client(settings: &Settings) -> Result<AuthorizedClient, String> {
    let follower = RedirectFollower::new().map_err(|e| format!("HTTP client: {e}"))?;
    let mut builder = AuthorizedClient::builder(settings.url.clone())
        .client_name(CLIENT_NAME)
        .follow_redirects(follower);
    let scenario_mode = settings.scenario.is_some();
    if settings.wants_dpop() {
        println!("client: DPoP (RFC 9449) with a fresh ES256 key");
        builder = builder.dpop();
    }
    let mut pre_registered = settings.context_client()?;
    if let Some(mode) = settings.assertion_mode() {
        let client = pre_registered
            .take()
            .ok_or("a jwt-bearer scenario needs `client_id` in MCP_CONFORMANCE_CONTEXT")?;
        let text = |key: &str| {
            settings
                .context_text(key)
                .ok_or_else(|| format!("MCP_CONFORMANCE_CONTEXT has no `{key}`"))
        };
        match mode {
            AssertionMode::Workload => {
                let jwt = text("valid_jwt")?;
                println!("client: workload identity (jwt-bearer grant), the context's valid_jwt");
                builder = builder
                    .workload_identity(client, move |_issuer| Some(Assertion::new(jwt.clone())));
            }
            AssertionMode::Enterprise => {
                let idp = IdpConfig::new(
                    text("idp_token_endpoint")?,
                    ClientAuth::None {
                        client_id: text("idp_client_id")?,
                    },
                    SubjectToken::new(text("idp_id_token")?),
                );
                println!("client: enterprise-managed (token exchange at the IdP, then jwt-bearer)");
                builder = builder.enterprise(client, idp);
            }
        }
    } else if settings.is_client_credentials() {
        let client = pre_registered
            .take()
            .ok_or("a client credentials scenario needs `client_id` in MCP_CONFORMANCE_CONTEXT")?;
        println!("client: client credentials grant, pre-registered client from the context");
        builder = builder.client_credentials(client);
    } else if pre_registered.is_some() {
        println!("client: authorization code, pre-registered client from the context");
    } else if scenario_mode {
        println!("client: authorization code, CIMD `{CIMD_URL}` or dynamic registration");
    } else {
        println!("client: authorization code, dynamic registration");
    }
    let protocol_version = settings.protocol_version.clone();
    let configure = move |config: FlowConfig| -> FlowConfig {
        let mut config = config
            .resource_match(ResourceMatch::typescript_sdk())
            .legacy_fallback(true)
            .protocol_version(&protocol_version);
        if scenario_mode {
            // The suite's servers are plain http on `localhost`; its CIMD URL is fixed.
            config = config
                .url_policy(UrlPolicy::https_only().allow_loopback_http())
                .client_id_metadata_document(CIMD_URL);
        }
        match &pre_registered {
            Some(client) => config.pre_registered(client.clone()),
            None => config,
        }
    };
    builder
        .configure(configure)
        .build()
        .map_err(|e| format!("could not build the client: {e}"))
}

/// Why a call did not succeed.
type Failure = String;

/// A minimal MCP Streamable HTTP session over the authorized client.
struct Mcp {
    client: AuthorizedClient,
    protocol_version: String,
    session_id: Option<HeaderValue>,
    next_id: u64,
    /// The SEP-2575 stateless wire (no `initialize`, `_meta` on every request).
    stateless: bool,
    /// The client capabilities (`_meta` on the stateless wire).
    capabilities: Value,
}

impl Mcp {
    fn new(client: AuthorizedClient, settings: &Settings) -> Self {
        Self {
            client,
            protocol_version: settings.protocol_version.clone(),
            session_id: None,
            next_id: 1,
            stateless: !STATEFUL_VERSIONS.contains(&settings.protocol_version.as_str()),
            capabilities: settings.capabilities(),
        }
    }

    /// The whole sequence; `Ok` when the last call succeeded.
    async fn session(&mut self, settings: &Settings) -> Result<(), Failure> {
        if self.stateless {
            let found = self.call("server/discover", json!({})).await?;
            if let Some(v) = found.get("supportedVersions") {
                println!("   supported versions {v}");
            }
        } else {
            self.handshake(settings).await?;
        }
        let tools = self.call("tools/list", json!({})).await?;
        let names: Vec<&str> = tools
            .get("tools")
            .and_then(Value::as_array)
            .map(|t| t.iter().filter_map(|t| t.get("name")?.as_str()).collect())
            .unwrap_or_default();
        println!("   tools: {names:?}");
        let Some(tool) = settings
            .tool
            .clone()
            .or_else(|| names.first().map(|n| (*n).to_owned()))
        else {
            println!("   no tool to call; tools/list was the last call");
            return Ok(());
        };
        self.call_tool(&tool).await?;
        if let Some(soak) = settings.soak {
            let start = Instant::now();
            let mut n = 1_u32;
            while start.elapsed() < soak {
                let left = soak.saturating_sub(start.elapsed());
                tokio::time::sleep(SOAK_INTERVAL.min(left)).await;
                n = n.saturating_add(1);
                println!("soak: call {n} at {:.0}s", start.elapsed().as_secs_f64());
                self.call_tool(&tool).await?;
            }
        }
        Ok(())
    }

    /// `initialize`, `notifications/initialized` and the optional event stream.
    async fn handshake(&mut self, settings: &Settings) -> Result<(), Failure> {
        let init = self
            .call(
                "initialize",
                json!({
                    "protocolVersion": settings.protocol_version,
                    "capabilities": settings.capabilities(),
                    "clientInfo": {"name": CLIENT_NAME, "version": env!("CARGO_PKG_VERSION")},
                }),
            )
            .await?;
        if let Some(v) = init.get("protocolVersion").and_then(Value::as_str) {
            println!("   negotiated protocol version {v}");
            self.protocol_version = v.to_owned();
        }
        self.notify("notifications/initialized").await?;
        self.open_stream().await?;
        Ok(())
    }

    async fn call_tool(&mut self, tool: &str) -> Result<(), Failure> {
        let result = self
            .call("tools/call", json!({"name": tool, "arguments": {}}))
            .await?;
        if result.get("isError").and_then(Value::as_bool) == Some(true) {
            println!("   the tool reported isError: true (the call itself completed)");
        }
        Ok(())
    }

    /// A JSON-RPC POST. On the stateless wire `params._meta` gets the protocol version and the
    /// client's description, and `Mcp-Method` / `Mcp-Name` mirror the message (SEP-2575).
    fn post(
        &self,
        method: &str,
        id: Option<u64>,
        params: Value,
    ) -> Result<reqwest::Request, Failure> {
        let mut params = params;
        let name = params
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if self.stateless
            && let Some(object) = params.as_object_mut()
        {
            object.insert(
                "_meta".into(),
                json!({
                    "io.modelcontextprotocol/protocolVersion": self.protocol_version,
                    "io.modelcontextprotocol/clientInfo":
                        {"name": CLIENT_NAME, "version": env!("CARGO_PKG_VERSION")},
                    "io.modelcontextprotocol/clientCapabilities": self.capabilities,
                }),
            );
        }
        let mut message = json!({"jsonrpc": "2.0", "method": method, "params": params});
        if let (Some(id), Some(object)) = (id, message.as_object_mut()) {
            object.insert("id".into(), json!(id));
        }
        let mut request = self
            .client
            .request(reqwest::Method::POST, self.client.mcp_url())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, ACCEPT_BOTH)
            .header("mcp-protocol-version", self.protocol_version.as_str())
            .body(serde_json::to_vec(&message).map_err(|e| e.to_string())?);
        if self.stateless {
            request = request.header("mcp-method", method);
            if let Some(name) = name.filter(|_| method == "tools/call") {
                request = request.header("mcp-name", name);
            }
        }
        if let Some(id) = &self.session_id {
            request = request.header("mcp-session-id", id.clone());
        }
        request.build().map_err(|e| format!("invalid request: {e}"))
    }

    async fn send(
        &mut self,
        label: &str,
        request: reqwest::Request,
    ) -> Result<reqwest::Response, Failure> {
        println!("-> {label}");
        let response = self
            .client
            .send(request)
            .await
            .map_err(|e| format!("{label}: {e}"))?;
        let kind = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
            .to_owned();
        println!("<- {} {kind}", response.status().as_u16());
        if let Some(id) = response.headers().get("mcp-session-id") {
            self.session_id = Some(id.clone());
        }
        Ok(response)
    }

    /// A JSON-RPC request; the `result` on success.
    async fn call(&mut self, method: &str, params: Value) -> Result<Value, Failure> {
        let id = self.next_id;
        self.next_id = self.next_id.saturating_add(1);
        let request = self.post(method, Some(id), params)?;
        let response = self.send(method, request).await?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("{method}: HTTP {}", status.as_u16()));
        }
        let message = read_response(response, id)
            .await
            .map_err(|e| format!("{method}: {e}"))?;
        if let Some(error) = message.get("error") {
            return Err(format!("{method}: JSON-RPC error {error}"));
        }
        message
            .get("result")
            .cloned()
            .ok_or_else(|| format!("{method}: a response with neither result nor error"))
    }

    /// A JSON-RPC notification: 202 (or any 2xx) expected.
    async fn notify(&mut self, method: &str) -> Result<(), Failure> {
        let request = self.post(method, None, json!({}))?;
        let response = self.send(method, request).await?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("{method}: HTTP {}", response.status().as_u16()))
        }
    }

    /// The optional `GET` for server-initiated messages. 404 and 405 mean "no stream", which is
    /// fine; a stream that opens is closed again (this client handles no server requests).
    async fn open_stream(&mut self) -> Result<(), Failure> {
        let mut request = self
            .client
            .request(reqwest::Method::GET, self.client.mcp_url())
            .header(ACCEPT, "text/event-stream")
            .header("mcp-protocol-version", self.protocol_version.as_str());
        if let Some(id) = &self.session_id {
            request = request.header("mcp-session-id", id.clone());
        }
        let request = request
            .build()
            .map_err(|e| format!("invalid request: {e}"))?;
        let response = self.send("GET (server event stream)", request).await?;
        match response.status().as_u16() {
            200..=299 => println!("   a stream opened; closing it"),
            404 | 405 => println!("   no stream (tolerated)"),
            other => println!("   GET answered {other} (ignored)"),
        }
        Ok(())
    }
}

/// The JSON-RPC response with `id` from a JSON body or an SSE stream (read only up to it).
async fn read_response(mut response: reqwest::Response, id: u64) -> Result<Value, String> {
    let sse = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().starts_with("text/event-stream"));
    let mut buffer: Vec<u8> = Vec::new();
    let mut events = SseEvents::default();
    loop {
        let chunk = response
            .chunk()
            .await
            .map_err(|e| format!("reading: {e}"))?;
        let Some(chunk) = chunk else { break };
        if buffer.len().saturating_add(chunk.len()) > MAX_BODY {
            return Err("the response is too large".into());
        }
        if sse {
            for data in events.push(&chunk) {
                if let Some(found) = matching(&data, id) {
                    println!("   (SSE-framed)");
                    return Ok(found);
                }
            }
        } else {
            buffer.extend_from_slice(&chunk);
        }
    }
    if sse {
        for data in events.finish() {
            if let Some(found) = matching(&data, id) {
                return Ok(found);
            }
        }
        return Err("the event stream ended without the response".into());
    }
    let value: Value =
        serde_json::from_slice(&buffer).map_err(|e| format!("the body is not JSON: {e}"))?;
    match value {
        Value::Array(batch) => batch
            .into_iter()
            .find(|m| m.get("id") == Some(&json!(id)))
            .ok_or_else(|| "no response with our id in the batch".into()),
        single => Ok(single),
    }
}

/// The message in an SSE `data` payload that answers `id` (server requests and notifications
/// are skipped).
fn matching(data: &str, id: u64) -> Option<Value> {
    let value: Value = serde_json::from_str(data).ok()?;
    let answers = |m: &Value| {
        m.get("id") == Some(&json!(id)) && (m.get("result").is_some() || m.get("error").is_some())
    };
    match value {
        Value::Array(batch) => batch.into_iter().find(answers),
        single => answers(&single).then_some(single),
    }
}

/// An incremental `text/event-stream` parser that yields each event's `data` (WHATWG HTML
/// §9.2.6: lines end in CRLF, LF or CR; `data:` lines are joined with LF; a blank line ends the
/// event).
#[derive(Default)]
struct SseEvents {
    line: Vec<u8>,
    data: Vec<String>,
    last_was_cr: bool,
}

impl SseEvents {
    fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        for &b in bytes {
            if self.last_was_cr && b == b'\n' {
                self.last_was_cr = false;
                continue;
            }
            self.last_was_cr = b == b'\r';
            if b == b'\n' || b == b'\r' {
                self.end_line(&mut out);
            } else {
                self.line.push(b);
            }
        }
        out
    }

    fn finish(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.line.is_empty() {
            self.end_line(&mut out);
        }
        self.end_line(&mut out);
        out
    }

    fn end_line(&mut self, out: &mut Vec<String>) {
        let line = String::from_utf8_lossy(&core::mem::take(&mut self.line)).into_owned();
        if line.is_empty() {
            if !self.data.is_empty() {
                out.push(core::mem::take(&mut self.data).join("\n"));
            }
        } else if let Some(rest) = line.strip_prefix("data") {
            if rest.is_empty() {
                self.data.push(String::new());
            } else if let Some(value) = rest.strip_prefix(':') {
                self.data
                    .push(value.strip_prefix(' ').unwrap_or(value).to_owned());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_events_split_across_chunks_and_line_endings() {
        let mut p = SseEvents::default();
        let mut got = p.push(b"event: message\r\ndata: {\"a\":");
        got.extend(p.push(b"1}\r\n\r"));
        got.extend(p.push(b"\ndata:x\ndata: y\n\n: comment\n\ndata: z"));
        got.extend(p.finish());
        assert_eq!(got, vec!["{\"a\":1}", "x\ny", "z"]);
    }

    #[test]
    fn only_the_response_to_our_id_matches() {
        assert!(matching(r#"{"jsonrpc":"2.0","method":"notifications/progress"}"#, 1).is_none());
        assert!(matching(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#, 1).is_none());
        assert!(matching(r#"{"jsonrpc":"2.0","id":2,"result":{}}"#, 1).is_none());
        assert!(matching(r#"{"jsonrpc":"2.0","id":1,"result":{}}"#, 1).is_some());
        assert!(matching(r#"[{"jsonrpc":"2.0","id":1,"error":{}}]"#, 1).is_some());
        assert!(matching("not json", 1).is_none());
    }
}
