//! Token revocation (RFC 7009): the request that tells the authorization server a token is no
//! longer needed (logout), and what its answer means.
//!
//! [`RevocationRequest`] builds the `POST` to the `revocation_endpoint` of the AS metadata
//! (RFC 8414 §2): `token`, an optional `token_type_hint` (RFC 7009 §2.1) and the same client
//! authentication as the token endpoint (RFC 7009 §2.1 "the client also includes its
//! authentication credentials as described in Section 2.3 of RFC 6749"). The endpoint is checked
//! against the [`UrlPolicy`] before the token is put in a request.
//!
//! [`parse_revocation_response`] reads the answer (RFC 7009 §2.2): HTTP 200 means done, also for
//! a token the server did not know (so a client cannot learn anything from it); 503 means "try
//! again later", with the `Retry-After` seconds when given (§2.2.1); an OAuth error body such as
//! `unsupported_token_type` is typed. No error holds the token or the body.
//!
//! When RFC 7009 §2.1 says revoking a refresh token may also revoke the access tokens of the
//! same grant, it is the reason to revoke the refresh token first
//! ([`AuthFlow::logout`](crate::flow::AuthFlow::logout) does).
//!
//! ```
//! use mcp_oauth_core::http::HttpResponse;
//! use mcp_oauth_core::revocation::{
//!     RevocationError, RevocationRequest, TokenTypeHint, parse_revocation_response,
//! };
//! use mcp_oauth_core::token::ClientAuth;
//! use mcp_oauth_core::urls::UrlPolicy;
//!
//! let request = RevocationRequest::new("the-refresh-token", TokenTypeHint::RefreshToken)
//!     .build(
//!         "https://auth.example.com/revoke",
//!         &ClientAuth::None { client_id: "my-client".into() },
//!         UrlPolicy::https_only(),
//!     )
//!     .unwrap();
//! assert_eq!(request.url, "https://auth.example.com/revoke");
//! assert_eq!(
//!     request.body,
//!     b"token=the-refresh-token&token_type_hint=refresh_token&client_id=my-client"
//! );
//!
//! assert_eq!(parse_revocation_response(&HttpResponse::new(200, vec![], vec![])), Ok(()));
//! let busy = HttpResponse::new(503, vec![("Retry-After".into(), b"7".to_vec())], vec![]);
//! assert_eq!(
//!     parse_revocation_response(&busy),
//!     Err(RevocationError::Unavailable { retry_after_seconds: Some(7) })
//! );
//! ```

use alloc::string::String;
use core::fmt;

use crate::http::{HttpRequest, HttpResponse};
use crate::secret::WipedString;
use crate::token::{ClientAuth, TokenErrorCode, TokenResponseError, parse_token_response};
use crate::urls::{UrlError, UrlPolicy};
use crate::{Scopes, Timestamp};

/// The `token_type_hint` of RFC 7009 §2.1 (registered in §4.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenTypeHint {
    /// `access_token`.
    AccessToken,
    /// `refresh_token`.
    RefreshToken,
}

impl TokenTypeHint {
    /// The value on the wire.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::AccessToken => "access_token",
            Self::RefreshToken => "refresh_token",
        }
    }
}

impl fmt::Display for TokenTypeHint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A revocation request (RFC 7009 §2.1), ready to be built into an [`HttpRequest`].
///
/// `Debug` redacts the token.
#[derive(Debug)]
#[must_use = "a revocation request does nothing until built and sent"]
pub struct RevocationRequest {
    token: WipedString,
    hint: Option<TokenTypeHint>,
}

impl RevocationRequest {
    /// Revoke `token`, telling the server which kind it is (the server may ignore the hint).
    pub fn new(token: &str, hint: TokenTypeHint) -> Self {
        Self {
            token: WipedString::new(String::from(token)),
            hint: Some(hint),
        }
    }

    /// Revoke `token` without a `token_type_hint`.
    pub fn without_hint(token: &str) -> Self {
        Self {
            token: WipedString::new(String::from(token)),
            hint: None,
        }
    }

    /// The hint this request sends, if any.
    #[must_use]
    pub const fn hint(&self) -> Option<TokenTypeHint> {
        self.hint
    }

