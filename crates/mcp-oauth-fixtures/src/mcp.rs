//! The MCP resource server: RFC 9728 Protected Resource Metadata and a minimal Streamable HTTP
//! endpoint (JSON-RPC over `POST /mcp`) protected by RFC 6750 bearer tokens with audience
//! (RFC 8707) and scope checks, answering 401/403 challenges per RFC 6750 §3 / RFC 9728 §5.1.

use hyper::Method;
use serde_json::{Value, json};

use crate::authz::method_not_allowed;
use crate::server::Req;
use crate::state::{Shared, TokenProblem};
use crate::wire::{self, Resp};

/// MCP protocol versions the endpoint accepts; the last is offered by default.
const PROTOCOL_VERSIONS: [&str; 3] = ["2025-03-26", "2025-06-18", LATEST_VERSION];

/// The version offered when the client asks for one the endpoint does not know.
const LATEST_VERSION: &str = "2025-11-25";

/// `GET` the Protected Resource Metadata.
pub(crate) fn prm(shared: &Shared, req: &Req) -> Resp {
    if req.method != Method::GET {
        return method_not_allowed("GET");
    }
    let urls = &shared.urls;
    wire::json(
        200,
        &json!({
            "resource": urls.mcp_url,
            "authorization_servers": [urls.issuer],
            "scopes_supported": shared.cfg.scopes_supported,
            "bearer_methods_supported": ["header"],
            "resource_name": "mcp-oauth fixture MCP server",
        }),
    )
}

/// Builds a `Bearer` challenge.
fn challenge(shared: &Shared, error: Option<&str>, scope: &str) -> String {
    let mut params = Vec::new();
    if let Some(e) = error {
        params.push(format!("error={}", wire::quote(e)));
    }
    if !scope.is_empty() {
        params.push(format!("scope={}", wire::quote(scope)));
    }
    if shared.cfg.resource_metadata_in_challenge {
        let url = shared.urls.advertised_prm(&shared.cfg);
        params.push(format!("resource_metadata={}", wire::quote(url)));
    }
    if params.is_empty() {
        "Bearer".to_owned()
    } else {
        format!("Bearer {}", params.join(", "))
    }
}

fn unauthorized(shared: &Shared, problem: Option<TokenProblem>) -> Resp {
    let mut resp = wire::json(401, &json!({ "error": "unauthorized" }));
    let error = problem.map(|_| "invalid_token");
    let value = challenge(shared, error, &shared.cfg.default_scope);
    wire::set_header(&mut resp, "www-authenticate", &value);
    resp
}

fn insufficient_scope(shared: &Shared, needed: &str) -> Resp {
    let mut resp = wire::json(403, &json!({ "error": "insufficient_scope" }));
    let value = challenge(shared, Some("insufficient_scope"), needed);
    wire::set_header(&mut resp, "www-authenticate", &value);
    resp
}

/// The bearer token, if the request carries exactly one well-formed `Authorization: Bearer`.
fn bearer(req: &Req) -> Option<&str> {
    let value = wire::header(&req.headers, "authorization")?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains(' '))
        .then_some(token)
}

/// Whether the `Accept` fields list both media types Streamable HTTP requires.
fn accepts_both(req: &Req) -> bool {
    let mut json = false;
    let mut sse = false;
    for v in req
        .headers
        .get_all("accept")
        .iter()
        .filter_map(|v| v.to_str().ok())
    {
        for item in v.split(',') {
            let media = item.split(';').next().unwrap_or("").trim();
            json |= media.eq_ignore_ascii_case("application/json");
            sse |= media.eq_ignore_ascii_case("text/event-stream");
        }
    }
    json && sse
}

