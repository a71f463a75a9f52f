//! RFC 8693 token exchange (§2.1 request, §2.2 response) and the names of the RFC 7523 JWT
//! bearer grant, for workload identity federation (SEP-1933) and enterprise-managed
//! authorization (SEP-990, the Identity Assertion JWT Authorization Grant, "ID-JAG").
//!
//! The JWT bearer grant itself is [`TokenRequest::jwt_bearer`](super::TokenRequest::jwt_bearer).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde_json::Value;

use super::request::{ClientAuth, TokenRequest, TokenRequestError};
use super::response::{
    TokenResponseError, drop_value, expiry, granted_scope, parse_members, short_text,
};
use crate::http::{HttpRequest, HttpResponse};
use crate::secret::{AccessToken, Assertion, RefreshToken, SubjectToken, WipedString};
use crate::urls::UrlPolicy;
use crate::{Scopes, Timestamp};

/// `grant_type` of the JWT bearer authorization grant (RFC 7523 §2.1).
pub const GRANT_TYPE_JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// `grant_type` of a token exchange (RFC 8693 §2.1).
pub const GRANT_TYPE_TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// Token type of an OpenID Connect ID token (RFC 8693 §3).
pub const TOKEN_TYPE_ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";
/// Token type of an OAuth access token (RFC 8693 §3).
pub const TOKEN_TYPE_ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";
/// Token type of a JWT (RFC 8693 §3).
pub const TOKEN_TYPE_JWT: &str = "urn:ietf:params:oauth:token-type:jwt";
/// Token type of a SAML 2.0 assertion (RFC 8693 §3).
pub const TOKEN_TYPE_SAML2: &str = "urn:ietf:params:oauth:token-type:saml2";
/// Token type of an Identity Assertion JWT Authorization Grant
/// (draft-ietf-oauth-identity-assertion-authz-grant; MCP SEP-990).
pub const TOKEN_TYPE_ID_JAG: &str = "urn:ietf:params:oauth:token-type:id-jag";

/// The exchange-specific parameters of a [`TokenRequest`] (RFC 8693 §2.1).
#[derive(Debug)]
pub(crate) struct ExchangeGrant {
    subject_token: SubjectToken,
    subject_token_type: String,
    requested_token_type: Option<String>,
    audiences: Vec<String>,
}

impl ExchangeGrant {
    pub(super) fn push_params<'a>(&'a self, params: &mut Vec<(&'a str, &'a str)>) {
        if let Some(t) = &self.requested_token_type {
            params.push(("requested_token_type", t));
        }
        for audience in &self.audiences {
            params.push(("audience", audience));
        }
        params.push(("subject_token", self.subject_token.secret()));
        params.push(("subject_token_type", &self.subject_token_type));
    }

    pub(super) fn validate(&self) -> Result<(), TokenRequestError> {
        let empty = TokenRequestError::EmptyParameter;
        if self.subject_token.secret().is_empty() {
            return Err(empty("subject_token"));
        }
        if self.subject_token_type.is_empty() {
            return Err(empty("subject_token_type"));
        }
        if self.requested_token_type.as_deref() == Some("") {
            return Err(empty("requested_token_type"));
        }
        if self.audiences.iter().any(String::is_empty) {
            return Err(empty("audience"));
        }
        Ok(())
    }
}

