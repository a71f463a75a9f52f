//! Authorization-server routes except the token endpoint: RFC 8414 metadata, RFC 7591
//! registration, the authorization endpoint (RFC 6749 §4.1.1 with RFC 7636 PKCE, RFC 8707
//! `resource` and RFC 9207 `iss`) and the optional multi-hop login/consent pages.

use std::time::SystemTime;

use hyper::Method;
use serde::Deserialize;
use serde_json::json;
use url::Url;

use crate::config::{ConsentMode, FixtureConfig};
use crate::records::{AuthorizationRecord, RegisteredClient};
use crate::server::Req;
use crate::state::{Client, CodeRecord, Faults, PendingConsent, Shared, registered_method};
use crate::wire::{self, Params, Resp};

/// Name of the multi-hop session cookie.
const SESSION_COOKIE: &str = "fixture_session";

/// `405` with an `Allow` header.
pub(crate) fn method_not_allowed(allow: &str) -> Resp {
    let mut resp = wire::text(405, "method not allowed\n");
    wire::set_header(&mut resp, "allow", allow);
    resp
}

/// RFC 8414 §3 metadata (also served as OIDC discovery when configured).
pub(crate) fn metadata(shared: &Shared, req: &Req, faults: &Faults) -> Resp {
    if req.method != Method::GET {
        return method_not_allowed("GET");
    }
    let urls = &shared.urls;
    let cfg = &shared.cfg;
    let issuer = if faults.wrong_issuer_in_metadata {
        &urls.decoy_origin
    } else {
        &urls.issuer
    };
    let mut doc = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{}/authorize", urls.issuer),
        "token_endpoint": format!("{}/token", urls.issuer),
        "registration_endpoint": format!("{}/register", urls.issuer),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported":
            ["none", "client_secret_basic", "client_secret_post"],
        "scopes_supported": cfg.scopes_supported,
        "authorization_response_iss_parameter_supported": true,
    });
    if let (true, Some(obj)) = (cfg.cimd_supported, doc.as_object_mut()) {
        obj.insert("client_id_metadata_document_supported".into(), json!(true));
    }
    crate::device::advertise(shared, &mut doc);
    wire::json(200, &doc)
}

/// The RFC 7591 §2 members the fixture understands; unknown members are ignored.
#[derive(Debug, Deserialize)]
struct RegistrationRequest {
    redirect_uris: Option<Vec<String>>,
    token_endpoint_auth_method: Option<String>,
    grant_types: Option<Vec<String>>,
    response_types: Option<Vec<String>>,
    client_name: Option<String>,
    application_type: Option<String>,
}

/// RFC 7591 §3.2.2 error.
fn registration_error(error: &str, description: &str) -> Resp {
    wire::oauth_error(400, error, description)
}

