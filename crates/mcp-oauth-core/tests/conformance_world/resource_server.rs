//! The mock MCP resource server: the PRM route (and the root-PRM trap), and the auth layer in
//! front of `POST /mcp` in its four shapes: the TS SDK's `requireBearerAuth` (every method
//! protected), the step-up middleware, the retry-limit middleware (403 forever, 410 after three
//! requests carrying a token) and the migration middleware (SEP-2352).

use mcp_oauth_core::http::{HttpRequest, HttpResponse};
use serde_json::json;

use super::wire::{self, Target};
use super::{McpCall, Status, World};

/// The auth layer in front of `/mcp`.
#[derive(Debug, Clone)]
pub(super) enum Middleware {
    /// `requireBearerAuth` from the TS SDK: every method, `initialize` included, needs a valid
    /// bearer. `required_scopes` are enforced (403) and named in the challenge only when
    /// `include_scope` is set, exactly like `createServer`.
    Standard {
        required_scopes: Vec<&'static str>,
        include_scope: bool,
    },
    /// `auth/scope-step-up`: `initialize` and notifications are open; `tools/list` needs
    /// `mcp:basic`; `tools/call` needs `tools_call` and its 403 names `challenge`.
    StepUp {
        tools_call: Vec<&'static str>,
        challenge: &'static str,
    },
    /// `auth/scope-retry-limit`: 401 without a token, then 403 `mcp:admin` forever, 410 after
    /// three requests carrying a token.
    RetryLimit,
    /// `auth/authorization-server-migration`: the first verified token is accepted and flips
    /// the PRM to AS₂; afterwards only `test-token-as2-…` tokens pass.
    Migration,
}

/// The mock RS.
#[derive(Debug, Clone)]
pub(super) struct ResourceServer {
    pub(super) origin: String,
    pub(super) mcp_url: String,
    /// `None`: no PRM at all (2025-03-26 scenarios).
    pub(super) prm_path: Option<&'static str>,
    pub(super) resource_override: Option<&'static str>,
    pub(super) scopes_supported: Option<Vec<&'static str>>,
    pub(super) include_prm_in_www_auth: bool,
    pub(super) trap_root_prm: bool,
    pub(super) middleware: Middleware,
    /// `authorization_servers[0]` before migration, and after it (migration only).
    pub(super) as_urls: Vec<String>,
}

const ROOT_PRM: &str = "/.well-known/oauth-protected-resource";

impl ResourceServer {
    pub(super) fn new(origin: &str, as_url: &str) -> Self {
        Self {
            origin: origin.to_owned(),
            mcp_url: format!("{origin}/mcp"),
            prm_path: Some("/.well-known/oauth-protected-resource/mcp"),
            resource_override: None,
            scopes_supported: None,
            include_prm_in_www_auth: true,
            trap_root_prm: false,
            middleware: Middleware::Standard {
                required_scopes: Vec::new(),
                include_scope: false,
            },
            as_urls: vec![as_url.to_owned()],
        }
    }

    /// `resource_metadata` for challenges, when the scenario puts it there.
    fn resource_metadata(&self) -> Option<String> {
        match (self.include_prm_in_www_auth, self.prm_path) {
            (true, Some(path)) => Some(format!("{}{path}", self.origin)),
            _ => None,
        }
    }

    /// The PRM URL the custom middlewares always name (path-aware).
    fn path_prm_url(&self) -> String {
        format!("{}/.well-known/oauth-protected-resource/mcp", self.origin)
    }

    fn resource(&self) -> String {
        match (self.resource_override, self.prm_path) {
            (Some(resource), _) => resource.to_owned(),
            (None, Some(ROOT_PRM)) => self.origin.clone(),
            (None, _) => self.mcp_url.clone(),
        }
    }
}

/// `requireBearerAuth`'s header: `error`, `error_description`, then `scope`, then
/// `resource_metadata`.
fn sdk_challenge(error: &str, description: &str, scopes: &[&str], prm: Option<&str>) -> String {
    let mut header = format!("Bearer error=\"{error}\", error_description=\"{description}\"");
    if !scopes.is_empty() {
        header.push_str(&format!(", scope=\"{}\"", scopes.join(" ")));
    }
    if let Some(prm) = prm {
        header.push_str(&format!(", resource_metadata=\"{prm}\""));
    }
    header
}

fn error_body(error: &str, description: &str) -> serde_json::Value {
    json!({"error": error, "error_description": description})
}