    /// Build the `POST` to `revocation_endpoint`: `Content-Type:
    /// application/x-www-form-urlencoded`, `token`, `token_type_hint` when set, and the client
    /// authentication of `auth` (one method, as at the token endpoint).
    ///
    /// # Errors
    ///
    /// [`RevocationRequestError::Endpoint`] when the endpoint breaks `policy` (checked before the
    /// token is placed in a request), [`RevocationRequestError::EmptyToken`],
    /// or [`RevocationRequestError::EmptyClientId`].
    pub fn build(
        self,
        revocation_endpoint: &str,
        auth: &ClientAuth,
        policy: UrlPolicy,
    ) -> Result<HttpRequest, RevocationRequestError> {
        policy
            .check(revocation_endpoint)
            .map_err(RevocationRequestError::Endpoint)?;
        if self.token.as_str().is_empty() {
            return Err(RevocationRequestError::EmptyToken);
        }
        if auth.client_id().is_empty() {
            return Err(RevocationRequestError::EmptyClientId);
        }
        let mut params = alloc::vec![("token", self.token.as_str())];
        if let Some(h) = self.hint {
            params.push(("token_type_hint", h.as_str()));
        }
        Ok(crate::form::post(revocation_endpoint, params, auth))
    }
}

/// Why a revocation request could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RevocationRequestError {
    /// The revocation endpoint breaks the transport policy (https, or loopback http when
    /// allowed).
    #[error("revocation endpoint refused: {0}")]
    Endpoint(UrlError),
    /// The token to revoke is empty.
    #[error("the token to revoke is empty")]
    EmptyToken,
    /// The client id is empty.
    #[error("client id is empty")]
    EmptyClientId,
}

/// Why the authorization server did not confirm a revocation (RFC 7009 §2.2, §2.2.1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RevocationError {
    /// HTTP 503: the server is temporarily unable to revoke; retry after the given number of
    /// seconds when it said (RFC 7009 §2.2.1, `Retry-After` as delay-seconds).
    #[error("revocation endpoint unavailable (HTTP 503)")]
    Unavailable {
        /// The `Retry-After` delay in seconds, when given as a number.
        retry_after_seconds: Option<u64>,
    },
    /// `unsupported_token_type`: the server does not revoke this type of token (RFC 7009
    /// §2.2.1), typically an access token at a server that revokes refresh tokens only.
    #[error("the server does not revoke this token type")]
    UnsupportedTokenType,
    /// Another OAuth error (RFC 6749 §5.2), for example `invalid_client`.
    #[error("revocation endpoint returned error `{code}` (HTTP {status})")]
    Server {
        /// The HTTP status.
        status: u16,
        /// The error code.
        code: TokenErrorCode,
    },
    /// A status other than 200 and 503 without an OAuth error body.
    #[error("revocation endpoint returned HTTP {status}")]
    UnexpectedStatus {
        /// The HTTP status.
        status: u16,
    },
}

