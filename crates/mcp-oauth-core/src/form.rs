//! Form `POST`s to authorization-server endpoints other than the token endpoint (RFC 8628 §3.1
//! device authorization, RFC 7009 §2.1 revocation), authenticated like a token request
//! (RFC 6749 §2.3: exactly one method).

use alloc::string::String;
use alloc::vec::Vec;

use url::form_urlencoded;

use crate::http::{HeaderValue, HttpRequest, Method};
use crate::token::{CLIENT_ASSERTION_TYPE, ClientAuth, basic_auth_header};

/// The client authentication cannot be used at this endpoint (a method other than `none`,
/// `client_secret_basic`, `client_secret_post` or `private_key_jwt`).
#[derive(Debug)]
pub(crate) struct UnsupportedAuth;

/// Build `POST endpoint` with `params` plus the client authentication of `auth`, form-encoded.
/// The body buffer is sized for the worst case so no credential is left in a reallocated copy.
/// The endpoint must have been checked against the URL policy already.
pub(crate) fn post<'a>(
    endpoint: &str,
    mut params: Vec<(&'a str, &'a str)>,
    auth: &'a ClientAuth,
) -> Result<HttpRequest, UnsupportedAuth> {
    let mut headers = alloc::vec![
        (
            "content-type",
            HeaderValue::new("application/x-www-form-urlencoded"),
        ),
        ("accept", HeaderValue::new("application/json")),
    ];
    // Methods added later are refused here until this helper learns them, rather than sending
    // an unauthenticated request.
    #[allow(
        unreachable_patterns,
        reason = "ClientAuth grows; unknown methods are refused"
    )]
    match auth {
        ClientAuth::None { client_id } => params.push(("client_id", client_id)),
        ClientAuth::ClientSecretBasic {
            client_id,
            client_secret,
        } => headers.push(("authorization", basic_auth_header(client_id, client_secret))),
        ClientAuth::ClientSecretPost {
            client_id,
            client_secret,
        } => {
            params.push(("client_id", client_id));
            params.push(("client_secret", client_secret.secret()));
        }
        // RFC 7523 §2.2 at any endpoint of the authorization server: the assertion's `aud` is
        // the issuer (RFC 7523bis), which every endpoint accepts.
        ClientAuth::PrivateKeyJwt {
            client_id,
            assertion,
        } => {
            params.push(("client_id", client_id));
            params.push(("client_assertion_type", CLIENT_ASSERTION_TYPE));
            params.push(("client_assertion", assertion.secret()));
        }
        _ => return Err(UnsupportedAuth),
    }
    let capacity = params.iter().fold(0usize, |acc, (k, v)| {
        acc.saturating_add(k.len().saturating_mul(3))
            .saturating_add(v.len().saturating_mul(3))
            .saturating_add(2)
    });
    let mut body = String::with_capacity(capacity);
    form_urlencoded::Serializer::new(&mut body).extend_pairs(params.iter().copied());
    Ok(HttpRequest {
        method: Method::Post,
        url: String::from(endpoint),
        headers,
        body: body.into_bytes(),
    })
}
