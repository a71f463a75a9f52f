//! The device authorization grant (RFC 8628): authorization for clients that cannot receive a
//! redirect (headless machines, SSH sessions, CI), where the user approves on another device.
//!
//! 1. [`DeviceAuthorizationRequest`] builds the `POST` to the AS's
//!    `device_authorization_endpoint` (RFC 8628 §3.1): `scope`, RFC 8707 `resource`, and the
//!    client authentication of the token endpoint (`client_id` in the body for public clients).
//! 2. [`parse_device_authorization_response`] checks the answer (§3.2) into a
//!    [`DeviceAuthorization`]: the secret [`DeviceCode`], the `user_code` to show, the
//!    `verification_uri` (and `verification_uri_complete`) to open, the absolute expiry and the
//!    polling interval (5 s when absent, §3.2).
//! 3. The client shows the code and URI to the user, then polls the token endpoint with
//!    [`DeviceTokenRequest`] (`grant_type=urn:ietf:params:oauth:grant-type:device_code`, §3.4)
//!    no more often than the interval, and reads each answer with
//!    [`parse_device_token_response`] (§3.5): `authorization_pending` → keep polling,
//!    `slow_down` → add 5 s to the interval, `access_denied` and `expired_token` → stop.
//!
//! [`AuthFlow`](crate::flow::AuthFlow) does all of this with its own timers when
//! [`FlowConfig::device_authorization`](crate::flow::FlowConfig::device_authorization) is on.
//!
//! ```
//! use mcp_oauth_core::device::{
//!     DevicePollError, DeviceTokenRequest, parse_device_authorization_response,
//!     parse_device_token_response,
//! };
//! use mcp_oauth_core::http::HttpResponse;
//! use mcp_oauth_core::token::ClientAuth;
//! use mcp_oauth_core::urls::UrlPolicy;
//! use mcp_oauth_core::{Scopes, Timestamp};
//! use core::time::Duration;
//!
//! let json = |status, body: &str| HttpResponse::new(
//!     status,
//!     vec![("content-type".into(), b"application/json".to_vec())],
//!     body.as_bytes().to_vec(),
//! );
//! let now = Timestamp::from_unix_seconds(1_700_000_000);
//! // The example response of RFC 8628 §3.2.
//! let answer = json(200, r#"{
//!     "device_code": "GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS",
//!     "user_code": "WDJB-MJHT",
//!     "verification_uri": "https://example.com/device",
//!     "verification_uri_complete": "https://example.com/device?user_code=WDJB-MJHT",
//!     "expires_in": 1800,
//!     "interval": 5
//! }"#);
//! let device = parse_device_authorization_response(&answer, now, UrlPolicy::https_only())?;
//! assert_eq!(device.user_code(), "WDJB-MJHT");
//! assert_eq!(device.verification_uri(), "https://example.com/device");
//! assert_eq!(device.expires_at(), now.saturating_add(Duration::from_secs(1800)));
//! assert_eq!(device.interval(), Duration::from_secs(5));
//! assert!(!format!("{device:?}").contains("GmRhmhcx")); // the device code is a secret
//!
//! let poll = DeviceTokenRequest::new(device.device_code(), "https://mcp.example.com/mcp")
//!     .build(
//!         "https://example.com/token",
//!         &ClientAuth::None { client_id: "my-client".into() },
//!         UrlPolicy::https_only(),
//!     )
//!     .unwrap();
//! let body = String::from_utf8(poll.body.clone()).unwrap();
//! assert!(body.starts_with("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&"));
//!
//! let pending = json(400, r#"{"error":"authorization_pending"}"#);
//! assert_eq!(
//!     parse_device_token_response(&pending, now, &Scopes::default()).unwrap_err(),
//!     DevicePollError::AuthorizationPending
//! );
//! # Ok::<(), mcp_oauth_core::device::DeviceAuthorizationError>(())
//! ```

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::Value;

use crate::http::{HttpRequest, HttpResponse};
use crate::secret::{WipedString, wipe_string};
use crate::token::{
    ClientAuth, TokenErrorCode, TokenResponseError, TokenSet, parse_token_response,
};
use crate::urls::{UrlError, UrlPolicy};
use crate::{Scopes, Timestamp};

