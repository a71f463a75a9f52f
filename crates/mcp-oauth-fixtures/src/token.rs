//! The token endpoint: RFC 6749 §4.1.3 (with RFC 7636 §4.6 PKCE), §6 refresh (OAuth 2.1
//! §4.3.1 rotation and reuse detection), §4.4 client credentials, RFC 8707 `resource`, client
//! authentication per RFC 6749 §2.3 and errors per §5.2.

use std::time::SystemTime;

use hyper::Method;
use serde_json::json;

use crate::authz::{method_not_allowed, parse_scopes, resource_param};
use crate::config::AuthMethod;
use crate::server::Req;
use crate::state::{Client, Shared, State};
use crate::wire::{self, AuthorizationHeader, ParamError, Params, Resp};

/// A §5.2 error to answer with.
pub(crate) struct Fail {
    status: u16,
    error: &'static str,
    description: String,
    basic_challenge: bool,
}

impl Fail {
    pub(crate) fn new(error: &'static str, description: impl Into<String>) -> Self {
        Self {
            status: 400,
            error,
            description: description.into(),
            basic_challenge: false,
        }
    }

    fn client(description: impl Into<String>, basic: bool) -> Self {
        Self {
            status: 401,
            error: "invalid_client",
            description: description.into(),
            basic_challenge: basic,
        }
    }

    pub(crate) fn into_resp(self) -> Resp {
        let mut resp = wire::oauth_error(self.status, self.error, &self.description);
        if self.basic_challenge {
            wire::set_header(
                &mut resp,
                "www-authenticate",
                "Basic realm=\"mcp-oauth-fixtures\"",
            );
        }
        resp
    }
}

impl From<ParamError> for Fail {
    fn from(e: ParamError) -> Self {
        Self::new("invalid_request", e.to_string())
    }
}

/// `POST /token`.
pub(crate) fn endpoint(shared: &Shared, req: &Req) -> Resp {
    if req.method != Method::POST {
        return method_not_allowed("POST");
    }
    match grant(shared, req) {
        Ok(body) => {
            let mut resp = wire::json(200, &body);
            wire::set_header(&mut resp, "cache-control", "no-store");
            wire::set_header(&mut resp, "pragma", "no-cache");
            resp
        }
        Err(fail) => fail.into_resp(),
    }
}

fn grant(shared: &Shared, req: &Req) -> Result<serde_json::Value, Fail> {
    if !wire::content_type_is(&req.headers, "application/x-www-form-urlencoded") {
        return Err(Fail::new(
            "invalid_request",
            "content type must be application/x-www-form-urlencoded",
        ));
    }
    let params = Params::parse(&req.body);
    let grant_type = params.require("grant_type")?;
    let mut state = shared.lock();
    let client = authenticate(&state, &req.headers, &params)?;
    let grant_allowed = client.info.grant_types.iter().any(|g| g == grant_type);
    match grant_type {
        "authorization_code" | "refresh_token" | "client_credentials" if !grant_allowed => {
            Err(Fail::new(
                "unauthorized_client",
                format!("client is not registered for {grant_type}"),
            ))
        }
        "authorization_code" => authorization_code(shared, &mut state, &client, &params),
        "refresh_token" => refresh_token(shared, &mut state, &client, &params),
        "client_credentials" => client_credentials(shared, &mut state, &client, &params),
        crate::device::GRANT if !grant_allowed => Err(Fail::new(
            "unauthorized_client",
            "client is not registered for the device code grant",
        )),
        crate::device::GRANT if shared.cfg.device_approve_after.is_some() => {
            crate::device::poll(shared, &mut state, &client, &params)
        }
        _ => Err(Fail::new(
            "unsupported_grant_type",
            "grant_type not supported",
        )),
    }
}