/// `POST /mcp` (other methods → 405).
pub(crate) fn endpoint(shared: &Shared, req: &Req) -> Resp {
    if req.method != Method::POST {
        return method_not_allowed("POST");
    }
    let Some(token) = bearer(req) else {
        return unauthorized(shared, None);
    };
    let scopes = match shared.lock().check_access(token, &shared.urls.mcp_url) {
        Ok(s) => s,
        Err(problem) => {
            tracing::debug!(%problem, "fixture RS rejected a token");
            return unauthorized(shared, Some(problem));
        }
    };
    let cfg = &shared.cfg;
    if !scopes.contains(&cfg.default_scope) {
        return insufficient_scope(shared, &cfg.default_scope);
    }
    if cfg.require_mcp_accept && !accepts_both(req) {
        return wire::text(
            406,
            "Accept must list application/json and text/event-stream\n",
        );
    }
    if !wire::content_type_is(&req.headers, "application/json") {
        return wire::text(415, "Content-Type must be application/json\n");
    }
    if let Some(v) = wire::header(&req.headers, "mcp-protocol-version")
        && !PROTOCOL_VERSIONS.contains(&v)
    {
        return wire::text(400, "unsupported MCP-Protocol-Version\n");
    }
    if let Some(sid) = wire::header(&req.headers, "mcp-session-id")
        && !shared.lock().mcp_sessions.contains(sid)
    {
        return wire::text(404, "unknown Mcp-Session-Id\n");
    }
    let Ok(msg) = serde_json::from_slice::<Value>(&req.body) else {
        return rpc_reply(
            shared,
            400,
            &rpc_error(&Value::Null, -32700, "parse error"),
            None,
        );
    };
    let Some(obj) = msg
        .as_object()
        .filter(|o| o.get("jsonrpc") == Some(&json!("2.0")))
    else {
        return rpc_reply(
            shared,
            400,
            &rpc_error(&Value::Null, -32600, "invalid request"),
            None,
        );
    };
    let id = obj.get("id").cloned();
    let Some(method) = obj.get("method").and_then(Value::as_str) else {
        // A response to a server request: accepted, nothing to say.
        return if id.is_some() && (obj.contains_key("result") || obj.contains_key("error")) {
            wire::empty(202)
        } else {
            rpc_reply(
                shared,
                400,
                &rpc_error(&Value::Null, -32600, "invalid request"),
                None,
            )
        };
    };
    let Some(id) = id else {
        // Notification (e.g. notifications/initialized).
        return wire::empty(202);
    };
    let params = obj.get("params").cloned().unwrap_or(Value::Null);
    match method {
        "initialize" => {
            let asked = params.get("protocolVersion").and_then(Value::as_str);
            let version = asked
                .filter(|v| PROTOCOL_VERSIONS.contains(v))
                .unwrap_or(LATEST_VERSION);
            let session = {
                let mut state = shared.lock();
                let sid = state.id("mcp-");
                state.mcp_sessions.insert(sid.clone());
                sid
            };
            let result = json!({
                "protocolVersion": version,
                "capabilities": { "tools": { "listChanged": false } },
                "serverInfo": { "name": "mcp-oauth-fixtures", "version": env!("CARGO_PKG_VERSION") },
            });
            rpc_reply(shared, 200, &rpc_result(&id, result), Some(&session))
        }
        "ping" => rpc_reply(shared, 200, &rpc_result(&id, json!({})), None),
        "tools/list" => rpc_reply(shared, 200, &rpc_result(&id, tools()), None),
        "tools/call" => call_tool(shared, &id, &params, &scopes),
        _ => rpc_reply(
            shared,
            200,
            &rpc_error(&id, -32601, "method not found"),
            None,
        ),
    }
}

fn call_tool(shared: &Shared, id: &Value, params: &Value, scopes: &[String]) -> Resp {
    let cfg = &shared.cfg;
    let args = params
        .get("arguments")
        .cloned()
        .unwrap_or_else(|| json!({}));
    match params.get("name").and_then(Value::as_str) {
        Some("echo") => {
            let result = json!({ "content": [{ "type": "text", "text": args.to_string() }], "isError": false });
            rpc_reply(shared, 200, &rpc_result(id, result), None)
        }
        Some("write") => {
            if !scopes.contains(&cfg.write_scope) {
                let needed = format!("{} {}", cfg.default_scope, cfg.write_scope);
                return insufficient_scope(shared, &needed);
            }
            let result =
                json!({ "content": [{ "type": "text", "text": "written" }], "isError": false });
            rpc_reply(shared, 200, &rpc_result(id, result), None)
        }
        _ => rpc_reply(shared, 200, &rpc_error(id, -32602, "unknown tool"), None),
    }
}

fn tools() -> Value {
    json!({ "tools": [
        {
            "name": "echo",
            "description": "Returns its arguments as text.",
            "inputSchema": { "type": "object", "additionalProperties": true },
        },
        {
            "name": "write",
            "description": "Pretends to write; needs scope mcp:write.",
            "inputSchema": { "type": "object", "additionalProperties": true },
        },
    ]})
}

fn rpc_result(id: &Value, result: Value) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "result": result })
}

fn rpc_error(id: &Value, code: i64, message: &str) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } })
}

/// Sends a JSON-RPC message as JSON, or as one SSE `message` event when configured.
fn rpc_reply(shared: &Shared, status: u16, msg: &Value, session: Option<&str>) -> Resp {
    let mut resp = if shared.cfg.sse {
        wire::with_body(
            status,
            "text/event-stream",
            format!("event: message\ndata: {msg}\n\n"),
        )
    } else {
        wire::json(status, msg)
    };
    if let Some(sid) = session {
        wire::set_header(&mut resp, "mcp-session-id", sid);
    }
    resp
}