/// The `grant_type` of the device access token request (RFC 8628 §3.4).
pub const DEVICE_CODE_GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The polling interval when the response gives none (RFC 8628 §3.2).
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// What `slow_down` adds to the interval, for this and all later requests (RFC 8628 §3.5).
pub const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);

/// The longest `user_code` accepted, in bytes. RFC 8628 §6.1 wants short codes a user can type.
pub const MAX_USER_CODE_LEN: usize = 128;

/// The longest interval honoured: a larger one is clamped (a server cannot park the client for
/// longer than an hour per poll).
const MAX_INTERVAL: Duration = Duration::from_secs(3600);

/// The device verification code (RFC 8628 §3.2 `device_code`): the credential the client polls
/// with. `Debug` prints `DeviceCode([redacted])`, there is no `Display`, it is wiped on drop and
/// not `Clone`.
pub struct DeviceCode(String);

impl DeviceCode {
    /// Wrap a raw value.
    #[must_use]
    pub fn new(value: String) -> Self {
        Self(value)
    }

    /// The raw value.
    ///
    /// # Security
    ///
    /// The returned string is a live credential until the grant ends. Do not log it, and send it
    /// only to the token endpoint of the server that issued it.
    #[must_use]
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for DeviceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DeviceCode([redacted])")
    }
}

impl Drop for DeviceCode {
    fn drop(&mut self) {
        wipe_string(&mut self.0);
    }
}

/// Why a device authorization or device token request could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceRequestError {
    /// The endpoint breaks the transport policy (https, or loopback http when allowed).
    #[error("endpoint refused: {0}")]
    Endpoint(UrlError),
    /// A required parameter (named here) is empty.
    #[error("device request parameter `{0}` is empty")]
    EmptyParameter(&'static str),
    /// `resource` is not an absolute URI without a fragment (RFC 8707 §2).
    #[error("resource is not an absolute URI without a fragment")]
    InvalidResource,
}

fn check_common(
    endpoint: &str,
    resource: Option<&str>,
    auth: &ClientAuth,
    policy: UrlPolicy,
) -> Result<(), DeviceRequestError> {
    policy
        .check(endpoint)
        .map_err(DeviceRequestError::Endpoint)?;
    if let Some(resource) = resource {
        match url::Url::parse(resource) {
            Ok(u) if u.fragment().is_none() => {}
            _ => return Err(DeviceRequestError::InvalidResource),
        }
    }
    if auth.client_id().is_empty() {
        return Err(DeviceRequestError::EmptyParameter("client_id"));
    }
    Ok(())
}

/// The device authorization request (RFC 8628 §3.1).
#[derive(Debug, Clone)]
#[must_use = "a device authorization request does nothing until built and sent"]
pub struct DeviceAuthorizationRequest {
    resource: Option<String>,
    scope: Scopes,
}

impl DeviceAuthorizationRequest {
    /// A request for access to `resource` (RFC 8707; sent verbatim), without scope.
    pub fn new(resource: &str) -> Self {
        Self {
            resource: Some(String::from(resource)),
            scope: Scopes::default(),
        }
    }

    /// A request without `resource` (for servers that refuse it; MCP clients should send it).
    pub fn without_resource() -> Self {
        Self {
            resource: None,
            scope: Scopes::default(),
        }
    }

    /// The scope to request; an empty set sends no `scope` parameter.
    pub fn scopes(mut self, scope: &Scopes) -> Self {
        self.scope = scope.clone();
        self
    }

    /// Build the `POST` to `device_authorization_endpoint`: `scope` (when not empty),
    /// `resource`, then the client authentication of `auth`.
    ///
    /// # Errors
    ///
    /// [`DeviceRequestError`] for a refused endpoint, a bad `resource`, an empty client id or an
    /// unsupported client authentication method.
    pub fn build(
        self,
        endpoint: &str,
        auth: &ClientAuth,
        policy: UrlPolicy,
    ) -> Result<HttpRequest, DeviceRequestError> {
        check_common(endpoint, self.resource.as_deref(), auth, policy)?;
        let scope =
            (!self.scope.is_empty()).then(|| alloc::string::ToString::to_string(&self.scope));
        let mut params: Vec<(&str, &str)> = Vec::with_capacity(5);
        if let Some(s) = &scope {
            params.push(("scope", s));
        }
        if let Some(r) = &self.resource {
            params.push(("resource", r));
        }
        Ok(crate::form::post(endpoint, params, auth))
    }
}