/// Authenticates the client with exactly one method, the one it registered (RFC 6749 §2.3).
pub(crate) fn authenticate(
    state: &State,
    headers: &hyper::HeaderMap,
    params: &Params,
) -> Result<Client, Fail> {
    let body_id = params.get("client_id")?;
    let body_secret = params.get("client_secret")?;
    match wire::basic_credentials(headers) {
        AuthorizationHeader::Malformed => Err(Fail::client(
            "malformed Authorization header (Basic with form-urlencoded id:secret expected)",
            true,
        )),
        AuthorizationHeader::Basic(creds) => {
            if body_secret.is_some() {
                return Err(Fail::new(
                    "invalid_request",
                    "more than one client authentication method",
                ));
            }
            if body_id.is_some_and(|id| id != creds.client_id) {
                return Err(Fail::new(
                    "invalid_request",
                    "client_id in body differs from Basic credentials",
                ));
            }
            let client = lookup(state, &creds.client_id, true)?;
            if client.info.auth_method != AuthMethod::ClientSecretBasic {
                return Err(Fail::client(wrong_method(client.info.auth_method), true));
            }
            check_secret(&client, &creds.secret, true)?;
            Ok(client)
        }
        AuthorizationHeader::Absent => {
            let Some(id) = body_id else {
                return Err(Fail::client("no client authentication", false));
            };
            let client = lookup(state, id, false)?;
            match client.info.auth_method {
                AuthMethod::None if body_secret.is_some() => {
                    Err(Fail::client("public client sent a client_secret", false))
                }
                AuthMethod::None => Ok(client),
                AuthMethod::ClientSecretPost => {
                    check_secret(&client, body_secret.unwrap_or(""), false)?;
                    Ok(client)
                }
                other => Err(Fail::client(wrong_method(other), false)),
            }
        }
    }
}

fn wrong_method(registered: AuthMethod) -> String {
    format!("client must authenticate with {}", registered.as_str())
}

fn lookup(state: &State, client_id: &str, basic: bool) -> Result<Client, Fail> {
    state
        .clients
        .get(client_id)
        .cloned()
        .ok_or_else(|| Fail::client("unknown client", basic))
}

