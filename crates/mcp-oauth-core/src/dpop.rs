//! DPoP: OAuth 2.0 Demonstrating Proof of Possession (RFC 9449), client side.
//!
//! With DPoP the client holds a key pair and proves possession of the private key on every
//! token request and every resource request with a **proof**: a short JWT signed with that key,
//! sent in the `DPoP` header (RFC 9449 §4). The authorization server binds the tokens it issues
//! to the key's thumbprint (§6), so a leaked access or refresh token is useless without the key.
//!
//! This module has the pieces; [`crate::flow::FlowConfig::dpop`] turns them on in the flow
//! machine, which then sends a fresh proof with every token request, retries once after a
//! `use_dpop_nonce` error (§8) and builds resource-request headers with
//! [`crate::flow::AuthFlow::authorization_headers`].
//!
//! | Piece | Specification |
//! |---|---|
//! | [`DpopKey`]: the proof key (ES256 by default), its public JWK and thumbprint | RFC 9449 §4.2, §6.1; RFC 7638 |
//! | [`proof`]: one proof JWT (`typ` `dpop+jwt`, public `jwk`; `jti`, `htm`, `htu`, `iat`, `ath`, `nonce`) | RFC 9449 §4.2 |
//! | [`htu`]: the target URI without query and fragment | RFC 9449 §4.2, RFC 9110 §7.1 |
//! | [`access_token_hash`]: `ath` | RFC 9449 §4.2, §7.1 |
//! | [`NonceStore`]: the latest `DPoP-Nonce` per server origin | RFC 9449 §8, §9 |
//! | [`is_use_dpop_nonce`]: does a response ask for a nonce? | RFC 9449 §8, §9 |
//!
//! Signing is [`crate::jose`]'s (RustCrypto `p256`); the signature is deterministic (RFC 6979),
//! so this module needs no random number generator: the `jti` comes in from the caller (the flow
//! draws it from its seeded generator).
//!
//! ```
//! use mcp_oauth_core::dpop::{self, DpopKey, ProofRequest};
//! use mcp_oauth_core::{AccessToken, Timestamp};
//!
//! let key = DpopKey::from_secret_bytes(&[7; 32])?; // or DpopKey::generate(entropy)
//! let token = AccessToken::new("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU".into());
//! let request = ProofRequest::new("GET", "https://resource.example.org/protectedresource?x=1")
//!     .access_token(&token)
//!     .nonce(Some("eyJ7S_zG.eyJH0-Z.HX4w-7v"));
//! let proof = dpop::proof(&key, "e1j3V_bKic8-LAEB", Timestamp::from_unix_seconds(1_562_262_618), &request)?;
//! // header.claims.signature; the header says `dpop+jwt`, ES256 and carries the public key only.
//! assert_eq!(proof.as_str().split('.').count(), 3);
//! assert!(proof.is_sensitive());
//! assert_eq!(dpop::htu("https://resource.example.org/protectedresource?x=1#f")?,
//!            "https://resource.example.org/protectedresource");
//! // RFC 9449 §7.1: the `ath` of that token.
//! assert_eq!(dpop::access_token_hash(&token), "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo");
//! # Ok::<(), mcp_oauth_core::dpop::DpopError>(())
//! ```

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use sha2::Digest as _;

use crate::http::{HeaderValue, HttpResponse};
use crate::jose::{Algorithm, JoseError, JwsHeader, PublicJwk, SigningKey};
use crate::secret::AccessToken;
use crate::{Entropy, Timestamp};