/// RFC 7591 dynamic client registration.
pub(crate) fn register(shared: &Shared, req: &Req) -> Resp {
    if req.method != Method::POST {
        return method_not_allowed("POST");
    }
    if !wire::content_type_is(&req.headers, "application/json") {
        return registration_error(
            "invalid_client_metadata",
            "content type must be application/json",
        );
    }
    let parsed: RegistrationRequest = match serde_json::from_slice(&req.body) {
        Ok(r) => r,
        Err(_) => {
            return registration_error(
                "invalid_client_metadata",
                "body is not a valid metadata object",
            );
        }
    };
    let Some(method) = registered_method(parsed.token_endpoint_auth_method.as_deref()) else {
        return registration_error(
            "invalid_client_metadata",
            "unsupported token_endpoint_auth_method",
        );
    };
    let grant_types = parsed
        .grant_types
        .unwrap_or_else(|| vec!["authorization_code".into()]);
    const KNOWN: [&str; 4] = [
        "authorization_code",
        "refresh_token",
        "client_credentials",
        crate::device::GRANT,
    ];
    if grant_types.is_empty() || grant_types.iter().any(|g| !KNOWN.contains(&g.as_str())) {
        return registration_error("invalid_client_metadata", "unsupported grant_types");
    }
    if !method.needs_secret() && grant_types.iter().any(|g| g == "client_credentials") {
        return registration_error(
            "invalid_client_metadata",
            "client_credentials needs a confidential client",
        );
    }
    let response_types = parsed.response_types.unwrap_or_else(|| vec!["code".into()]);
    let wants_code = grant_types.iter().any(|g| g == "authorization_code");
    if response_types.iter().any(|r| r != "code")
        || (wants_code && !response_types.iter().any(|r| r == "code"))
    {
        return registration_error(
            "invalid_client_metadata",
            "response_types must be [\"code\"]",
        );
    }
    match parsed.application_type.as_deref() {
        None | Some("native" | "web") => {}
        Some(_) => {
            return registration_error("invalid_client_metadata", "unknown application_type");
        }
    }
    let redirect_uris = parsed.redirect_uris.unwrap_or_default();
    if wants_code && redirect_uris.is_empty() {
        return registration_error("invalid_redirect_uri", "redirect_uris required");
    }
    for uri in &redirect_uris {
        if let Err(why) = check_redirect_uri(uri, parsed.application_type.as_deref()) {
            return registration_error("invalid_redirect_uri", why);
        }
    }
    let cfg = &shared.cfg;
    let mut state = shared.lock();
    let client_id = state.id("c-");
    let secret = method
        .needs_secret()
        .then(|| state.secret(cfg.awkward_secrets));
    let info = RegisteredClient {
        client_id: client_id.clone(),
        auth_method: method,
        redirect_uris,
        grant_types,
        application_type: parsed.application_type,
        client_name: parsed.client_name,
        dynamic: true,
    };
    let issued_at = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut doc = json!({
        "client_id": client_id,
        "client_id_issued_at": issued_at,
        "redirect_uris": info.redirect_uris,
        "grant_types": info.grant_types,
        "response_types": response_types,
        "token_endpoint_auth_method": method.as_str(),
    });
    if let Some(obj) = doc.as_object_mut() {
        if let Some(secret) = &secret {
            obj.insert("client_secret".into(), json!(secret));
            obj.insert("client_secret_expires_at".into(), json!(0));
        }
        if let Some(name) = &info.client_name {
            obj.insert("client_name".into(), json!(name));
        }
        if let Some(app) = &info.application_type {
            obj.insert("application_type".into(), json!(app));
        }
    }
    state.clients.insert(client_id, Client { info, secret });
    drop(state);
    let mut resp = wire::json(201, &doc);
    wire::set_header(&mut resp, "cache-control", "no-store");
    resp
}

/// Redirect URIs must be https, or http on a loopback host (RFC 8252 §7.3, MCP "localhost"),
/// absolute, without a fragment. A `web` client may not use a loopback redirect.
fn check_redirect_uri(uri: &str, application_type: Option<&str>) -> Result<(), &'static str> {
    let url = Url::parse(uri).map_err(|_| "redirect_uri is not an absolute URL")?;
    if url.fragment().is_some() {
        return Err("redirect_uri must not have a fragment");
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&url) => {
            if application_type == Some("web") {
                Err("a web client may not use a loopback redirect_uri")
            } else {
                Ok(())
            }
        }
        "http" => Err("http redirect_uri must use a loopback host"),
        _ => Err("redirect_uri must be https or loopback http"),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// Whether `sent` names a registered redirect URI: exact string match, or (when configured)
/// a loopback-IP URI that differs only by port (RFC 8252 §7.3).
fn redirect_allowed(cfg: &FixtureConfig, client: &Client, sent: &str) -> bool {
    if client.info.redirect_uris.iter().any(|r| r == sent) {
        return true;
    }
    if !cfg.loopback_any_port {
        return false;
    }
    let Ok(mut sent_url) = Url::parse(sent) else {
        return false;
    };
    if sent_url.scheme() != "http"
        || !matches!(
            sent_url.host(),
            Some(url::Host::Ipv4(_) | url::Host::Ipv6(_))
        )
        || !is_loopback(&sent_url)
    {
        return false;
    }
    if sent_url.set_port(None).is_err() {
        return false;
    }
    client
        .info
        .redirect_uris
        .iter()
        .any(|r| Url::parse(r).is_ok_and(|mut u| u.set_port(None).is_ok() && u == sent_url))
}

