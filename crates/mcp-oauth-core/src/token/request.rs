//! Token endpoint requests (RFC 6749 §2.3.1, §3.2, §4.1.3, §4.4, §6; RFC 7636 §4.5; RFC 8707).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use url::form_urlencoded;

use crate::Scopes;
use crate::http::{HeaderValue, HttpRequest};
use crate::secret::{
    Assertion, AuthorizationCode, ClientAssertion, ClientSecret, RefreshToken, WipedString,
    wipe_string,
};
use crate::urls::{UrlError, UrlPolicy};

/// A client authentication method at the token endpoint (RFC 7591 §2
/// `token_endpoint_auth_method`, RFC 8414 §2 `token_endpoint_auth_methods_supported`).
///
/// Only the methods this crate can perform are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClientAuthMethod {
    /// `none`: a public client; `client_id` goes in the body (checklist T-7).
    None,
    /// `client_secret_basic`: HTTP Basic with the form-encoded id and secret (RFC 6749 §2.3.1,
    /// checklist T-5).
    ClientSecretBasic,
    /// `client_secret_post`: `client_id` and `client_secret` in the body (checklist T-6).
    ClientSecretPost,
    /// `private_key_jwt`: a JWT signed with the client's private key, sent as
    /// `client_assertion` (RFC 7523 §2.2). Needs a signed assertion, see
    /// [`ClientAuth::PrivateKeyJwt`].
    PrivateKeyJwt,
}

impl ClientAuthMethod {
    /// The registered name of the method.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::PrivateKeyJwt => "private_key_jwt",
        }
    }

    /// The method with registered name `name` (exact, case-sensitive), if this crate supports it.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "none" => Some(Self::None),
            "client_secret_basic" => Some(Self::ClientSecretBasic),
            "client_secret_post" => Some(Self::ClientSecretPost),
            "private_key_jwt" => Some(Self::PrivateKeyJwt),
            _ => None,
        }
    }

    /// Whether the method needs a client secret.
    #[must_use]
    pub const fn needs_secret(self) -> bool {
        matches!(self, Self::ClientSecretBasic | Self::ClientSecretPost)
    }

    /// Whether the method needs a private key (a signed client assertion).
    #[must_use]
    pub const fn needs_key(self) -> bool {
        matches!(self, Self::PrivateKeyJwt)
    }
}

impl fmt::Display for ClientAuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why no client authentication could be set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientAuthError {
    /// The client has a secret, but the authorization server lists none of `client_secret_basic`,
    /// `client_secret_post` or `none` (for example only `private_key_jwt`).
    #[error(
        "the authorization server supports no client authentication method this client can use"
    )]
    NoCompatibleMethod,
    /// The chosen method needs a client secret and none was given.
    #[error("client authentication method needs a client secret")]
    MissingClientSecret,
    /// The client id is empty.
    #[error("client id is empty")]
    EmptyClientId,
    /// `private_key_jwt` was chosen without a signed client assertion: build the
    /// [`ClientAuth`] with [`ClientAuth::private_key_jwt`] instead of [`ClientAuth::new`].
    #[error("private_key_jwt needs a signed client assertion")]
    MissingAssertion,
    /// The client assertion audience (the authorization server's issuer) is empty.
    #[error("client assertion audience is empty")]
    EmptyAudience,
    /// The client assertion could not be signed.
    #[error("client assertion could not be signed")]
    AssertionSigning,
    /// The client has a private key but no secret, and the authorization server does not
    /// advertise `private_key_jwt` with the key's algorithm (checklist T-4).
    #[error(
        "the authorization server does not advertise private_key_jwt with this key's algorithm"
    )]
    PrivateKeyJwtNotAccepted,
}