/// Read the answer to a revocation request (RFC 7009 §2.2). The body of a 200 is ignored: the
/// server answers 200 whether or not it knew the token.
///
/// # Errors
///
/// [`RevocationError`] for 503 (with `Retry-After`), an OAuth error body, or any other status.
pub fn parse_revocation_response(response: &HttpResponse) -> Result<(), RevocationError> {
    match response.status {
        200 => Ok(()),
        503 => Err(RevocationError::Unavailable {
            retry_after_seconds: response
                .header("retry-after")
                .and_then(|v| v.trim().parse::<u64>().ok()),
        }),
        status => {
            // The §5.2 error body has the token endpoint's format; reuse its parser (which never
            // keeps the body), on a status that is never 200 here.
            let parsed =
                parse_token_response(response, Timestamp::from_unix_millis(0), &Scopes::default());
            match parsed {
                Err(TokenResponseError::Server(e)) => match e.code() {
                    TokenErrorCode::Unknown(c) if c == "unsupported_token_type" => {
                        Err(RevocationError::UnsupportedTokenType)
                    }
                    code => Err(RevocationError::Server {
                        status,
                        code: code.clone(),
                    }),
                },
                _ => Err(RevocationError::UnexpectedStatus { status }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::ClientSecret;
    use alloc::vec;
    use alloc::vec::Vec;

    fn json(status: u16, body: &str) -> HttpResponse {
        HttpResponse::new(
            status,
            vec![("content-type".into(), b"application/json".to_vec())],
            body.as_bytes().to_vec(),
        )
    }

    // RFC 7009 §2.1 example request: token + hint, Basic client authentication.
    #[test]
    fn rfc7009_example_request_shape() {
        let req = RevocationRequest::new("45ghiukldjahdnhzdauz", TokenTypeHint::RefreshToken)
            .build(
                "https://server.example.com/revoke",
                &ClientAuth::ClientSecretBasic {
                    client_id: "s6BhdRkqt3".into(),
                    client_secret: ClientSecret::new("gX1fBat3bV".into()),
                },
                UrlPolicy::https_only(),
            )
            .unwrap();
        assert_eq!(
            req.body,
            b"token=45ghiukldjahdnhzdauz&token_type_hint=refresh_token"
        );
        // The RFC's example header: Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW.
        assert_eq!(
            req.header("authorization"),
            Some("Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW")
        );
        assert_eq!(
            req.header("content-type"),
            Some("application/x-www-form-urlencoded")
        );
    }

    // RFC 7523 §2.2 / RFC 7521 §4.2: a `private_key_jwt` client authenticates at the revocation
    // endpoint with its assertion in the body, no Basic header.
    #[test]
    fn private_key_jwt_assertion_in_the_body() {
        let req = RevocationRequest::new("tok", TokenTypeHint::AccessToken)
            .build(
                "https://as.example/revoke",
                &ClientAuth::PrivateKeyJwt {
                    client_id: "c".into(),
                    assertion: crate::secret::ClientAssertion::new("h.p.s".into()),
                },
                UrlPolicy::https_only(),
            )
            .unwrap();
        assert_eq!(
            req.body,
            b"token=tok&token_type_hint=access_token&client_id=c&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=h.p.s"
        );
        assert_eq!(req.header("authorization"), None);
    }

    #[test]
    fn post_auth_and_no_hint() {
        let req = RevocationRequest::without_hint("a b")
            .build(
                "https://as.example/revoke",
                &ClientAuth::ClientSecretPost {
                    client_id: "c".into(),
                    client_secret: ClientSecret::new("s&".into()),
                },
                UrlPolicy::https_only(),
            )
            .unwrap();
        assert_eq!(req.body, b"token=a+b&client_id=c&client_secret=s%26");
        assert!(!alloc::format!("{req:?}").contains("a+b"));
    }

    #[test]
    fn endpoint_policy_and_empty_values() {
        let auth = ClientAuth::None {
            client_id: "c".into(),
        };
        assert!(matches!(
            RevocationRequest::new("t", TokenTypeHint::AccessToken).build(
                "http://as.example/revoke",
                &auth,
                UrlPolicy::https_only()
            ),
            Err(RevocationRequestError::Endpoint(_))
        ));
        assert_eq!(
            RevocationRequest::new("", TokenTypeHint::AccessToken)
                .build("https://as.example/revoke", &auth, UrlPolicy::https_only())
                .unwrap_err(),
            RevocationRequestError::EmptyToken
        );
        let empty_id = ClientAuth::None {
            client_id: String::new(),
        };
        assert_eq!(
            RevocationRequest::new("t", TokenTypeHint::AccessToken)
                .build(
                    "https://as.example/revoke",
                    &empty_id,
                    UrlPolicy::https_only()
                )
                .unwrap_err(),
            RevocationRequestError::EmptyClientId
        );
    }

    #[test]
    fn responses_rfc7009_2_2() {
        // 200 with any body (even an unknown token): done.
        assert_eq!(parse_revocation_response(&json(200, "")), Ok(()));
        assert_eq!(parse_revocation_response(&json(200, "not json")), Ok(()));
        assert_eq!(
            parse_revocation_response(&HttpResponse::new(503, vec![], vec![])),
            Err(RevocationError::Unavailable {
                retry_after_seconds: None
            })
        );
        assert_eq!(
            parse_revocation_response(&json(400, r#"{"error":"unsupported_token_type"}"#)),
            Err(RevocationError::UnsupportedTokenType)
        );
        assert_eq!(
            parse_revocation_response(&json(401, r#"{"error":"invalid_client"}"#)),
            Err(RevocationError::Server {
                status: 401,
                code: TokenErrorCode::InvalidClient
            })
        );
        assert_eq!(
            parse_revocation_response(&json(404, "<html>")),
            Err(RevocationError::UnexpectedStatus { status: 404 })
        );
        // A Retry-After in HTTP-date form is not a number: no delay.
        let date = HttpResponse::new(
            503,
            vec![(
                "retry-after".into(),
                b"Fri, 31 Dec 1999 23:59:59 GMT".to_vec(),
            )],
            vec![],
        );
        assert_eq!(
            parse_revocation_response(&date),
            Err(RevocationError::Unavailable {
                retry_after_seconds: None
            })
        );
    }

    #[test]
    fn errors_hold_no_token() {
        let body: Vec<u8> =
            br#"{"error":"invalid_request","error_description":"bad token secret-xyz"}"#.to_vec();
        let e = parse_revocation_response(&HttpResponse::new(400, vec![], body)).unwrap_err();
        assert!(!alloc::format!("{e:?}{e}").contains("secret-xyz"));
    }
}
