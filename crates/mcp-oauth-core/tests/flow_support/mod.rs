//! A scripted in-memory world for driving `AuthFlow` end to end on a virtual clock.
//!
//! - Routes: `(method, url-without-query)` → a handler closure producing a [`Reply`]. Unrouted
//!   requests get a 404 (noted in the transcript).
//! - The authorization endpoint is an ordinary GET route: when the flow emits
//!   `OpenAuthorizationUrl`, the harness "opens" it by calling that route; a 302 reply's
//!   `Location` is handed back to `handle_redirect` (see [`approve`]).
//! - Checks: handlers (and traps) record named pass/fail checks a scenario can assert on.
//! - The transcript records every request, response, browser hop, event and clock jump, with
//!   secrets replaced by placeholders, ready for an insta snapshot.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::time::Duration;

use mcp_oauth_core::flow::{AuthFlow, Event, FlowConfig, FlowStatus, TransportError};
use mcp_oauth_core::http::{HttpRequest, HttpResponse};
use mcp_oauth_core::{Entropy, Timestamp};

pub const RS: &str = "https://mcp.example.com/mcp";
pub const PRM_URL: &str = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp";
pub const AS: &str = "https://auth.example.com";
pub const AS_META: &str = "https://auth.example.com/.well-known/oauth-authorization-server";
pub const REDIRECT: &str = "http://127.0.0.1:8765/callback";
pub const T0: u64 = 1_700_000_000;

/// A request as a handler sees it.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: &'static str,
    pub url: String,
    pub query: BTreeMap<String, String>,
    pub headers: Vec<(String, String)>,
    pub form: BTreeMap<String, String>,
    pub json: Option<serde_json::Value>,
}

impl Req {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .get(name)
            .or_else(|| self.form.get(name))
            .map(String::as_str)
    }
}

/// What a route answers.
pub enum Reply {
    Http(HttpResponse),
    Transport(TransportError),
    /// Never answer (the request times out).
    Silence,
}

pub type Handler = Box<dyn FnMut(&Req) -> Reply>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub id: String,
    pub ok: bool,
    pub detail: String,
}

/// Shared, cloneable check list for handlers.
#[derive(Clone, Default)]
pub struct Checks(Rc<RefCell<Vec<Check>>>);

impl Checks {
    pub fn record(&self, id: &str, ok: bool, detail: impl Into<String>) {
        self.0.borrow_mut().push(Check {
            id: id.into(),
            ok,
            detail: detail.into(),
        });
    }
    pub fn all(&self) -> Vec<Check> {
        self.0.borrow().clone()
    }
    pub fn failures(&self) -> Vec<Check> {
        self.all().into_iter().filter(|c| !c.ok).collect()
    }
    pub fn passed(&self, id: &str) -> bool {
        let all = self.all();
        all.iter().any(|c| c.id == id) && all.iter().filter(|c| c.id == id).all(|c| c.ok)
    }
}

pub fn json(status: u16, body: serde_json::Value) -> Reply {
    Reply::Http(HttpResponse::new(
        status,
        vec![("content-type".into(), b"application/json".to_vec())],
        serde_json::to_vec(&body).unwrap(),
    ))
}

pub fn status(status: u16) -> Reply {
    Reply::Http(HttpResponse::new(status, vec![], vec![]))
}

pub fn redirect_to(location: &str) -> Reply {
    Reply::Http(HttpResponse::new(
        302,
        vec![("location".into(), location.as_bytes().to_vec())],
        vec![],
    ))
}

/// A challenge response from the MCP server.
pub fn challenge(status: u16, www_authenticate: Option<&str>) -> HttpResponse {
    let headers = www_authenticate
        .map(|h| vec![("www-authenticate".to_string(), h.as_bytes().to_vec())])
        .unwrap_or_default();
    HttpResponse::new(status, headers, vec![])
}

/// An auto-approving authorization endpoint: redirects to `redirect_uri` with `code`, the echoed
/// `state`, and `iss` when given.
pub fn approve(code: &'static str, iss: Option<&'static str>) -> Handler {
    Box::new(move |req: &Req| {
        let redirect = req.param("redirect_uri").unwrap_or("").to_string();
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        q.append_pair("code", code);
        if let Some(s) = req.param("state") {
            q.append_pair("state", s);
        }
        if let Some(i) = iss {
            q.append_pair("iss", i);
        }
        redirect_to(&format!("{redirect}?{}", q.finish()))
    })
}

const SECRET_FIELDS: [&str; 7] = [
    "code",
    "code_verifier",
    "client_secret",
    "refresh_token",
    "access_token",
    "client_assertion",
    "registration_access_token",
];

