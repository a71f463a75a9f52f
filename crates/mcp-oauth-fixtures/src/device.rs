//! The device authorization grant (RFC 8628) and token revocation (RFC 7009) on the fixture AS.
//!
//! - `POST /device` (when [`FixtureConfig::device_authorization`](crate::FixtureConfig::device_authorization)
//!   is set): client authentication as at the token endpoint, the client must be registered for
//!   the device grant, `resource` and `scope` checked as at `/authorize`; answers a device code,
//!   a user code, `interval: 1` and `expires_in: 600`.
//! - The token endpoint's `urn:ietf:params:oauth:grant-type:device_code` grant: the "user"
//!   approves after the configured number of polls (`authorization_pending` until then), then
//!   tokens are issued once; a poll sooner than the interval gets `slow_down`, an expired code
//!   `expired_token`.
//! - `POST /revoke` (advertised unless turned off): client authentication as at the token
//!   endpoint; a refresh token revokes its whole grant (RFC 7009 §2.1 allows it), an access
//!   token only itself; unknown tokens get 200 too (§2.2), and another client's refresh token
//!   is left alone.

use std::time::{Duration, SystemTime};

use hyper::Method;
use serde_json::json;

use crate::authz::{method_not_allowed, parse_scopes, resource_param};
use crate::server::Req;
use crate::state::{Client, Shared, State};
use crate::token::{Fail, authenticate, token_response, wants_refresh};
use crate::wire::{self, Params, Resp};

/// The device code grant type (RFC 8628 §3.4).
pub(crate) const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// How long a device code lives.
const DEVICE_CODE_TTL: Duration = Duration::from_secs(600);

/// The polling interval the fixture asks for.
const INTERVAL: Duration = Duration::from_secs(1);

/// A pending device authorization.
#[derive(Debug)]
pub(crate) struct DeviceRecord {
    client_id: String,
    scopes: Vec<String>,
    resource: String,
    expires: SystemTime,
    polls: u32,
    last_poll: Option<SystemTime>,
    used: bool,
}

fn form_ok(req: &Req) -> Result<Params, Fail> {
    if !wire::content_type_is(&req.headers, "application/x-www-form-urlencoded") {
        return Err(Fail::new(
            "invalid_request",
            "content type must be application/x-www-form-urlencoded",
        ));
    }
    Ok(Params::parse(&req.body))
}

/// `POST /device` (RFC 8628 §3.1, §3.2).
pub(crate) fn authorize(shared: &Shared, req: &Req) -> Resp {
    if req.method != Method::POST {
        return method_not_allowed("POST");
    }
    match device_authorization(shared, req) {
        Ok(body) => {
            let mut resp = wire::json(200, &body);
            wire::set_header(&mut resp, "cache-control", "no-store");
            resp
        }
        Err(fail) => fail.into_resp(),
    }
}

fn device_authorization(shared: &Shared, req: &Req) -> Result<serde_json::Value, Fail> {
    let params = form_ok(req)?;
    let mut state = shared.lock();
    let client = authenticate(&state, &req.headers, &params)?;
    if !client.info.grant_types.iter().any(|g| g == GRANT) {
        return Err(Fail::new(
            "unauthorized_client",
            "client is not registered for the device code grant",
        ));
    }
    let resource = match resource_param(&params, shared) {
        Ok(r) => r.unwrap_or(&shared.urls.mcp_url).to_owned(),
        Err(why) => return Err(Fail::new("invalid_target", why)),
    };
    let Some(scopes) = parse_scopes(&shared.cfg, params.get("scope")?) else {
        return Err(Fail::new("invalid_scope", "unknown scope requested"));
    };
    let device_code = state.token();
    let user_code = state
        .id("")
        .chars()
        .take(8)
        .collect::<String>()
        .to_uppercase();
    state.devices.insert(
        device_code.clone(),
        DeviceRecord {
            client_id: client.info.client_id.clone(),
            scopes,
            resource,
            expires: SystemTime::now()
                .checked_add(DEVICE_CODE_TTL)
                .unwrap_or(SystemTime::UNIX_EPOCH),
            polls: 0,
            last_poll: None,
            used: false,
        },
    );
    let verify = format!("{}/device/verify", shared.urls.issuer);
    Ok(json!({
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri": verify,
        "verification_uri_complete": format!("{verify}?user_code={user_code}"),
        "expires_in": DEVICE_CODE_TTL.as_secs(),
        "interval": INTERVAL.as_secs(),
    }))
}