/// Choose the client authentication method for the token endpoint (checklist T-4, M-6).
///
/// - `registered`: the `token_endpoint_auth_method` the client registered with or that the
///   registration response returned, if any;
/// - `has_secret`: whether a client secret is available;
/// - `supported`: the authorization server's `token_endpoint_auth_methods_supported`, or `None`
///   when the metadata omits it. Absent means `["client_secret_basic"]` (RFC 8414 §2); an empty
///   list is treated like an absent one.
///
/// The order is:
///
/// 1. the registered method, if this crate supports it, its secret requirement is met, and the
///    server lists it or lists nothing;
/// 2. with a secret: `client_secret_basic` if listed (or the list is absent), then
///    `client_secret_post`, then `none` if listed;
/// 3. without a secret: `none`. A public client has nothing else to offer, and servers such as
///    Microsoft Entra ID accept public clients without listing `none`.
///
/// A registered method this crate does not implement (`tls_client_auth`, …) is skipped, not an
/// error, and so is `private_key_jwt`, which needs a key this function does not know about: a
/// client with a private key checks [`accepts_private_key_jwt`](crate::token::accepts_private_key_jwt)
/// (feature `jose`) first and comes here only when that says no.
///
/// ```
/// use mcp_oauth_core::token::{ClientAuthMethod, select_client_auth_method};
///
/// let only_post = ["client_secret_post".to_string()];
/// assert_eq!(
///     select_client_auth_method(None, true, Some(&only_post)),
///     Ok(ClientAuthMethod::ClientSecretPost)
/// );
/// assert_eq!(
///     select_client_auth_method(None, true, None),
///     Ok(ClientAuthMethod::ClientSecretBasic)
/// );
/// assert_eq!(select_client_auth_method(Some("none"), false, None), Ok(ClientAuthMethod::None));
/// ```
///
/// # Errors
///
/// [`ClientAuthError::NoCompatibleMethod`] when the client has a secret and the server lists none
/// of the methods above.
pub fn select_client_auth_method(
    registered: Option<&str>,
    has_secret: bool,
    supported: Option<&[String]>,
) -> Result<ClientAuthMethod, ClientAuthError> {
    let supported = supported.filter(|s| !s.is_empty());
    let listed = |m: ClientAuthMethod| match supported {
        None => m == ClientAuthMethod::ClientSecretBasic,
        Some(list) => list.iter().any(|s| s == m.as_str()),
    };
    if let Some(m) = registered.and_then(ClientAuthMethod::from_name) {
        let usable = (has_secret || !m.needs_secret()) && !m.needs_key();
        if usable && (supported.is_none() || listed(m)) {
            return Ok(m);
        }
    }
    if !has_secret {
        return Ok(ClientAuthMethod::None);
    }
    [
        ClientAuthMethod::ClientSecretBasic,
        ClientAuthMethod::ClientSecretPost,
        ClientAuthMethod::None,
    ]
    .into_iter()
    .find(|m| listed(*m))
    .ok_or(ClientAuthError::NoCompatibleMethod)
}

/// How the client authenticates one token request: exactly one method (checklist T-8).
///
/// Not `Clone`: a [`ClientAuth::PrivateKeyJwt`] carries a one-request assertion.
#[derive(Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientAuth {
    /// A public client: `client_id` in the body, nothing else (checklist T-7).
    None {
        /// The client identifier.
        client_id: String,
    },
    /// `Authorization: Basic` with the form-encoded id and secret (checklist T-5).
    ClientSecretBasic {
        /// The client identifier.
        client_id: String,
        /// The client secret.
        client_secret: ClientSecret,
    },
    /// `client_id` and `client_secret` in the body (checklist T-6).
    ClientSecretPost {
        /// The client identifier.
        client_id: String,
        /// The client secret.
        client_secret: ClientSecret,
    },
    /// `client_id`, `client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer`
    /// and the signed `client_assertion` in the body (RFC 7523 §2.2, RFC 7521 §4.2). Build it
    /// with [`ClientAuth::private_key_jwt`] (feature `jose`), or wrap an assertion signed
    /// elsewhere (see the [assertion rules](crate::token#private_key_jwt)).
    PrivateKeyJwt {
        /// The client identifier (also the assertion's `iss` and `sub`).
        client_id: String,
        /// The signed JWT, for this one request.
        assertion: ClientAssertion,
    },
}

