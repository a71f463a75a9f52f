//! Token endpoint responses (RFC 6749 §5.1, §5.2, §6; RFC 8707 §2).

use alloc::string::String;
use core::fmt;
use core::time::Duration;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;
use url::form_urlencoded;

use crate::http::HttpResponse;
use crate::secret::{AccessToken, RefreshToken, wipe_string};
use crate::untrusted::capped;
use crate::{Scopes, Timestamp};

/// The most bytes of server text (`error_description`, `error_uri`) an error keeps.
const MAX_SERVER_TEXT: usize = 1024;
/// The most bytes of a short server value (error code, token type, content type) an error keeps.
const MAX_SHORT_TEXT: usize = 64;

/// The type of an issued access token (RFC 6749 §7.1), compared case-insensitively.
///
/// [`parse_token_response`] understands `Bearer` (RFC 6750) only. `DPoP` (RFC 9449 §5) is
/// accepted only by the flow machine, and only for a token request that carried a DPoP proof
/// (with the `dpop` feature, see [`crate::flow::FlowConfig::dpop`]). A client must not use a
/// token whose type it does not understand, so other types are refused with
/// [`TokenResponseError::UnsupportedTokenType`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenType {
    /// `Bearer` (any case on the wire). Sent as `Authorization: Bearer <token>` (checklist U-4).
    Bearer,
    /// `DPoP` (any case on the wire): a DPoP-bound token (RFC 9449 §5), sent as
    /// `Authorization: DPoP <token>` with a proof in the `DPoP` header (§7.1).
    DPoP,
}

impl TokenType {
    /// The canonical spelling, for the `Authorization` header scheme.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Bearer => "Bearer",
            Self::DPoP => "DPoP",
        }
    }
}

/// The tokens from a successful token response (RFC 6749 §5.1).
///
/// `Debug` shows no token text (checklist V-11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSet {
    access_token: AccessToken,
    token_type: TokenType,
    expires_at: Option<Timestamp>,
    refresh_token: Option<RefreshToken>,
    scope: Scopes,
}

impl TokenSet {
    /// A bearer token set, for instance one restored from storage.
    #[must_use]
    pub fn new(
        access_token: AccessToken,
        expires_at: Option<Timestamp>,
        refresh_token: Option<RefreshToken>,
        scope: Scopes,
    ) -> Self {
        Self {
            access_token,
            token_type: TokenType::Bearer,
            expires_at,
            refresh_token,
            scope,
        }
    }

    /// The same set with another token type (restoring a DPoP-bound token).
    #[must_use]
    pub(crate) fn with_token_type(mut self, token_type: TokenType) -> Self {
        self.token_type = token_type;
        self
    }

    /// The access token.
    #[must_use]
    pub fn access_token(&self) -> &AccessToken {
        &self.access_token
    }

    /// The token type.
    #[must_use]
    pub fn token_type(&self) -> TokenType {
        self.token_type
    }

    /// When the access token expires: the receipt time plus `expires_in`, or `None` when the
    /// server did not say (then only a 401 tells; checklist V-3).
    #[must_use]
    pub fn expires_at(&self) -> Option<Timestamp> {
        self.expires_at
    }

    /// Whether the access token is known to expire at or before `now + margin` (checklist U-8:
    /// refresh shortly before expiry). `false` when the expiry is unknown.
    #[must_use]
    pub fn expires_within(&self, now: Timestamp, margin: Duration) -> bool {
        self.expires_at
            .is_some_and(|at| at <= now.saturating_add(margin))
    }

    /// The refresh token, if one was issued (checklist V-9: never assume one).
    #[must_use]
    pub fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }

    /// The granted scope: the response's `scope` when present, otherwise the scope that was
    /// requested (RFC 6749 §5.1, checklist V-4). It may be narrower than requested (S-9).
    #[must_use]
    pub fn scope(&self) -> &Scopes {
        &self.scope
    }
}

