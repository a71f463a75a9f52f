//! An in-memory, deterministic re-implementation of the servers behind the official MCP
//! conformance suite's **client auth scenarios** (`@modelcontextprotocol/conformance` 0.1.16
//! and 0.2.0-alpha.12): the mock authorization servers, the mock MCP resource server with its
//! protected resource metadata, their traps, and the checks they record.
//!
//! Use it from a test binary with
//! `#[path = "conformance_world/mod.rs"] mod conformance_world;`.
//!
//! One [`World`] is one scenario run. Virtual origins: the MCP server (RS) at
//! `http://localhost:3000`, the AS at `http://localhost:3001`, a second AS (migration) at
//! `http://localhost:3002`, the enterprise IdP (SEP-990) at `http://localhost:3003`; the two
//! 2025-03-26 scenarios put everything on the RS origin. The JWTs of the workload identity and
//! enterprise scenarios are fixed stand-in strings, verified by equality (the world checks the
//! client's wire behaviour, not JWT signatures).
//!
//! Drive it like the suite's runner drives a client:
//! - every HTTP request the client makes goes to [`World::handle`] (PRM, AS metadata,
//!   registration, token, and also `POST /mcp` when the client speaks raw HTTP);
//! - MCP traffic can instead go through [`World::mcp`] with an [`McpCall`] and the bearer;
//! - the browser step is [`World::authorize`]: it returns the `Location` the mock AS redirects
//!   to (`redirect_uri?code=test-auth-code&state=…[&iss=…]`);
//! - at the end, [`World::finish`] gives the checks the suite would report (the recorded ones
//!   plus the end-of-run ones) and [`World::verdict`] the pass/fail.
//!
//! Determinism: no clock, no randomness. Tokens are `test-token-<n>` (and the scenario-specific
//! `test-token-prereg-<n>`, `test-token-as2-<n>`, `cc-token-<n>`, `test-token`), client ids
//! `test-client-<n>`, with `n` a per-world counter.
//!
//! Not modelled: the MCP wire format (JSON-RPC framing, SSE, `Accept` / 406, the 2026-07-28
//! stateless lifecycle and its `MCP-Protocol-Version` rule) — [`World::mcp`] answers the auth
//! layer faithfully and returns plain JSON-RPC bodies; the per-request INFO log checks
//! (`incoming-request`, …) are replaced by [`World::requests`].

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the world"
)]

mod auth_server;
mod finish;
mod resource_server;
mod scenarios;
mod wire;

use core::fmt;

use mcp_oauth_core::http::{HttpRequest, HttpResponse, Method};

#[allow(unused_imports, reason = "not every test binary names every type")]
pub(crate) use scenarios::{DeferredScenario, Scenario};

use auth_server::AuthServer;
use resource_server::ResourceServer;

/// Which release of the suite to imitate where they differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Suite {
    /// `0.1.16` (npm `latest`): no `iss` anywhere, no SEP-837 check, the step-up 403 names both
    /// scopes, the backcompat mock serves `issuer: <origin>/oauth` (gotcha G1).
    V0_1_16,
    /// `0.2.0-alpha.12` run at the draft (2026-07-28) spec version: every AS advertises
    /// `authorization_response_iss_parameter_supported: true` and sends the correct `iss`
    /// unless the scenario says otherwise; every DCR records `sep-837-application-type-present`;
    /// the step-up 403 names only the missing scope and `sep-2350-scope-union-on-reauth` is
    /// checked; the backcompat issuer is the bare origin (upstream #359);
    /// `resource-parameter-matches-prm` joins the RFC 8707 checks.
    V0_2_0Alpha12,
}

/// A check status, as in `checks.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    /// `SUCCESS`.
    Success,
    /// `FAILURE`: fails the scenario.
    Failure,
    /// `WARNING`: a SHOULD not met; fails a single-scenario run too (gotcha G4).
    Warning,
    /// `INFO`.
    Info,
}

/// One recorded check: the suite's id, status and a human-readable detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Check {
    pub(crate) id: &'static str,
    pub(crate) status: Status,
    pub(crate) detail: String,
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} {}: {}", self.status, self.id, self.detail)
    }
}

/// The MCP requests the reference client makes, in this order (conformance.md §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum McpCall {
    /// `initialize`.
    Initialize,
    /// `notifications/initialized` (202 on success).
    Initialized,
    /// `tools/list`.
    ToolsList,
    /// `tools/call {name: "test-tool"}`.
    ToolsCall,
}

impl McpCall {
    /// The JSON-RPC method name.
    pub(crate) fn method(self) -> &'static str {
        match self {
            Self::Initialize => "initialize",
            Self::Initialized => "notifications/initialized",
            Self::ToolsList => "tools/list",
            Self::ToolsCall => "tools/call",
        }
    }

    fn from_method(method: &str) -> Option<Self> {
        [
            Self::Initialize,
            Self::Initialized,
            Self::ToolsList,
            Self::ToolsCall,
        ]
        .into_iter()
        .find(|c| c.method() == method)
    }
}