impl ClientAuth {
    /// A copy of configured client authentication that is sent on more than one request (the
    /// enterprise IdP's, see `flow::IdpConfig`). A [`ClientAuth::PrivateKeyJwt`] is copied with
    /// its assertion, which is then replayed as is: configure the IdP with a reusable method.
    pub(crate) fn copy_for_config(&self) -> Self {
        match self {
            Self::None { client_id } => Self::None {
                client_id: client_id.clone(),
            },
            Self::ClientSecretBasic {
                client_id,
                client_secret,
            } => Self::ClientSecretBasic {
                client_id: client_id.clone(),
                client_secret: client_secret.clone(),
            },
            Self::ClientSecretPost {
                client_id,
                client_secret,
            } => Self::ClientSecretPost {
                client_id: client_id.clone(),
                client_secret: client_secret.clone(),
            },
            Self::PrivateKeyJwt {
                client_id,
                assertion,
            } => Self::PrivateKeyJwt {
                client_id: client_id.clone(),
                assertion: ClientAssertion::new(assertion.secret().into()),
            },
        }
    }
}

impl ClientAuth {
    /// Set up `method` for `client_id`, using `client_secret` when the method needs one.
    ///
    /// A secret passed with [`ClientAuthMethod::None`] is dropped, never sent.
    ///
    /// # Errors
    ///
    /// [`ClientAuthError::EmptyClientId`], [`ClientAuthError::MissingClientSecret`] when the
    /// method needs a secret and `client_secret` is `None`, and
    /// [`ClientAuthError::MissingAssertion`] for [`ClientAuthMethod::PrivateKeyJwt`] (use
    /// [`ClientAuth::private_key_jwt`]).
    pub fn new(
        method: ClientAuthMethod,
        client_id: String,
        client_secret: Option<ClientSecret>,
    ) -> Result<Self, ClientAuthError> {
        if client_id.is_empty() {
            return Err(ClientAuthError::EmptyClientId);
        }
        match (method, client_secret) {
            (ClientAuthMethod::None, _) => Ok(Self::None { client_id }),
            (ClientAuthMethod::ClientSecretBasic, Some(client_secret)) => {
                Ok(Self::ClientSecretBasic {
                    client_id,
                    client_secret,
                })
            }
            (ClientAuthMethod::ClientSecretPost, Some(client_secret)) => {
                Ok(Self::ClientSecretPost {
                    client_id,
                    client_secret,
                })
            }
            (ClientAuthMethod::PrivateKeyJwt, _) => Err(ClientAuthError::MissingAssertion),
            (_, None) => Err(ClientAuthError::MissingClientSecret),
        }
    }

    /// `private_key_jwt` (RFC 7523 §2.2): sign a fresh client assertion for one request.
    ///
    /// The claims are `iss` = `sub` = `client_id`, `aud` = `issuer` (the authorization server's
    /// issuer identifier, RFC 7523bis §4), `iat` = `now`, `exp` = `now` + 60 s and a `jti` made
    /// from `jti` (256 bits); the header carries `typ: client-authentication+jwt` and `kid` when
    /// `key_id` is given. See the [assertion rules](crate::token#private_key_jwt).
    ///
    /// ```
    /// use mcp_oauth_core::jose::SigningKey;
    /// use mcp_oauth_core::token::{ClientAuth, ClientAuthMethod, TokenRequest};
    /// use mcp_oauth_core::urls::UrlPolicy;
    /// use mcp_oauth_core::{Entropy, Scopes, Timestamp};
    ///
    /// let key = SigningKey::es256_from_secret_bytes(&[7; 32])?;
    /// let now = Timestamp::from_unix_seconds(1_700_000_000);
    /// let auth = ClientAuth::private_key_jwt(
    ///     "my-client".into(), &key, None, "https://auth.example.com", now, &Entropy::new([9; 32]),
    /// )?;
    /// assert_eq!(auth.method(), ClientAuthMethod::PrivateKeyJwt);
    /// assert!(format!("{auth:?}").contains("ClientAssertion([redacted])"));
    ///
    /// let request = TokenRequest::client_credentials("https://mcp.example.com", &Scopes::new())
    ///     .build("https://auth.example.com/token", &auth, UrlPolicy::https_only())?;
    /// let body = String::from_utf8(request.body.clone())?;
    /// assert!(body.contains("&client_id=my-client&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=eyJ"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ClientAuthError::EmptyClientId`], [`ClientAuthError::EmptyAudience`], or
    /// [`ClientAuthError::AssertionSigning`] if the signature fails.
    #[cfg(feature = "jose")]
    pub fn private_key_jwt(
        client_id: String,
        key: &crate::jose::SigningKey,
        key_id: Option<&str>,
        issuer: &str,
        now: crate::Timestamp,
        jti: &crate::Entropy,
    ) -> Result<Self, ClientAuthError> {
        let assertion = super::assertion::sign(key, key_id, &client_id, issuer, now, jti)?;
        Ok(Self::PrivateKeyJwt {
            client_id,
            assertion,
        })
    }