/// An RFC 6749 §5.2 error code (plus RFC 8707's `invalid_target`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenErrorCode {
    /// `invalid_request`: a parameter is missing, repeated or malformed.
    InvalidRequest,
    /// `invalid_client`: client authentication failed (the registration may be gone).
    InvalidClient,
    /// `invalid_grant`: the code, verifier, redirect URI or refresh token is invalid, expired or
    /// revoked. After a refresh, drop the stored tokens and authorize again (checklist F-6).
    InvalidGrant,
    /// `unauthorized_client`: the client may not use this grant type.
    UnauthorizedClient,
    /// `unsupported_grant_type`: the server does not support the grant type.
    UnsupportedGrantType,
    /// `invalid_scope`: the scope is invalid, unknown, or wider than the grant.
    InvalidScope,
    /// `invalid_target` (RFC 8707 §2): the `resource` is invalid or not accepted.
    InvalidTarget,
    /// Any other code, for example GitHub's `bad_verification_code` or `server_error`. Printable
    /// ASCII only, at most 64 bytes.
    Unknown(String),
}

impl TokenErrorCode {
    fn parse(code: &str) -> Self {
        match code {
            "invalid_request" => Self::InvalidRequest,
            "invalid_client" => Self::InvalidClient,
            "invalid_grant" => Self::InvalidGrant,
            "unauthorized_client" => Self::UnauthorizedClient,
            "unsupported_grant_type" => Self::UnsupportedGrantType,
            "invalid_scope" => Self::InvalidScope,
            "invalid_target" => Self::InvalidTarget,
            other => Self::Unknown(short_text(other)),
        }
    }

    /// The code as it appears on the wire.
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidTarget => "invalid_target",
            Self::Unknown(s) => s,
        }
    }
}

impl fmt::Display for TokenErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error response from the token endpoint (RFC 6749 §5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenErrorResponse {
    status: u16,
    code: TokenErrorCode,
    description: Option<String>,
    uri: Option<String>,
}

impl TokenErrorResponse {
    /// The HTTP status: usually 400, 401 for `invalid_client`, 200 for some providers (V-7).
    #[must_use]
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The error code.
    #[must_use]
    pub fn code(&self) -> &TokenErrorCode {
        &self.code
    }

    /// `error_description`, cut at 1024 bytes; control characters replaced and bidirectional
    /// formatting characters removed.
    ///
    /// # Security
    ///
    /// Untrusted text chosen by the server (it may contain control characters, markup, or lies).
    /// Escape it before display and never act on it. It is dropped when it contains the access or
    /// refresh token of the same body.
    #[must_use]
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }

    /// `error_uri`, truncated to 1024 bytes. May be relative (GitHub).
    ///
    /// # Security
    ///
    /// Untrusted text chosen by the server; not checked to be a URL. Do not open it
    /// automatically.
    #[must_use]
    pub fn uri(&self) -> Option<&str> {
        self.uri.as_deref()
    }
}

