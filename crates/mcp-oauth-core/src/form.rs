//! Client-authenticated form `POST`s to the authorization server: the token endpoint (RFC 6749
//! §3.2, RFC 8693, RFC 7523), device authorization (RFC 8628 §3.1) and revocation (RFC 7009
//! §2.1). One place says how each client authentication method goes on the wire (RFC 6749
//! §2.3: exactly one method) and how the body is encoded.

use alloc::string::String;
use alloc::vec::Vec;

use url::form_urlencoded;

use crate::http::{HeaderValue, HttpRequest, Method};
use crate::token::{CLIENT_ASSERTION_TYPE, ClientAuth, basic_auth_header};

/// Build `POST endpoint` with `params` plus the client authentication of `auth`, form-encoded.
/// The endpoint must have been checked against the URL policy already.
pub(crate) fn post<'a>(
    endpoint: &str,
    mut params: Vec<(&'a str, &'a str)>,
    auth: &'a ClientAuth,
) -> HttpRequest {
    let mut headers = headers();
    push_client_auth(auth, &mut params, &mut headers);
    request(endpoint, &params, headers)
}

/// The headers of every form `POST`: the form content type, and JSON accepted back.
pub(crate) fn headers() -> Vec<(&'static str, HeaderValue)> {
    alloc::vec![
        (
            "content-type",
            HeaderValue::new("application/x-www-form-urlencoded"),
        ),
        ("accept", HeaderValue::new("application/json")),
    ]
}

/// The client authentication of `auth`: `client_id` in the body (`none`, T-7), a Basic header
/// (`client_secret_basic`, T-5), id and secret in the body (`client_secret_post`, T-6), or id,
/// assertion type and assertion in the body (`private_key_jwt`, RFC 7523 §2.2; its `aud` is the
/// issuer, RFC 7523bis, which every endpoint of the server accepts).
pub(crate) fn push_client_auth<'a>(
    auth: &'a ClientAuth,
    params: &mut Vec<(&'a str, &'a str)>,
    headers: &mut Vec<(&'static str, HeaderValue)>,
) {
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
        ClientAuth::PrivateKeyJwt {
            client_id,
            assertion,
        } => {
            params.push(("client_id", client_id));
            params.push(("client_assertion_type", CLIENT_ASSERTION_TYPE));
            params.push(("client_assertion", assertion.secret()));
        }
    }
}

/// `POST endpoint` with `params` form-encoded. The body buffer reserves the worst case (every
/// byte percent-encoded), so a buffer holding secrets is never reallocated, which would leave an
/// unwiped copy behind.
pub(crate) fn request(
    endpoint: &str,
    params: &[(&str, &str)],
    headers: Vec<(&'static str, HeaderValue)>,
) -> HttpRequest {
    let capacity = params.iter().fold(0usize, |acc, (k, v)| {
        acc.saturating_add(encoded_len_bound(k.len()))
            .saturating_add(encoded_len_bound(v.len()))
            .saturating_add(2)
    });
    let mut body = String::with_capacity(capacity);
    form_urlencoded::Serializer::new(&mut body).extend_pairs(params.iter().copied());
    HttpRequest {
        method: Method::Post,
        url: String::from(endpoint),
        headers,
        body: body.into_bytes(),
    }
}

/// An upper bound for the form-urlencoded length of `n` input bytes (each byte at most `%XX`).
pub(crate) fn encoded_len_bound(n: usize) -> usize {
    n.saturating_mul(3)
}
