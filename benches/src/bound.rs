//! Hand-written lower bounds: the least work that gives the same answer on these inputs.
//!
//! They skip what the real parsers must do (full RFC 9110 grammar, duplicate detection, type
//! leniency with warnings, URL checks, escape handling beyond what the inputs hold), so they
//! are bounds, not alternatives.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use crate::inputs::{self, world};

/// The first `resource_metadata="…"` of a header: a byte search, no grammar.
#[must_use]
pub fn challenge(header: &str) -> Option<&str> {
    const NEEDLE: &[u8] = b"resource_metadata=\"";
    let bytes = header.as_bytes();
    let start = bytes
        .windows(NEEDLE.len())
        .position(|w| w == NEEDLE)?
        .checked_add(NEEDLE.len())?;
    let rest = header.get(start..)?;
    let end = rest.as_bytes().iter().position(|&b| b == b'"')?;
    rest.get(..end)
}

/// Protected Resource Metadata: the same fields as `ProtectedResourceMetadata`, owned.
#[derive(Debug, Deserialize)]
#[allow(missing_docs, reason = "RFC 9728 §2 member names")]
pub struct Prm {
    pub resource: String,
    pub authorization_servers: Vec<String>,
    pub jwks_uri: Option<String>,
    pub scopes_supported: Option<Vec<String>>,
    pub bearer_methods_supported: Option<Vec<String>>,
    pub resource_signing_alg_values_supported: Option<Vec<String>>,
    pub resource_name: Option<String>,
    pub resource_documentation: Option<String>,
    pub resource_policy_uri: Option<String>,
    pub resource_tos_uri: Option<String>,
    pub tls_client_certificate_bound_access_tokens: Option<bool>,
    pub authorization_details_types_supported: Option<Vec<String>>,
    pub dpop_signing_alg_values_supported: Option<Vec<String>>,
    pub dpop_bound_access_tokens_required: Option<bool>,
}

/// `serde_json` into [`Prm`].
///
/// # Errors
///
/// Not JSON of that shape.
pub fn prm(body: &[u8]) -> Result<Prm, serde_json::Error> {
    serde_json::from_slice(body)
}

/// Authorization server metadata: the same fields as `AuthorizationServerMetadata`, owned.
#[derive(Debug, Deserialize)]
#[allow(missing_docs, reason = "RFC 8414 §2 member names")]
pub struct AsMetadata {
    pub issuer: String,
    pub authorization_endpoint: Option<String>,
    pub token_endpoint: Option<String>,
    pub registration_endpoint: Option<String>,
    pub jwks_uri: Option<String>,
    pub scopes_supported: Option<Vec<String>>,
    pub response_types_supported: Option<Vec<String>>,
    pub response_modes_supported: Option<Vec<String>>,
    pub grant_types_supported: Option<Vec<String>>,
    pub code_challenge_methods_supported: Option<Vec<String>>,
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    pub token_endpoint_auth_signing_alg_values_supported: Option<Vec<String>>,
    pub revocation_endpoint: Option<String>,
    pub introspection_endpoint: Option<String>,
    pub device_authorization_endpoint: Option<String>,
    pub client_id_metadata_document_supported: Option<bool>,
    pub authorization_response_iss_parameter_supported: Option<bool>,
    pub dpop_signing_alg_values_supported: Option<Vec<String>>,
    pub userinfo_endpoint: Option<String>,
}

/// `serde_json` into [`AsMetadata`] (the yardstick for AS metadata parsing).
///
/// # Errors
///
/// Not JSON of that shape.
pub fn as_metadata(body: &[u8]) -> Result<AsMetadata, serde_json::Error> {
    serde_json::from_slice(body)
}

/// A PKCE verifier and S256 challenge in stack buffers.
#[must_use]
pub fn pkce(entropy: &[u8; 32]) -> ([u8; 43], [u8; 43]) {
    let mut verifier = [0u8; 43];
    let mut challenge = [0u8; 43];
    // 32 bytes encode to exactly 43 characters; the results are ignored only for the bound.
    let _ = URL_SAFE_NO_PAD.encode_slice(entropy, &mut verifier);
    let _ = URL_SAFE_NO_PAD.encode_slice(Sha256::digest(verifier), &mut challenge);
    (verifier, challenge)
}