/// Why a token response did not yield tokens.
///
/// No variant holds the response body or any token value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenResponseError {
    /// The server returned an OAuth error (RFC 6749 §5.2; checklist V-6), with any status,
    /// including 200 (V-7).
    #[error("token endpoint returned error `{}` (HTTP {})", .0.code, .0.status)]
    Server(TokenErrorResponse),
    /// The body is neither JSON nor form-encoded, for example an HTML error page (V-8).
    #[error("token endpoint returned HTTP {status} with unexpected content type {content_type:?}")]
    UnexpectedContentType {
        /// The HTTP status.
        status: u16,
        /// The media type (without parameters), printable ASCII only, at most 64 bytes.
        content_type: String,
    },
    /// The body claims to be JSON but does not parse; the position is where parsing stopped.
    #[error(
        "token endpoint returned HTTP {status} with invalid JSON (line {line}, column {column})"
    )]
    InvalidJson {
        /// The HTTP status.
        status: u16,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
    },
    /// The body is JSON but not an object.
    #[error("token endpoint returned HTTP {status} with JSON that is not an object")]
    NotAnObject {
        /// The HTTP status.
        status: u16,
    },
    /// A member appears twice (named here).
    #[error("token response member `{0}` appears twice")]
    DuplicateMember(&'static str),
    /// A status other than 200 without an OAuth `error` member.
    #[error("token endpoint returned HTTP {status} without an OAuth error")]
    UnexpectedStatus {
        /// The HTTP status.
        status: u16,
    },
    /// A 200 response without a (non-empty, string) `access_token` (V-1).
    #[error("token response has no access_token")]
    MissingAccessToken,
    /// A 200 response without `token_type`, which RFC 6749 §5.1 requires (V-1).
    #[error("token response has no token_type")]
    MissingTokenType,
    /// A `token_type` other than `Bearer` (V-2), printable ASCII only, at most 64 bytes.
    #[error("unsupported token type `{0}`")]
    UnsupportedTokenType(String),
    /// A member has the wrong JSON type (named here), for example a numeric `access_token`.
    #[error("token response member `{0}` has the wrong type")]
    InvalidMember(&'static str),
}

/// Parse the response to a token request (RFC 6749 §5.1, §5.2).
///
/// - `now` is the receipt time; `expires_in` is added to it (checklist V-3).
/// - `requested` is the scope the request asked for: an absent `scope` means exactly that (V-4).
///
/// Accepted bodies: JSON (`application/json` with any parameters, `application/*+json`, or no
/// `Content-Type` at all), and `application/x-www-form-urlencoded`, the same members form-encoded
/// (GitHub's default without `Accept`). Anything else is
/// [`TokenResponseError::UnexpectedContentType`].
///
/// Decisions on what real servers send (see the module docs for the reasons):
///
/// - any `error` member (string, non-empty) makes the response an error, whatever the status and
///   even next to an `access_token` (V-6, V-7);
/// - success needs status 200, a non-empty string `access_token` (V-1) and a `token_type` equal to
///   `Bearer` in any case (V-2); a missing `token_type` is an error;
/// - `expires_in` may be a number or a numeric string; negative, fractional-negative or
///   non-numeric values are treated as absent; huge values saturate;
/// - `scope` may be a space-separated string or a JSON array of strings (Twitch); commas do not
///   separate scopes (a comma is a valid scope character);
/// - `refresh_token`: a non-empty string, or absent (`null` and `""` count as absent, V-9);
/// - every other member is ignored, `id_token` included (V-5).
///
/// # Errors
///
/// A [`TokenResponseError`]; none of them holds the body or a token.
pub fn parse_token_response(
    response: &HttpResponse,
    now: Timestamp,
    requested: &Scopes,
) -> Result<TokenSet, TokenResponseError> {
    parse_typed(response, now, requested, false)
}

/// [`parse_token_response`] that also accepts `token_type` `DPoP` when `dpop_sent` (the request
/// carried a DPoP proof, RFC 9449 §5).
pub(crate) fn parse_typed(
    response: &HttpResponse,
    now: Timestamp,
    requested: &Scopes,
    dpop_sent: bool,
) -> Result<TokenSet, TokenResponseError> {
    let mut m = parse_members(response)?;
    let access_token = match m.access_token.take() {
        Some(Value::String(s)) if !s.is_empty() => AccessToken::new(s),
        None | Some(Value::Null | Value::String(_)) => {
            return Err(TokenResponseError::MissingAccessToken);
        }
        Some(other) => {
            drop_value(other);
            return Err(TokenResponseError::InvalidMember("access_token"));
        }
    };
    let token_type = match m.token_type.take() {
        Some(Value::String(t)) if t.eq_ignore_ascii_case("bearer") => TokenType::Bearer,
        Some(Value::String(t)) if dpop_sent && t.eq_ignore_ascii_case("dpop") => TokenType::DPoP,
        Some(Value::String(t)) => {
            let shown = short_text(&t);
            let leaks = |text: &str| {
                text.contains(access_token.secret()) || contains_secret(text, &m.refresh_token)
            };
            let shown = if leaks(&t) || leaks(&shown) {
                String::from("[redacted]")
            } else {
                shown
            };
            return Err(TokenResponseError::UnsupportedTokenType(shown));
        }
        None | Some(Value::Null) => return Err(TokenResponseError::MissingTokenType),
        Some(_) => return Err(TokenResponseError::InvalidMember("token_type")),
    };
    let refresh_token = match m.refresh_token.take() {
        Some(Value::String(s)) if !s.is_empty() => Some(RefreshToken::new(s)),
        None | Some(Value::Null | Value::String(_)) => None,
        Some(_) => return Err(TokenResponseError::InvalidMember("refresh_token")),
    };
    let scope = granted_scope(&m, requested)?;
    Ok(TokenSet {
        access_token,
        token_type,
        expires_at: expiry(now, m.expires_in.as_ref()),
        refresh_token,
        scope,
    })
}

/// The members of a successful (200, no `error`) token endpoint response; the shared first half
/// of [`parse_token_response`] and the RFC 8693 exchange parser.
pub(super) fn parse_members(response: &HttpResponse) -> Result<Members, TokenResponseError> {
    let status = response.status;
    let m = match body_format(response)? {
        Format::Json => parse_json(&response.body, status)?,
        Format::Form => parse_form(&response.body),
    };
    if let Some(name) = m.duplicate {
        return Err(TokenResponseError::DuplicateMember(name));
    }
    if let Some(err) = error_response(&m, status)? {
        return Err(TokenResponseError::Server(err));
    }
    if status != 200 {
        return Err(TokenResponseError::UnexpectedStatus { status });
    }
    Ok(m)
}

/// The granted scope: `scope` when present (string or array of strings), else `requested`.
pub(super) fn granted_scope(m: &Members, requested: &Scopes) -> Result<Scopes, TokenResponseError> {
    Ok(match m.scope.as_ref() {
        None | Some(Value::Null) => requested.clone(),
        Some(Value::String(s)) => Scopes::parse(s),
        Some(Value::Array(items)) => {
            let mut scope = Scopes::new();
            for item in items {
                let Value::String(s) = item else {
                    return Err(TokenResponseError::InvalidMember("scope"));
                };
                scope.insert(s);
            }
            scope
        }
        Some(_) => return Err(TokenResponseError::InvalidMember("scope")),
    })
}

/// Parse the response to a refresh request and merge it into `previous` (RFC 6749 §6).
///
/// - A new `refresh_token` replaces the old one; without one the old one is kept (checklist F-3).
/// - Without `scope`, the granted scope is `requested` when the refresh narrowed the scope, else
///   the previous granted scope (F-9).
///
/// ```
/// use mcp_oauth_core::http::HttpResponse;
/// use mcp_oauth_core::secret::{AccessToken, RefreshToken};
/// use mcp_oauth_core::token::{TokenSet, parse_refresh_response};
/// use mcp_oauth_core::{Scopes, Timestamp};
///
/// let now = Timestamp::from_unix_seconds(1_700_000_000);
/// let previous = TokenSet::new(
///     AccessToken::new("old-at".into()),
///     None,
///     Some(RefreshToken::new("rt-1".into())),
///     Scopes::parse("mcp:read mcp:write"),
/// );
/// let response = HttpResponse::new(
///     200,
///     vec![("content-type".into(), b"application/json".to_vec())],
///     br#"{"access_token":"new-at","token_type":"Bearer","expires_in":60}"#.to_vec(),
/// );
/// let next = parse_refresh_response(&response, now, &previous, None).unwrap();
/// assert_eq!(next.access_token().secret(), "new-at");
/// assert_eq!(next.refresh_token().unwrap().secret(), "rt-1");
/// assert_eq!(next.scope().to_string(), "mcp:read mcp:write");
/// assert_eq!(next.expires_at().unwrap().unix_seconds(), 1_700_000_060);
/// ```
///
/// # Errors
///
/// As [`parse_token_response`]. After [`TokenErrorCode::InvalidGrant`], drop the stored tokens
/// and authorize again (F-6).
pub fn parse_refresh_response(
    response: &HttpResponse,
    now: Timestamp,
    previous: &TokenSet,
    requested: Option<&Scopes>,
) -> Result<TokenSet, TokenResponseError> {
    parse_refresh_typed(response, now, previous, requested, false)
}

/// [`parse_refresh_response`] with the `DPoP` token type rule of [`parse_typed`].
pub(crate) fn parse_refresh_typed(
    response: &HttpResponse,
    now: Timestamp,
    previous: &TokenSet,
    requested: Option<&Scopes>,
    dpop_sent: bool,
) -> Result<TokenSet, TokenResponseError> {
    let mut next = parse_typed(
        response,
        now,
        requested.unwrap_or(&previous.scope),
        dpop_sent,
    )?;
    if next.refresh_token.is_none() {
        next.refresh_token.clone_from(&previous.refresh_token);
    }
    Ok(next)
}

enum Format {
    Json,
    Form,
}

fn body_format(response: &HttpResponse) -> Result<Format, TokenResponseError> {
    let Some(raw) = response.header_values("content-type").next() else {
        return Ok(Format::Json);
    };
    if response.is_json() {
        return Ok(Format::Json);
    }
    let text = String::from_utf8_lossy(raw);
    let essence = text.split(';').next().unwrap_or("").trim();
    if essence.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        return Ok(Format::Form);
    }
    Err(TokenResponseError::UnexpectedContentType {
        status: response.status,
        content_type: short_text(essence),
    })
}