/// The device access token request (RFC 8628 §3.4), sent once per polling interval.
#[derive(Debug)]
#[must_use = "a device token request does nothing until built and sent"]
pub struct DeviceTokenRequest {
    device_code: WipedString,
    resource: Option<String>,
}

impl DeviceTokenRequest {
    /// Poll for the grant of `device_code`, for `resource` (RFC 8707, sent verbatim).
    pub fn new(device_code: &DeviceCode, resource: &str) -> Self {
        Self {
            device_code: WipedString::new(String::from(device_code.secret())),
            resource: Some(String::from(resource)),
        }
    }

    /// Poll without a `resource` parameter.
    pub fn without_resource(device_code: &DeviceCode) -> Self {
        Self {
            device_code: WipedString::new(String::from(device_code.secret())),
            resource: None,
        }
    }

    /// Build the `POST` to `token_endpoint`: `grant_type`, `device_code`, `resource`, then the
    /// client authentication of `auth` (§3.4: `client_id` for public clients).
    ///
    /// # Errors
    ///
    /// [`DeviceRequestError`] as for [`DeviceAuthorizationRequest::build`], and an empty
    /// device code.
    pub fn build(
        self,
        token_endpoint: &str,
        auth: &ClientAuth,
        policy: UrlPolicy,
    ) -> Result<HttpRequest, DeviceRequestError> {
        check_common(token_endpoint, self.resource.as_deref(), auth, policy)?;
        if self.device_code.as_str().is_empty() {
            return Err(DeviceRequestError::EmptyParameter("device_code"));
        }
        let mut params: Vec<(&str, &str)> = Vec::with_capacity(6);
        params.push(("grant_type", DEVICE_CODE_GRANT_TYPE));
        params.push(("device_code", self.device_code.as_str()));
        if let Some(r) = &self.resource {
            params.push(("resource", r));
        }
        Ok(crate::form::post(token_endpoint, params, auth))
    }
}

/// A checked device authorization response (RFC 8628 §3.2).
#[derive(Debug)]
pub struct DeviceAuthorization {
    device_code: DeviceCode,
    user_code: String,
    verification_uri: String,
    verification_uri_complete: Option<String>,
    expires_at: Timestamp,
    interval: Duration,
}

impl DeviceAuthorization {
    /// The device code to poll with.
    #[must_use]
    pub fn device_code(&self) -> &DeviceCode {
        &self.device_code
    }

    /// The code the user enters at the verification URI (printable, no control characters).
    #[must_use]
    pub fn user_code(&self) -> &str {
        &self.user_code
    }

    /// Where the user goes to enter the code; accepted by the URL policy.
    #[must_use]
    pub fn verification_uri(&self) -> &str {
        &self.verification_uri
    }

    /// The verification URI with the user code in it (for a QR code or a link), if given and
    /// accepted by the URL policy.
    #[must_use]
    pub fn verification_uri_complete(&self) -> Option<&str> {
        self.verification_uri_complete.as_deref()
    }

    /// When the device code expires (receipt time + `expires_in`).
    #[must_use]
    pub const fn expires_at(&self) -> Timestamp {
        self.expires_at
    }

    /// The minimum time between polls: `interval`, or 5 s when absent (at least 1 s, at most
    /// an hour).
    #[must_use]
    pub const fn interval(&self) -> Duration {
        self.interval
    }

    /// Take the device code out, leaving the rest.
    #[must_use]
    pub fn into_device_code(self) -> DeviceCode {
        self.device_code
    }
}