    /// The method in use.
    #[must_use]
    pub fn method(&self) -> ClientAuthMethod {
        match self {
            Self::None { .. } => ClientAuthMethod::None,
            Self::ClientSecretBasic { .. } => ClientAuthMethod::ClientSecretBasic,
            Self::ClientSecretPost { .. } => ClientAuthMethod::ClientSecretPost,
            Self::PrivateKeyJwt { .. } => ClientAuthMethod::PrivateKeyJwt,
        }
    }

    /// The client identifier.
    #[must_use]
    pub fn client_id(&self) -> &str {
        match self {
            Self::None { client_id }
            | Self::ClientSecretBasic { client_id, .. }
            | Self::ClientSecretPost { client_id, .. }
            | Self::PrivateKeyJwt { client_id, .. } => client_id,
        }
    }
}

/// The `Authorization` header value for `client_secret_basic` (RFC 6749 §2.3.1): the id and the
/// secret are each form-urlencoded, joined with `:`, and the result is base64-encoded.
///
/// The value is a credential, so it is a sensitive [`HeaderValue`].
///
/// ```
/// use mcp_oauth_core::secret::ClientSecret;
/// use mcp_oauth_core::token::basic_auth_header;
///
/// let v = basic_auth_header("a:b", &ClientSecret::new("p@ss word".into()));
/// assert_eq!(v.as_str(), "Basic YSUzQWI6cCU0MHNzK3dvcmQ=");
/// assert!(v.is_sensitive());
/// ```
#[must_use]
pub fn basic_auth_header(client_id: &str, client_secret: &ClientSecret) -> HeaderValue {
    let mut joined = String::with_capacity(
        crate::form::encoded_len_bound(client_id.len())
            .saturating_add(crate::form::encoded_len_bound(client_secret.secret().len()))
            .saturating_add(1),
    );
    joined.extend(form_urlencoded::byte_serialize(client_id.as_bytes()));
    joined.push(':');
    joined.extend(form_urlencoded::byte_serialize(
        client_secret.secret().as_bytes(),
    ));
    let b64_len = base64::encoded_len(joined.len(), true).unwrap_or(0);
    let mut buf = alloc::vec![0u8; b64_len];
    let written = base64::Engine::encode_slice(
        &base64::engine::general_purpose::STANDARD,
        joined.as_bytes(),
        &mut buf,
    )
    .unwrap_or(0);
    let mut value = String::with_capacity("Basic ".len().saturating_add(written));
    value.push_str("Basic ");
    // Base64 output is ASCII, so each byte is one char.
    value.extend(buf.iter().take(written).map(|b| char::from(*b)));
    crate::secret::wipe_bytes(&mut buf);
    wipe_string(&mut joined);
    HeaderValue::sensitive(value)
}

/// Why a token request could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenRequestError {
    /// The token endpoint URL breaks the transport policy: not https, or http on a host that is
    /// not loopback or without the loopback switch (checklist T-3).
    #[error("token endpoint refused: {0}")]
    Endpoint(UrlError),
    /// A required parameter (named here) is empty.
    #[error("token request parameter `{0}` is empty")]
    EmptyParameter(&'static str),
    /// `resource` is not an absolute URI or carries a fragment (RFC 8707 §2).
    #[error("resource is not an absolute URI without a fragment")]
    InvalidResource,
    /// An extra parameter uses a name the request sets itself (named here).
    #[error("extra parameter `{0}` is reserved")]
    ReservedParameter(String),
    /// An extra parameter name is given twice (named here).
    #[error("extra parameter `{0}` is given twice")]
    DuplicateParameter(String),
    /// A refresh asked for a scope that is not part of the grant: a refresh may only keep or
    /// narrow the scope (RFC 6749 §6, checklist F-2). Start a new authorization instead.
    #[error("a refresh cannot add scopes; start a new authorization")]
    ScopeNotGranted,
    /// The client authentication is unusable (empty client id).
    #[error("client authentication: {0}")]
    ClientAuth(ClientAuthError),
}