/// The members the parser looks at. Credential strings left here are wiped on drop.
#[derive(Default)]
pub(super) struct Members {
    pub(super) access_token: Option<Value>,
    pub(super) token_type: Option<Value>,
    pub(super) expires_in: Option<Value>,
    pub(super) refresh_token: Option<Value>,
    pub(super) scope: Option<Value>,
    /// RFC 8693 §2.2.1 (token exchange responses only).
    pub(super) issued_token_type: Option<Value>,
    error: Option<Value>,
    error_description: Option<Value>,
    error_uri: Option<Value>,
    duplicate: Option<&'static str>,
}

impl Drop for Members {
    fn drop(&mut self) {
        for v in [self.access_token.take(), self.refresh_token.take()]
            .into_iter()
            .flatten()
        {
            drop_value(v);
        }
    }
}

/// The member names the parser looks at.
const KNOWN: &[&str] = &[
    "access_token",
    "token_type",
    "expires_in",
    "refresh_token",
    "scope",
    "issued_token_type",
    "error",
    "error_description",
    "error_uri",
];

impl Members {
    fn slot(&mut self, name: &str) -> Option<&mut Option<Value>> {
        Some(match name {
            "access_token" => &mut self.access_token,
            "token_type" => &mut self.token_type,
            "expires_in" => &mut self.expires_in,
            "refresh_token" => &mut self.refresh_token,
            "scope" => &mut self.scope,
            "issued_token_type" => &mut self.issued_token_type,
            "error" => &mut self.error,
            "error_description" => &mut self.error_description,
            "error_uri" => &mut self.error_uri,
            _ => return None,
        })
    }