/// Why a device authorization response was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeviceAuthorizationError {
    /// The server returned an OAuth error (RFC 8628 §3.2 refers to RFC 6749 §5.2), for example
    /// `invalid_client` or `unauthorized_client`.
    #[error("device authorization endpoint returned error `{code}` (HTTP {status})")]
    Server {
        /// The HTTP status.
        status: u16,
        /// The error code.
        code: TokenErrorCode,
    },
    /// A status other than 200 without an OAuth error.
    #[error("device authorization endpoint returned HTTP {status}")]
    UnexpectedStatus {
        /// The HTTP status.
        status: u16,
    },
    /// The body is not a JSON object.
    #[error("device authorization response is not a JSON object")]
    InvalidJson,
    /// A member appears twice (named here).
    #[error("device authorization response member `{0}` appears twice")]
    DuplicateMember(&'static str),
    /// A required member (named here) is missing or empty.
    #[error("device authorization response has no `{0}`")]
    MissingMember(&'static str),
    /// A member (named here) has the wrong type or an unusable value.
    #[error("device authorization response member `{0}` is invalid")]
    InvalidMember(&'static str),
    /// A verification URI (member named here) is not an absolute URL the URL policy accepts.
    #[error("device authorization `{member}` refused: {error}")]
    VerificationUri {
        /// `verification_uri` or `verification_uri_complete`.
        member: &'static str,
        /// Why.
        error: UrlError,
    },
}

/// The members read from the response; everything else is skipped.
const MEMBERS: [&str; 8] = [
    "device_code",
    "user_code",
    "verification_uri",
    "verification_uri_complete",
    "expires_in",
    "interval",
    "error",
    // OpenID-flavoured servers (Google) used `verification_url`; read as a fallback.
    "verification_url",
];

/// The known members of a JSON object, in slots; a repeated known member is recorded.
struct Members {
    slots: [Option<Value>; 8],
    duplicate: Option<&'static str>,
}

impl Drop for Members {
    fn drop(&mut self) {
        // Slot 0 is the device code.
        if let Some(Value::String(mut s)) = self.slots.first_mut().and_then(Option::take) {
            wipe_string(&mut s);
        }
    }
}

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Members;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut m = Members {
                    slots: Default::default(),
                    duplicate: None,
                };
                while let Some(key) = map.next_key::<String>()? {
                    match MEMBERS.iter().position(|k| *k == key) {
                        Some(i) => {
                            let value = map.next_value::<Value>()?;
                            if let (Some(slot), Some(name)) = (m.slots.get_mut(i), MEMBERS.get(i)) {
                                if slot.is_some() {
                                    m.duplicate.get_or_insert(name);
                                }
                                *slot = Some(value);
                            }
                        }
                        None => {
                            map.next_value::<de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(m)
            }
        }
        deserializer.deserialize_map(V)
    }
}

impl Members {
    fn take(&mut self, i: usize) -> Option<Value> {
        self.slots.get_mut(i).and_then(Option::take)
    }
}

fn seconds(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    }
}

fn text_member(
    value: Option<Value>,
    name: &'static str,
) -> Result<Option<String>, DeviceAuthorizationError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(DeviceAuthorizationError::InvalidMember(name)),
    }
}

fn checked_uri(
    uri: String,
    member: &'static str,
    policy: UrlPolicy,
) -> Result<String, DeviceAuthorizationError> {
    // Shown to the user and perhaps opened: no control characters, an absolute URL the policy
    // accepts (https, or loopback http when allowed).
    if uri.chars().any(char::is_control) {
        return Err(DeviceAuthorizationError::InvalidMember(member));
    }
    policy
        .check(&uri)
        .map_err(|error| DeviceAuthorizationError::VerificationUri { member, error })?;
    Ok(uri)
}