fn check_secret(client: &Client, sent: &str, basic: bool) -> Result<(), Fail> {
    match &client.secret {
        Some(expected) if constant_time_eq(expected.as_bytes(), sent.as_bytes()) => Ok(()),
        _ => Err(Fail::client("bad client secret", basic)),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// RFC 8707: a token request's `resource` must match what the grant is for.
fn check_resource(shared: &Shared, params: &Params, granted: &str) -> Result<(), Fail> {
    match resource_param(params, shared) {
        Err(why) => Err(Fail::new("invalid_target", why)),
        Ok(Some(r)) if r != granted => Err(Fail::new(
            "invalid_target",
            "resource differs from the grant",
        )),
        Ok(_) => Ok(()),
    }
}

pub(crate) fn token_response(
    shared: &Shared,
    access: String,
    scopes: &[String],
    refresh: Option<String>,
) -> serde_json::Value {
    let mut body = json!({
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": shared.cfg.access_token_ttl.as_secs(),
        "scope": scopes.join(" "),
    });
    if let (Some(r), Some(obj)) = (refresh, body.as_object_mut()) {
        obj.insert("refresh_token".into(), json!(r));
    }
    body
}

pub(crate) fn wants_refresh(shared: &Shared, client: &Client) -> bool {
    shared.cfg.refresh_tokens && client.info.grant_types.iter().any(|g| g == "refresh_token")
}

fn authorization_code(
    shared: &Shared,
    state: &mut State,
    client: &Client,
    params: &Params,
) -> Result<serde_json::Value, Fail> {
    let code = params.require("code")?;
    let redirect_uri = params.require("redirect_uri")?;
    let verifier = params.require("code_verifier")?;
    let Some(record) = state.codes.get_mut(code) else {
        return Err(Fail::new("invalid_grant", "unknown authorization code"));
    };
    if record.client_id != client.info.client_id {
        return Err(Fail::new(
            "invalid_grant",
            "code was issued to another client",
        ));
    }
    if record.used {
        // RFC 6749 §4.1.2: revoke what the code already produced.
        let grant = record.grant;
        state.revoke_grant(grant);
        return Err(Fail::new(
            "invalid_grant",
            "authorization code already used; grant revoked",
        ));
    }
    // Any redemption attempt by the right client consumes the code.
    record.used = true;
    if record.expires <= SystemTime::now() {
        return Err(Fail::new("invalid_grant", "authorization code expired"));
    }
    if record.redirect_uri != redirect_uri {
        return Err(Fail::new(
            "invalid_grant",
            "redirect_uri differs from the authorization request",
        ));
    }
    if !wire::is_valid_verifier(verifier) || wire::s256(verifier) != record.challenge {
        return Err(Fail::new("invalid_grant", "PKCE verification failed"));
    }
    let (resource, scopes, grant) = (record.resource.clone(), record.scopes.clone(), record.grant);
    check_resource(shared, params, &resource)?;
    let access = state.issue_access(&shared.cfg, &resource, &scopes, grant);
    let refresh = wants_refresh(shared, client)
        .then(|| state.issue_refresh(&client.info.client_id, &resource, &scopes, grant));
    Ok(token_response(shared, access, &scopes, refresh))
}

fn refresh_token(
    shared: &Shared,
    state: &mut State,
    client: &Client,
    params: &Params,
) -> Result<serde_json::Value, Fail> {
    let token = params.require("refresh_token")?;
    let Some(record) = state.refresh.get_mut(token) else {
        return Err(Fail::new("invalid_grant", "unknown refresh token"));
    };
    if record.client_id != client.info.client_id {
        return Err(Fail::new(
            "invalid_grant",
            "refresh token was issued to another client",
        ));
    }
    let grant = record.grant;
    if record.rotated {
        state.revoke_grant(grant);
        return Err(Fail::new(
            "invalid_grant",
            "rotated refresh token reused; grant revoked",
        ));
    }
    let (resource, granted) = (record.resource.clone(), record.scopes.clone());
    if state.grant_revoked(grant) {
        return Err(Fail::new("invalid_grant", "grant revoked"));
    }
    check_resource(shared, params, &resource)?;
    let scopes = match params.get("scope")? {
        None => granted.clone(),
        Some(s) => {
            let asked: Vec<String> = s
                .split(' ')
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect();
            if asked.is_empty() || asked.iter().any(|a| !granted.contains(a)) {
                return Err(Fail::new(
                    "invalid_scope",
                    "a refresh may only keep or narrow the scope",
                ));
            }
            asked
        }
    };
    let rotated = shared.cfg.rotate_refresh_tokens.then(|| {
        if let Some(old) = state.refresh.get_mut(token) {
            old.rotated = true;
        }
        // The new refresh token keeps the original grant's scope (RFC 6749 §6).
        state.issue_refresh(&client.info.client_id, &resource, &granted, grant)
    });
    let access = state.issue_access(&shared.cfg, &resource, &scopes, grant);
    Ok(token_response(shared, access, &scopes, rotated))
}

fn client_credentials(
    shared: &Shared,
    state: &mut State,
    client: &Client,
    params: &Params,
) -> Result<serde_json::Value, Fail> {
    if !client.info.auth_method.needs_secret() {
        return Err(Fail::new(
            "unauthorized_client",
            "client_credentials needs a confidential client",
        ));
    }
    let resource = match resource_param(params, shared) {
        Ok(r) => r.unwrap_or(&shared.urls.mcp_url).to_owned(),
        Err(why) => return Err(Fail::new("invalid_target", why)),
    };
    let Some(scopes) = parse_scopes(&shared.cfg, params.get("scope")?) else {
        return Err(Fail::new("invalid_scope", "unknown scope requested"));
    };
    let grant = state.new_grant();
    let access = state.issue_access(&shared.cfg, &resource, &scopes, grant);
    Ok(token_response(shared, access, &scopes, None))
}