    /// Store `value` for member `name`; a repeated member is recorded and its value dropped.
    fn put(&mut self, name: &str, value: Value) {
        let Some(known) = KNOWN.iter().copied().find(|k| *k == name) else {
            drop_value(value);
            return;
        };
        match self.slot(known) {
            Some(slot) if slot.is_none() => *slot = Some(value),
            _ => {
                self.duplicate.get_or_insert(known);
                drop_value(value);
            }
        }
    }
}

/// Drop a JSON value, wiping it first if it is a string (it may be a token).
pub(super) fn drop_value(value: Value) {
    if let Value::String(mut s) = value {
        wipe_string(&mut s);
    }
}

/// A member name the parser looks at, or `Other` for everything else.
enum Field {
    Known(&'static str),
    Other,
}

impl<'de> Deserialize<'de> for Field {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldVisitor;
        impl Visitor<'_> for FieldVisitor {
            type Value = Field;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Field, E> {
                Ok(KNOWN
                    .iter()
                    .copied()
                    .find(|k| *k == v)
                    .map_or(Field::Other, Field::Known))
            }
        }
        deserializer.deserialize_identifier(FieldVisitor)
    }
}

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MembersVisitor;
        impl<'de> Visitor<'de> for MembersVisitor {
            type Value = Members;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut m = Members::default();
                while let Some(field) = map.next_key::<Field>()? {
                    match field {
                        Field::Known(name) => {
                            let value = map.next_value::<Value>()?;
                            m.put(name, value);
                        }
                        Field::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(m)
            }
        }
        deserializer.deserialize_map(MembersVisitor)
    }
}

fn parse_json(body: &[u8], status: u16) -> Result<Members, TokenResponseError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{') {
        return Err(match serde_json::from_slice::<IgnoredAny>(body) {
            Ok(_) => TokenResponseError::NotAnObject { status },
            Err(e) => invalid_json(&e, status),
        });
    }
    serde_json::from_slice::<Members>(body).map_err(|e| invalid_json(&e, status))
}

/// The JSON error without its message: serde's messages can quote values from the body.
fn invalid_json(e: &serde_json::Error, status: u16) -> TokenResponseError {
    TokenResponseError::InvalidJson {
        status,
        line: e.line(),
        column: e.column(),
    }
}

fn parse_form(body: &[u8]) -> Members {
    let mut m = Members::default();
    for (k, v) in form_urlencoded::parse(body) {
        if KNOWN.contains(&k.as_ref()) {
            m.put(&k, Value::String(v.into_owned()));
        }
    }
    m
}