/// Check a device authorization response (RFC 8628 §3.2). `now` is the receipt time (the
/// expiry is absolute); `policy` checks the verification URIs.
///
/// Rules: `device_code`, `user_code`, `verification_uri` and `expires_in` are required
/// (`verification_url` is read when `verification_uri` is absent); numbers may be JSON numbers
/// or numeric strings; `interval` defaults to 5 s, and 0 counts as absent; a `user_code` with
/// control characters or longer than [`MAX_USER_CODE_LEN`] is refused (it is shown on a
/// terminal); a repeated member is refused.
///
/// # Errors
///
/// [`DeviceAuthorizationError`]; no error holds the body or the device code.
pub fn parse_device_authorization_response(
    response: &HttpResponse,
    now: Timestamp,
    policy: UrlPolicy,
) -> Result<DeviceAuthorization, DeviceAuthorizationError> {
    if response.status != 200 {
        return Err(server_error(response));
    }
    let mut m: Members = serde_json::from_slice(&response.body)
        .map_err(|_| DeviceAuthorizationError::InvalidJson)?;
    if let Some(name) = m.duplicate {
        return Err(DeviceAuthorizationError::DuplicateMember(name));
    }
    if matches!(m.slots.get(6), Some(Some(Value::String(_)))) {
        return Err(server_error(response));
    }
    let device_code = match m.take(0) {
        Some(Value::String(s)) if !s.is_empty() => DeviceCode::new(s),
        None | Some(Value::Null) | Some(Value::String(_)) => {
            return Err(DeviceAuthorizationError::MissingMember("device_code"));
        }
        Some(_) => return Err(DeviceAuthorizationError::InvalidMember("device_code")),
    };
    let user_code = text_member(m.take(1), "user_code")?
        .ok_or(DeviceAuthorizationError::MissingMember("user_code"))?;
    if user_code.len() > MAX_USER_CODE_LEN || user_code.chars().any(char::is_control) {
        return Err(DeviceAuthorizationError::InvalidMember("user_code"));
    }
    let uri = match text_member(m.take(2), "verification_uri")? {
        Some(u) => u,
        None => text_member(m.take(7), "verification_url")?
            .ok_or(DeviceAuthorizationError::MissingMember("verification_uri"))?,
    };
    let verification_uri = checked_uri(uri, "verification_uri", policy)?;
    let verification_uri_complete = text_member(m.take(3), "verification_uri_complete")?
        .map(|u| checked_uri(u, "verification_uri_complete", policy))
        .transpose()?;
    let expires_in = match m.take(4) {
        None | Some(Value::Null) => {
            return Err(DeviceAuthorizationError::MissingMember("expires_in"));
        }
        Some(v) => seconds(&v)
            .filter(|s| *s > 0)
            .ok_or(DeviceAuthorizationError::InvalidMember("expires_in"))?,
    };
    let interval = match m.take(5) {
        None | Some(Value::Null) => DEFAULT_INTERVAL,
        Some(v) => match seconds(&v) {
            Some(0) => DEFAULT_INTERVAL,
            Some(s) => Duration::from_secs(s).min(MAX_INTERVAL),
            None => return Err(DeviceAuthorizationError::InvalidMember("interval")),
        },
    };
    Ok(DeviceAuthorization {
        device_code,
        user_code,
        verification_uri,
        verification_uri_complete,
        expires_at: now.saturating_add(Duration::from_secs(expires_in)),
        interval,
    })
}

/// The error of a non-200 (or `error`-carrying) answer, via the RFC 6749 §5.2 parser.
fn server_error(response: &HttpResponse) -> DeviceAuthorizationError {
    let status = response.status;
    // Force the error path of the token parser: it never keeps the body.
    let probe = HttpResponse {
        status: if status == 200 { 400 } else { status },
        headers: response.headers.clone(),
        body: response.body.clone(),
    };
    match parse_token_response(&probe, Timestamp::from_unix_millis(0), &Scopes::default()) {
        Err(TokenResponseError::Server(e)) => DeviceAuthorizationError::Server {
            status,
            code: e.code().clone(),
        },
        _ if status == 200 => DeviceAuthorizationError::InvalidMember("error"),
        _ => DeviceAuthorizationError::UnexpectedStatus { status },
    }
}

/// The outcome of one poll that did not produce tokens (RFC 8628 §3.5).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DevicePollError {
    /// `authorization_pending`: the user has not finished yet; poll again after the interval.
    #[error("authorization pending")]
    AuthorizationPending,
    /// `slow_down`: still pending, and the interval grows by 5 s for this and later polls.
    #[error("polling too fast (slow_down)")]
    SlowDown,
    /// `access_denied`: the user declined. Terminal.
    #[error("the user denied the authorization")]
    AccessDenied,
    /// `expired_token`: the device code expired. Terminal; a new device authorization may be
    /// started.
    #[error("the device code expired")]
    ExpiredToken,
    /// Any other token endpoint error or unusable response. Terminal.
    #[error("{0}")]
    Token(TokenResponseError),
}

impl DevicePollError {
    /// Whether polling continues after this answer (`authorization_pending`, `slow_down`).
    #[must_use]
    pub const fn keeps_polling(&self) -> bool {
        matches!(self, Self::AuthorizationPending | Self::SlowDown)
    }
}