/// The `typ` header of a DPoP proof (RFC 9449 §4.2).
pub const PROOF_TYP: &str = "dpop+jwt";
/// The request header that carries a proof (RFC 9449 §4.1).
pub const DPOP_HEADER: &str = "dpop";
/// The response header that carries a server nonce (RFC 9449 §8.1).
pub const NONCE_HEADER: &str = "dpop-nonce";
/// The error code asking for a (new) nonce (RFC 9449 §8, §9).
pub const USE_DPOP_NONCE: &str = "use_dpop_nonce";
/// The longest nonce kept, in bytes; longer ones are ignored.
pub const MAX_NONCE_LEN: usize = 1024;
/// The most server origins a [`NonceStore`] remembers (the oldest is forgotten first).
pub const MAX_NONCE_ORIGINS: usize = 8;

/// Why a DPoP key or proof could not be made.
///
/// No variant carries key material, a token or a proof.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DpopError {
    /// The key could not be loaded or the proof could not be signed.
    #[error("dpop key: {0}")]
    Jose(#[from] JoseError),
    /// The request URL is not an absolute URL, so it has no `htu` (RFC 9449 §4.2).
    #[error("dpop: the request URL is not absolute")]
    InvalidUrl,
    /// The request method is empty or not an HTTP token (RFC 9110 §9.1).
    #[error("dpop: invalid request method")]
    InvalidMethod,
    /// Every key candidate derived from the entropy was outside the curve order (probability
    /// about 2⁻²⁵⁶; only seen with a broken entropy source).
    #[error("dpop: could not derive a key from the entropy")]
    KeyDerivation,
}

/// The key a client proves possession of (RFC 9449 §4.2, §6.1).
///
/// Cheap to clone (the private key is shared, never copied): the flow configuration is rebuilt
/// on every restore and must get the **same** key, because tokens issued under DPoP are bound to
/// its thumbprint (a DPoP-bound refresh token is useless with any other key).
///
/// `Debug` shows the algorithm and the thumbprint only; the private key is wiped on drop by
/// RustCrypto's `p256`.
///
/// ```
/// use mcp_oauth_core::dpop::DpopKey;
/// use mcp_oauth_core::Entropy;
///
/// let key = DpopKey::generate(Entropy::new([1; 32]))?; // 32 bytes from your CSPRNG
/// assert_eq!(key.algorithm().name(), "ES256");
/// assert_eq!(key.thumbprint().len(), 43); // RFC 7638, SHA-256, base64url
/// assert!(!format!("{key:?}").contains("\"d\""));
/// # Ok::<(), mcp_oauth_core::dpop::DpopError>(())
/// ```
#[derive(Clone)]
pub struct DpopKey {
    key: Arc<SigningKey>,
    jwk: PublicJwk,
    thumbprint: String,
}

impl fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DpopKey")
            .field("algorithm", &self.key.algorithm().name())
            .field("thumbprint", &self.thumbprint)
            .finish_non_exhaustive()
    }
}

impl DpopKey {
    /// Use a caller-supplied signing key (for example one loaded with
    /// [`SigningKey::from_pkcs8_pem`] from the caller's key store, so that it survives
    /// restarts).
    #[must_use]
    pub fn new(key: SigningKey) -> Self {
        let jwk = key.public_jwk();
        let thumbprint = jwk.thumbprint();
        Self {
            key: Arc::new(key),
            jwk,
            thumbprint,
        }
    }

    /// An ES256 key from its 32-byte private scalar (big-endian).
    ///
    /// # Errors
    ///
    /// [`DpopError::Jose`] when the bytes are zero or not below the P-256 order.
    pub fn from_secret_bytes(bytes: &[u8; 32]) -> Result<Self, DpopError> {
        Ok(Self::new(SigningKey::es256_from_secret_bytes(bytes)?))
    }