#[derive(Debug)]
enum Grant {
    AuthorizationCode {
        code: AuthorizationCode,
        redirect_uri: String,
        code_verifier: WipedString,
    },
    RefreshToken {
        refresh_token: RefreshToken,
    },
    ClientCredentials,
    JwtBearer {
        assertion: Assertion,
    },
    TokenExchange(alloc::boxed::Box<super::exchange::ExchangeGrant>),
}

impl Grant {
    fn name(&self) -> &'static str {
        match self {
            Self::AuthorizationCode { .. } => "authorization_code",
            Self::RefreshToken { .. } => "refresh_token",
            Self::ClientCredentials => "client_credentials",
            Self::JwtBearer { .. } => super::exchange::GRANT_TYPE_JWT_BEARER,
            Self::TokenExchange(_) => super::exchange::GRANT_TYPE_TOKEN_EXCHANGE,
        }
    }

    /// Grant-specific parameter names, reserved for this grant only (an `audience` extra
    /// parameter is common with client credentials, for example).
    fn own_params(&self) -> &'static [&'static str] {
        match self {
            Self::JwtBearer { .. } => &["assertion"],
            Self::TokenExchange(_) => &[
                "subject_token",
                "subject_token_type",
                "requested_token_type",
                "audience",
                "actor_token",
                "actor_token_type",
            ],
            _ => &[],
        }
    }
}

/// Parameter names the request sets itself; extra parameters may not use them.
const RESERVED: &[&str] = &[
    "grant_type",
    "code",
    "redirect_uri",
    "code_verifier",
    "refresh_token",
    "resource",
    "scope",
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
];

/// A token request, ready to be turned into an [`HttpRequest`] by [`TokenRequest::build`].
///
/// Four grants are offered: [`authorization_code`](Self::authorization_code),
/// [`refresh`](Self::refresh) / [`refresh_narrowed`](Self::refresh_narrowed),
/// [`client_credentials`](Self::client_credentials) and [`jwt_bearer`](Self::jwt_bearer)
/// (RFC 7523); the RFC 8693 token exchange is built by
/// [`TokenExchangeRequest`](super::TokenExchangeRequest). Every one carries `resource` (RFC 8707,
/// checklist T-10), sent exactly as given (Q-6). There is deliberately no way to set a scope on a
/// refresh that is wider than the grant (F-2), and no scope on a code exchange (the scope was
/// fixed by the authorization request).
///
/// `Debug` redacts the code, verifier, refresh token and extra values.
#[derive(Debug)]
#[must_use = "a token request does nothing until built and sent"]
pub struct TokenRequest {
    grant: Grant,
    resource: String,
    scope: Option<Scopes>,
    extra: Vec<(String, WipedString)>,
}

impl TokenRequest {
    /// Exchange an authorization code (RFC 6749 §4.1.3, RFC 7636 §4.5; checklist T-2).
    ///
    /// - `code` is consumed: a code can be redeemed once (C-14).
    /// - `redirect_uri` must be the string sent in the authorization request, byte for byte.
    /// - `code_verifier` is the PKCE verifier of this flow.
    /// - `resource` is the canonical MCP server URI, identical to the one in the authorization
    ///   request (Q-11).
    pub fn authorization_code(
        code: AuthorizationCode,
        redirect_uri: &str,
        code_verifier: &str,
        resource: &str,
    ) -> Self {
        Self {
            grant: Grant::AuthorizationCode {
                code,
                redirect_uri: String::from(redirect_uri),
                code_verifier: WipedString::new(String::from(code_verifier)),
            },
            resource: String::from(resource),
            scope: None,
            extra: Vec::new(),
        }
    }