/// `Authorization: Bearer <token>` as `requireBearerAuth` splits it.
fn sdk_bearer(authorization: &str) -> Option<&str> {
    let mut parts = authorization.split(' ');
    let scheme = parts.next()?;
    let token = parts.next()?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

impl World {
    /// GET routes of the RS origin: the PRM and the root-PRM trap. `None` when not ours.
    pub(super) fn serve_rs_get(
        &mut self,
        req: &HttpRequest,
        target: &Target,
    ) -> Option<HttpResponse> {
        if req.method != mcp_oauth_core::http::Method::Get {
            return None;
        }
        if self.rs.prm_path == Some(target.path.as_str()) {
            let resource = self.rs.resource();
            let index = usize::from(self.obs.migrated);
            let as_url = self
                .rs
                .as_urls
                .get(index)
                .or_else(|| self.rs.as_urls.first())
                .cloned()
                .unwrap_or_default();
            self.push(
                "prm-pathbased-requested",
                Status::Success,
                format!(
                    "PRM served at {} (resource {resource}, AS {as_url})",
                    target.path
                ),
            );
            self.obs.prm_fetched = true;
            self.obs.prm_resource = Some(resource.clone());
            let mut doc = json!({"resource": resource, "authorization_servers": [as_url]});
            if let (Some(scopes), Some(map)) = (&self.rs.scopes_supported, doc.as_object_mut()) {
                map.insert("scopes_supported".to_owned(), json!(scopes));
            }
            return Some(wire::json(200, &doc));
        }
        if self.rs.trap_root_prm && target.path == ROOT_PRM {
            self.push(
                "prm-priority-order",
                Status::Failure,
                "client requested PRM metadata at root location on a server with path-based PRM",
            );
            return Some(wire::json(
                404,
                &error_body("not_found", "PRM metadata not available at root location"),
            ));
        }
        None
    }

    /// The MCP endpoint behind the scenario's auth layer.
    pub(super) fn serve_mcp(&mut self, call: McpCall, authorization: Option<&str>) -> HttpResponse {
        let middleware = self.rs.middleware.clone();
        let denied = match middleware {
            Middleware::Standard {
                required_scopes,
                include_scope,
            } => self.require_bearer(authorization, &required_scopes, include_scope),
            Middleware::StepUp {
                tools_call,
                challenge,
            } => self.step_up(call, authorization, &tools_call, challenge),
            Middleware::RetryLimit => self.retry_limit(call, authorization),
            Middleware::Migration => self.migration(call, authorization),
        };
        if let Some(response) = denied {
            return response;
        }
        if authorization.is_some() && matches!(call, McpCall::ToolsList | McpCall::ToolsCall) {
            self.obs.protected_success = true;
        }
        if call == McpCall::ToolsCall {
            self.obs.tools_call_succeeded = true;
        }
        mcp_result(call)
    }

    /// The `MockTokenVerifier`: `test-token…` and `cc-token…` are valid.
    fn verify(&mut self, token: &str) -> Option<Vec<String>> {
        if token.starts_with("test-token") || token.starts_with("cc-token") {
            let scopes = self.token_scopes(token);
            self.push(
                "valid-bearer-token",
                Status::Success,
                format!(
                    "client provided valid bearer token (scopes: {})",
                    scopes.join(" ")
                ),
            );
            Some(scopes)
        } else {
            self.push(
                "invalid-bearer-token",
                Status::Failure,
                "client provided invalid bearer token",
            );
            None
        }
    }

    fn require_bearer(
        &mut self,
        authorization: Option<&str>,
        required: &[&'static str],
        include_scope: bool,
    ) -> Option<HttpResponse> {
        let scopes: &[&str] = if include_scope { required } else { &[] };
        let prm = self.rs.resource_metadata();
        let unauthorized = |description: &str| {
            wire::json_with_challenge(
                401,
                &sdk_challenge("invalid_token", description, scopes, prm.as_deref()),
                &error_body("invalid_token", description),
            )
        };
        let Some(authorization) = authorization else {
            return Some(unauthorized("Missing Authorization header"));
        };
        let Some(token) = sdk_bearer(authorization) else {
            return Some(unauthorized(
                "Invalid Authorization header format, expected 'Bearer TOKEN'",
            ));
        };
        let Some(granted) = self.verify(token) else {
            return Some(unauthorized("Invalid token"));
        };
        if scopes.iter().all(|s| granted.iter().any(|g| g == s)) {
            None
        } else {
            Some(wire::json_with_challenge(
                403,
                &sdk_challenge(
                    "insufficient_scope",
                    "Insufficient scope",
                    scopes,
                    prm.as_deref(),
                ),
                &error_body("insufficient_scope", "Insufficient scope"),
            ))
        }
    }

    fn custom_401(&self, scope: &str, description: Option<&str>) -> HttpResponse {
        let body = description.map_or_else(
            || json!({"error": "invalid_token"}),
            |d| error_body("invalid_token", d),
        );
        wire::json_with_challenge(
            401,
            &format!(
                "Bearer scope=\"{scope}\", resource_metadata=\"{}\"",
                self.rs.path_prm_url()
            ),
            &body,
        )
    }

    fn step_up(
        &mut self,
        call: McpCall,
        authorization: Option<&str>,
        tools_call: &[&'static str],
        challenge: &'static str,
    ) -> Option<HttpResponse> {
        if matches!(call, McpCall::Initialize | McpCall::Initialized) {
            return None;
        }
        let Some(token) = authorization.and_then(|a| a.strip_prefix("Bearer ")) else {
            return Some(self.custom_401("mcp:basic", Some("Missing Authorization header")));
        };
        let Some(granted) = self.verify(token) else {
            return Some(self.custom_401("mcp:basic", Some("Invalid token")));
        };
        let required: &[&str] = if call == McpCall::ToolsCall {
            tools_call
        } else {
            &["mcp:basic"]
        };
        if required.iter().all(|s| granted.iter().any(|g| g == s)) {
            return None;
        }
        Some(wire::json_with_challenge(
            403,
            &format!(
                "Bearer scope=\"{challenge}\", resource_metadata=\"{}\", error=\"insufficient_scope\"",
                self.rs.path_prm_url()
            ),
            &error_body("insufficient_scope", "Token has insufficient scope"),
        ))
    }

    fn retry_limit(&mut self, call: McpCall, authorization: Option<&str>) -> Option<HttpResponse> {
        if matches!(call, McpCall::Initialize | McpCall::Initialized) {
            return None;
        }
        if !authorization.is_some_and(|a| a.starts_with("Bearer ")) {
            return Some(self.custom_401("mcp:admin", Some("Missing Authorization header")));
        }
        self.obs.requests_with_token = self.obs.requests_with_token.saturating_add(1);
        if self.obs.requests_with_token > 3 {
            return Some(wire::json(
                410,
                &error_body(
                    "test_complete",
                    "Test is over - client exceeded maximum retry attempts",
                ),
            ));
        }
        Some(wire::json_with_challenge(
            403,
            &format!(
                "Bearer error=\"insufficient_scope\", scope=\"mcp:admin\", resource_metadata=\"{}\", error_description=\"Scope upgrade will never succeed\"",
                self.rs.path_prm_url()
            ),
            &error_body("insufficient_scope", "Scope upgrade will never succeed"),
        ))
    }

    fn migration(&mut self, call: McpCall, authorization: Option<&str>) -> Option<HttpResponse> {
        if matches!(call, McpCall::Initialize | McpCall::Initialized) {
            return None;
        }
        let Some(token) = authorization.and_then(|a| a.strip_prefix("Bearer ")) else {
            return Some(self.custom_401("mcp:basic", None));
        };
        if self.verify(token).is_none() {
            return Some(self.custom_401("mcp:basic", Some("Invalid token")));
        }
        if !self.obs.migrated {
            self.obs.migrated = true;
            return None;
        }
        if token.starts_with("test-token-as2-") {
            None
        } else {
            Some(self.custom_401("mcp:basic", Some("authorization server has changed")))
        }
    }
}

/// The (non-SSE) JSON-RPC answer for a call that passed the auth layer.
fn mcp_result(call: McpCall) -> HttpResponse {
    let result = match call {
        McpCall::Initialized => return wire::empty(202),
        McpCall::Initialize => json!({
            "protocolVersion": "2025-11-25",
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "auth-prm-pathbased-server", "version": "1.0.0"}
        }),
        McpCall::ToolsList => {
            json!({"tools": [{"name": "test-tool", "inputSchema": {"type": "object"}}]})
        }
        McpCall::ToolsCall => json!({"content": [{"type": "text", "text": "test"}]}),
    };
    wire::json(200, &json!({"jsonrpc": "2.0", "id": 1, "result": result}))
}