fn redact_json(v: &mut serde_json::Value) {
    if let serde_json::Value::Object(map) = v {
        for (k, val) in map.iter_mut() {
            if SECRET_FIELDS.contains(&k.as_str()) && val.is_string() {
                *val = serde_json::Value::String(format!("<{k}>"));
            }
        }
    }
}

fn parse_query(q: &str) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(q.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

pub struct World {
    pub now: Timestamp,
    pub flow: AuthFlow,
    routes: Vec<(&'static str, String, Handler)>,
    pub transcript: Vec<String>,
    pub checks: Checks,
    /// Every request the flow sent, in order.
    pub requests: Vec<Req>,
    /// Every event, rendered.
    pub events: Vec<String>,
    /// Stop driving after the browser was opened (to script the redirect by hand).
    pub manual_browser: bool,
    pub last_authorization_url: Option<String>,
    /// The last `Event::Failed`, rendered.
    pub last_failure: Option<String>,
}

impl World {
    pub fn new(config: FlowConfig) -> Self {
        Self::with_flow(AuthFlow::new(config, Entropy::new([42; 32])))
    }

    pub fn with_flow(flow: AuthFlow) -> Self {
        Self {
            now: Timestamp::from_unix_seconds(T0),
            flow,
            routes: Vec::new(),
            transcript: Vec::new(),
            checks: Checks::default(),
            requests: Vec::new(),
            events: Vec::new(),
            manual_browser: false,
            last_authorization_url: None,
            last_failure: None,
        }
    }

    /// Install (or replace) a route.
    pub fn route(&mut self, method: &'static str, url: &str, handler: Handler) -> &mut Self {
        self.routes.retain(|(m, u, _)| !(*m == method && u == url));
        self.routes.push((method, url.to_string(), handler));
        self
    }

    /// A route that always answers `reply_json` with `status`.
    pub fn serve(
        &mut self,
        method: &'static str,
        url: &str,
        status: u16,
        body: serde_json::Value,
    ) -> &mut Self {
        self.route(method, url, Box::new(move |_| json(status, body.clone())))
    }

    /// A trap: hitting it records a failed check `id`, then answers 404.
    pub fn trap(&mut self, method: &'static str, url: &str, id: &'static str) -> &mut Self {
        let checks = self.checks.clone();
        let u = url.to_string();
        self.route(
            method,
            url,
            Box::new(move |_| {
                checks.record(id, false, format!("trap hit: {u}"));
                status(404)
            }),
        )
    }

    pub fn count(&self, method: &str, url_prefix: &str) -> usize {
        self.requests
            .iter()
            .filter(|r| r.method == method && r.url.starts_with(url_prefix))
            .count()
    }

    pub fn log(&mut self, line: impl Into<String>) {
        self.transcript.push(line.into());
    }

    pub fn transcript(&self) -> String {
        self.transcript.join("\n")
    }

    pub fn advance(&mut self, d: Duration) {
        self.now = self.now.saturating_add(d);
        self.log(format!("⏱ +{}s", d.as_secs()));
    }

    pub fn set_clock(&mut self, t: Timestamp) {
        self.log(format!(
            "⏱ clock set to T0{:+}s",
            t.unix_seconds() as i64 - T0 as i64
        ));
        self.now = t;
    }

    /// Hand a challenge to the flow, then drive. `Err` when the call or the attempt it started
    /// failed.
    pub fn challenge(&mut self, response: HttpResponse) -> Result<(), String> {
        let www = response
            .header("www-authenticate")
            .unwrap_or("")
            .to_string();
        self.log(format!("MCP ← {} {}", response.status, www));
        self.last_failure = None;
        let r = self.flow.handle_challenge(self.now, &response);
        if let Err(e) = &r {
            self.log(format!("  handle_challenge error: {}", e.kind()));
        }
        self.drive();
        r.map_err(|e| e.kind().to_string())?;
        match self.last_failure.take() {
            Some(f) => Err(f),
            None => Ok(()),
        }
    }

    pub fn start(&mut self) {
        self.log("start()");
        self.flow.start(self.now);
        self.drive();
    }

    pub fn resource_success(&mut self) {
        self.log("MCP ← 200 (resource success)");
        self.flow.handle_resource_success(self.now);
    }

    /// Deliver a redirect by hand.
    pub fn redirect(&mut self, url: &str) -> Result<(), String> {
        self.log(format!("⇐ redirect {}", self.render_redirect(url)));
        let r = self.flow.handle_redirect(self.now, url);
        if let Err(e) = &r {
            self.log(format!("  handle_redirect error: {}", e.kind()));
        }
        self.drive();
        r.map_err(|e| e.kind().to_string())
    }

    /// Jump to the next deadline and fire it.
    pub fn fire_timeout(&mut self) -> bool {
        let Some(t) = self.flow.poll_timeout() else {
            return false;
        };
        if t > self.now {
            let d = t.saturating_duration_since(self.now);
            self.advance(d);
        }
        self.log("handle_timeout");
        self.flow.handle_timeout(self.now);
        self.drive();
        true
    }

    /// The drain rule: requests and events until both are empty; while an attempt is running
    /// and nothing is pending, jump the clock to `poll_timeout`.
    pub fn drive(&mut self) {
        for _ in 0..1000 {
            if let Some((id, request)) = self.flow.poll_request() {
                self.dispatch(id, request);
                continue;
            }
            if let Some(event) = self.flow.poll_event() {
                self.on_event(event);
                continue;
            }
            let busy = matches!(
                self.flow.status(),
                FlowStatus::Discovering | FlowStatus::Registering | FlowStatus::RequestingToken
            ) || (self.flow.status() == FlowStatus::AwaitingAuthorization
                && !self.manual_browser);
            if busy && self.fire_timeout() {
                continue;
            }
            return;
        }
        panic!("drive loop did not settle");
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::OpenAuthorizationUrl { url, issuer, .. } => {
                self.events.push("OpenAuthorizationUrl".into());
                self.log(format!("• OpenAuthorizationUrl (issuer {issuer})"));
                self.last_authorization_url = Some(url.clone());
                if !self.manual_browser {
                    self.browse(&url);
                }
            }
            Event::Failed(e) => {
                self.last_failure = Some(e.kind().to_string());
                self.events.push(format!("Failed: {}", e.kind()));
                self.log(format!("• Failed: {}", e.kind()));
            }
            other => {
                let name = format!("{other:?}");
                self.events.push(name.clone());
                self.log(format!("• {name}"));
            }
        }
    }

    /// Open an authorization URL: GET it through the routes; a 302 goes back to the flow.
    pub fn browse(&mut self, url: &str) {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let req = Req {
            method: "GET",
            url: url.to_string(),
            query: parse_query(query),
            headers: vec![],
            form: BTreeMap::new(),
            json: None,
        };
        self.log(format!("⇒ browser GET {base}"));
        for (k, v) in &req.query {
            let v = match k.as_str() {
                "state" => "<state>".to_string(),
                "code_challenge" => "<challenge>".to_string(),
                _ => v.clone(),
            };
            self.log(format!("    {k}={v}"));
        }
        self.requests.push(req.clone());
        let reply = self.answer(&req, base);
        let Reply::Http(resp) = reply else {
            self.log("  (browser never came back)");
            return;
        };
        match resp.header("location") {
            Some(location) if resp.status / 100 == 3 => {
                let location = location.to_string();
                self.log(format!("⇐ redirect {}", self.render_redirect(&location)));
                if let Err(e) = self.flow.handle_redirect(self.now, &location) {
                    self.log(format!("  handle_redirect error: {}", e.kind()));
                }
            }
            _ => self.log(format!("  authorization page answered {}", resp.status)),
        }
    }

    fn render_redirect(&self, url: &str) -> String {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let params: Vec<String> = url::form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| match k.as_ref() {
                "code" => "code=<code>".to_string(),
                "state" => "state=<state>".to_string(),
                _ => format!("{k}={v}"),
            })
            .collect();
        format!("{base}?{}", params.join("&"))
    }

    fn answer(&mut self, req: &Req, base: &str) -> Reply {
        let pos = self
            .routes
            .iter()
            .position(|(m, u, _)| *m == req.method && u == &req.url)
            .or_else(|| {
                self.routes
                    .iter()
                    .position(|(m, u, _)| *m == req.method && u == base)
            });
        match pos {
            Some(i) => (self.routes[i].2)(req),
            None => status(404),
        }
    }

    fn dispatch(&mut self, id: mcp_oauth_core::flow::RequestId, request: HttpRequest) {
        let (base, query) = request.url.split_once('?').unwrap_or((&request.url, ""));
        let base = base.to_string();
        let body = String::from_utf8_lossy(&request.body).to_string();
        let form = if request.header("content-type") == Some("application/x-www-form-urlencoded") {
            parse_query(&body)
        } else {
            BTreeMap::new()
        };
        let json_body: Option<serde_json::Value> = serde_json::from_slice(&request.body).ok();
        let req = Req {
            method: request.method.as_str(),
            url: request.url.clone(),
            query: parse_query(query),
            headers: request
                .headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.as_str().to_string()))
                .collect(),
            form,
            json: json_body.clone(),
        };
        // Render.
        self.log(format!("→ {id} {} {}", req.method, req.url));
        for (n, v) in &req.headers {
            if n == "accept" || n == "content-type" {
                continue;
            }
            let shown = if n.eq_ignore_ascii_case("authorization") {
                let scheme = v.split(' ').next().unwrap_or("");
                format!("{scheme} <redacted>")
            } else {
                v.clone()
            };
            self.log(format!("    {n}: {shown}"));
        }
        for (k, v) in &req.form {
            let v = if SECRET_FIELDS.contains(&k.as_str()) {
                format!("<{k}>")
            } else {
                v.clone()
            };
            self.log(format!("    {k}={v}"));
        }
        if let Some(mut j) = json_body.filter(|_| req.method == "POST") {
            redact_json(&mut j);
            self.log(format!("    {j}"));
        }
        self.requests.push(req.clone());
        match self.answer(&req, &base) {
            Reply::Http(resp) => {
                let body = match serde_json::from_slice::<serde_json::Value>(&resp.body) {
                    Ok(mut j) => {
                        redact_json(&mut j);
                        format!(" {j}")
                    }
                    Err(_) if resp.body.is_empty() => String::new(),
                    Err(_) => format!(" <{} bytes>", resp.body.len()),
                };
                self.log(format!("← {id} {}{body}", resp.status));
                self.flow.handle_response(self.now, id, resp);
            }
            Reply::Transport(e) => {
                self.log(format!("← {id} transport error: {e}"));
                self.flow.handle_transport_error(self.now, id, e);
            }
            Reply::Silence => self.log(format!("← {id} (no answer)")),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A standard world: MCP server at RS, authorization server at AS.
// ---------------------------------------------------------------------------------------------

pub fn prm(resource: &str, servers: &[&str], scopes: Option<&[&str]>) -> serde_json::Value {
    let mut v = serde_json::json!({ "resource": resource, "authorization_servers": servers });
    if let Some(s) = scopes {
        v["scopes_supported"] = serde_json::json!(s);
    }
    v
}

pub fn as_metadata(issuer: &str) -> serde_json::Value {
    serde_json::json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "registration_endpoint": format!("{issuer}/register"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"]
    })
}