    /// Refresh, keeping the scope of the grant (RFC 6749 §6; checklist F-1). No `scope`
    /// parameter is sent, which means "the scope originally granted".
    pub fn refresh(refresh_token: &RefreshToken, resource: &str) -> Self {
        Self {
            grant: Grant::RefreshToken {
                refresh_token: refresh_token.clone(),
            },
            resource: String::from(resource),
            scope: None,
            extra: Vec::new(),
        }
    }

    /// Refresh with a narrower scope: `scope` must be a subset of `granted` (checklist F-1, F-2).
    /// An empty `scope` sends no `scope` parameter, like [`TokenRequest::refresh`] (Q-7).
    ///
    /// # Errors
    ///
    /// [`TokenRequestError::ScopeNotGranted`] when `scope` has a token `granted` lacks: widening
    /// needs a new authorization request (S-7).
    pub fn refresh_narrowed(
        refresh_token: &RefreshToken,
        resource: &str,
        granted: &Scopes,
        scope: &Scopes,
    ) -> Result<Self, TokenRequestError> {
        if !granted.contains_all(scope) {
            return Err(TokenRequestError::ScopeNotGranted);
        }
        let mut req = Self::refresh(refresh_token, resource);
        req.scope = Some(scope.clone()).filter(|s| !s.is_empty());
        Ok(req)
    }

    /// A client credentials grant (RFC 6749 §4.4; MCP extension, checklist M-4). An empty `scope`
    /// sends no `scope` parameter (Q-7).
    pub fn client_credentials(resource: &str, scope: &Scopes) -> Self {
        Self {
            grant: Grant::ClientCredentials,
            resource: String::from(resource),
            scope: Some(scope.clone()).filter(|s| !s.is_empty()),
            extra: Vec::new(),
        }
    }

    /// An RFC 7523 §2.1 JWT bearer grant: `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`
    /// and `assertion`, plus `resource` (RFC 8707, checklist T-10) and the optional `scope`
    /// (empty: not sent, Q-7). Used for workload identity federation (SEP-1933), where the
    /// assertion is the workload's JWT, and for enterprise-managed authorization (SEP-990), where
    /// it is the ID-JAG from the IdP's token exchange
    /// ([`TokenExchangeRequest`](super::TokenExchangeRequest)).
    ///
    /// Client authentication is whatever [`TokenRequest::build`] is given (RFC 7523 §3.1 makes it
    /// independent of the grant).
    ///
    /// ```
    /// use mcp_oauth_core::secret::{Assertion, ClientSecret};
    /// use mcp_oauth_core::token::{ClientAuth, TokenRequest};
    /// use mcp_oauth_core::urls::UrlPolicy;
    /// use mcp_oauth_core::Scopes;
    ///
    /// let request = TokenRequest::jwt_bearer(
    ///     Assertion::new("eyJhbGciOiJFUzI1NiJ9.e30.sig".into()),
    ///     "https://mcp.example.com/mcp",
    ///     &Scopes::parse("mcp:read"),
    /// )
    /// .build(
    ///     "https://auth.example.com/token",
    ///     &ClientAuth::ClientSecretBasic {
    ///         client_id: "app".into(),
    ///         client_secret: ClientSecret::new("s3cret".into()),
    ///     },
    ///     UrlPolicy::https_only(),
    /// )
    /// .unwrap();
    /// let body = String::from_utf8(request.body.clone()).unwrap();
    /// assert_eq!(
    ///     body,
    ///     "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer\
    ///      &assertion=eyJhbGciOiJFUzI1NiJ9.e30.sig\
    ///      &resource=https%3A%2F%2Fmcp.example.com%2Fmcp&scope=mcp%3Aread"
    /// );
    /// assert!(request.header("authorization").unwrap().starts_with("Basic "));
    /// assert!(!format!("{request:?}").contains("e30"));
    /// ```
    pub fn jwt_bearer(assertion: Assertion, resource: &str, scope: &Scopes) -> Self {
        Self {
            grant: Grant::JwtBearer { assertion },
            resource: String::from(resource),
            scope: Some(scope.clone()).filter(|s| !s.is_empty()),
            extra: Vec::new(),
        }
    }