/// A writer into a byte slice; refuses to overflow.
#[derive(Debug)]
pub struct SliceWriter<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> SliceWriter<'b> {
    /// Write into `buf`.
    pub fn new(buf: &'b mut [u8]) -> Self {
        Self { buf, len: 0 }
    }

    /// Append raw bytes; `None` when full.
    pub fn raw(&mut self, bytes: &[u8]) -> Option<()> {
        let end = self.len.checked_add(bytes.len())?;
        self.buf.get_mut(self.len..end)?.copy_from_slice(bytes);
        self.len = end;
        Some(())
    }

    /// Append `value` percent-encoded for a query component (unreserved bytes as they are).
    pub fn encoded(&mut self, value: &str) -> Option<()> {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        for &b in value.as_bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                self.raw(&[b])?;
            } else {
                let hi = HEX.get(usize::from(b >> 4)).copied()?;
                let lo = HEX.get(usize::from(b & 0xf)).copied()?;
                self.raw(&[b'%', hi, lo])?;
            }
        }
        Some(())
    }

    /// The written text.
    #[must_use]
    pub fn finish(self) -> Option<&'b str> {
        core::str::from_utf8(self.buf.get(..self.len)?).ok()
    }
}

/// The authorization URL into `buf`, the parameters in the order `mcp-oauth-core` writes them.
#[must_use]
pub fn authorize_url<'b>(challenge: &[u8; 43], state: &str, buf: &'b mut [u8]) -> Option<&'b str> {
    let mut w = SliceWriter::new(buf);
    w.raw(inputs::AUTHORIZATION_ENDPOINT.as_bytes())?;
    w.raw(b"?response_type=code&client_id=")?;
    w.encoded(inputs::CLIENT_ID)?;
    w.raw(b"&redirect_uri=")?;
    w.encoded(inputs::REDIRECT_URI)?;
    w.raw(b"&code_challenge=")?;
    w.raw(challenge)?;
    w.raw(b"&code_challenge_method=S256&state=")?;
    w.encoded(state)?;
    w.raw(b"&scope=")?;
    w.encoded(inputs::SCOPES)?;
    w.raw(b"&resource=")?;
    w.encoded(inputs::RESOURCE)?;
    w.finish()
}

/// The value of `%XY` hex digits.
fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decode a form value into `buf`.
fn decode_into<'b>(raw: &[u8], buf: &'b mut [u8]) -> Option<&'b [u8]> {
    let mut n = 0usize;
    let mut i = 0usize;
    while let Some(&b) = raw.get(i) {
        let (out, step) = match b {
            b'%' => {
                let hi = hex(*raw.get(i.checked_add(1)?)?)?;
                let lo = hex(*raw.get(i.checked_add(2)?)?)?;
                ((hi << 4) | lo, 3)
            }
            b'+' => (b' ', 1),
            b => (b, 1),
        };
        *buf.get_mut(n)? = out;
        n = n.checked_add(1)?;
        i = i.checked_add(step)?;
    }
    buf.get(..n)
}

/// Parse the redirect: split the query, compare `state` (constant-time not attempted) and the
/// decoded `iss`, decode the code into `buf`.
#[must_use]
pub fn redirect<'b>(
    redirect: &str,
    state: &str,
    issuer: &str,
    buf: &'b mut [u8],
) -> Option<&'b str> {
    let (_, query) = redirect.split_once('?')?;
    let (mut code, mut got_state, mut iss) = (None, None, None);
    for pair in query.as_bytes().split(|&b| b == b'&') {
        let eq = pair.iter().position(|&b| b == b'=')?;
        let (k, v) = (pair.get(..eq)?, pair.get(eq.checked_add(1)?..)?);
        match k {
            b"code" => code = Some(v),
            b"state" => got_state = Some(v),
            b"iss" => iss = Some(v),
            _ => {}
        }
    }
    if got_state? != state.as_bytes() {
        return None;
    }
    let mut iss_buf = [0u8; 256];
    if decode_into(iss?, &mut iss_buf)? != issuer.as_bytes() {
        return None;
    }
    core::str::from_utf8(decode_into(code?, buf)?).ok()
}