/// An RFC 8693 §2.1 token exchange request, built into an [`HttpRequest`] by
/// [`TokenExchangeRequest::build`].
///
/// Sends `grant_type=urn:ietf:params:oauth:grant-type:token-exchange`, the optional
/// `requested_token_type`, each `audience`, `subject_token`, `subject_token_type`, `resource`
/// (required here: an MCP client always knows the resource it wants, RFC 8707), the optional
/// `scope` and the client authentication given to `build`. `actor_token` is not supported (no
/// MCP profile uses it).
///
/// [`TokenExchangeRequest::id_jag`] is the SEP-990 request for an Identity Assertion JWT
/// Authorization Grant:
///
/// ```
/// use mcp_oauth_core::secret::SubjectToken;
/// use mcp_oauth_core::token::{ClientAuth, TokenExchangeRequest};
/// use mcp_oauth_core::urls::UrlPolicy;
/// use mcp_oauth_core::Scopes;
///
/// let request = TokenExchangeRequest::id_jag(
///     SubjectToken::new("eyJ.id-token.sig".into()),
///     "https://auth.example.com",     // the MCP authorization server's issuer
///     "https://mcp.example.com/mcp",  // the PRM `resource`
///     &Scopes::new(),
/// )
/// .build(
///     "https://idp.example.com/token",
///     &ClientAuth::None { client_id: "idp-client".into() },
///     UrlPolicy::https_only(),
/// )
/// .unwrap();
/// let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&request.body)
///     .map(|(k, v)| (k.into_owned(), v.into_owned()))
///     .collect();
/// let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
/// assert_eq!(get("grant_type"), Some("urn:ietf:params:oauth:grant-type:token-exchange"));
/// assert_eq!(get("requested_token_type"), Some("urn:ietf:params:oauth:token-type:id-jag"));
/// assert_eq!(get("audience"), Some("https://auth.example.com"));
/// assert_eq!(get("resource"), Some("https://mcp.example.com/mcp"));
/// assert_eq!(get("subject_token"), Some("eyJ.id-token.sig"));
/// assert_eq!(get("subject_token_type"), Some("urn:ietf:params:oauth:token-type:id_token"));
/// assert_eq!(get("client_id"), Some("idp-client"));
/// assert_eq!(get("scope"), None); // an empty scope is not sent
/// assert!(!format!("{request:?}").contains("id-token"));
/// ```
#[derive(Debug)]
#[must_use = "a token exchange request does nothing until built and sent"]
pub struct TokenExchangeRequest {
    grant: ExchangeGrant,
    resource: String,
    scope: Scopes,
}

impl TokenExchangeRequest {
    /// Exchange `subject_token` of type `subject_token_type` (an RFC 8693 §3 URI such as
    /// [`TOKEN_TYPE_ID_TOKEN`]) for a token usable at `resource`.
    pub fn new(subject_token: SubjectToken, subject_token_type: &str, resource: &str) -> Self {
        Self {
            grant: ExchangeGrant {
                subject_token,
                subject_token_type: String::from(subject_token_type),
                requested_token_type: None,
                audiences: Vec::new(),
            },
            resource: String::from(resource),
            scope: Scopes::new(),
        }
    }

    /// The SEP-990 exchange: the user's ID token for an ID-JAG whose audience is the MCP
    /// authorization server's issuer (`audience`, RFC 8414 §2) and whose resource is the MCP
    /// server (`resource`, the PRM `resource`). An empty `scope` is not sent.
    pub fn id_jag(id_token: SubjectToken, audience: &str, resource: &str, scope: &Scopes) -> Self {
        Self::new(id_token, TOKEN_TYPE_ID_TOKEN, resource)
            .requested_token_type(TOKEN_TYPE_ID_JAG)
            .audience(audience)
            .scope(scope)
    }

    /// `requested_token_type` (RFC 8693 §2.1).
    pub fn requested_token_type(mut self, token_type: &str) -> Self {
        self.grant.requested_token_type = Some(String::from(token_type));
        self
    }

    /// Add an `audience` (RFC 8693 §2.1; may be given more than once).
    pub fn audience(mut self, audience: &str) -> Self {
        self.grant.audiences.push(String::from(audience));
        self
    }

    /// `scope` (RFC 8693 §2.1); empty means not sent.
    pub fn scope(mut self, scope: &Scopes) -> Self {
        self.scope = scope.clone();
        self
    }

    /// Build the `POST` to the token endpoint of the server doing the exchange (for SEP-990,
    /// the enterprise IdP), with the client authentication `auth` registered there.
    ///
    /// The endpoint is checked against `policy` before the subject token is put into a request
    /// (https except loopback, checklist T-3).
    ///
    /// # Errors
    ///
    /// As [`TokenRequest::build`]: a refused endpoint, an empty parameter (subject token, token
    /// types, audience, resource, client id), or a `resource` that is not an absolute URI
    /// without fragment.
    pub fn build(
        self,
        token_endpoint: &str,
        auth: &ClientAuth,
        policy: UrlPolicy,
    ) -> Result<HttpRequest, TokenRequestError> {
        TokenRequest::token_exchange(self.grant, &self.resource, &self.scope).build(
            token_endpoint,
            auth,
            policy,
        )
    }
}