/// One request the world served, for assertions about what the client did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LoggedRequest {
    pub(crate) method: &'static str,
    pub(crate) url: String,
    /// The MCP call, for requests to the MCP endpoint.
    pub(crate) call: Option<McpCall>,
    pub(crate) status: u16,
}

/// The outcome of a run.
#[derive(Debug, Clone)]
pub(crate) struct Verdict {
    /// The suite's own single-scenario rule: no FAILURE and no WARNING among [`World::finish`]
    /// (the end-of-run checks make every required check present). Exit codes and timeouts are
    /// the caller's business.
    pub(crate) suite_passed: bool,
    /// The world's stricter additions (ids starting with `world-`): the flow really finished
    /// (`tools/call` answered 200) where the scenario expects it, nothing protected succeeded
    /// where it must be refused, and G6 (resource-mismatch fetched the PRM before refusing).
    pub(crate) strict_passed: bool,
    /// Every FAILURE / WARNING, one line each.
    pub(crate) problems: Vec<String>,
}

impl Verdict {
    /// Both rules hold.
    pub(crate) fn passed(&self) -> bool {
        self.suite_passed && self.strict_passed
    }
}

/// Scenario state the hooks and the end-of-run checks read (the TS scenarios' private fields).
#[derive(Debug, Default)]
struct Observations {
    authorize_requests: u32,
    token_requests: u32,
    auth_reached: bool,
    token_request_made: bool,
    metadata_endpoints_used: bool,
    authorization_resource: Option<String>,
    token_resource: Option<String>,
    prm_resource: Option<String>,
    prm_fetched: bool,
    grant_types_checked: bool,
    cimd_client_id: Option<String>,
    as2_saw_register: bool,
    as2_saw_as1_client_id: bool,
    as2_saw_as1_client_id_at_token: bool,
    migrated: bool,
    /// `auth/wif-jwt-bearer`: a grant was refused (later ones are retries).
    wif_failed: bool,
    /// SEP-990: the ID-JAGs the IdP issued, with their audience and resource.
    id_jags: Vec<(String, String, String)>,
    requests_with_token: u32,
    tools_call_succeeded: bool,
    protected_success: bool,
}

/// One scenario's servers and their recorded checks.
pub(crate) struct World {
    scenario: Scenario,
    suite: Suite,
    rs: ResourceServer,
    servers: Vec<AuthServer>,
    checks: Vec<Check>,
    log: Vec<LoggedRequest>,
    obs: Observations,
    /// Access token → scopes registered by the AS (the `MockTokenVerifier`).
    tokens: Vec<(String, Vec<String>)>,
    counter: u64,
}

impl World {
    /// The scenario as `0.2.0-alpha.12` at the draft spec version serves it.
    pub(crate) fn new(scenario: Scenario) -> Self {
        Self::with_suite(scenario, Suite::V0_2_0Alpha12)
    }

    /// The scenario as the given suite release serves it.
    pub(crate) fn with_suite(scenario: Scenario, suite: Suite) -> Self {
        let (rs, servers) = scenarios::build(scenario, suite);
        Self {
            scenario,
            suite,
            rs,
            servers,
            checks: Vec::new(),
            log: Vec::new(),
            obs: Observations::default(),
            tokens: Vec::new(),
            counter: 0,
        }
    }

    pub(crate) fn scenario(&self) -> Scenario {
        self.scenario
    }

    pub(crate) fn suite(&self) -> Suite {
        self.suite
    }

    /// The server URL the runner passes as the client's last argument.
    pub(crate) fn mcp_url(&self) -> &str {
        &self.rs.mcp_url
    }

    /// What `MCP_CONFORMANCE_CONTEXT` carries for this scenario, if anything.
    pub(crate) fn context(&self) -> Option<serde_json::Value> {
        scenarios::context(self.scenario)
    }

    /// The checks recorded so far (no end-of-run checks yet).
    pub(crate) fn checks(&self) -> &[Check] {
        &self.checks
    }

    /// Every request served, in order.
    pub(crate) fn requests(&self) -> &[LoggedRequest] {
        &self.log
    }

    /// Requests whose URL path ends with `suffix` (e.g. `"/authorize"`).
    pub(crate) fn count_requests(&self, suffix: &str) -> usize {
        self.log
            .iter()
            .filter(|r| r.call.is_none())
            .filter(|r| wire::split_url(&r.url).is_some_and(|t| t.path.ends_with(suffix)))
            .count()
    }

    /// Whether a PRM document was served (G6).
    pub(crate) fn prm_fetched(&self) -> bool {
        self.obs.prm_fetched
    }

    /// The checks the suite would report: the recorded ones plus the end-of-run ones
    /// (missing required checks become FAILURE), plus the world's own `world-*` checks.
    pub(crate) fn finish(&self) -> Vec<Check> {
        let mut out = self.checks.clone();
        finish::finalize(self, &mut out);
        out
    }