    /// A fresh ES256 key derived from 32 bytes of CSPRNG output: the bytes themselves when
    /// they are a valid scalar (all but ~2⁻³² of values), else `SHA-256(label ‖ bytes ‖ i)` for
    /// the first `i` that is.
    ///
    /// # Errors
    ///
    /// [`DpopError::KeyDerivation`] when no candidate is a valid scalar (a broken entropy
    /// source).
    pub fn generate(entropy: Entropy) -> Result<Self, DpopError> {
        if let Ok(key) = SigningKey::es256_from_secret_bytes(entropy.bytes()) {
            return Ok(Self::new(key));
        }
        for i in 0u8..16 {
            let mut candidate: [u8; 32] = sha2::Sha256::new()
                .chain_update(b"mcp-oauth dpop key")
                .chain_update(entropy.bytes())
                .chain_update([i])
                .finalize()
                .into();
            let key = SigningKey::es256_from_secret_bytes(&candidate);
            crate::secret::wipe_slice(&mut candidate);
            if let Ok(key) = key {
                return Ok(Self::new(key));
            }
        }
        Err(DpopError::KeyDerivation)
    }

    /// The JWS algorithm of the proofs (`alg`), to compare with
    /// `dpop_signing_alg_values_supported` (RFC 9449 §5.1).
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        self.key.algorithm()
    }

    /// The public key, as sent in every proof's `jwk` header.
    #[must_use]
    pub fn public_jwk(&self) -> &PublicJwk {
        &self.jwk
    }

    /// The RFC 7638 SHA-256 thumbprint of the public key: the `jkt` a bound token's
    /// `cnf` claim carries (RFC 9449 §6.1).
    #[must_use]
    pub fn thumbprint(&self) -> &str {
        &self.thumbprint
    }
}

/// What a proof is for: the request it goes with (RFC 9449 §4.2).
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct ProofRequest<'a> {
    method: &'a str,
    url: &'a str,
    access_token: Option<&'a AccessToken>,
    nonce: Option<&'a str>,
}

impl<'a> ProofRequest<'a> {
    /// A proof for a `method` request to `url` (the query and fragment are dropped, §4.2).
    pub const fn new(method: &'a str, url: &'a str) -> Self {
        Self {
            method,
            url,
            access_token: None,
            nonce: None,
        }
    }

    /// The access token the request presents: the proof gets its hash as `ath` (§4.2, §7).
    pub const fn access_token(mut self, token: &'a AccessToken) -> Self {
        self.access_token = Some(token);
        self
    }

    /// The server's latest nonce, if it sent one (§8, §9).
    pub const fn nonce(mut self, nonce: Option<&'a str>) -> Self {
        self.nonce = nonce;
        self
    }
}

/// The claims of a proof (RFC 9449 §4.2).
#[derive(Serialize)]
struct Claims<'a> {
    jti: &'a str,
    htm: &'a str,
    htu: &'a str,
    iat: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    ath: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
}

/// Sign one proof JWT for `request` at time `now` (RFC 9449 §4.2).
///
/// The header is `{"alg":…, "typ":"dpop+jwt", "jwk":<public key>}`; the claims are `jti`,
/// `htm` (the method as given), `htu` (see [`htu`]), `iat` (`now` in whole seconds), and `ath`
/// / `nonce` when the request has them. `jti` must be unique per proof: at least 96 bits of
/// randomness (§11.1); the flow uses 256.
///
/// The result is a sensitive [`HeaderValue`] for the `DPoP` header: a proof is a short-lived
/// credential, so it is redacted in `Debug` and wiped on drop.
///
/// # Errors
///
/// [`DpopError::InvalidMethod`], [`DpopError::InvalidUrl`], or a signing error.
pub fn proof(
    key: &DpopKey,
    jti: &str,
    now: Timestamp,
    request: &ProofRequest<'_>,
) -> Result<HeaderValue, DpopError> {
    if request.method.is_empty() || !request.method.bytes().all(is_tchar) {
        return Err(DpopError::InvalidMethod);
    }
    let htu = htu(request.url)?;
    let ath = request.access_token.map(access_token_hash);
    let claims = Claims {
        jti,
        htm: request.method,
        htu: &htu,
        iat: now.unix_seconds(),
        ath: ath.as_deref(),
        nonce: request.nonce,
    };
    let header = JwsHeader::new().typ(PROOF_TYP).embed_jwk(true);
    Ok(HeaderValue::sensitive(
        key.key.sign_compact(&header, &claims)?,
    ))
}