/// Appends parameters to a (registered, hence parseable) redirect URI.
fn with_params(redirect_uri: &str, params: &[(&str, Option<&str>)]) -> String {
    match Url::parse(redirect_uri) {
        Ok(mut url) => {
            {
                let mut q = url.query_pairs_mut();
                for (k, v) in params {
                    if let Some(v) = v {
                        q.append_pair(k, v);
                    }
                }
            }
            url.into()
        }
        Err(_) => redirect_uri.to_owned(),
    }
}

/// RFC 6749 §4.1.2.1 error redirect, with `state` and RFC 9207 `iss`.
fn error_redirect(
    redirect_uri: &str,
    error: &str,
    description: &str,
    state: Option<&str>,
    iss: &str,
) -> Resp {
    let location = with_params(
        redirect_uri,
        &[
            ("error", Some(error)),
            ("error_description", Some(description)),
            ("state", state),
            ("iss", Some(iss)),
        ],
    );
    wire::redirect(302, &location)
}

/// The authorization endpoint with automatic approval.
pub(crate) fn authorize(shared: &Shared, req: &Req, faults: &Faults) -> Resp {
    if req.method != Method::GET {
        return method_not_allowed("GET");
    }
    let cfg = &shared.cfg;
    let urls = &shared.urls;
    let params = Params::from_query(req.query.as_deref());
    // Until client_id and redirect_uri are verified, errors must not redirect (§4.1.2.1).
    let (client_id, redirect_uri) =
        match (params.require("client_id"), params.require("redirect_uri")) {
            (Ok(c), Ok(r)) => (c, r),
            (Err(e), _) | (_, Err(e)) => {
                return wire::text(400, &format!("invalid_request: {e}\n"));
            }
        };
    let mut state = shared.lock();
    let Some(client) = state.clients.get(client_id).cloned() else {
        return wire::text(400, "invalid_request: unknown client_id\n");
    };
    if !redirect_allowed(cfg, &client, redirect_uri) {
        return wire::text(
            400,
            "invalid_request: redirect_uri is not registered for this client\n",
        );
    }
    let iss = if faults.wrong_iss_in_redirect {
        urls.decoy_origin.as_str()
    } else {
        urls.issuer.as_str()
    };
    let client_state = match params.get("state") {
        Ok(s) => s,
        Err(e) => {
            return error_redirect(redirect_uri, "invalid_request", &e.to_string(), None, iss);
        }
    };
    let fail = |error: &str, description: &str| {
        error_redirect(redirect_uri, error, description, client_state, iss)
    };
    if !client
        .info
        .grant_types
        .iter()
        .any(|g| g == "authorization_code")
    {
        return fail(
            "unauthorized_client",
            "client is not registered for authorization_code",
        );
    }
    match params.get("response_type") {
        Ok(Some("code")) => {}
        Ok(Some(_)) => return fail("unsupported_response_type", "only response_type=code"),
        Ok(None) => return fail("invalid_request", "response_type missing"),
        Err(e) => return fail("invalid_request", &e.to_string()),
    }
    if cfg.require_state && client_state.is_none() {
        return fail("invalid_request", "state required");
    }
    let challenge = match params.require("code_challenge") {
        Ok(c)
            if c.len() == 43
                && c.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            c
        }
        Ok(_) => {
            return fail(
                "invalid_request",
                "code_challenge must be a base64url SHA-256 (43 chars)",
            );
        }
        Err(e) => return fail("invalid_request", &e.to_string()),
    };
    match params.get("code_challenge_method") {
        Ok(Some("S256")) => {}
        Ok(Some(_)) => return fail("invalid_request", "only code_challenge_method=S256"),
        Ok(None) => {
            return fail(
                "invalid_request",
                "code_challenge_method=S256 required (plain is not supported)",
            );
        }
        Err(e) => return fail("invalid_request", &e.to_string()),
    }
    let scope = match params.get("scope") {
        Ok(s) => s,
        Err(e) => return fail("invalid_request", &e.to_string()),
    };
    let Some(scopes) = parse_scopes(cfg, scope) else {
        return fail("invalid_scope", "unknown scope requested");
    };
    let resource = match resource_param(&params, shared) {
        Ok(r) => r,
        Err(why) => return fail("invalid_target", why),
    };
    let code = state.token();
    let grant = state.new_grant();
    let expires = SystemTime::now()
        .checked_add(cfg.code_ttl)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    state.codes.insert(
        code.clone(),
        CodeRecord {
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            challenge: challenge.to_owned(),
            scopes,
            // Absent (allowed only when not required) means the AS's default audience.
            resource: resource.unwrap_or(&urls.mcp_url).to_owned(),
            expires,
            used: false,
            grant,
        },
    );
    state.authorizations.push(AuthorizationRecord {
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        scope: scope.map(str::to_owned),
        resource: resource.map(str::to_owned),
        state: client_state.map(str::to_owned),
        code_challenge: challenge.to_owned(),
    });
    let location = with_params(
        redirect_uri,
        &[
            ("code", Some(&code)),
            ("state", client_state),
            ("iss", Some(iss)),
        ],
    );
    match cfg.consent {
        ConsentMode::Immediate => wire::redirect(302, &location),
        ConsentMode::MultiHop => {
            let txn = state.id("t-");
            state.pending.insert(
                txn.clone(),
                PendingConsent {
                    location,
                    session: None,
                },
            );
            wire::redirect(302, &format!("{}/login?txn={txn}", urls.issuer))
        }
    }
}