/// A token response: the RFC 6749 §5.1 members, owned.
#[derive(Debug, Deserialize)]
#[allow(missing_docs, reason = "RFC 6749 §5.1 member names")]
pub struct Token {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: Option<u64>,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
}

/// `serde_json` into [`Token`].
///
/// # Errors
///
/// Not JSON of that shape.
pub fn token(body: &[u8]) -> Result<Token, serde_json::Error> {
    serde_json::from_slice(body)
}

/// The cold flow from the bounds above: challenge → PRM → AS metadata → PKCE → authorization
/// URL (stack) → redirect → token request body (stack) → token response. No state machine,
/// no report, no URL policy.
///
/// # Errors
///
/// The step that failed.
pub fn flow(browser: &mut String) -> Result<(String, Token), &'static str> {
    let prm_url = challenge(world::CHALLENGE).ok_or("challenge")?;
    let prm = prm(world::serve(prm_url).1).map_err(|_| "prm")?;
    if prm.resource != world::MCP_URL {
        return Err("prm resource");
    }
    let issuer = prm.authorization_servers.first().ok_or("servers")?;
    let mut url_buf = [0u8; 512];
    let mut w = SliceWriter::new(&mut url_buf);
    w.raw(issuer.as_bytes()).ok_or("url")?;
    w.raw(b"/.well-known/oauth-authorization-server")
        .ok_or("url")?;
    let as_url = w.finish().ok_or("url")?;
    let asm = as_metadata(world::serve(as_url).1).map_err(|_| "as")?;
    if asm.issuer != *issuer {
        return Err("issuer");
    }
    let authorization_endpoint = asm.authorization_endpoint.as_deref().ok_or("authz")?;
    let token_endpoint = asm.token_endpoint.as_deref().ok_or("token endpoint")?;
    let (verifier, pkce_challenge) = pkce(&world::SEED);
    let mut state = [0u8; 43];
    let _ = URL_SAFE_NO_PAD.encode_slice(inputs::STATE_ENTROPY, &mut state);
    let state = core::str::from_utf8(&state).map_err(|_| "state")?;
    let scope = prm
        .scopes_supported
        .as_deref()
        .and_then(<[String]>::first)
        .map_or("", String::as_str);

    let mut w = SliceWriter::new(&mut url_buf);
    w.raw(authorization_endpoint.as_bytes()).ok_or("url")?;
    w.raw(b"?response_type=code&client_id=").ok_or("url")?;
    w.encoded(world::CLIENT_ID).ok_or("url")?;
    w.raw(b"&redirect_uri=").ok_or("url")?;
    w.encoded(world::REDIRECT_URI).ok_or("url")?;
    w.raw(b"&code_challenge=").ok_or("url")?;
    w.raw(&pkce_challenge).ok_or("url")?;
    w.raw(b"&code_challenge_method=S256&state=").ok_or("url")?;
    w.encoded(state).ok_or("url")?;
    w.raw(b"&scope=").ok_or("url")?;
    w.encoded(scope).ok_or("url")?;
    w.raw(b"&resource=").ok_or("url")?;
    w.encoded(&prm.resource).ok_or("url")?;
    let url = w.finish().ok_or("url")?;

    let back = world::redirect_for(url, browser);
    let mut code_buf = [0u8; 256];
    let code = redirect(back, state, issuer, &mut code_buf).ok_or("redirect")?;

    let mut body_buf = [0u8; 512];
    let mut w = SliceWriter::new(&mut body_buf);
    w.raw(b"grant_type=authorization_code&code=")
        .ok_or("body")?;
    w.encoded(code).ok_or("body")?;
    w.raw(b"&redirect_uri=").ok_or("body")?;
    w.encoded(world::REDIRECT_URI).ok_or("body")?;
    w.raw(b"&code_verifier=").ok_or("body")?;
    w.raw(&verifier).ok_or("body")?;
    w.raw(b"&client_id=").ok_or("body")?;
    w.encoded(world::CLIENT_ID).ok_or("body")?;
    w.raw(b"&resource=").ok_or("body")?;
    w.encoded(&prm.resource).ok_or("body")?;
    let body = w.finish().ok_or("body")?;
    core::hint::black_box(body);
    let tokens = token(world::serve(token_endpoint).1).map_err(|_| "token")?;
    Ok((asm.issuer, tokens))
}