/// RFC 9110 §5.6.2 `tchar`: the characters of a method name.
const fn is_tchar(b: u8) -> bool {
    matches!(
        b,
        b'!' | b'#'
            | b'$'
            | b'%'
            | b'&'
            | b'\''
            | b'*'
            | b'+'
            | b'-'
            | b'.'
            | b'^'
            | b'_'
            | b'`'
            | b'|'
            | b'~'
    ) || b.is_ascii_alphanumeric()
}

/// The `htu` claim for a request to `url`: the absolute URI without query and fragment
/// (RFC 9449 §4.2), in the WHATWG URL serialization (lower-case scheme and host, default port
/// dropped, empty path as `/`), which is what servers compare after normalising (§4.3 step 9).
///
/// ```
/// use mcp_oauth_core::dpop::htu;
/// assert_eq!(htu("https://server.example.com/token")?, "https://server.example.com/token");
/// assert_eq!(htu("HTTPS://Server.Example.COM:443/a/b?c=d#e")?, "https://server.example.com/a/b");
/// assert_eq!(htu("http://127.0.0.1:8080?x")?, "http://127.0.0.1:8080/");
/// assert!(htu("/relative").is_err());
/// # Ok::<(), mcp_oauth_core::dpop::DpopError>(())
/// ```
///
/// # Errors
///
/// [`DpopError::InvalidUrl`] when `url` is not an absolute URL with a host.
pub fn htu(url: &str) -> Result<String, DpopError> {
    let mut parsed = url::Url::parse(url).map_err(|_| DpopError::InvalidUrl)?;
    if parsed.cannot_be_a_base() || parsed.host_str().is_none_or(str::is_empty) {
        return Err(DpopError::InvalidUrl);
    }
    parsed.set_query(None);
    parsed.set_fragment(None);
    Ok(String::from(parsed.as_str()))
}

/// The `ath` claim: base64url (no padding) of the SHA-256 of the access token's ASCII bytes
/// (RFC 9449 §4.2).
#[must_use]
pub fn access_token_hash(token: &AccessToken) -> String {
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(token.secret().as_bytes()))
}

/// The origin (`scheme://host[:port]`) a nonce belongs to, or `None` for a URL without one.
fn origin(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let origin = parsed.origin();
    origin
        .is_tuple()
        .then(|| alloc::string::ToString::to_string(&origin.ascii_serialization()))
}

/// Whether `nonce` is a syntactically valid nonce: `1*NQCHAR` (RFC 9449 §8.1), at most
/// [`MAX_NONCE_LEN`] bytes.
#[must_use]
pub fn is_valid_nonce(nonce: &str) -> bool {
    !nonce.is_empty()
        && nonce.len() <= MAX_NONCE_LEN
        && nonce
            .bytes()
            .all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

/// The latest `DPoP-Nonce` of each server (RFC 9449 §8, §9), keyed by origin.
///
/// A server may send a new nonce on any response (§8.2); the next proof to that server carries
/// the latest one. The authorization server and the resource server are separate entries even
/// when they share nothing but the client. At most [`MAX_NONCE_ORIGINS`] origins are kept.
///
/// ```
/// use mcp_oauth_core::dpop::NonceStore;
/// use mcp_oauth_core::http::HttpResponse;
///
/// let mut nonces = NonceStore::default();
/// let response = HttpResponse::new(400, vec![("DPoP-Nonce".into(), b"eyJ7S_zG.eyJH0-Z.HX4w-7v".to_vec())], vec![]);
/// assert!(nonces.update("https://as.example.com/token", &response));
/// assert_eq!(nonces.get("https://as.example.com/other"), Some("eyJ7S_zG.eyJH0-Z.HX4w-7v"));
/// assert_eq!(nonces.get("https://rs.example.com/mcp"), None);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NonceStore {
    entries: Vec<(String, String)>,
}