/// A token endpoint issuing `at-N` (and `rt-N` when `refresh`) with `expires_in`, checking that
/// the PKCE verifier matches the last challenge seen at `/authorize` (recorded as a check).
pub fn token_endpoint(
    checks: Checks,
    last_challenge: Rc<RefCell<Option<String>>>,
    expires_in: u64,
    refresh: bool,
) -> Handler {
    let mut n = 0;
    Box::new(move |req: &Req| {
        n += 1;
        if let Some(verifier) = req.param("code_verifier") {
            let computed = mcp_oauth_core::pkce::CodeVerifier::new(verifier)
                .map(|v| v.challenge().as_str().to_string())
                .ok();
            let ok = computed.is_some() && *last_challenge.borrow() == computed;
            checks.record("pkce-verifier-matches-challenge", ok, "");
        }
        let mut body = serde_json::json!({
            "access_token": format!("at-{n}"),
            "token_type": "Bearer",
            "expires_in": expires_in,
        });
        if refresh {
            body["refresh_token"] = serde_json::json!(format!("rt-{n}"));
        }
        json(200, body)
    })
}

/// An approving authorization endpoint that remembers the code challenge.
pub fn authorize_endpoint(
    last_challenge: Rc<RefCell<Option<String>>>,
    iss: Option<&'static str>,
) -> Handler {
    let mut inner = approve("test-auth-code", iss);
    Box::new(move |req: &Req| {
        *last_challenge.borrow_mut() = req.param("code_challenge").map(String::from);
        inner(req)
    })
}

/// RS + AS with PRM at the path-inserted URL, RFC 8414 metadata, DCR and a token endpoint.
pub fn standard(config: FlowConfig, expires_in: u64, refresh: bool) -> World {
    let mut w = World::new(config);
    let challenge = Rc::new(RefCell::new(None));
    w.serve("GET", PRM_URL, 200, prm(RS, &[AS], None));
    w.serve("GET", AS_META, 200, as_metadata(AS));
    w.route(
        "POST",
        "https://auth.example.com/register",
        Box::new(|req: &Req| {
            let redirect_uris = req
                .json
                .as_ref()
                .and_then(|j| j.get("redirect_uris").cloned())
                .unwrap_or_default();
            json(
                201,
                serde_json::json!({
                    "client_id": "dcr-client",
                    "token_endpoint_auth_method": "none",
                    "redirect_uris": redirect_uris,
                    "grant_types": ["authorization_code", "refresh_token"],
                }),
            )
        }),
    );
    w.route(
        "GET",
        "https://auth.example.com/authorize",
        authorize_endpoint(challenge.clone(), None),
    );
    let checks = w.checks.clone();
    w.route(
        "POST",
        "https://auth.example.com/token",
        token_endpoint(checks, challenge, expires_in, refresh),
    );
    w
}