/// The result of a successful token exchange (RFC 8693 §2.2.1).
///
/// The issued token is a secret: `Debug` redacts it and it is wiped on drop. Not `Clone`.
pub struct IssuedToken {
    token: WipedString,
    issued_token_type: String,
    token_type: String,
    expires_at: Option<Timestamp>,
    refresh_token: Option<RefreshToken>,
    scope: Scopes,
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken")
            .field("token", &self.token)
            .field("issued_token_type", &self.issued_token_type)
            .field("token_type", &self.token_type)
            .field("expires_at", &self.expires_at)
            .field("refresh_token", &self.refresh_token)
            .field("scope", &self.scope)
            .finish()
    }
}

impl IssuedToken {
    /// The issued token (the response's `access_token` member, whatever its type).
    ///
    /// # Security
    ///
    /// A live credential: do not log it, and send it only where it is meant for.
    #[must_use]
    pub fn secret(&self) -> &str {
        self.token.as_str()
    }

    /// `issued_token_type` (RFC 8693 §2.2.1), for example [`TOKEN_TYPE_ID_JAG`].
    #[must_use]
    pub fn issued_token_type(&self) -> &str {
        &self.issued_token_type
    }

    /// `token_type` as sent: `N_A` when the issued token is not an access token (RFC 8693
    /// §2.2.1), else usually `Bearer`.
    #[must_use]
    pub fn token_type(&self) -> &str {
        &self.token_type
    }

    /// When the issued token expires (receipt time plus `expires_in`), if the server said.
    #[must_use]
    pub fn expires_at(&self) -> Option<Timestamp> {
        self.expires_at
    }

    /// A refresh token, if one was issued (the ID-JAG profile says it SHOULD NOT be).
    #[must_use]
    pub fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }

    /// The scope of the issued token: the response's `scope`, else the requested scope.
    #[must_use]
    pub fn scope(&self) -> &Scopes {
        &self.scope
    }

    /// The issued token as a JWT bearer grant assertion (RFC 7523 §2.1), which is what an
    /// ID-JAG is for.
    #[must_use]
    pub fn into_assertion(self) -> Assertion {
        Assertion::new(self.token.take())
    }

    /// The issued token as an access token (when `issued_token_type` is
    /// [`TOKEN_TYPE_ACCESS_TOKEN`]).
    #[must_use]
    pub fn into_access_token(self) -> AccessToken {
        AccessToken::new(self.token.take())
    }
}

/// Why a token exchange response did not yield a token.
///
/// No variant holds the response body or a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenExchangeError {
    /// The response is an OAuth error (RFC 8693 §2.2.2, RFC 6749 §5.2) or unusable as a token
    /// response (status, content type, JSON, missing `access_token` or `token_type`, …).
    #[error(transparent)]
    Response(TokenResponseError),
    /// A 200 response without `issued_token_type`, which RFC 8693 §2.2.1 requires.
    #[error("token exchange response has no issued_token_type")]
    MissingIssuedTokenType,
    /// The server issued another token type than requested (printable ASCII, at most 64 bytes).
    #[error("token exchange issued token type `{0}`, not the one requested")]
    UnexpectedIssuedTokenType(String),
}

impl From<TokenResponseError> for TokenExchangeError {
    fn from(e: TokenResponseError) -> Self {
        Self::Response(e)
    }
}