impl NonceStore {
    /// Remember the `DPoP-Nonce` of `response` (to a request to `url`), if it carries exactly
    /// one valid value. Returns whether the stored nonce for that origin changed.
    pub fn update(&mut self, url: &str, response: &HttpResponse) -> bool {
        let mut values = response.header_values(NONCE_HEADER);
        let (Some(value), None) = (values.next(), values.next()) else {
            return false;
        };
        let Ok(nonce) = core::str::from_utf8(value) else {
            return false;
        };
        self.set(url, nonce.trim())
    }

    /// Remember `nonce` for the origin of `url`. Returns whether the stored value changed;
    /// an invalid nonce (see [`is_valid_nonce`]) or URL is ignored.
    pub fn set(&mut self, url: &str, nonce: &str) -> bool {
        let Some(origin) = origin(url) else {
            return false;
        };
        if !is_valid_nonce(nonce) {
            return false;
        }
        if let Some(entry) = self.entries.iter_mut().find(|(o, _)| *o == origin) {
            if entry.1 == nonce {
                return false;
            }
            entry.1 = String::from(nonce);
            return true;
        }
        if self.entries.len() >= MAX_NONCE_ORIGINS {
            self.entries.remove(0);
        }
        self.entries.push((origin, String::from(nonce)));
        true
    }

    /// The latest nonce for the origin of `url`.
    #[must_use]
    pub fn get(&self, url: &str) -> Option<&str> {
        let origin = origin(url)?;
        self.entries
            .iter()
            .find(|(o, _)| *o == origin)
            .map(|(_, n)| n.as_str())
    }
}

/// Whether `response` asks for a DPoP nonce: a `use_dpop_nonce` error from the token endpoint
/// (status 400, JSON `error`, RFC 9449 §8) or from a resource server (status 401, a `DPoP`
/// challenge with `error="use_dpop_nonce"`, §9), together with a `DPoP-Nonce` header.
///
/// ```
/// use mcp_oauth_core::dpop::is_use_dpop_nonce;
/// use mcp_oauth_core::http::HttpResponse;
///
/// let rs = HttpResponse::new(401, vec![
///     ("WWW-Authenticate".into(), br#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#.to_vec()),
///     ("DPoP-Nonce".into(), b"eyJ7S_zG.eyJH0-Z.HX4w-7v".to_vec()),
/// ], vec![]);
/// assert!(is_use_dpop_nonce(&rs));
/// let as_ = HttpResponse::new(400, vec![
///     ("Content-Type".into(), b"application/json".to_vec()),
///     ("DPoP-Nonce".into(), b"eyJ7S_zG.eyJH0-Z.HX4w-7v".to_vec()),
/// ], br#"{"error":"use_dpop_nonce","error_description":"Authorization server requires nonce in DPoP proof"}"#.to_vec());
/// assert!(is_use_dpop_nonce(&as_));
/// ```
#[must_use]
pub fn is_use_dpop_nonce(response: &HttpResponse) -> bool {
    if response.header_values(NONCE_HEADER).next().is_none() {
        return false;
    }
    match response.status {
        400 => json_error_is(&response.body, USE_DPOP_NONCE),
        401 => crate::challenge::OAuthChallenge::from_response(response)
            .dpop()
            .is_some_and(|c| c.error().single().is_some_and(|e| e.eq_str(USE_DPOP_NONCE))),
        _ => false,
    }
}

/// Whether a JSON body is an object whose `error` member is the string `code`.
fn json_error_is(body: &[u8], code: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct ErrorOnly<'a> {
        #[serde(borrow)]
        error: Option<&'a str>,
    }
    serde_json::from_slice::<ErrorOnly<'_>>(body).is_ok_and(|e| e.error == Some(code))
}

#[cfg(test)]
mod tests;