    /// An RFC 8693 token exchange (built by [`TokenExchangeRequest`](super::TokenExchangeRequest)).
    pub(super) fn token_exchange(
        grant: super::exchange::ExchangeGrant,
        resource: &str,
        scope: &Scopes,
    ) -> Self {
        Self {
            grant: Grant::TokenExchange(alloc::boxed::Box::new(grant)),
            resource: String::from(resource),
            scope: Some(scope.clone()).filter(|s| !s.is_empty()),
            extra: Vec::new(),
        }
    }

    /// Add an extra body parameter (for example a vendor-specific one). The value is treated as
    /// possibly secret. Names the request sets itself, and repeated names, are refused by
    /// [`TokenRequest::build`].
    pub fn extra_param(mut self, name: &str, value: &str) -> Self {
        self.extra
            .push((String::from(name), WipedString::new(String::from(value))));
        self
    }

    /// The `grant_type` this request sends.
    #[must_use]
    pub fn grant_type(&self) -> &'static str {
        self.grant.name()
    }

    /// Build the `POST` to `token_endpoint` (checklist T-1).
    ///
    /// The endpoint is checked against `policy` before any credential is put in the request
    /// (T-3); pass a policy with [`UrlPolicy::allow_loopback_http`] only for local development.
    /// The request carries `Content-Type: application/x-www-form-urlencoded`,
    /// `Accept: application/json`, the grant parameters, `resource`, the optional `scope`, the
    /// client authentication of `auth` (one method only, T-8) and the extra parameters, each
    /// parameter exactly once.
    ///
    /// # Errors
    ///
    /// A [`TokenRequestError`] for a refused endpoint, an empty required parameter, a `resource`
    /// that is not an absolute URI without fragment, or a reserved or repeated extra parameter.
    /// The request is consumed either way: after an error the authorization code is dropped
    /// (wiped), because every one of these errors is a configuration mistake that retrying with
    /// the same code would not fix.
    pub fn build(
        self,
        token_endpoint: &str,
        auth: &ClientAuth,
        policy: UrlPolicy,
    ) -> Result<HttpRequest, TokenRequestError> {
        policy
            .check(token_endpoint)
            .map_err(TokenRequestError::Endpoint)?;
        self.validate(auth)?;

        let mut params: Vec<(&str, &str)> = Vec::with_capacity(8 + self.extra.len());
        params.push(("grant_type", self.grant.name()));
        match &self.grant {
            Grant::AuthorizationCode {
                code,
                redirect_uri,
                code_verifier,
            } => {
                params.push(("code", code.secret()));
                params.push(("redirect_uri", redirect_uri));
                params.push(("code_verifier", code_verifier.as_str()));
            }
            Grant::RefreshToken { refresh_token } => {
                params.push(("refresh_token", refresh_token.secret()));
            }
            Grant::ClientCredentials => {}
            Grant::JwtBearer { assertion } => params.push(("assertion", assertion.secret())),
            Grant::TokenExchange(exchange) => exchange.push_params(&mut params),
        }
        params.push(("resource", &self.resource));
        let scope = self.scope.as_ref().map(alloc::string::ToString::to_string);
        if let Some(scope) = &scope {
            params.push(("scope", scope));
        }
        let mut headers = crate::form::headers();
        crate::form::push_client_auth(auth, &mut params, &mut headers);
        for (name, value) in &self.extra {
            params.push((name, value.as_str()));
        }

        Ok(crate::form::request(token_endpoint, &params, headers))
    }

    fn validate(&self, auth: &ClientAuth) -> Result<(), TokenRequestError> {
        let empty = TokenRequestError::EmptyParameter;
        match &self.grant {
            Grant::AuthorizationCode {
                code,
                redirect_uri,
                code_verifier,
            } => {
                if code.secret().is_empty() {
                    return Err(empty("code"));
                }
                if redirect_uri.is_empty() {
                    return Err(empty("redirect_uri"));
                }
                if code_verifier.as_str().is_empty() {
                    return Err(empty("code_verifier"));
                }
            }
            Grant::RefreshToken { refresh_token } => {
                if refresh_token.secret().is_empty() {
                    return Err(empty("refresh_token"));
                }
            }
            Grant::ClientCredentials => {}
            Grant::JwtBearer { assertion } => {
                if assertion.secret().is_empty() {
                    return Err(empty("assertion"));
                }
            }
            Grant::TokenExchange(exchange) => exchange.validate()?,
        }
        if self.resource.is_empty() {
            return Err(empty("resource"));
        }
        // Checked, but sent as the caller's string: `Url` would add a `/` to an empty path (Q-6).
        match url::Url::parse(&self.resource) {
            Ok(u) if u.fragment().is_none() => {}
            _ => return Err(TokenRequestError::InvalidResource),
        }
        if auth.client_id().is_empty() {
            return Err(TokenRequestError::ClientAuth(
                ClientAuthError::EmptyClientId,
            ));
        }
        if let ClientAuth::PrivateKeyJwt { assertion, .. } = auth
            && assertion.secret().is_empty()
        {
            return Err(TokenRequestError::ClientAuth(
                ClientAuthError::MissingAssertion,
            ));
        }
        for (i, (name, _)) in self.extra.iter().enumerate() {
            if name.is_empty() {
                return Err(empty("extra parameter name"));
            }
            if RESERVED.contains(&name.as_str()) || self.grant.own_params().contains(&name.as_str())
            {
                return Err(TokenRequestError::ReservedParameter(name.clone()));
            }
            let seen_before = self
                .extra
                .get(..i)
                .is_some_and(|prev| prev.iter().any(|(n, _)| n == name));
            if seen_before {
                return Err(TokenRequestError::DuplicateParameter(name.clone()));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn pairs(req: &HttpRequest) -> Vec<(String, String)> {
        form_urlencoded::parse(&req.body)
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    #[test]
    fn basic_vector_t5() {
        let v = basic_auth_header("a:b", &ClientSecret::new("p@ss word".into()));
        assert_eq!(v.as_str(), "Basic YSUzQWI6cCU0MHNzK3dvcmQ=");
        assert!(v.is_sensitive());
    }

    #[test]
    fn code_exchange_public_client_t2_t7() {
        let req = TokenRequest::authorization_code(
            AuthorizationCode::new("c0de".into()),
            "http://127.0.0.1:3000/cb",
            "verifier",
            "https://mcp.example.com",
        )
        .build(
            "https://as.example.com/token",
            &ClientAuth::None {
                client_id: "app".into(),
            },
            UrlPolicy::https_only(),
        )
        .unwrap();
        assert_eq!(
            pairs(&req),
            [
                ("grant_type", "authorization_code"),
                ("code", "c0de"),
                ("redirect_uri", "http://127.0.0.1:3000/cb"),
                ("code_verifier", "verifier"),
                ("resource", "https://mcp.example.com"),
                ("client_id", "app"),
            ]
            .map(|(k, v)| (k.to_string(), v.to_string()))
        );
        assert_eq!(req.header("authorization"), None);
    }

    #[test]
    fn selection_order_t4() {
        let list = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let basic_post = list(&["client_secret_basic", "client_secret_post"]);
        assert_eq!(
            select_client_auth_method(Some("client_secret_post"), true, Some(&basic_post)),
            Ok(ClientAuthMethod::ClientSecretPost)
        );
        assert_eq!(
            select_client_auth_method(Some("private_key_jwt"), true, Some(&basic_post)),
            Ok(ClientAuthMethod::ClientSecretBasic)
        );
        assert_eq!(
            select_client_auth_method(None, true, Some(&list(&["private_key_jwt"]))),
            Err(ClientAuthError::NoCompatibleMethod)
        );
        assert_eq!(
            select_client_auth_method(None, true, Some(&list(&["none"]))),
            Ok(ClientAuthMethod::None)
        );
        assert_eq!(
            select_client_auth_method(None, false, Some(&basic_post)),
            Ok(ClientAuthMethod::None)
        );
        assert_eq!(
            select_client_auth_method(None, true, Some(&[])),
            Ok(ClientAuthMethod::ClientSecretBasic)
        );
    }
}