/// The device code grant at the token endpoint (RFC 8628 §3.4, §3.5).
pub(crate) fn poll(
    shared: &Shared,
    state: &mut State,
    client: &Client,
    params: &Params,
) -> Result<serde_json::Value, Fail> {
    let approve_after = shared.cfg.device_approve_after.unwrap_or(0);
    let code = params.require("device_code")?;
    let Some(record) = state.devices.get_mut(code) else {
        return Err(Fail::new("invalid_grant", "unknown device code"));
    };
    if record.client_id != client.info.client_id {
        return Err(Fail::new(
            "invalid_grant",
            "device code was issued to another client",
        ));
    }
    if record.used {
        return Err(Fail::new("invalid_grant", "device code already used"));
    }
    let now = SystemTime::now();
    if record.expires <= now {
        return Err(Fail::new("expired_token", "the device code expired"));
    }
    // A poll sooner than the interval (less a little jitter) is told to slow down.
    let too_soon = record.last_poll.is_some_and(|last| {
        now.duration_since(last)
            .is_ok_and(|d| d + Duration::from_millis(200) < INTERVAL)
    });
    record.last_poll = Some(now);
    if too_soon {
        return Err(Fail::new("slow_down", "polling faster than the interval"));
    }
    record.polls = record.polls.saturating_add(1);
    if record.polls <= approve_after {
        return Err(Fail::new(
            "authorization_pending",
            "the user has not approved yet",
        ));
    }
    record.used = true;
    let (resource, scopes) = (record.resource.clone(), record.scopes.clone());
    if let Ok(Some(r)) = resource_param(params, shared)
        && r != resource
    {
        return Err(Fail::new(
            "invalid_target",
            "resource differs from the device authorization request",
        ));
    }
    let grant = state.new_grant();
    let access = state.issue_access(&shared.cfg, &resource, &scopes, grant);
    let refresh = wants_refresh(shared, client)
        .then(|| state.issue_refresh(&client.info.client_id, &resource, &scopes, grant));
    Ok(token_response(shared, access, &scopes, refresh))
}

/// Add `device_authorization_endpoint` and `revocation_endpoint` to the AS metadata when served.
pub(crate) fn advertise(shared: &Shared, doc: &mut serde_json::Value) {
    let issuer = &shared.urls.issuer;
    let Some(obj) = doc.as_object_mut() else {
        return;
    };
    if shared.cfg.device_approve_after.is_some() {
        obj.insert(
            "device_authorization_endpoint".into(),
            json!(format!("{issuer}/device")),
        );
        if let Some(grants) = obj
            .get_mut("grant_types_supported")
            .and_then(|g| g.as_array_mut())
        {
            grants.push(json!(GRANT));
        }
    }
    if shared.cfg.revocation {
        obj.insert(
            "revocation_endpoint".into(),
            json!(format!("{issuer}/revoke")),
        );
    }
}

/// `POST /revoke` (RFC 7009 §2).
pub(crate) fn revoke(shared: &Shared, req: &Req) -> Resp {
    if req.method != Method::POST {
        return method_not_allowed("POST");
    }
    match revocation(shared, req) {
        Ok(()) => wire::empty(200),
        Err(fail) => fail.into_resp(),
    }
}

fn revocation(shared: &Shared, req: &Req) -> Result<(), Fail> {
    let params = form_ok(req)?;
    let mut state = shared.lock();
    let client = authenticate(&state, &req.headers, &params)?;
    let token = params.require("token")?.to_owned();
    if let Some(hint) = params.get("token_type_hint")?
        && hint != "access_token"
        && hint != "refresh_token"
    {
        return Err(Fail::new(
            "unsupported_token_type",
            "unknown token_type_hint",
        ));
    }
    let grant = state
        .refresh
        .get(&token)
        .filter(|r| r.client_id == client.info.client_id)
        .map(|r| r.grant);
    if let Some(grant) = grant {
        state.revoke_grant(grant);
        state.stats.tokens_revoked = state.stats.tokens_revoked.saturating_add(1);
    } else if state.access.remove(&token).is_some() {
        state.stats.tokens_revoked = state.stats.tokens_revoked.saturating_add(1);
    }
    Ok(())
}