    /// Pass/fail for this run; see [`Verdict`].
    pub(crate) fn verdict(&self) -> Verdict {
        let all = self.finish();
        let bad = |c: &&Check| matches!(c.status, Status::Failure | Status::Warning);
        let suite_passed = !all
            .iter()
            .filter(|c| !c.id.starts_with("world-"))
            .any(|c| bad(&c));
        let strict_passed = !all
            .iter()
            .filter(|c| c.id.starts_with("world-"))
            .any(|c| bad(&c));
        Verdict {
            suite_passed,
            strict_passed,
            problems: all.iter().filter(bad).map(ToString::to_string).collect(),
        }
    }

    /// The final checks with `id`.
    pub(crate) fn find(&self, id: &str) -> Vec<Check> {
        self.finish().into_iter().filter(|c| c.id == id).collect()
    }

    /// Serve one HTTP request to any origin of the world.
    pub(crate) fn handle(&mut self, req: &HttpRequest) -> HttpResponse {
        let (response, call) = self.route(req);
        self.log.push(LoggedRequest {
            method: req.method.as_str(),
            url: req.url.clone(),
            call,
            status: response.status,
        });
        response
    }

    /// The browser step: `GET authorization_url` at the mock AS. `Ok(location)` for its 302,
    /// `Err` with the status and body otherwise.
    pub(crate) fn authorize(&mut self, authorization_url: &str) -> Result<String, String> {
        let response = self.handle(&HttpRequest {
            method: Method::Get,
            url: authorization_url.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
        });
        match (response.status, response.header("location")) {
            (302, Some(location)) => Ok(location.to_owned()),
            (status, _) => Err(format!(
                "{status}: {}",
                String::from_utf8_lossy(&response.body)
            )),
        }
    }

    /// One MCP request to the RS, with an optional bearer token.
    pub(crate) fn mcp(&mut self, call: McpCall, bearer: Option<&str>) -> HttpResponse {
        let authorization = bearer.map(|b| format!("Bearer {b}"));
        let response = self.serve_mcp(call, authorization.as_deref());
        self.log.push(LoggedRequest {
            method: "POST",
            url: self.rs.mcp_url.clone(),
            call: Some(call),
            status: response.status,
        });
        response
    }

    fn route(&mut self, req: &HttpRequest) -> (HttpResponse, Option<McpCall>) {
        let Some(target) = wire::split_url(&req.url) else {
            return (wire::not_found(req.method.as_str(), &req.url), None);
        };
        if target.origin == self.rs.origin {
            if target.path == "/mcp" {
                return self.route_mcp(req);
            }
            if let Some(response) = self.serve_rs_get(req, &target) {
                return (response, None);
            }
        }
        if target.origin == scenarios::IDP
            && self.scenario == Scenario::EnterpriseManagedAuthorization
            && target.path == "/token"
            && req.method == Method::Post
        {
            return (self.serve_idp(req), None);
        }
        let index = self.servers.iter().position(|s| {
            s.origin == target.origin && s.routes(req.method, &target.path).is_some()
        });
        let response = match index {
            Some(index) => self.serve_as(index, req, &target),
            None => wire::not_found(req.method.as_str(), &target.path),
        };
        (response, None)
    }

    fn route_mcp(&mut self, req: &HttpRequest) -> (HttpResponse, Option<McpCall>) {
        if req.method != Method::Post {
            return (wire::not_found(req.method.as_str(), "/mcp"), None);
        }
        let method = serde_json::from_slice::<serde_json::Value>(&req.body)
            .ok()
            .and_then(|v| v.get("method").and_then(|m| m.as_str()).map(str::to_owned));
        match method.as_deref().and_then(McpCall::from_method) {
            Some(call) => (
                self.serve_mcp(call, req.header("authorization")),
                Some(call),
            ),
            None => (
                wire::json(
                    400,
                    &serde_json::json!({"jsonrpc": "2.0", "id": null,
                        "error": {"code": -32600, "message": "Invalid Request"}}),
                ),
                None,
            ),
        }
    }

    fn push(&mut self, id: &'static str, status: Status, detail: impl Into<String>) {
        self.checks.push(Check {
            id,
            status,
            detail: detail.into(),
        });
    }

    fn next(&mut self) -> u64 {
        self.counter = self.counter.saturating_add(1);
        self.counter
    }

    fn register_token(&mut self, token: &str, scopes: Vec<String>) {
        self.tokens.retain(|(t, _)| t != token);
        self.tokens.push((token.to_owned(), scopes));
    }

    fn token_scopes(&self, token: &str) -> Vec<String> {
        self.tokens
            .iter()
            .find(|(t, _)| t == token)
            .map(|(_, s)| s.clone())
            .unwrap_or_default()
    }
}