/// Scopes requested (space-separated, RFC 6749 §3.3), each one supported; the default scope
/// when none is requested. `None` if any is unknown.
pub(crate) fn parse_scopes(cfg: &FixtureConfig, scope: Option<&str>) -> Option<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for s in scope.unwrap_or("").split(' ').filter(|s| !s.is_empty()) {
        if !cfg.scopes_supported.iter().any(|k| k == s) {
            return None;
        }
        if !out.iter().any(|o| o == s) {
            out.push(s.to_owned());
        }
    }
    if out.is_empty() {
        out.push(cfg.default_scope.clone());
    }
    Some(out)
}

/// The RFC 8707 `resource`: at most one, equal to the MCP URL; required when configured.
/// Returns the value sent, if any.
pub(crate) fn resource_param<'p>(
    params: &'p Params,
    shared: &Shared,
) -> Result<Option<&'p str>, &'static str> {
    match params.get("resource") {
        Err(_) => Err("only one resource is served here"),
        Ok(Some(r)) if r == shared.urls.mcp_url => Ok(Some(r)),
        Ok(Some(_)) => Err("unknown resource"),
        Ok(None) if shared.cfg.require_resource => Err("resource required"),
        Ok(None) => Ok(None),
    }
}

/// Multi-hop step 1: sets the session cookie, then on to `/consent`.
pub(crate) fn login(shared: &Shared, req: &Req) -> Resp {
    if req.method != Method::GET {
        return method_not_allowed("GET");
    }
    let params = Params::from_query(req.query.as_deref());
    let Ok(txn) = params.require("txn") else {
        return wire::text(400, "txn missing\n");
    };
    let mut state = shared.lock();
    let session = state.id("sess-");
    let Some(pending) = state.pending.get_mut(txn) else {
        return wire::text(400, "unknown txn\n");
    };
    pending.session = Some(session.clone());
    let mut resp = wire::redirect(302, &format!("{}/consent?txn={txn}", shared.urls.issuer));
    wire::set_header(
        &mut resp,
        "set-cookie",
        &format!("{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax"),
    );
    resp
}

/// Multi-hop step 2: requires the session cookie, then redirects to the client.
pub(crate) fn consent(shared: &Shared, req: &Req) -> Resp {
    if req.method != Method::GET {
        return method_not_allowed("GET");
    }
    let params = Params::from_query(req.query.as_deref());
    let Ok(txn) = params.require("txn") else {
        return wire::text(400, "txn missing\n");
    };
    let cookie = session_cookie(&req.headers);
    let mut state = shared.lock();
    let Some(pending) = state.pending.get(txn) else {
        return wire::text(400, "unknown or finished txn\n");
    };
    match (&pending.session, cookie) {
        (Some(expected), Some(sent)) if *expected == sent => {}
        _ => return wire::text(403, "consent requires the login session cookie\n"),
    }
    let location = pending.location.clone();
    state.pending.remove(txn);
    wire::redirect(302, &location)
}

/// The value of the session cookie across all `Cookie` lines.
fn session_cookie(headers: &hyper::HeaderMap) -> Option<String> {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_owned())
}