/// Read the answer to a [`DeviceTokenRequest`] (RFC 8628 §3.5): tokens, checked like any token
/// response (`requested` is the scope of the device authorization request), or what to do next.
///
/// # Errors
///
/// [`DevicePollError`]: the two "keep polling" answers, the two terminal §3.5 answers, and any
/// other token error.
pub fn parse_device_token_response(
    response: &HttpResponse,
    now: Timestamp,
    requested: &Scopes,
) -> Result<TokenSet, DevicePollError> {
    parse_token_response(response, now, requested).map_err(|e| {
        let TokenResponseError::Server(s) = &e else {
            return DevicePollError::Token(e);
        };
        match s.code() {
            TokenErrorCode::Unknown(c) => match c.as_str() {
                "authorization_pending" => DevicePollError::AuthorizationPending,
                "slow_down" => DevicePollError::SlowDown,
                "access_denied" => DevicePollError::AccessDenied,
                "expired_token" => DevicePollError::ExpiredToken,
                _ => DevicePollError::Token(e),
            },
            _ => DevicePollError::Token(e),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    const NOW: Timestamp = Timestamp::from_unix_seconds(1_700_000_000);

    fn json(status: u16, body: &str) -> HttpResponse {
        HttpResponse::new(
            status,
            vec![("content-type".into(), b"application/json".to_vec())],
            body.as_bytes().to_vec(),
        )
    }

    fn parse(body: &str) -> Result<DeviceAuthorization, DeviceAuthorizationError> {
        parse_device_authorization_response(&json(200, body), NOW, UrlPolicy::https_only())
    }

    const MINIMAL: &str = r#"{"device_code":"dc","user_code":"UC","verification_uri":"https://as.example/device","expires_in":600}"#;

    #[test]
    fn interval_defaults_to_five_seconds_rfc8628_3_2() {
        let d = parse(MINIMAL).unwrap();
        assert_eq!(d.interval(), DEFAULT_INTERVAL);
        assert_eq!(d.device_code().secret(), "dc");
        assert_eq!(d.verification_uri_complete(), None);
        assert_eq!(d.expires_at(), NOW.saturating_add(Duration::from_secs(600)));
        let zero = MINIMAL.replace("600}", r#"600,"interval":0}"#);
        assert_eq!(parse(&zero).unwrap().interval(), DEFAULT_INTERVAL);
        let string = MINIMAL.replace("600}", r#""600","interval":"7"}"#);
        let d = parse(&string.replace(r#"600,"#, "")).unwrap();
        assert_eq!(d.interval(), Duration::from_secs(7));
        let huge = MINIMAL.replace("600}", r#"600,"interval":99999999}"#);
        assert_eq!(parse(&huge).unwrap().interval(), MAX_INTERVAL);
    }

    #[test]
    fn required_members() {
        for (member, err) in [
            ("device_code", "device_code"),
            ("user_code", "user_code"),
            ("verification_uri", "verification_uri"),
            ("expires_in", "expires_in"),
        ] {
            let mut v: serde_json::Map<String, Value> = serde_json::from_str(MINIMAL).unwrap();
            v.remove(member);
            let body = serde_json::to_string(&v).unwrap();
            assert_eq!(
                parse(&body).unwrap_err(),
                DeviceAuthorizationError::MissingMember(err),
                "{member}"
            );
        }
        let google = MINIMAL.replace("verification_uri", "verification_url");
        assert_eq!(
            parse(&google).unwrap().verification_uri(),
            "https://as.example/device"
        );
    }

    #[test]
    fn refused_values() {
        let http = MINIMAL.replace("https://as.example", "http://as.example");
        assert!(matches!(
            parse(&http).unwrap_err(),
            DeviceAuthorizationError::VerificationUri {
                member: "verification_uri",
                ..
            }
        ));
        let escape = MINIMAL.replace(r#""UC""#, r#""U\u001b[2JC""#);
        assert_eq!(
            parse(&escape).unwrap_err(),
            DeviceAuthorizationError::InvalidMember("user_code")
        );
        let dup = MINIMAL.replace(r#""user_code":"UC""#, r#""user_code":"UC","user_code":"X""#);
        assert_eq!(
            parse(&dup).unwrap_err(),
            DeviceAuthorizationError::DuplicateMember("user_code")
        );
        let negative = MINIMAL.replace("600", "-1");
        assert_eq!(
            parse(&negative).unwrap_err(),
            DeviceAuthorizationError::InvalidMember("expires_in")
        );
        assert_eq!(
            parse("[]").unwrap_err(),
            DeviceAuthorizationError::InvalidJson
        );
    }

    #[test]
    fn error_answers_are_typed() {
        let r = json(
            400,
            r#"{"error":"invalid_client","error_description":"dc"}"#,
        );
        assert_eq!(
            parse_device_authorization_response(&r, NOW, UrlPolicy::https_only()).unwrap_err(),
            DeviceAuthorizationError::Server {
                status: 400,
                code: TokenErrorCode::InvalidClient
            }
        );
        let ok_status_error = r#"{"error":"unauthorized_client"}"#;
        assert!(matches!(
            parse(ok_status_error).unwrap_err(),
            DeviceAuthorizationError::Server { status: 200, .. }
        ));
        assert_eq!(
            parse_device_authorization_response(&json(500, "oops"), NOW, UrlPolicy::https_only())
                .unwrap_err(),
            DeviceAuthorizationError::UnexpectedStatus { status: 500 }
        );
    }

    #[test]
    fn request_bodies_rfc8628_3_1_3_4() {
        let auth = ClientAuth::None {
            client_id: "1406020730".into(),
        };
        let req = DeviceAuthorizationRequest::new("https://mcp.example.com/mcp")
            .scopes(&Scopes::parse("example_scope"))
            .build(
                "https://as.example/device_authorization",
                &auth,
                UrlPolicy::https_only(),
            )
            .unwrap();
        assert_eq!(
            core::str::from_utf8(&req.body).unwrap(),
            "scope=example_scope&resource=https%3A%2F%2Fmcp.example.com%2Fmcp&client_id=1406020730"
        );
        let code = DeviceCode::new("GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS".into());
        let poll = DeviceTokenRequest::without_resource(&code)
            .build("https://as.example/token", &auth, UrlPolicy::https_only())
            .unwrap();
        // The RFC 8628 §3.4 example body.
        assert_eq!(
            core::str::from_utf8(&poll.body).unwrap(),
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code\
             &device_code=GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIySk9eS&client_id=1406020730"
        );
        assert!(!alloc::format!("{poll:?}{code:?}").contains("GmRhmhcx"));
        assert!(matches!(
            DeviceTokenRequest::new(&code, "not a uri").build(
                "https://as.example/token",
                &auth,
                UrlPolicy::https_only()
            ),
            Err(DeviceRequestError::InvalidResource)
        ));
        assert!(matches!(
            DeviceTokenRequest::new(&DeviceCode::new(String::new()), "https://r.example").build(
                "https://as.example/token",
                &auth,
                UrlPolicy::https_only()
            ),
            Err(DeviceRequestError::EmptyParameter("device_code"))
        ));
        assert!(matches!(
            DeviceAuthorizationRequest::without_resource().build(
                "http://as.example/device",
                &auth,
                UrlPolicy::https_only()
            ),
            Err(DeviceRequestError::Endpoint(_))
        ));
    }

    #[test]
    fn poll_answers_rfc8628_3_5() {
        let s = Scopes::default();
        let e = |code: &str| {
            parse_device_token_response(
                &json(400, &alloc::format!(r#"{{"error":"{code}"}}"#)),
                NOW,
                &s,
            )
            .unwrap_err()
        };
        assert_eq!(
            e("authorization_pending"),
            DevicePollError::AuthorizationPending
        );
        assert_eq!(e("slow_down"), DevicePollError::SlowDown);
        assert_eq!(e("access_denied"), DevicePollError::AccessDenied);
        assert_eq!(e("expired_token"), DevicePollError::ExpiredToken);
        assert!(e("slow_down").keeps_polling());
        assert!(!e("expired_token").keeps_polling());
        assert!(matches!(e("invalid_grant"), DevicePollError::Token(_)));
        let ok = json(
            200,
            r#"{"access_token":"at","token_type":"Bearer","expires_in":60}"#,
        );
        assert_eq!(
            parse_device_token_response(&ok, NOW, &s)
                .unwrap()
                .access_token()
                .secret(),
            "at"
        );
    }
}