fn error_response(
    m: &Members,
    status: u16,
) -> Result<Option<TokenErrorResponse>, TokenResponseError> {
    let code = match &m.error {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.is_empty() => return Ok(None),
        Some(Value::String(s)) => s,
        Some(_) => return Err(TokenResponseError::InvalidMember("error")),
    };
    let leaks = |text: &str| {
        contains_secret(text, &m.access_token) || contains_secret(text, &m.refresh_token)
    };
    let parsed = TokenErrorCode::parse(code);
    let code = if leaks(code) || leaks(parsed.as_str()) {
        TokenErrorCode::Unknown(String::from("[redacted]"))
    } else {
        parsed
    };
    let text = |v: &Option<Value>| match v {
        Some(Value::String(s)) if !leaks(s) => Some(capped(s, MAX_SERVER_TEXT)),
        _ => None,
    };
    Ok(Some(TokenErrorResponse {
        status,
        code,
        description: text(&m.error_description),
        uri: text(&m.error_uri),
    }))
}

/// Whether `text` contains the string held in `secret` (a token member of the same body).
fn contains_secret(text: &str, secret: &Option<Value>) -> bool {
    matches!(secret, Some(Value::String(s)) if !s.is_empty() && text.contains(s.as_str()))
}

/// `expires_in` as an absolute time; `None` when absent or unusable (V-3).
pub(super) fn expiry(now: Timestamp, value: Option<&Value>) -> Option<Timestamp> {
    let seconds = match value? {
        Value::Number(n) => match n.as_u64() {
            Some(s) => s,
            None => {
                let f = n.as_f64()?;
                if !(f.is_finite() && f >= 0.0) {
                    return None;
                }
                // Float-to-int `as` saturates; the value is finite and non-negative.
                f as u64
            }
        },
        Value::String(s) => s.trim().parse::<u64>().ok()?,
        _ => return None,
    };
    Some(now.saturating_add(Duration::from_secs(seconds)))
}

/// A short server value made safe to print: printable ASCII only, at most 64 bytes.
pub(super) fn short_text(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(MAX_SHORT_TEXT)
        .collect()
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

    #[test]
    fn expiry_edge_cases_v3() {
        let at = |v: Value| expiry(NOW, Some(&v)).map(Timestamp::unix_seconds);
        assert_eq!(at(serde_json::json!(3600)), Some(1_700_003_600));
        assert_eq!(at(serde_json::json!("3600")), Some(1_700_003_600));
        assert_eq!(at(serde_json::json!(" 60 ")), Some(1_700_000_060));
        assert_eq!(at(serde_json::json!(0)), Some(1_700_000_000));
        assert_eq!(at(serde_json::json!(59.9)), Some(1_700_000_059));
        assert_eq!(at(serde_json::json!(-1)), None);
        assert_eq!(at(serde_json::json!(-0.5)), None);
        assert_eq!(at(serde_json::json!("-1")), None);
        assert_eq!(at(serde_json::json!("soon")), None);
        assert_eq!(at(serde_json::json!(true)), None);
        assert_eq!(at(serde_json::json!(1e300)), Some(u64::MAX / 1000));
        assert_eq!(at(serde_json::json!(u64::MAX)), Some(u64::MAX / 1000));
        assert_eq!(expiry(NOW, None), None);
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        assert_eq!(capped("ab\u{e9}", 3), "ab");
        assert_eq!(capped("a\u{1b}[2Jb", 10), "a\u{FFFD}[2Jb");
        assert_eq!(short_text("a\u{7}b\u{e9} c"), "ab c");
        assert_eq!(short_text(&"x".repeat(100)).len(), MAX_SHORT_TEXT);
    }

    #[test]
    fn error_text_containing_a_token_is_dropped() {
        let r = json(
            400,
            r#"{"error":"invalid_grant","refresh_token":"RT-SECRET-1","error_description":"bad RT-SECRET-1","error_uri":"ok"}"#,
        );
        let Err(TokenResponseError::Server(e)) = parse_token_response(&r, NOW, &Scopes::new())
        else {
            panic!("expected a server error");
        };
        assert_eq!(e.description(), None);
        assert_eq!(e.uri(), Some("ok"));
    }

    #[test]
    fn unknown_members_are_skipped_without_values_v5() {
        let r = json(
            200,
            r#"{"nested":{"access_token":"x","a":[1,2,{"b":null}]},"access_token":"at","token_type":"Bearer","id_token":"eyJ"}"#,
        );
        let t = parse_token_response(&r, NOW, &Scopes::new()).unwrap();
        assert_eq!(t.access_token().secret(), "at");
    }
}