/// Parse the response to a token exchange (RFC 8693 §2.2).
///
/// - success: status 200, a non-empty string `access_token` (the issued token, whatever its
///   type), a string `issued_token_type` and a `token_type` (any value: `N_A` for tokens that
///   are not access tokens); `expires_in`, `scope` and `refresh_token` as in
///   [`parse_token_response`](super::parse_token_response);
/// - errors (§2.2.2): the RFC 6749 §5.2 error response, as [`TokenExchangeError::Response`]
///   with [`TokenResponseError::Server`].
///
/// `expected`: the `requested_token_type` sent, if any; another `issued_token_type` is
/// [`TokenExchangeError::UnexpectedIssuedTokenType`].
///
/// ```
/// use mcp_oauth_core::http::HttpResponse;
/// use mcp_oauth_core::token::{TOKEN_TYPE_ID_JAG, parse_token_exchange_response};
/// use mcp_oauth_core::{Scopes, Timestamp};
///
/// let response = HttpResponse::new(
///     200,
///     vec![("content-type".into(), b"application/json".to_vec())],
///     br#"{"issued_token_type":"urn:ietf:params:oauth:token-type:id-jag",
///          "access_token":"eyJ.jag.sig","token_type":"N_A","expires_in":300}"#.to_vec(),
/// );
/// let now = Timestamp::from_unix_seconds(1_700_000_000);
/// let issued =
///     parse_token_exchange_response(&response, now, &Scopes::new(), Some(TOKEN_TYPE_ID_JAG))
///         .unwrap();
/// assert_eq!(issued.issued_token_type(), TOKEN_TYPE_ID_JAG);
/// assert_eq!(issued.token_type(), "N_A");
/// assert_eq!(issued.expires_at().unwrap().unix_seconds(), 1_700_000_300);
/// assert!(!format!("{issued:?}").contains("jag.sig"));
/// assert_eq!(issued.into_assertion().secret(), "eyJ.jag.sig");
/// ```
///
/// # Errors
///
/// A [`TokenExchangeError`]; none holds the body or a token.
pub fn parse_token_exchange_response(
    response: &HttpResponse,
    now: Timestamp,
    requested: &Scopes,
    expected: Option<&str>,
) -> Result<IssuedToken, TokenExchangeError> {
    let mut m = parse_members(response)?;
    let token = match m.access_token.take() {
        Some(Value::String(s)) if !s.is_empty() => WipedString::new(s),
        None | Some(Value::Null | Value::String(_)) => {
            return Err(TokenResponseError::MissingAccessToken.into());
        }
        Some(other) => {
            drop_value(other);
            return Err(TokenResponseError::InvalidMember("access_token").into());
        }
    };
    // Server text shown in an error must not carry a credential of the same body: neither
    // contain one nor be a sizeable piece of one.
    let refresh = match &m.refresh_token {
        Some(Value::String(s)) => s.as_str(),
        _ => "",
    };
    let leaks = |text: &str| {
        [token.as_str(), refresh].iter().any(|secret| {
            !secret.is_empty()
                && !text.is_empty()
                && (text.contains(secret) || (text.len() >= 8 && secret.contains(text)))
        })
    };
    let issued_token_type = match m.issued_token_type.take() {
        Some(Value::String(t)) if !t.is_empty() => t,
        None | Some(Value::Null | Value::String(_)) => {
            return Err(TokenExchangeError::MissingIssuedTokenType);
        }
        Some(_) => return Err(TokenResponseError::InvalidMember("issued_token_type").into()),
    };
    if let Some(expected) = expected
        && issued_token_type != expected
    {
        let shown = short_text(&issued_token_type);
        let shown = if leaks(&issued_token_type) || leaks(&shown) {
            String::from("[redacted]")
        } else {
            shown
        };
        return Err(TokenExchangeError::UnexpectedIssuedTokenType(shown));
    }
    let token_type = match m.token_type.take() {
        Some(Value::String(t)) if !t.is_empty() => {
            if leaks(&t) {
                String::from("[redacted]")
            } else {
                short_text(&t)
            }
        }
        None | Some(Value::Null | Value::String(_)) => {
            return Err(TokenResponseError::MissingTokenType.into());
        }
        Some(_) => return Err(TokenResponseError::InvalidMember("token_type").into()),
    };
    let refresh_token = match m.refresh_token.take() {
        Some(Value::String(s)) if !s.is_empty() => Some(RefreshToken::new(s)),
        None | Some(Value::Null | Value::String(_)) => None,
        Some(other) => {
            drop_value(other);
            return Err(TokenResponseError::InvalidMember("refresh_token").into());
        }
    };
    let scope = granted_scope(&m, requested)?;
    Ok(IssuedToken {
        token,
        issued_token_type,
        token_type,
        expires_at: expiry(now, m.expires_in.as_ref()),
        refresh_token,
        scope,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::TokenErrorCode;
    use alloc::string::ToString;
    use alloc::vec;

    const NOW: Timestamp = Timestamp::from_unix_seconds(1_700_000_000);

    fn json(status: u16, body: &str) -> HttpResponse {
        HttpResponse::new(
            status,
            vec![("content-type".into(), b"application/json".to_vec())],
            body.as_bytes().to_vec(),
        )
    }

    fn parse(r: &HttpResponse) -> Result<IssuedToken, TokenExchangeError> {
        parse_token_exchange_response(r, NOW, &Scopes::parse("a"), Some(TOKEN_TYPE_ID_JAG))
    }

    /// The example response of RFC 8693 §2.3 (an access token for a backend).
    const RFC8693_EXAMPLE_TOKEN: &str = "eyJhbGciOiJFUzI1NiIsImtpZCI6IjllciJ9.eyJhdWQiOiJodHRwczovL2JhY2tlbmQuZXhhbXBsZS5jb20iLCJpc3MiOiJodHRwczovL2FzLmV4YW1wbGUuY29tIiwiZXhwIjoxNDQxOTE3NTkzLCJpYXQiOjE0NDE5MTc1MzMsInN1YiI6ImJkY0BleGFtcGxlLmNvbSIsInNjb3BlIjoiYXBpIn0.40y3ZgQedw6rxf59WlwHDD9jryFOr0_Wh3CGozQBihNBhnXEQgU85AI9x3KmsPottVMLPIWvmDCMy5-kdXjwhw";

    #[test]
    fn rfc8693_2_3_example_response() {
        let body = alloc::format!(
            "{{\n \"access_token\":\"{RFC8693_EXAMPLE_TOKEN}\",\n \"issued_token_type\":\n     \"urn:ietf:params:oauth:token-type:access_token\",\n \"token_type\":\"Bearer\",\n \"expires_in\":60\n}}"
        );
        let r = json(200, &body);
        let t =
            parse_token_exchange_response(&r, NOW, &Scopes::new(), Some(TOKEN_TYPE_ACCESS_TOKEN))
                .unwrap();
        assert_eq!(t.issued_token_type(), TOKEN_TYPE_ACCESS_TOKEN);
        assert_eq!(t.token_type(), "Bearer");
        assert_eq!(
            t.expires_at(),
            Some(Timestamp::from_unix_seconds(1_700_000_060))
        );
        assert!(t.refresh_token().is_none());
        assert!(!alloc::format!("{t:?}").contains("eyJhbGciOiJFUzI1NiIs"));
        assert_eq!(t.into_access_token().secret(), RFC8693_EXAMPLE_TOKEN);
    }

    #[test]
    fn id_jag_response_scope_and_refresh() {
        let r = json(
            200,
            r#"{"issued_token_type":"urn:ietf:params:oauth:token-type:id-jag","access_token":"jag","token_type":"N_A","scope":"a b","refresh_token":"rt"}"#,
        );
        let t = parse(&r).unwrap();
        assert_eq!(t.scope().to_string(), "a b");
        assert_eq!(t.refresh_token().map(RefreshToken::secret), Some("rt"));
        assert_eq!(t.expires_at(), None);
        let no_scope = json(
            200,
            r#"{"issued_token_type":"urn:ietf:params:oauth:token-type:id-jag","access_token":"jag","token_type":"N_A"}"#,
        );
        assert_eq!(parse(&no_scope).unwrap().scope().to_string(), "a");
    }

    #[test]
    fn missing_or_unexpected_members_are_typed_errors() {
        let e = |body: &str| parse(&json(200, body)).unwrap_err();
        assert_eq!(
            e(r#"{"access_token":"jag","token_type":"N_A"}"#),
            TokenExchangeError::MissingIssuedTokenType
        );
        assert_eq!(
            e(r#"{"access_token":"jag","issued_token_type":"urn:x","token_type":"N_A"}"#),
            TokenExchangeError::UnexpectedIssuedTokenType("urn:x".into())
        );
        assert_eq!(
            e(r#"{"access_token":"jag","issued_token_type":"jag-is-here","token_type":"N_A"}"#),
            TokenExchangeError::UnexpectedIssuedTokenType("[redacted]".into())
        );
        assert_eq!(
            e(
                r#"{"access_token":"abcdefghijkl","issued_token_type":"cdefghij","token_type":"N_A"}"#
            ),
            TokenExchangeError::UnexpectedIssuedTokenType("[redacted]".into())
        );
        assert_eq!(
            e(
                r#"{"access_token":"j","refresh_token":"rt-0123456789","issued_token_type":"rt-0123456789","token_type":"N_A"}"#
            ),
            TokenExchangeError::UnexpectedIssuedTokenType("[redacted]".into())
        );
        assert_eq!(
            e(
                r#"{"issued_token_type":"urn:ietf:params:oauth:token-type:id-jag","token_type":"N_A"}"#
            ),
            TokenExchangeError::Response(TokenResponseError::MissingAccessToken)
        );
        assert_eq!(
            e(
                r#"{"issued_token_type":"urn:ietf:params:oauth:token-type:id-jag","access_token":"j"}"#
            ),
            TokenExchangeError::Response(TokenResponseError::MissingTokenType)
        );
        assert_eq!(
            e(r#"{"issued_token_type":7,"access_token":"j","token_type":"N_A"}"#),
            TokenExchangeError::Response(TokenResponseError::InvalidMember("issued_token_type"))
        );
    }

    #[test]
    fn error_response_rfc8693_2_2_2() {
        let r = json(
            400,
            r#"{"error":"invalid_target","error_description":"unknown audience"}"#,
        );
        match parse(&r) {
            Err(TokenExchangeError::Response(TokenResponseError::Server(s))) => {
                assert_eq!(s.code(), &TokenErrorCode::InvalidTarget);
                assert_eq!(s.description(), Some("unknown audience"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn request_validation_and_reserved_names() {
        let auth = ClientAuth::None {
            client_id: "c".into(),
        };
        let build =
            |r: TokenExchangeRequest| r.build("https://idp/token", &auth, UrlPolicy::https_only());
        let base = || SubjectToken::new("id".into());
        assert_eq!(
            build(TokenExchangeRequest::new(
                SubjectToken::new(String::new()),
                TOKEN_TYPE_ID_TOKEN,
                "https://r"
            ))
            .unwrap_err(),
            TokenRequestError::EmptyParameter("subject_token")
        );
        assert_eq!(
            build(TokenExchangeRequest::new(base(), "", "https://r")).unwrap_err(),
            TokenRequestError::EmptyParameter("subject_token_type")
        );
        assert_eq!(
            build(TokenExchangeRequest::new(base(), TOKEN_TYPE_ID_TOKEN, "https://r").audience(""))
                .unwrap_err(),
            TokenRequestError::EmptyParameter("audience")
        );
        assert_eq!(
            build(
                TokenExchangeRequest::new(base(), TOKEN_TYPE_ID_TOKEN, "https://r")
                    .requested_token_type("")
            )
            .unwrap_err(),
            TokenRequestError::EmptyParameter("requested_token_type")
        );
        assert!(matches!(
            TokenExchangeRequest::new(base(), TOKEN_TYPE_ID_TOKEN, "https://r").build(
                "http://idp.example/token",
                &auth,
                UrlPolicy::https_only().allow_loopback_http()
            ),
            Err(TokenRequestError::Endpoint(_))
        ));
        let two = build(
            TokenExchangeRequest::new(base(), TOKEN_TYPE_ID_TOKEN, "https://r")
                .audience("https://a1")
                .audience("https://a2"),
        )
        .unwrap();
        let audiences: Vec<_> = url::form_urlencoded::parse(&two.body)
            .filter(|(k, _)| k == "audience")
            .map(|(_, v)| v.into_owned())
            .collect();
        assert_eq!(audiences, ["https://a1", "https://a2"]);
    }
}
